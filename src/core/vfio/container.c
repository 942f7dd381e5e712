// SPDX-License-Identifier: MIT
/*
 * VFIO containers (drivers/vfio/container.c): /dev/vfio/vfio, the IOMMU
 * backend chosen with SET_IOMMU, and the attach/detach of groups.
 *
 * A container is unprivileged by itself: it gains a backend (and the power
 * to map DMA) only while a group is attached, and returns to the unset
 * state, every mapping gone, when its last group leaves.
 *
 * Lock order: group->group_lock → container->group_lock (rwsem: write for
 * attach, detach and SET_IOMMU; read for the backend's ioctls) →
 * vfio->iommu_drivers_lock → backend locks.
 */
#include <stdlib.h>

#include "iommu/iommu.h"
#include "race.h"
#include "vfio/vfio.h"
#include "base/env.h"

static void vfio_container_release(struct kref *kref)
{
	struct vfio_container *container = container_of(kref, struct vfio_container, kref);

	rwsem_destroy(&container->group_lock);
	free(container);
}

static void vfio_container_get(struct vfio_container *container)
{
	kref_get(&container->kref);
}

static void vfio_container_put(struct vfio_container *container)
{
	kref_put(&container->kref, vfio_container_release);
}

/* noiommu and real groups never share a container. */
static bool vfio_iommu_driver_allowed(struct vfio_container *container,
				      struct vfio_iommu_driver *driver)
{
	return !container->noiommu;
}

static long vfio_container_ioctl_check_extension(struct vfio_container *container, struct task *t,
						 unsigned long arg)
{
	struct vfio *vfio = container->vfio;
	struct vfio_iommu_driver *driver;
	long ret = 0;

	down_read(&container->group_lock);
	driver = container->iommu_driver;
	if (!driver) {
		mutex_lock(&vfio->iommu_drivers_lock);
		list_for_each_entry(driver, &vfio->iommu_drivers, node) {
			if (!list_empty(&container->group_list) &&
			    !vfio_iommu_driver_allowed(container, driver))
				continue;
			ret = driver->ops->ioctl(NULL, t, VFIO_CHECK_EXTENSION, arg);
			if (ret > 0)
				break;
		}
		mutex_unlock(&vfio->iommu_drivers_lock);
	} else {
		ret = driver->ops->ioctl(container->iommu_data, t, VFIO_CHECK_EXTENSION, arg);
	}
	up_read(&container->group_lock);
	return ret;
}

/* Attaches every group of the container to a new backend instance; unwinds on failure. */
static int __vfio_container_attach_groups(struct vfio_container *container,
					  struct vfio_iommu_driver *driver, void *data)
{
	struct vfio_group *group;
	int ret = -ENODEV;

	list_for_each_entry(group, &container->group_list, container_next) {
		ret = driver->ops->attach_group(data, group->iommu_group, group->type);
		if (ret)
			goto unwind;
	}
	return ret;

unwind:
	list_for_each_entry_continue_reverse(group, &container->group_list, container_next)
		driver->ops->detach_group(data, group->iommu_group);
	return ret;
}

static long vfio_ioctl_set_iommu(struct vfio_container *container, struct task *t,
				 unsigned long arg)
{
	struct vfio *vfio = container->vfio;
	struct vfio_iommu_driver *driver;
	long ret = -ENODEV;

	down_write(&container->group_lock);
	/* Only a group makes a container privileged; and there is no "unset". */
	if (list_empty(&container->group_list) || container->iommu_driver) {
		up_write(&container->group_lock);
		return -EINVAL;
	}
	mutex_lock(&vfio->iommu_drivers_lock);
	list_for_each_entry(driver, &vfio->iommu_drivers, node) {
		void *data;

		if (!vfio_iommu_driver_allowed(container, driver))
			continue;
		/* The SET_IOMMU argument is an extension id: ask who supports it. */
		if (driver->ops->ioctl(NULL, t, VFIO_CHECK_EXTENSION, arg) <= 0)
			continue;
		data = driver->ops->open(vfio, arg);
		if (IS_ERR(data)) {
			ret = PTR_ERR(data);
			continue;
		}
		ret = __vfio_container_attach_groups(container, driver, data);
		if (ret) {
			driver->ops->release(data);
			continue;
		}
		container->iommu_driver = driver;
		container->iommu_data = data;
		break;
	}
	mutex_unlock(&vfio->iommu_drivers_lock);
	up_write(&container->group_lock);
	return ret;
}

static long vfio_fops_unl_ioctl(struct file *f, struct task *t, unsigned int cmd, unsigned long arg)
{
	struct vfio_container *container = f->private_data;
	struct vfio_iommu_driver *driver;
	long ret = -EINVAL;

	switch (cmd) {
	case VFIO_GET_API_VERSION:
		return VFIO_API_VERSION;
	case VFIO_CHECK_EXTENSION:
		return vfio_container_ioctl_check_extension(container, t, arg);
	case VFIO_SET_IOMMU:
		return vfio_ioctl_set_iommu(container, t, arg);
	default:
		down_read(&container->group_lock);
		driver = container->iommu_driver;
		if (driver) /* everything else goes to the backend */
			ret = driver->ops->ioctl(container->iommu_data, t, cmd, arg);
		up_read(&container->group_lock);
		return ret;
	}
}

static void vfio_fops_release(struct file *f)
{
	struct vfio_container *container = f->private_data;

	race_point(container->vfio->env->races, "vfio_container_release");
	/* Attached groups keep the container alive; see vfio_group_detach_container(). */
	vfio_container_put(container);
}

/* open(2) of /dev/vfio/vfio: misc_open made f->private_data our misc device. */
static int vfio_fops_open(struct inode *inode, struct file *f)
{
	struct vfio *vfio = container_of((struct miscdevice *)f->private_data, struct vfio, misc);
	struct vfio_container *container = xzalloc(sizeof(*container));

	(void)inode;
	container->vfio = vfio;
	kref_init(&container->kref);
	init_rwsem(&container->group_lock, "vfio_container->group_lock");
	INIT_LIST_HEAD(&container->group_list);
	f->private_data = container;
	return 0;
}

static const struct file_operations vfio_fops = {
	.name = "vfio-container",
	.open = vfio_fops_open,
	.release = vfio_fops_release,
	.ioctl = vfio_fops_unl_ioctl,
};

/* vfio_container_init(): the misc device "vfio", 10:196, node vfio/vfio, mode 0666. */
int vfio_container_init(struct vfio *vfio)
{
	vfio->misc = (struct miscdevice){
		.minor = VFIO_MINOR,
		.name = "vfio",
		.nodename = "vfio/vfio",
		.mode = 0666,
		.fops = &vfio_fops,
	};
	return misc_register(vfio->env->chrdevs, &vfio->misc);
}

void vfio_container_cleanup(struct vfio *vfio)
{
	misc_deregister(&vfio->misc);
}

struct vfio_container *vfio_container_from_file(struct file *f)
{
	return f->f_op == &vfio_fops ? f->private_data : NULL;
}

int vfio_container_attach_group(struct vfio_container *container, struct vfio_group *group)
{
	struct vfio_iommu_driver *driver;
	int ret = 0;

	lockdep_assert_held(&group->group_lock);
	down_write(&container->group_lock);
	/* Real groups and fake (noiommu) groups cannot mix. */
	if (!list_empty(&container->group_list) &&
	    container->noiommu != (group->type == VFIO_NO_IOMMU)) {
		ret = -EPERM;
		goto out_unlock;
	}
	if (group->type == VFIO_IOMMU) {
		/* Fails with -EPERM while a DMA-API host driver uses a member. */
		ret = iommu_group_claim_dma_owner(group->iommu_group, group);
		if (ret)
			goto out_unlock;
	}
	driver = container->iommu_driver;
	if (driver) {
		ret = driver->ops->attach_group(container->iommu_data, group->iommu_group,
						group->type);
		if (ret) {
			if (group->type == VFIO_IOMMU)
				iommu_group_release_dma_owner(group->iommu_group);
			goto out_unlock;
		}
	}
	group->container = container;
	group->container_users = 1;
	container->noiommu = (group->type == VFIO_NO_IOMMU);
	list_add(&group->container_next, &container->group_list);
	/* Pairs with the put in vfio_group_detach_container(). */
	vfio_container_get(container);
out_unlock:
	up_write(&container->group_lock);
	return ret;
}

void vfio_group_detach_container(struct vfio_group *group)
{
	struct vfio_container *container = group->container;
	struct vfio_iommu_driver *driver;

	lockdep_assert_held(&group->group_lock);
	down_write(&container->group_lock);
	driver = container->iommu_driver;
	if (driver)
		driver->ops->detach_group(container->iommu_data, group->iommu_group);
	if (group->type == VFIO_IOMMU)
		iommu_group_release_dma_owner(group->iommu_group);
	group->container = NULL;
	group->container_users = 0;
	list_del_init(&group->container_next);
	/* Detaching the last group deprivileges the container: the backend goes. */
	if (driver && list_empty(&container->group_list)) {
		driver->ops->release(container->iommu_data);
		container->iommu_driver = NULL;
		container->iommu_data = NULL;
	}
	up_write(&container->group_lock);
	vfio_container_put(container);
}

int vfio_group_use_container(struct vfio_group *group)
{
	struct vfio_container *container = group->container;
	bool have_driver;

	lockdep_assert_held(&group->group_lock);
	/*
	 * SET_CONTAINER done but no SET_IOMMU yet. The kernel reads the pointer
	 * bare (drivers/vfio/container.c, vfio_group_use_container) while
	 * vfio_ioctl_set_iommu() writes it under container->group_lock; the
	 * group's attachment cannot change under group_lock, but SET_IOMMU on
	 * the container can run at the same moment, so read it under the
	 * container's lock (group_lock → container->group_lock, the documented
	 * order).
	 */
	down_read(&container->group_lock);
	have_driver = container->iommu_driver;
	up_read(&container->group_lock);
	if (!have_driver)
		return -EINVAL;
	if (group->type == VFIO_NO_IOMMU)
		return -EPERM;
	get_file(group->opened_file);
	group->container_users++;
	return 0;
}

void vfio_group_unuse_container(struct vfio_group *group)
{
	lockdep_assert_held(&group->group_lock);
	group->container_users--;
	/* The group file reference is dropped by the caller, outside the locks. */
}

void vfio_device_container_register(struct vfio_device *vdev)
{
	struct vfio_container *container = vdev->group->container;

	down_read(&container->group_lock);
	if (container->iommu_driver && container->iommu_driver->ops->register_device)
		container->iommu_driver->ops->register_device(container->iommu_data, vdev);
	up_read(&container->group_lock);
}

void vfio_device_container_unregister(struct vfio_device *vdev)
{
	struct vfio_container *container = vdev->group->container;

	down_read(&container->group_lock);
	if (container->iommu_driver && container->iommu_driver->ops->unregister_device)
		container->iommu_driver->ops->unregister_device(container->iommu_data, vdev);
	up_read(&container->group_lock);
}

int vfio_dma_rw(struct vfio_device *vdev, u64 iova, void *buf, size_t len, bool write)
{
	struct vfio_container *container;
	int ret = -EINVAL;

	mutex_lock(&vdev->group->group_lock);
	container = vdev->group->container;
	if (container) {
		down_read(&container->group_lock);
		if (container->iommu_driver && container->iommu_driver->ops->dma_rw)
			ret = container->iommu_driver->ops->dma_rw(container->iommu_data, iova, buf,
								   len, write);
		up_read(&container->group_lock);
	}
	mutex_unlock(&vdev->group->group_lock);
	return ret;
}

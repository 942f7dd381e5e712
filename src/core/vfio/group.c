// SPDX-License-Identifier: MIT
/*
 * VFIO groups (drivers/vfio/group.c): /dev/vfio/N, its ioctls, the device
 * files opened through it, and the group's life across device registration.
 *
 * Teardown always runs device → group → container, whatever order the user
 * closes files in: a device file holds a reference on the group file (taken
 * at the device's first open), so the group's release, which detaches the
 * container, can only run after the last device file of the group is gone.
 *
 * Lock order: vfio->group_lock → group->group_lock → dev_set->lock →
 * container->group_lock. group->device_lock is a leaf.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/iommu.h"
#include "kvm/kvm.h"
#include "race.h"
#include "vfio/vfio.h"
#include "base/env.h"

static const struct file_operations vfio_group_fops;
static const struct file_operations vfio_device_fops;

static void vfio_group_release(struct kref *kref)
{
	struct vfio_group *group = container_of(kref, struct vfio_group, kref);
	struct vfio *vfio = group->vfio;

	mutex_lock(&vfio->group_lock);
	ida_free(&vfio->group_ida, (unsigned int)group->minor);
	mutex_unlock(&vfio->group_lock);
	mutex_destroy(&group->group_lock);
	mutex_destroy(&group->device_lock);
	mutex_destroy(&group->kvm_ref_lock);
	free(group);
}

static void vfio_group_put(struct vfio_group *group)
{
	kref_put(&group->kref, vfio_group_release);
}

/* Whether the group is attached to a container (or, later, an iommufd). */
static bool vfio_group_has_iommu(struct vfio_group *group)
{
	lockdep_assert_held(&group->group_lock);
	return group->container != NULL;
}

static struct vfio_group *vfio_group_find_from_iommu(struct vfio *vfio,
						     struct iommu_group *iommu_group)
{
	struct vfio_group *group;

	lockdep_assert_held(&vfio->group_lock);
	list_for_each_entry(group, &vfio->group_list, vfio_next)
		if (group->iommu_group == iommu_group)
			return group;
	return NULL;
}

static struct vfio_group *vfio_create_group(struct vfio *vfio, struct iommu_group *iommu_group,
					    enum vfio_group_type type)
{
	struct vfio_group *group = xzalloc(sizeof(*group));
	char name[32];
	int minor, ret;

	lockdep_assert_held(&vfio->group_lock);
	minor = ida_alloc_range(&vfio->group_ida, 0, (1u << 20) - 1);
	if (minor < 0) {
		free(group);
		return ERR_PTR(minor);
	}
	group->vfio = vfio;
	group->minor = minor;
	group->id = iommu_group_id(iommu_group);
	kref_init(&group->kref); /* the registration's; dropped when drivers reaches 0 */
	refcount_set(&group->drivers, 1);
	group->type = type;
	mutex_init(&group->group_lock, "vfio_group->group_lock");
	mutex_init(&group->device_lock, "vfio_group->device_lock");
	mutex_init(&group->kvm_ref_lock, "vfio_group->kvm_ref_lock");
	INIT_LIST_HEAD(&group->device_list);
	INIT_LIST_HEAD(&group->container_next);
	group->iommu_group = iommu_group_ref_get(iommu_group);
	/*
	 * The group's char device (vfio_group_alloc's cdev_init, and
	 * cdev_device_add with the class's devnode "vfio/%s"): a file opened
	 * through it holds the group's kref, as the cdev's kobject holds the
	 * group's device.
	 */
	cdev_init(&group->cdev, &vfio_group_fops);
	cdev_set_parent(&group->cdev, &group->kref, vfio_group_release);
	ret = cdev_add(vfio->env->chrdevs, &group->cdev,
		       MKDEV(MAJOR(vfio->group_devt), (unsigned int)minor), 1);
	if (ret)
		goto err_put;
	/* Publish last: from here /dev/vfio/N can be opened. */
	list_add_tail(&group->vfio_next, &vfio->group_list);
	snprintf(name, sizeof(name), "vfio/%d", group->id);
	ret = devtmpfs_create_node(vfio->env->chrdevs, name, 0600, group->cdev.dev);
	if (ret)
		goto err_unpublish;
	return group;

err_unpublish:
	list_del_init(&group->vfio_next);
	cdev_del(&group->cdev);
err_put:
	/* Not the last put: the caller holds the iommu group too. */
	iommu_group_put(group->iommu_group);
	ida_free(&vfio->group_ida, (unsigned int)minor);
	mutex_destroy(&group->group_lock);
	mutex_destroy(&group->device_lock);
	mutex_destroy(&group->kvm_ref_lock);
	free(group);
	return ERR_PTR(ret);
}

/* The node and the cdev go as the group leaves vfio->group_list (cdev_device_del). */
static void vfio_group_unpublish(struct vfio_group *group)
{
	lockdep_assert_held(&group->vfio->group_lock);
	list_del_init(&group->vfio_next);
	devtmpfs_delete_node(group->vfio->env->chrdevs, group->cdev.dev);
	cdev_del(&group->cdev);
}

int vfio_device_set_group(struct vfio_device *vdev, enum vfio_group_type type)
{
	struct vfio *vfio = vdev->vfio;
	struct iommu_group *iommu_group;
	struct vfio_group *group;

	if (type == VFIO_IOMMU) {
		iommu_group = iommu_group_get(vdev->dev);
		if (!iommu_group)
			return -EINVAL;
	} else {
		/* Emulated devices get a private group of one (vfio_noiommu_group_alloc). */
		int ret;

		iommu_group = iommu_group_alloc(vfio->iommu);
		if (IS_ERR(iommu_group))
			return (int)PTR_ERR(iommu_group);
		ret = iommu_group_add_device(iommu_group, vdev->dev);
		if (ret) {
			iommu_group_put(iommu_group);
			return ret;
		}
	}

	mutex_lock(&vfio->group_lock);
	group = vfio_group_find_from_iommu(vfio, iommu_group);
	if (group)
		refcount_inc(&group->drivers);
	else
		group = vfio_create_group(vfio, iommu_group, type);
	mutex_unlock(&vfio->group_lock);
	iommu_group_put(iommu_group);
	if (IS_ERR(group))
		return (int)PTR_ERR(group);
	vdev->group = group;
	return 0;
}

void vfio_device_remove_group(struct vfio_device *vdev)
{
	struct vfio_group *group = vdev->group;
	struct vfio *vfio = vdev->vfio;
	struct iommu_group *iommu_group;

	if (group->type == VFIO_EMULATED_IOMMU || group->type == VFIO_NO_IOMMU)
		iommu_group_remove_device(vdev->dev);
	if (race_quirk(vfio->env->races, UVFIO_QUIRK_UNPUBLISH_AFTER_WAIT)) {
		/* Pre-6.6: the device was findable until here, after the wait. */
		mutex_lock(&group->device_lock);
		list_del_init(&vdev->group_next);
		mutex_unlock(&group->device_lock);
	}

	mutex_lock(&vfio->group_lock);
	if (!refcount_dec_and_test(&group->drivers)) {
		mutex_unlock(&vfio->group_lock);
		return;
	}
	/* The last device left: unpublish the node, revoke the IOMMU attachment now. */
	vfio_group_unpublish(group);
	mutex_lock(&group->group_lock);
	if (group->container)
		vfio_group_detach_container(group);
	iommu_group = group->iommu_group;
	group->iommu_group = NULL;
	mutex_unlock(&group->group_lock);
	race_point(vfio->env->races, "vfio_device_remove_group.unpublished");
	if (race_quirk(vfio->env->races, UVFIO_QUIRK_GROUP_PUT_UNDER_LOCK)) {
		/* Seed 000's old order: a final put here re-takes vfio->group_lock. */
		iommu_group_put(iommu_group);
		vfio_group_put(group);
		mutex_unlock(&vfio->group_lock);
		return;
	}
	mutex_unlock(&vfio->group_lock);
	iommu_group_put(iommu_group);
	/*
	 * An open group file keeps the (orphaned) struct alive. This put may be
	 * the last: the release takes vfio->group_lock, so no lock may be held.
	 */
	vfio_group_put(group);
}

void vfio_device_group_register(struct vfio_device *vdev)
{
	mutex_lock(&vdev->group->device_lock);
	list_add(&vdev->group_next, &vdev->group->device_list);
	mutex_unlock(&vdev->group->device_lock);
}

void vfio_device_group_unregister(struct vfio_device *vdev)
{
	/* The old order unpublishes in vfio_device_remove_group(), after the wait. */
	if (race_quirk(vdev->vfio->env->races, UVFIO_QUIRK_UNPUBLISH_AFTER_WAIT))
		return;
	mutex_lock(&vdev->group->device_lock);
	list_del_init(&vdev->group_next);
	mutex_unlock(&vdev->group->device_lock);
}

static struct vfio_device *vfio_device_get_from_name(struct vfio_group *group, const char *buf)
{
	struct vfio_device *it, *found = NULL;

	mutex_lock(&group->device_lock);
	list_for_each_entry(it, &group->device_list, group_next) {
		int ret;

		if (it->ops->match)
			ret = it->ops->match(it, buf);
		else
			ret = !strcmp(dev_name(it->dev), buf);
		if (ret < 0) {
			found = ERR_PTR(ret);
			break;
		}
		if (ret && vfio_device_try_get_registration(it)) {
			found = it;
			break;
		}
	}
	mutex_unlock(&group->device_lock);
	return found ? found : ERR_PTR(-ENODEV);
}

/*
 * First open of a device through the group: the group's container must
 * have an IOMMU backend; the device file pins the group file and the
 * container's use count, then registers with the backend (unmap listener).
 */
static int vfio_device_group_use_iommu(struct vfio_device *vdev)
{
	struct vfio_group *group = vdev->group;
	int ret;

	lockdep_assert_held(&group->group_lock);
	if (!group->container)
		return -EINVAL;
	ret = vfio_group_use_container(group);
	if (ret)
		return ret;
	vfio_device_container_register(vdev);
	return 0;
}

/* Balances vfio_device_group_use_iommu(); returns the group file to put unlocked. */
static struct file *vfio_device_group_unuse_iommu(struct vfio_device *vdev)
{
	struct vfio_group *group = vdev->group;
	struct file *group_file = group->opened_file;

	lockdep_assert_held(&group->group_lock);
	vfio_device_container_unregister(vdev);
	vfio_group_unuse_container(group);
	return group_file;
}

/* The VM a device uses while open (vfio_device_get_kvm_safe / vfio_device_put_kvm). */
static void vfio_device_group_get_kvm_safe(struct vfio_device *vdev)
{
	struct vfio_group *group = vdev->group;

	lockdep_assert_held(&vdev->dev_set->lock);
	mutex_lock(&group->kvm_ref_lock);
	if (group->kvm && kvm_get_kvm_safe(group->kvm))
		vdev->kvm = group->kvm;
	mutex_unlock(&group->kvm_ref_lock);
}

static void vfio_device_put_kvm(struct vfio_device *vdev)
{
	struct kvm *kvm = vdev->kvm;

	lockdep_assert_held(&vdev->dev_set->lock);
	if (!kvm)
		return;
	vdev->kvm = NULL;
	/* May be the VM's last reference: it is destroyed here, under our locks. */
	kvm_put_kvm(kvm);
}

static int vfio_df_open(struct vfio_device_file *df)
{
	struct vfio_device *vdev = df->device;
	int ret = 0;

	lockdep_assert_held(&vdev->dev_set->lock);
	vdev->open_count++;
	if (vdev->open_count == 1) {
		ret = vfio_device_group_use_iommu(vdev);
		if (ret)
			goto err_count;
		/* group_lock and dev_set->lock held: a driver's open may take KVM's locks (D2). */
		race_point(vdev->vfio->env->races, "vfio_df_open.first");
		if (vdev->ops->open_device) {
			ret = vdev->ops->open_device(vdev);
			if (ret)
				goto err_unuse;
		}
	}
	return 0;

err_unuse:
	/* The group file reference taken by use_iommu: the caller still holds its own. */
	fput(vfio_device_group_unuse_iommu(vdev));
err_count:
	vdev->open_count--;
	return ret;
}

/* Returns the group file reference to drop once the locks are released, or NULL. */
static struct file *vfio_df_close(struct vfio_device_file *df)
{
	struct vfio_device *vdev = df->device;
	struct file *group_file = NULL;

	lockdep_assert_held(&vdev->dev_set->lock);
	if (vdev->open_count == 1) {
		bool old = race_quirk(vdev->vfio->env->races, UVFIO_QUIRK_CLOSE_TAKES_DEVICE_LOCK);

		race_point(vdev->vfio->env->races, "vfio_df_close.last");
		/* The old order: a reset with a blocking device_lock, held by an unbind. */
		if (old)
			device_lock(vdev->dev);
		if (vdev->ops->close_device)
			vdev->ops->close_device(vdev);
		if (old)
			device_unlock(vdev->dev);
		group_file = vfio_device_group_unuse_iommu(vdev);
	}
	vdev->open_count--;
	/* Still under group_lock and dev_set->lock, as 6.12 does: see kvm.h. */
	if (!vdev->open_count)
		vfio_device_put_kvm(vdev);
	return group_file;
}

static void vfio_device_fops_release(struct file *f)
{
	struct vfio_device_file *df = f->private_data;
	struct vfio_device *vdev = df->device;
	struct vfio_group *group = vdev->group;
	struct file *group_file;

	mutex_lock(&group->group_lock);
	mutex_lock(&vdev->dev_set->lock);
	group_file = vfio_df_close(df);
	mutex_unlock(&vdev->dev_set->lock);
	mutex_unlock(&group->group_lock);
	/* The kernel defers this fput to task work: never inside the locks above. */
	fput(group_file);
	free(df);
	vfio_device_put_registration(vdev);
}

static const struct file_operations vfio_device_fops = {
	.name = "[vfio-device]",
	.release = vfio_device_fops_release,
	.ioctl = vfio_device_fops_ioctl,
	.read = vfio_device_fops_read,
	.write = vfio_device_fops_write,
	.mmap = vfio_device_fops_mmap,
	.mmap_fault = vfio_device_fops_mmap_fault,
};

struct vfio_device *vfio_device_from_file(struct file *f)
{
	struct vfio_device_file *df;

	if (f->f_op != &vfio_device_fops)
		return NULL;
	df = f->private_data;
	return df->device;
}

static int vfio_group_ioctl_get_device_fd(struct vfio_group *group, struct task *t,
					  unsigned long arg)
{
	struct vfio_device_file *df;
	struct vfio_device *vdev;
	struct file *f;
	char *name;
	int ret;

	name = strndup_user(t, arg, PAGE_SIZE);
	if (IS_ERR(name))
		return (int)PTR_ERR(name);
	vdev = vfio_device_get_from_name(group, name);
	free(name);
	if (IS_ERR(vdev))
		return (int)PTR_ERR(vdev);
	race_point(group->vfio->env->races, "vfio_group_get_device_fd.found");

	df = xzalloc(sizeof(*df));
	df->device = vdev;
	df->group = group;

	mutex_lock(&group->group_lock);
	if (!vfio_group_has_iommu(group)) {
		ret = -EINVAL;
		goto err_unlock_group;
	}
	mutex_lock(&vdev->dev_set->lock);
	/*
	 * Before the first open, take a reference on the VM the group is set to
	 * (if any, and if it is not being destroyed); held until the last close.
	 */
	if (vdev->open_count == 0)
		vfio_device_group_get_kvm_safe(vdev);
	ret = vfio_df_open(df);
	if (ret) {
		if (vdev->open_count == 0)
			vfio_device_put_kvm(vdev);
		mutex_unlock(&vdev->dev_set->lock);
		goto err_unlock_group;
	}
	/* Access is granted only after open_device succeeded. */
	atomic_store_explicit(&df->access_granted, true, memory_order_release);
	mutex_unlock(&vdev->dev_set->lock);
	mutex_unlock(&group->group_lock);

	f = anon_inode_getfile(group->vfio->env->world, &vfio_device_fops, df,
			       02000002 /* O_RDWR|O_CLOEXEC */);
	ret = t->ops->fd_install(t, f);
	if (ret < 0)
		fput(f); /* runs the close path, as the kernel's failure unwind does */
	return ret;

err_unlock_group:
	mutex_unlock(&group->group_lock);
	free(df);
	vfio_device_put_registration(vdev);
	return ret;
}

static int vfio_group_ioctl_get_status(struct vfio_group *group, struct task *t, unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_group_status, flags);
	struct vfio_group_status status;

	if (copy_from_user(t, &status, arg, minsz))
		return -EFAULT;
	if (status.argsz < minsz)
		return -EINVAL;
	status.flags = 0;
	mutex_lock(&group->group_lock);
	if (!group->iommu_group) {
		mutex_unlock(&group->group_lock);
		return -ENODEV;
	}
	/*
	 * With a container set, the group is viable by construction (we own its
	 * DMA); otherwise it is viable when no DMA-API driver uses any member.
	 */
	if (vfio_group_has_iommu(group))
		status.flags |= VFIO_GROUP_FLAGS_CONTAINER_SET | VFIO_GROUP_FLAGS_VIABLE;
	else if (!iommu_group_dma_owner_claimed(group->iommu_group))
		status.flags |= VFIO_GROUP_FLAGS_VIABLE;
	mutex_unlock(&group->group_lock);
	if (copy_to_user(t, arg, &status, minsz))
		return -EFAULT;
	return 0;
}

static int vfio_group_ioctl_set_container(struct vfio_group *group, struct task *t,
					  unsigned long arg)
{
	struct vfio_container *container;
	struct file *f;
	int fd, ret;

	if (copy_from_user(t, &fd, arg, sizeof(fd)))
		return -EFAULT;
	f = t->ops->fget(t, fd);
	if (IS_ERR(f))
		return PTR_ERR(f) == -EBADFD ? -EBADFD : -EBADF;

	mutex_lock(&group->group_lock);
	if (vfio_group_has_iommu(group)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (!group->iommu_group) {
		ret = -ENODEV;
		goto out_unlock;
	}
	container = vfio_container_from_file(f);
	if (container)
		ret = vfio_container_attach_group(container, group);
	else
		ret = -EBADFD;
out_unlock:
	mutex_unlock(&group->group_lock);
	fput(f);
	return ret;
}

static int vfio_group_ioctl_unset_container(struct vfio_group *group)
{
	bool stale = race_quirk(group->vfio->env->races, UVFIO_QUIRK_UNSET_STALE_CHECK);
	int ret = 0;

	mutex_lock(&group->group_lock);
	if (!vfio_group_has_iommu(group)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	if (group->container_users != 1) {
		ret = -EBUSY;
		goto out_unlock;
	}
	if (stale) {
		/* Pre-5.19: the check (a cmpxchg) and the detach were not one critical section. */
		mutex_unlock(&group->group_lock);
		race_point(group->vfio->env->races, "vfio_group_unset_container.detach");
		mutex_lock(&group->group_lock);
		if (group->container)
			vfio_group_detach_container(group);
		goto out_unlock;
	}
	race_point(group->vfio->env->races, "vfio_group_unset_container.detach");
	vfio_group_detach_container(group);
out_unlock:
	mutex_unlock(&group->group_lock);
	return ret;
}

static long vfio_group_fops_ioctl(struct file *f, struct task *t, unsigned int cmd,
				  unsigned long arg)
{
	struct vfio_group *group = f->private_data;

	switch (cmd) {
	case VFIO_GROUP_GET_DEVICE_FD:
		return vfio_group_ioctl_get_device_fd(group, t, arg);
	case VFIO_GROUP_GET_STATUS:
		return vfio_group_ioctl_get_status(group, t, arg);
	case VFIO_GROUP_SET_CONTAINER:
		return vfio_group_ioctl_set_container(group, t, arg);
	case VFIO_GROUP_UNSET_CONTAINER:
		return vfio_group_ioctl_unset_container(group);
	default:
		return -ENOTTY;
	}
}

/*
 * open(2) of /dev/vfio/N (vfio_group_fops_open): the node exists while the
 * group is published; chrdev_open holds the group's kref for the file.
 */
static int vfio_group_fops_open(struct inode *inode, struct file *f)
{
	struct vfio_group *group = container_of(inode->i_cdev, struct vfio_group, cdev);
	int ret = 0;

	mutex_lock(&group->group_lock);
	/* drivers may be 0 if this races with vfio_device_remove_group(). */
	if (refcount_read(&group->drivers) == 0) {
		ret = -ENODEV;
		goto out_unlock;
	}
	if (group->type == VFIO_NO_IOMMU) {
		ret = -EPERM;
		goto out_unlock;
	}
	if (group->cdev_device_open_cnt || group->opened_file) {
		ret = -EBUSY;
		goto out_unlock;
	}
	group->opened_file = f;
	f->private_data = group;
out_unlock:
	mutex_unlock(&group->group_lock);
	return ret;
}

static void vfio_group_fops_release(struct file *f)
{
	struct vfio_group *group = f->private_data;

	race_point(group->vfio->env->races, "vfio_group_fops_release");
	mutex_lock(&group->group_lock);
	/* Device files pin this file: no device of this group is open any more. */
	if (group->container)
		vfio_group_detach_container(group);
	group->opened_file = NULL;
	mutex_unlock(&group->group_lock);
	/* The file's reference on the group goes with its cdev, after this (cdev_put). */
}

static const struct file_operations vfio_group_fops = {
	.name = "vfio-group",
	.open = vfio_group_fops_open,
	.release = vfio_group_fops_release,
	.ioctl = vfio_group_fops_ioctl,
};

bool vfio_file_is_group(struct file *f)
{
	return f->f_op == &vfio_group_fops;
}

/*
 * The N of the /dev/vfio/N a group file was opened as, or -1 for any other
 * file. The id is fixed for the group's life (an orphaned group keeps it, as
 * the kernel's vfio_group keeps its device's name), so no lock is needed;
 * group->iommu_group is not: hot removal clears and puts it under group_lock.
 */
int vfio_file_group_id(struct file *f)
{
	return vfio_file_is_group(f) ? ((struct vfio_group *)f->private_data)->id : -1;
}

/* A file KVM may be told about: a group file or a device file (vfio_file_is_valid). */
bool vfio_file_is_valid(struct file *f)
{
	return vfio_file_is_group(f) || vfio_device_from_file(f);
}

/*
 * Whether every device behind f has IOMMU-enforced cache coherency. Our IOMMU
 * is QEMU's VT-d without snoop control (type1 answers VFIO_DMA_CC_IOMMU with
 * 0 for the same reason), so only a group with no device is.
 */
bool vfio_file_enforced_coherent(struct file *f)
{
	struct vfio_group *group;
	bool ret;

	if (!vfio_file_is_group(f))
		return false;
	group = f->private_data;
	mutex_lock(&group->device_lock);
	ret = list_empty(&group->device_list);
	mutex_unlock(&group->device_lock);
	return ret;
}

/*
 * KVM tells a group which VM it belongs to (NULL: none). Called with KVM's
 * locks held, so it takes only the leaf kvm_ref_lock (digest §6.4, D2); the
 * device's first open takes its own VM reference from it. A device file of
 * the group path has nothing to record.
 */
void vfio_file_set_kvm(struct file *f, struct kvm *kvm)
{
	struct vfio_group *group;
	bool old;

	if (!vfio_file_is_group(f))
		return;
	group = f->private_data;
	old = race_quirk(group->vfio->env->races,
			 UVFIO_QUIRK_KVM_VFIO_DESTROY | UVFIO_QUIRK_SET_KVM_GROUP_LOCK);
	/*
	 * Before the kvm_ref_lock fix this took group_lock: seed 004's chain ends
	 * here, and so does D2's (kvm_vfio_release holds kvm->lock).
	 */
	if (old)
		mutex_lock(&group->group_lock);
	mutex_lock(&group->kvm_ref_lock);
	group->kvm = kvm;
	mutex_unlock(&group->kvm_ref_lock);
	if (old)
		mutex_unlock(&group->group_lock);
}

bool vfio_file_has_dev(struct file *f, struct vfio_device *vdev)
{
	return vfio_file_is_group(f) && f->private_data == vdev->group;
}

/* vfio_group_init(): the "vfio" char region, MINORMASK + 1 minors (see vfio.h). */
int vfio_group_init(struct vfio *vfio)
{
	dev_t devt = MKDEV(VFIO_GROUP_MAJOR, 0);
	int ret = register_chrdev_region(vfio->env->chrdevs, devt, MINORMASK + 1, "vfio");

	if (!ret)
		vfio->group_devt = devt;
	return ret;
}

void vfio_group_cleanup(struct vfio *vfio)
{
	if (vfio->group_devt)
		unregister_chrdev_region(vfio->env->chrdevs, vfio->group_devt, MINORMASK + 1);
	vfio->group_devt = 0;
}

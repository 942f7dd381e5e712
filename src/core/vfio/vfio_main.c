// SPDX-License-Identifier: MIT
/*
 * The VFIO core (drivers/vfio/vfio_main.c): vfio_device registration and
 * lifetime, device sets, the device file, first-open/last-close, and the
 * helpers drivers use to answer INFO and SET_IRQS ioctls.
 *
 * A vfio_device has two counts (see vfio.h): kref for memory, and the
 * registration refcount that every open device file holds. Unregistration
 * unpublishes the device, drops the registration's own reference and then
 * asks the user to let go (the driver's request op: vfio-pci signals REQ)
 * until the last device file is closed. It never revokes an open file.
 *
 * The ask/take sequence is traced as it happens: {"op":"request"} at each ask,
 * the driver's and the core's kernel messages ({"op":"kmsg"}), {"op":"released"}
 * at the take. A waiting unregistration is listed in vfio->unregistering with
 * its writer, for `uvfio tree`.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/env.h"
#include "base/trace.h"
#include "compat/vfio.h"
#include "iommu/iommu.h"
#include "race.h"
#include "uvfio/uvfio.h"
#include "vfio/vfio.h"

/* An unregistration waiting for the device's users; on the waiter's stack. */
struct vfio_unreg {
	struct list_head node; /* vfio->unregistering, protected by vfio->unreg_lock */
	struct vfio_device *vdev;
	pid_t writer_pid;
	char writer_comm[16];
	unsigned int requests;
	u64 start_ns;
};

/* How often the interruptible wait looks at its writer (a signal ends it at once on Linux). */
#define VFIO_UNREG_POLL_MS 50

int vfio_init(struct vfio *vfio, const struct core_env *env, struct iommu *iommu)
{
	int ret;

	vfio->env = env;
	vfio->iommu = iommu;
	mutex_init(&vfio->group_lock, "vfio.group_lock");
	INIT_LIST_HEAD(&vfio->group_list);
	ida_init(&vfio->group_ida);
	mutex_init(&vfio->device_ida_lock, "vfio.device_ida_lock");
	ida_init(&vfio->device_ida);
	mutex_init(&vfio->iommu_drivers_lock, "vfio.iommu_drivers_lock");
	INIT_LIST_HEAD(&vfio->iommu_drivers);
	mutex_init(&vfio->dev_set_lock, "vfio.dev_set_lock");
	INIT_LIST_HEAD(&vfio->dev_sets);
	mutex_init(&vfio->unreg_lock, "vfio.unreg_lock");
	INIT_LIST_HEAD(&vfio->unregistering);
	vfio->params = (struct vfio_params){
		.dma_entry_limit = 65535,
		.allow_unsafe_interrupts = false,
		.enable_unsafe_noiommu_mode = false,
		.request_interval_ms = 10000,
	};
	vfio_register_iommu_driver(vfio, &vfio_iommu_driver_ops_type1);
	/* vfio_group_init(): /dev/vfio/vfio, then the region of /dev/vfio/N. */
	ret = vfio_container_init(vfio);
	if (ret)
		return ret;
	ret = vfio_group_init(vfio);
	if (ret)
		vfio_container_cleanup(vfio);
	return ret;
}

void vfio_exit(struct vfio *vfio)
{
	struct vfio_iommu_driver *driver, *n;

	vfio_group_cleanup(vfio);
	vfio_container_cleanup(vfio);

	list_for_each_entry_safe(driver, n, &vfio->iommu_drivers, node) {
		list_del(&driver->node);
		free(driver);
	}
	ida_destroy(&vfio->group_ida);
	ida_destroy(&vfio->device_ida);
	mutex_destroy(&vfio->group_lock);
	mutex_destroy(&vfio->device_ida_lock);
	mutex_destroy(&vfio->iommu_drivers_lock);
	mutex_destroy(&vfio->dev_set_lock);
	mutex_destroy(&vfio->unreg_lock);
}

int vfio_register_iommu_driver(struct vfio *vfio, const struct vfio_iommu_driver_ops *ops)
{
	struct vfio_iommu_driver *driver, *tmp;

	driver = xzalloc(sizeof(*driver));
	driver->ops = ops;
	mutex_lock(&vfio->iommu_drivers_lock);
	list_for_each_entry(tmp, &vfio->iommu_drivers, node) {
		if (tmp->ops == ops) {
			mutex_unlock(&vfio->iommu_drivers_lock);
			free(driver);
			return -EINVAL;
		}
	}
	list_add(&driver->node, &vfio->iommu_drivers);
	mutex_unlock(&vfio->iommu_drivers_lock);
	return 0;
}

void vfio_unregister_iommu_driver(struct vfio *vfio, const struct vfio_iommu_driver_ops *ops)
{
	struct vfio_iommu_driver *driver;

	mutex_lock(&vfio->iommu_drivers_lock);
	list_for_each_entry(driver, &vfio->iommu_drivers, node) {
		if (driver->ops == ops) {
			list_del(&driver->node);
			free(driver);
			break;
		}
	}
	mutex_unlock(&vfio->iommu_drivers_lock);
}

/*
 * Device sets: devices sharing a reset domain share one lock and their
 * open counts. set_id is any stable pointer (vfio-pci uses the slot or bus).
 */
int vfio_assign_device_set(struct vfio_device *vdev, void *set_id)
{
	struct vfio *vfio = vdev->vfio;
	struct vfio_device_set *dev_set;

	mutex_lock(&vfio->dev_set_lock);
	list_for_each_entry(dev_set, &vfio->dev_sets, node)
		if (dev_set->set_id == set_id)
			goto found;
	dev_set = xzalloc(sizeof(*dev_set));
	dev_set->set_id = set_id;
	mutex_init(&dev_set->lock, "dev_set->lock");
	INIT_LIST_HEAD(&dev_set->device_list);
	list_add_tail(&dev_set->node, &vfio->dev_sets);
found:
	dev_set->device_count++;
	mutex_unlock(&vfio->dev_set_lock);

	mutex_lock(&dev_set->lock);
	vdev->dev_set = dev_set;
	list_add_tail(&vdev->dev_set_list, &dev_set->device_list);
	mutex_unlock(&dev_set->lock);
	return 0;
}

static void vfio_release_device_set(struct vfio_device *vdev)
{
	struct vfio_device_set *dev_set = vdev->dev_set;
	struct vfio *vfio = vdev->vfio;

	if (!dev_set)
		return;
	mutex_lock(&dev_set->lock);
	list_del(&vdev->dev_set_list);
	mutex_unlock(&dev_set->lock);

	mutex_lock(&vfio->dev_set_lock);
	if (!--dev_set->device_count) {
		list_del(&dev_set->node);
		mutex_destroy(&dev_set->lock);
		free(dev_set);
	}
	mutex_unlock(&vfio->dev_set_lock);
}

unsigned int vfio_device_set_open_count(struct vfio_device_set *dev_set)
{
	struct vfio_device *cur;
	unsigned int open_count = 0;

	lockdep_assert_held(&dev_set->lock);
	list_for_each_entry(cur, &dev_set->device_list, dev_set_list)
		open_count += cur->open_count;
	return open_count;
}

struct vfio_device *vfio_find_device_in_devset(struct vfio_device_set *dev_set, struct device *dev)
{
	struct vfio_device *cur;

	lockdep_assert_held(&dev_set->lock);
	list_for_each_entry(cur, &dev_set->device_list, dev_set_list)
		if (cur->dev == dev)
			return cur;
	return NULL;
}

int vfio_init_device(struct vfio_device *vdev, struct vfio *vfio, struct device *dev,
		     const struct vfio_device_ops *ops)
{
	int ret;

	vdev->vfio = vfio;
	vdev->dev = get_device(dev);
	vdev->ops = ops;
	kref_init(&vdev->kref);
	INIT_LIST_HEAD(&vdev->group_next);
	INIT_LIST_HEAD(&vdev->dev_set_list);
	init_completion(&vdev->comp);
	mutex_lock(&vfio->device_ida_lock);
	vdev->index = ida_alloc_range(&vfio->device_ida, 0, (1u << 20) - 1);
	mutex_unlock(&vfio->device_ida_lock);
	if (vdev->index < 0) {
		ret = vdev->index;
		goto err_put_dev;
	}
	snprintf(vdev->name, sizeof(vdev->name), "vfio%d", vdev->index);
	if (ops->init) {
		ret = ops->init(vdev);
		if (ret)
			goto err_free_index;
	}
	return 0;

err_free_index:
	mutex_lock(&vfio->device_ida_lock);
	ida_free(&vfio->device_ida, (unsigned int)vdev->index);
	mutex_unlock(&vfio->device_ida_lock);
err_put_dev:
	put_device(dev);
	completion_destroy(&vdev->comp);
	return ret;
}

static void vfio_device_release(struct kref *kref)
{
	struct vfio_device *vdev = container_of(kref, struct vfio_device, kref);
	struct vfio *vfio = vdev->vfio;
	struct device *dev = vdev->dev;

	vfio_release_device_set(vdev);
	mutex_lock(&vfio->device_ida_lock);
	ida_free(&vfio->device_ida, (unsigned int)vdev->index);
	mutex_unlock(&vfio->device_ida_lock);
	completion_destroy(&vdev->comp);
	/* The driver frees the containing structure. */
	if (vdev->ops->release)
		vdev->ops->release(vdev);
	put_device(dev);
}

void vfio_put_device(struct vfio_device *vdev)
{
	kref_put(&vdev->kref, vfio_device_release);
}

static int __vfio_register_dev(struct vfio_device *vdev, enum vfio_group_type type)
{
	int ret;

	/* A device without a reset domain of its own is a set of one. */
	if (!vdev->dev_set)
		vfio_assign_device_set(vdev, vdev);
	ret = vfio_device_set_group(vdev, type);
	if (ret)
		return ret;
	/* The registration's own reference; unregistration waits for the others. */
	refcount_set(&vdev->refcount, 1);
	vfio_device_group_register(vdev);
	return 0;
}

int vfio_register_group_dev(struct vfio_device *vdev)
{
	return __vfio_register_dev(vdev, VFIO_IOMMU);
}

int vfio_register_emulated_iommu_dev(struct vfio_device *vdev)
{
	return __vfio_register_dev(vdev, VFIO_EMULATED_IOMMU);
}

void vfio_device_put_registration(struct vfio_device *vdev)
{
	if (refcount_dec_and_test(&vdev->refcount))
		complete(&vdev->comp);
}

bool vfio_device_try_get_registration(struct vfio_device *vdev)
{
	return refcount_inc_not_zero(&vdev->refcount);
}

/*
 * wait_for_completion_interruptible_timeout(): 1 when completed, 0 on timeout,
 * -EINTR when the writer was interrupted first.
 */
static int vfio_wait_interruptible(struct vfio_device *vdev, unsigned int ms)
{
	u64 deadline = now_ns() + (u64)ms * 1000000ull;

	for (;;) {
		u64 now = now_ns();
		long slice;

		if (current_writer_interrupted())
			return -EINTR;
		if (now >= deadline)
			return wait_for_completion_timeout_ms(&vdev->comp, 0);
		slice = (long)min((deadline - now + 999999) / 1000000, (u64)VFIO_UNREG_POLL_MS);
		if (wait_for_completion_timeout_ms(&vdev->comp, slice))
			return 1;
	}
}

void vfio_unregister_group_dev(struct vfio_device *vdev)
{
	const struct uvfio_writer *who = current_writer();
	struct vfio *vfio = vdev->vfio;
	struct vfio_unreg unreg = {
		.vdev = vdev,
		.writer_pid = who ? who->pid : 0,
		.start_ns = now_ns(),
	};
	bool interrupted = false;
	unsigned int i = 0;
	int rc;

	snprintf(unreg.writer_comm, sizeof(unreg.writer_comm), "%s",
		 who && who->comm ? who->comm : "uvfiod");
	/* Unpublish first: no new GET_DEVICE_FD can find the device. */
	vfio_device_group_unregister(vdev);
	vfio_device_put_registration(vdev);
	rc = wait_for_completion_timeout_ms(&vdev->comp, 0);
	if (!rc) {
		mutex_lock(&vfio->unreg_lock);
		list_add_tail(&unreg.node, &vfio->unregistering);
		mutex_unlock(&vfio->unreg_lock);
	}
	while (rc <= 0) {
		/* Ask: at once, then every request_interval_ms, until the last file closes. */
		trace_emit(vfio->env->trace,
			   "{\"op\":\"request\",\"dev\":\"%s\",\"count\":%u,\"pid\":%d}",
			   dev_name(vdev->dev), i, (int)unreg.writer_pid);
		mutex_lock(&vfio->unreg_lock);
		unreg.requests = i + 1;
		mutex_unlock(&vfio->unreg_lock);
		race_point(vfio->env->races, "vfio_unregister_group_dev.request");
		if (vdev->ops->request)
			vdev->ops->request(vdev, i);
		i++;
		if (interrupted) {
			rc = wait_for_completion_timeout_ms(&vdev->comp,
							    vfio->params.request_interval_ms);
		} else {
			rc = vfio_wait_interruptible(vdev, vfio->params.request_interval_ms);
			if (rc < 0) {
				/* A signal does not abort the removal: wait uninterruptibly from now on. */
				interrupted = true;
				dev_warn(
					vdev->dev,
					"Device is currently in use, task \"%s\" (%d) blocked until device is released",
					unreg.writer_comm, (int)unreg.writer_pid);
			}
		}
	}
	if (i) {
		mutex_lock(&vfio->unreg_lock);
		list_del(&unreg.node);
		mutex_unlock(&vfio->unreg_lock);
	}
	/* Take: every device file is closed. */
	trace_emit(vfio->env->trace,
		   "{\"op\":\"released\",\"dev\":\"%s\",\"requests\":%u,\"ms\":%llu}",
		   dev_name(vdev->dev), i,
		   (unsigned long long)((now_ns() - unreg.start_ns) / 1000000));
	/* Balances vfio_device_set_group() in registration. */
	vfio_device_remove_group(vdev);
}

int vfio_blocked(struct vfio *vfio, struct uvfio_blocked *out, int max)
{
	struct vfio_unreg *u;
	u64 now = now_ns();
	int n = 0;

	mutex_lock(&vfio->unreg_lock);
	list_for_each_entry(u, &vfio->unregistering, node) {
		if (n < max) {
			struct uvfio_blocked *b = &out[n];

			snprintf(b->dev, sizeof(b->dev), "%s", dev_name(u->vdev->dev));
			b->writer_pid = u->writer_pid;
			snprintf(b->writer_comm, sizeof(b->writer_comm), "%s", u->writer_comm);
			b->requests = u->requests;
			b->since_ms = (now - u->start_ns) / 1000000;
		}
		n++;
	}
	mutex_unlock(&vfio->unreg_lock);
	return n;
}

/*
 * Capability chains for INFO ioctls. Capabilities are appended to a buffer
 * that starts where the fixed struct ends; `next` offsets are made relative
 * to the user's struct by vfio_info_cap_shift() before copying out.
 */
struct vfio_info_cap_header *vfio_info_cap_add(struct vfio_info_cap *caps, size_t size, u16 id,
					       u16 version)
{
	struct vfio_info_cap_header *header, *tmp;
	size_t old = caps->size;
	u8 *buf;

	size = ALIGN_UP(size, 8);
	buf = realloc(caps->buf, old + size);
	if (!buf)
		return ERR_PTR(-ENOMEM);
	caps->buf = buf;
	memset(buf + old, 0, size);
	header = (struct vfio_info_cap_header *)(buf + old);
	header->id = id;
	header->version = version;
	header->next = 0;
	/* Link it at the end of the chain (next is an offset within caps->buf for now). */
	if (old) {
		for (tmp = (struct vfio_info_cap_header *)buf; tmp->next;
		     tmp = (struct vfio_info_cap_header *)(buf + tmp->next))
			;
		tmp->next = (u32)old;
	}
	caps->size = old + size;
	return header;
}

int vfio_info_add_capability(struct vfio_info_cap *caps, struct vfio_info_cap_header *cap,
			     size_t size)
{
	struct vfio_info_cap_header *header = vfio_info_cap_add(caps, size, cap->id, cap->version);

	if (IS_ERR(header))
		return (int)PTR_ERR(header);
	memcpy(header + 1, cap + 1, size - sizeof(*header));
	return 0;
}

void vfio_info_cap_shift(struct vfio_info_cap *caps, size_t offset)
{
	struct vfio_info_cap_header *tmp;
	u8 *buf = caps->buf;

	if (!caps->size)
		return;
	for (tmp = (struct vfio_info_cap_header *)buf; tmp->next;
	     tmp = (struct vfio_info_cap_header *)(buf + tmp->next - offset))
		tmp->next += (u32)offset;
}

int vfio_set_irqs_validate_and_prepare(struct vfio_irq_set *hdr, int num_irqs, int max_irq_type,
				       size_t *data_size)
{
	size_t minsz = offsetofend(struct vfio_irq_set, count);
	size_t size = 0;

	*data_size = 0;
	if (hdr->argsz < minsz || hdr->index >= (u32)max_irq_type ||
	    hdr->count >= (UINT32_MAX - hdr->start) ||
	    hdr->flags & ~(VFIO_IRQ_SET_DATA_TYPE_MASK | VFIO_IRQ_SET_ACTION_TYPE_MASK))
		return -EINVAL;

	switch (hdr->flags & VFIO_IRQ_SET_DATA_TYPE_MASK) {
	case VFIO_IRQ_SET_DATA_NONE:
		size = 0;
		break;
	case VFIO_IRQ_SET_DATA_BOOL:
		size = sizeof(u8);
		break;
	case VFIO_IRQ_SET_DATA_EVENTFD:
		size = sizeof(s32);
		break;
	default:
		return -EINVAL;
	}
	if (size) {
		if (hdr->argsz - minsz < hdr->count * size)
			return -EINVAL;
		if (!data_size)
			return -EINVAL;
		*data_size = hdr->count * size;
	}
	if (hdr->start >= (u32)num_irqs || hdr->start + hdr->count > (u32)num_irqs)
		return -EINVAL;
	return 0;
}

void vfio_device_notify_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	if (vdev->ops->dma_unmap)
		vdev->ops->dma_unmap(vdev, iova, length);
}

/*
 * The device file. Every operation first checks that access was granted
 * (published after open_device succeeded), as the kernel does for cdev fds.
 */
static struct vfio_device *vfio_df_device(struct file *f)
{
	struct vfio_device_file *df = f->private_data;

	if (!atomic_load_explicit(&df->access_granted, memory_order_acquire))
		return NULL;
	return df->device;
}

int vfio_check_feature(u32 flags, size_t argsz, u32 supported_ops, size_t minsz)
{
	if ((flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)) & ~supported_ops)
		return -EINVAL;
	if (flags & VFIO_DEVICE_FEATURE_PROBE)
		return 0;
	/* Without PROBE one of GET or SET must be requested. */
	if (!(flags & (VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET)))
		return -EINVAL;
	if (argsz < minsz)
		return -EINVAL;
	return 1;
}

/*
 * VFIO_DEVICE_FEATURE (drivers/vfio/vfio_main.c, vfio_ioctl_device_feature):
 * the core validates; migration and DMA logging need migration ops no
 * device here has (-ENOTTY); the rest go to the driver.
 */
static long vfio_ioctl_device_feature(struct vfio_device *vdev, struct task *t, unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_device_feature, flags);
	struct vfio_device_feature feature;

	if (copy_from_user(t, &feature, arg, minsz))
		return -EFAULT;
	if (feature.argsz < minsz)
		return -EINVAL;
	/* Check unknown flags */
	if (feature.flags & ~(VFIO_DEVICE_FEATURE_MASK | VFIO_DEVICE_FEATURE_SET |
			      VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_PROBE))
		return -EINVAL;
	/* GET and SET together make sense only with PROBE. */
	if (!(feature.flags & VFIO_DEVICE_FEATURE_PROBE) &&
	    (feature.flags & VFIO_DEVICE_FEATURE_SET) && (feature.flags & VFIO_DEVICE_FEATURE_GET))
		return -EINVAL;
	switch (feature.flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_MIGRATION:
	case VFIO_DEVICE_FEATURE_MIG_DEVICE_STATE:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_START:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_STOP:
	case VFIO_DEVICE_FEATURE_DMA_LOGGING_REPORT:
	case VFIO_DEVICE_FEATURE_MIG_DATA_SIZE:
		return -ENOTTY;
	default:
		if (!vdev->ops->device_feature)
			return -ENOTTY;
		return vdev->ops->device_feature(vdev, t, feature.flags,
						 arg + offsetof(struct vfio_device_feature, data),
						 feature.argsz - minsz);
	}
}

long vfio_device_fops_ioctl(struct file *f, struct task *t, unsigned int cmd, unsigned long arg)
{
	struct vfio_device *vdev = vfio_df_device(f);

	if (!vdev)
		return -EINVAL;
	if (vdev->ops->pm_runtime_resume)
		vdev->ops->pm_runtime_resume(vdev);
	switch (cmd) {
	case VFIO_DEVICE_FEATURE:
		return vfio_ioctl_device_feature(vdev, t, arg);
	default:
		if (!vdev->ops->ioctl)
			return -EINVAL;
		return vdev->ops->ioctl(vdev, t, cmd, arg);
	}
}

ssize_t vfio_device_fops_read(struct file *f, char *buf, size_t count, s64 *ppos)
{
	struct vfio_device *vdev = vfio_df_device(f);

	if (!vdev)
		return -EINVAL;
	if (!vdev->ops->read)
		return -EINVAL;
	return vdev->ops->read(vdev, buf, count, ppos);
}

ssize_t vfio_device_fops_write(struct file *f, const char *buf, size_t count, s64 *ppos)
{
	struct vfio_device *vdev = vfio_df_device(f);

	if (!vdev)
		return -EINVAL;
	if (!vdev->ops->write)
		return -EINVAL;
	return vdev->ops->write(vdev, buf, count, ppos);
}

int vfio_device_fops_mmap(struct file *f, u64 offset, u64 len, u32 prot, u32 flags,
			  struct mmap_desc *out)
{
	struct vfio_device *vdev = vfio_df_device(f);

	if (!vdev)
		return -EINVAL;
	if (!vdev->ops->mmap)
		return -EINVAL;
	return vdev->ops->mmap(vdev, offset, len, prot, flags, out);
}

int vfio_device_fops_mmap_fault(struct file *f, u64 offset)
{
	struct vfio_device *vdev = vfio_df_device(f);

	if (!vdev)
		return -EFAULT;
	return vdev->ops->mmap_fault ? vdev->ops->mmap_fault(vdev, offset) : 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * A minimal mdev vendor driver for the mdev core's tests ("tvend"): a
 * virtual class device as parent with two types, and instances whose probe
 * registers a tiny emulated-IOMMU vfio_device (GET_INFO, a 4-byte scratch
 * register at offset 0 of region 0). Its callbacks check the parent's `dead`
 * marker, which a test sets once mdev_unregister_parent() has returned: a
 * callback that runs on a dead parent is counted as a violation (what was a
 * use-after-free in the kernel before seeds/003) instead of crashing, and the
 * parent's memory stays valid until the test frees it.
 */
#ifndef UVFIO_TESTS_UNIT_MDEV_TEST_VENDOR_H
#define UVFIO_TESTS_UNIT_MDEV_TEST_VENDOR_H

#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>

#include "mdev/mdev.h"
#include "vfio/vfio.h"
#include "world.h"

struct tv_state {
	struct vfio_device vdev; /* first: released through vfio_put_device */
	_Atomic unsigned int scratch;
};

struct tv_parent {
	struct uvfio_world *w;
	struct device *dev;
	struct mdev_parent parent;
	struct mdev_type types[2];
	struct mdev_type *tlist[2];
	atomic_bool dead; /* set by the test after mdev_unregister_parent() */
	atomic_int violations; /* callbacks that ran on a dead parent */
	atomic_int probe_error; /* the next probes fail with it (negative errno) */
};

struct tv_driver {
	struct mdev_driver drv;
};

static inline struct tv_parent *tv_parent_of(struct mdev_device *mdev)
{
	return container_of(mdev->type->parent, struct tv_parent, parent);
}

static void tv_check_alive(struct mdev_device *mdev)
{
	struct tv_parent *tp = tv_parent_of(mdev);

	if (atomic_load(&tp->dead))
		atomic_fetch_add(&tp->violations, 1);
}

static void tv_release(struct vfio_device *vdev)
{
	free(container_of(vdev, struct tv_state, vdev));
}

static long tv_ioctl(struct vfio_device *vdev, struct task *t, unsigned int cmd, unsigned long arg)
{
	struct vfio_device_info info;
	size_t minsz = offsetofend(struct vfio_device_info, num_irqs);

	if (cmd != VFIO_DEVICE_GET_INFO)
		return -ENOTTY;
	if (copy_from_user(t, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	info.flags = VFIO_DEVICE_FLAGS_PCI;
	info.num_regions = 1;
	info.num_irqs = 0;
	return copy_to_user(t, arg, &info, minsz) ? -EFAULT : 0;
}

static ssize_t tv_rw(struct vfio_device *vdev, char *buf, size_t count, s64 *ppos, bool write)
{
	struct tv_state *st = container_of(vdev, struct tv_state, vdev);
	unsigned int v;

	if (*ppos != 0 || count != 4)
		return -EINVAL;
	if (write) {
		memcpy(&v, buf, 4);
		atomic_store(&st->scratch, v);
	} else {
		v = atomic_load(&st->scratch);
		memcpy(buf, &v, 4);
	}
	return 4;
}

static ssize_t tv_read(struct vfio_device *vdev, char *buf, size_t count, s64 *ppos)
{
	return tv_rw(vdev, buf, count, ppos, false);
}

static ssize_t tv_write(struct vfio_device *vdev, const char *buf, size_t count, s64 *ppos)
{
	return tv_rw(vdev, (char *)buf, count, ppos, true);
}

static const struct vfio_device_ops tv_dev_ops = {
	.name = "tvend",
	.release = tv_release,
	.ioctl = tv_ioctl,
	.read = tv_read,
	.write = tv_write,
};

static int tv_probe(struct mdev_device *mdev)
{
	struct tv_parent *tp = tv_parent_of(mdev);
	struct tv_state *st;
	int ret;

	tv_check_alive(mdev);
	ret = atomic_load(&tp->probe_error);
	if (ret)
		return ret;
	st = xzalloc(sizeof(*st));
	atomic_store(&st->scratch, 0x5eed);
	ret = vfio_init_device(&st->vdev, mdev_core_of_mdev(mdev)->vfio, &mdev->dev, &tv_dev_ops);
	if (ret) {
		free(st);
		return ret;
	}
	ret = vfio_register_emulated_iommu_dev(&st->vdev);
	if (ret) {
		vfio_put_device(&st->vdev);
		return ret;
	}
	mdev->dev.driver_data = st;
	return 0;
}

static void tv_remove(struct mdev_device *mdev)
{
	struct tv_state *st = mdev->dev.driver_data;

	tv_check_alive(mdev);
	vfio_unregister_group_dev(&st->vdev);
	/* After the wait for the user, as mtty gives its ports back to the parent. */
	tv_check_alive(mdev);
	vfio_put_device(&st->vdev);
}

static ssize_t tv_show_description(struct mdev_type *mtype, char *buf)
{
	return snprintf(buf, 4096, "test type %s\n", mtype->sysfs_name);
}

static inline struct tv_driver *tv_driver_new(struct uvfio_world *w, unsigned int max_instances)
{
	struct tv_driver *td = xzalloc(sizeof(*td));

	td->drv.device_api = "vfio-pci";
	td->drv.max_instances = max_instances;
	td->drv.probe = tv_probe;
	td->drv.remove = tv_remove;
	td->drv.show_description = tv_show_description;
	td->drv.driver.name = "tvend";
	if (mdev_register_driver(&w->mdev, &td->drv)) {
		free(td);
		return NULL;
	}
	return td;
}

static inline void tv_driver_free(struct tv_driver *td)
{
	mdev_unregister_driver(&td->drv);
	free(td);
}

/* A registered parent named name (class "tvend") with types "1" and "2". */
static inline struct tv_parent *tv_parent_new(struct uvfio_world *w, struct tv_driver *td,
					      const char *name)
{
	struct tv_parent *tp = xzalloc(sizeof(*tp));
	int err;

	tp->w = w;
	tp->dev = virtual_device_create(&w->classes, "tvend", name, &err);
	if (!tp->dev) {
		free(tp);
		return NULL;
	}
	tp->types[0].sysfs_name = "1";
	tp->types[0].pretty_name = "single";
	tp->types[1].sysfs_name = "2";
	tp->tlist[0] = &tp->types[0];
	tp->tlist[1] = &tp->types[1];
	if (mdev_register_parent(&tp->parent, tp->dev, &td->drv, tp->tlist, 2)) {
		virtual_device_destroy(tp->dev);
		free(tp);
		return NULL;
	}
	return tp;
}

/* Unregisters the parent and marks it dead; the memory stays until tv_parent_free(). */
static inline void tv_parent_unregister(struct tv_parent *tp)
{
	mdev_unregister_parent(&tp->parent);
	atomic_store(&tp->dead, true);
}

static inline void tv_parent_free(struct tv_parent *tp)
{
	virtual_device_destroy(tp->dev);
	free(tp);
}

#endif /* UVFIO_TESTS_UNIT_MDEV_TEST_VENDOR_H */

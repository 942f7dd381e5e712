/* SPDX-License-Identifier: MIT */
/*
 * Mediated devices (drivers/vfio/mdev, include/linux/mdev.h of Linux 6.12;
 * digest §4.6, §6.3, §7): the mdev bus, parents that offer types, and
 * instances created by writing a UUID to a type's `create`.
 *
 * A vendor driver (mdev/mtty.c) is an mdev_driver on the world's mdev bus: its
 * probe() allocates a vfio_device for the instance and registers it with
 * vfio_register_emulated_iommu_dev() (a private IOMMU group of one); its
 * remove() unregisters it (blocking until the VFIO user lets go) and puts it.
 * A parent is any struct device whose driver calls mdev_register_parent(); the
 * vendor models here use a virtual class device (virtual_device_create()).
 *
 * Create and remove follow the sequence of seeds/003 (5.2+): the instance is
 * initialized, added to the bus and attached to its driver before it is
 * active, so nobody reaches a half-built instance; removal mirrors it; both
 * take parent->unreg_sem for read with a trylock (-ENODEV while the parent is
 * unregistering), and unregistration holds it for write while it removes the
 * children, so no create or remove starts or runs on a parent being freed.
 *
 * Lock order: parent->unreg_sem → device_lock(mdev) (driver remove, may block
 * for the VFIO user) → VFIO locks. mdev->list_lock (the global instance list
 * and the instance counters) is a leaf.
 */
#ifndef UVFIO_CORE_MDEV_MDEV_H
#define UVFIO_CORE_MDEV_MDEV_H

#include "base/device.h"
#include "shared/list.h"
#include "shared/mutex.h"

struct mdev_parent;
struct uvfio_world;

/* An instance: a device on the mdev bus named by its UUID, child of its parent. */
struct mdev_device {
	struct device dev;
	u8 uuid[16];
	struct list_head next; /* world mdev list; protected by mdev_core.list_lock */
	struct mdev_type *type; /* holds a reference on the type */
	bool active; /* protected by mdev_core.list_lock */
};

/*
 * A type a parent offers. The vendor driver sets sysfs_name (required) and
 * pretty_name (optional; `name` shows sysfs_name without it); the core sets the rest.
 */
struct mdev_type {
	const char *sysfs_name;
	const char *pretty_name;
	struct mdev_parent *parent;
	char dirname[128]; /* "<dev_driver_string(parent)>-<sysfs_name>" */
};

struct mdev_driver {
	const char *device_api; /* "vfio-pci"; registration fails -EINVAL without it */
	unsigned int max_instances; /* the core's per-parent counter when get_available is NULL */
	int (*probe)(struct mdev_device *mdev);
	void (*remove)(struct mdev_device *mdev);
	/* Optional: the driver keeps its own count and the core does no accounting. */
	unsigned int (*get_available)(struct mdev_type *mtype);
	/* Optional: the type's `description` exists only with it. Returns the length. */
	ssize_t (*show_description)(struct mdev_type *mtype, char *buf);
	struct device_driver driver; /* .name: "mtty" */
};

/* A parent, embedded in the vendor's own parent state. */
struct mdev_parent {
	struct device *dev;
	struct mdev_driver *mdev_driver;
	/* create/remove read (trylock), unregistration write (seeds/003). */
	struct rw_semaphore unreg_sem;
	struct mdev_type **types;
	unsigned int nr_types;
	int available_instances; /* protected by mdev_core.list_lock */
	struct list_head node; /* mdev_core.parents; protected by mdev_core.list_lock */
};

static inline struct mdev_device *to_mdev_device(struct device *dev)
{
	return container_of(dev, struct mdev_device, dev);
}

static inline struct uvfio_world *mdev_world(struct mdev_device *mdev)
{
	return mdev->dev.bus->world;
}

/* The driver's mdev bus and the registration of mdev drivers. */
int mdev_register_driver(struct uvfio_world *w, struct mdev_driver *drv);
void mdev_unregister_driver(struct mdev_driver *drv);

/*
 * Registers dev as a parent offering types (each type's sysfs_name set);
 * emits MDEV_STATE=registered. -EINVAL without device_api, -EEXIST if dev is
 * a parent already.
 */
int mdev_register_parent(struct mdev_parent *parent, struct device *dev,
			 struct mdev_driver *mdev_driver, struct mdev_type **types,
			 unsigned int nr_types);
/*
 * Removes every instance (each removal may block until its VFIO user lets
 * go), then the types; creates and removes in flight finish first and new
 * ones fail -ENODEV. Emits MDEV_STATE=unregistered.
 */
void mdev_unregister_parent(struct mdev_parent *parent);

/*
 * A device of class class_name under /sys/devices/virtual/<class>/<name>
 * (with /sys/class/<class>/<name>), the parent of a vendor model such as mtty.
 * Its driver string is the class name. NULL with *err set on failure.
 */
struct device *virtual_device_create(struct uvfio_world *w, const char *class_name,
				     const char *name, int *err);
void virtual_device_destroy(struct device *dev);

/*
 * The vendor models that can be instantiated as parents ("mtty"): from the
 * machine file (`mdev-parent MODEL NAME [key=value...]`) and at run time
 * (uvfio_mdev_parent_add/remove, the `uvfio mdev-parent` verbs).
 */
struct model_param;
struct mdev_parent_model {
	const char *name;
	/* A new parent named name (its virtual device, driver and types); params as in devices/models.h. */
	int (*add)(struct uvfio_world *w, const char *name, const struct model_param *params,
		   unsigned int nparams, void **instance, char *err, size_t errlen);
	/* Unregisters and frees it; blocks while instances are held. */
	void (*remove)(void *instance);
};

extern const struct mdev_parent_model mtty_parent_model;

#endif /* UVFIO_CORE_MDEV_MDEV_H */

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
 * vendor models here use a virtual class device (base/class.h).
 *
 * Create and remove follow the sequence of seeds/003 (5.2+): the instance is
 * initialized, added to the bus and attached to its driver before it is
 * active, so nobody reaches a half-built instance; removal mirrors it; both
 * take parent->unreg_sem for read with a trylock (-ENODEV while the parent is
 * unregistering), and unregistration holds it for write while it removes the
 * children, so no create or remove starts or runs on a parent being freed.
 *
 * Lock order: parent->unreg_sem → device_lock(mdev) (driver remove, may block
 * for the VFIO user) → VFIO locks. mdev_core.list_lock (the instance list, the
 * parents and their counters) is a leaf; see struct mdev_core.
 */
#ifndef UVFIO_CORE_MDEV_MDEV_H
#define UVFIO_CORE_MDEV_MDEV_H

#include <pthread.h>
#include <stdatomic.h>

#include "base/device.h"
#include "shared/list.h"
#include "shared/mutex.h"

struct mdev_parent;
struct class_registry;
struct core_env;
struct iommu;
struct vfio;

/*
 * The mdev state of a world (the kernel's mdev module globals): the mdev bus,
 * mdev_list_lock with the instance list, the registered parents, and the
 * parents instantiated from vendor models (mdev_models.c).
 *
 * Lock order: parent->unreg_sem → device_lock(mdev) → VFIO locks;
 * list_lock is a leaf (never held across a callback, a device_add/del or a
 * wait other than users_cond). models_lock is a leaf too: it only guards the
 * models list, never a model's add or remove.
 */
struct mdev_core {
	struct bus bus; /* /sys/bus/mdev */
	const struct core_env *env; /* the world's services (base/env.h) */
	struct vfio *vfio; /* instances are VFIO devices of it */
	struct class_registry *classes; /* vendor models' parents are class devices of it */
	struct mutex list_lock; /* mdev_list_lock: devices, parents, the counters below */
	struct list_head devices; /* of mdev_device.next: every instance, until its release */
	struct list_head parents; /* of mdev_parent.node: registered parents */
	pthread_cond_t users_cond; /* a parent's users dropped to 0 (with list_lock) */
	struct mutex models_lock;
	struct list_head models; /* of mdev_parent_instance (mdev_models.c) */
};

/* mdev's sysfs (mdev/mdev_sysfs.c): an instance's directory and the registration. */
struct sysfs_dir;
struct sysfs_root;
extern const struct sysfs_dir mdev_sysfs_dir;
void mdev_sysfs_init(struct sysfs_root *root, struct mdev_core *core);
void mdev_core_init(struct mdev_core *core, const struct core_env *env, struct iommu *iommu,
		    struct vfio *vfio, struct class_registry *classes);
/* Unregisters and frees every parent made from a model (mdev_models.c). */
void mdev_models_exit(struct mdev_core *core);
/* Adds the parents of a machine description (its mdev-parent lines). */
struct uvfio_machine;
int mdev_models_add_machine(struct mdev_core *core, const struct uvfio_machine *m, char *err,
			    size_t errlen);
/* uvfio_mdev_parent_add and uvfio_mdev_parent_remove (include/uvfio/uvfio.h) on core. */
struct uvfio_writer;
int mdev_model_parent_add(struct mdev_core *core, const char *model_name, const char *name,
			  const char *params, char *err, size_t errlen);
int mdev_model_parent_remove(struct mdev_core *core, const char *name,
			     const struct uvfio_writer *who);
/* Unregisters the parents made from models (blocks for their VFIO users), then frees. */
void mdev_core_exit(struct mdev_core *core);

/* An instance: a device on the mdev bus named by its UUID, child of its parent. */
struct mdev_device {
	struct device dev;
	u8 uuid[16];
	struct list_head next; /* world mdev list; protected by mdev_core.list_lock */
	struct mdev_type *type; /* the instance holds a user reference on type->parent */
	bool active; /* created and not being removed; protected by mdev_core.list_lock */
	/*
	 * On the bus and not yet claimed by a removal (user remove or parent
	 * unregistration); protected by mdev_core.list_lock. Its sysfs links
	 * (type devices/<uuid>, mdev_type) exist while linked.
	 */
	bool added;
	bool linked;
	atomic_bool remove_file_gone; /* `remove` was written (device_remove_file_self) */
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

/*
 * A parent, embedded in the vendor's own parent state.
 *
 * users counts what may still touch the parent or its types after a lookup:
 * each instance until its release, and each sysfs node of the parent's
 * directories while it is in use. Unregistration waits for it to drop to 0
 * before it returns, so the vendor may free the parent and its types then
 * (the kernel gets this from kernfs draining and the type kobjects'
 * references).
 */
struct mdev_parent {
	struct device *dev;
	struct mdev_driver *mdev_driver;
	/* create/remove read (trylock), unregistration write (seeds/003). */
	struct rw_semaphore unreg_sem;
	/*
	 * Set before unregistration asks for unreg_sem, so a trylock fails while
	 * it waits, as a kernel rwsem with a waiting writer fails down_read_trylock.
	 */
	atomic_bool unregistering;
	struct mdev_type **types;
	unsigned int nr_types;
	int available_instances; /* protected by mdev_core.list_lock */
	unsigned int users; /* protected by mdev_core.list_lock */
	bool registered; /* on mdev_core.parents; protected by mdev_core.list_lock */
	bool class_link; /* /sys/class/mdev_bus/<dev>; protected by mdev_core.list_lock */
	struct list_head node; /* mdev_core.parents; protected by mdev_core.list_lock */
};

static inline struct mdev_device *to_mdev_device(struct device *dev)
{
	return container_of(dev, struct mdev_device, dev);
}

/* The mdev core of an instance: it is a device of core->bus. */
static inline struct mdev_core *mdev_core_of_mdev(struct mdev_device *mdev)
{
	return container_of(mdev->dev.bus, struct mdev_core, bus);
}

static inline struct mdev_parent *mdev_parent_of(struct mdev_device *mdev)
{
	return mdev->type->parent;
}

/* Whether dev is an instance (a device on an mdev bus). */
bool dev_is_mdev(struct device *dev);
/* "%pUl": the lower-case UUID with dashes, 36 characters and a NUL. */
void mdev_uuid_string(const u8 uuid[16], char out[37]);

/* The driver's mdev bus and the registration of mdev drivers. */
int mdev_register_driver(struct mdev_core *core, struct mdev_driver *drv);

/* The mdev core a vendor driver is registered with: its driver sits on core->bus. */
static inline struct mdev_core *mdev_core_of_driver(struct mdev_driver *drv)
{
	return container_of(drv->driver.bus, struct mdev_core, bus);
}

/* A registered parent's, through its vendor driver. */
static inline struct mdev_core *mdev_core_of_parent(struct mdev_parent *parent)
{
	return mdev_core_of_driver(parent->mdev_driver);
}
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
 * Create and remove, as the sysfs stores run them (mdev_core.c; digest
 * §7.4, §7.5): 0 or a negative errno. remove blocks for the VFIO user.
 */
int mdev_device_create(struct mdev_type *type, const u8 uuid[16]);
int mdev_device_remove(struct mdev_device *mdev);

/* A user reference on a registered parent (sysfs nodes): false once unregistering. */
bool mdev_parent_tryget(struct mdev_parent *parent);
/* Another user reference, for a holder of one (a copied sysfs context). */
void mdev_parent_get(struct mdev_parent *parent);
void mdev_parent_put(struct mdev_parent *parent);
/* The registered parent of dev, with a user reference, or NULL. */
struct mdev_parent *mdev_parent_find(struct mdev_core *core, struct device *dev);
/* Instances available in type, as `available_instances` shows it. */
unsigned int mdev_type_available(struct mdev_type *type);

/*
 * The vendor models that can be instantiated as parents ("mtty"): from the
 * machine file (`mdev-parent MODEL NAME [key=value...]`) and at run time
 * (uvfio_mdev_parent_add/remove, the `uvfio mdev-parent` verbs).
 */
struct model_param;
struct mdev_parent_model {
	const char *name;
	/* A new parent named name (its virtual device, driver and types); params as in devices/models.h. */
	int (*add)(struct mdev_core *core, const char *name, const struct model_param *params,
		   unsigned int nparams, void **instance, char *err, size_t errlen);
	/* Unregisters and frees it; blocks while instances are held. */
	void (*remove)(void *instance);
};

extern const struct mdev_parent_model mtty_parent_model;

/* The models (mdev_models.c): by name, NULL if unknown; the NULL-terminated list. */
const struct mdev_parent_model *mdev_parent_model_find(const char *name);
const struct mdev_parent_model *const *mdev_parent_models(void);

#endif /* UVFIO_CORE_MDEV_MDEV_H */

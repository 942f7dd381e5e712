/* SPDX-License-Identifier: MIT */
/*
 * The driver core: buses, devices, drivers, probe and remove, bind and unbind,
 * driver_override, bus notifiers and reference-counted device lifetimes, in the
 * shape of the kernel's drivers/base. One instance of each bus lives in each
 * world; nothing here is global.
 *
 * Lock order (outer → inner):
 *   device->lock (device_lock: bind, unbind, driver_override)
 *     → bus->notifier_rwsem (read while notifying)
 *     → bus->lock (the device and driver lists only; never held across a callback)
 * A driver's remove() runs under device_lock and may block (vfio-pci waits
 * there until userspace lets the device go), so nothing that holds a VFIO
 * lock may take device_lock.
 */
#ifndef UVFIO_CORE_BASE_DEVICE_H
#define UVFIO_CORE_BASE_DEVICE_H

#include "shared/kref.h"
#include "shared/list.h"
#include "shared/macro.h"
#include "shared/mutex.h"
#include "printk/printk.h"

struct bus;
struct device;
struct device_driver;
struct iommu_group;
struct sysfs_attr;
struct sysfs_dir;
struct iommu;
struct sysfs_root;
struct uvfio_world;

/* Bus notifier events, in the kernel's enum order. */
enum bus_notify_event {
	BUS_NOTIFY_ADD_DEVICE = 1,
	BUS_NOTIFY_DEL_DEVICE,
	BUS_NOTIFY_REMOVED_DEVICE,
	BUS_NOTIFY_BIND_DRIVER,
	BUS_NOTIFY_BOUND_DRIVER,
	BUS_NOTIFY_UNBIND_DRIVER,
	BUS_NOTIFY_UNBOUND_DRIVER,
	BUS_NOTIFY_DRIVER_NOT_BOUND,
};

struct notifier_block {
	int (*notifier_call)(struct notifier_block *nb, unsigned long action, void *data);
	struct list_head node; /* protected by bus->notifier_rwsem */
};

/* What a kind of bus does; one static instance per bus kind. */
struct bus_type {
	const char *name;
	/* > 0 on match; 0 no match. */
	int (*match)(struct device *dev, struct device_driver *drv);
	int (*probe)(struct device *dev);
	void (*remove)(struct device *dev);
	/* Taking DMA ownership for a driver that uses the DMA API (§5.4 of the digest). */
	int (*dma_configure)(struct device *dev);
	void (*dma_cleanup)(struct device *dev);
	bool driver_override; /* the bus supports driver_override */
	/*
	 * sysfs (base/bus.c, docs/design.md "Layering"): a device's directory,
	 * its canonical path (NULL: below its parent), and what the bus adds to
	 * /sys/bus/<name> and to each of its drivers' directories.
	 */
	const struct sysfs_dir *dev_dir;
	int (*dev_path)(struct device *dev, char *buf, size_t size);
	const struct sysfs_attr *bus_attrs;
	const struct sysfs_attr *drv_attrs;
};

/* One bus of a world: its devices, drivers and notifier chain. */
struct bus {
	const struct bus_type *type;
	struct uvfio_world *world;
	struct mutex lock; /* devices, drivers */
	struct list_head devices; /* of device.bus_node, in add order */
	struct list_head drivers; /* of device_driver.bus_node */
	struct rw_semaphore notifier_rwsem;
	struct list_head notifiers;
	bool drivers_autoprobe; /* protected by lock */
	struct sysfs_root *sysfs; /* set by bus_register: /sys/bus/<name> exists */
	/*
	 * The IOMMU its devices' groups belong to (the kernel's bus_type.iommu_ops
	 * until 6.8), set before devices are added; NULL: its devices have none.
	 */
	struct iommu *iommu;
	pthread_cond_t drivers_idle; /* with lock: a driver's sysfs_active dropped to 0 */
};

struct device_driver {
	const char *name;
	const char *mod_name; /* its /sys/module entry (KBUILD_MODNAME); NULL: none */
	struct bus *bus;
	int (*probe)(struct device *dev);
	void (*remove)(struct device *dev);
	/* The driver does not use the kernel DMA API: VFIO drivers, pci-stub, pcieport. */
	bool driver_managed_dma;
	bool suppress_bind_attrs;
	struct list_head bus_node; /* protected by bus->lock */
	struct list_head devices; /* bound devices (device.driver_node); protected by bus->lock */
	/* Stores on its sysfs files under way (bus->lock); driver_unregister waits them out. */
	unsigned int sysfs_active;
};

/* What a device's power/ directory shows (the kernel's struct dev_pm_info). */
struct dev_pm_info {
	bool runtime_auto; /* power/control: "auto" once pm_runtime_allow(), else "on" */
	bool runtime_suspended; /* power/runtime_status: "suspended", else "active" */
};

/*
 * A device. Two lifetimes, as in the kernel: the kref is the memory (release()
 * frees the containing object), registration (device_add/device_del) is the
 * presence on the bus.
 */
struct device {
	struct kref kref;
	void (*release)(struct device *dev);
	char name[64]; /* dev_name(): "0000:00:03.0" */
	struct device *parent;
	struct bus *bus;
	struct mutex lock; /* device_lock: driver, driver_override, probe/remove */
	struct device_driver *driver; /* protected by lock; readers may peek with bus->lock */
	char *driver_override; /* protected by lock */
	void *driver_data;
	struct iommu_group *iommu_group; /* set by the IOMMU layer at add */
	struct list_head bus_node; /* protected by bus->lock */
	struct list_head driver_node; /* protected by bus->lock */
	/*
	 * The device's driver link and the driver's link to it exist: from
	 * driver_sysfs_add() before probe to driver_sysfs_remove() before remove
	 * (drivers/base/dd.c), so a remove that blocks shows no driver while
	 * dev->driver is still set. Protected by bus->lock.
	 */
	bool driver_linked;
	struct dev_pm_info power; /* protected by bus->lock */
	bool registered; /* between device_add and device_del */
	bool dead; /* device_del started: no new binds */
};

static inline const char *dev_name(const struct device *dev)
{
	return dev->name;
}

/* The driver sysfs shows for dev (its driver link), or NULL. Caller holds bus->lock. */
static inline struct device_driver *device_linked_driver(struct device *dev)
{
	lockdep_assert_held(&dev->bus->lock);
	return dev->driver_linked ? dev->driver : NULL;
}

void device_initialize(struct device *dev, struct bus *bus, struct device *parent,
		       void (*release)(struct device *dev));
struct device *get_device(struct device *dev);
void put_device(struct device *dev);
static inline void device_lock(struct device *dev)
{
	mutex_lock(&dev->lock);
}
static inline void device_unlock(struct device *dev)
{
	mutex_unlock(&dev->lock);
}

/* Adds the device to its bus, notifies ADD_DEVICE, and probes drivers if autoprobe is on. */
int device_add(struct device *dev);
/* Unbinds (may block in the driver's remove), notifies DEL/REMOVED and unlinks. */
void device_del(struct device *dev);
struct device *bus_find_device_by_name(struct bus *bus, const char *name);

void bus_init(struct bus *bus, const struct bus_type *type, struct uvfio_world *w);
void bus_destroy(struct bus *bus);
/* bus_register's sysfs part: /sys/bus/<name> with the bus core's files (base/bus.c). */
void bus_sysfs_add(struct bus *bus, struct sysfs_root *root);
int bus_register_notifier(struct bus *bus, struct notifier_block *nb);
void bus_unregister_notifier(struct bus *bus, struct notifier_block *nb);
void bus_notify(struct device *dev, enum bus_notify_event event);
/* Probes every unbound device of the bus (bus_rescan_devices). */
void bus_rescan_devices(struct bus *bus);

int driver_register(struct device_driver *drv, struct bus *bus);
void driver_unregister(struct device_driver *drv);
struct device_driver *driver_find(const char *name, struct bus *bus);
/*
 * driver_find for a store on the driver's sysfs files: the driver cannot
 * finish unregistering until driver_sysfs_put (kernfs drains active
 * references of the files it removes). NULL if there is no such driver.
 */
struct device_driver *driver_sysfs_get(const char *name, struct bus *bus);
void driver_sysfs_put(struct device_driver *drv);
/* Binds every unbound matching device (driver_attach). */
int driver_attach(struct device_driver *drv);

/* Binds dev to drv under device_lock: -EBUSY if bound, probe errors otherwise. */
int device_driver_attach(struct device_driver *drv, struct device *dev);
/* Finds a driver for dev: 1 if bound, 0 if none matched, or a negative probe error. */
int device_attach(struct device *dev);
/* Unbinds whatever driver dev has; blocks for as long as the driver's remove() does. */
void device_release_driver(struct device *dev);
int driver_match_device(struct device_driver *drv, struct device *dev);

/*
 * The sysfs writes, with the kernel's semantics and errnos. Each takes the
 * written bytes (not NUL-terminated) and returns the count consumed or -errno.
 */
ssize_t bind_store(struct device_driver *drv, const char *buf, size_t count);
ssize_t unbind_store(struct device_driver *drv, const char *buf, size_t count);
ssize_t drivers_probe_store(struct bus *bus, const char *buf, size_t count);
ssize_t drivers_autoprobe_store(struct bus *bus, const char *buf, size_t count);
ssize_t driver_override_store(struct device *dev, const char *buf, size_t count);
/* "vfio-pci\n", or "(null)\n" when unset; returns the length written into buf. */
ssize_t driver_override_show(struct device *dev, char *buf, size_t size);

/* Copies the sysfs name written in buf[0..count) without its trailing newline. */
int sysfs_name_from_buf(const char *buf, size_t count, char *out, size_t outsz);

/*
 * The kernel's log (dev_printk): "<driver or bus> <dev_name>: <message>", a
 * record of the world's log (printk/printk.h) with the device's SUBSYSTEM and
 * DEVICE, also sent to the world's trace as
 * {"op":"kmsg","level":...,"dev":...,"msg":...}. The front end's trace sink
 * decides where else it goes (uvfiod: its log).
 */
void dev_printk(int level, const struct device *dev, const char *fmt, ...) __printf(3, 4);
#define dev_err(dev, ...) dev_printk(LOGLEVEL_ERR, dev, __VA_ARGS__)
#define dev_warn(dev, ...) dev_printk(LOGLEVEL_WARNING, dev, __VA_ARGS__)
#define dev_notice(dev, ...) dev_printk(LOGLEVEL_NOTICE, dev, __VA_ARGS__)
#define dev_info(dev, ...) dev_printk(LOGLEVEL_INFO, dev, __VA_ARGS__)

/*
 * Who runs the sysfs write in progress on this thread: the kernel's `current`
 * for a store (its pid and comm, and whether a signal interrupted it). Set by
 * uvfio_sysfs_pwrite_as() around the store; NULL when the core calls a store
 * itself (machine setup, tests).
 */
struct uvfio_writer;
const struct uvfio_writer *current_writer(void);
const struct uvfio_writer *set_current_writer(const struct uvfio_writer *w);
/* Whether the current writer was interrupted (a FUSE INTERRUPT, a control client gone). */
bool current_writer_interrupted(void);

/* Escapes len bytes of s as the inside of a JSON string into out (always NUL-terminated). */
void json_escape(char *out, size_t size, const char *s, size_t len);

#endif /* UVFIO_CORE_BASE_DEVICE_H */

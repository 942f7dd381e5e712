/* SPDX-License-Identifier: MIT */
/*
 * Device classes with virtual devices (drivers/base/class.c, core.c's
 * /sys/devices/virtual): a device that belongs to no bus, only to a class,
 * shown at /sys/devices/virtual/<class>/<name> with a link at
 * /sys/class/<class>/<name>. The mdev vendor models use one as their parent
 * (the mtty sample's "mtty" class device).
 *
 * A class is a struct bus of its own kind (its devices list is the class's
 * list, its type's name the class name, so dev_driver_string() and dev_printk
 * name the class); classes are made on first use and live as long as the
 * world.
 *
 * Lock order: class_registry.lock → the class device's device_lock → its
 * class bus's lock (virtual_device_create checks the name and adds the device
 * under it, so two creates of one name cannot both succeed).
 */
#ifndef UVFIO_CORE_BASE_CLASS_H
#define UVFIO_CORE_BASE_CLASS_H

#include "base/device.h"

struct sysfs_root;

struct class_registry {
	struct uvfio_world *world; /* the classes' buses belong to it (bus.world) */
	struct mutex lock; /* classes */
	struct list_head classes; /* of class.node, in creation order */
};

struct class {
	char name[64];
	struct bus_type type;
	struct bus bus; /* the class's devices */
	struct list_head node; /* protected by class_registry.lock */
};

void class_registry_init(struct class_registry *reg, struct uvfio_world *w);
/* Frees the classes; their devices are gone by then. */
void class_registry_destroy(struct class_registry *reg);
/* /sys/devices/virtual/<class> and /sys/class/<class> for every class. */
void class_sysfs_init(struct sysfs_root *root, struct class_registry *reg);
/*
 * A device of class class_name under /sys/devices/virtual/<class>/<name>
 * (with /sys/class/<class>/<name>), the parent of a vendor model such as mtty.
 * Its driver string is the class name. NULL with *err set on failure.
 */
struct device *virtual_device_create(struct class_registry *reg, const char *class_name,
				     const char *name, int *err);
void virtual_device_destroy(struct device *dev);
/* The class name of a virtual class device, NULL for any other device. */
const char *virtual_device_class(struct device *dev);
/* dev_driver_string(): the bound driver's name, else the bus's (a class device: its class). */
const char *dev_driver_string(struct device *dev);

#endif /* UVFIO_CORE_BASE_CLASS_H */

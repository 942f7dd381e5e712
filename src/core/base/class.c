// SPDX-License-Identifier: MIT
/*
 * Virtual class devices (drivers/base/class.c, device_create() of a device
 * with no parent and no bus): /sys/devices/virtual/<class>/<name>, linked
 * from /sys/class/<class>/<name>, with uevent, subsystem and power/; what
 * other subsystems add to a device's directory (an mdev parent's types and
 * instances) comes from their SYSFS_DEVICE_CHILD providers.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/class.h"
#include "base/sysfs.h"

struct virtual_device {
	struct device dev;
	struct class *cls;
};

/* The class bus never matches: a class device has no driver. */
static int class_match(struct device *dev, struct device_driver *drv)
{
	return 0;
}

void class_registry_init(struct class_registry *reg, struct uvfio_world *w)
{
	reg->world = w;
	mutex_init(&reg->lock, "class_registry.lock");
	INIT_LIST_HEAD(&reg->classes);
}

void class_registry_destroy(struct class_registry *reg)
{
	struct class *cls, *n;

	list_for_each_entry_safe(cls, n, &reg->classes, node) {
		list_del(&cls->node);
		bus_destroy(&cls->bus);
		free(cls);
	}
	mutex_destroy(&reg->lock);
}

static struct class *__class_find(struct class_registry *reg, const char *name)
{
	struct class *cls;

	lockdep_assert_held(&reg->lock);
	list_for_each_entry(cls, &reg->classes, node)
		if (!strcmp(cls->name, name))
			return cls;
	return NULL;
}

static struct class *class_find(struct class_registry *reg, const char *name)
{
	struct class *cls;

	mutex_lock(&reg->lock);
	cls = __class_find(reg, name);
	mutex_unlock(&reg->lock);
	return cls;
}

static const struct sysfs_dir class_dev_dir;
static int class_dev_path(struct device *dev, char *buf, size_t size);

static struct class *class_get_or_create(struct class_registry *reg, const char *name)
{
	struct class *cls;

	mutex_lock(&reg->lock);
	cls = __class_find(reg, name);
	if (!cls) {
		cls = xzalloc(sizeof(*cls));
		snprintf(cls->name, sizeof(cls->name), "%s", name);
		cls->type.name = cls->name;
		cls->type.match = class_match;
		cls->type.dev_dir = &class_dev_dir;
		cls->type.dev_path = class_dev_path;
		bus_init(&cls->bus, &cls->type, reg->world);
		list_add_tail(&cls->node, &reg->classes);
	}
	mutex_unlock(&reg->lock);
	return cls;
}

static void virtual_device_release(struct device *dev)
{
	free(container_of(dev, struct virtual_device, dev));
}

struct device *virtual_device_create(struct class_registry *reg, const char *class_name,
				     const char *name, int *err)
{
	struct virtual_device *vd;
	struct class *cls;
	struct device *dup;

	if (!class_name[0] || !name[0] || strlen(name) >= sizeof(vd->dev.name) ||
	    strchr(name, '/') || strlen(class_name) >= sizeof(cls->name)) {
		*err = -EINVAL;
		return NULL;
	}
	cls = class_get_or_create(reg, class_name);
	vd = xzalloc(sizeof(*vd));
	vd->cls = cls;
	device_initialize(&vd->dev, &cls->bus, NULL, virtual_device_release);
	snprintf(vd->dev.name, sizeof(vd->dev.name), "%s", name);
	/* The name check and the add are one step under the bus lock's owner: the class. */
	mutex_lock(&reg->lock);
	dup = bus_find_device_by_name(&cls->bus, name);
	if (dup) {
		mutex_unlock(&reg->lock);
		put_device(dup);
		put_device(&vd->dev);
		*err = -EEXIST;
		return NULL;
	}
	device_add(&vd->dev);
	mutex_unlock(&reg->lock);
	*err = 0;
	return &vd->dev;
}

void virtual_device_destroy(struct device *dev)
{
	device_del(dev);
	put_device(dev);
}

const char *virtual_device_class(struct device *dev)
{
	if (!dev->bus || dev->bus->type->match != class_match)
		return NULL;
	return container_of(dev, struct virtual_device, dev)->cls->name;
}

const char *dev_driver_string(struct device *dev)
{
	const char *s;

	mutex_lock(&dev->bus->lock);
	s = dev->driver ? dev->driver->name : dev->bus->type->name;
	mutex_unlock(&dev->bus->lock);
	return s;
}

/* ------------------------------------------------------------------ sysfs */

static struct class_registry *ctx_registry(const struct sysfs_ctx *c)
{
	return c->data;
}

/* A class device's directory: /sys/devices/virtual/<class>/<name>. */
static int class_dev_path(struct device *dev, char *buf, size_t size)
{
	return snprintf(buf, size, "/sys/devices/virtual/%s/%s", virtual_device_class(dev),
			dev_name(dev));
}

static struct device *class_device_find(struct class_registry *reg, const char *cls_name,
					const char *name)
{
	struct class *cls = class_find(reg, cls_name);
	struct device *dev;

	if (!cls)
		return NULL;
	dev = bus_find_device_by_name(&cls->bus, name);
	/* bus_find_device_by_name forgives a trailing newline; a path component may not. */
	if (dev && strcmp(dev_name(dev), name)) {
		put_device(dev);
		dev = NULL;
	}
	return dev;
}

static void class_devices_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct class *cls = class_find(ctx_registry(c), c->name);
	struct device *dev;

	if (!cls)
		return;
	mutex_lock(&cls->bus.lock);
	list_for_each_entry(dev, &cls->bus.devices, bus_node)
		names_add(out, "%s", dev_name(dev));
	mutex_unlock(&cls->bus.lock);
}

/* devices/virtual/<class>/<name> */
static int target_class(struct sysfs_ctx *c, char *buf, size_t size)
{
	return snprintf(buf, size, "/sys/class/%s", virtual_device_class(c->dev));
}

static const struct sysfs_attr class_dev_attrs[] = {
	ATTR_DIR("power", &sysfs_empty_dir),
	ATTR_LNK("subsystem", target_class),
	ATTR_RW("uevent", show_empty, store_uevent),
	{ NULL },
};

static const struct sysfs_dir class_dev_dir = { .attrs = class_dev_attrs,
						.slot = SYSFS_DEVICE_CHILD };

/* devices/virtual/<class> */
static int virtual_class_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct device *dev = class_device_find(ctx_registry(c), c->name, name);

	if (!dev)
		return -ENOENT;
	sysfs_dir_node(c, &class_dev_dir, dev, out);
	out->c.data = NULL;
	return 0;
}

static const struct sysfs_dir virtual_class_dir = { .list = class_devices_list,
						    .lookup = virtual_class_lookup };

/* class/<class>/<name> → the device's directory */
static int class_class_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct device *dev = class_device_find(ctx_registry(c), c->name, name);

	if (!dev)
		return -ENOENT;
	sysfs_link_node(c, &sysfs_dev_link, dev, out);
	return 0;
}

static const struct sysfs_dir class_class_dir = { .list = class_devices_list,
						  .lookup = class_class_lookup };

/* The providers of /sys/devices/virtual and /sys/class: a directory per class. */
static void classes_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct class_registry *reg = ctx_registry(c);
	struct class *cls;

	mutex_lock(&reg->lock);
	list_for_each_entry(cls, &reg->classes, node)
		names_add(out, "%s", cls->name);
	mutex_unlock(&reg->lock);
}

static int classes_lookup(struct sysfs_ctx *c, const char *name, const struct sysfs_dir *dir,
			  struct sysfs_node *out)
{
	if (!class_find(ctx_registry(c), name))
		return -ENOENT;
	sysfs_dir_node(c, dir, NULL, out);
	snprintf(out->c.name, sizeof(out->c.name), "%s", name);
	return 0;
}

static int virtual_classes_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	return classes_lookup(c, name, &virtual_class_dir, out);
}

static int class_classes_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	return classes_lookup(c, name, &class_class_dir, out);
}

static const struct sysfs_dir virtual_provider = { .list = classes_list,
						   .lookup = virtual_classes_lookup };
static const struct sysfs_dir class_provider = { .list = classes_list,
						 .lookup = class_classes_lookup };

void class_sysfs_init(struct sysfs_root *root, struct class_registry *reg)
{
	sysfs_add_provider(root, SYSFS_VIRTUAL, &virtual_provider, reg);
	sysfs_add_provider(root, SYSFS_CLASS, &class_provider, reg);
}

// SPDX-License-Identifier: MIT
/*
 * Virtual class devices (drivers/base/class.c, device_create() of a device
 * with no parent and no bus): /sys/devices/virtual/<class>/<name>, linked
 * from /sys/class/<class>/<name>, with uevent, subsystem and power/. The
 * directory also shows what mdev adds to a device that is an mdev parent
 * (mdev_supported_types, the instances).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/class.h"
#include "base/sysfs_priv.h"
#include "mdev/mdev.h"
#include "world.h"

struct virtual_device {
	struct device dev;
	struct class *cls;
};

/* The class bus never matches: a class device has no driver. */
static int class_match(struct device *dev, struct device_driver *drv)
{
	return 0;
}

void class_registry_init(struct class_registry *reg)
{
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

struct class *class_find(struct uvfio_world *w, const char *name)
{
	struct class *cls;

	mutex_lock(&w->classes.lock);
	cls = __class_find(&w->classes, name);
	mutex_unlock(&w->classes.lock);
	return cls;
}

static struct class *class_get_or_create(struct uvfio_world *w, const char *name)
{
	struct class_registry *reg = &w->classes;
	struct class *cls;

	mutex_lock(&reg->lock);
	cls = __class_find(reg, name);
	if (!cls) {
		cls = xzalloc(sizeof(*cls));
		snprintf(cls->name, sizeof(cls->name), "%s", name);
		cls->type.name = cls->name;
		cls->type.match = class_match;
		bus_init(&cls->bus, &cls->type, w);
		list_add_tail(&cls->node, &reg->classes);
	}
	mutex_unlock(&reg->lock);
	return cls;
}

void class_list_names(struct uvfio_world *w, struct sysfs_names *out)
{
	struct class *cls;

	mutex_lock(&w->classes.lock);
	list_for_each_entry(cls, &w->classes.classes, node)
		names_add(out, "%s", cls->name);
	mutex_unlock(&w->classes.lock);
}

static void virtual_device_release(struct device *dev)
{
	free(container_of(dev, struct virtual_device, dev));
}

struct device *virtual_device_create(struct uvfio_world *w, const char *class_name,
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
	cls = class_get_or_create(w, class_name);
	vd = xzalloc(sizeof(*vd));
	vd->cls = cls;
	device_initialize(&vd->dev, &cls->bus, NULL, virtual_device_release);
	snprintf(vd->dev.name, sizeof(vd->dev.name), "%s", name);
	/* The name check and the add are one step under the bus lock's owner: the class. */
	mutex_lock(&w->classes.lock);
	dup = bus_find_device_by_name(&cls->bus, name);
	if (dup) {
		mutex_unlock(&w->classes.lock);
		put_device(dup);
		put_device(&vd->dev);
		*err = -EEXIST;
		return NULL;
	}
	device_add(&vd->dev);
	mutex_unlock(&w->classes.lock);
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

static struct device *class_device_find(struct uvfio_world *w, const char *cls_name,
					const char *name)
{
	struct class *cls = class_find(w, cls_name);
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

static void class_devices_list(struct uvfio_world *w, const char *cls_name, struct sysfs_names *out)
{
	struct class *cls = class_find(w, cls_name);
	struct device *dev;

	if (!cls)
		return;
	mutex_lock(&cls->bus.lock);
	list_for_each_entry(dev, &cls->bus.devices, bus_node)
		names_add(out, "%s", dev_name(dev));
	mutex_unlock(&cls->bus.lock);
}

void class_sysfs_virtual_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	class_list_names(c->w, out);
}

int class_sysfs_virtual_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	if (!class_find(c->w, name))
		return -ENOENT;
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = SK_VIRTUAL_CLASS } };
	snprintf(out->c.name, sizeof(out->c.name), "%s", name);
	return 0;
}

int class_sysfs_class_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	int ret = class_sysfs_virtual_lookup(c, name, out);

	if (!ret)
		out->c.kind = SK_CLASS_CLASS;
	return ret;
}

/* devices/virtual/<class> */
static void virtual_class_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	class_devices_list(c->w, c->name, out);
}

static int virtual_class_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct device *dev = class_device_find(c->w, c->name, name);

	if (!dev)
		return -ENOENT;
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = SK_CLASS_DEV, .dev = dev } };
	return 0;
}

/* devices/virtual/<class>/<name> */
static int target_class(struct sysfs_ctx *c, char *buf, size_t size)
{
	return snprintf(buf, size, "/sys/class/%s", virtual_device_class(c->dev));
}

static const struct sysfs_attr class_dev_attrs[] = {
	DIR("power", SK_EMPTY),
	LNK("subsystem", target_class),
	RW("uevent", show_empty, store_uevent),
	{ NULL },
};

static void class_dev_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	if (mdev_sysfs_is_parent(c))
		names_add(out, "mdev_supported_types");
	mdev_sysfs_children_list(c, out);
}

static int class_dev_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	if (!strcmp(name, "mdev_supported_types"))
		return mdev_sysfs_types_lookup(c, out);
	return mdev_sysfs_child_lookup(c, name, out);
}

/* class/<class>/<name> → the device's directory */
static int target_class_dev(struct sysfs_ctx *c, char *buf, size_t size)
{
	return sysfs_dev_path(c->w, c->dev, buf, size);
}

static const struct sysfs_attr class_dev_link = LNK(NULL, target_class_dev);

static int class_class_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct device *dev = class_device_find(c->w, c->name, name);

	if (!dev)
		return -ENOENT;
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = c->kind, .dev = dev },
				    .attr = &class_dev_link };
	return 0;
}

static const struct sysfs_attr no_attrs[] = { { NULL } };

static const struct sysfs_dir class_dirs[] = {
	[SK_VIRTUAL_CLASS - SK_EXT_FIRST] = { no_attrs, virtual_class_list, virtual_class_lookup },
	[SK_CLASS_DEV - SK_EXT_FIRST] = { class_dev_attrs, class_dev_list, class_dev_lookup },
	[SK_CLASS_CLASS - SK_EXT_FIRST] = { no_attrs, virtual_class_list, class_class_lookup },
};

const struct sysfs_dir *class_sysfs_dir(enum sysfs_kind kind)
{
	return &class_dirs[kind - SK_EXT_FIRST];
}

// SPDX-License-Identifier: MIT
/*
 * The bus core's sysfs (drivers/base/bus.c), the same for every bus:
 *
 *   /sys/bus/<bus>/devices/<dev>      → the device's directory
 *   /sys/bus/<bus>/drivers/<drv>/     bind, unbind, uevent, <dev> links
 *   /sys/bus/<bus>/drivers_autoprobe, drivers_probe, uevent
 *
 * plus what the bus type adds (bus_type.bus_attrs, .drv_attrs). A driver's
 * directory is named, not referenced: its driver may unregister meanwhile, so
 * each store finds it again and holds it (driver_sysfs_get) while it runs.
 */
#include <stdio.h>
#include <string.h>

#include "base/device.h"
#include "base/sysfs.h"

/* ------------------------------------------------------------ driver dirs */

static struct bus *ctx_bus(const struct sysfs_ctx *c)
{
	return c->data;
}

static ssize_t store_bind(struct sysfs_ctx *c, const char *buf, size_t count)
{
	struct device_driver *drv = driver_sysfs_get(c->name, ctx_bus(c));
	ssize_t ret;

	if (!drv)
		return -ENODEV;
	ret = bind_store(drv, buf, count);
	driver_sysfs_put(drv);
	return ret;
}

static ssize_t store_unbind(struct sysfs_ctx *c, const char *buf, size_t count)
{
	struct device_driver *drv = driver_sysfs_get(c->name, ctx_bus(c));
	ssize_t ret;

	if (!drv)
		return -ENODEV;
	ret = unbind_store(drv, buf, count);
	driver_sysfs_put(drv);
	return ret;
}

static const struct sysfs_attr driver_attrs[] = {
	ATTR_WO("bind", 0200, store_bind),
	ATTR_WO("uevent", 0200, store_uevent),
	ATTR_WO("unbind", 0200, store_unbind),
	{ NULL },
};

static const struct sysfs_attr *driver_tables(const struct sysfs_ctx *c, unsigned int i)
{
	switch (i) {
	case 0:
		return driver_attrs;
	case 1:
		return ctx_bus(c)->type->drv_attrs;
	default:
		return NULL;
	}
}

/* Whether dev's driver link (driver_sysfs_add/remove) names the driver called name. */
static bool linked_to(struct device *dev, const char *name)
{
	struct device_driver *drv;
	bool linked;

	mutex_lock(&dev->bus->lock);
	drv = device_linked_driver(dev);
	linked = drv && !strcmp(drv->name, name);
	mutex_unlock(&dev->bus->lock);
	return linked;
}

static void driver_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct bus *bus = ctx_bus(c);
	struct device *dev;

	mutex_lock(&bus->lock);
	list_for_each_entry(dev, &bus->devices, bus_node) {
		struct device_driver *drv = device_linked_driver(dev);

		if (drv && !strcmp(drv->name, c->name))
			names_add(out, "%s", dev_name(dev));
	}
	mutex_unlock(&bus->lock);
}

/* bus_find_device_by_name, but a path component must match exactly (no newline). */
static struct device *bus_device_named(struct bus *bus, const char *name)
{
	struct device *dev = bus_find_device_by_name(bus, name);

	if (dev && strcmp(dev_name(dev), name)) {
		put_device(dev);
		return NULL;
	}
	return dev;
}

static int driver_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct device *dev = bus_device_named(ctx_bus(c), name);

	if (!dev)
		return -ENOENT;
	if (!linked_to(dev, c->name)) {
		put_device(dev);
		return -ENOENT;
	}
	sysfs_link_node(c, &sysfs_dev_link, dev, out);
	return 0;
}

static const struct sysfs_dir driver_dir = {
	.tables = driver_tables,
	.list = driver_list,
	.lookup = driver_lookup,
};

static void drivers_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct bus *bus = ctx_bus(c);
	struct device_driver *drv;

	mutex_lock(&bus->lock);
	list_for_each_entry(drv, &bus->drivers, bus_node)
		names_add(out, "%s", drv->name);
	mutex_unlock(&bus->lock);
}

static int drivers_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	if (!driver_find(name, ctx_bus(c)))
		return -ENOENT;
	sysfs_dir_node(c, &driver_dir, NULL, out);
	snprintf(out->c.name, sizeof(out->c.name), "%s", name);
	return 0;
}

static const struct sysfs_dir drivers_dir = { .list = drivers_list, .lookup = drivers_lookup };

/* ------------------------------------------------------------- devices/ */

static void devices_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct bus *bus = ctx_bus(c);
	struct device *dev;

	mutex_lock(&bus->lock);
	list_for_each_entry(dev, &bus->devices, bus_node)
		names_add(out, "%s", dev_name(dev));
	mutex_unlock(&bus->lock);
}

static int devices_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct device *dev = bus_device_named(ctx_bus(c), name);

	if (!dev)
		return -ENOENT;
	sysfs_link_node(c, &sysfs_dev_link, dev, out);
	return 0;
}

static const struct sysfs_dir devices_dir = { .list = devices_list, .lookup = devices_lookup };

/* ---------------------------------------------------------- /sys/bus/<bus> */

static ssize_t store_drivers_probe(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return drivers_probe_store(ctx_bus(c), buf, count);
}

static ssize_t show_drivers_autoprobe(struct sysfs_ctx *c, char *buf)
{
	struct bus *bus = ctx_bus(c);
	bool on;

	mutex_lock(&bus->lock);
	on = bus->drivers_autoprobe;
	mutex_unlock(&bus->lock);
	return snprintf(buf, SYSFS_PAGE, "%d\n", on);
}

static ssize_t store_drivers_autoprobe(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return drivers_autoprobe_store(ctx_bus(c), buf, count);
}

static const struct sysfs_attr bus_attrs[] = {
	ATTR_DIR("devices", &devices_dir),
	ATTR_DIR("drivers", &drivers_dir),
	ATTR_RW("drivers_autoprobe", show_drivers_autoprobe, store_drivers_autoprobe),
	ATTR_WO("drivers_probe", 0200, store_drivers_probe),
	ATTR_WO("uevent", 0200, store_uevent),
	{ NULL },
};

static const struct sysfs_attr *bus_tables(const struct sysfs_ctx *c, unsigned int i)
{
	switch (i) {
	case 0:
		return bus_attrs;
	case 1:
		return ctx_bus(c)->type->bus_attrs;
	default:
		return NULL;
	}
}

static const struct sysfs_dir bus_dir = { .tables = bus_tables };

/* The provider of /sys/bus/<name>, one per registered bus (data: the bus). */
static void bus_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	names_add(out, "%s", ctx_bus(c)->type->name);
}

static int bus_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	if (strcmp(name, ctx_bus(c)->type->name))
		return -ENOENT;
	sysfs_dir_node(c, &bus_dir, NULL, out);
	return 0;
}

static const struct sysfs_dir bus_provider = { .list = bus_list, .lookup = bus_lookup };

void bus_sysfs_add(struct bus *bus, struct sysfs_root *root)
{
	bus->sysfs = root;
	sysfs_add_provider(root, SYSFS_BUS, &bus_provider, bus);
}

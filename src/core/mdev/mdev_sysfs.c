// SPDX-License-Identifier: MIT
/*
 * The sysfs side of mdev (drivers/vfio/mdev/mdev_sysfs.c, digest §4.6),
 * rendered on demand like the rest of the tree (base/sysfs_priv.h):
 *
 *   /sys/bus/mdev/{devices,drivers/<drv>/{bind,unbind},drivers_probe,...}
 *   /sys/class/mdev_bus/<parent>                    → the parent's directory
 *   <parent>/mdev_supported_types/<drv>-<type>/     name, description,
 *        device_api, available_instances, create, devices/
 *   <parent>/<uuid>/                                remove, mdev_type, driver,
 *        iommu_group, subsystem, uevent, power/, vfio-dev/vfioN/
 *
 * A parent's directories are reached with a user reference on the parent
 * (mdev_parent_tryget), so its types stay valid while a store runs; an
 * instance's with a reference on its device, which holds its parent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sysfs_priv.h"
#include "mdev/mdev.h"
#include "world.h"

#define UUID_STRING_LEN 36

/* An instance on the bus named name (and, with parent_dev, a child of it), referenced. */
static struct mdev_device *mdev_find(struct uvfio_world *w, const char *name,
				     struct device *parent_dev)
{
	struct mdev_core *core = &w->mdev;
	struct mdev_device *mdev, *found = NULL;

	mutex_lock(&core->list_lock);
	list_for_each_entry(mdev, &core->devices, next) {
		if (!mdev->added || strcmp(dev_name(&mdev->dev), name))
			continue;
		if (parent_dev && mdev->dev.parent != parent_dev)
			continue;
		found = mdev;
		get_device(&mdev->dev);
		break;
	}
	mutex_unlock(&core->list_lock);
	return found;
}

/*
 * The IOMMU group of an instance, or -ENOENT: found through its registered
 * vfio_device under the VFIO locks, since dev->iommu_group changes under
 * device_lock when the vendor probes and removes, which a sysfs read must not
 * wait for (a remove holds it while it waits for the VFIO user).
 */
static int mdev_group_id(struct uvfio_world *w, struct device *dev)
{
	struct vfio *vfio = &w->vfio;
	struct vfio_device *vdev;
	struct vfio_group *group;
	int id = -ENOENT;

	mutex_lock(&vfio->group_lock);
	list_for_each_entry(group, &vfio->group_list, vfio_next) {
		mutex_lock(&group->device_lock);
		list_for_each_entry(vdev, &group->device_list, group_next)
			if (vdev->dev == dev)
				id = group->id;
		mutex_unlock(&group->device_lock);
		if (id >= 0)
			break;
	}
	mutex_unlock(&vfio->group_lock);
	return id;
}

static int target_dev(struct sysfs_ctx *c, char *buf, size_t size)
{
	return sysfs_dev_path(c->w, c->dev, buf, size);
}

static const struct sysfs_attr dev_link = LNK(NULL, target_dev);

/* ------------------------------------------------------- class device side */

bool mdev_sysfs_is_parent(struct sysfs_ctx *c)
{
	struct mdev_parent *parent = mdev_parent_find(c->w, c->dev);

	if (!parent)
		return false;
	mdev_parent_put(parent);
	return true;
}

void mdev_sysfs_children_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct mdev_core *core = &c->w->mdev;
	struct mdev_device *mdev;

	mutex_lock(&core->list_lock);
	list_for_each_entry(mdev, &core->devices, next)
		if (mdev->added && mdev->dev.parent == c->dev)
			names_add(out, "%s", dev_name(&mdev->dev));
	mutex_unlock(&core->list_lock);
}

int mdev_sysfs_child_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct mdev_device *mdev = mdev_find(c->w, name, c->dev);

	if (!mdev)
		return -ENOENT;
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = SK_MDEV, .dev = &mdev->dev } };
	return 0;
}

int mdev_sysfs_types_lookup(struct sysfs_ctx *c, struct sysfs_node *out)
{
	struct mdev_parent *parent = mdev_parent_find(c->w, c->dev);

	if (!parent)
		return -ENOENT;
	*out = (struct sysfs_node){ .c = { .w = c->w,
					   .kind = SK_MDEV_TYPES,
					   .dev = get_device(c->dev),
					   .mparent = parent } };
	return 0;
}

int mdev_sysfs_group_member_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct mdev_device *mdev = mdev_find(c->w, name, NULL);

	if (!mdev)
		return -ENOENT;
	if (mdev_group_id(c->w, &mdev->dev) != iommu_group_id(c->group)) {
		put_device(&mdev->dev);
		return -ENOENT;
	}
	out->c = *c;
	sysfs_ctx_get(&out->c);
	out->c.dev = &mdev->dev; /* takes over the reference of mdev_find */
	out->attr = &dev_link;
	return 0;
}

/* ------------------------------------------------------------------- types */

static void types_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	for (unsigned int i = 0; i < c->mparent->nr_types; i++)
		names_add(out, "%s", c->mparent->types[i]->dirname);
}

static int types_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	for (unsigned int i = 0; i < c->mparent->nr_types; i++) {
		if (strcmp(c->mparent->types[i]->dirname, name))
			continue;
		out->c = *c;
		sysfs_ctx_get(&out->c);
		out->c.kind = SK_MDEV_TYPE;
		out->c.mtype = c->mparent->types[i];
		out->attr = NULL;
		return 0;
	}
	return -ENOENT;
}

static ssize_t show_type_name(struct sysfs_ctx *c, char *buf)
{
	const struct mdev_type *t = c->mtype;

	return snprintf(buf, SYSFS_PAGE, "%s\n", t->pretty_name ? t->pretty_name : t->sysfs_name);
}

static bool description_visible(struct sysfs_ctx *c)
{
	return c->mparent->mdev_driver->show_description != NULL;
}

static ssize_t show_description(struct sysfs_ctx *c, char *buf)
{
	return c->mparent->mdev_driver->show_description(c->mtype, buf);
}

static ssize_t show_device_api(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%s\n", c->mparent->mdev_driver->device_api);
}

static ssize_t show_available_instances(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%u\n", mdev_type_available(c->mtype));
}

static int hex_value(char ch)
{
	if (ch >= '0' && ch <= '9')
		return ch - '0';
	if (ch >= 'a' && ch <= 'f')
		return ch - 'a' + 10;
	if (ch >= 'A' && ch <= 'F')
		return ch - 'A' + 10;
	return -1;
}

/* guid_parse(): 36 characters, dashes at 8, 13, 18 and 23, hex digits elsewhere. */
static int uuid_parse(const char *s, u8 uuid[16])
{
	int n = 0;

	for (int i = 0; i < UUID_STRING_LEN; i++) {
		if (i == 8 || i == 13 || i == 18 || i == 23) {
			if (s[i] != '-')
				return -EINVAL;
			continue;
		}
		if (hex_value(s[i]) < 0 || hex_value(s[i + 1]) < 0)
			return -EINVAL;
		uuid[n++] = (u8)(hex_value(s[i]) << 4 | hex_value(s[i + 1]));
		i++;
	}
	return 0;
}

/*
 * create_store: exactly 36 bytes, or 37 (the 37th, a newline or NUL, is not
 * looked at), then the UUID; the create's errno goes to the writer.
 */
static ssize_t store_create(struct sysfs_ctx *c, const char *buf, size_t count)
{
	u8 uuid[16];
	int ret;

	if (count < UUID_STRING_LEN || count > UUID_STRING_LEN + 1)
		return -EINVAL;
	ret = uuid_parse(buf, uuid);
	if (ret)
		return ret;
	ret = mdev_device_create(c->mtype, uuid);
	return ret ? ret : (ssize_t)count;
}

static const struct sysfs_attr type_attrs[] = {
	RO("available_instances", show_available_instances),
	WO("create", 0200, store_create),
	{ "description", S_IFREG | 0444, .visible = description_visible, .show = show_description },
	RO("device_api", show_device_api),
	DIR("devices", SK_MDEV_TYPE_DEVICES),
	RO("name", show_type_name),
	{ NULL },
};

static void type_devices_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct mdev_core *core = &c->w->mdev;
	struct mdev_device *mdev;

	mutex_lock(&core->list_lock);
	list_for_each_entry(mdev, &core->devices, next)
		if (mdev->linked && mdev->type == c->mtype)
			names_add(out, "%s", dev_name(&mdev->dev));
	mutex_unlock(&core->list_lock);
}

static int type_devices_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct mdev_core *core = &c->w->mdev;
	struct mdev_device *mdev, *found = NULL;

	mutex_lock(&core->list_lock);
	list_for_each_entry(mdev, &core->devices, next) {
		if (mdev->linked && mdev->type == c->mtype && !strcmp(dev_name(&mdev->dev), name)) {
			found = mdev;
			get_device(&mdev->dev);
			break;
		}
	}
	mutex_unlock(&core->list_lock);
	if (!found)
		return -ENOENT;
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = c->kind, .dev = &found->dev },
				    .attr = &dev_link };
	return 0;
}

/* --------------------------------------------------------------- instances */

static struct mdev_device *ctx_mdev(struct sysfs_ctx *c)
{
	return to_mdev_device(c->dev);
}

static bool remove_visible(struct sysfs_ctx *c)
{
	return !atomic_load(&ctx_mdev(c)->remove_file_gone);
}

/*
 * remove_store: a number; 0 does nothing. Otherwise the file removes itself
 * first (a second writer finds it gone and just succeeds) and is not put back
 * if the removal fails (seeds/003 C2).
 */
static ssize_t store_mdev_remove(struct sysfs_ctx *c, const char *buf, size_t count)
{
	struct mdev_device *mdev = ctx_mdev(c);
	unsigned long val;
	char *end;
	int ret;

	if (buf[0] == '-' || buf[0] == ' ')
		return -EINVAL;
	errno = 0;
	val = strtoul(buf, &end, 0);
	if (errno || end == buf || (*end && !(*end == '\n' && !end[1])))
		return -EINVAL;
	if (val && !atomic_exchange(&mdev->remove_file_gone, true)) {
		ret = mdev_device_remove(mdev);
		if (ret)
			return ret;
	}
	return (ssize_t)count;
}

static bool mdev_type_visible(struct sysfs_ctx *c)
{
	struct mdev_core *core = &c->w->mdev;
	bool linked;

	mutex_lock(&core->list_lock);
	linked = ctx_mdev(c)->linked;
	mutex_unlock(&core->list_lock);
	return linked;
}

static int target_mdev_type(struct sysfs_ctx *c, char *buf, size_t size)
{
	struct mdev_device *mdev = ctx_mdev(c);
	int len = sysfs_dev_path(c->w, mdev_parent_of(mdev)->dev, buf, size);

	if (len < 0)
		return len;
	return len + snprintf(buf + len, size - (size_t)min((size_t)len, size),
			      "/mdev_supported_types/%s", mdev->type->dirname);
}

static bool mdev_driver_visible(struct sysfs_ctx *c)
{
	struct bus *bus = c->dev->bus;
	bool bound;

	mutex_lock(&bus->lock);
	bound = device_linked_driver(c->dev) != NULL;
	mutex_unlock(&bus->lock);
	return bound;
}

static int target_mdev_driver(struct sysfs_ctx *c, char *buf, size_t size)
{
	struct bus *bus = c->dev->bus;
	int ret = -ENOENT;

	struct device_driver *drv;

	mutex_lock(&bus->lock);
	drv = device_linked_driver(c->dev);
	if (drv)
		ret = snprintf(buf, size, "/sys/bus/mdev/drivers/%s", drv->name);
	mutex_unlock(&bus->lock);
	return ret;
}

static bool mdev_iommu_group_visible(struct sysfs_ctx *c)
{
	return mdev_group_id(c->w, c->dev) >= 0;
}

static int target_mdev_iommu_group(struct sysfs_ctx *c, char *buf, size_t size)
{
	int id = mdev_group_id(c->w, c->dev);

	if (id < 0)
		return id;
	return snprintf(buf, size, "/sys/kernel/iommu_groups/%d", id);
}

static int target_bus_mdev(struct sysfs_ctx *c, char *buf, size_t size)
{
	return snprintf(buf, size, "/sys/bus/mdev");
}

static ssize_t show_mdev_uevent(struct sysfs_ctx *c, char *buf)
{
	struct bus *bus = c->dev->bus;
	ssize_t len = 0;

	mutex_lock(&bus->lock);
	if (c->dev->driver)
		len = snprintf(buf, SYSFS_PAGE, "DRIVER=%s\n", c->dev->driver->name);
	mutex_unlock(&bus->lock);
	return len;
}

static bool mdev_vfio_dev_visible(struct sysfs_ctx *c)
{
	return sysfs_vfio_dev_index(c->w, c->dev, NULL) >= 0;
}

static const struct sysfs_attr mdev_attrs[] = {
	{ "driver", S_IFLNK | 0777, .visible = mdev_driver_visible, .target = target_mdev_driver },
	{ "iommu_group", S_IFLNK | 0777, .visible = mdev_iommu_group_visible,
	  .target = target_mdev_iommu_group },
	{ "mdev_type", S_IFLNK | 0777, .visible = mdev_type_visible, .target = target_mdev_type },
	DIR("power", SK_EMPTY),
	{ "remove", S_IFREG | 0200, .visible = remove_visible, .store = store_mdev_remove },
	LNK("subsystem", target_bus_mdev),
	RW("uevent", show_mdev_uevent, store_uevent),
	{ "vfio-dev", S_IFDIR | 0755, .dir = SK_MDEV_VFIO_DEV_DIR,
	  .visible = mdev_vfio_dev_visible },
	{ NULL },
};

static void mdev_vfio_dev_dir_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	int index = sysfs_vfio_dev_index(c->w, c->dev, NULL);

	if (index >= 0)
		names_add(out, "vfio%d", index);
}

static int mdev_vfio_dev_dir_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	int index = sysfs_vfio_dev_index(c->w, c->dev, NULL), id;

	if (index < 0 || strncmp(name, "vfio", 4) || !sysfs_parse_id(name + 4, &id) || id != index)
		return -ENOENT;
	out->c = *c;
	sysfs_ctx_get(&out->c);
	out->c.kind = SK_MDEV_VFIO_DEV;
	out->c.id = index;
	out->attr = NULL;
	return 0;
}

static int target_class_vfio_dev(struct sysfs_ctx *c, char *buf, size_t size)
{
	return snprintf(buf, size, "/sys/class/vfio-dev");
}

static const struct sysfs_attr mdev_vfio_dev_attrs[] = {
	LNK("device", target_dev),
	DIR("power", SK_EMPTY),
	LNK("subsystem", target_class_vfio_dev),
	RW("uevent", show_empty, store_uevent),
	{ NULL },
};

/* ---------------------------------------------------------------- the bus */

static ssize_t store_mdev_drivers_probe(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return drivers_probe_store(&c->w->mdev.bus, buf, count);
}

static ssize_t show_mdev_drivers_autoprobe(struct sysfs_ctx *c, char *buf)
{
	struct bus *bus = &c->w->mdev.bus;
	bool on;

	mutex_lock(&bus->lock);
	on = bus->drivers_autoprobe;
	mutex_unlock(&bus->lock);
	return snprintf(buf, SYSFS_PAGE, "%d\n", on);
}

static ssize_t store_mdev_drivers_autoprobe(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return drivers_autoprobe_store(&c->w->mdev.bus, buf, count);
}

static const struct sysfs_attr bus_mdev_attrs[] = {
	DIR("devices", SK_BUS_MDEV_DEVICES),
	DIR("drivers", SK_BUS_MDEV_DRIVERS),
	RW("drivers_autoprobe", show_mdev_drivers_autoprobe, store_mdev_drivers_autoprobe),
	WO("drivers_probe", 0200, store_mdev_drivers_probe),
	WO("uevent", 0200, store_uevent),
	{ NULL },
};

static void bus_mdev_devices_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct mdev_core *core = &c->w->mdev;
	struct mdev_device *mdev;

	mutex_lock(&core->list_lock);
	list_for_each_entry(mdev, &core->devices, next)
		if (mdev->added)
			names_add(out, "%s", dev_name(&mdev->dev));
	mutex_unlock(&core->list_lock);
}

static int bus_mdev_devices_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct mdev_device *mdev = mdev_find(c->w, name, NULL);

	if (!mdev)
		return -ENOENT;
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = c->kind, .dev = &mdev->dev },
				    .attr = &dev_link };
	return 0;
}

static void bus_mdev_drivers_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct bus *bus = &c->w->mdev.bus;
	struct device_driver *drv;

	mutex_lock(&bus->lock);
	list_for_each_entry(drv, &bus->drivers, bus_node)
		names_add(out, "%s", drv->name);
	mutex_unlock(&bus->lock);
}

static int bus_mdev_drivers_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	if (!driver_find(name, &c->w->mdev.bus))
		return -ENOENT;
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = SK_MDEV_DRIVER } };
	snprintf(out->c.name, sizeof(out->c.name), "%s", name);
	return 0;
}

/*
 * A driver directory is named, not referenced: the vendor may unregister its
 * driver meanwhile, so each store looks the driver up again by name.
 */
static bool dev_bound_to(struct device *dev, const char *drv_name, bool linked)
{
	struct device_driver *drv;
	bool bound;

	mutex_lock(&dev->bus->lock);
	drv = linked ? device_linked_driver(dev) : dev->driver;
	bound = drv && !strcmp(drv->name, drv_name);
	mutex_unlock(&dev->bus->lock);
	return bound;
}

/* bind_store: the mdev bus never matches, so a named instance gets -ENODEV. */
static ssize_t store_mdev_bind(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return -ENODEV;
}

/* unbind_store: detaches the vendor driver (waits for the VFIO user), leaving an inert mdev. */
static ssize_t store_mdev_unbind(struct sysfs_ctx *c, const char *buf, size_t count)
{
	char name[SYSFS_NAME_MAX];
	struct device *dev;
	ssize_t ret = -ENODEV;

	if (sysfs_name_from_buf(buf, count, name, sizeof(name)))
		return -ENODEV;
	dev = bus_find_device_by_name(&c->w->mdev.bus, name);
	if (!dev)
		return -ENODEV;
	if (dev_bound_to(dev, c->name, false)) {
		device_release_driver(dev);
		ret = (ssize_t)count;
	}
	put_device(dev);
	return ret;
}

static const struct sysfs_attr mdev_driver_attrs[] = {
	WO("bind", 0200, store_mdev_bind),
	WO("uevent", 0200, store_uevent),
	WO("unbind", 0200, store_mdev_unbind),
	{ NULL },
};

static void mdev_driver_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct bus *bus = &c->w->mdev.bus;
	struct device *dev;

	mutex_lock(&bus->lock);
	list_for_each_entry(dev, &bus->devices, bus_node)
		if (device_linked_driver(dev) && !strcmp(device_linked_driver(dev)->name, c->name))
			names_add(out, "%s", dev_name(dev));
	mutex_unlock(&bus->lock);
}

static int mdev_driver_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct mdev_device *mdev = mdev_find(c->w, name, NULL);

	if (!mdev)
		return -ENOENT;
	if (!dev_bound_to(&mdev->dev, c->name, true)) { /* the driver's link */
		put_device(&mdev->dev);
		return -ENOENT;
	}
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = c->kind, .dev = &mdev->dev },
				    .attr = &dev_link };
	snprintf(out->c.name, sizeof(out->c.name), "%s", c->name);
	return 0;
}

/* /sys/class/mdev_bus: a link per registered parent (class_compat). */
static void class_mdev_bus_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct mdev_core *core = &c->w->mdev;
	struct mdev_parent *parent;

	mutex_lock(&core->list_lock);
	list_for_each_entry(parent, &core->parents, node)
		if (parent->class_link)
			names_add(out, "%s", dev_name(parent->dev));
	mutex_unlock(&core->list_lock);
}

static int class_mdev_bus_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct mdev_core *core = &c->w->mdev;
	struct mdev_parent *parent;
	struct device *found = NULL;

	mutex_lock(&core->list_lock);
	list_for_each_entry(parent, &core->parents, node) {
		if (parent->class_link && !strcmp(dev_name(parent->dev), name)) {
			found = get_device(parent->dev);
			break;
		}
	}
	mutex_unlock(&core->list_lock);
	if (!found)
		return -ENOENT;
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = c->kind, .dev = found },
				    .attr = &dev_link };
	return 0;
}

static const struct sysfs_attr no_attrs[] = { { NULL } };

#define MDEV_DIR(k) [(k)-SK_CLASS_MDEV_BUS]
static const struct sysfs_dir mdev_dirs[] = {
	MDEV_DIR(SK_CLASS_MDEV_BUS) = { no_attrs, class_mdev_bus_list, class_mdev_bus_lookup },
	MDEV_DIR(SK_MDEV_TYPES) = { no_attrs, types_list, types_lookup },
	MDEV_DIR(SK_MDEV_TYPE) = { type_attrs },
	MDEV_DIR(SK_MDEV_TYPE_DEVICES) = { no_attrs, type_devices_list, type_devices_lookup },
	MDEV_DIR(SK_MDEV) = { mdev_attrs },
	MDEV_DIR(SK_MDEV_VFIO_DEV_DIR) = { no_attrs, mdev_vfio_dev_dir_list,
					   mdev_vfio_dev_dir_lookup },
	MDEV_DIR(SK_MDEV_VFIO_DEV) = { mdev_vfio_dev_attrs },
	MDEV_DIR(SK_BUS_MDEV) = { bus_mdev_attrs },
	MDEV_DIR(SK_BUS_MDEV_DEVICES) = { no_attrs, bus_mdev_devices_list,
					  bus_mdev_devices_lookup },
	MDEV_DIR(SK_BUS_MDEV_DRIVERS) = { no_attrs, bus_mdev_drivers_list,
					  bus_mdev_drivers_lookup },
	MDEV_DIR(SK_MDEV_DRIVER) = { mdev_driver_attrs, mdev_driver_list, mdev_driver_lookup },
};

const struct sysfs_dir *mdev_sysfs_dir(enum sysfs_kind kind)
{
	return &mdev_dirs[kind - SK_CLASS_MDEV_BUS];
}

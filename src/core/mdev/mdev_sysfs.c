// SPDX-License-Identifier: MIT
/*
 * The sysfs side of mdev (drivers/vfio/mdev/mdev_sysfs.c, digest §4.6),
 * rendered on demand like the rest of the tree (base/sysfs.h); /sys/bus/mdev
 * is the bus core's (base/bus.c), an instance's vfio-dev/ VFIO's:
 *
 *   /sys/class/mdev_bus/<parent>                    → the parent's directory
 *   <parent>/mdev_supported_types/<drv>-<type>/     name, description,
 *        device_api, available_instances, create, devices/
 *   <parent>/<uuid>/                                remove, mdev_type, driver,
 *        iommu_group, subsystem, uevent, power/
 *
 * A parent's directories are reached with a user reference on the parent
 * (mdev_parent_tryget), so its types stay valid while a store runs; an
 * instance's with a reference on its device, which holds its parent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sysfs.h"
#include "mdev/mdev.h"
#include "vfio/vfio.h"

#define UUID_STRING_LEN 36

/* An instance on the bus named name (and, with parent_dev, a child of it), referenced. */
static struct mdev_device *mdev_find(struct mdev_core *core, const char *name,
				     struct device *parent_dev)
{
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
static int mdev_group_id(struct mdev_device *mdev)
{
	struct device *dev = &mdev->dev;
	struct vfio *vfio = mdev_core_of_mdev(mdev)->vfio;
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

static void parent_get(void *obj)
{
	mdev_parent_get(obj);
}

static void parent_put(void *obj)
{
	mdev_parent_put(obj);
}

static const struct sysfs_ref_ops parent_ref = { parent_get, parent_put };

static struct mdev_parent *ctx_parent(const struct sysfs_ctx *c)
{
	return c->obj;
}

static struct mdev_type *ctx_type(const struct sysfs_ctx *c)
{
	return c->data;
}

/* ------------------------------------------------------------------- types */

static const struct sysfs_dir type_dir;

static void types_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	for (unsigned int i = 0; i < ctx_parent(c)->nr_types; i++)
		names_add(out, "%s", ctx_parent(c)->types[i]->dirname);
}

static int types_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	for (unsigned int i = 0; i < ctx_parent(c)->nr_types; i++) {
		if (strcmp(ctx_parent(c)->types[i]->dirname, name))
			continue;
		out->c = *c;
		sysfs_ctx_get(&out->c);
		out->c.dir = &type_dir;
		out->c.data = ctx_parent(c)->types[i]; /* valid while the parent is held */
		out->attr = NULL;
		return 0;
	}
	return -ENOENT;
}

static const struct sysfs_dir types_dir = { .list = types_list, .lookup = types_lookup };

static ssize_t show_type_name(struct sysfs_ctx *c, char *buf)
{
	const struct mdev_type *t = ctx_type(c);

	return snprintf(buf, SYSFS_PAGE, "%s\n", t->pretty_name ? t->pretty_name : t->sysfs_name);
}

static bool description_visible(struct sysfs_ctx *c)
{
	return ctx_parent(c)->mdev_driver->show_description != NULL;
}

static ssize_t show_description(struct sysfs_ctx *c, char *buf)
{
	return ctx_parent(c)->mdev_driver->show_description(ctx_type(c), buf);
}

static ssize_t show_device_api(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%s\n", ctx_parent(c)->mdev_driver->device_api);
}

static ssize_t show_available_instances(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%u\n", mdev_type_available(ctx_type(c)));
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
	ret = mdev_device_create(ctx_type(c), uuid);
	return ret ? ret : (ssize_t)count;
}

static void type_devices_list(struct sysfs_ctx *c, struct sysfs_names *out);
static int type_devices_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out);
static const struct sysfs_dir type_devices_dir = { .list = type_devices_list,
						   .lookup = type_devices_lookup };

static const struct sysfs_attr type_attrs[] = {
	ATTR_RO("available_instances", show_available_instances),
	ATTR_WO("create", 0200, store_create),
	{ "description", S_IFREG | 0444, .visible = description_visible, .show = show_description },
	ATTR_RO("device_api", show_device_api),
	ATTR_DIR("devices", &type_devices_dir),
	ATTR_RO("name", show_type_name),
	{ NULL },
};

static const struct sysfs_dir type_dir = { .attrs = type_attrs };

static void type_devices_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct mdev_core *core = mdev_core_of_parent(ctx_parent(c));
	struct mdev_device *mdev;

	mutex_lock(&core->list_lock);
	list_for_each_entry(mdev, &core->devices, next)
		if (mdev->linked && mdev->type == ctx_type(c))
			names_add(out, "%s", dev_name(&mdev->dev));
	mutex_unlock(&core->list_lock);
}

static int type_devices_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct mdev_core *core = mdev_core_of_parent(ctx_parent(c));
	struct mdev_device *mdev, *found = NULL;

	mutex_lock(&core->list_lock);
	list_for_each_entry(mdev, &core->devices, next) {
		if (mdev->linked && mdev->type == ctx_type(c) &&
		    !strcmp(dev_name(&mdev->dev), name)) {
			found = mdev;
			get_device(&mdev->dev);
			break;
		}
	}
	mutex_unlock(&core->list_lock);
	if (!found)
		return -ENOENT;
	sysfs_link_node(c, &sysfs_dev_link, &found->dev, out);
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
	struct mdev_core *core = mdev_core_of_mdev(ctx_mdev(c));
	bool linked;

	mutex_lock(&core->list_lock);
	linked = ctx_mdev(c)->linked;
	mutex_unlock(&core->list_lock);
	return linked;
}

static int target_mdev_type(struct sysfs_ctx *c, char *buf, size_t size)
{
	struct mdev_device *mdev = ctx_mdev(c);
	int len = sysfs_dev_path(mdev_parent_of(mdev)->dev, buf, size);

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
	return mdev_group_id(ctx_mdev(c)) >= 0;
}

static int target_mdev_iommu_group(struct sysfs_ctx *c, char *buf, size_t size)
{
	int id = mdev_group_id(ctx_mdev(c));

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

static const struct sysfs_attr mdev_attrs[] = {
	{ "driver", S_IFLNK | 0777, .visible = mdev_driver_visible, .target = target_mdev_driver },
	{ "iommu_group", S_IFLNK | 0777, .visible = mdev_iommu_group_visible,
	  .target = target_mdev_iommu_group },
	{ "mdev_type", S_IFLNK | 0777, .visible = mdev_type_visible, .target = target_mdev_type },
	ATTR_DIR("power", &sysfs_empty_dir),
	{ "remove", S_IFREG | 0200, .visible = remove_visible, .store = store_mdev_remove },
	ATTR_LNK("subsystem", target_bus_mdev),
	ATTR_RW("uevent", show_mdev_uevent, store_uevent),
	{ NULL },
};

const struct sysfs_dir mdev_sysfs_dir = { .attrs = mdev_attrs, .slot = SYSFS_DEVICE_CHILD };

/* /sys/class/mdev_bus: a link per registered parent (class_compat). */
static void class_mdev_bus_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct mdev_core *core = c->data; /* the provider's */
	struct mdev_parent *parent;

	mutex_lock(&core->list_lock);
	list_for_each_entry(parent, &core->parents, node)
		if (parent->class_link)
			names_add(out, "%s", dev_name(parent->dev));
	mutex_unlock(&core->list_lock);
}

static int class_mdev_bus_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct mdev_core *core = c->data; /* the provider's */
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
	sysfs_link_node(c, &sysfs_dev_link, found, out);
	return 0;
}

static const struct sysfs_dir class_mdev_bus_dir = { .list = class_mdev_bus_list,
						     .lookup = class_mdev_bus_lookup };

static const struct sysfs_attr class_attrs[] = {
	ATTR_DIR("mdev_bus", &class_mdev_bus_dir),
	{ NULL },
};

static const struct sysfs_dir class_provider = { .attrs = class_attrs };

/* ------------------------------------------- what a device's directory gets */

/* A parent's mdev_supported_types, and its instances as child directories. */
static void device_child_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct mdev_core *core = c->data; /* the provider's */
	struct mdev_parent *parent = mdev_parent_find(core, c->dev);
	struct mdev_device *mdev;

	if (parent) {
		names_add(out, "mdev_supported_types");
		mdev_parent_put(parent);
	}
	mutex_lock(&core->list_lock);
	list_for_each_entry(mdev, &core->devices, next)
		if (mdev->added && mdev->dev.parent == c->dev)
			names_add(out, "%s", dev_name(&mdev->dev));
	mutex_unlock(&core->list_lock);
}

static int device_child_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct mdev_device *mdev;

	if (!strcmp(name, "mdev_supported_types")) {
		struct mdev_parent *parent = mdev_parent_find(c->data, c->dev);

		if (!parent)
			return -ENOENT;
		sysfs_dir_node(c, &types_dir, get_device(c->dev), out);
		out->c.obj = parent;
		out->c.obj_ops = &parent_ref;
		return 0;
	}
	mdev = mdev_find(c->data, name, c->dev);
	if (!mdev)
		return -ENOENT;
	sysfs_dir_node(c, &mdev_sysfs_dir, &mdev->dev, out);
	return 0;
}

static const struct sysfs_dir device_child_provider = { .list = device_child_list,
							.lookup = device_child_lookup };

void mdev_sysfs_init(struct sysfs_root *root, struct mdev_core *core)
{
	bus_sysfs_add(&core->bus, root);
	sysfs_add_provider(root, SYSFS_CLASS, &class_provider, core);
	sysfs_add_provider(root, SYSFS_DEVICE_CHILD, &device_child_provider, core);
}

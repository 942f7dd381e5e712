// SPDX-License-Identifier: MIT
/*
 * VFIO's sysfs and device nodes (drivers/vfio/group.c, vfio_main.c: the
 * "vfio" and "vfio-dev" classes), as the kernel lab shows them
 * (docs/kernel-facts.md §1):
 *
 *   /dev/vfio/{vfio,<N>}                 the container and group nodes
 *   /sys/devices/virtual/vfio/<N>         a group's class device
 *   /sys/class/vfio/<N>, /sys/class/vfio-dev/vfio<K>
 *   <device>/vfio-dev/vfio<K>/            a registered vfio_device, below
 *                                         the device it drives (no `dev`:
 *                                         no cdev in 6.12's lab)
 *   /sys/module/{vfio,vfio_iommu_type1,vfio_pci,vfio_pci_core}
 *
 * Everything is found under the VFIO locks at each lookup.
 */
#include <stdio.h>
#include <string.h>

#include "base/chrdev.h"
#include "base/module.h"
#include "base/sysfs.h"
#include "vfio/vfio.h"

static struct vfio *ctx_vfio(const struct sysfs_ctx *c)
{
	return c->data;
}

/* Whether a VFIO group named id (its iommu group id) exists; its minor in *minor. */
static bool vfio_group_lookup(struct vfio *vfio, int id, unsigned int *minor)
{
	struct vfio_group *group;
	bool found = false;

	mutex_lock(&vfio->group_lock);
	list_for_each_entry(group, &vfio->group_list, vfio_next) {
		if (group->id == id) {
			*minor = (unsigned int)group->minor;
			found = true;
			break;
		}
	}
	mutex_unlock(&vfio->group_lock);
	return found;
}

static void vfio_groups_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct vfio *vfio = ctx_vfio(c);
	struct vfio_group *group;

	mutex_lock(&vfio->group_lock);
	list_for_each_entry(group, &vfio->group_list, vfio_next)
		names_add(out, "%d", group->id);
	mutex_unlock(&vfio->group_lock);
}

/*
 * The vfio_device registered for dev (vfio-dev/vfioN exists from
 * registration until unregistration hides it): its index, or -ENOENT.
 */
static int vfio_dev_index(struct vfio *vfio, struct device *dev)
{
	struct vfio_device *vdev;
	struct vfio_group *group;
	int index = -ENOENT;

	mutex_lock(&vfio->group_lock);
	list_for_each_entry(group, &vfio->group_list, vfio_next) {
		mutex_lock(&group->device_lock);
		list_for_each_entry(vdev, &group->device_list, group_next) {
			if (vdev->dev == dev) {
				index = vdev->index;
				break;
			}
		}
		mutex_unlock(&group->device_lock);
		if (index >= 0)
			break;
	}
	mutex_unlock(&vfio->group_lock);
	return index;
}

/* Parses "vfio<K>". */
static bool parse_vfio_name(const char *name, int *id)
{
	return !strncmp(name, "vfio", 4) && sysfs_parse_id(name + 4, id);
}

/* --------------------------------------------------------------- /dev/vfio */

static void group_rdev(struct sysfs_ctx *c, unsigned int *major, unsigned int *minor)
{
	*major = VFIO_GROUP_MAJOR;
	*minor = c->minor;
}

static const struct sysfs_attr dev_vfio_group = { NULL, S_IFCHR | 0600, .rdev = group_rdev };

static int dev_vfio_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	unsigned int minor;
	int id;

	if (!sysfs_parse_id(name, &id) || !vfio_group_lookup(ctx_vfio(c), id, &minor))
		return -ENOENT;
	sysfs_link_node(c, &dev_vfio_group, NULL, out);
	out->c.id = id;
	out->c.minor = minor;
	return 0;
}

static const struct sysfs_attr dev_vfio_attrs[] = {
	{ "vfio", S_IFCHR | 0666, .arg = SYSFS_CHR_DEV(MISC_MAJOR, VFIO_MINOR) },
	{ NULL },
};

static const struct sysfs_dir dev_vfio_dir = { .attrs = dev_vfio_attrs,
					       .list = vfio_groups_list,
					       .lookup = dev_vfio_lookup };

static const struct sysfs_attr dev_attrs[] = {
	ATTR_DIR("vfio", &dev_vfio_dir),
	{ NULL },
};

static const struct sysfs_dir dev_provider = { .attrs = dev_attrs };

/* ------------------------------------------------ /sys/devices/virtual/vfio */

static ssize_t show_group_dev(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%d:%u\n", VFIO_GROUP_MAJOR, c->minor);
}

static ssize_t show_group_uevent(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "MAJOR=%d\nMINOR=%u\nDEVNAME=vfio/%d\n", VFIO_GROUP_MAJOR,
			c->minor, c->id);
}

static int target_class_vfio(struct sysfs_ctx *c, char *buf, size_t size)
{
	return snprintf(buf, size, "/sys/class/vfio");
}

static const struct sysfs_attr group_dev_attrs[] = {
	ATTR_RO("dev", show_group_dev),
	ATTR_DIR("power", &sysfs_empty_dir),
	ATTR_LNK("subsystem", target_class_vfio),
	ATTR_RW("uevent", show_group_uevent, store_uevent),
	{ NULL },
};

static const struct sysfs_dir group_dev_dir = { .attrs = group_dev_attrs };

static int virtual_vfio_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	unsigned int minor;
	int id;

	if (!sysfs_parse_id(name, &id) || !vfio_group_lookup(ctx_vfio(c), id, &minor))
		return -ENOENT;
	sysfs_dir_node(c, &group_dev_dir, NULL, out);
	out->c.id = id;
	out->c.minor = minor;
	return 0;
}

static const struct sysfs_dir virtual_vfio_dir = { .list = vfio_groups_list,
						   .lookup = virtual_vfio_lookup };

static const struct sysfs_attr virtual_attrs[] = {
	ATTR_DIR("vfio", &virtual_vfio_dir),
	{ NULL },
};

static const struct sysfs_dir virtual_provider = { .attrs = virtual_attrs };

/* -------------------------------------------------------------- /sys/class */

static int target_group_dev(struct sysfs_ctx *c, char *buf, size_t size)
{
	return snprintf(buf, size, "/sys/devices/virtual/vfio/%d", c->id);
}

static const struct sysfs_attr class_vfio_link = ATTR_LNK(NULL, target_group_dev);

static int class_vfio_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	unsigned int minor;
	int id;

	if (!sysfs_parse_id(name, &id) || !vfio_group_lookup(ctx_vfio(c), id, &minor))
		return -ENOENT;
	sysfs_link_node(c, &class_vfio_link, NULL, out);
	out->c.id = id;
	out->c.minor = minor;
	return 0;
}

static const struct sysfs_dir class_vfio_dir = { .list = vfio_groups_list,
						 .lookup = class_vfio_lookup };

static void class_vfio_dev_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct vfio *vfio = ctx_vfio(c);
	struct vfio_device *vdev;
	struct vfio_group *group;

	mutex_lock(&vfio->group_lock);
	list_for_each_entry(group, &vfio->group_list, vfio_next) {
		mutex_lock(&group->device_lock);
		list_for_each_entry(vdev, &group->device_list, group_next)
			names_add(out, "vfio%d", vdev->index);
		mutex_unlock(&group->device_lock);
	}
	mutex_unlock(&vfio->group_lock);
}

/* A device's vfio-dev/vfio<K>. */
static int target_vfio_dev(struct sysfs_ctx *c, char *buf, size_t size)
{
	int len = sysfs_dev_path(c->dev, buf, size);

	if (len < 0)
		return len;
	return len + snprintf(buf + len, size - (size_t)min((size_t)len, size), "/vfio-dev/vfio%d",
			      c->id);
}

static const struct sysfs_attr class_vfio_dev_link = ATTR_LNK(NULL, target_vfio_dev);

static int class_vfio_dev_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct vfio *vfio = ctx_vfio(c);
	struct vfio_device *vdev;
	struct vfio_group *group;
	struct device *dev = NULL;
	int id;

	if (!parse_vfio_name(name, &id))
		return -ENOENT;
	mutex_lock(&vfio->group_lock);
	list_for_each_entry(group, &vfio->group_list, vfio_next) {
		mutex_lock(&group->device_lock);
		list_for_each_entry(vdev, &group->device_list, group_next) {
			if (vdev->index == id) {
				dev = get_device(vdev->dev);
				break;
			}
		}
		mutex_unlock(&group->device_lock);
		if (dev)
			break;
	}
	mutex_unlock(&vfio->group_lock);
	if (!dev)
		return -ENOENT;
	sysfs_link_node(c, &class_vfio_dev_link, dev, out);
	out->c.id = id;
	return 0;
}

static const struct sysfs_dir class_vfio_dev_dir = { .list = class_vfio_dev_list,
						     .lookup = class_vfio_dev_lookup };

static const struct sysfs_attr class_attrs[] = {
	ATTR_DIR("vfio", &class_vfio_dir),
	ATTR_DIR("vfio-dev", &class_vfio_dev_dir),
	{ NULL },
};

static const struct sysfs_dir class_provider = { .attrs = class_attrs };

/* ------------------------------------------------------ <device>/vfio-dev */

static int target_class_vfio_dev(struct sysfs_ctx *c, char *buf, size_t size)
{
	return snprintf(buf, size, "/sys/class/vfio-dev");
}

static const struct sysfs_attr vfio_dev_attrs[] = {
	ATTR_LNK("device", sysfs_target_dev),
	ATTR_DIR("power", &sysfs_empty_dir),
	ATTR_LNK("subsystem", target_class_vfio_dev),
	ATTR_RW("uevent", show_empty, store_uevent),
	{ NULL },
};

static const struct sysfs_dir vfio_dev_dir = { .attrs = vfio_dev_attrs };

static void vfio_dev_glue_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	int index = vfio_dev_index(ctx_vfio(c), c->dev);

	if (index >= 0)
		names_add(out, "vfio%d", index);
}

static int vfio_dev_glue_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	int index = vfio_dev_index(ctx_vfio(c), c->dev), id;

	if (index < 0 || !parse_vfio_name(name, &id) || id != index)
		return -ENOENT;
	out->c = *c;
	sysfs_ctx_get(&out->c);
	out->c.dir = &vfio_dev_dir;
	out->c.id = index;
	out->attr = NULL;
	return 0;
}

/* The class directory "vfio-dev" the device core puts below a parent for a class device. */
static const struct sysfs_dir vfio_dev_glue_dir = { .list = vfio_dev_glue_list,
						    .lookup = vfio_dev_glue_lookup };

static bool vfio_dev_visible(struct sysfs_ctx *c)
{
	return vfio_dev_index(ctx_vfio(c), c->dev) >= 0;
}

static const struct sysfs_attr device_child_attrs[] = {
	{ "vfio-dev", S_IFDIR | 0755, .dir = &vfio_dev_glue_dir, .visible = vfio_dev_visible },
	{ NULL },
};

static const struct sysfs_dir device_child_provider = { .attrs = device_child_attrs };

/* ------------------------------------------------------------- /sys/module */

static ssize_t show_param_bool(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%c\n", c->arg ? 'Y' : 'N');
}

static ssize_t show_allow_unsafe_interrupts(struct sysfs_ctx *c, char *buf)
{
	const struct vfio_params *p = sysfs_module_data(c);

	return snprintf(buf, SYSFS_PAGE, "%c\n", p->allow_unsafe_interrupts ? 'Y' : 'N');
}

static ssize_t show_dma_entry_limit(struct sysfs_ctx *c, char *buf)
{
	const struct vfio_params *p = sysfs_module_data(c);

	return snprintf(buf, SYSFS_PAGE, "%u\n", p->dma_entry_limit);
}

/* Parameters are read-only here for now (docs/sysfs.md): writes are EACCES. */
static const struct sysfs_attr type1_params[] = {
	{ "allow_unsafe_interrupts", S_IFREG | 0644, .show = show_allow_unsafe_interrupts },
	{ "disable_hugepages", S_IFREG | 0644, .show = show_param_bool },
	{ "dma_entry_limit", S_IFREG | 0644, .show = show_dma_entry_limit },
	{ NULL },
};

static const struct sysfs_attr vfio_pci_params[] = {
	{ "disable_denylist", S_IFREG | 0444, .show = show_param_bool },
	{ "disable_idle_d3", S_IFREG | 0644, .show = show_param_bool },
	{ "disable_vga", S_IFREG | 0444, .show = show_param_bool },
	{ "enable_sriov", S_IFREG | 0644, .show = show_param_bool },
	{ "nointxmask", S_IFREG | 0644, .show = show_param_bool },
	{ NULL },
};

void vfio_sysfs_init(struct sysfs_root *root, struct vfio *vfio)
{
	sysfs_add_provider(root, SYSFS_DEV, &dev_provider, vfio);
	sysfs_add_provider(root, SYSFS_VIRTUAL, &virtual_provider, vfio);
	sysfs_add_provider(root, SYSFS_CLASS, &class_provider, vfio);
	sysfs_add_provider(root, SYSFS_DEVICE_CHILD, &device_child_provider, vfio);
	/* vfio has no parameters without CONFIG_VFIO_NOIOMMU. */
	sysfs_module_add(root, "vfio", NULL, NULL);
	sysfs_module_add(root, "vfio_iommu_type1", type1_params, &vfio->params);
	sysfs_module_add(root, "vfio_pci_core", NULL, NULL);
	sysfs_module_add(root, "vfio_pci", vfio_pci_params, NULL);
}

// SPDX-License-Identifier: MIT
/*
 * The IOMMU groups' sysfs (drivers/iommu/iommu.c, iommu_group_attr_*):
 *
 *   /sys/kernel/iommu_groups/<n>/{devices/<dev>,reserved_regions,type}
 *
 * A group's directory holds a reference on the group.
 */
#include <stdio.h>
#include <string.h>

#include "base/device.h"
#include "base/sysfs.h"
#include "iommu/iommu.h"

static void group_get(void *obj)
{
	iommu_group_ref_get(obj);
}

static void group_put(void *obj)
{
	iommu_group_put(obj);
}

static const struct sysfs_ref_ops group_ref = { group_get, group_put };

static struct iommu_group *ctx_group(const struct sysfs_ctx *c)
{
	return c->obj;
}

static ssize_t show_resv_regions(struct sysfs_ctx *c, char *buf)
{
	return (ssize_t)iommu_group_resv_regions_show(ctx_group(c), buf, SYSFS_PAGE);
}

static ssize_t show_group_type(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "DMA\n");
}

static int group_dev_name(struct device *dev, void *data)
{
	names_add(data, "%s", dev_name(dev));
	return 0;
}

static void group_devices_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	iommu_group_for_each_dev(ctx_group(c), out, group_dev_name);
}

struct member_find {
	const char *name;
	struct device *found;
};

static int group_dev_match(struct device *dev, void *data)
{
	struct member_find *f = data;

	if (strcmp(dev_name(dev), f->name))
		return 0;
	f->found = get_device(dev);
	return 1;
}

static int group_devices_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct member_find f = { name, NULL };

	iommu_group_for_each_dev(ctx_group(c), &f, group_dev_match);
	if (!f.found)
		return -ENOENT;
	sysfs_link_node(c, &sysfs_dev_link, f.found, out);
	return 0;
}

static const struct sysfs_dir group_devices_dir = { .list = group_devices_list,
						    .lookup = group_devices_lookup };

static const struct sysfs_attr group_attrs[] = {
	ATTR_DIR("devices", &group_devices_dir),
	ATTR_RO("reserved_regions", show_resv_regions),
	ATTR_RW("type", show_group_type, NULL),
	{ NULL },
};

static const struct sysfs_dir group_dir = { .attrs = group_attrs };

static void groups_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct iommu *iommu = c->data;
	struct iommu_group *g;

	mutex_lock(&iommu->lock);
	list_for_each_entry(g, &iommu->groups, node)
		names_add(out, "%d", g->id);
	mutex_unlock(&iommu->lock);
}

static int groups_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct iommu *iommu = c->data;
	struct iommu_group *g, *found = NULL;
	int id;

	if (!sysfs_parse_id(name, &id))
		return -ENOENT;
	mutex_lock(&iommu->lock);
	list_for_each_entry(g, &iommu->groups, node) {
		if (g->id == id) {
			found = iommu_group_ref_get(g);
			break;
		}
	}
	mutex_unlock(&iommu->lock);
	if (!found)
		return -ENOENT;
	sysfs_dir_node(c, &group_dir, NULL, out);
	out->c.obj = found;
	out->c.obj_ops = &group_ref;
	return 0;
}

static const struct sysfs_dir groups_dir = { .list = groups_list, .lookup = groups_lookup };

static const struct sysfs_attr kernel_attrs[] = {
	ATTR_DIR("iommu_groups", &groups_dir),
	{ NULL },
};

static const struct sysfs_dir kernel_provider = { .attrs = kernel_attrs };

void iommu_sysfs_init(struct sysfs_root *root, struct iommu *iommu)
{
	sysfs_add_provider(root, SYSFS_KERNEL, &kernel_provider, iommu);
}

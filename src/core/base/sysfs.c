// SPDX-License-Identifier: MIT
/*
 * The sysfs attributes of a world, addressed by path, with the kernel's text
 * formats on reads and the kernel's effects and errnos on writes:
 *
 *   /sys/bus/pci/devices/<bdf>/<attr>     vendor device class ... driver_override
 *   /sys/bus/pci/drivers/<drv>/<attr>     bind unbind new_id remove_id
 *   /sys/bus/pci/{drivers_probe,drivers_autoprobe}
 *   /sys/kernel/iommu_groups/<n>/{reserved_regions,type}
 *
 * Symlinks (driver, iommu_group, subsystem) answer readlink with the
 * relative targets the kernel's sysfs has. Opening an attribute in a mode it
 * does not support fails with EACCES, as kernfs does; unknown paths ENOENT.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/iommu.h"
#include "pci/pci.h"
#include "uvfio/uvfio.h"
#include "vfio/pci/vfio_pci_priv.h"
#include "world.h"

#define SYSFS_PAGE 4096

struct sysfs_ctx {
	struct uvfio_world *w;
	struct pci_dev *pdev; /* referenced */
	struct pci_driver *drv;
	struct iommu_group *group; /* referenced */
};

struct sysfs_attr {
	const char *name;
	/* Renders into buf (SYSFS_PAGE bytes); returns the length or -errno. */
	ssize_t (*show)(struct sysfs_ctx *c, char *buf);
	ssize_t (*store)(struct sysfs_ctx *c, const char *buf, size_t count);
	/* Binary attributes (config): positional read. */
	ssize_t (*read)(struct sysfs_ctx *c, char *buf, size_t size, s64 off);
	/* Symlinks. */
	ssize_t (*link)(struct sysfs_ctx *c, char *buf, size_t size);
};

/* Depth of a PCI function below /sys/devices: pci0000:00/[bridges/]<bdf>. */
static int pci_sysfs_depth(struct pci_dev *pdev)
{
	int depth = 2;

	for (struct pci_bus *bus = pdev->bus; bus->self; bus = bus->parent)
		depth++;
	return depth + 1;
}

static int up_dirs(char *buf, size_t size, int n)
{
	int len = 0;

	buf[0] = '\0';
	while (n-- > 0 && (size_t)len + 3 < size)
		len += snprintf(buf + len, size - (size_t)len, "../");
	return len;
}

static ssize_t show_vendor(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "0x%04x\n", c->pdev->vendor);
}

static ssize_t show_device(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "0x%04x\n", c->pdev->device);
}

static ssize_t show_subsystem_vendor(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "0x%04x\n", c->pdev->subsystem_vendor);
}

static ssize_t show_subsystem_device(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "0x%04x\n", c->pdev->subsystem_device);
}

static ssize_t show_class(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "0x%06x\n", c->pdev->class);
}

static ssize_t show_revision(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "0x%02x\n", c->pdev->revision);
}

static ssize_t show_irq(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%d\n", c->pdev->irq);
}

static ssize_t show_enable(struct sysfs_ctx *c, char *buf)
{
	u16 cmd = pci_command(c->pdev);

	return snprintf(buf, SYSFS_PAGE, "%d\n",
			!!(cmd & (PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER)));
}

static ssize_t show_driver_override(struct sysfs_ctx *c, char *buf)
{
	return driver_override_show(&c->pdev->dev, buf, SYSFS_PAGE);
}

static ssize_t store_driver_override(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return driver_override_store(&c->pdev->dev, buf, count);
}

/* The flags sysfs `resource` prints: the resource flags plus the BAR's type bits. */
static unsigned long pci_resource_sysfs_flags(struct pci_dev *pdev, int i)
{
	const struct resource *r = &pdev->resource[i];
	unsigned long flags = r->flags;

	if (!flags)
		return 0;
	flags |= IORESOURCE_SIZEALIGN;
	if (i == PCI_ROM_RESOURCE)
		return flags | IORESOURCE_PREFETCH;
	if (flags & IORESOURCE_IO)
		return flags | PCI_BASE_ADDRESS_SPACE_IO;
	return flags | (pdev->config[PCI_BASE_ADDRESS_0 + 4 * i] & ~PCI_BASE_ADDRESS_MEM_MASK);
}

static ssize_t show_resource(struct sysfs_ctx *c, char *buf)
{
	struct pci_dev *pdev = c->pdev;
	int lines = pdev->subordinate ? 17 : 13;
	ssize_t len = 0;

	for (int i = 0; i < lines; i++) {
		u64 start = 0, end = 0;
		unsigned long flags = 0;

		if (i < PCI_NUM_RESOURCES && pdev->resource[i].flags) {
			start = pdev->resource[i].start;
			end = pdev->resource[i].end;
			flags = pci_resource_sysfs_flags(pdev, i);
		}
		len += snprintf(buf + len, SYSFS_PAGE - (size_t)len,
				"0x%016llx 0x%016llx 0x%016llx\n", (unsigned long long)start,
				(unsigned long long)end, (unsigned long long)flags);
	}
	return len;
}

static ssize_t read_config(struct sysfs_ctx *c, char *buf, size_t size, s64 off)
{
	struct pci_dev *pdev = c->pdev;
	size_t n;

	if (off < 0)
		return -EINVAL;
	if ((u64)off >= pdev->cfg_size)
		return 0;
	n = min(size, pdev->cfg_size - (size_t)off);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)pci_read_config(pdev, (unsigned int)off + (unsigned int)i, 1);
	return (ssize_t)n;
}

static ssize_t link_driver(struct sysfs_ctx *c, char *buf, size_t size)
{
	struct device *dev = &c->pdev->dev;
	char name[64];
	int len;

	mutex_lock(&dev->bus->lock);
	if (!dev->driver) {
		mutex_unlock(&dev->bus->lock);
		return -ENOENT;
	}
	snprintf(name, sizeof(name), "%s", dev->driver->name);
	mutex_unlock(&dev->bus->lock);
	len = up_dirs(buf, size, pci_sysfs_depth(c->pdev));
	return len + snprintf(buf + len, size - (size_t)len, "bus/pci/drivers/%s", name);
}

static ssize_t link_iommu_group(struct sysfs_ctx *c, char *buf, size_t size)
{
	struct iommu_group *group = c->pdev->dev.iommu_group;
	int len;

	if (!group)
		return -ENOENT;
	len = up_dirs(buf, size, pci_sysfs_depth(c->pdev));
	return len + snprintf(buf + len, size - (size_t)len, "kernel/iommu_groups/%d",
			      iommu_group_id(group));
}

static ssize_t link_subsystem(struct sysfs_ctx *c, char *buf, size_t size)
{
	int len = up_dirs(buf, size, pci_sysfs_depth(c->pdev));

	return len + snprintf(buf + len, size - (size_t)len, "bus/pci");
}

static const struct sysfs_attr pci_dev_attrs[] = {
	{ "vendor", .show = show_vendor },
	{ "device", .show = show_device },
	{ "subsystem_vendor", .show = show_subsystem_vendor },
	{ "subsystem_device", .show = show_subsystem_device },
	{ "class", .show = show_class },
	{ "revision", .show = show_revision },
	{ "irq", .show = show_irq },
	{ "enable", .show = show_enable },
	{ "resource", .show = show_resource },
	{ "driver_override", .show = show_driver_override, .store = store_driver_override },
	{ "config", .read = read_config },
	{ "driver", .link = link_driver },
	{ "iommu_group", .link = link_iommu_group },
	{ "subsystem", .link = link_subsystem },
	{ NULL },
};

static ssize_t store_bind(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return bind_store(&c->drv->driver, buf, count);
}

static ssize_t store_unbind(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return unbind_store(&c->drv->driver, buf, count);
}

static ssize_t store_new_id(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return new_id_store(c->drv, buf, count);
}

static ssize_t store_remove_id(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return remove_id_store(c->drv, buf, count);
}

static const struct sysfs_attr pci_driver_attrs[] = {
	{ "bind", .store = store_bind },
	{ "unbind", .store = store_unbind },
	{ "new_id", .store = store_new_id },
	{ "remove_id", .store = store_remove_id },
	{ NULL },
};

static ssize_t store_drivers_probe(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return drivers_probe_store(&c->w->pci_bus, buf, count);
}

static ssize_t show_drivers_autoprobe(struct sysfs_ctx *c, char *buf)
{
	bool on;

	mutex_lock(&c->w->pci_bus.lock);
	on = c->w->pci_bus.drivers_autoprobe;
	mutex_unlock(&c->w->pci_bus.lock);
	return snprintf(buf, SYSFS_PAGE, "%d\n", on);
}

static ssize_t store_drivers_autoprobe(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return drivers_autoprobe_store(&c->w->pci_bus, buf, count);
}

static const struct sysfs_attr pci_bus_attrs[] = {
	{ "drivers_probe", .store = store_drivers_probe },
	{ "drivers_autoprobe", .show = show_drivers_autoprobe, .store = store_drivers_autoprobe },
	{ NULL },
};

static ssize_t show_resv_regions(struct sysfs_ctx *c, char *buf)
{
	return (ssize_t)iommu_group_resv_regions_show(c->group, buf, SYSFS_PAGE);
}

static ssize_t show_group_type(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "DMA\n");
}

static const struct sysfs_attr iommu_group_attrs[] = {
	{ "reserved_regions", .show = show_resv_regions },
	{ "type", .show = show_group_type },
	{ NULL },
};

static const struct sysfs_attr *attr_find(const struct sysfs_attr *attrs, const char *name)
{
	for (; attrs->name; attrs++)
		if (!strcmp(attrs->name, name))
			return attrs;
	return NULL;
}

static struct iommu_group *iommu_group_find(struct iommu *iommu, int id)
{
	struct iommu_group *g, *found = NULL;

	mutex_lock(&iommu->lock);
	list_for_each_entry(g, &iommu->groups, node) {
		if (g->id == id) {
			found = iommu_group_ref_get(g);
			break;
		}
	}
	mutex_unlock(&iommu->lock);
	return found;
}

/* Resolves a path to an attribute and its context; -ENOENT when nothing is there. */
static int sysfs_resolve(struct uvfio_world *w, const char *path, struct sysfs_ctx *c,
			 const struct sysfs_attr **attr)
{
	char dir[128], name[64];
	const char *slash;

	memset(c, 0, sizeof(*c));
	c->w = w;
	if (!strncmp(path, "/sys/bus/pci/devices/", 21)) {
		struct device *dev;

		path += 21;
		slash = strchr(path, '/');
		if (!slash || (size_t)(slash - path) >= sizeof(dir) || strlen(slash + 1) >= sizeof(name))
			return -ENOENT;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		snprintf(name, sizeof(name), "%s", slash + 1);
		if (strchr(dir, '\n'))
			return -ENOENT;
		dev = bus_find_device_by_name(&w->pci_bus, dir);
		if (!dev)
			return -ENOENT;
		c->pdev = to_pci_dev(dev);
		*attr = attr_find(pci_dev_attrs, name);
	} else if (!strncmp(path, "/sys/bus/pci/drivers/", 21)) {
		path += 21;
		slash = strchr(path, '/');
		if (!slash || (size_t)(slash - path) >= sizeof(dir) || strlen(slash + 1) >= sizeof(name))
			return -ENOENT;
		memcpy(dir, path, (size_t)(slash - path));
		dir[slash - path] = '\0';
		snprintf(name, sizeof(name), "%s", slash + 1);
		c->drv = world_find_pci_driver(w, dir);
		if (!c->drv)
			return -ENOENT;
		*attr = attr_find(pci_driver_attrs, name);
	} else if (!strncmp(path, "/sys/bus/pci/", 13)) {
		*attr = attr_find(pci_bus_attrs, path + 13);
	} else if (!strncmp(path, "/sys/kernel/iommu_groups/", 25)) {
		char *end;
		long id = strtol(path + 25, &end, 10);

		if (end == path + 25 || *end != '/')
			return -ENOENT;
		c->group = iommu_group_find(&w->iommu, (int)id);
		if (!c->group)
			return -ENOENT;
		*attr = attr_find(iommu_group_attrs, end + 1);
	} else {
		return -ENOENT;
	}
	return *attr ? 0 : -ENOENT;
}

static void sysfs_ctx_put(struct sysfs_ctx *c)
{
	if (c->pdev)
		put_device(&c->pdev->dev);
	if (c->group)
		iommu_group_put(c->group);
}

ssize_t uvfio_sysfs_write(struct uvfio_world *w, const char *path, const void *buf, size_t len)
{
	const struct sysfs_attr *attr = NULL;
	struct sysfs_ctx c;
	ssize_t ret = sysfs_resolve(w, path, &c, &attr);

	if (!ret) {
		if (!attr->store)
			ret = -EACCES;
		else if (len == 0)
			ret = 0; /* an empty write never reaches the attribute */
		else
			ret = attr->store(&c, buf, min(len, (size_t)SYSFS_PAGE - 1));
		/* sysfs truncates writes to a page; report what the caller wrote. */
		if (ret == (ssize_t)min(len, (size_t)SYSFS_PAGE - 1))
			ret = (ssize_t)len;
	}
	sysfs_ctx_put(&c);
	return ret;
}

ssize_t uvfio_sysfs_read(struct uvfio_world *w, const char *path, void *buf, size_t size)
{
	const struct sysfs_attr *attr = NULL;
	struct sysfs_ctx c;
	ssize_t ret = sysfs_resolve(w, path, &c, &attr);

	if (!ret) {
		if (attr->read) {
			ret = attr->read(&c, buf, size, 0);
		} else if (attr->show) {
			char *page = xzalloc(SYSFS_PAGE);

			ret = attr->show(&c, page);
			if (ret > 0) {
				ret = min(ret, (ssize_t)size);
				memcpy(buf, page, (size_t)ret);
			}
			free(page);
		} else if (attr->link) {
			ret = -EINVAL; /* reading a symlink reads its target directory */
		} else {
			ret = -EACCES;
		}
	}
	sysfs_ctx_put(&c);
	return ret;
}

ssize_t uvfio_sysfs_readlink(struct uvfio_world *w, const char *path, char *buf, size_t size)
{
	const struct sysfs_attr *attr = NULL;
	struct sysfs_ctx c;
	ssize_t ret = sysfs_resolve(w, path, &c, &attr);

	if (!ret)
		ret = attr->link ? attr->link(&c, buf, size) : -EINVAL;
	sysfs_ctx_put(&c);
	return ret;
}

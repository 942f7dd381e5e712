// SPDX-License-Identifier: MIT
/*
 * PCI's sysfs (drivers/pci/pci-sysfs.c, drivers/pci/pci-driver.c): a
 * function's directory, the host bridges' directories below /sys/devices,
 * and what the PCI bus adds to the bus core's /sys/bus/pci and to its
 * drivers' directories, with the kernel's names, modes and text formats
 * (docs/kernel-facts.md §1, docs/sysfs.md):
 *
 *   /sys/devices/pci0000:00/<bdf>[/<bdf>...]   a function (a bridge's
 *                                               directory holds its
 *                                               secondary bus's functions)
 *   /sys/bus/pci/{rescan,resource_alignment,slots}
 *   /sys/bus/pci/drivers/<drv>/{module,new_id,remove_id}
 *
 * The VFIO, IOMMU and mdev entries of a function's directory are theirs
 * (vfio/vfio_sysfs.c, iommu/iommu-sysfs.c, mdev/mdev_sysfs.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/sysfs.h"
#include "iommu/iommu.h"
#include "pci/pci.h"
#include "pci/pci-sysfs.h"

static struct pci_dev *ctx_pdev(const struct sysfs_ctx *c)
{
	return c->dev ? to_pci_dev(c->dev) : NULL;
}

/* "pci0000:00/0000:00:04.0/0000:01:01.0": the function's path below /sys/devices. */
static int pci_dev_path(struct pci_dev *pdev, char *buf, size_t size)
{
	struct pci_bus *bus = pdev->bus;
	int len;

	if (bus->self) {
		len = pci_dev_path(bus->self, buf, size);
	} else {
		len = snprintf(buf, size, "pci%04x:%02x", (unsigned int)bus->domain, bus->number);
	}
	return len + snprintf(buf + len, size - (size_t)min((size_t)len, size), "/%s",
			      dev_name(&pdev->dev));
}

static bool pci_dev_driver_is(struct pci_dev *pdev, const char *name)
{
	struct bus *bus = pdev->dev.bus;
	bool is;

	mutex_lock(&bus->lock);
	is = pdev->dev.driver && (!name || !strcmp(pdev->dev.driver->name, name));
	mutex_unlock(&bus->lock);
	return is;
}

/* Finds a registered PCI function by name; with bus set, only a function on that bus. */
static struct pci_dev *pci_dev_find(struct pci_core *pci, const char *name, struct pci_bus *bus)
{
	struct device *dev = bus_find_device_by_name(&pci->bus, name);
	struct pci_dev *pdev;

	if (!dev)
		return NULL;
	pdev = to_pci_dev(dev);
	if (strcmp(dev_name(dev), name) || (bus && pdev->bus != bus)) {
		put_device(dev);
		return NULL;
	}
	return pdev;
}

/* The functions on bus (of pci, every function). */
static void pci_devs_list(struct pci_core *pci, struct pci_bus *bus, struct sysfs_names *out)
{
	struct device *dev;

	mutex_lock(&pci->bus.lock);
	list_for_each_entry(dev, &pci->bus.devices, bus_node)
		if (!bus || to_pci_dev(dev)->bus == bus)
			names_add(out, "%s", dev_name(dev));
	mutex_unlock(&pci->bus.lock);
}

/* ------------------------------------------------- PCI function attributes */

static ssize_t show_vendor(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "0x%04x\n", ctx_pdev(c)->vendor);
}

static ssize_t show_device(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "0x%04x\n", ctx_pdev(c)->device);
}

static ssize_t show_subsystem_vendor(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "0x%04x\n", ctx_pdev(c)->subsystem_vendor);
}

static ssize_t show_subsystem_device(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "0x%04x\n", ctx_pdev(c)->subsystem_device);
}

static ssize_t show_class(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "0x%06x\n", ctx_pdev(c)->class);
}

static ssize_t show_revision(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "0x%02x\n", ctx_pdev(c)->revision);
}

static ssize_t show_irq(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%d\n", ctx_pdev(c)->irq);
}

/*
 * enable_cnt (pci_enable_device users): a host driver enables at probe,
 * vfio-pci while the device is open; bridges count as enabled from boot
 * (pci_enable_bridges) without a driver (kernel-facts §1).
 */
static ssize_t show_enable(struct sysfs_ctx *c, char *buf)
{
	struct pci_dev *pdev = ctx_pdev(c);
	bool on = pci_is_bridge(pdev) || atomic_load(&pdev->enable_cnt) > 0;

	return snprintf(buf, SYSFS_PAGE, "%d\n", on);
}

static ssize_t show_power_state(struct sysfs_ctx *c, char *buf)
{
	/* "unknown" until some driver set the power state (bridges at boot). */
	bool d0 = pci_is_bridge(ctx_pdev(c)) || pci_dev_driver_is(ctx_pdev(c), NULL);

	return snprintf(buf, SYSFS_PAGE, "%s\n", d0 ? "D0" : "unknown");
}

static struct dev_pm_info pm_info(struct device *dev)
{
	struct dev_pm_info pm;

	mutex_lock(&dev->bus->lock);
	pm = dev->power;
	mutex_unlock(&dev->bus->lock);
	return pm;
}

static ssize_t show_runtime_status(struct sysfs_ctx *c, char *buf)
{
	bool suspended = pm_info(&ctx_pdev(c)->dev).runtime_suspended;

	return snprintf(buf, SYSFS_PAGE, "%s\n", suspended ? "suspended" : "active");
}

static ssize_t show_power_control(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%s\n",
			pm_info(&ctx_pdev(c)->dev).runtime_auto ? "auto" : "on");
}

static ssize_t show_driver_override(struct sysfs_ctx *c, char *buf)
{
	return driver_override_show(&ctx_pdev(c)->dev, buf, SYSFS_PAGE);
}

static ssize_t store_driver_override(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return driver_override_store(&ctx_pdev(c)->dev, buf, count);
}

static ssize_t show_modalias(struct sysfs_ctx *c, char *buf)
{
	struct pci_dev *p = ctx_pdev(c);

	return snprintf(buf, SYSFS_PAGE, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", p->vendor,
			p->device, p->subsystem_vendor, p->subsystem_device,
			(p->class >> 16) & 0xff, (p->class >> 8) & 0xff, p->class & 0xff);
}

static ssize_t show_uevent(struct sysfs_ctx *c, char *buf)
{
	struct pci_dev *p = ctx_pdev(c);
	struct bus *bus = p->dev.bus;
	ssize_t len = 0;

	mutex_lock(&bus->lock);
	if (p->dev.driver)
		len = snprintf(buf, SYSFS_PAGE, "DRIVER=%s\n", p->dev.driver->name);
	mutex_unlock(&bus->lock);
	len += snprintf(buf + len, SYSFS_PAGE - (size_t)len,
			"PCI_CLASS=%X\nPCI_ID=%04X:%04X\nPCI_SUBSYS_ID=%04X:%04X\n"
			"PCI_SLOT_NAME=%s\nMODALIAS=",
			p->class, p->vendor, p->device, p->subsystem_vendor, p->subsystem_device,
			dev_name(&p->dev));
	return len + show_modalias(c, buf + len);
}

/* kobject_synth_uevent: a known action is accepted (no netlink to send it on). */
static ssize_t show_numa_node(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "-1\n");
}

static ssize_t show_local_cpulist(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "0-1\n");
}

static ssize_t show_local_cpus(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "3\n");
}

static ssize_t show_d3cold_allowed(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%d\n", pci_is_bridge(ctx_pdev(c)));
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
	struct pci_dev *pdev = ctx_pdev(c);
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

static bool resource_visible(struct sysfs_ctx *c)
{
	return resource_size(&ctx_pdev(c)->resource[c->arg]) != 0;
}

static u64 resource_file_size(struct sysfs_ctx *c)
{
	return resource_size(&ctx_pdev(c)->resource[c->arg]);
}

/* resourceN and rom are for mmap (not served yet); rom reads need a prior "1" write. */
static ssize_t read_einval(struct sysfs_ctx *c, char *buf, size_t size, s64 off)
{
	return -EINVAL;
}

static ssize_t write_rom(struct sysfs_ctx *c, const char *buf, size_t size, s64 off)
{
	return (ssize_t)size;
}

static u64 config_size(struct sysfs_ctx *c)
{
	return ctx_pdev(c)->cfg_size;
}

/*
 * pci_read_config (drivers/pci/pci-sysfs.c): an opener without CAP_SYS_ADMIN
 * sees the header only, 64 bytes (a CardBus bridge's 128), since some chips
 * lock up on reads of undefined config space; st_size stays cfg_size.
 */
static ssize_t read_config(struct sysfs_ctx *c, char *buf, size_t size, s64 off)
{
	struct pci_dev *pdev = ctx_pdev(c);
	size_t limit = pdev->cfg_size, n;

	if (!c->cap_sys_admin)
		limit = (pdev->hdr_type & 0x7f) == PCI_HEADER_TYPE_CARDBUS ? 128 : 64;
	if (off < 0)
		return -EINVAL;
	if ((u64)off >= limit)
		return 0;
	n = min(size, limit - (size_t)off);
	for (size_t i = 0; i < n; i++)
		buf[i] = (char)pci_read_config(pdev, (unsigned int)off + (unsigned int)i, 1);
	return (ssize_t)n;
}

/* pci_write_config (drivers/pci/pci-sysfs.c): naturally aligned 1, 2 and 4-byte cycles. */
static ssize_t write_config(struct sysfs_ctx *c, const char *buf, size_t size, s64 off)
{
	struct pci_dev *pdev = ctx_pdev(c);
	unsigned int pos, end;

	if (off < 0)
		return -EINVAL;
	if ((u64)off >= pdev->cfg_size)
		return 0;
	size = min(size, pdev->cfg_size - (size_t)off);
	pos = (unsigned int)off;
	end = pos + (unsigned int)size;
	while (pos < end) {
		unsigned int len = 1;
		u32 val = 0;

		if (!(pos & 3) && end - pos >= 4)
			len = 4;
		else if (!(pos & 1) && end - pos >= 2)
			len = 2;
		for (unsigned int i = 0; i < len; i++)
			val |= (u32)(u8)buf[pos - off + i] << (8 * i);
		pci_write_config(pdev, pos, val, len);
		pos += len;
	}
	return (ssize_t)size;
}

static bool bridge_visible(struct sysfs_ctx *c)
{
	return ctx_pdev(c)->subordinate != NULL;
}

static ssize_t show_secondary_bus_number(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%u\n",
			pci_read_config(ctx_pdev(c), PCI_SECONDARY_BUS, 1));
}

static ssize_t show_subordinate_bus_number(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%u\n",
			pci_read_config(ctx_pdev(c), PCI_SUBORDINATE_BUS, 1));
}

static bool pcie_visible(struct sysfs_ctx *c)
{
	return pci_is_pcie(ctx_pdev(c));
}

static const char *pcie_speed_name(unsigned int speed)
{
	static const char *const names[] = { "Unknown",	      "2.5 GT/s PCIe",	"5.0 GT/s PCIe",
					     "8.0 GT/s PCIe", "16.0 GT/s PCIe", "32.0 GT/s PCIe",
					     "64.0 GT/s PCIe" };

	return speed < ARRAY_SIZE(names) ? names[speed] : "Unknown";
}

/* arg: the register (PCI_EXP_LNKCAP or PCI_EXP_LNKSTA); speed in bits 3:0, width in 9:4. */
static ssize_t show_link_speed(struct sysfs_ctx *c, char *buf)
{
	u32 v = pci_read_config(ctx_pdev(c), (unsigned int)(ctx_pdev(c)->pcie_cap + c->arg), 2);

	return snprintf(buf, SYSFS_PAGE, "%s\n", pcie_speed_name(v & 0xf));
}

static ssize_t show_link_width(struct sysfs_ctx *c, char *buf)
{
	u32 v = pci_read_config(ctx_pdev(c), (unsigned int)(ctx_pdev(c)->pcie_cap + c->arg), 2);

	return snprintf(buf, SYSFS_PAGE, "%u\n", (v >> 4) & 0x3f);
}

static bool reset_visible(struct sysfs_ctx *c)
{
	return pci_reset_supported(ctx_pdev(c));
}

static ssize_t show_reset_method(struct sysfs_ctx *c, char *buf)
{
	struct pci_dev *p = ctx_pdev(c);
	const char *m = p->has_flr ? (p->pm_cap && !pci_is_pcie(p) ? "pm" : "flr") : "bus";

	if (p->has_flr && pci_is_bridge(p))
		m = "pm";
	return snprintf(buf, SYSFS_PAGE, "%s\n", m);
}

/* reset_store: "1" resets the function under the device lock. */
static ssize_t store_reset(struct sysfs_ctx *c, const char *buf, size_t count)
{
	char *end;
	unsigned long v = strtoul(buf, &end, 0);
	int ret;

	if (end == buf || (*end && *end != '\n') || v != 1)
		return -EINVAL;
	device_lock(&ctx_pdev(c)->dev);
	ret = pci_reset_function(ctx_pdev(c));
	device_unlock(&ctx_pdev(c)->dev);
	return ret < 0 ? ret : (ssize_t)count;
}

/*
 * rescan: /sys/bus/pci/rescan scans every bus, a function's rescan its own bus
 * (dev_rescan_store); functions removed through `remove` are found again.
 */
static ssize_t store_rescan(struct sysfs_ctx *c, const char *buf, size_t count)
{
	bool rescan;

	if (sysfs_kstrtobool(buf, &rescan) < 0)
		return -EINVAL;
	if (rescan) {
		/* A function's rescan, or /sys/bus/pci/rescan (the context's data: the bus). */
		if (ctx_pdev(c))
			pci_rescan_dev_bus(ctx_pdev(c)->bus->pci, ctx_pdev(c));
		else
			pci_rescan_all(container_of((struct bus *)c->data, struct pci_core, bus));
	}
	return (ssize_t)count;
}

/*
 * remove_store: the function (with everything below it, for a bridge) leaves
 * the bus; a vfio-pci function first waits for its user. A removal already
 * under way wins (device_remove_file_self fails) and this one does nothing.
 */
static ssize_t store_remove(struct sysfs_ctx *c, const char *buf, size_t count)
{
	bool remove;

	if (sysfs_kstrtobool(buf, &remove) < 0)
		return -EINVAL;
	if (remove)
		pci_remove_function(ctx_pdev(c)->bus->pci, ctx_pdev(c), false);
	return (ssize_t)count;
}

static int target_driver(struct sysfs_ctx *c, char *buf, size_t size)
{
	struct device *dev = &ctx_pdev(c)->dev;
	struct device_driver *drv;
	int ret = -ENOENT;

	mutex_lock(&dev->bus->lock);
	drv = device_linked_driver(dev);
	if (drv)
		ret = snprintf(buf, size, "/sys/bus/pci/drivers/%s", drv->name);
	mutex_unlock(&dev->bus->lock);
	return ret;
}

static bool driver_visible(struct sysfs_ctx *c)
{
	struct device *dev = &ctx_pdev(c)->dev;
	bool linked;

	mutex_lock(&dev->bus->lock);
	linked = device_linked_driver(dev);
	mutex_unlock(&dev->bus->lock);
	return linked;
}

static bool iommu_group_visible(struct sysfs_ctx *c)
{
	struct iommu_group *group = iommu_group_get(&ctx_pdev(c)->dev);

	if (group)
		iommu_group_put(group);
	return group;
}

static int target_iommu_group(struct sysfs_ctx *c, char *buf, size_t size)
{
	struct iommu_group *group = iommu_group_get(&ctx_pdev(c)->dev);
	int ret;

	if (!group)
		return -ENOENT;
	ret = snprintf(buf, size, "/sys/kernel/iommu_groups/%d", iommu_group_id(group));
	iommu_group_put(group);
	return ret;
}

static int target_bus_pci(struct sysfs_ctx *c, char *buf, size_t size)
{
	return snprintf(buf, size, "/sys/bus/pci");
}

/* bus_type.dev_path: a function's canonical directory. */
int pci_sysfs_dev_path(struct device *dev, char *buf, size_t size)
{
	int len = snprintf(buf, size, "/sys/devices/");

	return len + pci_dev_path(to_pci_dev(dev), buf + len, size - (size_t)len);
}

static const struct sysfs_attr pci_dev_power_attrs[] = {
	ATTR_RW("control", show_power_control, NULL),
	ATTR_RO("runtime_status", show_runtime_status),
	{ NULL },
};

static const struct sysfs_dir pci_dev_power_dir = { .attrs = pci_dev_power_attrs };

static const struct sysfs_attr pci_dev_attrs[] = {
	{ "ari_enabled", S_IFREG | 0444, .show = show_const, .arg = 0 },
	{ "broken_parity_status", S_IFREG | 0644, .show = show_const, .arg = 0 },
	ATTR_RO("class", show_class),
	{ "config", S_IFREG | 0644, .read = read_config, .write = write_config,
	  .size = config_size },
	{ "consistent_dma_mask_bits", S_IFREG | 0444, .show = show_const, .arg = 32 },
	{ "current_link_speed", S_IFREG | 0444, .visible = pcie_visible, .show = show_link_speed,
	  .arg = PCI_EXP_LNKSTA },
	{ "current_link_width", S_IFREG | 0444, .visible = pcie_visible, .show = show_link_width,
	  .arg = PCI_EXP_LNKSTA },
	ATTR_RW("d3cold_allowed", show_d3cold_allowed, NULL),
	ATTR_RO("device", show_device),
	{ "dma_mask_bits", S_IFREG | 0444, .show = show_const, .arg = 32 },
	{ "driver", S_IFLNK | 0777, .visible = driver_visible, .target = target_driver },
	ATTR_RW("driver_override", show_driver_override, store_driver_override),
	ATTR_RW("enable", show_enable, NULL),
	{ "iommu_group", S_IFLNK | 0777, .visible = iommu_group_visible,
	  .target = target_iommu_group },
	ATTR_RO("irq", show_irq),
	ATTR_RO("local_cpulist", show_local_cpulist),
	ATTR_RO("local_cpus", show_local_cpus),
	{ "max_link_speed", S_IFREG | 0444, .visible = pcie_visible, .show = show_link_speed,
	  .arg = PCI_EXP_LNKCAP },
	{ "max_link_width", S_IFREG | 0444, .visible = pcie_visible, .show = show_link_width,
	  .arg = PCI_EXP_LNKCAP },
	ATTR_RO("modalias", show_modalias),
	{ "msi_bus", S_IFREG | 0644, .show = show_const, .arg = 1 },
	ATTR_RW("numa_node", show_numa_node, NULL),
	ATTR_DIR("power", &pci_dev_power_dir),
	ATTR_RO("power_state", show_power_state),
	ATTR_WO("remove", 0220, store_remove),
	ATTR_WO("rescan", 0200, store_rescan),
	{ "reset", S_IFREG | 0200, .visible = reset_visible, .store = store_reset },
	{ "reset_method", S_IFREG | 0644, .visible = reset_visible, .show = show_reset_method },
	ATTR_RO("resource", show_resource),
#define RESOURCE(i)                                                                              \
	{                                                                                        \
		"resource" #i, S_IFREG | 0600, .visible = resource_visible, .read = read_einval, \
					       .size = resource_file_size, .arg = i              \
	}
	RESOURCE(0),
	RESOURCE(1),
	RESOURCE(2),
	RESOURCE(3),
	RESOURCE(4),
	RESOURCE(5),
	ATTR_RO("revision", show_revision),
	{ "rom", S_IFREG | 0600, .visible = resource_visible, .read = read_einval,
	  .write = write_rom, .size = resource_file_size, .arg = PCI_ROM_RESOURCE },
	{ "secondary_bus_number", S_IFREG | 0444, .visible = bridge_visible,
	  .show = show_secondary_bus_number },
	{ "subordinate_bus_number", S_IFREG | 0444, .visible = bridge_visible,
	  .show = show_subordinate_bus_number },
	ATTR_LNK("subsystem", target_bus_pci),
	ATTR_RO("subsystem_device", show_subsystem_device),
	ATTR_RO("subsystem_vendor", show_subsystem_vendor),
	ATTR_RW("uevent", show_uevent, store_uevent),
	ATTR_RO("vendor", show_vendor),
	{ NULL },
};

/* A bridge's directory also holds the functions of its secondary bus. */
static void pci_dev_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	if (ctx_pdev(c)->subordinate)
		pci_devs_list(ctx_pdev(c)->bus->pci, ctx_pdev(c)->subordinate, out);
}

static int pci_child_lookup(struct sysfs_ctx *c, struct pci_bus *bus, const char *name,
			    struct sysfs_node *out)
{
	struct pci_dev *pdev = bus ? pci_dev_find(bus->pci, name, bus) : NULL;

	if (!pdev)
		return -ENOENT;
	sysfs_dir_node(c, &pci_dev_sysfs_dir, &pdev->dev, out);
	out->c.data = NULL;
	return 0;
}

static int pci_dev_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	return pci_child_lookup(c, ctx_pdev(c)->subordinate, name, out);
}

const struct sysfs_dir pci_dev_sysfs_dir = {
	.attrs = pci_dev_attrs,
	.list = pci_dev_list,
	.lookup = pci_dev_lookup,
	.slot = SYSFS_DEVICE_CHILD,
};

/* ----------------------------------------------- /sys/devices/pci0000:00 */

/* The context's data: the root bus. */
static void pci_root_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct pci_bus *bus = c->data;

	pci_devs_list(bus->pci, bus, out);
}

static int pci_root_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	return pci_child_lookup(c, c->data, name, out);
}

static const struct sysfs_dir pci_root_dir = { .list = pci_root_list, .lookup = pci_root_lookup };

/* The provider's data: the PCI core. */
static void root_buses_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct pci_core *pci = c->data;
	struct pci_bus *bus;

	mutex_lock(&pci->topology_lock);
	list_for_each_entry(bus, &pci->root_buses, node)
		names_add(out, "pci%04x:%02x", (unsigned int)bus->domain, bus->number);
	mutex_unlock(&pci->topology_lock);
}

static int root_buses_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct pci_core *pci = c->data;
	struct pci_bus *bus, *found = NULL;
	char buf[SYSFS_NAME_MAX];

	mutex_lock(&pci->topology_lock);
	list_for_each_entry(bus, &pci->root_buses, node) {
		snprintf(buf, sizeof(buf), "pci%04x:%02x", (unsigned int)bus->domain, bus->number);
		if (!strcmp(buf, name)) {
			found = bus;
			break;
		}
	}
	mutex_unlock(&pci->topology_lock);
	if (!found)
		return -ENOENT;
	sysfs_dir_node(c, &pci_root_dir, NULL, out);
	out->c.data = found; /* a root bus lives as long as the world */
	return 0;
}

static const struct sysfs_dir root_buses_provider = { .list = root_buses_list,
						      .lookup = root_buses_lookup };

/* ------------------------------------------------------------ /sys/bus/pci */

const struct sysfs_attr pci_bus_sysfs_attrs[] = {
	ATTR_WO("rescan", 0200, store_rescan),
	ATTR_RW("resource_alignment", show_empty, NULL),
	ATTR_DIR("slots", &sysfs_empty_dir),
	{ NULL },
};

static ssize_t store_new_id(struct sysfs_ctx *c, const char *buf, size_t count)
{
	struct device_driver *drv = driver_sysfs_get(c->name, c->data);
	ssize_t ret;

	if (!drv)
		return -ENODEV;
	ret = new_id_store(to_pci_driver(drv), buf, count);
	driver_sysfs_put(drv);
	return ret;
}

static ssize_t store_remove_id(struct sysfs_ctx *c, const char *buf, size_t count)
{
	struct device_driver *drv = driver_sysfs_get(c->name, c->data);
	ssize_t ret;

	if (!drv)
		return -ENODEV;
	ret = remove_id_store(to_pci_driver(drv), buf, count);
	driver_sysfs_put(drv);
	return ret;
}

/* The module a driver lives in, as /sys/module names it. */
static int target_driver_module(struct sysfs_ctx *c, char *buf, size_t size)
{
	struct device_driver *drv = driver_sysfs_get(c->name, c->data);
	int ret;

	if (!drv)
		return -ENOENT;
	ret = snprintf(buf, size, "/sys/module/%s", drv->mod_name ? drv->mod_name : drv->name);
	driver_sysfs_put(drv);
	return ret;
}

const struct sysfs_attr pci_drv_sysfs_attrs[] = {
	ATTR_LNK("module", target_driver_module),
	ATTR_WO("new_id", 0200, store_new_id),
	ATTR_WO("remove_id", 0200, store_remove_id),
	{ NULL },
};

void pci_sysfs_init(struct sysfs_root *root, struct pci_core *pci)
{
	bus_sysfs_add(&pci->bus, root);
	sysfs_add_provider(root, SYSFS_DEVICES, &root_buses_provider, pci);
}

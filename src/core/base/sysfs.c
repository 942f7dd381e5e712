// SPDX-License-Identifier: MIT
/*
 * The sysfs tree of a world, rendered on demand from the driver core, the
 * PCI layer, the IOMMU groups and VFIO, with the kernel's names, modes,
 * symlink targets and text formats (docs/kernel-facts.md §1, docs/sysfs.md):
 *
 *   /sys/devices/pci0000:00/<bdf>[/<bdf>...]   PCI functions (attributes,
 *                                               power/, vfio-dev/vfioN/)
 *   /sys/devices/virtual/vfio/<N>              VFIO group class devices
 *   /sys/bus/pci/{devices,drivers,slots,...}   the PCI bus
 *   /sys/class/{vfio,vfio-dev}                 class links
 *   /sys/kernel/iommu_groups/<n>               IOMMU groups
 *   /sys/devices/virtual/<class>, /sys/class/<class>   virtual class devices
 *                                               (base/class.c)
 *   /sys/bus/mdev, /sys/class/mdev_bus, parents' mdev_supported_types and
 *   instances                                   (mdev/mdev_sysfs.c)
 *   /sys/module/<mod>/parameters               module parameters
 *   /dev/vfio/{vfio,<N>}                       the VFIO device nodes
 *
 * The directory kinds, contexts and attribute tables are shared with those
 * two files through base/sysfs_priv.h.
 *
 * Nothing is stored: a path is resolved component by component (symlinks
 * inside a path are followed as the VFS does) to a node, a directory kind
 * plus the objects it is about, and each attribute renders or stores when
 * it is used. Writes have the kernel's effects and errnos and may block
 * (an unbind waits for the VFIO user); no lock of this file is held then.
 * Opening an attribute in a mode it does not support fails with EACCES, as
 * kernfs does; unknown paths ENOENT.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "iommu/iommu.h"
#include "pci/pci.h"
#include "uvfio/uvfio.h"
#include "base/class.h"
#include "base/sysfs_priv.h"
#include "mdev/mdev.h"
#include "vfio/pci/vfio_pci_priv.h"
#include "world.h"

void names_add(struct sysfs_names *l, const char *fmt, ...)
{
	va_list ap;

	if (l->n == l->cap) {
		l->cap = l->cap ? 2 * l->cap : 16;
		l->name = realloc(l->name, l->cap * sizeof(*l->name));
		if (!l->name)
			abort();
	}
	va_start(ap, fmt);
	vsnprintf(l->name[l->n++], SYSFS_NAME_MAX, fmt, ap);
	va_end(ap);
}

static const struct sysfs_dir sysfs_dirs[SK_NR];

/* The table of a directory kind: sysfs.c's own, or the file that owns the kind. */
static const struct sysfs_dir *sysfs_dir_of(enum sysfs_kind kind)
{
	if (kind < SK_EXT_FIRST)
		return &sysfs_dirs[kind];
	if (kind < SK_CLASS_MDEV_BUS)
		return class_sysfs_dir(kind);
	return mdev_sysfs_dir(kind);
}

static void ctx_get(struct sysfs_ctx *c)
{
	if (c->pdev)
		get_device(&c->pdev->dev);
	if (c->group)
		iommu_group_ref_get(c->group);
	get_device(c->dev);
	if (c->mparent)
		mdev_parent_get(c->mparent);
}

void sysfs_ctx_get(struct sysfs_ctx *c)
{
	ctx_get(c);
}

static void ctx_put(struct sysfs_ctx *c)
{
	if (c->pdev)
		put_device(&c->pdev->dev);
	if (c->group)
		iommu_group_put(c->group);
	put_device(c->dev);
	if (c->mparent)
		mdev_parent_put(c->mparent);
	c->pdev = NULL;
	c->group = NULL;
	c->dev = NULL;
	c->mparent = NULL;
	c->mtype = NULL;
}

/* ---------------------------------------------------------------- helpers */

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

/*
 * The vfio_device registered for dev (vfio-dev/vfioN exists from
 * registration until unregistration hides it): its index, and with
 * open_count non-NULL how many times it is open. -ENOENT if none.
 */
static int vfio_dev_lookup(struct uvfio_world *w, struct device *dev, unsigned int *open_count)
{
	struct vfio *vfio = &w->vfio;
	struct vfio_device *found = NULL, *vdev;
	struct vfio_group *group;
	int index = -ENOENT;

	mutex_lock(&vfio->group_lock);
	list_for_each_entry(group, &vfio->group_list, vfio_next) {
		mutex_lock(&group->device_lock);
		list_for_each_entry(vdev, &group->device_list, group_next) {
			if (vdev->dev == dev) {
				index = vdev->index;
				if (open_count && vfio_device_try_get_registration(vdev))
					found = vdev;
				break;
			}
		}
		mutex_unlock(&group->device_lock);
		if (index >= 0)
			break;
	}
	mutex_unlock(&vfio->group_lock);
	if (open_count)
		*open_count = 0;
	if (found) {
		/* dev_set->lock is outside the group locks: taken alone. */
		mutex_lock(&found->dev_set->lock);
		*open_count = found->open_count;
		mutex_unlock(&found->dev_set->lock);
		vfio_device_put_registration(found);
	}
	return index;
}

/* Whether a VFIO group named id (its iommu group id) exists; its minor in *minor. */
static bool vfio_group_lookup(struct uvfio_world *w, int id, unsigned int *minor)
{
	struct vfio *vfio = &w->vfio;
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

static void vfio_groups_list(struct uvfio_world *w, struct sysfs_names *out)
{
	struct vfio *vfio = &w->vfio;
	struct vfio_group *group;

	mutex_lock(&vfio->group_lock);
	list_for_each_entry(group, &vfio->group_list, vfio_next)
		names_add(out, "%d", group->id);
	mutex_unlock(&vfio->group_lock);
}

static bool parse_id(const char *name, int *id)
{
	char *end;
	long v;

	if (name[0] < '0' || name[0] > '9')
		return false;
	v = strtol(name, &end, 10);
	if (*end || v > INT32_MAX || (name[0] == '0' && name[1]))
		return false;
	*id = (int)v;
	return true;
}

bool sysfs_parse_id(const char *name, int *id)
{
	return parse_id(name, id);
}

int sysfs_vfio_dev_index(struct uvfio_world *w, struct device *dev, unsigned int *open_count)
{
	return vfio_dev_lookup(w, dev, open_count);
}

/* Finds a registered PCI function by name; with bus set, only a function on that bus. */
static struct pci_dev *pci_dev_find(struct uvfio_world *w, const char *name, struct pci_bus *bus)
{
	struct device *dev = bus_find_device_by_name(&w->pci_bus, name);
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

static void pci_devs_list(struct uvfio_world *w, struct pci_bus *bus, struct sysfs_names *out)
{
	struct device *dev;

	mutex_lock(&w->pci_bus.lock);
	list_for_each_entry(dev, &w->pci_bus.devices, bus_node)
		if (!bus || to_pci_dev(dev)->bus == bus)
			names_add(out, "%s", dev_name(dev));
	mutex_unlock(&w->pci_bus.lock);
}

/* ------------------------------------------------- PCI function attributes */

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

/*
 * The kernel prints enable_cnt: bridges are enabled at boot, a host driver
 * enables at probe, vfio-pci only while the device is open (kernel-facts §1).
 */
static bool pci_dev_enabled(struct pci_dev *pdev)
{
	unsigned int open_count;

	if (pci_is_bridge(pdev))
		return true;
	if (!pci_dev_driver_is(pdev, NULL))
		return false;
	if (!pci_dev_driver_is(pdev, "vfio-pci"))
		return true;
	vfio_dev_lookup(pdev->bus->world, &pdev->dev, &open_count);
	return open_count > 0;
}

static ssize_t show_enable(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%d\n", pci_dev_enabled(c->pdev));
}

static ssize_t show_power_state(struct sysfs_ctx *c, char *buf)
{
	/* "unknown" until some driver set the power state (bridges at boot). */
	bool d0 = pci_is_bridge(c->pdev) || pci_dev_driver_is(c->pdev, NULL);

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
	bool suspended = pm_info(&c->pdev->dev).runtime_suspended;

	return snprintf(buf, SYSFS_PAGE, "%s\n", suspended ? "suspended" : "active");
}

static ssize_t show_power_control(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%s\n",
			pm_info(&c->pdev->dev).runtime_auto ? "auto" : "on");
}

static ssize_t show_driver_override(struct sysfs_ctx *c, char *buf)
{
	return driver_override_show(&c->pdev->dev, buf, SYSFS_PAGE);
}

static ssize_t store_driver_override(struct sysfs_ctx *c, const char *buf, size_t count)
{
	return driver_override_store(&c->pdev->dev, buf, count);
}

static ssize_t show_modalias(struct sysfs_ctx *c, char *buf)
{
	struct pci_dev *p = c->pdev;

	return snprintf(buf, SYSFS_PAGE, "pci:v%08Xd%08Xsv%08Xsd%08Xbc%02Xsc%02Xi%02X\n", p->vendor,
			p->device, p->subsystem_vendor, p->subsystem_device,
			(p->class >> 16) & 0xff, (p->class >> 8) & 0xff, p->class & 0xff);
}

static ssize_t show_uevent(struct sysfs_ctx *c, char *buf)
{
	struct pci_dev *p = c->pdev;
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
ssize_t store_uevent(struct sysfs_ctx *c, const char *buf, size_t count)
{
	static const char *const actions[] = { "add",	 "remove",  "change", "move",
					       "online", "offline", "bind",   "unbind" };
	size_t len = strcspn(buf, " \n");

	if (len >= count)
		len = count;
	for (size_t i = 0; i < ARRAY_SIZE(actions); i++)
		if (strlen(actions[i]) == len && !strncmp(buf, actions[i], len))
			return (ssize_t)count;
	return -EINVAL;
}

static ssize_t show_const(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%ld\n", c->arg);
}

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
	return snprintf(buf, SYSFS_PAGE, "%d\n", pci_is_bridge(c->pdev));
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

static bool resource_visible(struct sysfs_ctx *c)
{
	return resource_size(&c->pdev->resource[c->arg]) != 0;
}

static u64 resource_file_size(struct sysfs_ctx *c)
{
	return resource_size(&c->pdev->resource[c->arg]);
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
	return c->pdev->cfg_size;
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

/* pci_write_config (drivers/pci/pci-sysfs.c): naturally aligned 1, 2 and 4-byte cycles. */
static ssize_t write_config(struct sysfs_ctx *c, const char *buf, size_t size, s64 off)
{
	struct pci_dev *pdev = c->pdev;
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
	return c->pdev->subordinate != NULL;
}

static ssize_t show_secondary_bus_number(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%u\n", pci_read_config(c->pdev, PCI_SECONDARY_BUS, 1));
}

static ssize_t show_subordinate_bus_number(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%u\n", pci_read_config(c->pdev, PCI_SUBORDINATE_BUS, 1));
}

static bool pcie_visible(struct sysfs_ctx *c)
{
	return pci_is_pcie(c->pdev);
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
	u32 v = pci_read_config(c->pdev, (unsigned int)(c->pdev->pcie_cap + c->arg), 2);

	return snprintf(buf, SYSFS_PAGE, "%s\n", pcie_speed_name(v & 0xf));
}

static ssize_t show_link_width(struct sysfs_ctx *c, char *buf)
{
	u32 v = pci_read_config(c->pdev, (unsigned int)(c->pdev->pcie_cap + c->arg), 2);

	return snprintf(buf, SYSFS_PAGE, "%u\n", (v >> 4) & 0x3f);
}

static bool reset_visible(struct sysfs_ctx *c)
{
	return pci_reset_supported(c->pdev);
}

static ssize_t show_reset_method(struct sysfs_ctx *c, char *buf)
{
	struct pci_dev *p = c->pdev;
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
	device_lock(&c->pdev->dev);
	ret = pci_reset_function(c->pdev);
	device_unlock(&c->pdev->dev);
	return ret < 0 ? ret : (ssize_t)count;
}

/* kstrtobool(): y/Y/t/T/1 or "on" is true, n/N/f/F/0 or "off" false. */
static int kstrtobool(const char *s, bool *res)
{
	switch (s[0]) {
	case 'y':
	case 'Y':
	case 't':
	case 'T':
	case '1':
		*res = true;
		return 0;
	case 'n':
	case 'N':
	case 'f':
	case 'F':
	case '0':
		*res = false;
		return 0;
	case 'o':
	case 'O':
		if (s[1] == 'n' || s[1] == 'N') {
			*res = true;
			return 0;
		}
		if (s[1] == 'f' || s[1] == 'F') {
			*res = false;
			return 0;
		}
		break;
	}
	return -EINVAL;
}

int sysfs_kstrtobool(const char *s, bool *res)
{
	return kstrtobool(s, res);
}

/*
 * rescan: /sys/bus/pci/rescan scans every bus, a function's rescan its own bus
 * (dev_rescan_store); functions removed through `remove` are found again.
 */
static ssize_t store_rescan(struct sysfs_ctx *c, const char *buf, size_t count)
{
	bool rescan;

	if (kstrtobool(buf, &rescan) < 0)
		return -EINVAL;
	if (rescan) {
		if (c->pdev)
			pci_rescan_dev_bus(c->w, c->pdev);
		else
			pci_rescan_all(c->w);
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

	if (kstrtobool(buf, &remove) < 0)
		return -EINVAL;
	if (remove)
		pci_remove_function(c->w, c->pdev, false);
	return (ssize_t)count;
}

static int target_driver(struct sysfs_ctx *c, char *buf, size_t size)
{
	struct device *dev = &c->pdev->dev;
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
	struct device *dev = &c->pdev->dev;
	bool linked;

	mutex_lock(&dev->bus->lock);
	linked = device_linked_driver(dev);
	mutex_unlock(&dev->bus->lock);
	return linked;
}

static bool iommu_group_visible(struct sysfs_ctx *c)
{
	struct iommu_group *group = iommu_group_get(&c->pdev->dev);

	if (group)
		iommu_group_put(group);
	return group;
}

static int target_iommu_group(struct sysfs_ctx *c, char *buf, size_t size)
{
	struct iommu_group *group = iommu_group_get(&c->pdev->dev);
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

/* The canonical directory of c->pdev. */
static int target_pci_dev(struct sysfs_ctx *c, char *buf, size_t size)
{
	int len = snprintf(buf, size, "/sys/devices/");

	return len + pci_dev_path(c->pdev, buf + len, size - (size_t)len);
}

int sysfs_dev_path(struct uvfio_world *w, struct device *dev, char *buf, size_t size)
{
	const char *cls = virtual_device_class(dev);
	int len;

	if (dev->bus == &w->pci_bus) {
		len = snprintf(buf, size, "/sys/devices/");
		return len + pci_dev_path(to_pci_dev(dev), buf + len, size - (size_t)len);
	}
	if (cls)
		return snprintf(buf, size, "/sys/devices/virtual/%s/%s", cls, dev_name(dev));
	if (!dev->parent)
		return -ENOENT;
	/* A child device (an mdev): below its parent. */
	len = sysfs_dev_path(w, dev->parent, buf, size);
	if (len < 0)
		return len;
	return len +
	       snprintf(buf + len, size - (size_t)min((size_t)len, size), "/%s", dev_name(dev));
}

static bool vfio_dev_visible(struct sysfs_ctx *c)
{
	return vfio_dev_lookup(c->w, &c->pdev->dev, NULL) >= 0;
}

static const struct sysfs_attr pci_dev_attrs[] = {
	{ "ari_enabled", S_IFREG | 0444, .show = show_const, .arg = 0 },
	{ "broken_parity_status", S_IFREG | 0644, .show = show_const, .arg = 0 },
	RO("class", show_class),
	{ "config", S_IFREG | 0644, .read = read_config, .write = write_config,
	  .size = config_size },
	{ "consistent_dma_mask_bits", S_IFREG | 0444, .show = show_const, .arg = 32 },
	{ "current_link_speed", S_IFREG | 0444, .visible = pcie_visible, .show = show_link_speed,
	  .arg = PCI_EXP_LNKSTA },
	{ "current_link_width", S_IFREG | 0444, .visible = pcie_visible, .show = show_link_width,
	  .arg = PCI_EXP_LNKSTA },
	RW("d3cold_allowed", show_d3cold_allowed, NULL),
	RO("device", show_device),
	{ "dma_mask_bits", S_IFREG | 0444, .show = show_const, .arg = 32 },
	{ "driver", S_IFLNK | 0777, .visible = driver_visible, .target = target_driver },
	RW("driver_override", show_driver_override, store_driver_override),
	RW("enable", show_enable, NULL),
	{ "iommu_group", S_IFLNK | 0777, .visible = iommu_group_visible,
	  .target = target_iommu_group },
	RO("irq", show_irq),
	RO("local_cpulist", show_local_cpulist),
	RO("local_cpus", show_local_cpus),
	{ "max_link_speed", S_IFREG | 0444, .visible = pcie_visible, .show = show_link_speed,
	  .arg = PCI_EXP_LNKCAP },
	{ "max_link_width", S_IFREG | 0444, .visible = pcie_visible, .show = show_link_width,
	  .arg = PCI_EXP_LNKCAP },
	RO("modalias", show_modalias),
	{ "msi_bus", S_IFREG | 0644, .show = show_const, .arg = 1 },
	RW("numa_node", show_numa_node, NULL),
	DIR("power", SK_PCI_DEV_POWER),
	RO("power_state", show_power_state),
	WO("remove", 0220, store_remove),
	WO("rescan", 0200, store_rescan),
	{ "reset", S_IFREG | 0200, .visible = reset_visible, .store = store_reset },
	{ "reset_method", S_IFREG | 0644, .visible = reset_visible, .show = show_reset_method },
	RO("resource", show_resource),
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
	RO("revision", show_revision),
	{ "rom", S_IFREG | 0600, .visible = resource_visible, .read = read_einval,
	  .write = write_rom, .size = resource_file_size, .arg = PCI_ROM_RESOURCE },
	{ "secondary_bus_number", S_IFREG | 0444, .visible = bridge_visible,
	  .show = show_secondary_bus_number },
	{ "subordinate_bus_number", S_IFREG | 0444, .visible = bridge_visible,
	  .show = show_subordinate_bus_number },
	LNK("subsystem", target_bus_pci),
	RO("subsystem_device", show_subsystem_device),
	RO("subsystem_vendor", show_subsystem_vendor),
	RW("uevent", show_uevent, store_uevent),
	RO("vendor", show_vendor),
	{ "vfio-dev", S_IFDIR | 0755, .dir = SK_VFIO_DEV_DIR, .visible = vfio_dev_visible },
	{ NULL },
};

static const struct sysfs_attr pci_dev_power_attrs[] = {
	RW("control", show_power_control, NULL),
	RO("runtime_status", show_runtime_status),
	{ NULL },
};

/* A bridge's directory also holds the functions of its secondary bus. */
static void pci_dev_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	if (c->pdev->subordinate)
		pci_devs_list(c->w, c->pdev->subordinate, out);
}

static int pci_child_lookup(struct sysfs_ctx *c, struct pci_bus *bus, const char *name,
			    struct sysfs_node *out)
{
	struct pci_dev *pdev = bus ? pci_dev_find(c->w, name, bus) : NULL;

	if (!pdev)
		return -ENOENT;
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = SK_PCI_DEV, .pdev = pdev } };
	return 0;
}

static int pci_dev_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	return pci_child_lookup(c, c->pdev->subordinate, name, out);
}

/* <bdf>/vfio-dev/vfioN: the vfio_device's class device (no `dev`: no cdev in 6.12's lab). */
static void vfio_dev_dir_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	int index = vfio_dev_lookup(c->w, &c->pdev->dev, NULL);

	if (index >= 0)
		names_add(out, "vfio%d", index);
}

static int vfio_dev_dir_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	int index = vfio_dev_lookup(c->w, &c->pdev->dev, NULL), id;

	if (index < 0 || strncmp(name, "vfio", 4) || !parse_id(name + 4, &id) || id != index)
		return -ENOENT;
	out->c = *c;
	ctx_get(&out->c);
	out->c.kind = SK_VFIO_DEV;
	out->c.id = index;
	out->attr = NULL;
	return 0;
}

static int target_class_vfio_dev(struct sysfs_ctx *c, char *buf, size_t size)
{
	return snprintf(buf, size, "/sys/class/vfio-dev");
}

ssize_t show_empty(struct sysfs_ctx *c, char *buf)
{
	return 0;
}

static const struct sysfs_attr vfio_dev_attrs[] = {
	LNK("device", target_pci_dev),
	DIR("power", SK_EMPTY),
	LNK("subsystem", target_class_vfio_dev),
	RW("uevent", show_empty, store_uevent),
	{ NULL },
};

/* ------------------------------------------------------------ /sys/devices */

static const struct sysfs_attr devices_attrs[] = {
	DIR("virtual", SK_VIRTUAL),
	{ NULL },
};

static void devices_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct pci_bus *bus;

	mutex_lock(&c->w->topology_lock);
	list_for_each_entry(bus, &c->w->root_buses, node)
		names_add(out, "pci%04x:%02x", (unsigned int)bus->domain, bus->number);
	mutex_unlock(&c->w->topology_lock);
}

static int devices_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct pci_bus *bus, *found = NULL;
	char buf[SYSFS_NAME_MAX];

	mutex_lock(&c->w->topology_lock);
	list_for_each_entry(bus, &c->w->root_buses, node) {
		snprintf(buf, sizeof(buf), "pci%04x:%02x", (unsigned int)bus->domain, bus->number);
		if (!strcmp(buf, name)) {
			found = bus;
			break;
		}
	}
	mutex_unlock(&c->w->topology_lock);
	if (!found)
		return -ENOENT;
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = SK_PCI_ROOT, .bus = found } };
	return 0;
}

static void pci_root_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	pci_devs_list(c->w, c->bus, out);
}

static int pci_root_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	return pci_child_lookup(c, c->bus, name, out);
}

static const struct sysfs_attr virtual_attrs[] = {
	DIR("vfio", SK_VIRTUAL_VFIO),
	{ NULL },
};

static void vfio_groups_dir_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	vfio_groups_list(c->w, out);
}

static int virtual_vfio_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	unsigned int minor;
	int id;

	if (!parse_id(name, &id) || !vfio_group_lookup(c->w, id, &minor))
		return -ENOENT;
	*out = (struct sysfs_node){
		.c = { .w = c->w, .kind = SK_VFIO_GROUP_DEV, .id = id, .minor = minor }
	};
	return 0;
}

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

static const struct sysfs_attr vfio_group_dev_attrs[] = {
	RO("dev", show_group_dev),
	DIR("power", SK_EMPTY),
	LNK("subsystem", target_class_vfio),
	RW("uevent", show_group_uevent, store_uevent),
	{ NULL },
};

/* -------------------------------------------------------------- /sys/class */

static const struct sysfs_attr class_attrs[] = {
	DIR("mdev_bus", SK_CLASS_MDEV_BUS),
	DIR("vfio", SK_CLASS_VFIO),
	DIR("vfio-dev", SK_CLASS_VFIO_DEV),
	{ NULL },
};

static int target_vfio_group_dev(struct sysfs_ctx *c, char *buf, size_t size)
{
	return snprintf(buf, size, "/sys/devices/virtual/vfio/%d", c->id);
}

static const struct sysfs_attr class_vfio_link = LNK(NULL, target_vfio_group_dev);

static int class_vfio_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	unsigned int minor;
	int id;

	if (!parse_id(name, &id) || !vfio_group_lookup(c->w, id, &minor))
		return -ENOENT;
	out->c = *c;
	out->c.id = id;
	out->c.minor = minor;
	out->attr = &class_vfio_link;
	return 0;
}

static void class_vfio_dev_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct vfio *vfio = &c->w->vfio;
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

/* A PCI function's or an mdev instance's vfio-dev/vfio<K>. */
static int target_vfio_dev(struct sysfs_ctx *c, char *buf, size_t size)
{
	int len = sysfs_dev_path(c->w, c->dev, buf, size);

	if (len < 0)
		return len;
	return len + snprintf(buf + len, size - (size_t)min((size_t)len, size), "/vfio-dev/vfio%d",
			      c->id);
}

static const struct sysfs_attr class_vfio_dev_link = LNK(NULL, target_vfio_dev);

static int class_vfio_dev_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct vfio *vfio = &c->w->vfio;
	struct vfio_device *vdev;
	struct vfio_group *group;
	struct device *dev = NULL;
	int id;

	if (strncmp(name, "vfio", 4) || !parse_id(name + 4, &id))
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
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = c->kind, .dev = dev, .id = id },
				    .attr = &class_vfio_dev_link };
	return 0;
}

/* ---------------------------------------------------------------- /sys/bus */

static const struct sysfs_attr bus_attrs[] = {
	DIR("mdev", SK_BUS_MDEV),
	DIR("pci", SK_BUS_PCI),
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

static const struct sysfs_attr bus_pci_attrs[] = {
	DIR("devices", SK_BUS_PCI_DEVICES),
	DIR("drivers", SK_BUS_PCI_DRIVERS),
	RW("drivers_autoprobe", show_drivers_autoprobe, store_drivers_autoprobe),
	WO("drivers_probe", 0200, store_drivers_probe),
	WO("rescan", 0200, store_rescan),
	RW("resource_alignment", show_empty, NULL),
	DIR("slots", SK_EMPTY),
	WO("uevent", 0200, store_uevent),
	{ NULL },
};

static const struct sysfs_attr pci_dev_link = LNK(NULL, target_pci_dev);

static void bus_pci_devices_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	pci_devs_list(c->w, NULL, out);
}

static int bus_pci_devices_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct pci_dev *pdev = pci_dev_find(c->w, name, NULL);

	if (!pdev)
		return -ENOENT;
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = c->kind, .pdev = pdev },
				    .attr = &pci_dev_link };
	return 0;
}

static void bus_pci_drivers_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	for (unsigned int i = 0; i < c->w->ndrivers; i++)
		names_add(out, "%s", c->w->drivers[i]->name);
}

static int bus_pci_drivers_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct pci_driver *drv = world_find_pci_driver(c->w, name);

	if (!drv)
		return -ENOENT;
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = SK_PCI_DRIVER, .drv = drv } };
	return 0;
}

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

/* The module a driver lives in, as /sys/module names it. */
static const char *pci_driver_module(const char *drv)
{
	static const char *const map[][2] = {
		{ "vfio-pci", "vfio_pci" },
		{ "pcieport", "pcieportdrv" },
		{ "pci-stub", "pci_stub" },
	};

	for (size_t i = 0; i < ARRAY_SIZE(map); i++)
		if (!strcmp(map[i][0], drv))
			return map[i][1];
	return drv;
}

static int target_driver_module(struct sysfs_ctx *c, char *buf, size_t size)
{
	return snprintf(buf, size, "/sys/module/%s", pci_driver_module(c->drv->name));
}

static const struct sysfs_attr pci_driver_attrs[] = {
	WO("bind", 0200, store_bind),
	LNK("module", target_driver_module),
	WO("new_id", 0200, store_new_id),
	WO("remove_id", 0200, store_remove_id),
	WO("uevent", 0200, store_uevent),
	WO("unbind", 0200, store_unbind),
	{ NULL },
};

static void pci_driver_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct bus *bus = &c->w->pci_bus;
	struct device *dev;

	mutex_lock(&bus->lock);
	list_for_each_entry(dev, &bus->devices, bus_node)
		if (device_linked_driver(dev) == &c->drv->driver)
			names_add(out, "%s", dev_name(dev));
	mutex_unlock(&bus->lock);
}

static int pci_driver_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct pci_dev *pdev = pci_dev_find(c->w, name, NULL);
	bool bound;

	if (!pdev)
		return -ENOENT;
	mutex_lock(&c->w->pci_bus.lock);
	bound = device_linked_driver(&pdev->dev) == &c->drv->driver;
	mutex_unlock(&c->w->pci_bus.lock);
	if (!bound) {
		put_device(&pdev->dev);
		return -ENOENT;
	}
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = c->kind, .drv = c->drv, .pdev = pdev },
				    .attr = &pci_dev_link };
	return 0;
}

/* ------------------------------------------------------- /sys/kernel/iommu_groups */

static const struct sysfs_attr kernel_attrs[] = {
	DIR("iommu_groups", SK_IOMMU_GROUPS),
	{ NULL },
};

static void iommu_groups_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct iommu *iommu = &c->w->iommu;
	struct iommu_group *g;

	mutex_lock(&iommu->lock);
	list_for_each_entry(g, &iommu->groups, node)
		names_add(out, "%d", g->id);
	mutex_unlock(&iommu->lock);
}

static int iommu_groups_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct iommu *iommu = &c->w->iommu;
	struct iommu_group *g, *found = NULL;
	int id;

	if (!parse_id(name, &id))
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
	*out = (struct sysfs_node){ .c = { .w = c->w, .kind = SK_IOMMU_GROUP, .group = found } };
	return 0;
}

static ssize_t show_resv_regions(struct sysfs_ctx *c, char *buf)
{
	return (ssize_t)iommu_group_resv_regions_show(c->group, buf, SYSFS_PAGE);
}

static ssize_t show_group_type(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "DMA\n");
}

static const struct sysfs_attr iommu_group_attrs[] = {
	DIR("devices", SK_IOMMU_GROUP_DEVICES),
	RO("reserved_regions", show_resv_regions),
	RW("type", show_group_type, NULL),
	{ NULL },
};

static int group_dev_name(struct device *dev, void *data)
{
	names_add(data, "%s", dev_name(dev));
	return 0;
}

static void iommu_group_devices_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	iommu_group_for_each_dev(c->group, out, group_dev_name);
}

static int iommu_group_devices_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct pci_dev *pdev = pci_dev_find(c->w, name, NULL);
	struct iommu_group *group;

	if (!pdev)
		return mdev_sysfs_group_member_lookup(c, name, out);
	group = iommu_group_get(&pdev->dev);
	if (group)
		iommu_group_put(group); /* only compared */
	if (group != c->group) {
		put_device(&pdev->dev);
		return -ENOENT;
	}
	out->c = *c;
	ctx_get(&out->c);
	out->c.pdev = pdev; /* takes over the reference of pci_dev_find */
	out->attr = &pci_dev_link;
	return 0;
}

/* ------------------------------------------------------------- /sys/module */

static ssize_t show_param_bool(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%c\n", c->arg ? 'Y' : 'N');
}

static ssize_t show_allow_unsafe_interrupts(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%c\n",
			c->w->vfio.params.allow_unsafe_interrupts ? 'Y' : 'N');
}

static ssize_t show_dma_entry_limit(struct sysfs_ctx *c, char *buf)
{
	return snprintf(buf, SYSFS_PAGE, "%u\n", c->w->vfio.params.dma_entry_limit);
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

struct sysfs_module {
	const char *name;
	const struct sysfs_attr *params; /* NULL: no parameters/ directory */
};

/* The lab's modules that matter to VFIO tools; vfio has no parameters without NOIOMMU. */
static const struct sysfs_module sysfs_modules[] = {
	{ "e1000", NULL },
	{ "pci_stub", NULL },
	{ "pcieportdrv", NULL },
	{ "vfio", NULL },
	{ "vfio_iommu_type1", type1_params },
	{ "vfio_pci", vfio_pci_params },
	{ "vfio_pci_core", NULL },
};

static void modules_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(sysfs_modules); i++)
		names_add(out, "%s", sysfs_modules[i].name);
}

static int modules_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	for (size_t i = 0; i < ARRAY_SIZE(sysfs_modules); i++) {
		if (!strcmp(sysfs_modules[i].name, name)) {
			*out = (struct sysfs_node){
				.c = { .w = c->w, .kind = SK_MODULE, .mod = &sysfs_modules[i] }
			};
			return 0;
		}
	}
	return -ENOENT;
}

static bool module_params_visible(struct sysfs_ctx *c)
{
	return c->mod->params != NULL;
}

static const struct sysfs_attr module_attrs[] = {
	{ "parameters", S_IFDIR | 0755, .dir = SK_MODULE_PARAMS, .visible = module_params_visible },
	{ NULL },
};

/* ----------------------------------------------------------- / and /dev */

static const struct sysfs_attr root_attrs[] = {
	DIR("dev", SK_DEV),
	DIR("sys", SK_SYS),
	{ NULL },
};

static const struct sysfs_attr dev_attrs[] = {
	DIR("vfio", SK_DEV_VFIO),
	{ NULL },
};

#define CHR_DEV(major, minor) (((long)(major) << 20) | (minor))

static const struct sysfs_attr dev_vfio_attrs[] = {
	{ "vfio", S_IFCHR | 0666, .arg = CHR_DEV(MISC_MAJOR, VFIO_MINOR) },
	{ NULL },
};

static const struct sysfs_attr dev_vfio_group = { .name = NULL, .mode = S_IFCHR | 0600 };

static int dev_vfio_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	unsigned int minor;
	int id;

	if (!parse_id(name, &id) || !vfio_group_lookup(c->w, id, &minor))
		return -ENOENT;
	out->c = *c;
	out->c.id = id;
	out->c.minor = minor;
	out->attr = &dev_vfio_group;
	return 0;
}

static const struct sysfs_attr sys_attrs[] = {
	DIR("bus", SK_BUS),	  DIR("class", SK_CLASS),    DIR("devices", SK_DEVICES),
	DIR("kernel", SK_KERNEL), DIR("module", SK_MODULES), { NULL },
};

static const struct sysfs_attr no_attrs[] = { { NULL } };

static const struct sysfs_dir sysfs_dirs[SK_NR] = {
	[SK_ROOT] = { root_attrs },
	[SK_DEV] = { dev_attrs },
	[SK_DEV_VFIO] = { dev_vfio_attrs, vfio_groups_dir_list, dev_vfio_lookup },
	[SK_SYS] = { sys_attrs },
	[SK_BUS] = { bus_attrs },
	[SK_BUS_PCI] = { bus_pci_attrs },
	[SK_BUS_PCI_DEVICES] = { no_attrs, bus_pci_devices_list, bus_pci_devices_lookup },
	[SK_BUS_PCI_DRIVERS] = { no_attrs, bus_pci_drivers_list, bus_pci_drivers_lookup },
	[SK_PCI_DRIVER] = { pci_driver_attrs, pci_driver_list, pci_driver_lookup },
	[SK_EMPTY] = { no_attrs },
	[SK_DEVICES] = { devices_attrs, devices_list, devices_lookup },
	[SK_PCI_ROOT] = { no_attrs, pci_root_list, pci_root_lookup },
	[SK_PCI_DEV] = { pci_dev_attrs, pci_dev_list, pci_dev_lookup },
	[SK_PCI_DEV_POWER] = { pci_dev_power_attrs },
	[SK_VFIO_DEV_DIR] = { no_attrs, vfio_dev_dir_list, vfio_dev_dir_lookup },
	[SK_VFIO_DEV] = { vfio_dev_attrs },
	[SK_VIRTUAL] = { virtual_attrs, class_sysfs_virtual_list, class_sysfs_virtual_lookup },
	[SK_VIRTUAL_VFIO] = { no_attrs, vfio_groups_dir_list, virtual_vfio_lookup },
	[SK_VFIO_GROUP_DEV] = { vfio_group_dev_attrs },
	[SK_CLASS] = { class_attrs, class_sysfs_virtual_list, class_sysfs_class_lookup },
	[SK_CLASS_VFIO] = { no_attrs, vfio_groups_dir_list, class_vfio_lookup },
	[SK_CLASS_VFIO_DEV] = { no_attrs, class_vfio_dev_list, class_vfio_dev_lookup },
	[SK_KERNEL] = { kernel_attrs },
	[SK_IOMMU_GROUPS] = { no_attrs, iommu_groups_list, iommu_groups_lookup },
	[SK_IOMMU_GROUP] = { iommu_group_attrs },
	[SK_IOMMU_GROUP_DEVICES] = { no_attrs, iommu_group_devices_list,
				     iommu_group_devices_lookup },
	[SK_MODULES] = { no_attrs, modules_list, modules_lookup },
	[SK_MODULE] = { module_attrs },
	[SK_MODULE_PARAMS] = { NULL }, /* the module's own table */
};

/* ------------------------------------------------------------- resolution */

static const struct sysfs_attr *dir_attrs(const struct sysfs_ctx *c)
{
	if (c->kind == SK_MODULE_PARAMS)
		return c->mod->params;
	return sysfs_dir_of(c->kind)->attrs;
}

static bool attr_visible(struct sysfs_ctx *c, const struct sysfs_attr *a)
{
	bool v;

	if (!a->visible)
		return true;
	c->arg = a->arg;
	v = a->visible(c);
	c->arg = 0;
	return v;
}

/* The entry name of the directory node dir, as a new node. */
static int node_lookup(struct sysfs_node *dir, const char *name, struct sysfs_node *out)
{
	struct sysfs_ctx *c = &dir->c;
	const struct sysfs_attr *a;

	if (dir->attr)
		return -ENOTDIR;
	for (a = dir_attrs(c); a->name; a++) {
		if (strcmp(a->name, name) || !attr_visible(c, a))
			continue;
		out->c = *c;
		ctx_get(&out->c);
		if (S_ISDIR(a->mode)) {
			out->c.kind = a->dir;
			out->attr = NULL;
		} else {
			out->attr = a;
		}
		return 0;
	}
	if (sysfs_dir_of(c->kind)->lookup)
		return sysfs_dir_of(c->kind)->lookup(c, name, out);
	return -ENOENT;
}

static void node_put(struct sysfs_node *n)
{
	ctx_put(&n->c);
}

/* "../../../bus/pci": target (absolute) relative to the directory dir (absolute). */
static int sysfs_relative(const char *dir, const char *target, char *buf, size_t size)
{
	size_t common = 0, i = 0, tparent = (size_t)(strrchr(target, '/') - target);
	int len = 0;

	/*
	 * The longest common prefix, ending at a component boundary, of dir and
	 * the target's parent (kernfs_get_target_path: a link to an ancestor
	 * climbs above it and names it).
	 */
	for (;; i++) {
		bool dend = !dir[i] || dir[i] == '/', tend = !target[i] || target[i] == '/';

		if (dend && tend && i <= tparent)
			common = i;
		if (!dir[i] || !target[i] || dir[i] != target[i])
			break;
	}
	buf[0] = '\0';
	for (const char *p = dir + common; *p; p++)
		if (*p == '/' && (size_t)len + 4 < size)
			len += snprintf(buf + len, size - (size_t)len, "../");
	if (target[common] == '/')
		common++;
	len += snprintf(buf + len, size - (size_t)len, "%s", target + common);
	if (len > 0 && buf[len - 1] == '/')
		buf[--len] = '\0';
	return len;
}

static int node_readlink(struct sysfs_node *n, const char *dirpath, char *buf, size_t size)
{
	char target[SYSFS_PATH_MAX];
	int ret;

	if (!n->attr || !S_ISLNK(n->attr->mode))
		return -EINVAL;
	n->c.arg = n->attr->arg;
	ret = n->attr->target(&n->c, target, sizeof(target));
	if (ret < 0)
		return ret;
	if ((size_t)ret >= sizeof(target))
		return -ENAMETOOLONG;
	return sysfs_relative(dirpath, target, buf, size);
}

/*
 * Resolves path to a node. Symlinks met before the last component are
 * followed (and the last one too with follow), as path lookup does: a link's
 * target continues the walk from the link's directory, and since only real
 * directories are ever entered, the walked prefix stays canonical and ".."
 * simply drops its last component. canon (optional) receives the node's
 * canonical path.
 */
static int sysfs_walk(struct uvfio_world *w, const char *path, bool follow, struct sysfs_node *out,
		      char *canon)
{
	char rest[SYSFS_PATH_MAX], cur[SYSFS_PATH_MAX] = "", name[SYSFS_NAME_MAX + 1];
	struct sysfs_node node = { .c = { .w = w, .kind = SK_ROOT } }, child;
	const char *p;
	int links = 0, ret;

	if (path[0] != '/')
		return -ENOENT;
	if (strlen(path) >= sizeof(rest))
		return -ENAMETOOLONG;
	strcpy(rest, path);
	p = rest;
	for (;;) {
		size_t len;

		while (*p == '/')
			p++;
		if (!*p)
			break;
		len = strcspn(p, "/");
		if (len > SYSFS_NAME_MAX) {
			ret = -ENAMETOOLONG;
			goto err;
		}
		memcpy(name, p, len);
		name[len] = '\0';
		p += len;
		if (!strcmp(name, "."))
			continue;
		if (node.attr) {
			ret = -ENOTDIR;
			goto err;
		}
		if (!strcmp(name, "..")) {
			char *slash = strrchr(cur, '/');

			if (slash)
				*slash = '\0';
			node_put(&node);
			/* cur has no links and no "..": one level of recursion. */
			ret = sysfs_walk(w, cur[0] ? cur : "/", false, &node, NULL);
			if (ret)
				return ret;
			continue;
		}
		if (strchr(name, '\n')) {
			ret = -ENOENT;
			goto err;
		}
		ret = node_lookup(&node, name, &child);
		if (ret)
			goto err;
		if (child.attr && S_ISLNK(child.attr->mode) && (follow || *p)) {
			char target[SYSFS_PATH_MAX], *tail = rest + sizeof(rest) / 2;

			if (++links > SYSFS_MAX_LINKS) {
				node_put(&child);
				ret = -ELOOP;
				goto err;
			}
			ret = node_readlink(&child, cur, target, sizeof(target));
			node_put(&child);
			if (ret < 0)
				goto err;
			/* New remaining path: target + what followed the link. */
			if (strlen(p) >= sizeof(rest) / 2 || (size_t)ret >= sizeof(rest) / 2) {
				ret = -ENAMETOOLONG;
				goto err;
			}
			memmove(tail, p, strlen(p) + 1);
			memmove(rest, target, (size_t)ret);
			rest[ret] = '/';
			memmove(rest + ret + 1, tail, strlen(tail) + 1);
			p = rest;
			continue;
		}
		node_put(&node);
		node = child;
		if (strlen(cur) + len + 2 > sizeof(cur)) {
			ret = -ENAMETOOLONG;
			goto err;
		}
		strcat(cur, "/");
		strcat(cur, name);
	}
	*out = node;
	if (canon)
		strcpy(canon, cur[0] ? cur : "/");
	return 0;
err:
	node_put(&node);
	return ret;
}

/* Directory part of a canonical path ("/sys/bus/pci/devices/x" → "/sys/bus/pci/devices"). */
static void path_dirname(char *path)
{
	char *slash = strrchr(path, '/');

	if (slash && slash != path)
		*slash = '\0';
	else
		strcpy(path, "/");
}

static void node_stat(struct sysfs_node *n, struct uvfio_sysfs_stat *st)
{
	const struct sysfs_attr *a = n->attr;

	memset(st, 0, sizeof(*st));
	if (!a) {
		st->type = UVFIO_SYSFS_DIR;
		st->mode = 0755;
		st->readable = 1;
		return;
	}
	st->mode = a->mode & 07777;
	if (S_ISLNK(a->mode)) {
		st->type = UVFIO_SYSFS_LNK;
		return;
	}
	if (S_ISCHR(a->mode)) {
		st->type = UVFIO_SYSFS_CHR;
		st->rdev_major = a->arg ? (unsigned int)(a->arg >> 20) : VFIO_GROUP_MAJOR;
		st->rdev_minor = a->arg ? (unsigned int)(a->arg & 0xfffff) : n->c.minor;
		st->readable = st->writable = 1;
		return;
	}
	st->type = UVFIO_SYSFS_REG;
	st->readable = a->show || a->read;
	st->writable = a->store || a->write;
	if (a->size) {
		st->binary = 1;
		n->c.arg = a->arg;
		st->size = a->size(&n->c);
	} else {
		st->size = SYSFS_PAGE;
	}
}

int uvfio_sysfs_stat(struct uvfio_world *w, const char *path, struct uvfio_sysfs_stat *st)
{
	struct sysfs_node n;
	int ret = sysfs_walk(w, path, false, &n, NULL);

	if (ret)
		return ret;
	node_stat(&n, st);
	node_put(&n);
	return 0;
}

struct sysfs_dirent {
	char name[SYSFS_NAME_MAX];
	struct uvfio_sysfs_stat st;
};

static int dirent_cmp(const void *a, const void *b)
{
	return strcmp(((const struct sysfs_dirent *)a)->name,
		      ((const struct sysfs_dirent *)b)->name);
}

int uvfio_sysfs_readdir(struct uvfio_world *w, const char *path, uvfio_sysfs_filldir_t fn,
			void *arg)
{
	struct sysfs_names names = { 0 };
	struct sysfs_dirent *ents;
	const struct sysfs_attr *a;
	struct sysfs_node dir;
	size_t n = 0;
	int ret = sysfs_walk(w, path, true, &dir, NULL);

	if (ret)
		return ret;
	if (dir.attr) {
		node_put(&dir);
		return -ENOTDIR;
	}
	for (a = dir_attrs(&dir.c); a->name; a++)
		if (attr_visible(&dir.c, a))
			names_add(&names, "%s", a->name);
	if (sysfs_dir_of(dir.c.kind)->list)
		sysfs_dir_of(dir.c.kind)->list(&dir.c, &names);
	/* Stat each entry; one that vanished since the listing is left out. */
	ents = xcalloc(names.n + 1, sizeof(*ents));
	for (size_t i = 0; i < names.n; i++) {
		struct sysfs_node child;

		if (node_lookup(&dir, names.name[i], &child))
			continue;
		snprintf(ents[n].name, sizeof(ents[n].name), "%s", names.name[i]);
		node_stat(&child, &ents[n].st);
		node_put(&child);
		n++;
	}
	node_put(&dir);
	free(names.name);
	qsort(ents, n, sizeof(*ents), dirent_cmp);
	ret = 0;
	for (size_t i = 0; i < n && !ret; i++)
		ret = fn(arg, ents[i].name, &ents[i].st);
	free(ents);
	return ret;
}

static ssize_t sysfs_pwrite(struct uvfio_world *w, const char *path, const void *buf, size_t len,
			    long long off)
{
	const struct sysfs_attr *a;
	struct sysfs_node n;
	ssize_t ret = sysfs_walk(w, path, true, &n, NULL);

	if (ret)
		return ret;
	a = n.attr;
	n.c.arg = a ? a->arg : 0;
	if (!a) {
		ret = -EISDIR;
	} else if (a->write) {
		ret = a->write(&n.c, buf, len, off);
	} else if (!a->store) {
		ret = S_ISCHR(a->mode) ? -ENXIO : -EACCES;
	} else if (len == 0) {
		ret = 0; /* an empty write never reaches the attribute */
	} else {
		/* kernfs hands the store at most a page, NUL-terminated. */
		size_t count = min(len, (size_t)SYSFS_PAGE - 1);
		char *page = xzalloc(SYSFS_PAGE);

		memcpy(page, buf, count);
		ret = a->store(&n.c, page, count);
		free(page);
		/* sysfs truncates writes to a page; report what the caller wrote. */
		if (ret == (ssize_t)count)
			ret = (ssize_t)len;
	}
	node_put(&n);
	return ret;
}

/*
 * Every write is traced once it returns, with who wrote, the path, the bytes
 * (at most 256, JSON-escaped) and the result (count or -errno):
 * {"op":"sysfs_write","pid":1234,"path":"/sys/...","value":"0000:00:03.0\n","len":13,"result":13}
 */
ssize_t uvfio_sysfs_pwrite_as(struct uvfio_world *w, const struct uvfio_writer *who,
			      const char *path, const void *buf, size_t len, long long off)
{
	const struct uvfio_writer *old = set_current_writer(who);
	char epath[512], evalue[1600];
	ssize_t ret = sysfs_pwrite(w, path, buf, len, off);

	set_current_writer(old);
	if (w->trace) {
		json_escape(epath, sizeof(epath), path, strlen(path));
		json_escape(evalue, sizeof(evalue), buf, min(len, (size_t)256));
		world_trace(w,
			    "{\"op\":\"sysfs_write\",\"pid\":%d,\"path\":\"%s\",\"value\":\"%s\","
			    "\"len\":%zu,\"off\":%lld,\"result\":%zd}",
			    who ? (int)who->pid : 0, epath, evalue, len, off, ret);
	}
	return ret;
}

ssize_t uvfio_sysfs_pwrite(struct uvfio_world *w, const char *path, const void *buf, size_t len,
			   long long off)
{
	return uvfio_sysfs_pwrite_as(w, NULL, path, buf, len, off);
}

ssize_t uvfio_sysfs_write(struct uvfio_world *w, const char *path, const void *buf, size_t len)
{
	return uvfio_sysfs_pwrite(w, path, buf, len, 0);
}

ssize_t uvfio_sysfs_pread(struct uvfio_world *w, const char *path, void *buf, size_t size,
			  long long off)
{
	const struct sysfs_attr *a;
	struct sysfs_node n;
	ssize_t ret = sysfs_walk(w, path, true, &n, NULL);

	if (ret)
		return ret;
	a = n.attr;
	n.c.arg = a ? a->arg : 0;
	if (!a) {
		ret = -EISDIR;
	} else if (off < 0) {
		ret = -EINVAL;
	} else if (a->read) {
		ret = a->read(&n.c, buf, size, off);
	} else if (a->show) {
		char *page = xzalloc(SYSFS_PAGE);

		ret = a->show(&n.c, page);
		if (ret >= 0) {
			ret = off >= ret ? 0 : min(ret - (ssize_t)off, (ssize_t)size);
			memcpy(buf, page + off, (size_t)max(ret, (ssize_t)0));
		}
		free(page);
	} else {
		ret = S_ISCHR(a->mode) ? -ENXIO : -EACCES;
	}
	node_put(&n);
	return ret;
}

ssize_t uvfio_sysfs_read(struct uvfio_world *w, const char *path, void *buf, size_t size)
{
	return uvfio_sysfs_pread(w, path, buf, size, 0);
}

ssize_t uvfio_sysfs_readlink(struct uvfio_world *w, const char *path, char *buf, size_t size)
{
	char canon[SYSFS_PATH_MAX];
	struct sysfs_node n;
	ssize_t ret = sysfs_walk(w, path, false, &n, canon);

	if (ret)
		return ret;
	path_dirname(canon);
	ret = node_readlink(&n, canon, buf, size);
	node_put(&n);
	/* readlink(2) truncates silently. */
	return ret < 0 || !size ? ret : (ssize_t)strnlen(buf, size);
}

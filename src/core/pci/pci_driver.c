// SPDX-License-Identifier: MIT
/*
 * The PCI bus type (drivers/pci/pci-driver.c): matching by static and
 * dynamic ids and driver_override, probe and remove through pci_driver, DMA
 * ownership at probe (pci_dma_configure), and the new_id/remove_id writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/iommu.h"
#include "pci/pci.h"
#include "pci/pci-sysfs.h"

static bool pci_match_one_device(const struct pci_device_id *id, const struct pci_dev *pdev)
{
	return (id->vendor == PCI_ANY_ID || id->vendor == pdev->vendor) &&
	       (id->device == PCI_ANY_ID || id->device == pdev->device) &&
	       (id->subvendor == PCI_ANY_ID || id->subvendor == pdev->subsystem_vendor) &&
	       (id->subdevice == PCI_ANY_ID || id->subdevice == pdev->subsystem_device) &&
	       !((id->class ^ pdev->class) & id->class_mask);
}

static bool pci_id_is_end(const struct pci_device_id *id)
{
	return !id->vendor && !id->subvendor && !id->class_mask && !id->override_only;
}

const struct pci_device_id *pci_match_id(const struct pci_device_id *ids, struct pci_dev *pdev)
{
	if (!ids)
		return NULL;
	for (; !pci_id_is_end(ids); ids++)
		if (pci_match_one_device(ids, pdev))
			return ids;
	return NULL;
}

/* Matches any device: what a driver_override match hands to probe(). */
static const struct pci_device_id pci_device_id_any = {
	.vendor = PCI_ANY_ID,
	.device = PCI_ANY_ID,
	.subvendor = PCI_ANY_ID,
	.subdevice = PCI_ANY_ID,
};

/*
 * pci_match_device(): driver_override first (only the named driver may
 * match, and it matches even without an id), then dynamic ids, then the
 * static table, whose override_only entries need driver_override.
 */
static const struct pci_device_id *pci_match_device(struct pci_driver *drv, struct pci_dev *pdev,
						    const char *override)
{
	const struct pci_device_id *found = NULL, *ids;
	struct pci_dynid *dynid;

	if (override && strcmp(override, drv->name))
		return NULL;
	mutex_lock(&drv->dynids_lock);
	list_for_each_entry(dynid, &drv->dynids, node) {
		if (pci_match_one_device(&dynid->id, pdev)) {
			found = &dynid->id;
			break;
		}
	}
	mutex_unlock(&drv->dynids_lock);
	if (found)
		return found;
	for (ids = drv->id_table; (found = pci_match_id(ids, pdev)); ids = found + 1) {
		if (!found->override_only || override)
			return found;
	}
	if (override)
		return &pci_device_id_any;
	return NULL;
}

bool pci_driver_binds_by_override(const struct pci_driver *drv)
{
	for (const struct pci_device_id *id = drv->id_table; id && id->vendor; id++)
		if (!id->override_only)
			return false;
	return true;
}

static int pci_bus_match(struct device *dev, struct device_driver *drv)
{
	struct pci_dev *pdev = to_pci_dev(dev);
	const char *override;
	char copy[128] = "";

	/* driver_override is protected by device_lock; read a snapshot. */
	override = dev->driver_override;
	if (override)
		snprintf(copy, sizeof(copy), "%s", override);
	return pci_match_device(to_pci_driver(drv), pdev, override ? copy : NULL) != NULL;
}

static int pci_device_probe(struct device *dev)
{
	struct pci_driver *drv = to_pci_driver(dev->driver);
	struct pci_dev *pdev = to_pci_dev(dev);
	const struct pci_device_id *id;

	id = pci_match_device(drv, pdev, dev->driver_override);
	if (!id)
		return -ENODEV;
	return drv->probe ? drv->probe(pdev, id) : 0;
}

static void pci_device_remove(struct device *dev)
{
	struct pci_driver *drv = to_pci_driver(dev->driver);

	if (drv->remove)
		drv->remove(to_pci_dev(dev));
}

static int pci_dma_configure(struct device *dev)
{
	return iommu_device_use_default_domain(dev);
}

static void pci_dma_cleanup(struct device *dev)
{
	iommu_device_unuse_default_domain(dev);
}

const struct bus_type pci_bus_type = {
	.name = "pci",
	.match = pci_bus_match,
	.probe = pci_device_probe,
	.remove = pci_device_remove,
	.dma_configure = pci_dma_configure,
	.dma_cleanup = pci_dma_cleanup,
	.driver_override = true,
	.dev_dir = &pci_dev_sysfs_dir,
	.dev_path = pci_sysfs_dev_path,
	.bus_attrs = pci_bus_sysfs_attrs,
	.drv_attrs = pci_drv_sysfs_attrs,
};

int pci_register_driver(struct pci_core *pci, struct pci_driver *drv)
{
	drv->driver.name = drv->name;
	mutex_init(&drv->dynids_lock, "pci_driver->dynids_lock");
	INIT_LIST_HEAD(&drv->dynids);
	return driver_register(&drv->driver, &pci->bus);
}

void pci_unregister_driver(struct pci_driver *drv)
{
	struct pci_dynid *dynid, *n;

	driver_unregister(&drv->driver);
	list_for_each_entry_safe(dynid, n, &drv->dynids, node) {
		list_del(&dynid->node);
		free(dynid);
	}
	mutex_destroy(&drv->dynids_lock);
}

/* sysfs buffers are at most a page and NUL-terminated before parsing. */
static char *pci_sysfs_string(const char *buf, size_t count)
{
	char *s;

	if (count > 4095)
		count = 4095;
	s = xzalloc(count + 1);
	memcpy(s, buf, count);
	return s;
}

ssize_t new_id_store(struct pci_driver *drv, const char *buf, size_t count)
{
	_cleanup_free_ char *s = pci_sysfs_string(buf, count);
	u32 vendor, device, subvendor = PCI_ANY_ID, subdevice = PCI_ANY_ID, class = 0,
			    class_mask = 0;
	unsigned long driver_data = 0;
	struct pci_dynid *dynid;
	int fields;

	fields = sscanf(s, "%x %x %x %x %x %x %lx", &vendor, &device, &subvendor, &subdevice,
			&class, &class_mask, &driver_data);
	if (fields < 2)
		return -EINVAL;
	if (fields != 7) {
		/* An id the driver already matches (without driver_override) is refused. */
		struct pci_dev probe = {
			.vendor = (u16)vendor,
			.device = (u16)device,
			.subsystem_vendor = (u16)subvendor,
			.subsystem_device = (u16)subdevice,
			.class = class,
		};

		if (pci_match_device(drv, &probe, NULL))
			return -EEXIST;
	}
	/* Only driver_data values of an existing id_table entry are accepted. */
	if (drv->id_table) {
		const struct pci_device_id *ids = drv->id_table;
		bool ok = false;

		for (; ids->vendor || ids->subvendor || ids->class_mask || ids->override_only;
		     ids++) {
			if (driver_data == ids->driver_data) {
				ok = true;
				break;
			}
		}
		if (!ok)
			return -EINVAL;
	}
	dynid = xzalloc(sizeof(*dynid));
	dynid->id = (struct pci_device_id){
		.vendor = vendor,
		.device = device,
		.subvendor = subvendor,
		.subdevice = subdevice,
		.class = class,
		.class_mask = class_mask,
		.driver_data = driver_data,
	};
	mutex_lock(&drv->dynids_lock);
	list_add_tail(&dynid->node, &drv->dynids);
	mutex_unlock(&drv->dynids_lock);
	driver_attach(&drv->driver);
	return (ssize_t)count;
}

ssize_t remove_id_store(struct pci_driver *drv, const char *buf, size_t count)
{
	_cleanup_free_ char *s = pci_sysfs_string(buf, count);
	u32 vendor, device, subvendor = PCI_ANY_ID, subdevice = PCI_ANY_ID, class = 0,
			    class_mask = 0;
	struct pci_dynid *dynid, *n;
	ssize_t ret = -ENODEV;
	int fields;

	fields = sscanf(s, "%x %x %x %x %x %x", &vendor, &device, &subvendor, &subdevice, &class,
			&class_mask);
	if (fields < 2)
		return -EINVAL;
	mutex_lock(&drv->dynids_lock);
	list_for_each_entry_safe(dynid, n, &drv->dynids, node) {
		struct pci_device_id *id = &dynid->id;

		if (id->vendor == vendor && id->device == device &&
		    (subdevice == PCI_ANY_ID || id->subdevice == subdevice) &&
		    (subvendor == PCI_ANY_ID || id->subvendor == subvendor) &&
		    !((id->class ^ class) & class_mask)) {
			list_del(&dynid->node);
			free(dynid);
			ret = (ssize_t)count;
			break;
		}
	}
	mutex_unlock(&drv->dynids_lock);
	return ret;
}

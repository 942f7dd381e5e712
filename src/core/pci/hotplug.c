// SPDX-License-Identifier: MIT
/*
 * Removal and rediscovery of PCI functions (drivers/pci/remove.c and the
 * rescan half of drivers/pci/probe.c): sysfs `remove`, bus and device
 * `rescan`, and `uvfio unplug`/`plug` (an orderly hot-removal and a card put
 * back in its slot).
 *
 * pci_stop_and_remove_bus_device(): below a bridge, the functions of its
 * secondary bus first (last added first); each one's driver is released
 * (device_del: vfio-pci waits there until its user closes the device), it
 * leaves its IOMMU group and its bus. The machine keeps the device model
 * instance: the function is parked on pci_core.removed with its "hardware"
 * state, and a rescan of its bus finds it again (unless it was unplugged),
 * as a rescan finds a function that is still in its slot. It is then a new
 * device to the driver core: no driver_override, a fresh IOMMU group
 * membership, and auto-probe.
 *
 * Everything runs under pci_core.rescan_remove_lock (pci_lock_rescan_remove),
 * held across a removal that waits for a VFIO user, as on Linux: a rescan or
 * another removal waits for it.
 */
#include <stdlib.h>
#include <string.h>

#include "base/trace.h"
#include "iommu/iommu.h"
#include "pci/pci.h"
#include "uvfio/uvfio.h"

/* A function off its bus. Protected by pci_core.topology_lock. */
struct pci_removed {
	struct list_head node; /* pci_core.removed */
	struct pci_dev *pdev; /* the topology's reference */
	bool unplugged; /* out of its slot: rescans do not find it (uvfio unplug) */
};

static void pci_park(struct pci_core *pci, struct pci_dev *pdev, bool unplugged)
{
	struct pci_removed *r = xzalloc(sizeof(*r));

	r->pdev = pdev;
	r->unplugged = unplugged;
	mutex_lock(&pci->topology_lock);
	list_del_init(&pdev->bus_list);
	list_add_tail(&r->node, &pci->removed);
	mutex_unlock(&pci->topology_lock);
}

/* pci_stop_and_remove_bus_device(), with the rescan/remove lock held. */
static void pci_stop_and_remove(struct pci_core *pci, struct pci_dev *pdev, bool unplugged)
{
	lockdep_assert_held(&pci->rescan_remove_lock);
	if (pdev->subordinate) {
		for (;;) {
			struct pci_dev *child;

			mutex_lock(&pci->topology_lock);
			child = list_empty(&pdev->subordinate->devices) ?
					NULL :
					list_entry(pdev->subordinate->devices.prev, struct pci_dev,
						   bus_list);
			mutex_unlock(&pci->topology_lock);
			if (!child)
				break;
			/* Below a removed bridge, functions go with it (and come back with it). */
			pci_stop_and_remove(pci, child, false);
		}
	}
	if (pdev->dev.registered)
		device_del(&pdev->dev);
	iommu_release_device(&pdev->dev);
	pci_park(pci, pdev, unplugged);
}

static struct pci_dev *pci_find_present(struct pci_core *pci, const char *bdf)
{
	struct device *dev = bus_find_device_by_name(&pci->bus, bdf);

	if (dev && strcmp(dev_name(dev), bdf)) {
		put_device(dev);
		dev = NULL;
	}
	return dev ? to_pci_dev(dev) : NULL;
}

int pci_remove_function(struct pci_core *pci, struct pci_dev *pdev, bool unplugged)
{
	int ret = 0;

	mutex_lock(&pci->rescan_remove_lock);
	/* device_remove_file_self(): a removal already under way wins. */
	if (pdev->dev.registered)
		pci_stop_and_remove(pci, pdev, unplugged);
	else
		ret = -ENODEV;
	mutex_unlock(&pci->rescan_remove_lock);
	return ret;
}

/* Relinks parked functions of bus that are in their slots, in devfn order; then below bridges. */
static void pci_scan_child_bus(struct pci_core *pci, struct pci_bus *bus)
{
	struct pci_removed *r, *n;
	struct pci_dev *pos;

	lockdep_assert_held(&pci->topology_lock);
	list_for_each_entry_safe(r, n, &pci->removed, node) {
		if (r->pdev->bus != bus || r->unplugged)
			continue;
		list_for_each_entry(pos, &bus->devices, bus_list)
			if (pos->devfn > r->pdev->devfn)
				break;
		list_add_tail(&r->pdev->bus_list, &pos->bus_list);
		list_del(&r->node);
		free(r);
	}
	list_for_each_entry(pos, &bus->devices, bus_list)
		if (pos->subordinate)
			pci_scan_child_bus(pci, pos->subordinate);
}

/* pci_bus_add_devices(): every new function of the bus, then each child bus. */
static void pci_bus_add_devices(struct pci_core *pci, struct pci_bus *bus)
{
	struct pci_dev *pdev;

	for (;;) {
		struct pci_dev *found = NULL;

		mutex_lock(&pci->topology_lock);
		list_for_each_entry(pdev, &bus->devices, bus_list) {
			if (!pdev->dev.registered && !pdev->dev.iommu_group) {
				found = pdev;
				get_device(&found->dev);
				break;
			}
		}
		mutex_unlock(&pci->topology_lock);
		if (!found)
			break;
		/* A new device: nothing of the old one's driver-core state survives. */
		device_lock(&found->dev);
		free(found->dev.driver_override);
		found->dev.driver_override = NULL;
		device_unlock(&found->dev);
		pci_log_found(found);
		if (iommu_probe_device(pci->iommu, &found->dev)) {
			put_device(&found->dev);
			break;
		}
		device_add(&found->dev);
		put_device(&found->dev);
	}
	/* Bridges live as long as the world once linked; the walk needs no reference. */
	list_for_each_entry(pdev, &bus->devices, bus_list)
		if (pdev->subordinate)
			pci_bus_add_devices(pci, pdev->subordinate);
}

static void pci_rescan_bus(struct pci_core *pci, struct pci_bus *bus)
{
	lockdep_assert_held(&pci->rescan_remove_lock);
	mutex_lock(&pci->topology_lock);
	pci_scan_child_bus(pci, bus);
	mutex_unlock(&pci->topology_lock);
	pci_bus_add_devices(pci, bus);
}

void pci_rescan_all(struct pci_core *pci)
{
	struct pci_bus *bus;

	mutex_lock(&pci->rescan_remove_lock);
	/* Root buses are never removed: the list is stable under rescan_remove_lock. */
	list_for_each_entry(bus, &pci->root_buses, node)
		pci_rescan_bus(pci, bus);
	mutex_unlock(&pci->rescan_remove_lock);
}

void pci_rescan_dev_bus(struct pci_core *pci, struct pci_dev *pdev)
{
	mutex_lock(&pci->rescan_remove_lock);
	/* A function removed meanwhile has no bus to rescan from. */
	if (pdev->dev.registered)
		pci_rescan_bus(pci, pdev->bus);
	mutex_unlock(&pci->rescan_remove_lock);
}

int pci_unplug(struct pci_core *pci, const char *bdf, const struct uvfio_writer *who)
{
	const struct uvfio_writer *old = set_current_writer(who);
	struct pci_dev *pdev = pci_find_present(pci, bdf);
	int ret = -ENODEV;

	if (pdev) {
		trace_emit(pci->trace,
			   "{\"op\":\"unplug\",\"dev\":\"%s\",\"pid\":%d,\"state\":\"start\"}", bdf,
			   who ? (int)who->pid : 0);
		ret = pci_remove_function(pci, pdev, true);
		put_device(&pdev->dev);
	}
	trace_emit(pci->trace, "{\"op\":\"unplug\",\"dev\":\"%s\",\"pid\":%d,\"result\":%d}", bdf,
		   who ? (int)who->pid : 0, ret);
	set_current_writer(old);
	return ret;
}

int pci_plug(struct pci_core *pci, const char *bdf)
{
	struct pci_removed *r;
	struct pci_bus *bus = NULL;
	struct pci_dev *present;
	int ret = -ENODEV;

	mutex_lock(&pci->rescan_remove_lock);
	present = pci_find_present(pci, bdf);
	if (present) {
		put_device(&present->dev);
		ret = -EEXIST;
		goto out;
	}
	mutex_lock(&pci->topology_lock);
	list_for_each_entry(r, &pci->removed, node) {
		if (!strcmp(dev_name(&r->pdev->dev), bdf)) {
			r->unplugged = false;
			bus = r->pdev->bus;
			break;
		}
	}
	mutex_unlock(&pci->topology_lock);
	/* The bridge above it may be out too: then it comes back with the bridge. */
	if (bus && (!bus->self || bus->self->dev.registered)) {
		pci_rescan_bus(pci, bus);
		present = pci_find_present(pci, bdf);
		ret = present ? 0 : -ENODEV;
		if (present)
			put_device(&present->dev);
	}
out:
	mutex_unlock(&pci->rescan_remove_lock);
	trace_emit(pci->trace, "{\"op\":\"plug\",\"dev\":\"%s\",\"result\":%d}", bdf, ret);
	return ret;
}

void pci_removed_destroy(struct pci_core *pci)
{
	struct pci_removed *r, *n;
	struct pci_bus *sub[64];
	unsigned int nsub = 0;

	list_for_each_entry_safe(r, n, &pci->removed, node) {
		if (r->pdev->subordinate && nsub < ARRAY_SIZE(sub))
			sub[nsub++] = r->pdev->subordinate;
		list_del(&r->node);
		put_device(&r->pdev->dev);
		free(r);
	}
	/* Secondary buses of removed bridges: their functions were parked above. */
	for (unsigned int i = 0; i < nsub; i++) {
		list_del_init(&sub[i]->node);
		free(sub[i]);
	}
}

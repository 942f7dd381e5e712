// SPDX-License-Identifier: MIT
/*
 * `uvfio tree`: the world as a person wants to see it: the PCI hierarchy
 * with each function's ids, model, IOMMU group and driver, then the groups,
 * the drivers with what they hold, and VFIO's groups with who uses them.
 * A group whose lock is held (an open or close in progress) is shown as
 * busy rather than waited for: the tree must not hang behind a program.
 */
#include <stdio.h>
#include <string.h>

#include "iommu/iommu.h"
#include "pci/pci.h"
#include "uvfio/uvfio.h"
#include "vfio/vfio.h"
#include "world.h"

static void tree_print_bus(struct uvfio_world *w, struct pci_bus *bus, FILE *out,
			   const char *prefix)
{
	struct pci_dev *pdev;

	list_for_each_entry(pdev, &bus->devices, bus_list) {
		bool last = pdev->bus_list.next == &bus->devices;
		/* A reference: hot removal takes the function out of its group meanwhile. */
		struct iommu_group *group = iommu_group_get(&pdev->dev);
		const char *drv;
		char child[128];

		mutex_lock(&w->pci.bus.lock);
		drv = pdev->dev.driver ? pdev->dev.driver->name : "-";
		fprintf(out, "%s%s %s %04x:%04x [%06x] %-16s group %-3d driver %s\n", prefix,
			last ? "└──" : "├──", dev_name(&pdev->dev), pdev->vendor, pdev->device,
			pdev->class, pdev->model ? pdev->model->name : "?",
			group ? iommu_group_id(group) : -1, drv);
		mutex_unlock(&w->pci.bus.lock);
		iommu_group_put(group);
		if (pdev->subordinate) {
			snprintf(child, sizeof(child), "%s%s", prefix, last ? "    " : "│   ");
			fprintf(out, "%s└── bus %02x\n", child, pdev->subordinate->number);
			snprintf(child + strlen(child), sizeof(child) - strlen(child), "    ");
			tree_print_bus(w, pdev->subordinate, out, child);
		}
	}
}

static int tree_print_member(struct device *dev, void *data)
{
	fprintf(data, " %s", dev_name(dev));
	return 0;
}

/* One VFIO group: open or not, its container, whether a VM knows it, its devices. */
static void tree_print_vfio_group(struct vfio_group *group, FILE *out)
{
	struct vfio_device *vdev;
	bool kvm;

	if (!mutex_trylock(&group->group_lock)) {
		fprintf(out, "  (a group being opened or closed)\n");
		return;
	}
	if (!group->iommu_group) {
		mutex_unlock(&group->group_lock);
		return; /* orphaned: its last device is gone */
	}
	fprintf(out, "  /dev/vfio/%d", group->id);
	mutex_lock(&group->kvm_ref_lock);
	kvm = group->kvm;
	mutex_unlock(&group->kvm_ref_lock);
	fprintf(out, "  %s%s%s%s", group->opened_file ? "open" : "closed",
		group->container ? ", in a container" : "", kvm ? ", kvm" : "",
		group->type == VFIO_EMULATED_IOMMU ? ", emulated iommu" : "");
	mutex_lock(&group->device_lock);
	list_for_each_entry(vdev, &group->device_list, group_next) {
		unsigned int open = 0;
		bool suspended;

		if (mutex_trylock(&vdev->dev_set->lock)) {
			open = vdev->open_count;
			mutex_unlock(&vdev->dev_set->lock);
		}
		/* Open and suspended: the user put it in low power (VFIO_DEVICE_FEATURE). */
		mutex_lock(&vdev->dev->bus->lock);
		suspended = vdev->dev->power.runtime_suspended;
		mutex_unlock(&vdev->dev->bus->lock);
		fprintf(out, "  %s%s", dev_name(vdev->dev),
			!open	  ? "" :
			suspended ? " (open, low power)" :
				    " (open)");
	}
	mutex_unlock(&group->device_lock);
	mutex_unlock(&group->group_lock);
	fprintf(out, "\n");
}

void uvfio_world_print_tree(struct uvfio_world *w, FILE *out)
{
	struct device_driver *drv;
	struct vfio_group *vgroup;
	int ngroups = 0;

	struct iommu_group *group;
	struct pci_bus *bus;

	fprintf(out, "machine %s\n", w->name[0] ? w->name : "(unnamed)");
	mutex_lock(&w->pci.topology_lock);
	list_for_each_entry(bus, &w->pci.root_buses, node) {
		fprintf(out, "pci %04x:%02x\n", bus->domain, bus->number);
		tree_print_bus(w, bus, out, "");
	}
	mutex_unlock(&w->pci.topology_lock);

	fprintf(out, "iommu groups\n");
	mutex_lock(&w->iommu.lock);
	list_for_each_entry(group, &w->iommu.groups, node) {
		fprintf(out, "  %d:", group->id);
		iommu_group_for_each_dev(group, out, tree_print_member);
		mutex_lock(&group->mutex);
		if (group->owner)
			fprintf(out, "  (owned by vfio)\n");
		else if (group->owner_cnt)
			fprintf(out, "  (used by a host driver: not viable)\n");
		else
			fprintf(out, "  (viable)\n");
		mutex_unlock(&group->mutex);
	}
	mutex_unlock(&w->iommu.lock);

	/* The PCI bus's drivers, in registration order, and what each is bound to. */
	fprintf(out, "drivers\n");
	mutex_lock(&w->pci.bus.lock);
	list_for_each_entry(drv, &w->pci.bus.drivers, bus_node) {
		struct device *dev;
		int n = 0;

		fprintf(out, "  %-9s", drv->name);
		list_for_each_entry(dev, &drv->devices, driver_node) {
			fprintf(out, " %s", dev_name(dev));
			n++;
		}
		fprintf(out, "%s\n", n ? "" : " -");
	}
	mutex_unlock(&w->pci.bus.lock);

	fprintf(out, "vfio\n");
	mutex_lock(&w->vfio.group_lock);
	list_for_each_entry(vgroup, &w->vfio.group_list, vfio_next) {
		tree_print_vfio_group(vgroup, out);
		ngroups++;
	}
	mutex_unlock(&w->vfio.group_lock);
	if (!ngroups)
		fprintf(out, "  -\n");
}

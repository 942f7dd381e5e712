/* SPDX-License-Identifier: MIT */
/*
 * The world: one emulated machine and everything the kernel would hold for it.
 * There is no global state; every object reaches its world through a pointer.
 */
#ifndef UVFIO_CORE_WORLD_H
#define UVFIO_CORE_WORLD_H

#include "base/chrdev.h"
#include "base/class.h"
#include "base/device.h"
#include "base/sysfs.h"
#include "iommu/iommu.h"
#include "mdev/mdev.h"
#include "pci/pci.h"
#include "printk/printk.h"
#include "shared/loop.h"
#include "shared/race.h"
#include "vfio/vfio.h"

struct uvfio_machine;

struct uvfio_world {
	struct loop *loop; /* device models' timers and DMA engines, virqfd */
	struct bus pci_bus;
	/*
	 * pci_rescan_remove_lock: one rescan or removal at a time, held across a
	 * removal that waits for a VFIO user. Outer to device->lock.
	 */
	struct mutex rescan_remove_lock;
	struct mutex topology_lock; /* root_buses, the bus tree and removed */
	struct list_head root_buses; /* of pci_bus.node */
	struct list_head removed; /* of pci_removed: functions off their bus (pci/hotplug.c) */
	struct iommu iommu;
	struct vfio vfio;
	struct class_registry classes; /* virtual class devices (base/class.c) */
	struct mdev_core mdev; /* the mdev bus, instances and parents (mdev/) */
	struct printk_log log; /* the kernel log: /dev/kmsg, syslog(2) (printk/) */
	struct sysfs_root sysfs; /* the tree each subsystem hangs its entries into (base/sysfs.h) */
	struct chrdevs chrdevs; /* /dev: each subsystem registers its nodes (base/chrdev.h) */
	struct miscdevice kvm_dev; /* /dev/kvm (kvm/kvm.c) */
	/* Host drivers and vfio-pci, registered at creation. */
	struct pci_driver *drivers[8];
	unsigned int ndrivers;
	char name[64];
	/* Where trace events go (uvfio_world_set_trace); read without a lock after set. */
	void (*trace)(void *arg, const char *line);
	void *trace_arg;
	atomic_bool tracing; /* per-access events wanted (uvfio_world_set_tracing) */
	/* Waits for releases that closes already caused (uvfio_world_set_settle); same rule. */
	void (*settle)(void *arg);
	void *settle_arg;
	/* Race points and old-ordering switches for tests (src/core/race.h, docs/races.md). */
	struct race_registry races;
};

/* Emits one trace line (JSON object, no newline) if someone listens. */
void world_trace(struct uvfio_world *w, const char *fmt, ...) __printf(2, 3);

/* Whether per-access events (DMA, interrupts) are wanted: test before formatting one. */
static inline bool world_tracing(struct uvfio_world *w)
{
	return atomic_load_explicit(&w->tracing, memory_order_relaxed);
}

struct pci_driver *world_find_pci_driver(struct uvfio_world *w, const char *name);

/*
 * pci/hotplug.c: sysfs remove (pci_stop_and_remove_bus_device_locked; -ENODEV if
 * a removal of pdev is already under way), rescans (of every bus; of pdev's
 * bus), and the functions removed from their buses at world destruction.
 */
int pci_remove_function(struct uvfio_world *w, struct pci_dev *pdev, bool unplugged);
void pci_rescan_all(struct uvfio_world *w);
void pci_rescan_dev_bus(struct uvfio_world *w, struct pci_dev *pdev);
void pci_removed_destroy(struct uvfio_world *w);

/* Host drivers (src/core/pci/host_drivers.c) and vfio-pci (src/core/vfio/pci/vfio_pci.c). */
struct pci_driver *e1000_host_driver_new(void);
struct pci_driver *pci_stub_driver_new(void);
struct pci_driver *pcieport_driver_new(void);
struct pci_driver *vfio_pci_driver_new(void);
void host_driver_free(struct pci_driver *drv);

#endif /* UVFIO_CORE_WORLD_H */

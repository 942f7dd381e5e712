/* SPDX-License-Identifier: MIT */
/*
 * The world: one emulated machine and everything the kernel would hold for it.
 * There is no global state; every object reaches its world through a pointer.
 */
#ifndef UVFIO_CORE_WORLD_H
#define UVFIO_CORE_WORLD_H

#include "base/device.h"
#include "iommu/iommu.h"
#include "pci/pci.h"
#include "shared/loop.h"
#include "vfio/vfio.h"

struct uvfio_machine;

struct uvfio_world {
	struct loop *loop; /* device models' timers and DMA engines, virqfd */
	struct bus pci_bus;
	struct mutex topology_lock; /* root_buses and the bus tree */
	struct list_head root_buses; /* of pci_bus.node */
	struct iommu iommu;
	struct vfio vfio;
	/* Host drivers and vfio-pci, registered at creation. */
	struct pci_driver *drivers[8];
	unsigned int ndrivers;
	char name[64];
	/* Where trace events go (uvfio_world_set_trace); read without a lock after set. */
	void (*trace)(void *arg, const char *line);
	void *trace_arg;
};

/* Emits one trace line (JSON object, no newline) if someone listens. */
void world_trace(struct uvfio_world *w, const char *fmt, ...) __printf(2, 3);

struct pci_driver *world_find_pci_driver(struct uvfio_world *w, const char *name);

/* Host drivers (src/core/pci/host_drivers.c) and vfio-pci (src/core/vfio/pci/vfio_pci.c). */
struct pci_driver *e1000_host_driver_new(void);
struct pci_driver *pci_stub_driver_new(void);
struct pci_driver *pcieport_driver_new(void);
struct pci_driver *vfio_pci_driver_new(void);
void host_driver_free(struct pci_driver *drv);

#endif /* UVFIO_CORE_WORLD_H */

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
#include "base/env.h"
#include "base/sysfs.h"
#include "base/trace.h"
#include "iommu/iommu.h"
#include "kvm/kvm.h"
#include "mdev/mdev.h"
#include "pci/pci.h"
#include "printk/printk.h"
#include "shared/loop.h"
#include "shared/race.h"
#include "vfio/vfio.h"

struct uvfio_machine;

struct uvfio_world {
	struct loop *loop; /* device models' timers and DMA engines, virqfd */
	struct pci_core pci; /* the PCI bus, its tree and hot removal (pci/) */
	struct iommu iommu;
	struct vfio vfio;
	struct class_registry classes; /* virtual class devices (base/class.c) */
	struct mdev_core mdev; /* the mdev bus, instances and parents (mdev/) */
	struct printk_log log; /* the kernel log: /dev/kmsg, syslog(2) (printk/) */
	struct sysfs_root sysfs; /* the tree each subsystem hangs its entries into (base/sysfs.h) */
	struct chrdevs chrdevs; /* /dev: each subsystem registers its nodes (base/chrdev.h) */
	struct kvm_core kvm; /* /dev/kvm (kvm/kvm.c) */
	/* Host drivers and vfio-pci, registered at creation. */
	struct pci_driver *drivers[8];
	unsigned int ndrivers;
	char name[64];
	struct trace_sink trace; /* where events go, handed to each subsystem (base/trace.h) */
	struct core_env env; /* what each subsystem is handed (base/env.h) */
	/* Waits for releases that closes already caused (uvfio_world_set_settle); same rule. */
	void (*settle)(void *arg);
	void *settle_arg;
	/* Race points and old-ordering switches for tests (src/core/race.h, docs/races.md). */
	struct race_registry races;
};

/* The front ends' trace lines (the daemon's opens and ioctls): into the world's sink. */
void world_trace(struct uvfio_world *w, const char *fmt, ...) __printf(2, 3);

static inline bool world_tracing(struct uvfio_world *w)
{
	return trace_accesses(&w->trace);
}

#endif /* UVFIO_CORE_WORLD_H */

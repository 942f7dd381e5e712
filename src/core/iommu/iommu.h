/* SPDX-License-Identifier: MIT */
/*
 * The IOMMU layer VFIO builds on: iommu groups derived from the topology
 * (bridges, ACS, multi-function), reserved regions, DMA ownership (5.19+) and
 * domains. A domain translates device DMA; there are three kinds here:
 *   - the default domain: the host kernel's DMA API. Emulated host drivers do
 *     no DMA, so a device model's DMA through it fails like an IOMMU fault;
 *   - the blocking domain: a group claimed by a user but not yet attached;
 *   - unmanaged domains: the type1 backend's, translating IOVA → a mapper's memory.
 *
 * Lock order: iommu_group->mutex → iommu_group->domain_rwsem (read by DMA) →
 *             the domain's own locks. iommu->lock (the world's group list) is
 *             taken alone.
 */
#ifndef UVFIO_CORE_IOMMU_IOMMU_H
#define UVFIO_CORE_IOMMU_IOMMU_H

#include "shared/ida.h"
#include "shared/kref.h"
#include "shared/list.h"
#include "shared/macro.h"
#include "shared/mutex.h"
#include "printk/printk.h"

struct device;
struct iommu_domain;
struct race_registry;
struct trace_sink;
struct uvfio_world;

enum iommu_resv_type {
	IOMMU_RESV_DIRECT,
	IOMMU_RESV_DIRECT_RELAXABLE,
	IOMMU_RESV_RESERVED,
	IOMMU_RESV_MSI,
	IOMMU_RESV_SW_MSI,
};

struct iommu_resv_region {
	u64 start;
	u64 length;
	enum iommu_resv_type type;
};

enum iommu_domain_type {
	IOMMU_DOMAIN_BLOCKED,
	IOMMU_DOMAIN_DMA, /* the default domain */
	IOMMU_DOMAIN_UNMANAGED,
};

struct iommu_domain_ops {
	/*
	 * Device DMA at iova: 0 or -EFAULT. A translation fault (no mapping, or
	 * no permission) sets *fault to the IOVA that faulted, which the IOMMU
	 * reports (iommu/dmar.c); other failures leave it alone.
	 */
	int (*dma_rw)(struct iommu_domain *domain, u64 iova, void *buf, size_t len, bool write,
		      u64 *fault);
};

struct iommu_domain {
	enum iommu_domain_type type;
	const struct iommu_domain_ops *ops;
	u64 aperture_start, aperture_end;
	u64 pgsize_bitmap;
	void *priv;
};

/* The world's IOMMU: one hardware unit covering every PCI function. */
struct iommu {
	struct uvfio_world *world; /* opaque: its kernel log (printk) */
	struct trace_sink *trace; /* the world's, for DMA events */
	struct race_registry *races; /* the world's race points and quirks (docs/races.md) */
	struct mutex lock; /* groups list, group ida */
	/* A leaf: device->iommu_group of every device, set at add and cleared at removal. */
	struct mutex dev_group_lock;
	struct ida group_ida;
	struct list_head groups;
	unsigned int aw_bits; /* address width: 39 on QEMU's VT-d */
	u64 pgsize_bitmap;
	bool intr_remap; /* MSI isolation (interrupt remapping) */
	struct iommu_resv_region msi_region; /* 0xfee00000-0xfeefffff on x86 */
	struct iommu_domain blocked_domain;
	struct iommu_domain default_domain;
	struct ratelimit_state fault_rs; /* dmar_fault()'s: 10 reports every 5 s */
};

/*
 * An iommu group. The kref is the memory; members hold it (dev->iommu_group).
 * Ownership: owner_cnt counts DMA-API drivers bound to members, or is 1 with
 * owner set when a user (VFIO) claimed the group.
 */
struct iommu_group {
	struct kref kref;
	struct iommu *iommu;
	int id;
	char *name; /* optional "name" attribute; NULL */
	struct mutex mutex; /* devices, owner, owner_cnt, domain */
	struct list_head devices; /* of group_device */
	struct list_head node; /* iommu->groups, protected by iommu->lock */
	void *owner; /* protected by mutex */
	unsigned int owner_cnt; /* protected by mutex */
	struct rw_semaphore domain_rwsem; /* domain pointer vs in-flight DMA */
	struct iommu_domain *domain; /* write: mutex + domain_rwsem; read: either */
	void *iommu_data; /* VFIO's per-group data (vfio_group); protected by mutex */
};

struct group_device {
	struct list_head node;
	struct device *dev;
};

void iommu_init(struct iommu *iommu, struct uvfio_world *w, struct trace_sink *trace,
		struct race_registry *races, unsigned int aw_bits);
void iommu_destroy(struct iommu *iommu);

/* Group discovery for a PCI function being added (pci_device_group). */
int iommu_probe_device(struct iommu *iommu, struct device *dev);
void iommu_release_device(struct device *dev);
/* For emulated (mdev) devices: a private group of one. */
struct iommu_group *iommu_group_alloc(struct iommu *iommu);
int iommu_group_add_device(struct iommu_group *group, struct device *dev);
void iommu_group_remove_device(struct device *dev);

struct iommu_group *iommu_group_get(struct device *dev);
struct iommu_group *iommu_group_ref_get(struct iommu_group *group);
void iommu_group_put(struct iommu_group *group);
int iommu_group_id(struct iommu_group *group);
/* /sys/kernel/iommu_groups (iommu/iommu-sysfs.c). */
struct sysfs_root;
void iommu_sysfs_init(struct sysfs_root *root, struct iommu *iommu);
int iommu_group_for_each_dev(struct iommu_group *group, void *data,
			     int (*fn)(struct device *dev, void *data));
/* Reserved regions of the group, merged and sorted; returns the count written (≤ max). */
int iommu_get_group_resv_regions(struct iommu_group *group, struct iommu_resv_region *out, int max);
/* "0x00000000fee00000 0x00000000feefffff msi\n" lines into buf; returns the length. */
size_t iommu_group_resv_regions_show(struct iommu_group *group, char *buf, size_t size);

/* DMA ownership (drivers/iommu/iommu.c, 5.19+). */
int iommu_device_use_default_domain(struct device *dev);
void iommu_device_unuse_default_domain(struct device *dev);
int iommu_group_claim_dma_owner(struct iommu_group *group, void *owner);
void iommu_group_release_dma_owner(struct iommu_group *group);
bool iommu_group_dma_owner_claimed(struct iommu_group *group);

/* Attach a claimed group to an unmanaged domain, and back to blocking. */
int iommu_attach_group(struct iommu_domain *domain, struct iommu_group *group);
void iommu_detach_group(struct iommu_domain *domain, struct iommu_group *group);

/* Device DMA through the group's current domain. */
int iommu_dma_rw(struct device *dev, u64 iova, void *buf, size_t len, bool write);
/* dmar.c: a translation fault of dev's DMA at iova, logged as VT-d's fault handler does. */
void dmar_fault(struct iommu *iommu, struct device *dev, u64 iova, bool write);

#endif /* UVFIO_CORE_IOMMU_IOMMU_H */

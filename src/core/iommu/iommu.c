// SPDX-License-Identifier: MIT
/*
 * The IOMMU core: groups, reserved regions, DMA ownership and domain switching,
 * after drivers/iommu/iommu.c (6.12). Group membership of PCI functions follows
 * pci_device_group() with the DMA-alias walk of drivers/pci/search.c and the
 * ACS tests of drivers/pci/pci.c; the device-specific ACS quirks are not
 * modelled (none of the emulated functions has one).
 *
 * Lock order: iommu_group->mutex → iommu_group->domain_rwsem (write while the
 * domain pointer changes; DMA holds it for read for the whole access, so once a
 * detach returns no access can still be inside the old domain). iommu->lock
 * guards the group list and the id allocator; this file takes it with nothing
 * else held (allocation, and the final put of a group, which must therefore
 * never happen under a group's mutex). Walkers of the list may nest a group's
 * mutex inside it.
 *
 * Group discovery reads the PCI topology without a lock: the caller adds PCI
 * functions one at a time (the world builds its tree from one thread, and
 * hot-add is serialized by the PCI layer), as the kernel's PCI core does.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/trace.h"
#include "iommu/iommu.h"
#include "pci/pci.h"
#include "shared/race.h"
#include "uvfio/uvfio-race.h"

#define PCI_CLASS_BRIDGE_ISA 0x0601
/* The flags pci_device_group() requires on every bridge between a device and the root. */
#define REQ_ACS_FLAGS (PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF)

/* The x86 interrupt window every device behind VT-d reserves (IOAPIC_RANGE_*). */
#define IOMMU_MSI_BASE 0xfee00000ull
#define IOMMU_MSI_LENGTH 0x100000ull
/* VT-d's floppy workaround: ISA bridges get the low 16 MiB identity-mapped. */
#define ISA_DMA_LENGTH (1ull << 24)

#define IOMMU_DEFAULT_AW_BITS 39
#define IOMMU_PGSIZE_BITMAP (BIT_ULL(12) | BIT_ULL(21) | BIT_ULL(30))

/* A group can hold many functions; more distinct regions than this is not a thing. */
#define IOMMU_MAX_RESV 32

static int iommu_fault_dma_rw(struct iommu_domain *domain, u64 iova, void *buf, size_t len,
			      bool write, u64 *fault)
{
	return -EFAULT;
}

/*
 * The blocking domain blocks by definition; the default domain is the host's
 * DMA API, which no emulated host driver programs, so a model's DMA through it
 * has nothing to hit: both fault.
 */
static const struct iommu_domain_ops iommu_fault_domain_ops = {
	.dma_rw = iommu_fault_dma_rw,
};

static void iommu_core_domain_init(struct iommu *iommu, struct iommu_domain *d,
				   enum iommu_domain_type type)
{
	d->type = type;
	d->ops = &iommu_fault_domain_ops;
	d->aperture_start = 0;
	d->aperture_end = iommu->aw_bits >= 64 ? UINT64_MAX : BIT_ULL(iommu->aw_bits) - 1;
	d->pgsize_bitmap = iommu->pgsize_bitmap;
	d->priv = NULL;
}

void iommu_init(struct iommu *iommu, struct uvfio_world *w, struct trace_sink *trace,
		struct race_registry *races, unsigned int aw_bits)
{
	memset(iommu, 0, sizeof(*iommu));
	iommu->world = w;
	iommu->trace = trace;
	iommu->races = races;
	mutex_init(&iommu->lock, "iommu->lock");
	mutex_init(&iommu->dev_group_lock, "iommu->dev_group_lock");
	ida_init(&iommu->group_ida);
	INIT_LIST_HEAD(&iommu->groups);
	iommu->aw_bits = aw_bits ? aw_bits : IOMMU_DEFAULT_AW_BITS;
	if (iommu->aw_bits > 64)
		iommu->aw_bits = 64;
	iommu->pgsize_bitmap = IOMMU_PGSIZE_BITMAP;
	iommu->intr_remap = true;
	iommu->msi_region = (struct iommu_resv_region){
		.start = IOMMU_MSI_BASE,
		.length = IOMMU_MSI_LENGTH,
		.type = IOMMU_RESV_MSI,
	};

	iommu_core_domain_init(iommu, &iommu->blocked_domain, IOMMU_DOMAIN_BLOCKED);
	iommu_core_domain_init(iommu, &iommu->default_domain, IOMMU_DOMAIN_DMA);
	ratelimit_state_init(&iommu->fault_rs, false);
}

void iommu_destroy(struct iommu *iommu)
{
	/* Groups are freed by their last put; by now every device has been removed. */
	ida_destroy(&iommu->group_ida);
	ratelimit_state_destroy(&iommu->fault_rs);
	mutex_destroy(&iommu->dev_group_lock);
	mutex_destroy(&iommu->lock);
}

/* Groups: allocation, references, members. */

/* Called with iommu->lock held, once the last reference is gone. */
static void iommu_group_free(struct iommu_group *group)
{
	struct iommu *iommu = group->iommu;

	lockdep_assert_held(&iommu->lock);
	list_del(&group->node);
	ida_free(&iommu->group_ida, (unsigned int)group->id);
	mutex_destroy(&group->mutex);
	rwsem_destroy(&group->domain_rwsem);
	free(group->name);
	free(group);
}

struct iommu_group *iommu_group_alloc(struct iommu *iommu)
{
	struct iommu_group *group = xzalloc(sizeof(*group));
	int id;

	kref_init(&group->kref);
	group->iommu = iommu;
	mutex_init(&group->mutex, "iommu_group->mutex");
	init_rwsem(&group->domain_rwsem, "iommu_group->domain_rwsem");
	INIT_LIST_HEAD(&group->devices);
	INIT_LIST_HEAD(&group->node);
	group->domain = &iommu->default_domain;

	mutex_lock(&iommu->lock);
	id = ida_alloc_range(&iommu->group_ida, 0, INT32_MAX);
	if (id >= 0) {
		group->id = id;
		list_add_tail(&group->node, &iommu->groups);
	}
	mutex_unlock(&iommu->lock);
	if (id < 0) {
		mutex_destroy(&group->mutex);
		rwsem_destroy(&group->domain_rwsem);
		free(group);
		return ERR_PTR(id);
	}
	return group;
}

struct iommu_group *iommu_group_ref_get(struct iommu_group *group)
{
	kref_get(&group->kref);
	return group;
}

/*
 * The pointer is read under dev_group_lock: sysfs may look at a device that a
 * hot-removal is taking out of its group at that moment.
 */
struct iommu_group *iommu_group_get(struct device *dev)
{
	struct iommu *iommu;
	struct iommu_group *group;

	if (!dev->bus || !dev->bus->iommu)
		return NULL; /* class devices: never in a group */
	iommu = dev->bus->iommu;
	mutex_lock(&iommu->dev_group_lock);
	group = dev->iommu_group;
	if (group)
		iommu_group_ref_get(group);
	mutex_unlock(&iommu->dev_group_lock);
	return group;
}

/*
 * The last reference is dropped under iommu->lock (kref_put_mutex), so a walk
 * of iommu->groups under that lock only ever sees live groups and may take a
 * reference with iommu_group_ref_get().
 */
void iommu_group_put(struct iommu_group *group)
{
	struct iommu *iommu;
	unsigned int old;

	if (!group)
		return;
	old = atomic_load(&group->kref.refcount.refs);
	while (old > 1)
		if (atomic_compare_exchange_weak(&group->kref.refcount.refs, &old, old - 1))
			return;

	iommu = group->iommu;
	mutex_lock(&iommu->lock);
	if (refcount_dec_and_test(&group->kref.refcount))
		iommu_group_free(group);
	mutex_unlock(&iommu->lock);
}

int iommu_group_id(struct iommu_group *group)
{
	return group->id;
}

int iommu_group_add_device(struct iommu_group *group, struct device *dev)
{
	struct group_device *gdev;

	if (dev->iommu_group)
		return -EBUSY;

	gdev = xzalloc(sizeof(*gdev));
	gdev->dev = dev;
	dev_info(dev, "Adding to iommu group %d\n", group->id); /* iommu_group_alloc_device() */
	mutex_lock(&group->iommu->dev_group_lock);
	dev->iommu_group = iommu_group_ref_get(group);
	mutex_unlock(&group->iommu->dev_group_lock);
	mutex_lock(&group->mutex);
	list_add_tail(&gdev->node, &group->devices);
	mutex_unlock(&group->mutex);
	return 0;
}

void iommu_group_remove_device(struct device *dev)
{
	struct iommu_group *group = dev->iommu_group;
	struct group_device *gdev, *tmp;

	if (!group)
		return;

	mutex_lock(&group->mutex);
	list_for_each_entry_safe(gdev, tmp, &group->devices, node) {
		if (gdev->dev == dev) {
			list_del(&gdev->node);
			free(gdev);
			break;
		}
	}
	mutex_unlock(&group->mutex);
	mutex_lock(&group->iommu->dev_group_lock);
	dev->iommu_group = NULL;
	mutex_unlock(&group->iommu->dev_group_lock);
	iommu_group_put(group);
}

void iommu_release_device(struct device *dev)
{
	iommu_group_remove_device(dev);
}

int iommu_group_for_each_dev(struct iommu_group *group, void *data,
			     int (*fn)(struct device *dev, void *data))
{
	struct group_device *gdev;
	int ret = 0;

	mutex_lock(&group->mutex);
	list_for_each_entry(gdev, &group->devices, node) {
		ret = fn(gdev->dev, data);
		if (ret)
			break;
	}
	mutex_unlock(&group->mutex);
	return ret;
}

/* Group discovery for PCI functions (pci_device_group). */

static bool pci_acs_flags_enabled(struct pci_dev *pdev, u16 acs_flags)
{
	u16 cap, ctrl;

	if (!pdev->acs_cap)
		return false;
	/* Features the capability does not list are hard-wired on (egress control aside). */
	cap = (u16)pci_read_config(pdev, (unsigned int)pdev->acs_cap + PCI_ACS_CAP, 2);
	acs_flags &= cap | PCI_ACS_EC;
	ctrl = (u16)pci_read_config(pdev, (unsigned int)pdev->acs_cap + PCI_ACS_CTRL, 2);
	return (ctrl & acs_flags) == acs_flags;
}

/* Whether pdev isolates peer-to-peer traffic as the flags require (pci_acs_enabled). */
static bool pci_acs_enabled(struct pci_dev *pdev, u16 acs_flags)
{
	/* Conventional PCI shares its bus: anything on it can see anyone's DMA. */
	if (!pci_is_pcie(pdev))
		return false;

	switch (pdev->pcie_type) {
	case PCI_EXP_TYPE_PCIE_BRIDGE:
	case PCI_EXP_TYPE_PCI_BRIDGE:
	case PCI_EXP_TYPE_RC_EC:
		return false;
	case PCI_EXP_TYPE_DOWNSTREAM:
	case PCI_EXP_TYPE_ROOT_PORT:
		return pci_acs_flags_enabled(pdev, acs_flags);
	case PCI_EXP_TYPE_ENDPOINT:
	case PCI_EXP_TYPE_UPSTREAM:
	case PCI_EXP_TYPE_LEG_END:
	case PCI_EXP_TYPE_RC_END:
		if (pdev->multifunction)
			return pci_acs_flags_enabled(pdev, acs_flags);
		break;
	}
	/* A single-function device other than a downstream port has no peers to reach. */
	return true;
}

/* Every device from start up to the root bus passes pci_acs_enabled (end == NULL form). */
static bool pci_acs_path_enabled(struct pci_dev *start, u16 acs_flags)
{
	struct pci_dev *pdev = start;

	while (pdev) {
		if (!pci_acs_enabled(pdev, acs_flags))
			return false;
		if (pci_is_root_bus(pdev->bus))
			return true;
		pdev = pdev->bus->self;
	}
	return true;
}

static struct iommu_group *pci_dev_group_get(struct pci_dev *pdev)
{
	return iommu_group_get(&pdev->dev);
}

/*
 * pci_for_each_dma_alias() with get_pci_alias_or_group(): visits pdev, then
 * every bridge upstream that takes ownership of the requester ID (a PCIe-to-PCI
 * bridge or a conventional bridge), stopping at the first one with a group.
 * *last is the last device visited: the topmost alias when none has a group.
 */
static struct iommu_group *pci_dma_alias_group(struct pci_dev *pdev, struct pci_dev **last)
{
	struct iommu_group *group;

	*last = pdev;
	group = pci_dev_group_get(pdev);
	if (group)
		return group;

	for (struct pci_bus *bus = pdev->bus; !pci_is_root_bus(bus); bus = bus->parent) {
		struct pci_dev *tmp = bus->self;

		if (!tmp)
			continue;
		if (pci_is_pcie(tmp)) {
			/* PCIe ports forward the requester ID unchanged. */
			if (tmp->pcie_type != PCI_EXP_TYPE_PCI_BRIDGE &&
			    tmp->pcie_type != PCI_EXP_TYPE_PCIE_BRIDGE)
				continue;
		}
		*last = tmp;
		group = pci_dev_group_get(tmp);
		if (group)
			return group;
	}
	return NULL;
}

/*
 * get_pci_alias_group(): pdev's own group. Devices aliasing each other through
 * quirks (dma_alias_mask) would be followed here; no model declares one.
 */
static struct iommu_group *get_pci_alias_group(struct pci_dev *pdev, u8 *devfns)
{
	if (devfns[pdev->devfn / 8] & BIT(pdev->devfn % 8))
		return NULL;
	devfns[pdev->devfn / 8] |= (u8)BIT(pdev->devfn % 8);
	return pci_dev_group_get(pdev);
}

/* Functions of one multifunction slot without ACS between them share a group. */
static struct iommu_group *get_pci_function_alias_group(struct pci_dev *pdev, u8 *devfns)
{
	struct pci_dev *tmp;

	if (!pdev->multifunction || pci_acs_enabled(pdev, REQ_ACS_FLAGS))
		return NULL;

	list_for_each_entry(tmp, &pdev->bus->devices, bus_list) {
		struct iommu_group *group;

		if (tmp == pdev || PCI_SLOT(tmp->devfn) != PCI_SLOT(pdev->devfn) ||
		    pci_acs_enabled(tmp, REQ_ACS_FLAGS))
			continue;
		group = get_pci_alias_group(tmp, devfns);
		if (group)
			return group;
	}
	return NULL;
}

static struct iommu_group *pci_device_group(struct iommu *iommu, struct pci_dev *pdev)
{
	struct iommu_group *group;
	u8 devfns[256 / 8] = { 0 };
	struct pci_dev *alias;

	group = pci_dma_alias_group(pdev, &alias);
	if (group)
		return group;

	/* Upstream bridges without ACS cannot keep us apart from anything below them. */
	pdev = alias;
	for (struct pci_bus *bus = pdev->bus; !pci_is_root_bus(bus); bus = bus->parent) {
		if (!bus->self)
			continue;
		if (pci_acs_path_enabled(bus->self, REQ_ACS_FLAGS))
			break;
		pdev = bus->self;
		group = pci_dev_group_get(pdev);
		if (group)
			return group;
	}

	group = get_pci_alias_group(pdev, devfns);
	if (group)
		return group;
	group = get_pci_function_alias_group(pdev, devfns);
	if (group)
		return group;
	return iommu_group_alloc(iommu);
}

int iommu_probe_device(struct iommu *iommu, struct device *dev)
{
	struct iommu_group *group;
	int ret;

	if (dev->iommu_group)
		return 0;
	if (!dev_is_pci(dev))
		return -ENODEV;

	group = pci_device_group(iommu, to_pci_dev(dev));
	if (IS_ERR(group))
		return (int)PTR_ERR(group);
	ret = iommu_group_add_device(group, dev);
	iommu_group_put(group);
	return ret;
}

/* Reserved regions. */

/* The regions the IOMMU driver reports for one device (intel_iommu_get_resv_regions). */
static int iommu_dev_resv_regions(struct iommu *iommu, struct device *dev,
				  struct iommu_resv_region *out, int max)
{
	int n = 0;

	/* Only devices behind the IOMMU have any; emulated (mdev) members have none. */
	if (!dev_is_pci(dev))
		return 0;
	if ((to_pci_dev(dev)->class >> 8) == PCI_CLASS_BRIDGE_ISA && n < max)
		out[n++] = (struct iommu_resv_region){ 0, ISA_DMA_LENGTH,
						       IOMMU_RESV_DIRECT_RELAXABLE };
	if (n < max)
		out[n++] = iommu->msi_region;
	return n;
}

static int resv_cmp(const void *a, const void *b)
{
	const struct iommu_resv_region *x = a, *y = b;

	if (x->start != y->start)
		return x->start < y->start ? -1 : 1;
	return (int)x->type - (int)y->type;
}

/*
 * Sorted by start (then type), with overlapping or touching regions of the same
 * type merged, as iommu_insert_resv_region() builds the list.
 */
static int resv_sort_merge(struct iommu_resv_region *r, int n)
{
	int out = 0;

	qsort(r, (size_t)n, sizeof(*r), resv_cmp);
	for (int i = 0; i < n; i++) {
		int j;

		for (j = out - 1; j >= 0; j--)
			if (r[j].type == r[i].type)
				break;
		if (j >= 0) {
			u64 jend = r[j].start + r[j].length - 1;
			u64 iend = r[i].start + r[i].length - 1;

			if (jend == UINT64_MAX || r[i].start <= jend + 1) {
				if (iend > jend)
					r[j].length = iend - r[j].start + 1;
				continue;
			}
		}
		r[out++] = r[i];
	}
	return out;
}

int iommu_get_group_resv_regions(struct iommu_group *group, struct iommu_resv_region *out, int max)
{
	struct iommu_resv_region all[IOMMU_MAX_RESV];
	struct group_device *gdev;
	int n = 0;

	mutex_lock(&group->mutex);
	list_for_each_entry(gdev, &group->devices, node) {
		n += iommu_dev_resv_regions(group->iommu, gdev->dev, all + n, IOMMU_MAX_RESV - n);
		/* Merge as we go so that large groups never run out of room. */
		n = resv_sort_merge(all, n);
	}
	mutex_unlock(&group->mutex);

	if (n > max)
		n = max;
	memcpy(out, all, (size_t)n * sizeof(*out));
	return n;
}

/* sysfs names; the kernel prints both MSI kinds as "msi". */
// clang-format off
static const char *const iommu_resv_type_string[] = {
	[IOMMU_RESV_DIRECT] = "direct",
	[IOMMU_RESV_DIRECT_RELAXABLE] = "direct-relaxable",
	[IOMMU_RESV_RESERVED] = "reserved",
	[IOMMU_RESV_MSI] = "msi",
	[IOMMU_RESV_SW_MSI] = "msi",
};
// clang-format on

size_t iommu_group_resv_regions_show(struct iommu_group *group, char *buf, size_t size)
{
	struct iommu_resv_region r[IOMMU_MAX_RESV];
	int n = iommu_get_group_resv_regions(group, r, IOMMU_MAX_RESV);
	size_t len = 0;

	if (size)
		buf[0] = '\0';
	for (int i = 0; i < n && len < size; i++) {
		int w = snprintf(buf + len, size - len, "0x%016llx 0x%016llx %s\n",
				 (unsigned long long)r[i].start,
				 (unsigned long long)(r[i].start + r[i].length - 1),
				 iommu_resv_type_string[r[i].type]);

		if (w < 0)
			break;
		len += min((size_t)w, size - len - 1);
	}
	return len;
}

/* DMA ownership (5.19+). */

int iommu_device_use_default_domain(struct device *dev)
{
	struct iommu_group *group = iommu_group_get(dev);
	int ret = 0;

	if (!group)
		return 0;

	race_point(group->iommu->races, "iommu_device_use_default_domain");
	mutex_lock(&group->mutex);
	if (group->owner_cnt && !race_quirk(group->iommu->races, UVFIO_QUIRK_NO_DMA_OWNERSHIP)) {
		if (group->domain != &group->iommu->default_domain || group->owner) {
			ret = -EBUSY;
			goto unlock;
		}
	}
	group->owner_cnt++;
unlock:
	mutex_unlock(&group->mutex);
	iommu_group_put(group);
	return ret;
}

void iommu_device_unuse_default_domain(struct device *dev)
{
	struct iommu_group *group = iommu_group_get(dev);

	if (!group)
		return;

	mutex_lock(&group->mutex);
	if (group->owner_cnt && !group->owner)
		group->owner_cnt--;
	mutex_unlock(&group->mutex);
	iommu_group_put(group);
}

/* Switches the group's translation; in-flight DMA finishes in the old domain first. */
static void __iommu_group_set_domain(struct iommu_group *group, struct iommu_domain *domain)
{
	lockdep_assert_held(&group->mutex);

	if (group->domain == domain)
		return;
	down_write(&group->domain_rwsem);
	group->domain = domain;
	up_write(&group->domain_rwsem);
}

int iommu_group_claim_dma_owner(struct iommu_group *group, void *owner)
{
	struct iommu *iommu = group->iommu;
	int ret = 0;

	if (!owner)
		return -EINVAL;

	mutex_lock(&group->mutex);
	if (group->owner_cnt) {
		ret = -EPERM;
		goto unlock;
	}
	if (group->domain && group->domain != &iommu->default_domain) {
		ret = -EBUSY;
		goto unlock;
	}
	__iommu_group_set_domain(group, &iommu->blocked_domain);
	group->owner = owner;
	group->owner_cnt++;
unlock:
	mutex_unlock(&group->mutex);
	return ret;
}

void iommu_group_release_dma_owner(struct iommu_group *group)
{
	mutex_lock(&group->mutex);
	if (group->owner_cnt && group->owner) {
		group->owner_cnt = 0;
		group->owner = NULL;
		__iommu_group_set_domain(group, &group->iommu->default_domain);
	}
	mutex_unlock(&group->mutex);
}

bool iommu_group_dma_owner_claimed(struct iommu_group *group)
{
	bool claimed;

	mutex_lock(&group->mutex);
	claimed = group->owner_cnt != 0;
	mutex_unlock(&group->mutex);
	return claimed;
}

/* Domains. */

int iommu_attach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	struct iommu *iommu = group->iommu;
	int ret = 0;

	if (!domain || domain->type != IOMMU_DOMAIN_UNMANAGED)
		return -EINVAL;

	mutex_lock(&group->mutex);
	/* Another user domain is in place: it must be detached first. */
	if (group->domain && group->domain != &iommu->default_domain &&
	    group->domain != &iommu->blocked_domain && group->domain != domain)
		ret = -EBUSY;
	else
		__iommu_group_set_domain(group, domain);
	mutex_unlock(&group->mutex);
	return ret;
}

void iommu_detach_group(struct iommu_domain *domain, struct iommu_group *group)
{
	struct iommu *iommu = group->iommu;

	mutex_lock(&group->mutex);
	if (group->domain == domain)
		/* Back to the core domain: blocking while a user owns the group. */
		__iommu_group_set_domain(group, group->owner ? &iommu->blocked_domain :
							       &iommu->default_domain);
	mutex_unlock(&group->mutex);
}

int iommu_dma_rw(struct device *dev, u64 iova, void *buf, size_t len, bool write)
{
	struct iommu_group *group = dev->iommu_group;
	struct iommu_domain *domain;
	u64 fault = UINT64_MAX;
	int ret;

	if (!group)
		return -EFAULT;

	down_read(&group->domain_rwsem);
	domain = group->domain;
	if (!domain || domain->type != IOMMU_DOMAIN_UNMANAGED || !domain->ops ||
	    !domain->ops->dma_rw)
		ret = -EFAULT;
	else
		ret = domain->ops->dma_rw(domain, iova, buf, len, write, &fault);
	up_read(&group->domain_rwsem);
	/* A user's domain (VFIO) that has no translation for it: the IOMMU says so. */
	if (ret && fault != UINT64_MAX)
		dmar_fault(group->iommu, dev, fault, write);
	if (trace_accesses(group->iommu->trace))
		trace_emit(group->iommu->trace,
			   "{\"op\":\"dma\",\"dev\":\"%s\",\"iova\":\"0x%llx\",\"len\":%zu,"
			   "\"dir\":\"%s\",\"result\":%d}",
			   dev_name(dev), (unsigned long long)iova, len,
			   write ? "to-memory" : "from-memory", ret);
	return ret;
}

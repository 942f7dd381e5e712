// SPDX-License-Identifier: MIT
/*
 * The IOMMU layer and the type1 backend, driven directly (no container, no
 * files): groups and DMA ownership, group discovery on a hand-built copy of
 * the default machine's topology, reserved regions, and every type1 ioctl with
 * the errnos and bytes a Linux 6.12 host gives (tests/oracle/type1-v*.txt,
 * edu.txt), plus DMA through the domain and vfio_dma_rw().
 *
 * The caller is a struct task whose memory is this process's, reached with
 * process_vm_readv/writev like an in-process uvfio_proc; its probe op reads
 * /proc/self/maps, so a read-only page is seen as such.
 */
#include <inttypes.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/uio.h>
#include <unistd.h>

#include "iommu/iommu.h"
#include "pci/pci.h"
#include "vfio/vfio.h"
#include "world.h"
#include "test.h"

#define PG 4096ull
#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

/* The caller's memory: this process. */

static int self_access(struct mm_struct *mm, u64 addr, void *buf, size_t len, bool write)
{
	struct iovec local = { buf, len }, remote = { (void *)(uintptr_t)addr, len };
	ssize_t n;

	if (!len)
		return 0;
	n = write ? process_vm_writev(getpid(), &local, 1, &remote, 1, 0) :
		    process_vm_readv(getpid(), &local, 1, &remote, 1, 0);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

/* Every page of [addr, addr + len) mapped readable (and writable if write). */
static int self_probe(struct mm_struct *mm, u64 addr, u64 len, bool write)
{
	FILE *f = fopen("/proc/self/maps", "r");
	u64 want = addr, end = addr + len;
	char line[512];

	if (!f)
		return -EFAULT;
	while (want < end && fgets(line, sizeof(line), f)) {
		unsigned long long s, e;
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s", &s, &e, perms) != 3)
			continue;
		if (s > want)
			break;
		if (e <= want)
			continue;
		if (perms[0] != 'r' || (write && perms[1] != 'w'))
			break;
		want = e;
	}
	fclose(f);
	return want >= end ? 0 : -EFAULT;
}

static void self_release(struct mm_struct *mm)
{
	free(mm);
}

static const struct mm_ops self_mm_ops = {
	.access = self_access,
	.probe = self_probe,
	.release = self_release,
};

static struct mm_struct *self_mm_new(void)
{
	struct mm_struct *mm = xzalloc(sizeof(*mm));

	kref_init(&mm->kref);
	mm->ops = &self_mm_ops;
	mm->pid = getpid();
	return mm;
}

/* A fake PCI function: enough of a pci_dev for the IOMMU layer. */

static struct bus fake_pci_bus = { .type = &pci_bus_type };
/* The root bus of a function made with no bus (not on its device list). */
static struct pci_bus fake_root_bus;

static struct pci_dev *fake_pdev(struct pci_bus *bus, unsigned int devfn, u32 class)
{
	struct pci_dev *pdev = xzalloc(sizeof(*pdev));

	pdev->dev.bus = &fake_pci_bus;
	kref_init(&pdev->dev.kref);
	snprintf(pdev->dev.name, sizeof(pdev->dev.name), "0000:%02x:%02x.%u", bus ? bus->number : 0,
		 PCI_SLOT(devfn), PCI_FUNC(devfn));
	pdev->bus = bus ? bus : &fake_root_bus;
	pdev->devfn = devfn;
	pdev->class = class;
	pdev->cfg_size = PCI_CFG_SPACE_EXP_SIZE;
	mutex_init(&pdev->cfg_lock, "cfg_lock");
	if (bus)
		list_add_tail(&pdev->bus_list, &bus->devices);
	return pdev;
}

static void fake_pdev_free(struct pci_dev *pdev)
{
	iommu_group_remove_device(&pdev->dev);
	mutex_destroy(&pdev->cfg_lock);
	free(pdev);
}

/* The backend under test, a world around it and a caller. */

struct fix {
	struct uvfio_world *w;
	struct task task;
	void *iommu;
	struct pci_dev *pdev; /* member of group */
	struct iommu_group *group; /* VFIO_IOMMU, claimed and attached */
	const struct vfio_iommu_driver_ops *ops;
};

static struct uvfio_world *world_new(void)
{
	struct uvfio_world *w = xzalloc(sizeof(*w));

	printk_log_init(&w->log, &w->trace); /* the IOMMU logs group additions and faults */
	iommu_init(&w->iommu, w, &w->trace, &w->races, 39);
	w->vfio.params.dma_entry_limit = 65535;
	w->vfio.iommu = &w->iommu;
	fake_pci_bus.world = w; /* each test runs alone, with one world */
	fake_pci_bus.iommu = &w->iommu;
	return w;
}

static void world_free(struct uvfio_world *w)
{
	iommu_destroy(&w->iommu);
	printk_log_destroy(&w->log);
	free(w);
}

/* A group of one fake edu-like function, owned by owner as VFIO would. */
static struct iommu_group *iommu_group_of_one(struct uvfio_world *w, struct pci_dev **pdev,
					      void *owner)
{
	struct iommu_group *group = iommu_group_alloc(&w->iommu);

	ASSERT_FALSE(IS_ERR(group));
	*pdev = fake_pdev(NULL, PCI_DEVFN(3, 0), 0x00ff00);
	ASSERT_NEG(iommu_group_add_device(group, &(*pdev)->dev), 0);
	iommu_group_put(group); /* the member holds it */
	ASSERT_NEG(iommu_group_claim_dma_owner(group, owner), 0);
	return group;
}

/* The backend only reaches the caller's memory: no descriptor operations needed. */
static const struct task_ops fix_task_ops;

static void fix_init_type(struct fix *f, unsigned long type, bool attach)
{
	memset(f, 0, sizeof(*f));
	f->task.ops = &fix_task_ops;
	f->w = world_new();
	f->ops = &vfio_iommu_driver_ops_type1;
	f->task.mm = self_mm_new();
	f->task.pid = getpid();
	f->task.rlimit_memlock = UINT64_MAX;
	f->task.cap_ipc_lock = true;
	f->iommu = f->ops->open(&f->w->vfio, type);
	ASSERT_FALSE(IS_ERR_OR_NULL(f->iommu));
	f->group = iommu_group_of_one(f->w, &f->pdev, f);
	if (attach)
		ASSERT_NEG(f->ops->attach_group(f->iommu, f->group, VFIO_IOMMU), 0);
}

static void fix_init(struct fix *f)
{
	fix_init_type(f, VFIO_TYPE1v2_IOMMU, true);
}

static void fix_fini(struct fix *f)
{
	if (f->iommu)
		f->ops->release(f->iommu);
	iommu_group_release_dma_owner(f->group);
	fake_pdev_free(f->pdev);
	ASSERT_EQ(atomic_load(&f->task.mm->locked_vm), 0);
	mmput(f->task.mm);
	world_free(f->w);
}

static long ioc(struct fix *f, unsigned int cmd, void *arg)
{
	return f->ops->ioctl(f->iommu, &f->task, cmd, (unsigned long)(uintptr_t)arg);
}

static long map_flags(struct fix *f, u64 iova, const void *vaddr, u64 size, u32 flags)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = flags,
		.vaddr = (u64)(uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioc(f, VFIO_IOMMU_MAP_DMA, &map);
}

static long map(struct fix *f, u64 iova, const void *vaddr, u64 size)
{
	return map_flags(f, iova, vaddr, size, RW);
}

/* UNMAP_DMA; *out gets the size reported back (unchanged on error). */
static long unmap_flags(struct fix *f, u64 iova, u64 size, u32 flags, u64 *out)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	long ret = ioc(f, VFIO_IOMMU_UNMAP_DMA, &unmap);

	if (out)
		*out = unmap.size;
	return ret;
}

static u64 unmap_ok(struct fix *f, u64 iova, u64 size)
{
	u64 got = 0;

	ASSERT_NEG(unmap_flags(f, iova, size, 0, &got), 0);
	return got;
}

/* The DMA_AVAIL capability of GET_INFO. */
static u32 dma_avail(struct fix *f)
{
	u8 buf[256] = { 0 };
	struct vfio_iommu_type1_info *info = (void *)buf;
	u32 off;

	info->argsz = sizeof(buf);
	ASSERT_NEG(ioc(f, VFIO_IOMMU_GET_INFO, buf), 0);
	for (off = info->cap_offset; off;) {
		struct vfio_info_cap_header *h = (void *)(buf + off);

		if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
			return ((struct vfio_iommu_type1_info_dma_avail *)h)->avail;
		off = h->next;
	}
	FAIL("no DMA_AVAIL capability");
}

/* Anonymous memory for DMA: size bytes, 2 MiB aligned. */
static u8 *dma_mem(size_t size)
{
	size_t len = size + (2u << 20);
	u8 *p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	ASSERT_TRUE(p != MAP_FAILED);
	return (u8 *)ALIGN_UP((uintptr_t)p, 2u << 20);
}

/* IOMMU groups and ownership. */

TEST(iommu, group_ids_lowest_free)
{
	struct uvfio_world *w = world_new();
	struct iommu_group *g0 = iommu_group_alloc(&w->iommu);
	struct iommu_group *g1 = iommu_group_alloc(&w->iommu);
	struct iommu_group *g2 = iommu_group_alloc(&w->iommu);

	ASSERT_EQ(iommu_group_id(g0), 0);
	ASSERT_EQ(iommu_group_id(g1), 1);
	ASSERT_EQ(iommu_group_id(g2), 2);
	iommu_group_ref_get(g1);
	iommu_group_put(g1);
	ASSERT_EQ(list_count(&w->iommu.groups), 3);
	iommu_group_put(g1); /* last put frees id 1 */
	ASSERT_EQ(list_count(&w->iommu.groups), 2);
	g1 = iommu_group_alloc(&w->iommu);
	ASSERT_EQ(iommu_group_id(g1), 1);
	iommu_group_put(g0);
	iommu_group_put(g1);
	iommu_group_put(g2);
	ASSERT_TRUE(list_empty(&w->iommu.groups));
	world_free(w);
}

struct walker {
	struct uvfio_world *w;
	atomic_bool stop;
	long found;
};

/* What sysfs does to find a group by id: a reference taken under iommu->lock. */
static void *group_walker(void *arg)
{
	struct walker *wk = arg;

	while (!atomic_load(&wk->stop)) {
		struct iommu_group *g, *found[8];
		int n = 0;

		mutex_lock(&wk->w->iommu.lock);
		list_for_each_entry(g, &wk->w->iommu.groups, node)
			if (n < 8)
				found[n++] = iommu_group_ref_get(g);
		mutex_unlock(&wk->w->iommu.lock);
		wk->found += n;
		while (n)
			iommu_group_put(found[--n]);
	}
	return NULL;
}

TEST(iommu, group_put_races_list_walk)
{
	struct walker wk = { .w = world_new() };
	pthread_t th;

	ASSERT_EQ(pthread_create(&th, NULL, group_walker, &wk), 0);
	for (int i = 0; i < 100000; i++)
		iommu_group_put(iommu_group_alloc(&wk.w->iommu));
	atomic_store(&wk.stop, true);
	pthread_join(th, NULL);
	printf("walker saw %ld groups\n", wk.found);
	ASSERT_TRUE(list_empty(&wk.w->iommu.groups));
	world_free(wk.w);
}

TEST(iommu, dma_ownership)
{
	struct uvfio_world *w = world_new();
	struct pci_dev *a, *b;
	struct iommu_group *g = iommu_group_alloc(&w->iommu);
	int owner, other;

	a = fake_pdev(NULL, PCI_DEVFN(1, 0), 0x020000);
	b = fake_pdev(NULL, PCI_DEVFN(1, 1), 0x020000);
	ASSERT_NEG(iommu_group_add_device(g, &a->dev), 0);
	ASSERT_NEG(iommu_group_add_device(g, &b->dev), 0);
	ASSERT_NEG(iommu_group_add_device(g, &b->dev), EBUSY);
	iommu_group_put(g);
	ASSERT_TRUE(iommu_group_get(&a->dev) == g);
	iommu_group_put(g);

	/* A DMA-API driver on a member: no user owner. */
	ASSERT_NEG(iommu_device_use_default_domain(&a->dev), 0);
	ASSERT_TRUE(iommu_group_dma_owner_claimed(g));
	ASSERT_NEG(iommu_group_claim_dma_owner(g, &owner), EPERM);
	ASSERT_NEG(iommu_device_use_default_domain(&b->dev), 0);
	iommu_device_unuse_default_domain(&a->dev);
	ASSERT_NEG(iommu_group_claim_dma_owner(g, &owner), EPERM);
	iommu_device_unuse_default_domain(&b->dev);
	ASSERT_FALSE(iommu_group_dma_owner_claimed(g));

	/* A user owner: drivers are refused, the group blocks DMA. */
	ASSERT_NEG(iommu_group_claim_dma_owner(g, NULL), EINVAL);
	ASSERT_NEG(iommu_group_claim_dma_owner(g, &owner), 0);
	ASSERT_TRUE(g->domain == &w->iommu.blocked_domain);
	ASSERT_NEG(iommu_device_use_default_domain(&a->dev), EBUSY);
	ASSERT_NEG(iommu_group_claim_dma_owner(g, &other), EPERM);
	ASSERT_NEG(iommu_group_claim_dma_owner(g, &owner), EPERM);
	ASSERT_TRUE(iommu_group_dma_owner_claimed(g));
	{
		u8 buf[4];

		ASSERT_NEG(iommu_dma_rw(&a->dev, 0, buf, 4, false), EFAULT);
	}
	iommu_group_release_dma_owner(g);
	ASSERT_TRUE(g->domain == &w->iommu.default_domain);
	ASSERT_FALSE(iommu_group_dma_owner_claimed(g));
	ASSERT_NEG(iommu_device_use_default_domain(&a->dev), 0);
	iommu_device_unuse_default_domain(&a->dev);

	fake_pdev_free(a);
	ASSERT_EQ(list_count(&w->iommu.groups), 1);
	fake_pdev_free(b);
	ASSERT_TRUE(list_empty(&w->iommu.groups));
	world_free(w);
}

TEST(iommu, attach_detach_domains)
{
	struct uvfio_world *w = world_new();
	struct iommu_domain d1 = { .type = IOMMU_DOMAIN_UNMANAGED };
	struct iommu_domain d2 = { .type = IOMMU_DOMAIN_UNMANAGED };
	struct pci_dev *pdev;
	struct iommu_group *g = iommu_group_of_one(w, &pdev, w);

	ASSERT_NEG(iommu_attach_group(&w->iommu.default_domain, g), EINVAL);
	ASSERT_NEG(iommu_attach_group(&d1, g), 0);
	ASSERT_TRUE(g->domain == &d1);
	ASSERT_NEG(iommu_attach_group(&d2, g), EBUSY);
	/* A domain without a dma_rw op faults. */
	{
		u8 b;

		ASSERT_NEG(iommu_dma_rw(&pdev->dev, 0, &b, 1, true), EFAULT);
	}
	iommu_detach_group(&d2, g); /* not attached there: no effect */
	ASSERT_TRUE(g->domain == &d1);
	iommu_detach_group(&d1, g);
	ASSERT_TRUE(g->domain == &w->iommu.blocked_domain);
	iommu_group_release_dma_owner(g);
	ASSERT_TRUE(g->domain == &w->iommu.default_domain);
	fake_pdev_free(pdev);
	world_free(w);
}

TEST(iommu, reserved_regions_text)
{
	struct uvfio_world *w = world_new();
	struct iommu_group *g = iommu_group_alloc(&w->iommu);
	struct pci_dev *lpc = fake_pdev(NULL, PCI_DEVFN(0x1f, 0), 0x060100);
	struct pci_dev *sata = fake_pdev(NULL, PCI_DEVFN(0x1f, 2), 0x010601);
	struct iommu_resv_region r[8];
	char buf[256];
	size_t len;

	/* A group without members has no regions. */
	ASSERT_EQ(iommu_group_resv_regions_show(g, buf, sizeof(buf)), 0);
	ASSERT_STREQ(buf, "");

	ASSERT_NEG(iommu_group_add_device(g, &sata->dev), 0);
	len = iommu_group_resv_regions_show(g, buf, sizeof(buf));
	ASSERT_STREQ(buf, "0x00000000fee00000 0x00000000feefffff msi\n");
	ASSERT_EQ(len, 42);

	/* The ISA bridge adds VT-d's floppy window (oracle: group 3, 97 bytes). */
	ASSERT_NEG(iommu_group_add_device(g, &lpc->dev), 0);
	len = iommu_group_resv_regions_show(g, buf, sizeof(buf));
	ASSERT_STREQ(buf, "0x0000000000000000 0x0000000000ffffff direct-relaxable\n"
			  "0x00000000fee00000 0x00000000feefffff msi\n");
	ASSERT_EQ(len, 97);
	ASSERT_EQ(iommu_get_group_resv_regions(g, r, 8), 2);
	ASSERT_EQ(r[0].type, IOMMU_RESV_DIRECT_RELAXABLE);
	ASSERT_EQ(r[1].start, 0xfee00000);
	ASSERT_EQ(r[1].length, 0x100000);
	ASSERT_EQ(iommu_get_group_resv_regions(g, r, 1), 1);

	/* A short buffer truncates and stays terminated. */
	len = iommu_group_resv_regions_show(g, buf, 10);
	ASSERT_EQ(len, 9);
	ASSERT_EQ(strlen(buf), 9);

	iommu_group_put(g);
	fake_pdev_free(lpc);
	fake_pdev_free(sata);
	world_free(w);
}

/* The default machine's topology, added in the world's order (root bus first). */
struct topo {
	struct uvfio_world *w;
	struct pci_bus bus0, bus1, bus2, bus3;
	struct pci_dev *host, *edu, *bridge, *lpc, *sata, *smbus, *nic_a, *nic_b;
	struct pci_dev *rp_acs, *behind_acs, *rp_noacs, *behind_noacs;
};

static void bus_init_fake(struct pci_bus *bus, unsigned int nr, struct pci_bus *parent,
			  struct pci_dev *self)
{
	memset(bus, 0, sizeof(*bus));
	bus->number = nr;
	bus->parent = parent;
	bus->self = self;
	INIT_LIST_HEAD(&bus->devices);
	INIT_LIST_HEAD(&bus->children);
	if (self)
		self->subordinate = bus;
}

static struct pci_dev *pcie_root_port(struct pci_bus *bus, unsigned int devfn, bool acs)
{
	struct pci_dev *rp = fake_pdev(bus, devfn, 0x060400);

	rp->hdr_type = PCI_HEADER_TYPE_BRIDGE;
	rp->pcie_cap = 0x40;
	rp->pcie_type = PCI_EXP_TYPE_ROOT_PORT;
	if (acs) {
		/* ACS capability with SV|RR|CR|UF implemented and enabled (QEMU's root port). */
		u16 bits = PCI_ACS_SV | PCI_ACS_RR | PCI_ACS_CR | PCI_ACS_UF;

		rp->acs_cap = 0x148;
		memcpy(&rp->config[0x148 + PCI_ACS_CAP], &bits, 2);
		memcpy(&rp->config[0x148 + PCI_ACS_CTRL], &bits, 2);
	}
	return rp;
}

TEST(iommu, default_machine_groups)
{
	struct topo t = { .w = world_new() };
	struct pci_dev *all[12];
	int n = 0;

	bus_init_fake(&t.bus0, 0, NULL, NULL);
	t.host = fake_pdev(&t.bus0, PCI_DEVFN(0, 0), 0x060000);
	t.edu = fake_pdev(&t.bus0, PCI_DEVFN(3, 0), 0x00ff00);
	t.bridge = fake_pdev(&t.bus0, PCI_DEVFN(4, 0), 0x060400);
	t.bridge->hdr_type = PCI_HEADER_TYPE_BRIDGE;
	t.bridge->pcie_cap = 0x40;
	t.bridge->pcie_type = PCI_EXP_TYPE_PCI_BRIDGE;
	t.rp_acs = pcie_root_port(&t.bus0, PCI_DEVFN(5, 0), true);
	t.rp_noacs = pcie_root_port(&t.bus0, PCI_DEVFN(6, 0), false);
	t.lpc = fake_pdev(&t.bus0, PCI_DEVFN(0x1f, 0), 0x060100);
	t.sata = fake_pdev(&t.bus0, PCI_DEVFN(0x1f, 2), 0x010601);
	t.smbus = fake_pdev(&t.bus0, PCI_DEVFN(0x1f, 3), 0x0c0500);
	t.lpc->multifunction = t.sata->multifunction = t.smbus->multifunction = true;
	bus_init_fake(&t.bus1, 1, &t.bus0, t.bridge);
	t.nic_a = fake_pdev(&t.bus1, PCI_DEVFN(1, 0), 0x020000);
	t.nic_b = fake_pdev(&t.bus1, PCI_DEVFN(2, 0), 0x020000);
	bus_init_fake(&t.bus2, 2, &t.bus0, t.rp_acs);
	t.behind_acs = fake_pdev(&t.bus2, PCI_DEVFN(0, 0), 0x020000);
	t.behind_acs->pcie_cap = 0x40;
	t.behind_acs->pcie_type = PCI_EXP_TYPE_ENDPOINT;
	bus_init_fake(&t.bus3, 3, &t.bus0, t.rp_noacs);
	t.behind_noacs = fake_pdev(&t.bus3, PCI_DEVFN(0, 0), 0x020000);
	t.behind_noacs->pcie_cap = 0x40;
	t.behind_noacs->pcie_type = PCI_EXP_TYPE_ENDPOINT;

	/* Root bus first, in devfn order, then each child bus. */
	all[n++] = t.host;
	all[n++] = t.edu;
	all[n++] = t.bridge;
	all[n++] = t.rp_acs;
	all[n++] = t.rp_noacs;
	all[n++] = t.lpc;
	all[n++] = t.sata;
	all[n++] = t.smbus;
	all[n++] = t.nic_a;
	all[n++] = t.nic_b;
	all[n++] = t.behind_acs;
	all[n++] = t.behind_noacs;
	for (int i = 0; i < n; i++)
		ASSERT_NEG(iommu_probe_device(&t.w->iommu, &all[i]->dev), 0);

	ASSERT_EQ(iommu_group_id(t.host->dev.iommu_group), 0);
	ASSERT_EQ(iommu_group_id(t.edu->dev.iommu_group), 1);
	ASSERT_EQ(iommu_group_id(t.bridge->dev.iommu_group), 2);
	ASSERT_EQ(iommu_group_id(t.rp_acs->dev.iommu_group), 3);
	ASSERT_EQ(iommu_group_id(t.rp_noacs->dev.iommu_group), 4);
	ASSERT_EQ(iommu_group_id(t.lpc->dev.iommu_group), 5);
	ASSERT_TRUE(t.sata->dev.iommu_group == t.lpc->dev.iommu_group);
	ASSERT_TRUE(t.smbus->dev.iommu_group == t.lpc->dev.iommu_group);
	/* Behind the PCIe-to-PCI bridge: aliased to it. */
	ASSERT_TRUE(t.nic_a->dev.iommu_group == t.bridge->dev.iommu_group);
	ASSERT_TRUE(t.nic_b->dev.iommu_group == t.bridge->dev.iommu_group);
	/* A root port with ACS isolates; one without puts its children in its group. */
	ASSERT_EQ(iommu_group_id(t.behind_acs->dev.iommu_group), 6);
	ASSERT_TRUE(t.behind_noacs->dev.iommu_group == t.rp_noacs->dev.iommu_group);
	ASSERT_EQ(list_count(&t.w->iommu.groups), 7);
	ASSERT_EQ(list_count(&t.bridge->dev.iommu_group->devices), 3);

	/* Probing twice is harmless; everything goes away with its members. */
	ASSERT_NEG(iommu_probe_device(&t.w->iommu, &t.edu->dev), 0);
	for (int i = 0; i < n; i++)
		fake_pdev_free(all[i]);
	ASSERT_TRUE(list_empty(&t.w->iommu.groups));
	world_free(t.w);
}

/* type1: open, extensions, GET_INFO. */

TEST(type1, open_types)
{
	struct uvfio_world *w = world_new();
	const struct vfio_iommu_driver_ops *ops = &vfio_iommu_driver_ops_type1;
	unsigned long bad[] = { 0,
				VFIO_SPAPR_TCE_IOMMU,
				VFIO_DMA_CC_IOMMU,
				VFIO_NOIOMMU_IOMMU,
				VFIO_SPAPR_TCE_v2_IOMMU,
				99 };
	unsigned long good[] = { VFIO_TYPE1_IOMMU, VFIO_TYPE1v2_IOMMU, VFIO_TYPE1_NESTING_IOMMU };

	for (size_t i = 0; i < ARRAY_SIZE(bad); i++)
		ASSERT_TRUE(ops->open(&w->vfio, bad[i]) == ERR_PTR(-EINVAL));
	for (size_t i = 0; i < ARRAY_SIZE(good); i++) {
		void *d = ops->open(&w->vfio, good[i]);

		ASSERT_FALSE(IS_ERR_OR_NULL(d));
		ops->release(d);
	}
	world_free(w);
}

TEST(type1, check_extension)
{
	const struct vfio_iommu_driver_ops *ops = &vfio_iommu_driver_ops_type1;
	/* Oracle (edu.txt): with no backend 1/3/6/9; with a VFIO_IOMMU group also 10. */
	static const int none[13] = { 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0 };
	static const int set[13] = { 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0 };
	struct fix f;

	for (unsigned long e = 0; e < 13; e++)
		ASSERT_EQ(ops->ioctl(NULL, NULL, VFIO_CHECK_EXTENSION, e), none[e]);
	ASSERT_NEG(ops->ioctl(NULL, NULL, VFIO_IOMMU_GET_INFO, 0), EINVAL);

	fix_init(&f);
	for (unsigned long e = 0; e < 13; e++)
		ASSERT_EQ(ioc(&f, VFIO_CHECK_EXTENSION, (void *)e), set[e]);
	fix_fini(&f);

	/* Emulated groups only: no UPDATE_VADDR; no hardware domain, so "coherent". */
	fix_init_type(&f, VFIO_TYPE1v2_IOMMU, false);
	ASSERT_EQ(ioc(&f, VFIO_CHECK_EXTENSION, (void *)VFIO_UPDATE_VADDR), 1);
	ASSERT_NEG(f.ops->attach_group(f.iommu, f.group, VFIO_EMULATED_IOMMU), 0);
	ASSERT_EQ(ioc(&f, VFIO_CHECK_EXTENSION, (void *)VFIO_UPDATE_VADDR), 0);
	ASSERT_EQ(ioc(&f, VFIO_CHECK_EXTENSION, (void *)VFIO_DMA_CC_IOMMU), 1);
	f.ops->detach_group(f.iommu, f.group);
	fix_fini(&f);
}

/* Bytes of IOMMU_GET_INFO on QEMU q35 + VT-d (aw 39), from tests/oracle/edu.txt. */
// clang-format off
static const u8 info_256[0x78] = {
	0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x10, 0x20, 0x40, 0x00, 0x00, 0x00, 0x00,
	0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x38, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00, 0x48, 0x00, 0x00, 0x00,
	0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xdf, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xf0, 0xfe, 0x00, 0x00, 0x00, 0x00,
	0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x00,
};
// clang-format on

static void get_info_sized(struct fix *f, u32 argsz, u8 *buf, long want)
{
	memset(buf, 0xa5, 256);
	memcpy(buf, &argsz, 4);
	ASSERT_NEG(ioc(f, VFIO_IOMMU_GET_INFO, buf), want);
}

TEST(type1, get_info_bytes)
{
	static const u8 small_head[16] = { 0x78, 0, 0, 0, 0x03, 0, 0, 0, 0x00, 0x10, 0x20, 0x40 };
	u8 buf[256], a5[256];
	struct fix f;

	memset(a5, 0xa5, sizeof(a5));
	fix_init(&f);

	get_info_sized(&f, 256, buf, 0);
	ASSERT_MEMEQ(buf, info_256, sizeof(info_256));
	ASSERT_MEMEQ(buf + sizeof(info_256), a5, 256 - sizeof(info_256));

	/* Too small for the caps: argsz says what is needed, no cap_offset, success. */
	get_info_sized(&f, 16, buf, 0);
	ASSERT_MEMEQ(buf, small_head, 16);
	ASSERT_MEMEQ(buf + 16, a5, 240);
	for (u32 argsz = 24; argsz <= 0x77; argsz += 8) {
		get_info_sized(&f, argsz, buf, 0);
		ASSERT_MEMEQ(buf, small_head, 16);
		ASSERT_MEMEQ(buf + 16, (u8[8]){ 0 }, 8);
		ASSERT_MEMEQ(buf + 24, a5, 232);
	}
	get_info_sized(&f, 0x78, buf, 0);
	ASSERT_EQ(buf[0], 0x78);
	ASSERT_MEMEQ(buf + 4, info_256 + 4, sizeof(info_256) - 4);

	get_info_sized(&f, 12, buf, EINVAL);
	ASSERT_EQ(buf[0], 12);
	ASSERT_MEMEQ(buf + 4, a5, 252);
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_GET_INFO, (void *)16), EFAULT);
	fix_fini(&f);
}

TEST(type1, get_info_emulated_only)
{
	u8 buf[256] = { 0 };
	struct vfio_iommu_type1_info *info = (void *)buf;
	struct vfio_info_cap_header *h;
	struct fix f;

	fix_init_type(&f, VFIO_TYPE1v2_IOMMU, false);
	ASSERT_NEG(f.ops->attach_group(f.iommu, f.group, VFIO_EMULATED_IOMMU), 0);
	info->argsz = sizeof(buf);
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_GET_INFO, buf), 0);
	/* Every page size ≥ 4K, no IOVA range cap (no aperture). */
	ASSERT_EQ(info->iova_pgsizes, 0xfffffffffffff000ull);
	ASSERT_EQ(info->flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	h = (void *)(buf + info->cap_offset);
	ASSERT_EQ(h->id, VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	h = (void *)(buf + h->next);
	ASSERT_EQ(h->id, VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ASSERT_EQ(h->next, 0);
	ASSERT_EQ(info->argsz, 256);
	f.ops->detach_group(f.iommu, f.group);
	fix_fini(&f);
}

/* MAP_DMA / UNMAP_DMA: the oracle's sequence (type1-v2.txt, type1-v1.txt). */

static void map_unmap_oracle(unsigned long type)
{
	bool v2 = type != VFIO_TYPE1_IOMMU;
	u8 *p = dma_mem(8u << 20);
	struct vfio_iommu_type1_dma_map m;
	struct fix f;
	u64 got;

	fix_init_type(&f, type, true);
	ASSERT_EQ(dma_avail(&f), 65535);
	ASSERT_NEG(map(&f, 0, p, PG), 0);
	ASSERT_EQ(dma_avail(&f), 65534);
	ASSERT_NEG(map(&f, 0, p, PG), EEXIST);
	ASSERT_NEG(map(&f, 0, p + PG, PG), EEXIST);
	ASSERT_NEG(map(&f, 0, p, 2 * PG), EEXIST);
	ASSERT_NEG(map(&f, 0x10001, p, PG), EINVAL);
	ASSERT_NEG(map(&f, 0x10000, p + 1, PG), EINVAL);
	ASSERT_NEG(map(&f, 0x10000, p, PG + 1), EINVAL);
	ASSERT_NEG(map(&f, 0x10000, p, 512), EINVAL);
	ASSERT_NEG(map(&f, 0x10000, p, 0), EINVAL);
	ASSERT_NEG(map_flags(&f, 0x10000, p, PG, 0), EINVAL);
	ASSERT_NEG(map_flags(&f, 0x20000, p, PG, VFIO_DMA_MAP_FLAG_READ), 0);
	ASSERT_NEG(map_flags(&f, 0x30000, p, PG, VFIO_DMA_MAP_FLAG_WRITE), 0);
	ASSERT_NEG(map_flags(&f, 0x10000, p, PG, RW | (1u << 5)), EINVAL);
	ASSERT_NEG(map_flags(&f, 0x10000, p, PG, RW | VFIO_DMA_MAP_FLAG_VADDR), EINVAL);
	ASSERT_NEG(map(&f, 0xfee00000, p, PG), EINVAL);
	ASSERT_NEG(map(&f, 0xfedff000, p, PG), 0);
	ASSERT_NEG(map(&f, 0xfedff000, p, 2 * PG), EEXIST);
	ASSERT_NEG(map(&f, 0xfef00000, p, PG), 0);
	ASSERT_NEG(map(&f, 1ull << 39, p, PG), EINVAL);
	ASSERT_NEG(map(&f, (1ull << 39) - PG, p, PG), 0);
	ASSERT_NEG(map(&f, (1ull << 39) - 3 * PG, p, 4 * PG), EEXIST);
	ASSERT_NEG(map(&f, 0xfffffffffffff000ull, p, 2 * PG), EINVAL);
	ASSERT_NEG(map(&f, 0xfffffffffffff000ull, p, PG), EINVAL);
	ASSERT_NEG(map(&f, 0x40000, (void *)(uintptr_t)0xfffffffffffff000ull, 2 * PG), EINVAL);
	ASSERT_NEG(map(&f, 0x40000, (void *)(uintptr_t)0x10000, PG), EFAULT);
	{
		void *ro = mmap(NULL, PG, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

		ASSERT_TRUE(ro != MAP_FAILED);
		ASSERT_NEG(map(&f, 0x50000, ro, PG), EFAULT);
		ASSERT_NEG(map_flags(&f, 0x50000, ro, PG, VFIO_DMA_MAP_FLAG_READ), 0);
		ASSERT_EQ(unmap_ok(&f, 0x50000, PG), PG);
		munmap(ro, PG);
	}
	/* argsz: short is refused, long is fine. */
	m = (struct vfio_iommu_type1_dma_map){ .argsz = 16,
					       .flags = RW,
					       .vaddr = (u64)(uintptr_t)p,
					       .iova = 0x60000,
					       .size = PG };
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_MAP_DMA, &m), EINVAL);
	m.argsz = 31;
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_MAP_DMA, &m), EINVAL);
	m.argsz = 64;
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_MAP_DMA, &m), 0);
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_MAP_DMA, (void *)16), EFAULT);
	{
		struct vfio_iommu_type1_dma_unmap u = { .argsz = 16, .iova = 0x60000, .size = PG };

		ASSERT_NEG(ioc(&f, VFIO_IOMMU_UNMAP_DMA, &u), EINVAL);
		u.argsz = sizeof(u);
		u.flags = 1u << 5;
		ASSERT_NEG(ioc(&f, VFIO_IOMMU_UNMAP_DMA, &u), EINVAL);
	}
	ASSERT_EQ(unmap_ok(&f, 0x60000, PG), PG);
	ASSERT_EQ(dma_avail(&f), 65529);

	/* bisect */
	ASSERT_NEG(map(&f, 0x100000, p, 2 * PG), 0);
	if (v2) {
		ASSERT_NEG(unmap_flags(&f, 0x100000, PG, 0, &got), EINVAL);
		ASSERT_EQ(got, PG); /* unchanged: nothing copied back */
		ASSERT_NEG(unmap_flags(&f, 0x101000, PG, 0, NULL), EINVAL);
		ASSERT_NEG(unmap_flags(&f, 0x100800, PG, 0, NULL), EINVAL);
		ASSERT_EQ(unmap_ok(&f, 0x100000, 2 * PG), 2 * PG);
	} else {
		/* v1: covering the first IOVA removes the whole mapping... */
		ASSERT_EQ(unmap_ok(&f, 0x100000, PG), 2 * PG);
		ASSERT_EQ(unmap_ok(&f, 0x101000, PG), 0);
		ASSERT_NEG(map(&f, 0x100000, p, 2 * PG), 0);
		/* ...starting inside one unmaps nothing. */
		ASSERT_EQ(unmap_ok(&f, 0x101000, PG), 0);
		ASSERT_NEG(unmap_flags(&f, 0x100800, PG, 0, NULL), EINVAL);
		ASSERT_EQ(unmap_ok(&f, 0x100000, 2 * PG), 2 * PG);
	}
	ASSERT_EQ(unmap_ok(&f, 0x100000, 2 * PG), 0);

	/* adjacent maps stay separate */
	ASSERT_NEG(map(&f, 0x200000, p, PG), 0);
	ASSERT_NEG(map(&f, 0x201000, p + PG, PG), 0);
	ASSERT_EQ(dma_avail(&f), 65527);
	ASSERT_EQ(unmap_ok(&f, 0x200000, PG), PG);
	ASSERT_EQ(unmap_ok(&f, 0x200000, 2 * PG), PG);

	/* spanning several, with holes */
	ASSERT_NEG(map(&f, 0x300000, p, PG), 0);
	ASSERT_NEG(map(&f, 0x302000, p, PG), 0);
	ASSERT_NEG(map(&f, 0x304000, p, 2 * PG), 0);
	if (v2) {
		ASSERT_NEG(unmap_flags(&f, 0x300000, 0x5000, 0, NULL), EINVAL);
		ASSERT_EQ(unmap_ok(&f, 0x2ff000, 0x4000), 0x2000);
		ASSERT_EQ(unmap_ok(&f, 0x300000, 0x6000), 0x2000);
	} else {
		ASSERT_EQ(unmap_ok(&f, 0x300000, 0x5000), 0x4000);
		ASSERT_EQ(unmap_ok(&f, 0x2ff000, 0x4000), 0);
		ASSERT_EQ(unmap_ok(&f, 0x300000, 0x6000), 0);
	}

	/* misuse */
	ASSERT_EQ(unmap_ok(&f, 0x700000, PG), 0);
	ASSERT_NEG(unmap_flags(&f, 0x700001, PG, 0, NULL), EINVAL);
	ASSERT_NEG(unmap_flags(&f, 0x700000, PG + 1, 0, NULL), EINVAL);
	ASSERT_NEG(unmap_flags(&f, 0x700000, 0, 0, NULL), EINVAL);
	ASSERT_NEG(unmap_flags(&f, 0xfffffffffffff000ull, 2 * PG, 0, NULL), EINVAL);
	ASSERT_EQ(unmap_ok(&f, 0, 0xfffffffffffff000ull), 0x6000);

	/* UNMAP_ALL */
	ASSERT_NEG(map(&f, 0x800000, p, PG), 0);
	ASSERT_NEG(map(&f, 0x900000, p, 0x10000), 0);
	ASSERT_EQ(dma_avail(&f), 65533);
	ASSERT_NEG(unmap_flags(&f, 0x800000, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL), EINVAL);
	ASSERT_NEG(unmap_flags(&f, 0, PG, VFIO_DMA_UNMAP_FLAG_ALL, NULL), EINVAL);
	ASSERT_NEG(unmap_flags(&f, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR, &got),
		   0);
	ASSERT_EQ(got, 0x11000);
	ASSERT_NEG(unmap_flags(&f, 0, 0,
			       VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
			       NULL),
		   EINVAL);
	ASSERT_NEG(unmap_flags(&f, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got), 0);
	ASSERT_EQ(got, 0x11000);
	ASSERT_EQ(dma_avail(&f), 65535);
	ASSERT_NEG(unmap_flags(&f, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got), 0);
	ASSERT_EQ(got, 0);

	/* vaddr update */
	ASSERT_NEG(map(&f, 0xa00000, p, 2 * PG), 0);
	ASSERT_NEG(unmap_flags(&f, 0xa00000, 2 * PG, VFIO_DMA_UNMAP_FLAG_VADDR, &got), 0);
	ASSERT_EQ(got, 2 * PG);
	ASSERT_NEG(unmap_flags(&f, 0xa00000, 2 * PG, VFIO_DMA_UNMAP_FLAG_VADDR, NULL), EINVAL);
	ASSERT_NEG(map_flags(&f, 0xa00000, p, 2 * PG, RW | VFIO_DMA_MAP_FLAG_VADDR), EINVAL);
	ASSERT_NEG(map_flags(&f, 0xb00000, p, 2 * PG, VFIO_DMA_MAP_FLAG_VADDR), ENOENT);
	ASSERT_NEG(map_flags(&f, 0xa00000, p, PG, VFIO_DMA_MAP_FLAG_VADDR), EINVAL);
	ASSERT_NEG(map_flags(&f, 0xa00000, p + PG, 2 * PG, VFIO_DMA_MAP_FLAG_VADDR), 0);
	ASSERT_NEG(map_flags(&f, 0xa00000, p, 2 * PG, VFIO_DMA_MAP_FLAG_VADDR), EINVAL);
	ASSERT_EQ(unmap_ok(&f, 0xa00000, 2 * PG), 2 * PG);

	/* 4M, 2M aligned */
	ASSERT_NEG(map(&f, 0x1000000, p, 0x400000), 0);
	if (v2)
		ASSERT_NEG(unmap_flags(&f, 0x1100000, PG, 0, NULL), EINVAL);
	else
		ASSERT_EQ(unmap_ok(&f, 0x1100000, PG), 0);
	ASSERT_EQ(unmap_ok(&f, 0x1000000, 0x400000), 0x400000);

	/* misc */
	ASSERT_NEG(ioc(&f, VFIO_BASE + 50, NULL), ENOTTY);
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_ENABLE, NULL), ENOTTY);
	{
		struct vfio_iommu_type1_dirty_bitmap d = { .argsz = sizeof(d) };

		d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
		ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &d), v2 ? 0 : EACCES);
		d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
		ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &d), v2 ? 0 : EACCES);
	}
	ASSERT_EQ(dma_avail(&f), 65535);
	fix_fini(&f);
}

TEST(type1, map_unmap_v2_oracle)
{
	map_unmap_oracle(VFIO_TYPE1v2_IOMMU);
}

TEST(type1, map_unmap_v1_oracle)
{
	map_unmap_oracle(VFIO_TYPE1_IOMMU);
}

TEST(type1, map_window_edges)
{
	u8 *p = dma_mem(2 * PG);
	struct fix f;
	u64 got = 1;

	/* kernel-facts §4: the MSI window and the top of the 39-bit aperture. */
	fix_init(&f);
	ASSERT_NEG(map(&f, 0xfee00000, p, PG), EINVAL);
	ASSERT_NEG(map(&f, 0xfeeff000, p, PG), EINVAL);
	ASSERT_NEG(map(&f, 0xfeeff000, p, 2 * PG), EINVAL);
	ASSERT_NEG(map(&f, 0xfedff000, p, 2 * PG), EINVAL);
	ASSERT_NEG(map(&f, 0xfedfe000, p, 2 * PG), 0);
	ASSERT_NEG(map(&f, 0xfef00000, p, PG), 0);
	ASSERT_NEG(map(&f, 1ull << 39, p, PG), EINVAL);
	ASSERT_NEG(map(&f, 0x7ffffff000ull, p, 2 * PG), EINVAL);
	ASSERT_NEG(map(&f, 0xfffffffff000ull, p, PG), EINVAL);
	ASSERT_NEG(map(&f, (1ull << 39) - PG, p, PG), 0);
	ASSERT_NEG(map(&f, 0x7fffffe000ull, p, PG), 0);
	/* Overlap wins over out-of-range. */
	ASSERT_NEG(map(&f, 0x7ffffff000ull, p, 2 * PG), EEXIST);
	ASSERT_NEG(unmap_flags(&f, 0x100000, PG, VFIO_DMA_UNMAP_FLAG_VADDR, &got), 0);
	ASSERT_EQ(got, 0);
	ASSERT_NEG(unmap_flags(&f, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got), 0);
	ASSERT_EQ(got, 5 * PG);
	fix_fini(&f);
}

TEST(type1, map_top_of_aperture_and_nesting)
{
	u8 *p = dma_mem(PG);
	struct fix f;

	fix_init_type(&f, VFIO_TYPE1_NESTING_IOMMU, true);
	/* Nesting is v2: no splitting. */
	ASSERT_NEG(map(&f, 0x7fffffe000ull, p, 2 * PG), 0);
	ASSERT_NEG(unmap_flags(&f, 0x7fffffe000ull, PG, 0, NULL), EINVAL);
	ASSERT_EQ(unmap_ok(&f, 0x7fffffe000ull, 2 * PG), 2 * PG);
	fix_fini(&f);
}

TEST(type1, entry_limit)
{
	u8 *p = dma_mem(PG);
	struct fix f;

	fix_init_type(&f, VFIO_TYPE1v2_IOMMU, false);
	f.w->vfio.params.dma_entry_limit = 5;
	f.ops->release(f.iommu);
	f.iommu = f.ops->open(&f.w->vfio, VFIO_TYPE1v2_IOMMU);
	ASSERT_NEG(f.ops->attach_group(f.iommu, f.group, VFIO_IOMMU), 0);
	ASSERT_EQ(dma_avail(&f), 5);
	for (u64 i = 0; i < 5; i++)
		ASSERT_NEG(map(&f, i * PG, p, PG), 0);
	ASSERT_EQ(dma_avail(&f), 0);
	/* Overlap is checked before the count. */
	ASSERT_NEG(map(&f, 0, p, PG), EEXIST);
	ASSERT_NEG(map(&f, 100 * PG, p, PG), ENOSPC);
	ASSERT_EQ(unmap_ok(&f, 2 * PG, PG), PG);
	ASSERT_EQ(dma_avail(&f), 1);
	ASSERT_NEG(map(&f, 100 * PG, p, PG), 0);
	fix_fini(&f);
}

TEST(type1, entry_limit_65535)
{
	u8 *p = dma_mem(PG);
	struct fix f;
	u64 got, t0;

	fix_init(&f);
	t0 = now_ns();
	for (u64 i = 0; i < 65535; i++)
		ASSERT_NEG(map(&f, i * PG, p, PG), 0);
	ASSERT_NEG(map(&f, 65535 * PG, p, PG), ENOSPC);
	ASSERT_EQ(dma_avail(&f), 0);
	/* Lookups stay cheap with a full tree. */
	ASSERT_NEG(map(&f, 30000 * PG, p, PG), EEXIST);
	ASSERT_EQ(unmap_ok(&f, 40000 * PG, PG), PG);
	ASSERT_NEG(map(&f, 40000 * PG, p, PG), 0);
	ASSERT_NEG(unmap_flags(&f, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got), 0);
	ASSERT_EQ(got, 65535 * PG);
	ASSERT_EQ(dma_avail(&f), 65535);
	printf("65535 maps + unmap all: %" PRIu64 " ms\n", (now_ns() - t0) / 1000000);
	fix_fini(&f);
}

TEST(type1, rlimit_memlock)
{
	u8 *p = dma_mem(1u << 20);
	struct fix f;

	fix_init(&f);
	f.task.rlimit_memlock = 64 << 10;
	/* CAP_IPC_LOCK: no limit, still accounted. */
	ASSERT_NEG(map(&f, 0x2000000, p, 1u << 20), 0);
	ASSERT_EQ(atomic_load(&f.task.mm->locked_vm), 256);
	ASSERT_EQ(unmap_ok(&f, 0x2000000, 1u << 20), 1u << 20);
	ASSERT_EQ(atomic_load(&f.task.mm->locked_vm), 0);

	f.task.cap_ipc_lock = false;
	ASSERT_NEG(map(&f, 0x2000000, p, 1u << 20), ENOMEM);
	ASSERT_EQ(atomic_load(&f.task.mm->locked_vm), 0);
	ASSERT_NEG(map(&f, 0x3000000, p, 0x8000), 0);
	ASSERT_NEG(map(&f, 0x3100000, p, 0x10000), ENOMEM);
	/* The same pages mapped twice count twice; exactly at the limit is fine. */
	ASSERT_NEG(map(&f, 0x3200000, p, 0x8000), 0);
	ASSERT_EQ(atomic_load(&f.task.mm->locked_vm), 16);
	ASSERT_NEG(map(&f, 0x3300000, p, PG), ENOMEM);
	/* An unreachable page before the limit is crossed is -EFAULT. */
	ASSERT_NEG(map(&f, 0x3400000, (void *)(uintptr_t)0x10000, PG), EFAULT);
	{
		u64 got;

		ASSERT_NEG(unmap_flags(&f, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got), 0);
		ASSERT_EQ(got, 0x10000);
	}
	ASSERT_EQ(atomic_load(&f.task.mm->locked_vm), 0);
	fix_fini(&f);
}

TEST(type1, accounting_replayed_on_first_iommu_group)
{
	u8 *p = dma_mem(0x10000);
	struct fix f;
	struct pci_dev *emu_dev;
	struct iommu_group *emu;

	fix_init_type(&f, VFIO_TYPE1v2_IOMMU, false);
	emu = iommu_group_alloc(&f.w->iommu);
	emu_dev = fake_pdev(NULL, PCI_DEVFN(9, 0), 0);
	emu_dev->dev.bus = NULL; /* an mdev: not on the PCI bus */
	ASSERT_NEG(iommu_group_add_device(emu, &emu_dev->dev), 0);
	iommu_group_put(emu);

	ASSERT_NEG(f.ops->attach_group(f.iommu, emu, VFIO_EMULATED_IOMMU), 0);
	ASSERT_NEG(f.ops->attach_group(f.iommu, emu, VFIO_EMULATED_IOMMU), EINVAL);
	/* No aperture yet: any IOVA, even the MSI window; nothing accounted. */
	ASSERT_NEG(map(&f, 0x100000, p, 0x10000), 0);
	ASSERT_NEG(map(&f, 0xfee00000, p, PG), 0);
	ASSERT_EQ(atomic_load(&f.task.mm->locked_vm), 0);

	/* The group's MSI window collides with a mapping. */
	ASSERT_NEG(f.ops->attach_group(f.iommu, f.group, VFIO_IOMMU), EINVAL);
	ASSERT_TRUE(f.group->domain == &f.w->iommu.blocked_domain);
	ASSERT_EQ(unmap_ok(&f, 0xfee00000, PG), PG);

	/* Replay: the pages are pinned now, against the mapper's limit. */
	f.task.cap_ipc_lock = false;
	f.task.rlimit_memlock = 0x8000;
	f.ops->release(f.iommu); /* (the limit is recorded at map time: map again) */
	f.iommu = f.ops->open(&f.w->vfio, VFIO_TYPE1v2_IOMMU);
	ASSERT_NEG(f.ops->attach_group(f.iommu, emu, VFIO_EMULATED_IOMMU), 0);
	ASSERT_NEG(map(&f, 0x100000, p, 0x10000), 0);
	ASSERT_NEG(f.ops->attach_group(f.iommu, f.group, VFIO_IOMMU), ENOMEM);
	ASSERT_EQ(atomic_load(&f.task.mm->locked_vm), 0);
	ASSERT_EQ(unmap_ok(&f, 0x100000, 0x10000), 0x10000);
	ASSERT_NEG(map(&f, 0x100000, p, 0x8000), 0);
	ASSERT_NEG(f.ops->attach_group(f.iommu, f.group, VFIO_IOMMU), 0);
	ASSERT_EQ(atomic_load(&f.task.mm->locked_vm), 8);
	/* Now the MSI window is out of bounds. */
	ASSERT_NEG(map(&f, 0xfee00000, p, PG), EINVAL);

	/* The hardware group leaves: mappings stay for the emulated one, unaccounted. */
	f.ops->detach_group(f.iommu, f.group);
	ASSERT_EQ(atomic_load(&f.task.mm->locked_vm), 0);
	ASSERT_EQ(dma_avail(&f), 65534);
	{
		u8 buf[256] = { 0 };
		struct vfio_iommu_type1_info *info = (void *)buf;
		struct vfio_iommu_type1_info_cap_iova_range *r;
		struct vfio_info_cap_header *h;

		info->argsz = sizeof(buf);
		ASSERT_NEG(ioc(&f, VFIO_IOMMU_GET_INFO, buf), 0);
		h = (void *)(buf + info->cap_offset);
		h = (void *)(buf + h->next);
		ASSERT_NE(h->next, 0);
		r = (void *)(buf + h->next);
		/* As the kernel: with no domain left the range is everything. */
		ASSERT_EQ(r->nr_iovas, 1);
		ASSERT_EQ(r->iova_ranges[0].start, 0);
		ASSERT_EQ(r->iova_ranges[0].end, UINT64_MAX);
	}
	f.ops->detach_group(f.iommu, emu);
	/* The last group left: every mapping went with it. */
	ASSERT_EQ(dma_avail(&f), 65535);
	fake_pdev_free(emu_dev);
	fix_fini(&f);
}

TEST(type1, attach_errors)
{
	u8 *p = dma_mem(PG);
	struct fix f;
	struct pci_dev *pdev2;
	struct iommu_group *g2;

	fix_init(&f);
	ASSERT_NEG(f.ops->attach_group(f.iommu, f.group, VFIO_IOMMU), EINVAL);

	/* No interrupt remapping: refused unless allowed. */
	g2 = iommu_group_of_one(f.w, &pdev2, &f);
	f.w->iommu.intr_remap = false;
	ASSERT_NEG(f.ops->attach_group(f.iommu, g2, VFIO_IOMMU), EPERM);
	ASSERT_TRUE(g2->domain == &f.w->iommu.blocked_domain);
	f.w->vfio.params.allow_unsafe_interrupts = true;
	ASSERT_NEG(f.ops->attach_group(f.iommu, g2, VFIO_IOMMU), 0);
	f.ops->detach_group(f.iommu, g2);
	ASSERT_TRUE(g2->domain == &f.w->iommu.blocked_domain);

	/* An invalidated vaddr blocks attach. */
	ASSERT_NEG(map(&f, 0, p, PG), 0);
	ASSERT_NEG(unmap_flags(&f, 0, PG, VFIO_DMA_UNMAP_FLAG_VADDR, NULL), 0);
	ASSERT_NEG(f.ops->attach_group(f.iommu, g2, VFIO_IOMMU), EBUSY);
	ASSERT_NEG(f.ops->attach_group(f.iommu, g2, VFIO_EMULATED_IOMMU), EBUSY);
	ASSERT_NEG(map_flags(&f, 0, p, PG, VFIO_DMA_MAP_FLAG_VADDR), 0);
	ASSERT_NEG(f.ops->attach_group(f.iommu, g2, VFIO_EMULATED_IOMMU), 0);
	/* With an emulated group, VADDR invalidation is refused. */
	ASSERT_NEG(unmap_flags(&f, 0, PG, VFIO_DMA_UNMAP_FLAG_VADDR, NULL), EBUSY);
	f.ops->detach_group(f.iommu, g2);

	iommu_group_release_dma_owner(g2);
	fake_pdev_free(pdev2);
	fix_fini(&f);
}

/* DMA through the domain, and vfio_dma_rw(). */

TEST(type1, dma_translation)
{
	u8 *p = dma_mem(4 * PG), buf[3 * PG];
	struct fix f;

	fix_init(&f);
	memset(p, 0, 4 * PG);
	ASSERT_NEG(map(&f, 0x10000, p, PG), 0);
	ASSERT_NEG(map(&f, 0x11000, p + 2 * PG, PG), 0); /* contiguous IOVA, not vaddr */
	ASSERT_NEG(map_flags(&f, 0x12000, p + PG, PG, VFIO_DMA_MAP_FLAG_READ), 0);
	ASSERT_NEG(map_flags(&f, 0x20000, p + 3 * PG, PG, VFIO_DMA_MAP_FLAG_WRITE), 0);

	/* A write spanning two mappings lands in both backing pages. */
	memset(buf, 0x5a, sizeof(buf));
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x10ff0, buf, 0x20, true), 0);
	ASSERT_EQ(p[0xff0], 0x5a);
	ASSERT_EQ(p[2 * PG + 0xf], 0x5a);
	ASSERT_EQ(p[2 * PG + 0x10], 0);
	p[PG + 7] = 0x77;
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x10000, buf, 3 * PG, false), 0);
	ASSERT_EQ(buf[0xff0], 0x5a);
	ASSERT_EQ(buf[2 * PG + 7], 0x77);

	/* Permissions: READ-only is not writable, WRITE-only not readable. */
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x12000, buf, 4, true), EFAULT);
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x11ffe, buf, 4, true), EFAULT);
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x20000, buf, 4, false), EFAULT);
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x20000, buf, 4, true), 0);
	/* Gaps and wrap fault. */
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x12ffc, buf, 8, false), EFAULT);
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x30000, buf, 1, false), EFAULT);
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, UINT64_MAX, buf, 2, false), EFAULT);
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x10000, buf, 0, false), 0);

	/* vfio_dma_rw() semantics: its own errnos, and READ needed even to write. */
	ASSERT_NEG(f.ops->dma_rw(f.iommu, 0x10000, buf, 16, false), 0);
	ASSERT_NEG(f.ops->dma_rw(f.iommu, 0x30000, buf, 16, false), EINVAL);
	ASSERT_NEG(f.ops->dma_rw(f.iommu, 0x20000, buf, 16, true), EPERM);
	ASSERT_NEG(f.ops->dma_rw(f.iommu, 0x12000, buf, 16, true), EPERM);
	ASSERT_NEG(f.ops->dma_rw(f.iommu, 0x10ff0, buf, 0x20, true), 0);

	/* After unmap nothing reaches the old memory. */
	ASSERT_EQ(unmap_ok(&f, 0x10000, PG), PG);
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x10000, buf, 1, false), EFAULT);
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x10ff0, buf, 0x20, true), EFAULT);
	ASSERT_NEG(f.ops->dma_rw(f.iommu, 0x10000, buf, 1, false), EINVAL);
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x11000, buf, 1, false), 0);

	/* An invalidated vaddr: devices keep going, vfio_dma_rw() is refused. */
	ASSERT_NEG(unmap_flags(&f, 0x11000, PG, VFIO_DMA_UNMAP_FLAG_VADDR, NULL), 0);
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x11000, buf, 1, false), 0);
	ASSERT_NEG(f.ops->dma_rw(f.iommu, 0x20000, buf, 1, false), EBUSY);
	ASSERT_NEG(map_flags(&f, 0x11000, p, PG, VFIO_DMA_MAP_FLAG_VADDR), 0);
	p[9] = 0x99;
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x11009, buf, 1, false), 0);
	ASSERT_EQ(buf[0], 0x99);

	/* Detached: the group is back on the blocking domain. */
	f.ops->detach_group(f.iommu, f.group);
	ASSERT_NEG(iommu_dma_rw(&f.pdev->dev, 0x11000, buf, 1, false), EFAULT);
	ASSERT_EQ(atomic_load(&f.task.mm->locked_vm), 0);
	fix_fini(&f);
}

/* Dirty tracking. */

TEST(type1, dirty_pages)
{
	u8 *p = dma_mem(0x100000);
	u64 bits[4];
	struct {
		struct vfio_iommu_type1_dirty_bitmap d;
		struct vfio_iommu_type1_dirty_bitmap_get g;
	} req;
	struct {
		struct vfio_iommu_type1_dma_unmap u;
		struct vfio_bitmap b;
	} ureq;
	struct fix f;

	fix_init(&f);
	ASSERT_NEG(map(&f, 0x100000, p, 0x3000), 0); /* pages 0..2 of a 0x100000 base */
	ASSERT_NEG(map(&f, 0x104000, p, 0x1000), 0);

	memset(&req, 0, sizeof(req));
	req.d.argsz = sizeof(req);
	req.d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	req.g.iova = 0x100000;
	req.g.size = 0x10000;
	req.g.bitmap.pgsize = PG;
	req.g.bitmap.size = sizeof(bits);
	req.g.bitmap.data = (void *)bits;
	/* Not tracking yet. */
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), EINVAL);
	req.d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), EINVAL);
	req.d.flags = 0;
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), EINVAL);
	req.d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START;
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), 0);
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), 0);

	/* An IOMMU group cannot report: every mapped page is dirty. */
	req.d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	bits[0] = 1ull << 63;
	bits[1] = bits[2] = bits[3] = 0;
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), 0);
	ASSERT_EQ(bits[0], 0x17);
	req.g.bitmap.pgsize = 2 * PG;
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), EINVAL);
	req.g.bitmap.pgsize = PG;
	req.g.iova = 0x101000; /* bisects the first mapping */
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), EINVAL);
	req.g.iova = 0x100000;
	req.g.bitmap.size = 0; /* too small */
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), EINVAL);
	req.g.bitmap.size = sizeof(bits);
	req.d.argsz = sizeof(req.d) + 8;
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), EINVAL);
	req.d.argsz = sizeof(req);

	/* Unmap with the bitmap: the second mapping lands at bit 4, bits below kept. */
	memset(&ureq, 0, sizeof(ureq));
	ureq.u.argsz = sizeof(ureq);
	ureq.u.flags = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	ureq.u.iova = 0x104000;
	ureq.u.size = 0x1000;
	ureq.b.pgsize = PG;
	ureq.b.size = 8;
	ureq.b.data = (void *)bits;
	bits[0] = 0;
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_UNMAP_DMA, &ureq), 0);
	ASSERT_EQ(bits[0], 1);
	ASSERT_EQ(ureq.u.size, PG);
	ureq.u.argsz = sizeof(ureq.u);
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_UNMAP_DMA, &ureq), EINVAL);
	ureq.u.argsz = sizeof(ureq);
	ureq.b.pgsize = 2 * PG;
	ureq.u.iova = 0x100000;
	ureq.u.size = 0x4000;
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_UNMAP_DMA, &ureq), EINVAL);

	req.d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), 0);
	ureq.b.pgsize = PG;
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_UNMAP_DMA, &ureq), EINVAL);
	fix_fini(&f);
}

TEST(type1, dirty_pages_emulated_writes)
{
	u8 *p = dma_mem(0x10000), b[8] = { 0 };
	u64 bits = 0;
	struct {
		struct vfio_iommu_type1_dirty_bitmap d;
		struct vfio_iommu_type1_dirty_bitmap_get g;
	} req = { .d = { .argsz = sizeof(req), .flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START } };
	struct fix f;

	fix_init_type(&f, VFIO_TYPE1v2_IOMMU, false);
	ASSERT_NEG(f.ops->attach_group(f.iommu, f.group, VFIO_EMULATED_IOMMU), 0);
	ASSERT_NEG(map(&f, 0x40000, p, 0x8000), 0);
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), 0);
	/* Only what vfio_dma_rw() wrote is dirty; a report resets it. */
	ASSERT_NEG(f.ops->dma_rw(f.iommu, 0x42ffc, b, 8, true), 0);
	ASSERT_NEG(f.ops->dma_rw(f.iommu, 0x46000, b, 8, false), 0);
	req.d.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	req.g = (struct vfio_iommu_type1_dirty_bitmap_get){
		.iova = 0x40000,
		.size = 0x8000,
		.bitmap = { .pgsize = PG, .size = 8, .data = (void *)&bits }
	};
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), 0);
	ASSERT_EQ(bits, 0xc);
	bits = 0;
	ASSERT_NEG(ioc(&f, VFIO_IOMMU_DIRTY_PAGES, &req), 0);
	ASSERT_EQ(bits, 0);
	f.ops->detach_group(f.iommu, f.group);
	fix_fini(&f);
}

/* Unmap notifications to emulated devices. */

struct notified {
	struct vfio_device vdev;
	u64 iova[8], len[8];
	int n;
	void *iommu;
	int rw_ret;
};

static void record_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length)
{
	struct notified *nt = container_of(vdev, struct notified, vdev);
	u8 b;

	if (nt->n < 8) {
		nt->iova[nt->n] = iova;
		nt->len[nt->n] = length;
	}
	nt->n++;
	/* The device may touch DMA from the callback: the range is gone already. */
	nt->rw_ret = vfio_iommu_driver_ops_type1.dma_rw(nt->iommu, iova, &b, 1, false);
}

static const struct vfio_device_ops notified_ops = {
	.name = "notified",
	.dma_unmap = record_dma_unmap,
};

static const struct vfio_device_ops silent_ops = { .name = "silent" };

TEST(type1, dma_unmap_notifications)
{
	u8 *p = dma_mem(0x10000);
	struct notified nt = { .vdev = { .ops = &notified_ops } };
	struct vfio_device silent = { .ops = &silent_ops };
	struct fix f;
	u64 got;

	fix_init_type(&f, VFIO_TYPE1v2_IOMMU, false);
	nt.iommu = f.iommu;
	ASSERT_NEG(f.ops->attach_group(f.iommu, f.group, VFIO_EMULATED_IOMMU), 0);
	f.ops->register_device(f.iommu, &nt.vdev);
	f.ops->register_device(f.iommu, &silent);
	ASSERT_NEG(map(&f, 0x10000, p, PG), 0);
	ASSERT_NEG(map(&f, 0x20000, p, 2 * PG), 0);
	ASSERT_EQ(unmap_ok(&f, 0x10000, PG), PG);
	ASSERT_EQ(nt.n, 1);
	ASSERT_EQ(nt.iova[0], 0x10000);
	ASSERT_EQ(nt.len[0], PG);
	ASSERT_EQ(nt.rw_ret, -EINVAL);
	ASSERT_NEG(map(&f, 0x10000, p, PG), 0);
	ASSERT_NEG(unmap_flags(&f, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &got), 0);
	ASSERT_EQ(nt.n, 3);
	ASSERT_EQ(nt.iova[1], 0x10000);
	ASSERT_EQ(nt.iova[2], 0x20000);
	ASSERT_EQ(nt.len[2], 2 * PG);
	f.ops->unregister_device(f.iommu, &nt.vdev);
	f.ops->unregister_device(f.iommu, &silent);
	ASSERT_NEG(map(&f, 0x10000, p, PG), 0);
	ASSERT_EQ(unmap_ok(&f, 0x10000, PG), PG);
	ASSERT_EQ(nt.n, 3);
	f.ops->detach_group(f.iommu, f.group);
	fix_fini(&f);
}

/* Concurrency: device DMA against map/unmap of the same and other ranges. */

struct dma_thread {
	struct fix *f;
	atomic_bool stop;
	atomic_long ok, faults;
};

static void *dma_reader(void *arg)
{
	struct dma_thread *d = arg;
	u8 buf[64];

	while (!atomic_load(&d->stop)) {
		/* 0x10000 is always mapped; 0x80000 comes and goes. */
		if (iommu_dma_rw(&d->f->pdev->dev, 0x10000, buf, sizeof(buf), false))
			FAIL("stable mapping faulted");
		if (iommu_dma_rw(&d->f->pdev->dev, 0x80000, buf, sizeof(buf), true))
			atomic_fetch_add(&d->faults, 1);
		else
			atomic_fetch_add(&d->ok, 1);
	}
	return NULL;
}

TEST(type1, dma_races_map_unmap)
{
	u8 *p = dma_mem(0x100000);
	struct dma_thread d = { 0 };
	pthread_t th[2];
	struct fix f;

	fix_init(&f);
	d.f = &f;
	ASSERT_NEG(map(&f, 0x10000, p, PG), 0);
	for (int i = 0; i < 2; i++)
		ASSERT_EQ(pthread_create(&th[i], NULL, dma_reader, &d), 0);
	/* Bounded in time: the probe of each map reads /proc/self/maps. */
	for (u64 i = 0, t0 = now_ns(); i < 3000 && now_ns() - t0 < 1500000000ull; i++) {
		ASSERT_NEG(map(&f, 0x80000, p + PG * (u64)(i % 16), PG), 0);
		ASSERT_NEG(map(&f, 0x100000 + PG * (u64)(i % 64), p, PG), 0);
		ASSERT_EQ(unmap_ok(&f, 0x80000, PG), PG);
		ASSERT_EQ(unmap_ok(&f, 0x100000 + PG * (u64)(i % 64), PG), PG);
	}
	atomic_store(&d.stop, true);
	for (int i = 0; i < 2; i++)
		pthread_join(th[i], NULL);
	printf("racing DMA: %ld hits, %ld faults\n", atomic_load(&d.ok), atomic_load(&d.faults));
	ASSERT_GT(atomic_load(&d.ok) + atomic_load(&d.faults), 0);
	ASSERT_EQ(unmap_ok(&f, 0x10000, PG), PG);
	fix_fini(&f);
}

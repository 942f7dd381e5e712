// SPDX-License-Identifier: MIT
/*
 * MSI-X and the ERR index through the public uAPI, on the e1000e machine
 * (examples/machines/e1000e.machine): QEMU 7.2's e1000e at 00:05.0, group 3.
 * Expected values are the kernel lab's (tests/oracle/e1000e.txt).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "common.h"

#define E1000E_BDF "0000:00:05.0"
#define E1000E_GROUP 3
#define MSIX_CAP 0xa0
#define MSIX_BAR 3
#define NVEC 5

/* e1000e registers (BAR0). */
#define REG_ICR 0xc0
#define REG_ICS 0xc8
#define REG_IMS 0xd0
#define REG_IMC 0xd8
#define REG_IVAR 0xe4
#define ICR_RXQ0 0x00100000u
#define ICR_RXQ1 0x00200000u
#define ICR_TXQ0 0x00400000u
#define ICR_LSC 0x00000004u
/* RXQ0→0, RXQ1→1, TXQ0→2, TXQ1→3, OTHER→4, all valid (the probe's value). */
#define IVAR_ALL 0x800cba98u

struct msix_env {
	struct vfio_env e;
	struct uvfio_machine *m;
	int efd[NVEC];
};

static void msix_setup(struct msix_env *x)
{
	char err[256] = "";
	struct uvfio_world *w = NULL;
	int ret;

	memset(x, 0, sizeof(*x));
	ret = uvfio_machine_load(UVFIO_SOURCE_ROOT "/examples/machines/e1000e.machine", &x->m, err,
				 sizeof(err));
	if (ret < 0)
		FAIL("uvfio_machine_load: %d (%s)", ret, err);
	ret = uvfio_world_create(x->m, &w, err, sizeof(err));
	if (ret < 0 || !w)
		FAIL("uvfio_world_create: %d (%s)", ret, err);
	ASSERT_EQ(iommu_group_of(w, E1000E_BDF), E1000E_GROUP);
	bind_vfio(w, E1000E_BDF);
	x->e.p = uvfio_proc_new(w, NULL);
	ASSERT_TRUE(x->e.p);
	env_open(&x->e, w, x->e.p, E1000E_GROUP, E1000E_BDF, VFIO_TYPE1v2_IOMMU);
	for (int i = 0; i < NVEC; i++)
		x->efd[i] = efd_new();
}

static void msix_teardown(struct msix_env *x)
{
	env_close(&x->e);
	uvfio_proc_free(x->e.p);
	uvfio_world_destroy(x->e.w);
	uvfio_machine_free(x->m);
	for (int i = 0; i < NVEC; i++)
		close(x->efd[i]);
}

static int msix_set(struct msix_env *x, uint32_t start, uint32_t count, const int32_t *fds)
{
	return set_irqs(x->e.p, x->e.device,
			VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			VFIO_PCI_MSIX_IRQ_INDEX, start, count, fds, count * sizeof(int32_t));
}

static int msix_loopback(struct msix_env *x, uint32_t start, uint32_t count)
{
	return set_irqs(x->e.p, x->e.device, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			VFIO_PCI_MSIX_IRQ_INDEX, start, count, NULL, 0);
}

/* Which eventfds fired (bit i for efd[i]), after flushing the world. */
static unsigned int fired(struct msix_env *x)
{
	unsigned int mask = 0;

	uvfio_world_flush(x->e.w);
	for (int i = 0; i < NVEC; i++)
		if (efd_take(x->efd[i]))
			mask |= 1u << i;
	return mask;
}

static uint32_t bar_read32(struct msix_env *x, int bar, uint64_t off)
{
	uint32_t v = 0;

	ASSERT_EQ(uvfio_pread(x->e.p, x->e.device, &v, 4,
			      (off_t)(region_offset(x->e.p, x->e.device, (uint32_t)bar) + off)),
		  4);
	return v;
}

TEST(msix, device_info_and_regions)
{
	struct msix_env x;
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct {
		struct vfio_region_info ri;
		uint8_t caps[64];
	} big;
	struct vfio_region_info ri;
	static const struct {
		uint32_t flags;
		uint64_t size;
	} want[] = { { 0x7, 0x20000 }, { 0x7, 0x20000 }, { 0x3, 0x20 },	   { 0xf, 0x4000 },
		     { 0, 0 },	       { 0, 0 },	 { 0x1, 0x40000 }, { 0x3, 0x1000 } };

	msix_setup(&x);
	ASSERT_OK(uvfio_ioctl(x.e.p, x.e.device, VFIO_DEVICE_GET_INFO, &di));
	/* PM reset (NoSoftRst clear): RESET is reported, unlike edu and e1000. */
	ASSERT_EQ(di.flags, VFIO_DEVICE_FLAGS_PCI | VFIO_DEVICE_FLAGS_RESET);
	ASSERT_EQ(di.num_regions, 9u);
	ASSERT_EQ(di.num_irqs, 5u);
	for (uint32_t i = 0; i < 8; i++) {
		memset(&ri, 0xa5, sizeof(ri));
		ri.argsz = sizeof(ri);
		ri.flags = 0;
		ri.index = i;
		ASSERT_OK(uvfio_ioctl(x.e.p, x.e.device, VFIO_DEVICE_GET_REGION_INFO, &ri));
		ASSERT_EQ(ri.flags, want[i].flags);
		ASSERT_EQ(ri.size, want[i].size);
		ASSERT_EQ(ri.offset, (uint64_t)i << 40);
		if (i == MSIX_BAR) {
			/* argsz 32: the size needed comes back, no chain. */
			ASSERT_EQ(ri.argsz, 40u);
			ASSERT_EQ(ri.cap_offset, 0u);
		} else {
			ASSERT_EQ(ri.argsz, 32u);
			ASSERT_EQ(ri.cap_offset, 0xa5a5a5a5u); /* echoed */
		}
	}
	memset(&big, 0xa5, sizeof(big));
	big.ri.argsz = sizeof(big);
	big.ri.flags = 0;
	big.ri.index = MSIX_BAR;
	ASSERT_OK(uvfio_ioctl(x.e.p, x.e.device, VFIO_DEVICE_GET_REGION_INFO, &big));
	ASSERT_EQ(big.ri.argsz, (uint32_t)sizeof(big));
	ASSERT_EQ(big.ri.flags, 0xfu);
	ASSERT_EQ(big.ri.cap_offset, 32u);
	{
		static const uint8_t cap[8] = {
			3, 0, 1, 0, 0, 0, 0, 0
		}; /* MSIX_MAPPABLE v1, last */
		static const uint8_t untouched[8] = {
			0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5, 0xa5
		};

		ASSERT_MEMEQ(big.caps, cap, 8);
		ASSERT_MEMEQ(big.caps + 8, untouched, 8);
	}
	msix_teardown(&x);
}

TEST(msix, irq_info)
{
	struct msix_env x;
	static const struct {
		uint32_t flags, count;
	} want[] = { { 0x7, 1 }, { 0x9, 1 }, { 0x1, NVEC }, { 0x9, 1 }, { 0x9, 1 } };

	msix_setup(&x);
	for (uint32_t i = 0; i < 5; i++) {
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = i };

		ASSERT_OK(uvfio_ioctl(x.e.p, x.e.device, VFIO_DEVICE_GET_IRQ_INFO, &ii));
		/* MSI-X without NORESIZE: vectors can be added while enabled. */
		ASSERT_EQ(ii.flags, want[i].flags);
		ASSERT_EQ(ii.count, want[i].count);
	}
	{
		struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = 5 };

		ASSERT_ERRNO(uvfio_ioctl(x.e.p, x.e.device, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL);
	}
	msix_teardown(&x);
}

TEST(msix, enable_loopback_deassign_disable)
{
	struct msix_env x;
	int32_t fds[NVEC], m1 = -1;

	msix_setup(&x);
	for (int i = 0; i < NVEC; i++)
		fds[i] = x.efd[i];
	ASSERT_ERRNO(irq_none(x.e.p, x.e.device, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK,
			      1),
		     ENOTTY);
	ASSERT_ERRNO(msix_loopback(&x, 0, 1), EINVAL);
	ASSERT_ERRNO(msix_loopback(&x, 0, 0), EINVAL);
	ASSERT_ERRNO(msix_set(&x, 4, 2, fds), EINVAL);
	ASSERT_OK(msix_set(&x, 0, 3, fds));
	ASSERT_EQ(cfg_read16(x.e.p, x.e.device, MSIX_CAP + 2), 0x8004);

	ASSERT_OK(msix_loopback(&x, 0, 3));
	ASSERT_EQ(fired(&x), 0x7u);
	ASSERT_OK(msix_loopback(&x, 1, 1));
	ASSERT_EQ(fired(&x), 0x2u);
	{
		uint8_t b[2] = { 0, 1 };

		ASSERT_OK(set_irqs(x.e.p, x.e.device,
				   VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
				   VFIO_PCI_MSIX_IRQ_INDEX, 1, 2, b, 2));
		ASSERT_EQ(fired(&x), 0x4u);
	}
	/* Vectors without a trigger are skipped; past the table size is invalid. */
	ASSERT_OK(msix_loopback(&x, 4, 1));
	ASSERT_EQ(fired(&x), 0u);
	ASSERT_ERRNO(msix_loopback(&x, 5, 1), EINVAL);
	ASSERT_ERRNO(irq_set_eventfd(x.e.p, x.e.device, VFIO_PCI_MSI_IRQ_INDEX, x.efd[0]), EINVAL);
	ASSERT_ERRNO(irq_set_eventfd(x.e.p, x.e.device, VFIO_PCI_INTX_IRQ_INDEX, x.efd[0]), EINVAL);

	/* fd -1 de-assigns one vector. */
	ASSERT_OK(msix_set(&x, 1, 1, &m1));
	ASSERT_OK(msix_loopback(&x, 0, 3));
	ASSERT_EQ(fired(&x), 0x5u);
	ASSERT_OK(msix_set(&x, 1, 1, &fds[1]));
	/* Dynamic MSI-X: extend while enabled. */
	ASSERT_OK(msix_set(&x, 3, 2, &fds[3]));
	ASSERT_OK(msix_loopback(&x, 0, 5));
	ASSERT_EQ(fired(&x), 0x1fu);
	/* A bad fd drops the vector's old trigger too. */
	{
		int32_t bad = x.e.group;

		ASSERT_ERRNO(msix_set(&x, 0, 1, &bad), EINVAL);
		ASSERT_OK(msix_loopback(&x, 0, 1));
		ASSERT_EQ(fired(&x), 0u);
	}

	ASSERT_OK(msix_loopback(&x, 0, 0)); /* count 0, DATA_NONE: disable */
	ASSERT_EQ(cfg_read16(x.e.p, x.e.device, MSIX_CAP + 2), 0x0004);
	ASSERT_ERRNO(msix_loopback(&x, 0, 0), EINVAL);
	ASSERT_ERRNO(msix_loopback(&x, 0, 1), EINVAL);
	msix_teardown(&x);
}

TEST(msix, msix_while_msi_is_einval)
{
	struct msix_env x;

	msix_setup(&x);
	ASSERT_OK(irq_set_eventfd(x.e.p, x.e.device, VFIO_PCI_MSI_IRQ_INDEX, x.efd[0]));
	ASSERT_ERRNO(irq_set_eventfd(x.e.p, x.e.device, VFIO_PCI_MSIX_IRQ_INDEX, x.efd[1]), EINVAL);
	ASSERT_OK(irq_none(x.e.p, x.e.device, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			   0));
	ASSERT_OK(irq_set_eventfd(x.e.p, x.e.device, VFIO_PCI_MSIX_IRQ_INDEX, x.efd[1]));
	msix_teardown(&x);
}

TEST(msix, device_raised_vectors)
{
	struct msix_env x;
	int32_t fds[NVEC], m1 = -1;

	msix_setup(&x);
	for (int i = 0; i < NVEC; i++)
		fds[i] = x.efd[i];
	ASSERT_OK(msix_set(&x, 0, NVEC, fds));
	cmd_set(x.e.p, x.e.device, CMD_MEM | CMD_MASTER, true);
	bar0_write32(x.e.p, x.e.device, REG_IVAR, IVAR_ALL);
	ASSERT_EQ(bar0_read32(x.e.p, x.e.device, REG_IVAR), IVAR_ALL);
	bar0_write32(x.e.p, x.e.device, REG_IMS, 0x01f00004);
	ASSERT_EQ(bar0_read32(x.e.p, x.e.device, REG_IMS), 0x01f00004u);
	ASSERT_EQ(fired(&x), 0u);

	bar0_write32(x.e.p, x.e.device, REG_ICS, ICR_RXQ1);
	ASSERT_EQ(fired(&x), 0x2u);
	ASSERT_EQ(bar0_read32(x.e.p, x.e.device, REG_ICS), 0x80200000u);
	/* Not signalled again until software clears the cause; ICR reads do not clear it. */
	bar0_write32(x.e.p, x.e.device, REG_ICS, ICR_RXQ1);
	ASSERT_EQ(fired(&x), 0u);
	ASSERT_EQ(bar0_read32(x.e.p, x.e.device, REG_ICR), 0x80200000u);
	ASSERT_EQ(bar0_read32(x.e.p, x.e.device, REG_ICR), 0x80200000u);
	bar0_write32(x.e.p, x.e.device, REG_ICR, 0xffffffff);
	ASSERT_EQ(bar0_read32(x.e.p, x.e.device, REG_ICR), 0u);
	bar0_write32(x.e.p, x.e.device, REG_ICS, ICR_RXQ1);
	ASSERT_EQ(fired(&x), 0x2u);
	bar0_write32(x.e.p, x.e.device, REG_ICR, 0xffffffff);
	/* LSC is an "other" cause: vector 4. */
	bar0_write32(x.e.p, x.e.device, REG_ICS, ICR_LSC);
	ASSERT_EQ(fired(&x), 0x10u);
	ASSERT_EQ(bar0_read32(x.e.p, x.e.device, REG_ICS), 0x81000004u);
	bar0_write32(x.e.p, x.e.device, REG_ICR, 0xffffffff);
	bar0_write32(x.e.p, x.e.device, REG_ICS, 0x00c00000);
	ASSERT_EQ(fired(&x), 0xcu);
	bar0_write32(x.e.p, x.e.device, REG_ICR, 0xffffffff);

	/* A de-assigned vector is masked: the message stays pending until a trigger is back. */
	ASSERT_OK(msix_set(&x, 2, 1, &m1));
	bar0_write32(x.e.p, x.e.device, REG_ICS, ICR_TXQ0);
	ASSERT_EQ(fired(&x), 0u);
	/* The PBA is outside the range vfio-pci hides: it shows vector 2 pending. */
	ASSERT_EQ(bar_read32(&x, MSIX_BAR, 0x2000), 0x4u);
	bar0_write32(x.e.p, x.e.device, REG_ICR, 0xffffffff);
	ASSERT_OK(msix_set(&x, 2, 1, &fds[2]));
	ASSERT_EQ(fired(&x), 0x4u);

	/* Function Mask written through VFIO is ignored (the capability is read-only). */
	cfg_write16(x.e.p, x.e.device, MSIX_CAP + 2, 0x4000);
	ASSERT_EQ(cfg_read16(x.e.p, x.e.device, MSIX_CAP + 2), 0x8004);
	bar0_write32(x.e.p, x.e.device, REG_ICS, ICR_RXQ0);
	ASSERT_EQ(fired(&x), 0x1u);
	bar0_write32(x.e.p, x.e.device, REG_ICR, 0xffffffff);

	/* Disabled: nothing arrives (and INTx has no trigger). */
	ASSERT_OK(msix_loopback(&x, 0, 0));
	bar0_write32(x.e.p, x.e.device, REG_ICS, ICR_RXQ0);
	ASSERT_EQ(fired(&x), 0u);
	msix_teardown(&x);
}

TEST(msix, pending_message_delivered_on_unmask)
{
	struct msix_env x;
	int32_t fds[NVEC];

	msix_setup(&x);
	for (int i = 0; i < NVEC; i++)
		fds[i] = x.efd[i];
	cmd_set(x.e.p, x.e.device, CMD_MEM | CMD_MASTER, true);
	bar0_write32(x.e.p, x.e.device, REG_IVAR, IVAR_ALL);
	bar0_write32(x.e.p, x.e.device, REG_IMS, ICR_TXQ0);
	/* Enable with vector 2 allocated but no trigger (start 3): it stays masked. */
	ASSERT_OK(msix_set(&x, 3, 1, &fds[3]));
	bar0_write32(x.e.p, x.e.device, REG_ICS, ICR_TXQ0);
	ASSERT_EQ(fired(&x), 0u);
	/* Assigning it unmasks the vector and the pending message arrives. */
	ASSERT_OK(msix_set(&x, 2, 1, &fds[2]));
	ASSERT_EQ(fired(&x), 0x4u);
	msix_teardown(&x);
}

TEST(msix, table_reads_ff_through_bar)
{
	struct msix_env x;
	uint8_t buf[0x100];
	uint32_t v;

	msix_setup(&x);
	for (int pass = 0; pass < 2; pass++) {
		if (pass == 1)
			ASSERT_OK(irq_set_eventfd(x.e.p, x.e.device, VFIO_PCI_MSIX_IRQ_INDEX,
						  x.efd[0]));
		for (unsigned int off = 0; off < NVEC * 16; off += 4)
			ASSERT_EQ(bar_read32(&x, MSIX_BAR, off), 0xffffffffu);
		ASSERT_EQ(bar_read32(&x, MSIX_BAR, NVEC * 16), 0u);
		ASSERT_EQ(bar_read32(&x, MSIX_BAR, 0x2000), 0u);
		ASSERT_EQ(bar_read32(&x, MSIX_BAR, 0x1000), 0u);
		ASSERT_EQ(bar_read32(&x, MSIX_BAR, 0x3ffc), 0u);
		memset(buf, 0x5a, sizeof(buf));
		ASSERT_EQ(uvfio_pread(x.e.p, x.e.device, buf, sizeof(buf),
				      (off_t)((uint64_t)MSIX_BAR << 40)),
			  (ssize_t)sizeof(buf));
		for (unsigned int i = 0; i < sizeof(buf); i++)
			ASSERT_EQ(buf[i], i < NVEC * 16 ? 0xff : 0);
	}
	/* Writes to the table are dropped. */
	v = 0x12345678;
	ASSERT_EQ(uvfio_pwrite(x.e.p, x.e.device, &v, 4, (off_t)((uint64_t)MSIX_BAR << 40)), 4);
	ASSERT_EQ(bar_read32(&x, MSIX_BAR, 0), 0xffffffffu);
	msix_teardown(&x);
}

TEST(msix, virtual_capability)
{
	struct msix_env x;

	msix_setup(&x);
	ASSERT_EQ(cfg_read32(x.e.p, x.e.device, MSIX_CAP), 0x00040011u);
	ASSERT_EQ(cfg_read32(x.e.p, x.e.device, MSIX_CAP + 4), 0x00000003u);
	ASSERT_EQ(cfg_read32(x.e.p, x.e.device, MSIX_CAP + 8), 0x00002003u);
	cfg_write16(x.e.p, x.e.device, MSIX_CAP + 2, 0xffff);
	ASSERT_EQ(cfg_read16(x.e.p, x.e.device, MSIX_CAP + 2), 0x0004);
	cfg_write32(x.e.p, x.e.device, MSIX_CAP + 4, 0xffffffff);
	cfg_write32(x.e.p, x.e.device, MSIX_CAP + 8, 0xffffffff);
	ASSERT_EQ(cfg_read32(x.e.p, x.e.device, MSIX_CAP + 4), 0x00000003u);
	ASSERT_EQ(cfg_read32(x.e.p, x.e.device, MSIX_CAP + 8), 0x00002003u);
	/* The chain: PM 0xc8 → MSI 0xd0 → PCIe 0xe0 → MSI-X 0xa0; AER 0x100 → DSN 0x140. */
	ASSERT_EQ(cfg_read8(x.e.p, x.e.device, CFG_CAP_PTR), 0xc8);
	ASSERT_EQ(cfg_read16(x.e.p, x.e.device, 0xc8), 0xd001);
	ASSERT_EQ(cfg_read16(x.e.p, x.e.device, 0xd0), 0xe005);
	ASSERT_EQ(cfg_read16(x.e.p, x.e.device, 0xe0), 0xa010);
	ASSERT_EQ(cfg_read16(x.e.p, x.e.device, 0xa0), 0x0011);
	ASSERT_EQ(cfg_read32(x.e.p, x.e.device, 0x100), 0x14020001u);
	ASSERT_EQ(cfg_read32(x.e.p, x.e.device, 0x140), 0x00010003u);
	msix_teardown(&x);
}

TEST(msix, err_trigger_and_loopback)
{
	struct msix_env x;
	int32_t m1 = -1;
	uint8_t b;

	msix_setup(&x);
	ASSERT_ERRNO(irq_none(x.e.p, x.e.device, VFIO_PCI_ERR_IRQ_INDEX,
			      VFIO_IRQ_SET_ACTION_TRIGGER, 1),
		     EINVAL);
	ASSERT_ERRNO(irq_none(x.e.p, x.e.device, VFIO_PCI_ERR_IRQ_INDEX,
			      VFIO_IRQ_SET_ACTION_TRIGGER, 0),
		     EINVAL);
	ASSERT_ERRNO(irq_none(x.e.p, x.e.device, VFIO_PCI_ERR_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK,
			      1),
		     ENOTTY);
	ASSERT_ERRNO(irq_none(x.e.p, x.e.device, VFIO_PCI_ERR_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK,
			      1),
		     ENOTTY);
	ASSERT_ERRNO(set_irqs(x.e.p, x.e.device,
			      VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			      VFIO_PCI_ERR_IRQ_INDEX, 1, 1, &x.efd[0], 4),
		     EINVAL);
	ASSERT_OK(irq_set_eventfd(x.e.p, x.e.device, VFIO_PCI_ERR_IRQ_INDEX, x.efd[0]));
	ASSERT_OK(irq_none(x.e.p, x.e.device, VFIO_PCI_ERR_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			   1));
	ASSERT_EQ(efd_take(x.efd[0]), 1u);
	b = 0;
	ASSERT_OK(set_irqs(x.e.p, x.e.device, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
			   VFIO_PCI_ERR_IRQ_INDEX, 0, 1, &b, 1));
	ASSERT_EQ(efd_take(x.efd[0]), 0u);
	b = 1;
	ASSERT_OK(set_irqs(x.e.p, x.e.device, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER,
			   VFIO_PCI_ERR_IRQ_INDEX, 0, 1, &b, 1));
	ASSERT_EQ(efd_take(x.efd[0]), 1u);
	ASSERT_OK(set_irqs(x.e.p, x.e.device,
			   VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			   VFIO_PCI_ERR_IRQ_INDEX, 0, 1, &m1, 4));
	ASSERT_ERRNO(irq_none(x.e.p, x.e.device, VFIO_PCI_ERR_IRQ_INDEX,
			      VFIO_IRQ_SET_ACTION_TRIGGER, 1),
		     EINVAL);
	ASSERT_OK(irq_set_eventfd(x.e.p, x.e.device, VFIO_PCI_ERR_IRQ_INDEX, x.efd[0]));
	ASSERT_OK(irq_none(x.e.p, x.e.device, VFIO_PCI_ERR_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			   0));
	ASSERT_ERRNO(irq_none(x.e.p, x.e.device, VFIO_PCI_ERR_IRQ_INDEX,
			      VFIO_IRQ_SET_ACTION_TRIGGER, 1),
		     EINVAL);
	msix_teardown(&x);
}

TEST(msix, msi_and_intx_through_the_device)
{
	struct msix_env x;

	msix_setup(&x);
	cmd_set(x.e.p, x.e.device, CMD_MEM | CMD_MASTER, true);
	ASSERT_OK(irq_set_eventfd(x.e.p, x.e.device, VFIO_PCI_MSI_IRQ_INDEX, x.efd[0]));
	bar0_write32(x.e.p, x.e.device, REG_IMS, ICR_LSC);
	bar0_write32(x.e.p, x.e.device, REG_ICS, ICR_LSC);
	ASSERT_EQ(fired(&x), 0x1u);
	/* Outside MSI-X mode an ICR read clears it. */
	ASSERT_EQ(bar0_read32(x.e.p, x.e.device, REG_ICR), 0x80000004u);
	ASSERT_EQ(bar0_read32(x.e.p, x.e.device, REG_ICR), 0u);
	bar0_write32(x.e.p, x.e.device, REG_ICS, ICR_LSC);
	ASSERT_EQ(fired(&x), 0x1u);
	bar0_read32(x.e.p, x.e.device, REG_ICR);
	ASSERT_OK(irq_none(x.e.p, x.e.device, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			   0));

	ASSERT_OK(irq_set_eventfd(x.e.p, x.e.device, VFIO_PCI_INTX_IRQ_INDEX, x.efd[1]));
	bar0_write32(x.e.p, x.e.device, REG_ICS, ICR_LSC);
	ASSERT_EQ(fired(&x), 0x2u);
	ASSERT_EQ(bar0_read32(x.e.p, x.e.device, REG_ICR), 0x80000004u);
	ASSERT_OK(irq_none(x.e.p, x.e.device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK,
			   1));
	ASSERT_EQ(fired(&x), 0u);
	bar0_write32(x.e.p, x.e.device, REG_IMC, 0xffffffff);
	ASSERT_OK(irq_none(x.e.p, x.e.device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			   0));
	msix_teardown(&x);
}

TEST(msix, close_with_msix_enabled_and_reset)
{
	struct msix_env x;
	int32_t fds[NVEC];

	msix_setup(&x);
	for (int i = 0; i < NVEC; i++)
		fds[i] = x.efd[i];
	ASSERT_OK(msix_set(&x, 0, NVEC, fds));
	ASSERT_OK(uvfio_ioctl(x.e.p, x.e.device, VFIO_DEVICE_RESET));
	ASSERT_OK(msix_loopback(&x, 0, NVEC));
	ASSERT_EQ(fired(&x), 0x1fu);
	/* The last close tears MSI-X down; a new open starts disabled. */
	ASSERT_OK(uvfio_close(x.e.p, x.e.device));
	x.e.device = (int)uvfio_ioctl(x.e.p, x.e.group, VFIO_GROUP_GET_DEVICE_FD, E1000E_BDF);
	ASSERT_GE(x.e.device, 0);
	ASSERT_EQ(cfg_read16(x.e.p, x.e.device, MSIX_CAP + 2), 0x0004);
	ASSERT_OK(msix_set(&x, 0, 1, fds));
	msix_teardown(&x);
}

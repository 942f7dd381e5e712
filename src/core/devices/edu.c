// SPDX-License-Identifier: MIT
/*
 * "edu": QEMU's educational PCI device (hw/misc/edu.c in QEMU 7.2), 1234:11e8.
 *
 * A conventional PCI function with one 1 MiB memory BAR, INTx pin A and a
 * one-vector 64-bit MSI capability at 0x40. BAR0 registers:
 *
 *   0x00 (RO) identification 0x010000ed
 *   0x04 (RW) liveness: reads back the bitwise inverse of what was written
 *   0x08 (RW) factorial: write n, read n! once status bit 0 clears
 *   0x20 (RW) status: bit 0 computing (RO), bit 7 raise interrupt 0x1 when done
 *   0x24 (RO) interrupt status
 *   0x60 (WO) interrupt raise: ORs the value into the interrupt status
 *   0x64 (WO) interrupt acknowledge: clears those bits
 *   0x80 (RW) DMA source, 0x88 (RW) DMA destination, 0x90 (RW) DMA count
 *   0x98 (RW) DMA command: bit 0 start/busy, bit 1 direction (0: RAM to edu,
 *             1: edu to RAM), bit 2 raise interrupt 0x100 when done
 *
 * The 4 KiB DMA buffer lives at edu address 0x40000 and is reachable only by
 * DMA, not through the BAR. uvfio's `dma_size=` parameter (not in QEMU) makes
 * it larger, up to 64 MiB, so that one command can move a big transfer. RAM addresses are masked with dma_mask (28 bits by
 * default). Accesses below 0x80 must be 4 bytes wide, from 0x80 on 4 or 8;
 * a wrong width at a valid register reads all ones; 1- and 2-byte accesses never
 * reach the device in QEMU (its memory core rejects them) and read as 0.
 *
 * The factorial and the DMA engine run on the world's loop thread, with no
 * delay (QEMU uses a computing thread and a 100 ms timer): software polls the
 * status/command bits either way, and loop_flush() makes tests deterministic.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/models.h"
#include "shared/loop.h"

#define EDU_MSI_CAP 0x40
#define EDU_MSI_LEN 14 /* 64-bit address, no per-vector masking */

#define EDU_ID 0x010000edu
#define EDU_FACT_IRQ 0x00000001u
#define EDU_DMA_IRQ 0x00000100u
#define EDU_STATUS_COMPUTING 0x01u
#define EDU_STATUS_IRQFACT 0x80u
#define EDU_DMA_RUN 0x1u
#define EDU_DMA_TO_RAM 0x2u
#define EDU_DMA_IRQ_EN 0x4u
#define EDU_DMA_START 0x40000u
#define EDU_DMA_SIZE 4096u
#define EDU_DMA_SIZE_MAX (64u << 20)
#define EDU_DEFAULT_DMA_MASK ((1ull << 28) - 1)

/*
 * Lock order: edu->lock is a leaf. It is never held across a call into the PCI
 * layer (pci_set_irq, pci_msi_notify, pci_dma_rw, config reads): those may run a
 * bound driver's interrupt handler, which may access the BAR again.
 */
struct edu {
	struct pci_dev *pdev;
	struct loop *loop;
	u64 dma_mask; /* fixed at init */
	u32 dma_size; /* bytes of dma_buf; fixed at init */

	struct mutex lock;
	u32 addr4; /* protected by lock */
	u32 fact; /* protected by lock */
	u32 status; /* protected by lock */
	u32 irq_status; /* protected by lock */
	bool intx_level; /* the level the registers ask for; protected by lock */
	u64 dma_src, dma_dst, dma_cnt, dma_cmd; /* protected by lock */
	/*
	 * Touched only by dma_work (one command at a time: the RUN bit) and by reset
	 * after cancelling it, so DMA moves bytes straight between it and the bus
	 * with no lock held and no bounce copy.
	 */
	u8 *dma_buf;

	struct work fact_work;
	struct work dma_work;
};

/* The lab machine (tests/oracle/sysfs.txt) has its edu at 00:03.0. */
static const struct model_placement edu_placement[] = {
	{ .bus = 0, .devfn = PCI_DEVFN(3, 0), .bar = { 0xfe800000 }, .intline = 0x0b, .irq = 11 },
};

/* sysfs `config` of 0000:00:03.0 on the lab machine (QEMU 7.2, Linux 6.12). */
static const char *const edu_config[] = {
	"0000: 34 12 e8 11 03 01 10 00 10 00 ff 00 00 00 00 00",
	"0010: 00 00 80 fe 00 00 00 00 00 00 00 00 00 00 00 00",
	"0020: 00 00 00 00 00 00 00 00 00 00 00 00 f4 1a 00 11",
	"0030: 00 00 00 00 40 00 00 00 00 00 00 00 0b 01 00 00",
	"0040: 05 00 80 00 00 00 00 00 00 00 00 00 00 00 00 00",
};

static inline struct edu *to_edu(struct pci_dev *pdev)
{
	return pdev->model_data;
}

/*
 * Brings the INTx line to the level the registers ask for. Several threads may
 * race here; each re-checks after its pci_set_irq() so the last caller leaves
 * the line at the current level.
 */
static void edu_sync_intx(struct edu *edu)
{
	bool want, set;

	mutex_lock(&edu->lock);
	want = edu->intx_level;
	mutex_unlock(&edu->lock);
	for (;;) {
		pci_set_irq(edu->pdev, want);
		set = want;
		mutex_lock(&edu->lock);
		want = edu->intx_level;
		mutex_unlock(&edu->lock);
		if (want == set)
			break;
	}
}

/* QEMU's edu_raise_irq: MSI if enabled in the capability, else assert INTx. */
static void edu_raise_irq(struct edu *edu, u32 val)
{
	bool msi = model_msi_enabled(edu->pdev, EDU_MSI_CAP);
	bool pending;

	lockdep_assert_not_held(&edu->lock);
	mutex_lock(&edu->lock);
	edu->irq_status |= val;
	pending = edu->irq_status != 0;
	if (pending && !msi)
		edu->intx_level = true;
	mutex_unlock(&edu->lock);

	if (!pending)
		return;
	if (msi)
		pci_msi_notify(edu->pdev, 0);
	else
		edu_sync_intx(edu);
}

/* QEMU's edu_lower_irq: INTx drops once no bit is left (and MSI is off). */
static void edu_lower_irq(struct edu *edu, u32 val)
{
	bool msi = model_msi_enabled(edu->pdev, EDU_MSI_CAP);

	lockdep_assert_not_held(&edu->lock);
	mutex_lock(&edu->lock);
	edu->irq_status &= ~val;
	if (!edu->irq_status && !msi)
		edu->intx_level = false;
	mutex_unlock(&edu->lock);
	edu_sync_intx(edu);
}

static void edu_fact_work(struct work *work)
{
	struct edu *edu = container_of(work, struct edu, fact_work);
	u32 n, ret = 1;
	bool irq;

	mutex_lock(&edu->lock);
	n = edu->fact;
	mutex_unlock(&edu->lock);

	/* 32-bit wrap-around as QEMU; the product is 0 for good once it reaches 0. */
	while (n > 0 && ret)
		ret *= n--;

	mutex_lock(&edu->lock);
	edu->fact = ret;
	edu->status &= ~EDU_STATUS_COMPUTING;
	irq = edu->status & EDU_STATUS_IRQFACT;
	mutex_unlock(&edu->lock);

	if (irq)
		edu_raise_irq(edu, EDU_FACT_IRQ);
}

/* Whether [addr, addr + len) lies inside the DMA buffer. */
static bool edu_buf_range_ok(const struct edu *edu, u64 addr, u64 len)
{
	return addr >= EDU_DMA_START && len <= edu->dma_size &&
	       addr - EDU_DMA_START <= edu->dma_size - len;
}

/*
 * One DMA command. QEMU 7.2 stops the whole machine (hw_error) when the edu
 * side of the transfer leaves the buffer; here nothing is transferred and the
 * command completes. A DMA the bus refuses (bus mastering off, no IOMMU mapping)
 * behaves as QEMU's access to unassigned memory: reads give zeros, writes are
 * dropped; the command completes either way.
 */
static void edu_dma_work(struct work *work)
{
	struct edu *edu = container_of(work, struct edu, dma_work);
	u64 src, dst, cnt, cmd;
	bool irq;

	mutex_lock(&edu->lock);
	src = edu->dma_src;
	dst = edu->dma_dst;
	cnt = edu->dma_cnt;
	cmd = edu->dma_cmd;
	mutex_unlock(&edu->lock);
	if (!(cmd & EDU_DMA_RUN))
		return;

	/* src/dst/cnt/cmd cannot change while RUN is set: writes are ignored then. */
	if (!(cmd & EDU_DMA_TO_RAM)) {
		if (cnt && edu_buf_range_ok(edu, dst, cnt)) {
			u8 *buf = edu->dma_buf + (dst - EDU_DMA_START);

			if (pci_dma_rw(edu->pdev, src & edu->dma_mask, buf, cnt, false))
				memset(buf, 0, cnt);
		}
	} else {
		if (cnt && edu_buf_range_ok(edu, src, cnt))
			(void)pci_dma_rw(edu->pdev, dst & edu->dma_mask,
					 edu->dma_buf + (src - EDU_DMA_START), cnt, true);
	}

	mutex_lock(&edu->lock);
	edu->dma_cmd &= ~(u64)EDU_DMA_RUN;
	irq = edu->dma_cmd & EDU_DMA_IRQ_EN;
	mutex_unlock(&edu->lock);

	if (irq)
		edu_raise_irq(edu, EDU_DMA_IRQ);
}

static u64 edu_bar_read(struct pci_dev *pdev, int bar, u64 offset, unsigned int size)
{
	struct edu *edu = to_edu(pdev);
	u64 val = ~0ull;

	if (bar != 0 || (size != 4 && size != 8))
		return 0;
	if (offset < 0x80 && size != 4)
		return val;

	mutex_lock(&edu->lock);
	switch (offset) {
	case 0x00:
		val = EDU_ID;
		break;
	case 0x04:
		val = edu->addr4;
		break;
	case 0x08:
		val = edu->fact;
		break;
	case 0x20:
		val = edu->status;
		break;
	case 0x24:
		val = edu->irq_status;
		break;
	case 0x80:
		val = edu->dma_src;
		break;
	case 0x88:
		val = edu->dma_dst;
		break;
	case 0x90:
		val = edu->dma_cnt;
		break;
	case 0x98:
		val = edu->dma_cmd;
		break;
	}
	mutex_unlock(&edu->lock);

	return size == 4 ? (u32)val : val;
}

static void edu_bar_write(struct pci_dev *pdev, int bar, u64 offset, u64 val, unsigned int size)
{
	struct edu *edu = to_edu(pdev);
	bool start = false;

	if (bar != 0 || (size != 4 && size != 8))
		return;
	if (offset < 0x80 && size != 4)
		return;

	switch (offset) {
	case 0x60:
		edu_raise_irq(edu, (u32)val);
		return;
	case 0x64:
		edu_lower_irq(edu, (u32)val);
		return;
	}

	mutex_lock(&edu->lock);
	switch (offset) {
	case 0x04:
		edu->addr4 = ~(u32)val;
		break;
	case 0x08:
		if (edu->status & EDU_STATUS_COMPUTING)
			break;
		edu->fact = (u32)val;
		edu->status |= EDU_STATUS_COMPUTING;
		queue_work(edu->loop, &edu->fact_work);
		break;
	case 0x20:
		if (val & EDU_STATUS_IRQFACT)
			edu->status |= EDU_STATUS_IRQFACT;
		else
			edu->status &= ~EDU_STATUS_IRQFACT;
		break;
	case 0x80:
		if (!(edu->dma_cmd & EDU_DMA_RUN))
			edu->dma_src = val;
		break;
	case 0x88:
		if (!(edu->dma_cmd & EDU_DMA_RUN))
			edu->dma_dst = val;
		break;
	case 0x90:
		if (!(edu->dma_cmd & EDU_DMA_RUN))
			edu->dma_cnt = val;
		break;
	case 0x98:
		if ((val & EDU_DMA_RUN) && !(edu->dma_cmd & EDU_DMA_RUN)) {
			edu->dma_cmd = val;
			start = true;
		}
		break;
	}
	mutex_unlock(&edu->lock);

	if (start)
		queue_work(edu->loop, &edu->dma_work);
}

static void edu_cancel_work(struct edu *edu)
{
	if (!edu->loop || loop_is_current(edu->loop))
		return;
	cancel_work_sync(edu->loop, &edu->fact_work);
	cancel_work_sync(edu->loop, &edu->dma_work);
}

/* Power-on register state (QEMU's edu has no reset handler; a real reset would do this). */
static void edu_reset(struct pci_dev *pdev)
{
	struct edu *edu = to_edu(pdev);

	edu_cancel_work(edu);
	mutex_lock(&edu->lock);
	edu->addr4 = 0;
	edu->fact = 0;
	edu->status = 0;
	edu->irq_status = 0;
	edu->intx_level = false;
	edu->dma_src = edu->dma_dst = edu->dma_cnt = edu->dma_cmd = 0;
	mutex_unlock(&edu->lock);
	memset(edu->dma_buf, 0, edu->dma_size);
	edu_sync_intx(edu);
}

static void edu_release(struct pci_dev *pdev)
{
	struct edu *edu = to_edu(pdev);

	if (!edu)
		return;
	edu_cancel_work(edu);
	mutex_destroy(&edu->lock);
	free(edu->dma_buf);
	free(edu);
	pdev->model_data = NULL;
}

static void edu_describe(struct pci_dev *pdev, char *buf, size_t size)
{
	struct edu *edu = to_edu(pdev);

	mutex_lock(&edu->lock);
	snprintf(buf, size, "edu: status=%#x irq_status=%#x dma_cmd=%#llx dma_mask=%#llx",
		 edu->status, edu->irq_status, (unsigned long long)edu->dma_cmd,
		 (unsigned long long)edu->dma_mask);
	mutex_unlock(&edu->lock);
}

static const struct pci_dev_model_ops edu_ops = {
	.name = "edu",
	.bar_read = edu_bar_read,
	.bar_write = edu_bar_write,
	.reset = edu_reset,
	.release = edu_release,
	.describe = edu_describe,
};

static int edu_init(struct pci_dev *pdev, const struct model_param *params, unsigned int nparams,
		    char *err, size_t errlen)
{
	static const char *const known[] = { "bar0", "dma_mask", "dma_size", NULL };
	unsigned long long mask = EDU_DEFAULT_DMA_MASK, dma_size = EDU_DMA_SIZE;
	struct edu *edu;
	bool found;
	int ret;

	ret = model_check_params(params, nparams, known, err, errlen);
	if (ret)
		return ret;
	ret = model_param_get_u64(params, nparams, "dma_mask", UINT64_MAX, &mask, &found, err,
				  errlen);
	if (ret)
		return ret;
	ret = model_param_get_u64(params, nparams, "dma_size", EDU_DMA_SIZE_MAX, &dma_size, &found,
				  err, errlen);
	if (ret)
		return ret;
	if (dma_size < EDU_DMA_SIZE) {
		snprintf(err, errlen, "dma_size must be at least %u", EDU_DMA_SIZE);
		return -EINVAL;
	}

	pdev->cfg_size = PCI_CFG_SPACE_SIZE;
	model_load_config(pdev, edu_config, ARRAY_SIZE(edu_config));
	model_init_masks(pdev);
	model_setup_bar(pdev, 0, 1 << 20, IORESOURCE_MEM);
	pci_add_capability(pdev, PCI_CAP_ID_MSI, EDU_MSI_CAP, EDU_MSI_LEN);
	/* The image is the truth: undo whatever bookkeeping wrote into it. */
	model_load_config(pdev, edu_config, ARRAY_SIZE(edu_config));
	model_msi_masks(pdev, EDU_MSI_CAP, true, false, 1);
	ret = model_apply_placement(pdev, edu_placement, ARRAY_SIZE(edu_placement), params, nparams,
				    err, errlen);
	if (ret)
		return ret;

	edu = xzalloc(sizeof(*edu));
	edu->pdev = pdev;
	edu->loop = pdev->bus && pdev->bus->pci ? pdev->bus->pci->loop : NULL;
	edu->dma_mask = mask;
	edu->dma_size = (u32)dma_size;
	edu->dma_buf = xzalloc(dma_size);
	mutex_init(&edu->lock, "edu->lock");
	INIT_WORK(&edu->fact_work, edu_fact_work);
	INIT_WORK(&edu->dma_work, edu_dma_work);

	pdev->model = &edu_ops;
	pdev->model_data = edu;
	return 0;
}

const struct pci_model edu_model = {
	.name = "edu",
	.description = "QEMU educational device (1234:11e8): factorial, DMA, INTx and MSI",
	.init = edu_init,
};

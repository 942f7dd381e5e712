// SPDX-License-Identifier: MIT
/*
 * "ivshmem-plain": QEMU's inter-VM shared memory device without doorbell
 * (hw/misc/ivshmem.c in QEMU 7.2), 1af4:1110, class 0500 (RAM).
 *
 * A conventional PCI function with no capabilities, INTx pin A and two BARs:
 *
 *   BAR0  256 bytes of registers, 32-bit memory:
 *         0x00 (RW) interrupt mask
 *         0x04 (RW) interrupt status: reading it returns the bits and clears them
 *         0x08 (RO) IV position, the peer number: 0 without a server
 *         0x0c (WO) doorbell: no peers, no effect
 *         INTx is asserted while (status & mask) != 0. QEMU implements 4-byte
 *         accesses; narrower and wider ones are split or widened by its memory
 *         core, so a 1-byte read of the status register clears all of it.
 *   BAR2  the shared memory (`size=`, default 4 MiB, a power of two of at
 *         least 4 KiB), 64-bit prefetchable: plain memory, kept in a memfd by
 *         the PCI layer (pci_bar_init_ram) so that a vfio-pci mmap of it shares
 *         the pages with no trapping.
 *
 * The config image is built from QEMU's source (not probed in the kernel lab,
 * whose machine has no ivshmem): vendor 1af4, device 1110, revision 1,
 * subsystem 1af4:1100, command as SeaBIOS leaves it (I/O, memory, SERR).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/models.h"

#define IVSHMEM_REG_BAR_SIZE 0x100
#define IVSHMEM_DEFAULT_SIZE (4ull << 20)
#define IVSHMEM_MAX_SIZE (1ull << 32)

#define IVSHMEM_INTRMASK 0x00
#define IVSHMEM_INTRSTATUS 0x04
#define IVSHMEM_IVPOSITION 0x08
#define IVSHMEM_DOORBELL 0x0c

/*
 * Lock order: ivshmem->lock is a leaf, never held across pci_set_irq() (a bound
 * driver's interrupt handler may read the registers again).
 */
struct ivshmem {
	struct pci_dev *pdev;
	struct mutex lock;
	u32 intrmask; /* protected by lock */
	u32 intrstatus; /* protected by lock */
};

static inline struct ivshmem *to_ivshmem(struct pci_dev *pdev)
{
	return pdev->model_data;
}

static bool ivshmem_irq_level(struct ivshmem *s)
{
	bool level;

	mutex_lock(&s->lock);
	level = (s->intrstatus & s->intrmask) != 0;
	mutex_unlock(&s->lock);
	return level;
}

/* Brings INTx to the level the registers ask for; re-checks against racing updates. */
static void ivshmem_update_irq(struct ivshmem *s)
{
	bool want = ivshmem_irq_level(s), set;

	lockdep_assert_not_held(&s->lock);
	do {
		pci_set_irq(s->pdev, want);
		set = want;
		want = ivshmem_irq_level(s);
	} while (want != set);
}

/* One 4-byte register read; *irq tells whether the INTx level may have changed. */
static u32 ivshmem_reg_read(struct ivshmem *s, u64 addr, bool *irq)
{
	u32 val = 0;

	mutex_lock(&s->lock);
	switch (addr) {
	case IVSHMEM_INTRMASK:
		val = s->intrmask;
		break;
	case IVSHMEM_INTRSTATUS:
		val = s->intrstatus;
		s->intrstatus = 0;
		*irq = true;
		break;
	case IVSHMEM_IVPOSITION:
		val = 0;
		break;
	}
	mutex_unlock(&s->lock);
	return val;
}

static void ivshmem_reg_write(struct ivshmem *s, u64 addr, u32 val)
{
	mutex_lock(&s->lock);
	switch (addr) {
	case IVSHMEM_INTRMASK:
		s->intrmask = val;
		break;
	case IVSHMEM_INTRSTATUS:
		s->intrstatus = val;
		break;
	}
	mutex_unlock(&s->lock);
}

/* BAR0 accesses of any width, as QEMU's memory core turns them into 4-byte ones. */
static u64 ivshmem_bar_read(struct pci_dev *pdev, int bar, u64 offset, unsigned int size)
{
	struct ivshmem *s = to_ivshmem(pdev);
	bool irq = false;
	u64 val = 0;

	if (bar != 0)
		return ~0ull >> (64 - 8 * size);
	for (u64 word = offset & ~3ull; word < offset + size; word += 4) {
		u64 reg = ivshmem_reg_read(s, word, &irq);
		int shift = (int)(word - offset) * 8;

		val |= shift >= 0 ? reg << shift : reg >> -shift;
	}
	if (irq)
		ivshmem_update_irq(s);
	return size == 8 ? val : val & ((1ull << (8 * size)) - 1);
}

static void ivshmem_bar_write(struct pci_dev *pdev, int bar, u64 offset, u64 val, unsigned int size)
{
	struct ivshmem *s = to_ivshmem(pdev);

	if (bar != 0)
		return;
	/* A narrow write reaches the register as a 4-byte write of the shifted value. */
	for (u64 word = offset & ~3ull; word < offset + size; word += 4) {
		int shift = (int)(word - offset) * 8;

		ivshmem_reg_write(s, word, (u32)(shift >= 0 ? val >> shift : val << -shift));
	}
	ivshmem_update_irq(s);
}

static void ivshmem_reset(struct pci_dev *pdev)
{
	struct ivshmem *s = to_ivshmem(pdev);

	/* QEMU's ivshmem_reset: registers cleared; the shared memory keeps its bytes. */
	mutex_lock(&s->lock);
	s->intrmask = 0;
	s->intrstatus = 0;
	mutex_unlock(&s->lock);
	ivshmem_update_irq(s);
}

static void ivshmem_release(struct pci_dev *pdev)
{
	struct ivshmem *s = to_ivshmem(pdev);

	if (!s)
		return;
	mutex_destroy(&s->lock);
	free(s);
	pdev->model_data = NULL;
}

static void ivshmem_describe(struct pci_dev *pdev, char *buf, size_t size)
{
	struct ivshmem *s = to_ivshmem(pdev);

	mutex_lock(&s->lock);
	snprintf(buf, size, "ivshmem-plain: %llu bytes shared, intrmask=%#x intrstatus=%#x",
		 (unsigned long long)resource_size(&pdev->resource[2]), s->intrmask, s->intrstatus);
	mutex_unlock(&s->lock);
}

static const struct pci_dev_model_ops ivshmem_ops = {
	.name = "ivshmem-plain",
	.bar_read = ivshmem_bar_read,
	.bar_write = ivshmem_bar_write,
	.reset = ivshmem_reset,
	.release = ivshmem_release,
	.describe = ivshmem_describe,
};

static const char *const ivshmem_config[] = {
	"0000: f4 1a 10 11 03 01 00 00 01 00 00 05 00 00 00 00",
	"0020: 00 00 00 00 00 00 00 00 00 00 00 00 f4 1a 00 11",
	"0030: 00 00 00 00 00 00 00 00 00 00 00 00 00 01 00 00",
};

static int ivshmem_init(struct pci_dev *pdev, const struct model_param *params,
			unsigned int nparams, char *err, size_t errlen)
{
	static const char *const known[] = { "bar0", "bar2", "size", NULL };
	unsigned long long size = IVSHMEM_DEFAULT_SIZE;
	struct ivshmem *s;
	bool found;
	int ret;

	ret = model_check_params(params, nparams, known, err, errlen);
	if (ret)
		return ret;
	ret = model_param_get_u64(params, nparams, "size", IVSHMEM_MAX_SIZE, &size, &found, err,
				  errlen);
	if (ret)
		return ret;
	if (size < PAGE_SIZE || (size & (size - 1))) {
		snprintf(err, errlen, "size must be a power of two of at least 4096, not %llu",
			 size);
		return -EINVAL;
	}

	pdev->cfg_size = PCI_CFG_SPACE_SIZE;
	model_load_config(pdev, ivshmem_config, ARRAY_SIZE(ivshmem_config));
	model_init_masks(pdev);
	model_setup_bar(pdev, 0, IVSHMEM_REG_BAR_SIZE, IORESOURCE_MEM);
	model_setup_bar(pdev, 2, size, IORESOURCE_MEM | IORESOURCE_MEM_64 | IORESOURCE_PREFETCH);
	ret = model_apply_placement(pdev, NULL, 0, params, nparams, err, errlen);
	if (ret)
		return ret;
	ret = pci_bar_init_ram(pdev, 2);
	if (ret) {
		snprintf(err, errlen, "cannot allocate %llu bytes of shared memory: %s", size,
			 strerror(-ret));
		return ret;
	}

	s = xzalloc(sizeof(*s));
	s->pdev = pdev;
	mutex_init(&s->lock, "ivshmem->lock");
	pdev->model = &ivshmem_ops;
	pdev->model_data = s;
	return 0;
}

const struct pci_model ivshmem_plain_model = {
	.name = "ivshmem-plain",
	.description = "QEMU inter-VM shared memory (1af4:1110): a RAM BAR mmapped with no trap",
	.init = ivshmem_init,
};

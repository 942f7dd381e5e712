// SPDX-License-Identifier: MIT
/*
 * "e1000e": QEMU 7.2's e1000e (Intel 82574L, 8086:10d3 rev 0, subsystem
 * 8086:0000), a PCIe function with MSI-X, as the kernel lab shows it at 00:05.0
 * (tests/oracle/e1000e.txt): 4096-byte config space, BAR0 128 KiB registers,
 * BAR1 128 KiB flash, BAR2 32-byte I/O, BAR3 16 KiB MSI-X (table at 0, PBA at
 * 0x2000, 5 vectors), a 256 KiB ROM; PM 0xc8 → MSI 0xd0 → PCIe 0xe0 (v1,
 * root-complex integrated endpoint on the root bus) → MSI-X 0xa0; AER 0x100 →
 * DSN 0x140.
 *
 * Only the interrupt side of the register file is behaviour (QEMU's
 * hw/net/e1000e_core.c): ICR/ICS/IMS/IMC/IAM/EIAC/IVAR/CTRL_EXT, with causes
 * routed through IVAR to MSI-X vectors, or to MSI vector 0, or to INTx. Every
 * other register stores what is written. No packets, no EEPROM or PHY
 * behaviour, no interrupt throttling (ITR/EITR are stored, never delay).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/e1000_common.h"

#define E1000E_MMIO_SIZE 0x20000
#define E1000E_FLASH_SIZE 0x20000
#define E1000E_IO_SIZE 0x20
#define E1000E_MSIX_SIZE 0x4000
#define E1000E_ROM_SIZE 0x40000
#define E1000E_NREGS (E1000E_MMIO_SIZE / 4)
#define E1000E_DEVICE_ID 0x10d3
#define E1000E_MSIX_NVEC 5
#define E1000E_MSIX_BAR 3
#define E1000E_MSIX_PBA 0x2000
#define E1000E_MSI_CAP 0xd0

enum {
	CTRL = 0x00000,
	STATUS = 0x00008,
	CTRL_EXT = 0x00018,
	ICR = 0x000c0,
	ICS = 0x000c8,
	IMS = 0x000d0,
	IMC = 0x000d8,
	EIAC = 0x000dc,
	IAM = 0x000e0,
	IVAR = 0x000e4,
};

#define CTRL_RST 0x04000000u
#define CTRL_EXT_EIAME 0x01000000u
#define CTRL_EXT_IAME 0x08000000u
#define ICR_ASSERTED 0x80000000u
#define ICR_RXQ0 0x00100000u
#define ICR_RXQ1 0x00200000u
#define ICR_TXQ0 0x00400000u
#define ICR_TXQ1 0x00800000u
#define ICR_OTHER 0x01000000u
/* LSC RXO MDAC SRPD ACK MNG: reported through OTHER in MSI-X mode. */
#define ICR_OTHER_CAUSES 0x00070244u
/* The causes IMS can enable (QEMU's ims_valid_mask). */
#define IMS_VALID 0x01f782d7u

/*
 * Lock order: e1000e->lock is a leaf, never held across pci_set_irq(),
 * pci_msi_notify() or pci_msix_notify() (a handler may read ICR from inside).
 */
struct e1000e {
	struct pci_dev *pdev;
	struct mutex lock;
	u32 reg[E1000E_NREGS]; /* protected by lock */
	u32 msi_causes_pending; /* causes already signalled by MSI/MSI-X; protected by lock */
	bool irq_level; /* INTx level; protected by lock */
};

/* What to send once the lock is dropped. */
struct e1000e_irq {
	bool intx_changed;
	bool msi;
	u32 msix_vectors; /* bitmap */
};

static const struct model_placement e1000e_placement[] = {
	{ .bus = 0,
	  .devfn = PCI_DEVFN(5, 0),
	  .bar = { 0xfe940000, 0xfe960000, 0xd040, 0xfe980000, 0, 0, 0xfe900000 },
	  .intline = 0x0a,
	  .irq = 10 },
};

/* sysfs `config` of 0000:00:05.0 on the lab machine (QEMU_EXTRA="-device e1000e,addr=05.0"). */
static const char *const e1000e_config[] = {
	"0000: 86 80 d3 10 03 01 10 00 00 00 00 02 00 00 00 00",
	"0010: 00 00 94 fe 00 00 96 fe 41 d0 00 00 00 00 98 fe",
	"0020: 00 00 00 00 00 00 00 00 00 00 00 00 86 80 00 00",
	"0030: 00 00 90 fe c8 00 00 00 00 00 00 00 0a 01 00 00",
	"00a0: 11 00 04 00 03 00 00 00 03 20 00 00 00 00 00 00",
	"00c0: 00 00 00 00 00 00 00 00 01 d0 22 00 00 00 00 00",
	"00d0: 05 e0 80 00 00 00 00 00 00 00 00 00 00 00 00 00",
	"00e0: 10 a0 91 00 00 80 00 00 00 00 00 00 11 04 00 00",
	"00f0: 00 00 11 00 00 00 00 00 00 00 00 00 00 00 00 00",
	"0100: 01 00 02 14 00 00 00 00 00 00 00 00 30 20 46 00",
	"0110: 00 00 00 00 00 e0 00 00 a0 00 00 00 00 00 00 00",
	"0140: 03 00 01 00 58 34 12 ff ff 00 54 52 00 00 00 00",
};

static inline struct e1000e *to_e1000e(struct pci_dev *pdev)
{
	return pdev->model_data;
}

#define R(e, off) ((e)->reg[(off) >> 2])

static void e1000e_reset_regs(struct e1000e *e)
{
	lockdep_assert_held(&e->lock);
	memset(e->reg, 0, sizeof(e->reg));
	R(e, CTRL) = 0x00140241; /* FD SLU SPD_1000 SWDPIN0 SWDPIN2, as the lab reads it */
	R(e, STATUS) = 0x00080283; /* FD LU ASDV_1000 GIO master enable */
	e->msi_causes_pending = 0;
	e->irq_level = false;
}

/* The IVAR field of a queue/OTHER cause: bits 2:0 vector, bit 3 valid. */
static void e1000e_msix_notify_one(struct e1000e *e, u32 cause, unsigned int shift,
				   struct e1000e_irq *out)
{
	u32 field = (R(e, IVAR) >> shift) & 0xf;

	if ((field & 0x8) && (field & 0x7) < E1000E_MSIX_NVEC)
		out->msix_vectors |= 1u << (field & 0x7);
	if (R(e, CTRL_EXT) & CTRL_EXT_EIAME)
		R(e, IMS) &= ~(R(e, IAM) & cause);
	R(e, ICR) &= ~(R(e, EIAC) & cause);
}

static void e1000e_send_msi(struct e1000e *e, bool msix, struct e1000e_irq *out)
{
	static const struct {
		u32 cause;
		unsigned int shift;
	} route[] = {
		{ ICR_RXQ0, 0 },  { ICR_RXQ1, 4 },   { ICR_TXQ0, 8 },
		{ ICR_TXQ1, 12 }, { ICR_OTHER, 16 },
	};
	u32 causes = R(e, ICR) & R(e, IMS) & ~ICR_ASSERTED;

	/* A cause already signalled is not signalled again until software clears it. */
	e->msi_causes_pending &= causes;
	causes ^= e->msi_causes_pending;
	if (!causes)
		return;
	e->msi_causes_pending |= causes;
	if (!msix) {
		out->msi = true;
		return;
	}
	for (size_t i = 0; i < ARRAY_SIZE(route); i++)
		if (causes & route[i].cause)
			e1000e_msix_notify_one(e, route[i].cause, route[i].shift, out);
}

/* QEMU's e1000e_update_interrupt_state: ICR's summary bit, then MSI-X, MSI or INTx. */
static void e1000e_update_irq(struct e1000e *e, struct e1000e_irq *out)
{
	bool msix = pci_msix_enabled(e->pdev);
	bool pending, level = false;

	lockdep_assert_held(&e->lock);
	if (msix && (R(e, ICR) & ICR_OTHER_CAUSES))
		R(e, ICR) |= ICR_OTHER;
	if (R(e, ICR) & R(e, IMS))
		R(e, ICR) |= ICR_ASSERTED;
	else
		R(e, ICR) &= ~ICR_ASSERTED;
	R(e, ICS) = R(e, ICR);
	pending = (R(e, IMS) & R(e, ICR)) != 0;
	if (!pending)
		e->msi_causes_pending = 0;
	if (msix || model_msi_enabled(e->pdev, E1000E_MSI_CAP)) {
		if (pending)
			e1000e_send_msi(e, msix, out);
	} else {
		level = pending;
	}
	if (level != e->irq_level) {
		e->irq_level = level;
		out->intx_changed = true;
	}
}

static void e1000e_reg_write(struct e1000e *e, u32 off, u32 val, struct e1000e_irq *out)
{
	lockdep_assert_held(&e->lock);
	switch (off) {
	case CTRL:
		R(e, CTRL) = val & ~CTRL_RST;
		return;
	case STATUS:
		return;
	case ICR:
		/* Write 1 to clear; with IAME an asserted ICR clears whole and auto-masks. */
		if ((R(e, ICR) & ICR_ASSERTED) && (R(e, CTRL_EXT) & CTRL_EXT_IAME)) {
			R(e, ICR) = 0;
			R(e, IMS) &= ~R(e, IAM);
		}
		R(e, ICR) &= ~val;
		break;
	case ICS:
		R(e, ICR) |= val;
		break;
	case IMS:
		R(e, IMS) |= val & IMS_VALID;
		break;
	case IMC:
		R(e, IMS) &= ~val;
		break;
	default:
		R(e, off) = val;
		return;
	}
	e1000e_update_irq(e, out);
}

static u32 e1000e_reg_read(struct e1000e *e, u32 off, struct e1000e_irq *out)
{
	u32 ret;

	lockdep_assert_held(&e->lock);
	switch (off) {
	case ICR:
		/* Read-to-clear only outside MSI-X mode, or with nothing enabled in IMS. */
		ret = R(e, ICR);
		if (!R(e, IMS) || !pci_msix_enabled(e->pdev))
			R(e, ICR) = 0;
		if ((R(e, ICR) & ICR_ASSERTED) && (R(e, CTRL_EXT) & CTRL_EXT_IAME)) {
			R(e, ICR) = 0;
			R(e, IMS) &= ~R(e, IAM);
		}
		e1000e_update_irq(e, out);
		return ret;
	case IMC:
		return 0;
	}
	return R(e, off);
}

/* Sends what a register access raised; the model lock is not held. */
static void e1000e_deliver(struct e1000e *e, const struct e1000e_irq *irq)
{
	if (irq->intx_changed)
		e1000_sync_intx(e->pdev, &e->lock, &e->irq_level);
	if (irq->msi)
		pci_msi_notify(e->pdev, 0);
	for (unsigned int v = 0; v < E1000E_MSIX_NVEC; v++)
		if (irq->msix_vectors & (1u << v))
			pci_msix_notify(e->pdev, v);
}

static u64 e1000e_bar_read(struct pci_dev *pdev, int bar, u64 offset, unsigned int size)
{
	struct e1000e *e = to_e1000e(pdev);
	struct e1000e_irq irq = { 0 };
	u64 val;

	/* Flash, I/O and the MSI-X BAR outside the table and PBA read 0, as in QEMU. */
	if (bar != 0)
		return 0;
	mutex_lock(&e->lock);
	if (size == 8) {
		val = e1000e_reg_read(e, (u32)offset, &irq);
		val |= (u64)e1000e_reg_read(e, (u32)offset + 4, &irq) << 32;
	} else {
		u32 dw = e1000e_reg_read(e, (u32)offset & ~3u, &irq);

		val = (dw >> (8 * (offset & 3))) &
		      (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
	}
	mutex_unlock(&e->lock);
	e1000e_deliver(e, &irq);
	return val;
}

static void e1000e_bar_write(struct pci_dev *pdev, int bar, u64 offset, u64 val, unsigned int size)
{
	struct e1000e *e = to_e1000e(pdev);
	struct e1000e_irq irq = { 0 };

	if (bar != 0)
		return;
	mutex_lock(&e->lock);
	if (size == 8) {
		e1000e_reg_write(e, (u32)offset, (u32)val, &irq);
		e1000e_reg_write(e, (u32)offset + 4, (u32)(val >> 32), &irq);
	} else if (size == 4) {
		e1000e_reg_write(e, (u32)offset, (u32)val, &irq);
	} else {
		u32 mask = (1u << (8 * size)) - 1;

		e1000e_reg_write(e, (u32)offset & ~3u, ((u32)val & mask) << (8 * (offset & 3)),
				 &irq);
	}
	mutex_unlock(&e->lock);
	e1000e_deliver(e, &irq);
}

static void e1000e_reset(struct pci_dev *pdev)
{
	struct e1000e *e = to_e1000e(pdev);

	mutex_lock(&e->lock);
	e1000e_reset_regs(e);
	mutex_unlock(&e->lock);
	e1000_sync_intx(pdev, &e->lock, &e->irq_level);
}

static void e1000e_release(struct pci_dev *pdev)
{
	struct e1000e *e = to_e1000e(pdev);

	if (!e)
		return;
	mutex_destroy(&e->lock);
	free(e);
	pdev->model_data = NULL;
}

static void e1000e_describe(struct pci_dev *pdev, char *buf, size_t size)
{
	struct e1000e *e = to_e1000e(pdev);

	mutex_lock(&e->lock);
	snprintf(buf, size, "e1000e: icr=%#x ims=%#x ivar=%#x msix=%s", R(e, ICR), R(e, IMS),
		 R(e, IVAR), pci_msix_enabled(pdev) ? "on" : "off");
	mutex_unlock(&e->lock);
}

static const struct pci_dev_model_ops e1000e_ops = {
	.name = "e1000e",
	.bar_read = e1000e_bar_read,
	.bar_write = e1000e_bar_write,
	.reset = e1000e_reset,
	.release = e1000e_release,
	.describe = e1000e_describe,
};

/* QEMU's per-capability write masks (pci_pm_init, msi_init, pcie_aer_init; PCIe v1 and DSN read-only). */
static void e1000e_cap_masks(struct pci_dev *pdev)
{
	const u32 unc_supported = 0x03fff030;
	const u32 cor_supported = 0x0000f1c1;
	const unsigned int pm = 0xc8, aer = 0x100;

	model_cap_readonly(pdev, pm, PCI_PM_SIZEOF);
	cfg_set16(pdev->wmask + pm + PCI_PM_CTRL, PCI_PM_CTRL_STATE_MASK | PCI_PM_CTRL_PME_ENABLE);
	cfg_set16(pdev->w1cmask + pm + PCI_PM_CTRL, PCI_PM_CTRL_PME_STATUS);
	model_msi_masks(pdev, E1000E_MSI_CAP, true, false, 1);
	model_cap_readonly(pdev, 0xe0, PCI_CAP_EXP_ENDPOINT_SIZEOF_V1);
	model_cap_readonly(pdev, 0xa0, PCI_CAP_MSIX_SIZEOF);
	model_cap_readonly(pdev, aer, 0x48);
	cfg_set32(pdev->w1cmask + aer + PCI_ERR_UNCOR_STATUS, unc_supported);
	cfg_set32(pdev->wmask + aer + PCI_ERR_UNCOR_MASK, unc_supported);
	cfg_set32(pdev->wmask + aer + PCI_ERR_UNCOR_SEVER, unc_supported);
	cfg_set32(pdev->w1cmask + aer + PCI_ERR_COR_STATUS, cor_supported);
	cfg_set32(pdev->wmask + aer + PCI_ERR_COR_MASK, cor_supported);
	cfg_set32(pdev->wmask + aer + PCI_ERR_CAP, PCI_ERR_CAP_ECRC_GENE | PCI_ERR_CAP_ECRC_CHKE);
	model_cap_readonly(pdev, 0x140, PCI_EXT_CAP_DSN_SIZEOF);
}

static int e1000e_init(struct pci_dev *pdev, const struct model_param *params, unsigned int nparams,
		       char *err, size_t errlen)
{
	static const char *const known[] = { "bar0", "bar1", "bar2", "bar3", "rom", NULL };
	struct e1000e *e;
	int ret;

	ret = model_check_params(params, nparams, known, err, errlen);
	if (ret)
		return ret;
	pdev->cfg_size = PCI_CFG_SPACE_EXP_SIZE;
	model_load_config(pdev, e1000e_config, ARRAY_SIZE(e1000e_config));
	model_init_masks(pdev);
	e1000e_cap_masks(pdev);
	model_setup_bar(pdev, 0, E1000E_MMIO_SIZE, IORESOURCE_MEM);
	model_setup_bar(pdev, 1, E1000E_FLASH_SIZE, IORESOURCE_MEM);
	model_setup_bar(pdev, 2, E1000E_IO_SIZE, IORESOURCE_IO);
	model_setup_bar(pdev, E1000E_MSIX_BAR, E1000E_MSIX_SIZE, IORESOURCE_MEM);
	model_setup_bar(pdev, PCI_ROM_RESOURCE, E1000E_ROM_SIZE,
			IORESOURCE_MEM | IORESOURCE_PREFETCH | IORESOURCE_READONLY);
	model_load_config(pdev, e1000e_config, ARRAY_SIZE(e1000e_config));
	ret = model_apply_placement(pdev, e1000e_placement, ARRAY_SIZE(e1000e_placement), params,
				    nparams, err, errlen);
	if (ret)
		return ret;
	pci_msix_init(pdev, E1000E_MSIX_NVEC, E1000E_MSIX_BAR, 0, E1000E_MSIX_BAR, E1000E_MSIX_PBA);

	e = xzalloc(sizeof(*e));
	e->pdev = pdev;
	mutex_init(&e->lock, "e1000e->lock");
	mutex_lock(&e->lock);
	e1000e_reset_regs(e);
	mutex_unlock(&e->lock);
	pdev->rom = e1000_build_option_rom(E1000E_DEVICE_ID, E1000E_ROM_SIZE,
					   "uvfio e1000e option ROM stand-in");
	pdev->rom_len = E1000E_ROM_SIZE;
	pdev->model = &e1000e_ops;
	pdev->model_data = e;
	return 0;
}

const struct pci_model e1000e_model = {
	.name = "e1000e",
	.description = "Intel 82574L gigabit NIC as QEMU's e1000e (8086:10d3), PCIe with MSI-X",
	.init = e1000e_init,
};

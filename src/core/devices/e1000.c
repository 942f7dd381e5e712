// SPDX-License-Identifier: MIT
/*
 * "e1000": QEMU 7.2's e1000 (Intel 82540EM, 8086:100e rev 3, subsystem
 * 1af4:1100), as a host driver and VFIO programs see it: BAR0 128 KiB of
 * registers, BAR1 a 64-byte I/O window, a 256 KiB expansion ROM, INTx pin A,
 * no capabilities.
 *
 * Register behaviour follows QEMU's e1000 (hw/net/e1000.c): the same set of
 * implemented registers and their reset values, CTRL.RST self-clearing without
 * resetting anything (QEMU does not reset on it either; the lab shows CTRL
 * keeping the VLAN-mode bit across the driver's reset), STATUS with link up at
 * 1000 Mb/s full duplex, the Microwire EEPROM behind EECD (what Linux uses on the
 * 82540EM) and EERD, MDIC access to the M88E1000 PHY, ICR read-to-clear with
 * ICS/IMS/IMC and the INTx level following ICR & IMS. No packets are sent or
 * received: the rings are plain registers. QEMU's I/O BAR ignores writes and
 * reads 0 (it has no IOADDR/IODATA window) and so does this one.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/e1000_common.h"

#define E1000_MMIO_SIZE 0x20000
#define E1000_IO_SIZE 0x40
#define E1000_ROM_SIZE 0x40000
#define E1000_NREGS (E1000_MMIO_SIZE / 4)
#define E1000_DEVICE_ID 0x100e

/* Register offsets (8254x software developer's manual). */
enum {
	CTRL = 0x00000,
	STATUS = 0x00008,
	EECD = 0x00010,
	EERD = 0x00014,
	MDIC = 0x00020,
	VET = 0x00038,
	ICR = 0x000c0,
	ITR = 0x000c4,
	ICS = 0x000c8,
	IMS = 0x000d0,
	IMC = 0x000d8,
	RCTL = 0x00100,
	TCTL = 0x00400,
	AIT = 0x00458,
	LEDCTL = 0x00e00,
	PBA = 0x01000,
	RDFH = 0x02410,
	RDFT = 0x02418,
	RDFHS = 0x02420,
	RDFTS = 0x02428,
	RDFPC = 0x02430,
	RDBAL = 0x02800,
	RDBAH = 0x02804,
	RDLEN = 0x02808,
	RDH = 0x02810,
	RDT = 0x02818,
	RDTR = 0x02820,
	RADV = 0x0282c,
	TDFH = 0x03410,
	TDFT = 0x03418,
	TDFHS = 0x03420,
	TDFTS = 0x03428,
	TDFPC = 0x03430,
	TDBAL = 0x03800,
	TDBAH = 0x03804,
	TDLEN = 0x03808,
	TDH = 0x03810,
	TDT = 0x03818,
	TXDCTL = 0x03828,
	TADV = 0x0382c,
	FCRUC = 0x04058,
	MTA = 0x05200,
	RA = 0x05400,
	VFTA = 0x05600,
	WUC = 0x05800,
	WUFC = 0x05808,
	WUS = 0x05810,
	MANC = 0x05820,
	IPAV = 0x05838,
	IP4AT = 0x05840,
	IP6AT = 0x05880,
	WUPM = 0x05a00,
	SWSM = 0x05b50,
	FFLT = 0x05f00,
	FFMT = 0x09000,
	FFVT = 0x09800,
	PBM = 0x10000,
};

#define CTRL_RST 0x04000000u
#define EECD_SK 0x01u
#define EECD_CS 0x02u
#define EECD_DI 0x04u
#define EECD_DO 0x08u
#define EECD_FWE_MASK 0x30u
#define EECD_REQ 0x40u
#define EECD_GNT 0x80u
#define EECD_PRES 0x100u
#define EERD_START 0x1u
#define EERD_DONE 0x10u
#define EERD_ADDR_SHIFT 8
#define EERD_DATA_SHIFT 16
#define EEPROM_READ_OPCODE_MICROWIRE 0x6
#define EEPROM_CHECKSUM_REG 0x3f
#define EEPROM_SUM 0xbaba
#define MDIC_DATA_MASK 0x0000ffffu
#define MDIC_REG_MASK 0x001f0000u
#define MDIC_REG_SHIFT 16
#define MDIC_PHY_MASK 0x03e00000u
#define MDIC_PHY_SHIFT 21
#define MDIC_OP_WRITE 0x04000000u
#define MDIC_OP_READ 0x08000000u
#define MDIC_READY 0x10000000u
#define MDIC_INT_EN 0x20000000u
#define MDIC_ERROR 0x40000000u
#define ICR_TXQE 0x00000002u
#define ICR_LSC 0x00000004u
#define ICR_MDAC 0x00000200u
#define TCTL_EN 0x00000002u
#define RAH_AV 0x80000000u

/* PHY registers (M88E1000). */
enum {
	PHY_CTRL = 0x00,
	PHY_STATUS = 0x01,
	PHY_ID1 = 0x02,
	PHY_ID2 = 0x03,
	PHY_AUTONEG_ADV = 0x04,
	PHY_LP_ABILITY = 0x05,
	PHY_AUTONEG_EXP = 0x06,
	PHY_1000T_CTRL = 0x09,
	PHY_1000T_STATUS = 0x0a,
	M88_PHY_SPEC_CTRL = 0x10,
	M88_PHY_SPEC_STATUS = 0x11,
	M88_EXT_PHY_SPEC_CTRL = 0x14,
	M88_RX_ERR_CNTR = 0x15,
	PHY_NREGS = 0x20,
};
#define PHY_R 1
#define PHY_W 2
#define MII_CR_RESTART_AUTONEG 0x0200u
#define MII_CR_RESET 0x8000u
#define MII_CR_AUTONEG_EN 0x1000u
#define MII_SR_AUTONEG_COMPLETE 0x0020u
#define MII_LPAR_LPACK 0x4000u

static const u8 phy_regcap[PHY_NREGS] = {
	[PHY_CTRL] = PHY_R | PHY_W,
	[PHY_STATUS] = PHY_R,
	[PHY_ID1] = PHY_R,
	[PHY_ID2] = PHY_R,
	[PHY_AUTONEG_ADV] = PHY_R | PHY_W,
	[PHY_LP_ABILITY] = PHY_R,
	[PHY_AUTONEG_EXP] = PHY_R,
	[PHY_1000T_CTRL] = PHY_R | PHY_W,
	[PHY_1000T_STATUS] = PHY_R,
	[M88_PHY_SPEC_CTRL] = PHY_R | PHY_W,
	[M88_PHY_SPEC_STATUS] = PHY_R,
	[M88_EXT_PHY_SPEC_CTRL] = PHY_R | PHY_W,
	[M88_RX_ERR_CNTR] = PHY_R,
};

static const u16 phy_reg_init[PHY_NREGS] = {
	[PHY_CTRL] = 0x1140, /* 1000 Mb/s, full duplex, autonegotiation enabled */
	[PHY_STATUS] = 0x794d, /* link up, autonegotiation not complete yet */
	[PHY_ID1] = 0x0141,
	[PHY_ID2] = 0x0c20, /* 8254x default */
	[PHY_AUTONEG_ADV] = 0x0de1,
	[PHY_LP_ABILITY] = 0x01e0,
	[PHY_1000T_CTRL] = 0x0e00,
	[PHY_1000T_STATUS] = 0x3c00,
	[M88_PHY_SPEC_CTRL] = 0x0360,
	[M88_PHY_SPEC_STATUS] = 0xac00,
	[M88_EXT_PHY_SPEC_CTRL] = 0x0d60,
};

/* EEPROM words (manual tables 5-2/5-3), as QEMU's template; MAC, ids and checksum filled in. */
static const u16 eeprom_template[64] = {
	0x0000, 0x0000, 0x0000, 0x0000, 0xffff, 0x0000, 0x0000, 0x0000, 0x3000, 0x1000, 0x6403,
	0x0000, 0x8086, 0x0000, 0x8086, 0x3040, 0x0008, 0x2000, 0x7e14, 0x0048, 0x1000, 0x00d8,
	0x0000, 0x2700, 0x6cc9, 0x3150, 0x0722, 0x040b, 0x0984, 0x0000, 0xc000, 0x0706, 0x1008,
	0x0000, 0x0f04, 0x7fff, 0x4d01, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff,
	0xffff, 0xffff, 0xffff, 0xffff, 0x0100, 0x4000, 0x121c, 0xffff, 0xffff, 0xffff, 0xffff,
	0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0xffff, 0x0000,
};

/*
 * Lock order: e1000->lock is a leaf, never held across pci_set_irq() (a bound
 * driver's handler may read ICR from inside it).
 */
struct e1000 {
	struct pci_dev *pdev;
	u8 mac[6];
	u16 eeprom[64];

	struct mutex lock;
	u32 reg[E1000_NREGS]; /* protected by lock */
	u16 phy[PHY_NREGS]; /* protected by lock */
	struct {
		u32 val_in;
		u16 bitnum_in, bitnum_out;
		bool reading;
		u32 old_eecd;
	} eecd; /* protected by lock */
	bool irq_level; /* ICR & IMS != 0; protected by lock */
};

/* The lab machine's two NICs behind the PCIe-to-PCI bridge (tests/oracle/sysfs.txt). */
static const struct model_placement e1000_placement[] = {
	{ .bus = 1,
	  .devfn = PCI_DEVFN(1, 0),
	  .bar = { 0xfe680000, 0xc000, 0, 0, 0, 0, 0xfe600000 },
	  .intline = 0x0a,
	  .irq = 21 },
	{ .bus = 1,
	  .devfn = PCI_DEVFN(2, 0),
	  .bar = { 0xfe6a0000, 0xc040, 0, 0, 0, 0, 0xfe640000 },
	  .intline = 0x0b,
	  .irq = 22 },
};

/*
 * sysfs `config` of 0000:01:01.0 on the lab machine, with the command register
 * as firmware leaves it (0x0103): the boot dump shows 0x0107 because the e1000
 * driver had set bus mastering; it reads 0x0103 again once the driver let go.
 */
static const char *const e1000_config[] = {
	"0000: 86 80 0e 10 03 01 00 00 03 00 00 02 00 00 00 00",
	"0010: 00 00 68 fe 01 c0 00 00 00 00 00 00 00 00 00 00",
	"0020: 00 00 00 00 00 00 00 00 00 00 00 00 f4 1a 00 11",
	"0030: 00 00 60 fe 00 00 00 00 00 00 00 00 0a 01 00 00",
};

static inline struct e1000 *to_e1000(struct pci_dev *pdev)
{
	return pdev->model_data;
}

#define R(e, off) ((e)->reg[(off) >> 2])

static void e1000_reset_regs(struct e1000 *e)
{
	lockdep_assert_held(&e->lock);
	memset(e->reg, 0, sizeof(e->reg));
	memcpy(e->phy, phy_reg_init, sizeof(e->phy));
	memset(&e->eecd, 0, sizeof(e->eecd));
	R(e, PBA) = 0x00100030;
	R(e, LEDCTL) = 0x602;
	R(e, CTRL) = 0x00140240; /* SWDPIN2 | SWDPIN0 | SPD_1000 | SLU */
	R(e, STATUS) = 0x80080783; /* GIO master, ASDV, MTXCKOK, 1000, FD, LU */
	R(e, MANC) = 0x00222300; /* EN_MNG2HOST RCV_TCO_EN ARP_EN 0298_EN RMCP_EN */
	R(e, VET) = 0x8100;
	R(e, RA) = e->mac[0] | e->mac[1] << 8 | e->mac[2] << 16 | (u32)e->mac[3] << 24;
	R(e, RA + 4) = RAH_AV | e->mac[4] | e->mac[5] << 8;
	e->irq_level = false;
}

/* ICR takes val (ICS mirrors it); returns whether the INTx level changed. */
static bool set_interrupt_cause(struct e1000 *e, u32 val)
{
	bool level;

	lockdep_assert_held(&e->lock);
	R(e, ICR) = val;
	R(e, ICS) = val;
	level = (R(e, IMS) & R(e, ICR)) != 0;
	if (level == e->irq_level)
		return false;
	e->irq_level = level;
	return true;
}

/* Drives INTx to the level the registers ask for (e1000_sync_intx). */
static void e1000_sync_irq(struct e1000 *e)
{
	e1000_sync_intx(e->pdev, &e->lock, &e->irq_level);
}

static u32 get_eecd(struct e1000 *e)
{
	u32 ret = EECD_PRES | EECD_GNT | e->eecd.old_eecd;
	unsigned int word = (e->eecd.bitnum_out >> 4) & 0x3f;
	unsigned int bit = (e->eecd.bitnum_out & 0xf) ^ 0xf;

	if (!e->eecd.reading || ((e->eeprom[word] >> bit) & 1))
		ret |= EECD_DO;
	return ret;
}

/* Microwire EEPROM: 3 opcode bits and 6 address bits clocked in, then 16 data bits out. */
static void set_eecd(struct e1000 *e, u32 val)
{
	u32 oldval = e->eecd.old_eecd;

	e->eecd.old_eecd = val & (EECD_SK | EECD_CS | EECD_DI | EECD_FWE_MASK | EECD_REQ);
	if (!(val & EECD_CS))
		return;
	if ((val ^ oldval) & EECD_CS) {
		e->eecd.val_in = 0;
		e->eecd.bitnum_in = 0;
		e->eecd.bitnum_out = 0;
		e->eecd.reading = false;
	}
	if (!((val ^ oldval) & EECD_SK))
		return;
	if (!(val & EECD_SK)) {
		e->eecd.bitnum_out++;
		return;
	}
	e->eecd.val_in <<= 1;
	if (val & EECD_DI)
		e->eecd.val_in |= 1;
	if (++e->eecd.bitnum_in == 9 && !e->eecd.reading) {
		e->eecd.bitnum_out = (u16)(((e->eecd.val_in & 0x3f) << 4) - 1);
		e->eecd.reading = ((e->eecd.val_in >> 6) & 7) == EEPROM_READ_OPCODE_MICROWIRE;
	}
}

static u32 eerd_read(struct e1000 *e)
{
	u32 r = R(e, EERD) & ~EERD_START;
	unsigned int index;

	if (!(R(e, EERD) & EERD_START))
		return R(e, EERD);
	index = r >> EERD_ADDR_SHIFT;
	if (index > EEPROM_CHECKSUM_REG)
		return EERD_DONE | r;
	return (u32)e->eeprom[index] << EERD_DATA_SHIFT | EERD_DONE | r;
}

/* Returns whether the INTx level changed. */
static bool set_mdic(struct e1000 *e, u32 val)
{
	u32 data = val & MDIC_DATA_MASK;
	u32 addr = (val & MDIC_REG_MASK) >> MDIC_REG_SHIFT;

	if (((val & MDIC_PHY_MASK) >> MDIC_PHY_SHIFT) != 1) {
		val = R(e, MDIC) | MDIC_ERROR;
	} else if (val & MDIC_OP_READ) {
		if (!(phy_regcap[addr] & PHY_R))
			val |= MDIC_ERROR;
		else
			val = (val ^ data) | e->phy[addr];
	} else if (val & MDIC_OP_WRITE) {
		if (!(phy_regcap[addr] & PHY_W)) {
			val |= MDIC_ERROR;
		} else if (addr == PHY_CTRL) {
			e->phy[PHY_CTRL] =
				(u16)(data & ~(0x3fu | MII_CR_RESET | MII_CR_RESTART_AUTONEG));
			/* Autonegotiation completes at once (QEMU: after 500 ms), link stays up. */
			if ((data & MII_CR_RESTART_AUTONEG) && (data & MII_CR_AUTONEG_EN)) {
				e->phy[PHY_STATUS] |= MII_SR_AUTONEG_COMPLETE;
				e->phy[PHY_LP_ABILITY] |= MII_LPAR_LPACK;
				R(e, MDIC) = val | MDIC_READY;
				return set_interrupt_cause(e, R(e, ICR) | ICR_LSC);
			}
		} else {
			e->phy[addr] = (u16)data;
		}
	}
	R(e, MDIC) = val | MDIC_READY;
	if (val & MDIC_INT_EN)
		return set_interrupt_cause(e, R(e, ICR) | ICR_MDAC);
	return false;
}

static bool in_range(u32 off, u32 base, u32 nregs)
{
	return off >= base && off < base + 4 * nregs;
}

/* Registers QEMU stores as written (its mac_writereg set). */
static bool plain_writable(u32 off)
{
	switch (off) {
	case PBA:
	case EERD:
	case SWSM:
	case WUFC:
	case TDBAL:
	case TDBAH:
	case TXDCTL:
	case RDBAH:
	case RDBAL:
	case LEDCTL:
	case VET:
	case FCRUC:
	case IPAV:
	case WUC:
	case WUS:
		return true;
	}
	return in_range(off, IP6AT, 4) || in_range(off, IP4AT, 7) || in_range(off, RA, 32) ||
	       in_range(off, WUPM, 32) || in_range(off, MTA, 128) || in_range(off, VFTA, 128) ||
	       in_range(off, FFVT, 255) || in_range(off, PBM, 16384);
}

/* One 32-bit register write; returns whether the INTx level changed. */
static bool e1000_reg_write(struct e1000 *e, u32 off, u32 val)
{
	lockdep_assert_held(&e->lock);
	switch (off) {
	case CTRL:
		R(e, CTRL) = val & ~CTRL_RST;
		return false;
	case EECD:
		set_eecd(e, val);
		return false;
	case MDIC:
		return set_mdic(e, val);
	case ICR:
		return set_interrupt_cause(e, R(e, ICR) & ~val);
	case ICS:
		return set_interrupt_cause(e, R(e, ICR) | val);
	case IMS:
		R(e, IMS) |= val;
		return set_interrupt_cause(e, R(e, ICR));
	case IMC:
		R(e, IMS) &= ~val;
		return set_interrupt_cause(e, R(e, ICR));
	case RCTL:
		R(e, RCTL) = val;
		return false;
	case TCTL:
	case TDT:
		R(e, off) = val;
		R(e, TDT) &= 0xffff;
		/* The ring is never consumed; QEMU reports "queue empty" after a kick. */
		if ((R(e, TCTL) & TCTL_EN) && R(e, TDH) == R(e, TDT))
			return set_interrupt_cause(e, R(e, ICR) | ICR_TXQE);
		return false;
	case TDLEN:
	case RDLEN:
		R(e, off) = val & 0xfff80;
		return false;
	case TDH:
	case RDH:
	case RDT:
	case RDTR:
	case RADV:
	case TADV:
	case ITR:
	case AIT:
		R(e, off) = val & 0xffff;
		return false;
	case TDFH:
	case TDFT:
		R(e, off) = val & 0x7ff;
		return false;
	case TDFHS:
	case TDFTS:
	case TDFPC:
	case RDFH:
	case RDFT:
	case RDFHS:
	case RDFTS:
	case RDFPC:
		R(e, off) = val & 0x1fff;
		return false;
	}
	if (in_range(off, FFLT, 7))
		R(e, off) = val & 0x7ff;
	else if (in_range(off, FFMT, 255))
		R(e, off) = val & 0xf;
	else if (plain_writable(off))
		R(e, off) = val;
	return false;
}

/* One 32-bit register read; *irq_changed when the read cleared ICR. */
static u32 e1000_reg_read(struct e1000 *e, u32 off, bool *irq_changed)
{
	u32 ret;

	lockdep_assert_held(&e->lock);
	switch (off) {
	case ICR:
		ret = R(e, ICR);
		*irq_changed |= set_interrupt_cause(e, 0);
		return ret;
	case EECD:
		return get_eecd(e);
	case EERD:
		return eerd_read(e);
	case IMC:
		return 0;
	}
	/* Write-only and unimplemented registers hold 0; statistics never count. */
	return R(e, off);
}

static u64 e1000_bar_read(struct pci_dev *pdev, int bar, u64 offset, unsigned int size)
{
	struct e1000 *e = to_e1000(pdev);
	bool changed = false;
	u64 val = 0;

	if (bar != 0)
		return 0; /* BAR1: QEMU's I/O window reads as 0 */

	/* 8-byte accesses are split in two dwords; narrower ones read the whole dword. */
	mutex_lock(&e->lock);
	if (size == 8) {
		val = e1000_reg_read(e, (u32)offset, &changed);
		val |= (u64)e1000_reg_read(e, (u32)offset + 4, &changed) << 32;
	} else {
		u32 dw = e1000_reg_read(e, (u32)offset & ~3u, &changed);

		val = (dw >> (8 * (offset & 3))) &
		      (size == 4 ? 0xffffffffu : (1u << (8 * size)) - 1);
	}
	mutex_unlock(&e->lock);
	if (changed)
		e1000_sync_irq(e);
	return val;
}

static void e1000_bar_write(struct pci_dev *pdev, int bar, u64 offset, u64 val, unsigned int size)
{
	struct e1000 *e = to_e1000(pdev);
	bool changed = false;

	if (bar != 0)
		return; /* BAR1: QEMU ignores I/O writes */

	mutex_lock(&e->lock);
	if (size == 8) {
		changed |= e1000_reg_write(e, (u32)offset, (u32)val);
		changed |= e1000_reg_write(e, (u32)offset + 4, (u32)(val >> 32));
	} else if (size == 4) {
		changed = e1000_reg_write(e, (u32)offset, (u32)val);
	} else {
		/* QEMU widens a narrow write to the dword, other bytes written as 0. */
		u32 mask = (1u << (8 * size)) - 1;

		changed = e1000_reg_write(e, (u32)offset & ~3u,
					  ((u32)val & mask) << (8 * (offset & 3)));
	}
	mutex_unlock(&e->lock);
	if (changed)
		e1000_sync_irq(e);
}

static void e1000_reset(struct pci_dev *pdev)
{
	struct e1000 *e = to_e1000(pdev);

	mutex_lock(&e->lock);
	e1000_reset_regs(e);
	mutex_unlock(&e->lock);
	e1000_sync_irq(e);
}

static void e1000_release(struct pci_dev *pdev)
{
	struct e1000 *e = to_e1000(pdev);

	/* pdev->rom is freed by the PCI layer with the device. */
	if (!e)
		return;
	mutex_destroy(&e->lock);
	free(e);
	pdev->model_data = NULL;
}

static void e1000_describe(struct pci_dev *pdev, char *buf, size_t size)
{
	struct e1000 *e = to_e1000(pdev);

	mutex_lock(&e->lock);
	snprintf(buf, size, "e1000: mac=%02x:%02x:%02x:%02x:%02x:%02x ctrl=%#x icr=%#x ims=%#x",
		 e->mac[0], e->mac[1], e->mac[2], e->mac[3], e->mac[4], e->mac[5], R(e, CTRL),
		 R(e, ICR), R(e, IMS));
	mutex_unlock(&e->lock);
}

static const struct pci_dev_model_ops e1000_ops = {
	.name = "e1000",
	.bar_read = e1000_bar_read,
	.bar_write = e1000_bar_write,
	.reset = e1000_reset,
	.release = e1000_release,
	.describe = e1000_describe,
};

static int parse_mac(const char *s, u8 mac[6])
{
	unsigned int b[6];
	char tail;

	if (sscanf(s, "%2x:%2x:%2x:%2x:%2x:%2x%c", &b[0], &b[1], &b[2], &b[3], &b[4], &b[5],
		   &tail) != 6)
		return -EINVAL;
	for (int i = 0; i < 6; i++)
		mac[i] = (u8)b[i];
	if (mac[0] & 1)
		return -EINVAL; /* a multicast address cannot be a station address */
	return 0;
}

static int e1000_init(struct pci_dev *pdev, const struct model_param *params, unsigned int nparams,
		      char *err, size_t errlen)
{
	static const char *const known[] = { "mac", "bar0", "bar1", "rom", NULL };
	const char *macstr = model_param_find(params, nparams, "mac");
	u8 mac[6] = { 0x52, 0x54, 0x00, 0x12, 0x34, 0x56 };
	u16 checksum = 0;
	struct e1000 *e;
	int ret;

	ret = model_check_params(params, nparams, known, err, errlen);
	if (ret)
		return ret;
	if (macstr) {
		if (parse_mac(macstr, mac)) {
			snprintf(err, errlen, "bad value '%s' for parameter 'mac'", macstr);
			return -EINVAL;
		}
	} else if (pdev->bus->number == 1 && PCI_SLOT(pdev->devfn) >= 1) {
		/* The lab's QEMU numbers its NICs 52:54:00:12:34:56, ...:57 by slot. */
		mac[5] = (u8)(0x56 + PCI_SLOT(pdev->devfn) - 1);
	} else {
		mac[4] = (u8)pdev->bus->number;
		mac[5] = (u8)pdev->devfn;
	}

	pdev->cfg_size = PCI_CFG_SPACE_SIZE;
	model_load_config(pdev, e1000_config, ARRAY_SIZE(e1000_config));
	model_init_masks(pdev);
	model_setup_bar(pdev, 0, E1000_MMIO_SIZE, IORESOURCE_MEM);
	model_setup_bar(pdev, 1, E1000_IO_SIZE, IORESOURCE_IO);
	model_setup_bar(pdev, PCI_ROM_RESOURCE, E1000_ROM_SIZE,
			IORESOURCE_MEM | IORESOURCE_PREFETCH | IORESOURCE_READONLY);
	model_load_config(pdev, e1000_config, ARRAY_SIZE(e1000_config));
	ret = model_apply_placement(pdev, e1000_placement, ARRAY_SIZE(e1000_placement), params,
				    nparams, err, errlen);
	if (ret)
		return ret;

	e = xzalloc(sizeof(*e));
	e->pdev = pdev;
	memcpy(e->mac, mac, sizeof(mac));
	memcpy(e->eeprom, eeprom_template, sizeof(e->eeprom));
	for (int i = 0; i < 3; i++)
		e->eeprom[i] = (u16)(mac[2 * i + 1] << 8 | mac[2 * i]);
	e->eeprom[11] = e->eeprom[13] = E1000_DEVICE_ID;
	for (int i = 0; i < EEPROM_CHECKSUM_REG; i++)
		checksum += e->eeprom[i];
	e->eeprom[EEPROM_CHECKSUM_REG] = (u16)(EEPROM_SUM - checksum);
	mutex_init(&e->lock, "e1000->lock");
	mutex_lock(&e->lock);
	e1000_reset_regs(e);
	mutex_unlock(&e->lock);

	pdev->rom = e1000_build_option_rom(E1000_DEVICE_ID, E1000_ROM_SIZE,
					   "uvfio e1000 option ROM stand-in");
	pdev->rom_len = E1000_ROM_SIZE;
	pdev->model = &e1000_ops;
	pdev->model_data = e;
	return 0;
}

const struct pci_model e1000_model = {
	.name = "e1000",
	.description = "Intel 82540EM gigabit NIC as QEMU's e1000 (8086:100e)",
	.init = e1000_init,
};

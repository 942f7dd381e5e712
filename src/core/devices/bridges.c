// SPDX-License-Identifier: MIT
/*
 * PCI Express bridges as QEMU 7.2 builds them:
 *
 * "pcie-pci-bridge" (1b36:000e): a PCIe-to-PCI bridge. Type 1 header, a 256-byte
 * 64-bit BAR0 for the standard hot-plug controller (SHPC), capabilities MSI 0x8c
 * (64-bit, maskable) -> PM 0x84 -> PCIe 0x48 (v2, PCI/PCI-X bridge) -> SHPC 0x40,
 * and AER at 0x100. The config image is the lab's 00:04.0 byte for byte.
 *
 * "pcie-root-port" (1b36:000c, QEMU's generic root port): type 1 header, a 4 KiB
 * BAR0 holding the one-vector MSI-X table (PBA at 0x800), capabilities PCIe 0x54
 * (v2, root port, slot implemented, hot-plug capable) -> MSI-X 0x48 -> SSVID
 * 0x40, AER at 0x100 and, unless acs=off, ACS at 0x148. There is no lab dump of
 * a root port: the image is built from QEMU's defaults (x32 at 16 GT/s link,
 * chassis/slot 0, port 0) plus what Linux sets at boot (ACS control enabled,
 * AER reporting in DEVCTL), like the other images.
 *
 * Both take bus=N (the secondary bus, created by the world) and optionally
 * subordinate=N (default: N); the primary bus is the bus the bridge sits on.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/models.h"

/* ---- shared ---- */

#define AER_SIZEOF 0x48 /* QEMU's PCI_ERR_SIZEOF: through the TLP prefix log */

/* The bridge's MMIO BAR contents (SHPC registers or the MSI-X table). */
struct bridge {
	struct pci_dev *pdev;
	u64 bar_size;
	bool ram; /* the BAR is storage (MSI-X table) rather than reading as zero */
	struct mutex lock; /* leaf */
	u8 *bar; /* protected by lock */
};

static u64 bridge_bar_read(struct pci_dev *pdev, int bar, u64 offset, unsigned int size)
{
	struct bridge *br = pdev->model_data;
	u64 val = 0;

	if (bar != 0 || !br->ram || offset + size > br->bar_size)
		return 0;
	mutex_lock(&br->lock);
	for (unsigned int i = 0; i < size; i++)
		val |= (u64)br->bar[offset + i] << (8 * i);
	mutex_unlock(&br->lock);
	return val;
}

static void bridge_bar_write(struct pci_dev *pdev, int bar, u64 offset, u64 val, unsigned int size)
{
	struct bridge *br = pdev->model_data;

	/* Only the MSI-X table (the first half) is writable; the PBA is read-only. */
	if (bar != 0 || !br->ram || offset + size > br->bar_size / 2)
		return;
	mutex_lock(&br->lock);
	for (unsigned int i = 0; i < size; i++)
		br->bar[offset + i] = (u8)(val >> (8 * i));
	mutex_unlock(&br->lock);
}

/* MSI-X vector control starts masked; addresses and data start at 0. */
static void bridge_reset_bar(struct bridge *br)
{
	lockdep_assert_held(&br->lock);
	memset(br->bar, 0, br->bar_size);
	if (br->ram)
		br->bar[PCI_MSIX_ENTRY_VECTOR_CTRL] = PCI_MSIX_ENTRY_CTRL_MASKBIT;
}

static void bridge_reset(struct pci_dev *pdev)
{
	struct bridge *br = pdev->model_data;

	mutex_lock(&br->lock);
	bridge_reset_bar(br);
	mutex_unlock(&br->lock);
}

static void bridge_release(struct pci_dev *pdev)
{
	struct bridge *br = pdev->model_data;

	if (!br)
		return;
	mutex_destroy(&br->lock);
	free(br->bar);
	free(br);
	pdev->model_data = NULL;
}

static void bridge_describe(struct pci_dev *pdev, char *buf, size_t size)
{
	snprintf(buf, size, "%s: buses %02x..%02x", pdev->model->name,
		 pdev->config[PCI_SECONDARY_BUS], pdev->config[PCI_SUBORDINATE_BUS]);
}

static void bridge_attach(struct pci_dev *pdev, const struct pci_dev_model_ops *ops, u64 bar_size,
			  bool ram)
{
	struct bridge *br = xzalloc(sizeof(*br));

	br->pdev = pdev;
	br->bar_size = bar_size;
	br->ram = ram;
	br->bar = xzalloc(bar_size);
	mutex_init(&br->lock, "bridge->lock");
	mutex_lock(&br->lock);
	bridge_reset_bar(br);
	mutex_unlock(&br->lock);
	pdev->model = ops;
	pdev->model_data = br;
}

/* bus=N (required) and subordinate=M (default N) into the bus number registers. */
static int bridge_bus_numbers(struct pci_dev *pdev, const char *name,
			      const struct model_param *params, unsigned int nparams, char *err,
			      size_t errlen)
{
	unsigned long long sec, sub;
	bool found;
	int ret;

	ret = model_param_get_u64(params, nparams, "bus", 255, &sec, &found, err, errlen);
	if (ret)
		return ret;
	if (!found) {
		snprintf(err, errlen, "bridge %s needs bus=N (the number of the bus it creates)",
			 name);
		return -EINVAL;
	}
	if (sec <= pdev->bus->number) {
		snprintf(err, errlen,
			 "bus=%llu: a bridge's secondary bus must be above its own bus %02x", sec,
			 pdev->bus->number);
		return -EINVAL;
	}
	ret = model_param_get_u64(params, nparams, "subordinate", 255, &sub, &found, err, errlen);
	if (ret)
		return ret;
	if (!found)
		sub = sec;
	if (sub < sec) {
		snprintf(err, errlen, "subordinate=%llu is below bus=%llu", sub, sec);
		return -EINVAL;
	}
	pdev->config[PCI_PRIMARY_BUS] = (u8)pdev->bus->number;
	pdev->config[PCI_SECONDARY_BUS] = (u8)sec;
	pdev->config[PCI_SUBORDINATE_BUS] = (u8)sub;
	return 0;
}

/* Firmware-closed windows for a bridge the lab does not have: QEMU's reset values. */
static void bridge_clear_windows(struct pci_dev *pdev)
{
	memset(pdev->config + PCI_IO_BASE, 0, 2);
	memset(pdev->config + PCI_MEMORY_BASE, 0, PCI_IO_BASE_UPPER16 + 4 - PCI_MEMORY_BASE);
	cfg_set16(pdev->config + PCI_PREF_MEMORY_BASE, PCI_PREF_RANGE_TYPE_64);
	cfg_set16(pdev->config + PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_TYPE_64);
}

/* Write masks of a v2 PCIe capability at pos common to both bridges (QEMU's pcie_cap_init,
 * pcie_cap_deverr_init and pcie_cap_arifwd_init). */
static void pcie_cap_masks(struct pci_dev *pdev, unsigned int pos)
{
	model_cap_readonly(pdev, pos, PCI_CAP_EXP_ENDPOINT_SIZEOF_V2);
	cfg_set16(pdev->wmask + pos + PCI_EXP_DEVCTL, PCI_EXP_DEVCTL_CERE | PCI_EXP_DEVCTL_NFERE |
							      PCI_EXP_DEVCTL_FERE |
							      PCI_EXP_DEVCTL_URRE);
	cfg_set16(pdev->w1cmask + pos + PCI_EXP_DEVSTA, PCI_EXP_DEVSTA_CED | PCI_EXP_DEVSTA_NFED |
								PCI_EXP_DEVSTA_FED |
								PCI_EXP_DEVSTA_URD);
	cfg_set16(pdev->wmask + pos + PCI_EXP_DEVCTL2, PCI_EXP_DEVCTL2_ARI | 0x8000 /* EETLPPB */);
}

/* QEMU's pcie_aer_init at pos (and pcie_aer_root_init for root ports). */
static void aer_masks(struct pci_dev *pdev, unsigned int pos, bool root)
{
	const u32 unc_supported = 0x03fff030;
	const u32 cor_supported = 0x0000f1c1;

	model_cap_readonly(pdev, pos, AER_SIZEOF);
	cfg_set32(pdev->w1cmask + pos + PCI_ERR_UNCOR_STATUS, unc_supported);
	cfg_set32(pdev->wmask + pos + PCI_ERR_UNCOR_MASK, unc_supported);
	cfg_set32(pdev->wmask + pos + PCI_ERR_UNCOR_SEVER, unc_supported);
	cfg_set32(pdev->w1cmask + pos + PCI_ERR_COR_STATUS, cor_supported);
	cfg_set32(pdev->wmask + pos + PCI_ERR_COR_MASK, cor_supported);
	cfg_set32(pdev->wmask + pos + PCI_ERR_CAP, PCI_ERR_CAP_ECRC_GENE | PCI_ERR_CAP_ECRC_CHKE);
	if (root) {
		cfg_set32(pdev->wmask + pos + PCI_ERR_ROOT_COMMAND, 0x7);
		cfg_set32(pdev->w1cmask + pos + PCI_ERR_ROOT_STATUS, 0x7f);
	}
}

/* ---- pcie-pci-bridge ---- */

#define PPB_SHPC_CAP 0x40
#define PPB_EXP_CAP 0x48
#define PPB_PM_CAP 0x84
#define PPB_MSI_CAP 0x8c
#define PPB_AER 0x100
#define PPB_SHPC_BAR_SIZE 0x100

static const struct model_placement ppb_placement[] = {
	{ .bus = 0, .devfn = PCI_DEVFN(4, 0), .bar = { 0xfe900000 }, .intline = 0x0a, .irq = 20 },
};

/*
 * sysfs `config` of 0000:00:04.0 on the lab machine. Command 0x0107 and DEVCTL
 * 0x000f are what Linux leaves there (bus mastering from enabling the NICs below,
 * AER reporting); the windows are the firmware's.
 */
static const char *const ppb_config[] = {
	"0000: 36 1b 0e 00 07 01 b0 00 00 00 04 06 00 00 01 00",
	"0010: 04 00 90 fe 00 00 00 00 00 01 01 00 c0 c0 a0 00",
	"0020: 60 fe 70 fe a1 fe b1 fe 00 00 00 00 00 00 00 00",
	"0030: 00 00 00 00 8c 00 00 00 00 00 00 00 0a 01 02 00",
	"0040: 0c 00 27 00 0f 0d 00 7f 10 40 72 00 00 80 00 00",
	"0050: 0f 00 00 00 11 04 00 00 00 00 11 00 00 00 00 00",
	"0060: 00 00 00 00 00 00 00 00 00 00 00 00 20 00 30 00",
	"0080: 00 00 00 00 01 48 03 00 00 00 00 00 05 84 80 01",
	"0100: 01 00 02 00 00 00 00 00 00 00 00 00 30 20 46 00",
	"0110: 00 00 00 00 00 e0 00 00 a0 00 00 00 00 00 00 00",
};

static const struct pci_dev_model_ops ppb_ops = {
	.name = "pcie-pci-bridge",
	.bar_read = bridge_bar_read,
	.bar_write = bridge_bar_write,
	.reset = bridge_reset,
	.release = bridge_release,
	.describe = bridge_describe,
};

static int ppb_init(struct pci_dev *pdev, const struct model_param *params, unsigned int nparams,
		    char *err, size_t errlen)
{
	static const char *const known[] = { "bus", "subordinate", "bar0", NULL };
	bool lab = pdev->bus->number == 0 && pdev->devfn == PCI_DEVFN(4, 0);
	int ret;

	ret = model_check_params(params, nparams, known, err, errlen);
	if (ret)
		return ret;

	pdev->cfg_size = PCI_CFG_SPACE_EXP_SIZE;
	model_load_config(pdev, ppb_config, ARRAY_SIZE(ppb_config));
	model_init_masks(pdev);
	model_setup_bar(pdev, 0, PPB_SHPC_BAR_SIZE, IORESOURCE_MEM | IORESOURCE_MEM_64);
	pci_add_capability(pdev, PCI_CAP_ID_SHPC, PPB_SHPC_CAP, 8);
	pci_add_capability(pdev, PCI_CAP_ID_EXP, PPB_EXP_CAP, PCI_CAP_EXP_ENDPOINT_SIZEOF_V2);
	pci_add_capability(pdev, PCI_CAP_ID_PM, PPB_PM_CAP, PCI_PM_SIZEOF);
	pci_add_capability(pdev, PCI_CAP_ID_MSI, PPB_MSI_CAP, 24);
	pci_add_ext_capability(pdev, PCI_EXT_CAP_ID_ERR, 2, PPB_AER, AER_SIZEOF);
	model_load_config(pdev, ppb_config, ARRAY_SIZE(ppb_config));

	/* SHPC: the DWORD select and data registers are writable; the rest is fixed. */
	model_cap_readonly(pdev, PPB_SHPC_CAP, 8);
	pdev->wmask[PPB_SHPC_CAP + 2] = 0xff;
	cfg_set32(pdev->wmask + PPB_SHPC_CAP + 4, 0xffffffff);
	pcie_cap_masks(pdev, PPB_EXP_CAP);
	model_cap_readonly(pdev, PPB_PM_CAP, PCI_PM_SIZEOF); /* QEMU: PM registers read-only */
	model_msi_masks(pdev, PPB_MSI_CAP, true, true, 1);
	aer_masks(pdev, PPB_AER, false);

	ret = bridge_bus_numbers(pdev, "pcie-pci-bridge", params, nparams, err, errlen);
	if (ret)
		return ret;
	if (!lab)
		bridge_clear_windows(pdev);
	ret = model_apply_placement(pdev, ppb_placement, ARRAY_SIZE(ppb_placement), params, nparams,
				    err, errlen);
	if (ret)
		return ret;

	bridge_attach(pdev, &ppb_ops, PPB_SHPC_BAR_SIZE, false);
	return 0;
}

const struct pci_model pcie_pci_bridge_model = {
	.name = "pcie-pci-bridge",
	.description = "QEMU PCIe-to-PCI bridge (1b36:000e) with SHPC",
	.is_bridge = true,
	.init = ppb_init,
};

/* ---- pcie-root-port ---- */

#define RP_SSVID_CAP 0x40
#define RP_MSIX_CAP 0x48
#define RP_EXP_CAP 0x54
#define RP_AER 0x100
#define RP_ACS 0x148
#define RP_MSIX_BAR_SIZE 0x1000

/*
 * QEMU 7.2 pcie-root-port defaults. Not taken from a dump (the lab has no root
 * port): values follow QEMU's rp_realize/gen_rp_realize and pcie_cap_init.
 */
static const char *const rp_config[] = {
	/* 1b36:000c, command 0, status CAP_LIST, rev 0, class 060400, type 1 */
	"0000: 36 1b 0c 00 00 00 10 00 00 00 04 06 00 00 01 00",
	/* windows: 16-bit I/O, 64-bit prefetchable, all closed by reset */
	"0020: 00 00 00 00 01 00 01 00 00 00 00 00 00 00 00 00",
	"0030: 00 00 00 00 54 00 00 00 00 00 00 00 00 01 00 00",
	/* SSVID 0x40 (vendor 1b36), MSI-X 0x48: 1 entry, table BAR0+0, PBA BAR0+0x800 */
	"0040: 0d 00 00 00 36 1b 00 00 11 40 00 00 00 00 00 00",
	"0050: 00 08 00 00 10 48 42 01 00 80 00 00 0f 00 00 00",
	/* (DEVCTL: AER reporting as Linux enables it) LNKCAP x32 16GT/s L0s LBNC DLLLARC; LNKSTA x32 16GT/s DLLLA; SLTCAP; SLTCTL; SLTSTA PDS */
	"0060: 04 06 30 00 00 00 04 22 7b 00 02 00 c0 01 40 00",
	/* DEVCAP2 ARI forwarding, EFF, EETLPP */
	"0070: 00 00 00 00 00 00 00 00 20 00 30 00 00 00 00 00",
	/* LNKCAP2 2.5-16 GT/s, LNKCTL2 target 16 GT/s */
	"0080: 1e 00 00 00 04 00 00 00 00 00 00 00 00 00 00 00",
	/* AER v2 -> 0x148 */
	"0100: 01 00 82 14 00 00 00 00 00 00 00 00 30 20 46 00",
	"0110: 00 00 00 00 00 e0 00 00 a0 00 00 00 00 00 00 00",
	/* ACS v1: SV TB RR CR UF; control SV RR CR UF as Linux enables them */
	"0140: 00 00 00 00 00 00 00 00 0d 00 01 00 1f 00 1d 00",
};

static const struct pci_dev_model_ops rp_ops = {
	.name = "pcie-root-port",
	.bar_read = bridge_bar_read,
	.bar_write = bridge_bar_write,
	.reset = bridge_reset,
	.release = bridge_release,
	.describe = bridge_describe,
};

static int rp_init(struct pci_dev *pdev, const struct model_param *params, unsigned int nparams,
		   char *err, size_t errlen)
{
	static const char *const known[] = { "bus", "subordinate", "acs", "bar0", NULL };
	const char *acs = model_param_find(params, nparams, "acs");
	bool has_acs = true;
	unsigned int e = RP_EXP_CAP;
	int ret;

	ret = model_check_params(params, nparams, known, err, errlen);
	if (ret)
		return ret;
	if (acs) {
		if (!strcmp(acs, "on")) {
			has_acs = true;
		} else if (!strcmp(acs, "off")) {
			has_acs = false;
		} else {
			snprintf(err, errlen, "acs=%s: expected on or off", acs);
			return -EINVAL;
		}
	}

	pdev->cfg_size = PCI_CFG_SPACE_EXP_SIZE;
	model_load_config(pdev, rp_config, ARRAY_SIZE(rp_config));
	model_init_masks(pdev);
	model_setup_bar(pdev, 0, RP_MSIX_BAR_SIZE, IORESOURCE_MEM);
	pci_add_capability(pdev, PCI_CAP_ID_SSVID, RP_SSVID_CAP, 8);
	pci_add_capability(pdev, PCI_CAP_ID_MSIX, RP_MSIX_CAP, PCI_CAP_MSIX_SIZEOF);
	pci_add_capability(pdev, PCI_CAP_ID_EXP, RP_EXP_CAP, PCI_CAP_EXP_ENDPOINT_SIZEOF_V2);
	pci_add_ext_capability(pdev, PCI_EXT_CAP_ID_ERR, 2, RP_AER, AER_SIZEOF);
	if (has_acs)
		pci_add_ext_capability(pdev, PCI_EXT_CAP_ID_ACS, 1, RP_ACS, 8);
	model_load_config(pdev, rp_config, ARRAY_SIZE(rp_config));
	if (!has_acs) {
		memset(pdev->config + RP_ACS, 0, 8);
		/* AER becomes the last extended capability. */
		cfg_set32(pdev->config + RP_AER, PCI_EXT_CAP_ID_ERR | 2 << 16);
	}
	/* Express ports hardwire these bridge-control bits (QEMU's pcie_port_init_reg). */
	cfg_set16(pdev->wmask + PCI_BRIDGE_CONTROL,
		  cfg_get16(pdev->wmask + PCI_BRIDGE_CONTROL) &
			  ~(0x0020 | 0x0080 | 0x0100 | 0x0200 | 0x0800));
	cfg_set16(pdev->w1cmask + PCI_BRIDGE_CONTROL, 0);

	model_cap_readonly(pdev, RP_SSVID_CAP, 8);
	model_cap_readonly(pdev, RP_MSIX_CAP, PCI_CAP_MSIX_SIZEOF);
	cfg_set16(pdev->wmask + RP_MSIX_CAP + PCI_MSIX_FLAGS,
		  PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	pcie_cap_masks(pdev, e);
	/* Slot control: indicators, power controller, the hot-plug interrupt enables. */
	cfg_set16(pdev->wmask + e + PCI_EXP_SLTCTL, 0x1fff);
	cfg_set16(pdev->w1cmask + e + PCI_EXP_SLTSTA, 0x011f);
	cfg_set16(pdev->wmask + e + PCI_EXP_RTCTL, PCI_EXP_RTCTL_SECEE | PCI_EXP_RTCTL_SENFEE |
							   PCI_EXP_RTCTL_SEFEE |
							   PCI_EXP_RTCTL_PMEIE);
	cfg_set32(pdev->w1cmask + e + PCI_EXP_RTSTA, PCI_EXP_RTSTA_PME);
	cfg_set16(pdev->wmask + e + PCI_EXP_LNKCTL2, 0x000f); /* target link speed */
	aer_masks(pdev, RP_AER, true);
	if (has_acs) {
		model_cap_readonly(pdev, RP_ACS, 8);
		cfg_set16(pdev->wmask + RP_ACS + PCI_ACS_CTRL, 0x001f);
	}

	ret = bridge_bus_numbers(pdev, "pcie-root-port", params, nparams, err, errlen);
	if (ret)
		return ret;
	ret = model_apply_placement(pdev, NULL, 0, params, nparams, err, errlen);
	if (ret)
		return ret;

	bridge_attach(pdev, &rp_ops, RP_MSIX_BAR_SIZE, true);
	return 0;
}

const struct pci_model pcie_root_port_model = {
	.name = "pcie-root-port",
	.description = "QEMU generic PCIe root port (1b36:000c), ACS optional",
	.is_bridge = true,
	.init = rp_init,
};

// SPDX-License-Identifier: MIT
/*
 * The q35 chipset functions of the lab machine, as QEMU 7.2 presents them:
 *
 *   q35-host   00:00.0  8086:29c0  MCH host bridge: no BARs, no capabilities;
 *                       PCIEXBAR, PAM and SMRAM registers as the firmware left them
 *   ich9-lpc   00:1f.0  8086:2918  LPC bridge, multi-function header, PMBASE,
 *                       PIRQ routing and RCBA as the firmware left them
 *   ich9-ahci  00:1f.2  8086:2922  AHCI: BAR4 32-byte I/O (index/data pair),
 *                       BAR5 4 KiB ABAR, MSI 0x80 -> SATA 0xa8
 *   ich9-smbus 00:1f.3  8086:2930  SMBus host: BAR4 64-byte I/O
 *
 * Config images are the lab's sysfs dumps byte for byte. Register behaviour is
 * minimal: these functions exist so that the topology, IOMMU groups and sysfs
 * look like the lab's. AHCI's generic host control registers read as QEMU's
 * (CAP, GHC, PI, VS) and its port registers as 0; the SMBus and AHCI I/O BARs
 * read as 0 and ignore writes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/models.h"

/* ---- shared: functions without registers worth modelling ---- */

static u64 plain_bar_read(struct pci_dev *pdev, int bar, u64 offset, unsigned int size)
{
	return 0;
}

static void plain_bar_write(struct pci_dev *pdev, int bar, u64 offset, u64 val, unsigned int size)
{
}

static void plain_reset(struct pci_dev *pdev)
{
}

static void plain_release(struct pci_dev *pdev)
{
}

#define PLAIN_OPS(ident, str)                           \
	static const struct pci_dev_model_ops ident = { \
		.name = str,                            \
		.bar_read = plain_bar_read,             \
		.bar_write = plain_bar_write,           \
		.reset = plain_reset,                   \
		.release = plain_release,               \
	}

/* ---- q35-host ---- */

static const char *const q35_host_config[] = {
	"0000: 86 80 c0 29 03 01 00 00 00 00 00 06 00 00 00 00",
	"0020: 00 00 00 00 00 00 00 00 00 00 00 00 f4 1a 00 11",
	"0050: 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
	"0060: 01 00 00 b0 00 00 00 00 00 00 00 00 00 00 00 00",
	"0090: 10 11 11 11 11 11 33 00 00 00 00 00 00 0a 38 00",
};

PLAIN_OPS(q35_host_ops, "q35-host");

/* A function with no parameters, no BARs and no register behaviour: its config image. */
static int plain_function_init(struct pci_dev *pdev, const struct model_param *params,
			       unsigned int nparams, char *err, size_t errlen,
			       const char *const *config, size_t nlines,
			       const struct pci_dev_model_ops *ops)
{
	static const char *const known[] = { NULL };
	int ret = model_check_params(params, nparams, known, err, errlen);

	if (ret)
		return ret;
	pdev->cfg_size = PCI_CFG_SPACE_SIZE;
	model_load_config(pdev, config, nlines);
	model_init_masks(pdev);
	pdev->irq = 0;
	pdev->model = ops;
	return 0;
}

static int q35_host_init(struct pci_dev *pdev, const struct model_param *params,
			 unsigned int nparams, char *err, size_t errlen)
{
	return plain_function_init(pdev, params, nparams, err, errlen, q35_host_config,
				   ARRAY_SIZE(q35_host_config), &q35_host_ops);
}

const struct pci_model q35_host_model = {
	.name = "q35-host",
	.description = "Intel Q35 MCH host bridge (8086:29c0)",
	.init = q35_host_init,
};

/* ---- ich9-lpc ---- */

static const char *const ich9_lpc_config[] = {
	"0000: 86 80 18 29 03 01 00 00 02 00 01 06 00 00 80 00",
	"0020: 00 00 00 00 00 00 00 00 00 00 00 00 f4 1a 00 11",
	"0040: 01 06 00 00 80 00 00 00 00 00 00 00 00 00 00 00",
	"0060: 8a 8a 8b 8b 00 00 00 00 8a 8a 8b 8b 00 00 00 00",
	"0080: 00 00 03 00 00 00 00 00 00 00 00 00 00 00 00 00",
	"00a0: 10 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
	"00f0: 01 c0 d1 fe 00 00 00 00 00 00 00 00 00 00 00 00",
};

PLAIN_OPS(ich9_lpc_ops, "ich9-lpc");

static int ich9_lpc_init(struct pci_dev *pdev, const struct model_param *params,
			 unsigned int nparams, char *err, size_t errlen)
{
	return plain_function_init(pdev, params, nparams, err, errlen, ich9_lpc_config,
				   ARRAY_SIZE(ich9_lpc_config), &ich9_lpc_ops);
}

const struct pci_model ich9_lpc_model = {
	.name = "ich9-lpc",
	.description = "Intel ICH9 LPC bridge (8086:2918)",
	.init = ich9_lpc_init,
};

/* ---- ich9-ahci ---- */

#define AHCI_MSI_CAP 0x80
#define AHCI_SATA_CAP 0xa8
#define AHCI_IDP_SIZE 0x20
#define AHCI_ABAR_SIZE 0x1000
#define AHCI_CAP 0x00
#define AHCI_GHC 0x04
#define AHCI_IS 0x08
#define AHCI_PI 0x0c
#define AHCI_VS 0x10
#define AHCI_GHC_HR 0x1u
#define AHCI_GHC_IE 0x2u
#define AHCI_GHC_AE 0x80000000u

static const struct model_placement ich9_ahci_placement[] = {
	{ .bus = 0,
	  .devfn = PCI_DEVFN(0x1f, 2),
	  .bar = { 0, 0, 0, 0, 0xd040, 0xfe901000 },
	  .intline = 0x0a,
	  .irq = 10 },
};

/* Command 0x0107: the firmware enabled bus mastering to boot from it. */
static const char *const ich9_ahci_config[] = {
	"0000: 86 80 22 29 07 01 10 00 02 01 06 01 00 00 80 00",
	"0020: 41 d0 00 00 00 10 90 fe 00 00 00 00 f4 1a 00 11",
	"0030: 00 00 00 00 80 00 00 00 00 00 00 00 0a 01 00 00",
	"0080: 05 a8 80 00 00 00 00 00 00 00 00 00 00 00 00 00",
	"0090: 40 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
	"00a0: 00 00 00 00 00 00 00 00 12 00 10 00 48 00 00 00",
};

/* Lock order: ahci->lock is a leaf. */
struct ich9_ahci {
	struct mutex lock;
	u32 ghc; /* protected by lock */
};

static u64 ahci_bar_read(struct pci_dev *pdev, int bar, u64 offset, unsigned int size)
{
	struct ich9_ahci *a = pdev->model_data;
	u32 val = 0;

	if (bar != 5 || size != 4)
		return 0;
	switch (offset) {
	case AHCI_CAP:
		/* 6 ports, 32 command slots, Gen1, NCQ, AHCI-only, 64-bit addressing */
		val = 0xc0141f05;
		break;
	case AHCI_GHC:
		mutex_lock(&a->lock);
		val = a->ghc;
		mutex_unlock(&a->lock);
		break;
	case AHCI_PI:
		val = 0x3f;
		break;
	case AHCI_VS:
		val = 0x00010000;
		break;
	}
	return val;
}

static void ahci_bar_write(struct pci_dev *pdev, int bar, u64 offset, u64 val, unsigned int size)
{
	struct ich9_ahci *a = pdev->model_data;

	if (bar != 5 || size != 4 || offset != AHCI_GHC)
		return;
	mutex_lock(&a->lock);
	/* HBA reset completes at once and leaves AHCI mode on (QEMU's ahci_reset). */
	if (val & AHCI_GHC_HR)
		a->ghc = AHCI_GHC_AE;
	else
		a->ghc = AHCI_GHC_AE | ((u32)val & AHCI_GHC_IE);
	mutex_unlock(&a->lock);
}

static void ahci_reset(struct pci_dev *pdev)
{
	struct ich9_ahci *a = pdev->model_data;

	mutex_lock(&a->lock);
	a->ghc = AHCI_GHC_AE;
	mutex_unlock(&a->lock);
}

static void ahci_release(struct pci_dev *pdev)
{
	struct ich9_ahci *a = pdev->model_data;

	if (!a)
		return;
	mutex_destroy(&a->lock);
	free(a);
	pdev->model_data = NULL;
}

static const struct pci_dev_model_ops ich9_ahci_ops = {
	.name = "ich9-ahci",
	.bar_read = ahci_bar_read,
	.bar_write = ahci_bar_write,
	.reset = ahci_reset,
	.release = ahci_release,
};

static int ich9_ahci_init(struct pci_dev *pdev, const struct model_param *params,
			  unsigned int nparams, char *err, size_t errlen)
{
	static const char *const known[] = { "bar4", "bar5", NULL };
	struct ich9_ahci *a;
	int ret = model_check_params(params, nparams, known, err, errlen);

	if (ret)
		return ret;
	pdev->cfg_size = PCI_CFG_SPACE_SIZE;
	model_load_config(pdev, ich9_ahci_config, ARRAY_SIZE(ich9_ahci_config));
	model_init_masks(pdev);
	model_setup_bar(pdev, 4, AHCI_IDP_SIZE, IORESOURCE_IO);
	model_setup_bar(pdev, 5, AHCI_ABAR_SIZE, IORESOURCE_MEM);
	pci_add_capability(pdev, PCI_CAP_ID_SATA, AHCI_SATA_CAP, 8);
	pci_add_capability(pdev, PCI_CAP_ID_MSI, AHCI_MSI_CAP, 14);
	model_load_config(pdev, ich9_ahci_config, ARRAY_SIZE(ich9_ahci_config));
	model_cap_readonly(pdev, AHCI_SATA_CAP, 8);
	model_msi_masks(pdev, AHCI_MSI_CAP, true, false, 1);
	ret = model_apply_placement(pdev, ich9_ahci_placement, ARRAY_SIZE(ich9_ahci_placement),
				    params, nparams, err, errlen);
	if (ret)
		return ret;

	a = xzalloc(sizeof(*a));
	mutex_init(&a->lock, "ich9_ahci->lock");
	a->ghc = AHCI_GHC_AE;
	pdev->model = &ich9_ahci_ops;
	pdev->model_data = a;
	return 0;
}

const struct pci_model ich9_ahci_model = {
	.name = "ich9-ahci",
	.description = "Intel ICH9 AHCI SATA controller (8086:2922)",
	.init = ich9_ahci_init,
};

/* ---- ich9-smbus ---- */

#define SMBUS_IO_SIZE 0x40

static const struct model_placement ich9_smbus_placement[] = {
	{ .bus = 0,
	  .devfn = PCI_DEVFN(0x1f, 3),
	  .bar = { 0, 0, 0, 0, 0x700 },
	  .intline = 0x0a,
	  .irq = 10 },
};

static const char *const ich9_smbus_config[] = {
	"0000: 86 80 30 29 03 01 00 00 02 00 05 0c 00 00 80 00",
	"0020: 01 07 00 00 00 00 00 00 00 00 00 00 f4 1a 00 11",
	"0030: 00 00 00 00 00 00 00 00 00 00 00 00 0a 01 00 00",
	"0040: 01 00 00 00 00 00 00 00 00 00 00 00 00 00 00 00",
};

PLAIN_OPS(ich9_smbus_ops, "ich9-smbus");

static int ich9_smbus_init(struct pci_dev *pdev, const struct model_param *params,
			   unsigned int nparams, char *err, size_t errlen)
{
	static const char *const known[] = { "bar4", NULL };
	int ret = model_check_params(params, nparams, known, err, errlen);

	if (ret)
		return ret;
	pdev->cfg_size = PCI_CFG_SPACE_SIZE;
	model_load_config(pdev, ich9_smbus_config, ARRAY_SIZE(ich9_smbus_config));
	model_init_masks(pdev);
	model_setup_bar(pdev, 4, SMBUS_IO_SIZE, IORESOURCE_IO);
	model_load_config(pdev, ich9_smbus_config, ARRAY_SIZE(ich9_smbus_config));
	ret = model_apply_placement(pdev, ich9_smbus_placement, ARRAY_SIZE(ich9_smbus_placement),
				    params, nparams, err, errlen);
	if (ret)
		return ret;
	pdev->model = &ich9_smbus_ops;
	return 0;
}

const struct pci_model ich9_smbus_model = {
	.name = "ich9-smbus",
	.description = "Intel ICH9 SMBus controller (8086:2930)",
	.init = ich9_smbus_init,
};

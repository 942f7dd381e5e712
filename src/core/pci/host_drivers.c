// SPDX-License-Identifier: MIT
/*
 * Host drivers: stand-ins for the kernel drivers a host binds to PCI
 * functions. They do no I/O; what matters to VFIO is what binding them means:
 *   - e1000: a DMA-API driver. It takes a share of its group's default domain
 *     (DMA ownership), so while it is bound the group is not viable, and it
 *     cannot bind while a user owns the group (-EBUSY).
 *   - pci-stub and pcieport: driver_managed_dma, allowed in a group VFIO uses.
 * Binding enables the function as pci_enable_device() + pci_set_master() do;
 * unbinding disables bus mastering as pci_disable_device() does.
 */
#include <stdlib.h>

#include "pci/pci.h"

static const struct pci_device_id e1000_ids[];

static int e1000_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	/*
	 * Bound by driver_override to a function it does not know (the id is the
	 * bus's catch-all): e1000_sw_init() finds no MAC type for the device id
	 * and the probe fails with -EIO (drivers/net/ethernet/intel/e1000/e1000_main.c).
	 */
	if (!pci_match_id(e1000_ids, pdev))
		return -EIO;
	pci_enable_device(pdev);
	pci_write_config(pdev, PCI_COMMAND, pci_command(pdev) | PCI_COMMAND_MASTER, 2);
	return 0;
}

static void e1000_remove(struct pci_dev *pdev)
{
	pci_disable_device(pdev);
}

/* The ids of the Intel 8254x parts the kernel's e1000 driver claims that QEMU models. */
static const struct pci_device_id e1000_ids[] = {
	{ .vendor = 0x8086, .device = 0x100e, .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID },
	{ .vendor = 0x8086, .device = 0x100f, .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID },
	{ .vendor = 0x8086, .device = 0x1015, .subvendor = PCI_ANY_ID, .subdevice = PCI_ANY_ID },
	{ 0 },
};

static int stub_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	return 0; /* "claimed by stub" */
}

static int pcieport_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	/* pcie_portdrv_probe: only root ports, switch ports and event collectors. */
	if (!pci_is_pcie(pdev))
		return -ENODEV;
	switch (pdev->pcie_type) {
	case PCI_EXP_TYPE_ROOT_PORT:
	case PCI_EXP_TYPE_UPSTREAM:
	case PCI_EXP_TYPE_DOWNSTREAM:
	case PCI_EXP_TYPE_RC_EC:
		return 0;
	default:
		return -ENODEV;
	}
}

static const struct pci_device_id pcieport_ids[] = {
	/* PCI-to-PCI bridges, normal decode and subtractive decode. */
	{ .vendor = PCI_ANY_ID,
	  .device = PCI_ANY_ID,
	  .subvendor = PCI_ANY_ID,
	  .subdevice = PCI_ANY_ID,
	  .class = 0x060400,
	  .class_mask = 0xffffff },
	{ .vendor = PCI_ANY_ID,
	  .device = PCI_ANY_ID,
	  .subvendor = PCI_ANY_ID,
	  .subdevice = PCI_ANY_ID,
	  .class = 0x060401,
	  .class_mask = 0xffffff },
	{ 0 },
};

static struct pci_driver *
host_driver_new(const char *name, const char *mod_name, const struct pci_device_id *ids,
		int (*probe)(struct pci_dev *, const struct pci_device_id *),
		void (*remove)(struct pci_dev *), bool managed_dma)
{
	struct pci_driver *drv = xzalloc(sizeof(*drv));

	drv->name = name;
	drv->driver.mod_name = mod_name;
	drv->id_table = ids;
	drv->probe = probe;
	drv->remove = remove;
	drv->driver.driver_managed_dma = managed_dma;
	return drv;
}

struct pci_driver *e1000_host_driver_new(void)
{
	return host_driver_new("e1000", "e1000", e1000_ids, e1000_probe, e1000_remove, false);
}

struct pci_driver *pci_stub_driver_new(void)
{
	return host_driver_new("pci-stub", "pci_stub", NULL, stub_probe, NULL, true);
}

struct pci_driver *pcieport_driver_new(void)
{
	return host_driver_new("pcieport", "pcieportdrv", pcieport_ids, pcieport_probe, NULL, true);
}

void host_driver_free(struct pci_driver *drv)
{
	free(drv);
}

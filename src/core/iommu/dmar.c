// SPDX-License-Identifier: MIT
/*
 * The emulated VT-d's fault reporting: what drivers/iommu/intel/dmar.c
 * (dmar_fault, dmar_fault_do_one; 6.12) logs when a device's DMA finds no
 * translation in a user's (VFIO) domain. One fault is one fault interrupt:
 * the status line, then the fault record, under one ratelimit (10 looks
 * every 5 s, three a fault, then "dmar_fault: N callbacks suppressed"). The address is the
 * faulting page's, the source the requester ID the IOMMU sees (the device,
 * or the bridge that takes ownership of it). Reasons: 0x05 for a write, 0x06
 * for a read, what a non-present or read-only second-level PTE gives; the
 * kernel lab showed exactly these lines for edu (docs/kernel-facts.md).
 */
#define pr_fmt(fmt) "DMAR: " fmt

#include "iommu/iommu.h"
#include "pci/pci.h"

#define DMA_FSTS_PPF 0x2 /* primary pending fault */
#define DMA_FAULT_WRITE 0x05
#define DMA_FAULT_READ 0x06

/* pci_for_each_dma_alias(): the last alias is the requester ID on the wire. */
static u16 dmar_source_id(struct pci_dev *pdev)
{
	u16 id = (u16)(pdev->bus->number << 8 | pdev->devfn);

	for (struct pci_bus *bus = pdev->bus; !pci_is_root_bus(bus); bus = bus->parent) {
		struct pci_dev *tmp = bus->self;

		if (!tmp)
			continue;
		if (!pci_is_pcie(tmp))
			id = (u16)(tmp->bus->number << 8 | tmp->devfn);
		else if (tmp->pcie_type == PCI_EXP_TYPE_PCI_BRIDGE)
			id = (u16)(tmp->subordinate->number << 8); /* devfn 00.0 */
		else if (tmp->pcie_type == PCI_EXP_TYPE_PCIE_BRIDGE)
			id = (u16)(tmp->bus->number << 8 | tmp->devfn);
	}
	return id;
}

void dmar_fault(struct iommu *iommu, struct device *dev, u64 iova, bool write)
{
	struct uvfio_world *w = iommu->world;
	u16 sid;

	if (!dev_is_pci(dev))
		return;
	sid = dmar_source_id(to_pci_dev(dev));
	/*
	 * Three looks at the ratelimit a fault, as dmar_fault() makes them: the
	 * status, the fault record, and the next record slot, which is empty.
	 */
	if (__ratelimit(w, &iommu->fault_rs))
		pr_err(w, "DRHD: handling fault status reg %x\n", DMA_FSTS_PPF);
	if (__ratelimit(w, &iommu->fault_rs))
		pr_err(w,
		       "[%s NO_PASID] Request device [%02x:%02x.%d] fault addr 0x%llx [fault reason 0x%02x] %s\n",
		       write ? "DMA Write" : "DMA Read", sid >> 8, (sid & 0xff) >> 3, sid & 7,
		       (unsigned long long)(iova & ~0xfffull),
		       write ? DMA_FAULT_WRITE : DMA_FAULT_READ,
		       write ? "PTE Write access is not set" : "PTE Read access is not set");
	__ratelimit(w, &iommu->fault_rs);
}

/* SPDX-License-Identifier: MIT */
/* PCI's sysfs (pci/pci-sysfs.c): the pieces pci_bus_type carries, and its registration. */
#ifndef UVFIO_CORE_PCI_PCI_SYSFS_H
#define UVFIO_CORE_PCI_PCI_SYSFS_H

#include "base/sysfs.h"

extern const struct sysfs_dir pci_dev_sysfs_dir;
extern const struct sysfs_attr pci_bus_sysfs_attrs[];
extern const struct sysfs_attr pci_drv_sysfs_attrs[];
int pci_sysfs_dev_path(struct device *dev, char *buf, size_t size);
void pci_sysfs_init(struct sysfs_root *root, struct pci_core *pci);

#endif /* UVFIO_CORE_PCI_PCI_SYSFS_H */

/* SPDX-License-Identifier: MIT */
/*
 * Pieces the Intel NIC models (e1000, e1000e) share. Not for use outside
 * src/core/devices/.
 */
#ifndef UVFIO_CORE_DEVICES_E1000_COMMON_H
#define UVFIO_CORE_DEVICES_E1000_COMMON_H

#include "devices/models.h"

/*
 * A stand-in for QEMU's efi-e1000*.rom (not that image): rom_size bytes holding
 * one legacy x86 option ROM image of 0x93 blocks with the 0x55aa signature, a
 * PCI data structure naming 8086:device_id, class 020000, a valid checksum and
 * the first dword the lab reads for both NICs (0xe993aa55); tag is an ASCII
 * label put inside the image. Zeros after the image.
 */
u8 *e1000_build_option_rom(u16 device_id, size_t rom_size, const char *tag);

/*
 * Drives INTx to the level *level asks for (read under lock), re-checking after
 * each pci_set_irq() until stable, so that a concurrent raise/acknowledge can
 * never leave the line at a stale level. Called without lock held.
 */
void e1000_sync_intx(struct pci_dev *pdev, struct mutex *lock, const bool *level);

#endif /* UVFIO_CORE_DEVICES_E1000_COMMON_H */

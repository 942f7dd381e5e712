// SPDX-License-Identifier: MIT
/*
 * Shared by the e1000 and e1000e models: the option ROM stand-in and the INTx
 * level loop (see e1000_common.h).
 */
#include <string.h>

#include "devices/e1000_common.h"

u8 *e1000_build_option_rom(u16 device_id, size_t rom_size, const char *tag)
{
	const size_t image_len = 0x93 * 512;
	u8 *rom = xzalloc(rom_size);
	u8 *pcir = rom + 0x1c;
	u8 sum = 0;

	rom[0] = 0x55;
	rom[1] = 0xaa;
	rom[2] = 0x93;
	rom[3] = 0xe9; /* jmp rel16 to the far return below */
	cfg_set16(rom + 4, 0x0040 - 6);
	rom[0x40] = 0xcb; /* retf: the init entry does nothing */
	cfg_set16(rom + 0x18, 0x1c);
	memcpy(pcir, "PCIR", 4);
	cfg_set16(pcir + 4, 0x8086);
	cfg_set16(pcir + 6, device_id);
	cfg_set16(pcir + 0x0a, 0x18); /* structure length */
	pcir[0x0c] = 0; /* structure revision */
	pcir[0x0d] = 0x00; /* class code: prog-if, subclass, base */
	pcir[0x0e] = 0x00;
	pcir[0x0f] = 0x02;
	cfg_set16(pcir + 0x10, 0x93); /* image length in 512-byte units */
	pcir[0x14] = 0x00; /* code type: x86 */
	pcir[0x15] = 0x80; /* last image */
	memcpy(rom + 0x50, tag, strnlen(tag, 0x40));
	for (size_t i = 0; i < image_len - 1; i++)
		sum += rom[i];
	rom[image_len - 1] = (u8)-sum;
	return rom;
}

void e1000_sync_intx(struct pci_dev *pdev, struct mutex *lock, const bool *level)
{
	bool want, set;

	mutex_lock(lock);
	want = *level;
	mutex_unlock(lock);
	for (;;) {
		pci_set_irq(pdev, want);
		set = want;
		mutex_lock(lock);
		want = *level;
		mutex_unlock(lock);
		if (want == set)
			break;
	}
}

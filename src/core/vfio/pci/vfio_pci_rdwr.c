// SPDX-License-Identifier: MIT
/*
 * vfio-pci BAR and ROM region access through read/write on the device fd
 * (Linux 6.12, drivers/vfio/pci/vfio_pci_rdwr.c).
 *
 * A user buffer is cut into naturally aligned device accesses of 8, 4, 2 or
 * 1 bytes (4 at most for the ROM). Each access to a memory resource takes
 * memory_lock for read and fails with -EIO while the virtual Memory Space
 * Enable is off or the function is in D3hot; the lock is held per access, not
 * across the buffer, so a buffer that is itself an mmap of the same BAR cannot
 * recurse into the lock (the kernel's 5.9 fix). The MSI-X vector table is
 * excluded: reads return 0xff bytes, writes are dropped.
 *
 * Both functions return the bytes transferred and advance *ppos by that much,
 * as the kernel's do.
 */
#include <string.h>

#include "vfio/pci/vfio_pci_priv.h"

/* What an access goes to: a BAR through the device model, or the ROM image. */
struct vfio_pci_io {
	struct pci_dev *pdev;
	int bar; /* 0..5, or PCI_ROM_RESOURCE */
};

static u64 get_le64(const char *p, unsigned int size)
{
	u64 v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (u64)(u8)p[i] << (8 * i);
	return v;
}

static void put_le64(char *p, u64 v, unsigned int size)
{
	for (unsigned int i = 0; i < size; i++)
		p[i] = (char)(u8)(v >> (8 * i));
}

/*
 * The ROM as the function decodes it: the image, then (QEMU fills the rest of
 * the ROM BAR with zeros) 0 up to the BAR size; all-ones without an image.
 */
static u8 rom_byte(const struct pci_dev *pdev, u64 off)
{
	if (!pdev->rom)
		return 0xff;
	return off < pdev->rom_len ? pdev->rom[off] : 0;
}

static u64 rom_read(const struct pci_dev *pdev, u64 off, unsigned int size)
{
	u64 v = 0;

	for (unsigned int i = 0; i < size; i++)
		v |= (u64)rom_byte(pdev, off + i) << (8 * i);
	return v;
}

/*
 * The size of the ROM images, as pci_get_rom_size() finds it: images start
 * with 0x55aa and point to a "PCIR" data structure holding their length in
 * 512-byte units and a last-image flag. 0 if the first image is invalid.
 */
static size_t pci_rom_image_size(const struct pci_dev *pdev, size_t size)
{
	u64 image = 0;
	unsigned int length;
	bool last;

	do {
		u64 pds;

		if (rom_read(pdev, image, 2) != 0xaa55)
			break;
		pds = image + rom_read(pdev, image + 24, 2);
		if (rom_read(pdev, pds, 4) != 0x52494350) /* "PCIR" */
			break;
		last = rom_read(pdev, pds + 21, 1) & 0x80;
		length = (unsigned int)rom_read(pdev, pds + 16, 2);
		image += (u64)length * 512;
		if (image >= size)
			break;
		if (!last && rom_read(pdev, image, 2) != 0xaa55)
			break;
	} while (length && !last);

	return min(image, (u64)size);
}

/* One device access; test_mem gates it on the virtual memory decode. */
static int vfio_pci_iordwr(struct vfio_pci_core_device *vdev, const struct vfio_pci_io *io,
			   bool test_mem, u64 off, unsigned int size, char *buf, bool iswrite)
{
	if (test_mem) {
		down_read(&vdev->memory_lock);
		if (!__vfio_pci_memory_enabled(vdev)) {
			up_read(&vdev->memory_lock);
			return -EIO;
		}
	}

	if (io->bar == PCI_ROM_RESOURCE)
		put_le64(buf, rom_read(io->pdev, off, size), size);
	else if (iswrite)
		pci_bar_write(io->pdev, io->bar, off, get_le64(buf, size), size);
	else
		put_le64(buf, pci_bar_read(io->pdev, io->bar, off, size), size);

	if (test_mem)
		up_read(&vdev->memory_lock);
	return 0;
}

/*
 * Copies count bytes at off, skipping [x_start, x_end): reads there give 0xff,
 * writes are dropped. Returns the bytes done, or the first access's error.
 */
static ssize_t vfio_pci_do_io_rw(struct vfio_pci_core_device *vdev, const struct vfio_pci_io *io,
				 bool test_mem, char *buf, u64 off, size_t count, u64 x_start,
				 u64 x_end, bool iswrite, unsigned int max_width)
{
	ssize_t done = 0;

	while (count) {
		size_t fillable, filled;
		int ret;

		if (off < x_start)
			fillable = min(count, (size_t)(x_start - off));
		else if (off >= x_end)
			fillable = count;
		else
			fillable = 0;

		if (fillable >= 8 && !(off % 8) && max_width >= 8)
			filled = 8;
		else if (fillable >= 4 && !(off % 4) && max_width >= 4)
			filled = 4;
		else if (fillable >= 2 && !(off % 2) && max_width >= 2)
			filled = 2;
		else if (fillable)
			filled = 1;
		else
			filled = 0;

		if (filled) {
			ret = vfio_pci_iordwr(vdev, io, test_mem, off, filled, buf, iswrite);
			if (ret)
				return ret;
		} else {
			filled = min(count, (size_t)(x_end - off));
			if (!iswrite)
				memset(buf, 0xff, filled);
		}

		count -= filled;
		done += filled;
		off += filled;
		buf += filled;
	}
	return done;
}

ssize_t vfio_pci_bar_rw(struct vfio_pci_core_device *vdev, char *buf, size_t count, s64 *ppos,
			bool iswrite)
{
	struct pci_dev *pdev = vdev->pdev;
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	u64 bar = VFIO_PCI_OFFSET_TO_INDEX((u64)*ppos);
	struct vfio_pci_io io = { .pdev = pdev };
	u64 x_start = 0, x_end = 0;
	struct resource *res;
	ssize_t done;
	u64 end;

	if (bar >= PCI_NUM_BARS)
		return -EINVAL;
	res = &pdev->resource[bar];

	/* A BAR the host did not assign has no region. */
	if (!res->start)
		return -EINVAL;
	end = resource_size(res);
	if (pos >= end)
		return -EINVAL;
	count = min(count, (size_t)(end - pos));

	if ((int)bar == vdev->msix_bar) {
		x_start = vdev->msix_offset;
		x_end = (u64)vdev->msix_offset + vdev->msix_size;
	}

	io.bar = (int)bar;
	/* I/O port BARs are not gated by the memory decode. */
	done = vfio_pci_do_io_rw(vdev, &io, res->flags & IORESOURCE_MEM, buf, pos, count, x_start,
				 x_end, iswrite, 8);
	if (done >= 0)
		*ppos += done;
	return done;
}

ssize_t vfio_pci_rom_read(struct vfio_pci_core_device *vdev, char *buf, size_t count, s64 *ppos)
{
	struct pci_dev *pdev = vdev->pdev;
	struct resource *res = &pdev->resource[PCI_ROM_RESOURCE];
	u64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	struct vfio_pci_io io = { .pdev = pdev, .bar = PCI_ROM_RESOURCE };
	u64 x_start, end;
	ssize_t done;

	if (!res->start)
		return -EINVAL;
	end = resource_size(res);
	if (pos >= end)
		return -EINVAL;
	count = min(count, (size_t)(end - pos));

	/*
	 * pci_map_rom(): a ROM without a valid first image cannot be mapped.
	 * Past the images, up to the BAR size, reads give 0xff.
	 */
	x_start = pci_rom_image_size(pdev, end);
	if (!x_start)
		return -ENOMEM;

	/*
	 * The ROM is a memory resource, so it is gated like a memory BAR; no
	 * qword accesses (some devices fault on them).
	 */
	done = vfio_pci_do_io_rw(vdev, &io, true, buf, pos, count, x_start, end, false, 4);
	if (done >= 0)
		*ppos += done;
	return done;
}

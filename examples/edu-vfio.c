// SPDX-License-Identifier: MIT
/*
 * edu-vfio: a userspace driver for QEMU's edu device, written against the
 * Linux VFIO uAPI only (<linux/vfio.h>, sysfs, libc). It knows nothing of
 * uvfio: it runs the same on a Linux host with an edu device and under
 * `uvfio run`.
 *
 * It binds the device to vfio-pci (driver_override + drivers_probe), opens
 * the container, group and device, reads the identification register through
 * an mmap of BAR0 and through pread, DMAs a buffer into the device and back
 * through a MAP_DMA mapping, and takes an MSI through an eventfd.
 *
 *   edu-vfio [BDF]        default 0000:00:03.0
 * Exit status 0 when every step worked.
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_BUF 0x40000

static const char *bdf = "0000:00:03.0";
static int device = -1;
static uint64_t bar0_off, config_off;

#define die(...)                                            \
	do {                                                \
		fprintf(stderr, "edu-vfio: " __VA_ARGS__);  \
		fprintf(stderr, ": %s\n", strerror(errno)); \
		exit(1);                                    \
	} while (0)

static void sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		die("writing %s to %s", val, path);
	close(fd);
	printf("  %s <- %s\n", path, val);
}

static int group_of(const char *dev)
{
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", dev);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		die("readlink %s", path);
	target[n] = '\0';
	return atoi(basename(target));
}

static uint32_t rd32(unsigned int off)
{
	uint32_t v;

	if (pread(device, &v, 4, (off_t)(bar0_off + off)) != 4)
		die("pread BAR0+0x%x", off);
	return v;
}

static void wr32(unsigned int off, uint32_t v)
{
	if (pwrite(device, &v, 4, (off_t)(bar0_off + off)) != 4)
		die("pwrite BAR0+0x%x", off);
}

static void wr64(unsigned int off, uint64_t v)
{
	if (pwrite(device, &v, 8, (off_t)(bar0_off + off)) != 8)
		die("pwrite BAR0+0x%x", off);
}

static void edu_dma(uint64_t src, uint64_t dst, uint32_t len, uint32_t dir)
{
	wr64(EDU_DMA_SRC, src);
	wr64(EDU_DMA_DST, dst);
	wr64(EDU_DMA_CNT, len);
	wr32(EDU_DMA_CMD, 1 | dir);
	for (int i = 0; i < 2000 && (rd32(EDU_DMA_CMD) & 1); i++)
		usleep(1000);
	if (rd32(EDU_DMA_CMD) & 1) {
		errno = ETIMEDOUT;
		die("DMA");
	}
}

int main(int argc, char **argv)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	char path[PATH_MAX], irqbuf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *irq = (struct vfio_irq_set *)irqbuf;
	struct pollfd pfd;
	int container, group, efd, gid;
	volatile uint32_t *bar0;
	uint8_t *buf;
	uint16_t cmd;
	uint64_t cnt;

	if (argc > 1)
		bdf = argv[1];
	printf("Binding %s to vfio-pci:\n", bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	sysfs_write(path, "vfio-pci");
	sysfs_write("/sys/bus/pci/drivers_probe", bdf);
	gid = group_of(bdf);

	printf("VFIO:\n");
	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		die("open /dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    !ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU))
		die("no type1v2");
	snprintf(path, sizeof(path), "/dev/vfio/%d", gid);
	group = open(path, O_RDWR);
	if (group < 0)
		die("open %s", path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group %d not viable", gid);
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) ||
	    ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("SET_CONTAINER/SET_IOMMU");
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, bdf);
	if (device < 0)
		die("GET_DEVICE_FD");
	if (ioctl(device, VFIO_DEVICE_GET_INFO, &info))
		die("GET_INFO");
	printf("  %s: group %d, device fd %d, %u regions, %u irqs\n", path, gid, device,
	       info.num_regions, info.num_irqs);
	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		die("GET_REGION_INFO config");
	config_off = reg.offset;
	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		die("GET_REGION_INFO BAR0");
	bar0_off = reg.offset;
	printf("  BAR0: 0x%llx bytes, flags 0x%x\n", (unsigned long long)reg.size, reg.flags);

	printf("Registers:\n");
	printf("  identification (pread) = 0x%08x\n", rd32(EDU_ID));
	if (reg.flags & VFIO_REGION_INFO_FLAG_MMAP) {
		bar0 = mmap(NULL, reg.size, PROT_READ | PROT_WRITE, MAP_SHARED, device,
			    (off_t)reg.offset);
		if (bar0 == MAP_FAILED)
			die("mmap BAR0");
		bar0[EDU_LIVENESS / 4] = 0x12345678;
		printf("  identification (mmap) = 0x%08x, liveness 0x12345678 -> 0x%08x\n",
		       bar0[EDU_ID / 4], bar0[EDU_LIVENESS / 4]);
		munmap((void *)bar0, reg.size);
	}

	printf("DMA:\n");
	buf = mmap(NULL, 8192, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		die("mmap");
	for (int i = 0; i < 4096; i++)
		buf[i] = (uint8_t)(i * 13 + 1);
	map.vaddr = (uintptr_t)buf;
	map.iova = 0x200000;
	map.size = 8192;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		die("MAP_DMA");
	if (pread(device, &cmd, 2, (off_t)(config_off + PCI_COMMAND)) != 2)
		die("config read");
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	if (pwrite(device, &cmd, 2, (off_t)(config_off + PCI_COMMAND)) != 2)
		die("config write");
	edu_dma(map.iova, EDU_DMA_BUF, 4096, 0);
	edu_dma(EDU_DMA_BUF, map.iova + 4096, 4096, 2);
	if (memcmp(buf, buf + 4096, 4096)) {
		fprintf(stderr, "edu-vfio: DMA round trip mismatch\n");
		return 1;
	}
	printf("  4096 bytes to the device and back through iova 0x%llx: identical\n",
	       (unsigned long long)map.iova);
	unmap.iova = map.iova;
	unmap.size = map.size;
	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap))
		die("UNMAP_DMA");

	printf("Interrupt:\n");
	efd = eventfd(0, EFD_CLOEXEC);
	irq->argsz = sizeof(irqbuf);
	irq->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq->index = VFIO_PCI_MSI_IRQ_INDEX;
	irq->start = 0;
	irq->count = 1;
	memcpy(irq->data, &efd, sizeof(efd));
	if (ioctl(device, VFIO_DEVICE_SET_IRQS, irq))
		die("SET_IRQS MSI");
	wr32(EDU_IRQ_RAISE, 0x1);
	pfd = (struct pollfd){ .fd = efd, .events = POLLIN };
	if (poll(&pfd, 1, 2000) != 1 || read(efd, &cnt, sizeof(cnt)) != sizeof(cnt))
		die("no MSI");
	wr32(EDU_IRQ_ACK, rd32(EDU_IRQ_STATUS));
	printf("  MSI arrived on eventfd %d\n", efd);

	close(efd);
	close(device);
	close(group);
	close(container);
	printf("edu-vfio: ok\n");
	return 0;
}

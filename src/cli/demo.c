// SPDX-License-Identifier: MIT
/*
 * The example job: what a VFIO userspace driver does with QEMU's edu device
 * on a Linux host, step by step, through uvfio's in-process uAPI. Every call
 * below is the call a program makes to the kernel (open, ioctl, pread,
 * pwrite, sysfs writes); only the function names carry a uvfio_ prefix.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#include "cli.h"
#include "uvfio/uvfio.h"

#define EDU "0000:00:03.0"
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
#define EDU_CMD_START 0x1
#define EDU_CMD_TO_RAM 0x2

struct demo {
	struct uvfio_world *w;
	struct uvfio_proc *p;
	int container, group, device;
	u_int64_t bar0, config;
};

#define step(...)                    \
	do {                         \
		printf("  ");        \
		printf(__VA_ARGS__); \
		printf("\n");        \
	} while (0)

static int fail(const char *what)
{
	fprintf(stderr, "uvfio demo: %s: %s\n", what, strerror(errno));
	return -1;
}

static int sysfs_write(struct demo *d, const char *path, const char *val)
{
	ssize_t r = uvfio_sysfs_write(d->w, path, val, strlen(val));

	if (r < 0) {
		errno = (int)-r;
		return fail(path);
	}
	step("echo %s > %s", val, path);
	return 0;
}

static int bar0_write32(struct demo *d, unsigned int off, u_int32_t v)
{
	return uvfio_pwrite(d->p, d->device, &v, 4, (off_t)(d->bar0 + off)) == 4 ? 0 : -1;
}

static int bar0_write64(struct demo *d, unsigned int off, u_int64_t v)
{
	return uvfio_pwrite(d->p, d->device, &v, 8, (off_t)(d->bar0 + off)) == 8 ? 0 : -1;
}

static u_int32_t bar0_read32(struct demo *d, unsigned int off)
{
	u_int32_t v = 0xffffffff;

	uvfio_pread(d->p, d->device, &v, 4, (off_t)(d->bar0 + off));
	return v;
}

static int edu_dma(struct demo *d, u_int64_t src, u_int64_t dst, u_int32_t len, u_int32_t cmd)
{
	if (bar0_write64(d, EDU_DMA_SRC, src) || bar0_write64(d, EDU_DMA_DST, dst) ||
	    bar0_write64(d, EDU_DMA_CNT, len) || bar0_write32(d, EDU_DMA_CMD, cmd | EDU_CMD_START))
		return fail("programming the DMA engine");
	/* A driver polls the command register until the engine clears its start bit. */
	for (int i = 0; i < 1000; i++) {
		if (!(bar0_read32(d, EDU_DMA_CMD) & EDU_CMD_START))
			return 0;
		usleep(1000);
	}
	errno = ETIMEDOUT;
	return fail("waiting for the DMA engine");
}

static int wait_eventfd(int efd, const char *what)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	u_int64_t cnt;

	if (poll(&pfd, 1, 2000) != 1 || read(efd, &cnt, sizeof(cnt)) != sizeof(cnt)) {
		errno = ETIMEDOUT;
		return fail(what);
	}
	return 0;
}

static int demo_open(struct demo *d)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_region_info reg = { .argsz = sizeof(reg) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	char link[256];

	printf("Binding %s to vfio-pci (the driverctl/libvirt sequence):\n", EDU);
	if (sysfs_write(d, "/sys/bus/pci/devices/" EDU "/driver_override", "vfio-pci") ||
	    sysfs_write(d, "/sys/bus/pci/drivers_probe", EDU))
		return -1;
	if (uvfio_sysfs_readlink(d->w, "/sys/bus/pci/devices/" EDU "/iommu_group", link,
				 sizeof(link)) < 0)
		return fail("iommu_group link");
	link[sizeof(link) - 1] = '\0';
	step("%s/iommu_group -> %s", EDU, link);

	printf("Opening it through the VFIO uAPI:\n");
	d->container = uvfio_open(d->p, "/dev/vfio/vfio", O_RDWR);
	if (d->container < 0)
		return fail("open /dev/vfio/vfio");
	step("open(/dev/vfio/vfio) = %d; VFIO_GET_API_VERSION = %d; TYPE1v2 supported = %d",
	     d->container, uvfio_ioctl(d->p, d->container, VFIO_GET_API_VERSION),
	     uvfio_ioctl(d->p, d->container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU));
	d->group = uvfio_open(d->p, "/dev/vfio/1", O_RDWR);
	if (d->group < 0)
		return fail("open /dev/vfio/1");
	if (uvfio_ioctl(d->p, d->group, VFIO_GROUP_GET_STATUS, &status))
		return fail("VFIO_GROUP_GET_STATUS");
	step("open(/dev/vfio/1) = %d; GET_STATUS: %s", d->group,
	     status.flags & VFIO_GROUP_FLAGS_VIABLE ? "viable" : "NOT viable");
	if (uvfio_ioctl(d->p, d->group, VFIO_GROUP_SET_CONTAINER, &d->container))
		return fail("VFIO_GROUP_SET_CONTAINER");
	if (uvfio_ioctl(d->p, d->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		return fail("VFIO_SET_IOMMU");
	step("VFIO_GROUP_SET_CONTAINER, VFIO_SET_IOMMU(TYPE1v2): ok");
	d->device = uvfio_ioctl(d->p, d->group, VFIO_GROUP_GET_DEVICE_FD, EDU);
	if (d->device < 0)
		return fail("VFIO_GROUP_GET_DEVICE_FD");
	if (uvfio_ioctl(d->p, d->device, VFIO_DEVICE_GET_INFO, &info))
		return fail("VFIO_DEVICE_GET_INFO");
	step("VFIO_GROUP_GET_DEVICE_FD(%s) = %d: %u regions, %u irqs, flags 0x%x", EDU, d->device,
	     info.num_regions, info.num_irqs, info.flags);
	reg.index = VFIO_PCI_BAR0_REGION_INDEX;
	if (uvfio_ioctl(d->p, d->device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return fail("VFIO_DEVICE_GET_REGION_INFO");
	d->bar0 = reg.offset;
	step("BAR0: %llu KiB at offset 0x%llx, flags 0x%x%s", (unsigned long long)reg.size / 1024,
	     (unsigned long long)reg.offset, reg.flags,
	     reg.flags & VFIO_REGION_INFO_FLAG_MMAP ? " (mmappable)" : "");
	reg.index = VFIO_PCI_CONFIG_REGION_INDEX;
	if (uvfio_ioctl(d->p, d->device, VFIO_DEVICE_GET_REGION_INFO, &reg))
		return fail("VFIO_DEVICE_GET_REGION_INFO");
	d->config = reg.offset;
	return 0;
}

static int demo_dma(struct demo *d)
{
	const size_t len = 4096;
	struct vfio_iommu_type1_dma_map map = { .argsz = sizeof(map) };
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap) };
	u_int16_t cmd;
	u_int32_t v;
	unsigned char *buf;
	int ret = -1;

	printf("Registers:\n");
	v = bar0_read32(d, EDU_ID);
	step("identification = 0x%08x%s", v, v == 0x010000ed ? " (edu 1.0)" : " (unexpected)");
	bar0_write32(d, EDU_LIVENESS, 0x12345678);
	step("liveness: wrote 0x12345678, read back 0x%08x", bar0_read32(d, EDU_LIVENESS));

	printf("DMA through the IOMMU:\n");
	buf = mmap(NULL, 2 * len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		return fail("mmap");
	for (size_t i = 0; i < len; i++)
		buf[i] = (unsigned char)(i * 7 + 3);
	memset(buf + len, 0, len);
	map.vaddr = (u_int64_t)(uintptr_t)buf;
	map.iova = 0x100000;
	map.size = 2 * len;
	map.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE;
	if (uvfio_ioctl(d->p, d->container, VFIO_IOMMU_MAP_DMA, &map)) {
		fail("VFIO_IOMMU_MAP_DMA");
		goto out_munmap;
	}
	step("VFIO_IOMMU_MAP_DMA: iova 0x%llx -> %p, %zu bytes", (unsigned long long)map.iova, buf,
	     2 * len);
	/* Bus mastering, through the virtualized command register. */
	uvfio_pread(d->p, d->device, &cmd, 2, (off_t)(d->config + PCI_COMMAND));
	cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
	uvfio_pwrite(d->p, d->device, &cmd, 2, (off_t)(d->config + PCI_COMMAND));
	step("config: command |= bus master");

	if (edu_dma(d, map.iova, EDU_DMA_BUF, (u_int32_t)len, 0))
		goto out_unmap;
	step("edu DMA: RAM iova 0x%llx -> edu buffer 0x%x, %zu bytes", (unsigned long long)map.iova,
	     EDU_DMA_BUF, len);
	if (edu_dma(d, EDU_DMA_BUF, map.iova + len, (u_int32_t)len, EDU_CMD_TO_RAM))
		goto out_unmap;
	step("edu DMA: edu buffer 0x%x -> RAM iova 0x%llx, %zu bytes", EDU_DMA_BUF,
	     (unsigned long long)(map.iova + len), len);
	if (memcmp(buf, buf + len, len)) {
		fprintf(stderr, "uvfio demo: the round trip changed the data\n");
		goto out_unmap;
	}
	step("round trip verified: %zu bytes came back identical", len);
	ret = 0;
out_unmap:
	unmap.iova = map.iova;
	unmap.size = map.size;
	if (uvfio_ioctl(d->p, d->container, VFIO_IOMMU_UNMAP_DMA, &unmap) == 0)
		step("VFIO_IOMMU_UNMAP_DMA: %llu bytes unmapped", (unsigned long long)unmap.size);
out_munmap:
	munmap(buf, 2 * len);
	return ret;
}

static int set_irq_eventfd(struct demo *d, unsigned int index, int efd)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)buf;

	set->argsz = sizeof(buf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = index;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(efd));
	return uvfio_ioctl(d->p, d->device, VFIO_DEVICE_SET_IRQS, set);
}

static int disable_irq(struct demo *d, unsigned int index)
{
	struct vfio_irq_set set = {
		.argsz = sizeof(set),
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = index,
	};

	return uvfio_ioctl(d->p, d->device, VFIO_DEVICE_SET_IRQS, &set);
}

static int demo_irqs(struct demo *d)
{
	int efd = eventfd(0, EFD_CLOEXEC), ret = -1;

	if (efd < 0)
		return fail("eventfd");
	printf("Interrupts through eventfds:\n");
	if (set_irq_eventfd(d, VFIO_PCI_MSI_IRQ_INDEX, efd)) {
		fail("VFIO_DEVICE_SET_IRQS (MSI)");
		goto out;
	}
	step("VFIO_DEVICE_SET_IRQS: MSI vector 0 -> eventfd %d", efd);
	bar0_write32(d, EDU_IRQ_RAISE, 0x1);
	if (wait_eventfd(efd, "waiting for the MSI"))
		goto out;
	step("edu raised interrupt 0x1 (register 0x60): MSI arrived on the eventfd");
	bar0_write32(d, EDU_IRQ_ACK, bar0_read32(d, EDU_IRQ_STATUS));
	disable_irq(d, VFIO_PCI_MSI_IRQ_INDEX);

	if (set_irq_eventfd(d, VFIO_PCI_INTX_IRQ_INDEX, efd)) {
		fail("VFIO_DEVICE_SET_IRQS (INTx)");
		goto out;
	}
	step("VFIO_DEVICE_SET_IRQS: INTx -> eventfd %d", efd);
	bar0_write32(d, EDU_IRQ_RAISE, 0x2);
	if (wait_eventfd(efd, "waiting for INTx"))
		goto out;
	step("edu raised interrupt 0x2: INTx arrived on the eventfd (the line is now masked)");
	bar0_write32(d, EDU_IRQ_ACK, bar0_read32(d, EDU_IRQ_STATUS));
	{
		struct vfio_irq_set unmask = {
			.argsz = sizeof(unmask),
			.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK,
			.index = VFIO_PCI_INTX_IRQ_INDEX,
			.count = 1,
		};

		uvfio_ioctl(d->p, d->device, VFIO_DEVICE_SET_IRQS, &unmask);
	}
	step("acknowledged (register 0x64) and unmasked (SET_IRQS ACTION_UNMASK)");
	disable_irq(d, VFIO_PCI_INTX_IRQ_INDEX);
	ret = 0;
out:
	close(efd);
	return ret;
}

int demo_run(struct uvfio_world *w)
{
	struct demo d = { .w = w, .container = -1, .group = -1, .device = -1 };
	int ret;

	d.p = uvfio_proc_new(w, NULL);
	ret = demo_open(&d);
	if (!ret)
		ret = demo_dma(&d);
	if (!ret)
		ret = demo_irqs(&d);
	printf("Closing device, group and container; unbinding:\n");
	uvfio_proc_free(d.p);
	step("all files released (device -> group -> container)");
	if (uvfio_sysfs_write(w, "/sys/bus/pci/drivers/vfio-pci/unbind", EDU, strlen(EDU)) > 0)
		step("echo %s > /sys/bus/pci/drivers/vfio-pci/unbind", EDU);
	printf("%s\n", ret ? "demo FAILED" : "demo ok: DMA round trip and interrupts worked");
	return ret ? 1 : 0;
}

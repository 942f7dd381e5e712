// SPDX-License-Identifier: MIT
/*
 * memory-paths: the no-copy memory paths, seen by an unmodified program
 * (libc and <linux/vfio.h> only) under `uvfio run` on tests/dma/dma.machine
 * (edu with a 2 MiB DMA buffer at 00:03.0, ivshmem-plain at 00:06.0).
 *
 *  - MAP_DMA of memfd memory pins it: a 2 MiB edu DMA round trip lands in the
 *    memfd, and still does after the program unmapped its view (the pages
 *    stay the mapping's, as in the kernel); shrinking the memfd under the
 *    mapping makes the DMA fail and leaves the daemon serving.
 *  - Private anonymous memory works through the fallback path.
 *  - ivshmem's BAR2 (plain memory) mmaps as a shared memfd, not trapped; its
 *    bytes are the ones pread/pwrite on the region see; BAR0 (registers) is
 *    trapped and its read-to-clear status and INTx work through loads/stores.
 *
 * TAP output; exit status 0 when every check passed.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#define EDU_BDF "0000:00:03.0"
#define IVSHMEM_BDF "0000:00:06.0"
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_BUF 0x40000ull
#define EDU_DMA_RUN 1
#define EDU_DMA_TO_RAM 2

#define IOVA 0x1000000ull
#define MB (1ull << 20)

static int ntest, nfail;

static void check(int cond, const char *name)
{
	ntest++;
	if (cond) {
		printf("ok %d - %s\n", ntest, name);
	} else {
		nfail++;
		printf("not ok %d - %s (errno %d: %s)\n", ntest, name, errno, strerror(errno));
	}
	fflush(stdout);
}

static void sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val)) {
		printf("Bail out! writing %s to %s: %s\n", val, path, strerror(errno));
		exit(1);
	}
	close(fd);
}

static void bind_vfio(const char *bdf)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	sysfs_write(path, "vfio-pci");
	sysfs_write("/sys/bus/pci/drivers_probe", bdf);
}

static int open_group(int container, const char *bdf)
{
	char path[256], link[256];
	ssize_t n;
	int group;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = readlink(path, link, sizeof(link) - 1);
	if (n < 0)
		return -1;
	link[n] = 0;
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(link, '/') + 1);
	group = open(path, O_RDWR);
	if (group < 0 || ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		return -1;
	return group;
}

static struct vfio_region_info region(int dev, unsigned int index)
{
	struct vfio_region_info ri = { .argsz = sizeof(ri), .index = index };

	if (ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri))
		memset(&ri, 0, sizeof(ri));
	return ri;
}

static int map_dma(int container, void *vaddr, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &map);
}

static int unmap_dma(int container, uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap),
						    .iova = iova,
						    .size = size };

	return ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap);
}

/* One edu DMA command through the trapped BAR0 mapping; waits for completion. */
static int edu_dma(volatile uint8_t *bar0, uint64_t src, uint64_t dst, uint64_t cnt, bool to_ram)
{
	*(volatile uint64_t *)(bar0 + EDU_DMA_SRC) = src;
	*(volatile uint64_t *)(bar0 + EDU_DMA_DST) = dst;
	*(volatile uint64_t *)(bar0 + EDU_DMA_CNT) = cnt;
	*(volatile uint64_t *)(bar0 + EDU_DMA_CMD) = EDU_DMA_RUN | (to_ram ? EDU_DMA_TO_RAM : 0);
	for (int i = 0; i < 100000; i++) {
		if (!(*(volatile uint64_t *)(bar0 + EDU_DMA_CMD) & EDU_DMA_RUN))
			return 0;
		usleep(10);
	}
	return -1;
}

static void fill(uint8_t *p, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		p[i] = (uint8_t)(i * 31 + seed + (i >> 12));
}

/* What /proc/self/maps says of the mapping holding addr: its permissions and path. */
static int maps_entry(const void *addr, char *perms, char *path, size_t pathlen)
{
	unsigned long lo, hi, a = (unsigned long)addr;
	char line[512];
	FILE *f = fopen("/proc/self/maps", "re");
	int ret = -1;

	while (f && fgets(line, sizeof(line), f)) {
		int pos = 0;

		if (sscanf(line, "%lx-%lx %4s %*s %*s %*s%n", &lo, &hi, perms, &pos) < 3)
			continue;
		if (a >= lo && a < hi) {
			snprintf(path, pathlen, "%s", line + pos);
			path[strcspn(path, "\n")] = 0;
			ret = 0;
			break;
		}
	}
	if (f)
		fclose(f);
	return ret;
}

/* Memory decode and bus mastering on, through the config region. */
static int enable_device(int dev)
{
	struct vfio_region_info cfg = region(dev, VFIO_PCI_CONFIG_REGION_INDEX);
	uint16_t cmd;

	if (pread(dev, &cmd, 2, (off_t)(cfg.offset + 4)) != 2)
		return -1;
	cmd |= 0x6; /* PCI_COMMAND_MEMORY | PCI_COMMAND_MASTER */
	return pwrite(dev, &cmd, 2, (off_t)(cfg.offset + 4)) == 2 ? 0 : -1;
}

static void test_edu(int container, int edu)
{
	struct vfio_region_info bar = region(edu, VFIO_PCI_BAR0_REGION_INDEX);
	size_t size = 2 * MB;
	uint8_t *view, *check_view, *anon;
	volatile uint8_t *bar0;
	int memfd;

	check(!enable_device(edu), "edu: memory decode and bus mastering on");
	bar0 = mmap(NULL, bar.size, PROT_READ | PROT_WRITE, MAP_SHARED, edu, (off_t)bar.offset);
	check(bar0 != MAP_FAILED, "edu: mmap BAR0");
	if (bar0 == MAP_FAILED)
		return;

	memfd = memfd_create("dma", 0);
	check(memfd >= 0 && !ftruncate(memfd, (off_t)(2 * size)), "memfd of 4 MiB");
	view = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	check_view = mmap(NULL, 2 * size, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	check(view != MAP_FAILED && check_view != MAP_FAILED, "two views of the memfd");
	check(!map_dma(container, view, IOVA, 2 * size), "MAP_DMA of the memfd view");

	/* 2 MiB round trip: RAM → edu → RAM, seen through the other view. */
	fill(check_view, size, 1);
	memset(check_view + size, 0, size);
	check(!edu_dma(bar0, IOVA, EDU_DMA_BUF, size, false), "edu: 2 MiB DMA RAM to device");
	check(!edu_dma(bar0, EDU_DMA_BUF, IOVA + size, size, true), "edu: 2 MiB DMA device to RAM");
	check(!memcmp(check_view, check_view + size, size), "2 MiB round trip landed in the memfd");

	/* The mapping pinned the pages: DMA reaches them after the program unmapped its view. */
	check(!munmap(view, 2 * size), "munmap the mapped view (no UNMAP_DMA)");
	fill(check_view, 4096, 7);
	memset(check_view + 8192, 0, 4096);
	check(!edu_dma(bar0, IOVA, EDU_DMA_BUF, 4096, false) &&
		      !edu_dma(bar0, EDU_DMA_BUF, IOVA + 8192, 4096, true),
	      "edu: DMA after munmap completes");
	check(!memcmp(check_view, check_view + 8192, 4096),
	      "DMA after munmap still reaches the pinned memfd pages");

	/* Shrinking the file under the mapping: the DMA fails, the daemon carries on. */
	check(!munmap(check_view, 2 * size) && !ftruncate(memfd, 0), "ftruncate the memfd to 0");
	check(!edu_dma(bar0, EDU_DMA_BUF, IOVA, 4096, true),
	      "edu: DMA into vanished pages completes");
	check(!unmap_dma(container, IOVA, 2 * size), "UNMAP_DMA afterwards (daemon alive)");
	close(memfd);

	/* Private anonymous memory: the process_vm_* path. */
	anon = mmap(NULL, 2 * 65536, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	check(anon != MAP_FAILED && !map_dma(container, anon, IOVA, 2 * 65536),
	      "MAP_DMA of private anonymous memory");
	fill(anon, 65536, 3);
	memset(anon + 65536, 0, 65536);
	check(!edu_dma(bar0, IOVA, EDU_DMA_BUF, 65536, false) &&
		      !edu_dma(bar0, EDU_DMA_BUF, IOVA + 65536, 65536, true),
	      "edu: 64 KiB DMA round trip in anonymous memory");
	check(!memcmp(anon, anon + 65536, 65536), "anonymous round trip data");
	check(!unmap_dma(container, IOVA, 2 * 65536), "UNMAP_DMA of anonymous memory");
	munmap(anon, 2 * 65536);
	munmap((void *)bar0, bar.size);
}

static void test_ivshmem(int ivshmem)
{
	struct vfio_region_info bar0 = region(ivshmem, VFIO_PCI_BAR0_REGION_INDEX);
	struct vfio_region_info bar2 = region(ivshmem, VFIO_PCI_BAR2_REGION_INDEX);
	char perms[8] = "", path[256] = "";
	uint8_t buf[64], *mem;
	volatile uint32_t *regs;
	struct {
		struct vfio_irq_set set;
		int32_t fd;
	} irq = { .set = {
			  .argsz = sizeof(irq),
			  .flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
			  .index = VFIO_PCI_INTX_IRQ_INDEX,
			  .count = 1,
		  } };
	struct pollfd pfd;
	uint64_t count;

	check(!enable_device(ivshmem), "ivshmem: memory decode on");
	check(bar2.size == MB && (bar2.flags & VFIO_REGION_INFO_FLAG_MMAP),
	      "ivshmem: BAR2 is 1 MiB and mmappable");
	mem = mmap(NULL, bar2.size, PROT_READ | PROT_WRITE, MAP_SHARED, ivshmem,
		   (off_t)bar2.offset);
	check(mem != MAP_FAILED, "ivshmem: mmap BAR2");
	if (mem == MAP_FAILED)
		return;
	check(!maps_entry(mem + 4096, perms, path, sizeof(path)) && !strcmp(perms, "rw-s") &&
		      strstr(path, "memfd:"),
	      "ivshmem: BAR2 pages are a shared memfd, not trapped");
	printf("# BAR2 mapping: %s %s\n", perms, path);

	/* The program's stores are the device's bytes, and the other way round. */
	memcpy(mem + 0x1230, "shared memory", 14);
	check(pread(ivshmem, buf, 14, (off_t)(bar2.offset + 0x1230)) == 14 &&
		      !memcmp(buf, "shared memory", 14),
	      "ivshmem: store through mmap, pread on the region sees it");
	check(pwrite(ivshmem, "written by pwrite", 18, (off_t)(bar2.offset + bar2.size - 18)) ==
			      18 &&
		      !memcmp(mem + bar2.size - 18, "written by pwrite", 18),
	      "ivshmem: pwrite on the region, the mapping sees it");

	regs = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, ivshmem, (off_t)bar0.offset);
	check(regs != MAP_FAILED, "ivshmem: mmap BAR0 (registers)");
	if (regs == MAP_FAILED)
		return;
	check(!maps_entry((void *)regs, perms, path, sizeof(path)) && !strcmp(perms, "---p"),
	      "ivshmem: BAR0 page is trapped");

	irq.fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	check(!ioctl(ivshmem, VFIO_DEVICE_SET_IRQS, &irq), "ivshmem: INTx eventfd");
	regs[0] = 1; /* interrupt mask */
	regs[1] = 1; /* interrupt status: with the mask, asserts INTx */
	pfd = (struct pollfd){ .fd = irq.fd, .events = POLLIN };
	check(poll(&pfd, 1, 2000) == 1 && read(irq.fd, &count, 8) == 8,
	      "ivshmem: status & mask raises INTx");
	check(regs[1] == 1 && regs[1] == 0, "ivshmem: reading the status returns it and clears it");
	check(regs[0] == 1 && regs[2] == 0, "ivshmem: mask reads back, IV position is 0");
	close(irq.fd);
	munmap((void *)regs, 4096);
	munmap(mem, bar2.size);
}

int main(void)
{
	int container, edu_group, iv_group, edu, ivshmem;

	setvbuf(stdout, NULL, _IOLBF, 0);
	bind_vfio(EDU_BDF);
	bind_vfio(IVSHMEM_BDF);
	container = open("/dev/vfio/vfio", O_RDWR);
	edu_group = open_group(container, EDU_BDF);
	iv_group = open_group(container, IVSHMEM_BDF);
	check(container >= 0 && edu_group >= 0 && iv_group >= 0, "container and both groups");
	check(!ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), "SET_IOMMU type1v2");
	edu = ioctl(edu_group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	ivshmem = ioctl(iv_group, VFIO_GROUP_GET_DEVICE_FD, IVSHMEM_BDF);
	check(edu >= 0 && ivshmem >= 0, "both device fds");
	if (nfail)
		return 1;

	test_edu(container, edu);
	test_ivshmem(ivshmem);

	printf("1..%d\n", ntest);
	return nfail ? 1 : 0;
}

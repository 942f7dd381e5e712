// SPDX-License-Identifier: MIT
/*
 * vfio-stress: a VFIO program (libc and <linux/vfio.h> only) for the
 * killed-in-the-middle test (uapi-test.sh kill_mid_ioctl).
 *
 *   vfio-stress hammer SEED   open edu (bound to vfio-pci beforehand), print
 *                             "ready", then loop forever over MAP_DMA/UNMAP_DMA,
 *                             config writes, region reads, BAR0 loads through an
 *                             mmap, SET_IRQS and edu DMA, until killed.
 *   vfio-stress check [--patient]
 *                             open the same group and device as a fresh program
 *                             and check they work: no leftover mapping, config
 *                             as opened, a DMA round trip, an MSI. --patient
 *                             retries an EBUSY group open for up to 2 s.
 * Exit status 0 when every step worked; the first failure is printed.
 */
#include "common.h"

#include <sys/eventfd.h>
#include <sys/mman.h>
#include <time.h>

#define fail(...)                                             \
	do {                                                  \
		int __e = errno;                              \
		fprintf(stderr, "vfio-stress: " __VA_ARGS__); \
		fprintf(stderr, " (%s)\n", errname(__e));     \
		exit(1);                                      \
	} while (0)

static int set_msi(int dev, int32_t fd, uint32_t count)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	s->argsz = sizeof(buf);
	s->flags = (count ? VFIO_IRQ_SET_DATA_EVENTFD : VFIO_IRQ_SET_DATA_NONE) |
		   VFIO_IRQ_SET_ACTION_TRIGGER;
	s->index = VFIO_PCI_MSI_IRQ_INDEX;
	s->start = 0;
	s->count = count;
	memcpy(s->data, &fd, sizeof(fd));
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, s);
}

static int hammer(unsigned int seed)
{
	struct vfio_env e;
	unsigned char *mem, *mfd_mem;
	volatile uint32_t *bar;
	int efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int mfd = memfd_create("stress", MFD_CLOEXEC);

	if (env_open(&e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1v2_IOMMU))
		fail("open edu");
	mem = mmap(NULL, 64 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED || mfd < 0 || ftruncate(mfd, 16 * PAGE))
		fail("memory");
	mfd_mem = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	bar = mmap(NULL, 0x100000, PROT_READ | PROT_WRITE, MAP_SHARED, e.device, 0);
	if (mfd_mem == MAP_FAILED || bar == MAP_FAILED)
		fail("mmap");
	memset(mem, 0x11, 64 * PAGE);
	cfg_write(e.device, 4, 0x0107, 2);
	printf("ready\n");
	fflush(stdout);
	srand(seed);
	for (unsigned long i = 0;; i++) {
		unsigned int r = (unsigned int)rand();
		uint64_t iova = 0x100000 + (uint64_t)(r % 32) * PAGE;
		uint8_t cfg[256];
		uint32_t v;

		switch (r % 8) {
		case 0:
			dma_map(e.container, iova, mem + (r % 32) * PAGE, (1 + r % 4) * PAGE, 3);
			break;
		case 1:
			dma_unmap(e.container, iova, (1 + r % 8) * PAGE, 0, NULL);
			break;
		case 2:
			cfg_write(e.device, 0x3c, r & 0xff, 1);
			cfg_write(e.device, 4, (r & 1) ? 0x0107 : 0x0507, 2);
			break;
		case 3:
			pread(e.device, cfg, sizeof(cfg), (off_t)CFG_OFF);
			pread(e.device, &v, 4, (off_t)BAR0_OFF);
			break;
		case 4:
			bar[EDU_LIVENESS / 4] = r;
			v = bar[EDU_ID / 4];
			break;
		case 5:
			set_msi(e.device, efd, r & 1);
			break;
		case 6:
			dma_map(e.container, 0x800000, mfd_mem, 16 * PAGE, 3);
			edu_dma(e.device, 0x800000, EDU_DMA_BUF, PAGE, 0);
			edu_dma(e.device, EDU_DMA_BUF, 0x800000 + PAGE, PAGE, EDU_DMA_TO_RAM);
			dma_unmap(e.container, 0x800000, 16 * PAGE, 0, NULL);
			break;
		default:
			dma_unmap(e.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL);
			break;
		}
	}
}

/*
 * On Linux a killed process's files are released before its parent's wait()
 * returns, so the group is free at once: an EBUSY open fails the check.
 */
static int check(void)
{
	struct vfio_env e;
	uint8_t info[256];
	struct vfio_iommu_type1_info *ti = (struct vfio_iommu_type1_info *)info;
	unsigned char *buf;
	int efd = eventfd(0, EFD_CLOEXEC);
	uint32_t v;

	if (env_open(&e, EDU_GROUP_PATH, NULL, VFIO_TYPE1v2_IOMMU))
		fail("open container and group");
	e.device = ioctl(e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	if (e.device < 0)
		fail("GET_DEVICE_FD");
	memset(info, 0, sizeof(info));
	ti->argsz = sizeof(info);
	if (ioctl(e.container, VFIO_IOMMU_GET_INFO, info))
		fail("IOMMU_GET_INFO");
	if (*(uint32_t *)(info + 0x40) != 65535)
		fail("DMA_AVAIL %u on a fresh container", *(uint32_t *)(info + 0x40));
	/* The killed program's session ended: the config was restored. */
	v = cfg_read(e.device, 4, 2);
	if (v != 0x0103)
		fail("command 0x%x at open, want 0x0103", v);
	if (cfg_read(e.device, 0x40, 4) != 0x00800005)
		fail("MSI capability 0x%x", cfg_read(e.device, 0x40, 4));
	if (bar0_read32(e.device, EDU_ID) != 0x010000ed)
		fail("edu id");
	buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (buf == MAP_FAILED)
		fail("mmap");
	if (edu_round_trip(e.container, e.device, 0x100000, buf, (unsigned int)getpid()))
		fail("DMA round trip");
	if (set_msi(e.device, efd, 1))
		fail("MSI enable");
	bar0_write32(e.device, EDU_IRQ_RAISE, 1);
	if (!efd_wait(efd, 2000))
		fail("no MSI");
	bar0_write32(e.device, EDU_IRQ_ACK, 1);
	env_close(&e);
	return 0;
}

int main(int argc, char **argv)
{
	tap_prog = "vfio-stress";
	if (argc == 3 && !strcmp(argv[1], "hammer"))
		return hammer((unsigned int)strtoul(argv[2], NULL, 0));
	if (argc == 2 && !strcmp(argv[1], "check"))
		return check();
	fprintf(stderr, "usage: vfio-stress hammer SEED | check\n");
	return 2;
}

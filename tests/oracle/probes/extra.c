/* extra.c - small follow-ups on edu: sysfs side effects of an open VFIO device
 * (enable, power_state, msi_irqs/, vfio-dev/), VADDR map on an unknown iova, INTx
 * MASK with DATA_EVENTFD, ERR/REQ eventfd handling, unmask while not masked. */
#include "common.h"
#include <sys/eventfd.h>

#define BDF "0000:00:03.0"
#define DEV "/sys/bus/pci/devices/" BDF

static int d;
static long irqs(const char *what, uint32_t flags, uint32_t index, uint32_t start, uint32_t count,
		 int32_t fd)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd[2];
	} is;
	memset(&is, 0, sizeof is);
	is.s.argsz = sizeof(struct vfio_irq_set) + ((flags & VFIO_IRQ_SET_DATA_EVENTFD) ?
							    4 * count :
						    (flags & VFIO_IRQ_SET_DATA_BOOL) ? count :
										       0);
	is.s.flags = flags;
	is.s.index = index;
	is.s.start = start;
	is.s.count = count;
	is.fd[0] = fd;
	if (flags & VFIO_IRQ_SET_DATA_BOOL)
		memset(is.fd, 1, 4);
	return show(what, ioctl(d, VFIO_DEVICE_SET_IRQS, &is));
}

static void sysfs_state(const char *when)
{
	printf("-- sysfs %s\n", when);
	cat_file(DEV "/enable");
	cat_file(DEV "/power_state");
	cat_file(DEV "/power/runtime_status");
	cat_file(DEV "/power/runtime_usage");
	cat_file(DEV "/irq");
	list_dir(DEV "/msi_irqs");
}

int main(void)
{
	bind_vfio(BDF);
	sysfs_state("bound, not open");
	list_dir(DEV "/vfio-dev/vfio0");
	cat_file(DEV "/vfio-dev/vfio0/uevent");
	list_dir("/sys/class/vfio-dev/vfio0/power");
	int c = open("/dev/vfio/vfio", O_RDWR);
	int g = open("/dev/vfio/1", O_RDWR);
	ioctl(g, VFIO_GROUP_SET_CONTAINER, &c);
	ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	d = show("GET_DEVICE_FD", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF));
	sysfs_state("device fd open");
	int e1 = eventfd(0, EFD_NONBLOCK), e2 = eventfd(0, EFD_NONBLOCK);
	irqs("INTx MASK DATA_EVENTFD (not enabled)",
	     VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK, 0, 0, 1, e1);
	irqs("INTx enable TRIGGER fd=-1", VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
	     0, 0, 1, -1);
	sysfs_state("INTx enabled");
	irqs("INTx MASK DATA_EVENTFD (enabled)",
	     VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK, 0, 0, 1, e1);
	irqs("INTx UNMASK DATA_EVENTFD fd (unmask irqfd)",
	     VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, 0, 0, 1, e1);
	irqs("INTx UNMASK DATA_EVENTFD fd=-1",
	     VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, 0, 0, 1, -1);
	irqs("INTx UNMASK DATA_NONE (not masked)",
	     VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 0, 1, 0);
	irqs("INTx MASK DATA_NONE", VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, 0, 0, 1, 0);
	irqs("INTx MASK DATA_NONE again", VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, 0, 0,
	     1, 0);
	{
		uint16_t cmd = 0;
		pread(d, &cmd, 2, (7ULL << 40) + 4);
		printf("command while INTx masked: 0x%04x\n", cmd);
		uint16_t st = 0;
		pread(d, &st, 2, (7ULL << 40) + 6);
		printf("status while INTx masked: 0x%04x\n", st);
	}
	irqs("INTx disable", VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, 0, 0);
	irqs("MSI enable count=1", VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1, 0, 1,
	     e2);
	sysfs_state("MSI enabled");
	{
		unsigned char b[16];
		pread(d, b, 16, (7ULL << 40) + 0x40);
		printf("vfio MSI cap with MSI enabled:");
		for (int i = 0; i < 16; i++)
			printf(" %02x", b[i]);
		printf("\n");
		int fd = open(DEV "/config", O_RDONLY);
		pread(fd, b, 16, 0x40);
		close(fd);
		printf("sysfs MSI cap with MSI enabled:");
		for (int i = 0; i < 16; i++)
			printf(" %02x", b[i]);
		printf("\n");
		fd = open(DEV "/config", O_RDONLY);
		pread(fd, b, 8, 0);
		close(fd);
		printf("sysfs config[0..8] with MSI enabled:");
		for (int i = 0; i < 8; i++)
			printf(" %02x", b[i]);
		printf("\n");
	}
	irqs("MSI fd=-1 for vector 0 (still enabled)",
	     VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1, 0, 1, -1);
	irqs("MSI disable", VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 1, 0, 0, 0);
	irqs("MSI disable again (not enabled)",
	     VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 1, 0, 0, 0);
	irqs("MSI enable fd=-1", VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1, 0, 1,
	     -1);
	irqs("MSI disable", VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 1, 0, 0, 0);
	sysfs_state("MSI disabled");
	irqs("REQ TRIGGER eventfd", VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 4, 0,
	     1, e1);
	irqs("REQ loopback DATA_NONE", VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 4, 0,
	     1, 0);
	{
		uint64_t v = 0;
		show("read(REQ eventfd)", read(e1, &v, 8));
		printf("  count=%llu\n", (unsigned long long)v);
	}
	irqs("REQ MASK", VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, 4, 0, 1, 0);
	irqs("REQ disable count=0", VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 4, 0, 0,
	     0);
	irqs("REQ disable count=0 again", VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 4,
	     0, 0, 0);
	irqs("REQ loopback with none set", VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 4,
	     0, 1, 0);
	irqs("INTx enable with a non-eventfd fd (the group fd)",
	     VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, 1, g);
	irqs("INTx enable with fd=1000 (not open)",
	     VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, 1, 1000);
	irqs("INTx disable (maybe not enabled)",
	     VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, 0, 0);
	{
		struct vfio_iommu_type1_dma_map m = { .argsz = sizeof m,
						      .flags = VFIO_DMA_MAP_FLAG_VADDR,
						      .vaddr = 0x10000000,
						      .iova = 0x400000,
						      .size = 4096 };
		show("MAP_DMA VADDR-only on unknown iova", ioctl(c, VFIO_IOMMU_MAP_DMA, &m));
		struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u,
							.flags = VFIO_DMA_UNMAP_FLAG_VADDR,
							.iova = 0x400000,
							.size = 4096 };
		show("UNMAP_DMA VADDR on empty range", ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u));
		printf("  size=0x%llx\n", (unsigned long long)u.size);
	}
	close(d);
	sysfs_state("device fd closed");
	close(g);
	close(c);
	return 0;
}

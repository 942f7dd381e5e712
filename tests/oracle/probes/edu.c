/* edu.c - edu (0000:00:03.0, group 1) through the legacy container/group uAPI:
 * CHECK_EXTENSION tables, IOMMU_GET_INFO / DEVICE_GET_INFO / REGION_INFO / IRQ_INFO raw
 * buffers at several argsz, the virtualized config region, BAR sizing, command
 * register, reset, hot-reset info, BAR0 read, IRQ misuse. Buffers are pre-filled with
 * 0xa5 so untouched bytes are visible. */
#include "common.h"
#include <sys/eventfd.h>
#include <poll.h>

#define BDF "0000:00:03.0"
static unsigned char buf[4096];

static long raw_ioctl(const char *what, int fd, unsigned long req, uint32_t argsz, uint32_t idx,
		      int setidx)
{
	memset(buf, 0xa5, sizeof buf);
	memcpy(buf, &argsz, 4);
	uint32_t zero = 0;
	memcpy(buf + 4, &zero, 4);
	if (setidx)
		memcpy(buf + 8, &idx, 4);
	long r = show(what, ioctl(fd, req, buf));
	uint32_t outsz;
	memcpy(&outsz, buf, 4);
	size_t dump = argsz > outsz ? argsz : outsz;
	if (dump > 512)
		dump = 512;
	if (dump < 16)
		dump = 16;
	hexdump(buf, dump, 0);
	return r;
}

static void check_ext(int c, const char *when)
{
	printf("CHECK_EXTENSION %s:", when);
	for (int i = 0; i <= 12; i++) {
		errno = 0;
		long r = ioctl(c, VFIO_CHECK_EXTENSION, i);
		if (r < 0)
			printf(" %d=%s", i, strerrorname_np(errno));
		else
			printf(" %d=%ld", i, r);
	}
	printf("\n");
}

static uint64_t cfg_off;
static int dev;

static uint32_t cfg_read(int off, int len)
{
	uint32_t v = 0;
	ssize_t r = pread(dev, &v, len, cfg_off + off);
	if (r != len)
		printf("  cfg_read(0x%x,%d) -> %zd errno=%s\n", off, len, r,
		       strerrorname_np(errno));
	return v;
}
static void cfg_write(int off, int len, uint32_t v)
{
	ssize_t r = pwrite(dev, &v, len, cfg_off + off);
	if (r != len)
		printf("  cfg_write(0x%x,%d) -> %zd errno=%s\n", off, len, r,
		       strerrorname_np(errno));
}

static void dump_cfg(const char *when, int size)
{
	unsigned char c[4096];
	memset(c, 0xa5, sizeof c);
	ssize_t r = pread(dev, c, size, cfg_off);
	printf("vfio config region %s: pread(%d) ret=%zd%s%s\n", when, size, r,
	       r < 0 ? " errno=" : "", r < 0 ? strerrorname_np(errno) : "");
	if (r > 0)
		hexdump(c, r, 0);
}

static void bar_sizing(void)
{
	static const int offs[] = { 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x30 };
	for (int i = 0; i < 7; i++) {
		int o = offs[i];
		uint32_t orig = cfg_read(o, 4);
		cfg_write(o, 4, 0xffffffff);
		uint32_t sz = cfg_read(o, 4);
		cfg_write(o, 4, orig);
		uint32_t back = cfg_read(o, 4);
		printf("BAR sizing 0x%02x: orig=0x%08x after_ffffffff=0x%08x restored=0x%08x\n", o,
		       orig, sz, back);
	}
	/* ROM with enable bit */
	uint32_t orig = cfg_read(0x30, 4);
	cfg_write(0x30, 4, 0xfffff801);
	printf("ROM write 0xfffff801 -> 0x%08x\n", cfg_read(0x30, 4));
	cfg_write(0x30, 4, orig);
}

static void irq_tests(void)
{
	char what[128];
	/* INTx count 0 (DATA_NONE | ACTION_TRIGGER) -> disables */
	struct {
		struct vfio_irq_set s;
		int32_t fd[4];
	} is;
	memset(&is, 0, sizeof is);
	is.s.argsz = sizeof(struct vfio_irq_set);
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	is.s.index = VFIO_PCI_INTX_IRQ_INDEX;
	is.s.start = 0;
	is.s.count = 0;
	show("SET_IRQS INTx DATA_NONE|TRIGGER count=0 (disable, nothing enabled)",
	     ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK;
	show("SET_IRQS INTx DATA_NONE|MASK count=0", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK;
	is.s.count = 1;
	show("SET_IRQS INTx DATA_NONE|MASK count=1 (not enabled)",
	     ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK;
	is.s.count = 1;
	show("SET_IRQS INTx DATA_NONE|UNMASK count=1 (not enabled)",
	     ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	is.s.count = 1;
	show("SET_IRQS INTx DATA_NONE|TRIGGER count=1 (not enabled)",
	     ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK;
	is.s.index = VFIO_PCI_MSI_IRQ_INDEX;
	is.s.count = 1;
	show("SET_IRQS MSI DATA_NONE|MASK count=1", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK;
	show("SET_IRQS MSI DATA_NONE|UNMASK count=1", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	is.s.index = VFIO_PCI_MSIX_IRQ_INDEX;
	is.s.count = 1;
	show("SET_IRQS MSIX DATA_NONE|TRIGGER count=1", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	is.s.index = VFIO_PCI_ERR_IRQ_INDEX;
	is.s.count = 1;
	show("SET_IRQS ERR DATA_NONE|TRIGGER count=1", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.index = VFIO_PCI_REQ_IRQ_INDEX;
	show("SET_IRQS REQ DATA_NONE|TRIGGER count=1", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.index = 5;
	show("SET_IRQS index5 DATA_NONE|TRIGGER count=1", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.index = VFIO_PCI_INTX_IRQ_INDEX;
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
	show("SET_IRQS INTx two DATA flags", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER |
		     VFIO_IRQ_SET_ACTION_MASK;
	show("SET_IRQS INTx two ACTION flags", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	is.s.start = 1;
	is.s.count = 1;
	show("SET_IRQS INTx start=1 count=1", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.start = 0;
	is.s.count = 2;
	show("SET_IRQS INTx start=0 count=2", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.count = 1;
	is.s.argsz = 16;
	show("SET_IRQS INTx argsz=16", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.argsz = sizeof(struct vfio_irq_set);
	is.s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	is.s.count = 1;
	show("SET_IRQS INTx EVENTFD argsz=20 (no room for fd)",
	     ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.flags = 1u << 6 | VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	show("SET_IRQS INTx unknown flag bit6", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));

	/* INTx eventfd + loopback */
	int efd = eventfd(0, EFD_NONBLOCK);
	int efd2 = eventfd(0, EFD_NONBLOCK);
	memset(&is, 0, sizeof is);
	is.s.argsz = sizeof(struct vfio_irq_set) + 4;
	is.s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	is.s.index = VFIO_PCI_INTX_IRQ_INDEX;
	is.s.count = 1;
	is.fd[0] = efd;
	show("SET_IRQS INTx EVENTFD TRIGGER fd", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	printf("command register after INTx enable: 0x%04x\n", cfg_read(4, 2));
	is.s.argsz = sizeof(struct vfio_irq_set);
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	is.s.count = 1;
	show("SET_IRQS INTx DATA_NONE TRIGGER (loopback)", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	uint64_t cnt = 0;
	show("read(eventfd) after loopback", read(efd, &cnt, 8));
	printf("  eventfd count = %llu\n", (unsigned long long)cnt);
	/* after loopback INTx is masked (auto-mask); trigger again */
	show("SET_IRQS INTx DATA_NONE TRIGGER (loopback #2, still masked?)",
	     ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	cnt = 0;
	show("read(eventfd) after loopback #2", read(efd, &cnt, 8));
	printf("  eventfd count = %llu\n", (unsigned long long)cnt);
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK;
	show("SET_IRQS INTx UNMASK", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	show("SET_IRQS INTx DATA_NONE TRIGGER (loopback #3 after unmask)",
	     ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	cnt = 0;
	show("read(eventfd) after loopback #3", read(efd, &cnt, 8));
	printf("  eventfd count = %llu\n", (unsigned long long)cnt);
	{
		struct {
			struct vfio_irq_set s;
			uint8_t b[4];
		} bs;
		memset(&bs, 0, sizeof bs);
		bs.s.argsz = sizeof(struct vfio_irq_set) + 1;
		bs.s.flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_UNMASK;
		bs.s.index = 0;
		bs.s.count = 1;
		bs.b[0] = 1;
		show("SET_IRQS INTx BOOL UNMASK [1]", ioctl(dev, VFIO_DEVICE_SET_IRQS, &bs));
		bs.s.flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
		show("SET_IRQS INTx BOOL TRIGGER [1]", ioctl(dev, VFIO_DEVICE_SET_IRQS, &bs));
		cnt = 0;
		show("read(eventfd) after BOOL trigger", read(efd, &cnt, 8));
		printf("  eventfd count = %llu\n", (unsigned long long)cnt);
		bs.s.flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_UNMASK;
		show("SET_IRQS INTx BOOL UNMASK [1]", ioctl(dev, VFIO_DEVICE_SET_IRQS, &bs));
		bs.b[0] = 0;
		bs.s.flags = VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER;
		show("SET_IRQS INTx BOOL TRIGGER [0]", ioctl(dev, VFIO_DEVICE_SET_IRQS, &bs));
		cnt = 0;
		show("read(eventfd) after BOOL trigger [0]", read(efd, &cnt, 8));
	}
	/* MSI while INTx enabled */
	memset(&is, 0, sizeof is);
	is.s.argsz = sizeof(struct vfio_irq_set) + 4;
	is.s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	is.s.index = VFIO_PCI_MSI_IRQ_INDEX;
	is.s.count = 1;
	is.fd[0] = efd2;
	show("SET_IRQS MSI EVENTFD while INTx enabled", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.index = VFIO_PCI_INTX_IRQ_INDEX;
	is.fd[0] = efd2;
	show("SET_IRQS INTx EVENTFD again (swap fd) while INTx enabled",
	     ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.fd[0] = -1;
	show("SET_IRQS INTx EVENTFD fd=-1 (teardown trigger only)",
	     ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	is.s.count = 1;
	is.s.argsz = sizeof(struct vfio_irq_set);
	show("SET_IRQS INTx loopback after fd=-1", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.count = 0;
	show("SET_IRQS INTx DATA_NONE TRIGGER count=0 (disable)",
	     ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.count = 1;
	show("SET_IRQS INTx loopback after disable", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	printf("command register after INTx disable: 0x%04x\n", cfg_read(4, 2));
	/* MSI now */
	is.s.argsz = sizeof(struct vfio_irq_set) + 4;
	is.s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	is.s.index = VFIO_PCI_MSI_IRQ_INDEX;
	is.s.count = 1;
	is.fd[0] = efd2;
	show("SET_IRQS MSI EVENTFD count=1 (INTx off)", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	dump_cfg("with MSI enabled", 256);
	printf("command register with MSI: 0x%04x\n", cfg_read(4, 2));
	is.s.argsz = sizeof(struct vfio_irq_set);
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	is.s.count = 1;
	show("SET_IRQS MSI loopback", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	cnt = 0;
	show("read(msi eventfd)", read(efd2, &cnt, 8));
	printf("  eventfd count = %llu\n", (unsigned long long)cnt);
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK;
	show("SET_IRQS MSI MASK (enabled)", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.index = VFIO_PCI_INTX_IRQ_INDEX;
	is.s.argsz = sizeof(struct vfio_irq_set) + 4;
	is.s.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	is.fd[0] = efd;
	show("SET_IRQS INTx EVENTFD while MSI enabled", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.index = VFIO_PCI_MSI_IRQ_INDEX;
	is.s.count = 2;
	is.s.argsz = sizeof(struct vfio_irq_set) + 8;
	is.fd[1] = efd;
	show("SET_IRQS MSI EVENTFD count=2 (max 1)", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	is.s.index = VFIO_PCI_MSI_IRQ_INDEX;
	is.s.count = 0;
	is.s.argsz = sizeof(struct vfio_irq_set);
	is.s.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER;
	show("SET_IRQS MSI count=0 (disable)", ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
	snprintf(what, sizeof what, "done irq tests");
	puts(what);
	close(efd);
	close(efd2);
}

int main(void)
{
	char what[160];
	bind_vfio(BDF);
	int c = show("open /dev/vfio/vfio", open("/dev/vfio/vfio", O_RDWR));
	show("GET_API_VERSION", ioctl(c, VFIO_GET_API_VERSION));
	check_ext(c, "no group");
	show("VFIO_SET_IOMMU TYPE1v2 with no group", ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	show("container unknown ioctl VFIO_BASE+50 before SET_IOMMU",
	     ioctl(c, _IO(VFIO_TYPE, VFIO_BASE + 50)));
	show("container IOMMU_GET_INFO before SET_IOMMU", ioctl(c, VFIO_IOMMU_GET_INFO, buf));
	int g = show("open /dev/vfio/1", open("/dev/vfio/1", O_RDWR));
	show("second open /dev/vfio/1", open("/dev/vfio/1", O_RDWR));
	{
		struct vfio_group_status st = { .argsz = sizeof st };
		show("GROUP_GET_STATUS", ioctl(g, VFIO_GROUP_GET_STATUS, &st));
		printf("  flags=0x%x\n", st.flags);
		st.argsz = 4;
		st.flags = 0xdead;
		show("GROUP_GET_STATUS argsz=4", ioctl(g, VFIO_GROUP_GET_STATUS, &st));
		st.argsz = 64;
		show("GROUP_GET_STATUS argsz=64", ioctl(g, VFIO_GROUP_GET_STATUS, &st));
	}
	show("GET_DEVICE_FD before SET_CONTAINER", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF));
	show("UNSET_CONTAINER with none", ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	{
		int m1 = -1;
		show("SET_CONTAINER fd=-1", ioctl(g, VFIO_GROUP_SET_CONTAINER, &m1));
		int e = eventfd(0, 0);
		show("SET_CONTAINER eventfd", ioctl(g, VFIO_GROUP_SET_CONTAINER, &e));
		close(e);
	}
	show("SET_CONTAINER", ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	show("SET_CONTAINER twice (same container)", ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	{
		int c2 = open("/dev/vfio/vfio", O_RDWR);
		show("SET_CONTAINER twice (other container)",
		     ioctl(g, VFIO_GROUP_SET_CONTAINER, &c2));
		close(c2);
	}
	{
		struct vfio_group_status st = { .argsz = sizeof st };
		show("GROUP_GET_STATUS", ioctl(g, VFIO_GROUP_GET_STATUS, &st));
		printf("  flags=0x%x\n", st.flags);
	}
	check_ext(c, "group set, no iommu");
	show("GET_DEVICE_FD before SET_IOMMU", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF));
	show("container unknown ioctl VFIO_BASE+50 group set, before SET_IOMMU",
	     ioctl(c, _IO(VFIO_TYPE, VFIO_BASE + 50)));
	show("SET_IOMMU 99", ioctl(c, VFIO_SET_IOMMU, 99));
	show("SET_IOMMU 0", ioctl(c, VFIO_SET_IOMMU, 0));
	show("SET_IOMMU 8 (NOIOMMU)", ioctl(c, VFIO_SET_IOMMU, 8));
	show("SET_IOMMU 2 (SPAPR)", ioctl(c, VFIO_SET_IOMMU, 2));
	show("SET_IOMMU TYPE1v2", ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	show("SET_IOMMU TYPE1v2 twice", ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	show("SET_IOMMU TYPE1 after TYPE1v2", ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	check_ext(c, "after SET_IOMMU(TYPE1v2)");
	show("GET_API_VERSION after SET_IOMMU", ioctl(c, VFIO_GET_API_VERSION));
	show("container unknown ioctl VFIO_BASE+50 after SET_IOMMU",
	     ioctl(c, _IO(VFIO_TYPE, VFIO_BASE + 50)));
	show("container unknown ioctl type 'x' after SET_IOMMU", ioctl(c, _IO('x', 1)));
	{
		struct vfio_group_status st = { .argsz = sizeof st };
		show("GROUP_GET_STATUS", ioctl(g, VFIO_GROUP_GET_STATUS, &st));
		printf("  flags=0x%x\n", st.flags);
	}
	raw_ioctl("IOMMU_GET_INFO argsz=16", c, VFIO_IOMMU_GET_INFO, 16, 0, 0);
	raw_ioctl("IOMMU_GET_INFO argsz=24", c, VFIO_IOMMU_GET_INFO, 24, 0, 0);
	raw_ioctl("IOMMU_GET_INFO argsz=256", c, VFIO_IOMMU_GET_INFO, 256, 0, 0);
	raw_ioctl("IOMMU_GET_INFO argsz=12", c, VFIO_IOMMU_GET_INFO, 12, 0, 0);
	raw_ioctl("IOMMU_GET_INFO argsz=32", c, VFIO_IOMMU_GET_INFO, 32, 0, 0);

	show("GET_DEVICE_FD unknown name", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:00:09.0"));
	show("GET_DEVICE_FD empty name", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, ""));
	dev = show("GET_DEVICE_FD " BDF, ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF));
	int dev2 =
		show("GET_DEVICE_FD " BDF " second time", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF));
	if (dev2 >= 0)
		close(dev2);
	show("UNSET_CONTAINER while device fd open", ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	raw_ioctl("DEVICE_GET_INFO argsz=16", dev, VFIO_DEVICE_GET_INFO, 16, 0, 0);
	raw_ioctl("DEVICE_GET_INFO argsz=24", dev, VFIO_DEVICE_GET_INFO, 24, 0, 0);
	raw_ioctl("DEVICE_GET_INFO argsz=64", dev, VFIO_DEVICE_GET_INFO, 64, 0, 0);
	raw_ioctl("DEVICE_GET_INFO argsz=12", dev, VFIO_DEVICE_GET_INFO, 12, 0, 0);
	for (int i = 0; i <= 9; i++) {
		snprintf(what, sizeof what, "GET_REGION_INFO index=%d argsz=32", i);
		raw_ioctl(what, dev, VFIO_DEVICE_GET_REGION_INFO, 32, i, 1);
		snprintf(what, sizeof what, "GET_REGION_INFO index=%d argsz=256", i);
		raw_ioctl(what, dev, VFIO_DEVICE_GET_REGION_INFO, 256, i, 1);
	}
	raw_ioctl("GET_REGION_INFO index=100 argsz=32", dev, VFIO_DEVICE_GET_REGION_INFO, 32, 100,
		  1);
	raw_ioctl("GET_REGION_INFO index=0 argsz=16", dev, VFIO_DEVICE_GET_REGION_INFO, 16, 0, 1);
	for (int i = 0; i <= 5; i++) {
		snprintf(what, sizeof what, "GET_IRQ_INFO index=%d argsz=16", i);
		raw_ioctl(what, dev, VFIO_DEVICE_GET_IRQ_INFO, 16, i, 1);
	}
	raw_ioctl("GET_IRQ_INFO index=0 argsz=12", dev, VFIO_DEVICE_GET_IRQ_INFO, 12, 0, 1);
	raw_ioctl("GET_IRQ_INFO index=0 argsz=64", dev, VFIO_DEVICE_GET_IRQ_INFO, 64, 0, 1);

	cfg_off = (uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40;
	dump_cfg("initial (fresh open)", 256);
	dump_cfg("read 4096 bytes", 4096);
	{
		uint32_t v = 0x11111111;
		show("pread config offset 256 len 4", pread(dev, &v, 4, cfg_off + 256));
		show("pread config offset 252 len 8", pread(dev, buf, 8, cfg_off + 252));
		hexdump(buf, 8, 0);
		show("pread config offset 255 len 1", pread(dev, &v, 1, cfg_off + 255));
		show("pread config offset 4095 len 1", pread(dev, &v, 1, cfg_off + 4095));
		show("pread config offset 4096 len 1", pread(dev, &v, 1, cfg_off + 4096));
		show("pread config offset 1 len 2 (unaligned)", pread(dev, &v, 2, cfg_off + 1));
		show("pread config offset 2 len 4 (unaligned)", pread(dev, &v, 4, cfg_off + 2));
		show("pread config offset 0 len 3", pread(dev, &v, 3, cfg_off));
		show("pread config offset 0 len 8", pread(dev, buf, 8, cfg_off));
		hexdump(buf, 8, 0);
		show("pread config offset 0 len 64", pread(dev, buf, 64, cfg_off));
		hexdump(buf, 64, 0);
		v = 0;
		show("pread BAR0 offset 0 len 4", pread(dev, &v, 4, 0));
		printf("  BAR0[0] = 0x%08x\n", v);
		show("pread BAR0 offset 4 len 4", pread(dev, &v, 4, 4));
		printf("  BAR0[4] = 0x%08x\n", v);
		show("pread BAR0 offset 0x100000 len 4 (past end)", pread(dev, &v, 4, 0x100000));
		show("pread BAR0 offset 0xffffc len 8 (straddles end)",
		     pread(dev, buf, 8, 0xffffc));
		show("pread BAR1 offset 0 len 4", pread(dev, &v, 4, 1ULL << 40));
		show("pread ROM offset 0 len 4", pread(dev, &v, 4, 6ULL << 40));
		show("pread VGA index 8 offset 0 len 4", pread(dev, &v, 4, 8ULL << 40));
		show("pread region 9 offset 0 len 4", pread(dev, &v, 4, 9ULL << 40));
		show("pread region 100 offset 0 len 4", pread(dev, &v, 4, 100ULL << 40));
	}
	printf("command register initial: 0x%04x status: 0x%04x\n", cfg_read(4, 2), cfg_read(6, 2));
	cfg_write(4, 2, 0x0006);
	printf("command after write 0x0006: 0x%04x\n", cfg_read(4, 2));
	cfg_write(4, 2, 0xffff);
	printf("command after write 0xffff: 0x%04x\n", cfg_read(4, 2));
	cfg_write(4, 2, 0x0000);
	printf("command after write 0x0000: 0x%04x\n", cfg_read(4, 2));
	cfg_write(4, 2, 0x0006);
	bar_sizing();
	{
		/* write to various fields: vendor id, interrupt line, latency, cache line, status */
		cfg_write(0, 4, 0xffffffff);
		printf("after write ffffffff to 0x00: 0x%08x\n", cfg_read(0, 4));
		cfg_write(0x3c, 1, 0x55);
		printf("after write 0x55 to INTLINE: 0x%02x\n", cfg_read(0x3c, 1));
		cfg_write(0x3d, 1, 0x04);
		printf("after write 0x04 to INTPIN: 0x%02x\n", cfg_read(0x3d, 1));
		cfg_write(0x0c, 1, 0x10);
		printf("after write 0x10 to CACHELINE: 0x%02x\n", cfg_read(0x0c, 1));
		cfg_write(0x0d, 1, 0x40);
		printf("after write 0x40 to LATENCY: 0x%02x\n", cfg_read(0x0d, 1));
		cfg_write(0x06, 2, 0xffff);
		printf("after write ffff to STATUS: 0x%04x\n", cfg_read(6, 2));
		cfg_write(0x42, 2, 0xffff);
		printf("after write ffff to MSI ctrl (0x42): 0x%04x\n", cfg_read(0x42, 2));
		cfg_write(0x42, 2, 0x0000);
		cfg_write(0x44, 4, 0xffffffff);
		printf("after write ffffffff to MSI addr (0x44): 0x%08x\n", cfg_read(0x44, 4));
		cfg_write(0x48, 4, 0xffffffff);
		printf("after write ffffffff to MSI addr hi (0x48): 0x%08x\n", cfg_read(0x48, 4));
		cfg_write(0x4c, 2, 0xffff);
		printf("after write ffff to MSI data (0x4c): 0x%04x\n", cfg_read(0x4c, 2));
		cfg_write(0x80, 4, 0xffffffff);
		printf("after write ffffffff to 0x80 (unused): 0x%08x\n", cfg_read(0x80, 4));
		show("pwrite config offset 256 len 4", pwrite(dev, buf, 4, cfg_off + 256));
		dump_cfg("after field writes", 256);
	}
	printf("command before reset: 0x%04x\n", cfg_read(4, 2));
	show("VFIO_DEVICE_RESET", ioctl(dev, VFIO_DEVICE_RESET));
	dump_cfg("after DEVICE_RESET", 256);
	raw_ioctl("GET_PCI_HOT_RESET_INFO argsz=12", dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, 12, 0,
		  0);
	raw_ioctl("GET_PCI_HOT_RESET_INFO argsz=16", dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, 16, 0,
		  0);
	raw_ioctl("GET_PCI_HOT_RESET_INFO argsz=256", dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, 256,
		  0, 0);
	{
		struct {
			struct vfio_pci_hot_reset r;
			int32_t fds[1];
		} hr = { .r = { .argsz = sizeof hr, .count = 1 }, .fds = { g } };
		show("PCI_HOT_RESET with group fd", ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &hr));
	}
	irq_tests();
	show("device unknown ioctl VFIO_BASE+50", ioctl(dev, _IO(VFIO_TYPE, VFIO_BASE + 50)));
	show("group unknown ioctl VFIO_BASE+50", ioctl(g, _IO(VFIO_TYPE, VFIO_BASE + 50)));
	dump_cfg("final", 256);
	close(dev);
	show("UNSET_CONTAINER after device close", ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	{
		struct vfio_group_status st = { .argsz = sizeof st };
		show("GROUP_GET_STATUS", ioctl(g, VFIO_GROUP_GET_STATUS, &st));
		printf("  flags=0x%x\n", st.flags);
	}
	check_ext(c, "after UNSET_CONTAINER (container now empty)");
	show("container IOMMU_GET_INFO after group unset", ioctl(c, VFIO_IOMMU_GET_INFO, buf));
	show("UNSET_CONTAINER again", ioctl(g, VFIO_GROUP_UNSET_CONTAINER));
	/* reopen to see config after close/reopen */
	show("SET_CONTAINER again", ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	show("SET_IOMMU TYPE1 (v1) on re-used container",
	     ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU));
	dev = show("GET_DEVICE_FD again", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF));
	dump_cfg("after reopen", 256);
	close(dev);
	close(g);
	close(c);
	return 0;
}

/* e1000e.c - QEMU 7.2's e1000e (8086:10d3, PCIe endpoint with MSI-X) at 00:05.0, added with
 * QEMU_EXTRA="-device e1000e,addr=05.0" (group 3; ICH9 moves to group 4). Dumps its sysfs
 * view, then through vfio-pci: device/region (with capabilities)/irq info, the virtual
 * config space, BAR reads over the MSI-X table and PBA, MSI-X enable/extend/de-assign/
 * disable with eventfds, a vector raised by the device itself (IVAR + IMS + ICS), the
 * virtual and raw MSI-X capability around it, MSI through the device, ERR trigger and
 * loopback. Buffers are pre-filled with 0xa5 so untouched bytes are visible. */
#include "common.h"
#include <poll.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#define BDF "0000:00:05.0"
#define SYS "/sys/bus/pci/devices/" BDF
static unsigned char buf[4096];
static int dev;
static const uint64_t cfg_off = (uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40;
static uint32_t msix_cap, msix_bar = 0xff, msix_table, msix_pba;

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
static void sysfs_config(const char *when)
{
	unsigned char c[4096];
	int fd = open(SYS "/config", O_RDONLY);
	ssize_t n = pread(fd, c, sizeof c, 0);
	close(fd);
	printf("sysfs config %s: %zd bytes\n", when, n);
	if (n > 0)
		hexdump(c, n, 0);
}
static uint32_t bar_rd(int bar, uint64_t off)
{
	uint32_t v = 0xdeadbeef;
	ssize_t r = pread(dev, &v, 4, ((uint64_t)bar << 40) + off);
	if (r != 4)
		printf("  bar_rd(%d,0x%llx) -> %zd errno=%s\n", bar, (unsigned long long)off, r,
		       strerrorname_np(errno));
	return v;
}
static void bar_wr(int bar, uint64_t off, uint32_t v)
{
	ssize_t r = pwrite(dev, &v, 4, ((uint64_t)bar << 40) + off);
	if (r != 4)
		printf("  bar_wr(%d,0x%llx) -> %zd errno=%s\n", bar, (unsigned long long)off, r,
		       strerrorname_np(errno));
}
static void ev_state(const char *what, int *efd, int n)
{
	printf("%s:", what);
	for (int i = 0; i < n; i++) {
		uint64_t cnt = 0;
		if (efd[i] < 0) {
			printf(" [%d]=-", i);
			continue;
		}
		if (read(efd[i], &cnt, 8) == 8)
			printf(" [%d]=%llu", i, (unsigned long long)cnt);
		else
			printf(" [%d]=%s", i, strerrorname_np(errno));
	}
	printf("\n");
}
static long set_irqs(const char *what, uint32_t index, uint32_t flags, uint32_t start,
		     uint32_t count, const int32_t *fds)
{
	struct {
		struct vfio_irq_set s;
		int32_t fd[16];
	} is;
	memset(&is, 0, sizeof is);
	is.s.flags = flags;
	is.s.index = index;
	is.s.start = start;
	is.s.count = count;
	is.s.argsz = sizeof(struct vfio_irq_set);
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		memcpy(is.fd, fds, count * 4);
		is.s.argsz += count * 4;
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		memcpy(is.fd, fds, count); /* bytes */
		is.s.argsz += count;
	}
	return show(what, ioctl(dev, VFIO_DEVICE_SET_IRQS, &is));
}
static void show_msix_cap(const char *when)
{
	printf("MSI-X cap via VFIO %s: ctrl=0x%04x table=0x%08x pba=0x%08x\n", when,
	       cfg_read(msix_cap + 2, 2), cfg_read(msix_cap + 4, 4), cfg_read(msix_cap + 8, 4));
}
static void sysfs_msix(const char *when)
{
	unsigned char c[256];
	int fd = open(SYS "/config", O_RDONLY);
	pread(fd, c, sizeof c, 0);
	close(fd);
	printf("raw (sysfs) %s: command=0x%04x msix ctrl=0x%02x%02x\n", when, c[5] << 8 | c[4],
	       c[msix_cap + 3], c[msix_cap + 2]);
	cat_file(SYS "/irq");
	list_dir(SYS "/msi_irqs");
}
static void table_reads(const char *when)
{
	printf("BAR%u reads %s:\n", msix_bar, when);
	for (uint32_t o = 0; o < 0x60; o += 4)
		printf("  table+0x%02x: 0x%08x\n", o, bar_rd(msix_bar, msix_table + o));
	for (uint32_t o = 0; o < 0x10; o += 4)
		printf("  pba+0x%02x: 0x%08x\n", o, bar_rd(msix_bar, msix_pba + o));
	printf("  0x1000: 0x%08x 0x3ffc: 0x%08x\n", bar_rd(msix_bar, 0x1000),
	       bar_rd(msix_bar, 0x3ffc));
	{
		uint8_t b = 0;
		uint16_t w = 0;
		uint64_t q = 0;
		show("  pread 1 byte table+0",
		     pread(dev, &b, 1, ((uint64_t)msix_bar << 40) + msix_table));
		printf("    = 0x%02x\n", b);
		show("  pread 2 bytes table+2",
		     pread(dev, &w, 2, ((uint64_t)msix_bar << 40) + msix_table + 2));
		printf("    = 0x%04x\n", w);
		show("  pread 8 bytes table+8",
		     pread(dev, &q, 8, ((uint64_t)msix_bar << 40) + msix_table + 8));
		printf("    = 0x%016llx\n", (unsigned long long)q);
		unsigned char big[0x100];
		memset(big, 0x5a, sizeof big);
		show("  pread 0x100 bytes table+0",
		     pread(dev, big, sizeof big, ((uint64_t)msix_bar << 40) + msix_table));
		hexdump(big, sizeof big, 0);
	}
}

static void device_fire(const char *what, uint32_t ics, int *efd, int n)
{
	bar_wr(0, 0xc8, ics); /* ICS */
	usleep(100000);
	ev_state(what, efd, n);
	printf("  ICR(peek via ICS)=0x%08x\n", bar_rd(0, 0xc8));
}

int main(void)
{
	char what[200];
	printf("== sysfs (unbound) ==\n");
	printf("driver=%s iommu_group=%s\n", drv_of(BDF), group_of(BDF));
	sysfs_config("unbound");
	cat_file(SYS "/resource");
	cat_file(SYS "/irq");
	cat_file(SYS "/class");
	cat_file(SYS "/revision");
	cat_file(SYS "/subsystem_vendor");
	cat_file(SYS "/subsystem_device");
	cat_file(SYS "/reset_method");
	cat_file(SYS "/power_state");
	cat_file(SYS "/current_link_speed");
	cat_file(SYS "/current_link_width");
	cat_file(SYS "/max_link_speed");
	cat_file(SYS "/max_link_width");
	list_dir(SYS);
	list_dir("/sys/kernel/iommu_groups");
	for (int i = 0; i <= 4; i++) {
		snprintf(what, sizeof what, "/sys/kernel/iommu_groups/%d/devices", i);
		list_dir(what);
	}
	cat_file("/sys/kernel/iommu_groups/3/reserved_regions");

	printf("\n== vfio-pci ==\n");
	bind_vfio(BDF);
	cat_file(SYS "/irq");
	cat_file(SYS "/reset_method");
	snprintf(what, sizeof what, "/dev/vfio/%s", group_of(BDF));
	int c = show("open /dev/vfio/vfio", open("/dev/vfio/vfio", O_RDWR));
	int g = show(what, open(what, O_RDWR));
	show("SET_CONTAINER", ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	show("SET_IOMMU TYPE1v2", ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	dev = show("GET_DEVICE_FD", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF));
	if (dev < 0)
		return 1;
	cat_file(SYS "/irq");
	cat_file(SYS "/enable");
	raw_ioctl("DEVICE_GET_INFO argsz=24", dev, VFIO_DEVICE_GET_INFO, 24, 0, 0);
	for (int i = 0; i <= 9; i++) {
		snprintf(what, sizeof what, "GET_REGION_INFO index=%d argsz=32", i);
		raw_ioctl(what, dev, VFIO_DEVICE_GET_REGION_INFO, 32, i, 1);
		snprintf(what, sizeof what, "GET_REGION_INFO index=%d argsz=256", i);
		raw_ioctl(what, dev, VFIO_DEVICE_GET_REGION_INFO, 256, i, 1);
	}
	for (int i = 0; i <= 5; i++) {
		snprintf(what, sizeof what, "GET_IRQ_INFO index=%d argsz=16", i);
		raw_ioctl(what, dev, VFIO_DEVICE_GET_IRQ_INFO, 16, i, 1);
	}
	dump_cfg("initial (fresh open), 4096", 4096);
	/* find MSI-X and MSI */
	uint32_t msi_cap = 0;
	for (uint32_t p = cfg_read(0x34, 1); p; p = cfg_read(p + 1, 1)) {
		uint32_t id = cfg_read(p, 1);
		printf("cap 0x%02x id 0x%02x\n", p, id);
		if (id == 0x11)
			msix_cap = p;
		if (id == 0x05)
			msi_cap = p;
	}
	for (uint32_t p = 0x100; p;) {
		uint32_t h = cfg_read(p, 4);
		printf("ext cap 0x%03x header 0x%08x\n", p, h);
		p = h >> 20;
	}
	if (!msix_cap) {
		printf("no MSI-X\n");
		return 1;
	}
	uint32_t t = cfg_read(msix_cap + 4, 4), pb = cfg_read(msix_cap + 8, 4);
	msix_bar = t & 7;
	msix_table = t & ~7u;
	msix_pba = pb & ~7u;
	printf("MSI-X: bar %u table 0x%x pba bar %u 0x%x qsize %u\n", msix_bar, msix_table, pb & 7,
	       msix_pba, (cfg_read(msix_cap + 2, 2) & 0x7ff) + 1);
	show_msix_cap("initial");
	/* config writes to the MSI-X capability */
	cfg_write(msix_cap + 2, 2, 0xffff);
	show_msix_cap("after ctrl write 0xffff");
	cfg_write(msix_cap + 2, 2, 0x0000);
	cfg_write(msix_cap + 4, 4, 0xffffffff);
	cfg_write(msix_cap + 8, 4, 0xffffffff);
	show_msix_cap("after table/pba write ffffffff");
	dump_cfg("after field writes, 256", 256);

	printf("command 0x%04x\n", cfg_read(4, 2));
	table_reads("MSI-X disabled");
	bar_wr(msix_bar, msix_table + 0, 0x12345678);
	bar_wr(msix_bar, msix_table + 12, 0);
	printf("after writes to the table: table+0 0x%08x table+12 0x%08x\n",
	       bar_rd(msix_bar, msix_table), bar_rd(msix_bar, msix_table + 12));
	{
		struct vfio_region_info ri = { .argsz = sizeof ri, .index = msix_bar };
		ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri);
		void *m = mmap(NULL, ri.size, PROT_READ | PROT_WRITE, MAP_SHARED, dev, ri.offset);
		printf("mmap whole BAR%u (0x%llx): %s\n", msix_bar, (unsigned long long)ri.size,
		       m == MAP_FAILED ? strerrorname_np(errno) : "ok");
		if (m != MAP_FAILED) {
			volatile uint32_t *p = m;
			printf("  via mmap table[0]: %08x %08x %08x %08x\n", p[0], p[1], p[2],
			       p[3]);
			munmap(m, ri.size);
		}
		void *m2 = mmap(NULL, 4096, PROT_READ, MAP_SHARED, dev, ri.offset + 0x3000);
		printf("mmap BAR%u last page: %s\n", msix_bar,
		       m2 == MAP_FAILED ? strerrorname_np(errno) : "ok");
		if (m2 != MAP_FAILED)
			munmap(m2, 4096);
	}

	printf("\n== SET_IRQS MSI-X ==\n");
	int efd[8];
	for (int i = 0; i < 8; i++)
		efd[i] = eventfd(0, EFD_NONBLOCK);
	set_irqs("MSIX MASK DATA_NONE count=1 (not enabled)", VFIO_PCI_MSIX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, 0, 1, NULL);
	set_irqs("MSIX TRIGGER DATA_NONE count=1 (not enabled)", VFIO_PCI_MSIX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, NULL);
	set_irqs("MSIX TRIGGER DATA_NONE count=0 (disable, not enabled)", VFIO_PCI_MSIX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	set_irqs("MSIX EVENTFD count=6 (>5)", VFIO_PCI_MSIX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 6, efd);
	set_irqs("MSIX EVENTFD start=4 count=2", VFIO_PCI_MSIX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 4, 2, efd);
	set_irqs("MSIX EVENTFD count=3", VFIO_PCI_MSIX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 3, efd);
	show_msix_cap("after enable(3)");
	sysfs_msix("after enable(3)");
	sysfs_config("with MSI-X enabled (3)");
	table_reads("MSI-X enabled (3)");
	{
		struct vfio_region_info ri = { .argsz = sizeof ri, .index = msix_bar };
		ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &ri);
		void *m = mmap(NULL, ri.size, PROT_READ, MAP_SHARED, dev, ri.offset);
		if (m != MAP_FAILED) {
			volatile uint32_t *p = m;
			printf("real table via mmap:\n");
			for (int v = 0; v < 5; v++)
				printf("  entry %d: %08x %08x %08x %08x\n", v, p[v * 4],
				       p[v * 4 + 1], p[v * 4 + 2], p[v * 4 + 3]);
			printf("  pba: %08x\n", p[msix_pba / 4]);
			munmap(m, ri.size);
		}
	}
	raw_ioctl("GET_IRQ_INFO MSIX while enabled", dev, VFIO_DEVICE_GET_IRQ_INFO, 16,
		  VFIO_PCI_MSIX_IRQ_INDEX, 1);
	{
		uint8_t b[8] = { 1, 1, 1, 1, 1, 1, 1, 1 };
		set_irqs("MSIX loopback DATA_NONE start=0 count=3", VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 3, NULL);
		ev_state("eventfds", efd, 5);
		set_irqs("MSIX loopback DATA_NONE start=1 count=1", VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 1, 1, NULL);
		ev_state("eventfds", efd, 5);
		b[0] = 0;
		b[1] = 1;
		set_irqs("MSIX BOOL [0,1] start=1", VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, 1, 2, (int32_t *)b);
		ev_state("eventfds", efd, 5);
		set_irqs("MSIX loopback DATA_NONE start=2 count=2 (past enabled)",
			 VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 2, 2, NULL);
		ev_state("eventfds", efd, 5);
		set_irqs("MSIX loopback DATA_NONE start=4 count=1 (past enabled)",
			 VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 4, 1, NULL);
		set_irqs("MSIX loopback start=5 count=1 (past max)", VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 5, 1, NULL);
		set_irqs("MSIX MASK DATA_NONE (enabled)", VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, 0, 1, NULL);
		set_irqs("MSIX UNMASK DATA_NONE (enabled)", VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, NULL);
	}
	set_irqs("MSI EVENTFD count=1 while MSI-X enabled", VFIO_PCI_MSI_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd[7]);
	set_irqs("INTx EVENTFD while MSI-X enabled", VFIO_PCI_INTX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd[7]);
	{
		int32_t m1 = -1;
		set_irqs("MSIX EVENTFD start=1 count=1 fd=-1 (de-assign)", VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1, 1, &m1);
		set_irqs("MSIX loopback start=0 count=3", VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 3, NULL);
		ev_state("eventfds", efd, 5);
		set_irqs("MSIX EVENTFD start=1 count=1 fd=efd[1] (re-assign)",
			 VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1, 1, &efd[1]);
		set_irqs("MSIX EVENTFD start=3 count=2 (extend while enabled)",
			 VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 3, 2, &efd[3]);
		show_msix_cap("after extend");
		sysfs_msix("after extend");
		raw_ioctl("GET_IRQ_INFO MSIX after extend", dev, VFIO_DEVICE_GET_IRQ_INFO, 16,
			  VFIO_PCI_MSIX_IRQ_INDEX, 1);
		set_irqs("MSIX loopback start=0 count=5", VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 5, NULL);
		ev_state("eventfds", efd, 5);
		int32_t bad = g;
		set_irqs("MSIX EVENTFD start=0 fd=group fd", VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &bad);
		set_irqs("MSIX loopback start=0 count=1 (after bad fd)", VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, NULL);
		ev_state("eventfds", efd, 5);
		set_irqs("MSIX EVENTFD start=0 count=1 fd=efd[0] (restore)",
			 VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd[0]);
	}

	printf("\n== device-raised MSI-X ==\n");
	cfg_write(4, 2, cfg_read(4, 2) | 0x6); /* memory + bus master */
	printf("command 0x%04x\n", cfg_read(4, 2));
	printf("CTRL 0x%08x STATUS 0x%08x IVAR 0x%08x IMS 0x%08x\n", bar_rd(0, 0), bar_rd(0, 8),
	       bar_rd(0, 0xe4), bar_rd(0, 0xd0));
	bar_wr(0, 0xe4, 0x800cba98); /* IVAR: RXQ0->0 RXQ1->1 TXQ0->2 TXQ1->3 OTHER->4, all valid */
	printf("IVAR after write 0x%08x\n", bar_rd(0, 0xe4));
	bar_wr(0, 0xd0, 0x01f00004); /* IMS: queues, OTHER, LSC */
	printf("IMS after write 0x%08x\n", bar_rd(0, 0xd0));
	ev_state("eventfds before", efd, 5);
	device_fire("ICS RXQ1 (0x00200000)", 0x00200000, efd, 5);
	device_fire("ICS RXQ1 again (ICR not cleared)", 0x00200000, efd, 5);
	printf("ICR read 0x%08x\n", bar_rd(0, 0xc0));
	printf("ICR read again 0x%08x\n", bar_rd(0, 0xc0));
	bar_wr(0, 0xc0, 0xffffffff);
	printf("ICR after W1C 0x%08x\n", bar_rd(0, 0xc0));
	device_fire("ICS RXQ1 after ICR clear", 0x00200000, efd, 5);
	bar_wr(0, 0xc0, 0xffffffff);
	device_fire("ICS LSC (0x4) -> OTHER", 0x4, efd, 5);
	bar_wr(0, 0xc0, 0xffffffff);
	device_fire("ICS TXQ0|TXQ1 (0x00c00000)", 0x00c00000, efd, 5);
	bar_wr(0, 0xc0, 0xffffffff);
	{
		int32_t m1 = -1;
		set_irqs("MSIX fd=-1 on vector 2", VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 2, 1, &m1);
		device_fire("ICS TXQ0 with vector 2 de-assigned", 0x00400000, efd, 5);
		bar_wr(0, 0xc0, 0xffffffff);
		sysfs_msix("after de-assign of 2");
	}
	/* function mask through config region */
	cfg_write(msix_cap + 2, 2, 0x4000);
	show_msix_cap("after writing function mask through VFIO");
	sysfs_msix("after writing function mask through VFIO");
	device_fire("ICS RXQ0 with function mask written", 0x00100000, efd, 5);
	bar_wr(0, 0xc0, 0xffffffff);
	cfg_write(msix_cap + 2, 2, 0x0000);

	set_irqs("MSIX count=0 (disable)", VFIO_PCI_MSIX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	show_msix_cap("after disable");
	sysfs_msix("after disable");
	set_irqs("MSIX count=0 (disable again)", VFIO_PCI_MSIX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	set_irqs("MSIX loopback after disable", VFIO_PCI_MSIX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, NULL);
	device_fire("ICS RXQ0 with MSI-X disabled (no INTx trigger)", 0x00100000, efd, 5);
	bar_wr(0, 0xc0, 0xffffffff);
	bar_wr(0, 0xd8, 0xffffffff); /* IMC */
	set_irqs("MSIX EVENTFD start=2 count=2 (enable at start 2)", VFIO_PCI_MSIX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 2, 2, &efd[2]);
	sysfs_msix("after enable start=2 count=2");
	set_irqs("MSIX loopback start=0 count=4", VFIO_PCI_MSIX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 4, NULL);
	ev_state("eventfds", efd, 5);
	set_irqs("MSIX count=0 (disable)", VFIO_PCI_MSIX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);

	printf("\n== MSI through the device ==\n");
	if (msi_cap) {
		printf("MSI cap 0x%02x ctrl 0x%04x\n", msi_cap, cfg_read(msi_cap + 2, 2));
		set_irqs("MSI EVENTFD count=1", VFIO_PCI_MSI_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd[5]);
		set_irqs("MSIX EVENTFD count=1 while MSI enabled", VFIO_PCI_MSIX_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd[0]);
		bar_wr(0, 0xd0, 0x00000004);
		device_fire("ICS LSC with MSI", 0x4, &efd[5], 1);
		printf("ICR read 0x%08x\n", bar_rd(0, 0xc0));
		printf("ICR read again 0x%08x\n", bar_rd(0, 0xc0));
		device_fire("ICS LSC with MSI (after ICR read)", 0x4, &efd[5], 1);
		bar_rd(0, 0xc0);
		bar_wr(0, 0xd8, 0xffffffff);
		set_irqs("MSI count=0 (disable)", VFIO_PCI_MSI_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	}

	printf("\n== INTx through the device ==\n");
	set_irqs("INTx EVENTFD", VFIO_PCI_INTX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd[6]);
	bar_wr(0, 0xd0, 0x00000004);
	device_fire("ICS LSC with INTx", 0x4, &efd[6], 1);
	printf("ICR read 0x%08x\n", bar_rd(0, 0xc0));
	set_irqs("INTx UNMASK", VFIO_PCI_INTX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, NULL);
	usleep(100000);
	ev_state("after unmask", &efd[6], 1);
	bar_wr(0, 0xd8, 0xffffffff);
	set_irqs("INTx count=0 (disable)", VFIO_PCI_INTX_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);

	printf("\n== ERR ==\n");
	set_irqs("ERR loopback, none set", VFIO_PCI_ERR_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, NULL);
	set_irqs("ERR count=0 (disable, none set)", VFIO_PCI_ERR_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	set_irqs("ERR MASK", VFIO_PCI_ERR_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK, 0, 1, NULL);
	set_irqs("ERR UNMASK", VFIO_PCI_ERR_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, 0, 1, NULL);
	set_irqs("ERR count=2", VFIO_PCI_ERR_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 2, efd);
	set_irqs("ERR start=1", VFIO_PCI_ERR_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 1, 1, efd);
	set_irqs("ERR EVENTFD", VFIO_PCI_ERR_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd[7]);
	set_irqs("ERR loopback", VFIO_PCI_ERR_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, NULL);
	ev_state("err eventfd", &efd[7], 1);
	{
		uint8_t b[4] = { 0 };
		set_irqs("ERR BOOL [0]", VFIO_PCI_ERR_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, (int32_t *)b);
		ev_state("err eventfd", &efd[7], 1);
		b[0] = 1;
		set_irqs("ERR BOOL [1]", VFIO_PCI_ERR_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, (int32_t *)b);
		ev_state("err eventfd", &efd[7], 1);
	}
	{
		int32_t m1 = -1;
		set_irqs("ERR EVENTFD fd=-1", VFIO_PCI_ERR_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &m1);
		set_irqs("ERR loopback after fd=-1", VFIO_PCI_ERR_IRQ_INDEX,
			 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, NULL);
	}
	set_irqs("ERR EVENTFD again", VFIO_PCI_ERR_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, &efd[7]);
	set_irqs("ERR count=0 (disable)", VFIO_PCI_ERR_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 0, NULL);
	set_irqs("ERR loopback after disable", VFIO_PCI_ERR_IRQ_INDEX,
		 VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER, 0, 1, NULL);

	printf("\n== misc ==\n");
	show("VFIO_DEVICE_RESET", ioctl(dev, VFIO_DEVICE_RESET));
	raw_ioctl("GET_PCI_HOT_RESET_INFO argsz=256", dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, 256,
		  0, 0);
	{
		uint32_t v = 0;
		show("pread ROM offset 0", pread(dev, &v, 4, 6ULL << 40));
		printf("  ROM[0] = 0x%08x\n", v);
		for (int b = 0; b < 6; b++) {
			v = 0xdeadbeef;
			snprintf(what, sizeof what, "pread BAR%d offset 0 len 4", b);
			show(what, pread(dev, &v, 4, (uint64_t)b << 40));
			printf("  = 0x%08x\n", v);
		}
		printf("STATUS 0x%08x CTRL_EXT 0x%08x\n", bar_rd(0, 8), bar_rd(0, 0x18));
	}
	dump_cfg("final, 256", 256);
	close(dev);
	printf("\n== closed ==\n");
	sysfs_config("after close");
	cat_file(SYS "/irq");
	list_dir(SYS "/msi_irqs");
	close(g);
	close(c);
	return 0;
}

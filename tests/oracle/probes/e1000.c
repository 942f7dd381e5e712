/* e1000.c - the non-isolated group 2 (bridge 00:04.0 + e1000 01:01.0 + 01:02.0):
 * viability while the NICs are on e1000 / half moved / both on vfio-pci, then device
 * info, regions, irqs, virtualized config, BAR sizing, hot reset info and hot reset,
 * DEVICE_RESET; finally rebinding 01:02.0 to e1000 while 01:01.0 is open. */
#include "common.h"

#define A "0000:01:01.0"
#define B "0000:01:02.0"
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

static void status(int g)
{
	struct vfio_group_status st = { .argsz = sizeof st };
	if (show("GROUP_GET_STATUS", ioctl(g, VFIO_GROUP_GET_STATUS, &st)) == 0)
		printf("  flags=0x%x\n", st.flags);
}

static void state(void)
{
	printf("drivers: 00:04.0=%s 01:01.0=%s 01:02.0=%s\n", drv_of("0000:00:04.0"), drv_of(A),
	       drv_of(B));
	list_dir("/dev/vfio");
}

static uint64_t cfg_off = (uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40;
static uint32_t cfg_read(int dev, int off, int len)
{
	uint32_t v = 0;
	ssize_t r = pread(dev, &v, len, cfg_off + off);
	if (r != len)
		printf("  cfg_read(0x%x,%d) -> %zd errno=%s\n", off, len, r,
		       strerrorname_np(errno));
	return v;
}
static void cfg_write(int dev, int off, int len, uint32_t v)
{
	ssize_t r = pwrite(dev, &v, len, cfg_off + off);
	if (r != len)
		printf("  cfg_write(0x%x,%d) -> %zd errno=%s\n", off, len, r,
		       strerrorname_np(errno));
}
static void dump_cfg(int dev, const char *when)
{
	unsigned char c[256];
	ssize_t r = pread(dev, c, 256, cfg_off);
	printf("vfio config region %s: pread(256) ret=%zd\n", when, r);
	if (r > 0)
		hexdump(c, r, 0);
}

static void device_all(int g, const char *bdf)
{
	char what[160];
	printf("\n===== device %s =====\n", bdf);
	int dev = show("GET_DEVICE_FD", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, bdf));
	if (dev < 0)
		return;
	raw_ioctl("DEVICE_GET_INFO argsz=24", dev, VFIO_DEVICE_GET_INFO, 24, 0, 0);
	for (int i = 0; i <= 9; i++) {
		snprintf(what, sizeof what, "GET_REGION_INFO index=%d argsz=256", i);
		raw_ioctl(what, dev, VFIO_DEVICE_GET_REGION_INFO, 256, i, 1);
	}
	for (int i = 0; i <= 5; i++) {
		snprintf(what, sizeof what, "GET_IRQ_INFO index=%d argsz=16", i);
		raw_ioctl(what, dev, VFIO_DEVICE_GET_IRQ_INFO, 16, i, 1);
	}
	dump_cfg(dev, "initial");
	static const int offs[] = { 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x30 };
	for (int i = 0; i < 7; i++) {
		int o = offs[i];
		uint32_t orig = cfg_read(dev, o, 4);
		cfg_write(dev, o, 4, 0xffffffff);
		uint32_t sz = cfg_read(dev, o, 4);
		cfg_write(dev, o, 4, orig);
		uint32_t back = cfg_read(dev, o, 4);
		printf("BAR sizing 0x%02x: orig=0x%08x after_ffffffff=0x%08x restored=0x%08x\n", o,
		       orig, sz, back);
	}
	{
		uint32_t orig = cfg_read(dev, 0x30, 4);
		cfg_write(dev, 0x30, 4, 0xfffff801);
		printf("ROM write 0xfffff801 -> 0x%08x\n", cfg_read(dev, 0x30, 4));
		cfg_write(dev, 0x30, 4, orig);
		printf("ROM restored -> 0x%08x\n", cfg_read(dev, 0x30, 4));
	}
	printf("command initial: 0x%04x\n", cfg_read(dev, 4, 2));
	cfg_write(dev, 4, 2, 0x0006);
	printf("command after write 0x0006: 0x%04x\n", cfg_read(dev, 4, 2));
	cfg_write(dev, 4, 2, 0xffff);
	printf("command after write 0xffff: 0x%04x\n", cfg_read(dev, 4, 2));
	cfg_write(dev, 4, 2, 0x0007);
	{
		uint32_t v = 0;
		show("pread BAR0 offset 0 len 4 (CTRL)", pread(dev, &v, 4, 0));
		printf("  BAR0[0] = 0x%08x\n", v);
		show("pread BAR0 offset 8 len 4 (STATUS)", pread(dev, &v, 4, 8));
		printf("  BAR0[8] = 0x%08x\n", v);
		show("pread BAR1 (IO) offset 0 len 4", pread(dev, &v, 4, 1ULL << 40));
		printf("  BAR1[0] = 0x%08x\n", v);
		show("pread ROM offset 0 len 4", pread(dev, &v, 4, 6ULL << 40));
		printf("  ROM[0] = 0x%08x\n", v);
		show("pread ROM offset 0x3fffc len 4", pread(dev, &v, 4, (6ULL << 40) + 0x3fffc));
		show("pread ROM offset 0x40000 len 4", pread(dev, &v, 4, (6ULL << 40) + 0x40000));
		show("pwrite ROM offset 0 len 4", pwrite(dev, &v, 4, 6ULL << 40));
	}
	dump_cfg(dev, "after sizing/command");
	show("VFIO_DEVICE_RESET", ioctl(dev, VFIO_DEVICE_RESET));
	dump_cfg(dev, "after DEVICE_RESET");
	raw_ioctl("GET_PCI_HOT_RESET_INFO argsz=12", dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, 12, 0,
		  0);
	raw_ioctl("GET_PCI_HOT_RESET_INFO argsz=16", dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, 16, 0,
		  0);
	raw_ioctl("GET_PCI_HOT_RESET_INFO argsz=256", dev, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, 256,
		  0, 0);
	{
		struct {
			struct vfio_pci_hot_reset r;
			int32_t fds[2];
		} hr;
		memset(&hr, 0, sizeof hr);
		hr.r.argsz = sizeof(struct vfio_pci_hot_reset) + 4;
		hr.r.count = 1;
		hr.fds[0] = g;
		show("PCI_HOT_RESET with group fd", ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &hr));
		dump_cfg(dev, "after PCI_HOT_RESET");
		hr.r.count = 0;
		hr.r.argsz = sizeof(struct vfio_pci_hot_reset);
		show("PCI_HOT_RESET count=0 (empty)", ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &hr));
		hr.r.count = 1;
		hr.fds[0] = -1;
		hr.r.argsz = sizeof(struct vfio_pci_hot_reset) + 4;
		show("PCI_HOT_RESET fd=-1", ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &hr));
		hr.fds[0] = dev;
		show("PCI_HOT_RESET device fd in list", ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &hr));
		hr.r.flags = 1;
		hr.fds[0] = g;
		show("PCI_HOT_RESET flags=1", ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &hr));
		hr.r.flags = 0;
		hr.r.argsz = 12;
		show("PCI_HOT_RESET argsz=12", ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &hr));
	}
	close(dev);
}

int main(void)
{
	printf("##### phase 1: both e1000 on e1000\n");
	state();
	show("open /dev/vfio/2 (no vfio driver yet)", open("/dev/vfio/2", O_RDWR));
	int c = show("open /dev/vfio/vfio", open("/dev/vfio/vfio", O_RDWR));

	printf("\n##### phase 2: 01:01.0 on vfio-pci, 01:02.0 on e1000\n");
	bind_vfio(A);
	state();
	int g = show("open /dev/vfio/2", open("/dev/vfio/2", O_RDWR));
	status(g);
	show("SET_CONTAINER (not viable)", ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	show("GET_DEVICE_FD 01:01.0 (not viable)", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, A));

	printf("\n##### phase 2b: 01:02.0 unbound (no driver)\n");
	unbind_dev(B);
	state();
	status(g);

	printf("\n##### phase 3: both on vfio-pci\n");
	bind_vfio(B);
	state();
	status(g);
	show("SET_CONTAINER", ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	status(g);
	show("SET_IOMMU TYPE1v2", ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	status(g);
	show("GET_DEVICE_FD bridge 0000:00:04.0",
	     ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:00:04.0"));
	raw_ioctl("IOMMU_GET_INFO argsz=256", c, VFIO_IOMMU_GET_INFO, 256, 0, 0);
	device_all(g, A);
	device_all(g, B);

	printf("\n##### phase 4: both device fds open, hot reset from A listing group\n");
	int da = show("GET_DEVICE_FD A", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, A));
	int db = show("GET_DEVICE_FD B", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, B));
	{
		struct {
			struct vfio_pci_hot_reset r;
			int32_t fds[2];
		} hr;
		memset(&hr, 0, sizeof hr);
		hr.r.argsz = sizeof(struct vfio_pci_hot_reset) + 4;
		hr.r.count = 1;
		hr.fds[0] = g;
		show("PCI_HOT_RESET from A (both open) with group fd",
		     ioctl(da, VFIO_DEVICE_PCI_HOT_RESET, &hr));
		show("VFIO_DEVICE_RESET A (both open)", ioctl(da, VFIO_DEVICE_RESET));
		show("VFIO_DEVICE_RESET B (both open)", ioctl(db, VFIO_DEVICE_RESET));
	}
	close(db);

	printf("\n##### phase 5: 01:01.0 open, move 01:02.0 back to e1000\n");
	unbind_dev(B);
	state();
	status(g);
	{
		char p[PATH_MAX];
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/driver_override", B);
		wr(p, "\n");
		cat_file(p);
	}
	wr("/sys/bus/pci/drivers/e1000/bind", B);
	state();
	wr("/sys/bus/pci/drivers_probe", B);
	state();
	status(g);
	show("GET_DEVICE_FD B (no driver)", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, B));
	close(da);
	printf("closed A's device fd (group+container still attached)\n");
	wr("/sys/bus/pci/drivers/e1000/bind", B);
	state();
	close(g);
	printf("closed group fd\n");
	wr("/sys/bus/pci/drivers/e1000/bind", B);
	state();
	close(c);
	return 0;
}

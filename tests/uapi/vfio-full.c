// SPDX-License-Identifier: MIT
/*
 * vfio-full: the VFIO uAPI end to end, as an unmodified program sees it
 * (libc and <linux/vfio.h> only), on the default machine: edu at 00:03.0
 * (group 1) and the two e1000 at 01:01.0/01:02.0 behind the PCIe-to-PCI
 * bridge (group 2). Every expected value and errno is the one Linux 6.12
 * gave in the kernel lab (docs/kernel-facts.md, the oracle outputs in tests/oracle); the
 * in-process tests in tests/unit check the same through the core's API.
 *
 * It starts from the machine as booted (edu unbound, both NICs on e1000),
 * leaves edu bound to vfio-pci and the NICs back on e1000. TAP on stdout;
 * exit status 1 when any check failed.
 */
#include "common.h"

#include <stddef.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>

#define INTX VFIO_PCI_INTX_IRQ_INDEX
#define MSI VFIO_PCI_MSI_IRQ_INDEX
#define IOVA 0x100000ull

static const uint8_t edu_config[0x44] = {
	0x34, 0x12, 0xe8, 0x11, 0x03, 0x01, 0x10, 0x00, 0x10, 0x00, 0xff, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x80, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xf4, 0x1a, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x0b, 0x01, 0x00, 0x00, 0x05, 0x00, 0x80, 0x00,
};

/* e1000 01:01.0 as vfio-pci shows it at open (bus master cleared). */
static const uint8_t nic_a_config[0x40] = {
	0x86, 0x80, 0x0e, 0x10, 0x03, 0x01, 0x00, 0x00, 0x03, 0x00, 0x00, 0x02, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x68, 0xfe, 0x01, 0xc0, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0xf4, 0x1a, 0x00, 0x11, 0x00, 0x00, 0x60, 0xfe,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0a, 0x01, 0x00, 0x00,
};

/* IOMMU_GET_INFO with argsz 256, no mappings (kernel-facts §2). */
static const uint8_t iommu_info[120] = {
	0x00, 0x01, 0x00, 0x00, 0x03, 0x00, 0x00, 0x00, 0x00, 0x10, 0x20, 0x40, 0x00, 0x00, 0x00,
	0x00, 0x18, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x01, 0x00, 0x38, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x10, 0x00, 0x00, 0x00, 0x00, 0x03, 0x00, 0x01, 0x00,
	0x48, 0x00, 0x00, 0x00, 0xff, 0xff, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x01, 0x00, 0x01,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x02, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xdf, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0xf0, 0xfe, 0x00, 0x00, 0x00, 0x00, 0xff, 0xff, 0xff, 0xff, 0x7f, 0x00, 0x00, 0x00,
};

/* CHECK_EXTENSION 0..12, without a backend and with TYPE1v2 set. */
static const int ext_none[13] = { 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 0, 0, 0 };
static const int ext_v2[13] = { 0, 1, 0, 1, 0, 0, 1, 0, 0, 1, 1, 0, 0 };

struct region_want {
	int index;
	uint32_t flags;
	uint64_t size;
};

struct irq_want {
	int index, err;
	uint32_t flags, count;
};

/* The uAPI structs end in flexible arrays: these give them room. */
struct hot_reset_info {
	struct {
		uint32_t argsz, flags, count;
	} hdr;
	struct vfio_pci_dependent_device devices[8];
};

struct hot_reset {
	struct {
		uint32_t argsz, flags, count;
	} hdr;
	int32_t fds[4];
};

_Static_assert(offsetof(struct hot_reset_info, devices) ==
		       offsetof(struct vfio_pci_hot_reset_info, devices),
	       "hot reset info layout");
_Static_assert(offsetof(struct hot_reset, fds) == offsetof(struct vfio_pci_hot_reset, group_fds),
	       "hot reset layout");

static int check_extensions(int c, const int *want, const char *name)
{
	char got[64], exp[64];
	int n = 0, m = 0;

	for (int i = 0; i <= 12; i++) {
		n += snprintf(got + n, sizeof(got) - n, "%d", ioctl(c, VFIO_CHECK_EXTENSION, i));
		m += snprintf(exp + m, sizeof(exp) - m, "%d", want[i]);
	}
	return tap(!strcmp(got, exp), name, "got %s, want %s", got, exp);
}

static uint32_t group_flags(int g)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };

	if (ioctl(g, VFIO_GROUP_GET_STATUS, &st))
		return 0xdeadbeef;
	return st.flags;
}

static int set_irqs(int dev, uint32_t flags, uint32_t index, uint32_t start, uint32_t count,
		    const void *data, size_t len)
{
	char buf[sizeof(struct vfio_irq_set) + 64];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	s->argsz = (uint32_t)(sizeof(*s) + len);
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	if (len)
		memcpy(s->data, data, len);
	return ioctl(dev, VFIO_DEVICE_SET_IRQS, s);
}

static int irq_eventfd(int dev, uint32_t index, int32_t fd)
{
	return set_irqs(dev, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, index, 0, 1,
			&fd, sizeof(fd));
}

static int irq_none(int dev, uint32_t index, uint32_t action, uint32_t count)
{
	return set_irqs(dev, VFIO_IRQ_SET_DATA_NONE | action, index, 0, count, NULL, 0);
}

static int hot_reset(int dev, const int32_t *fds, uint32_t count)
{
	struct hot_reset r;

	memset(&r, 0, sizeof(r));
	r.hdr.argsz = (uint32_t)(sizeof(r.hdr) + count * sizeof(int32_t));
	r.hdr.count = count;
	if (count)
		memcpy(r.fds, fds, count * sizeof(int32_t));
	return ioctl(dev, VFIO_DEVICE_PCI_HOT_RESET, &r);
}

static void check_regions(int dev, const struct region_want *want, int n, const char *who)
{
	char name[96];

	for (int i = 0; i < n; i++) {
		struct vfio_region_info r;

		memset(&r, 0xa5, sizeof(r));
		r.argsz = sizeof(r);
		r.index = (uint32_t)want[i].index;
		snprintf(name, sizeof(name), "%s: GET_REGION_INFO %d", who, want[i].index);
		if (!EXPECT_OK(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &r), name))
			continue;
		tap(r.flags == want[i].flags && r.size == want[i].size &&
			    r.offset == (uint64_t)want[i].index << 40 && r.argsz == sizeof(r) &&
			    r.cap_offset == 0xa5a5a5a5,
		    name, "flags 0x%x size 0x%llx offset 0x%llx argsz %u cap_offset 0x%x", r.flags,
		    (unsigned long long)r.size, (unsigned long long)r.offset, r.argsz,
		    r.cap_offset);
	}
	for (int idx = 8; idx <= 100; idx += idx == 9 ? 91 : 1) {
		struct vfio_region_info r = { .argsz = sizeof(r), .index = (uint32_t)idx };

		snprintf(name, sizeof(name), "%s: GET_REGION_INFO %d EINVAL", who, idx);
		EXPECT_ERR(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &r), EINVAL, name);
	}
}

static void check_irqs(int dev, const struct irq_want *want, int n, const char *who)
{
	char name[96];

	for (int i = 0; i < n; i++) {
		struct vfio_irq_info q = { .argsz = sizeof(q), .index = (uint32_t)want[i].index };

		snprintf(name, sizeof(name), "%s: GET_IRQ_INFO %d", who, want[i].index);
		if (want[i].err) {
			EXPECT_ERR(ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &q), want[i].err, name);
			continue;
		}
		if (!EXPECT_OK(ioctl(dev, VFIO_DEVICE_GET_IRQ_INFO, &q), name))
			continue;
		tap(q.flags == want[i].flags && q.count == want[i].count, name,
		    "flags 0x%x count %u, want 0x%x %u", q.flags, q.count, want[i].flags,
		    want[i].count);
	}
}

/* Container alone, then with group 1 attached (kernel-facts §2 "Container and extensions"). */
static void test_container_and_group(struct vfio_env *e)
{
	struct vfio_group_status st = { .argsz = 4 };
	uint8_t info[256];
	struct vfio_iommu_type1_info *ti = (struct vfio_iommu_type1_info *)info;
	char rd[8];
	int efd, minus1 = -1, c2;
	void *p;

	e->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (e->container < 0)
		bail("open /dev/vfio/vfio");
	EXPECT_EQ(ioctl(e->container, VFIO_GET_API_VERSION), VFIO_API_VERSION,
		  "container: GET_API_VERSION");
	check_extensions(e->container, ext_none, "container: CHECK_EXTENSION without group");
	EXPECT_ERR(ioctl(e->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), EINVAL,
		   "container: SET_IOMMU without group EINVAL");
	ti->argsz = 16;
	EXPECT_ERR(ioctl(e->container, VFIO_IOMMU_GET_INFO, info), EINVAL,
		   "container: IOMMU_GET_INFO without backend EINVAL");
	EXPECT_ERR(ioctl(e->container, _IO(VFIO_TYPE, 150)), EINVAL,
		   "container: unknown ioctl without backend EINVAL");
	EXPECT_ERR(read(e->container, rd, sizeof(rd)), EINVAL, "container: read EINVAL");
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, e->container, 0);
	tap(p == MAP_FAILED && errno == ENODEV, "container: mmap ENODEV", "%p %s", p,
	    errname(errno));

	e->group = open(EDU_GROUP_PATH, O_RDWR | O_CLOEXEC);
	if (e->group < 0)
		bail("open %s", EDU_GROUP_PATH);
	EXPECT_ERR(open(EDU_GROUP_PATH, O_RDWR | O_CLOEXEC), EBUSY, "group: second open EBUSY");
	EXPECT_ERR(ioctl(e->group, VFIO_GROUP_GET_STATUS, &st), EINVAL,
		   "group: GET_STATUS argsz 4 EINVAL");
	EXPECT_EQ(group_flags(e->group), VFIO_GROUP_FLAGS_VIABLE, "group: viable, no container");
	{
		struct {
			struct vfio_group_status st;
			char pad[56];
		} big = { .st.argsz = sizeof(big) };

		EXPECT_OK(ioctl(e->group, VFIO_GROUP_GET_STATUS, &big),
			  "group: GET_STATUS argsz 64");
	}
	EXPECT_ERR(read(e->group, rd, sizeof(rd)), EINVAL, "group: read EINVAL");
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, e->group, 0);
	tap(p == MAP_FAILED && errno == ENODEV, "group: mmap ENODEV", "%p %s", p, errname(errno));
	EXPECT_ERR(ioctl(e->group, _IO(VFIO_TYPE, VFIO_BASE + 50)), ENOTTY,
		   "group: unknown ioctl ENOTTY");
	EXPECT_ERR(ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF), EINVAL,
		   "group: GET_DEVICE_FD before SET_CONTAINER EINVAL");
	EXPECT_ERR(ioctl(e->group, VFIO_GROUP_UNSET_CONTAINER), EINVAL,
		   "group: UNSET_CONTAINER with none EINVAL");
	EXPECT_ERR(ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &minus1), EBADF,
		   "group: SET_CONTAINER fd -1 EBADF");
	efd = eventfd(0, EFD_CLOEXEC);
	EXPECT_ERR(ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &efd), EBADFD,
		   "group: SET_CONTAINER eventfd EBADFD");
	close(efd);
	EXPECT_ERR(ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->group), EBADFD,
		   "group: SET_CONTAINER group fd EBADFD");
	if (!EXPECT_OK(ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->container),
		       "group: SET_CONTAINER"))
		bail("SET_CONTAINER");
	EXPECT_EQ(group_flags(e->group), VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET,
		  "group: flags VIABLE|CONTAINER_SET");
	EXPECT_ERR(ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->container), EINVAL,
		   "group: SET_CONTAINER twice EINVAL");
	c2 = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	EXPECT_ERR(ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &c2), EINVAL,
		   "group: SET_CONTAINER another container EINVAL");
	close(c2);
	check_extensions(e->container, ext_none, "container: CHECK_EXTENSION group, no backend");
	EXPECT_ERR(ioctl(e->container, _IO(VFIO_TYPE, 150)), EINVAL,
		   "container: unknown ioctl before SET_IOMMU EINVAL");
	EXPECT_ERR(ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF), EINVAL,
		   "group: GET_DEVICE_FD before SET_IOMMU EINVAL");
	EXPECT_ERR(dma_map(e->container, IOVA, info, PAGE, 3), EINVAL,
		   "container: MAP_DMA before SET_IOMMU EINVAL");
	for (unsigned long t = 0; t <= 99; t = t == 0 ? 2 : t == 2 ? 8 : t == 8 ? 99 : 100) {
		char name[64];

		snprintf(name, sizeof(name), "container: SET_IOMMU %lu ENODEV", t);
		EXPECT_ERR(ioctl(e->container, VFIO_SET_IOMMU, t), ENODEV, name);
	}
	if (!EXPECT_OK(ioctl(e->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU),
		       "container: SET_IOMMU TYPE1v2"))
		bail("SET_IOMMU");
	EXPECT_ERR(ioctl(e->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), EINVAL,
		   "container: SET_IOMMU twice EINVAL");
	EXPECT_ERR(ioctl(e->container, VFIO_SET_IOMMU, VFIO_TYPE1_IOMMU), EINVAL,
		   "container: SET_IOMMU other flavour EINVAL");
	check_extensions(e->container, ext_v2, "container: CHECK_EXTENSION after SET_IOMMU");
	EXPECT_EQ(ioctl(e->container, VFIO_GET_API_VERSION), 0,
		  "container: GET_API_VERSION after SET_IOMMU");
	EXPECT_ERR(ioctl(e->container, _IO(VFIO_TYPE, 150)), ENOTTY,
		   "container: unknown ioctl after SET_IOMMU ENOTTY");
	EXPECT_ERR(ioctl(e->container, _IO('x', 1)), ENOTTY,
		   "container: foreign ioctl after SET_IOMMU ENOTTY");
	EXPECT_ERR(ioctl(e->container, VFIO_IOMMU_ENABLE), ENOTTY,
		   "container: IOMMU_ENABLE ENOTTY");

	/* IOMMU_GET_INFO: argsz 12 too small; 16 gets argsz raised to the caps' 120. */
	memset(info, 0xa5, sizeof(info));
	ti->argsz = 12;
	EXPECT_ERR(ioctl(e->container, VFIO_IOMMU_GET_INFO, info), EINVAL,
		   "container: IOMMU_GET_INFO argsz 12 EINVAL");
	memset(info, 0xa5, sizeof(info));
	ti->argsz = 16;
	if (EXPECT_OK(ioctl(e->container, VFIO_IOMMU_GET_INFO, info),
		      "container: IOMMU_GET_INFO argsz 16"))
		tap(ti->argsz == 120 && ti->flags == 3 && ti->iova_pgsizes == 0x40201000 &&
			    info[16] == 0xa5,
		    "container: IOMMU_GET_INFO argsz 16 contents",
		    "argsz %u flags %u pgsizes 0x%llx", ti->argsz, ti->flags,
		    (unsigned long long)ti->iova_pgsizes);
	memset(info, 0xa5, sizeof(info));
	ti->argsz = 256;
	if (EXPECT_OK(ioctl(e->container, VFIO_IOMMU_GET_INFO, info),
		      "container: IOMMU_GET_INFO argsz 256")) {
		int bad = -1;

		for (int i = 0; i < 256 && bad < 0; i++)
			if (info[i] != (i < 120 ? iommu_info[i] : 0xa5))
				bad = i;
		tap(bad < 0, "container: IOMMU_GET_INFO caps byte for byte", "byte 0x%x is 0x%02x",
		    bad, bad >= 0 ? info[bad] : 0);
	}
}

static void test_device_info(struct vfio_env *e)
{
	static const struct region_want edu_regions[] = {
		{ 0, 7, 0x100000 }, { 1, 0, 0 }, { 2, 0, 0 }, { 3, 0, 0 },
		{ 4, 0, 0 },	    { 5, 0, 0 }, { 6, 0, 0 }, { 7, 3, 0x100 },
	};
	static const struct irq_want edu_irqs[] = {
		{ 0, 0, 7, 1 },	     { 1, 0, 9, 1 }, { 2, 0, 9, 0 },
		{ 3, EINVAL, 0, 0 }, { 4, 0, 9, 1 }, { 5, EINVAL, 0, 0 },
	};
	uint8_t buf[64];
	struct vfio_device_info *di = (struct vfio_device_info *)buf;
	struct vfio_region_info r = { .argsz = 16 };
	char link[64], path[64];
	int d2;
	ssize_t n;

	EXPECT_ERR(ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, "0000:00:09.0"), ENODEV,
		   "group: GET_DEVICE_FD unknown name ENODEV");
	EXPECT_ERR(ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, ""), ENODEV,
		   "group: GET_DEVICE_FD empty name ENODEV");
	EXPECT_ERR(ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, NIC_A_BDF), ENODEV,
		   "group: GET_DEVICE_FD other group's device ENODEV");
	e->device = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	if (!tap(e->device >= 0, "group: GET_DEVICE_FD edu", "%s", errname(errno)))
		bail("GET_DEVICE_FD");
	EXPECT_EQ(fcntl(e->device, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC,
		  "device: fd is close-on-exec");
	EXPECT_EQ(fcntl(e->device, F_GETFL) & O_ACCMODE, O_RDWR, "device: fd is O_RDWR");
	snprintf(path, sizeof(path), "/proc/self/fd/%d", e->group);
	n = readlink(path, link, sizeof(link) - 1);
	link[n > 0 ? n : 0] = '\0';
	tap_todo(!strcmp(link, EDU_GROUP_PATH), "group: fd reads as /dev/vfio/1",
		 "the shim's files are sockets; /proc/self/fd shows them as such");
	d2 = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	tap(d2 >= 0 && d2 != e->device, "group: second GET_DEVICE_FD is a new fd", "%d", d2);
	EXPECT_ERR(ioctl(e->group, VFIO_GROUP_UNSET_CONTAINER), EBUSY,
		   "group: UNSET_CONTAINER with device open EBUSY");
	if (d2 >= 0) {
		bar0_write32(e->device, EDU_LIVENESS, 0x12345678);
		EXPECT_EQ(bar0_read32(d2, EDU_LIVENESS), 0xedcba987,
			  "device: two fds share the device");
		close(d2);
	}

	memset(buf, 0xa5, sizeof(buf));
	di->argsz = 12;
	EXPECT_ERR(ioctl(e->device, VFIO_DEVICE_GET_INFO, buf), EINVAL,
		   "device: GET_INFO argsz 12 EINVAL");
	di->argsz = 16;
	if (EXPECT_OK(ioctl(e->device, VFIO_DEVICE_GET_INFO, buf), "device: GET_INFO argsz 16"))
		tap(di->argsz == 16 && di->flags == VFIO_DEVICE_FLAGS_PCI && di->num_regions == 9 &&
			    di->num_irqs == 5 && buf[16] == 0xa5,
		    "device: GET_INFO edu (PCI, no RESET, 9 regions, 5 irqs)",
		    "argsz %u flags 0x%x regions %u irqs %u", di->argsz, di->flags, di->num_regions,
		    di->num_irqs);
	memset(buf, 0xa5, sizeof(buf));
	di->argsz = 64;
	if (EXPECT_OK(ioctl(e->device, VFIO_DEVICE_GET_INFO, buf), "device: GET_INFO argsz 64"))
		tap(di->argsz == 64 && di->cap_offset == 0 && buf[24] == 0xa5,
		    "device: GET_INFO argsz 64 echoed, bytes past 24 untouched",
		    "argsz %u cap_offset %u byte24 0x%x", di->argsz, di->cap_offset, buf[24]);
	EXPECT_ERR(ioctl(e->device, VFIO_DEVICE_GET_REGION_INFO, &r), EINVAL,
		   "device: GET_REGION_INFO argsz 16 EINVAL");
	check_regions(e->device, edu_regions, 8, "edu");
	check_irqs(e->device, edu_irqs, 6, "edu");
	EXPECT_ERR(ioctl(e->device, _IO(VFIO_TYPE, VFIO_BASE + 60)), ENOTTY,
		   "device: unknown ioctl ENOTTY");
	EXPECT_ERR(ioctl(e->device, VFIO_DEVICE_RESET), EINVAL,
		   "device: edu RESET EINVAL (no reset method)");
	{
		struct hot_reset_info hi;
		int32_t g = e->group;

		memset(&hi, 0, sizeof(hi));
		hi.hdr.argsz = sizeof(hi);
		EXPECT_ERR(ioctl(e->device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hi), ENODEV,
			   "device: edu GET_PCI_HOT_RESET_INFO ENODEV (root bus)");
		EXPECT_ERR(hot_reset(e->device, &g, 1), ENODEV,
			   "device: edu PCI_HOT_RESET ENODEV (root bus)");
	}
}

static void test_config(struct vfio_env *e)
{
	uint8_t cfg[4096], zero[256 - sizeof(edu_config)];
	int d = e->device, bad = -1;
	uint32_t v;

	memset(cfg, 0xa5, sizeof(cfg));
	memset(zero, 0, sizeof(zero));
	if (EXPECT_EQ(pread(d, cfg, 256, (off_t)CFG_OFF), 256, "config: read 256 bytes")) {
		for (int i = 0; i < 256 && bad < 0; i++)
			if (cfg[i] != (i < (int)sizeof(edu_config) ? edu_config[i] : 0))
				bad = i;
		tap(bad < 0, "config: edu header as the kernel shows it", "byte 0x%x is 0x%02x",
		    bad, bad >= 0 ? cfg[bad] : 0);
	}
	EXPECT_ERR(pread(d, cfg, 4096, (off_t)CFG_OFF), EFAULT, "config: read 4096 EFAULT");
	EXPECT_ERR(pread(d, cfg, 4, (off_t)CFG_OFF + 256), EFAULT, "config: read at 256 EFAULT");
	EXPECT_ERR(pread(d, cfg, 8, (off_t)CFG_OFF + 252), EFAULT,
		   "config: read across the end EFAULT");
	EXPECT_ERR(pwrite(d, cfg, 4, (off_t)CFG_OFF + 256), EFAULT, "config: write at 256 EFAULT");
	EXPECT_EQ(pread(d, cfg, 0, (off_t)CFG_OFF), 0, "config: zero-length read");
	EXPECT_EQ(cfg_read(d, 1, 2), 0xe812, "config: 2 bytes at offset 1");
	EXPECT_EQ(cfg_read(d, 2, 4), 0x010311e8, "config: 4 bytes at offset 2");
	EXPECT_EQ(cfg_read(d, 0, 3), 0xe81234, "config: 3 bytes at offset 0");

	/* BAR sizing. */
	cfg_write(d, 0x10, 0xffffffff, 4);
	EXPECT_EQ(cfg_read(d, 0x10, 4), 0xfff00000, "config: BAR0 sizing reads the size mask");
	cfg_write(d, 0x10, 0xfe800000, 4);
	EXPECT_EQ(cfg_read(d, 0x10, 4), 0xfe800000, "config: BAR0 restored");
	cfg_write(d, 0x14, 0xffffffff, 4);
	EXPECT_EQ(cfg_read(d, 0x14, 4), 0, "config: unimplemented BAR1 reads 0");
	cfg_write(d, 0x30, 0xfffff801, 4);
	EXPECT_EQ(cfg_read(d, 0x30, 4), 0, "config: no ROM reads 0");

	/* Command register and other fields (kernel-facts §2 "The VFIO config region"). */
	cfg_write(d, 4, 0xffff, 2);
	EXPECT_EQ(cfg_read(d, 4, 2), 0x0507, "config: command 0xffff reads 0x0507");
	cfg_write(d, 4, 0, 2);
	EXPECT_EQ(cfg_read(d, 4, 2), 0, "config: command 0 reads 0");
	EXPECT_ERR(pread(d, &v, 4, (off_t)BAR0_OFF), EIO, "BAR0: read with MEM disabled EIO");
	cfg_write(d, 4, 0x0006, 2);
	EXPECT_EQ(cfg_read(d, 4, 2), 0x0006, "config: command 0x0006");
	cfg_write(d, 0, 0xffffffff, 4);
	EXPECT_EQ(cfg_read(d, 0, 4), 0x11e81234, "config: vendor/device read-only");
	cfg_write(d, 0x3c, 0x55, 1);
	EXPECT_EQ(cfg_read(d, 0x3c, 1), 0x55, "config: INTLINE virtual, writable");
	cfg_write(d, 0x3d, 0x04, 1);
	EXPECT_EQ(cfg_read(d, 0x3d, 1), 0x01, "config: INTPIN read-only");
	cfg_write(d, 6, 0xffff, 2);
	EXPECT_EQ(cfg_read(d, 6, 2), 0x0010, "config: status stays 0x0010");
	cfg_write(d, 0x42, 0xffff, 2);
	EXPECT_EQ(cfg_read(d, 0x42, 2), 0x008e, "config: MSI flags 0xffff reads 0x008e");
	cfg_write(d, 0x42, 0x0080, 2);
	cfg_write(d, 0x3c, 0x0b, 1);
	cfg_write(d, 4, 0x0103, 2);
	EXPECT_EQ(cfg_read(d, 4, 2), 0x0103, "config: command restored");
}

static void test_bar0(struct vfio_env *e)
{
	int d = e->device;
	uint64_t v8 = 0;
	uint32_t v;
	volatile uint32_t *bar;
	void *p;

	EXPECT_EQ(bar0_read32(d, EDU_ID), 0x010000ed, "BAR0: pread identification");
	bar0_write32(d, EDU_LIVENESS, 0x12345678);
	EXPECT_EQ(bar0_read32(d, EDU_LIVENESS), 0xedcba987, "BAR0: pwrite/pread liveness inverse");
	EXPECT_ERR(pread(d, &v, 4, (off_t)BAR0_OFF + 0x100000), EINVAL,
		   "BAR0: read at its size EINVAL");
	EXPECT_EQ(pread(d, &v8, 8, (off_t)BAR0_OFF + 0xffffc), 4,
		  "BAR0: read across the end short");
	for (int idx = 1; idx <= 100; idx = idx == 1 ? 6 :
					    idx == 6 ? 8 :
					    idx == 8 ? 9 :
					    idx == 9 ? 100 :
						       101) {
		char name[64];

		snprintf(name, sizeof(name), "region %d: read EINVAL", idx);
		EXPECT_ERR(pread(d, &v, 4, (off_t)((uint64_t)idx << 40)), EINVAL, name);
	}

	/* mmap: plain loads and stores through the mapping. */
	bar = mmap(NULL, 0x100000, PROT_READ | PROT_WRITE, MAP_SHARED, d, (off_t)BAR0_OFF);
	if (tap(bar != MAP_FAILED, "mmap: BAR0 1 MiB", "%s", errname(errno))) {
		EXPECT_EQ(bar[EDU_ID / 4], 0x010000ed, "mmap: load identification");
		bar[EDU_LIVENESS / 4] = 0xa5a5f00f;
		EXPECT_EQ(bar[EDU_LIVENESS / 4], 0x5a5a0ff0, "mmap: store/load liveness inverse");
		EXPECT_EQ(bar0_read32(d, EDU_LIVENESS), 0x5a5a0ff0,
			  "mmap: store seen through pread");
		bar0_write32(d, EDU_LIVENESS, 1);
		EXPECT_EQ(bar[EDU_LIVENESS / 4], 0xfffffffe,
			  "mmap: pwrite seen through the mapping");
		bar[EDU_FACTORIAL / 4] = 10;
		for (int i = 0; i < 2000 && (bar[EDU_STATUS / 4] & EDU_STATUS_COMPUTING); i++)
			usleep(1000);
		EXPECT_EQ(bar[EDU_FACTORIAL / 4], 3628800, "mmap: factorial of 10");
		munmap((void *)bar, 0x100000);
	}
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, d, (off_t)BAR0_OFF + 0x100000 - PAGE);
	tap(p != MAP_FAILED, "mmap: BAR0 last page", "%s", errname(errno));
	if (p != MAP_FAILED)
		munmap(p, PAGE);
	p = mmap(NULL, 0x200000, PROT_READ, MAP_SHARED, d, (off_t)BAR0_OFF);
	tap(p == MAP_FAILED && errno == EINVAL, "mmap: 2 MiB of BAR0 EINVAL", "%s",
	    p == MAP_FAILED ? errname(errno) : "mapped");
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, d, (off_t)BAR0_OFF + 0x100000);
	tap(p == MAP_FAILED && errno == EINVAL, "mmap: past BAR0 EINVAL", "%s",
	    p == MAP_FAILED ? errname(errno) : "mapped");
	p = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, d, (off_t)CFG_OFF);
	tap(p == MAP_FAILED && errno == EINVAL, "mmap: config region EINVAL", "%s",
	    p == MAP_FAILED ? errname(errno) : "mapped");
	p = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE, d, (off_t)BAR0_OFF);
	tap(p == MAP_FAILED && errno == EINVAL, "mmap: MAP_PRIVATE EINVAL", "%s",
	    p == MAP_FAILED ? errname(errno) : "mapped");
}

static uint32_t dma_avail(int c)
{
	uint8_t info[256];
	struct vfio_iommu_type1_info *ti = (struct vfio_iommu_type1_info *)info;

	memset(info, 0, sizeof(info));
	ti->argsz = sizeof(info);
	if (ioctl(c, VFIO_IOMMU_GET_INFO, info))
		return 0xdeadbeef;
	return *(uint32_t *)(info + 0x40);
}

static void test_type1(struct vfio_env *e)
{
	int c = e->container;
	unsigned char *buf =
		mmap(NULL, 4 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *ro = mmap(NULL, PAGE, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t size = 0;
	struct vfio_iommu_type1_dma_map m = { .argsz = 16 };

	if (buf == MAP_FAILED || ro == MAP_FAILED)
		bail("mmap");
	EXPECT_OK(dma_map(c, 0, buf, PAGE, 3), "type1: MAP 4K at 0");
	EXPECT_EQ(dma_avail(c), 65534, "type1: DMA_AVAIL counts the mapping");
	EXPECT_ERR(dma_map(c, 0, buf, PAGE, 3), EEXIST, "type1: same again EEXIST");
	EXPECT_ERR(dma_map(c, 0, buf, 2 * PAGE, 3), EEXIST, "type1: overlap EEXIST");
	EXPECT_ERR(dma_map(c, 0x1000 + 512, buf, PAGE, 3), EINVAL, "type1: misaligned iova EINVAL");
	EXPECT_ERR(dma_map(c, 0x10000, buf + 1, PAGE, 3), EINVAL, "type1: misaligned vaddr EINVAL");
	EXPECT_ERR(dma_map(c, 0x10000, buf, 4097, 3), EINVAL, "type1: misaligned size EINVAL");
	EXPECT_ERR(dma_map(c, 0x10000, buf, 0, 3), EINVAL, "type1: size 0 EINVAL");
	EXPECT_ERR(dma_map(c, 0x10000, buf, PAGE, 0), EINVAL, "type1: no READ/WRITE EINVAL");
	EXPECT_ERR(dma_map(c, 0x10000, buf, PAGE, 1u << 5), EINVAL, "type1: unknown flag EINVAL");
	EXPECT_ERR(dma_map(c, 0xfee00000, buf, PAGE, 3), EINVAL, "type1: MSI window EINVAL");
	EXPECT_ERR(dma_map(c, 0xfedff000, buf, 2 * PAGE, 3), EINVAL,
		   "type1: crossing into the MSI window EINVAL");
	EXPECT_ERR(dma_map(c, 1ull << 39, buf, PAGE, 3), EINVAL, "type1: past the aperture EINVAL");
	EXPECT_ERR(dma_map(c, 0xfffffffffffff000ull, buf, 2 * PAGE, 3), EINVAL,
		   "type1: iova wrap EINVAL");
	EXPECT_ERR(dma_map(c, 0x10000, (void *)0x10000, PAGE, 3), EFAULT,
		   "type1: unmapped vaddr EFAULT");
	EXPECT_ERR(dma_map(c, 0x10000, ro, PAGE, 3), EFAULT,
		   "type1: read-only page with WRITE EFAULT");
	EXPECT_OK(dma_map(c, 0x10000, ro, PAGE, VFIO_DMA_MAP_FLAG_READ),
		  "type1: read-only page with READ only");
	m.flags = 3;
	m.vaddr = (uintptr_t)buf;
	m.iova = 0x20000;
	m.size = PAGE;
	EXPECT_ERR(ioctl(c, VFIO_IOMMU_MAP_DMA, &m), EINVAL, "type1: MAP argsz 16 EINVAL");
	EXPECT_OK(dma_map(c, 0x200000, buf, 2 * PAGE, 3), "type1: MAP 8K");
	EXPECT_ERR(dma_unmap(c, 0x200000, PAGE, 0, NULL), EINVAL,
		   "type1: v2 UNMAP of half a mapping EINVAL");
	EXPECT_ERR(dma_unmap(c, 0x200800, PAGE, 0, NULL), EINVAL, "type1: misaligned UNMAP EINVAL");
	EXPECT_OK(dma_unmap(c, 0x400000, PAGE, 0, &size), "type1: UNMAP of an empty range");
	EXPECT_EQ(size, 0, "type1: empty UNMAP size 0");
	EXPECT_ERR(dma_unmap(c, 0x1000, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL), EINVAL,
		   "type1: UNMAP ALL with iova EINVAL");
	EXPECT_OK(dma_unmap(c, 0x200000, 2 * PAGE, 0, &size), "type1: UNMAP 8K");
	EXPECT_EQ(size, 2 * PAGE, "type1: UNMAP writes back the size");
	EXPECT_OK(dma_unmap(c, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &size), "type1: UNMAP ALL");
	EXPECT_EQ(size, 2 * PAGE, "type1: UNMAP ALL size");
	EXPECT_EQ(dma_avail(c), 65535, "type1: DMA_AVAIL back to 65535");

	/* VADDR: invalidate, then give the same range a new vaddr. */
	dma_map(c, 0xa00000, buf, 2 * PAGE, 3);
	EXPECT_OK(dma_unmap(c, 0xa00000, 2 * PAGE, VFIO_DMA_UNMAP_FLAG_VADDR, &size),
		  "type1: UNMAP VADDR invalidates");
	EXPECT_EQ(size, 2 * PAGE, "type1: UNMAP VADDR size");
	EXPECT_ERR(dma_unmap(c, 0xa00000, 2 * PAGE, VFIO_DMA_UNMAP_FLAG_VADDR, NULL), EINVAL,
		   "type1: UNMAP VADDR twice EINVAL");
	EXPECT_ERR(dma_map(c, 0xa00000, buf, 2 * PAGE, 7), EINVAL,
		   "type1: MAP READ|WRITE|VADDR EINVAL");
	EXPECT_OK(dma_map(c, 0xa00000, buf + 2 * PAGE, 2 * PAGE, VFIO_DMA_MAP_FLAG_VADDR),
		  "type1: MAP VADDR update");
	EXPECT_ERR(dma_map(c, 0xa00000, buf, 2 * PAGE, VFIO_DMA_MAP_FLAG_VADDR), EINVAL,
		   "type1: MAP VADDR without invalidate EINVAL");
	EXPECT_ERR(dma_map(c, 0xb00000, buf, PAGE, VFIO_DMA_MAP_FLAG_VADDR), ENOENT,
		   "type1: MAP VADDR unknown iova ENOENT");
	EXPECT_OK(dma_unmap(c, 0xa00000, 2 * PAGE, 0, &size), "type1: UNMAP after VADDR update");
	EXPECT_EQ(size, 2 * PAGE, "type1: UNMAP after VADDR update size");
	{
		struct vfio_iommu_type1_dirty_bitmap db = {
			.argsz = sizeof(db),
			.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
		};

		EXPECT_OK(ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &db), "type1: DIRTY_PAGES START (v2)");
		db.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
		EXPECT_OK(ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &db), "type1: DIRTY_PAGES STOP (v2)");
	}
	munmap(buf, 4 * PAGE);
	munmap(ro, PAGE);
}

/* edu DMA both ways through a mapping of mem (anonymous or memfd). */
static void test_dma(struct vfio_env *e, unsigned char *mem, unsigned char *alias, const char *what)
{
	char name[96];
	unsigned char zero[PAGE];
	uint64_t size;
	int c = e->container, d = e->device;

	memset(zero, 0, sizeof(zero));
	for (unsigned int i = 0; i < PAGE; i++)
		mem[i] = (unsigned char)(i * 13 + 1);
	memset(mem + PAGE, 0, PAGE);
	snprintf(name, sizeof(name), "DMA %s: MAP_DMA", what);
	EXPECT_OK(dma_map(c, IOVA, mem, 2 * PAGE, 3), name);
	cfg_write(d, 4, cfg_read(d, 4, 2) | 0x6, 2);
	snprintf(name, sizeof(name), "DMA %s: RAM to edu", what);
	EXPECT_OK(edu_dma(d, IOVA, EDU_DMA_BUF, PAGE, 0), name);
	snprintf(name, sizeof(name), "DMA %s: edu to RAM", what);
	EXPECT_OK(edu_dma(d, EDU_DMA_BUF, IOVA + PAGE, PAGE, EDU_DMA_TO_RAM), name);
	snprintf(name, sizeof(name), "DMA %s: round trip identical", what);
	tap(!memcmp(mem, mem + PAGE, PAGE), name, "bytes differ");
	if (alias) {
		/* The device wrote the shared pages: another mapping of the file sees it. */
		snprintf(name, sizeof(name), "DMA %s: written through to the file", what);
		tap(!memcmp(alias + PAGE, mem, PAGE), name, "second mapping differs");
		for (unsigned int i = 0; i < 512; i++)
			alias[i] = (unsigned char)(i ^ 0x5a);
		edu_dma(d, IOVA, EDU_DMA_BUF + 1024, 512, 0);
		edu_dma(d, EDU_DMA_BUF + 1024, IOVA + PAGE + 2048, 512, EDU_DMA_TO_RAM);
		snprintf(name, sizeof(name), "DMA %s: device reads what another mapping wrote",
			 what);
		tap(!memcmp(mem + PAGE + 2048, alias, 512), name, "bytes differ");
	}
	/* After UNMAP, the device's writes reach nothing. */
	memset(mem + PAGE, 0, PAGE);
	dma_unmap(c, IOVA, 2 * PAGE, 0, &size);
	snprintf(name, sizeof(name), "DMA %s: UNMAP size", what);
	EXPECT_EQ(size, 2 * PAGE, name);
	edu_dma(d, EDU_DMA_BUF, IOVA + PAGE, PAGE, EDU_DMA_TO_RAM);
	snprintf(name, sizeof(name), "DMA %s: nothing lands after UNMAP", what);
	tap(!memcmp(mem + PAGE, zero, PAGE), name, "memory was written");
}

static void test_dma_kinds(struct vfio_env *e)
{
	unsigned char *anon, *shared, *alias, zero[PAGE];
	int mfd;

	anon = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (anon == MAP_FAILED)
		bail("mmap");
	test_dma(e, anon, NULL, "anonymous");

	/* A READ-only mapping: the device may read it, its writes fault. */
	memset(zero, 0, sizeof(zero));
	memset(anon + PAGE, 0, PAGE);
	dma_map(e->container, IOVA, anon, 2 * PAGE, VFIO_DMA_MAP_FLAG_READ);
	EXPECT_OK(edu_dma(e->device, IOVA, EDU_DMA_BUF, PAGE, 0), "DMA: read through READ mapping");
	edu_dma(e->device, EDU_DMA_BUF, IOVA + PAGE, PAGE, EDU_DMA_TO_RAM);
	tap(!memcmp(anon + PAGE, zero, PAGE), "DMA: no write through a READ mapping",
	    "memory was written");
	dma_unmap(e->container, IOVA, 2 * PAGE, 0, NULL);

	/* Bus mastering off: DMA goes nowhere. */
	dma_map(e->container, IOVA, anon, 2 * PAGE, 3);
	cfg_write(e->device, 4, cfg_read(e->device, 4, 2) & ~0x4u, 2);
	edu_dma(e->device, EDU_DMA_BUF, IOVA + PAGE, PAGE, EDU_DMA_TO_RAM);
	tap(!memcmp(anon + PAGE, zero, PAGE), "DMA: nothing without bus mastering",
	    "memory was written");
	dma_unmap(e->container, IOVA, 2 * PAGE, 0, NULL);
	munmap(anon, 2 * PAGE);

	mfd = memfd_create("uapi-dma", MFD_CLOEXEC);
	if (mfd < 0 || ftruncate(mfd, 2 * PAGE))
		bail("memfd");
	shared = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	alias = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, mfd, 0);
	if (shared == MAP_FAILED || alias == MAP_FAILED)
		bail("mmap memfd");
	test_dma(e, shared, alias, "memfd");
	munmap(shared, 2 * PAGE);
	munmap(alias, 2 * PAGE);
	close(mfd);
}

static void test_msi(struct vfio_env *e)
{
	int d = e->device, fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	unsigned char *buf;

	EXPECT_ERR(irq_none(d, MSI, VFIO_IRQ_SET_ACTION_TRIGGER, 0), EINVAL,
		   "MSI: disable while off EINVAL");
	EXPECT_ERR(irq_none(d, MSI, VFIO_IRQ_SET_ACTION_MASK, 1), ENOTTY, "MSI: MASK ENOTTY");
	EXPECT_ERR(irq_none(d, MSI, VFIO_IRQ_SET_ACTION_UNMASK, 1), ENOTTY, "MSI: UNMASK ENOTTY");
	EXPECT_ERR(set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, MSI, 0, 2,
			    (int32_t[]){ fd, fd }, 8),
		   EINVAL, "MSI: count 2 EINVAL");
	EXPECT_OK(irq_eventfd(d, MSI, fd), "MSI: enable with an eventfd");
	EXPECT_EQ(cfg_read(d, 0x40, 4), 0x00800005, "MSI: virtual capability unchanged");
	EXPECT_ERR(irq_eventfd(d, INTX, fd), EINVAL, "INTx while MSI is on EINVAL");
	EXPECT_OK(irq_none(d, MSI, VFIO_IRQ_SET_ACTION_TRIGGER, 1), "MSI: loopback");
	EXPECT_EQ(efd_wait(fd, 2000), 1, "MSI: loopback signals");
	cfg_write(d, 4, cfg_read(d, 4, 2) | 0x6, 2);
	bar0_write32(d, EDU_IRQ_RAISE, 0x1);
	EXPECT_EQ(efd_wait(fd, 2000), 1, "MSI: edu raise signals the eventfd");
	EXPECT_EQ(bar0_read32(d, EDU_IRQ_STATUS), 1, "MSI: edu status");
	bar0_write32(d, EDU_IRQ_ACK, 0x1);
	bar0_write32(d, EDU_IRQ_RAISE, 0x2);
	EXPECT_EQ(efd_wait(fd, 2000), 1, "MSI: edge, next raise signals again");
	bar0_write32(d, EDU_IRQ_ACK, 0x2);
	EXPECT_EQ(efd_wait(fd, 100), 0, "MSI: quiet after ack");

	buf = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	memset(buf, 1, PAGE);
	dma_map(e->container, IOVA, buf, PAGE, 3);
	edu_dma(d, IOVA, EDU_DMA_BUF, 1024, EDU_DMA_IRQ);
	EXPECT_EQ(efd_wait(fd, 2000), 1, "MSI: DMA completion interrupt");
	EXPECT_EQ(bar0_read32(d, EDU_IRQ_STATUS), EDU_IRQ_DMA_DONE, "MSI: status DMA done");
	bar0_write32(d, EDU_IRQ_ACK, EDU_IRQ_DMA_DONE);
	dma_unmap(e->container, IOVA, PAGE, 0, NULL);
	munmap(buf, PAGE);

	EXPECT_OK(irq_none(d, MSI, VFIO_IRQ_SET_ACTION_TRIGGER, 0), "MSI: disable");
	EXPECT_ERR(irq_none(d, MSI, VFIO_IRQ_SET_ACTION_TRIGGER, 0), EINVAL,
		   "MSI: disable again EINVAL");
	close(fd);
}

static void test_intx(struct vfio_env *e)
{
	int d = e->device, fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	int fd2 = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), unmask = eventfd(0, EFD_CLOEXEC);
	int notefd = open("/dev/null", O_RDONLY | O_CLOEXEC), closed = 1000;
	uint64_t one = 1;
	uint8_t b;
	int32_t v;

	while (fcntl(closed, F_GETFD) != -1)
		closed++;
	EXPECT_ERR(irq_none(d, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 0), EINVAL,
		   "INTx: disable while off EINVAL");
	EXPECT_ERR(irq_none(d, INTX, VFIO_IRQ_SET_ACTION_MASK, 1), EINVAL,
		   "INTx: MASK while off EINVAL");
	EXPECT_ERR(irq_none(d, INTX, VFIO_IRQ_SET_ACTION_TRIGGER | VFIO_IRQ_SET_ACTION_MASK, 1),
		   ENOTTY, "SET_IRQS: two actions ENOTTY");
	EXPECT_ERR(set_irqs(d,
			    VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL |
				    VFIO_IRQ_SET_ACTION_TRIGGER,
			    INTX, 0, 1, NULL, 0),
		   EINVAL, "SET_IRQS: two data types EINVAL");
	EXPECT_ERR(irq_none(d, INTX, VFIO_IRQ_SET_ACTION_TRIGGER | (1u << 6), 1), EINVAL,
		   "SET_IRQS: unknown flag EINVAL");
	EXPECT_ERR(irq_none(d, 3, VFIO_IRQ_SET_ACTION_TRIGGER, 1), EINVAL,
		   "SET_IRQS: ERR index EINVAL");
	EXPECT_ERR(irq_none(d, 5, VFIO_IRQ_SET_ACTION_TRIGGER, 1), EINVAL,
		   "SET_IRQS: index 5 EINVAL");
	v = notefd;
	EXPECT_ERR(irq_eventfd(d, INTX, notefd), EINVAL, "INTx: trigger not an eventfd EINVAL");
	EXPECT_ERR(irq_eventfd(d, INTX, closed), EBADF, "INTx: trigger closed fd EBADF");

	EXPECT_OK(irq_eventfd(d, INTX, fd), "INTx: enable with an eventfd");
	EXPECT_ERR(irq_eventfd(d, MSI, fd2), EINVAL, "MSI while INTx is on EINVAL");
	EXPECT_ERR(set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK, INTX, 0, 1, &v,
			    sizeof(v)),
		   ENOTTY, "INTx: MASK with an eventfd ENOTTY");
	bar0_write32(d, EDU_IRQ_RAISE, 0x1);
	EXPECT_EQ(efd_wait(fd, 2000), 1, "INTx: edu raise signals");
	EXPECT_EQ(bar0_read32(d, EDU_IRQ_STATUS), 1, "INTx: edu status");
	/* Auto-masked: a lower and re-raise is not signalled until UNMASK. */
	bar0_write32(d, EDU_IRQ_ACK, 1);
	bar0_write32(d, EDU_IRQ_RAISE, 2);
	EXPECT_EQ(efd_wait(fd, 100), 0, "INTx: auto-masked, quiet");
	EXPECT_OK(irq_none(d, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 1), "INTx: UNMASK");
	EXPECT_EQ(efd_wait(fd, 2000), 1, "INTx: UNMASK with the line asserted signals");
	bar0_write32(d, EDU_IRQ_ACK, 2);
	irq_none(d, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 1);
	EXPECT_EQ(efd_wait(fd, 100), 0, "INTx: ack then UNMASK, quiet");
	/* Loopback signals even while masked. */
	EXPECT_OK(irq_none(d, INTX, VFIO_IRQ_SET_ACTION_MASK, 1), "INTx: MASK");
	EXPECT_OK(irq_none(d, INTX, VFIO_IRQ_SET_ACTION_MASK, 1), "INTx: MASK again");
	EXPECT_EQ(cfg_read(d, 4, 2) & 0x400, 0, "INTx: MASK leaves the virtual command alone");
	EXPECT_OK(irq_none(d, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 1), "INTx: loopback");
	EXPECT_EQ(efd_wait(fd, 2000), 1, "INTx: loopback signals while masked");
	bar0_write32(d, EDU_IRQ_RAISE, 4);
	EXPECT_EQ(efd_wait(fd, 100), 0, "INTx: masked, edu raise held");
	b = 1;
	EXPECT_OK(set_irqs(d, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1, &b,
			   1),
		  "INTx: BOOL UNMASK");
	EXPECT_EQ(efd_wait(fd, 2000), 1, "INTx: held interrupt arrives at UNMASK");
	bar0_write32(d, EDU_IRQ_ACK, 4);
	irq_none(d, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 1);
	b = 0;
	set_irqs(d, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, INTX, 0, 1, &b, 1);
	EXPECT_EQ(efd_wait(fd, 100), 0, "INTx: BOOL [0] trigger does not signal");
	b = 1;
	set_irqs(d, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_TRIGGER, INTX, 0, 1, &b, 1);
	EXPECT_EQ(efd_wait(fd, 2000), 1, "INTx: BOOL [1] trigger signals");
	irq_none(d, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 1);

	/* The unmask eventfd (irqfd): writing it unmasks. */
	v = unmask;
	EXPECT_OK(set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1,
			   &v, sizeof(v)),
		  "INTx: unmask eventfd");
	bar0_write32(d, EDU_IRQ_RAISE, 1);
	EXPECT_EQ(efd_wait(fd, 2000), 1, "INTx: signals (unmask eventfd set)");
	bar0_write32(d, EDU_IRQ_ACK, 1);
	bar0_write32(d, EDU_IRQ_RAISE, 1);
	EXPECT_EQ(efd_wait(fd, 100), 0, "INTx: auto-masked again");
	EXPECT_EQ(write(unmask, &one, sizeof(one)), sizeof(one), "INTx: write the unmask eventfd");
	EXPECT_EQ(efd_wait(fd, 2000), 1, "INTx: unmask eventfd re-signals the asserted line");
	bar0_write32(d, EDU_IRQ_ACK, 1);
	v = -1;
	set_irqs(d, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK, INTX, 0, 1, &v,
		 sizeof(v));
	irq_none(d, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 1);

	/* A new trigger replaces the old one; fd -1 removes it. */
	EXPECT_OK(irq_eventfd(d, INTX, fd2), "INTx: swap the trigger");
	irq_none(d, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 1);
	EXPECT_EQ(efd_wait(fd2, 2000), 1, "INTx: the new trigger signals");
	EXPECT_EQ(efd_wait(fd, 100), 0, "INTx: the old one does not");
	EXPECT_OK(irq_eventfd(d, INTX, -1), "INTx: trigger fd -1");
	irq_none(d, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 1);
	EXPECT_EQ(efd_wait(fd2, 100), 0, "INTx: no trigger, nothing signalled");
	EXPECT_OK(irq_none(d, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 0), "INTx: disable");
	EXPECT_ERR(irq_none(d, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 1), EINVAL,
		   "INTx: loopback after disable EINVAL");

	/* REQ: the eventfd takes a loopback. */
	EXPECT_OK(irq_eventfd(d, VFIO_PCI_REQ_IRQ_INDEX, fd), "REQ: eventfd");
	irq_none(d, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 1);
	EXPECT_EQ(efd_wait(fd, 2000), 1, "REQ: loopback signals");
	EXPECT_OK(irq_none(d, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0),
		  "REQ: disable");
	EXPECT_ERR(irq_none(d, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 1), EINVAL,
		   "REQ: loopback with none EINVAL");
	close(notefd);
	close(unmask);
	close(fd2);
	close(fd);
}

static int group_open_check(void)
{
	int fd = open(EDU_GROUP_PATH, O_RDWR | O_CLOEXEC);

	if (fd >= 0)
		close(fd);
	return fd;
}

/* The last close restores the config space saved at the first open. */
static void test_reopen(struct vfio_env *e)
{
	char buf[8];

	cfg_write(e->device, 0x3c, 0x55, 1);
	cfg_write(e->device, 4, 0x0006, 2);
	snprintf(buf, sizeof(buf), "x");
	sysfs_read("/sys/bus/pci/devices/" EDU_BDF "/enable", buf, sizeof(buf));
	tap(!strcmp(buf, "1\n"), "sysfs: enable is 1 while open", "%s", buf);
	env_close(e);
	snprintf(buf, sizeof(buf), "x");
	sysfs_read("/sys/bus/pci/devices/" EDU_BDF "/enable", buf, sizeof(buf));
	tap(!strcmp(buf, "0\n"), "sysfs: enable is 0 after the last close", "%s", buf);
	if (env_open(e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1v2_IOMMU))
		bail("reopen edu");
	EXPECT_EQ(cfg_read(e->device, 4, 2), 0x0103, "reopen: command restored");
	EXPECT_EQ(cfg_read(e->device, 0x3c, 1), 0x0b, "reopen: INTLINE restored");
	EXPECT_EQ(bar0_read32(e->device, EDU_ID), 0x010000ed, "reopen: BAR0 works");
	env_close(e);
}

/* Type1 v1 coalescing UNMAP semantics (oracle type1-v1.txt). */
static void test_type1_v1(void)
{
	struct vfio_env e;
	struct vfio_iommu_type1_dirty_bitmap db = {
		.argsz = sizeof(db),
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};
	unsigned char *buf =
		mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	uint64_t size = 0;

	if (buf == MAP_FAILED || env_open(&e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1_IOMMU))
		bail("type1 v1 container");
	EXPECT_EQ(ioctl(e.container, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), 1,
		  "v1: UPDATE_VADDR with a TYPE1 backend");
	dma_map(e.container, 0x100000, buf, 2 * PAGE, 3);
	EXPECT_OK(dma_unmap(e.container, 0x100000, PAGE, 0, &size), "v1: UNMAP of the first page");
	EXPECT_EQ(size, 2 * PAGE, "v1: removes the whole mapping");
	EXPECT_OK(dma_unmap(e.container, 0x101000, PAGE, 0, &size), "v1: UNMAP of the second page");
	EXPECT_EQ(size, 0, "v1: nothing left there");
	dma_map(e.container, 0x300000, buf, PAGE, 3);
	dma_map(e.container, 0x302000, buf, PAGE, 3);
	dma_map(e.container, 0x304000, buf, 2 * PAGE, 3);
	EXPECT_OK(dma_unmap(e.container, 0x300000, 0x5000, 0, &size),
		  "v1: UNMAP cutting the last of three mappings");
	EXPECT_EQ(size, 0x4000, "v1: all three removed");
	EXPECT_ERR(ioctl(e.container, VFIO_IOMMU_DIRTY_PAGES, &db), EACCES,
		   "v1: DIRTY_PAGES EACCES");
	env_close(&e);
	munmap(buf, 16 * PAGE);
}

/*
 * Unbinding a device with open files: REQ is signalled, the writer of
 * `unbind` blocks until the last device file closes; a group left without
 * devices is orphaned (ENODEV) and its node goes away.
 */
static void test_unbind_open_device(void)
{
	struct vfio_env e;
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	int req = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK), d2, st = 0;
	char drv[128];
	pid_t pid, r = 0;

	if (env_open(&e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1v2_IOMMU))
		bail("open edu");
	EXPECT_OK(irq_eventfd(e.device, VFIO_PCI_REQ_IRQ_INDEX, req), "unbind: REQ eventfd");
	d2 = dup(e.device);
	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		/* Holding the device file itself, the writer would wait for itself. */
		close(d2);
		env_close(&e);
		_exit(sysfs_write("/sys/bus/pci/drivers/vfio-pci/unbind", EDU_BDF) ? 1 : 0);
	}
	EXPECT_EQ(efd_wait(req, 5000), 1, "unbind: REQ signalled to the user");
	usleep(200 * 1000);
	EXPECT_EQ(waitpid(pid, &st, WNOHANG), 0, "unbind: the writer waits for the device");
	EXPECT_ERR(ioctl(e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF), ENODEV,
		   "unbind: no new device fds meanwhile");
	EXPECT_EQ(bar0_read32(e.device, EDU_ID), 0x010000ed, "unbind: the open device still works");
	close(e.device);
	e.device = -1;
	usleep(200 * 1000);
	EXPECT_EQ(waitpid(pid, &st, WNOHANG), 0, "unbind: a dup still holds the device file");
	close(d2);
	for (int i = 0; i < 500 && (r = waitpid(pid, &st, WNOHANG)) == 0; i++)
		usleep(10 * 1000);
	tap(r == pid && WIFEXITED(st) && WEXITSTATUS(st) == 0,
	    "unbind: completes at the last close", "waitpid %d status 0x%x", (int)r, st);
	tap(!strcmp(driver_of(EDU_BDF, drv, sizeof(drv)), "-"), "unbind: edu has no driver", "%s",
	    drv);
	EXPECT_ERR(ioctl(e.group, VFIO_GROUP_GET_STATUS, &gs), ENODEV,
		   "unbind: orphaned group answers ENODEV");
	EXPECT_EQ(ioctl(e.container, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR), 0,
		  "unbind: container lost its backend");
	EXPECT_ERR(open(EDU_GROUP_PATH, O_RDWR), ENOENT, "unbind: group node gone");
	env_close(&e);
	close(req);
	EXPECT_OK(sysfs_write("/sys/bus/pci/drivers_probe", EDU_BDF),
		  "unbind: drivers_probe binds edu again (override kept)");
	EXPECT_OK(group_open_check(), "unbind: a fresh group opens");
}

static void test_nic_group(void)
{
	static const struct region_want nic_regions[] = {
		{ 0, 7, 0x20000 }, { 1, 3, 0x40 }, { 2, 0, 0 },	      { 3, 0, 0 },
		{ 4, 0, 0 },	   { 5, 0, 0 },	   { 6, 1, 0x40000 }, { 7, 3, 0x100 },
	};
	static const struct irq_want nic_irqs[] = {
		{ 0, 0, 7, 1 },	     { 1, 0, 9, 0 }, { 2, 0, 9, 0 },
		{ 3, EINVAL, 0, 0 }, { 4, 0, 9, 1 }, { 5, EINVAL, 0, 0 },
	};
	struct vfio_device_info di = { .argsz = sizeof(di) };
	struct hot_reset_info hi;
	struct hot_reset r;
	char drv[128];
	uint8_t cfg[256];
	int c, g, da, db, edu_g, bad = -1;
	int32_t fd;
	uint32_t v;

	EXPECT_ERR(open(NIC_GROUP_PATH, O_RDWR), ENOENT, "NIC: no group node while on e1000");
	/* drivers_probe leaves a bound device alone: unbind first. */
	EXPECT_OK(sysfs_write("/sys/bus/pci/devices/" NIC_A_BDF "/driver/unbind", NIC_A_BDF),
		  "NIC: unbind 01:01.0 through its driver link");
	EXPECT_OK(bind_vfio_override(NIC_A_BDF), "NIC: 01:01.0 to vfio-pci (override + probe)");
	tap(!strcmp(driver_of(NIC_A_BDF, drv, sizeof(drv)), "vfio-pci"), "NIC: 01:01.0 on vfio-pci",
	    "%s", drv);
	tap(!strcmp(driver_of(NIC_B_BDF, drv, sizeof(drv)), "e1000"), "NIC: 01:02.0 still on e1000",
	    "%s", drv);

	/* Not viable: a group-mate is on a DMA-API host driver. */
	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	g = open(NIC_GROUP_PATH, O_RDWR | O_CLOEXEC);
	if (!tap(c >= 0 && g >= 0, "NIC: open container and group 2", "%s", errname(errno)))
		bail("open group 2");
	EXPECT_EQ(group_flags(g), 0, "NIC: GET_STATUS not viable (flags 0)");
	EXPECT_ERR(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), EPERM,
		   "NIC: SET_CONTAINER on a non-viable group EPERM");
	EXPECT_ERR(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, NIC_A_BDF), EINVAL,
		   "NIC: GET_DEVICE_FD without container EINVAL");
	EXPECT_EQ(group_flags(g), 0, "NIC: still not viable");

	/* Unbinding the mate makes it viable; then bind it to vfio-pci the other way. */
	EXPECT_OK(sysfs_write("/sys/bus/pci/drivers/e1000/unbind", NIC_B_BDF),
		  "NIC: unbind 01:02.0 from e1000");
	EXPECT_EQ(group_flags(g), VFIO_GROUP_FLAGS_VIABLE, "NIC: viable with the mate unbound");
	EXPECT_ERR(sysfs_write("/sys/bus/pci/drivers/vfio-pci/bind", NIC_B_BDF), ENODEV,
		   "NIC: vfio-pci bind without override ENODEV");
	sysfs_write("/sys/bus/pci/devices/" NIC_B_BDF "/driver_override", "vfio-pci");
	EXPECT_OK(sysfs_write("/sys/bus/pci/drivers/vfio-pci/bind", NIC_B_BDF),
		  "NIC: 01:02.0 to vfio-pci (override + bind)");
	EXPECT_ERR(sysfs_write("/sys/bus/pci/drivers/vfio-pci/bind", NIC_B_BDF), EBUSY,
		   "NIC: bind again EBUSY");
	EXPECT_EQ(group_flags(g), VFIO_GROUP_FLAGS_VIABLE, "NIC: viable with both on vfio-pci");
	if (!EXPECT_OK(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), "NIC: SET_CONTAINER") ||
	    !EXPECT_OK(ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), "NIC: SET_IOMMU TYPE1v2"))
		bail("NIC container");
	EXPECT_EQ(group_flags(g), 3, "NIC: flags VIABLE|CONTAINER_SET");
	EXPECT_ERR(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BRIDGE_BDF), ENODEV,
		   "NIC: GET_DEVICE_FD of the bridge ENODEV");
	da = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, NIC_A_BDF);
	db = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, NIC_B_BDF);
	if (!tap(da >= 0 && db >= 0, "NIC: GET_DEVICE_FD of both", "%s", errname(errno)))
		bail("NIC devices");
	if (EXPECT_OK(ioctl(da, VFIO_DEVICE_GET_INFO, &di), "NIC: GET_INFO"))
		tap(di.flags == VFIO_DEVICE_FLAGS_PCI && di.num_regions == 9 && di.num_irqs == 5,
		    "NIC: GET_INFO (PCI, no RESET)", "flags 0x%x regions %u irqs %u", di.flags,
		    di.num_regions, di.num_irqs);
	check_regions(da, nic_regions, 8, "e1000");
	check_irqs(da, nic_irqs, 6, "e1000");
	if (EXPECT_EQ(pread(da, cfg, 256, (off_t)CFG_OFF), 256, "NIC: config read")) {
		for (int i = 0; i < 256 && bad < 0; i++)
			if (cfg[i] != (i < (int)sizeof(nic_a_config) ? nic_a_config[i] : 0))
				bad = i;
		tap(bad < 0, "NIC: 01:01.0 config as the kernel shows it", "byte 0x%x is 0x%02x",
		    bad, bad >= 0 ? cfg[bad] : 0);
	}
	EXPECT_EQ(cfg_read(db, 0x10, 4), 0xfe6a0000, "NIC: 01:02.0 BAR0");
	cfg_write(da, 0x14, 0xffffffff, 4);
	EXPECT_EQ(cfg_read(da, 0x14, 4), 0xffffffc1, "NIC: I/O BAR sizing");
	cfg_write(da, 0x14, 0xc001, 4);
	cfg_write(da, 0x30, 0xffffffff, 4);
	EXPECT_EQ(cfg_read(da, 0x30, 4), 0xfffc0001, "NIC: ROM sizing keeps the enable bit");
	cfg_write(da, 0x30, 0xfe600000, 4);
	EXPECT_EQ(cfg_read(da, 0x30, 4), 0xfe600000, "NIC: ROM BAR restored");
	v = 0;
	pread(da, &v, 4, (off_t)(6ull << 40));
	EXPECT_EQ(v, 0xe993aa55, "NIC: ROM signature");
	EXPECT_EQ(pread(da, &v, 4, (off_t)(6ull << 40) + 0x3fffc), 4, "NIC: ROM last dword");
	EXPECT_ERR(pread(da, &v, 4, (off_t)(6ull << 40) + 0x40000), EINVAL,
		   "NIC: ROM read past the end EINVAL");
	EXPECT_ERR(pwrite(da, &v, 4, (off_t)(6ull << 40)), EINVAL, "NIC: ROM write EINVAL");
	EXPECT_EQ(pread(da, &v, 4, (off_t)(1ull << 40)), 4, "NIC: I/O BAR read");
	EXPECT_ERR(ioctl(da, VFIO_DEVICE_RESET), EINVAL, "NIC: DEVICE_RESET EINVAL");

	/* Hot reset: both functions sit on bus 1, in group 2. */
	for (uint32_t argsz = 12; argsz <= 16; argsz += 4) {
		memset(&hi, 0, sizeof(hi));
		hi.hdr.argsz = argsz;
		EXPECT_ERR(ioctl(da, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hi), ENOSPC,
			   "hot reset: INFO too small ENOSPC");
		tap(hi.hdr.count == 2 && hi.hdr.argsz == argsz, "hot reset: ENOSPC tells count 2",
		    "count %u argsz %u", hi.hdr.count, hi.hdr.argsz);
	}
	memset(&hi, 0xa5, sizeof(hi));
	hi.hdr.argsz = sizeof(hi);
	hi.hdr.flags = 0;
	if (EXPECT_OK(ioctl(da, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &hi), "hot reset: INFO"))
		tap(hi.hdr.count == 2 && hi.hdr.flags == 0 && hi.devices[0].group_id == 2 &&
			    hi.devices[0].segment == 0 && hi.devices[0].bus == 1 &&
			    hi.devices[0].devfn == 0x08 && hi.devices[1].group_id == 2 &&
			    hi.devices[1].bus == 1 && hi.devices[1].devfn == 0x10,
		    "hot reset: INFO lists 01:01.0 and 01:02.0 in group 2",
		    "count %u flags %u [%u %u:%x] [%u %u:%x]", hi.hdr.count, hi.hdr.flags,
		    hi.devices[0].group_id, hi.devices[0].bus, hi.devices[0].devfn,
		    hi.devices[1].group_id, hi.devices[1].bus, hi.devices[1].devfn);
	fd = g;
	cfg_write(da, 4, 0x0007, 2);
	EXPECT_OK(hot_reset(da, &fd, 1), "hot reset: with the group fd");
	EXPECT_EQ(cfg_read(da, 4, 2), 0x0007, "hot reset: virtual config unchanged");
	EXPECT_OK(hot_reset(db, &fd, 1), "hot reset: from the other function");
	EXPECT_ERR(hot_reset(da, NULL, 0), EINVAL, "hot reset: count 0 EINVAL");
	fd = -1;
	EXPECT_ERR(hot_reset(da, &fd, 1), EBADF, "hot reset: fd -1 EBADF");
	fd = da;
	EXPECT_ERR(hot_reset(da, &fd, 1), EINVAL, "hot reset: device fd EINVAL");
	fd = c;
	EXPECT_ERR(hot_reset(da, &fd, 1), EINVAL, "hot reset: container fd EINVAL");
	memset(&r, 0, sizeof(r));
	r.hdr.argsz = sizeof(r.hdr) + 4;
	r.hdr.flags = 1;
	r.hdr.count = 1;
	r.fds[0] = g;
	EXPECT_ERR(ioctl(da, VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL, "hot reset: flags 1 EINVAL");
	r.hdr.flags = 0;
	r.hdr.argsz = sizeof(r.hdr);
	EXPECT_OK(ioctl(da, VFIO_DEVICE_PCI_HOT_RESET, &r),
		  "hot reset: argsz 12 with count 1 (argsz not checked)");
	edu_g = open(EDU_GROUP_PATH, O_RDWR | O_CLOEXEC);
	fd = edu_g;
	EXPECT_ERR(hot_reset(da, &fd, 1), EINVAL, "hot reset: another group's fd EINVAL");
	close(edu_g);

	/* Group in use: a mate leaving vfio-pci cannot go back to e1000. */
	close(db);
	EXPECT_OK(sysfs_write("/sys/bus/pci/drivers/vfio-pci/unbind", NIC_B_BDF),
		  "NIC: unbind 01:02.0 from vfio-pci");
	EXPECT_ERR(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, NIC_B_BDF), ENODEV,
		   "NIC: GET_DEVICE_FD of the unbound mate ENODEV");
	EXPECT_EQ(group_flags(g), 3, "NIC: still viable, container set");
	fd = g;
	EXPECT_ERR(hot_reset(da, &fd, 1), EINVAL, "hot reset: mate not on vfio-pci EINVAL");
	sysfs_write("/sys/bus/pci/devices/" NIC_B_BDF "/driver_override", "\n");
	EXPECT_ERR(sysfs_write("/sys/bus/pci/drivers/e1000/bind", NIC_B_BDF), EBUSY,
		   "NIC: e1000 bind while the group is in use EBUSY");
	EXPECT_ERR(sysfs_write("/sys/bus/pci/drivers_probe", NIC_B_BDF), EINVAL,
		   "NIC: drivers_probe while the group is in use EINVAL");
	close(da);
	EXPECT_ERR(sysfs_write("/sys/bus/pci/drivers/e1000/bind", NIC_B_BDF), EBUSY,
		   "NIC: still EBUSY with only the group open");
	close(g);
	close(c);
	EXPECT_OK(sysfs_write("/sys/bus/pci/drivers/e1000/bind", NIC_B_BDF),
		  "NIC: e1000 takes 01:02.0 once the group is closed");
	sysfs_write("/sys/bus/pci/devices/" NIC_A_BDF "/driver_override", "\n");
	sysfs_write("/sys/bus/pci/drivers/vfio-pci/unbind", NIC_A_BDF);
	EXPECT_OK(sysfs_write("/sys/bus/pci/drivers_probe", NIC_A_BDF),
		  "NIC: 01:01.0 back to e1000 by drivers_probe");
	tap(!strcmp(driver_of(NIC_A_BDF, drv, sizeof(drv)), "e1000"), "NIC: 01:01.0 on e1000", "%s",
	    drv);
	EXPECT_ERR(open(NIC_GROUP_PATH, O_RDWR), ENOENT, "NIC: group node gone");
}

int main(void)
{
	struct vfio_env e = { -1, -1, -1 };
	char drv[128], buf[64];

	tap_prog = "vfio-full";
	setvbuf(stdout, NULL, _IOLBF, 0);
	EXPECT_ERR(open(EDU_GROUP_PATH, O_RDWR), ENOENT, "edu: no group node while unbound");
	sysfs_read("/sys/bus/pci/devices/" EDU_BDF "/driver_override", buf, sizeof(buf));
	tap(!strcmp(buf, "(null)\n"), "edu: driver_override unset", "%s", buf);
	EXPECT_ERR(sysfs_write("/sys/bus/pci/drivers/vfio-pci/bind", EDU_BDF), ENODEV,
		   "edu: vfio-pci bind without override ENODEV");
	EXPECT_OK(bind_vfio_override(EDU_BDF), "edu: to vfio-pci (override + drivers_probe)");
	if (!tap(!strcmp(driver_of(EDU_BDF, drv, sizeof(drv)), "vfio-pci"), "edu: on vfio-pci",
		 "%s", drv))
		bail("edu not bound");
	test_container_and_group(&e);
	test_device_info(&e);
	test_config(&e);
	test_bar0(&e);
	test_type1(&e);
	test_dma_kinds(&e);
	test_msi(&e);
	test_intx(&e);
	test_reopen(&e);
	test_type1_v1();
	test_unbind_open_device();
	test_nic_group();
	return tap_done();
}

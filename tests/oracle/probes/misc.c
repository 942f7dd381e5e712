/* misc.c - leftovers on edu: type1 windows with a clean IOVA space, BAR mmap, fd
 * identities, DEVICE_FEATURE probes, zero-length and odd accesses. */
#include "common.h"
#include <sys/mman.h>

#define BDF "0000:00:03.0"
static int c;

static long map(const char *what, uint64_t iova, void *vaddr, uint64_t size)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof m,
					      .flags = 3,
					      .vaddr = (uintptr_t)vaddr,
					      .iova = iova,
					      .size = size };
	char w[200];
	snprintf(w, sizeof w, "MAP_DMA %s (iova=0x%llx size=0x%llx)", what,
		 (unsigned long long)iova, (unsigned long long)size);
	return show(w, ioctl(c, VFIO_IOMMU_MAP_DMA, &m));
}

static void fdid(const char *what, int fd)
{
	char p[64], t[256];
	snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
	ssize_t n = readlink(p, t, sizeof t - 1);
	t[n < 0 ? 0 : n] = 0;
	printf("%s: readlink=\"%s\"\n", what, t);
	snprintf(p, sizeof p, "/proc/self/fdinfo/%d", fd);
	cat_file(p);
}

int main(void)
{
	bind_vfio(BDF);
	c = open("/dev/vfio/vfio", O_RDWR);
	int g = open("/dev/vfio/1", O_RDWR);
	fdid("container fd (before SET_CONTAINER)", c);
	fdid("group fd", g);
	ioctl(g, VFIO_GROUP_SET_CONTAINER, &c);
	ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU);
	int d = show("GET_DEVICE_FD", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, BDF));
	fdid("device fd", d);
	printf("device fd flags: 0x%x (O_CLOEXEC on fd: %d)\n", fcntl(d, F_GETFL),
	       fcntl(d, F_GETFD));
	{
		char b[16];
		show("read(container fd)", read(c, b, 4));
		show("read(group fd)", read(g, b, 4));
		show("read(device fd, offset 0 = BAR0) ", read(d, b, 4));
		show("pread len 0 at config", pread(d, b, 0, 7ULL << 40));
		show("mmap(container)",
		     (long)mmap(NULL, 4096, PROT_READ, MAP_SHARED, c, 0) == -1 ? -1 : 0);
		show("mmap(group)",
		     (long)mmap(NULL, 4096, PROT_READ, MAP_SHARED, g, 0) == -1 ? -1 : 0);
	}
	printf("--- mmap\n");
	{
		void *m = mmap(NULL, 1 << 20, PROT_READ | PROT_WRITE, MAP_SHARED, d, 0);
		show("mmap BAR0 1MiB offset 0", m == MAP_FAILED ? -1 : 0);
		if (m != MAP_FAILED) {
			uint16_t cmd = 0;
			pread(d, &cmd, 2, (7ULL << 40) + 4);
			printf("  command=0x%04x\n", cmd);
			printf("  BAR0[0] via mmap = 0x%08x\n", *(volatile uint32_t *)m);
			*(volatile uint32_t *)((char *)m + 4) = 0x12345678;
			printf("  BAR0[4] after writing 0x12345678 (edu liveness = ~value) = 0x%08x\n",
			       *(volatile uint32_t *)((char *)m + 4));
			munmap(m, 1 << 20);
		}
		m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, d, 0xff000);
		show("mmap BAR0 last page", m == MAP_FAILED ? -1 : 0);
		if (m != MAP_FAILED)
			munmap(m, 4096);
		m = mmap(NULL, 2 << 20, PROT_READ, MAP_SHARED, d, 0);
		show("mmap BAR0 2MiB (beyond size)", m == MAP_FAILED ? -1 : 0);
		m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, d, 0x100000);
		show("mmap BAR0 offset 1MiB", m == MAP_FAILED ? -1 : 0);
		m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, d, 7ULL << 40);
		show("mmap config region", m == MAP_FAILED ? -1 : 0);
		m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, d, 1ULL << 40);
		show("mmap BAR1 (size 0)", m == MAP_FAILED ? -1 : 0);
		m = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE, d, 0);
		show("mmap BAR0 MAP_PRIVATE", m == MAP_FAILED ? -1 : 0);
		m = mmap(NULL, 4096, PROT_READ, MAP_SHARED, d, 0x800);
		show("mmap BAR0 offset 0x800 (unaligned)", m == MAP_FAILED ? -1 : 0);
		/* memory disabled */
		uint16_t cmd = 0x0000;
		pwrite(d, &cmd, 2, (7ULL << 40) + 4);
		uint32_t v = 0;
		show("pread BAR0 with MEM disabled in command", pread(d, &v, 4, 0));
		printf("  value=0x%08x\n", v);
		cmd = 0x0006;
		pwrite(d, &cmd, 2, (7ULL << 40) + 4);
	}
	printf("--- DEVICE_FEATURE\n");
	for (int f = 0; f <= 12; f++) {
		struct vfio_device_feature hdr = { .argsz = sizeof hdr,
						   .flags = VFIO_DEVICE_FEATURE_PROBE |
							    VFIO_DEVICE_FEATURE_GET | f };
		char w[80];
		snprintf(w, sizeof w, "DEVICE_FEATURE PROBE|GET feature=%d", f);
		show(w, ioctl(d, VFIO_DEVICE_FEATURE, &hdr));
		hdr.flags = VFIO_DEVICE_FEATURE_PROBE | VFIO_DEVICE_FEATURE_SET | f;
		snprintf(w, sizeof w, "DEVICE_FEATURE PROBE|SET feature=%d", f);
		show(w, ioctl(d, VFIO_DEVICE_FEATURE, &hdr));
	}
	{
		struct vfio_device_feature hdr = { .argsz = 8,
						   .flags = VFIO_DEVICE_FEATURE_PROBE |
							    VFIO_DEVICE_FEATURE_GET };
		show("DEVICE_FEATURE argsz=8", ioctl(d, VFIO_DEVICE_FEATURE, &hdr));
		hdr.argsz = sizeof hdr;
		hdr.flags = 0;
		show("DEVICE_FEATURE flags=0 (no GET/SET/PROBE) feature 0",
		     ioctl(d, VFIO_DEVICE_FEATURE, &hdr));
		hdr.flags = VFIO_DEVICE_FEATURE_GET | VFIO_DEVICE_FEATURE_SET |
			    VFIO_DEVICE_FEATURE_PROBE | 9;
		show("DEVICE_FEATURE GET|SET|PROBE feature 9", ioctl(d, VFIO_DEVICE_FEATURE, &hdr));
		hdr.flags = (1u << 20) | VFIO_DEVICE_FEATURE_PROBE | 9;
		show("DEVICE_FEATURE unknown flag bit20", ioctl(d, VFIO_DEVICE_FEATURE, &hdr));
	}
	printf("--- type1 windows (clean)\n");
	unsigned char *p = mmap(NULL, 64 << 10, PROT_READ | PROT_WRITE,
				MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	map("0xfedff000 8K (crosses into MSI window)", 0xfedff000ULL, p, 8192);
	map("0xfedfe000 8K (ends at MSI start)", 0xfedfe000ULL, p, 8192);
	map("0xfeeff000 8K (starts inside MSI window end)", 0xfeeff000ULL, p, 8192);
	map("0xfeeff000 4K (last page of MSI window)", 0xfeeff000ULL, p, 4096);
	map("0xfed00000 2M (covers MSI window start)", 0xfed00000ULL, p, 2 << 20);
	map("0x7ffffff000 8K (crosses 1<<39)", 0x7ffffff000ULL, p, 8192);
	map("0x7fffffe000 8K (ends at 1<<39)", 0x7fffffe000ULL, p, 8192);
	map("0x8000000000 4K", 0x8000000000ULL, p, 4096);
	map("0xfffffffff000 4K (48-bit)", 0xfffffffff000ULL, p, 4096);
	map("iova 0 size 1<<40 (huge, crosses everything)", 0, p, 1ULL << 40);
	{
		struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u,
							.flags = VFIO_DMA_UNMAP_FLAG_ALL };
		show("UNMAP_ALL", ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u));
		printf("  size=0x%llx\n", (unsigned long long)u.size);
	}
	close(d);
	close(g);
	close(c);
	return 0;
}

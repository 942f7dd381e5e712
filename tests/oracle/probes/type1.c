/* type1.c - type1 IOMMU MAP/UNMAP semantics and errnos on the edu container.
 *   ./lab.sh type1.c v2    (VFIO_TYPE1v2_IOMMU, default)
 *   ./lab.sh type1.c v1    (VFIO_TYPE1_IOMMU) */
#include "common.h"
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/wait.h>
#include <sys/syscall.h>
#include <linux/capability.h>

#define BDF "0000:00:03.0"
static int c;

static uint32_t dma_avail(void)
{
	unsigned char b[512];
	memset(b, 0, sizeof b);
	struct vfio_iommu_type1_info *info = (void *)b;
	info->argsz = sizeof b;
	if (ioctl(c, VFIO_IOMMU_GET_INFO, info) < 0) {
		printf("GET_INFO failed %s\n", strerrorname_np(errno));
		return 0;
	}
	uint32_t off = info->cap_offset;
	while (off && off < sizeof b) {
		struct vfio_info_cap_header *h = (void *)(b + off);
		if (h->id == VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL)
			return ((struct vfio_iommu_type1_info_dma_avail *)h)->avail;
		off = h->next;
	}
	return 0xffffffff;
}

static long map(const char *what, uint64_t iova, void *vaddr, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = { .argsz = sizeof m,
					      .flags = flags,
					      .vaddr = (uintptr_t)vaddr,
					      .iova = iova,
					      .size = size };
	char w[200];
	snprintf(w, sizeof w, "MAP_DMA %s (iova=0x%llx size=0x%llx flags=0x%x)", what,
		 (unsigned long long)iova, (unsigned long long)size, flags);
	return show(w, ioctl(c, VFIO_IOMMU_MAP_DMA, &m));
}

static long unmap(const char *what, uint64_t iova, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_unmap u = { .argsz = sizeof u,
						.flags = flags,
						.iova = iova,
						.size = size };
	char w[200];
	snprintf(w, sizeof w, "UNMAP_DMA %s (iova=0x%llx size=0x%llx flags=0x%x)", what,
		 (unsigned long long)iova, (unsigned long long)size, flags);
	long r = show(w, ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u));
	printf("  -> returned size=0x%llx iova=0x%llx flags=0x%x argsz=%u\n",
	       (unsigned long long)u.size, (unsigned long long)u.iova, u.flags, u.argsz);
	return r;
}

#define RW (VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE)

static int drop_ipc_lock(void)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3, .pid = 0 };
	struct __user_cap_data_struct data[2];
	if (syscall(SYS_capget, &hdr, data) < 0)
		return -1;
	data[CAP_IPC_LOCK / 32].effective &= ~(1u << (CAP_IPC_LOCK % 32));
	data[CAP_IPC_LOCK / 32].permitted &= ~(1u << (CAP_IPC_LOCK % 32));
	return syscall(SYS_capset, &hdr, data);
}

int main(int argc, char **argv)
{
	int v1 = argc > 1 && strcmp(argv[1], "v1") == 0;
	int type = v1 ? VFIO_TYPE1_IOMMU : VFIO_TYPE1v2_IOMMU;
	printf("mode: %s (SET_IOMMU %d)\n", v1 ? "TYPE1" : "TYPE1v2", type);
	bind_vfio(BDF);
	c = open("/dev/vfio/vfio", O_RDWR);
	int g = open("/dev/vfio/1", O_RDWR);
	show("SET_CONTAINER", ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
	{
		struct vfio_iommu_type1_dma_map m = { .argsz = sizeof m,
						      .flags = RW,
						      .size = 4096 };
		show("MAP_DMA before SET_IOMMU", ioctl(c, VFIO_IOMMU_MAP_DMA, &m));
	}
	show("SET_IOMMU", ioctl(c, VFIO_SET_IOMMU, type));
	show("SET_IOMMU the other type1 flavour",
	     ioctl(c, VFIO_SET_IOMMU, v1 ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU));
	printf("CHECK_EXTENSION:");
	for (int i = 0; i <= 12; i++)
		printf(" %d=%d", i, ioctl(c, VFIO_CHECK_EXTENSION, i));
	printf("\n");
	printf("DMA_AVAIL initial = %u\n", dma_avail());

	size_t bufsz = 8 << 20;
	unsigned char *mem = mmap(NULL, bufsz + (2 << 20), PROT_READ | PROT_WRITE,
				  MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	unsigned char *p = (unsigned char *)(((uintptr_t)mem + 0xfff) & ~0xfffUL);
	memset(p, 1, bufsz);

	map("4K at iova 0", 0, p, 4096, RW);
	printf("DMA_AVAIL after 1 map = %u\n", dma_avail());
	map("same again", 0, p, 4096, RW);
	map("same iova, other vaddr", 0, p + 4096, 4096, RW);
	map("overlapping (iova 0, 8K)", 0, p + 4096, 8192, RW);
	map("misaligned iova", 0x10001, p, 4096, RW);
	map("misaligned vaddr", 0x10000, p + 1, 4096, RW);
	map("misaligned size", 0x10000, p, 4097, RW);
	map("size 512", 0x10000, p, 512, RW);
	map("size 0", 0x10000, p, 0, RW);
	map("no READ/WRITE", 0x10000, p, 4096, 0);
	map("READ only", 0x20000, p, 4096, VFIO_DMA_MAP_FLAG_READ);
	map("WRITE only", 0x30000, p, 4096, VFIO_DMA_MAP_FLAG_WRITE);
	map("unknown flag 1<<5", 0x10000, p, 4096, RW | (1u << 5));
	map("flag VADDR on new iova", 0x10000, p, 4096, RW | VFIO_DMA_MAP_FLAG_VADDR);
	map("iova 0xfee00000 (MSI window)", 0xfee00000ULL, p, 4096, RW);
	map("iova 0xfedff000 (just below MSI)", 0xfedff000ULL, p, 4096, RW);
	map("iova 0xfedff000 size 8K (into MSI)", 0xfedff000ULL, p + 4096, 8192, RW);
	map("iova 0xfef00000 (just above MSI)", 0xfef00000ULL, p + 8192, 4096, RW);
	map("iova 1<<39", 1ULL << 39, p, 4096, RW);
	map("iova (1<<39)-4096", (1ULL << 39) - 4096, p + 12288, 4096, RW);
	map("iova (1<<39)-4096 size 8K", (1ULL << 39) - 8192 - 4096, p, 16384, RW);
	map("iova wrap", 0xfffffffffffff000ULL, p, 8192, RW);
	map("iova 0xfffffffffffff000 size 4K", 0xfffffffffffff000ULL, p, 4096, RW);
	map("vaddr wrap", 0x40000, (void *)0xfffffffffffff000ULL, 8192, RW);
	map("vaddr unmapped (0x10000)", 0x40000, (void *)0x10000, 4096, RW);
	{
		void *ro = mmap(NULL, 4096, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
		map("PROT_READ page with RW", 0x50000, ro, 4096, RW);
		map("PROT_READ page with READ", 0x50000, ro, 4096, VFIO_DMA_MAP_FLAG_READ);
		unmap("the PROT_READ mapping", 0x50000, 4096, 0);
	}
	{
		struct vfio_iommu_type1_dma_map m = { .argsz = 16,
						      .flags = RW,
						      .vaddr = (uintptr_t)p,
						      .iova = 0x60000,
						      .size = 4096 };
		show("MAP_DMA argsz=16", ioctl(c, VFIO_IOMMU_MAP_DMA, &m));
		m.argsz = 31;
		show("MAP_DMA argsz=31", ioctl(c, VFIO_IOMMU_MAP_DMA, &m));
		m.argsz = 64;
		show("MAP_DMA argsz=64", ioctl(c, VFIO_IOMMU_MAP_DMA, &m));
		struct vfio_iommu_type1_dma_unmap u = { .argsz = 16,
							.iova = 0x60000,
							.size = 4096 };
		show("UNMAP_DMA argsz=16", ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u));
		u.argsz = sizeof u;
		u.flags = 1u << 5;
		show("UNMAP_DMA unknown flag 1<<5", ioctl(c, VFIO_IOMMU_UNMAP_DMA, &u));
		unmap("0x60000", 0x60000, 4096, 0);
	}
	printf("DMA_AVAIL now = %u\n", dma_avail());

	printf("--- bisect\n");
	map("2 pages at 0x100000", 0x100000, p, 8192, RW);
	unmap("first page of 2-page mapping", 0x100000, 4096, 0);
	unmap("second page of 2-page mapping", 0x101000, 4096, 0);
	unmap("middle straddling 0x100800", 0x100800, 4096, 0);
	unmap("whole 2 pages", 0x100000, 8192, 0);
	unmap("whole 2 pages again (now empty)", 0x100000, 8192, 0);
	printf("--- adjacent maps\n");
	map("A 0x200000 4K", 0x200000, p, 4096, RW);
	map("B 0x201000 4K (vaddr contiguous)", 0x201000, p + 4096, 4096, RW);
	printf("DMA_AVAIL = %u\n", dma_avail());
	unmap("first of the adjacent pair", 0x200000, 4096, 0);
	unmap("range covering both 0x200000 8K", 0x200000, 8192, 0);
	printf("--- unmap spanning several + holes\n");
	map("0x300000", 0x300000, p, 4096, RW);
	map("0x302000", 0x302000, p, 4096, RW);
	map("0x304000 2 pages", 0x304000, p, 8192, RW);
	unmap("0x300000 size 0x5000 (cuts last mapping)", 0x300000, 0x5000, 0);
	unmap("0x2ff000 size 0x4000 (starts in hole)", 0x2ff000, 0x4000, 0);
	unmap("0x300000 size 0x6000", 0x300000, 0x6000, 0);
	printf("--- unmap misuse\n");
	unmap("empty range 0x700000", 0x700000, 0x1000, 0);
	unmap("misaligned iova", 0x700001, 0x1000, 0);
	unmap("misaligned size", 0x700000, 0x1001, 0);
	unmap("size 0", 0x700000, 0, 0);
	unmap("wrap", 0xfffffffffffff000ULL, 0x2000, 0);
	unmap("huge size from 0", 0, 0xfffffffffffff000ULL, 0);
	map("0x800000", 0x800000, p, 4096, RW);
	map("0x900000 64K", 0x900000, p, 65536, RW);
	printf("DMA_AVAIL = %u\n", dma_avail());
	unmap("UNMAP_ALL with iova=0x800000", 0x800000, 0, VFIO_DMA_UNMAP_FLAG_ALL);
	unmap("UNMAP_ALL with size=0x1000", 0, 0x1000, VFIO_DMA_UNMAP_FLAG_ALL);
	unmap("UNMAP_ALL|VADDR", 0, 0, VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR);
	unmap("UNMAP_ALL|GET_DIRTY_BITMAP", 0, 0,
	      VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP);
	unmap("UNMAP_ALL iova=0 size=0", 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
	printf("DMA_AVAIL after UNMAP_ALL = %u\n", dma_avail());
	unmap("UNMAP_ALL on empty", 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);

	printf("--- vaddr update\n");
	map("0xa00000 8K", 0xa00000, p, 8192, RW);
	unmap("VADDR invalidate 0xa00000 8K", 0xa00000, 8192, VFIO_DMA_UNMAP_FLAG_VADDR);
	unmap("VADDR invalidate again", 0xa00000, 8192, VFIO_DMA_UNMAP_FLAG_VADDR);
	map("VADDR update with READ|WRITE flags", 0xa00000, p + 8192, 8192,
	    RW | VFIO_DMA_MAP_FLAG_VADDR);
	map("VADDR update (flag only)", 0xa00000, p + 8192, 8192, VFIO_DMA_MAP_FLAG_VADDR);
	map("VADDR update again (not invalidated)", 0xa00000, p + 8192, 8192,
	    VFIO_DMA_MAP_FLAG_VADDR);
	unmap("0xa00000 8K", 0xa00000, 8192, 0);

	printf("--- hugepage-ish: 2M aligned 4M\n");
	{
		unsigned char *h =
			(unsigned char *)(((uintptr_t)mem + (2 << 20) - 1) & ~((2UL << 20) - 1));
		map("4M at 0x1000000", 0x1000000, h, 4 << 20, RW);
		unmap("4K in the middle of 4M", 0x1100000, 4096, 0);
		unmap("all 4M", 0x1000000, 4 << 20, 0);
	}

	printf("--- RLIMIT_MEMLOCK 64KiB, map 1MiB (as root with CAP_IPC_LOCK)\n");
	{
		struct rlimit rl = { 65536, 65536 };
		show("setrlimit(RLIMIT_MEMLOCK, 64K)", setrlimit(RLIMIT_MEMLOCK, &rl));
		map("1MiB at 0x2000000 (root)", 0x2000000, p, 1 << 20, RW);
		unmap("1MiB", 0x2000000, 1 << 20, 0);
		fflush(stdout);
		pid_t pid = fork();
		if (pid == 0) {
			show("drop CAP_IPC_LOCK (capset)", drop_ipc_lock());
			map("1MiB at 0x2000000 (no CAP_IPC_LOCK, limit 64K)", 0x2000000, p, 1 << 20,
			    RW);
			map("32K at 0x3000000 (no CAP_IPC_LOCK, limit 64K)", 0x3000000, p, 32768,
			    RW);
			map("64K at 0x3100000 (no CAP_IPC_LOCK, limit 64K, 32K used)", 0x3100000,
			    p + 65536, 65536, RW);
			map("32K at 0x3200000 same vaddr as first 32K", 0x3200000, p, 32768, RW);
			unmap("UNMAP_ALL", 0, 0, VFIO_DMA_UNMAP_FLAG_ALL);
			fflush(stdout);
			_exit(0);
		}
		int st;
		waitpid(pid, &st, 0);
	}
	printf("--- misc container ioctls\n");
	show("SET_IOMMU again", ioctl(c, VFIO_SET_IOMMU, type));
	show("unknown ioctl VFIO_BASE+50", ioctl(c, _IO(VFIO_TYPE, VFIO_BASE + 50)));
	{
		struct vfio_iommu_type1_dirty_bitmap db = {
			.argsz = sizeof db,
			.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START
		};
		show("DIRTY_PAGES START", ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &db));
		db.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP;
		show("DIRTY_PAGES STOP", ioctl(c, VFIO_IOMMU_DIRTY_PAGES, &db));
	}
	show("IOMMU_ENABLE (spapr)", ioctl(c, VFIO_IOMMU_ENABLE));
	printf("DMA_AVAIL final = %u\n", dma_avail());
	close(g);
	close(c);
	return 0;
}

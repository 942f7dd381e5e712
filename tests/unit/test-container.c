// SPDX-License-Identifier: MIT
/*
 * The container (/dev/vfio/vfio) and the type1 backend, through the uAPI:
 * digest §2.3, §2.4, §2.10; oracle tests/oracle/{edu,type1-v1,type1-v2,misc}.txt
 * (a real 6.12 kernel under QEMU q35, 39-bit VT-d, MSI window at 0xfee00000).
 */
#include "common.h"

#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>

/*
 * A world with edu on vfio-pci, its group in a container, the IOMMU of @type
 * set (0: none), for a proc with @opts.
 */
static void setup_opts(struct vfio_env *e, int type, const struct uvfio_proc_opts *opts)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p;

	bind_vfio(w, EDU_BDF);
	p = uvfio_proc_new(w, opts);
	ASSERT_TRUE(p);
	env_open(e, w, p, EDU_GROUP, NULL, type);
}

static void setup(struct vfio_env *e, int type)
{
	setup_opts(e, type, NULL);
}

/* CHECK_EXTENSION for ids 0..12 as a bitmap. */
static unsigned int extensions(struct uvfio_proc *p, int container)
{
	unsigned int mask = 0;

	for (unsigned long ext = 0; ext <= 12; ext++) {
		int ret = uvfio_ioctl(p, container, VFIO_CHECK_EXTENSION, ext);

		ASSERT_OK(ret);
		if (ret > 0)
			mask |= 1u << ext;
	}
	return mask;
}

#define EXT(n) (1u << (n))
/* type1 answers 1/3/6/9 always; 10 (UPDATE_VADDR) only with an instance (oracle edu.txt). */
#define EXT_NO_BACKEND                                                                     \
	(EXT(VFIO_TYPE1_IOMMU) | EXT(VFIO_TYPE1v2_IOMMU) | EXT(VFIO_TYPE1_NESTING_IOMMU) | \
	 EXT(VFIO_UNMAP_ALL))
#define EXT_TYPE1 (EXT_NO_BACKEND | EXT(VFIO_UPDATE_VADDR))

TEST(container, api_version)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	int c = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);

	ASSERT_OK(c);
	ASSERT_EQ(uvfio_ioctl(p, c, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	ASSERT_OK(uvfio_close(p, c));
	uvfio_proc_free(p);
	world_free(w);
}

TEST(container, api_version_after_set_iommu)
{
	struct vfio_env e;

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(uvfio_ioctl(e.p, e.container, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	env_teardown(&e);
}

TEST(container, check_extension_without_group)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	int c = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);

	ASSERT_OK(c);
	ASSERT_EQ(extensions(p, c), EXT_NO_BACKEND);
	/* Unknown ids are "no", never an error. */
	ASSERT_EQ(uvfio_ioctl(p, c, VFIO_CHECK_EXTENSION, 1000ul), 0);
	ASSERT_OK(uvfio_close(p, c));
	uvfio_proc_free(p);
	world_free(w);
}

TEST(container, check_extension_group_without_iommu)
{
	struct vfio_env e;

	setup(&e, 0);
	ASSERT_EQ(extensions(e.p, e.container), EXT_NO_BACKEND);
	env_teardown(&e);
}

TEST(container, check_extension_after_set_iommu)
{
	struct vfio_env e;

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(extensions(e.p, e.container), EXT_TYPE1);
	env_teardown(&e);
}

TEST(container, set_iommu_without_group_einval)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	int c = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);

	ASSERT_OK(c);
	ASSERT_ERRNO(uvfio_ioctl(p, c, VFIO_SET_IOMMU, (unsigned long)VFIO_TYPE1v2_IOMMU), EINVAL);
	ASSERT_ERRNO(uvfio_ioctl(p, c, VFIO_SET_IOMMU, (unsigned long)VFIO_TYPE1_IOMMU), EINVAL);
	ASSERT_OK(uvfio_close(p, c));
	uvfio_proc_free(p);
	world_free(w);
}

TEST(container, set_iommu_twice_einval)
{
	struct vfio_env e;

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, VFIO_SET_IOMMU,
				 (unsigned long)VFIO_TYPE1v2_IOMMU),
		     EINVAL);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, VFIO_SET_IOMMU, (unsigned long)VFIO_TYPE1_IOMMU),
		     EINVAL);
	env_teardown(&e);
}

/* No backend takes these types: -ENODEV (oracle edu.txt "SET_IOMMU 99/0/8/2"). */
TEST(container, set_iommu_bad_type_enodev)
{
	static const unsigned long types[] = { 99, 0, VFIO_NOIOMMU_IOMMU, VFIO_SPAPR_TCE_IOMMU,
					       VFIO_SPAPR_TCE_v2_IOMMU };
	struct vfio_env e;

	setup(&e, 0);
	for (size_t i = 0; i < sizeof(types) / sizeof(types[0]); i++)
		ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, VFIO_SET_IOMMU, types[i]), ENODEV);
	/* The failed attempts left the container usable. */
	ASSERT_OK(uvfio_ioctl(e.p, e.container, VFIO_SET_IOMMU, (unsigned long)VFIO_TYPE1v2_IOMMU));
	env_teardown(&e);
}

TEST(container, unknown_ioctl_before_set_iommu_einval)
{
	struct vfio_env e;
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	char buf[64];

	setup(&e, 0);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, _IO(VFIO_TYPE, VFIO_BASE + 50)), EINVAL);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, VFIO_IOMMU_GET_INFO, &info), EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0, buf, PAGE_SZ, 3), EINVAL);
	env_teardown(&e);
}

TEST(container, unknown_ioctl_without_group_einval)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	int c = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);

	ASSERT_OK(c);
	ASSERT_ERRNO(uvfio_ioctl(p, c, _IO(VFIO_TYPE, VFIO_BASE + 50)), EINVAL);
	ASSERT_OK(uvfio_close(p, c));
	uvfio_proc_free(p);
	world_free(w);
}

TEST(container, unknown_ioctl_after_set_iommu_enotty)
{
	struct vfio_env e;

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, _IO(VFIO_TYPE, VFIO_BASE + 50)), ENOTTY);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, _IO('x', 1)), ENOTTY);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, VFIO_IOMMU_ENABLE), ENOTTY);
	env_teardown(&e);
}

TEST(container, read_einval)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	int c = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);
	char b[4];

	ASSERT_OK(c);
	ASSERT_ERRNO(uvfio_read(p, c, b, sizeof(b)), EINVAL);
	ASSERT_OK(uvfio_close(p, c));
	uvfio_proc_free(p);
	world_free(w);
}

/*
 * The chain: MIGRATION (2) at 24, DMA_AVAIL (3), IOVA_RANGE (1) last; the IOVA
 * ranges are [0, 0xfedfffff] and [0xfef00000, 2^39-1] (oracle edu.txt argsz=256).
 */
TEST(container, get_info_caps)
{
	struct vfio_env e;
	char buf[256];
	struct vfio_iommu_type1_info *info = (void *)buf;
	const struct vfio_iommu_type1_info_cap_iova_range *r;
	const struct vfio_iommu_type1_info_cap_migration *mig;
	const struct vfio_iommu_type1_info_dma_avail *avail;
	uint32_t seen = 0, off;

	setup(&e, VFIO_TYPE1v2_IOMMU);
	memset(buf, 0xa5, sizeof(buf));
	info->argsz = sizeof(buf);
	ASSERT_OK(uvfio_ioctl(e.p, e.container, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(info->argsz, sizeof(buf));
	ASSERT_EQ(info->flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	ASSERT_EQ(info->iova_pgsizes, 0x40201000ull); /* 4K | 2M | 1G */
	ASSERT_EQ(info->cap_offset, sizeof(*info));

	for (off = info->cap_offset; off;) {
		const struct vfio_info_cap_header *h = (const void *)(buf + off);

		ASSERT_EQ(off % 8, 0);
		ASSERT_LT(off, sizeof(buf));
		ASSERT_EQ(h->version, 1);
		ASSERT_FALSE(seen & (1u << h->id));
		seen |= 1u << h->id;
		off = h->next;
	}
	ASSERT_EQ(seen, (1u << VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE) |
				(1u << VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION) |
				(1u << VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL));

	mig = (const void *)iommu_info_cap(e.p, e.container, buf, sizeof(buf),
					   VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION);
	ASSERT_TRUE(mig);
	ASSERT_EQ(mig->flags, 0);
	ASSERT_EQ(mig->pgsize_bitmap, PAGE_SZ);
	ASSERT_EQ(mig->max_dirty_bitmap_size, 256ull << 20);

	avail = (const void *)iommu_info_cap(e.p, e.container, buf, sizeof(buf),
					     VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ASSERT_TRUE(avail);
	ASSERT_EQ(avail->avail, 65535);

	r = (const void *)iommu_info_cap(e.p, e.container, buf, sizeof(buf),
					 VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE);
	ASSERT_TRUE(r);
	ASSERT_EQ(r->nr_iovas, 2);
	ASSERT_EQ(r->iova_ranges[0].start, 0);
	ASSERT_EQ(r->iova_ranges[0].end, 0xfedfffffull);
	ASSERT_EQ(r->iova_ranges[1].start, 0xfef00000ull);
	ASSERT_EQ(r->iova_ranges[1].end, (1ull << 39) - 1);
	/* No range touches the MSI window. */
	for (uint32_t i = 0; i < r->nr_iovas; i++)
		ASSERT_TRUE(r->iova_ranges[i].end < 0xfee00000ull ||
			    r->iova_ranges[i].start > 0xfeefffffull);
	env_teardown(&e);
}

/* argsz too small for the caps: success, CAPS set, argsz = needed size, no caps written. */
TEST(container, get_info_small_argsz)
{
	struct vfio_env e;
	unsigned char buf[64], want[64];
	struct vfio_iommu_type1_info *info = (void *)buf;

	setup(&e, VFIO_TYPE1v2_IOMMU);

	memset(buf, 0xa5, sizeof(buf));
	info->argsz = 16;
	ASSERT_OK(uvfio_ioctl(e.p, e.container, VFIO_IOMMU_GET_INFO, info));
	ASSERT_EQ(info->argsz, 0x78);
	ASSERT_EQ(info->flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
	ASSERT_EQ(info->iova_pgsizes, 0x40201000ull);
	memset(want, 0xa5, sizeof(want));
	ASSERT_MEMEQ(buf + 16, want, sizeof(buf) - 16); /* nothing past argsz was written */

	for (uint32_t argsz = 24; argsz <= 32; argsz += 8) {
		memset(buf, 0xa5, sizeof(buf));
		info->argsz = argsz;
		ASSERT_OK(uvfio_ioctl(e.p, e.container, VFIO_IOMMU_GET_INFO, info));
		ASSERT_EQ(info->argsz, 0x78);
		ASSERT_EQ(info->flags, VFIO_IOMMU_INFO_PGSIZES | VFIO_IOMMU_INFO_CAPS);
		ASSERT_EQ(info->cap_offset, 0);
		ASSERT_MEMEQ(buf + 24, want, sizeof(buf) - 24);
	}

	memset(buf, 0xa5, sizeof(buf));
	info->argsz = 12;
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, VFIO_IOMMU_GET_INFO, info), EINVAL);
	env_teardown(&e);
}

TEST(container, map_unmap_returns_size)
{
	struct vfio_env e;
	void *buf = anon_alloc(4 * PAGE_SZ);
	uint64_t size = 0;

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(dma_avail(e.p, e.container), 65535);
	ASSERT_OK(dma_map(e.p, e.container, 0, buf, PAGE_SZ, 3));
	ASSERT_EQ(dma_avail(e.p, e.container), 65534);
	ASSERT_OK(dma_map(e.p, e.container, 0x100000, buf, 4 * PAGE_SZ, 3));
	ASSERT_EQ(dma_avail(e.p, e.container), 65533);
	ASSERT_OK(dma_unmap(e.p, e.container, 0x100000, 4 * PAGE_SZ, 0, &size));
	ASSERT_EQ(size, 4 * PAGE_SZ);
	ASSERT_OK(dma_unmap(e.p, e.container, 0, PAGE_SZ, 0, &size));
	ASSERT_EQ(size, PAGE_SZ);
	ASSERT_EQ(dma_avail(e.p, e.container), 65535);
	env_teardown(&e);
	anon_free(buf, 4 * PAGE_SZ);
}

TEST(container, map_overlap_eexist)
{
	struct vfio_env e;
	char *buf = anon_alloc(4 * PAGE_SZ);

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_OK(dma_map(e.p, e.container, 0x10000, buf, 2 * PAGE_SZ, 3));
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x10000, buf, 2 * PAGE_SZ, 3), EEXIST);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x10000, buf + 2 * PAGE_SZ, PAGE_SZ, 3), EEXIST);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0xf000, buf, 2 * PAGE_SZ, 3), EEXIST);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x11000, buf, 2 * PAGE_SZ, 3), EEXIST);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0, buf, 1ull << 30, 3), EEXIST);
	/* Adjacent on both sides is fine. */
	ASSERT_OK(dma_map(e.p, e.container, 0xf000, buf, PAGE_SZ, 3));
	ASSERT_OK(dma_map(e.p, e.container, 0x12000, buf, PAGE_SZ, 3));
	ASSERT_EQ(dma_avail(e.p, e.container), 65532);
	env_teardown(&e);
	anon_free(buf, 4 * PAGE_SZ);
}

TEST(container, map_misaligned_einval)
{
	struct vfio_env e;
	char *buf = anon_alloc(2 * PAGE_SZ);

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x10001, buf, PAGE_SZ, 3), EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x10000, buf + 1, PAGE_SZ, 3), EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x10000, buf, PAGE_SZ + 1, 3), EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x10000, buf, 512, 3), EINVAL);
	ASSERT_EQ(dma_avail(e.p, e.container), 65535);
	env_teardown(&e);
	anon_free(buf, 2 * PAGE_SZ);
}

TEST(container, map_zero_size_einval)
{
	struct vfio_env e;
	char *buf = anon_alloc(PAGE_SZ);

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x10000, buf, 0, 3), EINVAL);
	env_teardown(&e);
	anon_free(buf, PAGE_SZ);
}

TEST(container, map_no_read_write_einval)
{
	struct vfio_env e;
	char *buf = anon_alloc(PAGE_SZ);

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x10000, buf, PAGE_SZ, 0), EINVAL);
	ASSERT_OK(dma_map(e.p, e.container, 0x20000, buf, PAGE_SZ, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_OK(dma_map(e.p, e.container, 0x30000, buf, PAGE_SZ, VFIO_DMA_MAP_FLAG_WRITE));
	env_teardown(&e);
	anon_free(buf, PAGE_SZ);
}

TEST(container, map_unknown_flags_einval)
{
	struct vfio_env e;
	char *buf = anon_alloc(PAGE_SZ);

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x10000, buf, PAGE_SZ, 3 | (1u << 5)), EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x10000, buf, PAGE_SZ, 3 | (1u << 31)), EINVAL);
	/* VADDR with READ/WRITE, and VADDR for an iova never mapped. */
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x10000, buf, PAGE_SZ, 7), EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x10000, buf, PAGE_SZ, VFIO_DMA_MAP_FLAG_VADDR),
		     ENOENT);
	env_teardown(&e);
	anon_free(buf, PAGE_SZ);
}

TEST(container, map_argsz)
{
	struct vfio_env e;
	char *buf = anon_alloc(PAGE_SZ);
	struct {
		struct vfio_iommu_type1_dma_map m;
		char pad[32];
	} big;
	struct vfio_iommu_type1_dma_map m = {
		.flags = 3,
		.vaddr = (uintptr_t)buf,
		.iova = 0x10000,
		.size = PAGE_SZ,
	};

	setup(&e, VFIO_TYPE1v2_IOMMU);
	m.argsz = 16;
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, VFIO_IOMMU_MAP_DMA, &m), EINVAL);
	m.argsz = 31;
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, VFIO_IOMMU_MAP_DMA, &m), EINVAL);
	memset(&big, 0, sizeof(big));
	big.m = m;
	big.m.argsz = 64;
	ASSERT_OK(uvfio_ioctl(e.p, e.container, VFIO_IOMMU_MAP_DMA, &big));
	env_teardown(&e);
	anon_free(buf, PAGE_SZ);
}

/* The reserved MSI window [0xfee00000, 0xfeefffff] and everything above 2^39 are refused. */
TEST(container, map_outside_iova_ranges_einval)
{
	struct vfio_env e;
	char *buf = anon_alloc(512 * PAGE_SZ);

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0xfee00000, buf, PAGE_SZ, 3), EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0xfeeff000, buf, PAGE_SZ, 3), EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0xfedff000, buf, 2 * PAGE_SZ, 3), EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0xfeeff000, buf, 2 * PAGE_SZ, 3), EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 1ull << 39, buf, PAGE_SZ, 3), EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, (1ull << 39) - PAGE_SZ, buf, 2 * PAGE_SZ, 3),
		     EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0xfffffffff000ull, buf, PAGE_SZ, 3), EINVAL);
	ASSERT_EQ(dma_avail(e.p, e.container), 65535);
	/* Right up to the edges works. */
	ASSERT_OK(dma_map(e.p, e.container, 0xfedfe000, buf, 2 * PAGE_SZ, 3));
	ASSERT_OK(dma_map(e.p, e.container, 0xfef00000, buf, PAGE_SZ, 3));
	ASSERT_OK(dma_map(e.p, e.container, (1ull << 39) - 2 * PAGE_SZ, buf, 2 * PAGE_SZ, 3));
	/* An overlap is reported before the range check (oracle misc.txt "covers MSI"). */
	ASSERT_ERRNO(dma_map(e.p, e.container, 0xfed00000, buf, 512 * PAGE_SZ, 3), EEXIST);
	env_teardown(&e);
	anon_free(buf, 512 * PAGE_SZ);
}

/* 6.12: wrap-around is EINVAL (EOVERFLOW only from 6.18). */
TEST(container, map_wrap_einval)
{
	struct vfio_env e;
	char *buf = anon_alloc(PAGE_SZ);

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0xfffffffffffff000ull, buf, 2 * PAGE_SZ, 3), EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0xfffffffffffff000ull, buf, PAGE_SZ, 3), EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x40000, (void *)(uintptr_t)0xfffffffffffff000ull,
			     2 * PAGE_SZ, 3),
		     EINVAL);
	env_teardown(&e);
	anon_free(buf, PAGE_SZ);
}

/* Pinning fails on memory that is not there, or not writable for a WRITE mapping. */
TEST(container, map_bad_vaddr_efault)
{
	struct vfio_env e;
	char *hole = anon_alloc(PAGE_SZ);
	char *ro =
		mmap(NULL, PAGE_SZ, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);
	uint64_t size;

	ASSERT_TRUE(ro != MAP_FAILED);
	anon_free(hole, PAGE_SZ);
	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x40000, hole, PAGE_SZ, 3), EFAULT);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x50000, ro, PAGE_SZ, 3), EFAULT);
	ASSERT_OK(dma_map(e.p, e.container, 0x50000, ro, PAGE_SZ, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_OK(dma_unmap(e.p, e.container, 0x50000, PAGE_SZ, 0, &size));
	ASSERT_EQ(size, PAGE_SZ);
	ASSERT_EQ(dma_avail(e.p, e.container), 65535);
	env_teardown(&e);
	anon_free(ro, PAGE_SZ);
}

/* type1v2 refuses to cut a mapping (oracle type1-v2.txt "--- bisect"). */
TEST(container, unmap_v2_bisect_einval)
{
	struct vfio_env e;
	char *buf = anon_alloc(1024 * PAGE_SZ);
	uint64_t size = 0;

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_OK(dma_map(e.p, e.container, 0x100000, buf, 2 * PAGE_SZ, 3));
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0x100000, PAGE_SZ, 0, NULL), EINVAL);
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0x101000, PAGE_SZ, 0, NULL), EINVAL);
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0xff000, 2 * PAGE_SZ, 0, NULL), EINVAL);
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0x101000, 2 * PAGE_SZ, 0, NULL), EINVAL);
	ASSERT_EQ(dma_avail(e.p, e.container), 65534);
	ASSERT_OK(dma_unmap(e.p, e.container, 0x100000, 2 * PAGE_SZ, 0, &size));
	ASSERT_EQ(size, 2 * PAGE_SZ);

	ASSERT_OK(dma_map(e.p, e.container, 0x1000000, buf, 1024 * PAGE_SZ, 3));
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0x1100000, PAGE_SZ, 0, NULL), EINVAL);
	ASSERT_OK(dma_unmap(e.p, e.container, 0x1000000, 1024 * PAGE_SZ, 0, &size));
	ASSERT_EQ(size, 1024 * PAGE_SZ);
	env_teardown(&e);
	anon_free(buf, 1024 * PAGE_SZ);
}

/* A range may cover several mappings and holes (oracle type1-v2.txt). */
TEST(container, unmap_v2_several_and_holes)
{
	struct vfio_env e;
	char *buf = anon_alloc(2 * PAGE_SZ);
	uint64_t size = 0;

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_OK(dma_map(e.p, e.container, 0x200000, buf, PAGE_SZ, 3));
	ASSERT_OK(dma_map(e.p, e.container, 0x201000, buf + PAGE_SZ, PAGE_SZ, 3));
	ASSERT_OK(dma_unmap(e.p, e.container, 0x200000, PAGE_SZ, 0, &size));
	ASSERT_EQ(size, PAGE_SZ);
	ASSERT_OK(dma_unmap(e.p, e.container, 0x200000, 2 * PAGE_SZ, 0, &size));
	ASSERT_EQ(size, PAGE_SZ);

	ASSERT_OK(dma_map(e.p, e.container, 0x300000, buf, PAGE_SZ, 3));
	ASSERT_OK(dma_map(e.p, e.container, 0x302000, buf, PAGE_SZ, 3));
	ASSERT_OK(dma_map(e.p, e.container, 0x304000, buf, 2 * PAGE_SZ, 3));
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0x300000, 5 * PAGE_SZ, 0, NULL), EINVAL);
	ASSERT_OK(dma_unmap(e.p, e.container, 0x2ff000, 4 * PAGE_SZ, 0, &size));
	ASSERT_EQ(size, 2 * PAGE_SZ);
	ASSERT_OK(dma_unmap(e.p, e.container, 0x300000, 6 * PAGE_SZ, 0, &size));
	ASSERT_EQ(size, 2 * PAGE_SZ);
	ASSERT_EQ(dma_avail(e.p, e.container), 65535);
	env_teardown(&e);
	anon_free(buf, 2 * PAGE_SZ);
}

TEST(container, unmap_empty_range_size_0)
{
	struct vfio_env e;
	char *buf = anon_alloc(PAGE_SZ);
	uint64_t size = 1;

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_OK(dma_unmap(e.p, e.container, 0x700000, PAGE_SZ, 0, &size));
	ASSERT_EQ(size, 0);
	ASSERT_OK(dma_map(e.p, e.container, 0x10000, buf, PAGE_SZ, 3));
	ASSERT_OK(dma_map(e.p, e.container, 0x20000, buf, PAGE_SZ, 3));
	/* The huge range from 0 takes everything. */
	ASSERT_OK(dma_unmap(e.p, e.container, 0, 0xfffffffffffff000ull, 0, &size));
	ASSERT_EQ(size, 2 * PAGE_SZ);
	env_teardown(&e);
	anon_free(buf, PAGE_SZ);
}

TEST(container, unmap_misuse_einval)
{
	struct vfio_env e;
	struct vfio_iommu_type1_dma_unmap u = { .argsz = 16, .iova = 0x700000, .size = PAGE_SZ };

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0x700001, PAGE_SZ, 0, NULL), EINVAL);
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0x700000, PAGE_SZ + 1, 0, NULL), EINVAL);
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0x700000, 0, 0, NULL), EINVAL);
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0xfffffffffffff000ull, 2 * PAGE_SZ, 0, NULL),
		     EINVAL);
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0x700000, PAGE_SZ, 1u << 5, NULL), EINVAL);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, VFIO_IOMMU_UNMAP_DMA, &u), EINVAL);
	env_teardown(&e);
}

TEST(container, unmap_all)
{
	struct vfio_env e;
	char *buf = anon_alloc(16 * PAGE_SZ);
	uint64_t size = 0;

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_OK(dma_map(e.p, e.container, 0x800000, buf, PAGE_SZ, 3));
	ASSERT_OK(dma_map(e.p, e.container, 0x900000, buf, 16 * PAGE_SZ, 3));
	ASSERT_EQ(dma_avail(e.p, e.container), 65533);
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0x800000, 0, VFIO_DMA_UNMAP_FLAG_ALL, NULL),
		     EINVAL);
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0, PAGE_SZ, VFIO_DMA_UNMAP_FLAG_ALL, NULL),
		     EINVAL);
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0, 0,
			       VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP,
			       NULL),
		     EINVAL);
	ASSERT_OK(dma_unmap(e.p, e.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &size));
	ASSERT_EQ(size, 17 * PAGE_SZ);
	ASSERT_EQ(dma_avail(e.p, e.container), 65535);
	ASSERT_OK(dma_unmap(e.p, e.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &size));
	ASSERT_EQ(size, 0);
	env_teardown(&e);
	anon_free(buf, 16 * PAGE_SZ);
}

/* Live update: invalidate the vaddr, then give a new one (oracle type1-v2.txt "vaddr update"). */
TEST(container, vaddr_update)
{
	struct vfio_env e;
	char *buf = anon_alloc(2 * PAGE_SZ);
	uint64_t size = 0;

	setup(&e, VFIO_TYPE1v2_IOMMU);
	ASSERT_OK(dma_map(e.p, e.container, 0xa00000, buf, 2 * PAGE_SZ, 3));
	ASSERT_OK(dma_unmap(e.p, e.container, 0xa00000, 2 * PAGE_SZ, VFIO_DMA_UNMAP_FLAG_VADDR,
			    &size));
	ASSERT_EQ(size, 2 * PAGE_SZ);
	ASSERT_ERRNO(dma_unmap(e.p, e.container, 0xa00000, 2 * PAGE_SZ, VFIO_DMA_UNMAP_FLAG_VADDR,
			       NULL),
		     EINVAL);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0xa00000, buf, 2 * PAGE_SZ, 7), EINVAL);
	ASSERT_OK(dma_map(e.p, e.container, 0xa00000, buf, 2 * PAGE_SZ, VFIO_DMA_MAP_FLAG_VADDR));
	ASSERT_ERRNO(dma_map(e.p, e.container, 0xa00000, buf, 2 * PAGE_SZ, VFIO_DMA_MAP_FLAG_VADDR),
		     EINVAL);
	ASSERT_OK(dma_unmap(e.p, e.container, 0xa00000, 2 * PAGE_SZ, 0, &size));
	ASSERT_EQ(size, 2 * PAGE_SZ);
	env_teardown(&e);
	anon_free(buf, 2 * PAGE_SZ);
}

/* type1 (v1) coalescing semantics (oracle type1-v1.txt). */
TEST(container, unmap_v1_semantics)
{
	struct vfio_env e;
	char *buf = anon_alloc(1024 * PAGE_SZ);
	uint64_t size = 0;

	setup(&e, VFIO_TYPE1_IOMMU);
	ASSERT_OK(dma_map(e.p, e.container, 0x100000, buf, 2 * PAGE_SZ, 3));
	/* Covering the first iova removes the whole mapping. */
	ASSERT_OK(dma_unmap(e.p, e.container, 0x100000, PAGE_SZ, 0, &size));
	ASSERT_EQ(size, 2 * PAGE_SZ);
	ASSERT_OK(dma_unmap(e.p, e.container, 0x101000, PAGE_SZ, 0, &size));
	ASSERT_EQ(size, 0);

	ASSERT_OK(dma_map(e.p, e.container, 0x300000, buf, PAGE_SZ, 3));
	ASSERT_OK(dma_map(e.p, e.container, 0x302000, buf, PAGE_SZ, 3));
	ASSERT_OK(dma_map(e.p, e.container, 0x304000, buf, 2 * PAGE_SZ, 3));
	ASSERT_OK(dma_unmap(e.p, e.container, 0x300000, 5 * PAGE_SZ, 0, &size));
	ASSERT_EQ(size, 4 * PAGE_SZ);
	ASSERT_EQ(dma_avail(e.p, e.container), 65535);

	/* Starting inside a mapping unmaps nothing. */
	ASSERT_OK(dma_map(e.p, e.container, 0x1000000, buf, 1024 * PAGE_SZ, 3));
	ASSERT_OK(dma_unmap(e.p, e.container, 0x1100000, PAGE_SZ, 0, &size));
	ASSERT_EQ(size, 0);
	ASSERT_EQ(dma_avail(e.p, e.container), 65534);
	ASSERT_OK(dma_unmap(e.p, e.container, 0x1000000, 1024 * PAGE_SZ, 0, &size));
	ASSERT_EQ(size, 1024 * PAGE_SZ);
	env_teardown(&e);
	anon_free(buf, 1024 * PAGE_SZ);
}

TEST(container, dirty_pages_v1_eacces)
{
	struct vfio_env e;
	struct vfio_iommu_type1_dirty_bitmap d = {
		.argsz = sizeof(d),
		.flags = VFIO_IOMMU_DIRTY_PAGES_FLAG_START,
	};

	setup(&e, VFIO_TYPE1_IOMMU);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, VFIO_IOMMU_DIRTY_PAGES, &d), EACCES);
	env_teardown(&e);
}

/* RLIMIT_MEMLOCK without CAP_IPC_LOCK (oracle type1-v2.txt "RLIMIT_MEMLOCK 64KiB"). */
TEST(container, map_over_rlimit_memlock_enomem)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc_opts opts = { .rlimit_memlock = 64 << 10, .cap_ipc_lock = 0 };
	struct uvfio_proc *p;
	struct vfio_env e;
	char *buf = anon_alloc(1 << 20);
	uint64_t size = 0;

	bind_vfio(w, EDU_BDF);
	p = uvfio_proc_new(w, &opts);
	ASSERT_TRUE(p);
	env_open(&e, w, p, EDU_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
	ASSERT_ERRNO(dma_map(p, e.container, 0x2000000, buf, 1 << 20, 3), ENOMEM);
	ASSERT_OK(dma_map(p, e.container, 0x3000000, buf, 32 << 10, 3));
	ASSERT_ERRNO(dma_map(p, e.container, 0x3100000, buf + (32 << 10), 64 << 10, 3), ENOMEM);
	/* Every mapping is accounted, even of the same pages: 32K + 32K = the limit. */
	ASSERT_OK(dma_map(p, e.container, 0x3200000, buf, 32 << 10, 3));
	ASSERT_ERRNO(dma_map(p, e.container, 0x3300000, buf, PAGE_SZ, 3), ENOMEM);
	ASSERT_OK(dma_unmap(p, e.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &size));
	ASSERT_EQ(size, 64 << 10);
	/* Unmapping gave the budget back. */
	ASSERT_OK(dma_map(p, e.container, 0x3000000, buf, 64 << 10, 3));
	env_teardown(&e);
	anon_free(buf, 1 << 20);
}

TEST(container, map_over_rlimit_with_cap_ipc_lock)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc_opts opts = { .rlimit_memlock = 64 << 10, .cap_ipc_lock = 1 };
	struct uvfio_proc *p;
	struct vfio_env e;
	char *buf = anon_alloc(1 << 20);

	bind_vfio(w, EDU_BDF);
	p = uvfio_proc_new(w, &opts);
	ASSERT_TRUE(p);
	env_open(&e, w, p, EDU_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
	ASSERT_OK(dma_map(p, e.container, 0x2000000, buf, 1 << 20, 3));
	env_teardown(&e);
	anon_free(buf, 1 << 20);
}

/* dma_entry_limit (65535 vfio_dma): the next map fails with ENOSPC. */
TEST(container, map_entry_limit_enospc)
{
	struct vfio_env e;
	char *buf = anon_alloc(PAGE_SZ);
	uint64_t size = 0;
	struct uvfio_proc_opts opts = { .rlimit_memlock = 0, .cap_ipc_lock = 1 };
	uint32_t i;

	setup_opts(&e, VFIO_TYPE1v2_IOMMU, &opts);
	/* Every other page, so that no two mappings are adjacent. */
	for (i = 0; i < 65535; i++) {
		if (dma_map(e.p, e.container, 0x10000000ull + 2ull * i * PAGE_SZ, buf, PAGE_SZ, 3))
			FAIL("map #%u: %s", i, strerror(errno));
	}
	ASSERT_EQ(dma_avail(e.p, e.container), 0);
	ASSERT_ERRNO(dma_map(e.p, e.container, 0x1000, buf, PAGE_SZ, 3), ENOSPC);
	ASSERT_OK(dma_unmap(e.p, e.container, 0, 0, VFIO_DMA_UNMAP_FLAG_ALL, &size));
	ASSERT_EQ(size, 65535ull * PAGE_SZ);
	ASSERT_EQ(dma_avail(e.p, e.container), 65535);
	ASSERT_OK(dma_map(e.p, e.container, 0x1000, buf, PAGE_SZ, 3));
	env_teardown(&e);
	anon_free(buf, PAGE_SZ);
}

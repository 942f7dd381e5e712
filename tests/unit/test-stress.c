// SPDX-License-Identifier: MIT
/*
 * Concurrency (meant to be run under TSan too): several threads drive the
 * uAPI at once, on two worlds, and sysfs bind/unbind races against opens.
 * Bounded by iterations and by a wall-clock budget so each test ends in a few
 * seconds. Every call must either succeed or fail with an errno the kernel
 * gives for that race (digest §1.12, §2.10, §5.5).
 */
#include "common.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#define BUDGET_MS 3000

struct stress_world {
	struct uvfio_world *w;
	struct uvfio_proc *p; /* shared by the threads, like threads of one process */
	struct vfio_env edu;
	unsigned char *dmabuf;
	uint64_t deadline;
	int id;
};

struct worker {
	struct stress_world *sw;
	int index;
	pthread_t thread;
};

static bool time_left(const struct stress_world *sw)
{
	return now_ms() < sw->deadline;
}

static void *reader(void *arg)
{
	struct worker *wk = arg;
	struct stress_world *sw = wk->sw;

	for (int i = 0; i < 2000 && time_left(sw); i++) {
		ASSERT_EQ(bar0_read32(sw->p, sw->edu.device, EDU_ID), 0x010000ed);
		ASSERT_EQ(cfg_read16(sw->p, sw->edu.device, CFG_VENDOR), 0x1234);
	}
	return NULL;
}

static void *mapper(void *arg)
{
	struct worker *wk = arg;
	struct stress_world *sw = wk->sw;
	uint64_t base = 0x10000000ull + (uint64_t)wk->index * 0x1000000ull;
	uint64_t size;

	for (int i = 0; i < 500 && time_left(sw); i++) {
		uint64_t iova = base + (uint64_t)(i % 16) * 2 * PAGE_SZ;

		ASSERT_OK(dma_map(sw->p, sw->edu.container, iova, sw->dmabuf, PAGE_SZ, 3));
		ASSERT_OK(dma_unmap(sw->p, sw->edu.container, iova, PAGE_SZ, 0, &size));
		ASSERT_EQ(size, PAGE_SZ);
	}
	return NULL;
}

/* The only user of edu's DMA engine in this world. */
static void *dma_worker(void *arg)
{
	struct worker *wk = arg;
	struct stress_world *sw = wk->sw;
	unsigned char *src = sw->dmabuf, *dst = sw->dmabuf + PAGE_SZ;

	for (int i = 0; i < 100 && time_left(sw); i++) {
		for (int j = 0; j < 256; j++)
			src[j] = (unsigned char)(i + j + sw->id);
		memset(dst, 0, 256);
		edu_dma(sw->w, sw->p, sw->edu.device, 0x100000, EDU_DMA_BUF, 256, 0);
		edu_dma(sw->w, sw->p, sw->edu.device, EDU_DMA_BUF, 0x100000 + PAGE_SZ, 256,
			EDU_DMA_TO_RAM);
		ASSERT_MEMEQ(dst, src, 256);
	}
	return NULL;
}

static void *devfd_worker(void *arg)
{
	struct worker *wk = arg;
	struct stress_world *sw = wk->sw;

	for (int i = 0; i < 300 && time_left(sw); i++) {
		int d = uvfio_ioctl(sw->p, sw->edu.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);

		ASSERT_OK(d);
		ASSERT_EQ(bar0_read32(sw->p, d, EDU_ID), 0x010000ed);
		ASSERT_OK(uvfio_close(sw->p, d));
	}
	return NULL;
}

/* Whole sessions on group 2, in a process of its own. */
static void *nic_sessions(void *arg)
{
	struct worker *wk = arg;
	struct stress_world *sw = wk->sw;
	struct uvfio_proc *q = uvfio_proc_new(sw->w, NULL);

	ASSERT_TRUE(q);
	for (int i = 0; i < 100 && time_left(sw); i++) {
		struct vfio_env e;

		env_open(&e, sw->w, q, NIC_GROUP, (i & 1) ? NIC_A_BDF : NIC_B_BDF,
			 (i & 2) ? VFIO_TYPE1_IOMMU : VFIO_TYPE1v2_IOMMU);
		ASSERT_EQ(cfg_read32(q, e.device, CFG_VENDOR), 0x100e8086);
		ASSERT_OK(dma_map(q, e.container, 0x200000, sw->dmabuf, PAGE_SZ, 3));
		/* Alternate the close orders. */
		if (i & 4) {
			ASSERT_OK(uvfio_close(q, e.container));
			e.container = -1;
		}
		env_close(&e);
	}
	uvfio_proc_free(q);
	return NULL;
}

static void stress_world_setup(struct stress_world *sw, int id)
{
	sw->id = id;
	sw->w = world_new();
	bind_vfio(sw->w, EDU_BDF);
	bind_vfio(sw->w, NIC_A_BDF);
	bind_vfio(sw->w, NIC_B_BDF);
	sw->p = uvfio_proc_new(sw->w, NULL);
	ASSERT_TRUE(sw->p);
	env_open(&sw->edu, sw->w, sw->p, EDU_GROUP, EDU_BDF, VFIO_TYPE1v2_IOMMU);
	sw->dmabuf = anon_alloc(2 * PAGE_SZ);
	ASSERT_OK(dma_map(sw->p, sw->edu.container, 0x100000, sw->dmabuf, 2 * PAGE_SZ, 3));
	cmd_set(sw->p, sw->edu.device, CMD_MEM | CMD_MASTER, true);
	sw->deadline = now_ms() + BUDGET_MS;
}

static void stress_world_teardown(struct stress_world *sw)
{
	env_close(&sw->edu);
	uvfio_proc_free(sw->p);
	world_free(sw->w);
	anon_free(sw->dmabuf, 2 * PAGE_SZ);
}

TEST(stress, two_worlds_concurrent_uapi)
{
	static void *(*const fns[])(void *) = { reader,	    reader,	  mapper,      mapper,
						dma_worker, devfd_worker, nic_sessions };
	enum { NFN = sizeof(fns) / sizeof(fns[0]) };
	struct stress_world sw[2];
	struct worker wk[2][NFN];

	for (int i = 0; i < 2; i++)
		stress_world_setup(&sw[i], i);
	for (int i = 0; i < 2; i++) {
		for (int j = 0; j < NFN; j++) {
			wk[i][j].sw = &sw[i];
			wk[i][j].index = j;
			ASSERT_EQ(pthread_create(&wk[i][j].thread, NULL, fns[j], &wk[i][j]), 0);
		}
	}
	for (int i = 0; i < 2; i++)
		for (int j = 0; j < NFN; j++)
			ASSERT_EQ(pthread_join(wk[i][j].thread, NULL), 0);
	for (int i = 0; i < 2; i++) {
		ASSERT_EQ(dma_avail(sw[i].p, sw[i].edu.container), 65534);
		stress_world_teardown(&sw[i]);
	}
}

/* --- sysfs bind/unbind against opens --------------------------------------------------------- */

struct race {
	struct uvfio_world *w;
	uint64_t deadline;
	atomic_int opened; /* device fds obtained, to see the race was exercised */
	atomic_int toggles;
};

/* Binds NIC B to vfio-pci and unbinds it again; the unbind waits for its users. */
static void *nic_b_toggler(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < 5000 && now_ms() < r->deadline; i++) {
		ASSERT_EQ(sysfs_puts(r->w, "/sys/bus/pci/drivers_probe", NIC_B_BDF), 12);
		usleep(i % 200); /* vary the window in which the device is there */
		ASSERT_EQ(sysfs_puts(r->w, "/sys/bus/pci/drivers/vfio-pci/unbind", NIC_B_BDF), 12);
		atomic_fetch_add(&r->toggles, 1);
	}
	return NULL;
}

/* Group 2 always has NIC A on vfio-pci: it stays openable; NIC B comes and goes. */
static void *nic_b_opener(void *arg)
{
	struct race *r = arg;
	struct uvfio_proc *q = uvfio_proc_new(r->w, NULL);

	ASSERT_TRUE(q);
	while (now_ms() < r->deadline) {
		struct vfio_env e;
		int d;

		env_open(&e, r->w, q, NIC_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
		d = uvfio_ioctl(q, e.group, VFIO_GROUP_GET_DEVICE_FD, NIC_B_BDF);
		if (d < 0) {
			ASSERT_EQ(errno, ENODEV);
		} else {
			atomic_fetch_add(&r->opened, 1);
			ASSERT_EQ(cfg_read32(q, d, CFG_VENDOR), 0x100e8086);
			ASSERT_OK(uvfio_close(q, d));
		}
		env_close(&e);
	}
	uvfio_proc_free(q);
	return NULL;
}

/* edu is the only member of group 1: its node and group come and go with the binding. */
static void *edu_toggler(void *arg)
{
	struct race *r = arg;

	for (int i = 0; i < 5000 && now_ms() < r->deadline; i++) {
		ASSERT_EQ(sysfs_puts(r->w, "/sys/bus/pci/drivers_probe", EDU_BDF), 12);
		usleep(i % 200);
		ASSERT_EQ(sysfs_puts(r->w, "/sys/bus/pci/drivers/vfio-pci/unbind", EDU_BDF), 12);
		atomic_fetch_add(&r->toggles, 1);
	}
	return NULL;
}

static bool errno_in(int err, const int *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (err == set[i])
			return true;
	return false;
}

#define EXPECT_OK_OR(ret, ...)                                                                    \
	do {                                                                                      \
		static const int ok_errs_[] = { __VA_ARGS__ };                                    \
		int e_ = errno;                                                                   \
		if ((ret) < 0 && !errno_in(e_, ok_errs_, sizeof(ok_errs_) / sizeof(ok_errs_[0]))) \
			FAIL("%s: unexpected %s", #ret, strerror(e_));                            \
	} while (0)

static void *edu_opener(void *arg)
{
	struct race *r = arg;
	struct uvfio_proc *q = uvfio_proc_new(r->w, NULL);

	ASSERT_TRUE(q);
	while (now_ms() < r->deadline) {
		int c, g, d, ret;

		c = uvfio_open(q, "/dev/vfio/vfio", O_RDWR);
		ASSERT_OK(c);
		g = uvfio_open(q, "/dev/vfio/1", O_RDWR);
		/* No node, or the node of a group whose device just went (§1.12). */
		EXPECT_OK_OR(g, ENOENT, ENODEV);
		if (g >= 0) {
			ret = uvfio_ioctl(q, g, VFIO_GROUP_SET_CONTAINER, &c);
			EXPECT_OK_OR(ret, ENODEV);
			if (ret == 0) {
				/* The group may be orphaned right after: the container loses it. */
				ret = uvfio_ioctl(q, c, VFIO_SET_IOMMU,
						  (unsigned long)VFIO_TYPE1v2_IOMMU);
				EXPECT_OK_OR(ret, EINVAL, ENODEV);
				d = uvfio_ioctl(q, g, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
				EXPECT_OK_OR(d, ENODEV, EINVAL);
				if (d >= 0) {
					atomic_fetch_add(&r->opened, 1);
					/* An open fd is never revoked. */
					ASSERT_EQ(bar0_read32(q, d, EDU_ID), 0x010000ed);
					ASSERT_OK(uvfio_close(q, d));
				}
			}
			ASSERT_OK(uvfio_close(q, g));
		}
		ASSERT_OK(uvfio_close(q, c));
	}
	uvfio_proc_free(q);
	return NULL;
}

TEST(stress, sysfs_bind_unbind_races_opens)
{
	struct race r;
	pthread_t t[4];
	char drv[64];

	r.w = world_new();
	bind_vfio(r.w, NIC_A_BDF);
	bind_vfio(r.w, NIC_B_BDF);
	ASSERT_EQ(sysfs_puts(r.w, "/sys/bus/pci/drivers/vfio-pci/unbind", NIC_B_BDF), 12);
	ASSERT_EQ(sysfs_puts(r.w, "/sys/bus/pci/devices/" EDU_BDF "/driver_override", "vfio-pci"),
		  8);
	atomic_init(&r.opened, 0);
	atomic_init(&r.toggles, 0);
	r.deadline = now_ms() + BUDGET_MS;

	ASSERT_EQ(pthread_create(&t[0], NULL, nic_b_toggler, &r), 0);
	ASSERT_EQ(pthread_create(&t[1], NULL, nic_b_opener, &r), 0);
	ASSERT_EQ(pthread_create(&t[2], NULL, edu_toggler, &r), 0);
	ASSERT_EQ(pthread_create(&t[3], NULL, edu_opener, &r), 0);
	for (int i = 0; i < 4; i++)
		ASSERT_EQ(pthread_join(t[i], NULL), 0);
	printf("bind/unbind cycles: %d, device fds obtained meanwhile: %d\n",
	       atomic_load(&r.toggles), atomic_load(&r.opened));
	/* Both togglers ended with an unbind. */
	ASSERT_STREQ(driver_of(r.w, NIC_B_BDF, drv, sizeof(drv)), "");
	ASSERT_STREQ(driver_of(r.w, EDU_BDF, drv, sizeof(drv)), "");
	ASSERT_STREQ(driver_of(r.w, NIC_A_BDF, drv, sizeof(drv)), "vfio-pci");
	world_free(r.w);
}

// SPDX-License-Identifier: MIT
/*
 * Randomized lifecycle stress (run under TSan too): threads open and close
 * containers, groups and devices in random orders, map and unmap, bind and
 * unbind, and tie groups to VMs through kvm-vfio, all at once on one world.
 * Every call must succeed or fail with an errno the kernel gives for that
 * race; the world must come apart cleanly afterwards.
 *
 * The seed is printed; UVFIO_STRESS_SEED=N replays each thread's sequence of
 * choices (the interleaving is the scheduler's; race points fix those).
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/kvm.h>

#include <uvfio/uvfio-kvm.h>

#define BUDGET_MS 3000
#define NTHREADS 8

struct stress {
	struct uvfio_world *w;
	unsigned char *buf;
	uint64_t deadline;
	unsigned int seed;
	atomic_int devices_opened;
	atomic_int toggles;
};

struct worker {
	struct stress *s;
	unsigned int rnd;
	int index;
	pthread_t thread;
};

static bool errno_in(int err, const int *set, size_t n)
{
	for (size_t i = 0; i < n; i++)
		if (err == set[i])
			return true;
	return false;
}

/* ret (a variable: errno is read first) < 0 must come with one of the listed errnos. */
#define EXPECT_OK_OR(ret, ...)                                                                    \
	do {                                                                                      \
		static const int ok_errs_[] = { __VA_ARGS__ };                                    \
		int e_ = errno;                                                                   \
		if ((ret) < 0 && !errno_in(e_, ok_errs_, sizeof(ok_errs_) / sizeof(ok_errs_[0]))) \
			FAIL("%s: unexpected %s", #ret, strerror(e_));                            \
	} while (0)

static bool time_left(const struct stress *s)
{
	return now_ms() < s->deadline;
}

static unsigned int pick(struct worker *wk, unsigned int n)
{
	return (unsigned int)rand_r(&wk->rnd) % n;
}

/* Binds and unbinds one function over and over (one toggler per function). */
static void toggle(struct worker *wk, const char *bdf)
{
	struct stress *s = wk->s;

	while (time_left(s)) {
		ASSERT_EQ(sysfs_puts(s->w, "/sys/bus/pci/drivers_probe", bdf), 12);
		usleep(pick(wk, 300));
		ASSERT_EQ(sysfs_puts(s->w, "/sys/bus/pci/drivers/vfio-pci/unbind", bdf), 12);
		atomic_fetch_add(&s->toggles, 1);
		usleep(pick(wk, 100));
	}
}

static int kvm_vfio_attr(struct uvfio_proc *p, int kv, int32_t fd, uint64_t attr)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_VFIO_GROUP,
		.attr = attr,
		.addr = (uint64_t)(uintptr_t)&fd,
	};

	return uvfio_ioctl(p, kv, KVM_SET_DEVICE_ATTR, &a);
}

/* Closes the open ones of fds[] in a random order. */
static void close_shuffled(struct worker *wk, struct uvfio_proc *p, int *fds, int n)
{
	int left = 0;

	for (int i = 0; i < n; i++)
		left += fds[i] >= 0;
	for (; left > 0; left--) {
		int i = (int)pick(wk, (unsigned int)n);

		while (fds[i] < 0)
			i = (i + 1) % n;
		ASSERT_OK(uvfio_close(p, fds[i]));
		fds[i] = -1;
	}
}

/*
 * One user session on group @group: maybe a VM with kvm-vfio, container,
 * group, SET_CONTAINER, SET_IOMMU, a device, a few maps, then everything
 * closed in a random order (or the process just exits).
 */
static void session(struct worker *wk, struct uvfio_proc *p, int group, const char *bdf)
{
	struct stress *s = wk->s;
	/* vm, kvm-vfio, container, group, device */
	int fds[5] = { -1, -1, -1, -1, -1 };
	char path[32];
	int ret;

	if (pick(wk, 2)) {
		struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

		fds[0] = uvfio_kvm_create_vm(p);
		ASSERT_OK(fds[0]);
		ASSERT_OK(uvfio_ioctl(p, fds[0], KVM_CREATE_DEVICE, &cd));
		fds[1] = (int)cd.fd;
	}
	fds[2] = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);
	ASSERT_OK(fds[2]);
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	fds[3] = uvfio_open(p, path, O_RDWR);
	/* No node (no vfio-pci device in the group), orphaned, or another session has it. */
	EXPECT_OK_OR(fds[3], ENOENT, ENODEV, EBUSY);
	if (fds[3] < 0)
		goto out;
	if (fds[1] >= 0)
		ASSERT_OK(kvm_vfio_attr(p, fds[1], fds[3], KVM_DEV_VFIO_GROUP_ADD));
	ret = uvfio_ioctl(p, fds[3], VFIO_GROUP_SET_CONTAINER, &fds[2]);
	EXPECT_OK_OR(ret, ENODEV, EPERM);
	if (ret)
		goto out;
	ret = uvfio_ioctl(p, fds[2], VFIO_SET_IOMMU,
			  (unsigned long)(pick(wk, 2) ? VFIO_TYPE1v2_IOMMU : VFIO_TYPE1_IOMMU));
	EXPECT_OK_OR(ret, EINVAL, ENODEV);
	if (ret)
		goto out;
	for (unsigned int i = 0, n = pick(wk, 4); i < n; i++) {
		uint64_t iova = 0x100000ull * (1 + wk->index) + i * PAGE_SZ;

		ret = dma_map(p, fds[2], iova, s->buf, PAGE_SZ, 3);
		/* The group may be orphaned under us: the container lost its backend. */
		EXPECT_OK_OR(ret, EINVAL);
		if (ret == 0 && pick(wk, 2)) {
			ret = dma_unmap(p, fds[2], iova, PAGE_SZ, 0, NULL);
			EXPECT_OK_OR(ret, EINVAL);
		}
	}
	fds[4] = uvfio_ioctl(p, fds[3], VFIO_GROUP_GET_DEVICE_FD, bdf);
	EXPECT_OK_OR(fds[4], ENODEV, EINVAL);
	if (fds[4] >= 0) {
		atomic_fetch_add(&s->devices_opened, 1);
		ASSERT_EQ(cfg_read16(p, fds[4], CFG_VENDOR), group == EDU_GROUP ? 0x1234 : 0x8086);
	}
	if (fds[1] >= 0 && pick(wk, 2)) {
		ret = kvm_vfio_attr(p, fds[1], fds[3], KVM_DEV_VFIO_GROUP_DEL);
		ASSERT_OK(ret);
	}
	if (pick(wk, 2)) {
		ret = uvfio_ioctl(p, fds[3], VFIO_GROUP_UNSET_CONTAINER);
		/* EBUSY with a device open; EINVAL once orphaned (detached). */
		EXPECT_OK_OR(ret, EBUSY, EINVAL);
	}
out:
	if (pick(wk, 4))
		close_shuffled(wk, p, fds, 5);
}

static void *stress_thread(void *arg)
{
	struct worker *wk = arg;
	struct stress *s = wk->s;
	struct uvfio_proc *p;

	switch (wk->index) {
	case 0:
		toggle(wk, NIC_B_BDF);
		return NULL;
	case 1:
		toggle(wk, EDU_BDF);
		return NULL;
	}
	while (time_left(s)) {
		/* A process per few sessions: exits close whatever a session left open. */
		p = uvfio_proc_new(s->w, NULL);
		ASSERT_TRUE(p);
		for (int i = 0, n = 1 + (int)pick(wk, 4); i < n && time_left(s); i++) {
			if (pick(wk, 2))
				session(wk, p, EDU_GROUP, EDU_BDF);
			else
				session(wk, p, NIC_GROUP, pick(wk, 2) ? NIC_A_BDF : NIC_B_BDF);
		}
		uvfio_proc_free(p);
	}
	return NULL;
}

TEST(stress, lifecycle_random)
{
	const char *env = getenv("UVFIO_STRESS_SEED");
	struct worker wk[NTHREADS];
	struct stress s;
	char drv[64];

	memset(&s, 0, sizeof(s));
	s.seed = env ? (unsigned int)strtoul(env, NULL, 0) : (unsigned int)(now_ms() ^ getpid());
	printf("seed %u (replay: UVFIO_STRESS_SEED=%u)\n", s.seed, s.seed);
	s.w = world_new();
	s.buf = anon_alloc(PAGE_SZ);
	bind_vfio(s.w, NIC_A_BDF);
	unbind_device(s.w, NIC_B_BDF);
	ASSERT_EQ(sysfs_puts(s.w, "/sys/bus/pci/devices/" NIC_B_BDF "/driver_override", "vfio-pci"),
		  8);
	ASSERT_EQ(sysfs_puts(s.w, "/sys/bus/pci/devices/" EDU_BDF "/driver_override", "vfio-pci"),
		  8);
	atomic_init(&s.devices_opened, 0);
	atomic_init(&s.toggles, 0);
	s.deadline = now_ms() + BUDGET_MS;
	for (int i = 0; i < NTHREADS; i++) {
		wk[i] = (struct worker){ .s = &s,
					 .rnd = s.seed * 2654435761u + (unsigned int)i,
					 .index = i };
		ASSERT_EQ(pthread_create(&wk[i].thread, NULL, stress_thread, &wk[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(pthread_join(wk[i].thread, NULL), 0);
	printf("device opens: %d, bind/unbind cycles: %d\n", atomic_load(&s.devices_opened),
	       atomic_load(&s.toggles));
	ASSERT_STREQ(driver_of(s.w, NIC_B_BDF, drv, sizeof(drv)), "");
	ASSERT_STREQ(driver_of(s.w, EDU_BDF, drv, sizeof(drv)), "");
	ASSERT_STREQ(driver_of(s.w, NIC_A_BDF, drv, sizeof(drv)), "vfio-pci");
	/* Nothing is left holding the group: a fresh session works. */
	{
		struct uvfio_proc *p = uvfio_proc_new(s.w, NULL);
		struct vfio_env e;

		env_open(&e, s.w, p, NIC_GROUP, NIC_A_BDF, VFIO_TYPE1v2_IOMMU);
		env_close(&e);
		uvfio_proc_free(p);
	}
	world_free(s.w);
	anon_free(s.buf, PAGE_SZ);
}

// SPDX-License-Identifier: MIT
/*
 * Randomized lifecycle stress (run under TSan too): threads open and close
 * containers, groups and devices in random orders, map and unmap, bind and
 * unbind, take functions out of the machine and put them back (uvfio unplug
 * and plug, sysfs remove and rescan), and tie groups to VMs through kvm-vfio,
 * all at once on one world. Every call must succeed or fail with an errno the
 * kernel gives for that race; the world must come apart cleanly afterwards.
 *
 * A removal of a function a session holds asks with REQ (at a shortened
 * cadence) and waits; sessions are short and some close early on REQ, so
 * every removal finishes. After a removal the function comes back as a new
 * device: no driver_override, possibly another IOMMU group number, and
 * auto-probe (a NIC may land on e1000, refused while VFIO owns its group).
 * Sessions therefore use the group number the remover last published.
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
/* REQ cadence while a removal waits (the kernel's is 10 s). */
#define REQUEST_INTERVAL_MS 5

struct stress {
	struct uvfio_world *w;
	unsigned char *buf;
	uint64_t deadline;
	unsigned int seed;
	atomic_int devices_opened;
	atomic_int toggles;
	atomic_int removals;
	atomic_int requests_seen;
	/*
	 * The IOMMU group of EDU, NIC A and NIC B as the remover last saw it
	 * (-1: out). Sessions open the group the remover published; the link a
	 * session reads may already name the next one.
	 */
	atomic_int group[3];
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

/*
 * A sysfs write of s to path must write all of it or fail with one of the
 * listed errnos (the core returns -errno). Returns the result.
 */
#define SYSFS_WRITE_OR(w, path, s, ...)                                                      \
	({                                                                                   \
		static const int ok_errs_[] = { __VA_ARGS__ };                               \
		const char *s_ = (s);                                                        \
		ssize_t r_ = uvfio_sysfs_pwrite((w), (path), s_, strlen(s_), 0);             \
		if (r_ != (ssize_t)strlen(s_) &&                                             \
		    (r_ >= 0 ||                                                              \
		     !errno_in((int)-r_, ok_errs_, sizeof(ok_errs_) / sizeof(ok_errs_[0])))) \
			FAIL("write \"%s\" to %s: %zd (%s)", s_, (path), r_,                 \
			     r_ < 0 ? strerror((int)-r_) : "short");                         \
		r_;                                                                          \
	})

static bool time_left(const struct stress *s)
{
	return now_ms() < s->deadline;
}

static unsigned int pick(struct worker *wk, unsigned int n)
{
	return (unsigned int)rand_r(&wk->rnd) % n;
}

/* The last component of the symlink /sys/bus/pci/devices/<bdf>/<link>, or "" if absent. */
static const char *link_of(struct uvfio_world *w, const char *bdf, const char *link, char *buf,
			   size_t size)
{
	char path[128], target[256];
	const char *slash, *name;
	ssize_t n;
	size_t len;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/%s", bdf, link);
	n = uvfio_sysfs_readlink(w, path, target, sizeof(target) - 1);
	if (n < 0) {
		/* Unbound (no driver link), or the function is out of the machine. */
		if (n != -ENOENT)
			FAIL("readlink %s: %zd", path, n);
		buf[0] = '\0';
		return buf;
	}
	target[n] = '\0';
	slash = strrchr(target, '/');
	name = slash ? slash + 1 : target;
	len = strnlen(name, size - 1);
	memcpy(buf, name, len);
	buf[len] = '\0';
	return buf;
}

/* The function's IOMMU group number now, -1 while it is out of the machine. */
static int group_now(struct uvfio_world *w, const char *bdf)
{
	char buf[32];

	return *link_of(w, bdf, "iommu_group", buf, sizeof(buf)) ? atoi(buf) : -1;
}

/*
 * Unbinds bdf from whatever driver it has now. ENODEV: the function left, or
 * its driver changed, between the look and the write.
 */
static void unbind_any(struct uvfio_world *w, const char *bdf)
{
	char drv[64], path[160];

	if (!*link_of(w, bdf, "driver", drv, sizeof(drv)))
		return;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", drv);
	SYSFS_WRITE_OR(w, path, bdf, ENODEV);
}

/*
 * driver_override=vfio-pci, then drivers_probe. ENOENT/ENODEV: the function is
 * out of the machine. EINVAL: a rescan between the two writes made it a new
 * device with no override, and e1000's probe was refused (DMA ownership).
 */
static void bind_vfio_any(struct uvfio_world *w, const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	SYSFS_WRITE_OR(w, path, "vfio-pci", ENOENT);
	SYSFS_WRITE_OR(w, "/sys/bus/pci/drivers_probe", bdf, ENODEV, EINVAL);
}

/* Binds and unbinds one function over and over (one toggler per function). */
static void toggle(struct worker *wk, const char *bdf)
{
	struct stress *s = wk->s;

	while (time_left(s)) {
		bind_vfio_any(s->w, bdf);
		usleep(pick(wk, 300));
		unbind_any(s->w, bdf);
		atomic_fetch_add(&s->toggles, 1);
		usleep(pick(wk, 100));
	}
}

/*
 * Takes a function out of the machine and puts it back, by uvfio unplug/plug
 * or by sysfs remove and a rescan (of every bus, or of its bus through a
 * sibling's rescan). Only this thread removes, so each removal must succeed
 * and the function must be back afterwards. A removal waits (asking with REQ)
 * for the sessions that hold the function.
 */
static const char *const bdfs[] = { EDU_BDF, NIC_A_BDF, NIC_B_BDF };

/* Only the remover changes the topology, so its own iommu_group reads are safe. */
static void publish_groups(struct stress *s)
{
	for (int i = 0; i < 3; i++)
		atomic_store(&s->group[i], group_now(s->w, bdfs[i]));
}

static void hotplug(struct worker *wk)
{
	static const char *const targets[] = { EDU_BDF, NIC_A_BDF, NIC_B_BDF, BRIDGE_BDF };
	struct stress *s = wk->s;
	char path[128], drv[64];

	while (time_left(s)) {
		/* The bridge (with both NICs below it) less often. */
		const char *bdf = targets[pick(wk, 8) ? pick(wk, 3) : 3];
		const char *sibling = !strcmp(bdf, EDU_BDF) || !strcmp(bdf, BRIDGE_BDF) ? HOST_BDF :
				      !strcmp(bdf, NIC_A_BDF) ? NIC_B_BDF :
								NIC_A_BDF;

		if (pick(wk, 2)) {
			ASSERT_NEG(uvfio_pci_unplug(s->w, bdf, NULL), 0);
			/* Out of its slot: a rescan does not find it. */
			SYSFS_WRITE_OR(s->w, "/sys/bus/pci/rescan", "1");
			ASSERT_EQ(group_now(s->w, bdf), -1);
			ASSERT_NEG(uvfio_pci_unplug(s->w, bdf, NULL), ENODEV);
			usleep(pick(wk, 500));
			ASSERT_NEG(uvfio_pci_plug(s->w, bdf), 0);
		} else {
			snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/remove", bdf);
			SYSFS_WRITE_OR(s->w, path, "1");
			ASSERT_EQ(group_now(s->w, bdf), -1);
			usleep(pick(wk, 500));
			if (pick(wk, 2)) {
				SYSFS_WRITE_OR(s->w, "/sys/bus/pci/rescan", "1");
			} else {
				snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/rescan",
					 sibling);
				SYSFS_WRITE_OR(s->w, path, "1");
			}
		}
		ASSERT_NEG(uvfio_pci_plug(s->w, bdf), EEXIST);
		ASSERT_GE(group_now(s->w, bdf), 0);
		publish_groups(s);
		atomic_fetch_add(&s->removals, 1);
		/* NIC A is the sessions' steady vfio-pci function: put it back there. */
		if (strcmp(bdf, EDU_BDF)) {
			if (strcmp(link_of(s->w, NIC_A_BDF, "driver", drv, sizeof(drv)),
				   "vfio-pci"))
				unbind_any(s->w, NIC_A_BDF);
			bind_vfio_any(s->w, NIC_A_BDF);
		}
		usleep(pick(wk, 2000));
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
 * One user session on the group of @bdf: maybe a VM with kvm-vfio, container,
 * group, SET_CONTAINER, SET_IOMMU, a device (maybe with a REQ eventfd), a few
 * maps, then everything closed in a random order (or the process just exits).
 */
static void session(struct worker *wk, struct uvfio_proc *p, int which)
{
	struct stress *s = wk->s;
	const char *bdf = bdfs[which];
	/* vm, kvm-vfio, container, group, device */
	int fds[5] = { -1, -1, -1, -1, -1 };
	int group = atomic_load(&s->group[which]), req = -1;
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
	if (group < 0) /* the function is out of the machine */
		goto out;
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	fds[3] = uvfio_open(p, path, O_RDWR);
	/* No node (no vfio-pci device in the group), orphaned, or another session has it. */
	EXPECT_OK_OR(fds[3], ENOENT, ENODEV, EBUSY);
	if (fds[3] < 0)
		goto out;
	if (fds[1] >= 0)
		ASSERT_OK(kvm_vfio_attr(p, fds[1], fds[3], KVM_DEV_VFIO_GROUP_ADD));
	ret = uvfio_ioctl(p, fds[3], VFIO_GROUP_SET_CONTAINER, &fds[2]);
	/* ENODEV: orphaned; EPERM: a host driver (e1000, after a rescan) uses the group. */
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
	/* ENODEV: not (or no longer) a device of this group; EINVAL: orphaned. */
	fds[4] = uvfio_ioctl(p, fds[3], VFIO_GROUP_GET_DEVICE_FD, bdf);
	EXPECT_OK_OR(fds[4], ENODEV, EINVAL);
	if (fds[4] >= 0) {
		atomic_fetch_add(&s->devices_opened, 1);
		ASSERT_EQ(cfg_read16(p, fds[4], CFG_VENDOR),
			  !strcmp(bdf, EDU_BDF) ? 0x1234 : 0x8086);
		/* A removal under way asks through REQ; an open device accepts the trigger. */
		if (pick(wk, 2)) {
			req = efd_new();
			ASSERT_OK(irq_set_eventfd(p, fds[4], VFIO_PCI_REQ_IRQ_INDEX, req));
		}
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
	/* Asked to let go: a polite user closes the device at once. */
	if (req >= 0 && efd_take(req)) {
		atomic_fetch_add(&s->requests_seen, 1);
		ASSERT_OK(uvfio_close(p, fds[4]));
		fds[4] = -1;
	}
out:
	if (pick(wk, 4))
		close_shuffled(wk, p, fds, 5);
	/* The core holds its own reference to the trigger: ours may go at any time. */
	if (req >= 0)
		close(req);
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
	case 2:
		hotplug(wk);
		return NULL;
	}
	while (time_left(s)) {
		/* A process per few sessions: exits close whatever a session left open. */
		p = uvfio_proc_new(s->w, NULL);
		ASSERT_TRUE(p);
		for (int i = 0, n = 1 + (int)pick(wk, 4); i < n && time_left(s); i++) {
			/*
			 * Read a function's iommu_group link while the remover may
			 * be freeing that group: present or ENOENT, never freed
			 * memory (docs/races.md).
			 */
			(void)group_now(s->w, bdfs[pick(wk, 3)]);
			session(wk, p, (int)pick(wk, 3));
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
	uvfio_world_set_request_interval(s.w, REQUEST_INTERVAL_MS);
	bind_vfio(s.w, NIC_A_BDF);
	unbind_device(s.w, NIC_B_BDF);
	ASSERT_EQ(sysfs_puts(s.w, "/sys/bus/pci/devices/" NIC_B_BDF "/driver_override", "vfio-pci"),
		  8);
	ASSERT_EQ(sysfs_puts(s.w, "/sys/bus/pci/devices/" EDU_BDF "/driver_override", "vfio-pci"),
		  8);
	atomic_init(&s.devices_opened, 0);
	atomic_init(&s.toggles, 0);
	atomic_init(&s.removals, 0);
	atomic_init(&s.requests_seen, 0);
	for (int i = 0; i < 3; i++)
		atomic_init(&s.group[i], group_now(s.w, bdfs[i]));
	s.deadline = now_ms() + BUDGET_MS;
	for (int i = 0; i < NTHREADS; i++) {
		wk[i] = (struct worker){ .s = &s,
					 .rnd = s.seed * 2654435761u + (unsigned int)i,
					 .index = i };
		ASSERT_EQ(pthread_create(&wk[i].thread, NULL, stress_thread, &wk[i]), 0);
	}
	for (int i = 0; i < NTHREADS; i++)
		ASSERT_EQ(pthread_join(wk[i].thread, NULL), 0);
	printf("device opens: %d, bind/unbind cycles: %d, removals: %d, REQs seen: %d\n",
	       atomic_load(&s.devices_opened), atomic_load(&s.toggles), atomic_load(&s.removals),
	       atomic_load(&s.requests_seen));
	/* Every function is back in the machine; settle the drivers, then check. */
	ASSERT_NEG(uvfio_pci_plug(s.w, EDU_BDF), EEXIST);
	ASSERT_NEG(uvfio_pci_plug(s.w, NIC_A_BDF), EEXIST);
	ASSERT_NEG(uvfio_pci_plug(s.w, NIC_B_BDF), EEXIST);
	unbind_device(s.w, NIC_B_BDF);
	unbind_device(s.w, EDU_BDF);
	bind_vfio(s.w, NIC_A_BDF);
	ASSERT_STREQ(driver_of(s.w, NIC_B_BDF, drv, sizeof(drv)), "");
	ASSERT_STREQ(driver_of(s.w, EDU_BDF, drv, sizeof(drv)), "");
	ASSERT_STREQ(driver_of(s.w, NIC_A_BDF, drv, sizeof(drv)), "vfio-pci");
	/* Nothing is left holding the group: a fresh session works. */
	{
		struct uvfio_proc *p = uvfio_proc_new(s.w, NULL);
		struct vfio_env e;

		env_open(&e, s.w, p, iommu_group_of(s.w, NIC_A_BDF), NIC_A_BDF, VFIO_TYPE1v2_IOMMU);
		env_close(&e);
		uvfio_proc_free(p);
	}
	world_free(s.w);
	anon_free(s.buf, PAGE_SZ);
}

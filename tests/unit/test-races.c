// SPDX-License-Identifier: MIT
/*
 * Lifecycle races, forced with race points (docs/races.md). Each scenario
 * parks one thread at a named point, drives the others into the window, then
 * lets it go; it must end correctly with the current (6.12) ordering. With
 * the old-ordering switch of the fix that closed the window, the same
 * interleaving must fail, and the failure is detected, not hung on: a lock
 * assertion (abort), a sanitizer report, a waiter that does not finish within
 * a deadline, or a broken invariant. Scenarios that can deadlock run in a
 * forked child watched with a timeout.
 */
#include "common.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uvfio/uvfio-race.h>

#define PARK_MS 5000 /* a thread reaches its point within this */
#define HANG_MS 1500 /* a thread that is still blocked after this is deadlocked */

/* Exit codes of a scenario child. */
#define CHILD_OK 0
#define CHILD_BROKEN 3 /* an invariant the fix keeps did not hold */
#define CHILD_HUNG 4 /* a thread did not finish: deadlock */
#define TSAN_EXIT 66 /* ThreadSanitizer's exit code with halt_on_error */

enum outcome {
	OUT_OK,
	OUT_BROKEN,
	OUT_DEADLOCK, /* hung, a lock assertion, or a sanitizer's deadlock report */
};

static struct uvfio_world *race_world(unsigned long quirks)
{
	struct uvfio_world *w = world_new();
	int ret = uvfio_world_set_quirks(w, quirks);

	if (ret == -EOPNOTSUPP)
		SKIP("built without race points");
	ASSERT_NEG(ret, 0);
	return w;
}

static void park(struct uvfio_world *w, const char *point)
{
	ASSERT_NEG(uvfio_race_wait(w, point, PARK_MS), 0);
}

/* Runs fn in a forked child (the world is created there) and classifies how it ended. */
static enum outcome run_child(void (*fn)(unsigned long quirks), unsigned long quirks)
{
	uint64_t deadline = now_ms() + 4 * HANG_MS + PARK_MS;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		fn(quirks);
		fflush(NULL);
		_exit(CHILD_OK);
	}
	for (;;) {
		pid_t r = waitpid(pid, &status, WNOHANG);

		ASSERT_OK(r);
		if (r == pid)
			break;
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			ASSERT_EQ(waitpid(pid, &status, 0), pid);
			printf("child hung: killed\n");
			return OUT_DEADLOCK;
		}
		usleep(2000);
	}
	if (WIFSIGNALED(status)) {
		printf("child ended by signal %d\n", WTERMSIG(status));
		if (WTERMSIG(status) == SIGABRT)
			return OUT_DEADLOCK; /* the mutex layer's recursive-lock assertion */
		FAIL("child crashed with signal %d", WTERMSIG(status));
	}
	switch (WEXITSTATUS(status)) {
	case CHILD_OK:
		return OUT_OK;
	case CHILD_BROKEN:
		return OUT_BROKEN;
	case CHILD_HUNG:
	case TSAN_EXIT:
		printf("child exit %d\n", WEXITSTATUS(status));
		return OUT_DEADLOCK;
	default:
		FAIL("child failed (exit %d)", WEXITSTATUS(status));
	}
}

/* Waits for b; a thread still blocked after HANG_MS ends the child as deadlocked. */
static void join_or_hung(struct bg *b, const char *what)
{
	if (!bg_wait(b, HANG_MS)) {
		printf("%s: still blocked after %d ms\n", what, HANG_MS);
		fflush(NULL);
		_exit(CHILD_HUNG);
	}
	bg_join(b);
}

/* Arguments of unbind_thread. */
struct unbind_arg {
	const char *bdf;
	struct uvfio_world *w;
};

static void *unbind_thread(void *arg)
{
	struct unbind_arg *a = arg;

	return (void *)(intptr_t)sysfs_puts(a->w, "/sys/bus/pci/drivers/vfio-pci/unbind", a->bdf);
}

static void start_unbind(struct bg *b, struct unbind_arg *a, struct uvfio_world *w, const char *bdf)
{
	a->bdf = bdf;
	a->w = w;
	bg_start(b, unbind_thread, a);
}

/* --- seed 000: group release against the last device's unbind ------------------------------- */

/*
 * edu's group is open (container set) with no device open. The unbind of edu
 * (its last device) parks after it unpublished the group and detached the
 * container, still holding vfio.group_lock; the user then closes the group
 * fd, so the unbind's put becomes the group's last. That put must run with no
 * lock held: the release takes vfio.group_lock.
 */
static void group_release_vs_unbind(unsigned long quirks)
{
	struct uvfio_world *w = race_world(quirks);
	struct uvfio_proc *p;
	struct vfio_group_status st = { .argsz = sizeof(st) };
	struct unbind_arg ua;
	struct vfio_env e;
	struct bg b;

	bind_vfio(w, EDU_BDF);
	p = uvfio_proc_new(w, NULL);
	env_open(&e, w, p, EDU_GROUP, NULL, VFIO_TYPE1v2_IOMMU);

	ASSERT_NEG(uvfio_race_arm(w, "vfio_device_remove_group.unpublished"), 0);
	start_unbind(&b, &ua, w, EDU_BDF);
	park(w, "vfio_device_remove_group.unpublished");
	/* The group is orphaned: its fd answers ENODEV, and closing it does not block. */
	ASSERT_ERRNO(uvfio_ioctl(p, e.group, VFIO_GROUP_GET_STATUS, &st), ENODEV);
	ASSERT_OK(uvfio_close(p, e.group));
	e.group = -1;
	ASSERT_NEG(uvfio_race_release(w, "vfio_device_remove_group.unpublished"), 0);
	join_or_hung(&b, "unbind");
	ASSERT_EQ((intptr_t)b.ret, 12);

	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
}

TEST(races, seed000_group_release_vs_unbind)
{
	ASSERT_EQ(run_child(group_release_vs_unbind, 0), OUT_OK);
}

TEST(races, seed000_old_order_deadlocks)
{
	ASSERT_EQ(run_child(group_release_vs_unbind, UVFIO_QUIRK_GROUP_PUT_UNDER_LOCK),
		  OUT_DEADLOCK);
}

/* The old order only fails in that interleaving: close first, then a plain unbind, is fine. */
static void group_close_then_unbind(unsigned long quirks)
{
	struct uvfio_world *w = race_world(quirks);
	struct uvfio_proc *p;
	struct vfio_env e;

	bind_vfio(w, EDU_BDF);
	p = uvfio_proc_new(w, NULL);
	env_open(&e, w, p, EDU_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
	env_close(&e);
	/* Nobody else holds the group: the unbind's put is the last, under the lock. */
	ASSERT_EQ(sysfs_puts(w, "/sys/bus/pci/drivers/vfio-pci/unbind", EDU_BDF), 12);
	uvfio_proc_free(p);
	world_free(w);
}

TEST(races, seed000_old_order_fails_when_unbind_puts_last)
{
	/* Unbind with the group file still open: its release makes the last put, unlocked. */
	struct uvfio_world *w = race_world(UVFIO_QUIRK_GROUP_PUT_UNDER_LOCK);
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;

	bind_vfio(w, EDU_BDF);
	env_open(&e, w, p, EDU_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(sysfs_puts(w, "/sys/bus/pci/drivers/vfio-pci/unbind", EDU_BDF), 12);
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
	/* And with no group file at all, the unbind's own put is the last one. */
	ASSERT_EQ(run_child(group_close_then_unbind, UVFIO_QUIRK_GROUP_PUT_UNDER_LOCK),
		  OUT_DEADLOCK);
	ASSERT_EQ(run_child(group_close_then_unbind, 0), OUT_OK);
}

/* --- seed 002: a host driver bind to another function of a group VFIO uses ----------------- */

struct bind_arg {
	struct uvfio_world *w;
	const char *bdf;
	const char *drv;
};

static void *bind_thread(void *arg)
{
	struct bind_arg *a = arg;
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", a->drv);
	return (void *)(intptr_t)sysfs_puts(a->w, path, a->bdf);
}

/*
 * Group 2 (bridge + two e1000 functions, not isolated): NIC A on vfio-pci,
 * NIC B unbound. An administrator binds NIC B to e1000; the bind parks just
 * before it takes its share of the group's DMA (probe-time dma_configure).
 * Meanwhile the user sets the container (VFIO claims the group: nobody uses
 * it yet) and opens NIC A. The bind, let go, must be refused: the group is
 * VFIO's now. Returns what the bind returned.
 */
static ssize_t rogue_bind(unsigned long quirks, char *drv_after, size_t len)
{
	struct uvfio_world *w = race_world(quirks);
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct bind_arg ba = { w, NIC_B_BDF, "e1000" };
	struct vfio_env e;
	struct bg b;
	ssize_t ret;

	bind_vfio(w, NIC_A_BDF);
	unbind_device(w, NIC_B_BDF);
	ASSERT_NEG(uvfio_race_arm(w, "iommu_device_use_default_domain"), 0);
	bg_start(&b, bind_thread, &ba);
	park(w, "iommu_device_use_default_domain");
	env_open(&e, w, p, NIC_GROUP, NIC_A_BDF, VFIO_TYPE1v2_IOMMU);
	ASSERT_NEG(uvfio_race_release(w, "iommu_device_use_default_domain"), 0);
	ASSERT_TRUE(bg_wait(&b, PARK_MS));
	ret = (intptr_t)bg_join(&b);
	driver_of(w, NIC_B_BDF, drv_after, len);
	/* The user's device keeps working either way. */
	ASSERT_EQ(cfg_read32(p, e.device, CFG_VENDOR), 0x100e8086);
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
	return ret;
}

TEST(races, seed002_rogue_bind_refused)
{
	char drv[64];

	ASSERT_EQ(rogue_bind(0, drv, sizeof(drv)), -EBUSY);
	ASSERT_STREQ(drv, "");
}

TEST(races, seed002_old_order_rogue_bind_gets_through)
{
	char drv[64];

	/* Before DMA ownership (5.19) nothing refused it: a host driver now shares
	 * the IOMMU context of a group a user controls (the kernel then BUG()ed). */
	ASSERT_EQ(rogue_bind(UVFIO_QUIRK_NO_DMA_OWNERSHIP, drv, sizeof(drv)), 12);
	ASSERT_STREQ(drv, "e1000");
}

/* --- unbind against open -------------------------------------------------------------------- */

struct getfd_arg {
	struct uvfio_proc *p;
	int group;
};

static void *getfd_thread(void *arg)
{
	struct getfd_arg *a = arg;
	int d = uvfio_ioctl(a->p, a->group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);

	return (void *)(intptr_t)(d < 0 ? -errno : d);
}

/*
 * A GET_DEVICE_FD that found edu before the unbind started completes (it
 * holds a registration reference; the kernel does the same) and the unbind
 * waits for it; a GET_DEVICE_FD that starts after the unbind began fails.
 */
TEST(races, unbind_vs_open)
{
	struct uvfio_world *w = race_world(0);
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct unbind_arg ua;
	struct getfd_arg ga;
	struct vfio_env e;
	struct bg opener, unbinder;
	int d;

	bind_vfio(w, EDU_BDF);
	env_open(&e, w, p, EDU_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
	ga = (struct getfd_arg){ p, e.group };

	ASSERT_NEG(uvfio_race_arm(w, "vfio_group_get_device_fd.found"), 0);
	ASSERT_NEG(uvfio_race_arm(w, "vfio_unregister_group_dev.request"), 0);
	bg_start(&opener, getfd_thread, &ga);
	park(w, "vfio_group_get_device_fd.found");
	start_unbind(&unbinder, &ua, w, EDU_BDF);
	/* The unbind unpublished edu and waits for the opener's reference. */
	park(w, "vfio_unregister_group_dev.request");
	ASSERT_ERRNO(uvfio_ioctl(p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF), ENODEV);
	ASSERT_NEG(uvfio_race_release(w, "vfio_unregister_group_dev.request"), 0);
	ASSERT_NEG(uvfio_race_release(w, "vfio_group_get_device_fd.found"), 0);
	ASSERT_TRUE(bg_wait(&opener, PARK_MS));
	d = (int)(intptr_t)bg_join(&opener);
	ASSERT_OK(d);
	ASSERT_EQ(bar0_read32(p, d, EDU_ID), 0x010000ed); /* never revoked */
	ASSERT_FALSE(bg_wait(&unbinder, 200));
	ASSERT_OK(uvfio_close(p, d));
	ASSERT_TRUE(bg_wait(&unbinder, PARK_MS));
	ASSERT_EQ((intptr_t)bg_join(&unbinder), 12);
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
}

/*
 * Users taking turns: while the unbind waits, the user opens the device
 * again and closes the older fd, several times. Returns whether the unbind
 * was still waiting after the turns (it is starved).
 */
static bool unbind_vs_reopen_turns(unsigned long quirks)
{
	struct uvfio_world *w = race_world(quirks);
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct unbind_arg ua;
	struct vfio_env e;
	struct bg unbinder;
	bool starved;
	int d = -1;

	bind_vfio(w, EDU_BDF);
	env_open(&e, w, p, EDU_GROUP, EDU_BDF, VFIO_TYPE1v2_IOMMU);
	ASSERT_NEG(uvfio_race_arm(w, "vfio_unregister_group_dev.request"), 0);
	start_unbind(&unbinder, &ua, w, EDU_BDF);
	park(w, "vfio_unregister_group_dev.request");
	ASSERT_NEG(uvfio_race_release(w, "vfio_unregister_group_dev.request"), 0);
	for (int turn = 0; turn < 5; turn++) {
		/* The next user opens before the previous one closes. */
		d = uvfio_ioctl(p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
		if (d < 0)
			ASSERT_EQ(errno, ENODEV); /* 6.6+: no new open once removal began */
		ASSERT_OK(uvfio_close(p, e.device));
		e.device = d;
		if (d < 0)
			break;
		usleep(20000);
	}
	starved = !bg_wait(&unbinder, 100);
	printf("unbind %s after the user's turns\n", starved ? "still waits" : "done");
	if (e.device >= 0) {
		ASSERT_OK(uvfio_close(p, e.device));
		e.device = -1;
	}
	ASSERT_TRUE(bg_wait(&unbinder, PARK_MS));
	ASSERT_EQ((intptr_t)bg_join(&unbinder), 12);
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
	return starved;
}

TEST(races, unbind_vs_reopen)
{
	ASSERT_FALSE(unbind_vs_reopen_turns(0));
}

TEST(races, unbind_vs_reopen_old_order_starves)
{
	ASSERT_TRUE(unbind_vs_reopen_turns(UVFIO_QUIRK_UNPUBLISH_AFTER_WAIT));
}

/* --- REQ against close ---------------------------------------------------------------------- */

struct close_arg {
	struct uvfio_proc *p;
	int fd;
};

static void *close_thread(void *arg)
{
	struct close_arg *a = arg;

	return (void *)(intptr_t)uvfio_close(a->p, a->fd);
}

/*
 * The user's last close of edu parks before its reset (holding the group and
 * device-set locks); the administrator's unbind starts (holding edu's
 * device_lock), asks with REQ and waits for that close. The close, let go,
 * must finish without the device_lock; then the unbind finishes.
 */
static void req_vs_close(unsigned long quirks)
{
	struct uvfio_world *w = race_world(quirks);
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct unbind_arg ua;
	struct close_arg ca;
	struct vfio_env e;
	struct bg closer, unbinder;
	int efd = efd_new();

	bind_vfio(w, EDU_BDF);
	env_open(&e, w, p, EDU_GROUP, EDU_BDF, VFIO_TYPE1v2_IOMMU);
	ASSERT_OK(irq_set_eventfd(p, e.device, VFIO_PCI_REQ_IRQ_INDEX, efd));

	ASSERT_NEG(uvfio_race_arm(w, "vfio_df_close.last"), 0);
	ca = (struct close_arg){ p, e.device };
	e.device = -1;
	bg_start(&closer, close_thread, &ca);
	park(w, "vfio_df_close.last");
	start_unbind(&unbinder, &ua, w, EDU_BDF);
	/* The ask arrives while the close is under way (the trigger is still set). */
	ASSERT_EQ(efd_wait(w, efd, PARK_MS), 1);
	ASSERT_NEG(uvfio_race_release(w, "vfio_df_close.last"), 0);
	join_or_hung(&closer, "close");
	ASSERT_EQ((intptr_t)closer.ret, 0);
	join_or_hung(&unbinder, "unbind");
	ASSERT_EQ((intptr_t)unbinder.ret, 12);
	close(efd);
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
}

TEST(races, req_vs_close)
{
	ASSERT_EQ(run_child(req_vs_close, 0), OUT_OK);
}

TEST(races, req_vs_close_old_order_deadlocks)
{
	ASSERT_EQ(run_child(req_vs_close, UVFIO_QUIRK_CLOSE_TAKES_DEVICE_LOCK), OUT_DEADLOCK);
}

/* --- container close against group unset ---------------------------------------------------- */

static void *unset_thread(void *arg)
{
	struct getfd_arg *a = arg;
	int ret = uvfio_ioctl(a->p, a->group, VFIO_GROUP_UNSET_CONTAINER);

	return (void *)(intptr_t)(ret < 0 ? -errno : 0);
}

/*
 * Three threads. A: UNSET_CONTAINER, parked where it is about to detach.
 * B: GET_DEVICE_FD of edu on the same group. C (this one): closes the
 * container fd, which must neither block nor free the container while the
 * group is attached. Whatever the order, a device is never open on a group
 * without a container: the unset wins (B gets EINVAL) or B wins (EBUSY).
 */
static void container_close_vs_unset(unsigned long quirks)
{
	struct uvfio_world *w = race_world(quirks);
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	unsigned char *buf = anon_alloc(PAGE_SZ);
	struct bg unsetter, opener;
	struct getfd_arg ga;
	struct vfio_env e;
	uint64_t t0;
	int unset, d;

	bind_vfio(w, EDU_BDF);
	env_open(&e, w, p, EDU_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
	ASSERT_OK(dma_map(p, e.container, 0x100000, buf, PAGE_SZ, 3));
	ga = (struct getfd_arg){ p, e.group };

	ASSERT_NEG(uvfio_race_arm(w, "vfio_group_unset_container.detach"), 0);
	ASSERT_NEG(uvfio_race_arm(w, "vfio_group_get_device_fd.found"), 0);
	bg_start(&unsetter, unset_thread, &ga);
	park(w, "vfio_group_unset_container.detach");
	bg_start(&opener, getfd_thread, &ga);
	park(w, "vfio_group_get_device_fd.found");
	ASSERT_NEG(uvfio_race_release(w, "vfio_group_get_device_fd.found"), 0);
	/* B now waits for the group lock, or (old order: A let go of it) completes. */
	bg_wait(&opener, 300);
	t0 = now_ms();
	ASSERT_OK(uvfio_close(p, e.container));
	e.container = -1;
	/* The container's release takes no group lock: with it, the close would wait for the
	 * release below; 10 s only tells that from a loaded machine's slowness. */
	ASSERT_LT(now_ms() - t0, 10000u);
	ASSERT_NEG(uvfio_race_release(w, "vfio_group_unset_container.detach"), 0);
	join_or_hung(&unsetter, "unset");
	join_or_hung(&opener, "open");
	unset = (int)(intptr_t)unsetter.ret;
	d = (int)(intptr_t)opener.ret;
	printf("unset: %d, GET_DEVICE_FD: %d\n", unset, d);
	if (unset == 0 && d >= 0) {
		/* A device open on a group that has no container any more. */
		fflush(NULL);
		_exit(CHILD_BROKEN);
	}
	ASSERT_EQ(unset, 0);
	ASSERT_EQ(d, -EINVAL);
	/* Detached for good: not set, viable again, DMA ownership returned. */
	ASSERT_EQ(group_status(p, e.group), VFIO_GROUP_FLAGS_VIABLE);
	env_close(&e);
	anon_free(buf, PAGE_SZ);
	uvfio_proc_free(p);
	world_free(w);
}

TEST(races, container_close_vs_unset)
{
	ASSERT_EQ(run_child(container_close_vs_unset, 0), OUT_OK);
}

TEST(races, container_close_vs_unset_old_order_breaks)
{
	ASSERT_EQ(run_child(container_close_vs_unset, UVFIO_QUIRK_UNSET_STALE_CHECK), OUT_BROKEN);
}

/* --- the race-point API itself ---------------------------------------------------------------- */

TEST(races, api)
{
	struct uvfio_world *w = race_world(0);
	const char *const *names = uvfio_race_points();
	int n = 0;

	while (names[n])
		n++;
	ASSERT_GT(n, 5);
	ASSERT_NEG(uvfio_race_arm(w, "no_such_point"), ENOENT);
	ASSERT_NEG(uvfio_race_arm(w, names[0]), 0);
	ASSERT_NEG(uvfio_race_arm(w, names[0]), EEXIST);
	ASSERT_NEG(uvfio_race_wait(w, names[0], 10), ETIMEDOUT);
	ASSERT_NEG(uvfio_race_release(w, names[0]), 0);
	ASSERT_NEG(uvfio_race_release(w, names[0]), ENOENT);
	ASSERT_NEG(uvfio_race_wait(w, names[0], 10), ENOENT);
	ASSERT_NEG(uvfio_world_set_quirks(w, 1ul << 40), EINVAL);
	/* A point left armed does not hold up the world's teardown. */
	ASSERT_NEG(uvfio_race_arm(w, names[1]), 0);
	world_free(w);
}

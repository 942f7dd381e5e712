// SPDX-License-Identifier: MIT
/*
 * The ladders of seeds/003 (digest §6.3), forced with race points: each
 * scenario runs with the current sequence and must hold, and with
 * UVFIO_QUIRK_MDEV_OLD_SEQUENCE (the pre-5.2 sequence) and must break. A
 * break is detected, never crashed on: an instance reachable half-built, an
 * instance left behind after its parent is gone, parent unregistration
 * finishing while a remove is still in flight, or a vendor callback running
 * on a parent already unregistered (mdev-test-vendor.h's dead marker). Each
 * scenario runs in a forked child watched with a deadline.
 */
#include "common.h"

#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/wait.h>
#include <unistd.h>

#include <uvfio/uvfio-race.h>

#include "mdev-test-vendor.h"

#define PARK_MS 5000
#define WINDOW_MS 150 /* long enough for a thread that does not wait to finish */
#define CHILD_OK 0
#define CHILD_BROKEN 3
#define CHILD_HUNG 4

#define UUID_A "3c0e5a3e-7d1f-4c8e-b2a9-0f6d4e3b2a10"
#define UUID_B "3c0e5a3e-7d1f-4c8e-b2a9-0f6d4e3b2a11"
#define TYPE1 "/sys/devices/virtual/tvend/tv0/mdev_supported_types/tvend-1"

enum outcome { OUT_OK, OUT_BROKEN, OUT_HUNG };

struct scene {
	struct uvfio_world *w;
	struct tv_driver *td;
	struct tv_parent *tp;
	bool broken;
};

static void scene_new(struct scene *s, unsigned long quirks)
{
	memset(s, 0, sizeof(*s));
	s->w = world_new();
	ASSERT_NEG(uvfio_world_set_quirks(s->w, quirks), 0);
	s->td = tv_driver_new(s->w, 8);
	ASSERT_TRUE(s->td);
	s->tp = tv_parent_new(s->w, s->td, "tv0");
	ASSERT_TRUE(s->tp);
}

static void broken(struct scene *s, const char *why)
{
	printf("# broken: %s\n", why);
	s->broken = true;
}

/* Counts the instances left on the bus; each is removed (as a leftover, with the quirk's path). */
static int remove_leftovers(struct scene *s)
{
	struct mdev_core *core = &s->w->mdev;
	int n = 0;

	for (;;) {
		struct mdev_device *mdev = NULL, *it;

		mutex_lock(&core->list_lock);
		list_for_each_entry(it, &core->devices, next) {
			if (it->added && it->active) {
				mdev = it;
				get_device(&mdev->dev);
				break;
			}
		}
		mutex_unlock(&core->list_lock);
		if (!mdev)
			break;
		n++;
		mdev_device_remove(mdev);
		put_device(&mdev->dev);
	}
	return n;
}

/* Ends the scene: the parent unregistered already; the child exits with the verdict. */
static __attribute__((noreturn)) void scene_end(struct scene *s)
{
	if (remove_leftovers(s))
		broken(s, "an instance was left behind after its parent was unregistered");
	if (atomic_load(&s->tp->violations))
		broken(s, "a vendor callback ran on an unregistered (freed) parent");
	tv_parent_free(s->tp);
	tv_driver_free(s->td);
	world_free(s->w);
	fflush(NULL);
	_exit(s->broken ? CHILD_BROKEN : CHILD_OK);
}

static void park(struct uvfio_world *w, const char *point)
{
	ASSERT_NEG(uvfio_race_wait(w, point, PARK_MS), 0);
}

static bool exists(struct uvfio_world *w, const char *path)
{
	struct uvfio_sysfs_stat st;

	return uvfio_sysfs_stat(w, path, &st) == 0;
}

static enum outcome run_child(void (*fn)(unsigned long), unsigned long quirks)
{
	uint64_t deadline = now_ms() + 4 * PARK_MS;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		fn(quirks);
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
			return OUT_HUNG;
		}
		usleep(2000);
	}
	if (WIFSIGNALED(status))
		FAIL("scenario crashed with signal %d", WTERMSIG(status));
	if (WEXITSTATUS(status) == CHILD_BROKEN)
		return OUT_BROKEN;
	if (WEXITSTATUS(status) == CHILD_HUNG)
		return OUT_HUNG;
	ASSERT_EQ(WEXITSTATUS(status), CHILD_OK);
	return OUT_OK;
}

static void need_race_points(void)
{
	struct uvfio_world *w = world_new();
	int ret = uvfio_world_set_quirks(w, UVFIO_QUIRK_MDEV_OLD_SEQUENCE);

	world_free(w);
	if (ret == -EOPNOTSUPP)
		SKIP("built without race points");
	ASSERT_NEG(ret, 0);
}

/* --- threads ------------------------------------------------------------------------------- */

struct op {
	struct scene *s;
	const char *uuid;
};

static void *create_thread(void *arg)
{
	struct op *o = arg;

	return (void *)(intptr_t)sysfs_puts(o->s->w, TYPE1 "/create", o->uuid);
}

static void *remove_thread(void *arg)
{
	struct op *o = arg;
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", o->uuid);
	return (void *)(intptr_t)sysfs_puts(o->s->w, path, "1");
}

static void *unregister_thread(void *arg)
{
	tv_parent_unregister(((struct op *)arg)->s->tp);
	return NULL;
}

static intptr_t join(struct bg *b, const char *what)
{
	if (!bg_wait(b, PARK_MS)) {
		printf("# %s: still blocked\n", what);
		fflush(NULL);
		_exit(CHILD_HUNG);
	}
	return (intptr_t)bg_join(b);
}

/* --- ladder 1: open during create (problem 1) --------------------------------------------- */

/*
 * The create parks right after the instance appeared on the bus, before its
 * vendor driver probed. Nothing may treat it as created then: it is not an
 * instance of its type yet (no devices/ link, no mdev_type link) and it
 * cannot be removed (-EAGAIN). Afterwards the create completes and the
 * device opens through the VFIO uAPI.
 */
static void open_during_create(unsigned long quirks)
{
	struct op o = { .uuid = UUID_A };
	struct scene s;
	struct bg c;
	ssize_t ret;

	scene_new(&s, quirks);
	o.s = &s;
	ASSERT_NEG(uvfio_race_arm(s.w, "mdev_device_create.added"), 0);
	bg_start(&c, create_thread, &o);
	park(s.w, "mdev_device_create.added");

	if (exists(s.w, TYPE1 "/devices/" UUID_A) ||
	    exists(s.w, "/sys/bus/mdev/devices/" UUID_A "/mdev_type"))
		broken(&s, "a half-built instance is shown as an instance of its type");
	ret = sysfs_puts(s.w, "/sys/bus/mdev/devices/" UUID_A "/remove", "1");
	if (ret != -EAGAIN)
		broken(&s, "a half-built instance could be removed");

	ASSERT_NEG(uvfio_race_release(s.w, "mdev_device_create.added"), 0);
	ret = join(&c, "create");
	if (!s.broken) {
		struct uvfio_proc *p = uvfio_proc_new(s.w, NULL);
		struct vfio_env e;
		char buf[128];
		ssize_t n;

		ASSERT_EQ(ret, 36);
		n = uvfio_sysfs_readlink(s.w, "/sys/bus/mdev/devices/" UUID_A "/iommu_group", buf,
					 sizeof(buf) - 1);
		ASSERT_GT(n, 0);
		buf[n] = '\0';
		env_open(&e, s.w, p, atoi(strrchr(buf, '/') + 1), UUID_A, VFIO_TYPE1v2_IOMMU);
		env_close(&e);
		uvfio_proc_free(p);
	}
	tv_parent_unregister(s.tp);
	scene_end(&s);
}

TEST(mdev_races, open_during_create)
{
	need_race_points();
	ASSERT_EQ(run_child(open_during_create, 0), OUT_OK);
}

TEST(mdev_races, open_during_create_old_sequence)
{
	need_race_points();
	ASSERT_EQ(run_child(open_during_create, UVFIO_QUIRK_MDEV_OLD_SEQUENCE), OUT_BROKEN);
}

/* --- ladder 2: create against parent unregistration (issue-1, C3) -------------------------- */

/*
 * The create has reserved its UUID and parks; the parent's unregistration
 * then removes the children and parks before the types go; the create goes
 * on. It must fail -ENODEV (or, had it been first, be removed with the
 * parent): never left behind on a parent that is gone.
 */
static void create_vs_unregister(unsigned long quirks)
{
	struct op o = { .uuid = UUID_A };
	struct scene s;
	struct bg c, u;
	intptr_t ret;

	scene_new(&s, quirks);
	o.s = &s;
	ASSERT_NEG(uvfio_race_arm(s.w, "mdev_device_create.initialized"), 0);
	bg_start(&c, create_thread, &o);
	park(s.w, "mdev_device_create.initialized");
	ASSERT_NEG(uvfio_race_arm(s.w, "mdev_unregister_parent.removed"), 0);
	bg_start(&u, unregister_thread, &o);
	park(s.w, "mdev_unregister_parent.removed");

	ASSERT_NEG(uvfio_race_release(s.w, "mdev_device_create.initialized"), 0);
	ret = join(&c, "create");
	if (ret != -ENODEV)
		printf("# create returned %ld\n", (long)ret);
	ASSERT_NEG(uvfio_race_release(s.w, "mdev_unregister_parent.removed"), 0);
	join(&u, "unregistration");
	if (exists(s.w, "/sys/bus/mdev/devices/" UUID_A))
		broken(&s, "the instance outlived its parent's unregistration");
	scene_end(&s);
}

TEST(mdev_races, create_vs_parent_unregistration)
{
	need_race_points();
	ASSERT_EQ(run_child(create_vs_unregister, 0), OUT_OK);
}

TEST(mdev_races, create_vs_parent_unregistration_old_sequence)
{
	need_race_points();
	ASSERT_EQ(run_child(create_vs_unregister, UVFIO_QUIRK_MDEV_OLD_SEQUENCE), OUT_BROKEN);
}

/* --- ladder 3: remove against parent unregistration (problem 5, C4) ------------------------ */

/*
 * A user's remove has marked the instance inactive and parks before the
 * vendor's remove; the parent's unregistration starts. It must wait for the
 * remove in flight (and new creates fail -ENODEV meanwhile); the vendor's
 * remove must not run on a parent already unregistered.
 */
static void remove_vs_unregister(unsigned long quirks)
{
	struct op o = { .uuid = UUID_A };
	struct scene s;
	struct bg r, u;

	scene_new(&s, quirks);
	o.s = &s;
	ASSERT_EQ(sysfs_puts(s.w, TYPE1 "/create", UUID_A), 36);
	ASSERT_NEG(uvfio_race_arm(s.w, "mdev_device_remove.locked"), 0);
	bg_start(&r, remove_thread, &o);
	park(s.w, "mdev_device_remove.locked");
	bg_start(&u, unregister_thread, &o);
	if (bg_wait(&u, WINDOW_MS))
		broken(&s, "parent unregistration finished while a remove was in flight");
	else if (sysfs_puts(s.w, TYPE1 "/create", UUID_B) != -ENODEV)
		broken(&s, "a create started while the parent was unregistering");

	ASSERT_NEG(uvfio_race_release(s.w, "mdev_device_remove.locked"), 0);
	ASSERT_EQ(join(&r, "remove"), 1);
	join(&u, "unregistration");
	scene_end(&s);
}

TEST(mdev_races, remove_vs_parent_unregistration)
{
	need_race_points();
	ASSERT_EQ(run_child(remove_vs_unregister, 0), OUT_OK);
}

TEST(mdev_races, remove_vs_parent_unregistration_old_sequence)
{
	need_race_points();
	ASSERT_EQ(run_child(remove_vs_unregister, UVFIO_QUIRK_MDEV_OLD_SEQUENCE), OUT_BROKEN);
}

/* --- ladder 4: a user remove in flight, waiting for the VFIO user, as the parent goes ------ */

/*
 * The instance is open through the VFIO uAPI; its remove blocks for that
 * user; the parent's unregistration starts meanwhile. Unregistration must
 * wait until the remove is done (after the user closes), and everything the
 * vendor does for that removal happens while its parent is still there.
 */
static void user_remove_vs_unregister(unsigned long quirks)
{
	struct op o = { .uuid = UUID_A };
	struct uvfio_proc *p;
	struct vfio_env e;
	struct scene s;
	struct bg r, u;
	char buf[128];
	ssize_t n;

	scene_new(&s, quirks);
	o.s = &s;
	ASSERT_EQ(sysfs_puts(s.w, TYPE1 "/create", UUID_A), 36);
	n = uvfio_sysfs_readlink(s.w, "/sys/bus/mdev/devices/" UUID_A "/iommu_group", buf,
				 sizeof(buf) - 1);
	ASSERT_GT(n, 0);
	buf[n] = '\0';
	p = uvfio_proc_new(s.w, NULL);
	env_open(&e, s.w, p, atoi(strrchr(buf, '/') + 1), UUID_A, VFIO_TYPE1v2_IOMMU);

	bg_start(&r, remove_thread, &o);
	if (bg_wait(&r, WINDOW_MS))
		FAIL("remove did not wait for the open device");
	bg_start(&u, unregister_thread, &o);
	if (bg_wait(&u, WINDOW_MS))
		broken(&s, "parent unregistration finished while a remove waited for its user");
	ASSERT_OK(uvfio_close(p, e.device));
	e.device = -1;
	ASSERT_EQ(join(&r, "remove"), 1);
	join(&u, "unregistration");
	env_close(&e);
	uvfio_proc_free(p);
	scene_end(&s);
}

TEST(mdev_races, user_remove_vs_parent_unregistration)
{
	need_race_points();
	ASSERT_EQ(run_child(user_remove_vs_unregister, 0), OUT_OK);
}

TEST(mdev_races, user_remove_vs_parent_unregistration_old_sequence)
{
	need_race_points();
	ASSERT_EQ(run_child(user_remove_vs_unregister, UVFIO_QUIRK_MDEV_OLD_SEQUENCE), OUT_BROKEN);
}

/* --- the window in 6.12's remove (docs/mdev-model.md, spin -DKERNEL_ORDER) --------------- */

/*
 * A user's remove has cleared `active` and parks before its trylock of
 * unreg_sem: it holds nothing of the instance's yet. The parent's
 * unregistration must not finish (and its vendor free the parent) while that
 * writer can still reach the parent, and when the writer goes on it must find
 * the unregistration done rather than remove the instance a second time.
 */
static void remove_window_vs_unregister(unsigned long quirks)
{
	struct op o = { .uuid = UUID_A };
	struct scene s;
	struct bg r, u;
	intptr_t ret;

	scene_new(&s, quirks);
	o.s = &s;
	ASSERT_EQ(sysfs_puts(s.w, TYPE1 "/create", UUID_A), 36);
	ASSERT_NEG(uvfio_race_arm(s.w, "mdev_device_remove.inactive"), 0);
	bg_start(&r, remove_thread, &o);
	park(s.w, "mdev_device_remove.inactive");
	bg_start(&u, unregister_thread, &o);
	if (bg_wait(&u, WINDOW_MS))
		broken(&s, "parent unregistration finished while a remove writer could reach it");
	ASSERT_NEG(uvfio_race_release(s.w, "mdev_device_remove.inactive"), 0);
	ret = join(&r, "remove");
	if (ret != -ENODEV)
		broken(&s, "the remove went on after its parent's unregistration");
	join(&u, "unregistration");
	if (exists(s.w, "/sys/bus/mdev/devices/" UUID_A))
		broken(&s, "the instance outlived its parent's unregistration");
	scene_end(&s);
}

TEST(mdev_races, remove_window_vs_parent_unregistration)
{
	need_race_points();
	ASSERT_EQ(run_child(remove_window_vs_unregister, 0), OUT_OK);
}

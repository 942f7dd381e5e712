// SPDX-License-Identifier: MIT
/*
 * Stress of the mdev core: threads create instances, open them through the
 * VFIO uAPI (container, group, SET_IOMMU, GET_DEVICE_FD, a register read),
 * remove them, and unregister and re-register a parent, all at once, on two
 * parents and a small pool of UUIDs so that every operation meets the others.
 * Each operation must end with one of its documented results, and at the end
 * no instance is left, no vendor callback ran on a dead parent, and every
 * parent user is gone. The seed is printed (UVFIO_STRESS_SEED replays it);
 * meant to run under TSan as well.
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "mdev-test-vendor.h"

#define RUN_MS 3000
#define NR_UUIDS 12
#define NR_CREATORS 2
#define NR_REMOVERS 2
#define NR_OPENERS 2

struct stress {
	struct uvfio_world *w;
	struct tv_driver *td;
	struct tv_parent *stable; /* "tv0": stays */
	struct tv_parent
		*churn; /* "tv1": unregistered and registered again; owned by the churn thread */
	atomic_bool stop;
	atomic_int bad;
	atomic_int creates, removes, opens, churns, violations;
	unsigned int seed;
};

struct worker {
	struct stress *s;
	unsigned int seed;
	pthread_t th;
};

static void uuid_of(unsigned int i, char out[37])
{
	snprintf(out, 37, "6a1d0c2e-94b3-4f5a-8e7d-%012x", i);
}

static void bad(struct stress *s, const char *what, long ret)
{
	printf("# unexpected: %s -> %ld\n", what, ret);
	atomic_fetch_add(&s->bad, 1);
}

static void *creator(void *arg)
{
	struct worker *wk = arg;
	struct stress *s = wk->s;

	while (!atomic_load(&s->stop)) {
		char uuid[37], path[160];
		unsigned int r = (unsigned int)rand_r(&wk->seed);
		ssize_t ret;

		uuid_of(r % NR_UUIDS, uuid);
		snprintf(path, sizeof(path),
			 "/sys/devices/virtual/tvend/tv%u/mdev_supported_types/tvend-%u/create",
			 (r >> 8) & 1, 1 + ((r >> 9) & 1));
		ret = sysfs_puts(s->w, path, uuid);
		if (ret == 36)
			atomic_fetch_add(&s->creates, 1);
		else if (ret != -EEXIST && ret != -EUSERS && ret != -ENODEV && ret != -ENOENT)
			bad(s, "create", (long)ret);
	}
	return NULL;
}

static void *remover(void *arg)
{
	struct worker *wk = arg;
	struct stress *s = wk->s;

	while (!atomic_load(&s->stop)) {
		char uuid[37], path[160];
		ssize_t ret;

		uuid_of((unsigned int)rand_r(&wk->seed) % NR_UUIDS, uuid);
		snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", uuid);
		ret = sysfs_puts(s->w, path, "1");
		if (ret == 1)
			atomic_fetch_add(&s->removes, 1);
		else if (ret != -ENOENT && ret != -EAGAIN && ret != -ENODEV)
			bad(s, "remove", (long)ret);
	}
	return NULL;
}

/* A program's open: the group from the iommu_group link, then the uAPI; any step may find the instance gone. */
static void open_once(struct stress *s, struct uvfio_proc *p, unsigned int r)
{
	char uuid[37], path[160], buf[160];
	int container = -1, group = -1, device = -1;
	unsigned int v;
	ssize_t n;

	uuid_of(r % NR_UUIDS, uuid);
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	n = uvfio_sysfs_readlink(s->w, path, buf, sizeof(buf) - 1);
	if (n <= 0)
		return;
	buf[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", strrchr(buf, '/') + 1);
	container = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);
	if (container < 0) {
		bad(s, "open container", -errno);
		return;
	}
	group = uvfio_open(p, path, O_RDWR);
	if (group < 0)
		goto out;
	if (uvfio_ioctl(p, group, VFIO_GROUP_SET_CONTAINER, &container))
		goto out;
	if (uvfio_ioctl(p, container, VFIO_SET_IOMMU, (unsigned long)VFIO_TYPE1v2_IOMMU))
		goto out;
	device = uvfio_ioctl(p, group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	if (device < 0)
		goto out;
	if (uvfio_pread(p, device, &v, 4, 0) != 4)
		bad(s, "read scratch", -errno);
	atomic_fetch_add(&s->opens, 1);
	usleep(r % 2000); /* hold it: removes and the parent's unregistration wait */
out:
	if (device >= 0)
		uvfio_close(p, device);
	if (group >= 0)
		uvfio_close(p, group);
	uvfio_close(p, container);
}

static void *opener(void *arg)
{
	struct worker *wk = arg;
	struct stress *s = wk->s;
	struct uvfio_proc *p = uvfio_proc_new(s->w, NULL);

	while (!atomic_load(&s->stop))
		open_once(s, p, (unsigned int)rand_r(&wk->seed));
	uvfio_proc_free(p);
	return NULL;
}

static void *churner(void *arg)
{
	struct worker *wk = arg;
	struct stress *s = wk->s;

	while (!atomic_load(&s->stop)) {
		usleep((unsigned int)rand_r(&wk->seed) % 20000);
		tv_parent_unregister(s->churn);
		atomic_fetch_add(&s->violations, atomic_load(&s->churn->violations));
		tv_parent_free(s->churn);
		usleep((unsigned int)rand_r(&wk->seed) % 5000);
		s->churn = tv_parent_new(s->w, s->td, "tv1");
		if (!s->churn) {
			bad(s, "parent re-registration", 0);
			break;
		}
		atomic_fetch_add(&s->churns, 1);
	}
	return NULL;
}

TEST(stress_mdev, create_open_remove_parent_churn)
{
	struct worker wk[NR_CREATORS + NR_REMOVERS + NR_OPENERS + 1];
	const char *env = getenv("UVFIO_STRESS_SEED");
	struct stress s = { 0 };
	unsigned int n = 0;

	s.seed = env ? (unsigned int)strtoul(env, NULL, 0) : (unsigned int)now_ms();
	printf("# seed %u (UVFIO_STRESS_SEED=%u replays it)\n", s.seed, s.seed);
	s.w = world_new();
	s.td = tv_driver_new(s.w, 6);
	ASSERT_TRUE(s.td);
	s.stable = tv_parent_new(s.w, s.td, "tv0");
	s.churn = tv_parent_new(s.w, s.td, "tv1");
	ASSERT_TRUE(s.stable && s.churn);

	for (unsigned int i = 0; i < ARRAY_SIZE(wk); i++) {
		void *(*fn)(void *) = i < NR_CREATORS		    ? creator :
				      i < NR_CREATORS + NR_REMOVERS ? remover :
				      i < ARRAY_SIZE(wk) - 1	    ? opener :
								      churner;

		wk[i].s = &s;
		wk[i].seed = s.seed * 2654435761u + i;
		ASSERT_EQ(pthread_create(&wk[i].th, NULL, fn, &wk[i]), 0);
		n++;
	}
	usleep(RUN_MS * 1000);
	atomic_store(&s.stop, true);
	for (unsigned int i = 0; i < n; i++)
		ASSERT_EQ(pthread_join(wk[i].th, NULL), 0);
	printf("# %d creates, %d removes, %d opens, %d parent re-registrations\n",
	       atomic_load(&s.creates), atomic_load(&s.removes), atomic_load(&s.opens),
	       atomic_load(&s.churns));

	ASSERT_EQ(atomic_load(&s.bad), 0);
	tv_parent_unregister(s.stable);
	ASSERT_TRUE(s.churn);
	tv_parent_unregister(s.churn);
	atomic_fetch_add(&s.violations,
			 atomic_load(&s.stable->violations) + atomic_load(&s.churn->violations));
	ASSERT_EQ(atomic_load(&s.violations), 0);
	ASSERT_EQ(s.stable->parent.users, 0u);
	ASSERT_EQ(s.churn->parent.users, 0u);
	ASSERT_TRUE(list_empty(&s.w->mdev.devices));
	ASSERT_GT(atomic_load(&s.creates), 0);
	ASSERT_GT(atomic_load(&s.opens), 0);
	ASSERT_GT(atomic_load(&s.churns), 0);
	tv_parent_free(s.stable);
	tv_parent_free(s.churn);
	tv_driver_free(s.td);
	world_free(s.w);
}

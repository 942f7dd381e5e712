// SPDX-License-Identifier: MIT
/*
 * Race points (race.h). Each armed point is a record in the registry's list;
 * a thread that reaches it marks it parked and sleeps on the registry's
 * condition variable until the test releases it. Release unlinks the record
 * (so the name can be armed again at once); the parked thread frees it when
 * it wakes, since it is the last one to look at it.
 */
#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "mutex.h"
#include "race.h"

enum race_state {
	RACE_ARMED, /* waiting for a thread */
	RACE_PARKED, /* a thread sleeps in __race_point() */
	RACE_RELEASED, /* unlinked; the parked thread frees it */
};

struct race_point_state {
	struct list_head node; /* reg->points; protected by reg->lock */
	enum race_state state; /* protected by reg->lock */
	char name[64];
};

void race_registry_init(struct race_registry *reg, const char *const *known)
{
	pthread_condattr_t a;

	atomic_init(&reg->armed, 0);
	atomic_init(&reg->quirks, 0);
	pthread_mutex_init(&reg->lock, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&reg->cond, &a);
	pthread_condattr_destroy(&a);
	INIT_LIST_HEAD(&reg->points);
	reg->parked = 0;
	reg->known = known;
}

static struct race_point_state *race_find(struct race_registry *reg, const char *name)
{
	struct race_point_state *p;

	list_for_each_entry(p, &reg->points, node)
		if (!strcmp(p->name, name))
			return p;
	return NULL;
}

/* Unlinks p and drops its share of reg->armed; frees it unless a thread sleeps on it. */
static void race_unlink(struct race_registry *reg, struct race_point_state *p)
{
	list_del_init(&p->node);
	atomic_fetch_sub_explicit(&reg->armed, 1, memory_order_release);
	if (p->state == RACE_PARKED) {
		p->state = RACE_RELEASED;
		pthread_cond_broadcast(&reg->cond);
	} else {
		free(p);
	}
}

void race_registry_destroy(struct race_registry *reg)
{
	struct race_point_state *p, *n;

	pthread_mutex_lock(&reg->lock);
	list_for_each_entry_safe(p, n, &reg->points, node)
		race_unlink(reg, p);
	/* Parked threads must be out of the registry before its lock goes. */
	while (reg->parked)
		pthread_cond_wait(&reg->cond, &reg->lock);
	pthread_mutex_unlock(&reg->lock);
	pthread_cond_destroy(&reg->cond);
	pthread_mutex_destroy(&reg->lock);
}

static bool race_name_known(struct race_registry *reg, const char *name)
{
	if (!reg->known)
		return true;
	for (const char *const *k = reg->known; *k; k++)
		if (!strcmp(*k, name))
			return true;
	return false;
}

int race_arm(struct race_registry *reg, const char *name)
{
	struct race_point_state *p;

	if (strlen(name) >= sizeof(p->name) || !race_name_known(reg, name))
		return -ENOENT;
	pthread_mutex_lock(&reg->lock);
	if (race_find(reg, name)) {
		pthread_mutex_unlock(&reg->lock);
		return -EEXIST;
	}
	p = xzalloc(sizeof(*p));
	strcpy(p->name, name);
	p->state = RACE_ARMED;
	list_add_tail(&p->node, &reg->points);
	atomic_fetch_add_explicit(&reg->armed, 1, memory_order_release);
	pthread_mutex_unlock(&reg->lock);
	return 0;
}

int race_wait(struct race_registry *reg, const char *name, long ms)
{
	struct timespec deadline = timespec_after_ms(ms);
	struct race_point_state *p;
	int ret = 0;

	pthread_mutex_lock(&reg->lock);
	for (;;) {
		p = race_find(reg, name);
		if (!p) {
			ret = -ENOENT;
			break;
		}
		if (p->state == RACE_PARKED)
			break;
		if (pthread_cond_timedwait(&reg->cond, &reg->lock, &deadline) == ETIMEDOUT) {
			p = race_find(reg, name);
			ret = p && p->state == RACE_PARKED ? 0 : -ETIMEDOUT;
			break;
		}
	}
	pthread_mutex_unlock(&reg->lock);
	return ret;
}

int race_release(struct race_registry *reg, const char *name)
{
	struct race_point_state *p;
	int ret = -ENOENT;

	pthread_mutex_lock(&reg->lock);
	p = race_find(reg, name);
	if (p) {
		race_unlink(reg, p);
		ret = 0;
	}
	pthread_mutex_unlock(&reg->lock);
	return ret;
}

void __race_point(struct race_registry *reg, const char *name)
{
	struct race_point_state *p;

	pthread_mutex_lock(&reg->lock);
	p = race_find(reg, name);
	if (p && p->state == RACE_ARMED) {
		p->state = RACE_PARKED;
		reg->parked++;
		pthread_cond_broadcast(&reg->cond);
		while (p->state == RACE_PARKED)
			pthread_cond_wait(&reg->cond, &reg->lock);
		free(p);
		reg->parked--;
		pthread_cond_broadcast(&reg->cond);
	}
	pthread_mutex_unlock(&reg->lock);
}

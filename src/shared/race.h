/* SPDX-License-Identifier: MIT */
/*
 * Race points: named places in the code where a test can make the next
 * thread that gets there stop ("park") until the test lets it go. With two or
 * three points armed a test forces any interleaving of two or three threads,
 * instead of hoping a scheduler produces it.
 *
 * A registry holds the points of one world (struct uvfio_world embeds one);
 * there is no global state. The protocol, from the test's side:
 *
 *	race_arm(reg, "x");		the next thread reaching point "x" parks there
 *	...start the thread...
 *	race_wait(reg, "x", ms);	until a thread is parked at "x" (or timeout)
 *	...drive the other threads...
 *	race_release(reg, "x");		the parked thread continues; "x" is disarmed
 *
 * A point parks one thread per arming; threads that reach it while it is not
 * armed, or after its one thread parked, pass through. A parked thread may
 * hold any lock: that is the point (the test chooses the window).
 *
 * Cost when no point is armed: one relaxed atomic load and a predictable
 * branch (race_point()). Builds without the race-points option compile the
 * call sites to nothing (UVFIO_RACE_POINTS=0).
 *
 * Lock order: reg->lock is a leaf; parking waits on it with nothing else
 * taken by the registry.
 */
#ifndef UVFIO_SHARED_RACE_H
#define UVFIO_SHARED_RACE_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "list.h"
#include "macro.h"

#ifndef UVFIO_RACE_POINTS
#define UVFIO_RACE_POINTS 0
#endif

struct race_registry {
	atomic_uint armed; /* points armed and not yet released: the fast path reads only this */
	atomic_ulong quirks; /* old-ordering switches (UVFIO_QUIRK_*), see uvfio.h */
	pthread_mutex_t lock; /* points, and every race_point_state field */
	pthread_cond_t cond; /* a thread parked, or a point was released */
	struct list_head points; /* of race_point_state.node */
	unsigned int parked; /* threads inside __race_point(): destroy waits for them */
	/* Optional: names that may be armed (NULL-terminated); NULL allows any name. */
	const char *const *known;
};

void race_registry_init(struct race_registry *reg, const char *const *known);
/* Releases every parked thread, then frees the points; nobody may park afterwards. */
void race_registry_destroy(struct race_registry *reg);

/* 0, -EEXIST if already armed, -ENOENT if the name is not a known point. */
int race_arm(struct race_registry *reg, const char *name);
/* 0 once a thread is parked at name, -ETIMEDOUT after ms, -ENOENT if not armed. */
int race_wait(struct race_registry *reg, const char *name, long ms);
/* Lets the parked thread (if any) continue and disarms: 0, or -ENOENT if not armed. */
int race_release(struct race_registry *reg, const char *name);
void __race_point(struct race_registry *reg, const char *name);

#if UVFIO_RACE_POINTS
#define race_point(reg, name)                                                                \
	do {                                                                                 \
		struct race_registry *race_reg_ = (reg);                                     \
		if (unlikely(atomic_load_explicit(&race_reg_->armed, memory_order_acquire))) \
			__race_point(race_reg_, (name));                                     \
	} while (0)
#define race_quirk(reg, bit) \
	unlikely(atomic_load_explicit(&(reg)->quirks, memory_order_relaxed) & (bit))
#else
#define race_point(reg, name) ((void)(reg))
#define race_quirk(reg, bit) ((void)(reg), false)
#endif

#endif /* UVFIO_SHARED_RACE_H */

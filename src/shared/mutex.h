/* SPDX-License-Identifier: MIT */
/*
 * Locks with the kernel's names and an owner record, so code can assert what it
 * holds (the role lockdep_assert_held() plays in the kernel). The assertions are
 * compiled in when UVFIO_DEBUG_CHECKS is set (the default for every build but
 * release builds) and abort with the lock's name and the call site.
 */
#ifndef UVFIO_SHARED_MUTEX_H
#define UVFIO_SHARED_MUTEX_H

#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <time.h>

#include "macro.h"

struct mutex {
	pthread_mutex_t m;
	_Atomic(pthread_t) owner; /* valid while held */
	atomic_bool held;
	const char *name;
};

void mutex_init(struct mutex *lock, const char *name);
void mutex_destroy(struct mutex *lock);
void mutex_lock(struct mutex *lock);
bool mutex_trylock(struct mutex *lock);
void mutex_unlock(struct mutex *lock);
bool mutex_is_locked(struct mutex *lock);
bool mutex_held_by_me(struct mutex *lock);
/* pthread_cond_wait on a held struct mutex, keeping the owner record true. */
void mutex_cond_wait(struct mutex *lock, pthread_cond_t *cond);
/* The same until a CLOCK_MONOTONIC deadline (cond made with mutex_cond_init): false once past. */
bool mutex_cond_timedwait(struct mutex *lock, pthread_cond_t *cond,
			  const struct timespec *deadline);
/* A condition variable whose timed waits use CLOCK_MONOTONIC. */
void mutex_cond_init(pthread_cond_t *cond);

/* Reader/writer semaphore (the kernel's rw_semaphore). */
struct rw_semaphore {
	pthread_rwlock_t l;
	_Atomic(pthread_t) writer;
	atomic_bool write_held;
	atomic_int readers;
	const char *name;
};

void init_rwsem(struct rw_semaphore *sem, const char *name);
void rwsem_destroy(struct rw_semaphore *sem);
void down_read(struct rw_semaphore *sem);
bool down_read_trylock(struct rw_semaphore *sem);
void up_read(struct rw_semaphore *sem);
void down_write(struct rw_semaphore *sem);
bool down_write_trylock(struct rw_semaphore *sem);
void up_write(struct rw_semaphore *sem);
bool rwsem_write_held_by_me(struct rw_semaphore *sem);
bool rwsem_is_locked(struct rw_semaphore *sem);

void lock_assert_fail(const char *what, const char *name, const char *file, int line)
	__attribute__((noreturn));

#if UVFIO_DEBUG_CHECKS
#define lockdep_assert_held(l)                                                             \
	do {                                                                               \
		if (!mutex_held_by_me(l))                                                  \
			lock_assert_fail("mutex not held", (l)->name, __FILE__, __LINE__); \
	} while (0)
#define lockdep_assert_not_held(l)                                                     \
	do {                                                                           \
		if (mutex_held_by_me(l))                                               \
			lock_assert_fail("mutex held", (l)->name, __FILE__, __LINE__); \
	} while (0)
#define lockdep_assert_held_write(s)                                                      \
	do {                                                                              \
		if (!rwsem_write_held_by_me(s))                                           \
			lock_assert_fail("rwsem not held for write", (s)->name, __FILE__, \
					 __LINE__);                                       \
	} while (0)
#define lockdep_assert_rwsem_held(s)                                                       \
	do {                                                                               \
		if (!rwsem_is_locked(s))                                                   \
			lock_assert_fail("rwsem not held", (s)->name, __FILE__, __LINE__); \
	} while (0)
#else
#define lockdep_assert_held(l) ((void)(l))
#define lockdep_assert_not_held(l) ((void)(l))
#define lockdep_assert_held_write(s) ((void)(s))
#define lockdep_assert_rwsem_held(s) ((void)(s))
#endif

/*
 * A completion: one side waits until the other says "done" (kernel semantics:
 * complete() wakes one waiter per call and is remembered if nobody waits yet).
 */
struct completion {
	pthread_mutex_t m;
	pthread_cond_t c;
	unsigned int done;
};

void init_completion(struct completion *x);
void reinit_completion(struct completion *x);
void completion_destroy(struct completion *x);
void complete(struct completion *x);
void complete_all(struct completion *x);
void wait_for_completion(struct completion *x);
/* Returns true if completed, false on timeout. */
bool wait_for_completion_timeout_ms(struct completion *x, long ms);

/* Monotonic clock helpers. */
struct timespec timespec_after_ms(long ms);
uint64_t now_ns(void);

#endif /* UVFIO_SHARED_MUTEX_H */

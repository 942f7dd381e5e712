#include <errno.h>
// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <stdlib.h>

#include "mutex.h"

void lock_assert_fail(const char *what, const char *name, const char *file, int line)
{
	fprintf(stderr, "uvfio: lock assertion failed: %s: %s at %s:%d\n", what, name ? name : "?",
		file, line);
	abort();
}

void mutex_init(struct mutex *lock, const char *name)
{
	pthread_mutexattr_t a;

	pthread_mutexattr_init(&a);
#if UVFIO_DEBUG_CHECKS
	pthread_mutexattr_settype(&a, PTHREAD_MUTEX_ERRORCHECK);
#endif
	pthread_mutex_init(&lock->m, &a);
	pthread_mutexattr_destroy(&a);
	atomic_store(&lock->held, false);
	lock->name = name;
}

void mutex_destroy(struct mutex *lock)
{
	pthread_mutex_destroy(&lock->m);
}

void mutex_lock(struct mutex *lock)
{
	int r = pthread_mutex_lock(&lock->m);

	if (r)
		lock_assert_fail("recursive or broken mutex_lock", lock->name, __FILE__, __LINE__);
	atomic_store(&lock->owner, pthread_self());
	atomic_store(&lock->held, true);
}

bool mutex_trylock(struct mutex *lock)
{
	if (pthread_mutex_trylock(&lock->m))
		return false;
	atomic_store(&lock->owner, pthread_self());
	atomic_store(&lock->held, true);
	return true;
}

void mutex_unlock(struct mutex *lock)
{
	atomic_store(&lock->held, false);
	if (pthread_mutex_unlock(&lock->m))
		lock_assert_fail("unlock of a mutex not held", lock->name, __FILE__, __LINE__);
}

bool mutex_is_locked(struct mutex *lock)
{
	return atomic_load(&lock->held);
}

bool mutex_held_by_me(struct mutex *lock)
{
	return atomic_load(&lock->held) && pthread_equal(atomic_load(&lock->owner), pthread_self());
}

void mutex_cond_wait(struct mutex *lock, pthread_cond_t *cond)
{
	atomic_store(&lock->held, false);
	pthread_cond_wait(cond, &lock->m);
	atomic_store(&lock->owner, pthread_self());
	atomic_store(&lock->held, true);
}

bool mutex_cond_timedwait(struct mutex *lock, pthread_cond_t *cond, const struct timespec *deadline)
{
	int ret;

	atomic_store(&lock->held, false);
	ret = pthread_cond_timedwait(cond, &lock->m, deadline);
	atomic_store(&lock->owner, pthread_self());
	atomic_store(&lock->held, true);
	return ret != ETIMEDOUT;
}

void mutex_cond_init(pthread_cond_t *cond)
{
	pthread_condattr_t a;

	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(cond, &a);
	pthread_condattr_destroy(&a);
}

void init_rwsem(struct rw_semaphore *sem, const char *name)
{
	pthread_rwlock_init(&sem->l, NULL);
	atomic_store(&sem->write_held, false);
	atomic_store(&sem->readers, 0);
	sem->name = name;
}

void rwsem_destroy(struct rw_semaphore *sem)
{
	pthread_rwlock_destroy(&sem->l);
}

void down_read(struct rw_semaphore *sem)
{
	pthread_rwlock_rdlock(&sem->l);
	atomic_fetch_add(&sem->readers, 1);
}

bool down_read_trylock(struct rw_semaphore *sem)
{
	if (pthread_rwlock_tryrdlock(&sem->l))
		return false;
	atomic_fetch_add(&sem->readers, 1);
	return true;
}

void up_read(struct rw_semaphore *sem)
{
	atomic_fetch_sub(&sem->readers, 1);
	pthread_rwlock_unlock(&sem->l);
}

void down_write(struct rw_semaphore *sem)
{
	pthread_rwlock_wrlock(&sem->l);
	atomic_store(&sem->writer, pthread_self());
	atomic_store(&sem->write_held, true);
}

bool down_write_trylock(struct rw_semaphore *sem)
{
	if (pthread_rwlock_trywrlock(&sem->l))
		return false;
	atomic_store(&sem->writer, pthread_self());
	atomic_store(&sem->write_held, true);
	return true;
}

void up_write(struct rw_semaphore *sem)
{
	atomic_store(&sem->write_held, false);
	pthread_rwlock_unlock(&sem->l);
}

bool rwsem_write_held_by_me(struct rw_semaphore *sem)
{
	return atomic_load(&sem->write_held) &&
	       pthread_equal(atomic_load(&sem->writer), pthread_self());
}

bool rwsem_is_locked(struct rw_semaphore *sem)
{
	return atomic_load(&sem->write_held) || atomic_load(&sem->readers) > 0;
}

void init_completion(struct completion *x)
{
	pthread_condattr_t a;

	pthread_mutex_init(&x->m, NULL);
	pthread_condattr_init(&a);
	pthread_condattr_setclock(&a, CLOCK_MONOTONIC);
	pthread_cond_init(&x->c, &a);
	pthread_condattr_destroy(&a);
	x->done = 0;
}

void reinit_completion(struct completion *x)
{
	pthread_mutex_lock(&x->m);
	x->done = 0;
	pthread_mutex_unlock(&x->m);
}

void completion_destroy(struct completion *x)
{
	pthread_cond_destroy(&x->c);
	pthread_mutex_destroy(&x->m);
}

void complete(struct completion *x)
{
	pthread_mutex_lock(&x->m);
	if (x->done != UINT32_MAX)
		x->done++;
	pthread_cond_signal(&x->c);
	pthread_mutex_unlock(&x->m);
}

void complete_all(struct completion *x)
{
	pthread_mutex_lock(&x->m);
	x->done = UINT32_MAX;
	pthread_cond_broadcast(&x->c);
	pthread_mutex_unlock(&x->m);
}

void wait_for_completion(struct completion *x)
{
	pthread_mutex_lock(&x->m);
	while (!x->done)
		pthread_cond_wait(&x->c, &x->m);
	if (x->done != UINT32_MAX)
		x->done--;
	pthread_mutex_unlock(&x->m);
}

struct timespec timespec_after_ms(long ms)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	ts.tv_sec += ms / 1000;
	ts.tv_nsec += (ms % 1000) * 1000000L;
	if (ts.tv_nsec >= 1000000000L) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000L;
	}
	return ts;
}

uint64_t now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000000ull + (uint64_t)ts.tv_nsec;
}

bool wait_for_completion_timeout_ms(struct completion *x, long ms)
{
	struct timespec deadline = timespec_after_ms(ms);
	bool done;

	pthread_mutex_lock(&x->m);
	while (!x->done) {
		if (pthread_cond_timedwait(&x->c, &x->m, &deadline))
			break;
	}
	done = x->done != 0;
	if (done && x->done != UINT32_MAX)
		x->done--;
	pthread_mutex_unlock(&x->m);
	return done;
}

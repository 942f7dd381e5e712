/* SPDX-License-Identifier: MIT */
/*
 * Reference counts: struct kref for memory lifetimes (get/put → release) and
 * refcount_t for counts that may be raised only while still non-zero (the
 * "registration" counts of the kernel's VFIO objects).
 */
#ifndef UVFIO_SHARED_KREF_H
#define UVFIO_SHARED_KREF_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdlib.h>

typedef struct {
	atomic_uint refs;
} refcount_t;

static inline void refcount_set(refcount_t *r, unsigned int n)
{
	atomic_store(&r->refs, n);
}

static inline unsigned int refcount_read(const refcount_t *r)
{
	return atomic_load(&((refcount_t *)r)->refs);
}

static inline void refcount_inc(refcount_t *r)
{
	unsigned int old = atomic_fetch_add(&r->refs, 1);
	if (old == 0)
		abort(); /* increment on zero: use-after-free in the making */
}

static inline bool refcount_inc_not_zero(refcount_t *r)
{
	unsigned int old = atomic_load(&r->refs);
	do {
		if (old == 0)
			return false;
	} while (!atomic_compare_exchange_weak(&r->refs, &old, old + 1));
	return true;
}

/* Returns true when the count dropped to zero. */
static inline bool refcount_dec_and_test(refcount_t *r)
{
	unsigned int old = atomic_fetch_sub(&r->refs, 1);
	if (old == 0)
		abort(); /* underflow */
	return old == 1;
}

struct kref {
	refcount_t refcount;
};

static inline void kref_init(struct kref *k)
{
	refcount_set(&k->refcount, 1);
}

static inline void kref_get(struct kref *k)
{
	refcount_inc(&k->refcount);
}

static inline bool kref_get_unless_zero(struct kref *k)
{
	return refcount_inc_not_zero(&k->refcount);
}

/* Calls release() and returns 1 when the last reference went away. */
static inline int kref_put(struct kref *k, void (*release)(struct kref *k))
{
	if (refcount_dec_and_test(&k->refcount)) {
		release(k);
		return 1;
	}
	return 0;
}

static inline unsigned int kref_read(const struct kref *k)
{
	return refcount_read(&k->refcount);
}

#endif /* UVFIO_SHARED_KREF_H */

/* SPDX-License-Identifier: MIT */
/*
 * An ordered map of non-overlapping u64 ranges [start, last] (last inclusive,
 * so a range may end at UINT64_MAX), kept in an AVL tree. The node is embedded
 * in the caller's struct (container_of), as with the kernel's rb_node.
 *
 * Because the ranges never overlap, ordering by start also orders by last, so
 * "the lowest range intersecting [a, b]" is one descent. Every operation but
 * the walks is O(log n); itree_next/itree_prev are amortized O(1).
 *
 * Not locked: the caller serializes writers against everyone, and readers
 * against writers.
 */
#ifndef UVFIO_SHARED_ITREE_H
#define UVFIO_SHARED_ITREE_H

#include "macro.h"

struct itree_node {
	u64 start;
	u64 last; /* inclusive */
	struct itree_node *left, *right, *parent;
	int height; /* of the subtree rooted here; 1 for a leaf */
};

struct itree {
	struct itree_node *root;
	size_t count;
};

static inline void itree_init(struct itree *t)
{
	t->root = NULL;
	t->count = 0;
}

static inline size_t itree_count(const struct itree *t)
{
	return t->count;
}

static inline bool itree_empty(const struct itree *t)
{
	return t->root == NULL;
}

/*
 * Links n, whose start and last the caller has set (start <= last): 0, or
 * -EEXIST if [start, last] intersects a range already in the tree (n is then
 * left unlinked), or -EINVAL if start > last.
 */
int itree_insert(struct itree *t, struct itree_node *n);
/* Unlinks n, which must be in t. */
void itree_remove(struct itree *t, struct itree_node *n);
/* The lowest range intersecting [a, b] (a <= b), or NULL. */
struct itree_node *itree_first(const struct itree *t, u64 a, u64 b);
/* The range containing addr, or NULL. */
static inline struct itree_node *itree_lookup(const struct itree *t, u64 addr)
{
	return itree_first(t, addr, addr);
}
/* The lowest / highest range of the tree, or NULL when empty. */
struct itree_node *itree_min(const struct itree *t);
struct itree_node *itree_max(const struct itree *t);
/* In-order neighbours, or NULL at either end. */
struct itree_node *itree_next(const struct itree_node *n);
struct itree_node *itree_prev(const struct itree_node *n);

/* Every range intersecting [a, b], lowest first; pos must not be removed inside the loop. */
#define itree_for_each_in(pos, t, a, b) \
	for (pos = itree_first(t, a, b); pos && pos->start <= (b); pos = itree_next(pos))

#endif /* UVFIO_SHARED_ITREE_H */

// SPDX-License-Identifier: MIT
/*
 * The interval tree against a brute-force model: random inserts, removals and
 * queries, with the AVL and ordering invariants checked as it goes, plus the
 * edges of the u64 space.
 */
#include <stdlib.h>

#include "shared/itree.h"
#include "shared/macro.h"
#include "test.h"

struct range {
	struct itree_node node;
	bool linked;
};

/* Checks parents, ordering, disjointness, heights and balance; returns the height. */
static int check_subtree(const struct itree_node *n, const struct itree_node *parent,
			 const struct itree_node **prev, size_t *count)
{
	int lh, rh;

	if (!n)
		return 0;
	ASSERT_TRUE(n->parent == parent);
	ASSERT_LE(n->start, n->last);
	lh = check_subtree(n->left, n, prev, count);
	if (*prev)
		ASSERT_LT((*prev)->last, n->start);
	*prev = n;
	(*count)++;
	rh = check_subtree(n->right, n, prev, count);
	ASSERT_LE(abs(lh - rh), 1);
	ASSERT_EQ(n->height, 1 + max(lh, rh));
	return n->height;
}

static void check_tree(const struct itree *t)
{
	const struct itree_node *prev = NULL;
	size_t count = 0;

	check_subtree(t->root, NULL, &prev, &count);
	ASSERT_EQ(count, itree_count(t));
}

/* Brute force: the lowest linked range intersecting [a, b]. */
static struct range *model_first(struct range *r, size_t n, u64 a, u64 b)
{
	struct range *best = NULL;

	for (size_t i = 0; i < n; i++) {
		if (!r[i].linked || r[i].node.last < a || r[i].node.start > b)
			continue;
		if (!best || r[i].node.start < best->node.start)
			best = &r[i];
	}
	return best;
}

static bool model_overlaps(struct range *r, size_t n, u64 a, u64 b)
{
	return model_first(r, n, a, b) != NULL;
}

static u64 rnd64(void)
{
	return ((u64)random() << 62) ^ ((u64)random() << 31) ^ (u64)random();
}

/* Random small ranges in a small space, so that collisions are frequent. */
static void random_round(unsigned int seed, u64 space, u64 maxlen, size_t nranges)
{
	struct range *r = xcalloc(nranges, sizeof(*r));
	struct itree t;

	srandom(seed);
	itree_init(&t);
	for (int op = 0; op < 20000; op++) {
		size_t i = (size_t)random() % nranges;
		int what = random() % 4;

		if (what <= 1 && !r[i].linked) {
			u64 start = rnd64() % space, len = 1 + rnd64() % maxlen;
			u64 last = start + len - 1 < start ? UINT64_MAX : start + len - 1;
			bool overlap = model_overlaps(r, nranges, start, last);

			r[i].node.start = start;
			r[i].node.last = last;
			if (overlap) {
				ASSERT_NEG(itree_insert(&t, &r[i].node), EEXIST);
			} else {
				ASSERT_NEG(itree_insert(&t, &r[i].node), 0);
				r[i].linked = true;
			}
		} else if (what == 2 && r[i].linked) {
			itree_remove(&t, &r[i].node);
			r[i].linked = false;
		} else {
			u64 a = rnd64() % space, b = a + rnd64() % (maxlen * 4);
			struct range *want;
			struct itree_node *got;

			if (b < a)
				b = UINT64_MAX;
			want = model_first(r, nranges, a, b);
			got = itree_first(&t, a, b);
			ASSERT_TRUE(got == (want ? &want->node : NULL));
		}
		if (op % 97 == 0)
			check_tree(&t);
	}
	check_tree(&t);

	/* The in-order walk visits exactly the linked ranges, sorted. */
	size_t n = 0;
	for (struct itree_node *p = itree_min(&t); p; p = itree_next(p)) {
		struct itree_node *q = itree_next(p);

		if (q)
			ASSERT_TRUE(itree_prev(q) == p);
		n++;
	}
	ASSERT_EQ(n, itree_count(&t));
	free(r);
}

TEST(itree, random_dense)
{
	for (unsigned int seed = 1; seed <= 8; seed++)
		random_round(seed, 4096, 16, 300);
}

TEST(itree, random_sparse)
{
	for (unsigned int seed = 100; seed <= 104; seed++)
		random_round(seed, UINT64_MAX, UINT64_MAX / 1024, 200);
}

TEST(itree, random_top_of_space)
{
	/* Ranges near UINT64_MAX: the clamp in random_round makes some end exactly there. */
	for (unsigned int seed = 200; seed <= 204; seed++) {
		struct range r[64] = { 0 };
		struct itree t;

		srandom(seed);
		itree_init(&t);
		for (int i = 0; i < 64; i++) {
			u64 start = UINT64_MAX - (u64)(random() % 4096);
			u64 len = 1 + (u64)(random() % 64);
			u64 last = start + len - 1 < start ? UINT64_MAX : start + len - 1;
			bool overlap = model_overlaps(r, 64, start, last);

			r[i].node.start = start;
			r[i].node.last = last;
			ASSERT_NEG(itree_insert(&t, &r[i].node), overlap ? EEXIST : 0);
			r[i].linked = !overlap;
		}
		check_tree(&t);
		for (u64 a = UINT64_MAX - 5000; a != 0; a++) {
			struct range *want = model_first(r, 64, a, a);

			ASSERT_TRUE(itree_lookup(&t, a) == (want ? &want->node : NULL));
		}
	}
}

TEST(itree, edges)
{
	struct range lo = { .node = { .start = 0, .last = 0 } };
	struct range hi = { .node = { .start = UINT64_MAX, .last = UINT64_MAX } };
	struct range all = { .node = { .start = 0, .last = UINT64_MAX } };
	struct range bad = { .node = { .start = 5, .last = 4 } };
	struct itree t = { 0 };

	ASSERT_TRUE(itree_first(&t, 0, UINT64_MAX) == NULL);
	ASSERT_TRUE(itree_min(&t) == NULL);
	ASSERT_NEG(itree_insert(&t, &bad.node), EINVAL);
	ASSERT_NEG(itree_insert(&t, &lo.node), 0);
	ASSERT_NEG(itree_insert(&t, &hi.node), 0);
	ASSERT_NEG(itree_insert(&t, &all.node), EEXIST);
	ASSERT_EQ(itree_count(&t), 2);
	ASSERT_TRUE(itree_lookup(&t, 0) == &lo.node);
	ASSERT_TRUE(itree_lookup(&t, 1) == NULL);
	ASSERT_TRUE(itree_lookup(&t, UINT64_MAX) == &hi.node);
	ASSERT_TRUE(itree_lookup(&t, UINT64_MAX - 1) == NULL);
	ASSERT_TRUE(itree_first(&t, 1, UINT64_MAX) == &hi.node);
	ASSERT_TRUE(itree_first(&t, 1, UINT64_MAX - 1) == NULL);
	ASSERT_TRUE(itree_first(&t, 0, UINT64_MAX) == &lo.node);
	ASSERT_TRUE(itree_next(&lo.node) == &hi.node);
	ASSERT_TRUE(itree_next(&hi.node) == NULL);
	ASSERT_TRUE(itree_prev(&lo.node) == NULL);
	ASSERT_TRUE(itree_max(&t) == &hi.node);

	struct itree_node *p;
	int n = 0;
	/* (clang-format does not know the macro as a loop yet) */
	// clang-format off
	itree_for_each_in(p, &t, 0, UINT64_MAX)
		n++;
	// clang-format on
	ASSERT_EQ(n, 2);

	itree_remove(&t, &lo.node);
	itree_remove(&t, &hi.node);
	ASSERT_TRUE(itree_empty(&t));
	ASSERT_NEG(itree_insert(&t, &all.node), 0);
	ASSERT_TRUE(itree_lookup(&t, 12345) == &all.node);
	ASSERT_NEG(itree_insert(&t, &hi.node), EEXIST);
	itree_remove(&t, &all.node);
	ASSERT_EQ(itree_count(&t), 0);
}

TEST(itree, sequential_balanced)
{
	/* Ascending inserts must stay logarithmic: height of 65535 nodes ≤ 1.44 log2 n. */
	enum { N = 65535 };
	struct range *r = xcalloc(N, sizeof(*r));
	struct itree t = { 0 };

	for (u64 i = 0; i < N; i++) {
		r[i].node.start = i * 4096;
		r[i].node.last = i * 4096 + 4095;
		ASSERT_NEG(itree_insert(&t, &r[i].node), 0);
	}
	check_tree(&t);
	ASSERT_LE(t.root->height, 24);
	for (u64 i = 0; i < N; i += 2)
		itree_remove(&t, &r[i].node);
	check_tree(&t);
	ASSERT_EQ(itree_count(&t), N / 2);
	ASSERT_TRUE(itree_first(&t, 0, 8191) == &r[1].node);
	free(r);
}

// SPDX-License-Identifier: MIT
/*
 * AVL tree of disjoint ranges. Nodes carry parent pointers so that the
 * in-order walk needs no stack and removal can rebalance upwards from the
 * point of change.
 */
#include "itree.h"

static inline int node_height(const struct itree_node *n)
{
	return n ? n->height : 0;
}

static inline void update_height(struct itree_node *n)
{
	n->height = 1 + max(node_height(n->left), node_height(n->right));
}

/* Makes child take old's place under parent (or as the root). */
static void replace_child(struct itree *t, struct itree_node *parent, struct itree_node *old,
			  struct itree_node *child)
{
	if (!parent)
		t->root = child;
	else if (parent->left == old)
		parent->left = child;
	else
		parent->right = child;
	if (child)
		child->parent = parent;
}

static struct itree_node *rotate_left(struct itree *t, struct itree_node *x)
{
	struct itree_node *y = x->right;

	replace_child(t, x->parent, x, y);
	x->right = y->left;
	if (x->right)
		x->right->parent = x;
	y->left = x;
	x->parent = y;
	update_height(x);
	update_height(y);
	return y;
}

static struct itree_node *rotate_right(struct itree *t, struct itree_node *x)
{
	struct itree_node *y = x->left;

	replace_child(t, x->parent, x, y);
	x->left = y->right;
	if (x->left)
		x->left->parent = x;
	y->right = x;
	x->parent = y;
	update_height(x);
	update_height(y);
	return y;
}

/* Restores the AVL invariant on the path from n to the root. */
static void rebalance(struct itree *t, struct itree_node *n)
{
	while (n) {
		int balance;

		update_height(n);
		balance = node_height(n->left) - node_height(n->right);
		if (balance > 1) {
			if (node_height(n->left->left) < node_height(n->left->right))
				rotate_left(t, n->left);
			n = rotate_right(t, n);
		} else if (balance < -1) {
			if (node_height(n->right->right) < node_height(n->right->left))
				rotate_right(t, n->right);
			n = rotate_left(t, n);
		}
		n = n->parent;
	}
}

struct itree_node *itree_first(const struct itree *t, u64 a, u64 b)
{
	struct itree_node *x = t->root, *best = NULL;

	/* The lowest range ending at or after a; it intersects iff it starts by b. */
	while (x) {
		if (x->last >= a) {
			best = x;
			x = x->left;
		} else {
			x = x->right;
		}
	}
	return best && best->start <= b ? best : NULL;
}

int itree_insert(struct itree *t, struct itree_node *n)
{
	struct itree_node **link = &t->root, *parent = NULL;

	if (n->start > n->last)
		return -EINVAL;
	if (itree_first(t, n->start, n->last))
		return -EEXIST;

	while (*link) {
		parent = *link;
		link = n->start < parent->start ? &parent->left : &parent->right;
	}
	n->left = n->right = NULL;
	n->parent = parent;
	n->height = 1;
	*link = n;
	t->count++;
	rebalance(t, parent);
	return 0;
}

void itree_remove(struct itree *t, struct itree_node *n)
{
	struct itree_node *from;

	if (n->left && n->right) {
		/* The successor s (leftmost of the right subtree) takes n's place. */
		struct itree_node *s = n->right;

		while (s->left)
			s = s->left;
		if (s->parent == n) {
			from = s;
		} else {
			from = s->parent;
			from->left = s->right;
			if (s->right)
				s->right->parent = from;
			s->right = n->right;
			s->right->parent = s;
		}
		s->left = n->left;
		s->left->parent = s;
		s->height = n->height;
		replace_child(t, n->parent, n, s);
	} else {
		from = n->parent;
		replace_child(t, n->parent, n, n->left ? n->left : n->right);
	}
	n->left = n->right = n->parent = NULL;
	t->count--;
	rebalance(t, from);
}

struct itree_node *itree_min(const struct itree *t)
{
	struct itree_node *x = t->root;

	while (x && x->left)
		x = x->left;
	return x;
}

struct itree_node *itree_max(const struct itree *t)
{
	struct itree_node *x = t->root;

	while (x && x->right)
		x = x->right;
	return x;
}

struct itree_node *itree_next(const struct itree_node *n)
{
	if (n->right) {
		n = n->right;
		while (n->left)
			n = n->left;
		return (struct itree_node *)n;
	}
	while (n->parent && n->parent->right == n)
		n = n->parent;
	return n->parent;
}

struct itree_node *itree_prev(const struct itree_node *n)
{
	if (n->left) {
		n = n->left;
		while (n->right)
			n = n->right;
		return (struct itree_node *)n;
	}
	while (n->parent && n->parent->left == n)
		n = n->parent;
	return n->parent;
}

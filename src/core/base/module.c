// SPDX-License-Identifier: MIT
/*
 * The module registry behind /sys/module (base/module.h). Parameters are
 * read-only here for now (docs/sysfs.md): a write is EACCES.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/module.h"

struct sysfs_module {
	char name[SYSFS_NAME_MAX];
	const struct sysfs_attr *params;
	void *data;
	struct list_head node;
};

static struct sysfs_module *module_find(struct sysfs_root *root, const char *name)
{
	struct sysfs_module *m;

	list_for_each_entry(m, &root->modules, node)
		if (!strcmp(m->name, name))
			return m;
	return NULL;
}

void sysfs_module_add(struct sysfs_root *root, const char *name, const struct sysfs_attr *params,
		      void *data)
{
	struct sysfs_module *m = module_find(root, name);

	if (m) {
		if (!m->params) {
			m->params = params;
			m->data = data;
		}
		return;
	}
	m = xzalloc(sizeof(*m));
	snprintf(m->name, sizeof(m->name), "%s", name);
	m->params = params;
	m->data = data;
	list_add_tail(&m->node, &root->modules);
}

void sysfs_modules_destroy(struct sysfs_root *root)
{
	struct sysfs_module *m, *n;

	list_for_each_entry_safe(m, n, &root->modules, node) {
		list_del(&m->node);
		free(m);
	}
}

void *sysfs_module_data(const struct sysfs_ctx *c)
{
	const struct sysfs_module *m = c->data;

	return m->data;
}

static const struct sysfs_attr *params_table(const struct sysfs_ctx *c, unsigned int i)
{
	const struct sysfs_module *m = c->data;

	return i == 0 ? m->params : NULL;
}

static const struct sysfs_dir params_dir = { .tables = params_table };

static bool params_visible(struct sysfs_ctx *c)
{
	const struct sysfs_module *m = c->data;

	return m->params != NULL;
}

static const struct sysfs_attr module_attrs[] = {
	{ "parameters", S_IFDIR | 0755, .dir = &params_dir, .visible = params_visible },
	{ NULL },
};

static const struct sysfs_dir module_dir = { .attrs = module_attrs };

static void modules_list(struct sysfs_ctx *c, struct sysfs_names *out)
{
	struct sysfs_module *m;

	list_for_each_entry(m, &c->root->modules, node)
		names_add(out, "%s", m->name);
}

static int modules_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out)
{
	struct sysfs_module *m = module_find(c->root, name);

	if (!m)
		return -ENOENT;
	*out = (struct sysfs_node){
		.c = { .w = c->w, .root = c->root, .dir = &module_dir, .data = m }
	};
	return 0;
}

const struct sysfs_dir sysfs_modules_dir = { .list = modules_list, .lookup = modules_lookup };

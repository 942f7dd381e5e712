// SPDX-License-Identifier: MIT
/*
 * The mdev vendor models a world can instantiate as parents, and the parents
 * made from them: from a machine file's `mdev-parent MODEL NAME [key=value
 * ...]` lines at creation, and at run time through uvfio_mdev_parent_add()
 * and uvfio_mdev_parent_remove() (world.c, on mdev_model_parent_add/remove). World destruction removes what is left,
 * before the VFIO core goes.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/device.h"
#include "devices/models.h"
#include "machine/machine.h"
#include "mdev/mdev.h"
#include "uvfio/uvfio.h"

/* The model table: adding a vendor model is one line here. */
static const struct mdev_parent_model *const mdev_models[] = {
	&mtty_parent_model,
	NULL,
};

const struct mdev_parent_model *const *mdev_parent_models(void)
{
	return mdev_models;
}

const struct mdev_parent_model *mdev_parent_model_find(const char *name)
{
	for (const struct mdev_parent_model *const *m = mdev_models; *m; m++)
		if (!strcmp((*m)->name, name))
			return *m;
	return NULL;
}

/* A parent made from a model; instance is NULL while its add runs. */
struct mdev_parent_instance {
	char name[64];
	const struct mdev_parent_model *model;
	void *instance;
	struct list_head node; /* mdev_core.models; protected by models_lock */
};

static int mdev_parent_add(struct mdev_core *core, const struct mdev_parent_model *model,
			   const char *name, const struct model_param *params, unsigned int nparams,
			   char *err, size_t errlen)
{
	struct mdev_parent_instance *pi, *it;
	void *instance = NULL;
	int ret;

	if (!name[0] || strlen(name) >= sizeof(pi->name) || strchr(name, '/')) {
		snprintf(err, errlen, "bad parent name '%s'", name);
		return -EINVAL;
	}
	pi = xzalloc(sizeof(*pi));
	snprintf(pi->name, sizeof(pi->name), "%s", name);
	pi->model = model;
	mutex_lock(&core->models_lock);
	list_for_each_entry(it, &core->models, node) {
		if (!strcmp(it->name, name)) {
			mutex_unlock(&core->models_lock);
			snprintf(err, errlen, "a parent named '%s' exists", name);
			free(pi);
			return -EEXIST;
		}
	}
	/* The name is reserved while the model builds the parent. */
	list_add_tail(&pi->node, &core->models);
	mutex_unlock(&core->models_lock);

	ret = model->add(core, name, params, nparams, &instance, err, errlen);
	mutex_lock(&core->models_lock);
	if (ret)
		list_del(&pi->node);
	else
		pi->instance = instance;
	mutex_unlock(&core->models_lock);
	if (ret)
		free(pi);
	return ret;
}

int mdev_model_parent_add(struct mdev_core *core, const char *model_name, const char *name,
			  const char *params, char *err, size_t errlen)
{
	struct model_param kv[MACHINE_MAX_PARAMS];
	const struct mdev_parent_model *model;
	char dummy[1], *copy, *save = NULL, *word;
	unsigned int n = 0;
	int ret;

	if (!err || !errlen) {
		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	if (!model_name || !name)
		return -EINVAL;
	model = mdev_parent_model_find(model_name);
	if (!model) {
		snprintf(err, errlen, "unknown mdev parent model '%s'", model_name);
		return -ENOENT;
	}
	copy = xstrdup(params ? params : "");
	for (word = strtok_r(copy, " \t\n", &save); word; word = strtok_r(NULL, " \t\n", &save)) {
		char *eq = strchr(word, '=');

		if (!eq || eq == word || n == MACHINE_MAX_PARAMS) {
			snprintf(err, errlen, "bad parameter '%s' (expected key=value, at most %d)",
				 word, MACHINE_MAX_PARAMS);
			free(copy);
			return -EINVAL;
		}
		*eq = '\0';
		kv[n++] = (struct model_param){ word, eq + 1 };
	}
	ret = mdev_parent_add(core, model, name, kv, n, err, errlen);
	free(copy);
	return ret;
}

int mdev_model_parent_remove(struct mdev_core *core, const char *name,
			     const struct uvfio_writer *who)
{
	struct mdev_parent_instance *pi, *found = NULL;
	const struct uvfio_writer *old;

	if (!name)
		return -EINVAL;
	mutex_lock(&core->models_lock);
	list_for_each_entry(pi, &core->models, node) {
		if (pi->instance && !strcmp(pi->name, name)) {
			found = pi;
			list_del(&pi->node);
			break;
		}
	}
	mutex_unlock(&core->models_lock);
	if (!found)
		return -ENODEV;
	/* The removal may wait for VFIO users, on behalf of who (as an unbind would). */
	old = set_current_writer(who);
	found->model->remove(found->instance);
	set_current_writer(old);
	free(found);
	return 0;
}

int mdev_models_add_machine(struct mdev_core *core, const struct uvfio_machine *m, char *err,
			    size_t errlen)
{
	for (unsigned int i = 0; i < m->nmdev_parents; i++) {
		const struct machine_mdev_parent *mp = &m->mdev_parents[i];
		const struct mdev_parent_model *model = mdev_parent_model_find(mp->model);
		struct model_param kv[MACHINE_MAX_PARAMS];
		char merr[256] = "";
		int ret;

		if (!model) {
			snprintf(err, errlen, "%s:%d: unknown mdev parent model '%s'", m->source,
				 mp->line, mp->model);
			return -EINVAL;
		}
		for (unsigned int k = 0; k < mp->nparams; k++)
			kv[k] = (struct model_param){ mp->params[k].key, mp->params[k].value };
		ret = mdev_parent_add(core, model, mp->name, kv, mp->nparams, merr, sizeof(merr));
		if (ret) {
			snprintf(err, errlen, "%s:%d: %s %s: %s", m->source, mp->line, mp->model,
				 mp->name, merr[0] ? merr : strerror(-ret));
			return ret;
		}
	}
	return 0;
}

void mdev_models_exit(struct mdev_core *core)
{
	for (;;) {
		struct mdev_parent_instance *pi;

		/* Newest first, as a module unload order would take them. */
		mutex_lock(&core->models_lock);
		pi = list_empty(&core->models) ?
			     NULL :
			     container_of(core->models.prev, struct mdev_parent_instance, node);
		if (pi)
			list_del(&pi->node);
		mutex_unlock(&core->models_lock);
		if (!pi)
			break;
		if (pi->instance)
			pi->model->remove(pi->instance);
		free(pi);
	}
}

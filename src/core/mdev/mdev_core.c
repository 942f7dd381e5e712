// SPDX-License-Identifier: MIT
/*
 * The mdev core (drivers/vfio/mdev/mdev_core.c of 6.12; digest §6.3, §7):
 * parent registration, instance create and remove, and parent
 * unregistration, in the order of seeds/003:
 *
 *   create:  reserve the UUID and an instance (mdev_list_lock) →
 *            device_initialize → down_read_trylock(unreg_sem) → device_add →
 *            attach the vendor driver (its probe builds the vfio_device) →
 *            links → active → up_read
 *   remove:  !active → -EAGAIN, else active = false (mdev_list_lock) →
 *            down_read_trylock(unreg_sem) → links → device_del (the vendor
 *            remove waits for the VFIO user) → put → up_read
 *   parent:  down_write(unreg_sem) → remove every child (without the read
 *            side) → remove the types → wait for the parent's users → up_write
 *
 * UVFIO_QUIRK_MDEV_OLD_SEQUENCE puts back the pre-5.2 order: the instance is
 * on the bus, linked and active before its vendor driver has probed, the
 * vendor's remove runs before the device leaves the bus, there is no
 * unreg_sem, unregistration removes only the active children and does not
 * wait for anything that still uses the parent.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/trace.h"
#include "mdev/mdev.h"
#include "base/class.h"
#include "base/env.h"
#include "shared/race.h"
#include "uvfio/uvfio-race.h"

static bool old_sequence(struct mdev_core *core)
{
	return race_quirk(core->env->races, UVFIO_QUIRK_MDEV_OLD_SEQUENCE);
}

void mdev_uuid_string(const u8 uuid[16], char out[37])
{
	static const int groups[] = { 4, 2, 2, 2, 6 };
	int o = 0, i = 0;

	for (int g = 0; g < 5; g++) {
		if (g)
			out[o++] = '-';
		for (int k = 0; k < groups[g]; k++, i++)
			o += snprintf(out + o, 37 - (size_t)o, "%02x", uuid[i]);
	}
	out[o] = '\0';
}

/* ------------------------------------------------------------ parent users */

static void __mdev_parent_put(struct mdev_core *core, struct mdev_parent *parent)
{
	lockdep_assert_held(&core->list_lock);
	if (!--parent->users)
		pthread_cond_broadcast(&core->users_cond);
}

bool mdev_parent_tryget(struct mdev_parent *parent)
{
	struct mdev_core *core = mdev_core_of_parent(parent);
	bool ok;

	mutex_lock(&core->list_lock);
	ok = parent->registered;
	if (ok)
		parent->users++;
	mutex_unlock(&core->list_lock);
	return ok;
}

void mdev_parent_get(struct mdev_parent *parent)
{
	struct mdev_core *core = mdev_core_of_parent(parent);

	mutex_lock(&core->list_lock);
	parent->users++;
	mutex_unlock(&core->list_lock);
}

void mdev_parent_put(struct mdev_parent *parent)
{
	struct mdev_core *core = mdev_core_of_parent(parent);

	mutex_lock(&core->list_lock);
	__mdev_parent_put(core, parent);
	mutex_unlock(&core->list_lock);
}

struct mdev_parent *mdev_parent_find(struct mdev_core *core, struct device *dev)
{
	struct mdev_parent *parent, *found = NULL;

	mutex_lock(&core->list_lock);
	list_for_each_entry(parent, &core->parents, node) {
		if (parent->dev == dev) {
			parent->users++;
			found = parent;
			break;
		}
	}
	mutex_unlock(&core->list_lock);
	return found;
}

/*
 * down_read_trylock(unreg_sem) of a kernel rwsem, which fails while a writer
 * waits: the flag makes it fail from the moment unregistration starts.
 */
static bool mdev_parent_read_trylock(struct mdev_parent *parent)
{
	if (atomic_load(&parent->unregistering))
		return false;
	if (!down_read_trylock(&parent->unreg_sem))
		return false;
	if (atomic_load(&parent->unregistering)) {
		up_read(&parent->unreg_sem);
		return false;
	}
	return true;
}

unsigned int mdev_type_available(struct mdev_type *type)
{
	struct mdev_parent *parent = type->parent;
	struct mdev_core *core = mdev_core_of_parent(parent);
	int n;

	if (parent->mdev_driver->get_available)
		return parent->mdev_driver->get_available(type);
	mutex_lock(&core->list_lock);
	n = parent->available_instances;
	mutex_unlock(&core->list_lock);
	return n > 0 ? (unsigned int)n : 0;
}

/* ------------------------------------------------------ parent registration */

static void mdev_uevent(struct mdev_core *core, struct device *dev, const char *state)
{
	trace_emit(
		core->env->trace,
		"{\"op\":\"uevent\",\"action\":\"change\",\"dev\":\"%s\",\"env\":\"MDEV_STATE=%s\"}",
		dev_name(dev), state);
}

int mdev_register_parent(struct mdev_parent *parent, struct device *dev,
			 struct mdev_driver *mdev_driver, struct mdev_type **types,
			 unsigned int nr_types)
{
	struct mdev_core *core = mdev_core_of_driver(mdev_driver);
	const char *drv_string = dev_driver_string(dev);
	struct mdev_parent *it;

	if (!mdev_driver->device_api)
		return -EINVAL;
	for (unsigned int i = 0; i < nr_types; i++)
		if (!types[i]->sysfs_name)
			return -EINVAL;

	mutex_lock(&core->list_lock);
	list_for_each_entry(it, &core->parents, node) {
		if (it->dev == dev) {
			mutex_unlock(&core->list_lock);
			return -EEXIST;
		}
	}
	init_rwsem(&parent->unreg_sem, "mdev_parent->unreg_sem");
	atomic_init(&parent->unregistering, false);
	parent->dev = get_device(dev);
	parent->mdev_driver = mdev_driver;
	parent->types = types;
	parent->nr_types = nr_types;
	parent->available_instances = (int)mdev_driver->max_instances;
	parent->users = 0;
	for (unsigned int i = 0; i < nr_types; i++) {
		types[i]->parent = parent;
		snprintf(types[i]->dirname, sizeof(types[i]->dirname), "%s-%s", drv_string,
			 types[i]->sysfs_name);
	}
	/* mdev_supported_types/ and the /sys/class/mdev_bus link appear here. */
	parent->registered = true;
	parent->class_link = true;
	list_add_tail(&parent->node, &core->parents);
	mutex_unlock(&core->list_lock);

	dev_info(dev, "MDEV: Registered");
	mdev_uevent(core, dev, "registered");
	return 0;
}

/* --------------------------------------------------------- instance removal */

/*
 * Takes a claimed instance off the bus: its links, device_del (the vendor's
 * remove waits there for the VFIO user), then the initial reference. The
 * caller holds unreg_sem (either side) in the current sequence.
 */
static void mdev_device_remove_common(struct mdev_device *mdev)
{
	struct mdev_core *core = mdev_core_of_mdev(mdev);

	mutex_lock(&core->list_lock);
	mdev->linked = false;
	mutex_unlock(&core->list_lock);
	device_del(&mdev->dev);
	/* Balances device_initialize(). */
	put_device(&mdev->dev);
}

/* The pre-5.2 mdev_device_remove_ops + device_unregister: vendor first, then off the bus. */
static void mdev_device_remove_old(struct mdev_device *mdev)
{
	struct mdev_core *core = mdev_core_of_mdev(mdev);

	device_release_driver(&mdev->dev);
	mutex_lock(&core->list_lock);
	mdev->linked = false;
	mutex_unlock(&core->list_lock);
	device_del(&mdev->dev);
	put_device(&mdev->dev);
}

int mdev_device_remove(struct mdev_device *mdev)
{
	struct mdev_core *core = mdev_core_of_mdev(mdev);
	struct mdev_parent *parent = mdev_parent_of(mdev);
	struct mdev_device *it;
	bool found = false;

	mutex_lock(&core->list_lock);
	list_for_each_entry(it, &core->devices, next) {
		if (it == mdev) {
			found = true;
			break;
		}
	}
	if (!found) {
		mutex_unlock(&core->list_lock);
		return -ENODEV;
	}
	if (!mdev->active) {
		mutex_unlock(&core->list_lock);
		return -EAGAIN;
	}
	mdev->active = false;
	mutex_unlock(&core->list_lock);
	race_point(core->env->races, "mdev_device_remove.inactive");

	if (old_sequence(core)) {
		race_point(core->env->races, "mdev_device_remove.locked");
		mutex_lock(&core->list_lock);
		found = mdev->added;
		mdev->added = false;
		mutex_unlock(&core->list_lock);
		if (found)
			mdev_device_remove_old(mdev);
		return 0;
	}

	if (!mdev_parent_read_trylock(parent))
		return -ENODEV; /* the parent's unregistration removes it */
	race_point(core->env->races, "mdev_device_remove.locked");
	mutex_lock(&core->list_lock);
	/* Nobody else claims an instance while unreg_sem is held for read. */
	mdev->added = false;
	mutex_unlock(&core->list_lock);
	mdev_device_remove_common(mdev);
	up_read(&parent->unreg_sem);
	return 0;
}

/* ---------------------------------------------------------- instance create */

static void mdev_device_release(struct device *dev)
{
	struct mdev_device *mdev = to_mdev_device(dev);
	struct mdev_core *core = mdev_core_of_mdev(mdev);
	struct mdev_parent *parent = mdev_parent_of(mdev);

	/* The UUID and the instance are given back only now (invariant 3 of §6.3). */
	mutex_lock(&core->list_lock);
	list_del(&mdev->next);
	if (!parent->mdev_driver->get_available)
		parent->available_instances++;
	__mdev_parent_put(core, parent);
	mutex_unlock(&core->list_lock);
	free(mdev);
}

static void mdev_link(struct mdev_core *core, struct mdev_device *mdev)
{
	mutex_lock(&core->list_lock);
	mdev->linked = true;
	mutex_unlock(&core->list_lock);
}

static void mdev_activate(struct mdev_core *core, struct mdev_device *mdev)
{
	mutex_lock(&core->list_lock);
	mdev->active = true;
	mutex_unlock(&core->list_lock);
}

/*
 * The pre-5.2 order: device_register (visible, linked, active), then the
 * vendor. A remove may take the instance (and its initial reference) while
 * the vendor probes; the creator's own reference keeps the memory valid.
 */
static int mdev_device_create_old(struct mdev_core *core, struct mdev_device *mdev)
{
	struct mdev_parent *parent = mdev_parent_of(mdev);
	bool mine;
	int ret;

	get_device(&mdev->dev);
	device_add(&mdev->dev);
	mutex_lock(&core->list_lock);
	mdev->added = true;
	mutex_unlock(&core->list_lock);
	mdev_link(core, mdev);
	mdev_activate(core, mdev);
	race_point(core->env->races, "mdev_device_create.added");
	ret = device_driver_attach(&parent->mdev_driver->driver, &mdev->dev);
	race_point(core->env->races, "mdev_device_create.probed");
	if (ret) {
		mutex_lock(&core->list_lock);
		/* Unless a remove or the parent's unregistration took it meanwhile. */
		mine = mdev->added;
		mdev->added = false;
		mdev->active = false;
		mdev->linked = false;
		mutex_unlock(&core->list_lock);
		if (mine) {
			device_del(&mdev->dev);
			put_device(&mdev->dev);
		}
	}
	put_device(&mdev->dev);
	return ret;
}

int mdev_device_create(struct mdev_type *type, const u8 uuid[16])
{
	struct mdev_parent *parent = type->parent;
	struct mdev_core *core = mdev_core_of_parent(parent);
	struct mdev_driver *drv = parent->mdev_driver;
	struct mdev_device *mdev, *it;
	int ret;

	mutex_lock(&core->list_lock);
	list_for_each_entry(it, &core->devices, next) {
		if (!memcmp(it->uuid, uuid, 16)) {
			mutex_unlock(&core->list_lock);
			return -EEXIST;
		}
	}
	if (!drv->get_available) {
		if (parent->available_instances <= 0) {
			mutex_unlock(&core->list_lock);
			return -EUSERS;
		}
		parent->available_instances--;
	}
	mdev = xzalloc(sizeof(*mdev));
	memcpy(mdev->uuid, uuid, 16);
	mdev->type = type;
	device_initialize(&mdev->dev, &core->bus, parent->dev, mdev_device_release);
	mdev_uuid_string(uuid, mdev->dev.name);
	/* The instance uses the parent (and its type) until its release. */
	parent->users++;
	list_add(&mdev->next, &core->devices);
	mutex_unlock(&core->list_lock);
	race_point(core->env->races, "mdev_device_create.initialized");

	if (old_sequence(core))
		return mdev_device_create_old(core, mdev);

	if (!mdev_parent_read_trylock(parent)) {
		ret = -ENODEV;
		goto out_put;
	}
	device_add(&mdev->dev);
	mutex_lock(&core->list_lock);
	mdev->added = true;
	mutex_unlock(&core->list_lock);
	race_point(core->env->races, "mdev_device_create.added");

	/* The bus never matches: attach the parent's driver explicitly; its probe may fail. */
	ret = device_driver_attach(&drv->driver, &mdev->dev);
	if (ret)
		goto out_del;
	race_point(core->env->races, "mdev_device_create.probed");

	mdev_link(core, mdev);
	mdev_activate(core, mdev);
	up_read(&parent->unreg_sem);
	return 0;

out_del:
	mutex_lock(&core->list_lock);
	mdev->added = false;
	mutex_unlock(&core->list_lock);
	device_del(&mdev->dev);
	up_read(&parent->unreg_sem);
out_put:
	put_device(&mdev->dev);
	return ret;
}

/* ---------------------------------------------------- parent unregistration */

/* The next child of parent still on the bus, claimed (and referenced), or NULL. */
static struct mdev_device *mdev_claim_child(struct mdev_core *core, struct mdev_parent *parent,
					    bool active_only)
{
	struct mdev_device *mdev, *found = NULL;

	mutex_lock(&core->list_lock);
	list_for_each_entry(mdev, &core->devices, next) {
		if (mdev_parent_of(mdev) != parent || !mdev->added)
			continue;
		if (active_only && !mdev->active)
			continue;
		mdev->added = false;
		mdev->active = false;
		found = mdev;
		get_device(&mdev->dev);
		break;
	}
	mutex_unlock(&core->list_lock);
	return found;
}

void mdev_unregister_parent(struct mdev_parent *parent)
{
	struct mdev_core *core = mdev_core_of_parent(parent);
	bool old = old_sequence(core);
	struct mdev_device *mdev;

	dev_info(parent->dev, "MDEV: Unregistering");
	if (!old) {
		atomic_store(&parent->unregistering, true);
		down_write(&parent->unreg_sem);
	}
	race_point(core->env->races, "mdev_unregister_parent.locked");

	/* The /sys/class/mdev_bus link goes first; then every child. */
	mutex_lock(&core->list_lock);
	parent->class_link = false;
	mutex_unlock(&core->list_lock);
	while ((mdev = mdev_claim_child(core, parent, old))) {
		if (old)
			mdev_device_remove_old(mdev);
		else
			mdev_device_remove_common(mdev);
		put_device(&mdev->dev);
	}
	race_point(core->env->races, "mdev_unregister_parent.removed");

	/* The type directories go, and nothing new can reach the parent. */
	mutex_lock(&core->list_lock);
	parent->registered = false;
	list_del_init(&parent->node);
	/* kernfs drain and the types' references: the vendor frees after this. */
	while (!old && parent->users)
		mutex_cond_wait(&core->list_lock, &core->users_cond);
	mutex_unlock(&core->list_lock);

	if (!old) {
		up_write(&parent->unreg_sem);
		rwsem_destroy(&parent->unreg_sem);
	}
	mdev_uevent(core, parent->dev, "unregistered");
	put_device(parent->dev);
}

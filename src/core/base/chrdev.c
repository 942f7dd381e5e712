// SPDX-License-Identifier: MIT
/*
 * The world's character devices (see chrdev.h): char regions and cdevs after
 * fs/char_dev.c, misc devices after drivers/char/misc.c, device nodes after
 * drivers/base/devtmpfs.c, and chrdev_open(), which front ends call for
 * open(2) of a /dev path. Nothing here knows a subsystem: VFIO, KVM and the
 * kernel log register their own nodes.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/chrdev.h"

/* fs/char_dev.c: the majors a region may have and the ones handed out dynamically. */
#define CHRDEV_MAJOR_MAX 512
#define CHRDEV_MAJOR_DYN_START 254
#define CHRDEV_MAJOR_DYN_END 234
#define CHRDEV_MAJOR_DYN_EXT_START 511
#define CHRDEV_MAJOR_DYN_EXT_END 384

/* drivers/char/misc.c: dynamic minors are 127 down to 0. */
#define DYNAMIC_MINORS 128

static bool major_in_use(struct chrdevs *cd, unsigned int major)
{
	struct char_device_struct *r;

	lockdep_assert_held(&cd->lock);
	list_for_each_entry(r, &cd->regions, list)
		if (r->major == major)
			return true;
	return false;
}

/* find_dynamic_major(): the first free major of the dynamic ranges. */
static int find_dynamic_major(struct chrdevs *cd)
{
	unsigned int i;

	for (i = CHRDEV_MAJOR_DYN_START; i >= CHRDEV_MAJOR_DYN_END; i--)
		if (!major_in_use(cd, i))
			return (int)i;
	for (i = CHRDEV_MAJOR_DYN_EXT_START; i >= CHRDEV_MAJOR_DYN_EXT_END; i--)
		if (!major_in_use(cd, i))
			return (int)i;
	return -EBUSY;
}

/* __register_chrdev_region(): one major's range; major 0 asks for a dynamic one. */
static struct char_device_struct *__register_chrdev_region(struct chrdevs *cd, unsigned int major,
							   unsigned int baseminor,
							   unsigned int minorct, const char *name)
{
	struct char_device_struct *r, *it;

	lockdep_assert_held(&cd->lock);
	if (major >= CHRDEV_MAJOR_MAX || !minorct || baseminor > MINORMASK ||
	    minorct > MINORMASK + 1 - baseminor)
		return ERR_PTR(-EINVAL);
	if (major == 0) {
		int ret = find_dynamic_major(cd);

		if (ret < 0)
			return ERR_PTR(ret);
		major = (unsigned int)ret;
	}
	list_for_each_entry(it, &cd->regions, list) {
		if (it->major != major)
			continue;
		if (baseminor < it->baseminor + it->minorct && it->baseminor < baseminor + minorct)
			return ERR_PTR(-EBUSY);
	}
	r = xzalloc(sizeof(*r));
	r->major = major;
	r->baseminor = baseminor;
	r->minorct = minorct;
	snprintf(r->name, sizeof(r->name), "%s", name);
	list_add_tail(&r->list, &cd->regions);
	return r;
}

static void __unregister_chrdev_region(struct chrdevs *cd, unsigned int major,
				       unsigned int baseminor, unsigned int minorct)
{
	struct char_device_struct *r;

	lockdep_assert_held(&cd->lock);
	list_for_each_entry(r, &cd->regions, list) {
		if (r->major == major && r->baseminor == baseminor && r->minorct == minorct) {
			list_del(&r->list);
			free(r);
			return;
		}
	}
}

/* A range may span majors, as in the kernel: one region per major. */
int register_chrdev_region(struct chrdevs *cd, dev_t from, unsigned int count, const char *name)
{
	dev_t to = from + count, n, next;
	struct char_device_struct *r;

	if (!count || to < from)
		return -EINVAL;
	mutex_lock(&cd->lock);
	for (n = from; n < to; n = next) {
		next = MKDEV(MAJOR(n) + 1, 0);
		if (next > to)
			next = to;
		r = __register_chrdev_region(cd, MAJOR(n), MINOR(n), (unsigned int)(next - n),
					     name);
		if (IS_ERR(r)) {
			to = n;
			for (n = from; n < to; n = next) {
				next = MKDEV(MAJOR(n) + 1, 0);
				if (next > to)
					next = to;
				__unregister_chrdev_region(cd, MAJOR(n), MINOR(n),
							   (unsigned int)(next - n));
			}
			mutex_unlock(&cd->lock);
			return (int)PTR_ERR(r);
		}
	}
	mutex_unlock(&cd->lock);
	return 0;
}

int alloc_chrdev_region(struct chrdevs *cd, dev_t *dev, unsigned int baseminor, unsigned int count,
			const char *name)
{
	struct char_device_struct *r;

	mutex_lock(&cd->lock);
	r = __register_chrdev_region(cd, 0, baseminor, count, name);
	mutex_unlock(&cd->lock);
	if (IS_ERR(r))
		return (int)PTR_ERR(r);
	*dev = MKDEV(r->major, r->baseminor);
	return 0;
}

void unregister_chrdev_region(struct chrdevs *cd, dev_t from, unsigned int count)
{
	dev_t to = from + count, n, next;

	mutex_lock(&cd->lock);
	for (n = from; n < to; n = next) {
		next = MKDEV(MAJOR(n) + 1, 0);
		if (next > to)
			next = to;
		__unregister_chrdev_region(cd, MAJOR(n), MINOR(n), (unsigned int)(next - n));
	}
	mutex_unlock(&cd->lock);
}

/* ---------------------------------------------------------------- cdevs */

void cdev_init(struct cdev *cdev, const struct file_operations *fops)
{
	memset(cdev, 0, sizeof(*cdev));
	cdev->ops = fops;
	INIT_LIST_HEAD(&cdev->list);
}

void cdev_set_parent(struct cdev *cdev, struct kref *parent, void (*release)(struct kref *))
{
	cdev->parent = parent;
	cdev->parent_release = release;
}

/* kobj_map(): the cdev_map keeps smaller ranges first, so the narrowest mapping wins. */
int cdev_add(struct chrdevs *cd, struct cdev *cdev, dev_t dev, unsigned int count)
{
	struct cdev *pos;

	if (!count)
		return -EINVAL;
	cdev->dev = dev;
	cdev->count = count;
	mutex_lock(&cd->lock);
	list_for_each_entry(pos, &cd->cdevs, list)
		if (pos->count > count)
			break;
	list_add_tail(&cdev->list, &pos->list);
	cdev->registry = cd;
	mutex_unlock(&cd->lock);
	return 0;
}

void cdev_del(struct cdev *cdev)
{
	struct chrdevs *cd = cdev->registry;

	if (!cd)
		return;
	mutex_lock(&cd->lock);
	list_del_init(&cdev->list);
	cdev->registry = NULL;
	mutex_unlock(&cd->lock);
}

/* cdev_get(): under the registry's lock, so a parent is still referenced by its owner. */
static void cdev_get(struct cdev *cdev)
{
	lockdep_assert_held(&cdev->registry->lock);
	if (cdev->parent)
		kref_get(cdev->parent);
}

void cdev_put(struct cdev *cdev)
{
	if (cdev->parent)
		kref_put(cdev->parent, cdev->parent_release);
}

/* kobj_lookup(): the cdev whose range holds dev. */
static struct cdev *cdev_lookup(struct chrdevs *cd, dev_t dev)
{
	struct cdev *p;

	lockdep_assert_held(&cd->lock);
	list_for_each_entry(p, &cd->cdevs, list)
		if (dev >= p->dev && dev - p->dev < p->count)
			return p;
	return NULL;
}

/* --------------------------------------------------------------- devtmpfs */

static struct devtmpfs_node *node_find(struct chrdevs *cd, const char *name)
{
	struct devtmpfs_node *node;

	lockdep_assert_held(&cd->lock);
	list_for_each_entry(node, &cd->nodes, list)
		if (!strcmp(node->name, name))
			return node;
	return NULL;
}

static int __devtmpfs_create_node(struct chrdevs *cd, const char *name, unsigned int mode,
				  dev_t dev)
{
	struct devtmpfs_node *node, *it;

	lockdep_assert_held(&cd->lock);
	if (strlen(name) >= sizeof(node->name))
		return -ENAMETOOLONG;
	list_for_each_entry(it, &cd->nodes, list)
		if (it->dev == dev || !strcmp(it->name, name))
			return -EEXIST;
	node = xzalloc(sizeof(*node));
	snprintf(node->name, sizeof(node->name), "%s", name);
	node->mode = mode & 07777;
	node->dev = dev;
	list_add_tail(&node->list, &cd->nodes);
	return 0;
}

static void __devtmpfs_delete_node(struct chrdevs *cd, dev_t dev)
{
	struct devtmpfs_node *node;

	lockdep_assert_held(&cd->lock);
	list_for_each_entry(node, &cd->nodes, list) {
		if (node->dev == dev) {
			list_del(&node->list);
			free(node);
			return;
		}
	}
}

int devtmpfs_create_node(struct chrdevs *cd, const char *name, unsigned int mode, dev_t dev)
{
	int ret;

	mutex_lock(&cd->lock);
	ret = __devtmpfs_create_node(cd, name, mode, dev);
	mutex_unlock(&cd->lock);
	return ret;
}

void devtmpfs_delete_node(struct chrdevs *cd, dev_t dev)
{
	mutex_lock(&cd->lock);
	__devtmpfs_delete_node(cd, dev);
	mutex_unlock(&cd->lock);
}

/* ------------------------------------------------------------------- misc */

static struct miscdevice *misc_find(struct chrdevs *cd, int minor)
{
	struct miscdevice *misc;

	lockdep_assert_held(&cd->lock);
	list_for_each_entry(misc, &cd->misc_list, list)
		if (misc->minor == minor)
			return misc;
	return NULL;
}

/*
 * misc_open(): the file becomes the misc device's (replace_fops), with
 * private_data pointing at it, then its own open runs. The kernel holds
 * misc_mtx across that open; here a misc device is deregistered only when
 * its subsystem exits, with the world, so the open runs unlocked.
 */
static int misc_open(struct inode *inode, struct file *f)
{
	struct chrdevs *cd = container_of(inode->i_cdev, struct chrdevs, misc_cdev);
	struct miscdevice *misc;

	mutex_lock(&cd->lock);
	misc = misc_find(cd, (int)iminor(inode));
	mutex_unlock(&cd->lock);
	if (!misc)
		return -ENODEV;
	f->private_data = misc;
	f->f_op = misc->fops;
	return f->f_op->open ? f->f_op->open(inode, f) : 0;
}

static const struct file_operations misc_fops = {
	.name = "misc",
	.open = misc_open,
};

int misc_register(struct chrdevs *cd, struct miscdevice *misc)
{
	int minor = misc->minor, ret;

	mutex_lock(&cd->lock);
	if (minor == MISC_DYNAMIC_MINOR) {
		/* misc_minor_alloc(): the highest free minor below DYNAMIC_MINORS. */
		for (minor = DYNAMIC_MINORS - 1; minor >= 0; minor--)
			if (!misc_find(cd, minor))
				break;
		if (minor < 0) {
			ret = -EBUSY;
			goto out;
		}
	} else if (minor < 0 || minor > 255) {
		ret = -EINVAL; /* beyond the 256 minors misc_init registered */
		goto out;
	} else if (misc_find(cd, minor)) {
		ret = -EBUSY;
		goto out;
	}
	ret = __devtmpfs_create_node(cd, misc->nodename ? misc->nodename : misc->name,
				     misc->mode ? misc->mode : 0600, MKDEV(MISC_MAJOR, minor));
	if (ret)
		goto out;
	misc->minor = minor;
	misc->registry = cd;
	list_add(&misc->list, &cd->misc_list);
out:
	mutex_unlock(&cd->lock);
	return ret;
}

void misc_deregister(struct miscdevice *misc)
{
	struct chrdevs *cd = misc->registry;

	if (!cd)
		return;
	mutex_lock(&cd->lock);
	list_del(&misc->list);
	__devtmpfs_delete_node(cd, MKDEV(MISC_MAJOR, misc->minor));
	misc->registry = NULL;
	mutex_unlock(&cd->lock);
}

/* ------------------------------------------------------------- the registry */

void chrdevs_init(struct chrdevs *cd, struct uvfio_world *w)
{
	cd->world = w;
	mutex_init(&cd->lock, "chrdevs->lock");
	INIT_LIST_HEAD(&cd->regions);
	INIT_LIST_HEAD(&cd->cdevs);
	INIT_LIST_HEAD(&cd->misc_list);
	INIT_LIST_HEAD(&cd->nodes);
	/* misc_init(): register_chrdev(MISC_MAJOR, "misc", &misc_fops). */
	mutex_lock(&cd->lock);
	cd->misc_region = __register_chrdev_region(cd, MISC_MAJOR, 0, 256, "misc");
	mutex_unlock(&cd->lock);
	cdev_init(&cd->misc_cdev, &misc_fops);
	cdev_add(cd, &cd->misc_cdev, MKDEV(MISC_MAJOR, 0), 256);
}

/* Every subsystem has removed its nodes by now; whatever is left goes with the world. */
void chrdevs_destroy(struct chrdevs *cd)
{
	struct char_device_struct *r, *rn;
	struct devtmpfs_node *node, *nn;

	cdev_del(&cd->misc_cdev);
	list_for_each_entry_safe(node, nn, &cd->nodes, list)
		free(node);
	list_for_each_entry_safe(r, rn, &cd->regions, list)
		free(r);
	mutex_destroy(&cd->lock);
}

int chrdev_open(struct chrdevs *cd, const char *path, int flags, struct file **out)
{
	struct devtmpfs_node *node;
	struct inode inode;
	struct cdev *cdev;
	struct file *f;
	int ret = 0;

	if (strncmp(path, "/dev/", 5))
		return -ENOENT;
	mutex_lock(&cd->lock);
	node = node_find(cd, path + 5);
	if (!node) {
		mutex_unlock(&cd->lock);
		return -ENOENT;
	}
	cdev = cdev_lookup(cd, node->dev);
	if (!cdev) {
		mutex_unlock(&cd->lock);
		return -ENXIO;
	}
	inode = (struct inode){ .i_mode = S_IFCHR | node->mode,
				.i_rdev = node->dev,
				.i_cdev = cdev };
	cdev_get(cdev);
	mutex_unlock(&cd->lock);

	f = alloc_empty_file(cd->world, (unsigned int)flags);
	f->f_inode = inode;
	f->f_op = cdev->ops;
	if (f->f_op->open)
		ret = f->f_op->open(file_inode(f), f);
	if (ret) {
		/* The file was never opened: fput frees it without ->release. */
		fput(f);
		cdev_put(cdev);
		return ret;
	}
	f->f_mode |= FMODE_OPENED;
	*out = f;
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * The world's character devices: what open() of a /dev node reaches. Three
 * pieces of the kernel, kept per world in one registry (struct chrdevs):
 *
 * - char regions and cdevs (fs/char_dev.c): a driver reserves a range of
 *   device numbers (register_chrdev_region, alloc_chrdev_region) and maps
 *   numbers to its file_operations (cdev_add); chrdev_open() finds the cdev
 *   of a node's number, pins it for the file's life and calls fops->open.
 * - misc devices (drivers/char/misc.c): major 10, one minor each
 *   (misc_register), opened through misc_open(), which gives the file the
 *   misc device's fops with file->private_data = the struct miscdevice.
 * - device nodes (drivers/base/devtmpfs.c): a name under /dev, a mode and a
 *   number. The kernel creates them when a device with a devt is added; here
 *   the subsystem that adds the cdev names the node (devtmpfs_create_node),
 *   and misc_register names its own.
 *
 * base/ knows no subsystem: each registers its own nodes at init (or, for a
 * VFIO group, when the object appears) and removes them at exit. Who registers
 * what: docs/design.md, "Layering".
 *
 * Lock order: chrdevs->lock is a leaf. It is never held across a file
 * operation (fops->open runs unlocked, with the cdev pinned), so registering
 * or removing a node may be done under any subsystem lock.
 */
#ifndef UVFIO_CORE_BASE_CHRDEV_H
#define UVFIO_CORE_BASE_CHRDEV_H

#include <sys/types.h>

#include "base/file.h"
#include "shared/kref.h"
#include "shared/list.h"
#include "shared/mutex.h"

/*
 * Device numbers as the kernel encodes them inside (include/linux/kdev_t.h):
 * 12 bits of major, 20 of minor. fstat(2) reports major and minor apart.
 */
#define MINORBITS 20
#define MINORMASK ((1u << MINORBITS) - 1)
#define MAJOR(dev) ((unsigned int)((dev) >> MINORBITS))
#define MINOR(dev) ((unsigned int)((dev)&MINORMASK))
#define MKDEV(ma, mi) ((dev_t)(((dev_t)(ma) << MINORBITS) | (dev_t)(mi)))

/* include/uapi/linux/major.h, include/linux/miscdevice.h */
#define MISC_MAJOR 10
#define MISC_DYNAMIC_MINOR 255

static inline unsigned int iminor(const struct inode *inode)
{
	return MINOR(inode->i_rdev);
}

static inline unsigned int imajor(const struct inode *inode)
{
	return MAJOR(inode->i_rdev);
}

/* A reserved range of numbers (fs/char_dev.c, struct char_device_struct). */
struct char_device_struct {
	unsigned int major, baseminor, minorct;
	char name[64];
	struct list_head list; /* chrdevs->regions */
};

/*
 * A char device: numbers [dev, dev + count) opened with ops. Embedded in its
 * owner. An owner that can go away while its files stay open gives the cdev
 * a parent (cdev_set_parent): chrdev_open takes a reference on it for each
 * file, dropped at the file's last fput, as the cdev's kobject holds its
 * parent device in the kernel.
 */
struct cdev {
	const struct file_operations *ops;
	dev_t dev;
	unsigned int count;
	struct chrdevs *registry; /* set between cdev_add and cdev_del */
	struct list_head list; /* registry->cdevs (the kernel's cdev_map); under its lock */
	struct kref *parent;
	void (*parent_release)(struct kref *parent);
};

/* A misc device (include/linux/miscdevice.h). */
struct miscdevice {
	int minor; /* fixed, or MISC_DYNAMIC_MINOR: misc_register picks one */
	const char *name;
	const char *nodename; /* under /dev; NULL: name */
	unsigned int mode; /* the node's permissions; 0: devtmpfs's 0600 */
	const struct file_operations *fops;
	struct chrdevs *registry; /* set between misc_register and misc_deregister */
	struct list_head list; /* registry->misc_list; under its lock */
};

/* A device node (drivers/base/devtmpfs.c): /dev/<name>. */
struct devtmpfs_node {
	char name[64]; /* "vfio/vfio", "vfio/3", "kvm", "kmsg" */
	unsigned int mode; /* permissions; the node is S_IFCHR */
	dev_t dev;
	struct list_head list; /* chrdevs->nodes */
};

/* One world's registry. Lock order: lock is a leaf (see above). */
struct chrdevs {
	struct uvfio_world *world;
	struct mutex lock; /* regions, cdevs, misc_list, nodes */
	struct list_head regions; /* of char_device_struct */
	struct list_head cdevs; /* of cdev.list, smaller ranges first */
	struct list_head misc_list; /* of miscdevice.list */
	struct list_head nodes; /* of devtmpfs_node.list */
	/* misc_init(): major 10 as a region and one cdev for all its minors. */
	struct char_device_struct *misc_region;
	struct cdev misc_cdev;
};

void chrdevs_init(struct chrdevs *cd, struct uvfio_world *w);
void chrdevs_destroy(struct chrdevs *cd);

/*
 * fs/char_dev.c. register_chrdev_region: 0, -EBUSY if a number of the range is
 * taken, -EINVAL for a major beyond 511 or a range past the major's minors.
 * alloc_chrdev_region: a dynamic major as the kernel hands them out (254 down
 * to 234, then 511 down to 384), its first number in *dev; -EBUSY when none is
 * free. unregister_chrdev_region of a range not registered does nothing.
 */
int register_chrdev_region(struct chrdevs *cd, dev_t from, unsigned int count, const char *name);
int alloc_chrdev_region(struct chrdevs *cd, dev_t *dev, unsigned int baseminor, unsigned int count,
			const char *name);
void unregister_chrdev_region(struct chrdevs *cd, dev_t from, unsigned int count);

void cdev_init(struct cdev *cdev, const struct file_operations *fops);
void cdev_set_parent(struct cdev *cdev, struct kref *parent, void (*release)(struct kref *));
/* 0, or -EINVAL for no number; files opened through it find it in inode->i_cdev. */
int cdev_add(struct chrdevs *cd, struct cdev *cdev, dev_t dev, unsigned int count);
/* No new open reaches it; open files keep it (and its parent) until their last fput. */
void cdev_del(struct cdev *cdev);
/* The reference a file holds from chrdev_open to its last fput (fs/char_dev.c). */
void cdev_put(struct cdev *cdev);

/*
 * /dev/<name> with permissions mode and number dev: 0, or -EEXIST if the
 * name or the number has a node already, -ENAMETOOLONG. delete removes the
 * node of dev (nothing if there is none).
 */
int devtmpfs_create_node(struct chrdevs *cd, const char *name, unsigned int mode, dev_t dev);
void devtmpfs_delete_node(struct chrdevs *cd, dev_t dev);

/*
 * drivers/char/misc.c. misc_register: 0 with the node /dev/<nodename or name>
 * created, -EBUSY if the minor is taken (or no dynamic one is left), -EINVAL
 * for a minor past 255, -EEXIST if the node name is taken.
 * misc_deregister of a device not registered does nothing.
 */
int misc_register(struct chrdevs *cd, struct miscdevice *misc);
void misc_deregister(struct miscdevice *misc);

/*
 * open(2) of path: the node's cdev is pinned, a file made with its fops and
 * fops->open(inode, file) called (chrdev_open in fs/char_dev.c); 0 with *out
 * the new file, -ENOENT for no such node, -ENXIO for a node with no cdev,
 * or what ->open returned.
 */
int chrdev_open(struct chrdevs *cd, const char *path, int flags, struct file **out);

#endif /* UVFIO_CORE_BASE_CHRDEV_H */

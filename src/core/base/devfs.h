/* SPDX-License-Identifier: MIT */
/*
 * The world's /dev/vfio nodes and /dev/kvm (see devfs.c).
 */
#ifndef UVFIO_CORE_BASE_DEVFS_H
#define UVFIO_CORE_BASE_DEVFS_H

#include "base/file.h"

/* The dynamic char major the kernel lab gave the "vfio" region (/dev/vfio/N). */
#define VFIO_GROUP_MAJOR 245

struct devfs_stat {
	unsigned int mode; /* st_mode */
	unsigned int rdev_major, rdev_minor;
};

/* Opens /dev/vfio/vfio, /dev/vfio/N or /dev/kvm: 0 with a new file, -ENOENT for no such node. */
int devfs_open(struct uvfio_world *w, const char *path, int flags, struct file **out);
int devfs_file_stat(struct file *f, struct devfs_stat *st);

#endif /* UVFIO_CORE_BASE_DEVFS_H */

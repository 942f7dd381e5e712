// SPDX-License-Identifier: MIT
/*
 * The world's device nodes: what open() of /dev/vfio/vfio, /dev/vfio/N,
 * /dev/kvm and /dev/kmsg reaches, and what fstat() reports for an open uvfio file. Front
 * ends (the in-process caller, the daemon) open nodes here.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "base/devfs.h"
#include "iommu/iommu.h"
#include "kvm/kvm.h"
#include "vfio/vfio.h"
#include "world.h"

int devfs_open(struct uvfio_world *w, const char *path, int flags, struct file **out)
{
	char *end;
	long minor;

	if (!strcmp(path, "/dev/vfio/vfio"))
		return vfio_container_open(&w->vfio, out);
	if (!strcmp(path, "/dev/kvm"))
		return kvm_dev_open(w, flags, out);
	if (!strcmp(path, "/dev/kmsg"))
		return devkmsg_open(w, flags, out);
	if (strncmp(path, "/dev/vfio/", 10) || path[10] < '0' || path[10] > '9')
		return -ENOENT;
	minor = strtol(path + 10, &end, 10);
	if (*end || minor > INT32_MAX)
		return -ENOENT;
	return vfio_group_open(&w->vfio, (int)minor, out);
}

int devfs_file_stat(struct file *f, struct devfs_stat *st)
{
	memset(st, 0, sizeof(*st));
	if (vfio_container_from_file(f)) {
		/* misc device "vfio", minor 196, mode 0666 */
		st->mode = S_IFCHR | 0666;
		st->rdev_major = 10;
		st->rdev_minor = 196;
		return 0;
	}
	if (vfio_file_is_group(f)) {
		struct vfio_group *group = f->private_data;

		st->mode = S_IFCHR | 0600;
		st->rdev_major = VFIO_GROUP_MAJOR;
		st->rdev_minor = (unsigned int)group->minor;
		return 0;
	}
	switch (kvm_file_kind(f)) {
	case KVM_FILE_DEV:
		/* misc device "kvm", minor 232; Debian's udev rule makes it 0660 root:kvm */
		st->mode = S_IFCHR | 0660;
		st->rdev_major = 10;
		st->rdev_minor = 232;
		return 0;
	case KVM_FILE_VM:
	case KVM_FILE_DEVICE:
		st->mode = 0600; /* anon_inode:kvm-vm, anon_inode:kvm-vfio */
		return 0;
	case KVM_FILE_NONE:
		break;
	}
	if (file_is_kmsg(f)) {
		/* mem class device "kmsg", 1:11, mode 0644 */
		st->mode = S_IFCHR | 0644;
		st->rdev_major = 1;
		st->rdev_minor = 11;
		return 0;
	}
	if (vfio_device_from_file(f)) {
		/* An anonymous inode, "anon_inode:[vfio-device]", mode 0600. */
		st->mode = 0600;
		return 0;
	}
	return -EBADF;
}

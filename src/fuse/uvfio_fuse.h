/* SPDX-License-Identifier: MIT */
/*
 * The FUSE sysfs: serves a world's tree (uvfio_sysfs_stat/readdir/pread/
 * pwrite/readlink) as a filesystem, so that unmodified programs reach it
 * through the shim's path redirection. The mount holds sys/ (the kernel's
 * sysfs) and dev/vfio/ (the VFIO nodes, as character devices).
 *
 * Every request runs in a libfuse worker thread with no lock of this layer
 * held while the core works, so a write that blocks (an unbind waiting for
 * the VFIO user) stalls nothing else.
 */
#ifndef UVFIO_FUSE_UVFIO_FUSE_H
#define UVFIO_FUSE_UVFIO_FUSE_H

struct uvfio_world;
struct uvfio_fuse;

/* Mounts the tree of w at mountpoint (an existing directory) and serves it
 * from background threads. 0 or a negative errno. */
int uvfio_fuse_mount(struct uvfio_world *w, const char *mountpoint, struct uvfio_fuse **out);
/* Unmounts and stops the threads; waits for requests in progress, not for
 * the copies of the mount other mount namespaces hold (they get ENOTCONN). */
void uvfio_fuse_unmount(struct uvfio_fuse *f);
/* Detaches a mount at mountpoint whose server is gone (its paths answer
 * ENOTCONN), as root or through fusermount3; 0 if there is none left. */
int uvfio_fuse_detach_dead(const char *mountpoint);

#endif /* UVFIO_FUSE_UVFIO_FUSE_H */

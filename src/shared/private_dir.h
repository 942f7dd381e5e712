/* SPDX-License-Identifier: MIT */
/*
 * The daemon's directory (DIR: uvfiod.sock, ctl.sock, the sysfs mount at
 * DIR/root) decides which daemon a program and the CLI talk to, so it must
 * be nobody else's to change: a real directory, not a symlink, owned by the
 * user who relies on it (or root), not writable by its group or others.
 * docs/design.md, "Trust model".
 */
#ifndef UVFIO_SHARED_PRIVATE_DIR_H
#define UVFIO_SHARED_PRIVATE_DIR_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

/*
 * Creates path (mode 0700) or accepts an existing one that passes the checks
 * below for owner; *created tells which. 0, or -errno with the reason in err.
 */
int private_dir_make(const char *path, uid_t owner, bool *created, char *err, size_t errlen);

/*
 * 0 when path is a directory (its last component not a symlink) owned by
 * owner, or by root when root_ok, and writable by nobody else; else -errno
 * with the reason in err. *found_owner gets the owner (may be NULL).
 */
int private_dir_check(const char *path, uid_t owner, bool root_ok, uid_t *found_owner, char *err,
		      size_t errlen);

/* The same for a socket in such a directory: a socket (not a link), owned likewise. */
int private_socket_check(const char *path, uid_t owner, bool root_ok, char *err, size_t errlen);

#endif /* UVFIO_SHARED_PRIVATE_DIR_H */

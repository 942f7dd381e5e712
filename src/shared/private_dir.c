// SPDX-License-Identifier: MIT
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "private_dir.h"

static bool owner_ok(uid_t uid, uid_t owner, bool root_ok)
{
	return uid == owner || (root_ok && uid == 0);
}

int private_dir_check(const char *path, uid_t owner, bool root_ok, uid_t *found_owner, char *err,
		      size_t errlen)
{
	struct stat st;
	int fd, ret = 0;

	/* O_NOFOLLOW: a symlink in the last component fails (ELOOP) instead of being followed. */
	fd = open(path, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	if (fd < 0) {
		struct stat lst;

		ret = -errno;
		if ((errno == ELOOP || errno == ENOTDIR) && !lstat(path, &lst) &&
		    S_ISLNK(lst.st_mode))
			snprintf(err, errlen, "%s is a symbolic link, not a directory", path);
		else if (errno == ENOTDIR)
			snprintf(err, errlen, "%s is not a directory", path);
		else
			snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (fstat(fd, &st)) {
		ret = -errno;
		snprintf(err, errlen, "%s: %s", path, strerror(errno));
	} else if (!owner_ok(st.st_uid, owner, root_ok)) {
		ret = -EPERM;
		snprintf(err, errlen, "%s belongs to uid %u, not to uid %u%s", path,
			 (unsigned int)st.st_uid, (unsigned int)owner, root_ok ? " or root" : "");
	} else if (st.st_mode & (S_IWGRP | S_IWOTH)) {
		ret = -EPERM;
		snprintf(err, errlen, "%s is writable by its group or by others (mode %04o)", path,
			 (unsigned int)(st.st_mode & 07777));
	}
	if (found_owner)
		*found_owner = st.st_uid;
	close(fd);
	return ret;
}

int private_dir_make(const char *path, uid_t owner, bool *created, char *err, size_t errlen)
{
	*created = !mkdir(path, 0700);
	if (!*created && errno != EEXIST) {
		int ret = -errno;

		snprintf(err, errlen, "cannot create %s: %s", path, strerror(errno));
		return ret;
	}
	/* Created or not, what is there now must pass (nothing is ever chmod'ed). */
	return private_dir_check(path, owner, false, NULL, err, errlen);
}

int private_socket_check(const char *path, uid_t owner, bool root_ok, char *err, size_t errlen)
{
	struct stat st;

	if (lstat(path, &st)) {
		int ret = -errno;

		snprintf(err, errlen, "%s: %s", path, strerror(errno));
		return ret;
	}
	if (!S_ISSOCK(st.st_mode)) {
		snprintf(err, errlen, "%s is not a socket", path);
		return -ENOTSOCK;
	}
	if (!owner_ok(st.st_uid, owner, root_ok)) {
		snprintf(err, errlen, "%s belongs to uid %u, not to uid %u%s", path,
			 (unsigned int)st.st_uid, (unsigned int)owner, root_ok ? " or root" : "");
		return -EPERM;
	}
	return 0;
}

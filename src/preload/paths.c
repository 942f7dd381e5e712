// SPDX-License-Identifier: MIT
/*
 * Path redirection (umockdev-style): every libc entry point that takes a
 * path sends "/sys/..." and "/dev/vfio[/...]" into the daemon's FUSE tree
 * at $UVFIO_ROOT, and opening a /dev/vfio node goes to the daemon through
 * shim_dev_open() instead. Results that name a file (realpath,
 * canonicalize_file_name, getcwd, readlink of /proc links) come back with
 * the $UVFIO_ROOT prefix removed, so programs see kernel-shaped /sys paths
 * (QEMU compares realpath results with literal /sys paths). Relative
 * symlink targets inside the tree already resolve within it, and *at()
 * calls with a relative path and a directory descriptor opened through a
 * redirected path need nothing: the descriptor is inside the tree.
 *
 * Not redirected: relative paths (a cwd inside the tree is already there),
 * statfs (the tree reports FUSE's magic, not SYSFS_MAGIC), xattrs, inotify.
 *
 * Rules of the shim (shim.h): real functions only through REAL(), errno
 * untouched except by the real call, no allocation and no lock on these
 * paths (buffers are on the caller's stack), so the wrappers are
 * thread-safe and fork-safe.
 */

/* Undo glibc's 64-bit redirections so that open and open64, stat and stat64 ... are
 * separate symbols here, each interposed. */
#undef _FILE_OFFSET_BITS
#undef _TIME_BITS
#undef _FORTIFY_SOURCE

#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/xattr.h>
#include <unistd.h>

#include "preload/shim.h"

#define SHIM_PATH_MAX PATH_MAX

/* ------------------------------------------------------------ internals */

static bool path_under(const char *path, const char *prefix, size_t len)
{
	return !strncmp(path, prefix, len) && (path[len] == '\0' || path[len] == '/');
}

bool shim_redirect(const char *path, char *out, size_t outsz)
{
	const char *root;
	int n;

	if (!path || path[0] != '/' || !shim_active())
		return false;
	if (!path_under(path, "/sys", 4) && !path_under(path, "/dev/vfio", 9))
		return false;
	root = shim_root();
	if (!root || !root[0])
		return false;
	n = snprintf(out, outsz, "%s%s", root, path);
	return n > 0 && (size_t)n < outsz;
}

/* Removes the $UVFIO_ROOT prefix of a result in place ("$ROOT/sys/x" → "/sys/x"). */
static void shim_unredirect(char *path)
{
	const char *root;
	size_t len;

	if (!path || !shim_active())
		return;
	root = shim_root();
	if (!root || !root[0])
		return;
	len = strlen(root);
	while (len > 1 && root[len - 1] == '/')
		len--;
	if (!strncmp(path, root, len) && path[len] == '/')
		memmove(path, path + len, strlen(path + len) + 1);
}

/* The path to hand to the real call: the redirected one in buf, or path itself. */
#define REDIRECT(path, buf) \
	(shim_redirect((path), (buf), sizeof(buf)) ? (const char *)(buf) : (path))

static bool open_needs_mode(int flags)
{
	return (flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE;
}

/* A /dev/vfio node: the daemon's file instead of the tree's device node. */
static bool shim_is_vfio_open(const char *path)
{
	return path && path[0] == '/' && shim_active() && shim_is_daemon_node(path);
}

/* fstatat(fd, "", st, AT_EMPTY_PATH): fstat of fd, which may be a uvfio descriptor. */
static bool empty_path_fd(const char *path, int flags)
{
	return (flags & AT_EMPTY_PATH) && path && !path[0];
}

/* --------------------------------------------- overridden libc wrappers */

/* Declarations glibc's headers no longer carry (versioned stat, chk variants). */
int __open_2(const char *path, int flags);
int __open64_2(const char *path, int flags);
int __openat_2(int dirfd, const char *path, int flags);
int __openat64_2(int dirfd, const char *path, int flags);
int __xstat(int ver, const char *path, struct stat *st);
int __xstat64(int ver, const char *path, struct stat64 *st);
int __lxstat(int ver, const char *path, struct stat *st);
int __lxstat64(int ver, const char *path, struct stat64 *st);
int __fxstatat(int ver, int dirfd, const char *path, struct stat *st, int flags);
int __fxstatat64(int ver, int dirfd, const char *path, struct stat64 *st, int flags);
char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen);
ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen);
ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t len, size_t buflen);
char *__getcwd_chk(char *buf, size_t size, size_t buflen);

#define WRAP_OPEN(name)                                              \
	SHIM_EXPORT int name(const char *path, int flags, ...)       \
	{                                                            \
		char buf[SHIM_PATH_MAX];                             \
		mode_t mode = 0;                                     \
                                                                     \
		if (open_needs_mode(flags)) {                        \
			va_list ap;                                  \
                                                                     \
			va_start(ap, flags);                         \
			mode = va_arg(ap, mode_t);                   \
			va_end(ap);                                  \
		}                                                    \
		if (shim_is_vfio_open(path))                         \
			return shim_dev_open(path, flags);           \
		return REAL(name)(REDIRECT(path, buf), flags, mode); \
	}

WRAP_OPEN(open)
WRAP_OPEN(open64)

#define WRAP_OPEN_2(name)                                      \
	SHIM_EXPORT int name(const char *path, int flags)      \
	{                                                      \
		char buf[SHIM_PATH_MAX];                       \
                                                               \
		if (shim_is_vfio_open(path))                   \
			return shim_dev_open(path, flags);     \
		return REAL(name)(REDIRECT(path, buf), flags); \
	}

WRAP_OPEN_2(__open_2)
WRAP_OPEN_2(__open64_2)

#define WRAP_OPENAT(name)                                                   \
	SHIM_EXPORT int name(int dirfd, const char *path, int flags, ...)   \
	{                                                                   \
		char buf[SHIM_PATH_MAX];                                    \
		mode_t mode = 0;                                            \
                                                                            \
		if (open_needs_mode(flags)) {                               \
			va_list ap;                                         \
                                                                            \
			va_start(ap, flags);                                \
			mode = va_arg(ap, mode_t);                          \
			va_end(ap);                                         \
		}                                                           \
		if (shim_is_vfio_open(path))                                \
			return shim_dev_open(path, flags);                  \
		return REAL(name)(dirfd, REDIRECT(path, buf), flags, mode); \
	}

WRAP_OPENAT(openat)
WRAP_OPENAT(openat64)

#define WRAP_OPENAT_2(name)                                           \
	SHIM_EXPORT int name(int dirfd, const char *path, int flags)  \
	{                                                             \
		char buf[SHIM_PATH_MAX];                              \
                                                                      \
		if (shim_is_vfio_open(path))                          \
			return shim_dev_open(path, flags);            \
		return REAL(name)(dirfd, REDIRECT(path, buf), flags); \
	}

WRAP_OPENAT_2(__openat_2)
WRAP_OPENAT_2(__openat64_2)

#define WRAP_CREAT(name)                                      \
	SHIM_EXPORT int name(const char *path, mode_t mode)   \
	{                                                     \
		char buf[SHIM_PATH_MAX];                      \
                                                              \
		return REAL(name)(REDIRECT(path, buf), mode); \
	}

WRAP_CREAT(creat)
WRAP_CREAT(creat64)

#define WRAP_FOPEN(name)                                           \
	SHIM_EXPORT FILE *name(const char *path, const char *mode) \
	{                                                          \
		char buf[SHIM_PATH_MAX];                           \
                                                                   \
		return REAL(name)(REDIRECT(path, buf), mode);      \
	}

WRAP_FOPEN(fopen)
WRAP_FOPEN(fopen64)

#define WRAP_FREOPEN(name)                                                          \
	SHIM_EXPORT FILE *name(const char *path, const char *mode, FILE *stream)    \
	{                                                                           \
		char buf[SHIM_PATH_MAX];                                            \
                                                                                    \
		return REAL(name)(path ? REDIRECT(path, buf) : NULL, mode, stream); \
	}

WRAP_FREOPEN(freopen)
WRAP_FREOPEN(freopen64)

#define WRAP_STAT(name, type)                               \
	SHIM_EXPORT int name(const char *path, type *st)    \
	{                                                   \
		char buf[SHIM_PATH_MAX];                    \
                                                            \
		return REAL(name)(REDIRECT(path, buf), st); \
	}

WRAP_STAT(stat, struct stat)
WRAP_STAT(stat64, struct stat64)
WRAP_STAT(lstat, struct stat)
WRAP_STAT(lstat64, struct stat64)

/*
 * The versioned entry points of binaries built against glibc < 2.33. On
 * x86-64 the only version is the kernel's struct stat, so they map onto the
 * plain calls (glibc keeps __xstat only as a compat symbol, which dlsym may
 * not return).
 */
#define WRAP_VERSTAT(name, plain, type)                                  \
	SHIM_EXPORT int name(int ver, const char *path, type *st)        \
	{                                                                \
		char buf[SHIM_PATH_MAX];                                 \
                                                                         \
		if (REAL(name))                                          \
			return REAL(name)(ver, REDIRECT(path, buf), st); \
		return REAL(plain)(REDIRECT(path, buf), st);             \
	}

WRAP_VERSTAT(__xstat, stat, struct stat)
WRAP_VERSTAT(__xstat64, stat64, struct stat64)
WRAP_VERSTAT(__lxstat, lstat, struct stat)
WRAP_VERSTAT(__lxstat64, lstat64, struct stat64)

#define WRAP_FSTATAT(name, type)                                               \
	SHIM_EXPORT int name(int dirfd, const char *path, type *st, int flags) \
	{                                                                      \
		char buf[SHIM_PATH_MAX];                                       \
		int r;                                                         \
                                                                               \
		if (empty_path_fd(path, flags) &&                              \
		    (r = shim_fd_stat(dirfd, (struct stat *)st)) <= 0)         \
			return r;                                              \
		return REAL(name)(dirfd, REDIRECT(path, buf), st, flags);      \
	}

WRAP_FSTATAT(fstatat, struct stat)
WRAP_FSTATAT(fstatat64, struct stat64)

#define WRAP_FXSTATAT(name, plain, type)                                                \
	SHIM_EXPORT int name(int ver, int dirfd, const char *path, type *st, int flags) \
	{                                                                               \
		char buf[SHIM_PATH_MAX];                                                \
                                                                                        \
		int r;                                                                  \
                                                                                        \
		if (empty_path_fd(path, flags) &&                                       \
		    (r = shim_fd_stat(dirfd, (struct stat *)st)) <= 0)                  \
			return r;                                                       \
		if (REAL(name))                                                         \
			return REAL(name)(ver, dirfd, REDIRECT(path, buf), st, flags);  \
		return REAL(plain)(dirfd, REDIRECT(path, buf), st, flags);              \
	}

WRAP_FXSTATAT(__fxstatat, fstatat, struct stat)
WRAP_FXSTATAT(__fxstatat64, fstatat64, struct stat64)

SHIM_EXPORT int statx(int dirfd, const char *path, int flags, unsigned int mask, struct statx *stx)
{
	char buf[SHIM_PATH_MAX];
	int r;

	if (empty_path_fd(path, flags) && (r = shim_fd_statx(dirfd, mask, stx)) <= 0)
		return r;
	return REAL(statx)(dirfd, REDIRECT(path, buf), flags, mask, stx);
}

SHIM_EXPORT int access(const char *path, int mode)
{
	char buf[SHIM_PATH_MAX];

	return REAL(access)(REDIRECT(path, buf), mode);
}

SHIM_EXPORT int faccessat(int dirfd, const char *path, int mode, int flags)
{
	char buf[SHIM_PATH_MAX];

	return REAL(faccessat)(dirfd, REDIRECT(path, buf), mode, flags);
}

SHIM_EXPORT int eaccess(const char *path, int mode)
{
	char buf[SHIM_PATH_MAX];

	return REAL(eaccess)(REDIRECT(path, buf), mode);
}

SHIM_EXPORT int euidaccess(const char *path, int mode)
{
	char buf[SHIM_PATH_MAX];

	return REAL(euidaccess)(REDIRECT(path, buf), mode);
}

/*
 * Extended attributes: `ls -l` asks for ACLs by path; a /sys path must reach
 * the tree (which has none) and not the host's sysfs.
 */
#define WRAP_GETXATTR(name)                                                                  \
	SHIM_EXPORT ssize_t name(const char *path, const char *attr, void *val, size_t size) \
	{                                                                                    \
		char buf[SHIM_PATH_MAX];                                                     \
                                                                                             \
		return REAL(name)(REDIRECT(path, buf), attr, val, size);                     \
	}
WRAP_GETXATTR(getxattr)
WRAP_GETXATTR(lgetxattr)

#define WRAP_LISTXATTR(name)                                                \
	SHIM_EXPORT ssize_t name(const char *path, char *list, size_t size) \
	{                                                                   \
		char buf[SHIM_PATH_MAX];                                    \
                                                                            \
		return REAL(name)(REDIRECT(path, buf), list, size);         \
	}
WRAP_LISTXATTR(listxattr)
WRAP_LISTXATTR(llistxattr)

#define WRAP_SETXATTR(name)                                                                    \
	SHIM_EXPORT int name(const char *path, const char *attr, const void *val, size_t size, \
			     int flags)                                                        \
	{                                                                                      \
		char buf[SHIM_PATH_MAX];                                                       \
                                                                                               \
		return REAL(name)(REDIRECT(path, buf), attr, val, size, flags);                \
	}
WRAP_SETXATTR(setxattr)
WRAP_SETXATTR(lsetxattr)

#define WRAP_REMOVEXATTR(name)                                   \
	SHIM_EXPORT int name(const char *path, const char *attr) \
	{                                                        \
		char buf[SHIM_PATH_MAX];                         \
                                                                 \
		return REAL(name)(REDIRECT(path, buf), attr);    \
	}
WRAP_REMOVEXATTR(removexattr)
WRAP_REMOVEXATTR(lremovexattr)

/* Links inside the tree are relative; only links out of /proc can name the tree. */
static ssize_t readlink_result(ssize_t n, char *tmp, char *buf, size_t len)
{
	if (n < 0)
		return n;
	tmp[n] = '\0';
	shim_unredirect(tmp);
	n = (ssize_t)strlen(tmp);
	if ((size_t)n > len)
		n = (ssize_t)len;
	memcpy(buf, tmp, (size_t)n);
	return n;
}

SHIM_EXPORT ssize_t readlink(const char *path, char *buf, size_t len)
{
	char pbuf[SHIM_PATH_MAX], tmp[SHIM_PATH_MAX];

	return readlink_result(REAL(readlink)(REDIRECT(path, pbuf), tmp, sizeof(tmp) - 1), tmp, buf,
			       len);
}

SHIM_EXPORT ssize_t __readlink_chk(const char *path, char *buf, size_t len, size_t buflen)
{
	return readlink(path, buf, len < buflen ? len : buflen);
}

SHIM_EXPORT ssize_t readlinkat(int dirfd, const char *path, char *buf, size_t len)
{
	char pbuf[SHIM_PATH_MAX], tmp[SHIM_PATH_MAX];

	return readlink_result(REAL(readlinkat)(dirfd, REDIRECT(path, pbuf), tmp, sizeof(tmp) - 1),
			       tmp, buf, len);
}

SHIM_EXPORT ssize_t __readlinkat_chk(int dirfd, const char *path, char *buf, size_t len,
				     size_t buflen)
{
	return readlinkat(dirfd, path, buf, len < buflen ? len : buflen);
}

SHIM_EXPORT char *realpath(const char *path, char *resolved)
{
	char buf[SHIM_PATH_MAX];
	char *r = REAL(realpath)(REDIRECT(path, buf), resolved);

	shim_unredirect(r);
	return r;
}

SHIM_EXPORT char *__realpath_chk(const char *path, char *resolved, size_t resolvedlen)
{
	return realpath(path, resolved);
}

SHIM_EXPORT char *canonicalize_file_name(const char *path)
{
	char buf[SHIM_PATH_MAX];
	char *r = REAL(canonicalize_file_name)(REDIRECT(path, buf));

	shim_unredirect(r);
	return r;
}

SHIM_EXPORT char *getcwd(char *buf, size_t size)
{
	char *r = REAL(getcwd)(buf, size);

	shim_unredirect(r);
	return r;
}

SHIM_EXPORT char *__getcwd_chk(char *buf, size_t size, size_t buflen)
{
	return getcwd(buf, size);
}

SHIM_EXPORT int chdir(const char *path)
{
	char buf[SHIM_PATH_MAX];

	return REAL(chdir)(REDIRECT(path, buf));
}

SHIM_EXPORT DIR *opendir(const char *path)
{
	char buf[SHIM_PATH_MAX];

	return REAL(opendir)(REDIRECT(path, buf));
}

SHIM_EXPORT int scandir(const char *path, struct dirent ***list,
			int (*filter)(const struct dirent *),
			int (*compar)(const struct dirent **, const struct dirent **))
{
	char buf[SHIM_PATH_MAX];

	return REAL(scandir)(REDIRECT(path, buf), list, filter, compar);
}

SHIM_EXPORT int scandir64(const char *path, struct dirent64 ***list,
			  int (*filter)(const struct dirent64 *),
			  int (*compar)(const struct dirent64 **, const struct dirent64 **))
{
	char buf[SHIM_PATH_MAX];

	return REAL(scandir64)(REDIRECT(path, buf), list, filter, compar);
}

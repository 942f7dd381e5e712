/* SPDX-License-Identifier: MIT */
/*
 * libuvfio-preload.so internals. The shim's rules (from umockdev's preload):
 *   - internals call only the real libc functions, resolved lazily with
 *     dlsym(RTLD_NEXT) through REAL(); never the wrappers;
 *   - every wrapper preserves errno on the paths it does not handle and sets
 *     it only on failure;
 *   - no logging unless UVFIO_SHIM_DEBUG is set, no aborts, no policy;
 *   - fork-safe (pthread_atfork re-initialises locks) and thread-safe.
 *
 * Files: shim.c (init, environment, REAL table), fds.c (uvfio descriptors:
 * open of /dev/vfio nodes, ioctl, read/write, lseek, fstat, the protocol
 * client), mmap.c (device mmaps and the trap handler), x86_decode.c (decoding
 * faulting loads/stores), paths.c (path wrappers: /sys and /dev/vfio
 * redirection to the daemon's FUSE tree).
 */
#ifndef UVFIO_PRELOAD_SHIM_H
#define UVFIO_PRELOAD_SHIM_H

#include <dlfcn.h>
#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

struct stat;
struct statx;

/*
 * Marks the libc symbols the shim interposes; the library is built with
 * -fvisibility=hidden, so everything else stays internal.
 * tests/static/check-preload.sh checks that only libc names are exported.
 */
#define SHIM_EXPORT __attribute__((visibility("default")))

/* The real libc function `name`, resolved on first use (NULL if absent). */
#define REAL(name)                                                                 \
	({                                                                         \
		static __typeof__(&name) _real;                                    \
		__typeof__(&name) _fn = __atomic_load_n(&_real, __ATOMIC_RELAXED); \
		if (__builtin_expect(!_fn, 0)) {                                   \
			_fn = (__typeof__(&name))shim_dlsym_next(#name);           \
			__atomic_store_n(&_real, _fn, __ATOMIC_RELAXED);           \
		}                                                                  \
		_fn;                                                               \
	})

void *shim_dlsym_next(const char *name);

/* Re-read the environment (tests change it after the library's constructor ran). */
void shim_env_reload(void);

/* Environment set by `uvfio run`: where the daemon is. NULL/0 when unset (shim inert). */
const char *shim_socket_path(void); /* $UVFIO_SOCKET: the daemon's bootstrap socket */
const char *shim_root(void); /* $UVFIO_ROOT: the FUSE tree holding sys/ and dev/ */
pid_t shim_daemon_pid(void); /* $UVFIO_DAEMON_PID */
bool shim_active(void);
/* $UVFIO_KVM=1: open("/dev/kvm") reaches the daemon's KVM model. */
bool shim_kvm(void);

void shim_debug(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* fds.c: open a /dev/vfio node (or /dev/kvm with UVFIO_KVM) through the daemon; -1 + errno like open(2). */
bool shim_is_daemon_node(const char *path);
int shim_dev_open(const char *path, int flags);

/*
 * fds.c: is fd an open uvfio file (a socket whose peer is the daemon)? errno
 * is preserved. Works for descriptors inherited or received over SCM_RIGHTS.
 */
bool shim_fd_is_uvfio(int fd);

/*
 * fds.c: fstat()/statx() of a uvfio descriptor, for the path wrappers' AT_EMPTY_PATH
 * forms: 0 with *st filled (a character device with the daemon's mode and
 * rdev), -1 with errno set if the daemon failed, or 1 with errno untouched if
 * fd is not a uvfio descriptor (the caller then calls the real function).
 */
int shim_fd_stat(int fd, struct stat *st);
int shim_fd_statx(int fd, unsigned int mask, struct statx *stx);

/* paths.c: if path must be redirected, writes the new path into out and returns true. */
bool shim_redirect(const char *path, char *out, size_t outsz);

#endif /* UVFIO_PRELOAD_SHIM_H */

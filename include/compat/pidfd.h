/* SPDX-License-Identifier: MIT */
/*
 * Process file descriptors, for libcs and kernel headers older than the
 * kernel that runs us. Values from the kernel's uAPI:
 *   SO_PASSPIDFD, SO_PEERPIDFD (include/uapi/asm-generic/socket.h, Linux 6.5)
 *   SCM_PIDFD (include/linux/socket.h, Linux 6.5)
 *   PID_FS_MAGIC (include/uapi/linux/magic.h, Linux 6.9: pidfs, where each
 *     struct pid has an inode of its own)
 *   pidfd_open (5.3) and pidfd_getfd (5.6) syscall numbers (x86-64).
 */
#ifndef UVFIO_COMPAT_PIDFD_H
#define UVFIO_COMPAT_PIDFD_H

#include <sys/syscall.h>

#ifndef SO_PASSPIDFD
#define SO_PASSPIDFD 76
#endif
#ifndef SO_PEERPIDFD
#define SO_PEERPIDFD 77
#endif
#ifndef SCM_PIDFD
#define SCM_PIDFD 0x04
#endif
#ifndef PID_FS_MAGIC
#define PID_FS_MAGIC 0x50494446
#endif
#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

#endif /* UVFIO_COMPAT_PIDFD_H */

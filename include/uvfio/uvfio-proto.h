/* SPDX-License-Identifier: MIT */
/*
 * The wire protocol between libuvfio-preload.so (the shim, in a program's
 * process) and uvfiod (the daemon). Version 2.
 *
 * One connection per open file: every open() of /dev/vfio/vfio,
 * /dev/vfio/N, /dev/kmsg (and /dev/kvm with --kvm) is a new UNIX stream connection to $UVFIO_SOCKET whose first
 * message is OPEN; a device fd (GET_DEVICE_FD) is one end of a socketpair the
 * daemon creates and passes back with SCM_RIGHTS. The connection IS the open
 * file: dup, fork, SCM_RIGHTS and close share or drop it as they do any
 * descriptor, and the daemon's release runs when its end sees EOF, i.e. at
 * the last close anywhere, as the kernel's ->release does.
 *
 * Calls on one connection are strictly request → reply; the shim serializes
 * the threads of a process that share one open file. Every message starts
 * with struct uvfio_msg_hdr; `len` counts the bytes after it and is at most
 * UVFIO_MSG_MAX. Both sides check magic, version, type and every length before
 * use; a malformed message gets a reply with result -EPROTO (or -EINVAL for a
 * well-formed but invalid request) and never harms the daemon.
 *
 * The caller's identity: the daemon sets SO_PASSCRED, so the kernel attaches
 * the sending process's pid/uid/gid to every request (SCM_CREDENTIALS). The
 * daemon reaches that process's memory with process_vm_readv/writev (the
 * kernel's copy_{from,to}_user and, for MAP_DMA ranges, device DMA) and its
 * descriptors with pidfd_getfd (eventfds of SET_IRQS, the container fd of
 * SET_CONTAINER, group fds of PCI_HOT_RESET), so the shim needs no knowledge of
 * ioctl layouts. The shim calls prctl(PR_SET_PTRACER, daemon pid) where Yama
 * requires it.
 *
 * To spare the daemon those syscalls, an IOCTL request may carry the caller's
 * bytes at `arg` (the `argsz`-sized struct, the string, the int): the daemon
 * reads from this copy when a copy_from_user falls inside it, and returns
 * copy_to_user data that falls inside it as write records in the reply, which
 * the shim applies to its memory before returning. Anything else goes through
 * process_vm_*. So the user's memory sees exactly the bytes the kernel would
 * write, and EFAULT where the kernel gives it.
 *
 * Zero-copy DMA: a VFIO_IOMMU_MAP_DMA whose vaddr range lies in a MAP_SHARED
 * mapping of a file (a memfd, a hugetlbfs or tmpfs file) carries that file's
 * descriptor and a struct uvfio_mem_backing. The daemon checks the claim
 * against /proc/PID/maps and maps the same pages itself, so device DMA into
 * the range is a plain copy with no process_vm_* call, and the mapping keeps
 * those pages for its lifetime as the kernel's pinned pages do. Anything else
 * (private anonymous memory) is reached through process_vm_* at DMA time.
 */
#ifndef UVFIO_PROTO_H
#define UVFIO_PROTO_H

#include <linux/ioctl.h>
#include <stdint.h>

#define UVFIO_PROTO_MAGIC 0x49465655u /* "UVFI" little-endian */
#define UVFIO_PROTO_VERSION 2
#define UVFIO_MSG_MAX (1u << 20) /* bytes after the header, either direction */
#define UVFIO_PATH_MAX 256
#define UVFIO_MAX_WRITES 64 /* write records per reply */

enum uvfio_msg_type {
	/* shim → daemon on a new connection: struct uvfio_open_req + path. Reply: result 0 or -errno. */
	UVFIO_MSG_OPEN = 1,
	/*
	 * struct uvfio_ioctl_req + payload (+ struct uvfio_mem_backing with 1 fd).
	 * Reply: struct uvfio_ioctl_rep + records (+ 1 fd).
	 */
	UVFIO_MSG_IOCTL = 2,
	/* struct uvfio_rw_req. Reply: result = bytes read or -errno, then those bytes. */
	UVFIO_MSG_READ = 3,
	/* struct uvfio_rw_req + bytes. Reply: result = bytes written or -errno. */
	UVFIO_MSG_WRITE = 4,
	/* struct uvfio_lseek_req. Reply: result = -errno, struct uvfio_lseek_rep on success. */
	UVFIO_MSG_LSEEK = 5,
	/* No body. Reply: struct uvfio_fstat_rep. */
	UVFIO_MSG_FSTAT = 6,
	/* struct uvfio_mmap_req. Reply: struct uvfio_mmap_rep + (1 fd: the memfd). */
	UVFIO_MSG_MMAP = 7,
	/*
	 * No body, no reply: sent while a call on the connection is in flight,
	 * when the caller took a signal. A call sleeping in the daemon (a
	 * /dev/kmsg read) ends with -EINTR, as an interruptible sleep does;
	 * any other finishes as it would have. Read as the next frame.
	 */
	UVFIO_MSG_INTERRUPT = 8,
};

struct uvfio_msg_hdr {
	uint32_t magic;
	uint16_t version;
	uint16_t type; /* enum uvfio_msg_type; a reply echoes the request's type */
	uint32_t len; /* bytes that follow this header */
	int32_t result; /* replies: >= 0, or a negative errno; requests: 0 */
};

struct uvfio_open_req {
	uint32_t flags; /* open(2) flags */
	uint32_t path_len; /* bytes of path that follow, no NUL, <= UVFIO_PATH_MAX */
};

struct uvfio_ioctl_req {
	uint32_t cmd;
	uint32_t payload_len; /* bytes of the caller's memory at arg that follow (may be 0) */
	uint64_t arg; /* the ioctl argument, a value or the caller's address */
	uint32_t nbacking; /* 0, or 1: a uvfio_mem_backing follows the payload, its fd attached */
	uint32_t pad;
};

/* The caller's [vaddr, vaddr + len) is a MAP_SHARED mapping of the attached fd at offset. */
struct uvfio_mem_backing {
	uint64_t vaddr;
	uint64_t len;
	uint64_t offset;
};

/* A copy_to_user into the payload window: addr is the caller's address. */
struct uvfio_write_rec {
	uint64_t addr;
	uint32_t len; /* bytes that follow, then padding to 8 */
	uint32_t pad;
};

struct uvfio_ioctl_rep {
	uint32_t nwrites; /* struct uvfio_write_rec records that follow */
	uint32_t nfds; /* descriptors passed with SCM_RIGHTS: 0, or 1 for GET_DEVICE_FD */
};

struct uvfio_rw_req {
	int64_t offset; /* file offset; -1: the file's own position (read/write) */
	uint32_t len; /* <= UVFIO_MSG_MAX */
	uint32_t flags; /* UVFIO_RW_* */
};

/*
 * A load or store on a trapped page of a device mapping, not a read(2): the
 * daemon first asks the mapping's fault handler, and -EFAULT means SIGBUS
 * (VM_FAULT_SIGBUS: memory decoding off, a device in low power).
 */
#define UVFIO_RW_MMAP 0x1u

struct uvfio_lseek_req {
	int64_t offset;
	int32_t whence;
	uint32_t pad;
};

struct uvfio_lseek_rep {
	int64_t pos;
};

struct uvfio_fstat_rep {
	uint32_t mode; /* st_mode: S_IFCHR | 0666 for /dev/vfio/vfio, ... */
	uint32_t rdev_major;
	uint32_t rdev_minor;
	uint32_t pad;
};

struct uvfio_mmap_req {
	uint64_t offset; /* the file offset mmap was given (region index << 40 | offset) */
	uint64_t len;
	uint32_t prot;
	uint32_t flags;
};

/*
 * What backs a mapping: a memfd (passed with SCM_RIGHTS) at memfd_offset for
 * `len` bytes, and a bitmap of pages that must be trapped (mapped PROT_NONE by
 * the shim and emulated with UVFIO_MSG_READ/WRITE at `region_offset` + page
 * offset) because they hold registers with side effects.
 */
struct uvfio_mmap_rep {
	uint64_t memfd_offset;
	uint64_t len;
	uint32_t npages; /* pages in the mapping; the bitmap has DIV_ROUND_UP(npages, 8) bytes */
	uint32_t pad;
	/* uint8_t trapped[]: bit i set = page i is trapped */
};

/*
 * syslog(2) (klogctl) on the world's log: the shim opens a /dev/kmsg
 * connection and sends this ioctl on it, its struct inline; the daemon
 * answers as do_syslog() does (result: a count or -errno) and writes what it
 * reads to the caller's buf. Not a Linux ioctl: on the host's /dev/kmsg it
 * would be ENOTTY.
 */
struct uvfio_syslog_args {
	int32_t type; /* SYSLOG_ACTION_* */
	int32_t len;
	uint64_t buf; /* the caller's address */
};
#define UVFIO_KMSG_SYSLOG _IOW('U', 0x80, struct uvfio_syslog_args)

#endif /* UVFIO_PROTO_H */

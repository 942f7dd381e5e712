/* SPDX-License-Identifier: MIT */
/*
 * The shim's protocol client (fds.c), shared with mmap.c and shim.c. Not part
 * of the contract with paths.c (that is shim.h).
 *
 * An open uvfio file is a socket whose peer is the daemon; struct shim_file
 * names it by descriptor and by socket inode. The inode keys the per-file lock
 * (so dup'd descriptors, which share the open file and its stream, share the
 * lock) and the classification cache.
 *
 * Functions here return 0 or a positive count, or a negative errno.
 */
#ifndef UVFIO_PRELOAD_FDS_H
#define UVFIO_PRELOAD_FDS_H

#include <errno.h>
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <sys/uio.h>

#include "uvfio/uvfio-proto.h"

struct shim_file {
	int fd;
	dev_t dev;
	ino_t ino;
};

/* Fills *f and returns true if fd is a uvfio file; errno is preserved. */
bool shim_file_get(int fd, struct shim_file *f);

/*
 * One request/reply conversation, serialized with the file's other
 * conversations (shim_call takes the file's lock). The reply body goes into rep (rep_size bytes) if rep is
 * set, or into a malloc()ed buffer returned in rep otherwise (the caller
 * frees it); the signal-context caller always passes its own buffer.
 */
struct shim_msg {
	uint16_t type; /* enum uvfio_msg_type */
	const struct iovec *req; /* request body, may be split */
	int nreq;
	void *rep;
	size_t rep_size;
	int recv_flags; /* MSG_CMSG_CLOEXEC for descriptors that must be close-on-exec */
	bool accept_fd; /* the reply may carry a descriptor; otherwise one is closed */
	bool pass_fd; /* send_fd travels with the request (SCM_RIGHTS) */
	int send_fd;

	/* out */
	size_t rep_len;
	int32_t result; /* the reply's result */
	int fd; /* a descriptor that came with the reply, or -1 */
	bool interrupted; /* a signal came while the reply was awaited (UVFIO_MSG_INTERRUPT) */
	bool restart; /* ... and every one pending has a handler with SA_RESTART */
};

/*
 * 0 on a well-formed exchange (result then says how the call went), -EIO
 * otherwise. Conversations on one open file are serialized and signals are
 * kept out of them (a handler running mid-conversation could start its own on
 * the same stream); async-signal-safe enough for the trap handler, since a
 * fault never happens while the faulting thread holds a file lock (the shim
 * touches caller memory only through process_vm_*).
 */
int shim_call(const struct shim_file *f, struct shim_msg *m);

/*
 * Device reads and writes: offset -1 uses the file position. buf is the shim's
 * own memory (never the caller's), len at most UVFIO_RW_CHUNK. Takes the lock.
 */
#define UVFIO_RW_CHUNK (UVFIO_MSG_MAX - 16u)
ssize_t shim_file_rw(const struct shim_file *f, bool write, void *buf, size_t len, int64_t offset);
/* The same for a trapped load or store of a mapping (UVFIO_RW_MMAP): -EFAULT means SIGBUS. */
ssize_t shim_file_mmio(const struct shim_file *f, bool write, void *buf, size_t len,
		       int64_t offset);

/* The caller's memory, read and written without faulting: 0 or -EFAULT. */
int shim_copy_from_user(void *dst, uint64_t src, size_t len);
int shim_copy_to_user(uint64_t dst, const void *src, size_t len);

/*
 * The shim's locks are taken with every signal blocked: a handler (the trap
 * handler, or the program's own calling into the shim) must never run while
 * its thread holds one.
 */
static inline void shim_lock(pthread_mutex_t *m, sigset_t *saved)
{
	sigset_t all;

	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, saved);
	pthread_mutex_lock(m);
}

static inline void shim_unlock(pthread_mutex_t *m, const sigset_t *saved)
{
	pthread_mutex_unlock(m);
	pthread_sigmask(SIG_SETMASK, saved, NULL);
}

/* -1 with errno for negative r, r otherwise. */
static inline long shim_ret(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

/*
 * dma_backing.c: the files behind the program's MAP_SHARED mappings. note and
 * forget follow the program's successful mmap/munmap calls; find returns a new
 * close-on-exec descriptor of the file one mapping of which holds all of
 * [vaddr, vaddr + len), and fills *out, or -1.
 */
void shim_dma_backing_note(void *addr, size_t len, int flags, int fd, off_t offset);
void shim_dma_backing_forget(void *addr, size_t len);
int shim_dma_backing_find(uint64_t vaddr, uint64_t len, struct uvfio_mem_backing *out);

/* Locks of fds.c, mmap.c and dma_backing.c, re-initialised in a forked child (shim.c's atfork). */
void shim_fds_atfork_child(void);
void shim_mmap_atfork_child(void);
void shim_dma_backing_atfork_child(void);

#endif /* UVFIO_PRELOAD_FDS_H */

// SPDX-License-Identifier: MIT
/*
 * Which file backs the program's shared memory, for zero-copy MAP_DMA.
 *
 * Every successful mmap(MAP_SHARED) of a regular file (a memfd, a tmpfs or
 * hugetlbfs file: what QEMU's memory backends and DPDK map) is recorded with
 * a duplicate of its descriptor, since the program may close its own. A
 * VFIO_IOMMU_MAP_DMA whose range lies inside one such mapping then carries
 * that descriptor to the daemon (uvfio-proto.h), which maps the same pages.
 * munmap and MAP_FIXED mappings over a recorded range drop the record.
 *
 * A record may go stale behind our back (a raw munmap syscall, mremap, a
 * program closing every descriptor it does not know): the daemon checks each
 * claim against /proc/PID/maps and the duplicate's inode, so a stale record
 * costs only the fallback to process_vm_*, never wrong memory.
 */
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "preload/fds.h"
#include "preload/shim.h"
#include "shared/macro.h"

#define DMA_BACKING_MAX 4096 /* records; more shared mappings fall back to process_vm_* */

struct backing {
	uintptr_t start;
	size_t len;
	off_t offset; /* file offset of start */
	int fd; /* our duplicate, close-on-exec */
	dev_t dev;
	ino_t ino;
};

static struct {
	pthread_mutex_t lock; /* everything below; signals blocked while held */
	struct backing *v;
	size_t n, cap;
} bk = { .lock = PTHREAD_MUTEX_INITIALIZER };

/* Drops records overlapping [start, start + len); bk.lock held. */
static void __forget(uintptr_t start, size_t len)
{
	for (size_t i = 0; i < bk.n;) {
		struct backing *b = &bk.v[i];

		if (b->start < start + len && start < b->start + b->len) {
			REAL(close)(b->fd);
			*b = bk.v[--bk.n];
		} else {
			i++;
		}
	}
}

void shim_dma_backing_forget(void *addr, size_t len)
{
	sigset_t saved;

	if (!len)
		return;
	shim_lock(&bk.lock, &saved);
	__forget((uintptr_t)addr, len);
	shim_unlock(&bk.lock, &saved);
}

void shim_dma_backing_note(void *addr, size_t len, int flags, int fd, off_t offset)
{
	int type = flags & MAP_TYPE;
	struct stat st;
	sigset_t saved;
	int dup_fd;

	if (flags & MAP_FIXED)
		shim_dma_backing_forget(addr, len);
	if ((type != MAP_SHARED && type != MAP_SHARED_VALIDATE) || (flags & MAP_ANONYMOUS) ||
	    fd < 0 || !len)
		return;
	if (REAL(fstat)(fd, &st) || !S_ISREG(st.st_mode))
		return;
	dup_fd = REAL(fcntl)(fd, F_DUPFD_CLOEXEC, 0);
	if (dup_fd < 0)
		return;

	shim_lock(&bk.lock, &saved);
	if (bk.n == bk.cap && bk.cap < DMA_BACKING_MAX) {
		size_t cap = bk.cap ? 2 * bk.cap : 16;
		struct backing *v = realloc(bk.v, cap * sizeof(*v));

		if (v) {
			bk.v = v;
			bk.cap = cap;
		}
	}
	if (bk.n < bk.cap) {
		bk.v[bk.n++] = (struct backing){
			.start = (uintptr_t)addr,
			.len = ALIGN_UP(len, (size_t)getpagesize()),
			.offset = offset,
			.fd = dup_fd,
			.dev = st.st_dev,
			.ino = st.st_ino,
		};
		dup_fd = -1;
	}
	shim_unlock(&bk.lock, &saved);
	if (dup_fd >= 0)
		REAL(close)(dup_fd);
}

int shim_dma_backing_find(uint64_t vaddr, uint64_t len, struct uvfio_mem_backing *out)
{
	int fd = -1;
	sigset_t saved;

	if (!len || vaddr + len < vaddr)
		return -1;
	shim_lock(&bk.lock, &saved);
	for (size_t i = 0; i < bk.n; i++) {
		const struct backing *b = &bk.v[i];
		struct stat st;

		if (vaddr < b->start || vaddr + len > b->start + b->len)
			continue;
		/* The duplicate still names the file it was made from. */
		if (REAL(fstat)(b->fd, &st) || st.st_dev != b->dev || st.st_ino != b->ino)
			break;
		fd = REAL(fcntl)(b->fd, F_DUPFD_CLOEXEC, 0);
		out->vaddr = b->start;
		out->len = b->len;
		out->offset = (uint64_t)b->offset;
		break;
	}
	shim_unlock(&bk.lock, &saved);
	return fd;
}

void shim_dma_backing_atfork_child(void)
{
	pthread_mutex_init(&bk.lock, NULL);
}

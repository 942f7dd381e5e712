// SPDX-License-Identifier: MIT
/*
 * Zero-copy DMA: MAP_DMA ranges that are MAP_SHARED mappings of a file.
 *
 * The shim attaches the file's descriptor to a VFIO_IOMMU_MAP_DMA and says
 * which part of the file the range maps (struct uvfio_mem_backing). We do
 * not take its word: /proc/PID/maps must show the same file, at the same
 * offset, shared and (for a device-writable mapping) writable, over the whole
 * range. Then we map the same pages and device DMA into the range is a
 * memcpy here, with no process_vm_* call. Anything that does not check out
 * falls back to process_vm_* (NULL), never an error: the claim is only a hint.
 *
 * The caller can still shrink its file under us (ftruncate of a memfd it did
 * not seal), and touching a page past the end of a file mapping raises
 * SIGBUS. A copy into pinned pages therefore runs under a per-thread guard: a
 * SIGBUS inside it jumps back out and the DMA fails with -EFAULT, as a DMA
 * to memory that is gone faults; the daemon lives on.
 */
#include <setjmp.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>

#include "shared/procmaps.h"
#include "uvfiod.h"

struct file_pages {
	struct pinned_pages pp;
	u8 *kaddr; /* our mapping of the caller's pages */
};

/* The copy in progress on this thread, or NULL: where a SIGBUS jumps to. */
static __thread sigjmp_buf *copy_guard;
static struct sigaction prev_sigbus;

static void sigbus_handler(int sig, siginfo_t *info, void *uc)
{
	sigjmp_buf *guard = copy_guard;

	if (guard) {
		copy_guard = NULL;
		siglongjmp(*guard, 1);
	}
	/* Not ours: whatever handled SIGBUS before (a sanitizer, or the default). */
	if (prev_sigbus.sa_flags & SA_SIGINFO)
		prev_sigbus.sa_sigaction(sig, info, uc);
	else if (prev_sigbus.sa_handler != SIG_IGN && prev_sigbus.sa_handler != SIG_DFL)
		prev_sigbus.sa_handler(sig);
	else {
		signal(SIGBUS, SIG_DFL);
		raise(SIGBUS);
	}
}

int pinned_pages_init(void)
{
	struct sigaction sa = { .sa_sigaction = sigbus_handler,
				.sa_flags = SA_SIGINFO | SA_NODEFER };

	sigemptyset(&sa.sa_mask);
	return sigaction(SIGBUS, &sa, &prev_sigbus) ? -errno : 0;
}

static int file_pages_rw(struct pinned_pages *pp, u64 offset, void *buf, size_t n, bool write)
{
	struct file_pages *fp = container_of(pp, struct file_pages, pp);
	/* volatile: read after a longjmp back into this frame. */
	volatile int ret = -EFAULT;
	sigjmp_buf guard;

	if (offset > pp->len || n > pp->len - offset)
		return -EFAULT;
	/* No signal mask to save: SA_NODEFER leaves SIGBUS unblocked after the jump. */
	if (!sigsetjmp(guard, 0)) {
		copy_guard = &guard;
		if (write)
			memcpy(fp->kaddr + offset, buf, n);
		else
			memcpy(buf, fp->kaddr + offset, n);
		ret = 0;
	}
	copy_guard = NULL;
	return ret;
}

static void file_pages_unpin(struct pinned_pages *pp)
{
	struct file_pages *fp = container_of(pp, struct file_pages, pp);

	munmap(fp->kaddr, pp->len);
	free(fp);
}

struct pinned_pages *remote_pin_user_pages(struct task *t, u64 vaddr, u64 len, bool write)
{
	struct remote_call *call = container_of(t, struct remote_call, task);
	const struct uvfio_mem_backing *b = &call->backing;
	struct file_pages *fp;
	struct stat st;
	u64 offset;
	void *p;

	if (call->backing_fd < 0 || !len || vaddr < b->vaddr || len > b->len ||
	    vaddr - b->vaddr > b->len - len)
		return NULL;
	offset = b->offset + (vaddr - b->vaddr);
	if (offset < b->offset || offset + len < offset || offset > (u64)INT64_MAX - len ||
	    (offset & (PAGE_SIZE - 1)) || len > SIZE_MAX)
		return NULL;
	if (fstat(call->backing_fd, &st) || !S_ISREG(st.st_mode) || offset + len > (u64)st.st_size)
		return NULL;
	if (procmaps_shared_file(call->procfd, vaddr, len, st.st_dev, st.st_ino, offset, write))
		return NULL;
	p = mmap(NULL, len, PROT_READ | (write ? PROT_WRITE : 0), MAP_SHARED, call->backing_fd,
		 (off_t)offset);
	if (p == MAP_FAILED)
		return NULL;
	fp = xzalloc(sizeof(*fp));
	fp->kaddr = p;
	fp->pp.len = len;
	fp->pp.rw = file_pages_rw;
	fp->pp.unpin = file_pages_unpin;
	return &fp->pp;
}

// SPDX-License-Identifier: MIT
/*
 * The caller of a request, as the core's struct task.
 *
 * Memory: copies that fall inside the inline payload the shim sent are served
 * from it (reads) or recorded for the shim to apply (writes); the rest go to
 * the process with process_vm_readv/writev, which fails with EFAULT exactly
 * where the kernel's copy_*_user would. The process's mm object outlives the
 * call when MAP_DMA records it, and is shared by every call of that process.
 *
 * Descriptors: the caller's fd numbers are resolved with pidfd_getfd(): a
 * uvfio file is recognised by the inode of its client socket; an eventfd is
 * kept as our own duplicate. A new file (GET_DEVICE_FD) becomes a new
 * session whose client end travels back in the reply.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <unistd.h>

#include "shared/eventfd.h"
#include "shared/procmaps.h"
#include "uvfiod.h"

#ifndef SYS_pidfd_open
#define SYS_pidfd_open 434
#endif
#ifndef SYS_pidfd_getfd
#define SYS_pidfd_getfd 438
#endif

/*
 * A client process's memory. The cache (d->mms) holds one reference for as
 * long as the process lives, so calls do not reopen it; entries of processes
 * that exited are dropped at the next lookup. Limits and capabilities are
 * read once, when the process is first seen.
 */
struct remote_mm {
	struct mm_struct mm;
	struct uvfiod *d;
	int pidfd;
	u64 rlimit_memlock;
	bool cap_ipc_lock, cap_sys_rawio;
	struct list_head node; /* d->mms, protected by d->lock */
};

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static int pidfd_getfd(int pidfd, int fd)
{
	return (int)syscall(SYS_pidfd_getfd, pidfd, fd, 0);
}

/* A process that exited must not be touched: its pid may already be someone else's. */
static bool pidfd_alive(int pidfd)
{
	struct pollfd pfd = { .fd = pidfd, .events = POLLIN };

	return poll(&pfd, 1, 0) == 0;
}

static int remote_mm_access(struct mm_struct *mm, u64 addr, void *buf, size_t len, bool write)
{
	struct remote_mm *rmm = container_of(mm, struct remote_mm, mm);
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n;

	if (!len)
		return 0;
	if (!pidfd_alive(rmm->pidfd))
		return -EFAULT;
	if (write)
		n = process_vm_writev(mm->pid, &local, 1, &remote, 1, 0);
	else
		n = process_vm_readv(mm->pid, &local, 1, &remote, 1, 0);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

static int remote_mm_probe(struct mm_struct *mm, u64 addr, u64 len, bool write)
{
	struct remote_mm *rmm = container_of(mm, struct remote_mm, mm);

	if (!pidfd_alive(rmm->pidfd))
		return -EFAULT;
	return procmaps_probe(mm->pid, addr, len, write);
}

static void remote_mm_release(struct mm_struct *mm)
{
	struct remote_mm *rmm = container_of(mm, struct remote_mm, mm);

	/* Unlinked from the cache already: the cache's reference was the last to go, or
	 * the entry was pruned before the final put. */
	close(rmm->pidfd);
	free(rmm);
}

static const struct mm_ops remote_mm_ops = {
	.access = remote_mm_access,
	.probe = remote_mm_probe,
	.release = remote_mm_release,
};

static void remote_read_limits(struct remote_mm *rmm, pid_t pid);

/* The mm of process pid: shared by all its calls; a new one if pid was reused. */
static struct remote_mm *remote_mm_get(struct uvfiod *d, pid_t pid)
{
	struct remote_mm *rmm, *n, *found = NULL;
	LIST_HEAD(dead);
	int pidfd;

	mutex_lock(&d->lock);
	list_for_each_entry_safe(rmm, n, &d->mms, node) {
		if (!pidfd_alive(rmm->pidfd)) {
			list_del(&rmm->node);
			list_add(&rmm->node, &dead);
			continue;
		}
		if (rmm->mm.pid == pid && !found) {
			kref_get(&rmm->mm.kref);
			found = rmm;
		}
	}
	mutex_unlock(&d->lock);
	list_for_each_entry_safe(rmm, n, &dead, node) {
		list_del_init(&rmm->node);
		mmput(&rmm->mm); /* the cache's reference */
	}
	if (found)
		return found;

	pidfd = pidfd_open(pid);
	if (pidfd < 0)
		return ERR_PTR(-ESRCH);
	rmm = xzalloc(sizeof(*rmm));
	kref_init(&rmm->mm.kref); /* the cache's */
	kref_get(&rmm->mm.kref); /* the caller's */
	rmm->mm.ops = &remote_mm_ops;
	rmm->mm.pid = pid;
	rmm->pidfd = pidfd;
	rmm->d = d;
	remote_read_limits(rmm, pid);
	mutex_lock(&d->lock);
	list_add(&rmm->node, &d->mms);
	mutex_unlock(&d->lock);
	return rmm;
}

void remote_mms_destroy(struct uvfiod *d)
{
	struct remote_mm *rmm, *n;

	/* After the world: no mapping or call refers to them any more. */
	mutex_lock(&d->lock);
	list_for_each_entry_safe(rmm, n, &d->mms, node) {
		list_del_init(&rmm->node);
		mmput(&rmm->mm);
	}
	mutex_unlock(&d->lock);
}

static struct remote_call *to_call(struct task *t)
{
	return container_of(t, struct remote_call, task);
}

static bool in_window(struct remote_call *call, u64 addr, size_t n)
{
	return call->win && addr >= call->win_addr && n <= call->win_len &&
	       addr - call->win_addr <= call->win_len - n;
}

static int remote_copy_from_user(struct task *t, void *dst, u64 src, size_t n)
{
	struct remote_call *call = to_call(t);

	if (in_window(call, src, n)) {
		memcpy(dst, call->win + (src - call->win_addr), n);
		return 0;
	}
	return mm_access(t->mm, src, dst, n, false);
}

static int remote_copy_to_user(struct task *t, u64 dst, const void *src, size_t n)
{
	struct remote_call *call = to_call(t);
	struct uvfio_write_rec *rec;
	size_t rec_len = sizeof(*rec) + ALIGN_UP(n, (size_t)8);

	if (!in_window(call, dst, n) || call->nwrites >= UVFIO_MAX_WRITES)
		return mm_access(t->mm, dst, (void *)src, n, true);
	/* Later reads of this range must see what we wrote. */
	memcpy((u8 *)call->win + (dst - call->win_addr), src, n);
	call->writes = realloc(call->writes, call->writes_len + rec_len);
	if (!call->writes)
		abort();
	rec = (struct uvfio_write_rec *)(call->writes + call->writes_len);
	memset(rec, 0, rec_len);
	rec->addr = dst;
	rec->len = (u32)n;
	memcpy(rec + 1, src, n);
	call->writes_len += rec_len;
	call->nwrites++;
	return 0;
}

static struct file *remote_fget(struct task *t, int fd)
{
	struct remote_call *call = to_call(t);
	struct file *f;
	struct stat st;
	int local;

	if (fd < 0)
		return ERR_PTR(-EBADF);
	local = pidfd_getfd(call->pidfd, fd);
	if (local < 0)
		return ERR_PTR(-EBADF);
	if (fstat(local, &st) || !S_ISSOCK(st.st_mode)) {
		close(local);
		return ERR_PTR(-EBADFD);
	}
	f = session_lookup_file(call->d, st.st_dev, st.st_ino);
	close(local);
	return f ? f : ERR_PTR(-EBADFD);
}

static struct eventfd_ctx *remote_eventfd_ctx_fdget(struct task *t, int fd)
{
	struct remote_call *call = to_call(t);
	int local;

	if (fd < 0)
		return ERR_PTR(-EBADF);
	local = pidfd_getfd(call->pidfd, fd);
	if (local < 0)
		return ERR_PTR(-EBADF);
	if (!fd_is_eventfd(local)) {
		close(local);
		return ERR_PTR(-EINVAL);
	}
	return eventfd_ctx_from_fd(local);
}

static int remote_fd_install(struct task *t, struct file *f)
{
	struct remote_call *call = to_call(t);
	int client_fd, ret;

	if (call->out_fd >= 0)
		return -EMFILE; /* one new descriptor per call */
	ret = session_start(call->d, f, call->task.pid, &client_fd);
	if (ret)
		return ret;
	call->out_fd = client_fd;
	return 0; /* the shim returns the descriptor it receives */
}

static const struct task_ops remote_task_ops = {
	.fget = remote_fget,
	.eventfd_ctx_fdget = remote_eventfd_ctx_fdget,
	.fd_install = remote_fd_install,
	.copy_from_user = remote_copy_from_user,
	.copy_to_user = remote_copy_to_user,
	.pin_user_pages = remote_pin_user_pages,
};

/* The caller's RLIMIT_MEMLOCK and effective capabilities, from /proc. */
static void remote_read_limits(struct remote_mm *rmm, pid_t pid)
{
	unsigned long long v;
	char path[64], line[256];
	FILE *f;

	rmm->rlimit_memlock = UINT64_MAX;
	snprintf(path, sizeof(path), "/proc/%d/limits", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Max locked memory", 17) && strlen(line) > 26 &&
		    sscanf(line + 26, "%llu", &v) == 1)
			rmm->rlimit_memlock = v;
	}
	if (f)
		fclose(f);
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "CapEff: %llx", &v) == 1) {
			rmm->cap_ipc_lock = v & (1ull << 14); /* CAP_IPC_LOCK */
			rmm->cap_sys_rawio = v & (1ull << 17); /* CAP_SYS_RAWIO */
		}
	}
	if (f)
		fclose(f);
}

int remote_call_init(struct remote_call *call, struct uvfiod *d, pid_t pid, uid_t uid)
{
	struct remote_mm *rmm;

	memset(call, 0, sizeof(*call));
	call->d = d;
	call->out_fd = -1;
	call->backing_fd = -1;
	rmm = remote_mm_get(d, pid);
	if (IS_ERR(rmm))
		return (int)PTR_ERR(rmm);
	call->pidfd = rmm->pidfd;
	call->task.ops = &remote_task_ops;
	call->task.mm = &rmm->mm;
	call->task.pid = pid;
	call->task.uid = uid;
	/* Capability checks are daemon policy (digest §10.5): the caller's own, as of its first call. */
	call->task.rlimit_memlock = rmm->rlimit_memlock;
	call->task.cap_ipc_lock = rmm->cap_ipc_lock;
	call->task.cap_sys_rawio = rmm->cap_sys_rawio;
	return 0;
}

void remote_call_destroy(struct remote_call *call)
{
	free(call->writes);
	if (call->out_fd >= 0)
		close(call->out_fd);
	mmput(call->task.mm);
}

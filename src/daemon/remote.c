// SPDX-License-Identifier: MIT
/*
 * The caller of a request, as the core's struct task.
 *
 * Who calls: every request arrives with a pidfd of its sender, taken by the
 * kernel when the message was sent (SO_PASSPIDFD/SCM_PIDFD, Linux 6.5), so
 * a sender that exits and whose pid goes to another process before its
 * request is read is still the one it was: its pidfd reports it dead and
 * the request is refused. Without SCM_PIDFD (older kernels) the daemon
 * serves only callers of its own user or root, whose rights are its own
 * (docs/design.md, "Trust model").
 *
 * Memory: copies that fall inside the inline payload the shim sent are served
 * from it (reads) or recorded for the shim to apply (writes); the rest go to
 * the process's mm through /proc/PID/mem, opened through its /proc directory
 * while its pidfd showed the process alive: that file stays bound to that
 * mm (after an exit or an exec it reads nothing), never to whoever has the
 * pid now. Copies the caller asks for are checked against the caller's
 * mappings first, so they fail with EFAULT exactly where the kernel's
 * copy_*_user would (a write to read-only memory included); device DMA
 * through a type1 mapping reaches the memory that was mapped, as pinned pages
 * do. One mm object per process image is shared by every call of that
 * process and outlives the call when MAP_DMA records it.
 *
 * Descriptors: the caller's fd numbers are resolved with pidfd_getfd() on
 * the sender's pidfd: a uvfio file is recognised by the inode of its client
 * socket; an eventfd is kept as our own duplicate. A new file (GET_DEVICE_FD)
 * becomes a new session whose client end travels back in the reply.
 */
#include <fcntl.h>
#include <poll.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "compat/pidfd.h"
#include "shared/eventfd.h"
#include "shared/procmaps.h"
#include "uvfiod.h"

/*
 * A client process's memory: one process image (an exec starts another).
 * The cache (d->mms) holds one reference while the image is current, so
 * calls do not reopen it; entries of processes that exited are dropped at the
 * next lookup. Limits and capabilities are read once, when the image is
 * first seen.
 */
struct remote_mm {
	struct mm_struct mm;
	struct uvfiod *d;
	int pidfd; /* the process */
	int procfd; /* its /proc/PID directory */
	int memfd; /* its /proc/PID/mem: this mm for the rest of its life */
	u64 pid_ino; /* pidfd_ino(pidfd) */
	u64 rlimit_memlock;
	bool cap_ipc_lock, cap_sys_rawio;
	struct list_head node; /* d->mms, protected by d->lock; empty once unlinked */
};

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

/*
 * The identity of the process behind a pidfd: on pidfs (Linux 6.9) each
 * struct pid has an inode of its own, so equal inodes are the same process
 * whatever happened since; 0 before pidfs, where two pidfds are compared by
 * the pid number and both being alive (two live processes never share one).
 */
static u64 pidfd_ino(int pidfd)
{
	static atomic_int on_pidfs = -1; /* one kernel for the daemon's life */
	struct statfs sfs;
	struct stat st;
	int v = atomic_load(&on_pidfs);

	if (v < 0) {
		v = !fstatfs(pidfd, &sfs) && (unsigned long)sfs.f_type == PID_FS_MAGIC;
		atomic_store(&on_pidfs, v);
	}
	return v && !fstat(pidfd, &st) ? (u64)st.st_ino : 0;
}

static int remote_mm_access(struct mm_struct *mm, u64 addr, void *buf, size_t len, bool write)
{
	struct remote_mm *rmm = container_of(mm, struct remote_mm, mm);
	size_t done = 0;

	if (!len)
		return 0;
	if (addr + len < addr)
		return -EFAULT;
	/* /proc/PID/mem takes the address as an unsigned offset (FMODE_UNSIGNED_OFFSET). */
	while (done < len) {
		ssize_t n = write ? pwrite(rmm->memfd, (const u8 *)buf + done, len - done,
					   (off_t)(addr + done)) :
				    pread(rmm->memfd, (u8 *)buf + done, len - done,
					  (off_t)(addr + done));

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EFAULT; /* unmapped (EIO), or the mm is gone (0) */
		done += (size_t)n;
	}
	return 0;
}

static int remote_mm_probe(struct mm_struct *mm, u64 addr, u64 len, bool write)
{
	struct remote_mm *rmm = container_of(mm, struct remote_mm, mm);

	if (!pidfd_alive(rmm->pidfd))
		return -EFAULT;
	return procmaps_probe(rmm->procfd, addr, len, write);
}

/* Whether this image is still the process's: its mm reads at an address the caller just sent. */
static bool remote_mm_current(struct remote_mm *rmm, u64 addr)
{
	u8 byte;

	return pread(rmm->memfd, &byte, 1, (off_t)addr) != 0;
}

static void remote_mm_release(struct mm_struct *mm)
{
	struct remote_mm *rmm = container_of(mm, struct remote_mm, mm);

	/* Unlinked from the cache already: the cache's reference was the last to go, or
	 * the entry was pruned before the final put. */
	close(rmm->memfd);
	close(rmm->procfd);
	close(rmm->pidfd);
	free(rmm);
}

static const struct mm_ops remote_mm_ops = {
	.access = remote_mm_access,
	.probe = remote_mm_probe,
	.release = remote_mm_release,
};

static void remote_read_limits(struct remote_mm *rmm);

/*
 * The current image of process pid, which sent with pidfd: a new one when
 * none is cached, when the cached one is another process's that had the same
 * pid, or when the process has exec'd since (probe_addr, an address the
 * caller's current image has mapped, reads nothing in it). ERR_PTR(-ESRCH)
 * when the sender is gone.
 */
static struct remote_mm *remote_mm_get(struct uvfiod *d, int pidfd, pid_t pid, u64 probe_addr)
{
	struct remote_mm *rmm, *n, *found = NULL;
	u64 ino = pidfd_ino(pidfd);
	char path[32];
	LIST_HEAD(dead);

	if (!pidfd_alive(pidfd))
		return ERR_PTR(-ESRCH);
	mutex_lock(&d->lock);
	list_for_each_entry_safe(rmm, n, &d->mms, node) {
		bool mine = !found && rmm->mm.pid == pid;

		if (!pidfd_alive(rmm->pidfd) ||
		    (mine && (rmm->pid_ino != ino ||
			      (probe_addr && !remote_mm_current(rmm, probe_addr))))) {
			list_del(&rmm->node);
			list_add(&rmm->node, &dead);
			continue;
		}
		if (mine) {
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

	rmm = xzalloc(sizeof(*rmm));
	rmm->pidfd = rmm->procfd = rmm->memfd = -1;
	snprintf(path, sizeof(path), "/proc/%d", (int)pid);
	rmm->procfd = open(path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	if (rmm->procfd >= 0)
		rmm->memfd = openat(rmm->procfd, "mem", O_RDWR | O_CLOEXEC);
	rmm->pidfd = fcntl(pidfd, F_DUPFD_CLOEXEC, 0);
	/*
	 * Opened by number, so only now known to be the sender's: the sender was
	 * alive before the opens and is alive after them, so it held the pid all
	 * along, and the directory and the mm are its.
	 */
	if (rmm->memfd < 0 || rmm->pidfd < 0 || !pidfd_alive(pidfd)) {
		if (rmm->memfd >= 0)
			close(rmm->memfd);
		if (rmm->procfd >= 0)
			close(rmm->procfd);
		if (rmm->pidfd >= 0)
			close(rmm->pidfd);
		free(rmm);
		return ERR_PTR(-ESRCH);
	}
	kref_init(&rmm->mm.kref); /* the cache's */
	kref_get(&rmm->mm.kref); /* the caller's */
	rmm->mm.ops = &remote_mm_ops;
	rmm->mm.pid = pid;
	rmm->pid_ino = ino;
	rmm->d = d;
	remote_read_limits(rmm);
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

/*
 * A copy the caller's own call makes: /proc/PID/mem would read PROT_NONE and
 * write read-only memory (it forces access), the kernel's copy_*_user fault
 * there; the caller's mappings decide first.
 */
static int remote_user_access(struct task *t, u64 addr, void *buf, size_t n, bool write)
{
	int ret;

	if (!n)
		return 0;
	ret = remote_mm_probe(t->mm, addr, n, write);
	return ret ? ret : mm_access(t->mm, addr, buf, n, write);
}

static int remote_copy_from_user(struct task *t, void *dst, u64 src, size_t n)
{
	struct remote_call *call = to_call(t);

	if (in_window(call, src, n)) {
		memcpy(dst, call->win + (src - call->win_addr), n);
		return 0;
	}
	return remote_user_access(t, src, dst, n, false);
}

static int remote_copy_to_user(struct task *t, u64 dst, const void *src, size_t n)
{
	struct remote_call *call = to_call(t);
	struct uvfio_write_rec *rec;
	size_t rec_len = sizeof(*rec) + ALIGN_UP(n, (size_t)8);

	if (!in_window(call, dst, n) || call->nwrites >= UVFIO_MAX_WRITES)
		return remote_user_access(t, dst, (void *)src, n, true);
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

/* A file of the process's /proc directory, or NULL. */
static FILE *remote_proc_fopen(struct remote_mm *rmm, const char *name)
{
	int fd = openat(rmm->procfd, name, O_RDONLY | O_CLOEXEC);
	FILE *f = fd >= 0 ? fdopen(fd, "re") : NULL;

	if (fd >= 0 && !f)
		close(fd);
	return f;
}

/* The caller's RLIMIT_MEMLOCK and effective capabilities, from its /proc directory. */
static void remote_read_limits(struct remote_mm *rmm)
{
	unsigned long long v;
	char line[256];
	FILE *f;

	rmm->rlimit_memlock = UINT64_MAX;
	f = remote_proc_fopen(rmm, "limits");
	while (f && fgets(line, sizeof(line), f)) {
		if (!strncmp(line, "Max locked memory", 17) && strlen(line) > 26 &&
		    sscanf(line + 26, "%llu", &v) == 1)
			rmm->rlimit_memlock = v;
	}
	if (f)
		fclose(f);
	f = remote_proc_fopen(rmm, "status");
	while (f && fgets(line, sizeof(line), f)) {
		if (sscanf(line, "CapEff: %llx", &v) == 1) {
			rmm->cap_ipc_lock = v & (1ull << 14); /* CAP_IPC_LOCK */
			rmm->cap_sys_rawio = v & (1ull << 17); /* CAP_SYS_RAWIO */
		}
	}
	if (f)
		fclose(f);
}

int remote_call_init(struct remote_call *call, struct uvfiod *d, int pidfd, pid_t pid, uid_t uid,
		     u64 probe_addr)
{
	struct remote_mm *rmm;

	memset(call, 0, sizeof(*call));
	call->d = d;
	call->out_fd = -1;
	call->backing_fd = -1;
	rmm = remote_mm_get(d, pidfd, pid, probe_addr);
	if (IS_ERR(rmm))
		return (int)PTR_ERR(rmm);
	call->pidfd = pidfd;
	call->procfd = rmm->procfd;
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

/* The process's name (/proc/PID/comm, the kernel's current->comm), or "". */
void remote_read_comm(pid_t pid, char *buf, size_t size)
{
	char path[64];
	FILE *f;

	buf[0] = '\0';
	snprintf(path, sizeof(path), "/proc/%d/comm", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return;
	if (fgets(buf, (int)size, f))
		buf[strcspn(buf, "\n")] = '\0';
	fclose(f);
}

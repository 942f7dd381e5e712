// SPDX-License-Identifier: MIT
/*
 * In-process callers (struct uvfio_proc): a "process" with its own descriptor
 * table, whose memory is this process's memory. This is how tests and the
 * built-in demo drive a world exactly as a program drives a Linux host.
 *
 * Descriptor numbers are real descriptors of this process, each a reserved
 * placeholder (an O_PATH open of "/"), so numbers never collide with the
 * caller's own descriptors (eventfds, memfds) and fd-leak checks see them.
 * Memory is reached with process_vm_readv/writev on our own pid, which fails
 * with EFAULT on unmapped addresses exactly where the kernel's copy_*_user
 * would.
 *
 * Lock order: proc->lock is a leaf (never held across a file operation).
 */
#include <fcntl.h>
#include <sys/syscall.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/uio.h>
#include <unistd.h>

#include <linux/capability.h>

#include "base/chrdev.h"
#include "base/file.h"
#include "shared/procmaps.h"
#include "uvfio/uvfio.h"
#include "world.h"

struct proc_fd {
	int fd;
	struct file *file;
};

struct uvfio_proc {
	struct uvfio_world *world;
	struct task task;
	struct mm_struct *mm;
	struct mutex lock; /* fds */
	struct proc_fd *fds;
	size_t nfds, cap;
};

static int self_mm_access(struct mm_struct *mm, u64 addr, void *buf, size_t len, bool write)
{
	struct iovec local = { .iov_base = buf, .iov_len = len };
	struct iovec remote = { .iov_base = (void *)(uintptr_t)addr, .iov_len = len };
	ssize_t n;

	if (!len)
		return 0;
	if (write)
		n = process_vm_writev(mm->pid, &local, 1, &remote, 1, 0);
	else
		n = process_vm_readv(mm->pid, &local, 1, &remote, 1, 0);
	return n == (ssize_t)len ? 0 : -EFAULT;
}

static int self_mm_probe(struct mm_struct *mm, u64 addr, u64 len, bool write)
{
	int procfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int ret;

	(void)mm; /* this process's own */
	if (procfd < 0)
		return -EFAULT;
	ret = procmaps_probe(procfd, addr, len, write);
	close(procfd);
	return ret;
}

static void self_mm_release(struct mm_struct *mm)
{
	free(mm);
}

static const struct mm_ops self_mm_ops = {
	.access = self_mm_access,
	.probe = self_mm_probe,
	.release = self_mm_release,
};

static struct uvfio_proc *task_proc(struct task *t)
{
	return t->priv;
}

static struct file *proc_fget(struct task *t, int fd)
{
	struct uvfio_proc *p = task_proc(t);
	struct file *f = NULL;

	mutex_lock(&p->lock);
	for (size_t i = 0; i < p->nfds; i++) {
		if (p->fds[i].fd == fd) {
			f = get_file(p->fds[i].file);
			break;
		}
	}
	mutex_unlock(&p->lock);
	if (f)
		return f;
	/* A descriptor of this process that is not a uvfio file: not ours. */
	if (fd >= 0 && fcntl(fd, F_GETFD) >= 0)
		return ERR_PTR(-EBADFD);
	return ERR_PTR(-EBADF);
}

static struct eventfd_ctx *proc_eventfd_ctx_fdget(struct task *t, int fd)
{
	return eventfd_ctx_fdget(fd);
}

static int proc_fd_install(struct task *t, struct file *f)
{
	struct uvfio_proc *p = task_proc(t);
	int fd = open("/", O_PATH | O_CLOEXEC);

	if (fd < 0)
		return -errno;
	mutex_lock(&p->lock);
	if (p->nfds == p->cap) {
		size_t cap = p->cap ? p->cap * 2 : 16;
		struct proc_fd *fds = realloc(p->fds, cap * sizeof(*fds));

		if (!fds) {
			mutex_unlock(&p->lock);
			close(fd);
			return -ENOMEM;
		}
		p->fds = fds;
		p->cap = cap;
	}
	p->fds[p->nfds++] = (struct proc_fd){ .fd = fd, .file = f };
	mutex_unlock(&p->lock);
	return fd;
}

static const struct task_ops proc_task_ops = {
	.fget = proc_fget,
	.eventfd_ctx_fdget = proc_eventfd_ctx_fdget,
	.fd_install = proc_fd_install,
};

static bool self_has_cap(int cap)
{
	struct __user_cap_header_struct hdr = { .version = _LINUX_CAPABILITY_VERSION_3 };
	struct __user_cap_data_struct data[2] = { 0 };

	if (syscall(SYS_capget, &hdr, data))
		return false;
	return data[cap / 32].effective & (1u << (cap % 32));
}

struct uvfio_proc *uvfio_proc_new(struct uvfio_world *w, const struct uvfio_proc_opts *opts)
{
	struct uvfio_proc *p = xzalloc(sizeof(*p));
	struct rlimit rl;

	p->world = w;
	p->mm = xzalloc(sizeof(*p->mm));
	kref_init(&p->mm->kref);
	p->mm->ops = &self_mm_ops;
	p->mm->pid = getpid();
	mutex_init(&p->lock, "uvfio_proc->lock");

	p->task.ops = &proc_task_ops;
	p->task.mm = p->mm;
	p->task.pid = getpid();
	p->task.uid = getuid();
	p->task.priv = p;
	if (getrlimit(RLIMIT_MEMLOCK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY)
		p->task.rlimit_memlock = rl.rlim_cur;
	else
		p->task.rlimit_memlock = UINT64_MAX;
	p->task.cap_ipc_lock = self_has_cap(CAP_IPC_LOCK);
	p->task.cap_sys_rawio = self_has_cap(CAP_SYS_RAWIO);
	if (opts) {
		if (opts->rlimit_memlock)
			p->task.rlimit_memlock = opts->rlimit_memlock;
		if (opts->cap_ipc_lock >= 0)
			p->task.cap_ipc_lock = opts->cap_ipc_lock;
	}
	return p;
}

/* Removes fd from the table; returns its file (the table's reference) or NULL. */
static struct file *proc_fd_remove(struct uvfio_proc *p, int fd)
{
	struct file *f = NULL;

	mutex_lock(&p->lock);
	for (size_t i = 0; i < p->nfds; i++) {
		if (p->fds[i].fd == fd) {
			f = p->fds[i].file;
			p->fds[i] = p->fds[--p->nfds];
			break;
		}
	}
	mutex_unlock(&p->lock);
	if (f)
		close(fd);
	return f;
}

void uvfio_proc_free(struct uvfio_proc *p)
{
	if (!p)
		return;
	/* Process exit: descriptors are closed in table order. */
	for (;;) {
		int fd;

		mutex_lock(&p->lock);
		if (!p->nfds) {
			mutex_unlock(&p->lock);
			break;
		}
		fd = p->fds[0].fd;
		mutex_unlock(&p->lock);
		fput(proc_fd_remove(p, fd));
	}
	mutex_destroy(&p->lock);
	free(p->fds);
	mmput(p->mm);
	free(p);
}

struct task *uvfio_proc_task(struct uvfio_proc *p)
{
	return &p->task;
}

static int ret_errno(long r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return (int)r;
}

static ssize_t ret_errno_ssize(ssize_t r)
{
	if (r < 0) {
		errno = (int)-r;
		return -1;
	}
	return r;
}

int uvfio_open(struct uvfio_proc *p, const char *path, int flags)
{
	struct file *f = NULL;
	int ret = chrdev_open(&p->world->chrdevs, path, flags, &f);

	if (ret)
		return ret_errno(ret);
	ret = proc_fd_install(&p->task, f);
	if (ret < 0)
		fput(f);
	return ret_errno(ret);
}

int uvfio_close(struct uvfio_proc *p, int fd)
{
	struct file *f = proc_fd_remove(p, fd);

	if (!f)
		return ret_errno(-EBADF);
	fput(f);
	return 0;
}

int uvfio_dup(struct uvfio_proc *p, int fd)
{
	struct file *f = proc_fget(&p->task, fd);
	int ret;

	if (IS_ERR(f))
		return ret_errno(-EBADF);
	ret = proc_fd_install(&p->task, f);
	if (ret < 0)
		fput(f);
	return ret_errno(ret);
}

int uvfio_ioctl(struct uvfio_proc *p, int fd, unsigned long request, ...)
{
	unsigned long arg;
	struct file *f;
	va_list ap;
	long ret;

	va_start(ap, request);
	arg = va_arg(ap, unsigned long);
	va_end(ap);
	f = proc_fget(&p->task, fd);
	if (IS_ERR(f))
		return ret_errno(PTR_ERR(f) == -EBADFD ? -ENOTTY : -EBADF);
	ret = vfs_ioctl(f, &p->task, (unsigned int)request, arg);
	fput(f);
	return ret_errno(ret);
}

#define PROC_FILE_CALL(p, fd, call)                          \
	({                                                   \
		struct file *_f = proc_fget(&(p)->task, fd); \
		ssize_t _r;                                  \
		if (IS_ERR(_f)) {                            \
			_r = -EBADF;                         \
		} else {                                     \
			struct file *f = _f;                 \
			_r = (call);                         \
			fput(_f);                            \
		}                                            \
		ret_errno_ssize(_r);                         \
	})

ssize_t uvfio_pread(struct uvfio_proc *p, int fd, void *buf, size_t count, off_t offset)
{
	return PROC_FILE_CALL(p, fd, vfs_pread(f, buf, count, offset));
}

ssize_t uvfio_pwrite(struct uvfio_proc *p, int fd, const void *buf, size_t count, off_t offset)
{
	return PROC_FILE_CALL(p, fd, vfs_pwrite(f, buf, count, offset));
}

ssize_t uvfio_read(struct uvfio_proc *p, int fd, void *buf, size_t count)
{
	return PROC_FILE_CALL(p, fd, vfs_read(f, buf, count));
}

ssize_t uvfio_write(struct uvfio_proc *p, int fd, const void *buf, size_t count)
{
	return PROC_FILE_CALL(p, fd, vfs_write(f, buf, count));
}

off_t uvfio_lseek(struct uvfio_proc *p, int fd, off_t offset, int whence)
{
	return PROC_FILE_CALL(p, fd, vfs_llseek(f, offset, whence));
}

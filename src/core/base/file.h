/* SPDX-License-Identifier: MIT */
/*
 * Open files, the calling task and its memory: the three things a kernel
 * syscall handler has at hand (struct file, current, current->mm).
 *
 * A struct file is one open file description. Its reference count is the
 * number of descriptors (and in-flight calls) that refer to it; ->release runs
 * when the last one goes away, exactly as the kernel's fops->release, so every
 * close order and process death give kernel semantics.
 *
 * A struct task is whoever makes the call: in-process tests (task_local.c) or a
 * daemon connection. It resolves the caller's descriptor numbers, installs new
 * descriptors and reaches the caller's memory (copy_{from,to}_user).
 */
#ifndef UVFIO_CORE_BASE_FILE_H
#define UVFIO_CORE_BASE_FILE_H

#include <stdatomic.h>
#include <sys/types.h>

#include "shared/eventfd.h"
#include "shared/kref.h"
#include "shared/macro.h"
#include "shared/mutex.h"

struct cdev;
struct file;
struct task;
struct uvfio_world;

/*
 * An address space whose memory the core may read and write: a caller's, for
 * ioctl payloads, and a DMA mapper's, for device DMA through type1 mappings.
 */
struct mm_struct {
	struct kref kref;
	const struct mm_ops *ops;
	atomic_long locked_vm; /* pages accounted against RLIMIT_MEMLOCK */
	pid_t pid;
};

struct mm_ops {
	/* Copies len bytes at addr to/from buf: 0, or -EFAULT if any byte is not mapped. */
	int (*access)(struct mm_struct *mm, u64 addr, void *buf, size_t len, bool write);
	/*
	 * Optional: 0 if every page of [addr, addr + len) is mapped, and writable when
	 * write is set (what get_user_pages checks when type1 pins a mapping), else
	 * -EFAULT. Without it type1 reads one byte per page and cannot see write
	 * protection.
	 */
	int (*probe)(struct mm_struct *mm, u64 addr, u64 len, bool write);
	void (*release)(struct mm_struct *mm);
};

static inline struct mm_struct *mmget(struct mm_struct *mm)
{
	kref_get(&mm->kref);
	return mm;
}

void mmput(struct mm_struct *mm);

static inline int mm_access(struct mm_struct *mm, u64 addr, void *buf, size_t len, bool write)
{
	return mm->ops->access(mm, addr, buf, len, write);
}

/*
 * Pages of a caller's memory that a front end shares with the core: a
 * MAP_SHARED file mapping the daemon has mapped too. Device DMA into them is
 * a copy within our own address space, and they stay the DMA mapping's pages
 * for its lifetime whatever the caller maps at that address later, as pages
 * that pin_user_pages() took do in the kernel.
 */
struct pinned_pages {
	u64 len;
	/* Copies n bytes at offset (within len): 0, or -EFAULT if the pages are gone. */
	int (*rw)(struct pinned_pages *pp, u64 offset, void *buf, size_t n, bool write);
	void (*unpin)(struct pinned_pages *pp);
};

static inline void unpin_user_pages(struct pinned_pages *pp)
{
	if (pp)
		pp->unpin(pp);
}

struct task_ops {
	/* New reference on the caller's descriptor fd, or ERR_PTR(-EBADF). A descriptor
	 * that exists but is not one of ours gives ERR_PTR(-EBADFD). */
	struct file *(*fget)(struct task *t, int fd);
	/* The caller's eventfd fd: ERR_PTR(-EBADF) or ERR_PTR(-EINVAL) if not an eventfd. */
	struct eventfd_ctx *(*eventfd_ctx_fdget)(struct task *t, int fd);
	/* Installs f as a new O_CLOEXEC descriptor; consumes the reference on success and
	 * returns the descriptor number, or a negative errno (-EMFILE). */
	int (*fd_install)(struct task *t, struct file *f);
	/*
	 * Optional: a front end that already holds a copy of some of the caller's
	 * memory (the daemon gets the ioctl payload inline) serves user copies
	 * itself; without them copies go to t->mm.
	 */
	int (*copy_from_user)(struct task *t, void *dst, u64 src, size_t n);
	int (*copy_to_user)(struct task *t, u64 dst, const void *src, size_t n);
	/*
	 * Optional: the pages of [vaddr, vaddr + len), shared with the caller, when
	 * the front end can share them (writable when write is set); NULL when it
	 * cannot, and DMA then reaches them through t->mm at every access.
	 */
	struct pinned_pages *(*pin_user_pages)(struct task *t, u64 vaddr, u64 len, bool write);
};

struct task {
	const struct task_ops *ops;
	struct mm_struct *mm;
	pid_t pid;
	uid_t uid;
	u64 rlimit_memlock; /* bytes; UINT64_MAX for unlimited */
	bool cap_ipc_lock;
	bool cap_sys_rawio;
	void *priv;
};

/* The task of an in-process caller (task_local.c). */
struct uvfio_proc;
struct task *uvfio_proc_task(struct uvfio_proc *p);

static inline struct pinned_pages *pin_user_pages(struct task *t, u64 vaddr, u64 len, bool write)
{
	return t->ops->pin_user_pages ? t->ops->pin_user_pages(t, vaddr, len, write) : NULL;
}

static inline int copy_from_user(struct task *t, void *dst, unsigned long src, size_t n)
{
	if (t->ops->copy_from_user)
		return t->ops->copy_from_user(t, dst, src, n);
	return mm_access(t->mm, src, dst, n, false);
}

static inline int copy_to_user(struct task *t, unsigned long dst, const void *src, size_t n)
{
	if (t->ops->copy_to_user)
		return t->ops->copy_to_user(t, dst, src, n);
	return mm_access(t->mm, dst, (void *)src, n, true);
}

/* Copies a NUL-terminated string of at most max bytes (incl. NUL): -EFAULT, -EINVAL if too long. */
char *strndup_user(struct task *t, unsigned long src, size_t max);

/*
 * What a mapping of a file is made of, for a front end to build it in the
 * caller's address space: pages backed by a shareable memfd (memory-like BAR
 * areas, accessed with no copy) and pages that must be trapped and emulated
 * through read/write at region_offset + page offset (registers with side effects).
 */
struct mmap_desc {
	u64 region_offset; /* file offset of the mapping's first byte */
	u64 len;
	int memfd; /* -1 when every page is trapped */
	u64 memfd_offset;
	u8 *trapped; /* bitmap, one bit per page; malloc'd, freed by the caller */
};

/*
 * What a file was opened through: the fields of the kernel's struct inode
 * that a char device's open and fstat(2) use. A file opened through a device
 * node gets S_IFCHR with the node's permissions, its number and the cdev it
 * pinned (chrdev_open, base/chrdev.c); a file on an anonymous inode gets 0600
 * and no number (anon_inode_getfile). The file keeps its own copy: a node may
 * go (a VFIO group leaving) while files opened through it stay.
 */
struct inode {
	unsigned int i_mode; /* 0 only for a file not opened through either */
	dev_t i_rdev; /* MKDEV(major, minor), base/chrdev.h */
	struct cdev *i_cdev; /* pinned until the file's last fput; NULL for anon */
};

struct file_operations {
	const char *name; /* "vfio-container", "vfio-group", "[vfio-device]" */
	/*
	 * Optional: open(2) of a device node whose cdev has these fops
	 * (chrdev_open): sets f->private_data, 0 or a negative errno (the file
	 * is then freed without a release).
	 */
	int (*open)(struct inode *inode, struct file *f);
	void (*release)(struct file *f);
	long (*ioctl)(struct file *f, struct task *t, unsigned int cmd, unsigned long arg);
	ssize_t (*read)(struct file *f, char *buf, size_t count, s64 *ppos);
	ssize_t (*write)(struct file *f, const char *buf, size_t count, s64 *ppos);
	/* mmap(2) of [offset, offset + len): validates as the kernel does and describes it. */
	int (*mmap)(struct file *f, u64 offset, u64 len, u32 prot, u32 flags,
		    struct mmap_desc *out);
	/*
	 * A trapped page of a mapping at file offset is touched (the kernel's
	 * vm_operations_struct.fault): 0 lets the access go on as a read or
	 * write there, -EFAULT makes it SIGBUS. Optional.
	 */
	int (*mmap_fault)(struct file *f, u64 offset);
	/* Optional: lseek(2) of its own (the default is an anon inode's, vfs_llseek). */
	s64 (*llseek)(struct file *f, s64 offset, int whence);
};

#define FMODE_OPENED 0x80000u /* ->open succeeded: the last fput runs ->release */

struct file {
	struct kref f_count;
	const struct file_operations *f_op;
	void *private_data;
	struct uvfio_world *world;
	struct inode f_inode; /* fixed once opened */
	unsigned int f_mode; /* FMODE_OPENED */
	struct mutex f_pos_lock;
	s64 f_pos; /* protected by f_pos_lock */
	unsigned int f_flags;
};

static inline struct inode *file_inode(struct file *f)
{
	return &f->f_inode;
}

/*
 * A file not opened yet (alloc_empty_file, fs/file_table.c): no f_op; its
 * opener fills it and sets FMODE_OPENED. An fput before that frees it with
 * no ->release.
 */
struct file *alloc_empty_file(struct uvfio_world *w, unsigned int flags);
/*
 * A file on the anonymous inode (anon_inode_getfile, fs/anon_inodes.c): what
 * VFIO's device files and KVM's VM and device files are; mode 0600, no number.
 */
struct file *anon_inode_getfile(struct uvfio_world *w, const struct file_operations *fops,
				void *priv, unsigned int flags);
static inline struct file *get_file(struct file *f)
{
	kref_get(&f->f_count);
	return f;
}
void fput(struct file *f);

long vfs_ioctl(struct file *f, struct task *t, unsigned int cmd, unsigned long arg);
ssize_t vfs_pread(struct file *f, void *buf, size_t count, s64 pos);
ssize_t vfs_pwrite(struct file *f, const void *buf, size_t count, s64 pos);
ssize_t vfs_read(struct file *f, void *buf, size_t count);
ssize_t vfs_write(struct file *f, const void *buf, size_t count);
s64 vfs_llseek(struct file *f, s64 offset, int whence);
int vfs_mmap(struct file *f, u64 offset, u64 len, u32 prot, u32 flags, struct mmap_desc *out);
int vfs_mmap_fault(struct file *f, u64 offset);

/* What fstat(2) reports of an open file: the fields of the kernel's struct kstat we have. */
struct kstat {
	unsigned int mode; /* st_mode */
	unsigned int rdev_major, rdev_minor;
};
/* vfs_getattr of the file's inode: 0, or -EBADF for a file with no inode. */
int vfs_fstat(struct file *f, struct kstat *st);

#endif /* UVFIO_CORE_BASE_FILE_H */

// SPDX-License-Identifier: MIT
/*
 * Open file descriptions and the syscall entry points on them (vfs_*): the
 * pieces of fs/ that VFIO's files need. Reading or writing at a position goes
 * to the file's read/write op; the position lock serializes plain read/write
 * as f_pos_lock does in the kernel.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>

#include "base/chrdev.h"
#include "base/file.h"

static void mm_release(struct kref *kref)
{
	struct mm_struct *mm = container_of(kref, struct mm_struct, kref);

	mm->ops->release(mm);
}

void mmput(struct mm_struct *mm)
{
	if (mm)
		kref_put(&mm->kref, mm_release);
}

char *strndup_user(struct task *t, unsigned long src, size_t max)
{
	char *buf = xzalloc(max);
	size_t len = 0;

	/*
	 * Copy in small pieces so that a string near the end of a mapping is
	 * read without touching the unmapped page after it.
	 */
	while (len < max) {
		size_t chunk = min((size_t)64, max - len);
		u64 addr = src + len;
		size_t to_page = 4096 - (addr & 4095);

		chunk = min(chunk, to_page);
		if (copy_from_user(t, buf + len, addr, chunk)) {
			free(buf);
			return ERR_PTR(-EFAULT);
		}
		if (memchr(buf + len, '\0', chunk))
			return buf;
		len += chunk;
	}
	free(buf);
	return ERR_PTR(-EINVAL);
}

struct file *alloc_empty_file(struct uvfio_world *w, unsigned int flags)
{
	struct file *f = xzalloc(sizeof(*f));

	kref_init(&f->f_count);
	f->world = w;
	f->f_flags = flags;
	mutex_init(&f->f_pos_lock, "file->f_pos_lock");
	return f;
}

/*
 * fs/anon_inodes.c: every such file shares one inode, whose mode is
 * S_IRUSR | S_IWUSR with no file type and whose number is 0; fstat(2) of a
 * VFIO device fd or a KVM VM fd shows exactly that.
 */
struct file *anon_inode_getfile(struct uvfio_world *w, const struct file_operations *fops,
				void *priv, unsigned int flags)
{
	struct file *f = alloc_empty_file(w, flags);

	f->f_inode.i_mode = S_IRUSR | S_IWUSR;
	f->f_op = fops;
	f->private_data = priv;
	f->f_mode |= FMODE_OPENED;
	return f;
}

/* __fput (fs/file_table.c): ->release, then the cdev the open pinned. */
static void file_release(struct kref *kref)
{
	struct file *f = container_of(kref, struct file, f_count);

	if (f->f_mode & FMODE_OPENED) {
		if (f->f_op->release)
			f->f_op->release(f);
		if (f->f_inode.i_cdev)
			cdev_put(f->f_inode.i_cdev);
	}
	mutex_destroy(&f->f_pos_lock);
	free(f);
}

void fput(struct file *f)
{
	if (f)
		kref_put(&f->f_count, file_release);
}

long vfs_ioctl(struct file *f, struct task *t, unsigned int cmd, unsigned long arg)
{
	/* The generic ioctls every file answers before the driver sees them. */
	switch (cmd) {
	case FIOCLEX:
	case FIONCLEX:
		return 0;
	}
	if (!f->f_op->ioctl)
		return -ENOTTY;
	return f->f_op->ioctl(f, t, cmd, arg);
}

ssize_t vfs_pread(struct file *f, void *buf, size_t count, s64 pos)
{
	if (!f->f_op->read)
		return -EINVAL;
	if (pos < 0)
		return -EINVAL;
	return f->f_op->read(f, buf, count, &pos);
}

ssize_t vfs_pwrite(struct file *f, const void *buf, size_t count, s64 pos)
{
	if (!f->f_op->write)
		return -EINVAL;
	if (pos < 0)
		return -EINVAL;
	return f->f_op->write(f, buf, count, &pos);
}

ssize_t vfs_read(struct file *f, void *buf, size_t count)
{
	ssize_t ret;
	s64 pos;

	if (!f->f_op->read)
		return -EINVAL;
	mutex_lock(&f->f_pos_lock);
	pos = f->f_pos;
	ret = f->f_op->read(f, buf, count, &pos);
	if (ret > 0)
		f->f_pos = pos;
	mutex_unlock(&f->f_pos_lock);
	return ret;
}

ssize_t vfs_write(struct file *f, const void *buf, size_t count)
{
	ssize_t ret;
	s64 pos;

	if (!f->f_op->write)
		return -EINVAL;
	mutex_lock(&f->f_pos_lock);
	pos = f->f_pos;
	ret = f->f_op->write(f, buf, count, &pos);
	if (ret > 0)
		f->f_pos = pos;
	mutex_unlock(&f->f_pos_lock);
	return ret;
}

/*
 * VFIO device files use the default llseek of anon inodes with FMODE_LSEEK:
 * SEEK_SET and SEEK_CUR move the position freely (no size), SEEK_END is
 * relative to a size of 0.
 */
s64 vfs_llseek(struct file *f, s64 offset, int whence)
{
	s64 pos;

	if (f->f_op->llseek)
		return f->f_op->llseek(f, offset, whence);

	mutex_lock(&f->f_pos_lock);
	switch (whence) {
	case 0: /* SEEK_SET */
		pos = offset;
		break;
	case 1: /* SEEK_CUR */
		/* The kernel's sum wraps negative, hence -EINVAL; here that is UB. */
		if (__builtin_add_overflow(f->f_pos, offset, &pos))
			pos = -1;
		break;
	case 2: /* SEEK_END */
		pos = offset;
		break;
	default:
		mutex_unlock(&f->f_pos_lock);
		return -EINVAL;
	}
	if (pos < 0) {
		mutex_unlock(&f->f_pos_lock);
		return -EINVAL;
	}
	f->f_pos = pos;
	mutex_unlock(&f->f_pos_lock);
	return pos;
}

int vfs_mmap(struct file *f, u64 offset, u64 len, u32 prot, u32 flags, struct mmap_desc *out)
{
	if (!f->f_op->mmap)
		return -ENODEV; /* what mmap(2) says for a file without mmap */
	return f->f_op->mmap(f, offset, len, prot, flags, out);
}

int vfs_mmap_fault(struct file *f, u64 offset)
{
	/* A file without mmap has no mapping to fault in. */
	if (!f->f_op->mmap)
		return -EFAULT;
	return f->f_op->mmap_fault ? f->f_op->mmap_fault(f, offset) : 0;
}

int vfs_fstat(struct file *f, struct kstat *st)
{
	const struct inode *inode = file_inode(f);

	memset(st, 0, sizeof(*st));
	if (!inode->i_mode)
		return -EBADF;
	st->mode = inode->i_mode;
	st->rdev_major = MAJOR(inode->i_rdev);
	st->rdev_minor = MINOR(inode->i_rdev);
	return 0;
}

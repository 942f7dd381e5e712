// SPDX-License-Identifier: MIT
/*
 * /dev/kmsg (kernel/printk/printk.c, devkmsg_*; 6.12): each read returns one
 * record in the export format and moves on; a reader the ring overtook gets
 * EPIPE once and goes on from the oldest record; lseek only to the first
 * record (SEEK_SET), the first after the last syslog CLEAR (SEEK_DATA) or
 * the end (SEEK_END), with offset 0; a write is one user message, with an
 * optional "<N>" prefix, at most 1024 bytes, 10 every 5 seconds per open
 * file (the default printk.devkmsg=ratelimit; what was dropped is counted
 * in one message at close). Facts the kernel lab showed: docs/kernel-facts.md.
 *
 * syslog(2) reaches the log through the same file: the shim's klogctl()
 * sends UVFIO_KMSG_SYSLOG on a /dev/kmsg connection (include/uvfio/uvfio-proto.h).
 */
#define pr_fmt(fmt) "printk: " fmt

#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/file.h"
#include "printk/printk.h"
#include "uvfio/uvfio-proto.h"
#include "uvfio/uvfio.h"
#include "world.h"

/* include/uapi/linux/major.h, drivers/char/mem.c: /dev/kmsg is 1:11. */
#define MEM_MAJOR 1
#define KMSG_MINOR 11

/* A record in export format: its text escaped (4 bytes a byte at most) and its dictionary. */
#define KMSG_RECORD_MAX (4 * PRINTK_RECORD_MAX + 256)

/*
 * One open /dev/kmsg. lock: seq (one reader at a time, as the kernel's
 * user->lock); outer to the world's printk_log.lock.
 */
struct devkmsg_user {
	struct mutex lock;
	u64 seq;
	struct ratelimit_state rs; /* of writes; what it drops is reported at release */
	char comm[16]; /* the opener's: who the message at release names */
};

static ssize_t devkmsg_write(struct file *f, const char *ubuf, size_t count, s64 *ppos)
{
	struct devkmsg_user *u = f->private_data;
	int level = LOGLEVEL_WARNING, facility = LOG_FACILITY_USER;
	char buf[PRINTK_RECORD_MAX + 1];
	const char *line = buf;
	(void)ppos;
	if ((f->f_flags & O_ACCMODE) == O_RDONLY)
		return -EBADF; /* the VFS: not open for writing */
	if (count > PRINTK_RECORD_MAX)
		return -EINVAL;
	if (!__ratelimit(f->world, &u->rs))
		return (ssize_t)count;
	memcpy(buf, ubuf, count);
	buf[count] = '\0';
	/* "<N>": level N & 7, facility N >> 3 unless that is the kernel's (simple_strtoul). */
	if (buf[0] == '<') {
		const char *p = buf + 1;
		unsigned int v = 0;

		while (*p >= '0' && *p <= '9')
			v = v * 10 + (unsigned int)(*p++ - '0');
		if (*p == '>') {
			level = (int)(v & 7);
			if ((v >> 3 & 0xff) != 0)
				facility = (int)(v >> 3 & 0xff);
			line = p + 1;
		}
	}
	printk_emit(f->world, facility, level, NULL, "%s", line);
	return (ssize_t)count;
}

static ssize_t devkmsg_read(struct file *f, char *buf, size_t count, s64 *ppos)
{
	struct devkmsg_user *u = f->private_data;
	struct printk_log *log = &f->world->log;
	struct printk_record *r;
	char *out = NULL;
	ssize_t ret;
	u64 seq;

	(void)ppos;
	if ((f->f_flags & O_ACCMODE) == O_WRONLY)
		return -EBADF;
	mutex_lock(&u->lock);
	mutex_lock(&log->lock);
	seq = u->seq;
	r = printk_next(log, &seq);
	if (!r) {
		if (f->f_flags & O_NONBLOCK) {
			ret = -EAGAIN;
			goto out;
		}
		ret = printk_wait(log, &u->seq);
		if (ret)
			goto out;
		seq = u->seq;
		r = printk_next(log, &seq);
	}
	if (r->seq != u->seq) {
		/* Our next record is gone: say so once, and go on from the oldest. */
		u->seq = r->seq;
		ret = -EPIPE;
		goto out;
	}
	u->seq = r->seq + 1;
	out = malloc(KMSG_RECORD_MAX);
	if (!out) {
		ret = -ENOMEM;
		goto out;
	}
	ret = (ssize_t)printk_format_ext(r, out, KMSG_RECORD_MAX);
	if ((size_t)ret > count)
		ret = -EINVAL; /* the record is consumed all the same */
	else
		memcpy(buf, out, (size_t)ret);
out:
	mutex_unlock(&log->lock);
	mutex_unlock(&u->lock);
	free(out);
	return ret;
}

static s64 devkmsg_llseek(struct file *f, s64 offset, int whence)
{
	struct devkmsg_user *u = f->private_data;
	struct printk_log *log = &f->world->log;
	s64 ret = 0;

	if (offset)
		return -ESPIPE;
	mutex_lock(&u->lock);
	mutex_lock(&log->lock);
	switch (whence) {
	case SEEK_SET:
		u->seq = printk_first_seq(log);
		break;
	case SEEK_DATA:
		u->seq = log->clear_seq; /* after the last SYSLOG_ACTION_CLEAR (dmesg -c) */
		break;
	case SEEK_END:
		u->seq = printk_next_seq(log);
		break;
	default:
		ret = -EINVAL;
	}
	mutex_unlock(&log->lock);
	mutex_unlock(&u->lock);
	return ret;
}

/* The shim's klogctl(): syslog(2) on the world's log. */
static long devkmsg_ioctl(struct file *f, struct task *t, unsigned int cmd, unsigned long arg)
{
	struct uvfio_syslog_args a;

	if (cmd != UVFIO_KMSG_SYSLOG)
		return -ENOTTY;
	if (copy_from_user(t, &a, arg, sizeof(a)))
		return -EFAULT;
	return do_syslog(f->world, t, a.type, a.buf, a.len);
}

static void devkmsg_release(struct file *f)
{
	struct devkmsg_user *u = f->private_data;

	/* ratelimit_state_exit(), expanded here as in the kernel: hence "printk: ". */
	if (u->rs.missed)
		pr_warn(f->world, "%s: %d output lines suppressed due to ratelimiting\n", u->comm,
			u->rs.missed);
	ratelimit_state_destroy(&u->rs);
	mutex_destroy(&u->lock);
	free(u);
}

/* open(2) of /dev/kmsg (devkmsg_open; flags are open(2)'s, in f->f_flags). */
static int devkmsg_open(struct inode *inode, struct file *f)
{
	const struct uvfio_writer *who = current_writer();
	struct devkmsg_user *u = xzalloc(sizeof(*u));
	struct printk_log *log = &f->world->log;

	(void)inode;
	mutex_init(&u->lock, "devkmsg_user->lock");
	ratelimit_state_init(&u->rs, true);
	snprintf(u->comm, sizeof(u->comm), "%s", who && who->comm ? who->comm : "uvfiod");
	mutex_lock(&log->lock);
	u->seq = printk_first_seq(log);
	mutex_unlock(&log->lock);
	f->private_data = u;
	return 0;
}

static const struct file_operations devkmsg_fops = {
	.name = "kmsg",
	.open = devkmsg_open,
	.release = devkmsg_release,
	.ioctl = devkmsg_ioctl,
	.read = devkmsg_read,
	.write = devkmsg_write,
	.llseek = devkmsg_llseek,
};

/*
 * chr_dev_init() (drivers/char/mem.c) registers all of major 1 ("mem") with
 * one cdev and picks a minor's fops in memory_open(); kmsg is the only memory
 * device here, so it registers its own minor: region, cdev, node "kmsg" with
 * the mode mem_devnode gives it (0644).
 */
int devkmsg_init(struct uvfio_world *w)
{
	struct cdev *cdev = &w->log.kmsg_cdev;
	dev_t devt = MKDEV(MEM_MAJOR, KMSG_MINOR);
	int ret;

	ret = register_chrdev_region(&w->chrdevs, devt, 1, "mem");
	if (ret)
		return ret;
	cdev_init(cdev, &devkmsg_fops);
	ret = cdev_add(&w->chrdevs, cdev, devt, 1);
	if (ret)
		goto err_region;
	ret = devtmpfs_create_node(&w->chrdevs, "kmsg", 0644, devt);
	if (ret)
		goto err_cdev;
	return 0;

err_cdev:
	cdev_del(cdev);
err_region:
	unregister_chrdev_region(&w->chrdevs, devt, 1);
	return ret;
}

void devkmsg_exit(struct uvfio_world *w)
{
	struct cdev *cdev = &w->log.kmsg_cdev;

	if (!cdev->registry)
		return;
	devtmpfs_delete_node(&w->chrdevs, cdev->dev);
	cdev_del(cdev);
	unregister_chrdev_region(&w->chrdevs, MKDEV(MEM_MAJOR, KMSG_MINOR), 1);
}

// SPDX-License-Identifier: MIT
/*
 * The FUSE sysfs (libfuse3 low-level API). Inode numbers map to paths of
 * the world's tree through a bounded table; everything else asks the core
 * (uvfio_sysfs_*) at the time of the request, so the tree is as live as
 * sysfs: entry and attribute timeouts are 0.
 *
 * Files behave as kernfs files: a text attribute is rendered by the read at
 * offset 0 and later reads of the same open file continue in that
 * rendering; binary attributes (config) are positional; a write hands the
 * whole buffer to the store. Opening for a direction the attribute lacks
 * fails with EACCES, truncation is ignored, and every file is direct_io so
 * the page cache never hides a new value.
 *
 * Locking: fuse->lock protects the inode table only and is never held
 * while the core runs. Workers start on demand (up to FUSE_MAX_THREADS,
 * workers.h), so a write that blocks in the core (an unbind waiting for the
 * VFIO user) occupies one thread and stalls nothing else.
 */
#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>

#include <linux/capability.h>

#include <errno.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <spawn.h>
#include <sys/mount.h>
#include <sys/wait.h>
#include <sys/sysmacros.h>
#include <time.h>
#include <unistd.h>

#include "uvfio/uvfio.h"
#include "uvfio_fuse.h"
#include "workers.h"

#define FUSE_INODES_MAX 65536 /* live inodes (looked up and not forgotten) */
#define FUSE_HASH_SIZE 16384
#define FUSE_PATH_MAX 4096
#define FUSE_MAX_THREADS 64
#define SYSFS_PAGE 4096

struct fuse_inode {
	char *path; /* NULL: free */
	u_int64_t nlookup;
	u_int64_t generation;
	int hash_next; /* index of the next inode in the bucket, -1 at the end */
};

struct uvfio_fuse {
	struct uvfio_world *w;
	struct fuse_session *se;
	struct fuse_workers *workers;
	char *mountpoint;
	struct timespec mount_time;
	uid_t uid; /* every node's owner: the daemon's user (root: the kernel's root:root) */
	gid_t gid;

	pthread_mutex_t lock; /* the inode table below */
	struct fuse_inode *inodes; /* index i is inode number i + 2; 1 is the root */
	int buckets[FUSE_HASH_SIZE];
	int free_hint;
	u_int64_t generation;
	/* Open files, so those whose RELEASE never came (unmount right after a
	 * close) are freed at unmount; protected by lock. */
	struct fuse_file *files;
};

/* An open file: the text rendered by the last read at offset 0. */
struct fuse_file {
	char path[FUSE_PATH_MAX];
	bool binary;
	bool cap_sys_admin; /* the opener's, as file_ns_capable(filp) sees it */
	pthread_mutex_t lock;
	char *page; /* NULL until the first read */
	ssize_t len;
	struct fuse_file *prev, *next; /* uvfio_fuse.files */
};

static void fuse_file_link(struct uvfio_fuse *f, struct fuse_file *ff)
{
	pthread_mutex_lock(&f->lock);
	ff->prev = NULL;
	ff->next = f->files;
	if (f->files)
		f->files->prev = ff;
	f->files = ff;
	pthread_mutex_unlock(&f->lock);
}

static void fuse_file_free(struct uvfio_fuse *f, struct fuse_file *ff)
{
	pthread_mutex_lock(&f->lock);
	if (ff->prev)
		ff->prev->next = ff->next;
	else
		f->files = ff->next;
	if (ff->next)
		ff->next->prev = ff->prev;
	pthread_mutex_unlock(&f->lock);
	pthread_mutex_destroy(&ff->lock);
	free(ff->page);
	free(ff);
}

/* An open directory: the listing taken at opendir, in fuse_add_direntry form. */
struct fuse_dir {
	char *buf;
	size_t size, cap;
};

static unsigned int path_hash(const char *s)
{
	unsigned int h = 5381;

	while (*s)
		h = h * 33 + (unsigned char)*s++;
	return h % FUSE_HASH_SIZE;
}

/* Copies the path of ino into buf; false if ino is unknown. */
static bool ino_path(struct uvfio_fuse *f, fuse_ino_t ino, char *buf, size_t size)
{
	bool ok = false;

	if (ino == FUSE_ROOT_ID) {
		snprintf(buf, size, "/");
		return true;
	}
	pthread_mutex_lock(&f->lock);
	if (ino >= 2 && ino - 2 < FUSE_INODES_MAX && f->inodes[ino - 2].path) {
		snprintf(buf, size, "%s", f->inodes[ino - 2].path);
		ok = true;
	}
	pthread_mutex_unlock(&f->lock);
	return ok;
}

/* The inode of path, created if needed, with one more lookup; 0 when the table is full. */
static fuse_ino_t ino_get(struct uvfio_fuse *f, const char *path, u_int64_t *generation)
{
	unsigned int h = path_hash(path);
	fuse_ino_t ino = 0;
	int i;

	pthread_mutex_lock(&f->lock);
	for (i = f->buckets[h]; i >= 0; i = f->inodes[i].hash_next)
		if (!strcmp(f->inodes[i].path, path))
			break;
	if (i < 0) {
		for (int n = 0; n < FUSE_INODES_MAX; n++) {
			int j = (f->free_hint + n) % FUSE_INODES_MAX;

			if (!f->inodes[j].path) {
				i = j;
				break;
			}
		}
		if (i >= 0) {
			f->free_hint = (i + 1) % FUSE_INODES_MAX;
			f->inodes[i].path = strdup(path);
			if (!f->inodes[i].path) {
				i = -1;
			} else {
				f->inodes[i].nlookup = 0;
				f->inodes[i].generation = ++f->generation;
				f->inodes[i].hash_next = f->buckets[h];
				f->buckets[h] = i;
			}
		}
	}
	if (i >= 0) {
		f->inodes[i].nlookup++;
		*generation = f->inodes[i].generation;
		ino = (fuse_ino_t)i + 2;
	}
	pthread_mutex_unlock(&f->lock);
	return ino;
}

static void ino_forget(struct uvfio_fuse *f, fuse_ino_t ino, u_int64_t nlookup)
{
	struct fuse_inode *in;

	if (ino < 2 || ino - 2 >= FUSE_INODES_MAX)
		return;
	pthread_mutex_lock(&f->lock);
	in = &f->inodes[ino - 2];
	if (in->path) {
		in->nlookup -= nlookup < in->nlookup ? nlookup : in->nlookup;
		if (!in->nlookup) {
			int *pp = &f->buckets[path_hash(in->path)];

			while (*pp != (int)(ino - 2))
				pp = &f->inodes[*pp].hash_next;
			*pp = in->hash_next;
			free(in->path);
			in->path = NULL;
		}
	}
	pthread_mutex_unlock(&f->lock);
}

static void fill_stat(struct uvfio_fuse *f, const struct uvfio_sysfs_stat *st, struct stat *out)
{
	static const mode_t types[] = {
		[UVFIO_SYSFS_DIR] = S_IFDIR,
		[UVFIO_SYSFS_REG] = S_IFREG,
		[UVFIO_SYSFS_LNK] = S_IFLNK,
		[UVFIO_SYSFS_CHR] = S_IFCHR,
	};

	memset(out, 0, sizeof(*out));
	out->st_mode = types[st->type] | st->mode;
	out->st_uid = f->uid;
	out->st_gid = f->gid;
	out->st_nlink = st->type == UVFIO_SYSFS_DIR ? 2 : 1;
	out->st_size = (off_t)st->size;
	out->st_blksize = SYSFS_PAGE;
	if (st->type == UVFIO_SYSFS_CHR)
		out->st_rdev = makedev(st->rdev_major, st->rdev_minor);
	out->st_atim = out->st_mtim = out->st_ctim = f->mount_time;
}

static bool child_path(const char *parent, const char *name, char *buf, size_t size)
{
	int n = snprintf(buf, size, "%s/%s", strcmp(parent, "/") ? parent : "", name);

	return n > 0 && (size_t)n < size;
}

static void uf_lookup(fuse_req_t req, fuse_ino_t parent, const char *name)
{
	struct uvfio_fuse *f = fuse_req_userdata(req);
	char dir[FUSE_PATH_MAX], path[FUSE_PATH_MAX];
	struct fuse_entry_param e = { 0 };
	struct uvfio_sysfs_stat st;
	int ret;

	if (!ino_path(f, parent, dir, sizeof(dir)))
		return (void)fuse_reply_err(req, ESTALE);
	if (!child_path(dir, name, path, sizeof(path)))
		return (void)fuse_reply_err(req, ENAMETOOLONG);
	ret = uvfio_sysfs_stat(f->w, path, &st);
	if (ret)
		return (void)fuse_reply_err(req, -ret);
	e.ino = ino_get(f, path, &e.generation);
	if (!e.ino)
		return (void)fuse_reply_err(req, ENFILE);
	fill_stat(f, &st, &e.attr);
	e.attr.st_ino = e.ino;
	if (fuse_reply_entry(req, &e))
		ino_forget(f, e.ino, 1); /* the kernel did not take the reference */
}

static void uf_forget(fuse_req_t req, fuse_ino_t ino, u_int64_t nlookup)
{
	ino_forget(fuse_req_userdata(req), ino, nlookup);
	fuse_reply_none(req);
}

static void uf_forget_multi(fuse_req_t req, size_t count, struct fuse_forget_data *forgets)
{
	for (size_t i = 0; i < count; i++)
		ino_forget(fuse_req_userdata(req), forgets[i].ino, forgets[i].nlookup);
	fuse_reply_none(req);
}

static void uf_getattr(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct uvfio_fuse *f = fuse_req_userdata(req);
	char path[FUSE_PATH_MAX];
	struct uvfio_sysfs_stat st;
	struct stat out;
	int ret;

	if (!ino_path(f, ino, path, sizeof(path)))
		return (void)fuse_reply_err(req, ESTALE);
	ret = uvfio_sysfs_stat(f->w, path, &st);
	if (ret)
		return (void)fuse_reply_err(req, -ret);
	fill_stat(f, &st, &out);
	out.st_ino = ino;
	fuse_reply_attr(req, &out, 0);
}

/* sysfs ignores truncation and mode changes: `echo x > attr` truncates first. */
static void uf_setattr(fuse_req_t req, fuse_ino_t ino, struct stat *attr, int to_set,
		       struct fuse_file_info *fi)
{
	uf_getattr(req, ino, fi);
}

static void uf_readlink(fuse_req_t req, fuse_ino_t ino)
{
	struct uvfio_fuse *f = fuse_req_userdata(req);
	char path[FUSE_PATH_MAX], target[FUSE_PATH_MAX];
	ssize_t n;

	if (!ino_path(f, ino, path, sizeof(path)))
		return (void)fuse_reply_err(req, ESTALE);
	n = uvfio_sysfs_readlink(f->w, path, target, sizeof(target) - 1);
	if (n < 0)
		return (void)fuse_reply_err(req, (int)-n);
	target[n] = '\0';
	fuse_reply_readlink(req, target);
}

struct dir_fill {
	struct uvfio_fuse *f;
	fuse_req_t req;
	struct fuse_dir *d;
};

static void dir_add(struct dir_fill *df, const char *name, const struct stat *st)
{
	size_t need = fuse_add_direntry(df->req, NULL, 0, name, NULL, 0);

	if (df->d->size + need > df->d->cap) {
		size_t cap = (df->d->cap ? df->d->cap * 2 : 4096) + need;
		char *buf = realloc(df->d->buf, cap);

		if (!buf)
			return;
		df->d->buf = buf;
		df->d->cap = cap;
	}
	fuse_add_direntry(df->req, df->d->buf + df->d->size, need, name, st,
			  (off_t)(df->d->size + need));
	df->d->size += need;
}

static int dir_fill_one(void *arg, const char *name, const struct uvfio_sysfs_stat *st)
{
	struct dir_fill *df = arg;
	struct stat out;

	fill_stat(df->f, st, &out);
	/* Not the inode lookup will assign, but non-zero: readdir(3) skips d_ino 0. */
	out.st_ino = ((fuse_ino_t)1 << 32) + df->d->size;
	dir_add(df, name, &out);
	return 0;
}

static void uf_opendir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct uvfio_fuse *f = fuse_req_userdata(req);
	struct fuse_dir *d = calloc(1, sizeof(*d));
	struct dir_fill df = { f, req, d };
	char path[FUSE_PATH_MAX];
	struct stat dot = { .st_mode = S_IFDIR };
	int ret;

	if (!d)
		return (void)fuse_reply_err(req, ENOMEM);
	if (!ino_path(f, ino, path, sizeof(path))) {
		free(d);
		return (void)fuse_reply_err(req, ESTALE);
	}
	dir_add(&df, ".", &dot);
	dir_add(&df, "..", &dot);
	ret = uvfio_sysfs_readdir(f->w, path, dir_fill_one, &df);
	if (ret) {
		free(d->buf);
		free(d);
		return (void)fuse_reply_err(req, -ret);
	}
	fi->fh = (uintptr_t)d;
	if (fuse_reply_open(req, fi)) {
		free(d->buf);
		free(d);
	}
}

static void uf_readdir(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		       struct fuse_file_info *fi)
{
	struct fuse_dir *d = (struct fuse_dir *)(uintptr_t)fi->fh;

	if (off < 0 || (size_t)off >= d->size)
		return (void)fuse_reply_buf(req, NULL, 0);
	/* Entries are whole: the offsets are entry boundaries, cut at one too. */
	{
		size_t end = (size_t)off, next = (size_t)off;
		char *copy;

		while (next < d->size) {
			const struct fuse_dirent {
				u_int64_t ino, off;
				u_int32_t namelen, type;
			} *de = (const void *)(d->buf + next);

			if (de->off - (size_t)off > size)
				break;
			next = de->off;
			end = next;
		}
		/*
		 * Reply from a private copy, as uf_read does: once the reply is on its
		 * way the caller may close the directory, and RELEASEDIR (another
		 * thread) frees d before writev returns.
		 */
		copy = malloc(end - (size_t)off + 1);
		if (!copy)
			return (void)fuse_reply_err(req, ENOMEM);
		memcpy(copy, d->buf + off, end - (size_t)off);
		fuse_reply_buf(req, copy, end - (size_t)off);
		free(copy);
	}
}

static void uf_releasedir(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct fuse_dir *d = (struct fuse_dir *)(uintptr_t)fi->fh;

	free(d->buf);
	free(d);
	fuse_reply_err(req, 0);
}

/*
 * Whether the opener (pid) has CAP_SYS_ADMIN in our user namespace: its
 * effective set, and the namespace it runs in (file_ns_capable(filp,
 * &init_user_ns, ...) in the kernel). A process we cannot read does not.
 */
static bool opener_cap_sys_admin(pid_t pid)
{
	char path[64], line[128];
	unsigned long long eff = 0;
	struct stat ours, theirs;
	bool found = false;
	FILE *f;

	snprintf(path, sizeof(path), "/proc/%d/ns/user", (int)pid);
	if (stat(path, &theirs) || stat("/proc/self/ns/user", &ours) ||
	    theirs.st_ino != ours.st_ino || theirs.st_dev != ours.st_dev)
		return false;
	snprintf(path, sizeof(path), "/proc/%d/status", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return false;
	while (!found && fgets(line, sizeof(line), f))
		found = sscanf(line, "CapEff: %llx", &eff) == 1;
	fclose(f);
	return found && (eff >> CAP_SYS_ADMIN & 1);
}

static void uf_open(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	struct uvfio_fuse *f = fuse_req_userdata(req);
	struct uvfio_sysfs_stat st;
	struct fuse_file *ff;
	char path[FUSE_PATH_MAX];
	int acc = fi->flags & O_ACCMODE, ret;

	if (!ino_path(f, ino, path, sizeof(path)))
		return (void)fuse_reply_err(req, ESTALE);
	ret = uvfio_sysfs_stat(f->w, path, &st);
	if (ret)
		return (void)fuse_reply_err(req, -ret);
	if (st.type == UVFIO_SYSFS_DIR)
		return (void)fuse_reply_err(req, EISDIR);
	if (st.type != UVFIO_SYSFS_REG)
		return (void)fuse_reply_err(req, ENXIO); /* device nodes are opened by the shim */
	if (((acc == O_RDONLY || acc == O_RDWR) && !st.readable) ||
	    ((acc == O_WRONLY || acc == O_RDWR) && !st.writable))
		return (void)fuse_reply_err(req, EACCES);
	ff = calloc(1, sizeof(*ff));
	if (!ff)
		return (void)fuse_reply_err(req, ENOMEM);
	snprintf(ff->path, sizeof(ff->path), "%s", path);
	ff->binary = st.binary;
	/* Only binary attributes (config) look at it: text opens read no /proc. */
	ff->cap_sys_admin = st.binary && opener_cap_sys_admin(fuse_req_ctx(req)->pid);
	pthread_mutex_init(&ff->lock, NULL);
	fi->fh = (uintptr_t)ff;
	fi->direct_io = 1;
	fi->keep_cache = 0;
	fuse_file_link(f, ff);
	if (fuse_reply_open(req, fi))
		fuse_file_free(f, ff);
}

static void uf_read(fuse_req_t req, fuse_ino_t ino, size_t size, off_t off,
		    struct fuse_file_info *fi)
{
	struct uvfio_fuse *f = fuse_req_userdata(req);
	struct fuse_file *ff = (struct fuse_file *)(uintptr_t)fi->fh;
	char *buf;
	ssize_t n;

	if (ff->binary) {
		buf = malloc(size ? size : 1);
		if (!buf)
			return (void)fuse_reply_err(req, ENOMEM);
		n = uvfio_sysfs_pread_as(f->w, ff->cap_sys_admin, ff->path, buf, size, off);
		if (n < 0)
			fuse_reply_err(req, (int)-n);
		else
			fuse_reply_buf(req, buf, (size_t)n);
		free(buf);
		return;
	}
	/* Text: render at offset 0 (or on the first read), then serve the rendering. */
	buf = malloc(SYSFS_PAGE);
	if (!buf)
		return (void)fuse_reply_err(req, ENOMEM);
	pthread_mutex_lock(&ff->lock);
	if (off == 0 || !ff->page) {
		pthread_mutex_unlock(&ff->lock);
		n = uvfio_sysfs_pread(f->w, ff->path, buf, SYSFS_PAGE, 0);
		if (n < 0) {
			free(buf);
			return (void)fuse_reply_err(req, (int)-n);
		}
		pthread_mutex_lock(&ff->lock);
		free(ff->page);
		ff->page = buf;
		ff->len = n;
		buf = NULL;
	}
	/*
	 * Reply from a private copy: once the reply is on its way the caller may close
	 * the file, and RELEASE (another thread) frees ff before writev returns.
	 */
	n = off >= ff->len ? 0 : ff->len - (ssize_t)off;
	if (n > (ssize_t)size)
		n = (ssize_t)size;
	if (n > 0) {
		if (!buf)
			buf = malloc(SYSFS_PAGE);
		if (buf)
			memcpy(buf, ff->page + off, (size_t)n);
	}
	pthread_mutex_unlock(&ff->lock);
	if (n > 0 && !buf)
		fuse_reply_err(req, ENOMEM);
	else
		fuse_reply_buf(req, buf, n > 0 ? (size_t)n : 0);
	free(buf);
}

static int uf_req_interrupted(void *arg)
{
	return fuse_req_interrupted(arg);
}

/*
 * The whole buffer goes to the store; this may block for as long as the core
 * does. The writer is the process the kernel names in the request; a signal it
 * gets reaches us as a FUSE INTERRUPT, which the core sees through interrupted().
 */
static void uf_write(fuse_req_t req, fuse_ino_t ino, const char *buf, size_t size, off_t off,
		     struct fuse_file_info *fi)
{
	struct uvfio_fuse *f = fuse_req_userdata(req);
	struct fuse_file *ff = (struct fuse_file *)(uintptr_t)fi->fh;
	char comm[32] = "", path[64];
	struct uvfio_writer who = {
		.pid = fuse_req_ctx(req)->pid,
		.comm = comm,
		.interrupted = uf_req_interrupted,
		.arg = req,
	};
	FILE *cf;
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/%d/comm", (int)who.pid);
	cf = fopen(path, "re");
	if (cf) {
		if (fgets(comm, sizeof(comm), cf))
			comm[strcspn(comm, "\n")] = '\0';
		fclose(cf);
	}
	n = uvfio_sysfs_pwrite_as(f->w, &who, ff->path, buf, size, off);

	if (n < 0)
		fuse_reply_err(req, (int)-n);
	else
		fuse_reply_write(req, (size_t)n);
}

static void uf_release(fuse_req_t req, fuse_ino_t ino, struct fuse_file_info *fi)
{
	fuse_file_free(fuse_req_userdata(req), (struct fuse_file *)(uintptr_t)fi->fh);
	fuse_reply_err(req, 0);
}

static void uf_init(void *userdata, struct fuse_conn_info *conn)
{
	/* O_TRUNC needs no setattr round trip; sysfs ignores it anyway. */
	if (conn->capable & FUSE_CAP_ATOMIC_O_TRUNC)
		conn->want |= FUSE_CAP_ATOMIC_O_TRUNC;
}

static const struct fuse_lowlevel_ops uvfio_fuse_ops = {
	.init = uf_init,
	.lookup = uf_lookup,
	.forget = uf_forget,
	.forget_multi = uf_forget_multi,
	.getattr = uf_getattr,
	.setattr = uf_setattr,
	.readlink = uf_readlink,
	.opendir = uf_opendir,
	.readdir = uf_readdir,
	.releasedir = uf_releasedir,
	.open = uf_open,
	.read = uf_read,
	.write = uf_write,
	.release = uf_release,
};

static void uvfio_fuse_free(struct uvfio_fuse *f)
{
	if (f->inodes)
		for (int i = 0; i < FUSE_INODES_MAX; i++)
			free(f->inodes[i].path);
	free(f->inodes);
	free(f->mountpoint);
	pthread_mutex_destroy(&f->lock);
	free(f);
}

static struct fuse_session *uvfio_fuse_session(struct uvfio_fuse *f, bool allow_other)
{
	char prog[] = "uvfiod", dash_o[] = "-o", opts[96];
	char *argv[] = { prog, dash_o, opts, NULL };
	struct fuse_args args = FUSE_ARGS_INIT(3, argv);
	struct fuse_session *se;

	/*
	 * default_permissions: the kernel checks each access against the modes
	 * and owners getattr reports, as it does for sysfs (a 0200 root file is
	 * root's to write), before a request reaches us.
	 */
	snprintf(opts, sizeof(opts), "fsname=uvfio-sysfs,subtype=uvfio,default_permissions%s",
		 allow_other ? ",allow_other" : "");
	se = fuse_session_new(&args, &uvfio_fuse_ops, sizeof(uvfio_fuse_ops), f);

	fuse_opt_free_args(&args);
	if (se && fuse_session_mount(se, f->mountpoint)) {
		fuse_session_destroy(se);
		se = NULL;
	}
	return se;
}

int uvfio_fuse_detach_dead(const char *mountpoint)
{
	/* clang-format off */
	char *argv[] = { (char *)"fusermount3", (char *)"-u", (char *)"-q",
			 (char *)"-z", (char *)"--", (char *)mountpoint, NULL };
	/* clang-format on */
	struct stat st;
	int status;
	pid_t pid;

	if (!stat(mountpoint, &st) || errno != ENOTCONN)
		return 0;
	if (!umount2(mountpoint, MNT_DETACH))
		return 0;
	/* A user's mount: fusermount3 detaches the mounts it made for this user. */
	if (posix_spawnp(&pid, "fusermount3", NULL, NULL, argv, environ))
		return -ENOTCONN;
	while (waitpid(pid, &status, 0) < 0)
		if (errno != EINTR)
			return -ENOTCONN;
	return WIFEXITED(status) && !WEXITSTATUS(status) ? 0 : -ENOTCONN;
}

/* A request after a close sees the close's release, as on Linux (uvfio.h). */
static void settle_world(void *w)
{
	uvfio_world_settle(w);
}

int uvfio_fuse_mount(struct uvfio_world *w, const char *mountpoint, struct uvfio_fuse **out)
{
	struct uvfio_fuse *f = calloc(1, sizeof(*f));
	int ret;

	if (!f)
		return -ENOMEM;
	/* What a daemon killed on this directory left: its dead mount. */
	uvfio_fuse_detach_dead(mountpoint);
	pthread_mutex_init(&f->lock, NULL);
	f->w = w;
	f->inodes = calloc(FUSE_INODES_MAX, sizeof(*f->inodes));
	f->mountpoint = strdup(mountpoint);
	if (!f->inodes || !f->mountpoint) {
		uvfio_fuse_free(f);
		return -ENOMEM;
	}
	memset(f->buckets, 0xff, sizeof(f->buckets)); /* -1: empty */
	clock_gettime(CLOCK_REALTIME, &f->mount_time);
	f->uid = geteuid();
	f->gid = getegid();

	/* allow_other lets other users in (root may always ask; others need fuse.conf). */
	f->se = uvfio_fuse_session(f, geteuid() == 0);
	if (!f->se)
		f->se = uvfio_fuse_session(f, false);
	if (!f->se) {
		uvfio_fuse_free(f);
		return -EIO;
	}
	ret = fuse_workers_start(f->se, FUSE_MAX_THREADS, settle_world, f->w, &f->workers);
	if (ret) {
		fuse_session_unmount(f->se);
		fuse_session_destroy(f->se);
		uvfio_fuse_free(f);
		return ret;
	}
	*out = f;
	return 0;
}

void uvfio_fuse_unmount(struct uvfio_fuse *f)
{
	if (!f)
		return;
	/*
	 * Stop the workers after the requests they run, then let libfuse close
	 * /dev/fuse and detach the mount: copies of it in other namespaces
	 * (uvfio run's sandboxes) answer ENOTCONN from then on instead of
	 * keeping us waiting. Not the reverse: libfuse closes the descriptor
	 * the workers poll.
	 */
	fuse_session_exit(f->se);
	fuse_workers_stop(f->workers);
	fuse_session_unmount(f->se);
	fuse_session_destroy(f->se);
	while (f->files)
		fuse_file_free(f, f->files);
	uvfio_fuse_free(f);
}

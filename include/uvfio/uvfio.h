/* SPDX-License-Identifier: MIT */
/*
 * uvfio: the Linux VFIO framework in userspace. This is the core library's
 * public API: build a world from a machine description, and drive it the way a
 * program drives a Linux host: open /dev/vfio nodes, ioctl, pread/pwrite,
 * close, and write sysfs attributes. Every call has the kernel's semantics and
 * errnos (Linux 6.12). Functions that mirror a syscall return -1 and set errno;
 * the others return 0 or a negative errno.
 */
#ifndef UVFIO_UVFIO_H
#define UVFIO_UVFIO_H

#include <stdbool.h>
#include <stdio.h>
#include <sys/types.h>

#ifdef __cplusplus
extern "C" {
#endif

struct uvfio_machine;
struct uvfio_world;
struct uvfio_proc;

/* Machine descriptions (docs/machine-format.md). Errors name the line: "file:3: ...". */
int uvfio_machine_parse(const char *text, const char *source, struct uvfio_machine **out, char *err,
			size_t errlen);
int uvfio_machine_load(const char *path, struct uvfio_machine **out, char *err, size_t errlen);
/* The built-in default machine (QEMU q35 with edu, two e1000 behind a PCIe-to-PCI bridge, ICH9). */
struct uvfio_machine *uvfio_machine_default(void);
/* The default machine's description text. */
const char *uvfio_machine_default_text(void);
void uvfio_machine_free(struct uvfio_machine *m);

int uvfio_world_create(const struct uvfio_machine *m, struct uvfio_world **out, char *err,
		       size_t errlen);
/* Releases everything in kernel order; open files of procs must be closed first. */
void uvfio_world_destroy(struct uvfio_world *w);
/* Prints devices (by bus), IOMMU groups and drivers as a tree. */
void uvfio_world_print_tree(struct uvfio_world *w, FILE *out);
/* Waits until the device models' pending work that is due now has run. */
void uvfio_world_flush(struct uvfio_world *w);

/*
 * Trace: every sysfs write (and, from front ends, every uAPI call) is reported
 * as one JSON object per line to fn. Set once, before the world is shared.
 */
void uvfio_world_set_trace(struct uvfio_world *w, void (*fn)(void *arg, const char *line),
			   void *arg);
/*
 * Whether someone listens to the per-access events too: a device's DMA
 * ({"op":"dma"}), the interrupts it signals ({"op":"irq"}). Off by default:
 * they cost a formatted line each.
 */
void uvfio_world_set_tracing(struct uvfio_world *w, bool on);

/*
 * Settling: on Linux the release of a file runs before the close() of its
 * last descriptor returns (and before a dead process's parent can wait() for
 * it), so any later call sees it. A front end that learns of closes
 * asynchronously (the daemon: a session's socket hangs up) names in fn how
 * to wait for the releases already caused; every front end calls
 * uvfio_world_settle() before it serves a request. Set once, before the
 * world is shared.
 */
void uvfio_world_set_settle(struct uvfio_world *w, void (*fn)(void *arg), void *arg);
void uvfio_world_settle(struct uvfio_world *w);

/*
 * sysfs, by path ("/sys/bus/pci/drivers/vfio-pci/bind", ...): the kernel's
 * effects and errnos on writes, its exact text on reads. Returns the count
 * written or read, or a negative errno. Writes may block as the kernel's do.
 */
ssize_t uvfio_sysfs_write(struct uvfio_world *w, const char *path, const void *buf, size_t len);
ssize_t uvfio_sysfs_read(struct uvfio_world *w, const char *path, void *buf, size_t size);
/* Target of a sysfs symlink ("../../../bus/pci/drivers/e1000"); negative errno if none. */
ssize_t uvfio_sysfs_readlink(struct uvfio_world *w, const char *path, char *buf, size_t size);

/*
 * The whole tree, for front ends that serve it as a filesystem (the FUSE
 * sysfs): "/sys/..." as the kernel's sysfs, and "/dev/vfio/..." (the device
 * nodes: /dev/vfio/vfio and one per VFIO group). "/" holds "sys" and "dev".
 * Paths are absolute; symlinks inside a path are followed as the kernel's VFS
 * would, the last component is not (lstat semantics).
 */
enum uvfio_sysfs_type {
	UVFIO_SYSFS_DIR,
	UVFIO_SYSFS_REG,
	UVFIO_SYSFS_LNK,
	UVFIO_SYSFS_CHR,
};

struct uvfio_sysfs_stat {
	enum uvfio_sysfs_type type;
	unsigned int mode; /* permission bits as root sees them: 0444, 0644, 0200, 0777 ... */
	unsigned long long size; /* 4096 for text attributes; binary: config 256/4096, BAR size */
	unsigned int rdev_major, rdev_minor; /* UVFIO_SYSFS_CHR */
	int readable, writable; /* what opening it for reading/writing allows (kernfs: EACCES) */
	int binary; /* positional (config, resourceN, rom); text attributes render whole */
};

/* 0 or a negative errno (-ENOENT, -ENOTDIR, -ELOOP, -ENAMETOOLONG). */
int uvfio_sysfs_stat(struct uvfio_world *w, const char *path, struct uvfio_sysfs_stat *st);

/*
 * Lists a directory in a stable order (without "." and ".."), calling fn for
 * each entry with no lock held; a non-zero return from fn stops the walk and
 * is returned. 0 or a negative errno (-ENOTDIR, -ENOENT ...).
 */
typedef int (*uvfio_sysfs_filldir_t)(void *arg, const char *name,
				     const struct uvfio_sysfs_stat *st);
int uvfio_sysfs_readdir(struct uvfio_world *w, const char *path, uvfio_sysfs_filldir_t fn,
			void *arg);

/*
 * Positional read of an attribute (the path's last symlink is followed):
 * text attributes are rendered at each call and sliced at off, binary ones
 * (config) read at off. Returns the count or a negative errno.
 */
ssize_t uvfio_sysfs_pread(struct uvfio_world *w, const char *path, void *buf, size_t size,
			  long long off);
/*
 * uvfio_sysfs_pread with the credentials the file was opened with, as the
 * kernel's attributes check them (file_ns_capable(filp, ...)): a PCI
 * function's config reads as 64 bytes (a CardBus bridge's as 128) to an
 * opener without CAP_SYS_ADMIN. uvfio_sysfs_pread reads as a privileged opener.
 */
ssize_t uvfio_sysfs_pread_as(struct uvfio_world *w, bool cap_sys_admin, const char *path, void *buf,
			     size_t size, long long off);
/* Positional write: binary attributes (config) at off; text attributes ignore off. */
ssize_t uvfio_sysfs_pwrite(struct uvfio_world *w, const char *path, const void *buf, size_t len,
			   long long off);

/*
 * Who writes a sysfs attribute: the kernel's `current` for the store. pid and
 * comm name the writer in traces and in the kernel's messages ("task \"bash\"
 * (1234) blocked until device is released"); interrupted(arg), if set, says
 * whether a signal interrupted the writer (a FUSE INTERRUPT, a control client
 * that went away): a blocked unbind or remove then logs it and keeps waiting,
 * as the kernel does.
 */
struct uvfio_writer {
	pid_t pid;
	const char *comm;
	int (*interrupted)(void *arg);
	void *arg;
};

/* uvfio_sysfs_pwrite on behalf of who (NULL: the daemon itself). */
ssize_t uvfio_sysfs_pwrite_as(struct uvfio_world *w, const struct uvfio_writer *who,
			      const char *path, const void *buf, size_t len, long long off);

/*
 * Hot-plug. unplug takes the function (a bridge: with everything below it) out
 * of the machine as an orderly hot-removal does (pci_stop_and_remove_bus_device:
 * its driver is released, which for vfio-pci asks the user with REQ and waits
 * until every device file is closed); rescans do not find it until plug puts it
 * back and rescans its bus. 0 or a negative errno (-ENODEV: no such function;
 * -EEXIST: plug of a function that is present).
 */
int uvfio_pci_unplug(struct uvfio_world *w, const char *bdf, const struct uvfio_writer *who);
int uvfio_pci_plug(struct uvfio_world *w, const char *bdf);

/*
 * Mediated-device parents (docs/mdev.md). add instantiates the vendor model
 * `model` ("mtty") as a parent named name, with the model's "key=value ..."
 * params (NULL: none): -EEXIST for a name in use, -ENOENT for an unknown
 * model, -EINVAL for bad params (a one-line reason in err). remove unregisters
 * the parent: creates and removes in flight finish first, new ones fail
 * ENODEV, and each instance is removed, which waits for its VFIO user as an
 * unbind does (who: as for uvfio_pci_unplug). -ENODEV: no such parent.
 */
int uvfio_mdev_parent_add(struct uvfio_world *w, const char *model, const char *name,
			  const char *params, char *err, size_t errlen);
int uvfio_mdev_parent_remove(struct uvfio_world *w, const char *name,
			     const struct uvfio_writer *who);

/*
 * The VFIO device-request cadence: vfio_unregister_group_dev asks the user again
 * every ms milliseconds (the kernel's 10 s by default; tests shorten it).
 */
void uvfio_world_set_request_interval(struct uvfio_world *w, unsigned int ms);

/* A device unregistration waiting for its user (`uvfio tree`). */
struct uvfio_blocked {
	char dev[64]; /* "0000:00:03.0" */
	pid_t writer_pid; /* who unbinds/removes (0: the daemon) */
	char writer_comm[16];
	unsigned int requests; /* REQ signals sent so far */
	unsigned long long since_ms; /* how long it has waited */
};

/* Fills up to max entries; returns how many unregistrations wait. */
int uvfio_world_blocked(struct uvfio_world *w, struct uvfio_blocked *out, int max);

/*
 * An in-process caller: a process of its own with a descriptor table, whose
 * memory is this process's memory. Descriptor numbers are real, reserved
 * descriptors of this process, so they never collide with the caller's own
 * (eventfds, memfds) and leak checks see them.
 */
struct uvfio_proc_opts {
	unsigned long long rlimit_memlock; /* bytes; 0 = this process's RLIMIT_MEMLOCK */
	int cap_ipc_lock; /* -1: from this process's capabilities; 0 no; 1 yes */
};

struct uvfio_proc *uvfio_proc_new(struct uvfio_world *w, const struct uvfio_proc_opts *opts);
/* Closes every descriptor still open (what process exit does) and frees the proc. */
void uvfio_proc_free(struct uvfio_proc *p);

int uvfio_open(struct uvfio_proc *p, const char *path, int flags);
int uvfio_close(struct uvfio_proc *p, int fd);
int uvfio_dup(struct uvfio_proc *p, int fd);
int uvfio_ioctl(struct uvfio_proc *p, int fd, unsigned long request, ...);
ssize_t uvfio_pread(struct uvfio_proc *p, int fd, void *buf, size_t count, off_t offset);
ssize_t uvfio_pwrite(struct uvfio_proc *p, int fd, const void *buf, size_t count, off_t offset);
ssize_t uvfio_read(struct uvfio_proc *p, int fd, void *buf, size_t count);
ssize_t uvfio_write(struct uvfio_proc *p, int fd, const void *buf, size_t count);
off_t uvfio_lseek(struct uvfio_proc *p, int fd, off_t offset, int whence);

#ifdef __cplusplus
}
#endif

#endif /* UVFIO_UVFIO_H */

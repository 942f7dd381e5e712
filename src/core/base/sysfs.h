/* SPDX-License-Identifier: MIT */
/*
 * The sysfs engine (base/sysfs.c), the kernel's kernfs for uvfio: it walks
 * paths, follows symlinks, stats, lists, reads and writes, and knows no
 * subsystem. Subsystems describe their directories with the types below and
 * hang them into the tree (docs/design.md, "Layering"):
 *
 *   - a directory is a struct sysfs_dir: attribute tables (files, symlinks,
 *     subdirectories, device nodes) plus optional dynamic children, listed
 *     and looked up on demand;
 *   - the top-level directories (/sys/bus, /sys/class, /sys/devices,
 *     /sys/devices/virtual, /sys/kernel, /sys/module, /dev) and every device's
 *     directory take providers: a subsystem registers a directory whose
 *     entries are added there (sysfs_add_provider), with the data its
 *     callbacks get in ctx->data;
 *   - a device's own directory comes from its bus type (bus_type.dev_dir),
 *     the bus core's from base/bus.c, a class device's from base/class.c.
 *
 * Nothing is stored: a path resolves component by component to a node, a
 * directory plus the objects it is about, and each attribute renders or
 * stores when it is used. Writes may block (an unbind waits for the VFIO
 * user); the engine holds no lock then.
 */
#ifndef UVFIO_CORE_BASE_SYSFS_H
#define UVFIO_CORE_BASE_SYSFS_H

#include <stdbool.h>
#include <sys/stat.h>
#include <sys/types.h>

#include "shared/list.h"
#include "shared/macro.h"

struct device;
struct sysfs_dir;
struct sysfs_root;
struct uvfio_sysfs_stat;
struct uvfio_world;

#define SYSFS_PAGE 4096
#define SYSFS_PATH_MAX 4096
#define SYSFS_NAME_MAX 64
#define SYSFS_MAX_LINKS 40

/* How a context holds its object: a reference taken and dropped by these. */
struct sysfs_ref_ops {
	void (*get)(void *obj);
	void (*put)(void *obj);
};

/*
 * A directory and the objects its entries are about. dev and obj are
 * references (taken when a lookup fills a node, dropped with it); data is
 * not, and outlives the node (a bus, a module's parameters, a type of the
 * referenced mdev parent).
 */
struct sysfs_ctx {
	struct uvfio_world *w; /* opaque to the engine; for the attributes */
	struct sysfs_root *root;
	const struct sysfs_dir *dir;
	struct device *dev;
	void *obj;
	const struct sysfs_ref_ops *obj_ops;
	void *data;
	int id; /* a group id, a vfioN index */
	unsigned int minor;
	long arg; /* the attribute's arg while one of its methods runs */
	bool cap_sys_admin; /* a read's opener may (file_ns_capable(filp, CAP_SYS_ADMIN)) */
	char name[SYSFS_NAME_MAX]; /* a class name, a driver name */
};

/* An entry of a directory: a file, a symlink, a subdirectory or a device node. */
struct sysfs_attr {
	const char *name;
	unsigned int mode; /* S_IFREG | 0444 ... */
	const struct sysfs_dir *dir; /* S_IFDIR: the subdirectory */
	bool (*visible)(struct sysfs_ctx *c);
	/* Text: renders into buf (SYSFS_PAGE bytes); returns the length or -errno. */
	ssize_t (*show)(struct sysfs_ctx *c, char *buf);
	ssize_t (*store)(struct sysfs_ctx *c, const char *buf, size_t count);
	/* Binary (config, resourceN, rom): positional access and st_size. */
	ssize_t (*read)(struct sysfs_ctx *c, char *buf, size_t size, s64 off);
	ssize_t (*write)(struct sysfs_ctx *c, const char *buf, size_t size, s64 off);
	u64 (*size)(struct sysfs_ctx *c);
	/* Symlinks: the target as an absolute path ("/sys/bus/pci"). */
	int (*target)(struct sysfs_ctx *c, char *buf, size_t size);
	/* Device nodes: st_rdev, or (major 0) what rdev() says for this node. */
	void (*rdev)(struct sysfs_ctx *c, unsigned int *major, unsigned int *minor);
	long arg; /* resource index, character device number (SYSFS_CHR_DEV) */
};

#define SYSFS_CHR_DEV(major, minor) (((long)(major) << 20) | (minor))

/* A resolved path: the directory c itself (attr NULL) or one of its entries. */
struct sysfs_node {
	struct sysfs_ctx c;
	const struct sysfs_attr *attr;
};

/* Names of the dynamic entries of a directory, collected under the owner's locks. */
struct sysfs_names {
	char (*name)[SYSFS_NAME_MAX];
	size_t n, cap;
};

void names_add(struct sysfs_names *l, const char *fmt, ...) __printf(2, 3);

/* Where providers hang their entries. */
enum sysfs_slot {
	SYSFS_NO_SLOT, /* a directory with only its own entries */
	SYSFS_DEV, /* /dev */
	SYSFS_BUS, /* /sys/bus */
	SYSFS_CLASS, /* /sys/class */
	SYSFS_DEVICES, /* /sys/devices */
	SYSFS_VIRTUAL, /* /sys/devices/virtual */
	SYSFS_KERNEL, /* /sys/kernel */
	SYSFS_MODULE, /* /sys/module */
	SYSFS_DEVICE_CHILD, /* every device's directory (ctx->dev is the device) */
	SYSFS_NR_SLOTS,
};

struct sysfs_dir {
	/*
	 * Attribute tables: attrs, or the i-th of tables(c, i) while it returns
	 * non-NULL (a bus's directory is the bus core's table plus its bus type's).
	 */
	const struct sysfs_attr *attrs;
	const struct sysfs_attr *(*tables)(const struct sysfs_ctx *c, unsigned int i);
	void (*list)(struct sysfs_ctx *c, struct sysfs_names *out);
	/* Fills out (a new node with its own references) or returns -ENOENT. */
	int (*lookup)(struct sysfs_ctx *c, const char *name, struct sysfs_node *out);
	/* The providers of this slot add entries too (SYSFS_NO_SLOT: none). */
	enum sysfs_slot slot;
};

/* A directory that has no entries but what its slot's providers add. */
#define SYSFS_SLOT_DIR(s)   \
	{                   \
		.slot = (s) \
	}

/*
 * The tree of one world. Providers are added while the world is built,
 * before anyone walks the tree, and never removed until sysfs_root_destroy:
 * the lists need no lock when read.
 */
struct sysfs_root {
	struct uvfio_world *w;
	struct list_head slots[SYSFS_NR_SLOTS]; /* of struct sysfs_provider */
	struct list_head modules; /* of struct sysfs_module (base/module.c) */
};

void sysfs_root_init(struct sysfs_root *root, struct uvfio_world *w);
void sysfs_root_destroy(struct sysfs_root *root);
/* Adds dir's entries to slot; its callbacks run with ctx->data = data. */
void sysfs_add_provider(struct sysfs_root *root, enum sysfs_slot slot, const struct sysfs_dir *dir,
			void *data);

/* The tree's operations, for the world's public calls (uvfio_sysfs_*, include/uvfio/uvfio.h). */
int sysfs_stat(struct sysfs_root *root, const char *path, struct uvfio_sysfs_stat *st);
int sysfs_readdir(struct sysfs_root *root, const char *path,
		  int (*fn)(void *arg, const char *name, const struct uvfio_sysfs_stat *st),
		  void *arg);
ssize_t sysfs_pread(struct sysfs_root *root, const char *path, void *buf, size_t size,
		    long long off, bool cap_sys_admin);
ssize_t sysfs_pwrite(struct sysfs_root *root, const char *path, const void *buf, size_t len,
		     long long off);
ssize_t sysfs_readlink(struct sysfs_root *root, const char *path, char *buf, size_t size);

/*
 * A device's canonical directory, "/sys/devices/...": its bus type's
 * dev_path, else below its parent's. Returns the length or -ENOENT.
 */
int sysfs_dev_path(struct device *dev, char *buf, size_t size);

/* Takes the references of a context copied from another (a lookup's out->c = *c). */
void sysfs_ctx_get(struct sysfs_ctx *c);
/* A node for a symlink attr of c's directory about dev (takes over dev's reference). */
void sysfs_link_node(struct sysfs_ctx *c, const struct sysfs_attr *link, struct device *dev,
		     struct sysfs_node *out);
/* A new directory node of dir about dev (referenced by the caller, taken over). */
void sysfs_dir_node(struct sysfs_ctx *c, const struct sysfs_dir *dir, struct device *dev,
		    struct sysfs_node *out);

/* Shared attribute methods and parsers. */
ssize_t show_empty(struct sysfs_ctx *c, char *buf);
ssize_t show_const(struct sysfs_ctx *c, char *buf); /* "%ld\n" of arg */
/* kobject_synth_uevent: a known action is accepted. */
ssize_t store_uevent(struct sysfs_ctx *c, const char *buf, size_t count);
/* The target of a device link: the canonical directory of c->dev. */
int sysfs_target_dev(struct sysfs_ctx *c, char *buf, size_t size);
/* A decimal id as sysfs names use them: no sign, no leading zero. */
bool sysfs_parse_id(const char *name, int *id);
/* kstrtobool(): y/Y/t/T/1 or "on" is true, n/N/f/F/0 or "off" false. */
int sysfs_kstrtobool(const char *s, bool *res);

/* The empty directory (power/ of class devices, slots/). */
extern const struct sysfs_dir sysfs_empty_dir;
/* The device link of a listing: its target is c->dev's directory. */
extern const struct sysfs_attr sysfs_dev_link;

#define ATTR_RO(n, fn)                        \
	{                                     \
		n, S_IFREG | 0444, .show = fn \
	}
#define ATTR_RW(n, fn, st)                                 \
	{                                                  \
		n, S_IFREG | 0644, .show = fn, .store = st \
	}
#define ATTR_WO(n, m, st)                     \
	{                                     \
		n, S_IFREG | (m), .store = st \
	}
#define ATTR_LNK(n, fn)                         \
	{                                       \
		n, S_IFLNK | 0777, .target = fn \
	}
#define ATTR_DIR(n, d)                      \
	{                                   \
		n, S_IFDIR | 0755, .dir = d \
	}

#endif /* UVFIO_CORE_BASE_SYSFS_H */

/* SPDX-License-Identifier: MIT */
/*
 * The sysfs tree's private seam (base/sysfs.c): directory kinds, the context
 * a directory is resolved with, attribute tables, and the helpers the files
 * that render their own directories share (base/class.c: virtual class
 * devices; mdev/mdev_sysfs.c: the mdev bus, parents' types and instances).
 * Those files own the kinds from SK_EXT_FIRST on and return their tables
 * through class_sysfs_dir() and mdev_sysfs_dir().
 *
 * Contexts carry references (ctx_get/ctx_put in sysfs.c): pdev and dev a
 * device reference, group an iommu_group reference, mparent a user reference
 * on a registered mdev parent (its types stay valid while it is held).
 */
#ifndef UVFIO_CORE_BASE_SYSFS_PRIV_H
#define UVFIO_CORE_BASE_SYSFS_PRIV_H

#include <sys/stat.h>
#include <sys/types.h>

#include "shared/macro.h"

struct device;
struct iommu_group;
struct mdev_parent;
struct mdev_type;
struct pci_bus;
struct pci_dev;
struct pci_driver;
struct uvfio_world;

#define SYSFS_PAGE 4096
#define SYSFS_PATH_MAX 4096
#define SYSFS_NAME_MAX 64
#define SYSFS_MAX_LINKS 40
/* Character device numbers as the lab kernel shows them (kernel-facts §1). */
#define MISC_MAJOR 10
#define VFIO_MINOR 196
#define VFIO_GROUP_MAJOR 245

/* What a directory is about. */
enum sysfs_kind {
	SK_ROOT, /* "/": sys, dev */
	SK_DEV,
	SK_DEV_VFIO,
	SK_SYS,
	SK_BUS,
	SK_BUS_PCI,
	SK_BUS_PCI_DEVICES,
	SK_BUS_PCI_DRIVERS,
	SK_PCI_DRIVER,
	SK_EMPTY, /* slots/, power/ of class devices */
	SK_DEVICES,
	SK_PCI_ROOT, /* pci0000:00 */
	SK_PCI_DEV,
	SK_PCI_DEV_POWER,
	SK_VFIO_DEV_DIR, /* <bdf>/vfio-dev */
	SK_VFIO_DEV, /* <bdf>/vfio-dev/vfioN */
	SK_VIRTUAL,
	SK_VIRTUAL_VFIO,
	SK_VFIO_GROUP_DEV, /* devices/virtual/vfio/<N> */
	SK_CLASS,
	SK_CLASS_VFIO,
	SK_CLASS_VFIO_DEV,
	SK_KERNEL,
	SK_IOMMU_GROUPS,
	SK_IOMMU_GROUP,
	SK_IOMMU_GROUP_DEVICES,
	SK_MODULES,
	SK_MODULE,
	SK_MODULE_PARAMS,
	/* Virtual class devices (base/class.c). */
	SK_VIRTUAL_CLASS, /* devices/virtual/<class>: c->name */
	SK_CLASS_DEV, /* devices/virtual/<class>/<name>: c->dev */
	SK_CLASS_CLASS, /* class/<class>: c->name */
	/* Mediated devices (mdev/mdev_sysfs.c). */
	SK_CLASS_MDEV_BUS, /* class/mdev_bus */
	SK_MDEV_TYPES, /* <parent>/mdev_supported_types: c->dev, c->mparent */
	SK_MDEV_TYPE, /* .../<drv>-<type>: c->mparent, c->mtype */
	SK_MDEV_TYPE_DEVICES, /* .../<drv>-<type>/devices */
	SK_MDEV, /* <parent>/<uuid>: c->dev (the instance) */
	SK_MDEV_VFIO_DEV_DIR, /* <uuid>/vfio-dev */
	SK_MDEV_VFIO_DEV, /* <uuid>/vfio-dev/vfioN: c->id */
	SK_BUS_MDEV,
	SK_BUS_MDEV_DEVICES,
	SK_BUS_MDEV_DRIVERS,
	SK_MDEV_DRIVER, /* bus/mdev/drivers/<name>: c->name */
	SK_NR,
};

/* The first kind whose directory table lives outside sysfs.c. */
#define SK_EXT_FIRST SK_VIRTUAL_CLASS

struct sysfs_module;

/* A directory and the objects its entries are about. */
struct sysfs_ctx {
	struct uvfio_world *w;
	enum sysfs_kind kind;
	struct pci_dev *pdev; /* referenced */
	struct pci_bus *bus; /* SK_PCI_ROOT: the root bus (lives as long as the world) */
	struct pci_driver *drv;
	struct iommu_group *group; /* referenced */
	int id; /* VFIO group: its iommu group id; vfio-dev: the device index */
	unsigned int minor; /* VFIO group: the minor of /dev/vfio/<id> */
	const struct sysfs_module *mod;
	long arg; /* the attribute's arg while one of its methods runs */
	struct device *dev; /* a class device or an mdev instance; referenced */
	struct mdev_parent *mparent; /* with a user reference (mdev_parent_tryget) */
	struct mdev_type *mtype; /* a type of mparent */
	char name[SYSFS_NAME_MAX]; /* a class name, an mdev driver name */
};

/* An entry of a directory: a file, a symlink, a subdirectory or a device node. */
struct sysfs_attr {
	const char *name;
	unsigned int mode; /* S_IFREG | 0444 ... */
	enum sysfs_kind dir; /* S_IFDIR: the subdirectory's kind */
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
	long arg; /* resource index, character device number (major << 20 | minor) */
};

/* A resolved path: the directory c itself (attr NULL) or one of its entries. */
struct sysfs_node {
	struct sysfs_ctx c;
	const struct sysfs_attr *attr;
};

/* Names of the dynamic entries of a directory, collected under the locks. */
struct sysfs_names {
	char (*name)[SYSFS_NAME_MAX];
	size_t n, cap;
};

void names_add(struct sysfs_names *l, const char *fmt, ...) __printf(2, 3);

struct sysfs_dir {
	const struct sysfs_attr *attrs; /* terminated by a NULL name */
	void (*list)(struct sysfs_ctx *c, struct sysfs_names *out);
	/* Fills out (a new node with its own references) or returns -ENOENT. */
	int (*lookup)(struct sysfs_ctx *c, const char *name, struct sysfs_node *out);
};

#define RO(n, fn)                             \
	{                                     \
		n, S_IFREG | 0444, .show = fn \
	}
#define RW(n, fn, st)                                      \
	{                                                  \
		n, S_IFREG | 0644, .show = fn, .store = st \
	}
#define WO(n, m, st)                          \
	{                                     \
		n, S_IFREG | (m), .store = st \
	}
#define LNK(n, fn)                              \
	{                                       \
		n, S_IFLNK | 0777, .target = fn \
	}
#define DIR(n, k)                           \
	{                                   \
		n, S_IFDIR | 0755, .dir = k \
	}

/* Helpers of sysfs.c shared with the files above. */
/* Takes the references of a context copied from another (a lookup's out->c = *c). */
void sysfs_ctx_get(struct sysfs_ctx *c);
ssize_t show_empty(struct sysfs_ctx *c, char *buf);
ssize_t store_uevent(struct sysfs_ctx *c, const char *buf, size_t count);
bool sysfs_parse_id(const char *name, int *id);
int sysfs_kstrtobool(const char *s, bool *res);
/* The vfioN index of the vfio_device registered for dev, or -ENOENT (open_count: see sysfs.c). */
int sysfs_vfio_dev_index(struct uvfio_world *w, struct device *dev, unsigned int *open_count);
/* "/sys/devices/...": the canonical directory of dev (PCI, virtual class device, mdev). */
int sysfs_dev_path(struct uvfio_world *w, struct device *dev, char *buf, size_t size);

/* Directory tables of the kinds from SK_EXT_FIRST on. */
const struct sysfs_dir *class_sysfs_dir(enum sysfs_kind kind);
const struct sysfs_dir *mdev_sysfs_dir(enum sysfs_kind kind);
/* /sys/devices/virtual and /sys/class: the class names (class.c). */
void class_sysfs_virtual_list(struct sysfs_ctx *c, struct sysfs_names *out);
int class_sysfs_virtual_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out);
int class_sysfs_class_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out);
/* Children and extra entries of a class device directory that mdev provides. */
bool mdev_sysfs_is_parent(struct sysfs_ctx *c);
void mdev_sysfs_children_list(struct sysfs_ctx *c, struct sysfs_names *out);
int mdev_sysfs_child_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out);
/* /sys/kernel/iommu_groups/N/devices/<uuid>: -ENOENT unless an instance of that group. */
int mdev_sysfs_group_member_lookup(struct sysfs_ctx *c, const char *name, struct sysfs_node *out);
/* Lookup of a mdev_supported_types directory for parent c->dev (with its user reference). */
int mdev_sysfs_types_lookup(struct sysfs_ctx *c, struct sysfs_node *out);

#endif /* UVFIO_CORE_BASE_SYSFS_PRIV_H */

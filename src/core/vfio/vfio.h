/* SPDX-License-Identifier: MIT */
/*
 * VFIO's private seam: the objects of drivers/vfio (vfio_device, vfio_group,
 * vfio_container, vfio_device_set, vfio_device_file) and the two driver
 * interfaces (bus drivers: vfio_device_ops; IOMMU backends:
 * vfio_iommu_driver_ops). Semantics follow Linux 6.12, group/container path.
 *
 * Lock order (outer → inner), mirrored above each struct:
 *   vfio->group_lock → group->group_lock → dev_set->lock → (driver locks:
 *   vdev->igate → vdev->memory_lock) ; group->group_lock →
 *   container->group_lock (rwsem) → type1 iommu->lock → iommu_group->mutex.
 *   group->device_lock and group->kvm_ref_lock are leaves.
 * Nothing that holds a VFIO lock takes device_lock (driver core).
 */
#ifndef UVFIO_CORE_VFIO_VFIO_H
#define UVFIO_CORE_VFIO_VFIO_H

#include <linux/vfio.h>

#include "base/chrdev.h"
#include "base/device.h"
#include "base/file.h"
#include "shared/ida.h"
#include "shared/kref.h"
#include "shared/list.h"
#include "shared/mutex.h"

struct iommu_group;
struct kvm;
struct core_env;
struct vfio;
struct iommu;
struct trace_sink;
struct vfio_container;
struct vfio_device;
struct vfio_group;
struct uvfio_world;

/*
 * The device numbers (drivers/vfio): /dev/vfio/vfio is misc minor 196
 * (include/linux/miscdevice.h), /dev/vfio/N is a minor of the "vfio" char
 * region. The kernel allocates that region's major dynamically
 * (alloc_chrdev_region in vfio_group_init); the kernel lab got 245, and
 * vfio_init asks for 245 (register_chrdev_region) so that the numbers are
 * the lab's whatever else registers first.
 */
#define VFIO_MINOR 196
#define VFIO_GROUP_MAJOR 245

/* Module parameters (per world). */
struct vfio_params {
	unsigned int dma_entry_limit; /* vfio_iommu_type1.dma_entry_limit, 65535 */
	bool allow_unsafe_interrupts; /* vfio_iommu_type1.allow_unsafe_interrupts */
	bool enable_unsafe_noiommu_mode;
	unsigned int request_interval_ms; /* REQ cadence on unregistration: 10000 */
};

struct vfio_iommu_driver_ops {
	const char *name;
	/* New backend instance for type (VFIO_TYPE1_IOMMU...): ERR_PTR(-EINVAL) if unsupported. */
	void *(*open)(struct vfio *vfio, unsigned long type);
	void (*release)(void *iommu_data);
	/* iommu_data is NULL for VFIO_CHECK_EXTENSION on a container without a backend. */
	long (*ioctl)(void *iommu_data, struct task *t, unsigned int cmd, unsigned long arg);
	int (*attach_group)(void *iommu_data, struct iommu_group *group, int vfio_group_type);
	void (*detach_group)(void *iommu_data, struct iommu_group *group);
	void (*register_device)(void *iommu_data, struct vfio_device *vdev);
	void (*unregister_device)(void *iommu_data, struct vfio_device *vdev);
	/* CPU copy of a device's DMA for emulated (mdev) groups: vfio_dma_rw(). */
	int (*dma_rw)(void *iommu_data, u64 iova, void *buf, size_t len, bool write);
};

struct vfio_iommu_driver {
	const struct vfio_iommu_driver_ops *ops;
	struct list_head node;
};

/* The per-world VFIO state (the kernel's static `vfio` and `vfio_device` globals). */
struct vfio {
	const struct core_env *env; /* the world's services (base/env.h) */
	struct iommu *iommu; /* the IOMMU its groups are groups of */
	struct mutex group_lock; /* group_list, group_ida */
	struct list_head group_list;
	struct ida group_ida; /* minors of /dev/vfio/N */
	struct mutex device_ida_lock;
	struct ida device_ida; /* vfioX indexes */
	struct mutex iommu_drivers_lock;
	struct list_head iommu_drivers;
	struct mutex dev_set_lock; /* the dev_set list */
	struct list_head dev_sets;
	struct vfio_params params;
	struct mutex unreg_lock; /* a leaf: unregistering */
	struct list_head unregistering; /* of vfio_unreg: unregistrations waiting for users */
	struct miscdevice misc; /* /dev/vfio/vfio (container.c) */
	dev_t group_devt; /* the "vfio" region: MKDEV(VFIO_GROUP_MAJOR, 0), MINORMASK + 1 minors */
};

enum vfio_group_type {
	VFIO_IOMMU,
	VFIO_EMULATED_IOMMU,
	VFIO_NO_IOMMU,
};

/*
 * Devices that share a reset domain and one open/close lock.
 * Lock order: group->group_lock → dev_set->lock → driver locks.
 */
struct vfio_device_set {
	void *set_id;
	struct mutex lock; /* open_count of members, open/close, resets */
	struct list_head device_list; /* of vfio_device.dev_set_list; protected by lock */
	unsigned int device_count; /* protected by vfio->dev_set_lock */
	struct list_head node; /* vfio->dev_sets */
};

struct vfio_device_ops {
	const char *name;
	int (*init)(struct vfio_device *vdev);
	void (*release)(struct vfio_device *vdev);
	int (*open_device)(struct vfio_device *vdev);
	void (*close_device)(struct vfio_device *vdev);
	ssize_t (*read)(struct vfio_device *vdev, char *buf, size_t count, s64 *ppos);
	ssize_t (*write)(struct vfio_device *vdev, const char *buf, size_t count, s64 *ppos);
	long (*ioctl)(struct vfio_device *vdev, struct task *t, unsigned int cmd,
		      unsigned long arg);
	int (*mmap)(struct vfio_device *vdev, u64 offset, u64 len, u32 prot, u32 flags,
		    struct mmap_desc *out);
	void (*request)(struct vfio_device *vdev, unsigned int count);
	/* > 0 match, 0 no match, < 0 error (default: exact dev_name). */
	int (*match)(struct vfio_device *vdev, const char *buf);
	void (*dma_unmap)(struct vfio_device *vdev, u64 iova, u64 length);
	/*
	 * VFIO_DEVICE_FEATURE for the features the core does not handle: arg is
	 * the caller's address of the data after the header, argsz its length.
	 */
	int (*device_feature)(struct vfio_device *vdev, struct task *t, u32 flags,
			      unsigned long arg, size_t argsz);
	/* A trapped page of a mapping is touched: 0, or -EFAULT for SIGBUS. */
	int (*mmap_fault)(struct vfio_device *vdev, u64 offset);
	/*
	 * The device's runtime resume (its driver's dev_pm_ops): every ioctl on
	 * the device file runs it first, as vfio_device_pm_runtime_get() does.
	 */
	void (*pm_runtime_resume)(struct vfio_device *vdev);
};

/*
 * A VFIO device, embedded first in the bus driver's own device struct.
 * Two counts: kref (memory; vfio_put_device) and refcount + comp (registration:
 * 1 from registration + 1 per open device file; unregistration waits for 0).
 */
struct vfio_device {
	struct device *dev; /* the physical device */
	const struct vfio_device_ops *ops;
	struct vfio *vfio;
	struct vfio_group *group;
	struct list_head group_next; /* protected by group->device_lock */
	struct vfio_device_set *dev_set;
	struct list_head dev_set_list;
	int index; /* vfioX */
	char name[16];
	struct kref kref;
	refcount_t refcount;
	struct completion comp;
	unsigned int open_count; /* protected by dev_set->lock */
	struct kvm *kvm; /* referenced from first open to last close; under dev_set->lock */
};

/*
 * A VFIO group: /dev/vfio/N.
 * Lock order: vfio->group_lock → group_lock → container->group_lock;
 * device_lock and kvm_ref_lock are leaves.
 */
struct vfio_group {
	struct vfio *vfio;
	struct kref kref; /* memory: the registration (drivers > 0) and each open file */
	refcount_t drivers; /* registered vfio_devices using this group */
	int minor; /* the character device's minor (an ida of its own) */
	struct cdev cdev; /* /dev/vfio/<id>, added and deleted with vfio_next; parent: kref */
	int id; /* N of /dev/vfio/N: the iommu group's id, kept once orphaned */
	enum vfio_group_type type;
	struct mutex group_lock; /* everything below but device_list and kvm */
	struct iommu_group *iommu_group; /* NULL once orphaned */
	struct vfio_container *container;
	unsigned int container_users;
	struct file *opened_file;
	unsigned int cdev_device_open_cnt;
	struct list_head container_next; /* protected by container->group_lock */
	struct mutex device_lock;
	struct list_head device_list; /* protected by device_lock */
	struct list_head vfio_next; /* protected by vfio->group_lock */
	struct mutex kvm_ref_lock;
	struct kvm *kvm; /* set by KVM (vfio_file_set_kvm); protected by kvm_ref_lock */
};

/*
 * A container: /dev/vfio/vfio. kref: the file + one per attached group.
 * Lock order: group->group_lock → group_lock (rwsem) → backend locks.
 */
struct vfio_container {
	struct vfio *vfio;
	struct kref kref;
	struct rw_semaphore group_lock; /* group_list, iommu_driver, iommu_data */
	struct list_head group_list;
	struct vfio_iommu_driver *iommu_driver;
	void *iommu_data;
	bool noiommu;
};

/* Per open device file. */
struct vfio_device_file {
	struct vfio_device *device;
	struct vfio_group *group;
	atomic_bool access_granted;
};

/* VFIO's sysfs and /dev/vfio entries (vfio/vfio_sysfs.c). */
struct sysfs_root;
void vfio_sysfs_init(struct sysfs_root *root, struct vfio *vfio);
/* 0, or the errno of registering /dev/vfio/vfio or the group region (then unregistered). */
int vfio_init(struct vfio *vfio, const struct core_env *env, struct iommu *iommu);
void vfio_exit(struct vfio *vfio);

/* Bus-driver interface (include/linux/vfio.h). */
int vfio_init_device(struct vfio_device *vdev, struct vfio *vfio, struct device *dev,
		     const struct vfio_device_ops *ops);
void vfio_put_device(struct vfio_device *vdev);
int vfio_register_group_dev(struct vfio_device *vdev);
int vfio_register_emulated_iommu_dev(struct vfio_device *vdev);
void vfio_unregister_group_dev(struct vfio_device *vdev);
int vfio_assign_device_set(struct vfio_device *vdev, void *set_id);
unsigned int vfio_device_set_open_count(struct vfio_device_set *dev_set);
struct vfio_device *vfio_find_device_in_devset(struct vfio_device_set *dev_set, struct device *dev);

/* Capability chain builder for INFO ioctls (vfio_info_cap_add / shift). */
struct vfio_info_cap {
	u8 *buf;
	size_t size;
};
struct vfio_info_cap_header *vfio_info_cap_add(struct vfio_info_cap *caps, size_t size, u16 id,
					       u16 version);
int vfio_info_add_capability(struct vfio_info_cap *caps, struct vfio_info_cap_header *cap,
			     size_t size);
void vfio_info_cap_shift(struct vfio_info_cap *caps, size_t offset);

/* SET_IRQS header validation; *data_size is the payload size to copy. */
int vfio_set_irqs_validate_and_prepare(struct vfio_irq_set *hdr, int num_irqs, int max_irq_type,
				       size_t *data_size);

/* Files. */
bool vfio_file_is_group(struct file *f);
int vfio_file_group_id(struct file *f);
/* The file interface VFIO gives KVM (kvm/vfio.c; digest §8.3). */
bool vfio_file_is_valid(struct file *f);
bool vfio_file_enforced_coherent(struct file *f);
void vfio_file_set_kvm(struct file *f, struct kvm *kvm);
/* True if the group file f contains vdev (hot-reset ownership proof). */
bool vfio_file_has_dev(struct file *f, struct vfio_device *vdev);
struct vfio_device *vfio_device_from_file(struct file *f);

/* Device DMA for emulated devices: through the container's backend. */
int vfio_dma_rw(struct vfio_device *vdev, u64 iova, void *buf, size_t len, bool write);

/*
 * vfio_init's parts: /dev/vfio/vfio, the misc device (container.c), and the
 * group region (group.c). Each undoes itself on failure; cleanup of one not
 * registered does nothing.
 */
int vfio_container_init(struct vfio *vfio);
void vfio_container_cleanup(struct vfio *vfio);
int vfio_group_init(struct vfio *vfio);
void vfio_group_cleanup(struct vfio *vfio);

int vfio_register_iommu_driver(struct vfio *vfio, const struct vfio_iommu_driver_ops *ops);
void vfio_unregister_iommu_driver(struct vfio *vfio, const struct vfio_iommu_driver_ops *ops);

/* Container side of the group code (container.c). */
int vfio_container_attach_group(struct vfio_container *container, struct vfio_group *group);
void vfio_group_detach_container(struct vfio_group *group);
int vfio_group_use_container(struct vfio_group *group);
void vfio_group_unuse_container(struct vfio_group *group);
void vfio_device_container_register(struct vfio_device *vdev);
void vfio_device_container_unregister(struct vfio_device *vdev);
struct vfio_container *vfio_container_from_file(struct file *f);

/* The type1 backend. */
extern const struct vfio_iommu_driver_ops vfio_iommu_driver_ops_type1;

/* Core-internal seams between vfio_main.c, group.c and container.c. */
void vfio_device_put_registration(struct vfio_device *vdev);
bool vfio_device_try_get_registration(struct vfio_device *vdev);
int vfio_device_set_group(struct vfio_device *vdev, enum vfio_group_type type);
void vfio_device_remove_group(struct vfio_device *vdev);
void vfio_device_group_register(struct vfio_device *vdev);
void vfio_device_group_unregister(struct vfio_device *vdev);
long vfio_device_fops_ioctl(struct file *f, struct task *t, unsigned int cmd, unsigned long arg);
ssize_t vfio_device_fops_read(struct file *f, char *buf, size_t count, s64 *ppos);
ssize_t vfio_device_fops_write(struct file *f, const char *buf, size_t count, s64 *ppos);
int vfio_device_fops_mmap(struct file *f, u64 offset, u64 len, u32 prot, u32 flags,
			  struct mmap_desc *out);
int vfio_device_fops_mmap_fault(struct file *f, u64 offset);
/*
 * include/linux/vfio.h, vfio_check_feature: 1 to do the operation, 0 for a
 * successful PROBE, or -EINVAL (an operation the feature lacks, a payload
 * below minsz, neither GET nor SET without PROBE).
 */
int vfio_check_feature(u32 flags, size_t argsz, u32 supported_ops, size_t minsz);

/* Backend-to-core notification: an unmapped range (for dma_unmap listeners). */
void vfio_device_notify_dma_unmap(struct vfio_device *vdev, u64 iova, u64 length);

/* The removals waiting for a VFIO user to let go (uvfio_world_blocked). */
struct uvfio_blocked;
int vfio_blocked(struct vfio *vfio, struct uvfio_blocked *out, int max);

/* vfio-pci's driver (vfio/pci/vfio_pci_core.c), for the world to register. */
struct pci_driver;
struct pci_driver *vfio_pci_driver_new(struct vfio *vfio);

#endif /* UVFIO_CORE_VFIO_VFIO_H */

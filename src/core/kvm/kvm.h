/* SPDX-License-Identifier: MIT */
/*
 * A minimal VM (virt/kvm/kvm_main.c): enough of struct kvm for the kvm-vfio
 * bridge and its lifetime rules (digest §6.4, §8). No vCPUs, no memory slots.
 *
 * Lifetime: users_count is the VM's reference count. The VM fd holds one, each
 * KVM device fd (KVM_CREATE_DEVICE) one, and each VFIO device opened while its
 * group was set to this VM one (vfio_device_get_kvm_safe, dropped at the
 * device's last close). The last kvm_put_kvm() destroys the VM, and with it
 * the KVM devices still on its list (their ->destroy).
 *
 * A KVM device is freed either by ->release, when its fd is closed (kvm->lock
 * held; the device leaves the VM's list first), or by ->destroy at VM
 * destruction. kvm-vfio uses ->release: its fd pins the VM, so it runs before
 * the VM can be destroyed, never from inside a VFIO close (seed 004).
 *
 * Lock order: kvm->lock → kvm_vfio->lock → vfio_group->kvm_ref_lock (a leaf).
 * Nothing that holds kvm->lock takes a VFIO group, device-set or driver-core
 * lock; files whose last reference is dropped under kvm->lock are put after
 * it is released (the kernel defers those fputs to task work).
 */
#ifndef UVFIO_CORE_KVM_KVM_H
#define UVFIO_CORE_KVM_KVM_H

#include <linux/kvm.h>

#include "base/chrdev.h"
#include "base/file.h"
#include "shared/kref.h"
#include "shared/list.h"
#include "shared/mutex.h"
#include "uvfio/uvfio-kvm.h"

/* 6.12's names; Debian 12's <linux/kvm.h> has only the GROUP ones (same values). */
#ifndef KVM_DEV_VFIO_FILE
#define KVM_DEV_VFIO_FILE 1
#define KVM_DEV_VFIO_FILE_ADD 1
#define KVM_DEV_VFIO_FILE_DEL 2
#endif

struct core_env;
struct kvm_device;

/* Lock order: lock → kvm_vfio->lock. */
struct kvm {
	const struct core_env *env; /* the world's services (base/env.h) */
	refcount_t users_count;
	struct mutex lock; /* devices, deferred_fputs; held by device create and release */
	struct list_head devices; /* of kvm_device.vm_node; protected by lock */
	struct list_head deferred_fputs; /* of kvm_deferred_fput; protected by lock */
	atomic_int assigned_device_count; /* kvm_arch_{start,end}_assignment */
	atomic_int noncoherent_dma_count; /* kvm_arch_{,un}register_noncoherent_dma */
};

struct kvm_device_ops {
	const char *name;
	/* Called with kvm->lock held; < 0 refuses the device. */
	int (*create)(struct kvm_device *dev, u32 type);
	/* Frees dev at VM destruction (no lock held by the caller). */
	void (*destroy)(struct kvm_device *dev);
	/* Frees dev when its fd is closed, with kvm->lock held; ->destroy is then never called. */
	void (*release)(struct kvm_device *dev);
	int (*set_attr)(struct kvm_device *dev, struct task *t, struct kvm_device_attr *attr);
	int (*get_attr)(struct kvm_device *dev, struct task *t, struct kvm_device_attr *attr);
	int (*has_attr)(struct kvm_device *dev, struct task *t, struct kvm_device_attr *attr);
};

struct kvm_device {
	const struct kvm_device_ops *ops;
	struct kvm *kvm;
	void *private;
	struct list_head vm_node; /* kvm->devices; protected by kvm->lock */
};

void kvm_get_kvm(struct kvm *kvm);
/* A reference only if the VM is not already being destroyed. */
bool kvm_get_kvm_safe(struct kvm *kvm);
/* The last put destroys the VM (kvm_destroy_vm). */
void kvm_put_kvm(struct kvm *kvm);

/* The VM of a VM file (KVM_CREATE_VM's), or NULL. */
struct kvm *kvm_from_vm_file(struct file *f);

/*
 * /dev/kvm (KVM_GET_API_VERSION, KVM_CREATE_VM, KVM_CHECK_EXTENSION): the misc
 * device "kvm", 10:232 (include/linux/miscdevice.h), registered by kvm_init
 * (virt/kvm/kvm_main.c) in the world's registry: 0 or misc_register's errno.
 */
#define KVM_MINOR 232

/* The world's KVM: /dev/kvm, and what the VMs it makes are handed. */
struct kvm_core {
	struct miscdevice misc;
	const struct core_env *env;
};

int kvm_init(struct kvm_core *kc, const struct core_env *env);
void kvm_exit(struct kvm_core *kc);
/* For uvfio_kvm_info(). */
void kvm_vm_info(struct kvm *kvm, struct uvfio_kvm_info *out);

void kvm_arch_start_assignment(struct kvm *kvm);
void kvm_arch_end_assignment(struct kvm *kvm);
void kvm_arch_register_noncoherent_dma(struct kvm *kvm);
void kvm_arch_unregister_noncoherent_dma(struct kvm *kvm);

/*
 * Drops f once kvm->lock (held by the caller) is released, before the
 * syscall that held it returns: the kernel's deferred fput.
 */
void kvm_fput_deferred(struct kvm *kvm, struct file *f);

/* The kvm-vfio device (kvm/vfio.c), and its pre-51cdc8bc120e variant freed by ->destroy. */
extern const struct kvm_device_ops kvm_vfio_ops;
extern const struct kvm_device_ops kvm_vfio_ops_destroy;

#endif /* UVFIO_CORE_KVM_KVM_H */

/* SPDX-License-Identifier: MIT */
/*
 * A minimal KVM for the kvm-vfio bridge (docs/races.md, digest §8): an
 * in-process caller creates a VM, then drives it with the kernel's own ioctls
 * through uvfio_ioctl():
 *
 *	int vm = uvfio_kvm_create_vm(p);			open(/dev/kvm) + KVM_CREATE_VM
 *	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
 *	uvfio_ioctl(p, vm, KVM_CREATE_DEVICE, &cd);		cd.fd: the kvm-vfio device
 *	int32_t group = ...;
 *	struct kvm_device_attr a = { .group = KVM_DEV_VFIO_FILE,
 *				     .attr = KVM_DEV_VFIO_FILE_ADD, .addr = (uintptr_t)&group };
 *	uvfio_ioctl(p, cd.fd, KVM_SET_DEVICE_ATTR, &a);	(FILE_DEL likewise; HAS_DEVICE_ATTR)
 *	uvfio_close(p, cd.fd); uvfio_close(p, vm);
 *
 * with Linux 6.12's errnos. Older <linux/kvm.h> spell KVM_DEV_VFIO_FILE{,_ADD,_DEL}
 * as KVM_DEV_VFIO_GROUP{,_ADD,_DEL}: same values.
 */
#ifndef UVFIO_UVFIO_KVM_H
#define UVFIO_UVFIO_KVM_H

#ifdef __cplusplus
extern "C" {
#endif

struct uvfio_proc;

/* A new VM: its descriptor, or -1 with errno. The descriptor holds a VM reference. */
int uvfio_kvm_create_vm(struct uvfio_proc *p);

/* What a test may check of a VM (its counters, as the kernel keeps them). */
struct uvfio_kvm_info {
	unsigned int users_count; /* VM references: the VM fd, device fds, open VFIO devices */
	int assigned_devices; /* kvm_arch_start_assignment() minus end */
	int noncoherent_dma; /* registrations of non-coherent DMA */
	unsigned int devices; /* KVM devices on the VM's list */
};

/* 0, or -1 with errno (EBADF: not a VM descriptor of p). */
int uvfio_kvm_info(struct uvfio_proc *p, int vmfd, struct uvfio_kvm_info *out);

#ifdef __cplusplus
}
#endif

#endif /* UVFIO_UVFIO_KVM_H */

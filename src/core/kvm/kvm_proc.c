// SPDX-License-Identifier: MIT
/*
 * The in-process caller's KVM (include/uvfio/uvfio-kvm.h): a VM is what a
 * program gets from open("/dev/kvm") and KVM_CREATE_VM, made with the same
 * public calls; its counters are read through the caller's own descriptor.
 */
#include <errno.h>
#include <fcntl.h>

#include <linux/kvm.h>

#include "base/file.h"
#include "kvm/kvm.h"
#include "uvfio/uvfio-kvm.h"
#include "uvfio/uvfio.h"

int uvfio_kvm_create_vm(struct uvfio_proc *p)
{
	int kvm = uvfio_open(p, "/dev/kvm", O_RDWR);
	int vm, err;

	if (kvm < 0)
		return -1;
	vm = uvfio_ioctl(p, kvm, KVM_CREATE_VM, 0UL); /* the machine type: default */
	err = errno;
	uvfio_close(p, kvm);
	errno = err;
	return vm;
}

int uvfio_kvm_info(struct uvfio_proc *p, int vmfd, struct uvfio_kvm_info *out)
{
	struct task *t = uvfio_proc_task(p);
	struct file *f = t->ops->fget(t, vmfd);
	struct kvm *kvm;

	if (IS_ERR(f)) {
		errno = EBADF;
		return -1;
	}
	kvm = kvm_from_vm_file(f);
	if (kvm)
		kvm_vm_info(kvm, out);
	fput(f);
	if (!kvm) {
		errno = EBADF;
		return -1;
	}
	return 0;
}

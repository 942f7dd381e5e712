// SPDX-License-Identifier: MIT
/*
 * The VM and KVM devices (virt/kvm/kvm_main.c): KVM_CREATE_VM, the VM's
 * reference count, KVM_CREATE_DEVICE and the device fd's attribute ioctls and
 * release. See kvm.h for the lifetime rules and the lock order.
 */
#include <stdlib.h>

#include "kvm/kvm.h"
#include "base/env.h"
#include "shared/race.h"
#include "uvfio/uvfio-race.h"

struct kvm_deferred_fput {
	struct list_head node; /* kvm->deferred_fputs */
	struct file *file;
};

void kvm_get_kvm(struct kvm *kvm)
{
	refcount_inc(&kvm->users_count);
}

bool kvm_get_kvm_safe(struct kvm *kvm)
{
	return refcount_inc_not_zero(&kvm->users_count);
}

/* The devices still on the list are the ones freed by ->destroy. */
static void kvm_destroy_devices(struct kvm *kvm)
{
	struct kvm_device *dev, *tmp;

	list_for_each_entry_safe(dev, tmp, &kvm->devices, vm_node) {
		list_del(&dev->vm_node);
		dev->ops->destroy(dev);
	}
}

static void kvm_destroy_vm(struct kvm *kvm)
{
	race_point(kvm->env->races, "kvm_destroy_vm");
	kvm_destroy_devices(kvm);
	mutex_destroy(&kvm->lock);
	free(kvm);
}

void kvm_put_kvm(struct kvm *kvm)
{
	if (refcount_dec_and_test(&kvm->users_count))
		kvm_destroy_vm(kvm);
}

void kvm_arch_start_assignment(struct kvm *kvm)
{
	atomic_fetch_add(&kvm->assigned_device_count, 1);
}

void kvm_arch_end_assignment(struct kvm *kvm)
{
	atomic_fetch_sub(&kvm->assigned_device_count, 1);
}

void kvm_arch_register_noncoherent_dma(struct kvm *kvm)
{
	atomic_fetch_add(&kvm->noncoherent_dma_count, 1);
}

void kvm_arch_unregister_noncoherent_dma(struct kvm *kvm)
{
	atomic_fetch_sub(&kvm->noncoherent_dma_count, 1);
}

void kvm_fput_deferred(struct kvm *kvm, struct file *f)
{
	struct kvm_deferred_fput *d = xzalloc(sizeof(*d));

	lockdep_assert_held(&kvm->lock);
	d->file = f;
	list_add_tail(&d->node, &kvm->deferred_fputs);
}

/* Runs the fputs deferred under kvm->lock; the caller no longer holds it. */
static void kvm_run_deferred_fputs(struct kvm *kvm)
{
	struct kvm_deferred_fput *d;

	lockdep_assert_not_held(&kvm->lock);
	for (;;) {
		mutex_lock(&kvm->lock);
		d = list_first_entry_or_null(&kvm->deferred_fputs, struct kvm_deferred_fput, node);
		if (d)
			list_del(&d->node);
		mutex_unlock(&kvm->lock);
		if (!d)
			break;
		fput(d->file);
		free(d);
	}
}

/* The device fd. */

static int kvm_device_ioctl_attr(struct kvm_device *dev, struct task *t,
				 int (*accessor)(struct kvm_device *dev, struct task *t,
						 struct kvm_device_attr *attr),
				 unsigned long arg)
{
	struct kvm_device_attr attr;

	if (!accessor)
		return -EPERM;
	if (copy_from_user(t, &attr, arg, sizeof(attr)))
		return -EFAULT;
	return accessor(dev, t, &attr);
}

static long kvm_device_ioctl(struct file *f, struct task *t, unsigned int cmd, unsigned long arg)
{
	struct kvm_device *dev = f->private_data;

	switch (cmd) {
	case KVM_SET_DEVICE_ATTR:
		return kvm_device_ioctl_attr(dev, t, dev->ops->set_attr, arg);
	case KVM_GET_DEVICE_ATTR:
		return kvm_device_ioctl_attr(dev, t, dev->ops->get_attr, arg);
	case KVM_HAS_DEVICE_ATTR:
		return kvm_device_ioctl_attr(dev, t, dev->ops->has_attr, arg);
	default:
		return -ENOTTY;
	}
}

static void kvm_device_release(struct file *f)
{
	struct kvm_device *dev = f->private_data;
	struct kvm *kvm = dev->kvm;

	if (dev->ops->release) {
		mutex_lock(&kvm->lock);
		list_del(&dev->vm_node);
		dev->ops->release(dev);
		mutex_unlock(&kvm->lock);
		kvm_run_deferred_fputs(kvm);
	}
	/* The fd's VM reference: with ->release, never the one that destroys kv. */
	kvm_put_kvm(kvm);
}

static const struct file_operations kvm_device_fops = {
	.name = "kvm-device",
	.release = kvm_device_release,
	.ioctl = kvm_device_ioctl,
};

/* The table of device types the VM can create: only VFIO is modelled. */
static const struct kvm_device_ops *kvm_device_ops_for(struct kvm *kvm, u32 type)
{
	if (type != KVM_DEV_TYPE_VFIO)
		return NULL;
	if (race_quirk(kvm->env->races, UVFIO_QUIRK_KVM_VFIO_DESTROY))
		return &kvm_vfio_ops_destroy;
	return &kvm_vfio_ops;
}

static int kvm_ioctl_create_device(struct kvm *kvm, struct task *t, struct kvm_create_device *cd)
{
	const struct kvm_device_ops *ops = kvm_device_ops_for(kvm, cd->type);
	bool test = cd->flags & KVM_CREATE_DEVICE_TEST;
	struct kvm_device *dev;
	struct file *f;
	int ret;

	if (!ops)
		return -ENODEV;
	if (test)
		return 0;
	dev = xzalloc(sizeof(*dev));
	dev->ops = ops;
	dev->kvm = kvm;
	INIT_LIST_HEAD(&dev->vm_node);

	mutex_lock(&kvm->lock);
	ret = ops->create(dev, cd->type);
	if (ret < 0) {
		mutex_unlock(&kvm->lock);
		free(dev);
		return ret;
	}
	list_add(&dev->vm_node, &kvm->devices);
	mutex_unlock(&kvm->lock);

	kvm_get_kvm(kvm); /* the device fd's */
	f = anon_inode_getfile(kvm->env->world, &kvm_device_fops, dev,
			       02000002 /* O_RDWR|O_CLOEXEC */);
	ret = t->ops->fd_install(t, f);
	if (ret < 0) {
		fput(f); /* kvm_device_release: frees the device, drops the reference */
		return ret;
	}
	cd->fd = (u32)ret;
	return 0;
}

/* The VM fd. */

static long kvm_vm_ioctl(struct file *f, struct task *t, unsigned int cmd, unsigned long arg)
{
	struct kvm *kvm = f->private_data;
	struct kvm_create_device cd;
	int ret;

	switch (cmd) {
	case KVM_CREATE_DEVICE:
		if (copy_from_user(t, &cd, arg, sizeof(cd)))
			return -EFAULT;
		ret = kvm_ioctl_create_device(kvm, t, &cd);
		if (ret)
			return ret;
		if (copy_to_user(t, arg, &cd, sizeof(cd)))
			return -EFAULT;
		return 0;
	default:
		return -ENOTTY;
	}
}

static void kvm_vm_release(struct file *f)
{
	kvm_put_kvm(f->private_data);
}

static const struct file_operations kvm_vm_fops = {
	.name = "kvm-vm",
	.release = kvm_vm_release,
	.ioctl = kvm_vm_ioctl,
};

/* KVM_CREATE_VM: a new VM and its file (the file holds the VM's first reference). */
static int kvm_dev_ioctl_create_vm(const struct core_env *env, struct file **out)
{
	struct kvm *kvm = xzalloc(sizeof(*kvm));

	kvm->env = env;
	refcount_set(&kvm->users_count, 1);
	mutex_init(&kvm->lock, "kvm->lock");
	INIT_LIST_HEAD(&kvm->devices);
	INIT_LIST_HEAD(&kvm->deferred_fputs);
	atomic_init(&kvm->assigned_device_count, 0);
	atomic_init(&kvm->noncoherent_dma_count, 0);
	*out = anon_inode_getfile(env->world, &kvm_vm_fops, kvm, 02000002 /* O_RDWR|O_CLOEXEC */);
	return 0;
}

struct kvm *kvm_from_vm_file(struct file *f)
{
	return f->f_op == &kvm_vm_fops ? f->private_data : NULL;
}

/* /dev/kvm (kvm_dev_ioctl): the VM factory. */

#define KVM_API_VERSION_12 12

/* A /dev/kvm file: misc_open left its misc device in private_data. */
static struct kvm_core *to_kvm_core(struct file *f)
{
	return container_of((struct miscdevice *)f->private_data, struct kvm_core, misc);
}

static long kvm_dev_ioctl(struct file *f, struct task *t, unsigned int cmd, unsigned long arg)
{
	struct file *vm;
	int ret;

	switch (cmd) {
	case KVM_GET_API_VERSION:
		return arg ? -EINVAL : KVM_API_VERSION_12;
	case KVM_CREATE_VM:
		/* x86 knows machine types 0 (default) and the protected ones, not modelled. */
		if (arg)
			return -EINVAL;
		ret = kvm_dev_ioctl_create_vm(to_kvm_core(f)->env, &vm);
		if (ret)
			return ret;
		ret = t->ops->fd_install(t, vm);
		if (ret < 0)
			fput(vm);
		return ret;
	case KVM_CHECK_EXTENSION:
		/* Only what this VM can do: devices (kvm-vfio). */
		return arg == KVM_CAP_DEVICE_CTRL;
	default:
		return -EINVAL; /* kvm_arch_dev_ioctl */
	}
}

static const struct file_operations kvm_dev_fops = {
	.name = "kvm",
	.ioctl = kvm_dev_ioctl,
};

/*
 * kvm_init(): misc_register(&kvm_dev). The kernel's kvm_dev has no mode
 * (devtmpfs makes it 0600); Debian's udev rule makes it 0660 root:kvm, which
 * is what the lab shows.
 */
int kvm_init(struct kvm_core *kc, const struct core_env *env)
{
	kc->env = env;
	kc->misc = (struct miscdevice){
		.minor = KVM_MINOR,
		.name = "kvm",
		.mode = 0660,
		.fops = &kvm_dev_fops,
	};
	return misc_register(env->chrdevs, &kc->misc);
}

void kvm_exit(struct kvm_core *kc)
{
	misc_deregister(&kc->misc);
}

void kvm_vm_info(struct kvm *kvm, struct uvfio_kvm_info *out)
{
	out->users_count = refcount_read(&kvm->users_count);
	out->assigned_devices = atomic_load(&kvm->assigned_device_count);
	out->noncoherent_dma = atomic_load(&kvm->noncoherent_dma_count);
	mutex_lock(&kvm->lock);
	out->devices = (unsigned int)list_count(&kvm->devices);
	mutex_unlock(&kvm->lock);
}

// SPDX-License-Identifier: MIT
/*
 * The VFIO-KVM bridge pseudo device (virt/kvm/vfio.c, 6.12): KVM_DEV_VFIO_FILE
 * ADD and DEL (the legacy KVM_DEV_VFIO_GROUP names are the same numbers) of
 * VFIO group and device files. Each added file is held by a file reference,
 * counted as an assigned device, and told the VM (vfio_file_set_kvm), which
 * VFIO stores under a leaf lock and snapshots, with a VM reference, at a
 * device's first open.
 *
 * The device is freed by ->release (its fd closed, kvm->lock held), not by
 * ->destroy: its fd pins the VM, so it goes before the VM can, and never from
 * inside the VM destruction a VFIO close may trigger (seed 004,
 * 51cdc8bc120e). DEL undoes only a listed file that matches (e323369b2e20).
 *
 * Lock order: kvm->lock → kv->lock → vfio_group->kvm_ref_lock.
 */
#include <stdlib.h>

#include "kvm/kvm.h"
#include "vfio/vfio.h"
#include "base/env.h"
#include "shared/race.h"
#include "uvfio/uvfio-race.h"

struct kvm_vfio_file {
	struct list_head node; /* kv->file_list */
	struct file *file; /* our reference */
};

/* Lock order: kvm->lock → lock → vfio_group->kvm_ref_lock. */
struct kvm_vfio {
	struct mutex lock; /* file_list, noncoherent */
	struct list_head file_list;
	bool noncoherent;
};

/*
 * Registers the VM for non-coherent DMA while any listed file can do it, so
 * the VM honours guest memory types (digest §8.2); one registration at most.
 */
static void kvm_vfio_update_coherency(struct kvm_device *dev)
{
	struct kvm_vfio *kv = dev->private;
	struct kvm_vfio_file *kvf;
	bool noncoherent = false;

	lockdep_assert_held(&kv->lock);
	list_for_each_entry(kvf, &kv->file_list, node) {
		if (!vfio_file_enforced_coherent(kvf->file)) {
			noncoherent = true;
			break;
		}
	}
	if (noncoherent != kv->noncoherent) {
		kv->noncoherent = noncoherent;
		if (noncoherent)
			kvm_arch_register_noncoherent_dma(dev->kvm);
		else
			kvm_arch_unregister_noncoherent_dma(dev->kvm);
	}
}

/* fd is the caller's: -EBADF if not open; another kind of file is not a VFIO file. */
static struct file *kvm_vfio_fget(struct task *t, int fd, int not_ours)
{
	struct file *f = t->ops->fget(t, fd);

	if (IS_ERR(f))
		return ERR_PTR(PTR_ERR(f) == -EBADFD ? not_ours : -EBADF);
	return f;
}

static int kvm_vfio_file_add(struct kvm_device *dev, struct task *t, int fd)
{
	struct kvm_vfio *kv = dev->private;
	struct kvm_vfio_file *kvf;
	struct file *filp;
	int ret = 0;

	filp = kvm_vfio_fget(t, fd, -EINVAL);
	if (IS_ERR(filp))
		return (int)PTR_ERR(filp);
	/* Only VFIO group and device files. */
	if (!vfio_file_is_valid(filp)) {
		ret = -EINVAL;
		goto out_fput;
	}
	mutex_lock(&kv->lock);
	list_for_each_entry(kvf, &kv->file_list, node) {
		if (kvf->file == filp) {
			ret = -EEXIST;
			goto out_unlock;
		}
	}
	kvf = xzalloc(sizeof(*kvf));
	kvf->file = get_file(filp);
	list_add_tail(&kvf->node, &kv->file_list);
	kvm_arch_start_assignment(dev->kvm);
	vfio_file_set_kvm(kvf->file, dev->kvm);
	kvm_vfio_update_coherency(dev);
out_unlock:
	mutex_unlock(&kv->lock);
out_fput:
	fput(filp);
	return ret;
}

static int kvm_vfio_file_del(struct kvm_device *dev, struct task *t, int fd)
{
	struct kvm_vfio *kv = dev->private;
	struct kvm_vfio_file *kvf;
	struct file *filp, *put = NULL;
	int ret = -ENOENT;

	/* In the kernel any open fd passes here; only a listed one can match. */
	filp = kvm_vfio_fget(t, fd, -ENOENT);
	if (IS_ERR(filp))
		return (int)PTR_ERR(filp);
	race_point(dev->kvm->env->races, "kvm_vfio_file_del");
	mutex_lock(&kv->lock);
	list_for_each_entry(kvf, &kv->file_list, node) {
		if (kvf->file != filp)
			continue;
		/* Undo exactly what ADD did, for this file only. */
		list_del(&kvf->node);
		kvm_arch_end_assignment(dev->kvm);
		vfio_file_set_kvm(kvf->file, NULL);
		put = kvf->file;
		free(kvf);
		ret = 0;
		break;
	}
	if (ret && race_quirk(dev->kvm->env->races, UVFIO_QUIRK_KVM_VFIO_DECOUPLE_ANY) &&
	    vfio_file_is_valid(filp)) {
		/* Pre-e323369b2e20: the unmatched file's VM is cleared and the count dropped. */
		kvm_arch_end_assignment(dev->kvm);
		vfio_file_set_kvm(filp, NULL);
	}
	kvm_vfio_update_coherency(dev);
	mutex_unlock(&kv->lock);
	/* The kernel's fput is deferred: never under kv->lock. */
	if (put)
		fput(put);
	fput(filp);
	return ret;
}

static int kvm_vfio_set_file(struct kvm_device *dev, struct task *t, long attr, u64 arg)
{
	s32 fd;

	switch (attr) {
	case KVM_DEV_VFIO_FILE_ADD:
		if (copy_from_user(t, &fd, arg, sizeof(fd)))
			return -EFAULT;
		return kvm_vfio_file_add(dev, t, fd);
	case KVM_DEV_VFIO_FILE_DEL:
		if (copy_from_user(t, &fd, arg, sizeof(fd)))
			return -EFAULT;
		return kvm_vfio_file_del(dev, t, fd);
	}
	/* KVM_DEV_VFIO_GROUP_SET_SPAPR_TCE exists on POWER only. */
	return -ENXIO;
}

static int kvm_vfio_set_attr(struct kvm_device *dev, struct task *t, struct kvm_device_attr *attr)
{
	switch (attr->group) {
	case KVM_DEV_VFIO_FILE:
		return kvm_vfio_set_file(dev, t, (long)attr->attr, attr->addr);
	}
	return -ENXIO;
}

static int kvm_vfio_has_attr(struct kvm_device *dev, struct task *t, struct kvm_device_attr *attr)
{
	switch (attr->group) {
	case KVM_DEV_VFIO_FILE:
		switch (attr->attr) {
		case KVM_DEV_VFIO_FILE_ADD:
		case KVM_DEV_VFIO_FILE_DEL:
			return 0;
		}
		break;
	}
	return -ENXIO;
}

/* Forgets every file; puts them through put_file (deferred or not). */
static void kvm_vfio_drop_files(struct kvm_device *dev,
				void (*put_file)(struct kvm *, struct file *))
{
	struct kvm_vfio *kv = dev->private;
	struct kvm_vfio_file *kvf, *tmp;

	list_for_each_entry_safe(kvf, tmp, &kv->file_list, node) {
		vfio_file_set_kvm(kvf->file, NULL);
		put_file(dev->kvm, kvf->file);
		list_del(&kvf->node);
		free(kvf);
		kvm_arch_end_assignment(dev->kvm);
	}
}

static void kvm_vfio_free(struct kvm_device *dev)
{
	struct kvm_vfio *kv = dev->private;

	mutex_lock(&kv->lock);
	kvm_vfio_update_coherency(dev);
	mutex_unlock(&kv->lock);
	mutex_destroy(&kv->lock);
	free(kv);
	free(dev); /* allocated by kvm_ioctl_create_device, freed here */
}

/* Closing the kvm-vfio fd, with kvm->lock held: the VM is still alive. */
static void kvm_vfio_release(struct kvm_device *dev)
{
	lockdep_assert_held(&dev->kvm->lock);
	race_point(dev->kvm->env->races, "kvm_vfio_release");
	kvm_vfio_drop_files(dev, kvm_fput_deferred);
	kvm_vfio_free(dev);
}

static void kvm_vfio_fput_now(struct kvm *kvm, struct file *f)
{
	fput(f);
}

/*
 * The pre-51cdc8bc120e way: freed when the VM is destroyed, which may be the
 * last kvm_put_kvm() of a VFIO device's last close, under that group's lock.
 */
static void kvm_vfio_destroy(struct kvm_device *dev)
{
	kvm_vfio_drop_files(dev, kvm_vfio_fput_now);
	kvm_vfio_free(dev);
}

static int kvm_vfio_create(struct kvm_device *dev, u32 type)
{
	struct kvm_device *tmp;
	struct kvm_vfio *kv;

	lockdep_assert_held(&dev->kvm->lock);
	/* Only one VFIO "device" per VM. */
	list_for_each_entry(tmp, &dev->kvm->devices, vm_node)
		if (tmp->ops == &kvm_vfio_ops || tmp->ops == &kvm_vfio_ops_destroy)
			return -EBUSY;
	kv = xzalloc(sizeof(*kv));
	INIT_LIST_HEAD(&kv->file_list);
	mutex_init(&kv->lock, "kvm_vfio->lock");
	dev->private = kv;
	return 0;
}

const struct kvm_device_ops kvm_vfio_ops = {
	.name = "kvm-vfio",
	.create = kvm_vfio_create,
	.release = kvm_vfio_release,
	.set_attr = kvm_vfio_set_attr,
	.has_attr = kvm_vfio_has_attr,
};

const struct kvm_device_ops kvm_vfio_ops_destroy = {
	.name = "kvm-vfio",
	.create = kvm_vfio_create,
	.destroy = kvm_vfio_destroy,
	.set_attr = kvm_vfio_set_attr,
	.has_attr = kvm_vfio_has_attr,
};

// SPDX-License-Identifier: MIT
/*
 * The kvm-vfio bridge (digest §6.4, §8; seed 004): KVM_DEV_VFIO_FILE ADD/DEL
 * with 6.12's errnos, the VM reference a VFIO device takes at first open and
 * drops at last close, and the release ordering: the pseudo device goes when
 * its fd is closed, so a VFIO close that drops the VM's last reference never
 * calls back into VFIO. With the old ordering (freed by the VM's destroy,
 * set_kvm under group_lock) the same sequence self-deadlocks, detected in a
 * forked child.
 */
#include "common.h"

#include <stdio.h>
#include <unistd.h>

#include <linux/kvm.h>

#include <uvfio/uvfio-kvm.h>
#include <uvfio/uvfio-race.h>

#ifndef KVM_DEV_VFIO_FILE
#define KVM_DEV_VFIO_FILE KVM_DEV_VFIO_GROUP
#define KVM_DEV_VFIO_FILE_ADD KVM_DEV_VFIO_GROUP_ADD
#define KVM_DEV_VFIO_FILE_DEL KVM_DEV_VFIO_GROUP_DEL
#endif

static int kvm_vfio_create(struct uvfio_proc *p, int vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

	if (uvfio_ioctl(p, vm, KVM_CREATE_DEVICE, &cd))
		return -1;
	return (int)cd.fd;
}

static int kvm_vfio_file(struct uvfio_proc *p, int kvfd, uint64_t attr, int32_t fd)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = attr,
		.addr = (uint64_t)(uintptr_t)&fd,
	};

	return uvfio_ioctl(p, kvfd, KVM_SET_DEVICE_ATTR, &a);
}

static struct uvfio_kvm_info vm_info(struct uvfio_proc *p, int vm)
{
	struct uvfio_kvm_info info;

	ASSERT_OK(uvfio_kvm_info(p, vm, &info));
	return info;
}

TEST(kvm, create_device_and_attrs)
{
	struct vfio_env e;
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO,
					.flags = KVM_CREATE_DEVICE_TEST };
	struct kvm_device_attr has = { .group = KVM_DEV_VFIO_FILE, .attr = KVM_DEV_VFIO_FILE_ADD };
	int vm, kv, efd = efd_new();

	edu_setup(&e);
	vm = uvfio_kvm_create_vm(e.p);
	ASSERT_OK(vm);
	ASSERT_EQ(vm_info(e.p, vm).users_count, 1);
	ASSERT_OK(uvfio_ioctl(e.p, vm, KVM_CREATE_DEVICE, &cd)); /* TEST: supported, nothing made */
	ASSERT_EQ(vm_info(e.p, vm).devices, 0);
	cd = (struct kvm_create_device){ .type = 0x7fff };
	ASSERT_ERRNO(uvfio_ioctl(e.p, vm, KVM_CREATE_DEVICE, &cd), ENODEV);
	kv = kvm_vfio_create(e.p, vm);
	ASSERT_OK(kv);
	ASSERT_EQ(vm_info(e.p, vm).users_count, 2); /* the device fd pins the VM */
	ASSERT_ERRNO(kvm_vfio_create(e.p, vm), EBUSY); /* one per VM */

	ASSERT_OK(uvfio_ioctl(e.p, kv, KVM_HAS_DEVICE_ATTR, &has));
	has.attr = KVM_DEV_VFIO_FILE_DEL;
	ASSERT_OK(uvfio_ioctl(e.p, kv, KVM_HAS_DEVICE_ATTR, &has));
	has.attr = 3; /* SET_SPAPR_TCE: POWER only */
	ASSERT_ERRNO(uvfio_ioctl(e.p, kv, KVM_HAS_DEVICE_ATTR, &has), ENXIO);
	has.group = 2;
	ASSERT_ERRNO(uvfio_ioctl(e.p, kv, KVM_SET_DEVICE_ATTR, &has), ENXIO);
	ASSERT_ERRNO(uvfio_ioctl(e.p, kv, KVM_GET_DEVICE_ATTR, &has), EPERM);

	/* ADD: not open, not a VFIO file (an eventfd, a container), the same file twice. */
	ASSERT_ERRNO(kvm_vfio_file(e.p, kv, KVM_DEV_VFIO_FILE_ADD, 1000000), EBADF);
	ASSERT_ERRNO(kvm_vfio_file(e.p, kv, KVM_DEV_VFIO_FILE_ADD, efd), EINVAL);
	ASSERT_ERRNO(kvm_vfio_file(e.p, kv, KVM_DEV_VFIO_FILE_ADD, e.container), EINVAL);
	ASSERT_OK(kvm_vfio_file(e.p, kv, KVM_DEV_VFIO_FILE_ADD, e.group));
	ASSERT_ERRNO(kvm_vfio_file(e.p, kv, KVM_DEV_VFIO_FILE_ADD, e.group), EEXIST);
	ASSERT_EQ(vm_info(e.p, vm).assigned_devices, 1);
	/* QEMU's VT-d has no snoop control: the VM must honour guest memory types. */
	ASSERT_EQ(vm_info(e.p, vm).noncoherent_dma, 1);
	/* A device fd is a VFIO file too (6.12). */
	ASSERT_OK(kvm_vfio_file(e.p, kv, KVM_DEV_VFIO_FILE_ADD, e.device));
	ASSERT_EQ(vm_info(e.p, vm).assigned_devices, 2);
	ASSERT_OK(kvm_vfio_file(e.p, kv, KVM_DEV_VFIO_FILE_DEL, e.device));

	/* DEL: not open, open but not listed. */
	ASSERT_ERRNO(kvm_vfio_file(e.p, kv, KVM_DEV_VFIO_FILE_DEL, 1000000), EBADF);
	ASSERT_ERRNO(kvm_vfio_file(e.p, kv, KVM_DEV_VFIO_FILE_DEL, efd), ENOENT);
	ASSERT_OK(kvm_vfio_file(e.p, kv, KVM_DEV_VFIO_FILE_DEL, e.group));
	ASSERT_ERRNO(kvm_vfio_file(e.p, kv, KVM_DEV_VFIO_FILE_DEL, e.group), ENOENT);
	ASSERT_EQ(vm_info(e.p, vm).assigned_devices, 0);
	ASSERT_EQ(vm_info(e.p, vm).noncoherent_dma, 0);

	ASSERT_OK(uvfio_close(e.p, kv));
	ASSERT_EQ(vm_info(e.p, vm).users_count, 1);
	ASSERT_EQ(vm_info(e.p, vm).devices, 0);
	ASSERT_OK(uvfio_close(e.p, vm));
	close(efd);
	env_teardown(&e);
}

/* A device opened after FILE_ADD holds a VM reference until its last close; not one before. */
TEST(kvm, device_open_takes_vm_reference)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;
	int vm, kv, d2;

	bind_vfio(w, EDU_BDF);
	env_open(&e, w, p, EDU_GROUP, EDU_BDF, VFIO_TYPE1v2_IOMMU); /* opened before the VM */
	vm = uvfio_kvm_create_vm(p);
	kv = kvm_vfio_create(p, vm);
	ASSERT_OK(kvm_vfio_file(p, kv, KVM_DEV_VFIO_FILE_ADD, e.group));
	ASSERT_EQ(vm_info(p, vm).users_count, 2); /* a later ADD is not seen by an open device */
	ASSERT_OK(uvfio_close(p, e.device));
	e.device = uvfio_ioctl(p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	ASSERT_OK(e.device);
	ASSERT_EQ(vm_info(p, vm).users_count, 3); /* first open: one reference */
	d2 = uvfio_ioctl(p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	ASSERT_OK(d2);
	ASSERT_EQ(vm_info(p, vm).users_count, 3); /* not per fd */
	ASSERT_OK(uvfio_close(p, d2));
	ASSERT_EQ(vm_info(p, vm).users_count, 3);
	/* DEL clears the group's VM; the open device keeps its reference until its last close. */
	ASSERT_OK(kvm_vfio_file(p, kv, KVM_DEV_VFIO_FILE_DEL, e.group));
	ASSERT_EQ(vm_info(p, vm).users_count, 3);
	ASSERT_OK(uvfio_close(p, e.device));
	e.device = -1;
	ASSERT_EQ(vm_info(p, vm).users_count, 2);
	ASSERT_OK(uvfio_close(p, kv));
	ASSERT_OK(uvfio_close(p, vm));
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
}

/* e323369b2e20: DEL of a group that is not on the list undoes nothing. */
static void decouple_only_matching(unsigned long quirks, int *assigned_after, int *vm_refs_after)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env edu, nic;
	int vm, kv;

	if (uvfio_world_set_quirks(w, quirks) == -EOPNOTSUPP)
		SKIP("built without race points");
	bind_vfio(w, EDU_BDF);
	bind_vfio(w, NIC_A_BDF);
	bind_vfio(w, NIC_B_BDF);
	env_open(&edu, w, p, EDU_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
	env_open(&nic, w, p, NIC_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
	vm = uvfio_kvm_create_vm(p);
	kv = kvm_vfio_create(p, vm);
	ASSERT_OK(kvm_vfio_file(p, kv, KVM_DEV_VFIO_FILE_ADD, edu.group));
	/* The NIC group was never added: ENOENT, and edu's assignment stays. */
	ASSERT_ERRNO(kvm_vfio_file(p, kv, KVM_DEV_VFIO_FILE_DEL, nic.group), ENOENT);
	*assigned_after = vm_info(p, vm).assigned_devices;
	/* edu's group must still give its VM to a device opened now. */
	edu.device = uvfio_ioctl(p, edu.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	ASSERT_OK(edu.device);
	*vm_refs_after = (int)vm_info(p, vm).users_count;
	ASSERT_OK(uvfio_close(p, kv));
	ASSERT_OK(uvfio_close(p, vm));
	env_close(&nic);
	env_close(&edu);
	uvfio_proc_free(p);
	world_free(w);
}

TEST(kvm, del_decouples_only_a_matching_group)
{
	int assigned, refs;

	decouple_only_matching(0, &assigned, &refs);
	ASSERT_EQ(assigned, 1);
	ASSERT_EQ(refs, 3); /* VM fd, kvm-vfio fd, edu's open */
}

TEST(kvm, del_old_order_unbalances)
{
	int assigned, refs;

	decouple_only_matching(UVFIO_QUIRK_KVM_VFIO_DECOUPLE_ANY, &assigned, &refs);
	ASSERT_EQ(assigned, 0); /* the assigned-device count went off balance */
	ASSERT_EQ(refs, 3);
}

/* --- seed 004 ------------------------------------------------------------------------------- */

#define HANG_MS 1500

static void *close_thread(void *arg)
{
	struct vfio_env *e = arg;

	return (void *)(intptr_t)uvfio_close(e->p, e->device);
}

/*
 * QEMU's shutdown order: the kvm-vfio fd, then the VM fd, then (last) the
 * VFIO device fd. The device's last close drops the VM's last reference
 * under group_lock and destroys the VM there.
 */
static void seed004_chain(unsigned long quirks)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;
	struct bg closer;
	int vm, kv;

	if (uvfio_world_set_quirks(w, quirks) == -EOPNOTSUPP)
		_exit(0);
	bind_vfio(w, EDU_BDF);
	env_open(&e, w, p, EDU_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
	vm = uvfio_kvm_create_vm(p);
	kv = kvm_vfio_create(p, vm);
	ASSERT_OK(kvm_vfio_file(p, kv, KVM_DEV_VFIO_FILE_ADD, e.group));
	e.device = uvfio_ioctl(p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	ASSERT_OK(e.device);
	ASSERT_EQ(vm_info(p, vm).users_count, 3);
	ASSERT_OK(uvfio_close(p, kv)); /* kvm_vfio_release (6.12) or nothing yet (old) */
	ASSERT_OK(uvfio_close(p, vm));

	/* The VM is destroyed inside the device's close: park there to show it. */
	ASSERT_NEG(uvfio_race_arm(w, "kvm_destroy_vm"), 0);
	bg_start(&closer, close_thread, &e);
	ASSERT_NEG(uvfio_race_wait(w, "kvm_destroy_vm", 5000), 0);
	ASSERT_NEG(uvfio_race_release(w, "kvm_destroy_vm"), 0);
	if (!bg_wait(&closer, HANG_MS)) {
		printf("device close still blocked after %d ms\n", HANG_MS);
		fflush(NULL);
		_exit(4);
	}
	ASSERT_EQ((intptr_t)bg_join(&closer), 0);
	e.device = -1;
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
}

TEST(kvm, seed004_release_chain)
{
	ASSERT_EQ(run_deadlock_child(seed004_chain, 0), 0);
}

TEST(kvm, seed004_old_order_deadlocks)
{
	/* kvm_put_kvm → destroy → kvm_vfio_destroy → set_kvm → group_lock, already ours. */
	ASSERT_EQ(run_deadlock_child(seed004_chain, UVFIO_QUIRK_KVM_VFIO_DESTROY), -1);
}

/* Process death: every fd closed in table order still tears everything down. */
TEST(kvm, proc_exit_releases_everything)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;
	int vm, kv;

	bind_vfio(w, EDU_BDF);
	env_open(&e, w, p, EDU_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
	vm = uvfio_kvm_create_vm(p);
	kv = kvm_vfio_create(p, vm);
	ASSERT_OK(kvm_vfio_file(p, kv, KVM_DEV_VFIO_FILE_ADD, e.group));
	ASSERT_OK(uvfio_ioctl(p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF));
	uvfio_proc_free(p);
	/* edu can be unbound at once: nobody holds it. */
	ASSERT_EQ(sysfs_puts(w, "/sys/bus/pci/drivers/vfio-pci/unbind", EDU_BDF), 12);
	world_free(w);
}

// SPDX-License-Identifier: MIT
/*
 * D2 (digest §6.4): the 2023 ABBA between kvm->lock and a VFIO group's
 * group_lock, fixed by making vfio_file_set_kvm() take only the leaf
 * kvm_ref_lock.
 *
 *   thread A: GET_DEVICE_FD, first open        thread B: close(kvm-vfio fd)
 *   group_lock, dev_set->lock                  kvm_device_release: kvm->lock
 *     driver open_device: kvm->lock              kvm_vfio_release
 *                                                  vfio_file_set_kvm(NULL)
 *
 * The driver is vfio-ap-like: its open_device fails without a VM and takes
 * kvm->lock of the VM the core gave the device (vfio-ap programs the guest's
 * crypto control block there), its close_device takes it again. It is a small
 * PCI driver registered by the test on edu, bound through driver_override.
 *
 * The test parks A at "vfio_df_open.first" (group_lock and dev_set->lock
 * held, about to call open_device) and B at "kvm_vfio_release" (kvm->lock
 * held, about to clear the groups' VM), then lets both go. With 6.12's
 * ordering both finish. With UVFIO_QUIRK_SET_KVM_GROUP_LOCK (set_kvm under
 * group_lock, as between 51cdc8bc120e and the fix) each waits for the other
 * for ever: the scenario runs in a forked child, and a child still blocked
 * after a deadline is the detected deadlock (the parent kills it, so the
 * test binary always ends).
 */
#include "common.h"

#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/kvm.h>

#include <uvfio/uvfio-kvm.h>
#include <uvfio/uvfio-race.h>

#include "kvm/kvm.h"
#include "pci/pci.h"
#include "vfio/vfio.h"
#include "world.h"

#define KVMLOCK_DRV "vfio-kvmlock"
#define HANG_MS 1500

/* --- the vfio-ap-like driver ---------------------------------------------------------------- */

struct kvmlock_device {
	struct vfio_device vdev; /* first: vfio_put_device() frees through release */
	atomic_int opens; /* open_device calls that found a VM and took its lock */
};

/* vfio_ap_mdev_open_device → vfio_ap_mdev_set_kvm: needs the VM, takes kvm->lock. */
static int kvmlock_open_device(struct vfio_device *vdev)
{
	struct kvmlock_device *kd = container_of(vdev, struct kvmlock_device, vdev);

	if (!vdev->kvm)
		return -EINVAL;
	mutex_lock(&vdev->kvm->lock);
	atomic_fetch_add(&kd->opens, 1);
	mutex_unlock(&vdev->kvm->lock);
	return 0;
}

/* vfio_ap_mdev_unset_kvm: the device still holds its VM reference here. */
static void kvmlock_close_device(struct vfio_device *vdev)
{
	mutex_lock(&vdev->kvm->lock);
	mutex_unlock(&vdev->kvm->lock);
}

static void kvmlock_release(struct vfio_device *vdev)
{
	free(container_of(vdev, struct kvmlock_device, vdev));
}

static const struct vfio_device_ops kvmlock_ops = {
	.name = KVMLOCK_DRV,
	.release = kvmlock_release,
	.open_device = kvmlock_open_device,
	.close_device = kvmlock_close_device,
};

static int kvmlock_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct kvmlock_device *kd = xzalloc(sizeof(*kd));
	int ret;

	(void)id;
	atomic_init(&kd->opens, 0);
	ret = vfio_init_device(&kd->vdev, &pdev->bus->world->vfio, &pdev->dev, &kvmlock_ops);
	if (ret) {
		free(kd);
		return ret;
	}
	ret = vfio_register_group_dev(&kd->vdev);
	if (ret) {
		vfio_put_device(&kd->vdev);
		return ret;
	}
	pdev->dev.driver_data = kd;
	return 0;
}

static void kvmlock_remove(struct pci_dev *pdev)
{
	struct kvmlock_device *kd = pdev->dev.driver_data;

	vfio_unregister_group_dev(&kd->vdev);
	vfio_put_device(&kd->vdev);
}

/* Binds only through driver_override, as vfio-pci. */
static const struct pci_device_id kvmlock_ids[] = {
	{ .vendor = PCI_ANY_ID,
	  .device = PCI_ANY_ID,
	  .subvendor = PCI_ANY_ID,
	  .subdevice = PCI_ANY_ID,
	  .override_only = true },
	{ 0 },
};

/* Registers the driver on w and binds edu to it; returns the driver to unregister. */
static struct pci_driver *kvmlock_bind_edu(struct uvfio_world *w)
{
	struct pci_driver *drv = xzalloc(sizeof(*drv));
	char now[64];

	drv->name = KVMLOCK_DRV;
	drv->id_table = kvmlock_ids;
	drv->probe = kvmlock_probe;
	drv->remove = kvmlock_remove;
	drv->driver.driver_managed_dma = true;
	ASSERT_NEG(pci_register_driver(&w->pci, drv), 0);
	ASSERT_EQ(sysfs_puts(w, "/sys/bus/pci/devices/" EDU_BDF "/driver_override", KVMLOCK_DRV),
		  (ssize_t)strlen(KVMLOCK_DRV));
	ASSERT_EQ(sysfs_puts(w, "/sys/bus/pci/drivers_probe", EDU_BDF), 12);
	ASSERT_STREQ(driver_of(w, EDU_BDF, now, sizeof(now)), KVMLOCK_DRV);
	return drv;
}

static struct kvmlock_device *kvmlock_of_edu(struct uvfio_world *w)
{
	struct pci_dev *pdev = pci_get_domain_bus_and_slot(&w->pci, 0, 0, PCI_DEVFN(3, 0));
	struct kvmlock_device *kd;

	ASSERT_TRUE(pdev);
	kd = pdev->dev.driver_data;
	put_device(&pdev->dev);
	return kd;
}

/* --- helpers -------------------------------------------------------------------------------- */

static int kvm_vfio_create(struct uvfio_proc *p, int vm)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };

	if (uvfio_ioctl(p, vm, KVM_CREATE_DEVICE, &cd))
		return -1;
	return (int)cd.fd;
}

static int kvm_vfio_add(struct uvfio_proc *p, int kvfd, int32_t fd)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_VFIO_GROUP,
		.attr = KVM_DEV_VFIO_GROUP_ADD,
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

struct abba {
	struct uvfio_proc *p;
	int group, kv;
};

/* Thread A: QEMU's GET_DEVICE_FD; returns the new fd or -errno. */
static void *open_thread(void *arg)
{
	struct abba *ab = arg;
	int fd = uvfio_ioctl(ab->p, ab->group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);

	return (void *)(intptr_t)(fd < 0 ? -errno : fd);
}

/* Thread B: QEMU closes the kvm-vfio device fd; 0 or -errno. */
static void *close_kv_thread(void *arg)
{
	struct abba *ab = arg;

	return (void *)(intptr_t)(uvfio_close(ab->p, ab->kv) ? -errno : 0);
}

/* Ends the forked child: 4 means "still blocked", the detected deadlock. */
static void hang_exit(const char *who)
{
	printf("%s still blocked after %d ms\n", who, HANG_MS);
	fflush(NULL);
	_exit(4);
}

/* --- the scenario, in a forked child -------------------------------------------------------- */

static void d2_scenario(unsigned long quirks)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct pci_driver *drv;
	struct kvmlock_device *kd;
	struct vfio_env e;
	struct abba ab;
	struct bg a, b;
	intptr_t dev;
	int vm;

	if (uvfio_world_set_quirks(w, quirks) == -EOPNOTSUPP)
		_exit(0);
	drv = kvmlock_bind_edu(w);
	kd = kvmlock_of_edu(w);
	env_open(&e, w, p, EDU_GROUP, NULL, VFIO_TYPE1v2_IOMMU);

	/* Without a VM the driver refuses to open (vfio-ap: -EINVAL). */
	ASSERT_ERRNO(uvfio_ioctl(p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF), EINVAL);

	/* QEMU's order: VM, kvm-vfio, FILE_ADD of the group, then GET_DEVICE_FD. */
	vm = uvfio_kvm_create_vm(p);
	ASSERT_OK(vm);
	ab = (struct abba){ .p = p, .group = e.group, .kv = kvm_vfio_create(p, vm) };
	ASSERT_OK(ab.kv);
	ASSERT_OK(kvm_vfio_add(p, ab.kv, e.group));

	/* A: first open, parked with group_lock and dev_set->lock, before open_device. */
	ASSERT_NEG(uvfio_race_arm(w, "vfio_df_open.first"), 0);
	bg_start(&a, open_thread, &ab);
	ASSERT_NEG(uvfio_race_wait(w, "vfio_df_open.first", 5000), 0);
	/* B: the kvm-vfio fd's release, parked with kvm->lock, before set_kvm(NULL). */
	ASSERT_NEG(uvfio_race_arm(w, "kvm_vfio_release"), 0);
	bg_start(&b, close_kv_thread, &ab);
	ASSERT_NEG(uvfio_race_wait(w, "kvm_vfio_release", 5000), 0);

	/*
	 * A holds group_lock and goes for kvm->lock, which B holds: A cannot
	 * finish while B is parked. Then B clears the group's VM: with 6.12's
	 * leaf kvm_ref_lock it finishes, and A gets kvm->lock after it.
	 */
	ASSERT_NEG(uvfio_race_release(w, "vfio_df_open.first"), 0);
	ASSERT_FALSE(bg_wait(&a, 100));
	ASSERT_NEG(uvfio_race_release(w, "kvm_vfio_release"), 0);
	if (!bg_wait(&b, HANG_MS))
		hang_exit("close(kvm-vfio fd)");
	if (!bg_wait(&a, HANG_MS))
		hang_exit("GET_DEVICE_FD");
	ASSERT_EQ((intptr_t)bg_join(&b), 0);
	dev = (intptr_t)bg_join(&a);
	ASSERT_GE(dev, 0);
	/* The open got the VM (snapshotted before B cleared it) and its lock. */
	ASSERT_EQ(atomic_load(&kd->opens), 1);
	ASSERT_EQ(vm_info(p, vm).users_count, 2); /* the VM fd and the open device */
	ASSERT_EQ(vm_info(p, vm).assigned_devices, 0);
	ASSERT_EQ(vm_info(p, vm).devices, 0);

	/* The device's last close drops the VM reference; then everything comes apart. */
	ASSERT_OK(uvfio_close(p, (int)dev));
	ASSERT_EQ(vm_info(p, vm).users_count, 1);
	ASSERT_OK(uvfio_close(p, vm));
	env_close(&e);
	pci_unregister_driver(drv);
	free(drv);
	uvfio_proc_free(p);
	world_free(w);
}

TEST(kvm_abba, d2_open_vs_kvm_vfio_release)
{
	ASSERT_EQ(run_deadlock_child(d2_scenario, 0), 0);
}

TEST(kvm_abba, d2_old_order_deadlocks)
{
	/* set_kvm under group_lock: A (group_lock → kvm->lock) vs B (kvm->lock → group_lock). */
	ASSERT_EQ(run_deadlock_child(d2_scenario, UVFIO_QUIRK_SET_KVM_GROUP_LOCK), -1);
}

/*
 * KVM_VFIO_DESTROY alone is not D2: its kvm-vfio is freed by the VM's destroy,
 * so closing its fd takes no kvm->lock path into VFIO and the race point is
 * never reached; the ordering D2 needs is ->release with set_kvm under
 * group_lock. Shown here so the two quirks are not confused.
 */
TEST(kvm_abba, destroy_quirk_is_not_d2)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;
	int vm, kv;

	if (uvfio_world_set_quirks(w, UVFIO_QUIRK_KVM_VFIO_DESTROY) == -EOPNOTSUPP)
		SKIP("built without race points");
	bind_vfio(w, EDU_BDF);
	env_open(&e, w, p, EDU_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
	vm = uvfio_kvm_create_vm(p);
	kv = kvm_vfio_create(p, vm);
	ASSERT_OK(kvm_vfio_add(p, kv, e.group));
	ASSERT_NEG(uvfio_race_arm(w, "kvm_vfio_release"), 0);
	ASSERT_OK(uvfio_close(p, kv)); /* no ->release: nothing parks */
	ASSERT_NEG(uvfio_race_wait(w, "kvm_vfio_release", 50), ETIMEDOUT);
	ASSERT_NEG(uvfio_race_release(w, "kvm_vfio_release"), 0);
	ASSERT_EQ(vm_info(p, vm).devices, 1); /* still on the VM until it is destroyed */
	ASSERT_OK(uvfio_close(p, vm));
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
}

// SPDX-License-Identifier: MIT
/*
 * Runtime power management of a vfio-pci device and the low-power features
 * of VFIO_DEVICE_FEATURE (drivers/vfio/pci/vfio_pci_core.c, 6.12:
 * vfio_pci_runtime_pm_entry, vfio_pci_core_pm_entry{,_with_wakeup},
 * vfio_pci_core_pm_exit, vfio_pci_core_runtime_resume,
 * vfio_pci_core_ioctl_feature).
 *
 * vfio-pci allows runtime PM at registration (power/control "auto"), so a
 * closed device is runtime suspended and an open one active. LOW_POWER_ENTRY
 * lets the user drop the open device's usage count: it suspends as the
 * ioctl returns. While the feature is engaged the device's mmaps fault with
 * SIGBUS (vfio_pci_mmap_huge_fault), whereas every ioctl and region
 * read/write resumes it first (vfio_device_pm_runtime_get, vfio_pci_rw).
 * With a wake-up eventfd (ENTRY_WITH_WAKEUP) that resume signals the eventfd
 * and ends low power; without one the device suspends again after the call
 * and stays engaged until LOW_POWER_EXIT or the last close. A second entry
 * while engaged is -EINVAL, unless the resume of its own ioctl ended it.
 * What the kernel lab showed is in docs/kernel-facts.md ("Low power").
 *
 * Not modelled: masking INTx across the suspend (vfio_pci_core_runtime_suspend
 * masks an enabled INTx and resume unmasks it), D3hot for functions whose PM
 * capability supports it (the lab's functions all stay D0), and revoking the
 * memfd-backed pages of a RAM BAR's mapping (only trapped pages fault).
 *
 * pm_runtime_engaged and pm_wake_eventfd_ctx are protected by memory_lock
 * (write), as in the kernel; the device's power/ state by its bus->lock.
 */
#include <stdlib.h>

#include "base/device.h"
#include "vfio/pci/vfio_pci_priv.h"
#include "vfio/vfio.h"

/* What power/ shows: runtime PM allowed (control "auto") and the status. */
static void vfio_pci_pm_set(struct vfio_pci_core_device *vdev, bool runtime_auto, bool suspended)
{
	struct device *dev = &vdev->pdev->dev;

	mutex_lock(&dev->bus->lock);
	dev->power.runtime_auto = runtime_auto;
	dev->power.runtime_suspended = suspended;
	mutex_unlock(&dev->bus->lock);
}

/* Caller holds memory_lock for write. */
static void __vfio_pci_runtime_pm_exit(struct vfio_pci_core_device *vdev)
{
	if (!vdev->pm_runtime_engaged)
		return;
	vdev->pm_runtime_engaged = false;
	if (vdev->pm_wake_eventfd_ctx) {
		eventfd_ctx_put(vdev->pm_wake_eventfd_ctx);
		vdev->pm_wake_eventfd_ctx = NULL;
	}
	vfio_pci_pm_set(vdev, true, false);
}

void vfio_pci_runtime_pm_exit(struct vfio_pci_core_device *vdev)
{
	down_write(&vdev->memory_lock);
	__vfio_pci_runtime_pm_exit(vdev);
	up_write(&vdev->memory_lock);
}

void vfio_pci_core_runtime_resume(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);
	bool wake;

	/* Every ioctl and region access comes here: the common case reads only. */
	down_read(&vdev->memory_lock);
	wake = vdev->pm_wake_eventfd_ctx;
	up_read(&vdev->memory_lock);
	if (!wake)
		return;
	/* Engaged means suspended (nothing holds a usage count): it resumes here. */
	down_write(&vdev->memory_lock);
	if (vdev->pm_wake_eventfd_ctx) {
		eventfd_signal(vdev->pm_wake_eventfd_ctx);
		__vfio_pci_runtime_pm_exit(vdev);
	}
	up_write(&vdev->memory_lock);
}

static int vfio_pci_runtime_pm_entry(struct vfio_pci_core_device *vdev, struct eventfd_ctx *efdctx)
{
	/* vfio_pci_zap_and_down_write_memory_lock: the mmaps fault from now on. */
	down_write(&vdev->memory_lock);
	if (vdev->pm_runtime_engaged) {
		up_write(&vdev->memory_lock);
		return -EINVAL;
	}
	vdev->pm_runtime_engaged = true;
	vdev->pm_wake_eventfd_ctx = efdctx;
	/* The usage count is 0 once the ioctl returns: the device suspends. */
	vfio_pci_pm_set(vdev, true, true);
	up_write(&vdev->memory_lock);
	return 0;
}

static int vfio_pci_core_pm_entry(struct vfio_pci_core_device *vdev, u32 flags, size_t argsz)
{
	int ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);

	if (ret != 1)
		return ret;
	return vfio_pci_runtime_pm_entry(vdev, NULL);
}

static int vfio_pci_core_pm_entry_with_wakeup(struct vfio_pci_core_device *vdev, struct task *t,
					      u32 flags, unsigned long arg, size_t argsz)
{
	struct vfio_device_low_power_entry_with_wakeup entry;
	struct eventfd_ctx *efdctx;
	int ret;

	ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, sizeof(entry));
	if (ret != 1)
		return ret;
	if (copy_from_user(t, &entry, arg, sizeof(entry)))
		return -EFAULT;
	if (entry.wakeup_eventfd < 0)
		return -EINVAL;
	efdctx = t->ops->eventfd_ctx_fdget(t, entry.wakeup_eventfd);
	if (IS_ERR(efdctx))
		return (int)PTR_ERR(efdctx);
	ret = vfio_pci_runtime_pm_entry(vdev, efdctx);
	if (ret)
		eventfd_ctx_put(efdctx);
	return ret;
}

static int vfio_pci_core_pm_exit(struct vfio_pci_core_device *vdev, u32 flags, size_t argsz)
{
	int ret = vfio_check_feature(flags, argsz, VFIO_DEVICE_FEATURE_SET, 0);

	if (ret != 1)
		return ret;
	/*
	 * The ioctl's own resume already ended a low power with a wake-up
	 * eventfd (and signalled it); pm_runtime_engaged makes this a no-op then.
	 */
	vfio_pci_runtime_pm_exit(vdev);
	return 0;
}

int vfio_pci_core_ioctl_feature(struct vfio_device *core_vdev, struct task *t, u32 flags,
				unsigned long arg, size_t argsz)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);

	switch (flags & VFIO_DEVICE_FEATURE_MASK) {
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY:
		return vfio_pci_core_pm_entry(vdev, flags, argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP:
		return vfio_pci_core_pm_entry_with_wakeup(vdev, t, flags, arg, argsz);
	case VFIO_DEVICE_FEATURE_LOW_POWER_EXIT:
		return vfio_pci_core_pm_exit(vdev, flags, argsz);
	default:
		/* PCI_VF_TOKEN: no SR-IOV PF here, so no token (vfio_pci_core_feature_token). */
		return -ENOTTY;
	}
}

int vfio_pci_core_mmap_fault(struct vfio_device *core_vdev, u64 offset)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);
	bool ok;

	down_read(&vdev->memory_lock);
	ok = !vdev->pm_runtime_engaged && __vfio_pci_memory_enabled(vdev);
	up_read(&vdev->memory_lock);
	return ok ? 0 : -EFAULT;
}

void vfio_pci_pm_opened(struct vfio_pci_core_device *vdev)
{
	vfio_pci_pm_set(vdev, true, false);
}

void vfio_pci_pm_idle(struct vfio_pci_core_device *vdev)
{
	/* pm_runtime_allow() at registration, or the open's usage count gone. */
	vfio_pci_pm_set(vdev, true, true);
}

void vfio_pci_pm_unregister(struct vfio_pci_core_device *vdev)
{
	/* pm_runtime_forbid() at unregistration: "on" and active again. */
	vfio_pci_pm_set(vdev, false, false);
}

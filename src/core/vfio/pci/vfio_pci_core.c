// SPDX-License-Identifier: MIT
/*
 * vfio-pci core (drivers/vfio/pci/vfio_pci_core.c): the vfio_device_ops of a
 * PCI function: first open (enable, reset, virtualize config space), last
 * close (quiesce, reset, restore, maybe a bus reset of the set), the device
 * ioctls, region read/write dispatch, the REQ channel and hot reset.
 *
 * Lock order: group_lock → dev_set->lock → igate → memory_lock → irqlock.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "iommu/iommu.h"
#include "vfio/pci/vfio_pci_priv.h"

/* pci_intx_mask_supported(): the DisINTx bit is writable. */
static bool pci_intx_mask_supported(struct pci_dev *pdev)
{
	return pdev->wmask[PCI_COMMAND + 1] & (PCI_COMMAND_INTX_DISABLE >> 8);
}

int vfio_pci_try_reset_function(struct vfio_pci_core_device *vdev)
{
	return pci_reset_function(vdev->pdev);
}

int vfio_pci_set_power_state(struct vfio_pci_core_device *vdev, unsigned int state)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 pmcsr;

	if (!pdev->pm_cap) {
		vdev->power_state = 0;
		return state ? -EIO : 0;
	}
	pmcsr = (u16)pci_read_config(pdev, (unsigned int)pdev->pm_cap + PCI_PM_CTRL, 2);
	pmcsr = (u16)((pmcsr & ~PCI_PM_CTRL_STATE_MASK) | (state & PCI_PM_CTRL_STATE_MASK));
	pci_write_config(pdev, (unsigned int)pdev->pm_cap + PCI_PM_CTRL, pmcsr, 2);
	vdev->power_state = state;
	return 0;
}

static void vfio_pci_probe_mmaps(struct vfio_pci_core_device *vdev)
{
	for (int bar = 0; bar < PCI_NUM_BARS; bar++) {
		struct resource *res = &vdev->pdev->resource[bar];

		/* Memory BARs of at least a page, or page-aligned ones (the rest is reserved). */
		vdev->bar_mmap_supported[bar] =
			(res->flags & IORESOURCE_MEM) && resource_size(res) &&
			(resource_size(res) >= PAGE_SIZE || !(res->start & (PAGE_SIZE - 1)));
	}
}

static int vfio_pci_core_open_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);
	struct pci_dev *pdev = vdev->pdev;
	int ret;

	/* The initial saved state must not include bus mastering. */
	pci_clear_master(pdev);
	pci_enable_device(pdev);
	ret = pci_reset_function(pdev);
	vdev->reset_works = !ret;
	/* What the last close restores. */
	vdev->pci_saved_state = pci_save_state(pdev);
	vdev->pci_2_3 = pci_intx_mask_supported(pdev);
	if (vdev->pci_2_3 && (pci_command(pdev) & PCI_COMMAND_INTX_DISABLE))
		pci_write_config(pdev, PCI_COMMAND, pci_command(pdev) & ~PCI_COMMAND_INTX_DISABLE,
				 2);
	ret = vfio_config_init(vdev);
	if (ret) {
		free(vdev->pci_saved_state);
		vdev->pci_saved_state = NULL;
		pci_disable_device(pdev);
		return ret;
	}
	if (pdev->msix_cap) {
		u32 table = pci_read_config(pdev, (unsigned int)pdev->msix_cap + PCI_MSIX_TABLE, 4);
		u16 flags = (u16)pci_read_config(pdev,
						 (unsigned int)pdev->msix_cap + PCI_MSIX_FLAGS, 2);

		vdev->msix_bar = table & PCI_MSIX_TABLE_BIR;
		vdev->msix_offset = table & PCI_MSIX_TABLE_OFFSET;
		vdev->msix_size = ((flags & PCI_MSIX_FLAGS_QSIZE) + 1u) * 16u;
		/*
		 * pci_msix_can_alloc_dyn(): x86's MSI domain (also behind VT-d
		 * interrupt remapping) supports it, and so does our "platform".
		 */
		vdev->has_dyn_msix = true;
	} else {
		vdev->has_dyn_msix = false;
		vdev->msix_bar = 0xff;
	}
	vfio_pci_probe_mmaps(vdev);
	vfio_pci_pm_opened(vdev);
	return 0;
}

/*
 * A bus reset of the whole set after its last close, when every function
 * the reset touches is ours and some member could not be reset on its own.
 */
static struct pci_dev *vfio_pci_dev_set_resettable(struct vfio_device_set *dev_set);

static void vfio_pci_dev_set_try_reset(struct vfio_device_set *dev_set)
{
	struct vfio_device *cur;
	struct pci_dev *pdev;
	bool needs = false;

	lockdep_assert_held(&dev_set->lock);
	if (vfio_device_set_open_count(dev_set))
		return;
	list_for_each_entry(cur, &dev_set->device_list, dev_set_list)
		needs |= to_vfio_pci(cur)->needs_reset;
	if (!needs)
		return;
	pdev = vfio_pci_dev_set_resettable(dev_set);
	if (!pdev || pci_reset_bus(pdev))
		return;
	list_for_each_entry(cur, &dev_set->device_list, dev_set_list)
		to_vfio_pci(cur)->needs_reset = false;
}

static void vfio_pci_core_close_device(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);
	struct pci_dev *pdev = vdev->pdev;

	/* vfio_pci_core_disable: out of low power first (no wake-up), then quiet. */
	vfio_pci_runtime_pm_exit(vdev);
	/* Stop DMA first, then interrupts. */
	pci_clear_master(pdev);
	vfio_pci_irqs_teardown(vdev);
	vfio_config_free(vdev);
	vdev->needs_reset = true;
	vfio_pci_set_power_state(vdev, 0);
	/* Quiet INTx and MSI during the reset, then bring back the state saved at open. */
	pci_write_config(pdev, PCI_COMMAND, PCI_COMMAND_INTX_DISABLE, 2);
	if (vdev->reset_works && !pci_reset_function(pdev))
		vdev->needs_reset = false;
	pci_restore_state(pdev, vdev->pci_saved_state);
	free(vdev->pci_saved_state);
	vdev->pci_saved_state = NULL;
	pci_disable_device(pdev);
	vfio_pci_dev_set_try_reset(core_vdev->dev_set);
	vfio_pci_pm_idle(vdev); /* the usage count of the open goes */
}

static int vfio_pci_get_irq_count(struct vfio_pci_core_device *vdev, unsigned int irq_type)
{
	struct pci_dev *pdev = vdev->pdev;

	switch (irq_type) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (vdev->nointx)
			return 0;
		return pci_read_config(pdev, PCI_INTERRUPT_PIN, 1) ? 1 : 0;
	case VFIO_PCI_MSI_IRQ_INDEX:
		if (pdev->msi_cap) {
			u16 flags = (u16)pci_read_config(
				pdev, (unsigned int)pdev->msi_cap + PCI_MSI_FLAGS, 2);

			return 1 << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
		}
		return 0;
	case VFIO_PCI_MSIX_IRQ_INDEX:
		return vfio_pci_msix_count(vdev);
	case VFIO_PCI_ERR_IRQ_INDEX:
		return pci_is_pcie(pdev) ? 1 : 0;
	case VFIO_PCI_REQ_IRQ_INDEX:
		return 1;
	}
	return 0;
}

static int vfio_pci_ioctl_get_info(struct vfio_pci_core_device *vdev, struct task *t,
				   unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_device_info, num_irqs);
	struct vfio_device_info info = { 0 };

	if (copy_from_user(t, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	minsz = min((size_t)info.argsz, sizeof(info));
	info.flags = VFIO_DEVICE_FLAGS_PCI;
	if (vdev->reset_works)
		info.flags |= VFIO_DEVICE_FLAGS_RESET;
	info.num_regions = VFIO_PCI_NUM_REGIONS;
	info.num_irqs = VFIO_PCI_NUM_IRQS;
	/* No device capability applies: no zPCI, no AtomicOps completer path. */
	return copy_to_user(t, arg, &info, minsz) ? -EFAULT : 0;
}

static int vfio_pci_ioctl_get_region_info(struct vfio_pci_core_device *vdev, struct task *t,
					  unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_region_info, offset);
	struct pci_dev *pdev = vdev->pdev;
	struct vfio_info_cap caps = { 0 };
	struct vfio_region_info info;

	if (copy_from_user(t, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	switch (info.index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		info.offset = VFIO_PCI_INDEX_TO_OFFSET(info.index);
		info.size = pdev->cfg_size;
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		break;
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		info.offset = VFIO_PCI_INDEX_TO_OFFSET(info.index);
		info.size = resource_size(&pdev->resource[info.index]);
		if (!info.size) {
			info.flags = 0;
			break;
		}
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		if (vdev->bar_mmap_supported[info.index]) {
			info.flags |= VFIO_REGION_INFO_FLAG_MMAP;
			/* The table may be mapped with the rest of the BAR (msix_mmappable_cap). */
			if ((int)info.index == vdev->msix_bar) {
				struct vfio_info_cap_header *h = vfio_info_cap_add(
					&caps, sizeof(*h), VFIO_REGION_INFO_CAP_MSIX_MAPPABLE, 1);

				if (IS_ERR_OR_NULL(h))
					return h ? (int)PTR_ERR(h) : -ENOMEM;
			}
		}
		break;
	case VFIO_PCI_ROM_REGION_INDEX:
		info.offset = VFIO_PCI_INDEX_TO_OFFSET(info.index);
		info.flags = 0;
		/* The BAR size, not the image size; a ROM that is not there reports 0. */
		info.size = resource_size(&pdev->resource[PCI_ROM_RESOURCE]);
		if (!info.size || !pdev->rom) {
			info.size = 0;
			break;
		}
		info.flags = VFIO_REGION_INFO_FLAG_READ;
		break;
	case VFIO_PCI_VGA_REGION_INDEX:
	default:
		/* No VGA function is modelled and no device-specific regions exist. */
		return -EINVAL;
	}
	if (caps.size) {
		info.flags |= VFIO_REGION_INFO_FLAG_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			/* Too small: tell the size needed, no chain. */
			info.argsz = (u32)(sizeof(info) + caps.size);
			info.cap_offset = 0;
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(t, arg + sizeof(info), caps.buf, caps.size)) {
				free(caps.buf);
				return -EFAULT;
			}
			info.cap_offset = sizeof(info);
		}
		free(caps.buf);
	}
	return copy_to_user(t, arg, &info, minsz) ? -EFAULT : 0;
}

static int vfio_pci_ioctl_get_irq_info(struct vfio_pci_core_device *vdev, struct task *t,
				       unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_irq_info, count);
	struct vfio_irq_info info;

	if (copy_from_user(t, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz || info.index >= VFIO_PCI_NUM_IRQS)
		return -EINVAL;
	if (info.index == VFIO_PCI_ERR_IRQ_INDEX && !pci_is_pcie(vdev->pdev))
		return -EINVAL;
	info.flags = VFIO_IRQ_INFO_EVENTFD;
	info.count = (u32)vfio_pci_get_irq_count(vdev, info.index);
	if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
		info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
	else if (info.index != VFIO_PCI_MSIX_IRQ_INDEX || !vdev->has_dyn_msix)
		info.flags |= VFIO_IRQ_INFO_NORESIZE;
	return copy_to_user(t, arg, &info, minsz) ? -EFAULT : 0;
}

static int vfio_pci_ioctl_set_irqs(struct vfio_pci_core_device *vdev, struct task *t,
				   unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	u8 *data = NULL;
	int max, ret;

	if (copy_from_user(t, &hdr, arg, minsz))
		return -EFAULT;
	max = vfio_pci_get_irq_count(vdev, hdr.index);
	ret = vfio_set_irqs_validate_and_prepare(&hdr, max, VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = xzalloc(data_size);
		if (copy_from_user(t, data, arg + minsz, data_size)) {
			free(data);
			return -EFAULT;
		}
	}
	mutex_lock(&vdev->igate);
	vdev->irq_caller = t;
	ret = vfio_pci_set_irqs_ioctl(vdev, hdr.flags, hdr.index, hdr.start, hdr.count, data);
	vdev->irq_caller = NULL;
	mutex_unlock(&vdev->igate);
	free(data);
	return ret;
}

static int vfio_pci_ioctl_reset(struct vfio_pci_core_device *vdev)
{
	int ret;

	if (!vdev->reset_works)
		return -EINVAL;
	down_write(&vdev->memory_lock);
	vfio_pci_set_power_state(vdev, 0);
	ret = pci_reset_function(vdev->pdev);
	up_write(&vdev->memory_lock);
	return ret;
}

/* The functions a bus reset of pdev's bus affects, in bus order (pci_walk_bus). */
static size_t vfio_pci_affected(struct pci_dev *pdev, struct pci_dev **out, size_t max)
{
	struct pci_core *pci = pdev->bus->pci;
	struct pci_bus *stack[32];
	size_t n = 0;
	int sp = 0;

	mutex_lock(&pci->topology_lock);
	stack[sp++] = pdev->bus;
	while (sp) {
		struct pci_bus *bus = stack[--sp];
		struct pci_dev *d;

		list_for_each_entry(d, &bus->devices, bus_list) {
			if (out && n < max)
				out[n] = d;
			n++;
			if (d->subordinate && sp < (int)ARRAY_SIZE(stack))
				stack[sp++] = d->subordinate;
		}
	}
	mutex_unlock(&pci->topology_lock);
	return n;
}

static struct pci_dev *vfio_pci_dev_set_resettable(struct vfio_device_set *dev_set)
{
	struct vfio_device *first;
	struct pci_dev *pdev, **affected;
	size_t n;

	lockdep_assert_held(&dev_set->lock);
	first = list_first_entry_or_null(&dev_set->device_list, struct vfio_device, dev_set_list);
	if (!first)
		return NULL;
	pdev = to_vfio_pci(first)->pdev;
	if (!pci_bus_reset_possible(pdev))
		return NULL;
	/* Every function the reset touches must be a vfio-pci device of this set. */
	n = vfio_pci_affected(pdev, NULL, 0);
	affected = xcalloc(n, sizeof(*affected));
	vfio_pci_affected(pdev, affected, n);
	for (size_t i = 0; i < n; i++) {
		if (!vfio_find_device_in_devset(dev_set, &affected[i]->dev)) {
			pdev = NULL;
			break;
		}
	}
	free(affected);
	return pdev;
}

static int vfio_pci_ioctl_get_pci_hot_reset_info(struct vfio_pci_core_device *vdev, struct task *t,
						 unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_pci_hot_reset_info, count);
	struct vfio_pci_dependent_device *devices;
	struct vfio_pci_hot_reset_info hdr;
	struct pci_dev **affected;
	size_t count;
	int ret = 0;

	if (copy_from_user(t, &hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz)
		return -EINVAL;
	hdr.flags = 0;
	if (!pci_bus_reset_possible(vdev->pdev))
		return -ENODEV;
	count = vfio_pci_affected(vdev->pdev, NULL, 0);
	if (hdr.argsz < sizeof(hdr) + count * sizeof(*devices)) {
		hdr.count = (u32)count;
		ret = -ENOSPC;
		goto header;
	}
	affected = xcalloc(count, sizeof(*affected));
	devices = xcalloc(count, sizeof(*devices));
	vfio_pci_affected(vdev->pdev, affected, count);
	mutex_lock(&vdev->vdev.dev_set->lock);
	for (size_t i = 0; i < count; i++) {
		/* vfio_pci_fill_devs(): another function of the slot may be leaving its group. */
		struct iommu_group *group = iommu_group_get(&affected[i]->dev);

		if (!group) {
			ret = -EPERM; /* cannot reset non-isolated devices */
			break;
		}
		devices[i].group_id = (u32)iommu_group_id(group);
		iommu_group_put(group);
		devices[i].segment = (u16)affected[i]->bus->domain;
		devices[i].bus = (u8)affected[i]->bus->number;
		devices[i].devfn = (u8)affected[i]->devfn;
	}
	mutex_unlock(&vdev->vdev.dev_set->lock);
	hdr.count = (u32)count;
	if (!ret && copy_to_user(t, arg + sizeof(hdr), devices, count * sizeof(*devices)))
		ret = -EFAULT;
	free(devices);
	free(affected);
	if (ret)
		return ret;
header:
	if (copy_to_user(t, arg, &hdr, minsz))
		ret = -EFAULT;
	return ret;
}

static bool vfio_dev_in_groups(struct vfio_device *vdev, struct file **files, u32 count)
{
	for (u32 i = 0; i < count; i++)
		if (vfio_file_has_dev(files[i], vdev))
			return true;
	return false;
}

static int vfio_pci_dev_set_hot_reset(struct vfio_device_set *dev_set, struct file **files,
				      u32 nfiles)
{
	struct vfio_device *cur, *locked_end = NULL;
	struct pci_dev *pdev;
	int ret = 0;

	mutex_lock(&dev_set->lock);
	pdev = vfio_pci_dev_set_resettable(dev_set);
	if (!pdev) {
		ret = -EINVAL;
		goto out_unlock;
	}
	list_for_each_entry(cur, &dev_set->device_list, dev_set_list) {
		/* The caller must own every device of the set: its group is among the files. */
		if (!vfio_dev_in_groups(cur, files, nfiles)) {
			ret = -EINVAL;
			break;
		}
		/* Contention yields -EBUSY rather than a lock inversion. */
		if (!down_write_trylock(&to_vfio_pci(cur)->memory_lock)) {
			ret = -EBUSY;
			break;
		}
		locked_end = cur;
	}
	if (!ret) {
		list_for_each_entry(cur, &dev_set->device_list, dev_set_list)
			vfio_pci_set_power_state(to_vfio_pci(cur), 0);
		ret = pci_reset_bus(pdev);
	}
	if (locked_end) {
		list_for_each_entry(cur, &dev_set->device_list, dev_set_list) {
			up_write(&to_vfio_pci(cur)->memory_lock);
			if (cur == locked_end)
				break;
		}
	}
	if (!ret) {
		list_for_each_entry(cur, &dev_set->device_list, dev_set_list)
			to_vfio_pci(cur)->needs_reset = false;
	}
out_unlock:
	mutex_unlock(&dev_set->lock);
	return ret;
}

static int vfio_pci_ioctl_pci_hot_reset(struct vfio_pci_core_device *vdev, struct task *t,
					unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_pci_hot_reset, count);
	struct vfio_pci_hot_reset hdr;
	struct file **files;
	s32 *group_fds;
	size_t count;
	u32 i;
	int ret = 0;

	if (copy_from_user(t, &hdr, arg, minsz))
		return -EFAULT;
	if (hdr.argsz < minsz || hdr.flags)
		return -EINVAL;
	/* A zero-length array is only for cdev-opened devices (not modelled). */
	if (!hdr.count)
		return -EINVAL;
	if (!pci_bus_reset_possible(vdev->pdev))
		return -ENODEV;
	count = vfio_pci_affected(vdev->pdev, NULL, 0);
	/* Somewhere between 1 and the number of affected functions. */
	if (hdr.count > count)
		return -EINVAL;
	group_fds = xcalloc(hdr.count, sizeof(*group_fds));
	files = xcalloc(hdr.count, sizeof(*files));
	if (copy_from_user(t, group_fds, arg + minsz, hdr.count * sizeof(*group_fds))) {
		ret = -EFAULT;
		goto out_free;
	}
	/* Hold every group file across the reset. */
	for (i = 0; i < hdr.count; i++) {
		struct file *f = t->ops->fget(t, group_fds[i]);

		if (IS_ERR(f)) {
			ret = PTR_ERR(f) == -EBADFD ? -EINVAL : -EBADF;
			break;
		}
		if (!vfio_file_is_group(f)) {
			fput(f);
			ret = -EINVAL;
			break;
		}
		files[i] = f;
	}
	if (!ret)
		ret = vfio_pci_dev_set_hot_reset(vdev->vdev.dev_set, files, hdr.count);
	for (u32 j = 0; j < hdr.count; j++)
		if (files[j])
			fput(files[j]);
out_free:
	free(files);
	free(group_fds);
	return ret;
}

static long vfio_pci_core_ioctl(struct vfio_device *core_vdev, struct task *t, unsigned int cmd,
				unsigned long arg)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO:
		return vfio_pci_ioctl_get_info(vdev, t, arg);
	case VFIO_DEVICE_GET_REGION_INFO:
		return vfio_pci_ioctl_get_region_info(vdev, t, arg);
	case VFIO_DEVICE_GET_IRQ_INFO:
		return vfio_pci_ioctl_get_irq_info(vdev, t, arg);
	case VFIO_DEVICE_SET_IRQS:
		return vfio_pci_ioctl_set_irqs(vdev, t, arg);
	case VFIO_DEVICE_RESET:
		return vfio_pci_ioctl_reset(vdev);
	case VFIO_DEVICE_GET_PCI_HOT_RESET_INFO:
		return vfio_pci_ioctl_get_pci_hot_reset_info(vdev, t, arg);
	case VFIO_DEVICE_PCI_HOT_RESET:
		return vfio_pci_ioctl_pci_hot_reset(vdev, t, arg);
	default:
		return -ENOTTY;
	}
}

static ssize_t vfio_pci_rw(struct vfio_pci_core_device *vdev, char *buf, size_t count, s64 *ppos,
			   bool iswrite)
{
	u64 index = VFIO_PCI_OFFSET_TO_INDEX((u64)*ppos);

	if (!count)
		return 0;
	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	/* pm_runtime_resume_and_get: an access wakes a device in low power. */
	vfio_pci_core_runtime_resume(&vdev->vdev);
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		return vfio_pci_config_rw(vdev, buf, count, ppos, iswrite);
	case VFIO_PCI_ROM_REGION_INDEX:
		if (iswrite)
			return -EINVAL;
		return vfio_pci_rom_read(vdev, buf, count, ppos);
	case VFIO_PCI_BAR0_REGION_INDEX ... VFIO_PCI_BAR5_REGION_INDEX:
		return vfio_pci_bar_rw(vdev, buf, count, ppos, iswrite);
	default:
		return -EINVAL; /* VGA: no VGA function */
	}
}

static ssize_t vfio_pci_core_read(struct vfio_device *core_vdev, char *buf, size_t count, s64 *ppos)
{
	return vfio_pci_rw(to_vfio_pci(core_vdev), buf, count, ppos, false);
}

static ssize_t vfio_pci_core_write(struct vfio_device *core_vdev, const char *buf, size_t count,
				   s64 *ppos)
{
	return vfio_pci_rw(to_vfio_pci(core_vdev), (char *)buf, count, ppos, true);
}

/*
 * vfio_pci_core_mmap: only BARs the open probed as mmappable, shared
 * mappings only, within the page-rounded BAR. Pages that are plain memory
 * (a RAM-backed BAR, pci_bar_init_ram) come from the BAR's memfd, so the user
 * shares the device's bytes with no copy; every other page holds registers and
 * is trapped: each access is emulated through the region's read/write.
 */
static int vfio_pci_core_mmap(struct vfio_device *core_vdev, u64 offset, u64 len, u32 prot,
			      u32 flags, struct mmap_desc *out)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);
	struct pci_dev *pdev = vdev->pdev;
	u64 index = VFIO_PCI_OFFSET_TO_INDEX(offset);
	u64 start = offset & VFIO_PCI_OFFSET_MASK, phys_len, npages;
	bool any_ram = false;

	if (index >= VFIO_PCI_NUM_REGIONS)
		return -EINVAL;
	if (!(flags & 0x01 /* MAP_SHARED */))
		return -EINVAL;
	if (index >= VFIO_PCI_ROM_REGION_INDEX)
		return -EINVAL;
	if (!vdev->bar_mmap_supported[index])
		return -EINVAL;
	if (!len || (start & (PAGE_SIZE - 1)))
		return -EINVAL;
	phys_len = ALIGN_UP(resource_size(&pdev->resource[index]), (u64)PAGE_SIZE);
	if (start + len > phys_len || start + len < start)
		return -EINVAL;
	npages = DIV_ROUND_UP(len, PAGE_SIZE);
	out->trapped = xzalloc(DIV_ROUND_UP(npages, 8));
	for (u64 i = 0; i < npages; i++) {
		if (pci_bar_range_is_ram(pdev, (int)index, start + i * PAGE_SIZE, PAGE_SIZE))
			any_ram = true;
		else
			out->trapped[i / 8] |= (u8)(1u << (i % 8));
	}
	out->region_offset = offset;
	out->len = len;
	out->memfd = -1;
	out->memfd_offset = start;
	if (any_ram) {
		out->memfd = fcntl(pdev->bar_ram[index]->memfd, F_DUPFD_CLOEXEC, 0);
		if (out->memfd < 0) {
			free(out->trapped);
			out->trapped = NULL;
			return -ENOMEM;
		}
	}
	return 0;
}

/* The kernel's texts: a notice every 10th ask, one warning when nobody listens. */
static void vfio_pci_core_request(struct vfio_device *core_vdev, unsigned int count)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);

	mutex_lock(&vdev->igate);
	if (vdev->req_trigger) {
		if (!(count % 10))
			dev_notice(&vdev->pdev->dev, "Relaying device request to user (#%u)",
				   count);
		eventfd_signal(vdev->req_trigger);
	} else if (count == 0) {
		dev_warn(&vdev->pdev->dev,
			 "No device request channel registered, blocked until released by user");
	}
	mutex_unlock(&vdev->igate);
}

static int vfio_pci_core_init_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);

	vdev->pdev = to_pci_dev(core_vdev->dev);
	vdev->irq_type = VFIO_PCI_IRQ_NONE;
	vdev->msix_bar = 0xff;
	mutex_init(&vdev->igate, "vfio_pci->igate");
	mutex_init(&vdev->irqlock, "vfio_pci->irqlock");
	init_rwsem(&vdev->memory_lock, "vfio_pci->memory_lock");
	return 0;
}

static void vfio_pci_core_release_dev(struct vfio_device *core_vdev)
{
	struct vfio_pci_core_device *vdev = to_vfio_pci(core_vdev);

	mutex_destroy(&vdev->igate);
	mutex_destroy(&vdev->irqlock);
	rwsem_destroy(&vdev->memory_lock);
	free(vdev);
}

static const struct vfio_device_ops vfio_pci_ops = {
	.name = "vfio-pci",
	.init = vfio_pci_core_init_dev,
	.release = vfio_pci_core_release_dev,
	.open_device = vfio_pci_core_open_device,
	.close_device = vfio_pci_core_close_device,
	.ioctl = vfio_pci_core_ioctl,
	.read = vfio_pci_core_read,
	.write = vfio_pci_core_write,
	.mmap = vfio_pci_core_mmap,
	.request = vfio_pci_core_request,
	.device_feature = vfio_pci_core_ioctl_feature,
	.mmap_fault = vfio_pci_core_mmap_fault,
	.pm_runtime_resume = vfio_pci_core_runtime_resume,
};

/* vfio_pci_probe + vfio_pci_core_register_device. */
/*
 * vfio-pci's driver and the VFIO it registers devices with (the kernel's
 * vfio global). host_driver_free() frees it: the pci_driver comes first.
 */
struct vfio_pci_driver {
	struct pci_driver driver;
	struct vfio *vfio;
};

/* While probing, pdev's driver is vfio-pci's (really_probe sets it first). */
static struct vfio_pci_driver *to_vfio_pci_driver(struct pci_dev *pdev)
{
	return container_of(to_pci_driver(pdev->dev.driver), struct vfio_pci_driver, driver);
}

static int vfio_pci_probe(struct pci_dev *pdev, const struct pci_device_id *id)
{
	struct vfio_pci_core_device *vdev;
	void *set_id;
	int ret;

	/* Only normal (type 0) headers: bridges cannot be assigned. */
	if ((pdev->hdr_type & 0x7f) != PCI_HEADER_TYPE_NORMAL)
		return -EINVAL;
	vdev = xzalloc(sizeof(*vdev));
	ret = vfio_init_device(&vdev->vdev, to_vfio_pci_driver(pdev)->vfio, &pdev->dev,
			       &vfio_pci_ops);
	if (ret) {
		free(vdev);
		return ret;
	}
	/* The reset domain: the function itself on a root bus, else its whole bus. */
	set_id = pdev->bus->self ? (void *)pdev->bus : (void *)vdev;
	vfio_assign_device_set(&vdev->vdev, set_id);
	ret = vfio_register_group_dev(&vdev->vdev);
	if (ret) {
		vfio_put_device(&vdev->vdev);
		return ret;
	}
	pdev->dev.driver_data = vdev;
	vfio_pci_pm_idle(vdev);
	return 0;
}

static void vfio_pci_remove(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = pdev->dev.driver_data;

	vfio_unregister_group_dev(&vdev->vdev);
	vfio_pci_pm_unregister(vdev);
	vfio_put_device(&vdev->vdev);
}

/* vfio-pci binds only through driver_override, new_id or ids=. */
static const struct pci_device_id vfio_pci_table[] = {
	{ .vendor = PCI_ANY_ID,
	  .device = PCI_ANY_ID,
	  .subvendor = PCI_ANY_ID,
	  .subdevice = PCI_ANY_ID,
	  .override_only = true },
	{ 0 },
};

struct pci_driver *vfio_pci_driver_new(struct vfio *vfio)
{
	struct vfio_pci_driver *vdrv = xzalloc(sizeof(*vdrv));
	struct pci_driver *drv = &vdrv->driver;

	vdrv->vfio = vfio;
	drv->name = "vfio-pci";
	drv->driver.mod_name = "vfio_pci";
	drv->id_table = vfio_pci_table;
	drv->probe = vfio_pci_probe;
	drv->remove = vfio_pci_remove;
	drv->driver.driver_managed_dma = true;
	return drv;
}

// SPDX-License-Identifier: MIT
/*
 * vfio-pci config-space virtualization: what the user sees and may change
 * through the CONFIG region (Linux 6.12, drivers/vfio/pci/vfio_pci_config.c).
 *
 * At open, vconfig is filled from the function's config space and
 * pci_config_map records, per byte, which capability owns it. Every access is
 * cut into chunks that stay inside one dword and one capability, and each
 * chunk goes to the owner's permission table: per bit, "virtualized" (reads
 * and writes use vconfig) and "writable" (the user may change it; writable
 * bits that are not virtualized reach the hardware by read-modify-write).
 * Bits neither virtualized nor writable read the hardware and ignore writes.
 * Capability read/write hooks add the side effects (command register, BAR
 * sizing, power state, FLR, MSI).
 *
 * The tables are constant: a table is a list of fields with their masks, so
 * nothing here is global mutable state. MSI's table depends on the device's
 * MSI flags and is chosen per device at open (vdev->msi_perm).
 *
 * Locking: config accesses hold no vfio-pci lock; a command-register write
 * takes memory_lock for write around the decode change, a power-state write
 * around vfio_pci_set_power_state() and an FLR around
 * vfio_pci_try_reset_function(). The hardware is reached through
 * pci_read_config()/pci_write_config() only, so device models see every write.
 */
#include <string.h>

#include "vfio/pci/vfio_pci_priv.h"

/* The standard header, treated as a pseudo-capability in pci_config_map. */
#define PCI_CAP_ID_BASIC 0
/* pci_config_map sentinels: bytes no capability owns (raw hardware access) ... */
#define PCI_CAP_ID_INVALID 0xFF
/* ... and bytes emulated in vconfig only. */
#define PCI_CAP_ID_INVALID_VIRT 0xFE

#define ALL_VIRT 0xFFFFFFFFu
#define ALL_WRITE 0xFFFFFFFFu

#define PCI_D3hot 3

static bool is_bar(int offset)
{
	return (offset >= PCI_BASE_ADDRESS_0 && offset < PCI_BASE_ADDRESS_5 + 4) ||
	       (offset >= PCI_ROM_ADDRESS && offset < PCI_ROM_ADDRESS + 4);
}

/*
 * Lengths of the standard capabilities vfio-pci exposes: 0 hides (unlinks)
 * the capability, 0xFF means "sized from the hardware". Ids not listed, and
 * ids above PCI_CAP_ID_MAX, are hidden.
 */
static const u8 pci_cap_length[PCI_CAP_ID_MAX + 1] = {
	[PCI_CAP_ID_BASIC] = PCI_STD_HEADER_SIZEOF,
	[PCI_CAP_ID_PM] = PCI_PM_SIZEOF,
	[PCI_CAP_ID_AGP] = PCI_AGP_SIZEOF,
	[PCI_CAP_ID_VPD] = PCI_CAP_VPD_SIZEOF,
	[PCI_CAP_ID_SLOTID] = 0,
	[PCI_CAP_ID_MSI] = 0xFF,
	[PCI_CAP_ID_CHSWP] = 0,
	[PCI_CAP_ID_PCIX] = 0xFF,
	[PCI_CAP_ID_HT] = 0xFF,
	[PCI_CAP_ID_VNDR] = 0xFF,
	[PCI_CAP_ID_DBG] = 0,
	[PCI_CAP_ID_CCRC] = 0,
	[PCI_CAP_ID_SHPC] = 0,
	[PCI_CAP_ID_SSVID] = 0,
	[PCI_CAP_ID_AGP3] = 0,
	[PCI_CAP_ID_SECDEV] = 0,
	[PCI_CAP_ID_EXP] = 0xFF,
	[PCI_CAP_ID_MSIX] = PCI_CAP_MSIX_SIZEOF,
	[PCI_CAP_ID_SATA] = 0xFF,
	[PCI_CAP_ID_AF] = PCI_CAP_AF_SIZEOF,
};

/* Same for extended capabilities (PCI_EXT_CAP_ID_MAX is DOE, 0x2e, as in 6.12). */
static const u16 pci_ext_cap_length[PCI_EXT_CAP_ID_MAX + 1] = {
	[PCI_EXT_CAP_ID_ERR] = PCI_ERR_ROOT_COMMAND,
	[PCI_EXT_CAP_ID_VC] = 0xFF,
	[PCI_EXT_CAP_ID_DSN] = PCI_EXT_CAP_DSN_SIZEOF,
	[PCI_EXT_CAP_ID_PWR] = PCI_EXT_CAP_PWR_SIZEOF,
	[PCI_EXT_CAP_ID_RCLD] = 0,
	[PCI_EXT_CAP_ID_RCILC] = 0,
	[PCI_EXT_CAP_ID_RCEC] = 0,
	[PCI_EXT_CAP_ID_MFVC] = 0xFF,
	[PCI_EXT_CAP_ID_VC9] = 0xFF,
	[PCI_EXT_CAP_ID_RCRB] = 0,
	[PCI_EXT_CAP_ID_VNDR] = 0xFF,
	[PCI_EXT_CAP_ID_CAC] = 0,
	[PCI_EXT_CAP_ID_ACS] = 0xFF,
	[PCI_EXT_CAP_ID_ARI] = PCI_EXT_CAP_ARI_SIZEOF,
	[PCI_EXT_CAP_ID_ATS] = PCI_EXT_CAP_ATS_SIZEOF,
	[PCI_EXT_CAP_ID_SRIOV] = PCI_EXT_CAP_SRIOV_SIZEOF,
	[PCI_EXT_CAP_ID_MRIOV] = 0,
	[PCI_EXT_CAP_ID_MCAST] = PCI_EXT_CAP_MCAST_ENDPOINT_SIZEOF,
	[PCI_EXT_CAP_ID_PRI] = PCI_EXT_CAP_PRI_SIZEOF,
	[PCI_EXT_CAP_ID_AMD_XXX] = 0,
	[PCI_EXT_CAP_ID_REBAR] = 0xFF,
	[PCI_EXT_CAP_ID_DPA] = 0xFF,
	[PCI_EXT_CAP_ID_TPH] = 0xFF,
	[PCI_EXT_CAP_ID_LTR] = PCI_EXT_CAP_LTR_SIZEOF,
	[PCI_EXT_CAP_ID_SECPCI] = 0,
	[PCI_EXT_CAP_ID_PMUX] = 0,
	[PCI_EXT_CAP_ID_PASID] = 0,
	[PCI_EXT_CAP_ID_DVSEC] = 0xFF,
};

/* One register of a permission table: its offset in the capability and masks. */
struct perm_field {
	u16 off;
	u8 len; /* 1, 2 or 4 */
	u32 virt; /* bits read from and written to vconfig */
	u32 write; /* bits the user may change */
};

/*
 * Values passed to and from the hooks hold the chunk's bytes little-endian:
 * bits 0-7 are the byte at pos, as config space is laid out.
 */
struct perm_bits {
	const struct perm_field *fields;
	unsigned int nfields;
	int (*readfn)(struct vfio_pci_core_device *vdev, int pos, int count,
		      const struct perm_bits *perm, int offset, u32 *val);
	int (*writefn)(struct vfio_pci_core_device *vdev, int pos, int count,
		       const struct perm_bits *perm, int offset, u32 val);
};

static u32 get_le(const u8 *p, int count)
{
	u32 v = 0;

	for (int i = 0; i < count; i++)
		v |= (u32)p[i] << (8 * i);
	return v;
}

static void put_le(u8 *p, u32 v, int count)
{
	for (int i = 0; i < count; i++)
		p[i] = (u8)(v >> (8 * i));
}

static u32 count_mask(int count)
{
	return count >= 4 ? ~0u : (1u << (8 * count)) - 1;
}

/* The virtualized and writable masks of bytes [offset, offset + count) of a table. */
static void perm_masks(const struct perm_bits *perm, int offset, int count, u32 *virt, u32 *write)
{
	*virt = 0;
	*write = 0;
	for (unsigned int i = 0; i < perm->nfields; i++) {
		const struct perm_field *f = &perm->fields[i];

		for (int b = 0; b < f->len; b++) {
			int o = f->off + b;
			int shift;

			if (o < offset || o >= offset + count)
				continue;
			shift = 8 * (o - offset);
			*virt |= ((f->virt >> (8 * b)) & 0xff) << shift;
			*write |= ((f->write >> (8 * b)) & 0xff) << shift;
		}
	}
}

static u32 vconfig_get(struct vfio_pci_core_device *vdev, int pos, int count)
{
	return get_le(vdev->vconfig + pos, count);
}

static void vconfig_put(struct vfio_pci_core_device *vdev, int pos, u32 val, int count)
{
	put_le(vdev->vconfig + pos, val, count);
}

/*
 * Hardware read-modify-write of the bits in mask. Not atomic against other
 * config users (neither is the kernel's): the write must go through
 * pci_write_config() so the device model sees it.
 */
static void vfio_hw_config_update(struct pci_dev *pdev, int pos, int count, u32 mask, u32 val)
{
	u32 phys = pci_read_config(pdev, pos, count);

	pci_write_config(pdev, pos, (phys & ~mask) | (val & mask), count);
}

static int vfio_default_config_read(struct vfio_pci_core_device *vdev, int pos, int count,
				    const struct perm_bits *perm, int offset, u32 *val)
{
	u32 virt, write;

	perm_masks(perm, offset, count, &virt, &write);
	*val = vconfig_get(vdev, pos, count);
	if (virt != count_mask(count)) {
		u32 phys = pci_read_config(vdev->pdev, pos, count);

		*val = (phys & ~virt) | (*val & virt);
	}
	return count;
}

static int vfio_default_config_write(struct vfio_pci_core_device *vdev, int pos, int count,
				     const struct perm_bits *perm, int offset, u32 val)
{
	u32 virt, write;

	perm_masks(perm, offset, count, &virt, &write);
	if (!write)
		return count; /* nothing writable: dropped */

	if (write & virt) {
		u32 v = vconfig_get(vdev, pos, count);

		v = (v & ~(write & virt)) | (val & write & virt);
		vconfig_put(vdev, pos, v, count);
	}
	/*
	 * The hardware gets the whole chunk back, as read, with only the writable
	 * bits changed: as in the kernel, that includes write-1-to-clear bits that
	 * read as 1 in a dword written at the command register.
	 */
	if (write & ~virt)
		vfio_hw_config_update(vdev->pdev, pos, count, write & ~virt, val);
	return count;
}

/* Hardware read, except the capability header links, which come from vconfig. */
static int vfio_direct_config_read(struct vfio_pci_core_device *vdev, int pos, int count,
				   const struct perm_bits *perm, int offset, u32 *val)
{
	*val = pci_read_config(vdev->pdev, pos, count);

	if (pos >= PCI_CFG_SPACE_SIZE) {
		if (offset < 4)
			*val = vconfig_get(vdev, pos, count);
	} else if (pos >= PCI_STD_HEADER_SIZEOF) {
		if (offset == PCI_CAP_LIST_ID && count > 1)
			*val = (*val & 0xffff0000u) | vconfig_get(vdev, pos, 2);
		else if (offset == PCI_CAP_LIST_NEXT)
			*val = (*val & ~0xffu) | vdev->vconfig[pos];
	}
	return count;
}

static int vfio_raw_config_read(struct vfio_pci_core_device *vdev, int pos, int count,
				const struct perm_bits *perm, int offset, u32 *val)
{
	*val = pci_read_config(vdev->pdev, pos, count);
	return count;
}

static int vfio_raw_config_write(struct vfio_pci_core_device *vdev, int pos, int count,
				 const struct perm_bits *perm, int offset, u32 val)
{
	pci_write_config(vdev->pdev, pos, val, count);
	return count;
}

static int vfio_virt_config_read(struct vfio_pci_core_device *vdev, int pos, int count,
				 const struct perm_bits *perm, int offset, u32 *val)
{
	*val = vconfig_get(vdev, pos, count);
	return count;
}

static int vfio_virt_config_write(struct vfio_pci_core_device *vdev, int pos, int count,
				  const struct perm_bits *perm, int offset, u32 val)
{
	vconfig_put(vdev, pos, val, count);
	return count;
}

/* Capabilities without a table: read-only, header links virtualized. */
static const struct perm_bits direct_ro_perms = {
	.readfn = vfio_direct_config_read,
};

/* Vendor-specific capabilities (standard, extended and DVSEC): raw writes. */
static const struct perm_bits direct_raw_write_perms = {
	.readfn = vfio_direct_config_read,
	.writefn = vfio_raw_config_write,
};

/*
 * Bytes between capabilities: raw access. Some devices keep registers there
 * (be2net); like BAR registers, they are trusted to the hardware isolation.
 */
static const struct perm_bits unassigned_perms = {
	.readfn = vfio_raw_config_read,
	.writefn = vfio_raw_config_write,
};

static const struct perm_bits virt_perms = {
	.readfn = vfio_virt_config_read,
	.writefn = vfio_virt_config_write,
};

/* Caller holds memory_lock (read or write). */
bool __vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev)
{
	u16 cmd;

	lockdep_assert_rwsem_held(&vdev->memory_lock);
	cmd = (u16)vconfig_get(vdev, PCI_COMMAND, 2);
	return vdev->power_state < PCI_D3hot && (cmd & PCI_COMMAND_MEMORY);
}

/* Puts the BAR values captured at open back in the hardware after a reset we did not see. */
static void vfio_bar_restore(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	int i;

	for (i = 0; i < PCI_NUM_BARS; i++)
		pci_write_config(pdev, PCI_BASE_ADDRESS_0 + 4 * i, vdev->rbar[i], 4);
	pci_write_config(pdev, PCI_ROM_ADDRESS, vdev->rbar[6], 4);

	if (vdev->nointx)
		vfio_hw_config_update(pdev, PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE,
				      PCI_COMMAND_INTX_DISABLE);
}

/* Do the hardware BARs still hold what they held at open? */
static bool vfio_need_bar_restore(struct vfio_pci_core_device *vdev)
{
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		if (vdev->rbar[i] &&
		    pci_read_config(vdev->pdev, PCI_BASE_ADDRESS_0 + 4 * i, 4) != vdev->rbar[i])
			return true;
	}
	return false;
}

static u32 vfio_generate_bar_flags(struct pci_dev *pdev, int bar)
{
	unsigned long flags = pdev->resource[bar].flags;
	u32 val;

	if (flags & IORESOURCE_IO)
		return PCI_BASE_ADDRESS_SPACE_IO;

	val = PCI_BASE_ADDRESS_SPACE_MEMORY;
	if (flags & IORESOURCE_PREFETCH)
		val |= PCI_BASE_ADDRESS_MEM_PREFETCH;
	if (flags & IORESOURCE_MEM_64)
		val |= PCI_BASE_ADDRESS_MEM_TYPE_64;
	return val;
}

/*
 * BAR sizing: after the user wrote a BAR, the virtual BARs are masked with
 * their size and get the type bits back, as hardware BARs behave. BARs the
 * host left unassigned read 0; the ROM keeps its enable bit.
 */
static void vfio_bar_fixup(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u64 mask;
	u32 v;

	if (!vdev->bardirty)
		return;

	for (int i = 0; i < PCI_NUM_BARS; i++) {
		int pos = PCI_BASE_ADDRESS_0 + 4 * i;
		struct resource *res = &pdev->resource[i];

		if (!res->start) {
			vconfig_put(vdev, pos, 0, 4);
			continue;
		}

		mask = ~(resource_size(res) - 1);
		v = vconfig_get(vdev, pos, 4);
		v = (v & (u32)mask) | vfio_generate_bar_flags(pdev, i);
		vconfig_put(vdev, pos, v, 4);

		if ((v & PCI_BASE_ADDRESS_MEM_TYPE_64) && i + 1 < PCI_NUM_BARS) {
			pos += 4;
			v = vconfig_get(vdev, pos, 4) & (u32)(mask >> 32);
			vconfig_put(vdev, pos, v, 4);
			i++;
		}
	}

	if (pdev->resource[PCI_ROM_RESOURCE].start) {
		mask = ~(resource_size(&pdev->resource[PCI_ROM_RESOURCE]) - 1);
		mask |= PCI_ROM_ADDRESS_ENABLE;
		v = vconfig_get(vdev, PCI_ROM_ADDRESS, 4) & (u32)mask;
		vconfig_put(vdev, PCI_ROM_ADDRESS, v, 4);
	} else {
		vconfig_put(vdev, PCI_ROM_ADDRESS, 0, 4);
	}

	vdev->bardirty = false;
}

static int vfio_basic_config_read(struct vfio_pci_core_device *vdev, int pos, int count,
				  const struct perm_bits *perm, int offset, u32 *val)
{
	if (is_bar(offset)) /* pos == offset in the header */
		vfio_bar_fixup(vdev);
	return vfio_default_config_read(vdev, pos, count, perm, offset, val);
}

/* The user's INTx-disable bit masks and unmasks the INTx emulation. */
static void vfio_intx_disable_update(struct vfio_pci_core_device *vdev)
{
	bool disable = vconfig_get(vdev, PCI_COMMAND, 2) & PCI_COMMAND_INTX_DISABLE;
	bool changed;

	mutex_lock(&vdev->irqlock);
	changed = disable != vdev->virq_disabled;
	vdev->virq_disabled = disable;
	mutex_unlock(&vdev->irqlock);

	if (!changed)
		return;
	if (disable)
		vfio_pci_intx_mask(vdev);
	else
		vfio_pci_intx_unmask(vdev);
}

static int vfio_basic_config_write(struct vfio_pci_core_device *vdev, int pos, int count,
				   const struct perm_bits *perm, int offset, u32 val)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 new_cmd = 0;

	if (offset == PCI_COMMAND) {
		u16 phys_cmd = pci_command(pdev);
		u16 virt_cmd = (u16)vconfig_get(vdev, PCI_COMMAND, 2);
		bool phys_mem, virt_mem, new_mem, phys_io, virt_io, new_io;

		new_cmd = (u16)val;
		phys_io = phys_cmd & PCI_COMMAND_IO;
		virt_io = virt_cmd & PCI_COMMAND_IO;
		new_io = new_cmd & PCI_COMMAND_IO;
		phys_mem = phys_cmd & PCI_COMMAND_MEMORY;
		virt_mem = virt_cmd & PCI_COMMAND_MEMORY;
		new_mem = new_cmd & PCI_COMMAND_MEMORY;

		/* Memory decode changes exclude BAR accesses and mmap faults. */
		down_write(&vdev->memory_lock);

		/*
		 * Enabling what vconfig says is enabled but the hardware has off,
		 * or BARs that lost their addresses, means the function was reset
		 * behind our back: put the BARs back before decode is turned on.
		 */
		if ((new_mem && virt_mem && !phys_mem) || (new_io && virt_io && !phys_io) ||
		    vfio_need_bar_restore(vdev))
			vfio_bar_restore(vdev);
	}

	count = vfio_default_config_write(vdev, pos, count, perm, offset, val);
	if (count < 0) {
		if (offset == PCI_COMMAND)
			up_write(&vdev->memory_lock);
		return count;
	}

	/* vconfig remembers the user's decode bits for the backdoor-reset check above. */
	if (offset == PCI_COMMAND) {
		u16 mask = PCI_COMMAND_MEMORY | PCI_COMMAND_IO;
		u16 v = (u16)vconfig_get(vdev, PCI_COMMAND, 2);

		v = (v & ~mask) | (new_cmd & mask);
		vconfig_put(vdev, PCI_COMMAND, v, 2);
		up_write(&vdev->memory_lock);
	}

	if (offset >= PCI_COMMAND && offset <= PCI_COMMAND + 1)
		vfio_intx_disable_update(vdev);

	if (is_bar(offset))
		vdev->bardirty = true;

	return count;
}

static const struct perm_field basic_fields[] = {
	/* Identity is virtualized (VFs read 0xffff in hardware). */
	{ PCI_VENDOR_ID, 2, 0xffff, 0 },
	{ PCI_DEVICE_ID, 2, 0xffff, 0 },
	/* INTx disable is ours: the INTx emulation masks with it. */
	{ PCI_COMMAND, 2, PCI_COMMAND_INTX_DISABLE, 0xffff },
	/* Capability-list bit virtualized, so every capability can be hidden. */
	{ PCI_STATUS, 2, PCI_STATUS_CAP_LIST, 0 },
	{ PCI_CACHE_LINE_SIZE, 1, 0, 0xff },
	{ PCI_LATENCY_TIMER, 1, 0, 0xff },
	{ PCI_BIST, 1, 0, 0xff },
	/* The user never touches the real BARs. */
	{ PCI_BASE_ADDRESS_0, 4, ALL_VIRT, ALL_WRITE },
	{ PCI_BASE_ADDRESS_1, 4, ALL_VIRT, ALL_WRITE },
	{ PCI_BASE_ADDRESS_2, 4, ALL_VIRT, ALL_WRITE },
	{ PCI_BASE_ADDRESS_3, 4, ALL_VIRT, ALL_WRITE },
	{ PCI_BASE_ADDRESS_4, 4, ALL_VIRT, ALL_WRITE },
	{ PCI_BASE_ADDRESS_5, 4, ALL_VIRT, ALL_WRITE },
	{ PCI_ROM_ADDRESS, 4, ALL_VIRT, ALL_WRITE },
	{ PCI_CAPABILITY_LIST, 1, 0xff, 0 },
	{ PCI_INTERRUPT_LINE, 1, 0xff, 0xff },
	/* Virtual, so INTx can be hidden. */
	{ PCI_INTERRUPT_PIN, 1, 0xff, 0 },
};

static const struct perm_bits basic_perms = {
	.fields = basic_fields,
	.nfields = ARRAY_SIZE(basic_fields),
	.readfn = vfio_basic_config_read,
	.writefn = vfio_basic_config_write,
};

static int vfio_pm_config_write(struct vfio_pci_core_device *vdev, int pos, int count,
				const struct perm_bits *perm, int offset, u32 val)
{
	count = vfio_default_config_write(vdev, pos, count, perm, offset, val);
	if (count < 0)
		return count;

	/* The state bits are not writable: vfio-pci performs the transition itself. */
	if (offset == PCI_PM_CTRL) {
		unsigned int state = val & PCI_PM_CTRL_STATE_MASK;

		down_write(&vdev->memory_lock);
		vfio_pci_set_power_state(vdev, state);
		up_write(&vdev->memory_lock);
	}
	return count;
}

static const struct perm_field pm_fields[] = {
	{ PCI_CAP_LIST_NEXT, 1, 0xff, 0 },
	/* The user cannot take PME events: PME support reads as none. */
	{ PCI_PM_PMC, 2, PCI_PM_CAP_PME_MASK, 0 },
	{ PCI_PM_CTRL, 4, PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS,
	  ~(u32)(PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS | PCI_PM_CTRL_STATE_MASK) },
};

static const struct perm_bits pm_perms = {
	.fields = pm_fields,
	.nfields = ARRAY_SIZE(pm_fields),
	.readfn = vfio_default_config_read,
	.writefn = vfio_pm_config_write,
};

/*
 * One VPD transfer through the hardware's address/data handshake: the F flag
 * is set by the function when a read completes and cleared when a write does.
 * Returns false when the function does not complete it.
 */
static bool vfio_vpd_hw_xfer(struct pci_dev *pdev, int cap, u16 addr, u32 *data, bool write)
{
	u16 status;

	if (write) {
		pci_write_config(pdev, cap + PCI_VPD_DATA, *data, 4);
		pci_write_config(pdev, cap + PCI_VPD_ADDR, addr | PCI_VPD_ADDR_F, 2);
	} else {
		pci_write_config(pdev, cap + PCI_VPD_ADDR, addr & ~PCI_VPD_ADDR_F, 2);
	}
	status = (u16)pci_read_config(pdev, cap + PCI_VPD_ADDR, 2);
	if (write)
		return !(status & PCI_VPD_ADDR_F);
	if (!(status & PCI_VPD_ADDR_F))
		return false;
	*data = pci_read_config(pdev, cap + PCI_VPD_DATA, 4);
	return true;
}

static int vfio_vpd_config_write(struct vfio_pci_core_device *vdev, int pos, int count,
				 const struct perm_bits *perm, int offset, u32 val)
{
	int cap = pos - offset;
	u16 addr;
	u32 data;

	count = vfio_default_config_write(vdev, pos, count, perm, offset, val);
	/* Only a write of the address register's upper byte (with F) starts a transfer. */
	if (count < 0 || offset > PCI_VPD_ADDR + 1 || offset + count <= PCI_VPD_ADDR + 1)
		return count;

	addr = (u16)vconfig_get(vdev, cap + PCI_VPD_ADDR, 2);
	if (addr & PCI_VPD_ADDR_F) {
		data = vconfig_get(vdev, cap + PCI_VPD_DATA, 4);
		if (!vfio_vpd_hw_xfer(vdev->pdev, cap, addr & ~PCI_VPD_ADDR_F, &data, true))
			return count;
	} else {
		data = 0;
		if (!vfio_vpd_hw_xfer(vdev->pdev, cap, addr, &data, false))
			return count;
		vconfig_put(vdev, cap + PCI_VPD_DATA, data, 4);
	}

	/* Completion: F toggles. A failed transfer leaves it, so the user times out. */
	vconfig_put(vdev, cap + PCI_VPD_ADDR, addr ^ PCI_VPD_ADDR_F, 2);
	return count;
}

static const struct perm_field vpd_fields[] = {
	{ PCI_CAP_LIST_NEXT, 1, 0xff, 0 },
	{ PCI_VPD_ADDR, 2, 0xffff, 0xffff },
	{ PCI_VPD_DATA, 4, ALL_VIRT, ALL_WRITE },
};

static const struct perm_bits vpd_perms = {
	.fields = vpd_fields,
	.nfields = ARRAY_SIZE(vpd_fields),
	.readfn = vfio_default_config_read,
	.writefn = vfio_vpd_config_write,
};

static const struct perm_field pcix_fields[] = {
	{ PCI_CAP_LIST_NEXT, 1, 0xff, 0 },
	{ PCI_X_CMD, 2, 0, 0xffff },
	{ PCI_X_ECC_CSR, 4, 0, ALL_WRITE },
};

static const struct perm_bits pcix_perms = {
	.fields = pcix_fields,
	.nfields = ARRAY_SIZE(pcix_fields),
	.readfn = vfio_default_config_read,
	.writefn = vfio_default_config_write,
};

static int pcie_get_mps(struct pci_dev *pdev)
{
	u16 ctl = (u16)pci_read_config(pdev, pdev->pcie_cap + PCI_EXP_DEVCTL, 2);

	return 128 << ((ctl & PCI_EXP_DEVCTL_PAYLOAD) >> 5);
}

/* Max Read Request Size in hardware (pcie_set_readrq, default bus config). */
static void pcie_set_readrq(struct pci_dev *pdev, int rq)
{
	if (rq < 128 || rq > 4096 || (rq & (rq - 1)))
		return;
	vfio_hw_config_update(pdev, pdev->pcie_cap + PCI_EXP_DEVCTL, 2, PCI_EXP_DEVCTL_READRQ,
			      (u32)(__builtin_ffs(rq) - 8) << 12);
}

static int vfio_exp_config_write(struct vfio_pci_core_device *vdev, int pos, int count,
				 const struct perm_bits *perm, int offset, u32 val)
{
	int cap = pos - offset;
	u16 ctrl = (u16)vconfig_get(vdev, cap + PCI_EXP_DEVCTL, 2);
	int readrq = ctrl & PCI_EXP_DEVCTL_READRQ;

	count = vfio_default_config_write(vdev, pos, count, perm, offset, val);
	if (count < 0)
		return count;

	/*
	 * Initiate FLR is virtualized and always reads 0. If the function
	 * advertises FLR, the write resets it (by whatever method the PCI core
	 * picks, as pci_try_reset_function() does).
	 */
	ctrl = (u16)vconfig_get(vdev, cap + PCI_EXP_DEVCTL, 2);
	if (ctrl & PCI_EXP_DEVCTL_BCR_FLR) {
		u32 devcap;

		ctrl &= ~PCI_EXP_DEVCTL_BCR_FLR;
		vconfig_put(vdev, cap + PCI_EXP_DEVCTL, ctrl, 2);

		devcap = pci_read_config(vdev->pdev, cap + PCI_EXP_DEVCAP, 4);
		if (devcap & PCI_EXP_DEVCAP_FLR) {
			down_write(&vdev->memory_lock);
			vfio_pci_try_reset_function(vdev);
			up_write(&vdev->memory_lock);
		}
	}

	/*
	 * MPS stays virtual (it needs a system-wide view). MRRS reaches the
	 * hardware, but never below the physical MPS so full TLPs stay usable.
	 */
	if (readrq != (ctrl & PCI_EXP_DEVCTL_READRQ)) {
		readrq = 128 << ((ctrl & PCI_EXP_DEVCTL_READRQ) >> 12);
		readrq = max(readrq, pcie_get_mps(vdev->pdev));
		pcie_set_readrq(vdev->pdev, readrq);
	}
	return count;
}

static const struct perm_field exp_fields[] = {
	{ PCI_CAP_LIST_NEXT, 1, 0xff, 0 },
	/* Phantom functions could confuse the IOMMU; MPS and FLR/MRRS are ours. */
	{ PCI_EXP_DEVCTL, 2,
	  PCI_EXP_DEVCTL_BCR_FLR | PCI_EXP_DEVCTL_PAYLOAD | PCI_EXP_DEVCTL_READRQ,
	  (u16)~PCI_EXP_DEVCTL_PHANTOM },
	/* ARI forwarding was set at probe. */
	{ PCI_EXP_DEVCTL2, 2, 0, (u16)~PCI_EXP_DEVCTL2_ARI },
};

static const struct perm_bits exp_perms = {
	.fields = exp_fields,
	.nfields = ARRAY_SIZE(exp_fields),
	.readfn = vfio_default_config_read,
	.writefn = vfio_exp_config_write,
};

static int vfio_af_config_write(struct vfio_pci_core_device *vdev, int pos, int count,
				const struct perm_bits *perm, int offset, u32 val)
{
	int cap = pos - offset;

	count = vfio_default_config_write(vdev, pos, count, perm, offset, val);
	if (count < 0)
		return count;

	/* AF FLR: virtualized, reads 0, resets when the function has FLR and TP. */
	if (vdev->vconfig[cap + PCI_AF_CTRL] & PCI_AF_CTRL_FLR) {
		u8 afcap;

		vdev->vconfig[cap + PCI_AF_CTRL] &= ~PCI_AF_CTRL_FLR;
		afcap = (u8)pci_read_config(vdev->pdev, cap + PCI_AF_CAP, 1);
		if ((afcap & PCI_AF_CAP_FLR) && (afcap & PCI_AF_CAP_TP)) {
			down_write(&vdev->memory_lock);
			vfio_pci_try_reset_function(vdev);
			up_write(&vdev->memory_lock);
		}
	}
	return count;
}

static const struct perm_field af_fields[] = {
	{ PCI_CAP_LIST_NEXT, 1, 0xff, 0 },
	{ PCI_AF_CTRL, 1, PCI_AF_CTRL_FLR, PCI_AF_CTRL_FLR },
};

static const struct perm_bits af_perms = {
	.fields = af_fields,
	.nfields = ARRAY_SIZE(af_fields),
	.readfn = vfio_default_config_read,
	.writefn = vfio_af_config_write,
};

#define PCI_ERR_UNC_WRITABLE                                                                       \
	(PCI_ERR_UNC_UND | PCI_ERR_UNC_DLP | PCI_ERR_UNC_SURPDN | PCI_ERR_UNC_POISON_TLP |         \
	 PCI_ERR_UNC_FCP | PCI_ERR_UNC_COMP_TIME | PCI_ERR_UNC_COMP_ABORT | PCI_ERR_UNC_UNX_COMP | \
	 PCI_ERR_UNC_RX_OVER | PCI_ERR_UNC_MALF_TLP | PCI_ERR_UNC_ECRC | PCI_ERR_UNC_UNSUP |       \
	 PCI_ERR_UNC_ACSV | PCI_ERR_UNC_INTN | PCI_ERR_UNC_MCBTLP | PCI_ERR_UNC_ATOMEG |           \
	 PCI_ERR_UNC_TLPPRE)
#define PCI_ERR_COR_WRITABLE                                                                    \
	(PCI_ERR_COR_RCVR | PCI_ERR_COR_BAD_TLP | PCI_ERR_COR_BAD_DLLP | PCI_ERR_COR_REP_ROLL | \
	 PCI_ERR_COR_REP_TIMER | PCI_ERR_COR_ADV_NFAT | PCI_ERR_COR_INTERNAL |                  \
	 PCI_ERR_COR_LOG_OVER)

/* Extended capabilities virtualize their first dword (it holds the next pointer). */
static const struct perm_field ecap_err_fields[] = {
	{ 0, 4, ALL_VIRT, 0 },
	{ PCI_ERR_UNCOR_STATUS, 4, 0, PCI_ERR_UNC_WRITABLE },
	{ PCI_ERR_UNCOR_MASK, 4, 0, PCI_ERR_UNC_WRITABLE },
	{ PCI_ERR_UNCOR_SEVER, 4, 0, PCI_ERR_UNC_WRITABLE },
	{ PCI_ERR_COR_STATUS, 4, 0, PCI_ERR_COR_WRITABLE },
	{ PCI_ERR_COR_MASK, 4, 0, PCI_ERR_COR_WRITABLE },
	{ PCI_ERR_CAP, 4, 0, PCI_ERR_CAP_ECRC_GENE | PCI_ERR_CAP_ECRC_CHKE },
};

static const struct perm_bits ecap_err_perms = {
	.fields = ecap_err_fields,
	.nfields = ARRAY_SIZE(ecap_err_fields),
	.readfn = vfio_default_config_read,
	.writefn = vfio_default_config_write,
};

static const struct perm_field ecap_pwr_fields[] = {
	{ 0, 4, ALL_VIRT, 0 },
	/* Selecting a data register is harmless; the data stays read-only. */
	{ PCI_PWR_DATA, 1, 0, 0xff },
};

static const struct perm_bits ecap_pwr_perms = {
	.fields = ecap_pwr_fields,
	.nfields = ARRAY_SIZE(ecap_pwr_fields),
	.readfn = vfio_default_config_read,
	.writefn = vfio_default_config_write,
};

static const struct perm_bits *cap_perms(u8 cap)
{
	switch (cap) {
	case PCI_CAP_ID_BASIC:
		return &basic_perms;
	case PCI_CAP_ID_PM:
		return &pm_perms;
	case PCI_CAP_ID_VPD:
		return &vpd_perms;
	case PCI_CAP_ID_PCIX:
		return &pcix_perms;
	case PCI_CAP_ID_EXP:
		return &exp_perms;
	case PCI_CAP_ID_AF:
		return &af_perms;
	case PCI_CAP_ID_VNDR:
		return &direct_raw_write_perms;
	default:
		return &direct_ro_perms;
	}
}

static const struct perm_bits *ecap_perms(u8 ecap)
{
	switch (ecap) {
	case PCI_EXT_CAP_ID_ERR:
		return &ecap_err_perms;
	case PCI_EXT_CAP_ID_PWR:
		return &ecap_pwr_perms;
	case PCI_EXT_CAP_ID_VNDR:
	case PCI_EXT_CAP_ID_DVSEC:
		return &direct_raw_write_perms;
	default:
		/* Also ids above PCI_EXT_CAP_ID_MAX: a hidden first ecap's placeholder. */
		return &direct_ro_perms;
	}
}

/* Offset of the start of the capability owning pos (0 for the standard header). */
static int vfio_find_cap_start(struct vfio_pci_core_device *vdev, int pos)
{
	int base = pos >= PCI_CFG_SPACE_SIZE ? PCI_CFG_SPACE_SIZE : PCI_STD_HEADER_SIZEOF;
	u8 cap = vdev->pci_config_map[pos];

	if (cap == PCI_CAP_ID_BASIC)
		return 0;
	while (pos - 1 >= base && vdev->pci_config_map[pos - 1] == cap)
		pos--;
	return pos;
}

/*
 * MSI reads: the flags low byte, with Multiple Message Capable, come from
 * vconfig. The kernel means to report msi_qmax there, but its read fixup
 * lands on the capability's id byte (vconfig[start] rather than the flags),
 * which MSI never reads from vconfig; so what the user sees is the hardware's
 * MMC from open, or whatever the user wrote into the virtualized byte since
 * (a real 6.12 shows 0x008e after 0xffff is written to edu's MSI flags).
 * Reproduced as observed: a plain default read.
 */
static int vfio_msi_config_read(struct vfio_pci_core_device *vdev, int pos, int count,
				const struct perm_bits *perm, int offset, u32 *val)
{
	return vfio_default_config_read(vdev, pos, count, perm, offset, val);
}

static int vfio_msi_config_write(struct vfio_pci_core_device *vdev, int pos, int count,
				 const struct perm_bits *perm, int offset, u32 val)
{
	count = vfio_default_config_write(vdev, pos, count, perm, offset, val);
	if (count < 0)
		return count;

	/* Any write reaching the flags sanitizes them and writes them to hardware too. */
	if (offset <= PCI_MSI_FLAGS && offset + count >= PCI_MSI_FLAGS) {
		int start = vfio_find_cap_start(vdev, pos);
		u16 flags = (u16)vconfig_get(vdev, start + PCI_MSI_FLAGS, 2);
		bool msi_on;
		u8 qmax;

		mutex_lock(&vdev->igate);
		msi_on = vdev->irq_type == VFIO_PCI_IRQ_MSI;
		qmax = vdev->msi_qmax;
		mutex_unlock(&vdev->igate);

		/* MSI is enabled through SET_IRQS only. */
		if (!msi_on)
			flags &= ~PCI_MSI_FLAGS_ENABLE;

		/* Multiple Message Enable is capped to what SET_IRQS allocated. */
		if (((flags & PCI_MSI_FLAGS_QSIZE) >> 4) > qmax) {
			flags &= ~PCI_MSI_FLAGS_QSIZE;
			flags |= (u16)(qmax << 4);
		}

		vconfig_put(vdev, start + PCI_MSI_FLAGS, flags, 2);
		pci_write_config(vdev->pdev, start + PCI_MSI_FLAGS, flags, 2);
	}
	return count;
}

/* Address and data are virtual: the host programs the real message. */
static const struct perm_field msi32_fields[] = {
	{ PCI_CAP_LIST_NEXT, 1, 0xff, 0 },
	{ PCI_MSI_FLAGS, 1, 0xff, 0xff }, /* the upper byte is reserved */
	{ PCI_MSI_ADDRESS_LO, 4, ALL_VIRT, ALL_WRITE },
	{ PCI_MSI_DATA_32, 2, 0xffff, 0xffff },
};

static const struct perm_field msi32_mask_fields[] = {
	{ PCI_CAP_LIST_NEXT, 1, 0xff, 0 },
	{ PCI_MSI_FLAGS, 1, 0xff, 0xff },
	{ PCI_MSI_ADDRESS_LO, 4, ALL_VIRT, ALL_WRITE },
	{ PCI_MSI_DATA_32, 2, 0xffff, 0xffff },
	{ PCI_MSI_MASK_32, 4, 0, ALL_WRITE },
	{ PCI_MSI_PENDING_32, 4, 0, ALL_WRITE },
};

static const struct perm_field msi64_fields[] = {
	{ PCI_CAP_LIST_NEXT, 1, 0xff, 0 },
	{ PCI_MSI_FLAGS, 1, 0xff, 0xff },
	{ PCI_MSI_ADDRESS_LO, 4, ALL_VIRT, ALL_WRITE },
	{ PCI_MSI_ADDRESS_HI, 4, ALL_VIRT, ALL_WRITE },
	{ PCI_MSI_DATA_64, 2, 0xffff, 0xffff },
};

static const struct perm_field msi64_mask_fields[] = {
	{ PCI_CAP_LIST_NEXT, 1, 0xff, 0 },
	{ PCI_MSI_FLAGS, 1, 0xff, 0xff },
	{ PCI_MSI_ADDRESS_LO, 4, ALL_VIRT, ALL_WRITE },
	{ PCI_MSI_ADDRESS_HI, 4, ALL_VIRT, ALL_WRITE },
	{ PCI_MSI_DATA_64, 2, 0xffff, 0xffff },
	{ PCI_MSI_MASK_64, 4, 0, ALL_WRITE },
	{ PCI_MSI_PENDING_64, 4, 0, ALL_WRITE },
};

static struct perm_bits *vfio_msi_perm_new(u16 flags)
{
	struct perm_bits *perm = xzalloc(sizeof(*perm));
	bool is64 = flags & PCI_MSI_FLAGS_64BIT;
	bool mask = flags & PCI_MSI_FLAGS_MASKBIT;

	if (is64) {
		perm->fields = mask ? msi64_mask_fields : msi64_fields;
		perm->nfields = mask ? ARRAY_SIZE(msi64_mask_fields) : ARRAY_SIZE(msi64_fields);
	} else {
		perm->fields = mask ? msi32_mask_fields : msi32_fields;
		perm->nfields = mask ? ARRAY_SIZE(msi32_mask_fields) : ARRAY_SIZE(msi32_fields);
	}
	perm->readfn = vfio_msi_config_read;
	perm->writefn = vfio_msi_config_write;
	return perm;
}

/* MSI capability length from its flags; picks the device's MSI table on first use. */
static int vfio_msi_cap_len(struct vfio_pci_core_device *vdev, u8 pos)
{
	u16 flags = (u16)pci_read_config(vdev->pdev, pos + PCI_MSI_FLAGS, 2);
	int len = 10;

	if (flags & PCI_MSI_FLAGS_64BIT)
		len += 4;
	if (flags & PCI_MSI_FLAGS_MASKBIT)
		len += 10;

	if (!vdev->msi_perm)
		vdev->msi_perm = vfio_msi_perm_new(flags);
	return len;
}

/* Length of a VC (2 and 9) or MFVC extended capability. */
static int vfio_vc_cap_len(struct vfio_pci_core_device *vdev, u16 pos)
{
	struct pci_dev *pdev = vdev->pdev;
	int len = PCI_CAP_VC_BASE_SIZEOF;
	int evcc, phases, vc_arb;
	u32 tmp;

	tmp = pci_read_config(pdev, pos + PCI_VC_PORT_CAP1, 4);
	evcc = tmp & PCI_VC_CAP1_EVCC;
	tmp = pci_read_config(pdev, pos + PCI_VC_PORT_CAP2, 4);
	if (tmp & PCI_VC_CAP2_128_PHASE)
		phases = 128;
	else if (tmp & PCI_VC_CAP2_64_PHASE)
		phases = 64;
	else if (tmp & PCI_VC_CAP2_32_PHASE)
		phases = 32;
	else
		phases = 0;
	vc_arb = phases * 4;

	/* Arbitration tables are never writable, their exact size does not matter. */
	len += (1 + evcc) * PCI_CAP_VC_PER_VC_SIZEOF;
	if (vc_arb) {
		len = ALIGN_UP(len, 16);
		len += vc_arb / 8;
	}
	return len;
}

/* The extended capabilities are walked only if a capability says they exist. */
static void vfio_probe_extended_caps(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;

	if (pdev->cfg_size > PCI_CFG_SPACE_SIZE)
		vdev->extended_caps = pci_read_config(pdev, PCI_CFG_SPACE_SIZE, 4) != 0;
}

static int vfio_cap_len(struct vfio_pci_core_device *vdev, u8 cap, u8 pos)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 word;
	u8 byte;

	switch (cap) {
	case PCI_CAP_ID_MSI:
		return vfio_msi_cap_len(vdev, pos);
	case PCI_CAP_ID_PCIX:
		word = (u16)pci_read_config(pdev, pos + PCI_X_CMD, 2);
		if (PCI_X_CMD_VERSION(word)) {
			vfio_probe_extended_caps(vdev);
			return PCI_CAP_PCIX_SIZEOF_V2;
		}
		return PCI_CAP_PCIX_SIZEOF_V0;
	case PCI_CAP_ID_VNDR:
		/* The length byte follows the next pointer. */
		return (u8)pci_read_config(pdev, pos + PCI_CAP_FLAGS, 1);
	case PCI_CAP_ID_EXP:
		vfio_probe_extended_caps(vdev);
		word = (u16)pci_read_config(pdev, pos + PCI_EXP_FLAGS, 2);
		if ((word & PCI_EXP_FLAGS_VERS) == 1) {
			if (((word & PCI_EXP_FLAGS_TYPE) >> 4) == PCI_EXP_TYPE_RC_END)
				return 0xc; /* "all devices" registers only, no link */
			return PCI_CAP_EXP_ENDPOINT_SIZEOF_V1;
		}
		if (((word & PCI_EXP_FLAGS_TYPE) >> 4) == PCI_EXP_TYPE_RC_END)
			return 0x2c; /* no link */
		return PCI_CAP_EXP_ENDPOINT_SIZEOF_V2;
	case PCI_CAP_ID_HT:
		byte = (u8)pci_read_config(pdev, pos + 3, 1);
		return (byte & HT_3BIT_CAP_MASK) ? HT_CAP_SIZEOF_SHORT : HT_CAP_SIZEOF_LONG;
	case PCI_CAP_ID_SATA:
		byte = (u8)pci_read_config(pdev, pos + PCI_SATA_REGS, 1) & PCI_SATA_REGS_MASK;
		return byte == PCI_SATA_REGS_INLINE ? PCI_SATA_SIZEOF_LONG : PCI_SATA_SIZEOF_SHORT;
	default:
		return 0;
	}
}

static int vfio_ext_cap_len(struct vfio_pci_core_device *vdev, u16 ecap, u16 epos)
{
	struct pci_dev *pdev = vdev->pdev;
	u32 dword;
	u8 byte;

	switch (ecap) {
	case PCI_EXT_CAP_ID_VNDR:
		dword = pci_read_config(pdev, epos + PCI_VSEC_HDR, 4);
		return dword >> PCI_VSEC_HDR_LEN_SHIFT;
	case PCI_EXT_CAP_ID_VC:
	case PCI_EXT_CAP_ID_VC9:
	case PCI_EXT_CAP_ID_MFVC:
		return vfio_vc_cap_len(vdev, epos);
	case PCI_EXT_CAP_ID_ACS:
		byte = (u8)pci_read_config(pdev, epos + PCI_ACS_CAP, 1);
		if (byte & PCI_ACS_EC) {
			int bits;

			byte = (u8)pci_read_config(pdev, epos + PCI_ACS_EGRESS_BITS, 1);
			bits = byte ? ALIGN_UP(byte, 32) : 256;
			return 8 + bits / 8;
		}
		return 8;
	case PCI_EXT_CAP_ID_REBAR:
		byte = (u8)pci_read_config(pdev, epos + PCI_REBAR_CTRL, 1);
		byte = (byte & PCI_REBAR_CTRL_NBAR_MASK) >> PCI_REBAR_CTRL_NBAR_SHIFT;
		return 4 + byte * 8;
	case PCI_EXT_CAP_ID_DPA:
		byte = (u8)pci_read_config(pdev, epos + PCI_DPA_CAP, 1) & PCI_DPA_CAP_SUBSTATE_MASK;
		return PCI_DPA_BASE_SIZEOF + byte + 1;
	case PCI_EXT_CAP_ID_TPH:
		dword = pci_read_config(pdev, epos + PCI_TPH_CAP, 4);
		if ((dword & PCI_TPH_CAP_LOC_MASK) == PCI_TPH_LOC_CAP) {
			int sts = (dword & PCI_TPH_CAP_ST_MASK) >> PCI_TPH_CAP_ST_SHIFT;

			return PCI_TPH_BASE_SIZEOF + sts * 2 + 2;
		}
		return PCI_TPH_BASE_SIZEOF;
	case PCI_EXT_CAP_ID_DVSEC:
		dword = pci_read_config(pdev, epos + PCI_DVSEC_HEADER1, 4);
		return PCI_DVSEC_HEADER1_LEN(dword);
	default:
		return 0;
	}
}

/* Copies [offset, offset + size) of the hardware config space into vconfig. */
static void vfio_fill_vconfig_bytes(struct vfio_pci_core_device *vdev, int offset, int size)
{
	/* Largest naturally aligned accesses, as pci_save_state() does. */
	while (size) {
		int n = (size >= 4 && !(offset % 4)) ? 4 : (size >= 2 && !(offset % 2)) ? 2 : 1;

		vconfig_put(vdev, offset, pci_read_config(vdev->pdev, offset, n), n);
		offset += n;
		size -= n;
	}
}

/* The user cannot take PME: PME support, PME status and PME enable read 0. */
static void vfio_update_pm_vconfig_bytes(struct vfio_pci_core_device *vdev, int offset)
{
	u16 pmc = (u16)vconfig_get(vdev, offset + PCI_PM_PMC, 2);
	u16 ctrl = (u16)vconfig_get(vdev, offset + PCI_PM_CTRL, 2);

	vconfig_put(vdev, offset + PCI_PM_PMC, pmc & ~PCI_PM_CAP_PME_MASK, 2);
	vconfig_put(vdev, offset + PCI_PM_CTRL,
		    ctrl & ~(PCI_PM_CTRL_PME_ENABLE | PCI_PM_CTRL_PME_STATUS), 2);
}

/* Walks the standard capability chain: maps, fills and unlinks as in the tables. */
static int vfio_cap_init(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u8 *map = vdev->pci_config_map;
	u8 *prev = &vdev->vconfig[PCI_CAPABILITY_LIST];
	int loops = (PCI_CFG_SPACE_SIZE - PCI_STD_HEADER_SIZEOF) / PCI_CAP_SIZEOF;
	int caps = 0;
	u16 status;
	u8 pos;

	status = (u16)pci_read_config(pdev, PCI_STATUS, 2);
	if (!(status & PCI_STATUS_CAP_LIST))
		return 0;

	pos = (u8)pci_read_config(pdev, PCI_CAPABILITY_LIST, 1);
	while (pos && loops--) {
		u8 cap = (u8)pci_read_config(pdev, pos, 1);
		u8 next = (u8)pci_read_config(pdev, pos + PCI_CAP_LIST_NEXT, 1);
		int len = 0;

		/* Id 0 (NULL capability) would collide with PCI_CAP_ID_BASIC: hidden. */
		if (cap && cap <= PCI_CAP_ID_MAX) {
			len = pci_cap_length[cap];
			if (len == 0xFF)
				len = vfio_cap_len(vdev, cap, pos);
			if (len < 0)
				return len;
		}

		if (!len) {
			/* Hidden: the previous next pointer skips it. */
			*prev = next;
			pos = next;
			continue;
		}

		/* A capability running off the end of config space is cut there. */
		len = min(len, PCI_CFG_SPACE_SIZE - pos);
		memset(map + pos, cap, len);
		vfio_fill_vconfig_bytes(vdev, pos, len);
		if (cap == PCI_CAP_ID_PM)
			vfio_update_pm_vconfig_bytes(vdev, pos);

		prev = &vdev->vconfig[pos + PCI_CAP_LIST_NEXT];
		pos = next;
		caps++;
	}

	if (!caps) {
		u16 vstatus = (u16)vconfig_get(vdev, PCI_STATUS, 2);

		vconfig_put(vdev, PCI_STATUS, vstatus & ~PCI_STATUS_CAP_LIST, 2);
	}
	return 0;
}

/* Walks the extended capability chain from 0x100 and unlinks the hidden ones. */
static int vfio_ecap_init(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u8 *map = vdev->pci_config_map;
	int loops = (int)(pdev->cfg_size - PCI_CFG_SPACE_SIZE) / PCI_CAP_SIZEOF;
	int prev = -1; /* vconfig offset of the previous visible header */
	u16 epos = PCI_CFG_SPACE_SIZE;
	int ecaps = 0;

	if (!vdev->extended_caps)
		return 0;

	while (loops-- && epos >= PCI_CFG_SPACE_SIZE) {
		u32 header = pci_read_config(pdev, epos, 4);
		u16 ecap = PCI_EXT_CAP_ID(header);
		bool hidden = false;
		int len = 0;

		if (ecap <= PCI_EXT_CAP_ID_MAX) {
			len = pci_ext_cap_length[ecap];
			if (len == 0xFF)
				len = vfio_ext_cap_len(vdev, ecap, epos);
			if (len < 0)
				return len;
		}

		if (!len) {
			if (prev >= 0) {
				/* Not the first: the previous header's next skips it. */
				u32 v = vconfig_get(vdev, prev, 4);

				epos = PCI_EXT_CAP_NEXT(header);
				v = (v & ~(0xffcu << 20)) | ((u32)epos << 20);
				vconfig_put(vdev, prev, v, 4);
				continue;
			}
			/*
			 * The chain must start at 0x100: keep a placeholder header
			 * (id 0, version 0, the original next) in its place.
			 */
			len = PCI_CAP_SIZEOF;
			hidden = true;
		}

		len = min(len, (int)pdev->cfg_size - epos);
		/* pci_config_map holds one byte per id; every known ecap id fits. */
		memset(map + epos, (u8)ecap, len);
		vfio_fill_vconfig_bytes(vdev, epos, len);

		if (hidden)
			vconfig_put(vdev, epos, vconfig_get(vdev, epos, 4) & (0xffcu << 20), 4);
		else
			ecaps++;

		prev = epos;
		epos = PCI_EXT_CAP_NEXT(header);
	}

	/* No extended capability left: the header at 0x100 reads 0. */
	if (!ecaps)
		vconfig_put(vdev, PCI_CFG_SPACE_SIZE, 0, 4);
	return 0;
}

int vfio_config_init(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	unsigned int size = pdev->cfg_size;
	int ret;

	if (size != PCI_CFG_SPACE_SIZE && size != PCI_CFG_SPACE_EXP_SIZE)
		return -EINVAL;

	vdev->pci_config_map = xzalloc(size);
	vdev->vconfig = xzalloc(size);
	vdev->extended_caps = false;

	memset(vdev->pci_config_map, PCI_CAP_ID_BASIC, PCI_STD_HEADER_SIZEOF);
	memset(vdev->pci_config_map + PCI_STD_HEADER_SIZEOF, PCI_CAP_ID_INVALID,
	       size - PCI_STD_HEADER_SIZEOF);

	vfio_fill_vconfig_bytes(vdev, 0, PCI_STD_HEADER_SIZEOF);

	/* The first BAR read sizes the virtual BARs from the resources. */
	vdev->bardirty = true;

	/* BAR values the host assigned, for restoring them after a hidden reset. */
	for (int i = 0; i < PCI_NUM_BARS; i++)
		vdev->rbar[i] = vconfig_get(vdev, PCI_BASE_ADDRESS_0 + 4 * i, 4);
	vdev->rbar[6] = vconfig_get(vdev, PCI_ROM_ADDRESS, 4);

	/* INTx hidden for broken-INTx devices and functions with no connected IRQ. */
	if (vdev->nointx || pdev->irq < 0)
		vdev->vconfig[PCI_INTERRUPT_PIN] = 0;

	ret = vfio_cap_init(vdev);
	if (!ret)
		ret = vfio_ecap_init(vdev);
	if (ret) {
		vfio_config_free(vdev);
		return ret;
	}
	return 0;
}

void vfio_config_free(struct vfio_pci_core_device *vdev)
{
	free(vdev->vconfig);
	vdev->vconfig = NULL;
	free(vdev->pci_config_map);
	vdev->pci_config_map = NULL;
	free(vdev->msi_perm);
	vdev->msi_perm = NULL;
}

/* Bytes from pos to the end of its dword that belong to the same owner. */
static size_t vfio_pci_cap_remaining_dword(struct vfio_pci_core_device *vdev, s64 pos)
{
	u8 cap = vdev->pci_config_map[pos];
	size_t i;

	for (i = 1; (pos + i) % 4 && vdev->pci_config_map[pos + i] == cap; i++)
		;
	return i;
}

/* One chunk: at most a naturally aligned dword, within one capability. */
static ssize_t vfio_config_do_rw(struct vfio_pci_core_device *vdev, char *buf, size_t count,
				 s64 *ppos, bool iswrite)
{
	struct pci_dev *pdev = vdev->pdev;
	const struct perm_bits *perm;
	int cap_start = 0, offset;
	u32 val = 0;
	ssize_t ret;
	u8 cap_id;

	if (*ppos < 0 || *ppos >= pdev->cfg_size || count > (size_t)(pdev->cfg_size - *ppos))
		return -EFAULT;

	count = min(count, vfio_pci_cap_remaining_dword(vdev, *ppos));
	if (count >= 4 && !(*ppos % 4))
		count = 4;
	else if (count >= 2 && !(*ppos % 2))
		count = 2;
	else
		count = 1;
	ret = count;

	cap_id = vdev->pci_config_map[*ppos];
	if (cap_id == PCI_CAP_ID_INVALID) {
		perm = &unassigned_perms;
		cap_start = *ppos;
	} else if (cap_id == PCI_CAP_ID_INVALID_VIRT) {
		perm = &virt_perms;
		cap_start = *ppos;
	} else if (*ppos >= PCI_CFG_SPACE_SIZE) {
		perm = ecap_perms(cap_id);
		cap_start = vfio_find_cap_start(vdev, *ppos);
	} else {
		perm = cap_id == PCI_CAP_ID_MSI ? vdev->msi_perm : cap_perms(cap_id);
		if (cap_id > PCI_CAP_ID_BASIC)
			cap_start = vfio_find_cap_start(vdev, *ppos);
	}
	offset = *ppos - cap_start;

	if (iswrite) {
		if (!perm->writefn)
			return ret;
		val = get_le((const u8 *)buf, count);
		ret = perm->writefn(vdev, *ppos, count, perm, offset, val);
	} else {
		ret = perm->readfn(vdev, *ppos, count, perm, offset, &val);
		if (ret < 0)
			return ret;
		put_le((u8 *)buf, val, count);
	}
	return ret;
}

ssize_t vfio_pci_config_rw(struct vfio_pci_core_device *vdev, char *buf, size_t count, s64 *ppos,
			   bool iswrite)
{
	s64 pos = *ppos & VFIO_PCI_OFFSET_MASK;
	size_t done = 0;

	while (count) {
		ssize_t ret = vfio_config_do_rw(vdev, buf, count, &pos, iswrite);

		if (ret < 0)
			return ret;
		count -= ret;
		done += ret;
		buf += ret;
		pos += ret;
	}

	*ppos += done;
	return done;
}

int vfio_pci_msi_count(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 flags;

	if (!pdev->msi_cap)
		return 0;
	flags = (u16)pci_read_config(pdev, pdev->msi_cap + PCI_MSI_FLAGS, 2);
	return 1 << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
}

int vfio_pci_msix_count(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	u16 flags;

	if (!pdev->msix_cap)
		return 0;
	flags = (u16)pci_read_config(pdev, pdev->msix_cap + PCI_MSIX_FLAGS, 2);
	return (flags & PCI_MSIX_FLAGS_QSIZE) + 1;
}

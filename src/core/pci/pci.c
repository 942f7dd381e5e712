// SPDX-License-Identifier: MIT
/*
 * PCI functions as the host's PCI core sees them: the "hardware" config
 * space with its write masks, BAR and ROM resources, the capability chain,
 * resets, INTx/MSI signalling from device models to the bound driver, and
 * bus-master DMA through the IOMMU.
 *
 * Config writes follow the hardware rule byte by byte:
 *   new = (old & ~wmask) | (val & wmask); new &= ~(val & w1cmask)
 * The status register's Interrupt Status bit is the live INTx level; the
 * command register and the MSI control word are mirrored in atomics so the
 * interrupt and DMA paths never take cfg_lock (see pci.h for the lock order).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "iommu/iommu.h"
#include "pci/pci.h"

static void pci_release_dev(struct device *dev)
{
	struct pci_dev *pdev = to_pci_dev(dev);

	if (pdev->model && pdev->model->release)
		pdev->model->release(pdev);
	if (pdev->msix) {
		mutex_destroy(&pdev->msix->lock);
		free(pdev->msix->table);
		free(pdev->msix->pba);
		free(pdev->msix);
	}
	for (int i = 0; i < PCI_STD_NUM_BARS; i++) {
		struct pci_bar_ram *ram = pdev->bar_ram[i];

		if (ram) {
			munmap(ram->mem, ram->size);
			close(ram->memfd);
			free(ram);
		}
	}
	mutex_destroy(&pdev->cfg_lock);
	mutex_destroy(&pdev->irq_call_lock);
	free(pdev->rom);
	free(pdev);
}

struct pci_dev *pci_alloc_dev(struct pci_bus *bus, unsigned int devfn,
			      const struct pci_dev_model_ops *model, void *model_data)
{
	struct pci_dev *pdev = xzalloc(sizeof(*pdev));
	struct device *parent = bus->self ? &bus->self->dev : NULL;

	pdev->bus = bus;
	pdev->devfn = devfn;
	pdev->model = model;
	pdev->model_data = model_data;
	pdev->cfg_size = PCI_CFG_SPACE_SIZE;
	mutex_init(&pdev->cfg_lock, "pci_dev->cfg_lock");
	mutex_init(&pdev->irq_call_lock, "pci_dev->irq_call_lock");
	INIT_LIST_HEAD(&pdev->bus_list);
	device_initialize(&pdev->dev, &bus->pci->bus, parent, pci_release_dev);
	snprintf(pdev->dev.name, sizeof(pdev->dev.name), "%04x:%02x:%02x.%d", bus->domain,
		 bus->number, PCI_SLOT(devfn), PCI_FUNC(devfn));
	return pdev;
}

static inline u16 cfg16(const u8 *c, unsigned int off)
{
	return (u16)(c[off] | c[off + 1] << 8);
}

static inline void cfg_set16_raw(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static inline u32 cfg32(const u8 *c, unsigned int off)
{
	return (u32)cfg16(c, off) | (u32)cfg16(c, off + 2) << 16;
}

int pci_find_capability(struct pci_dev *pdev, int cap)
{
	u8 pos;
	int ttl = 48;

	if (!(cfg16(pdev->config, PCI_STATUS) & PCI_STATUS_CAP_LIST))
		return 0;
	pos = pdev->config[pci_is_bridge(pdev) || (pdev->hdr_type & 0x7f) == 0 ?
				   PCI_CAPABILITY_LIST :
				   PCI_CB_CAPABILITY_LIST];
	while (ttl-- && pos >= 0x40) {
		pos &= ~3;
		if (pdev->config[pos] == cap)
			return pos;
		pos = pdev->config[pos + 1];
	}
	return 0;
}

int pci_find_ext_capability(struct pci_dev *pdev, int cap)
{
	unsigned int pos = PCI_CFG_SPACE_SIZE;
	int ttl = (PCI_CFG_SPACE_EXP_SIZE - PCI_CFG_SPACE_SIZE) / 8;

	if (pdev->cfg_size <= PCI_CFG_SPACE_SIZE)
		return 0;
	while (ttl-- > 0) {
		u32 header = cfg32(pdev->config, pos);

		if (!header)
			return 0;
		if ((int)PCI_EXT_CAP_ID(header) == cap && pos)
			return (int)pos;
		pos = PCI_EXT_CAP_NEXT(header);
		if (pos < PCI_CFG_SPACE_SIZE)
			return 0;
	}
	return 0;
}

u8 *pci_add_capability(struct pci_dev *pdev, u8 cap_id, unsigned int offset, unsigned int len)
{
	u8 *c = pdev->config;

	/* Link at the head of the list, as QEMU's pci_add_capability does. */
	c[offset] = cap_id;
	c[offset + 1] = c[PCI_CAPABILITY_LIST];
	c[PCI_CAPABILITY_LIST] = (u8)offset;
	c[PCI_STATUS] |= PCI_STATUS_CAP_LIST;
	(void)len;
	return c + offset;
}

void pci_add_ext_capability(struct pci_dev *pdev, u16 cap_id, u8 version, unsigned int offset,
			    unsigned int len)
{
	u8 *c = pdev->config;
	unsigned int pos = PCI_CFG_SPACE_SIZE;
	u32 header = (u32)cap_id | (u32)(version & 0xf) << 16;

	(void)len;
	pdev->cfg_size = PCI_CFG_SPACE_EXP_SIZE;
	/* Append at the end of the chain. */
	if (offset != PCI_CFG_SPACE_SIZE && cfg32(c, pos)) {
		for (;;) {
			u32 h = cfg32(c, pos);
			unsigned int next = PCI_EXT_CAP_NEXT(h);

			if (!next) {
				h |= (u32)offset << 20;
				memcpy(c + pos, &h, 4);
				break;
			}
			pos = next;
		}
	}
	memcpy(c + offset, &header, 4);
}

void pci_register_bar(struct pci_dev *pdev, int bar, u64 size, unsigned long flags)
{
	struct resource *r = &pdev->resource[bar];
	unsigned int reg = bar == PCI_ROM_RESOURCE ?
				   (pci_is_bridge(pdev) ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS) :
				   PCI_BASE_ADDRESS_0 + 4 * (unsigned int)bar;
	u64 mask = ~(size - 1);
	u32 low;

	r->flags = flags;
	r->start = 0;
	r->end = size - 1;
	if (bar == PCI_ROM_RESOURCE) {
		r->flags |= IORESOURCE_MEM | IORESOURCE_READONLY;
		low = ((u32)mask & PCI_ROM_ADDRESS_MASK) | PCI_ROM_ADDRESS_ENABLE;
		memcpy(pdev->wmask + reg, &low, 4);
		return;
	}
	if (flags & IORESOURCE_IO) {
		low = (u32)mask & PCI_BASE_ADDRESS_IO_MASK;
		pdev->config[reg] = PCI_BASE_ADDRESS_SPACE_IO;
		memcpy(pdev->wmask + reg, &low, 4);
		return;
	}
	low = (u32)mask & PCI_BASE_ADDRESS_MEM_MASK;
	pdev->config[reg] = 0;
	if (flags & IORESOURCE_PREFETCH)
		pdev->config[reg] |= PCI_BASE_ADDRESS_MEM_PREFETCH;
	memcpy(pdev->wmask + reg, &low, 4);
	if (flags & IORESOURCE_MEM_64) {
		u32 high = (u32)(mask >> 32);

		pdev->config[reg] |= PCI_BASE_ADDRESS_MEM_TYPE_64;
		memcpy(pdev->wmask + reg + 4, &high, 4);
	}
}

/* Writes the host-assigned address of each resource into its BAR register. */
static void pci_write_bar_addresses(struct pci_dev *pdev)
{
	for (int bar = 0; bar < PCI_NUM_RESOURCES; bar++) {
		struct resource *r = &pdev->resource[bar];
		unsigned int reg;
		u32 v;

		if (!r->flags)
			continue;
		if (bar == PCI_ROM_RESOURCE) {
			reg = pci_is_bridge(pdev) ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS;
			v = (u32)r->start & PCI_ROM_ADDRESS_MASK;
			memcpy(pdev->config + reg, &v, 4);
			continue;
		}
		reg = PCI_BASE_ADDRESS_0 + 4 * (unsigned int)bar;
		v = ((u32)r->start & ~0xfu) | (pdev->config[reg] & 0xf);
		if (r->flags & IORESOURCE_IO)
			v = ((u32)r->start & ~0x3u) | PCI_BASE_ADDRESS_SPACE_IO;
		memcpy(pdev->config + reg, &v, 4);
		if (r->flags & IORESOURCE_MEM_64) {
			v = (u32)(r->start >> 32);
			memcpy(pdev->config + reg + 4, &v, 4);
			bar++;
		}
	}
}

void pci_setup_device(struct pci_dev *pdev)
{
	const u8 *c = pdev->config;
	int pos;

	pdev->vendor = cfg16(c, PCI_VENDOR_ID);
	pdev->device = cfg16(c, PCI_DEVICE_ID);
	pdev->revision = c[PCI_REVISION_ID];
	pdev->class = cfg32(c, PCI_CLASS_REVISION) >> 8;
	pdev->hdr_type = c[PCI_HEADER_TYPE];
	pdev->multifunction = !!(pdev->hdr_type & 0x80);
	if ((pdev->hdr_type & 0x7f) == PCI_HEADER_TYPE_NORMAL) {
		pdev->subsystem_vendor = cfg16(c, PCI_SUBSYSTEM_VENDOR_ID);
		pdev->subsystem_device = cfg16(c, PCI_SUBSYSTEM_ID);
	}
	pdev->pin = c[PCI_INTERRUPT_PIN];
	pdev->msi_cap = pci_find_capability(pdev, PCI_CAP_ID_MSI);
	pdev->msix_cap = pci_find_capability(pdev, PCI_CAP_ID_MSIX);
	pdev->pm_cap = pci_find_capability(pdev, PCI_CAP_ID_PM);
	pdev->pcie_cap = pci_find_capability(pdev, PCI_CAP_ID_EXP);
	if (pdev->pcie_cap) {
		pdev->pcie_type = (cfg16(c, (unsigned int)pdev->pcie_cap + PCI_EXP_FLAGS) &
				   PCI_EXP_FLAGS_TYPE) >>
				  4;
		if (cfg32(c, (unsigned int)pdev->pcie_cap + PCI_EXP_DEVCAP) & PCI_EXP_DEVCAP_FLR)
			pdev->has_flr = true;
	}
	pdev->acs_cap = pci_find_ext_capability(pdev, PCI_EXT_CAP_ID_ACS);
	pos = pci_find_capability(pdev, PCI_CAP_ID_AF);
	if (pos && (c[pos + PCI_AF_CAP] & PCI_AF_CAP_TP) && (c[pos + PCI_AF_CAP] & PCI_AF_CAP_FLR))
		pdev->has_flr = true;
	if (pdev->pm_cap &&
	    !(cfg16(c, (unsigned int)pdev->pm_cap + PCI_PM_CTRL) & PCI_PM_CTRL_NO_SOFT_RESET))
		pdev->has_flr = true; /* PM reset (D3hot → D0) */
	pci_write_bar_addresses(pdev);
	atomic_store(&pdev->command_shadow, cfg16(c, PCI_COMMAND));
}

/* pci_type_str() of drivers/pci/probe.c. */
static const char *pci_type_str(const struct pci_dev *pdev)
{
	static const char *const pcie[] = {
		"PCIe Endpoint",
		"PCIe Legacy Endpoint",
		"",
		"",
		"PCIe Root Port",
		"PCIe Switch Upstream Port",
		"PCIe Switch Downstream Port",
		"PCIe to PCI/PCI-X bridge",
		"PCI/PCI-X to PCIe bridge",
		"PCIe Root Complex Integrated Endpoint",
		"PCIe Root Complex Event Collector",
	};

	if (pci_is_pcie(pdev))
		return pdev->pcie_type >= 0 && (size_t)pdev->pcie_type < ARRAY_SIZE(pcie) ?
			       pcie[pdev->pcie_type] :
			       "PCIe unknown";
	switch (pdev->hdr_type & 0x7f) {
	case PCI_HEADER_TYPE_NORMAL:
		return "conventional PCI endpoint";
	case PCI_HEADER_TYPE_BRIDGE:
		return "conventional PCI bridge";
	case PCI_HEADER_TYPE_CARDBUS:
		return "CardBus bridge";
	default:
		return "conventional PCI";
	}
}

void pci_log_found(struct pci_dev *pdev)
{
	dev_info(&pdev->dev, "[%04x:%04x] type %02x class %#08x %s\n", pdev->vendor, pdev->device,
		 pdev->hdr_type & 0x7f, pdev->class, pci_type_str(pdev));
}

void pci_core_init(struct pci_core *pci, struct uvfio_world *w, struct iommu *iommu,
		   struct trace_sink *trace, struct loop *loop)
{
	pci->world = w;
	bus_init(&pci->bus, &pci_bus_type, w);
	pci->bus.iommu = iommu;
	mutex_init(&pci->rescan_remove_lock, "pci_rescan_remove_lock");
	mutex_init(&pci->topology_lock, "pci_core.topology_lock");
	INIT_LIST_HEAD(&pci->root_buses);
	INIT_LIST_HEAD(&pci->removed);
	pci->iommu = iommu;
	pci->trace = trace;
	pci->loop = loop;
}

/* After every function and bus is gone (pci_removed_destroy). */
void pci_core_destroy(struct pci_core *pci)
{
	bus_destroy(&pci->bus);
	mutex_destroy(&pci->topology_lock);
	mutex_destroy(&pci->rescan_remove_lock);
}

struct pci_bus *pci_add_bus(struct pci_core *pci, struct pci_bus *parent, struct pci_dev *bridge,
			    unsigned int number)
{
	struct pci_bus *bus = xzalloc(sizeof(*bus));

	bus->pci = pci;
	bus->world = pci->world;
	bus->number = number;
	bus->domain = parent ? parent->domain : 0;
	bus->self = bridge;
	bus->parent = parent;
	INIT_LIST_HEAD(&bus->devices);
	INIT_LIST_HEAD(&bus->children);
	mutex_lock(&pci->topology_lock);
	if (parent)
		list_add_tail(&bus->node, &parent->children);
	else
		list_add_tail(&bus->node, &pci->root_buses);
	if (bridge)
		bridge->subordinate = bus;
	mutex_unlock(&pci->topology_lock);
	return bus;
}

u32 __pci_read_config(struct pci_dev *pdev, unsigned int offset, unsigned int len)
{
	u32 v = 0;

	lockdep_assert_held(&pdev->cfg_lock);
	if (offset >= pdev->cfg_size || len > 4 || offset + len > pdev->cfg_size)
		return len == 4 ? 0xffffffffu : (1u << (len * 8)) - 1;
	for (unsigned int i = 0; i < len; i++) {
		u8 b = pdev->config[offset + i];

		if (offset + i == PCI_STATUS) {
			b &= (u8)~PCI_STATUS_INTERRUPT;
			if (atomic_load(&pdev->intx_level))
				b |= PCI_STATUS_INTERRUPT;
		}
		v |= (u32)b << (8 * i);
	}
	return v;
}

u32 pci_read_config(struct pci_dev *pdev, unsigned int offset, unsigned int len)
{
	u32 v;

	mutex_lock(&pdev->cfg_lock);
	v = __pci_read_config(pdev, offset, len);
	mutex_unlock(&pdev->cfg_lock);
	return v;
}

/* Re-reads the mirrors after a write touched the command register or MSI control. */
static void pci_update_mirrors(struct pci_dev *pdev)
{
	unsigned int nvec = 0;

	atomic_store(&pdev->command_shadow, cfg16(pdev->config, PCI_COMMAND));
	if (pdev->msi_cap) {
		u16 flags = cfg16(pdev->config, (unsigned int)pdev->msi_cap + PCI_MSI_FLAGS);

		if (flags & PCI_MSI_FLAGS_ENABLE)
			nvec = 1u << ((flags & PCI_MSI_FLAGS_QSIZE) >> 4);
	}
	atomic_store(&pdev->msi_nvec, nvec);
	if (pdev->msix_cap)
		atomic_store(&pdev->msix_ctrl,
			     cfg16(pdev->config, (unsigned int)pdev->msix_cap + PCI_MSIX_FLAGS));
}

static void pci_msix_deliver_pending(struct pci_dev *pdev);

void __pci_write_config(struct pci_dev *pdev, unsigned int offset, u32 val, unsigned int len)
{
	lockdep_assert_held(&pdev->cfg_lock);
	if (offset >= pdev->cfg_size || len > 4 || offset + len > pdev->cfg_size)
		return;
	for (unsigned int i = 0; i < len; i++) {
		unsigned int o = offset + i;
		u8 b = (u8)(val >> (8 * i));
		u8 wm = pdev->wmask[o], w1c = pdev->w1cmask[o];

		pdev->config[o] = (u8)((pdev->config[o] & ~wm) | (b & wm));
		pdev->config[o] &= (u8) ~(b & w1c);
	}
	pci_update_mirrors(pdev);
}

void pci_write_config(struct pci_dev *pdev, unsigned int offset, u32 val, unsigned int len)
{
	u16 old_cmd = (u16)atomic_load(&pdev->command_shadow);
	unsigned int old_msix = atomic_load(&pdev->msix_ctrl);

	mutex_lock(&pdev->cfg_lock);
	__pci_write_config(pdev, offset, val, len);
	mutex_unlock(&pdev->cfg_lock);
	if (pdev->model && pdev->model->config_write)
		pdev->model->config_write(pdev, offset, val, len);
	if ((old_cmd ^ atomic_load(&pdev->command_shadow)) & PCI_COMMAND_INTX_DISABLE)
		pci_intx_update(pdev);
	/* Clearing Function Mask (or enabling) releases the pending messages. */
	if (old_msix != atomic_load(&pdev->msix_ctrl))
		pci_msix_deliver_pending(pdev);
}

/* Which MSI-X structure, if any, [offset, offset + size) of bar falls in. */
static u8 *pci_msix_locate(struct pci_dev *pdev, int bar, u64 offset, unsigned int size)
{
	struct pci_msix *msix = pdev->msix;
	u64 table_len, pba_len;

	if (!msix)
		return NULL;
	table_len = (u64)msix->nvec * PCI_MSIX_ENTRY_SIZE;
	pba_len = (u64)DIV_ROUND_UP(msix->nvec, 64) * 8;
	if (bar == msix->table_bar && offset >= msix->table_offset &&
	    offset + size <= msix->table_offset + table_len)
		return msix->table + (offset - msix->table_offset);
	if (bar == msix->pba_bar && offset >= msix->pba_offset &&
	    offset + size <= msix->pba_offset + pba_len)
		return (u8 *)msix->pba + (offset - msix->pba_offset);
	return NULL;
}

static u64 pci_msix_read(struct pci_dev *pdev, const u8 *p, unsigned int size)
{
	u64 v = 0;

	mutex_lock(&pdev->msix->lock);
	for (unsigned int i = 0; i < size; i++)
		v |= (u64)p[i] << (8 * i);
	mutex_unlock(&pdev->msix->lock);
	return v;
}

/* A table write (the PBA is read-only); a vector it unmasks gets its pending message. */
static void pci_msix_write(struct pci_dev *pdev, u8 *p, u64 val, unsigned int size)
{
	struct pci_msix *msix = pdev->msix;

	if (p < msix->table || p >= msix->table + (size_t)msix->nvec * PCI_MSIX_ENTRY_SIZE)
		return;
	mutex_lock(&msix->lock);
	for (unsigned int i = 0; i < size; i++)
		p[i] = (u8)(val >> (8 * i));
	mutex_unlock(&msix->lock);
	pci_msix_deliver_pending(pdev);
}

void pci_enable_device(struct pci_dev *pdev)
{
	u16 cmd, new;

	if (atomic_fetch_add(&pdev->enable_cnt, 1))
		return;
	cmd = pci_command(pdev);
	new = cmd;
	for (int i = 0; i < PCI_NUM_BARS; i++) {
		if (pdev->resource[i].flags & IORESOURCE_IO)
			new |= PCI_COMMAND_IO;
		else if (pdev->resource[i].flags & IORESOURCE_MEM)
			new |= PCI_COMMAND_MEMORY;
	}
	if (new != cmd)
		pci_write_config(pdev, PCI_COMMAND, new, 2);
}

void pci_clear_master(struct pci_dev *pdev)
{
	u16 cmd = pci_command(pdev);

	if (cmd & PCI_COMMAND_MASTER)
		pci_write_config(pdev, PCI_COMMAND, cmd & ~PCI_COMMAND_MASTER, 2);
}

void pci_disable_device(struct pci_dev *pdev)
{
	if (atomic_fetch_sub(&pdev->enable_cnt, 1) == 1)
		pci_clear_master(pdev);
}

/* The config bytes pci_restore_state() brings back: header and known capabilities. */
static bool pci_saved_byte(struct pci_dev *pdev, unsigned int off)
{
	if (off < 0x40)
		return true;
	if (pdev->msi_cap && off >= (unsigned int)pdev->msi_cap &&
	    off < (unsigned int)pdev->msi_cap + 24)
		return true;
	if (pdev->pcie_cap && off >= (unsigned int)pdev->pcie_cap &&
	    off < (unsigned int)pdev->pcie_cap + PCI_CAP_EXP_ENDPOINT_SIZEOF_V2)
		return true;
	return false;
}

u8 *pci_save_state(struct pci_dev *pdev)
{
	u8 *saved = xzalloc(PCI_CFG_SPACE_EXP_SIZE);

	mutex_lock(&pdev->cfg_lock);
	memcpy(saved, pdev->config, pdev->cfg_size);
	mutex_unlock(&pdev->cfg_lock);
	return saved;
}

void pci_restore_state(struct pci_dev *pdev, const u8 *saved)
{
	mutex_lock(&pdev->cfg_lock);
	for (unsigned int off = 0; off < pdev->cfg_size; off++) {
		/* Status is write-1-to-clear and the IDs read-only: not written back. */
		if (off == PCI_STATUS || off == PCI_STATUS + 1)
			continue;
		if (pci_saved_byte(pdev, off))
			pdev->config[off] = saved[off];
	}
	pci_update_mirrors(pdev);
	mutex_unlock(&pdev->cfg_lock);
	pci_intx_update(pdev);
}

int pci_bar_init_ram(struct pci_dev *pdev, int bar)
{
	struct pci_bar_ram *ram;
	u64 size;
	int fd;

	if (bar < 0 || bar >= PCI_STD_NUM_BARS || pdev->bar_ram[bar])
		return -EINVAL;
	size = resource_size(&pdev->resource[bar]);
	if (!size)
		return -EINVAL;
	fd = memfd_create("uvfio-bar", MFD_CLOEXEC);
	if (fd < 0)
		return -errno;
	ram = xzalloc(sizeof(*ram));
	ram->memfd = fd;
	ram->size = size;
	if (ftruncate(fd, (off_t)size) || (ram->mem = mmap(NULL, size, PROT_READ | PROT_WRITE,
							   MAP_SHARED, fd, 0)) == MAP_FAILED) {
		int ret = -errno;

		close(fd);
		free(ram);
		return ret;
	}
	pdev->bar_ram[bar] = ram;
	return 0;
}

static bool ranges_overlap(u64 a, u64 alen, u64 b, u64 blen)
{
	return a < b + blen && b < a + alen;
}

bool pci_bar_range_is_ram(struct pci_dev *pdev, int bar, u64 offset, u64 len)
{
	struct pci_bar_ram *ram = bar >= 0 && bar < PCI_STD_NUM_BARS ? pdev->bar_ram[bar] : NULL;
	struct pci_msix *msix = pdev->msix;

	if (!ram || offset >= ram->size || len > ram->size - offset)
		return false;
	if (msix && bar == msix->table_bar &&
	    ranges_overlap(offset, len, msix->table_offset, (u64)msix->nvec * PCI_MSIX_ENTRY_SIZE))
		return false;
	if (msix && bar == msix->pba_bar &&
	    ranges_overlap(offset, len, msix->pba_offset, (u64)DIV_ROUND_UP(msix->nvec, 64) * 8))
		return false;
	return true;
}

/* Little-endian loads and stores of 1, 2, 4 or 8 bytes, as the bus delivers them. */
static u64 bar_ram_read(struct pci_bar_ram *ram, u64 offset, unsigned int size)
{
	u64 val = 0;

	memcpy(&val, ram->mem + offset, size);
	return val;
}

static void bar_ram_write(struct pci_bar_ram *ram, u64 offset, u64 val, unsigned int size)
{
	memcpy(ram->mem + offset, &val, size);
}

u64 pci_bar_read(struct pci_dev *pdev, int bar, u64 offset, unsigned int size)
{
	u8 *p = pci_msix_locate(pdev, bar, offset, size);

	if (p)
		return pci_msix_read(pdev, p, size);
	if (bar < PCI_STD_NUM_BARS && pdev->bar_ram[bar])
		return bar_ram_read(pdev->bar_ram[bar], offset, size);
	if (!pdev->model || !pdev->model->bar_read)
		return ~0ull >> (64 - 8 * size);
	return pdev->model->bar_read(pdev, bar, offset, size);
}

void pci_bar_write(struct pci_dev *pdev, int bar, u64 offset, u64 val, unsigned int size)
{
	u8 *p = pci_msix_locate(pdev, bar, offset, size);

	if (p) {
		pci_msix_write(pdev, p, val, size);
		return;
	}
	if (bar < PCI_STD_NUM_BARS && pdev->bar_ram[bar]) {
		bar_ram_write(pdev->bar_ram[bar], offset, val, size);
		return;
	}
	if (pdev->model && pdev->model->bar_write)
		pdev->model->bar_write(pdev, bar, offset, val, size);
}

/*
 * Resets as the PCI core performs them: save the config state, reset, restore.
 * The model returns its registers to power-on values; the config space the
 * host programmed comes back as pci_restore_state() would bring it back.
 */
static void pci_do_reset(struct pci_dev *pdev)
{
	u8 *saved = xzalloc(PCI_CFG_SPACE_EXP_SIZE);

	mutex_lock(&pdev->cfg_lock);
	memcpy(saved, pdev->config, pdev->cfg_size);
	mutex_unlock(&pdev->cfg_lock);
	atomic_store(&pdev->intx_level, false);
	if (pdev->model && pdev->model->reset)
		pdev->model->reset(pdev);
	/*
	 * The reset masks and clears the MSI-X table and PBA; pci_restore_state
	 * writes the entries the host had programmed back, so only the pending
	 * bits are lost.
	 */
	if (pdev->msix) {
		mutex_lock(&pdev->msix->lock);
		memset(pdev->msix->pba, 0, DIV_ROUND_UP(pdev->msix->nvec, 64) * 8);
		mutex_unlock(&pdev->msix->lock);
	}
	mutex_lock(&pdev->cfg_lock);
	memcpy(pdev->config, saved, pdev->cfg_size);
	pci_update_mirrors(pdev);
	mutex_unlock(&pdev->cfg_lock);
	free(saved);
}

bool pci_bus_reset_possible(struct pci_dev *pdev)
{
	return pdev->bus->self != NULL;
}

static bool pci_alone_on_bus(struct pci_dev *pdev)
{
	struct pci_dev *other;
	bool alone = true;

	mutex_lock(&pdev->bus->pci->topology_lock);
	list_for_each_entry(other, &pdev->bus->devices, bus_list)
		if (other != pdev)
			alone = false;
	mutex_unlock(&pdev->bus->pci->topology_lock);
	return alone;
}

bool pci_reset_supported(struct pci_dev *pdev)
{
	if (pdev->has_flr)
		return true;
	/* pci_parent_bus_reset: a lone, non-bridge function below a bridge. */
	return pdev->bus->self && !pci_is_bridge(pdev) && !pdev->subordinate &&
	       pci_alone_on_bus(pdev);
}

int pci_reset_function(struct pci_dev *pdev)
{
	if (!pci_reset_supported(pdev))
		return -ENOTTY;
	pci_do_reset(pdev);
	return 0;
}

int pci_reset_bus(struct pci_dev *pdev)
{
	struct pci_bus *bus = pdev->bus;
	struct pci_dev **devs;
	struct pci_dev *d;
	size_t n = 0;

	if (!bus->self)
		return -ENOTTY;
	mutex_lock(&bus->pci->topology_lock);
	devs = xcalloc(list_count(&bus->devices) + 1, sizeof(*devs));
	list_for_each_entry(d, &bus->devices, bus_list)
		devs[n++] = (struct pci_dev *)get_device(&d->dev);
	mutex_unlock(&bus->pci->topology_lock);
	for (size_t i = 0; i < n; i++) {
		pci_do_reset(devs[i]);
		put_device(&devs[i]->dev);
	}
	free(devs);
	return 0;
}

void pci_set_irq_handler(struct pci_dev *pdev, const struct pci_irq_handler *handler)
{
	/* Taking irq_call_lock waits for a handler that is running (synchronize_irq). */
	mutex_lock(&pdev->irq_call_lock);
	if (handler)
		pdev->irq_handler = *handler;
	else
		memset(&pdev->irq_handler, 0, sizeof(pdev->irq_handler));
	mutex_unlock(&pdev->irq_call_lock);
}

void pci_intx_update(struct pci_dev *pdev)
{
	if (!atomic_load(&pdev->intx_level) ||
	    (atomic_load(&pdev->command_shadow) & PCI_COMMAND_INTX_DISABLE))
		return;
	mutex_lock(&pdev->irq_call_lock);
	if (pdev->irq_handler.intx)
		pdev->irq_handler.intx(pdev, pdev->irq_handler.data);
	mutex_unlock(&pdev->irq_call_lock);
}

void pci_set_irq(struct pci_dev *pdev, int level)
{
	bool old = atomic_exchange(&pdev->intx_level, level != 0);

	/* Level-triggered: the driver hears a rising edge while unmasked. */
	if (level && !old)
		pci_intx_update(pdev);
}

bool pci_intx_asserted(struct pci_dev *pdev)
{
	return atomic_load(&pdev->intx_level);
}

/* pci_check_and_mask_intx / pci_check_and_unmask_intx (drivers/pci/pci.c). */
static bool pci_check_and_set_intx_mask(struct pci_dev *pdev, bool mask)
{
	bool asserted, done = false;
	u16 cmd;

	mutex_lock(&pdev->cfg_lock);
	asserted = atomic_load(&pdev->intx_level);
	cmd = cfg16(pdev->config, PCI_COMMAND);
	if (mask != !!(cmd & PCI_COMMAND_INTX_DISABLE)) {
		/* Mask only an asserted line; unmask only an idle one. */
		if (mask ? asserted : !asserted) {
			cmd ^= PCI_COMMAND_INTX_DISABLE;
			__pci_write_config(pdev, PCI_COMMAND, cmd, 2);
			done = true;
		}
	}
	mutex_unlock(&pdev->cfg_lock);
	return done;
}

bool pci_check_and_mask_intx(struct pci_dev *pdev)
{
	return pci_check_and_set_intx_mask(pdev, true);
}

bool pci_check_and_unmask_intx(struct pci_dev *pdev)
{
	return pci_check_and_set_intx_mask(pdev, false);
}

void pci_msi_hw_enable(struct pci_dev *pdev, unsigned int nvec)
{
	unsigned int pos = (unsigned int)pdev->msi_cap;
	u16 flags;

	if (!pos)
		return;
	mutex_lock(&pdev->cfg_lock);
	flags = cfg16(pdev->config, pos + PCI_MSI_FLAGS);
	flags &= (u16) ~(PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE);
	if (nvec) {
		unsigned int log2 = 0;

		while ((1u << log2) < nvec)
			log2++;
		flags |= (u16)(PCI_MSI_FLAGS_ENABLE | (log2 << 4));
	}
	/* The host's MSI layer owns these bits: write them past the write masks. */
	pdev->config[pos + PCI_MSI_FLAGS] = (u8)flags;
	pdev->config[pos + PCI_MSI_FLAGS + 1] = (u8)(flags >> 8);
	pci_update_mirrors(pdev);
	mutex_unlock(&pdev->cfg_lock);
}

void pci_msi_notify(struct pci_dev *pdev, unsigned int vector)
{
	/* An MSI is a memory write by the function: nothing leaves it without bus mastering. */
	if (vector >= atomic_load(&pdev->msi_nvec) ||
	    !(atomic_load(&pdev->command_shadow) & PCI_COMMAND_MASTER))
		return;
	mutex_lock(&pdev->irq_call_lock);
	if (pdev->irq_handler.msi)
		pdev->irq_handler.msi(pdev, vector, pdev->irq_handler.data);
	mutex_unlock(&pdev->irq_call_lock);
}

void pci_msix_init(struct pci_dev *pdev, unsigned int nvec, int table_bar, u32 table_offset,
		   int pba_bar, u32 pba_offset)
{
	struct pci_msix *msix = xzalloc(sizeof(*msix));
	unsigned int pos = (unsigned int)pci_find_capability(pdev, PCI_CAP_ID_MSIX);

	msix->nvec = nvec;
	msix->table_bar = table_bar;
	msix->table_offset = table_offset;
	msix->pba_bar = pba_bar;
	msix->pba_offset = pba_offset;
	mutex_init(&msix->lock, "pci_msix->lock");
	msix->table = xzalloc((size_t)nvec * PCI_MSIX_ENTRY_SIZE);
	msix->pba = xcalloc(DIV_ROUND_UP(nvec, 64), sizeof(u64));
	/* Power-on state: every vector masked, address and data 0 (QEMU's msix_reset). */
	for (unsigned int v = 0; v < nvec; v++)
		msix->table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] =
			PCI_MSIX_ENTRY_CTRL_MASKBIT;
	pdev->msix = msix;
	if (pos) {
		pdev->msix_cap = (int)pos;
		/* Only Enable and Function Mask are writable; the rest is read-only. */
		memset(pdev->wmask + pos, 0, PCI_CAP_MSIX_SIZEOF);
		pdev->wmask[pos + PCI_MSIX_FLAGS + 1] =
			(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL) >> 8;
		atomic_store(&pdev->msix_ctrl, cfg16(pdev->config, pos + PCI_MSIX_FLAGS));
	}
}

bool pci_msix_enabled(struct pci_dev *pdev)
{
	return pdev->msix && (atomic_load(&pdev->msix_ctrl) & PCI_MSIX_FLAGS_ENABLE);
}

/* msix->lock held: whether a message for vector would be held back. */
static bool pci_msix_masked(struct pci_dev *pdev, unsigned int vector)
{
	unsigned int ctrl = atomic_load(&pdev->msix_ctrl);

	lockdep_assert_held(&pdev->msix->lock);
	return (ctrl & PCI_MSIX_FLAGS_MASKALL) ||
	       (pdev->msix->table[vector * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] &
		PCI_MSIX_ENTRY_CTRL_MASKBIT);
}

static void pci_msix_deliver(struct pci_dev *pdev, unsigned int vector)
{
	mutex_lock(&pdev->irq_call_lock);
	if (pdev->irq_handler.msi)
		pdev->irq_handler.msi(pdev, vector, pdev->irq_handler.data);
	mutex_unlock(&pdev->irq_call_lock);
}

void pci_msix_notify(struct pci_dev *pdev, unsigned int vector)
{
	struct pci_msix *msix = pdev->msix;
	bool masked;

	if (!msix || vector >= msix->nvec || !pci_msix_enabled(pdev))
		return;
	/* A message is a memory write: without bus mastering it never leaves. */
	if (!(atomic_load(&pdev->command_shadow) & PCI_COMMAND_MASTER))
		return;
	mutex_lock(&msix->lock);
	masked = pci_msix_masked(pdev, vector);
	if (masked)
		msix->pba[vector / 64] |= 1ull << (vector % 64);
	mutex_unlock(&msix->lock);
	if (!masked)
		pci_msix_deliver(pdev, vector);
}

/* Sends the pending messages of the vectors that are no longer masked. */
static void pci_msix_deliver_pending(struct pci_dev *pdev)
{
	struct pci_msix *msix = pdev->msix;
	u64 *send;
	size_t words;

	if (!msix || !pci_msix_enabled(pdev))
		return;
	words = DIV_ROUND_UP(msix->nvec, 64);
	send = xcalloc(words, sizeof(u64));
	mutex_lock(&msix->lock);
	for (unsigned int v = 0; v < msix->nvec; v++) {
		u64 bit = 1ull << (v % 64);

		if ((msix->pba[v / 64] & bit) && !pci_msix_masked(pdev, v)) {
			msix->pba[v / 64] &= ~bit;
			send[v / 64] |= bit;
		}
	}
	mutex_unlock(&msix->lock);
	for (unsigned int v = 0; v < msix->nvec; v++)
		if (send[v / 64] & (1ull << (v % 64)))
			pci_msix_deliver(pdev, v);
	free(send);
}

static void pci_msix_mask_all(struct pci_dev *pdev)
{
	struct pci_msix *msix = pdev->msix;

	mutex_lock(&msix->lock);
	for (unsigned int v = 0; v < msix->nvec; v++)
		msix->table[v * PCI_MSIX_ENTRY_SIZE + PCI_MSIX_ENTRY_VECTOR_CTRL] |=
			PCI_MSIX_ENTRY_CTRL_MASKBIT;
	mutex_unlock(&msix->lock);
}

void pci_msix_hw_enable(struct pci_dev *pdev, bool enable)
{
	unsigned int pos = (unsigned int)pdev->msix_cap;
	u16 flags;

	if (!pdev->msix || !pos)
		return;
	pci_msix_mask_all(pdev);
	mutex_lock(&pdev->cfg_lock);
	flags = cfg16(pdev->config, pos + PCI_MSIX_FLAGS);
	flags &= (u16) ~(PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	if (enable)
		flags |= PCI_MSIX_FLAGS_ENABLE;
	/* The host's MSI layer owns these bits, as for MSI. */
	cfg_set16_raw(pdev->config + pos + PCI_MSIX_FLAGS, flags);
	pci_update_mirrors(pdev);
	mutex_unlock(&pdev->cfg_lock);
}

void pci_msix_hw_set_vector(struct pci_dev *pdev, unsigned int vector, bool unmask)
{
	struct pci_msix *msix = pdev->msix;
	u8 *e;

	if (!msix || vector >= msix->nvec)
		return;
	mutex_lock(&msix->lock);
	e = msix->table + vector * PCI_MSIX_ENTRY_SIZE;
	if (unmask) {
		/*
		 * The message an x86 host would program (fixed delivery to the
		 * local APIC window); its value is never interpreted here.
		 */
		u32 addr = 0xfee00258u + (vector << 5);

		for (int i = 0; i < 4; i++) {
			e[PCI_MSIX_ENTRY_LOWER_ADDR + i] = (u8)(addr >> (8 * i));
			e[PCI_MSIX_ENTRY_UPPER_ADDR + i] = 0;
			e[PCI_MSIX_ENTRY_DATA + i] = 0;
		}
		e[PCI_MSIX_ENTRY_VECTOR_CTRL] &= (u8)~PCI_MSIX_ENTRY_CTRL_MASKBIT;
	} else {
		e[PCI_MSIX_ENTRY_VECTOR_CTRL] |= PCI_MSIX_ENTRY_CTRL_MASKBIT;
	}
	mutex_unlock(&msix->lock);
	if (unmask)
		pci_msix_deliver_pending(pdev);
}

int pci_dma_rw(struct pci_dev *pdev, u64 iova, void *buf, size_t len, bool write)
{
	if (!(atomic_load(&pdev->command_shadow) & PCI_COMMAND_MASTER))
		return -EIO;
	return iommu_dma_rw(&pdev->dev, iova, buf, len, write);
}

void pci_for_each_dev(struct pci_core *pci, void (*fn)(struct pci_dev *pdev, void *arg), void *arg)
{
	struct pci_dev **devs;
	struct device *dev;
	size_t n = 0;

	/* Bus order = the order functions were added to the PCI bus. */
	mutex_lock(&pci->bus.lock);
	devs = xcalloc(list_count(&pci->bus.devices) + 1, sizeof(*devs));
	list_for_each_entry(dev, &pci->bus.devices, bus_node)
		devs[n++] = to_pci_dev(get_device(dev));
	mutex_unlock(&pci->bus.lock);
	for (size_t i = 0; i < n; i++) {
		fn(devs[i], arg);
		put_device(&devs[i]->dev);
	}
	free(devs);
}

struct pci_dev *pci_get_domain_bus_and_slot(struct pci_core *pci, int domain, unsigned int bus,
					    unsigned int devfn)
{
	struct pci_dev *found = NULL;
	struct device *dev;

	mutex_lock(&pci->bus.lock);
	list_for_each_entry(dev, &pci->bus.devices, bus_node) {
		struct pci_dev *pdev = to_pci_dev(dev);

		if (pdev->bus->domain == domain && pdev->bus->number == bus &&
		    pdev->devfn == devfn) {
			found = to_pci_dev(get_device(dev));
			break;
		}
	}
	mutex_unlock(&pci->bus.lock);
	return found;
}

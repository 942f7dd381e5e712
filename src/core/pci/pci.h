/* SPDX-License-Identifier: MIT */
/*
 * The PCI layer: buses and functions, the "hardware" config space of each
 * function (what a device model presents; vfio-pci virtualizes on top of it),
 * BARs, INTx and MSI signalling, bus-master DMA through the IOMMU, the PCI bus
 * type (match by id table, dynamic ids, driver_override) and pci_driver.
 *
 * Lock order: device_lock → model locks → pci_dev->cfg_lock (config space);
 *             model locks → pci_dev->irq_call_lock → driver interrupt locks.
 */
#ifndef UVFIO_CORE_PCI_PCI_H
#define UVFIO_CORE_PCI_PCI_H

#include <linux/pci_regs.h>

#include <stdatomic.h>

#include "base/device.h"
#include "shared/list.h"
#include "shared/macro.h"
#include "shared/mutex.h"

struct pci_dev;
struct pci_driver;
struct iommu;
struct loop;
struct trace_sink;
struct uvfio_world;
struct uvfio_writer;

#define PCI_ANY_ID (~0u)
#define PCI_NUM_BARS 6
#define PCI_ROM_RESOURCE 6
#define PCI_NUM_RESOURCES 7
#define PCI_CFG_SPACE_SIZE 256
#define PCI_CFG_SPACE_EXP_SIZE 4096

#define PCI_DEVFN(slot, func) ((((slot)&0x1f) << 3) | ((func)&0x07))
#define PCI_SLOT(devfn) (((devfn) >> 3) & 0x1f)
#define PCI_FUNC(devfn) ((devfn)&0x07)

/* Resource flags (the subset of IORESOURCE_* that sysfs `resource` shows). */
#define IORESOURCE_IO 0x00000100
#define IORESOURCE_MEM 0x00000200
#define IORESOURCE_PREFETCH 0x00002000
#define IORESOURCE_READONLY 0x00004000
#define IORESOURCE_SIZEALIGN 0x00040000
#define IORESOURCE_MEM_64 0x00100000
#define IORESOURCE_ROM_ENABLE 0x00000001

struct resource {
	u64 start, end; /* end inclusive; start == end == 0 when unused */
	unsigned long flags;
};

static inline u64 resource_size(const struct resource *r)
{
	return r->flags ? r->end - r->start + 1 : 0;
}

struct pci_device_id {
	u32 vendor, device, subvendor, subdevice;
	u32 class, class_mask;
	unsigned long driver_data;
	bool override_only; /* matches only through driver_override */
};

/*
 * The PCI core of one world: what the kernel keeps in globals (pci_bus_type's
 * bus, drivers/pci/probe.c's pci_root_buses and pci_rescan_remove_lock,
 * search.c's pci_bus_sem).
 *
 * Lock order: rescan_remove_lock → device_lock (docs/design.md, "Lock order");
 * topology_lock guards lists and is taken last.
 */
struct pci_core {
	struct uvfio_world *world; /* opaque: handed to its buses */
	struct bus bus; /* /sys/bus/pci: every function */
	/*
	 * pci_rescan_remove_lock: one rescan or removal at a time, held across a
	 * removal that waits for a VFIO user. Outer to device->lock.
	 */
	struct mutex rescan_remove_lock;
	struct mutex topology_lock; /* root_buses, the bus tree and removed */
	struct list_head root_buses; /* of pci_bus.node */
	struct list_head removed; /* of pci_removed: functions off their bus (pci/hotplug.c) */
	struct iommu *iommu; /* where an added function gets its group */
	struct trace_sink *trace; /* the world's: plug and unplug events */
	struct loop *loop; /* the world's work loop: device models' timers and DMA engines */
};

void pci_core_init(struct pci_core *pci, struct uvfio_world *w, struct iommu *iommu,
		   struct trace_sink *trace, struct loop *loop);
void pci_core_destroy(struct pci_core *pci);

/*
 * pci/hotplug.c: sysfs remove (pci_stop_and_remove_bus_device_locked; -ENODEV if
 * a removal of pdev is already under way), rescans (of every bus; of pdev's
 * bus), and the functions removed from their buses at world destruction.
 */
int pci_remove_function(struct pci_core *pci, struct pci_dev *pdev, bool unplugged);
void pci_rescan_all(struct pci_core *pci);
void pci_rescan_dev_bus(struct pci_core *pci, struct pci_dev *pdev);
void pci_removed_destroy(struct pci_core *pci);

/* uvfio_pci_unplug and uvfio_pci_plug (include/uvfio/uvfio.h) on this PCI core. */
int pci_unplug(struct pci_core *pci, const char *bdf, const struct uvfio_writer *who);
int pci_plug(struct pci_core *pci, const char *bdf);

struct pci_bus {
	struct pci_core *pci;
	struct uvfio_world *world; /* opaque: its device models' world (their work loop) */
	int domain;
	unsigned int number;
	struct pci_dev *self; /* the bridge above it; NULL for a root bus */
	struct pci_bus *parent;
	struct list_head devices; /* of pci_dev.bus_list, in devfn order */
	struct list_head children; /* of pci_bus.node */
	struct list_head node;
};

/*
 * What a device model implements. Config-space registers are plain bytes in
 * pci_dev with write masks (generic); config_write is told after a write lands,
 * for side effects. BAR accesses are 1, 2, 4 or 8 bytes, naturally aligned,
 * within the BAR.
 */
struct pci_dev_model_ops {
	const char *name;
	u64 (*bar_read)(struct pci_dev *pdev, int bar, u64 offset, unsigned int size);
	void (*bar_write)(struct pci_dev *pdev, int bar, u64 offset, u64 val, unsigned int size);
	/* Called after a config write of len bytes at offset landed (cfg_lock not held). */
	void (*config_write)(struct pci_dev *pdev, unsigned int offset, u32 val, unsigned int len);
	/* Function-level reset: registers back to their power-on values. */
	void (*reset)(struct pci_dev *pdev);
	/* Frees model state (the last put of the device). */
	void (*release)(struct pci_dev *pdev);
	/* Optional: text for `uvfio tree` / debugging. */
	void (*describe)(struct pci_dev *pdev, char *buf, size_t size);
};

/* Interrupt handlers a bound driver installs (request_irq of INTx / MSI vectors). */
struct pci_irq_handler {
	/* INTx asserted while unmasked; runs with no PCI lock held. */
	void (*intx)(struct pci_dev *pdev, void *data);
	/* An MSI or MSI-X message for vector; runs with no PCI lock held. */
	void (*msi)(struct pci_dev *pdev, unsigned int vector, void *data);
	void *data;
};

/*
 * MSI-X as the function implements it in hardware: the model declares where
 * the table and PBA sit (pci_msix_init); the PCI layer owns their contents and
 * answers BAR accesses to those ranges itself, never the model.
 * Lock order: model locks → msix->lock (a leaf; never held while a handler runs).
 */
struct pci_msix {
	unsigned int nvec;
	int table_bar, pba_bar;
	u32 table_offset, pba_offset;
	struct mutex lock;
	u8 *table; /* nvec entries of PCI_MSIX_ENTRY_SIZE bytes; protected by lock */
	u64 *pba; /* pending bits, one per vector; protected by lock */
};

/*
 * A BAR that is plain memory (no side effects), such as ivshmem's shared
 * memory: its bytes live in a memfd so that a user mmap of the BAR can share
 * the very pages the device sees (vfio-pci hands the memfd to the front end)
 * instead of trapping every access. The PCI layer answers BAR accesses to it
 * itself; there is no lock, as with real memory: concurrent accesses race as
 * they would on the bus.
 */
struct pci_bar_ram {
	int memfd;
	u8 *mem; /* the memfd mapped shared, size bytes */
	u64 size;
};

struct pci_dev {
	struct device dev;
	struct pci_bus *bus;
	unsigned int devfn;
	u16 vendor, device, subsystem_vendor, subsystem_device;
	u32 class; /* 24 bits: base, sub, prog-if */
	u8 revision, hdr_type, pin;
	int irq; /* the legacy IRQ number the host assigned (sysfs `irq`) */
	bool multifunction;
	struct pci_bus *subordinate; /* bridges */
	int pcie_cap; /* offset of the PCIe capability, 0 if conventional */
	int pcie_type; /* PCI_EXP_TYPE_* when pcie_cap */
	int msi_cap, msix_cap, pm_cap, acs_cap;
	bool has_flr; /* function-level reset available (PCIe FLR, AF FLR or PM reset) */
	unsigned int cfg_size; /* 256 or 4096 */

	struct mutex cfg_lock;
	/* "Hardware" config space: value, writable bits, write-1-to-clear bits. */
	u8 config[PCI_CFG_SPACE_EXP_SIZE]; /* protected by cfg_lock */
	u8 wmask[PCI_CFG_SPACE_EXP_SIZE];
	u8 w1cmask[PCI_CFG_SPACE_EXP_SIZE];
	struct resource resource[PCI_NUM_RESOURCES]; /* host-assigned addresses and sizes */
	u8 *rom; /* expansion ROM image (resource[6] size); NULL if none */
	size_t rom_len;

	const struct pci_dev_model_ops *model;
	void *model_data;
	atomic_int enable_cnt; /* pci_enable_device users; sysfs `enable` */

	/*
	 * Interrupt state. The model's side (level, MSI messages) never takes
	 * cfg_lock: the command register's DisINTx/bus-master bits and the MSI
	 * enable state are mirrored in atomics on every config write.
	 * irq_call_lock is held while a handler runs (free_irq waits on it);
	 * lock order: model locks → irq_call_lock → the driver's irq locks.
	 */
	atomic_bool intx_level; /* the model asserts INTx (status bit 3) */
	atomic_uint command_shadow; /* PCI_COMMAND as last written */
	atomic_uint msi_nvec; /* MSI vectors enabled in hardware, 0 when disabled */
	struct mutex irq_call_lock;
	struct pci_irq_handler irq_handler; /* protected by irq_call_lock */
	struct pci_msix *msix; /* NULL without MSI-X; set by pci_msix_init */
	struct pci_bar_ram *bar_ram[PCI_STD_NUM_BARS]; /* memory-like BARs; pci_bar_init_ram */
	atomic_uint msix_ctrl; /* the MSI-X Message Control word as last written */

	struct list_head bus_list; /* in pci_bus.devices */
	struct list_head dynids_node;
};

static inline struct pci_dev *to_pci_dev(struct device *dev)
{
	return container_of(dev, struct pci_dev, dev);
}

static inline bool pci_is_bridge(const struct pci_dev *pdev)
{
	return (pdev->hdr_type & 0x7f) == PCI_HEADER_TYPE_BRIDGE;
}

static inline bool pci_is_root_bus(const struct pci_bus *bus)
{
	return bus->parent == NULL;
}

static inline bool pci_is_pcie(const struct pci_dev *pdev)
{
	return pdev->pcie_cap != 0;
}

struct pci_dynid {
	struct list_head node;
	struct pci_device_id id;
};

struct pci_driver {
	struct device_driver driver;
	const char *name;
	const struct pci_device_id *id_table; /* terminated by vendor == 0 */
	struct mutex dynids_lock;
	struct list_head dynids; /* of pci_dynid; protected by dynids_lock */
	int (*probe)(struct pci_dev *pdev, const struct pci_device_id *id);
	void (*remove)(struct pci_dev *pdev);
};

static inline struct pci_driver *to_pci_driver(struct device_driver *drv)
{
	return container_of(drv, struct pci_driver, driver);
}

extern const struct bus_type pci_bus_type;

static inline bool dev_is_pci(const struct device *dev)
{
	return dev->bus && dev->bus->type == &pci_bus_type;
}

/* Model-facing construction. */
struct pci_dev *pci_alloc_dev(struct pci_bus *bus, unsigned int devfn,
			      const struct pci_dev_model_ops *model, void *model_data);
/* Fills vendor/device/class/... fields and resource[] from the config bytes and BAR sizes. */
/* What pci_setup_device() logs of a function it finds (its ids, type and class). */
void pci_log_found(struct pci_dev *pdev);
void pci_setup_device(struct pci_dev *pdev);
/* Declares BAR bar (0..5, or PCI_ROM_RESOURCE) with size and type flags; sets the wmask bits. */
void pci_register_bar(struct pci_dev *pdev, int bar, u64 size, unsigned long flags);
/* Capability chain helpers (for models): add a standard capability of len bytes at offset. */
u8 *pci_add_capability(struct pci_dev *pdev, u8 cap_id, unsigned int offset, unsigned int len);
void pci_add_ext_capability(struct pci_dev *pdev, u16 cap_id, u8 version, unsigned int offset,
			    unsigned int len);
int pci_find_capability(struct pci_dev *pdev, int cap);
int pci_find_ext_capability(struct pci_dev *pdev, int cap);
struct pci_bus *pci_add_bus(struct pci_core *pci, struct pci_bus *parent, struct pci_dev *bridge,
			    unsigned int number);

/* Config accesses as the host's PCI core performs them (hardware semantics). */
u32 pci_read_config(struct pci_dev *pdev, unsigned int offset, unsigned int len);
void pci_write_config(struct pci_dev *pdev, unsigned int offset, u32 val, unsigned int len);
/* Same, with cfg_lock already held. */
u32 __pci_read_config(struct pci_dev *pdev, unsigned int offset, unsigned int len);
void __pci_write_config(struct pci_dev *pdev, unsigned int offset, u32 val, unsigned int len);
static inline u16 pci_command(struct pci_dev *pdev)
{
	return (u16)pci_read_config(pdev, PCI_COMMAND, 2);
}

/*
 * Backs BAR bar (declared with pci_register_bar) with memory: a memfd of the BAR's
 * size, zero-filled. 0 or a negative errno (-ENOMEM, -EMFILE).
 */
int pci_bar_init_ram(struct pci_dev *pdev, int bar);
/* Whether [offset, offset + len) of BAR bar is plain memory: RAM-backed, no MSI-X structure. */
bool pci_bar_range_is_ram(struct pci_dev *pdev, int bar, u64 offset, u64 len);

/* BAR access as a host driver does it (no decode check: callers check the gates). */
u64 pci_bar_read(struct pci_dev *pdev, int bar, u64 offset, unsigned int size);
void pci_bar_write(struct pci_dev *pdev, int bar, u64 offset, u64 val, unsigned int size);

/* Host-side enable (memory/I/O decode for the BARs present) and disable (bus master off). */
void pci_enable_device(struct pci_dev *pdev);
void pci_disable_device(struct pci_dev *pdev);
void pci_clear_master(struct pci_dev *pdev);
/*
 * pci_save_state/pci_restore_state: the standard header and the MSI and PCIe
 * capability registers; bytes outside them (device-specific) are not restored.
 */
u8 *pci_save_state(struct pci_dev *pdev);
void pci_restore_state(struct pci_dev *pdev, const u8 *saved);

/* Resets. 0 or -ENOTTY when the method does not exist. */
int pci_reset_function(struct pci_dev *pdev);
/* Secondary bus reset below bridge: every function on the bus goes back to power-on. */
int pci_reset_bus(struct pci_dev *bridge_or_dev);
/* Whether a slot/bus reset of pdev's bus is possible (not on a root bus). */
bool pci_bus_reset_possible(struct pci_dev *pdev);
/* Whether pci_reset_function has a method: FLR, AF FLR, PM reset, or a bus reset of a lone function. */
bool pci_reset_supported(struct pci_dev *pdev);

/* Model-facing interrupts. */
void pci_set_irq(struct pci_dev *pdev, int level);
void pci_msi_notify(struct pci_dev *pdev, unsigned int vector);
/* Re-evaluates INTx delivery after DisINTx changed (called by the config code). */
void pci_intx_update(struct pci_dev *pdev);
/* Host side: install or remove (handler == NULL) the bound driver's handlers. */
void pci_set_irq_handler(struct pci_dev *pdev, const struct pci_irq_handler *handler);
/* pci_check_and_mask_intx / unmask, as the kernel: true if the action was taken. */
bool pci_check_and_mask_intx(struct pci_dev *pdev);
bool pci_check_and_unmask_intx(struct pci_dev *pdev);
bool pci_intx_asserted(struct pci_dev *pdev);
/* Enables MSI with nvec vectors in hardware (the host MSI layer); 0 nvec disables. */
void pci_msi_hw_enable(struct pci_dev *pdev, unsigned int nvec);

/*
 * MSI-X. A model with an MSI-X capability in its config image calls
 * pci_msix_init (after the capability is in place) with the vector count and
 * the table/PBA locations; the table resets to all vectors masked, the
 * Enable and Function Mask bits become writable.
 */
void pci_msix_init(struct pci_dev *pdev, unsigned int nvec, int table_bar, u32 table_offset,
		   int pba_bar, u32 pba_offset);
/*
 * Model: signal vector. Dropped while MSI-X is disabled or bus mastering is
 * off; pending (PBA) while the function or the vector is masked, delivered
 * to the bound driver's msi handler when it is unmasked.
 */
void pci_msix_notify(struct pci_dev *pdev, unsigned int vector);
bool pci_msix_enabled(struct pci_dev *pdev);
/*
 * Host MSI layer: enable (every entry masked, Function Mask clear) or disable
 * (every entry masked, Enable clear) MSI-X in hardware, past the write masks.
 */
void pci_msix_hw_enable(struct pci_dev *pdev, bool enable);
/*
 * Host MSI layer: unmask a vector (request_irq: the message address and data
 * are programmed first, a pending message is delivered) or mask it (free_irq).
 */
void pci_msix_hw_set_vector(struct pci_dev *pdev, unsigned int vector, bool unmask);

/* Bus-master DMA of the model, translated by the function's IOMMU group domain.
 * 0, -EIO if bus mastering is off, -EFAULT on an IOMMU fault. */
int pci_dma_rw(struct pci_dev *pdev, u64 iova, void *buf, size_t len, bool write);

/* Driver registration and the PCI sysfs writes. */
int pci_register_driver(struct pci_core *pci, struct pci_driver *drv);

void pci_unregister_driver(struct pci_driver *drv);
const struct pci_device_id *pci_match_id(const struct pci_device_id *ids, struct pci_dev *pdev);
/*
 * Whether drv binds only what driver_override names (an empty id table, or
 * override_only entries: pci-stub, vfio-pci), so that naming it for any
 * function makes sense.
 */
bool pci_driver_binds_by_override(const struct pci_driver *drv);
ssize_t new_id_store(struct pci_driver *drv, const char *buf, size_t count);
ssize_t remove_id_store(struct pci_driver *drv, const char *buf, size_t count);

/* Iteration helper: visits every function of the world in bus order. */
void pci_for_each_dev(struct pci_core *pci, void (*fn)(struct pci_dev *pdev, void *arg), void *arg);
struct pci_dev *pci_get_domain_bus_and_slot(struct pci_core *pci, int domain, unsigned int bus,
					    unsigned int devfn);

/*
 * The host drivers a world registers (pci/host_drivers.c): e1000, pci-stub,
 * pcieport. host_driver_free() frees any driver made by a *_driver_new(),
 * vfio-pci's (vfio/vfio.h) too, once unregistered.
 */
struct pci_driver *e1000_host_driver_new(void);
struct pci_driver *pci_stub_driver_new(void);
struct pci_driver *pcieport_driver_new(void);
void host_driver_free(struct pci_driver *drv);

#endif /* UVFIO_CORE_PCI_PCI_H */

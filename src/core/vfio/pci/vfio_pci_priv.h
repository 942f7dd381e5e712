/* SPDX-License-Identifier: MIT */
/*
 * vfio-pci's private header: the per-device state of the vfio-pci bus driver
 * and the seams between its files (core, config, intrs, rdwr).
 *
 * Lock order: group_lock → dev_set->lock → igate → memory_lock → irqlock.
 * memory_lock (rwsem) is read around every BAR access and written around
 * changes of memory decode, power state and resets.
 */
#ifndef UVFIO_CORE_VFIO_PCI_PRIV_H
#define UVFIO_CORE_VFIO_PCI_PRIV_H

#include "pci/pci.h"
#include "shared/eventfd.h"
#include "shared/loop.h"
#include "vfio/vfio.h"

#define VFIO_PCI_OFFSET_SHIFT 40
#define VFIO_PCI_OFFSET_TO_INDEX(off) ((off) >> VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_INDEX_TO_OFFSET(index) ((u64)(index) << VFIO_PCI_OFFSET_SHIFT)
#define VFIO_PCI_OFFSET_MASK (((u64)1 << VFIO_PCI_OFFSET_SHIFT) - 1)

enum vfio_pci_irq_type {
	VFIO_PCI_IRQ_NONE = -1,
	VFIO_PCI_IRQ_INTX = VFIO_PCI_INTX_IRQ_INDEX,
	VFIO_PCI_IRQ_MSI = VFIO_PCI_MSI_IRQ_INDEX,
	VFIO_PCI_IRQ_MSIX = VFIO_PCI_MSIX_IRQ_INDEX,
};

struct vfio_pci_core_device;

/* An unmask (or ioevent) eventfd the loop watches: the kernel's virqfd. */
struct virqfd {
	struct vfio_pci_core_device *vdev;
	struct eventfd_ctx *eventfd;
	struct loop_watch watch;
	void (*handler)(struct vfio_pci_core_device *vdev);
};

/* One interrupt vector's trigger. */
struct vfio_pci_irq_ctx {
	struct eventfd_ctx *trigger; /* protected by igate (+ irqlock for the signal path) */
	struct virqfd *unmask; /* INTx only */
	bool masked; /* INTx only; protected by irqlock */
	bool allocated; /* MSI/MSI-X: the host vector exists (pci_irq_vector() > 0); igate */
	char name[96];
};

struct perm_bits;

struct vfio_pci_core_device {
	struct vfio_device vdev; /* must be first */
	struct pci_dev *pdev;

	/* Config-space virtualization (vfio_pci_config.c); valid while open. */
	u8 *vconfig;
	u8 *pci_config_map;
	struct perm_bits *msi_perm;
	bool bardirty;
	bool extended_caps;
	u8 msi_qmax; /* log2 of the MSI vectors allocated through SET_IRQS */
	u32 rbar[7]; /* BARs and ROM as the host assigned them, captured at open */

	/* Device-wide state (vfio_pci_core.c). */
	u8 *pci_saved_state; /* config saved at first open, restored at last close */
	bool reset_works;
	bool needs_reset;
	bool pci_2_3; /* DisINTx masking supported */
	bool nointx;
	bool bar_mmap_supported[PCI_NUM_BARS];
	int msix_bar;
	u32 msix_offset, msix_size;
	bool has_dyn_msix; /* MSI-X vectors can be added while enabled (pci_msix_can_alloc_dyn) */
	unsigned int power_state; /* 0 = D0 .. 3 = D3hot */

	/* Interrupts (vfio_pci_intrs.c). */
	struct mutex igate; /* irq_type, ctx, err/req triggers */
	struct mutex irqlock; /* leaf: INTx masked state, trigger signalling */
	int irq_type; /* enum vfio_pci_irq_type; protected by igate */
	unsigned int num_ctx;
	struct vfio_pci_irq_ctx *ctx; /* num_ctx entries */
	bool virq_disabled; /* the user's virtual DisINTx; protected by irqlock */
	struct task *irq_caller; /* the caller of the SET_IRQS in progress; protected by igate */
	struct eventfd_ctx *err_trigger;
	struct eventfd_ctx *req_trigger;

	struct rw_semaphore memory_lock;

	/* Low power (vfio_pci_pm.c); protected by memory_lock (write). */
	bool pm_runtime_engaged;
	struct eventfd_ctx *pm_wake_eventfd_ctx;
};

static inline struct vfio_pci_core_device *to_vfio_pci(struct vfio_device *vdev)
{
	return container_of(vdev, struct vfio_pci_core_device, vdev);
}

/* vfio_pci_config.c */
int vfio_config_init(struct vfio_pci_core_device *vdev);
void vfio_config_free(struct vfio_pci_core_device *vdev);
ssize_t vfio_pci_config_rw(struct vfio_pci_core_device *vdev, char *buf, size_t count, s64 *ppos,
			   bool iswrite);
/* Virtual Memory Space Enable (and D0): BAR accesses are allowed. */
bool __vfio_pci_memory_enabled(struct vfio_pci_core_device *vdev);
/* Number of MSI vectors the MSI capability advertises (1 << MMC), 0 without MSI. */
int vfio_pci_msi_count(struct vfio_pci_core_device *vdev);
/* Reported MSI-X table size, 0 without MSI-X. */
int vfio_pci_msix_count(struct vfio_pci_core_device *vdev);

/* vfio_pci_intrs.c */
int vfio_pci_set_irqs_ioctl(struct vfio_pci_core_device *vdev, u32 flags, unsigned int index,
			    unsigned int start, unsigned int count, void *data);
void vfio_pci_intx_mask(struct vfio_pci_core_device *vdev);
void vfio_pci_intx_unmask(struct vfio_pci_core_device *vdev);
/* Disables whichever of INTx/MSI/MSI-X is active and clears ERR/REQ (last close). */
void vfio_pci_irqs_teardown(struct vfio_pci_core_device *vdev);

/* vfio_pci_rdwr.c */
ssize_t vfio_pci_bar_rw(struct vfio_pci_core_device *vdev, char *buf, size_t count, s64 *ppos,
			bool iswrite);
ssize_t vfio_pci_rom_read(struct vfio_pci_core_device *vdev, char *buf, size_t count, s64 *ppos);

/*
 * vfio_pci_core.c: resets used by config writes (FLR bit, PM reset).
 * The config code calls both with memory_lock held for write (as the kernel's
 * config writes hold it around pci_try_reset_function() and
 * vfio_pci_set_power_state()); they must not take memory_lock themselves.
 */
int vfio_pci_try_reset_function(struct vfio_pci_core_device *vdev);
int vfio_pci_set_power_state(struct vfio_pci_core_device *vdev, unsigned int state);

/* vfio_pci_pm.c: runtime PM and the low-power features. */
int vfio_pci_core_ioctl_feature(struct vfio_device *core_vdev, struct task *t, u32 flags,
				unsigned long arg, size_t argsz);
int vfio_pci_core_mmap_fault(struct vfio_device *core_vdev, u64 offset);
void vfio_pci_core_runtime_resume(struct vfio_device *core_vdev);
/* Ends low power without a wake-up (the last close). */
void vfio_pci_runtime_pm_exit(struct vfio_pci_core_device *vdev);
/* power/: active while open; suspended when idle (registered, or closed); "on" unregistered. */
void vfio_pci_pm_opened(struct vfio_pci_core_device *vdev);
void vfio_pci_pm_idle(struct vfio_pci_core_device *vdev);
void vfio_pci_pm_unregister(struct vfio_pci_core_device *vdev);

#endif /* UVFIO_CORE_VFIO_PCI_PRIV_H */

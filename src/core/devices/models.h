/* SPDX-License-Identifier: MIT */
/*
 * Device models: what sits behind each emulated PCI function. A model fills
 * the function's config space, BARs, ROM and capabilities as the matching QEMU
 * 7.2 device presents them to a real kernel, and implements register behaviour
 * through pci_dev_model_ops.
 */
#ifndef UVFIO_CORE_DEVICES_MODELS_H
#define UVFIO_CORE_DEVICES_MODELS_H

#include "pci/pci.h"

struct uvfio_world;

/* A key=value parameter from the machine file. */
struct model_param {
	const char *key;
	const char *value;
};

struct pci_model {
	const char *name; /* "edu", "e1000", ... as written in machine files */
	const char *description;
	/* Secondary bus number parameter needed ("bus=N"): the model is a bridge. */
	bool is_bridge;
	/*
	 * Builds the function's state. Unknown or bad parameters: return -EINVAL and
	 * describe the problem in err (the machine loader prefixes the line).
	 */
	int (*init)(struct pci_dev *pdev, const struct model_param *params, unsigned int nparams,
		    char *err, size_t errlen);
};

const struct pci_model *pci_model_find(const char *name);
/* NULL-terminated list of every model. */
const struct pci_model *const *pci_models(void);

extern const struct pci_model edu_model;
extern const struct pci_model e1000_model;
extern const struct pci_model e1000e_model;
extern const struct pci_model ivshmem_plain_model;
extern const struct pci_model q35_host_model;
extern const struct pci_model pcie_pci_bridge_model;
extern const struct pci_model pcie_root_port_model;
extern const struct pci_model ich9_lpc_model;
extern const struct pci_model ich9_ahci_model;
extern const struct pci_model ich9_smbus_model;

/* Shared parameter helper: parse "0x1234"/"1234"-style numbers; -EINVAL on junk. */
int model_param_u64(const char *value, unsigned long long *out);

/*
 * Helpers shared by the model implementations (defined in models.c). Not for
 * use outside src/core/devices/.
 */

/* Little-endian config-space accessors on a byte array (config, wmask, w1cmask). */
static inline u16 cfg_get16(const u8 *p)
{
	return (u16)(p[0] | p[1] << 8);
}
static inline u32 cfg_get32(const u8 *p)
{
	return (u32)p[0] | (u32)p[1] << 8 | (u32)p[2] << 16 | (u32)p[3] << 24;
}
static inline void cfg_set16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}
static inline void cfg_set32(u8 *p, u32 v)
{
	cfg_set16(p, (u16)v);
	cfg_set16(p + 2, (u16)(v >> 16));
}

/*
 * Where the lab machine's firmware put a function (the reference topology of
 * tests/oracle/sysfs.txt): BAR and ROM addresses, interrupt line and the IRQ the
 * host reports. A model applies the entry matching its bus/devfn.
 */
struct model_placement {
	unsigned int bus, devfn;
	u64 bar[PCI_NUM_RESOURCES]; /* index PCI_ROM_RESOURCE is the ROM */
	u8 intline;
	int irq;
};

/* NULL if key is not among params. */
const char *model_param_find(const struct model_param *params, unsigned int nparams,
			     const char *key);
/* -EINVAL naming the first parameter whose key is not in known (NULL-terminated). */
int model_check_params(const struct model_param *params, unsigned int nparams,
		       const char *const *known, char *err, size_t errlen);
/* Reads key as a number <= max; *found tells whether it was given. -EINVAL on junk. */
int model_param_get_u64(const struct model_param *params, unsigned int nparams, const char *key,
			unsigned long long max, unsigned long long *out, bool *found, char *err,
			size_t errlen);
/* Replaces config with zeros and rows "OOOO: xx xx ..." (a sysfs hexdump); aborts on a malformed row. */
void model_load_config(struct pci_dev *pdev, const char *const *rows, size_t nrows);
/* QEMU's default write masks: command, cache line, interrupt line, status W1C, the
 * device-specific area writable; bridge windows and control for type 1 headers. */
void model_init_masks(struct pci_dev *pdev);
/* Declares a BAR (pci_register_bar) and sets its type bits and QEMU's write mask. */
void model_setup_bar(struct pci_dev *pdev, int bar, u64 size, unsigned long flags);
/* Places a declared BAR at addr: config register and resource[] (0 = let the world choose). */
void model_set_bar_addr(struct pci_dev *pdev, int bar, u64 addr);
/*
 * Applies the placement for pdev's location (addresses, interrupt line, irq) or
 * clears the BAR addresses when the location is not in the table, then the
 * "barN=" / "rom=" parameters.
 */
int model_apply_placement(struct pci_dev *pdev, const struct model_placement *tbl, size_t n,
			  const struct model_param *params, unsigned int nparams, char *err,
			  size_t errlen);
/* Makes len bytes at off read-only (a capability body). */
void model_cap_readonly(struct pci_dev *pdev, unsigned int off, unsigned int len);
/* The MSI capability's writable bits, as QEMU's msi_init. */
void model_msi_masks(struct pci_dev *pdev, unsigned int off, bool is64, bool maskable,
		     unsigned int nvec);
/* Whether MSI is enabled in the function's MSI capability at off (lock-free mirror). */
bool model_msi_enabled(struct pci_dev *pdev, unsigned int off);

#endif /* UVFIO_CORE_DEVICES_MODELS_H */

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
extern const struct pci_model q35_host_model;
extern const struct pci_model pcie_pci_bridge_model;
extern const struct pci_model pcie_root_port_model;
extern const struct pci_model ich9_lpc_model;
extern const struct pci_model ich9_ahci_model;
extern const struct pci_model ich9_smbus_model;

/* Shared parameter helper: parse "0x1234"/"1234"-style numbers; -EINVAL on junk. */
int model_param_u64(const char *value, unsigned long long *out);

#endif /* UVFIO_CORE_DEVICES_MODELS_H */

/* SPDX-License-Identifier: MIT */
/*
 * Machine descriptions: the parsed form of a machine file (docs/machine-format.md)
 * and of the built-in default machine. Parsing checks syntax and references
 * (BDF syntax, duplicate functions, unknown models, buses without a bridge);
 * model parameters are checked when the world is built, with the same
 * "source:line: problem" messages.
 */
#ifndef UVFIO_CORE_MACHINE_MACHINE_H
#define UVFIO_CORE_MACHINE_MACHINE_H

#include "shared/macro.h"

#define MACHINE_MAX_DEVICES 256
#define MACHINE_MAX_PARAMS 16
#define MACHINE_NAME_MAX 64

struct machine_param {
	char *key;
	char *value;
};

struct machine_device {
	int line; /* line in the source, for error messages */
	int domain;
	unsigned int bus;
	unsigned int devfn;
	char *model;
	char *driver; /* initial driver; NULL: whatever auto-probe binds; "none": unbound */
	struct machine_param params[MACHINE_MAX_PARAMS]; /* model parameters, driver= removed */
	unsigned int nparams;
};

/* An mdev parent: `mdev-parent MODEL NAME [key=value ...]` (mdev/mdev_models.c). */
#define MACHINE_MAX_MDEV_PARENTS 64
struct machine_mdev_parent {
	int line;
	char *model;
	char *name;
	struct machine_param params[MACHINE_MAX_PARAMS];
	unsigned int nparams;
};

struct uvfio_machine {
	char *source; /* file name, or "<default>" */
	char name[MACHINE_NAME_MAX];
	unsigned int iommu_aw_bits; /* 39 by default, as QEMU's VT-d */
	bool iommu_intremap; /* interrupt remapping (MSI isolation), on by default */
	struct machine_device *devices;
	unsigned int ndevices;
	struct machine_mdev_parent *mdev_parents; /* added after the devices, in order */
	unsigned int nmdev_parents;
};

#endif /* UVFIO_CORE_MACHINE_MACHINE_H */

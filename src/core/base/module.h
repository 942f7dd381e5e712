/* SPDX-License-Identifier: MIT */
/*
 * /sys/module: the modules a world has "loaded" and their parameters
 * (kernel/params.c). Each module registers itself, with its parameter table
 * and the data that table's show methods read (sysfs_module_data()). A
 * driver with a mod_name registers its module when it registers
 * (module_add_driver in drivers/base/module.c does that for built-ins too).
 */
#ifndef UVFIO_CORE_BASE_MODULE_H
#define UVFIO_CORE_BASE_MODULE_H

#include "base/sysfs.h"

/*
 * Adds module name with its parameters (NULL: no parameters/ directory);
 * registering a module again only adds parameters it had none of.
 */
void sysfs_module_add(struct sysfs_root *root, const char *name, const struct sysfs_attr *params,
		      void *data);
/* The data the module's parameter table was registered with. */
void *sysfs_module_data(const struct sysfs_ctx *c);
void sysfs_modules_destroy(struct sysfs_root *root);

/* The provider of /sys/module (sysfs_root_init adds it). */
extern const struct sysfs_dir sysfs_modules_dir;

#endif /* UVFIO_CORE_BASE_MODULE_H */

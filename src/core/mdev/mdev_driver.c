// SPDX-License-Identifier: MIT
/*
 * The mdev bus (drivers/vfio/mdev/mdev_driver.c): its bus type, whose match
 * never matches (an instance is bound only by the core's explicit attach at
 * create), and the registration of vendor mdev drivers on a world's bus.
 */
#include <errno.h>
#include <stdlib.h>

#include "base/env.h"
#include "mdev/mdev.h"

static int mdev_match(struct device *dev, struct device_driver *drv)
{
	/* No driver binds an instance by matching: only mdev_device_create attaches one. */
	return 0;
}

static int mdev_probe(struct device *dev)
{
	struct mdev_driver *drv = container_of(dev->driver, struct mdev_driver, driver);

	if (!drv->probe)
		return 0;
	return drv->probe(to_mdev_device(dev));
}

static void mdev_remove(struct device *dev)
{
	struct mdev_driver *drv = container_of(dev->driver, struct mdev_driver, driver);

	if (drv->remove)
		drv->remove(to_mdev_device(dev));
}

static const struct bus_type mdev_bus_type = {
	.name = "mdev",
	.match = mdev_match,
	.probe = mdev_probe,
	.remove = mdev_remove,
	.dev_dir = &mdev_sysfs_dir,
};

bool dev_is_mdev(struct device *dev)
{
	return dev->bus && dev->bus->type == &mdev_bus_type;
}

int mdev_register_driver(struct mdev_core *core, struct mdev_driver *drv)
{
	if (!drv->device_api)
		return -EINVAL;
	/* Instances are attached explicitly; vendor drivers manage no DMA API. */
	drv->driver.driver_managed_dma = true;
	return driver_register(&drv->driver, &core->bus);
}

void mdev_unregister_driver(struct mdev_driver *drv)
{
	driver_unregister(&drv->driver);
}

void mdev_core_init(struct mdev_core *core, const struct core_env *env, struct iommu *iommu,
		    struct vfio *vfio, struct class_registry *classes)
{
	bus_init(&core->bus, &mdev_bus_type, env->world);
	/* Instances get groups of their own (vfio_register_emulated_iommu_dev). */
	core->bus.iommu = iommu;
	core->env = env;
	core->vfio = vfio;
	core->classes = classes;
	mutex_init(&core->list_lock, "mdev_list_lock");
	INIT_LIST_HEAD(&core->devices);
	INIT_LIST_HEAD(&core->parents);
	pthread_cond_init(&core->users_cond, NULL);
	mutex_init(&core->models_lock, "mdev_core.models_lock");
	INIT_LIST_HEAD(&core->models);
}

void mdev_core_exit(struct mdev_core *core)
{
	mdev_models_exit(core);
	mutex_destroy(&core->models_lock);
	pthread_cond_destroy(&core->users_cond);
	mutex_destroy(&core->list_lock);
	bus_destroy(&core->bus);
}

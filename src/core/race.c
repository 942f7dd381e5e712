// SPDX-License-Identifier: MIT
/*
 * The world's race points: the names a test may arm, and the public calls
 * (uvfio/uvfio-race.h). docs/races.md says where each point sits and which
 * locks the parked thread holds there.
 */
#include <errno.h>

#include "race.h"

/* Constant table: the points the core has (keep docs/races.md in step). */
static const char *const race_point_names[] = {
#if UVFIO_RACE_POINTS
	"vfio_group_get_device_fd.found",
	"vfio_df_close.last",
	"vfio_df_open.first",
	"vfio_group_fops_release",
	"vfio_device_remove_group.unpublished",
	"vfio_group_unset_container.detach",
	"vfio_unregister_group_dev.request",
	"vfio_container_release",
	"iommu_device_use_default_domain",
	"kvm_vfio_file_del",
	"kvm_vfio_release",
	"kvm_destroy_vm",
	"mdev_device_create.initialized",
	"mdev_device_create.added",
	"mdev_device_create.probed",
	"mdev_device_remove.inactive",
	"mdev_device_remove.locked",
	"mdev_unregister_parent.locked",
	"mdev_unregister_parent.removed",
#endif
	NULL,
};

#define UVFIO_QUIRKS_ALL                                                          \
	(UVFIO_QUIRK_GROUP_PUT_UNDER_LOCK | UVFIO_QUIRK_NO_DMA_OWNERSHIP |        \
	 UVFIO_QUIRK_KVM_VFIO_DESTROY | UVFIO_QUIRK_KVM_VFIO_DECOUPLE_ANY |       \
	 UVFIO_QUIRK_UNPUBLISH_AFTER_WAIT | UVFIO_QUIRK_CLOSE_TAKES_DEVICE_LOCK | \
	 UVFIO_QUIRK_UNSET_STALE_CHECK | UVFIO_QUIRK_SET_KVM_GROUP_LOCK |         \
	 UVFIO_QUIRK_MDEV_OLD_SEQUENCE)

void world_races_init(struct uvfio_world *w)
{
	race_registry_init(&w->races, race_point_names);
}

const char *const *uvfio_race_points(void)
{
	return race_point_names;
}

int uvfio_race_arm(struct uvfio_world *w, const char *point)
{
	if (!UVFIO_RACE_POINTS)
		return -EOPNOTSUPP;
	return race_arm(&w->races, point);
}

int uvfio_race_wait(struct uvfio_world *w, const char *point, int timeout_ms)
{
	if (!UVFIO_RACE_POINTS)
		return -EOPNOTSUPP;
	return race_wait(&w->races, point, timeout_ms);
}

int uvfio_race_release(struct uvfio_world *w, const char *point)
{
	if (!UVFIO_RACE_POINTS)
		return -EOPNOTSUPP;
	return race_release(&w->races, point);
}

int uvfio_world_set_quirks(struct uvfio_world *w, unsigned long quirks)
{
	if (!UVFIO_RACE_POINTS)
		return -EOPNOTSUPP;
	if (quirks & ~(unsigned long)UVFIO_QUIRKS_ALL)
		return -EINVAL;
	atomic_store(&w->races.quirks, quirks);
	return 0;
}

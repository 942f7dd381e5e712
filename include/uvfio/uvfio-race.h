/* SPDX-License-Identifier: MIT */
/*
 * Test-only controls of a world (docs/races.md): race points, to force an
 * interleaving of two or three threads, and old-ordering switches ("quirks"),
 * which put back the ordering a kernel had before a race was fixed, so a test
 * can show the old ordering fail and the current one hold.
 *
 * Available when uvfio is built with the race-points option (the default);
 * otherwise every call returns -EOPNOTSUPP. All return 0 or a negative errno.
 */
#ifndef UVFIO_UVFIO_RACE_H
#define UVFIO_UVFIO_RACE_H

#ifdef __cplusplus
extern "C" {
#endif

struct uvfio_world;

/*
 * The next thread that reaches point parks there until released.
 * -ENOENT: no such point (uvfio_race_points() lists them); -EEXIST: armed already.
 */
int uvfio_race_arm(struct uvfio_world *w, const char *point);
/* Waits until a thread is parked at point: -ETIMEDOUT after timeout_ms, -ENOENT if not armed. */
int uvfio_race_wait(struct uvfio_world *w, const char *point, int timeout_ms);
/* Lets the parked thread go on (or, if none came yet, disarms): -ENOENT if not armed. */
int uvfio_race_release(struct uvfio_world *w, const char *point);
/* The names of the race points, NULL-terminated (also without race points: the list is empty). */
const char *const *uvfio_race_points(void);

/*
 * Old orderings, one bit per fixed race (docs/races.md says what each restores).
 * Set them before the threads that should see them start.
 */
enum {
	/* seed 000, "vfio: Fix group release deadlock": the last device's unregistration
	 * drops the group reference while still holding vfio.group_lock, which the
	 * group's release takes. */
	UVFIO_QUIRK_GROUP_PUT_UNDER_LOCK = 1u << 0,
	/* seed 002, before 5.19's DMA ownership: a DMA-API host driver may bind to a
	 * member of a group that VFIO uses (the kernel then hit BUG_ON). */
	UVFIO_QUIRK_NO_DMA_OWNERSHIP = 1u << 1,
	/* seed 004, before 51cdc8bc120e: kvm-vfio is freed by the VM's destroy, not
	 * by its fd's release, and vfio_file_set_kvm() takes group_lock. */
	UVFIO_QUIRK_KVM_VFIO_DESTROY = 1u << 2,
	/* seed 000 patch 2, before e323369b2e20: GROUP_DEL undoes the assignment and
	 * clears the VM of the group passed in even when no listed group matched it. */
	UVFIO_QUIRK_KVM_VFIO_DECOUPLE_ANY = 1u << 3,
	/* before 6.6: an unregistering device stays findable by GET_DEVICE_FD until
	 * its last user is gone, so users taking turns keep unbind waiting forever. */
	UVFIO_QUIRK_UNPUBLISH_AFTER_WAIT = 1u << 4,
	/* before "vfio-pci: Use pci "try" reset interface": the last close resets
	 * the function with a blocking device_lock, which the unbinding thread holds
	 * while it sends REQ and waits for that close. */
	UVFIO_QUIRK_CLOSE_TAKES_DEVICE_LOCK = 1u << 5,
	/* before the 5.19 group locking: UNSET_CONTAINER decides on container_users,
	 * lets go of the group, then detaches on that stale decision. */
	UVFIO_QUIRK_UNSET_STALE_CHECK = 1u << 6,
	/* D2, between 51cdc8bc120e and the kvm_ref_lock fix (Feb 2023): kvm-vfio is
	 * freed by ->release, under kvm->lock, and vfio_file_set_kvm() takes
	 * group_lock, which a first open holds while its driver takes kvm->lock. */
	UVFIO_QUIRK_SET_KVM_GROUP_LOCK = 1u << 7,
	/* seed 003, before 5.2's "vfio/mdev: Improve the create/remove sequence": an
	 * mdev is on the bus, linked and active before its vendor driver probed, its
	 * vendor remove runs before it leaves the bus, there is no unreg_sem, and
	 * parent unregistration removes only the active instances and waits for
	 * nothing else that uses the parent. */
	UVFIO_QUIRK_MDEV_OLD_SEQUENCE = 1u << 8,
};

/* Replaces the world's quirk bits. -EINVAL for unknown bits. */
int uvfio_world_set_quirks(struct uvfio_world *w, unsigned long quirks);

#ifdef __cplusplus
}
#endif

#endif /* UVFIO_UVFIO_RACE_H */

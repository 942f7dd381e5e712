// SPDX-License-Identifier: MIT
/*
 * Group integrity (digest §5.4, kernel-facts §3 "group in use"): while VFIO
 * owns an IOMMU group (a container is set), no member may be bound to a
 * driver that uses the kernel DMA API, whichever path the bind comes from:
 * sysfs bind (EBUSY), drivers_probe (EINVAL: the probe failed), new_id (the
 * write succeeds, the device stays unbound), driver_override + drivers_probe
 * (EINVAL), and the auto-probe of a function rediscovered by a rescan (it
 * stays unbound). driver_managed_dma drivers (pci-stub) still bind; once
 * VFIO lets go, e1000 binds again on every path.
 */
#include "common.h"

#include <string.h>

#define DEV(bdf, attr) "/sys/bus/pci/devices/" bdf "/" attr
#define DRV(drv, attr) "/sys/bus/pci/drivers/" drv "/" attr

static void expect_write(struct uvfio_world *w, const char *path, const char *s, ssize_t want)
{
	ssize_t ret = sysfs_puts(w, path, s);

	if (ret != want)
		FAIL("write \"%s\" to %s: %zd (%s), want %zd", s, path, ret,
		     ret < 0 ? strerror((int)-ret) : "ok", want);
}

static void expect_driver(struct uvfio_world *w, const char *bdf, const char *drv)
{
	char buf[64];

	ASSERT_STREQ(driver_of(w, bdf, buf, sizeof(buf)), drv);
}

/* NIC A on vfio-pci and open through a container, NIC B unbound: group 2 is VFIO's. */
static void own_nic_group(struct vfio_env *e, struct uvfio_world *w, struct uvfio_proc *p)
{
	bind_vfio(w, NIC_A_BDF);
	unbind_device(w, NIC_B_BDF);
	env_open(e, w, p, NIC_GROUP, NIC_A_BDF, VFIO_TYPE1v2_IOMMU);
}

static void assert_group_intact(struct vfio_env *e)
{
	ASSERT_EQ(group_status(e->p, e->group),
		  VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	expect_driver(e->w, NIC_B_BDF, "");
}

TEST(integrity, bind_refused_ebusy)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;

	own_nic_group(&e, w, p);
	expect_write(w, DRV("e1000", "bind"), NIC_B_BDF, -EBUSY);
	expect_write(w, DRV("e1000", "bind"), NIC_B_BDF "\n", -EBUSY);
	assert_group_intact(&e);
	env_close(&e);
	expect_write(w, DRV("e1000", "bind"), NIC_B_BDF, 12);
	expect_driver(w, NIC_B_BDF, "e1000");
	uvfio_proc_free(p);
	world_free(w);
}

TEST(integrity, drivers_probe_refused_einval)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;

	own_nic_group(&e, w, p);
	expect_write(w, "/sys/bus/pci/drivers_probe", NIC_B_BDF, -EINVAL);
	assert_group_intact(&e);
	env_close(&e);
	expect_write(w, "/sys/bus/pci/drivers_probe", NIC_B_BDF, 12);
	expect_driver(w, NIC_B_BDF, "e1000");
	uvfio_proc_free(p);
	world_free(w);
}

TEST(integrity, driver_override_then_probe_refused)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;

	own_nic_group(&e, w, p);
	/* Setting the override itself binds nothing and always succeeds. */
	expect_write(w, DEV(NIC_B_BDF, "driver_override"), "e1000", 5);
	expect_write(w, "/sys/bus/pci/drivers_probe", NIC_B_BDF, -EINVAL);
	expect_write(w, DRV("e1000", "bind"), NIC_B_BDF, -EBUSY);
	assert_group_intact(&e);
	/* An allowed driver through the same path. */
	expect_write(w, DEV(NIC_B_BDF, "driver_override"), "pci-stub", 8);
	expect_write(w, "/sys/bus/pci/drivers_probe", NIC_B_BDF, 12);
	expect_driver(w, NIC_B_BDF, "pci-stub");
	ASSERT_EQ(group_status(p, e.group),
		  VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	expect_write(w, DRV("pci-stub", "unbind"), NIC_B_BDF, 12);
	expect_write(w, DEV(NIC_B_BDF, "driver_override"), "e1000", 5);
	env_close(&e);
	expect_write(w, "/sys/bus/pci/drivers_probe", NIC_B_BDF, 12);
	expect_driver(w, NIC_B_BDF, "e1000");
	uvfio_proc_free(p);
	world_free(w);
}

TEST(integrity, new_id_attaches_nothing)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;

	own_nic_group(&e, w, p);
	/* e1000 already has 8086:100e: the short form is EEXIST, the 7-field one attaches. */
	expect_write(w, DRV("e1000", "new_id"), "8086 100e", -EEXIST);
	/* driver_attach() ignores probe failures: the write succeeds, nothing binds. */
	expect_write(w, DRV("e1000", "new_id"), "8086 100e ffffffff ffffffff 0 0 0", 33);
	assert_group_intact(&e);
	/* pci-stub through new_id: allowed. */
	expect_write(w, DRV("pci-stub", "new_id"), "8086 100e", 9);
	expect_driver(w, NIC_B_BDF, "pci-stub");
	ASSERT_EQ(group_status(p, e.group),
		  VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	expect_write(w, DRV("pci-stub", "remove_id"), "8086 100e", 9);
	expect_write(w, DRV("pci-stub", "unbind"), NIC_B_BDF, 12);
	env_close(&e);
	expect_write(w, DRV("e1000", "bind"), NIC_B_BDF, 12);
	expect_driver(w, NIC_B_BDF, "e1000");
	uvfio_proc_free(p);
	world_free(w);
}

/* A function that comes back (remove + rescan) auto-probes: e1000 is refused, quietly. */
TEST(integrity, autoprobe_after_rescan_refused)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct uvfio_sysfs_stat st;
	struct vfio_env e;

	own_nic_group(&e, w, p);
	expect_write(w, DEV(NIC_B_BDF, "remove"), "1", 1);
	ASSERT_NEG(uvfio_sysfs_stat(w, DEV(NIC_B_BDF, "vendor"), &st), ENOENT);
	ASSERT_NEG(uvfio_sysfs_stat(w, "/sys/kernel/iommu_groups/2/devices/" NIC_B_BDF, &st),
		   ENOENT);
	ASSERT_EQ(group_status(p, e.group),
		  VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	expect_write(w, "/sys/bus/pci/rescan", "1", 1);
	/* Back, in its group, and unbound: e1000's probe met VFIO's ownership. */
	ASSERT_EQ(iommu_group_of(w, NIC_B_BDF), NIC_GROUP);
	assert_group_intact(&e);
	/* A device rescan of its bus finds nothing new and changes nothing. */
	expect_write(w, DEV(NIC_A_BDF, "rescan"), "1", 1);
	assert_group_intact(&e);
	env_close(&e);
	/* Once VFIO let go, a rescan-time probe would have bound; a remove + rescan now does. */
	expect_write(w, DEV(NIC_B_BDF, "remove"), "1", 1);
	expect_write(w, DEV(NIC_A_BDF, "rescan"), "1", 1);
	expect_driver(w, NIC_B_BDF, "e1000");
	uvfio_proc_free(p);
	world_free(w);
}

/* Ownership is the container's: with only the group attached (no device open) still refused. */
TEST(integrity, group_attached_without_device_still_owned)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;

	own_nic_group(&e, w, p);
	ASSERT_OK(uvfio_close(p, e.device));
	e.device = -1;
	expect_write(w, DRV("e1000", "bind"), NIC_B_BDF, -EBUSY);
	expect_write(w, "/sys/bus/pci/drivers_probe", NIC_B_BDF, -EINVAL);
	/* NIC A itself, once unbound from vfio-pci, cannot go to e1000 either. */
	expect_write(w, DRV("vfio-pci", "unbind"), NIC_A_BDF, 12);
	expect_write(w, DRV("e1000", "bind"), NIC_A_BDF, -ENODEV); /* override is vfio-pci */
	expect_write(w, DEV(NIC_A_BDF, "driver_override"), "\n", 1);
	expect_write(w, DRV("e1000", "bind"), NIC_A_BDF, 12); /* the group lost its last device */
	env_close(&e);
	expect_write(w, DRV("e1000", "bind"), NIC_B_BDF, 12);
	uvfio_proc_free(p);
	world_free(w);
}

// SPDX-License-Identifier: MIT
/*
 * The driver core through sysfs writes, as administrators and driverctl use
 * it: bind/unbind, driver_override, drivers_probe, new_id/remove_id, and the
 * group ownership rules that tie host drivers and VFIO together. Digest §1.3,
 * §4.4, §4.5, §5.4; oracle tests/oracle/{driver,e1000,sysfs}.txt.
 */
#include "common.h"

#include <stdio.h>
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

TEST(driver_core, initial_bindings_and_groups)
{
	struct uvfio_world *w = world_new();
	char buf[128];

	expect_driver(w, EDU_BDF, "");
	expect_driver(w, BRIDGE_BDF, "");
	expect_driver(w, NIC_A_BDF, "e1000");
	expect_driver(w, NIC_B_BDF, "e1000");
	ASSERT_EQ(iommu_group_of(w, HOST_BDF), 0);
	ASSERT_EQ(iommu_group_of(w, EDU_BDF), 1);
	ASSERT_EQ(iommu_group_of(w, BRIDGE_BDF), 2);
	ASSERT_EQ(iommu_group_of(w, NIC_A_BDF), 2);
	ASSERT_EQ(iommu_group_of(w, NIC_B_BDF), 2);
	ASSERT_EQ(iommu_group_of(w, "0000:00:1f.0"), 3);
	ASSERT_EQ(iommu_group_of(w, "0000:00:1f.2"), 3);
	ASSERT_EQ(iommu_group_of(w, "0000:00:1f.3"), 3);
	sysfs_gets(w, "/sys/kernel/iommu_groups/1/reserved_regions", buf, sizeof(buf));
	ASSERT_STREQ(buf, "0x00000000fee00000 0x00000000feefffff msi\n");
	sysfs_gets(w, "/sys/kernel/iommu_groups/2/type", buf, sizeof(buf));
	ASSERT_STREQ(buf, "DMA\n");
	sysfs_gets(w, "/sys/bus/pci/drivers_autoprobe", buf, sizeof(buf));
	ASSERT_STREQ(buf, "1\n");
	sysfs_gets(w, DEV(EDU_BDF, "vendor"), buf, sizeof(buf));
	ASSERT_STREQ(buf, "0x1234\n");
	sysfs_gets(w, DEV(NIC_A_BDF, "device"), buf, sizeof(buf));
	ASSERT_STREQ(buf, "0x100e\n");
	world_free(w);
}

TEST(driver_core, bind_already_bound_ebusy)
{
	struct uvfio_world *w = world_new();

	expect_write(w, DRV("e1000", "bind"), NIC_A_BDF, -EBUSY);
	expect_write(w, DEV(EDU_BDF, "driver_override"), "vfio-pci", 8);
	expect_write(w, DRV("vfio-pci", "bind"), EDU_BDF "\n", 13);
	expect_driver(w, EDU_BDF, "vfio-pci");
	expect_write(w, DRV("vfio-pci", "bind"), EDU_BDF, -EBUSY);
	expect_write(w, "/sys/bus/pci/drivers_probe", EDU_BDF, 12);
	expect_driver(w, EDU_BDF, "vfio-pci");
	world_free(w);
}

TEST(driver_core, bind_non_matching_enodev)
{
	struct uvfio_world *w = world_new();

	expect_write(w, DRV("e1000", "bind"), EDU_BDF, -ENODEV);
	/* vfio-pci has no id table: only an override (or new_id) makes it match. */
	expect_write(w, DRV("vfio-pci", "bind"), EDU_BDF, -ENODEV);
	expect_write(w, DRV("vfio-pci", "bind"), "0000:00:09.0", -ENODEV);
	expect_write(w, DRV("vfio-pci", "bind"), "00:03.0", -ENODEV);
	/* An override names the only driver that may match. */
	expect_write(w, DEV(EDU_BDF, "driver_override"), "vfio-pci", 8);
	expect_write(w, DRV("e1000", "bind"), EDU_BDF, -ENODEV);
	expect_write(w, DRV("pci-stub", "bind"), EDU_BDF, -ENODEV);
	expect_driver(w, EDU_BDF, "");
	world_free(w);
}

TEST(driver_core, unbind_wrong_driver_enodev)
{
	struct uvfio_world *w = world_new();

	expect_write(w, DRV("vfio-pci", "unbind"), NIC_A_BDF, -ENODEV);
	expect_write(w, DRV("vfio-pci", "unbind"), EDU_BDF, -ENODEV);
	expect_write(w, DRV("vfio-pci", "unbind"), "garbage", -ENODEV);
	expect_driver(w, NIC_A_BDF, "e1000");
	/* The right driver unbinds; the driver link disappears. */
	expect_write(w, DRV("e1000", "unbind"), NIC_A_BDF "\n", 13);
	expect_driver(w, NIC_A_BDF, "");
	expect_write(w, DRV("e1000", "unbind"), NIC_A_BDF, -ENODEV);
	/* ...and the plain bind brings it back. */
	expect_write(w, DRV("e1000", "bind"), NIC_A_BDF, 12);
	expect_driver(w, NIC_A_BDF, "e1000");
	world_free(w);
}

TEST(driver_core, driver_override_read_set_clear)
{
	struct uvfio_world *w = world_new();
	const char *path = DEV(EDU_BDF, "driver_override");
	char buf[64];

	sysfs_gets(w, path, buf, sizeof(buf));
	ASSERT_STREQ(buf, "(null)\n");
	expect_write(w, path, "vfio-pci\n", 9);
	sysfs_gets(w, path, buf, sizeof(buf));
	ASSERT_STREQ(buf, "vfio-pci\n");
	expect_write(w, path, "vfio-pci", 8);
	sysfs_gets(w, path, buf, sizeof(buf));
	ASSERT_STREQ(buf, "vfio-pci\n");
	/* An empty write changes nothing. */
	expect_write(w, path, "", 0);
	sysfs_gets(w, path, buf, sizeof(buf));
	ASSERT_STREQ(buf, "vfio-pci\n");
	expect_write(w, path, "foo bar\n", 8);
	sysfs_gets(w, path, buf, sizeof(buf));
	ASSERT_STREQ(buf, "foo bar\n");
	/* A lone newline clears it. */
	expect_write(w, path, "\n", 1);
	sysfs_gets(w, path, buf, sizeof(buf));
	ASSERT_STREQ(buf, "(null)\n");
	world_free(w);
}

TEST(driver_core, drivers_probe_binds_per_override)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	int g;

	expect_write(w, "/sys/bus/pci/drivers_probe", "0000:00:09.0", -ENODEV);
	expect_write(w, "/sys/bus/pci/drivers_probe", "garbage", -ENODEV);
	/* Nothing matches edu without an override: probing succeeds, binds nothing. */
	expect_write(w, "/sys/bus/pci/drivers_probe", EDU_BDF, 12);
	expect_driver(w, EDU_BDF, "");
	expect_write(w, DEV(EDU_BDF, "driver_override"), "nonexistent-driver", 18);
	expect_write(w, "/sys/bus/pci/drivers_probe", EDU_BDF, 12);
	expect_driver(w, EDU_BDF, "");
	/* An already bound device is left alone. */
	expect_write(w, "/sys/bus/pci/drivers_probe", NIC_A_BDF, 12);
	expect_driver(w, NIC_A_BDF, "e1000");

	ASSERT_ERRNO(uvfio_open(p, "/dev/vfio/1", O_RDWR), ENOENT);
	expect_write(w, DEV(EDU_BDF, "driver_override"), "vfio-pci", 8);
	expect_write(w, "/sys/bus/pci/drivers_probe", EDU_BDF, 12);
	expect_driver(w, EDU_BDF, "vfio-pci");
	g = uvfio_open(p, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g);
	ASSERT_OK(uvfio_close(p, g));
	uvfio_proc_free(p);
	world_free(w);
}

TEST(driver_core, drivers_autoprobe_off_probe_still_binds)
{
	struct uvfio_world *w = world_new();
	char buf[16];

	expect_write(w, "/sys/bus/pci/drivers_autoprobe", "0", 1);
	sysfs_gets(w, "/sys/bus/pci/drivers_autoprobe", buf, sizeof(buf));
	ASSERT_STREQ(buf, "0\n");
	expect_write(w, DEV(EDU_BDF, "driver_override"), "vfio-pci", 8);
	expect_write(w, "/sys/bus/pci/drivers_probe", EDU_BDF, 12);
	expect_driver(w, EDU_BDF, "vfio-pci");
	expect_write(w, "/sys/bus/pci/drivers_autoprobe", "1", 1);
	world_free(w);
}

TEST(driver_core, new_id_binds_unbound_nics)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	int g;

	unbind_device(w, NIC_A_BDF);
	unbind_device(w, NIC_B_BDF);
	expect_write(w, DRV("vfio-pci", "new_id"), "8086 100e", 9);
	expect_driver(w, NIC_A_BDF, "vfio-pci");
	expect_driver(w, NIC_B_BDF, "vfio-pci");
	expect_driver(w, EDU_BDF, "");
	g = uvfio_open(p, "/dev/vfio/2", O_RDWR);
	ASSERT_OK(g);
	ASSERT_EQ(group_status(p, g), VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_OK(uvfio_close(p, g));

	expect_write(w, DRV("vfio-pci", "new_id"), "8086 100e", -EEXIST);
	expect_write(w, DRV("vfio-pci", "new_id"), "8086 100e\n", -EEXIST);
	/* The long form is a different entry. */
	expect_write(w, DRV("vfio-pci", "new_id"), "8086 100e ffffffff ffffffff 0 0 0", 33);
	expect_write(w, DRV("vfio-pci", "remove_id"), "8086 100e", 9);
	expect_write(w, DRV("vfio-pci", "remove_id"), "8086 100e", 9);
	expect_write(w, DRV("vfio-pci", "remove_id"), "8086 100e", -ENODEV);
	/* Removing an id does not unbind. */
	expect_driver(w, NIC_A_BDF, "vfio-pci");
	uvfio_proc_free(p);
	world_free(w);
}

TEST(driver_core, new_id_bad_input_einval)
{
	struct uvfio_world *w = world_new();

	expect_write(w, DRV("vfio-pci", "new_id"), "8086", -EINVAL);
	expect_write(w, DRV("vfio-pci", "new_id"), "zzzz yyyy", -EINVAL);
	world_free(w);
}

TEST(driver_core, remove_id_absent_enodev)
{
	struct uvfio_world *w = world_new();

	expect_write(w, DRV("vfio-pci", "remove_id"), "1234 5678", -ENODEV);
	expect_write(w, DRV("vfio-pci", "remove_id"), "1234", -EINVAL);
	world_free(w);
}

TEST(driver_core, bridge_in_group_2_unbound)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;
	char buf[64];

	expect_driver(w, BRIDGE_BDF, "");
	ASSERT_EQ(iommu_group_of(w, BRIDGE_BDF), NIC_GROUP);
	sysfs_gets(w, DEV(BRIDGE_BDF, "driver_override"), buf, sizeof(buf));
	ASSERT_STREQ(buf, "(null)\n");
	bind_vfio(w, NIC_A_BDF);
	bind_vfio(w, NIC_B_BDF);
	/* The unbound bridge does not make the group non-viable. */
	env_open(&e, w, p, NIC_GROUP, NIC_A_BDF, VFIO_TYPE1v2_IOMMU);
	ASSERT_ERRNO(uvfio_ioctl(p, e.group, VFIO_GROUP_GET_DEVICE_FD, BRIDGE_BDF), ENODEV);
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
}

/*
 * §5.4/§9.3: while VFIO owns group 2, a DMA-API host driver (e1000) cannot bind a
 * member (EBUSY), a driver_managed_dma one (pci-stub) can; once VFIO lets go,
 * e1000 binds again (oracle driver.txt "group in use", e1000.txt phase 5).
 */
TEST(driver_core, group_in_use_blocks_host_driver_bind)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;

	bind_vfio(w, NIC_A_BDF);
	unbind_device(w, NIC_B_BDF);
	env_open(&e, w, p, NIC_GROUP, NIC_A_BDF, VFIO_TYPE1v2_IOMMU);

	expect_write(w, DRV("e1000", "bind"), NIC_B_BDF, -EBUSY);
	expect_driver(w, NIC_B_BDF, "");
	ASSERT_EQ(group_status(p, e.group),
		  VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	/* drivers_probe reports the failed probe as EINVAL. */
	expect_write(w, "/sys/bus/pci/drivers_probe", NIC_B_BDF, -EINVAL);
	expect_driver(w, NIC_B_BDF, "");

	/* Still owned with only the group attached (no device open). */
	ASSERT_OK(uvfio_close(p, e.device));
	e.device = -1;
	expect_write(w, DRV("e1000", "bind"), NIC_B_BDF, -EBUSY);

	/* pci-stub does no DMA: allowed. */
	expect_write(w, DEV(NIC_B_BDF, "driver_override"), "pci-stub", 8);
	expect_write(w, DRV("pci-stub", "bind"), NIC_B_BDF, 12);
	expect_driver(w, NIC_B_BDF, "pci-stub");
	ASSERT_EQ(group_status(p, e.group),
		  VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	expect_write(w, DRV("pci-stub", "unbind"), NIC_B_BDF, 12);
	expect_write(w, DEV(NIC_B_BDF, "driver_override"), "\n", 1);

	/* VFIO lets go when the group leaves its container. */
	env_close(&e);
	expect_write(w, DRV("e1000", "bind"), NIC_B_BDF, 12);
	expect_driver(w, NIC_B_BDF, "e1000");
	uvfio_proc_free(p);
	world_free(w);
}

/* pci-stub keeps a group viable: SET_CONTAINER works with a member on it. */
TEST(driver_core, pci_stub_member_keeps_group_viable)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;

	bind_vfio(w, NIC_A_BDF);
	bind_driver(w, NIC_B_BDF, "pci-stub");
	env_open(&e, w, p, NIC_GROUP, NIC_A_BDF, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(group_status(p, e.group),
		  VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	ASSERT_ERRNO(uvfio_ioctl(p, e.group, VFIO_GROUP_GET_DEVICE_FD, NIC_B_BDF), ENODEV);
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
}

// SPDX-License-Identifier: MIT
/*
 * Groups (/dev/vfio/N): open, status and viability, container attachment,
 * device lookup. Digest §1.12, §2.5, §5, §9 (1-4, 10); oracle
 * tests/oracle/{edu,e1000}.txt.
 */
#include "common.h"

#include <stdio.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

TEST(group, open_without_vfio_device_enoent)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);

	/* edu is unbound, the NICs are on e1000: no group has a vfio device, so no node. */
	for (int g = 0; g <= 3; g++) {
		char path[32];

		snprintf(path, sizeof(path), "/dev/vfio/%d", g);
		ASSERT_ERRNO(uvfio_open(p, path, O_RDWR), ENOENT);
	}
	ASSERT_ERRNO(uvfio_open(p, "/dev/vfio/99", O_RDWR), ENOENT);
	uvfio_proc_free(p);
	world_free(w);
}

TEST(group, node_appears_with_vfio_device_and_goes_on_unbind)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	int g;

	bind_vfio(w, EDU_BDF);
	g = uvfio_open(p, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g);
	ASSERT_OK(uvfio_close(p, g));
	unbind_device(w, EDU_BDF);
	ASSERT_ERRNO(uvfio_open(p, "/dev/vfio/1", O_RDWR), ENOENT);
	uvfio_proc_free(p);
	world_free(w);
}

TEST(group, second_open_ebusy)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct uvfio_proc *q = uvfio_proc_new(w, NULL);
	int g, g2;

	bind_vfio(w, EDU_BDF);
	g = uvfio_open(p, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g);
	ASSERT_ERRNO(uvfio_open(p, "/dev/vfio/1", O_RDWR), EBUSY);
	ASSERT_ERRNO(uvfio_open(q, "/dev/vfio/1", O_RDWR), EBUSY);
	ASSERT_OK(uvfio_close(p, g));
	/* The last close let go of it: another process may open it now. */
	g2 = uvfio_open(q, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g2);
	ASSERT_OK(uvfio_close(q, g2));
	uvfio_proc_free(q);
	uvfio_proc_free(p);
	world_free(w);
}

TEST(group, get_status_argsz)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct {
		struct vfio_group_status st;
		char pad[56];
	} big;
	struct vfio_group_status st = { .argsz = 4 };
	int g;

	bind_vfio(w, EDU_BDF);
	g = uvfio_open(p, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g);
	ASSERT_ERRNO(uvfio_ioctl(p, g, VFIO_GROUP_GET_STATUS, &st), EINVAL);
	st.argsz = sizeof(st);
	ASSERT_OK(uvfio_ioctl(p, g, VFIO_GROUP_GET_STATUS, &st));
	ASSERT_EQ(st.flags, VFIO_GROUP_FLAGS_VIABLE);
	memset(&big, 0, sizeof(big));
	big.st.argsz = sizeof(big);
	ASSERT_OK(uvfio_ioctl(p, g, VFIO_GROUP_GET_STATUS, &big));
	ASSERT_EQ(big.st.flags, VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_OK(uvfio_close(p, g));
	uvfio_proc_free(p);
	world_free(w);
}

TEST(group, unknown_ioctl_enotty)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	char b[4];
	int g;

	bind_vfio(w, EDU_BDF);
	g = uvfio_open(p, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g);
	ASSERT_ERRNO(uvfio_ioctl(p, g, _IO(VFIO_TYPE, VFIO_BASE + 50)), ENOTTY);
	ASSERT_ERRNO(uvfio_read(p, g, b, sizeof(b)), EINVAL);
	ASSERT_OK(uvfio_close(p, g));
	uvfio_proc_free(p);
	world_free(w);
}

/* §5.4: a member on a DMA-API host driver makes the group non-viable (oracle e1000.txt phase 2). */
TEST(group, not_viable_while_nic_on_e1000_eperm)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	char drv[64];
	int c, g;

	bind_vfio(w, NIC_A_BDF);
	ASSERT_STREQ(driver_of(w, NIC_B_BDF, drv, sizeof(drv)), "e1000");
	c = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);
	ASSERT_OK(c);
	g = uvfio_open(p, "/dev/vfio/2", O_RDWR);
	ASSERT_OK(g);
	ASSERT_EQ(group_status(p, g), 0);
	ASSERT_ERRNO(uvfio_ioctl(p, g, VFIO_GROUP_SET_CONTAINER, &c), EPERM);
	ASSERT_ERRNO(uvfio_ioctl(p, g, VFIO_GROUP_GET_DEVICE_FD, NIC_A_BDF), EINVAL);
	ASSERT_EQ(group_status(p, g), 0);

	/* Unbound is harmless: viable. */
	unbind_device(w, NIC_B_BDF);
	ASSERT_EQ(group_status(p, g), VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_OK(uvfio_ioctl(p, g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(group_status(p, g), VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	ASSERT_OK(uvfio_close(p, g));
	ASSERT_OK(uvfio_close(p, c));
	uvfio_proc_free(p);
	world_free(w);
}

TEST(group, viable_with_both_nics_on_vfio)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	int c, g, da, db;

	bind_vfio(w, NIC_A_BDF);
	bind_vfio(w, NIC_B_BDF);
	c = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);
	ASSERT_OK(c);
	g = uvfio_open(p, "/dev/vfio/2", O_RDWR);
	ASSERT_OK(g);
	ASSERT_EQ(group_status(p, g), VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_OK(uvfio_ioctl(p, g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_EQ(group_status(p, g), VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	ASSERT_OK(uvfio_ioctl(p, c, VFIO_SET_IOMMU, (unsigned long)VFIO_TYPE1v2_IOMMU));
	ASSERT_EQ(group_status(p, g), VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	da = uvfio_ioctl(p, g, VFIO_GROUP_GET_DEVICE_FD, NIC_A_BDF);
	ASSERT_OK(da);
	db = uvfio_ioctl(p, g, VFIO_GROUP_GET_DEVICE_FD, NIC_B_BDF);
	ASSERT_OK(db);
	ASSERT_NE(da, db);
	/* The bridge is a member of the group but not a vfio device. */
	ASSERT_ERRNO(uvfio_ioctl(p, g, VFIO_GROUP_GET_DEVICE_FD, BRIDGE_BDF), ENODEV);
	ASSERT_EQ(cfg_read32(p, da, CFG_VENDOR), 0x100e8086);
	ASSERT_EQ(cfg_read32(p, db, CFG_VENDOR), 0x100e8086);
	ASSERT_OK(uvfio_close(p, da));
	ASSERT_OK(uvfio_close(p, db));
	ASSERT_OK(uvfio_close(p, g));
	ASSERT_OK(uvfio_close(p, c));
	uvfio_proc_free(p);
	world_free(w);
}

TEST(group, set_container_twice_einval)
{
	struct vfio_env e;
	int c2;

	edu_setup(&e);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_SET_CONTAINER, &e.container), EINVAL);
	c2 = uvfio_open(e.p, "/dev/vfio/vfio", O_RDWR);
	ASSERT_OK(c2);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_SET_CONTAINER, &c2), EINVAL);
	ASSERT_OK(uvfio_close(e.p, c2));
	env_teardown(&e);
}

/* 6.2+: a file that is neither a container nor an iommufd is EBADFD. */
TEST(group, set_container_not_a_container_ebadfd)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env nic;
	int g;

	bind_vfio(w, EDU_BDF);
	bind_vfio(w, NIC_A_BDF);
	bind_vfio(w, NIC_B_BDF);
	env_open(&nic, w, p, NIC_GROUP, NIC_A_BDF, VFIO_TYPE1v2_IOMMU);
	g = uvfio_open(p, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g);
	ASSERT_ERRNO(uvfio_ioctl(p, g, VFIO_GROUP_SET_CONTAINER, &g), EBADFD);
	ASSERT_ERRNO(uvfio_ioctl(p, g, VFIO_GROUP_SET_CONTAINER, &nic.group), EBADFD);
	ASSERT_ERRNO(uvfio_ioctl(p, g, VFIO_GROUP_SET_CONTAINER, &nic.device), EBADFD);
	ASSERT_EQ(group_status(p, g), VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_OK(uvfio_close(p, g));
	env_close(&nic);
	uvfio_proc_free(p);
	world_free(w);
}

TEST(group, set_container_closed_fd_ebadf)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	int c, g, minus1 = -1;

	bind_vfio(w, EDU_BDF);
	g = uvfio_open(p, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g);
	c = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);
	ASSERT_OK(c);
	ASSERT_OK(uvfio_close(p, c));
	ASSERT_ERRNO(uvfio_ioctl(p, g, VFIO_GROUP_SET_CONTAINER, &c), EBADF);
	ASSERT_ERRNO(uvfio_ioctl(p, g, VFIO_GROUP_SET_CONTAINER, &minus1), EBADF);
	ASSERT_OK(uvfio_close(p, g));
	uvfio_proc_free(p);
	world_free(w);
}

TEST(group, unset_container_none_einval)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	int g;

	bind_vfio(w, EDU_BDF);
	g = uvfio_open(p, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g);
	ASSERT_ERRNO(uvfio_ioctl(p, g, VFIO_GROUP_UNSET_CONTAINER), EINVAL);
	ASSERT_OK(uvfio_close(p, g));
	uvfio_proc_free(p);
	world_free(w);
}

TEST(group, unset_container_with_device_open_ebusy)
{
	struct vfio_env e;
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };

	edu_setup(&e);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_UNSET_CONTAINER), EBUSY);
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = -1;
	ASSERT_OK(uvfio_ioctl(e.p, e.group, VFIO_GROUP_UNSET_CONTAINER));
	ASSERT_EQ(group_status(e.p, e.group), VFIO_GROUP_FLAGS_VIABLE);
	/* The last group left: the container has no backend any more (§9.2). */
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.container, VFIO_IOMMU_GET_INFO, &info), EINVAL);
	ASSERT_EQ(uvfio_ioctl(e.p, e.container, VFIO_CHECK_EXTENSION,
			      (unsigned long)VFIO_UPDATE_VADDR),
		  0);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_UNSET_CONTAINER), EINVAL);
	/* ...and can be used again, even with the other type1 flavour. */
	ASSERT_OK(uvfio_ioctl(e.p, e.group, VFIO_GROUP_SET_CONTAINER, &e.container));
	ASSERT_OK(uvfio_ioctl(e.p, e.container, VFIO_SET_IOMMU, (unsigned long)VFIO_TYPE1_IOMMU));
	e.device = uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	ASSERT_OK(e.device);
	env_teardown(&e);
}

TEST(group, get_device_fd_before_set_container_einval)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	int g;

	bind_vfio(w, EDU_BDF);
	g = uvfio_open(p, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g);
	ASSERT_ERRNO(uvfio_ioctl(p, g, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF), EINVAL);
	ASSERT_OK(uvfio_close(p, g));
	uvfio_proc_free(p);
	world_free(w);
}

TEST(group, get_device_fd_before_set_iommu_einval)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;

	bind_vfio(w, EDU_BDF);
	env_open(&e, w, p, EDU_GROUP, NULL, 0);
	ASSERT_ERRNO(uvfio_ioctl(p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF), EINVAL);
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
}

TEST(group, get_device_fd_unknown_name_enodev)
{
	struct vfio_env e;

	edu_setup(&e);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, "0000:00:09.0"), ENODEV);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, ""), ENODEV);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, "00:03.0"), ENODEV);
	env_teardown(&e);
}

TEST(group, get_device_fd_other_group_enodev)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env edu, nic;

	bind_vfio(w, EDU_BDF);
	bind_vfio(w, NIC_A_BDF);
	bind_vfio(w, NIC_B_BDF);
	env_open(&edu, w, p, EDU_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
	env_open(&nic, w, p, NIC_GROUP, NULL, VFIO_TYPE1v2_IOMMU);
	ASSERT_ERRNO(uvfio_ioctl(p, edu.group, VFIO_GROUP_GET_DEVICE_FD, NIC_A_BDF), ENODEV);
	ASSERT_ERRNO(uvfio_ioctl(p, nic.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF), ENODEV);
	env_close(&nic);
	env_close(&edu);
	uvfio_proc_free(p);
	world_free(w);
}

/* A NIC whose driver went away is no longer a device of the group (oracle e1000.txt phase 5). */
TEST(group, get_device_fd_unbound_member_enodev)
{
	struct vfio_env e;

	nic_setup(&e);
	unbind_device(e.w, NIC_B_BDF);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, NIC_B_BDF), ENODEV);
	ASSERT_EQ(group_status(e.p, e.group),
		  VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	env_teardown(&e);
}

/* §9.6: every GET_DEVICE_FD is a new file sharing the device. */
TEST(group, several_fds_for_one_device)
{
	struct vfio_env e;
	int d2, d3;

	edu_setup(&e);
	d2 = uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	ASSERT_OK(d2);
	d3 = uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	ASSERT_OK(d3);
	ASSERT_NE(d2, e.device);
	ASSERT_NE(d3, d2);
	/* Shared device state: a write through one fd is seen through the others. */
	bar0_write32(e.p, e.device, EDU_LIVENESS, 0x12345678);
	ASSERT_EQ(bar0_read32(e.p, d2, EDU_LIVENESS), 0xedcba987);
	ASSERT_EQ(bar0_read32(e.p, d3, EDU_LIVENESS), 0xedcba987);
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = -1;
	/* The session is still open: no reset happened on this close. */
	ASSERT_EQ(bar0_read32(e.p, d2, EDU_ID), 0x010000ed);
	ASSERT_EQ(bar0_read32(e.p, d2, EDU_LIVENESS), 0xedcba987);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_UNSET_CONTAINER), EBUSY);
	ASSERT_OK(uvfio_close(e.p, d2));
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_UNSET_CONTAINER), EBUSY);
	ASSERT_OK(uvfio_close(e.p, d3));
	ASSERT_OK(uvfio_ioctl(e.p, e.group, VFIO_GROUP_UNSET_CONTAINER));
	env_teardown(&e);
}

/* Two groups in one container share its mappings. */
TEST(group, two_groups_one_container)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;
	char *buf = anon_alloc(PAGE_SZ);
	int g2, d2;

	bind_vfio(w, EDU_BDF);
	bind_vfio(w, NIC_A_BDF);
	bind_vfio(w, NIC_B_BDF);
	env_open(&e, w, p, EDU_GROUP, EDU_BDF, VFIO_TYPE1v2_IOMMU);
	ASSERT_OK(dma_map(p, e.container, 0x100000, buf, PAGE_SZ, 3));
	g2 = uvfio_open(p, "/dev/vfio/2", O_RDWR);
	ASSERT_OK(g2);
	ASSERT_OK(uvfio_ioctl(p, g2, VFIO_GROUP_SET_CONTAINER, &e.container));
	ASSERT_EQ(group_status(p, g2), VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	d2 = uvfio_ioctl(p, g2, VFIO_GROUP_GET_DEVICE_FD, NIC_A_BDF);
	ASSERT_OK(d2);
	ASSERT_EQ(dma_avail(p, e.container), 65534);
	ASSERT_OK(uvfio_close(p, d2));
	ASSERT_OK(uvfio_ioctl(p, g2, VFIO_GROUP_UNSET_CONTAINER));
	/* One group is still attached: the mapping survives. */
	ASSERT_EQ(dma_avail(p, e.container), 65534);
	ASSERT_OK(uvfio_close(p, g2));
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
	anon_free(buf, PAGE_SZ);
}

/*
 * §5.5/§9.10: unbinding the last device of a group with only the group fd open
 * does not wait for it; the fd is orphaned and answers ENODEV.
 */
TEST(group, orphaned_after_last_device_unbound_enodev)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_group_status st = { .argsz = sizeof(st) };
	int c, g;

	bind_vfio(w, EDU_BDF);
	c = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);
	ASSERT_OK(c);
	g = uvfio_open(p, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g);
	ASSERT_OK(uvfio_ioctl(p, g, VFIO_GROUP_SET_CONTAINER, &c));
	ASSERT_OK(uvfio_ioctl(p, c, VFIO_SET_IOMMU, (unsigned long)VFIO_TYPE1v2_IOMMU));
	unbind_device(w, EDU_BDF);
	ASSERT_ERRNO(uvfio_ioctl(p, g, VFIO_GROUP_GET_STATUS, &st), ENODEV);
	ASSERT_ERRNO(uvfio_ioctl(p, g, VFIO_GROUP_SET_CONTAINER, &c), ENODEV);
	ASSERT_ERRNO(uvfio_open(p, "/dev/vfio/1", O_RDWR), ENOENT);
	/* The group was detached synchronously: the container lost its backend. */
	ASSERT_EQ(uvfio_ioctl(p, c, VFIO_CHECK_EXTENSION, (unsigned long)VFIO_UPDATE_VADDR), 0);
	ASSERT_OK(uvfio_close(p, g));
	ASSERT_OK(uvfio_close(p, c));
	/* A rebind makes a fresh group usable. */
	bind_vfio(w, EDU_BDF);
	g = uvfio_open(p, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g);
	ASSERT_EQ(group_status(p, g), VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_OK(uvfio_close(p, g));
	uvfio_proc_free(p);
	world_free(w);
}

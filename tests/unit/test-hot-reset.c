// SPDX-License-Identifier: MIT
/*
 * Resets: VFIO_DEVICE_RESET, GET_PCI_HOT_RESET_INFO and PCI_HOT_RESET with
 * group fds as proof of ownership. Digest §3.5, §9.18; oracle
 * tests/oracle/{e1000,edu}.txt: neither edu nor e1000 has a function reset
 * (DEVICE_RESET is EINVAL and GET_INFO has no RESET flag); the two NICs share
 * bus 1 behind the PCIe-PCI bridge, so a bus reset covers both; edu sits on
 * the root bus where no bus reset exists (ENODEV).
 */
#include "common.h"

#include <stddef.h>
#include <stdlib.h>
#include <string.h>

/*
 * The uAPI structs end in flexible arrays; these spell out the same layout
 * with room for a few entries.
 */
struct hot_reset_info {
	struct {
		uint32_t argsz, flags, count;
	} hdr;
	struct vfio_pci_dependent_device devices[8];
};

struct hot_reset {
	struct {
		uint32_t argsz, flags, count;
	} hdr;
	int32_t fds[4];
};

_Static_assert(offsetof(struct hot_reset_info, devices) ==
		       offsetof(struct vfio_pci_hot_reset_info, devices),
	       "hot reset info layout");
_Static_assert(offsetof(struct hot_reset, fds) == offsetof(struct vfio_pci_hot_reset, group_fds),
	       "hot reset layout");

static int hot_reset(struct vfio_env *e, int dev, const int32_t *fds, uint32_t count)
{
	struct hot_reset r;

	memset(&r, 0, sizeof(r));
	r.hdr.argsz = (uint32_t)(sizeof(r.hdr) + count * sizeof(int32_t));
	r.hdr.count = count;
	if (count)
		memcpy(r.fds, fds, count * sizeof(int32_t));
	return uvfio_ioctl(e->p, dev, VFIO_DEVICE_PCI_HOT_RESET, &r);
}

TEST(hot_reset, info_lists_functions_on_the_bus)
{
	struct vfio_env e;
	struct hot_reset_info info;

	nic_setup(&e);
	memset(&info, 0xa5, sizeof(info));
	info.hdr.argsz = sizeof(info);
	info.hdr.flags = 0;
	ASSERT_OK(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info));
	ASSERT_EQ(info.hdr.flags, 0);
	ASSERT_EQ(info.hdr.count, 2);
	ASSERT_EQ(info.devices[0].group_id, NIC_GROUP);
	ASSERT_EQ(info.devices[0].segment, 0);
	ASSERT_EQ(info.devices[0].bus, 1);
	ASSERT_EQ(info.devices[0].devfn, 0x08);
	ASSERT_EQ(info.devices[1].group_id, NIC_GROUP);
	ASSERT_EQ(info.devices[1].segment, 0);
	ASSERT_EQ(info.devices[1].bus, 1);
	ASSERT_EQ(info.devices[1].devfn, 0x10);
	env_teardown(&e);
}

/* Too small: ENOSPC, with count telling how many entries are needed. */
TEST(hot_reset, info_small_argsz_enospc)
{
	struct vfio_env e;
	struct hot_reset_info info;

	nic_setup(&e);
	for (uint32_t argsz = 12; argsz < 12 + 2 * 8; argsz += 4) {
		memset(&info, 0, sizeof(info));
		info.hdr.argsz = argsz;
		ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info),
			     ENOSPC);
		ASSERT_EQ(info.hdr.count, 2);
	}
	memset(&info, 0, sizeof(info));
	info.hdr.argsz = 12 + 2 * 8;
	ASSERT_OK(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info));
	ASSERT_EQ(info.hdr.count, 2);
	memset(&info, 0, sizeof(info));
	info.hdr.argsz = 8;
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info), EINVAL);
	env_teardown(&e);
}

TEST(hot_reset, with_group_fd)
{
	struct vfio_env e;
	int32_t g;
	int db;

	nic_setup(&e);
	g = e.group;
	ASSERT_OK(hot_reset(&e, e.device, &g, 1));
	ASSERT_EQ(cfg_read32(e.p, e.device, CFG_VENDOR), 0x100e8086);
	/* With both functions open, from either one. */
	db = uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, NIC_B_BDF);
	ASSERT_OK(db);
	ASSERT_OK(hot_reset(&e, e.device, &g, 1));
	ASSERT_OK(hot_reset(&e, db, &g, 1));
	/* The same group twice is still proof enough (count <= affected functions). */
	{
		int32_t two[2] = { g, g };

		ASSERT_OK(hot_reset(&e, db, two, 2));
	}
	/* 6.12 reads the fds without checking argsz against count (oracle "argsz=12"). */
	{
		struct hot_reset r;

		memset(&r, 0, sizeof(r));
		r.hdr.argsz = sizeof(r.hdr);
		r.hdr.count = 1;
		r.fds[0] = g;
		ASSERT_OK(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_PCI_HOT_RESET, &r));
	}
	ASSERT_OK(uvfio_close(e.p, db));
	env_teardown(&e);
}

TEST(hot_reset, without_proof_einval)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e, edu;
	struct hot_reset r;
	int32_t fd;

	bind_vfio(w, EDU_BDF);
	bind_vfio(w, NIC_A_BDF);
	bind_vfio(w, NIC_B_BDF);
	env_open(&e, w, p, NIC_GROUP, NIC_A_BDF, VFIO_TYPE1v2_IOMMU);
	env_open(&edu, w, p, EDU_GROUP, EDU_BDF, VFIO_TYPE1v2_IOMMU);

	ASSERT_ERRNO(hot_reset(&e, e.device, NULL, 0), EINVAL);
	fd = edu.group; /* a group, but not the one owning the NICs */
	ASSERT_ERRNO(hot_reset(&e, e.device, &fd, 1), EINVAL);
	fd = e.device; /* not a group */
	ASSERT_ERRNO(hot_reset(&e, e.device, &fd, 1), EINVAL);
	fd = e.container;
	ASSERT_ERRNO(hot_reset(&e, e.device, &fd, 1), EINVAL);
	fd = -1;
	ASSERT_ERRNO(hot_reset(&e, e.device, &fd, 1), EBADF);
	{
		int32_t three[3] = { e.group, e.group, e.group };

		ASSERT_ERRNO(hot_reset(&e, e.device, three, 3), EINVAL);
	}
	memset(&r, 0, sizeof(r));
	r.hdr.argsz = sizeof(r.hdr) + 4;
	r.hdr.flags = 1;
	r.hdr.count = 1;
	r.fds[0] = e.group;
	ASSERT_ERRNO(uvfio_ioctl(p, e.device, VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL);
	r.hdr.flags = 0;
	r.hdr.argsz = 8; /* < minsz */
	ASSERT_ERRNO(uvfio_ioctl(p, e.device, VFIO_DEVICE_PCI_HOT_RESET, &r), EINVAL);

	env_close(&edu);
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
}

/* Every function the reset hits must be a vfio-pci device of the set (§3.5 step 1). */
TEST(hot_reset, other_function_not_on_vfio_einval)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;
	struct hot_reset_info info;
	int32_t g;

	bind_vfio(w, NIC_A_BDF);
	unbind_device(w, NIC_B_BDF);
	env_open(&e, w, p, NIC_GROUP, NIC_A_BDF, VFIO_TYPE1v2_IOMMU);
	memset(&info, 0, sizeof(info));
	info.hdr.argsz = sizeof(info);
	ASSERT_OK(uvfio_ioctl(p, e.device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info));
	ASSERT_EQ(info.hdr.count, 2);
	g = e.group;
	ASSERT_ERRNO(hot_reset(&e, e.device, &g, 1), EINVAL);
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
}

TEST(hot_reset, edu_on_root_bus_enodev)
{
	struct vfio_env e;
	struct hot_reset_info info;
	int32_t g;

	edu_setup(&e);
	for (uint32_t argsz = 12; argsz <= sizeof(info); argsz += sizeof(info) - 12) {
		memset(&info, 0, sizeof(info));
		info.hdr.argsz = argsz;
		ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, &info),
			     ENODEV);
	}
	g = e.group;
	ASSERT_ERRNO(hot_reset(&e, e.device, &g, 1), ENODEV);
	env_teardown(&e);
}

/* No FLR, no PM reset, and no bus reset for a single function: EINVAL. */
TEST(hot_reset, device_reset_without_method_einval)
{
	struct vfio_env e;
	struct vfio_device_info info = { .argsz = sizeof(info) };

	edu_setup(&e);
	ASSERT_OK(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(info.flags & VFIO_DEVICE_FLAGS_RESET, 0);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_RESET), EINVAL);
	env_teardown(&e);

	nic_setup(&e);
	ASSERT_OK(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(info.flags & VFIO_DEVICE_FLAGS_RESET, 0);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_RESET), EINVAL);
	env_teardown(&e);
}

// SPDX-License-Identifier: MIT
/*
 * Device fd information ioctls: GET_INFO, GET_REGION_INFO, GET_IRQ_INFO.
 * Digest §2.6, §3.1, §3.4; oracle tests/oracle/{edu,e1000}.txt (what 6.12
 * reports for QEMU's edu and e1000: neither has a function reset, both are
 * conventional PCI, so no ERR index).
 */
#include "common.h"

#include <string.h>

TEST(device, get_info_edu)
{
	struct vfio_env e;
	unsigned char buf[64], fill[64];
	struct vfio_device_info *info = (void *)buf;

	edu_setup(&e);
	memset(fill, 0xa5, sizeof(fill));

	memset(buf, 0xa5, sizeof(buf));
	info->argsz = sizeof(buf);
	ASSERT_OK(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_INFO, info));
	ASSERT_EQ(info->argsz, sizeof(buf));
	ASSERT_EQ(info->flags, VFIO_DEVICE_FLAGS_PCI);
	ASSERT_EQ(info->num_regions, VFIO_PCI_NUM_REGIONS);
	ASSERT_EQ(info->num_irqs, VFIO_PCI_NUM_IRQS);
	ASSERT_EQ(info->cap_offset, 0);
	ASSERT_MEMEQ(buf + 24, fill, sizeof(buf) - 24);

	/* minsz is 16: the cap_offset field is optional. */
	memset(buf, 0xa5, sizeof(buf));
	info->argsz = 16;
	ASSERT_OK(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_INFO, info));
	ASSERT_EQ(info->argsz, 16);
	ASSERT_EQ(info->num_regions, 9);
	ASSERT_EQ(info->num_irqs, 5);
	ASSERT_MEMEQ(buf + 16, fill, sizeof(buf) - 16);

	memset(buf, 0xa5, sizeof(buf));
	info->argsz = 12;
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_INFO, info), EINVAL);
	env_teardown(&e);
}

TEST(device, get_info_e1000)
{
	struct vfio_env e;
	struct vfio_device_info info = { .argsz = sizeof(info) };

	nic_setup(&e);
	ASSERT_OK(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(info.flags, VFIO_DEVICE_FLAGS_PCI);
	ASSERT_EQ(info.num_regions, 9);
	ASSERT_EQ(info.num_irqs, 5);
	env_teardown(&e);
}

TEST(device, unknown_ioctl_enotty)
{
	struct vfio_env e;

	edu_setup(&e);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, _IO(VFIO_TYPE, VFIO_BASE + 50)), ENOTTY);
	env_teardown(&e);
}

static void expect_region(struct vfio_env *e, uint32_t index, uint64_t size, uint32_t flags)
{
	struct vfio_region_info ri;

	region_info(e->p, e->device, index, &ri);
	if (ri.size != size || ri.flags != flags || ri.offset != (uint64_t)index << 40)
		FAIL("region %u: size 0x%llx flags 0x%x offset 0x%llx, want 0x%llx 0x%x 0x%llx",
		     index, (unsigned long long)ri.size, ri.flags, (unsigned long long)ri.offset,
		     (unsigned long long)size, flags, (unsigned long long)index << 40);
	ASSERT_EQ(ri.argsz, sizeof(ri));
	ASSERT_EQ(ri.index, index);
}

#define RW (VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE)
#define RWM (RW | VFIO_REGION_INFO_FLAG_MMAP)

TEST(device, region_info_edu)
{
	struct vfio_env e;

	edu_setup(&e);
	expect_region(&e, VFIO_PCI_BAR0_REGION_INDEX, 1 << 20, RWM);
	for (uint32_t i = VFIO_PCI_BAR1_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++)
		expect_region(&e, i, 0, 0);
	expect_region(&e, VFIO_PCI_ROM_REGION_INDEX, 0, 0); /* edu has no ROM */
	expect_region(&e, VFIO_PCI_CONFIG_REGION_INDEX, 256, RW);
	env_teardown(&e);
}

TEST(device, region_info_e1000)
{
	struct vfio_env e;

	nic_setup(&e);
	expect_region(&e, VFIO_PCI_BAR0_REGION_INDEX, 128 << 10, RWM);
	/* An I/O port BAR is never mmappable. */
	expect_region(&e, VFIO_PCI_BAR1_REGION_INDEX, 64, RW);
	for (uint32_t i = VFIO_PCI_BAR2_REGION_INDEX; i <= VFIO_PCI_BAR5_REGION_INDEX; i++)
		expect_region(&e, i, 0, 0);
	expect_region(&e, VFIO_PCI_ROM_REGION_INDEX, 256 << 10, VFIO_REGION_INFO_FLAG_READ);
	expect_region(&e, VFIO_PCI_CONFIG_REGION_INDEX, 256, RW);
	env_teardown(&e);
}

/* VGA on a non-VGA device is EINVAL, not size 0 (§3.1); so is any index past it. */
TEST(device, region_info_bad_index_einval)
{
	static const uint32_t bad[] = { VFIO_PCI_VGA_REGION_INDEX, VFIO_PCI_NUM_REGIONS, 100,
					0xffffffffu };
	struct vfio_env e;
	unsigned char buf[32], fill[32];
	struct vfio_region_info *ri = (void *)buf;

	edu_setup(&e);
	memset(fill, 0xa5, sizeof(fill));
	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		memset(buf, 0xa5, sizeof(buf));
		ri->argsz = sizeof(*ri);
		ri->flags = 0;
		ri->index = bad[i];
		ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_REGION_INFO, ri), EINVAL);
		ASSERT_MEMEQ(buf + 16, fill, 16); /* nothing copied back */
	}
	memset(buf, 0, sizeof(buf));
	ri->argsz = 16;
	ri->index = 0;
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_REGION_INFO, ri), EINVAL);
	env_teardown(&e);
}

static void expect_irq(struct vfio_env *e, uint32_t index, uint32_t flags, uint32_t count)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = index };

	ASSERT_OK(uvfio_ioctl(e->p, e->device, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	if (ii.flags != flags || ii.count != count)
		FAIL("irq %u: flags 0x%x count %u, want 0x%x %u", index, ii.flags, ii.count, flags,
		     count);
}

#define INTX_FLAGS (VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED)
#define NORESIZE_FLAGS (VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE)

static void expect_irq_einval(struct vfio_env *e, uint32_t index)
{
	struct vfio_irq_info ii = { .argsz = sizeof(ii), .index = index };

	ASSERT_ERRNO(uvfio_ioctl(e->p, e->device, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL);
}

TEST(device, irq_info_edu)
{
	struct vfio_env e;
	struct vfio_irq_info ii = { .argsz = 12, .index = 0 };

	edu_setup(&e);
	expect_irq(&e, VFIO_PCI_INTX_IRQ_INDEX, INTX_FLAGS, 1);
	expect_irq(&e, VFIO_PCI_MSI_IRQ_INDEX, NORESIZE_FLAGS, 1);
	expect_irq(&e, VFIO_PCI_MSIX_IRQ_INDEX, NORESIZE_FLAGS, 0);
	expect_irq_einval(&e, VFIO_PCI_ERR_IRQ_INDEX); /* conventional PCI */
	expect_irq(&e, VFIO_PCI_REQ_IRQ_INDEX, NORESIZE_FLAGS, 1);
	expect_irq_einval(&e, VFIO_PCI_NUM_IRQS);
	expect_irq_einval(&e, 1000);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL);
	env_teardown(&e);
}

TEST(device, irq_info_e1000)
{
	struct vfio_env e;

	nic_setup(&e);
	expect_irq(&e, VFIO_PCI_INTX_IRQ_INDEX, INTX_FLAGS, 1);
	expect_irq(&e, VFIO_PCI_MSI_IRQ_INDEX, NORESIZE_FLAGS, 0); /* no MSI capability */
	expect_irq(&e, VFIO_PCI_MSIX_IRQ_INDEX, NORESIZE_FLAGS, 0);
	expect_irq_einval(&e, VFIO_PCI_ERR_IRQ_INDEX);
	expect_irq(&e, VFIO_PCI_REQ_IRQ_INDEX, NORESIZE_FLAGS, 1);
	expect_irq_einval(&e, VFIO_PCI_NUM_IRQS);
	env_teardown(&e);
}

TEST(device, irq_info_argsz_64)
{
	struct vfio_env e;
	struct {
		struct vfio_irq_info ii;
		char pad[48];
	} big;

	edu_setup(&e);
	memset(&big, 0, sizeof(big));
	big.ii.argsz = sizeof(big);
	big.ii.index = VFIO_PCI_INTX_IRQ_INDEX;
	ASSERT_OK(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_IRQ_INFO, &big));
	ASSERT_EQ(big.ii.flags, INTX_FLAGS);
	ASSERT_EQ(big.ii.count, 1);
	env_teardown(&e);
}

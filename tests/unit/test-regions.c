// SPDX-License-Identifier: MIT
/*
 * Region access through the device fd: config space (virtualized) and BARs.
 * Digest §2.8, §3.1, §3.2, §3.6, §9 (12, 13, 19); oracle
 * tests/oracle/{edu,e1000,misc}.txt.
 */
#include "common.h"

#include <string.h>

#define CFG(off) ((off_t)(((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40) + (off)))

TEST(regions, config_header_edu)
{
	struct vfio_env e;
	unsigned char hdr[64];

	edu_setup(&e);
	ASSERT_EQ(uvfio_pread(e.p, e.device, hdr, sizeof(hdr),
			      (off_t)region_offset(e.p, e.device, VFIO_PCI_CONFIG_REGION_INDEX)),
		  sizeof(hdr));
	ASSERT_EQ(hdr[0] | hdr[1] << 8, 0x1234);
	ASSERT_EQ(hdr[2] | hdr[3] << 8, 0x11e8);
	ASSERT_EQ(hdr[6] & 0x10, 0x10); /* capability list */
	ASSERT_EQ(hdr[8], 0x10); /* revision */
	ASSERT_EQ(hdr[9] | hdr[10] << 8 | hdr[11] << 16, 0x00ff00);
	ASSERT_EQ(hdr[14], 0); /* normal header */
	ASSERT_EQ(cfg_read32(e.p, e.device, CFG_BAR0), 0xfe800000);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x2c), 0x11001af4); /* subsystem */
	ASSERT_EQ(hdr[0x34], 0x40); /* MSI capability */
	ASSERT_EQ(hdr[0x3d], 1); /* INTA# */
	ASSERT_EQ(cfg_read8(e.p, e.device, 0x40), 0x05);
	env_teardown(&e);
}

/* Any alignment and length works inside config space (split into aligned pieces). */
TEST(regions, config_unaligned_reads)
{
	struct vfio_env e;
	unsigned char all[256], b[8];

	edu_setup(&e);
	ASSERT_EQ(uvfio_pread(e.p, e.device, all, sizeof(all), CFG(0)), 256);
	ASSERT_EQ(uvfio_pread(e.p, e.device, b, 2, CFG(1)), 2);
	ASSERT_MEMEQ(b, all + 1, 2);
	ASSERT_EQ(uvfio_pread(e.p, e.device, b, 4, CFG(2)), 4);
	ASSERT_MEMEQ(b, all + 2, 4);
	ASSERT_EQ(uvfio_pread(e.p, e.device, b, 3, CFG(0)), 3);
	ASSERT_MEMEQ(b, all, 3);
	ASSERT_EQ(uvfio_pread(e.p, e.device, b, 8, CFG(0)), 8);
	ASSERT_MEMEQ(b, all, 8);
	ASSERT_EQ(uvfio_pread(e.p, e.device, b, 1, CFG(255)), 1);
	ASSERT_EQ(b[0], all[255]);
	env_teardown(&e);
}

/* Beyond the config size is EFAULT (vfio_pci_config_rw), for reads and writes. */
TEST(regions, config_beyond_size_efault)
{
	struct vfio_env e;
	unsigned char b[4096];

	edu_setup(&e);
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, b, 4, CFG(256)), EFAULT);
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, b, 8, CFG(252)), EFAULT);
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, b, 1, CFG(4095)), EFAULT);
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, b, 1, CFG(4096)), EFAULT);
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, b, 4096, CFG(0)), EFAULT);
	memset(b, 0, 4);
	ASSERT_ERRNO(uvfio_pwrite(e.p, e.device, b, 4, CFG(256)), EFAULT);
	env_teardown(&e);
}

TEST(regions, zero_length_access_returns_0)
{
	struct vfio_env e;
	unsigned char b[4];

	edu_setup(&e);
	ASSERT_EQ(uvfio_pread(e.p, e.device, b, 0, CFG(0)), 0);
	ASSERT_EQ(uvfio_pread(e.p, e.device, b, 0, 0), 0);
	env_teardown(&e);
}

TEST(regions, bar0_edu_id)
{
	struct vfio_env e;

	edu_setup(&e);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_ID), 0x010000ed);
	env_teardown(&e);
}

TEST(regions, bar0_liveness_round_trip)
{
	struct vfio_env e;

	edu_setup(&e);
	bar0_write32(e.p, e.device, EDU_LIVENESS, 0x12345678);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_LIVENESS), 0xedcba987);
	bar0_write32(e.p, e.device, EDU_LIVENESS, 0);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_LIVENESS), 0xffffffff);
	env_teardown(&e);
}

/* read(2)/write(2) use and advance the file position. */
TEST(regions, read_advances_file_position)
{
	struct vfio_env e;
	uint32_t v = 0;

	edu_setup(&e);
	bar0_write32(e.p, e.device, EDU_LIVENESS, 0x12345678);
	ASSERT_EQ(uvfio_read(e.p, e.device, &v, 4), 4);
	ASSERT_EQ(v, 0x010000ed);
	ASSERT_EQ(uvfio_read(e.p, e.device, &v, 4), 4);
	ASSERT_EQ(v, 0xedcba987);
	env_teardown(&e);
}

/* Past the end: EINVAL; straddling the end: a short access (oracle edu.txt). */
TEST(regions, bar0_beyond_region)
{
	struct vfio_env e;
	unsigned char b[8];

	edu_setup(&e);
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, b, 4, 0x100000), EINVAL);
	ASSERT_EQ(uvfio_pread(e.p, e.device, b, 8, 0xffffc), 4);
	env_teardown(&e);
}

TEST(regions, unimplemented_regions_einval)
{
	struct vfio_env e;
	unsigned char b[4];

	edu_setup(&e);
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, b, 4, (off_t)(1ull << 40)), EINVAL); /* BAR1 */
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, b, 4, (off_t)(6ull << 40)), EINVAL); /* no ROM */
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, b, 4, (off_t)(8ull << 40)), EINVAL); /* VGA */
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, b, 4, (off_t)(9ull << 40)), EINVAL);
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, b, 4, (off_t)(100ull << 40)), EINVAL);
	env_teardown(&e);
}

/* §3.6/§9.19: no BAR access while memory decode is off in the (virtual) command register. */
TEST(regions, bar_access_memory_disabled_eio)
{
	struct vfio_env e;
	uint32_t v = 0x12345678;

	edu_setup(&e);
	cmd_set(e.p, e.device, CMD_MEM, false);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_COMMAND) & CMD_MEM, 0);
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, &v, 4, 0), EIO);
	ASSERT_ERRNO(uvfio_pwrite(e.p, e.device, &v, 4, EDU_LIVENESS), EIO);
	cmd_set(e.p, e.device, CMD_MEM, true);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_ID), 0x010000ed);
	/* The write that failed never reached the device. */
	ASSERT_NE(bar0_read32(e.p, e.device, EDU_LIVENESS), 0xedcba987);
	env_teardown(&e);
}

/* Command register: INTx-disable and SERR writable, others as the device has them. */
TEST(regions, command_register_writes)
{
	struct vfio_env e;

	edu_setup(&e);
	cfg_write16(e.p, e.device, CFG_COMMAND, 0x0006);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_COMMAND), 0x0006);
	cfg_write16(e.p, e.device, CFG_COMMAND, 0xffff);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_COMMAND), 0x0507);
	cfg_write16(e.p, e.device, CFG_COMMAND, 0x0000);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_COMMAND), 0x0000);
	env_teardown(&e);
}

static uint32_t size_bar(struct vfio_env *e, unsigned int off, uint32_t probe)
{
	uint32_t orig = cfg_read32(e->p, e->device, off), sized;

	cfg_write32(e->p, e->device, off, probe);
	sized = cfg_read32(e->p, e->device, off);
	cfg_write32(e->p, e->device, off, orig);
	ASSERT_EQ(cfg_read32(e->p, e->device, off), orig);
	return sized;
}

/* BAR sizing is emulated on the virtual BARs (§3.2; oracle "BAR sizing"). */
TEST(regions, bar_sizing_edu)
{
	struct vfio_env e;

	edu_setup(&e);
	ASSERT_EQ(cfg_read32(e.p, e.device, CFG_BAR0), 0xfe800000);
	ASSERT_EQ(size_bar(&e, CFG_BAR0, 0xffffffff), 0xfff00000);
	for (unsigned int off = 0x14; off <= 0x24; off += 4)
		ASSERT_EQ(size_bar(&e, off, 0xffffffff), 0);
	ASSERT_EQ(size_bar(&e, CFG_ROM, 0xfffff801), 0);
	env_teardown(&e);
}

TEST(regions, bar_sizing_e1000)
{
	struct vfio_env e;

	nic_setup(&e);
	ASSERT_EQ(cfg_read32(e.p, e.device, CFG_BAR0), 0xfe680000);
	ASSERT_EQ(size_bar(&e, CFG_BAR0, 0xffffffff), 0xfffe0000);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x14), 0x0000c001);
	ASSERT_EQ(size_bar(&e, 0x14, 0xffffffff), 0xffffffc1);
	for (unsigned int off = 0x18; off <= 0x24; off += 4)
		ASSERT_EQ(size_bar(&e, off, 0xffffffff), 0);
	ASSERT_EQ(cfg_read32(e.p, e.device, CFG_ROM), 0xfe600000);
	ASSERT_EQ(size_bar(&e, CFG_ROM, 0xfffff801), 0xfffc0001);
	env_teardown(&e);
}

/* Field permissions of the standard header and the MSI capability (oracle edu.txt). */
TEST(regions, config_field_writes)
{
	struct vfio_env e;

	edu_setup(&e);
	cfg_write32(e.p, e.device, CFG_VENDOR, 0xffffffff);
	ASSERT_EQ(cfg_read32(e.p, e.device, CFG_VENDOR), 0x11e81234);
	cfg_write8(e.p, e.device, CFG_INT_LINE, 0x55);
	ASSERT_EQ(cfg_read8(e.p, e.device, CFG_INT_LINE), 0x55);
	cfg_write8(e.p, e.device, CFG_INT_PIN, 0x04);
	ASSERT_EQ(cfg_read8(e.p, e.device, CFG_INT_PIN), 0x01);
	cfg_write8(e.p, e.device, 0x0c, 0x10);
	ASSERT_EQ(cfg_read8(e.p, e.device, 0x0c), 0x10);
	cfg_write16(e.p, e.device, CFG_STATUS, 0xffff);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_STATUS), 0x0010);
	/* MSI: address and data virtualized and writable. */
	cfg_write32(e.p, e.device, 0x44, 0xffffffff);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x44), 0xffffffff);
	cfg_write16(e.p, e.device, 0x4c, 0xffff);
	ASSERT_EQ(cfg_read16(e.p, e.device, 0x4c), 0xffff);
	env_teardown(&e);
}

TEST(regions, e1000_io_bar_and_rom)
{
	struct vfio_env e;
	uint32_t v = 0;

	nic_setup(&e);
	ASSERT_EQ(uvfio_pread(e.p, e.device, &v, 4,
			      (off_t)region_offset(e.p, e.device, VFIO_PCI_BAR1_REGION_INDEX)),
		  4);
	ASSERT_EQ(uvfio_pread(e.p, e.device, &v, 4, (off_t)(6ull << 40)), 4);
	ASSERT_EQ(v, 0xe993aa55);
	ASSERT_EQ(uvfio_pread(e.p, e.device, &v, 4, (off_t)((6ull << 40) + 0x3fffc)), 4);
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, &v, 4, (off_t)((6ull << 40) + 0x40000)), EINVAL);
	ASSERT_ERRNO(uvfio_pwrite(e.p, e.device, &v, 4, (off_t)(6ull << 40)), EINVAL);
	env_teardown(&e);
}

/*
 * Kernel facts §2: the MSI flags' low byte is virtual and writable as a whole
 * (0xffff reads 0x008e: enable cleared, QSIZE forced to 0), unlike what the
 * digest says about MMC.
 */
TEST(regions, msi_flags_write)
{
	struct vfio_env e;

	edu_setup(&e);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x40), 0x00800005);
	cfg_write16(e.p, e.device, 0x42, 0xffff);
	ASSERT_EQ(cfg_read16(e.p, e.device, 0x42), 0x008e);
	env_teardown(&e);
}

/*
 * A fresh open shows the device as the firmware left it; the last close
 * restores the saved state, except bytes outside any capability, which are
 * raw device registers (kernel facts §2, §6.10).
 */
TEST(regions, config_restored_after_last_close)
{
	struct vfio_env e;

	edu_setup(&e);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_COMMAND), 0x0103);
	ASSERT_EQ(cfg_read8(e.p, e.device, CFG_INT_LINE), 0x0b);
	cfg_write16(e.p, e.device, CFG_COMMAND, 0x0006);
	cfg_write8(e.p, e.device, CFG_INT_LINE, 0x55);
	cfg_write8(e.p, e.device, 0x0c, 0x10);
	cfg_write32(e.p, e.device, 0x44, 0xffffffff);
	cfg_write32(e.p, e.device, 0x80, 0xffffffff);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x80), 0xffffffff);
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	ASSERT_OK(e.device);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_COMMAND), 0x0103);
	ASSERT_EQ(cfg_read8(e.p, e.device, CFG_INT_LINE), 0x0b);
	ASSERT_EQ(cfg_read8(e.p, e.device, 0x0c), 0);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x40), 0x00800005);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x44), 0);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x80), 0xffffffff);
	env_teardown(&e);
}

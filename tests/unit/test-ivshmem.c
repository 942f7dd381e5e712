// SPDX-License-Identifier: MIT
/*
 * ivshmem-plain and edu's dma_size through the uAPI in-process: the model's
 * registers (4-byte registers reached by any width, read-to-clear status,
 * INTx from status & mask), its RAM BAR (bytes kept across a reset, the same
 * through pread and pwrite), and the machine parameters' checks. The mmap of
 * these pages by a program is tests/dma (through the daemon and the shim).
 */
#include "common.h"

#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define IV_BDF "0000:00:06.0"

static const char machine_text[] = "device 0000:00:00.0 q35-host\n"
				   "device 0000:00:03.0 edu dma_size=64K\n"
				   "device 0000:00:06.0 ivshmem-plain size=64K\n";

static struct uvfio_world *world_from(const char *text, char *err, size_t errlen)
{
	struct uvfio_machine *m = NULL;
	struct uvfio_world *w = NULL;

	if (uvfio_machine_parse(text, "t", &m, err, errlen))
		return NULL;
	if (uvfio_world_create(m, &w, err, errlen))
		w = NULL;
	uvfio_machine_free(m);
	return w;
}

static void iv_setup(struct vfio_env *e)
{
	char err[256] = "";

	e->w = world_from(machine_text, err, sizeof(err));
	if (!e->w)
		FAIL("world: %s", err);
	bind_vfio(e->w, IV_BDF);
	e->p = uvfio_proc_new(e->w, NULL);
	ASSERT_TRUE(e->p);
	env_open(e, e->w, e->p, iommu_group_of(e->w, IV_BDF), IV_BDF, VFIO_TYPE1v2_IOMMU);
	cmd_set(e->p, e->device, CMD_MEM, true);
}

static void iv_teardown(struct vfio_env *e)
{
	env_close(e);
	uvfio_proc_free(e->p);
	uvfio_world_destroy(e->w);
}

static ssize_t region_rw(struct vfio_env *e, unsigned int index, void *buf, size_t n, uint64_t off,
			 bool write)
{
	uint64_t base = region_offset(e->p, e->device, index);

	return write ? uvfio_pwrite(e->p, e->device, buf, n, (off_t)(base + off)) :
		       uvfio_pread(e->p, e->device, buf, n, (off_t)(base + off));
}

TEST(ivshmem, config_and_regions)
{
	struct vfio_env e;
	struct vfio_region_info ri;

	iv_setup(&e);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_VENDOR), 0x1af4);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_DEVICE), 0x1110);
	ASSERT_EQ(cfg_read8(e.p, e.device, CFG_REVISION), 1);
	ASSERT_EQ(cfg_read32(e.p, e.device, CFG_REVISION) >> 8, 0x050000);
	ASSERT_EQ(cfg_read8(e.p, e.device, CFG_INT_PIN), 1);
	region_info(e.p, e.device, VFIO_PCI_BAR0_REGION_INDEX, &ri);
	ASSERT_EQ(ri.size, 256);
	region_info(e.p, e.device, VFIO_PCI_BAR2_REGION_INDEX, &ri);
	ASSERT_EQ(ri.size, 65536);
	ASSERT_TRUE(ri.flags & VFIO_REGION_INFO_FLAG_MMAP);
	iv_teardown(&e);
}

TEST(ivshmem, ram_bar_survives_reopen)
{
	struct vfio_env e;
	char buf[32];

	iv_setup(&e);
	char msg[] = "plain memory";

	/* A transfer is cut at the end of the BAR, as vfio_pci_bar_rw does. */
	ASSERT_EQ(region_rw(&e, VFIO_PCI_BAR2_REGION_INDEX, msg, 13, 0xfff8, true), 8);
	ASSERT_EQ(region_rw(&e, VFIO_PCI_BAR2_REGION_INDEX, msg, 13, 0xfff0, true), 13);
	/* A conventional function with no FLR or PM reset: vfio-pci has no reset to offer. */
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_RESET), EINVAL);
	/* Close and open the device again (vfio-pci tries its resets on the way). */
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, IV_BDF);
	ASSERT_TRUE(e.device >= 0);
	cmd_set(e.p, e.device, CMD_MEM, true);
	ASSERT_EQ(region_rw(&e, VFIO_PCI_BAR2_REGION_INDEX, buf, 13, 0xfff0, false), 13);
	ASSERT_STREQ(buf, "plain memory");
	iv_teardown(&e);
}

TEST(ivshmem, registers_any_width)
{
	struct vfio_env e;
	uint8_t b;
	uint64_t q;

	iv_setup(&e);
	bar0_write32(e.p, e.device, 0x00, 0xa5a5a5a5);
	ASSERT_EQ(bar0_read32(e.p, e.device, 0x00), 0xa5a5a5a5);
	/* A 1-byte write reaches the whole register, shifted: the other bytes become 0. */
	b = 0x3c;
	ASSERT_EQ(region_rw(&e, VFIO_PCI_BAR0_REGION_INDEX, &b, 1, 0x01, true), 1);
	ASSERT_EQ(bar0_read32(e.p, e.device, 0x00), 0x3c00);
	/* A 1-byte read of the status register returns one byte and clears all of it. */
	bar0_write32(e.p, e.device, 0x04, 0x1234);
	ASSERT_EQ(region_rw(&e, VFIO_PCI_BAR0_REGION_INDEX, &b, 1, 0x05, false), 1);
	ASSERT_EQ(b, 0x12);
	ASSERT_EQ(bar0_read32(e.p, e.device, 0x04), 0);
	/* 8 bytes: mask and status together; IV position is 0. */
	bar0_write32(e.p, e.device, 0x04, 0x77);
	ASSERT_EQ(region_rw(&e, VFIO_PCI_BAR0_REGION_INDEX, &q, 8, 0x00, false), 8);
	ASSERT_EQ(q, 0x77ull << 32 | 0x3c00);
	ASSERT_EQ(bar0_read32(e.p, e.device, 0x08), 0);
	iv_teardown(&e);
}

TEST(ivshmem, intx_from_status_and_mask)
{
	struct vfio_env e;
	int efd;

	iv_setup(&e);
	efd = efd_new();
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, efd));
	bar0_write32(e.p, e.device, 0x04, 1); /* status without mask: no interrupt */
	efd_assert_quiet(e.w, efd);
	bar0_write32(e.p, e.device, 0x00, 1);
	ASSERT_EQ(efd_wait(e.w, efd, 2000), 1);
	ASSERT_EQ(bar0_read32(e.p, e.device, 0x04), 1); /* the read clears the cause */
	ASSERT_EQ(bar0_read32(e.p, e.device, 0x04), 0);
	close(efd);
	iv_teardown(&e);
}

TEST(ivshmem, edu_dma_size_moves_64k_at_once)
{
	struct vfio_env e;
	char err[256] = "";
	unsigned char *buf = anon_alloc(2 * 65536);

	e.w = world_from(machine_text, err, sizeof(err));
	if (!e.w)
		FAIL("world: %s", err);
	bind_vfio(e.w, EDU_BDF);
	e.p = uvfio_proc_new(e.w, NULL);
	env_open(&e, e.w, e.p, iommu_group_of(e.w, EDU_BDF), EDU_BDF, VFIO_TYPE1v2_IOMMU);
	for (size_t i = 0; i < 65536; i++)
		buf[i] = (unsigned char)(i * 13 + (i >> 8));
	memset(buf + 65536, 0, 65536);
	ASSERT_OK(dma_map(e.p, e.container, 0x100000, buf, 2 * 65536,
			  VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	cmd_set(e.p, e.device, CMD_MEM | CMD_MASTER, true);
	edu_dma(e.w, e.p, e.device, 0x100000, EDU_DMA_BUF, 65536, 0);
	edu_dma(e.w, e.p, e.device, EDU_DMA_BUF, 0x100000 + 65536, 65536, EDU_DMA_TO_RAM);
	ASSERT_MEMEQ(buf + 65536, buf, 65536);
	iv_teardown(&e);
	anon_free(buf, 2 * 65536);
}

TEST(ivshmem, bad_parameters)
{
	static const char *const bad[] = {
		"device 0000:00:06.0 ivshmem-plain size=3000\n",
		"device 0000:00:06.0 ivshmem-plain size=1K\n",
		"device 0000:00:06.0 ivshmem-plain size=8G\n",
		"device 0000:00:03.0 edu dma_size=1K\n",
		"device 0000:00:03.0 edu dma_size=128M\n",
		"device 0000:00:03.0 edu dma_size=2X\n",
	};
	char err[256];

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++) {
		struct uvfio_world *w = world_from(bad[i], err, sizeof(err));

		if (w)
			FAIL("accepted: %s", bad[i]);
		ASSERT_TRUE(strstr(err, "t:1:"));
	}
}

// SPDX-License-Identifier: MIT
/*
 * The whole driver flow of a userspace edu driver through the uAPI: map
 * memory for DMA, enable bus mastering, program the device through BAR0,
 * take its interrupts through eventfds. Digest §2.4, §3.4, §9 (16, 17); the
 * device is QEMU's edu (docs/specs/edu.rst): DMA engine at 0x80..0x98 with
 * a 4 KiB buffer at device address 0x40000, interrupts raised at 0x60.
 */
#include "common.h"

#include <string.h>
#include <unistd.h>

#define IOVA 0x100000ull
#define LEN 1024u

static void fill_pattern(unsigned char *b, size_t n, unsigned int seed)
{
	for (size_t i = 0; i < n; i++)
		b[i] = (unsigned char)(i * 7 + seed);
}

/* RAM -> edu -> RAM through two mappings. */
TEST(edu, dma_round_trip)
{
	struct vfio_env e;
	unsigned char *buf = anon_alloc(2 * PAGE_SZ);

	edu_setup(&e);
	fill_pattern(buf, LEN, 1);
	memset(buf + PAGE_SZ, 0, PAGE_SZ);
	ASSERT_OK(dma_map(e.p, e.container, IOVA, buf, 2 * PAGE_SZ,
			  VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE));
	cmd_set(e.p, e.device, CMD_MEM | CMD_MASTER, true);

	edu_dma(e.w, e.p, e.device, IOVA, EDU_DMA_BUF, LEN, 0);
	edu_dma(e.w, e.p, e.device, EDU_DMA_BUF, IOVA + PAGE_SZ, LEN, EDU_DMA_TO_RAM);
	ASSERT_MEMEQ(buf + PAGE_SZ, buf, LEN);

	/* A second round with other data and an offset inside the device buffer. */
	fill_pattern(buf, LEN, 99);
	edu_dma(e.w, e.p, e.device, IOVA, EDU_DMA_BUF + 2048, LEN, 0);
	edu_dma(e.w, e.p, e.device, EDU_DMA_BUF + 2048, IOVA + PAGE_SZ + 16, LEN, EDU_DMA_TO_RAM);
	ASSERT_MEMEQ(buf + PAGE_SZ + 16, buf, LEN);
	env_teardown(&e);
	anon_free(buf, 2 * PAGE_SZ);
}

/* A READ-only mapping (device may only read): the device cannot write through it. */
TEST(edu, dma_write_to_read_only_mapping_fails)
{
	struct vfio_env e;
	unsigned char *src = anon_alloc(PAGE_SZ), *dst = anon_alloc(PAGE_SZ);
	unsigned char zero[LEN];

	edu_setup(&e);
	fill_pattern(src, LEN, 3);
	memset(dst, 0, PAGE_SZ);
	memset(zero, 0, sizeof(zero));
	ASSERT_OK(dma_map(e.p, e.container, IOVA, src, PAGE_SZ, VFIO_DMA_MAP_FLAG_READ));
	ASSERT_OK(dma_map(e.p, e.container, IOVA + PAGE_SZ, dst, PAGE_SZ, VFIO_DMA_MAP_FLAG_READ));
	cmd_set(e.p, e.device, CMD_MEM | CMD_MASTER, true);
	/* Reading through a READ mapping works... */
	edu_dma(e.w, e.p, e.device, IOVA, EDU_DMA_BUF, LEN, 0);
	/* ...writing through one is an IOMMU fault: nothing lands in memory. */
	edu_dma(e.w, e.p, e.device, EDU_DMA_BUF, IOVA + PAGE_SZ, LEN, EDU_DMA_TO_RAM);
	ASSERT_MEMEQ(dst, zero, LEN);
	env_teardown(&e);
	anon_free(src, PAGE_SZ);
	anon_free(dst, PAGE_SZ);
}

/* §9.17: after UNMAP returns, no device access reaches the old memory. */
TEST(edu, dma_after_unmap_does_not_touch_memory)
{
	struct vfio_env e;
	unsigned char *buf = anon_alloc(2 * PAGE_SZ);
	unsigned char *dst = buf + PAGE_SZ;
	unsigned char zero[LEN];
	uint64_t size = 0;

	edu_setup(&e);
	fill_pattern(buf, LEN, 5);
	memset(dst, 0, PAGE_SZ);
	memset(zero, 0, sizeof(zero));
	ASSERT_OK(dma_map(e.p, e.container, IOVA, buf, 2 * PAGE_SZ, 3));
	cmd_set(e.p, e.device, CMD_MEM | CMD_MASTER, true);
	edu_dma(e.w, e.p, e.device, IOVA, EDU_DMA_BUF, LEN, 0);
	ASSERT_OK(dma_unmap(e.p, e.container, IOVA, 2 * PAGE_SZ, 0, &size));
	ASSERT_EQ(size, 2 * PAGE_SZ);
	edu_dma(e.w, e.p, e.device, EDU_DMA_BUF, IOVA + PAGE_SZ, LEN, EDU_DMA_TO_RAM);
	ASSERT_MEMEQ(dst, zero, LEN);
	/* Mapped again (elsewhere in memory), the same IOVA works again. */
	ASSERT_OK(dma_map(e.p, e.container, IOVA, buf, 2 * PAGE_SZ, 3));
	edu_dma(e.w, e.p, e.device, EDU_DMA_BUF, IOVA + PAGE_SZ, LEN, EDU_DMA_TO_RAM);
	ASSERT_MEMEQ(dst, buf, LEN);
	env_teardown(&e);
	anon_free(buf, 2 * PAGE_SZ);
}

/* vfio-pci clears bus mastering at open: DMA goes nowhere until the driver sets it. */
TEST(edu, dma_without_bus_master_goes_nowhere)
{
	struct vfio_env e;
	unsigned char *buf = anon_alloc(2 * PAGE_SZ);
	unsigned char zero[LEN];

	edu_setup(&e);
	memset(zero, 0, sizeof(zero));
	fill_pattern(buf, LEN, 7);
	memset(buf + PAGE_SZ, 0, PAGE_SZ);
	ASSERT_OK(dma_map(e.p, e.container, IOVA, buf, 2 * PAGE_SZ, 3));
	cmd_set(e.p, e.device, CMD_MEM, true);
	cmd_set(e.p, e.device, CMD_MASTER, false);
	/* Prime the device buffer with the pattern, with bus mastering on. */
	cmd_set(e.p, e.device, CMD_MASTER, true);
	edu_dma(e.w, e.p, e.device, IOVA, EDU_DMA_BUF, LEN, 0);
	cmd_set(e.p, e.device, CMD_MASTER, false);
	edu_dma(e.w, e.p, e.device, EDU_DMA_BUF, IOVA + PAGE_SZ, LEN, EDU_DMA_TO_RAM);
	ASSERT_MEMEQ(buf + PAGE_SZ, zero, LEN);
	cmd_set(e.p, e.device, CMD_MASTER, true);
	edu_dma(e.w, e.p, e.device, EDU_DMA_BUF, IOVA + PAGE_SZ, LEN, EDU_DMA_TO_RAM);
	ASSERT_MEMEQ(buf + PAGE_SZ, buf, LEN);
	env_teardown(&e);
	anon_free(buf, 2 * PAGE_SZ);
}

TEST(edu, intx_interrupt)
{
	struct vfio_env e;
	int fd = efd_new();

	edu_setup(&e);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, fd));
	bar0_write32(e.p, e.device, EDU_IRQ_RAISE, 0x1234);
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_IRQ_STATUS), 0x1234);
	bar0_write32(e.p, e.device, EDU_IRQ_ACK, 0x1234);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_IRQ_STATUS), 0);
	ASSERT_OK(irq_none(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 1));
	efd_assert_quiet(e.w, fd);
	env_teardown(&e);
	close(fd);
}

/* MSI: the host enables the capability at SET_IRQS; the device needs bus mastering. */
TEST(edu, msi_interrupt)
{
	struct vfio_env e;
	int fd = efd_new();

	edu_setup(&e);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, fd));
	cmd_set(e.p, e.device, CMD_MEM | CMD_MASTER, true);
	bar0_write32(e.p, e.device, EDU_IRQ_RAISE, 0x1);
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	bar0_write32(e.p, e.device, EDU_IRQ_ACK, 0x1);
	/* Edge-triggered: every raise is a message, no unmask needed. */
	bar0_write32(e.p, e.device, EDU_IRQ_RAISE, 0x2);
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	bar0_write32(e.p, e.device, EDU_IRQ_ACK, 0x2);
	ASSERT_OK(irq_none(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	env_teardown(&e);
	close(fd);
}

TEST(edu, factorial_with_interrupt)
{
	struct vfio_env e;
	int fd = efd_new();

	edu_setup(&e);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, fd));
	bar0_write32(e.p, e.device, EDU_STATUS, EDU_STATUS_IRQFACT);
	bar0_write32(e.p, e.device, EDU_FACTORIAL, 10);
	ASSERT_EQ(efd_wait(e.w, fd, 5000), 1);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_STATUS) & EDU_STATUS_COMPUTING, 0);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_FACTORIAL), 3628800);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_IRQ_STATUS), EDU_IRQ_FACT_DONE);
	bar0_write32(e.p, e.device, EDU_IRQ_ACK, EDU_IRQ_FACT_DONE);
	env_teardown(&e);
	close(fd);
}

TEST(edu, factorial_polled)
{
	struct vfio_env e;

	edu_setup(&e);
	bar0_write32(e.p, e.device, EDU_FACTORIAL, 12);
	ASSERT_TRUE(edu_wait_clear(e.w, e.p, e.device, EDU_STATUS, EDU_STATUS_COMPUTING));
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_FACTORIAL), 479001600);
	env_teardown(&e);
}

TEST(edu, dma_done_msi_interrupt)
{
	struct vfio_env e;
	unsigned char *buf = anon_alloc(PAGE_SZ);
	int fd = efd_new();

	edu_setup(&e);
	fill_pattern(buf, LEN, 11);
	ASSERT_OK(dma_map(e.p, e.container, IOVA, buf, PAGE_SZ, 3));
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, fd));
	cmd_set(e.p, e.device, CMD_MEM | CMD_MASTER, true);
	edu_dma(e.w, e.p, e.device, IOVA, EDU_DMA_BUF, LEN, EDU_DMA_IRQ);
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_IRQ_STATUS), EDU_IRQ_DMA_DONE);
	bar0_write32(e.p, e.device, EDU_IRQ_ACK, EDU_IRQ_DMA_DONE);
	env_teardown(&e);
	close(fd);
	anon_free(buf, PAGE_SZ);
}

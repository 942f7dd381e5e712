// SPDX-License-Identifier: MIT
/*
 * The mtty vendor driver (samples/vfio-mdev/mtty.c of Linux 6.12; digest
 * §7.6) through the public API: a parent "mtty" on the default machine,
 * instances created by writing a UUID to a type's `create`, each opened like
 * any VFIO device (its own IOMMU group, type1, GET_DEVICE_FD by UUID), then
 * its config space, regions, IRQs, the 16550 with its loopback FIFO and the
 * port pool accounting.
 */
#include "common.h"

#include <linux/serial_reg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define UUID_A "8a2c2a1e-2a3b-4c5d-8e9f-0123456789ab"
#define UUID_B "5b6c7d8e-0000-4111-8222-333344445555"
#define TYPES "/sys/class/mdev_bus/mtty/mdev_supported_types"
#define MDEV_DEVICES "/sys/bus/mdev/devices"

#define REGION(i) ((off_t)((uint64_t)(i) << 40))

/* A world on the default machine with an mtty parent named "mtty". */
static struct uvfio_world *mtty_world(const char *params)
{
	struct uvfio_world *w = world_new();
	char err[256] = "";
	int ret = uvfio_mdev_parent_add(w, "mtty", "mtty", params, err, sizeof(err));

	if (ret)
		FAIL("uvfio_mdev_parent_add: %d (%s)", ret, err);
	return w;
}

static void mtty_world_free(struct uvfio_world *w)
{
	ASSERT_NEG(uvfio_mdev_parent_remove(w, "mtty", NULL), 0);
	world_free(w);
}

static ssize_t mdev_create(struct uvfio_world *w, const char *type, const char *uuid)
{
	char path[160];

	snprintf(path, sizeof(path), TYPES "/%s/create", type);
	return uvfio_sysfs_pwrite(w, path, uuid, strlen(uuid), 0);
}

static ssize_t mdev_remove(struct uvfio_world *w, const char *uuid)
{
	char path[160];

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/remove", uuid);
	return uvfio_sysfs_pwrite(w, path, "1\n", 2, 0);
}

static int mdev_group(struct uvfio_world *w, const char *uuid)
{
	char path[160], target[256];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), MDEV_DEVICES "/%s/iommu_group", uuid);
	n = uvfio_sysfs_readlink(w, path, target, sizeof(target) - 1);
	if (n < 0)
		FAIL("readlink %s: %zd", path, n);
	target[n] = '\0';
	slash = strrchr(target, '/');
	return atoi(slash ? slash + 1 : target);
}

static unsigned int available(struct uvfio_world *w, const char *type)
{
	char path[160], buf[32];

	snprintf(path, sizeof(path), TYPES "/%s/available_instances", type);
	sysfs_gets(w, path, buf, sizeof(buf));
	return (unsigned int)strtoul(buf, NULL, 10);
}

/* Creates uuid of type, opens it with type1v2 and calls GET_INFO (mtty needs it for IRQs). */
static void mtty_open(struct vfio_env *e, struct uvfio_world *w, const char *type, const char *uuid)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct uvfio_proc *p;

	ASSERT_EQ(mdev_create(w, type, uuid), (ssize_t)strlen(uuid));
	p = uvfio_proc_new(w, NULL);
	ASSERT_TRUE(p);
	env_open(e, w, p, mdev_group(w, uuid), uuid, VFIO_TYPE1v2_IOMMU);
	ASSERT_OK(uvfio_ioctl(p, e->device, VFIO_DEVICE_GET_INFO, &info));
}

static void mtty_close(struct vfio_env *e, const char *uuid)
{
	env_close(e);
	uvfio_proc_free(e->p);
	ASSERT_EQ(mdev_remove(e->w, uuid), 2);
}

static uint8_t uart_rd(struct vfio_env *e, int bar, unsigned int reg)
{
	uint8_t v = 0xee;

	ASSERT_EQ(uvfio_pread(e->p, e->device, &v, 1, REGION(bar) + reg), 1);
	return v;
}

static void uart_wr(struct vfio_env *e, int bar, unsigned int reg, uint8_t v)
{
	ASSERT_EQ(uvfio_pwrite(e->p, e->device, &v, 1, REGION(bar) + reg), 1);
}

/* --- the parent ----------------------------------------------------------------------------- */

TEST(mtty, parent_types)
{
	struct uvfio_world *w = mtty_world(NULL);
	char buf[128];

	sysfs_gets(w, TYPES "/mtty-1/name", buf, sizeof(buf));
	ASSERT_STREQ(buf, "Single port serial\n");
	sysfs_gets(w, TYPES "/mtty-2/name", buf, sizeof(buf));
	ASSERT_STREQ(buf, "Dual port serial\n");
	sysfs_gets(w, TYPES "/mtty-2/device_api", buf, sizeof(buf));
	ASSERT_STREQ(buf, "vfio-pci\n");
	ASSERT_EQ(available(w, "mtty-1"), 24);
	ASSERT_EQ(available(w, "mtty-2"), 12);
	/* No show_description: no description attribute. */
	ASSERT_LT(uvfio_sysfs_read(w, TYPES "/mtty-1/description", buf, sizeof(buf)), 0);
	/* The parent is a virtual class device. */
	ASSERT_OK(uvfio_sysfs_read(w, "/sys/devices/virtual/mtty/mtty/uevent", buf, sizeof(buf)));
	mtty_world_free(w);
}

TEST(mtty, parent_params)
{
	struct uvfio_world *w = world_new();
	char err[256] = "";

	ASSERT_NEG(uvfio_mdev_parent_add(w, "mtty", "mtty", "bogus=1", err, sizeof(err)), EINVAL);
	ASSERT_TRUE(strstr(err, "bogus"));
	ASSERT_NEG(uvfio_mdev_parent_add(w, "mtty", "mtty", "ports=zz", err, sizeof(err)), EINVAL);
	ASSERT_NEG(uvfio_mdev_parent_add(w, "mtty", "mtty", "ports=5", err, sizeof(err)), 0);
	ASSERT_EQ(available(w, "mtty-1"), 5);
	ASSERT_EQ(available(w, "mtty-2"), 2);
	ASSERT_NEG(uvfio_mdev_parent_remove(w, "mtty", NULL), 0);
	world_free(w);
}

/* Two parents in one world: one driver "mtty", a pool each. */
TEST(mtty, two_parents_share_the_driver)
{
	struct uvfio_world *w = mtty_world("ports=2");
	char err[256] = "", buf[64];

	ASSERT_NEG(uvfio_mdev_parent_add(w, "mtty", "mtty-b", "ports=4", err, sizeof(err)), 0);
	ASSERT_EQ(available(w, "mtty-2"), 1);
	sysfs_gets(w, "/sys/class/mdev_bus/mtty-b/mdev_supported_types/mtty-2/available_instances",
		   buf, sizeof(buf));
	ASSERT_STREQ(buf, "2\n");
	ASSERT_EQ(mdev_create(w, "mtty-2", UUID_A), 36);
	ASSERT_EQ(available(w, "mtty-2"), 0);
	ASSERT_EQ(mdev_create(w, "mtty-2", UUID_B), -ENOSPC);
	ASSERT_EQ(uvfio_sysfs_pwrite(
			  w, "/sys/class/mdev_bus/mtty-b/mdev_supported_types/mtty-2/create",
			  UUID_B, 36, 0),
		  36);
	/* Removing one parent leaves the driver to the other. */
	ASSERT_NEG(uvfio_mdev_parent_remove(w, "mtty-b", NULL), 0);
	ASSERT_EQ(mdev_remove(w, UUID_A), 2);
	ASSERT_EQ(mdev_create(w, "mtty-1", UUID_B), 36);
	ASSERT_EQ(mdev_remove(w, UUID_B), 2);
	ASSERT_EQ(available(w, "mtty-2"), 1);
	mtty_world_free(w);
}

/* --- accounting ----------------------------------------------------------------------------- */

TEST(mtty, ports_run_out)
{
	struct uvfio_world *w = mtty_world(NULL);
	char uuid[16][40];

	for (int i = 0; i < 12; i++) {
		snprintf(uuid[i], sizeof(uuid[i]), "00000000-0000-4000-8000-%012d", i);
		ASSERT_EQ(available(w, "mtty-2"), 12 - i);
		ASSERT_EQ(mdev_create(w, "mtty-2", uuid[i]), 36);
	}
	ASSERT_EQ(available(w, "mtty-2"), 0);
	ASSERT_EQ(available(w, "mtty-1"), 0);
	/* The driver's init refuses; create reports its error and leaves nothing behind. */
	ASSERT_EQ(mdev_create(w, "mtty-2", UUID_A), -ENOSPC);
	ASSERT_EQ(mdev_create(w, "mtty-1", UUID_A), -ENOSPC);
	ASSERT_LT(uvfio_sysfs_readlink(w, MDEV_DEVICES "/" UUID_A, uuid[15], sizeof(uuid[15])), 0);
	ASSERT_EQ(mdev_remove(w, uuid[3]), 2);
	ASSERT_EQ(available(w, "mtty-2"), 1);
	ASSERT_EQ(available(w, "mtty-1"), 2);
	ASSERT_EQ(mdev_create(w, "mtty-1", UUID_A), 36);
	ASSERT_EQ(available(w, "mtty-2"), 0);
	ASSERT_EQ(available(w, "mtty-1"), 1);
	ASSERT_EQ(mdev_create(w, "mtty-2", UUID_B), -ENOSPC);
	ASSERT_EQ(mdev_create(w, "mtty-1", UUID_B), 36);
	ASSERT_EQ(mdev_create(w, "mtty-1", "11111111-2222-4333-8444-555555555555"), -ENOSPC);
	/* Parent removal takes every instance and returns every port. */
	mtty_world_free(w);
}

/* --- config space and regions --------------------------------------------------------------- */

TEST(mtty, config_space)
{
	struct uvfio_world *w = mtty_world(NULL);
	struct vfio_env e;
	char ident[16] = "";

	mtty_open(&e, w, "mtty-2", UUID_A);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_VENDOR), 0x4348);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_DEVICE), 0x3253);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_COMMAND), 0x0001);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_STATUS), 0x0200);
	ASSERT_EQ(cfg_read32(e.p, e.device, CFG_REVISION), 0x07000210);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x10), 1);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x14), 1);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x18), 0);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x2c), 0x32534348);
	ASSERT_EQ(cfg_read8(e.p, e.device, CFG_CAP_PTR), 0);
	ASSERT_EQ(cfg_read8(e.p, e.device, CFG_INT_PIN), 1);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x40), 0x80000023);
	ASSERT_EQ(cfg_read8(e.p, e.device, 0x4c), 0x23);
	ASSERT_EQ(uvfio_pread(e.p, e.device, ident, 15,
			      REGION(VFIO_PCI_CONFIG_REGION_INDEX) + 0x60),
		  15);
	ASSERT_STREQ(ident, "PCI Serial/UART");

	/* BAR sizing: 8 bytes of I/O, the type bit kept; an address is stored. */
	cfg_write32(e.p, e.device, 0x10, 0xffffffff);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x10), 0xfffffff9);
	cfg_write32(e.p, e.device, 0x10, 0xc000);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x10), 0xc001);
	cfg_write32(e.p, e.device, 0x14, 0xffffffff);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x14), 0xfffffff9);
	cfg_write32(e.p, e.device, 0x18, 0xffffffff);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x18), 0);
	/* Interrupt line stored, pin and command ignored. */
	cfg_write8(e.p, e.device, CFG_INT_LINE, 0x0b);
	ASSERT_EQ(cfg_read8(e.p, e.device, CFG_INT_LINE), 0x0b);
	cfg_write8(e.p, e.device, CFG_INT_PIN, 4);
	ASSERT_EQ(cfg_read8(e.p, e.device, CFG_INT_PIN), 1);
	cfg_write16(e.p, e.device, CFG_COMMAND, 0x0007);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_COMMAND), 0x0001);
	/* Other offsets are read-only. */
	cfg_write16(e.p, e.device, CFG_VENDOR, 0x1234);
	ASSERT_EQ(cfg_read16(e.p, e.device, CFG_VENDOR), 0x4348);
	mtty_close(&e, UUID_A);
	mtty_world_free(w);
}

TEST(mtty, single_port_has_no_bar1)
{
	struct uvfio_world *w = mtty_world(NULL);
	struct vfio_region_info ri;
	struct vfio_env e;
	uint8_t v = 0;

	mtty_open(&e, w, "mtty-1", UUID_A);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x14), 0);
	cfg_write32(e.p, e.device, 0x14, 0xffffffff);
	ASSERT_EQ(cfg_read32(e.p, e.device, 0x14), 0);
	region_info(e.p, e.device, VFIO_PCI_BAR1_REGION_INDEX, &ri);
	ASSERT_EQ(ri.size, 0);
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, &v, 1, REGION(1)), EFAULT);
	ASSERT_EQ(available(w, "mtty-1"), 23);
	mtty_close(&e, UUID_A);
	ASSERT_EQ(available(w, "mtty-1"), 24);
	mtty_world_free(w);
}

TEST(mtty, regions)
{
	struct uvfio_world *w = mtty_world(NULL);
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct vfio_env e;
	uint8_t v;

	mtty_open(&e, w, "mtty-2", UUID_A);
	ASSERT_OK(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(info.flags, VFIO_DEVICE_FLAGS_PCI);
	ASSERT_EQ(info.num_regions, 9);
	ASSERT_EQ(info.num_irqs, 5);
	for (uint32_t i = 0; i < 9; i++) {
		uint64_t size = i == VFIO_PCI_CONFIG_REGION_INDEX ? 0xff : i <= 1 ? 8 : 0;

		region_info(e.p, e.device, i, &ri);
		ASSERT_EQ(ri.offset, (uint64_t)i << 40);
		ASSERT_EQ(ri.size, size);
		ASSERT_EQ(ri.flags, VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE);
	}
	ri.index = 9;
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_REGION_INFO, &ri), EINVAL);
	ri.argsz = 8;
	ri.index = 0;
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_REGION_INFO, &ri), EINVAL);
	/* Beyond a UART's eight registers, and regions with nothing behind them. */
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, &v, 1, REGION(0) + 8), EFAULT);
	ASSERT_ERRNO(uvfio_pread(e.p, e.device, &v, 1, REGION(VFIO_PCI_ROM_REGION_INDEX)), EFAULT);
	ASSERT_ERRNO(uvfio_pwrite(e.p, e.device, &v, 1, REGION(2)), EFAULT);
	ASSERT_OK(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_RESET));
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_PCI_HOT_RESET, NULL), ENOTTY);
	mtty_close(&e, UUID_A);
	mtty_world_free(w);
}

/* --- the UART ------------------------------------------------------------------------------- */

TEST(mtty, loopback_round_trip)
{
	struct uvfio_world *w = mtty_world(NULL);
	static const char msg[] = "hello";
	struct vfio_env e;
	char got[sizeof(msg)] = "";

	mtty_open(&e, w, "mtty-2", UUID_A);
	uart_wr(&e, 0, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT);
	ASSERT_EQ(uart_rd(&e, 0, UART_LSR), UART_LSR_TEMT | UART_LSR_THRE);
	for (size_t i = 0; i < 5; i++)
		uart_wr(&e, 0, UART_TX, (uint8_t)msg[i]);
	ASSERT_EQ(uart_rd(&e, 0, UART_LSR), UART_LSR_DR);
	/* Port 1 is a UART of its own. */
	ASSERT_EQ(uart_rd(&e, 1, UART_LSR), UART_LSR_TEMT | UART_LSR_THRE);
	for (size_t i = 0; i < 5; i++) {
		ASSERT_TRUE(uart_rd(&e, 0, UART_LSR) & UART_LSR_DR);
		got[i] = (char)uart_rd(&e, 0, UART_RX);
	}
	ASSERT_STREQ(got, msg);
	ASSERT_EQ(uart_rd(&e, 0, UART_LSR), UART_LSR_TEMT | UART_LSR_THRE);

	/* 16 bytes fit; the 17th overruns and is lost. */
	for (int i = 0; i < 17; i++)
		uart_wr(&e, 1, UART_TX, (uint8_t)('a' + i));
	ASSERT_EQ(uart_rd(&e, 1, UART_LSR), UART_LSR_DR | UART_LSR_OE);
	for (int i = 0; i < 16; i++)
		ASSERT_EQ(uart_rd(&e, 1, UART_RX), 'a' + i);
	ASSERT_FALSE(uart_rd(&e, 1, UART_LSR) & UART_LSR_DR);

	/* Without FIFO mode the FIFO holds one byte. */
	uart_wr(&e, 0, UART_FCR, 0);
	uart_wr(&e, 0, UART_TX, 'x');
	uart_wr(&e, 0, UART_TX, 'y');
	ASSERT_EQ(uart_rd(&e, 0, UART_LSR), UART_LSR_DR | UART_LSR_OE);
	ASSERT_EQ(uart_rd(&e, 0, UART_RX), 'x');

	/* A 4-byte access uses one register: its first byte. */
	uart_wr(&e, 0, UART_FCR, UART_FCR_ENABLE_FIFO);
	ASSERT_EQ(uvfio_pwrite(e.p, e.device, "QRST", 4, REGION(0)), 4);
	ASSERT_EQ(uart_rd(&e, 0, UART_RX), 'Q');
	ASSERT_FALSE(uart_rd(&e, 0, UART_LSR) & UART_LSR_DR);
	mtty_close(&e, UUID_A);
	mtty_world_free(w);
}

TEST(mtty, registers)
{
	struct uvfio_world *w = mtty_world(NULL);
	struct vfio_env e;

	mtty_open(&e, w, "mtty-1", UUID_A);
	/* The divisor latch behind DLAB. */
	uart_wr(&e, 0, UART_LCR, UART_LCR_DLAB | UART_LCR_WLEN8);
	uart_wr(&e, 0, UART_DLL, 0x0c);
	uart_wr(&e, 0, UART_DLM, 0x01);
	ASSERT_EQ(uart_rd(&e, 0, UART_DLL), 0x0c);
	ASSERT_EQ(uart_rd(&e, 0, UART_DLM), 0x01);
	ASSERT_EQ(uart_rd(&e, 0, UART_LCR), UART_LCR_DLAB | UART_LCR_WLEN8);
	uart_wr(&e, 0, UART_LCR, UART_LCR_WLEN8);
	ASSERT_FALSE(uart_rd(&e, 0, UART_LSR) & UART_LSR_DR); /* no byte went to the FIFO */
	/* IER keeps its low four bits. */
	uart_wr(&e, 0, UART_IER, 0xf5);
	ASSERT_EQ(uart_rd(&e, 0, UART_IER), 0x05);
	uart_wr(&e, 0, UART_IER, 0);
	uart_wr(&e, 0, UART_SCR, 0x5a);
	ASSERT_EQ(uart_rd(&e, 0, UART_SCR), 0x5a);
	uart_wr(&e, 0, UART_MCR, UART_MCR_DTR | UART_MCR_RTS);
	ASSERT_EQ(uart_rd(&e, 0, UART_MCR), UART_MCR_DTR | UART_MCR_RTS);
	ASSERT_EQ(uart_rd(&e, 0, UART_MSR),
		  UART_MSR_DCD | UART_MSR_DSR | UART_MSR_CTS | UART_MSR_DDSR | UART_MSR_DCTS);

	/* IIR: nothing pending, then each cause by priority. */
	uart_wr(&e, 0, UART_FCR, UART_FCR_ENABLE_FIFO);
	ASSERT_EQ(uart_rd(&e, 0, UART_IIR), 0xc1);
	uart_wr(&e, 0, UART_IER, UART_IER_MSI);
	ASSERT_EQ(uart_rd(&e, 0, UART_IIR), 0xc0 | UART_IIR_MSI);
	uart_wr(&e, 0, UART_IER, UART_IER_MSI | UART_IER_THRI);
	ASSERT_EQ(uart_rd(&e, 0, UART_IIR), 0xc0 | UART_IIR_THRI);
	uart_wr(&e, 0, UART_IER, UART_IER_MSI | UART_IER_THRI | UART_IER_RDI);
	uart_wr(&e, 0, UART_TX, 'z');
	ASSERT_EQ(uart_rd(&e, 0, UART_IIR), 0xc0 | UART_IIR_RDI);
	uart_wr(&e, 0, UART_IER, UART_IER_MSI | UART_IER_THRI | UART_IER_RDI | UART_IER_RLSI);
	for (int i = 0; i < 16; i++)
		uart_wr(&e, 0, UART_TX, 'z');
	ASSERT_EQ(uart_rd(&e, 0, UART_IIR), 0xc0 | UART_IIR_RLSI);
	/* FCR clears the FIFO; overrun stays until a byte is taken again (the sample's). */
	uart_wr(&e, 0, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	ASSERT_EQ(uart_rd(&e, 0, UART_LSR), UART_LSR_TEMT | UART_LSR_THRE | UART_LSR_OE);
	uart_wr(&e, 0, UART_TX, 'y');
	ASSERT_EQ(uart_rd(&e, 0, UART_LSR), UART_LSR_DR);
	mtty_close(&e, UUID_A);
	mtty_world_free(w);
}

/* --- interrupts ----------------------------------------------------------------------------- */

TEST(mtty, irq_info_needs_get_info)
{
	struct uvfio_world *w = mtty_world(NULL);
	struct vfio_irq_info ii = { .argsz = sizeof(ii) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct uvfio_proc *p;
	struct vfio_env e;
	int efd = efd_new();

	ASSERT_EQ(mdev_create(w, "mtty-2", UUID_A), 36);
	p = uvfio_proc_new(w, NULL);
	env_open(&e, w, p, mdev_group(w, UUID_A), UUID_A, VFIO_TYPE1v2_IOMMU);
	/* The sample validates IRQ indexes against the GET_INFO reply it cached. */
	ii.index = VFIO_PCI_INTX_IRQ_INDEX;
	ASSERT_ERRNO(uvfio_ioctl(p, e.device, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL);
	ASSERT_ERRNO(irq_set_eventfd(p, e.device, VFIO_PCI_INTX_IRQ_INDEX, efd), EINVAL);
	ASSERT_OK(uvfio_ioctl(p, e.device, VFIO_DEVICE_GET_INFO, &info));

	ASSERT_OK(uvfio_ioctl(p, e.device, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	ASSERT_EQ(ii.flags,
		  VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED);
	ASSERT_EQ(ii.count, 1);
	ii.index = VFIO_PCI_MSI_IRQ_INDEX;
	ASSERT_OK(uvfio_ioctl(p, e.device, VFIO_DEVICE_GET_IRQ_INFO, &ii));
	ASSERT_EQ(ii.flags, VFIO_IRQ_INFO_EVENTFD | VFIO_IRQ_INFO_NORESIZE);
	ASSERT_EQ(ii.count, 1);
	for (uint32_t i = VFIO_PCI_MSIX_IRQ_INDEX; i <= VFIO_PCI_NUM_IRQS; i++) {
		ii.index = i;
		ASSERT_ERRNO(uvfio_ioctl(p, e.device, VFIO_DEVICE_GET_IRQ_INFO, &ii), EINVAL);
	}
	/* MSI-X, ERR and REQ are not offered. */
	ASSERT_ERRNO(irq_set_eventfd(p, e.device, VFIO_PCI_MSIX_IRQ_INDEX, efd), ENOTTY);
	ASSERT_ERRNO(irq_set_eventfd(p, e.device, VFIO_PCI_REQ_IRQ_INDEX, efd), ENOTTY);
	ASSERT_ERRNO(irq_set_eventfd(p, e.device, VFIO_PCI_ERR_IRQ_INDEX, efd), ENOTTY);
	/* A descriptor that is not an eventfd. */
	ASSERT_ERRNO(irq_set_eventfd(p, e.device, VFIO_PCI_INTX_IRQ_INDEX, e.container), EINVAL);
	close(efd);
	mtty_close(&e, UUID_A);
	mtty_world_free(w);
}

TEST(mtty, intx_automask)
{
	struct uvfio_world *w = mtty_world(NULL);
	struct vfio_env e;
	int efd = efd_new(), efd2 = efd_new();
	uint8_t one = 1;

	mtty_open(&e, w, "mtty-2", UUID_A);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, efd));
	/* Only one index at a time. */
	ASSERT_ERRNO(irq_set_eventfd(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, efd2), EINVAL);
	uart_wr(&e, 0, UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR);
	uart_wr(&e, 0, UART_IER, UART_IER_RDI);
	ASSERT_EQ(efd_take(efd), 0);

	/* Received data interrupts, and the line masks itself. */
	uart_wr(&e, 0, UART_TX, 'a');
	ASSERT_EQ(efd_take(efd), 1);
	ASSERT_EQ(uart_rd(&e, 0, UART_IIR), 0xc0 | UART_IIR_RDI);
	ASSERT_EQ(uart_rd(&e, 0, UART_RX), 'a');
	uart_wr(&e, 0, UART_TX, 'b');
	ASSERT_EQ(efd_take(efd), 0);
	ASSERT_EQ(uart_rd(&e, 0, UART_RX), 'b');

	/* Unmasked, the next byte interrupts again. */
	ASSERT_OK(irq_none(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 1));
	ASSERT_EQ(efd_take(efd), 0);
	uart_wr(&e, 0, UART_TX, 'c');
	ASSERT_EQ(efd_take(efd), 1);
	ASSERT_EQ(uart_rd(&e, 0, UART_RX), 'c');

	/* MASK by DATA_BOOL holds it off; UNMASK with false does nothing. */
	ASSERT_OK(set_irqs(e.p, e.device, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_UNMASK,
			   VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &one, 1));
	ASSERT_OK(set_irqs(e.p, e.device, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_MASK,
			   VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &one, 1));
	uart_wr(&e, 0, UART_TX, 'd');
	ASSERT_EQ(efd_take(efd), 0);
	ASSERT_EQ(uart_rd(&e, 0, UART_RX), 'd');
	one = 0;
	ASSERT_OK(set_irqs(e.p, e.device, VFIO_IRQ_SET_DATA_BOOL | VFIO_IRQ_SET_ACTION_UNMASK,
			   VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &one, 1));
	uart_wr(&e, 0, UART_TX, 'e');
	ASSERT_EQ(efd_take(efd), 0);
	ASSERT_EQ(uart_rd(&e, 0, UART_RX), 'e');
	ASSERT_OK(irq_none(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 1));

	/* Loopback injection by the user, and THR-empty after a drain (port 1 shares the line). */
	ASSERT_OK(irq_none(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	ASSERT_EQ(efd_take(efd), 1);
	ASSERT_OK(irq_none(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 1));
	uart_wr(&e, 1, UART_IER, UART_IER_THRI);
	ASSERT_EQ(efd_take(efd), 1);
	ASSERT_OK(irq_none(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 1));
	uart_wr(&e, 1, UART_TX, 'f');
	ASSERT_EQ(efd_take(efd), 0);
	ASSERT_EQ(uart_rd(&e, 1, UART_RX), 'f');
	ASSERT_EQ(efd_take(efd), 1);
	ASSERT_OK(irq_none(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_UNMASK, 1));

	/* Modem status: MCR DTR/RTS with MSI enabled. */
	uart_wr(&e, 1, UART_IER, UART_IER_MSI);
	uart_wr(&e, 1, UART_MCR, UART_MCR_DTR);
	ASSERT_EQ(efd_take(efd), 1);

	/* Masks through eventfds are not offered; bad ranges are rejected. */
	ASSERT_ERRNO(set_irqs(e.p, e.device, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
			      VFIO_PCI_INTX_IRQ_INDEX, 0, 1, &efd2, sizeof(efd2)),
		     ENOTTY);
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, 2),
		     EINVAL);

	/* count 0 disables; then MASK fails (INTx is not active) and MSI may take over. */
	ASSERT_OK(irq_none(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, 1),
		     EINVAL);
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			      1),
		     EINVAL);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, efd2));
	close(efd);
	close(efd2);
	mtty_close(&e, UUID_A);
	mtty_world_free(w);
}

TEST(mtty, msi)
{
	struct uvfio_world *w = mtty_world(NULL);
	struct vfio_env e;
	int efd = efd_new(), efd2 = efd_new();

	mtty_open(&e, w, "mtty-2", UUID_A);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, efd));
	ASSERT_ERRNO(irq_set_eventfd(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, efd2), EINVAL);
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, 1),
		     ENOTTY);
	uart_wr(&e, 1, UART_FCR, UART_FCR_ENABLE_FIFO);
	uart_wr(&e, 1, UART_IER, UART_IER_RDI);
	/* No automask: every event signals. */
	for (int i = 0; i < 3; i++) {
		uart_wr(&e, 1, UART_TX, (uint8_t)('0' + i));
		ASSERT_EQ(efd_take(efd), 1);
		ASSERT_EQ(uart_rd(&e, 1, UART_RX), '0' + i);
	}
	ASSERT_OK(irq_none(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	ASSERT_OK(irq_none(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	ASSERT_EQ(efd_take(efd), 2);
	/* A new eventfd replaces the old one. */
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, efd2));
	uart_wr(&e, 1, UART_TX, 'x');
	ASSERT_EQ(efd_take(efd), 0);
	ASSERT_EQ(efd_take(efd2), 1);
	/* fd -1 tears it down: no index is active any more. */
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, -1));
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			      1),
		     EINVAL);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, efd));
	close(efd);
	close(efd2);
	mtty_close(&e, UUID_A);
	mtty_world_free(w);
}

/* The last close drops the eventfds: a new user starts with no IRQ set up. */
TEST(mtty, close_drops_irqs)
{
	struct uvfio_world *w = mtty_world(NULL);
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_env e;
	int efd = efd_new();

	mtty_open(&e, w, "mtty-2", UUID_A);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, efd));
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, UUID_A);
	ASSERT_OK(e.device);
	ASSERT_OK(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_MSI_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			      1),
		     EINVAL);
	ASSERT_EQ(efd_take(efd), 0);
	close(efd);
	mtty_close(&e, UUID_A);
	mtty_world_free(w);
}

/* --- sysfs of an instance ------------------------------------------------------------------- */

TEST(mtty, vendor_attribute)
{
	struct uvfio_world *w = mtty_world(NULL);
	char buf[128];
	ssize_t n;

	ASSERT_EQ(mdev_create(w, "mtty-1", UUID_A), 36);
	n = uvfio_sysfs_read(w, MDEV_DEVICES "/" UUID_A "/vendor/sample_mdev_dev", buf,
			     sizeof(buf) - 1);
	if (n == -ENOENT) {
		ASSERT_EQ(mdev_remove(w, UUID_A), 2);
		mtty_world_free(w);
		SKIP("no vendor attribute groups in the mdev core");
	}
	ASSERT_GT(n, 0);
	buf[n] = '\0';
	ASSERT_STREQ(buf, "This is MDEV " UUID_A "\n");
	ASSERT_EQ(mdev_remove(w, UUID_A), 2);
	mtty_world_free(w);
}

/* The machine-file directive builds the same parent. */
TEST(mtty, machine_directive)
{
	static const char text[] = "device 0000:00:00.0 q35-host\n"
				   "mdev-parent mtty mtty ports=4\n";
	struct uvfio_machine *m = NULL;
	struct uvfio_world *w = NULL;
	char err[256] = "";

	ASSERT_NEG(uvfio_machine_parse(text, "test", &m, err, sizeof(err)), 0);
	ASSERT_NEG(uvfio_world_create(m, &w, err, sizeof(err)), 0);
	ASSERT_EQ(available(w, "mtty-2"), 2);
	ASSERT_EQ(mdev_create(w, "mtty-2", UUID_A), 36);
	ASSERT_EQ(available(w, "mtty-1"), 2);
	uvfio_world_destroy(w);
	uvfio_machine_free(m);
}

/* --- lifecycle ------------------------------------------------------------------------------ */

struct remove_arg {
	struct uvfio_world *w;
	const char *uuid;
	ssize_t ret;
};

static void *remove_thread(void *arg)
{
	struct remove_arg *ra = arg;

	ra->ret = mdev_remove(ra->w, ra->uuid);
	return NULL;
}

/* mtty has no request op: a remove of an open instance waits for the close. */
TEST(mtty, remove_waits_for_close)
{
	struct uvfio_world *w = mtty_world(NULL);
	struct remove_arg ra = { .w = w, .uuid = UUID_A };
	struct vfio_env e;
	struct bg b;

	mtty_open(&e, w, "mtty-1", UUID_A);
	bg_start(&b, remove_thread, &ra);
	ASSERT_FALSE(bg_wait(&b, 300));
	/* Still usable while the remover waits. */
	uart_wr(&e, 0, UART_SCR, 0x42);
	ASSERT_EQ(uart_rd(&e, 0, UART_SCR), 0x42);
	env_close(&e);
	ASSERT_TRUE(bg_wait(&b, 5000));
	bg_join(&b);
	ASSERT_EQ(ra.ret, 2);
	ASSERT_EQ(available(w, "mtty-1"), 24);
	uvfio_proc_free(e.p);
	mtty_world_free(w);
}

struct parent_churn {
	struct uvfio_world *w;
	const char *name;
	int errors;
};

static void *parent_churn_thread(void *arg)
{
	struct parent_churn *pc = arg;
	char err[256];

	for (int i = 0; i < 50; i++) {
		if (uvfio_mdev_parent_add(pc->w, "mtty", pc->name, "ports=2", err, sizeof(err)))
			pc->errors++;
		else if (uvfio_mdev_parent_remove(pc->w, pc->name, NULL))
			pc->errors++;
	}
	return NULL;
}

/* Parents come and go concurrently: each add finds or registers the shared driver. */
TEST(mtty, parents_come_and_go)
{
	struct uvfio_world *w = world_new();
	struct parent_churn pc[3] = { { .w = w, .name = "mtty-a" },
				      { .w = w, .name = "mtty-b" },
				      { .w = w, .name = "mtty-c" } };
	struct uvfio_sysfs_stat st;
	char err[256] = "";
	struct bg b[3];

	for (int i = 0; i < 3; i++)
		bg_start(&b[i], parent_churn_thread, &pc[i]);
	for (int i = 0; i < 3; i++) {
		ASSERT_TRUE(bg_wait(&b[i], 60000));
		bg_join(&b[i]);
		ASSERT_EQ(pc[i].errors, 0);
	}
	/* The last parent unregistered the driver; a new one registers it again. */
	ASSERT_NEG(uvfio_sysfs_stat(w, "/sys/bus/mdev/drivers/mtty", &st), ENOENT);
	ASSERT_NEG(uvfio_mdev_parent_add(w, "mtty", "mtty", NULL, err, sizeof(err)), 0);
	ASSERT_NEG(uvfio_sysfs_stat(w, "/sys/bus/mdev/drivers/mtty", &st), 0);
	mtty_world_free(w);
}

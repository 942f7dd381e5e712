// SPDX-License-Identifier: MIT
/*
 * vfio-pci config-space virtualization (vfio_pci_config.c) and BAR/ROM
 * region access (vfio_pci_rdwr.c), driven directly on a vfio_pci_core_device
 * built around a pci_dev of this file's own test model.
 *
 * The hooks vfio_pci_config.c calls into the rest of vfio-pci (INTx mask and
 * unmask, function reset, power state) are replaced with recorders through
 * the linker: build with -Wl,--wrap=vfio_pci_intx_mask,--wrap=vfio_pci_intx_unmask,
 * --wrap=vfio_pci_try_reset_function,--wrap=vfio_pci_set_power_state.
 *
 * The "edu" tests replay what tests/oracle/probes/edu.c did on a real 6.12
 * kernel against a model of QEMU's edu config space, and compare with the
 * config dumps in tests/oracle/edu.txt.
 */
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "vfio/pci/vfio_pci_priv.h"

/* Recorders for the wrapped vfio-pci hooks, reset by vdev_new(). */
static int intx_mask_calls, intx_unmask_calls, reset_calls, power_calls;
static unsigned int last_power_state;
static bool reset_had_write_lock, power_had_write_lock;

void __wrap_vfio_pci_intx_mask(struct vfio_pci_core_device *vdev);
void __wrap_vfio_pci_intx_unmask(struct vfio_pci_core_device *vdev);
int __wrap_vfio_pci_try_reset_function(struct vfio_pci_core_device *vdev);
int __wrap_vfio_pci_set_power_state(struct vfio_pci_core_device *vdev, unsigned int state);

void __wrap_vfio_pci_intx_mask(struct vfio_pci_core_device *vdev)
{
	intx_mask_calls++;
}

void __wrap_vfio_pci_intx_unmask(struct vfio_pci_core_device *vdev)
{
	intx_unmask_calls++;
}

int __wrap_vfio_pci_try_reset_function(struct vfio_pci_core_device *vdev)
{
	reset_calls++;
	reset_had_write_lock = rwsem_write_held_by_me(&vdev->memory_lock);
	return 0;
}

int __wrap_vfio_pci_set_power_state(struct vfio_pci_core_device *vdev, unsigned int state)
{
	power_calls++;
	last_power_state = state;
	power_had_write_lock = rwsem_write_held_by_me(&vdev->memory_lock);
	vdev->power_state = state;
	return 0;
}

/* ---- the test model ---------------------------------------------------- */

#define BAR0_SIZE 0x1000u
#define BAR1_SIZE 0x20u
#define BAR2_SIZE 0x100000u
#define ROM_SIZE 0x10000u
#define ROM_IMAGE 0x1200u /* 9 blocks of 512 */

struct access {
	int bar;
	u64 off;
	unsigned int size;
	bool write;
};

struct cfg_write {
	unsigned int off, len;
	u32 val;
};

struct model {
	u8 bar0[BAR0_SIZE];
	u8 bar1[BAR1_SIZE];
	u8 *bar2;
	struct access acc[64];
	int nacc;
	struct cfg_write cw[64];
	int ncw;
};

static struct model *model_of(struct pci_dev *pdev)
{
	return pdev->model_data;
}

static u8 *model_bar(struct pci_dev *pdev, int bar)
{
	struct model *m = model_of(pdev);

	return bar == 0 ? m->bar0 : bar == 1 ? m->bar1 : m->bar2;
}

static void log_access(struct pci_dev *pdev, int bar, u64 off, unsigned int size, bool write)
{
	struct model *m = model_of(pdev);

	if (m->nacc < (int)ARRAY_SIZE(m->acc))
		m->acc[m->nacc++] = (struct access){ bar, off, size, write };
}

static u64 tm_bar_read(struct pci_dev *pdev, int bar, u64 off, unsigned int size)
{
	u64 v = 0;

	log_access(pdev, bar, off, size, false);
	memcpy(&v, model_bar(pdev, bar) + off, size);
	return v;
}

static void tm_bar_write(struct pci_dev *pdev, int bar, u64 off, u64 val, unsigned int size)
{
	log_access(pdev, bar, off, size, true);
	memcpy(model_bar(pdev, bar) + off, &val, size);
}

static void tm_config_write(struct pci_dev *pdev, unsigned int off, u32 val, unsigned int len)
{
	struct model *m = model_of(pdev);

	if (m->ncw < (int)ARRAY_SIZE(m->cw))
		m->cw[m->ncw++] = (struct cfg_write){ off, len, val };
}

static const struct pci_dev_model_ops test_model_ops = {
	.name = "vfio-config-test",
	.bar_read = tm_bar_read,
	.bar_write = tm_bar_write,
	.config_write = tm_config_write,
};

static void put16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static void put32(u8 *p, u32 v)
{
	put16(p, (u16)v);
	put16(p + 2, (u16)(v >> 16));
}

static u32 get32(const u8 *p)
{
	return p[0] | p[1] << 8 | p[2] << 16 | (u32)p[3] << 24;
}

static struct pci_dev *pdev_alloc(void)
{
	struct pci_dev *pdev = xzalloc(sizeof(*pdev));

	mutex_init(&pdev->cfg_lock, "pci_dev->cfg_lock");
	mutex_init(&pdev->irq_call_lock, "pci_dev->irq_call_lock");
	INIT_LIST_HEAD(&pdev->bus_list);
	pdev->cfg_size = PCI_CFG_SPACE_SIZE;
	return pdev;
}

static void assign(struct pci_dev *pdev, int bar, u64 start)
{
	struct resource *r = &pdev->resource[bar];

	r->end = start + r->end;
	r->start = start;
}

/*
 * A PCIe endpoint with every kind of BAR, a ROM, and a capability of each
 * interesting kind, including hidden ones:
 *   0x40 PM, 0x50 MSI (64-bit, per-vector mask, 4 vectors), 0x68 Slot ID
 *   (hidden), 0x70 PCIe v2 (FLR), 0xb0 MSI-X, 0xc0 vendor-specific (6 bytes);
 *   0x100 PASID (hidden: placeholder), 0x140 AER, 0x180 MR-IOV (hidden),
 *   0x1a0 DSN.
 */
static struct pci_dev *full_dev(bool flr)
{
	struct pci_dev *pdev = pdev_alloc();
	struct model *m = xzalloc(sizeof(*m));
	u8 *c = pdev->config;
	u8 *rom;

	m->bar2 = xzalloc(BAR2_SIZE);
	pdev->model = &test_model_ops;
	pdev->model_data = m;

	put16(c + PCI_VENDOR_ID, 0x1af4);
	put16(c + PCI_DEVICE_ID, 0x10ff);
	put16(c + PCI_COMMAND, 0);
	c[PCI_REVISION_ID] = 0x01;
	c[PCI_CLASS_DEVICE] = 0x02;
	c[PCI_INTERRUPT_PIN] = 1;
	c[PCI_INTERRUPT_LINE] = 11;
	pdev->irq = 11;
	put16(pdev->wmask + PCI_COMMAND, 0x0547);
	pdev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	pdev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	pdev->w1cmask[PCI_STATUS + 1] = 0xf9;

	/* Added in reverse: pci_add_capability links at the head. */
	c[0xc0 + 2] = 6; /* vendor-specific length */
	c[0xc0 + 3] = 0x5a;
	c[0xc0 + 4] = 0xa5;
	pdev->wmask[0xc0 + 4] = 0xff;
	pci_add_capability(pdev, PCI_CAP_ID_VNDR, 0xc0, 6);
	put16(c + 0xb0 + PCI_MSIX_FLAGS, 7); /* 8 vectors */
	put32(c + 0xb0 + PCI_MSIX_TABLE, 0x800); /* BAR0 + 0x800 */
	put32(c + 0xb0 + PCI_MSIX_PBA, 0xc00);
	pdev->wmask[0xb0 + PCI_MSIX_FLAGS + 1] = 0xc0;
	pci_add_capability(pdev, PCI_CAP_ID_MSIX, 0xb0, 12);
	put16(c + 0x70 + PCI_EXP_FLAGS, 2 | PCI_EXP_TYPE_ENDPOINT << 4);
	put32(c + 0x70 + PCI_EXP_DEVCAP, flr ? PCI_EXP_DEVCAP_FLR : 0);
	put16(c + 0x70 + PCI_EXP_DEVCTL, 0x2810); /* MRRS 512, MPS 128, relaxed ordering */
	put16(pdev->wmask + 0x70 + PCI_EXP_DEVCTL, 0xffff);
	put16(pdev->wmask + 0x70 + PCI_EXP_DEVCTL2, 0xffff);
	pci_add_capability(pdev, PCI_CAP_ID_EXP, 0x70, PCI_CAP_EXP_ENDPOINT_SIZEOF_V2);
	pci_add_capability(pdev, PCI_CAP_ID_SLOTID, 0x68, 4);
	put16(c + 0x50 + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT | PCI_MSI_FLAGS_MASKBIT | 2 << 1);
	pdev->wmask[0x50 + PCI_MSI_FLAGS] = PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE;
	memset(pdev->wmask + 0x50 + PCI_MSI_ADDRESS_LO, 0xff, 10);
	put32(pdev->wmask + 0x50 + PCI_MSI_MASK_64, 0xf);
	pci_add_capability(pdev, PCI_CAP_ID_MSI, 0x50, 24);
	put16(c + 0x40 + PCI_PM_PMC, 0xf803); /* PME from every state, version 3 */
	put16(c + 0x40 + PCI_PM_CTRL, PCI_PM_CTRL_NO_SOFT_RESET | PCI_PM_CTRL_PME_ENABLE);
	pdev->wmask[0x40 + PCI_PM_CTRL] = PCI_PM_CTRL_STATE_MASK;
	pci_add_capability(pdev, PCI_CAP_ID_PM, 0x40, PCI_PM_SIZEOF);

	pci_add_ext_capability(pdev, PCI_EXT_CAP_ID_PASID, 1, 0x100, 8);
	pci_add_ext_capability(pdev, PCI_EXT_CAP_ID_ERR, 2, 0x140, PCI_ERR_ROOT_COMMAND);
	put32(pdev->wmask + 0x140 + PCI_ERR_UNCOR_MASK, 0xffffffff);
	pci_add_ext_capability(pdev, PCI_EXT_CAP_ID_MRIOV, 1, 0x180, 8);
	pci_add_ext_capability(pdev, PCI_EXT_CAP_ID_DSN, 1, 0x1a0, PCI_EXT_CAP_DSN_SIZEOF);
	put32(c + 0x1a0 + 4, 0x12345678);

	pci_register_bar(pdev, 0, BAR0_SIZE, IORESOURCE_MEM);
	pci_register_bar(pdev, 1, BAR1_SIZE, IORESOURCE_IO);
	pci_register_bar(pdev, 2, BAR2_SIZE,
			 IORESOURCE_MEM | IORESOURCE_MEM_64 | IORESOURCE_PREFETCH);
	pci_register_bar(pdev, 5, 0x1000, IORESOURCE_MEM); /* never assigned by the host */
	pci_register_bar(pdev, PCI_ROM_RESOURCE, ROM_SIZE, 0);
	assign(pdev, 0, 0xfe000000);
	assign(pdev, 1, 0xc040);
	assign(pdev, 2, 0x800000000ull);
	assign(pdev, PCI_ROM_RESOURCE, 0xfd000000);

	rom = xzalloc(ROM_IMAGE);
	rom[0] = 0x55;
	rom[1] = 0xaa;
	rom[24] = 0x1c;
	memcpy(rom + 0x1c, "PCIR", 4);
	rom[0x1c + 16] = ROM_IMAGE / 512;
	rom[0x1c + 21] = 0x80; /* last image */
	for (unsigned int i = 0x40; i < ROM_IMAGE; i++)
		rom[i] = (u8)(i & 0x7f);
	pdev->rom = rom;
	pdev->rom_len = ROM_IMAGE;

	pci_setup_device(pdev);
	return pdev;
}

static struct vfio_pci_core_device *vdev_new(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = xzalloc(sizeof(*vdev));

	/* The recorders start from zero for each device (and in UVFIO_TEST_NOFORK runs). */
	intx_mask_calls = intx_unmask_calls = reset_calls = power_calls = 0;
	reset_had_write_lock = power_had_write_lock = false;
	vdev->pdev = pdev;
	vdev->irq_type = VFIO_PCI_IRQ_NONE;
	vdev->msix_bar = 0;
	vdev->msix_offset = 0x800;
	vdev->msix_size = 0x80;
	mutex_init(&vdev->igate, "vdev->igate");
	mutex_init(&vdev->irqlock, "vdev->irqlock");
	init_rwsem(&vdev->memory_lock, "vdev->memory_lock");
	return vdev;
}

static struct vfio_pci_core_device *open_dev(struct pci_dev *pdev)
{
	struct vfio_pci_core_device *vdev = vdev_new(pdev);

	ASSERT_NEG(vfio_config_init(vdev), 0);
	ASSERT_TRUE(vdev->vconfig != NULL);
	return vdev;
}

/* Frees what open_dev() and the model constructors built. */
static void close_dev(struct vfio_pci_core_device *vdev)
{
	struct pci_dev *pdev = vdev->pdev;
	struct model *m = pdev->model_data;

	vfio_config_free(vdev);
	mutex_destroy(&vdev->igate);
	mutex_destroy(&vdev->irqlock);
	rwsem_destroy(&vdev->memory_lock);
	free(vdev);
	if (m)
		free(m->bar2);
	free(m);
	free(pdev->rom);
	mutex_destroy(&pdev->cfg_lock);
	mutex_destroy(&pdev->irq_call_lock);
	free(pdev);
}

/* Config region accessors, as pread/pwrite at the CONFIG region offset do. */
static u32 cfg_rd(struct vfio_pci_core_device *vdev, unsigned int off, unsigned int len)
{
	s64 pos = (s64)VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + off;
	u8 buf[4] = { 0 };

	ASSERT_EQ(vfio_pci_config_rw(vdev, (char *)buf, len, &pos, false), len);
	return get32(buf);
}

static void cfg_wr(struct vfio_pci_core_device *vdev, unsigned int off, unsigned int len, u32 val)
{
	s64 pos = (s64)VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + off;
	u8 buf[4];

	put32(buf, val);
	ASSERT_EQ(vfio_pci_config_rw(vdev, (char *)buf, len, &pos, true), len);
}

static u32 hw_rd(struct pci_dev *pdev, unsigned int off, unsigned int len)
{
	return pci_read_config(pdev, off, len);
}

static ssize_t region_rw(struct vfio_pci_core_device *vdev, int index, u64 off, void *buf,
			 size_t count, bool write)
{
	s64 pos = (s64)(VFIO_PCI_INDEX_TO_OFFSET(index) + off);

	if (index == VFIO_PCI_ROM_REGION_INDEX)
		return vfio_pci_rom_read(vdev, buf, count, &pos);
	return vfio_pci_bar_rw(vdev, buf, count, &pos, write);
}

/* ---- standard header ---------------------------------------------------- */

TEST(vfio_pci_config, identity_virtual_and_read_only)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);

	ASSERT_EQ(cfg_rd(vdev, PCI_VENDOR_ID, 4), 0x10ff1af4);
	cfg_wr(vdev, PCI_VENDOR_ID, 4, 0xffffffff);
	ASSERT_EQ(cfg_rd(vdev, PCI_VENDOR_ID, 4), 0x10ff1af4);
	ASSERT_EQ(cfg_rd(vdev, PCI_CLASS_DEVICE, 1), 0x02);
	/* Interrupt line is a virtual scratch register; the pin is read-only. */
	cfg_wr(vdev, PCI_INTERRUPT_LINE, 1, 0x55);
	ASSERT_EQ(cfg_rd(vdev, PCI_INTERRUPT_LINE, 1), 0x55);
	ASSERT_EQ(hw_rd(pdev, PCI_INTERRUPT_LINE, 1), 11);
	cfg_wr(vdev, PCI_INTERRUPT_PIN, 1, 4);
	ASSERT_EQ(cfg_rd(vdev, PCI_INTERRUPT_PIN, 1), 1);
	/* Cache line size is writable passthrough. */
	cfg_wr(vdev, PCI_CACHE_LINE_SIZE, 1, 0x10);
	ASSERT_EQ(hw_rd(pdev, PCI_CACHE_LINE_SIZE, 1), 0x10);
	ASSERT_EQ(cfg_rd(vdev, PCI_CACHE_LINE_SIZE, 1), 0x10);
	close_dev(vdev);
}

TEST(vfio_pci_config, nointx_hides_pin)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = vdev_new(pdev);

	vdev->nointx = true;
	ASSERT_NEG(vfio_config_init(vdev), 0);
	ASSERT_EQ(cfg_rd(vdev, PCI_INTERRUPT_PIN, 1), 0);
	ASSERT_EQ(hw_rd(pdev, PCI_INTERRUPT_PIN, 1), 1);
	vfio_config_free(vdev);
	ASSERT_TRUE(vdev->vconfig == NULL && vdev->pci_config_map == NULL && !vdev->msi_perm);
	close_dev(vdev);
}

TEST(vfio_pci_config, bar_sizing)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);
	static const struct {
		unsigned int off;
		u32 orig, sized;
	} bars[] = {
		{ PCI_BASE_ADDRESS_0, 0xfe000000, 0xfffff000 },
		{ PCI_BASE_ADDRESS_1, 0x0000c041, 0xffffffe1 },
		{ PCI_BASE_ADDRESS_2, 0x0000000c, 0xfff0000c },
		{ PCI_BASE_ADDRESS_3, 0x00000008, 0xffffffff },
		{ PCI_BASE_ADDRESS_4, 0, 0 }, /* not implemented */
		{ PCI_BASE_ADDRESS_5, 0, 0 }, /* not assigned by the host */
		{ PCI_ROM_ADDRESS, 0xfd000000, 0xffff0001 },
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(bars); i++) {
		unsigned int o = bars[i].off;
		u32 hw = hw_rd(pdev, o, 4);

		ASSERT_EQ(cfg_rd(vdev, o, 4), bars[i].orig);
		cfg_wr(vdev, o, 4, 0xffffffff);
		ASSERT_EQ(cfg_rd(vdev, o, 4), bars[i].sized);
		cfg_wr(vdev, o, 4, bars[i].orig);
		ASSERT_EQ(cfg_rd(vdev, o, 4), bars[i].orig);
		/* The user never reaches the real BARs. */
		ASSERT_EQ(hw_rd(pdev, o, 4), hw);
	}
	/* The ROM keeps its enable bit; the oracle's e1000 shows the same. */
	cfg_wr(vdev, PCI_ROM_ADDRESS, 4, 0xfffff801);
	ASSERT_EQ(cfg_rd(vdev, PCI_ROM_ADDRESS, 4), 0xffff0001);
	/* Byte-wide BAR access sizes too. */
	cfg_wr(vdev, PCI_BASE_ADDRESS_0 + 1, 1, 0xff);
	ASSERT_EQ(cfg_rd(vdev, PCI_BASE_ADDRESS_0, 4), 0xfe00f000);
	ASSERT_EQ(vdev->rbar[0], 0xfe000000);
	ASSERT_EQ(vdev->rbar[6], 0xfd000000);
	close_dev(vdev);
}

TEST(vfio_pci_config, status_rw1c_not_writable)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);

	pdev->config[PCI_STATUS + 1] = 0x80; /* Detected Parity Error, RW1C */
	ASSERT_EQ(cfg_rd(vdev, PCI_STATUS, 2), 0x8010);
	cfg_wr(vdev, PCI_STATUS, 2, 0xffff);
	ASSERT_EQ(hw_rd(pdev, PCI_STATUS, 2), 0x8010);
	ASSERT_EQ(cfg_rd(vdev, PCI_STATUS, 2), 0x8010);
	/*
	 * As in the kernel, a dword write at the command register writes the
	 * status word back as read, which clears its RW1C bits.
	 */
	cfg_wr(vdev, PCI_COMMAND, 4, 0xffff0000);
	ASSERT_EQ(hw_rd(pdev, PCI_STATUS, 2), 0x0010);
	close_dev(vdev);
}

TEST(vfio_pci_config, command_register)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);

	/* Decode and bus master reach the function. */
	cfg_wr(vdev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY | PCI_COMMAND_IO | PCI_COMMAND_MASTER);
	ASSERT_EQ(hw_rd(pdev, PCI_COMMAND, 2), 0x0007);
	ASSERT_EQ(cfg_rd(vdev, PCI_COMMAND, 2), 0x0007);
	ASSERT_EQ(intx_mask_calls, 0);

	/* INTx disable does not: it masks the INTx emulation once. */
	cfg_wr(vdev, PCI_COMMAND, 2, 0x0407);
	ASSERT_EQ(hw_rd(pdev, PCI_COMMAND, 2), 0x0007);
	ASSERT_EQ(cfg_rd(vdev, PCI_COMMAND, 2), 0x0407);
	ASSERT_EQ(intx_mask_calls, 1);
	ASSERT_TRUE(vdev->virq_disabled);
	cfg_wr(vdev, PCI_COMMAND, 2, 0x0407);
	ASSERT_EQ(intx_mask_calls, 1);
	cfg_wr(vdev, PCI_COMMAND + 1, 1, 0x00);
	ASSERT_EQ(intx_unmask_calls, 1);
	ASSERT_FALSE(vdev->virq_disabled);
	cfg_wr(vdev, PCI_COMMAND + 1, 1, 0x04);
	ASSERT_EQ(intx_mask_calls, 2);

	/* Memory enable gates BAR access through the virtual bit. */
	down_read(&vdev->memory_lock);
	ASSERT_TRUE(__vfio_pci_memory_enabled(vdev));
	up_read(&vdev->memory_lock);
	cfg_wr(vdev, PCI_COMMAND, 2, 0);
	ASSERT_EQ(hw_rd(pdev, PCI_COMMAND, 2), 0);
	down_read(&vdev->memory_lock);
	ASSERT_FALSE(__vfio_pci_memory_enabled(vdev));
	up_read(&vdev->memory_lock);
	ASSERT_EQ(intx_unmask_calls, 2);
	close_dev(vdev);
}

TEST(vfio_pci_config, command_restores_bars_after_hidden_reset)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);

	cfg_wr(vdev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	/* A reset nobody saw: the BARs lost their addresses, decode is off. */
	memset(pdev->config + PCI_BASE_ADDRESS_0, 0, 4);
	put16(pdev->config + PCI_COMMAND, 0);
	cfg_wr(vdev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ASSERT_EQ(hw_rd(pdev, PCI_BASE_ADDRESS_0, 4), 0xfe000000);
	ASSERT_EQ(hw_rd(pdev, PCI_COMMAND, 2), PCI_COMMAND_MEMORY);
	close_dev(vdev);
}

/* ---- capability chains -------------------------------------------------- */

TEST(vfio_pci_config, hidden_caps_unlinked)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);
	static const u8 want[] = { 0x40, 0x50, 0x70, 0xb0, 0xc0 };
	unsigned int pos, n = 0;

	ASSERT_TRUE(cfg_rd(vdev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST);
	for (pos = cfg_rd(vdev, PCI_CAPABILITY_LIST, 1); pos; pos = cfg_rd(vdev, pos + 1, 1)) {
		ASSERT_LT(n, ARRAY_SIZE(want));
		ASSERT_EQ(pos, want[n++]);
	}
	ASSERT_EQ(n, ARRAY_SIZE(want));
	/* The hardware chain is untouched; the hidden capability reads raw. */
	ASSERT_EQ(hw_rd(pdev, 0x50 + PCI_CAP_LIST_NEXT, 1), 0x68);
	ASSERT_EQ(cfg_rd(vdev, 0x68, 1), PCI_CAP_ID_SLOTID);
	/* Vendor-specific: readable, raw writes. */
	ASSERT_EQ(cfg_rd(vdev, 0xc0, 4), 0x5a060009u);
	cfg_wr(vdev, 0xc4, 1, 0x77);
	ASSERT_EQ(hw_rd(pdev, 0xc4, 1), 0x77);

	/* Extended: PASID at 0x100 becomes an id-0 placeholder, MR-IOV is skipped. */
	ASSERT_EQ(cfg_rd(vdev, 0x100, 4), 0x14000000u);
	ASSERT_EQ(hw_rd(pdev, 0x100, 2), PCI_EXT_CAP_ID_PASID);
	ASSERT_EQ(cfg_rd(vdev, 0x140, 4), 0x1a020001u);
	ASSERT_EQ(cfg_rd(vdev, 0x1a0, 4), 0x00010003u);
	ASSERT_EQ(cfg_rd(vdev, 0x1a4, 4), 0x12345678u);
	/* AER: mask registers writable for the defined bits only. */
	cfg_wr(vdev, 0x140 + PCI_ERR_UNCOR_MASK, 4, 0xffffffff);
	ASSERT_EQ(hw_rd(pdev, 0x140 + PCI_ERR_UNCOR_MASK, 4), 0x03fff031u);
	/* Extended headers are read-only. */
	cfg_wr(vdev, 0x140, 4, 0);
	ASSERT_EQ(cfg_rd(vdev, 0x140, 4), 0x1a020001u);
	close_dev(vdev);
}

TEST(vfio_pci_config, all_caps_hidden_clears_cap_list)
{
	struct pci_dev *pdev = pdev_alloc();
	struct vfio_pci_core_device *vdev;

	pci_add_capability(pdev, PCI_CAP_ID_SHPC, 0x48, 8);
	pci_add_capability(pdev, PCI_CAP_ID_DBG, 0x40, 8);
	pci_setup_device(pdev);
	vdev = open_dev(pdev);
	ASSERT_EQ(cfg_rd(vdev, PCI_STATUS, 2) & PCI_STATUS_CAP_LIST, 0);
	ASSERT_EQ(cfg_rd(vdev, PCI_CAPABILITY_LIST, 1), 0);
	close_dev(vdev);
}

TEST(vfio_pci_config, pm_state_and_pme)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);

	/* PME support, enable and status read as none. */
	ASSERT_EQ(cfg_rd(vdev, 0x40 + PCI_PM_PMC, 2), 0x0003);
	ASSERT_EQ(cfg_rd(vdev, 0x40 + PCI_PM_CTRL, 2), PCI_PM_CTRL_NO_SOFT_RESET);
	/* A D-state write is performed by vfio-pci, under memory_lock. */
	cfg_wr(vdev, 0x40 + PCI_PM_CTRL, 2, 3);
	ASSERT_EQ(power_calls, 1);
	ASSERT_EQ(last_power_state, 3);
	ASSERT_TRUE(power_had_write_lock);
	ASSERT_EQ(hw_rd(pdev, 0x40 + PCI_PM_CTRL, 2) & PCI_PM_CTRL_STATE_MASK, 0);
	down_read(&vdev->memory_lock);
	ASSERT_FALSE(__vfio_pci_memory_enabled(vdev));
	up_read(&vdev->memory_lock);
	/* A write to another part of the capability changes no state. */
	cfg_wr(vdev, 0x40 + PCI_PM_PMC, 2, 0);
	ASSERT_EQ(power_calls, 1);
	close_dev(vdev);
}

TEST(vfio_pci_config, msi_virtualized)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);
	unsigned int flags = 0x50 + PCI_MSI_FLAGS;

	ASSERT_EQ(vfio_pci_msi_count(vdev), 4);
	ASSERT_EQ(vfio_pci_msix_count(vdev), 8);
	/* Multiple Message Capable: the hardware's, whatever msi_qmax says. */
	ASSERT_EQ(cfg_rd(vdev, flags, 2), 0x0184);
	vdev->msi_qmax = 1;
	ASSERT_EQ(cfg_rd(vdev, 0x50, 4), 0x01840000u | 0x7005);

	/* Without MSI set up, enable is dropped and MME capped to msi_qmax. */
	vdev->msi_qmax = 0;
	cfg_wr(vdev, flags, 2, 0xffff);
	ASSERT_EQ(cfg_rd(vdev, flags, 2), 0x018e); /* as 6.12 shows on edu: 0x008e */
	ASSERT_EQ(hw_rd(pdev, flags, 2), 0x0184);
	cfg_wr(vdev, flags, 2, 0);
	ASSERT_EQ(cfg_rd(vdev, flags, 2), 0x0100);

	/* With MSI enabled through SET_IRQS, enable stays and MME <= qmax. */
	vdev->irq_type = VFIO_PCI_IRQ_MSI;
	vdev->msi_qmax = 1;
	cfg_wr(vdev, flags, 1, PCI_MSI_FLAGS_ENABLE | 3 << 4);
	ASSERT_EQ(cfg_rd(vdev, flags, 2), 0x0111);
	ASSERT_EQ(hw_rd(pdev, flags, 2) & 0x71, 0x11);

	/* Address and data are virtual; the mask bits reach the hardware. */
	cfg_wr(vdev, 0x50 + PCI_MSI_ADDRESS_LO, 4, 0xfee01000);
	cfg_wr(vdev, 0x50 + PCI_MSI_DATA_64, 2, 0x4321);
	ASSERT_EQ(cfg_rd(vdev, 0x50 + PCI_MSI_ADDRESS_LO, 4), 0xfee01000u);
	ASSERT_EQ(cfg_rd(vdev, 0x50 + PCI_MSI_DATA_64, 2), 0x4321);
	ASSERT_EQ(hw_rd(pdev, 0x50 + PCI_MSI_ADDRESS_LO, 4), 0);
	cfg_wr(vdev, 0x50 + PCI_MSI_MASK_64, 4, 0x5);
	ASSERT_EQ(hw_rd(pdev, 0x50 + PCI_MSI_MASK_64, 4), 0x5);
	close_dev(vdev);
}

TEST(vfio_pci_config, msix_read_only)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);

	ASSERT_EQ(cfg_rd(vdev, 0xb0, 4), 0x0007c011u);
	cfg_wr(vdev, 0xb0 + PCI_MSIX_FLAGS, 2, PCI_MSIX_FLAGS_ENABLE | PCI_MSIX_FLAGS_MASKALL);
	ASSERT_EQ(hw_rd(pdev, 0xb0 + PCI_MSIX_FLAGS, 2), 0x0007);
	ASSERT_EQ(cfg_rd(vdev, 0xb4, 4), 0x800u);
	close_dev(vdev);
}

TEST(vfio_pci_config, pcie_devctl_flr_mps_mrrs)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);
	unsigned int devctl = 0x70 + PCI_EXP_DEVCTL;

	cfg_wr(vdev, devctl, 2, 0x2810 | PCI_EXP_DEVCTL_BCR_FLR);
	ASSERT_EQ(reset_calls, 1);
	ASSERT_TRUE(reset_had_write_lock);
	ASSERT_EQ(cfg_rd(vdev, devctl, 2), 0x2810); /* FLR reads back 0 */

	/* MPS is virtual; MRRS reaches hardware but not below the physical MPS. */
	cfg_wr(vdev, devctl, 2, 0x0030);
	ASSERT_EQ(cfg_rd(vdev, devctl, 2), 0x0030);
	ASSERT_EQ(hw_rd(pdev, devctl, 2), 0x0010);
	cfg_wr(vdev, devctl, 2, 0x5010);
	ASSERT_EQ(hw_rd(pdev, devctl, 2), 0x5010);
	/* Phantom functions are not writable. */
	cfg_wr(vdev, devctl, 2, 0x5010 | PCI_EXP_DEVCTL_PHANTOM);
	ASSERT_EQ(cfg_rd(vdev, devctl, 2), 0x5010);
	close_dev(vdev);
}

TEST(vfio_pci_config, pcie_flr_without_cap_does_nothing)
{
	struct pci_dev *pdev = full_dev(false);
	struct vfio_pci_core_device *vdev = open_dev(pdev);

	cfg_wr(vdev, 0x70 + PCI_EXP_DEVCTL, 2, 0x2810 | PCI_EXP_DEVCTL_BCR_FLR);
	ASSERT_EQ(reset_calls, 0);
	ASSERT_EQ(cfg_rd(vdev, 0x70 + PCI_EXP_DEVCTL, 2), 0x2810);
	close_dev(vdev);
}

/* ---- chunking and bounds ------------------------------------------------ */

TEST(vfio_pci_config, chunks_stop_at_capability_boundaries)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);
	struct model *m = model_of(pdev);
	s64 pos = (s64)VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + 0xc3;
	u8 buf[6] = { 1, 2, 3, 4, 5, 6 };

	/* 0xc0-0xc5 vendor-specific (raw), 0xc6 on unassigned (raw). */
	m->ncw = 0;
	ASSERT_EQ(vfio_pci_config_rw(vdev, (char *)buf, 5, &pos, true), 5);
	ASSERT_EQ(pos, (s64)VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + 0xc8);
	ASSERT_EQ(m->ncw, 3);
	ASSERT_EQ(m->cw[0].off, 0xc3);
	ASSERT_EQ(m->cw[0].len, 1);
	ASSERT_EQ(m->cw[1].off, 0xc4);
	ASSERT_EQ(m->cw[1].len, 2);
	ASSERT_EQ(m->cw[2].off, 0xc6);
	ASSERT_EQ(m->cw[2].len, 2);

	/* A whole-space read works and matches chunked reads. */
	{
		u8 *all = xzalloc(PCI_CFG_SPACE_EXP_SIZE);

		pos = (s64)VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX);
		ASSERT_EQ(vfio_pci_config_rw(vdev, (char *)all, PCI_CFG_SPACE_EXP_SIZE, &pos,
					     false),
			  PCI_CFG_SPACE_EXP_SIZE);
		ASSERT_EQ(get32(all + 0x50), cfg_rd(vdev, 0x50, 4));
		ASSERT_EQ(get32(all + 0x100), 0x14000000u);
		free(all);
	}
	close_dev(vdev);
}

TEST(vfio_pci_config, bounds)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);
	s64 base = (s64)VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX);
	u8 buf[8];
	s64 pos;

	pos = base + 4095;
	ASSERT_EQ(vfio_pci_config_rw(vdev, (char *)buf, 1, &pos, false), 1);
	pos = base + 4094;
	ASSERT_NEG(vfio_pci_config_rw(vdev, (char *)buf, 4, &pos, false), EFAULT);
	ASSERT_EQ(pos, base + 4094);
	pos = base + 4096;
	ASSERT_NEG(vfio_pci_config_rw(vdev, (char *)buf, 1, &pos, true), EFAULT);
	ASSERT_EQ(vfio_pci_config_rw(vdev, (char *)buf, 0, &pos, false), 0);
	/* Unaligned reads are cut into aligned pieces. */
	pos = base + 1;
	ASSERT_EQ(vfio_pci_config_rw(vdev, (char *)buf, 2, &pos, false), 2);
	ASSERT_EQ(buf[0] | buf[1] << 8, 0xff1a);
	close_dev(vdev);
}

/* ---- BAR and ROM regions ------------------------------------------------ */

TEST(vfio_pci_rdwr, bar_gated_by_memory_enable)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);
	u32 v = 0x11223344;

	ASSERT_NEG(region_rw(vdev, 0, 0, &v, 4, false), EIO);
	ASSERT_NEG(region_rw(vdev, 0, 0, &v, 4, true), EIO);
	ASSERT_EQ(model_of(pdev)->nacc, 0);
	/* I/O BARs are not gated by memory decode. */
	ASSERT_EQ(region_rw(vdev, 1, 4, &v, 4, true), 4);
	ASSERT_EQ(get32(model_of(pdev)->bar1 + 4), 0x11223344u);

	cfg_wr(vdev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ASSERT_EQ(region_rw(vdev, 0, 0x10, &v, 4, true), 4);
	ASSERT_EQ(get32(model_of(pdev)->bar0 + 0x10), 0x11223344u);

	/* D3hot closes the gate too. */
	vdev->power_state = 3;
	ASSERT_NEG(region_rw(vdev, 0, 0x10, &v, 4, false), EIO);
	close_dev(vdev);
}

TEST(vfio_pci_rdwr, bar_bounds_and_widths)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);
	struct model *m = model_of(pdev);
	u8 buf[16];
	s64 pos;

	cfg_wr(vdev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ASSERT_NEG(region_rw(vdev, 0, BAR0_SIZE, buf, 4, false), EINVAL);
	ASSERT_EQ(region_rw(vdev, 0, BAR0_SIZE - 4, buf, 8, false), 4);
	ASSERT_NEG(region_rw(vdev, 4, 0, buf, 4, false), EINVAL); /* not implemented */
	ASSERT_NEG(region_rw(vdev, 5, 0, buf, 4, false), EINVAL); /* not assigned */

	/* Naturally aligned pieces, 8 bytes where possible. */
	for (int i = 0; i < 16; i++)
		m->bar2[0x100 + i] = (u8)i;
	m->nacc = 0;
	pos = (s64)VFIO_PCI_INDEX_TO_OFFSET(2) + 0x101;
	ASSERT_EQ(vfio_pci_bar_rw(vdev, (char *)buf, 15, &pos, false), 15);
	ASSERT_EQ(pos, (s64)VFIO_PCI_INDEX_TO_OFFSET(2) + 0x110);
	ASSERT_EQ(m->nacc, 4);
	ASSERT_EQ(m->acc[0].size, 1);
	ASSERT_EQ(m->acc[1].size, 2);
	ASSERT_EQ(m->acc[2].size, 4);
	ASSERT_EQ(m->acc[3].size, 8);
	ASSERT_EQ(m->acc[3].off, 0x108);
	ASSERT_EQ(buf[0], 1);
	ASSERT_EQ(buf[14], 15);
	close_dev(vdev);
}

TEST(vfio_pci_rdwr, msix_table_excluded)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);
	struct model *m = model_of(pdev);
	u8 buf[0x90];

	cfg_wr(vdev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	memset(m->bar0 + 0x7f8, 0x42, 0x98);
	m->nacc = 0;
	ASSERT_EQ(region_rw(vdev, 0, 0x7f8, buf, sizeof(buf), false), (ssize_t)sizeof(buf));
	ASSERT_EQ(buf[0], 0x42);
	for (unsigned int i = 8; i < 8 + 0x80; i++)
		ASSERT_EQ(buf[i], 0xff);
	ASSERT_EQ(buf[0x88], 0x42);
	for (int i = 0; i < m->nacc; i++)
		ASSERT_TRUE(m->acc[i].off + m->acc[i].size <= 0x800 || m->acc[i].off >= 0x880);

	memset(buf, 0, sizeof(buf));
	ASSERT_EQ(region_rw(vdev, 0, 0x800, buf, 0x80, true), 0x80);
	ASSERT_EQ(m->bar0[0x800], 0x42);
	close_dev(vdev);
}

TEST(vfio_pci_rdwr, rom_read)
{
	struct pci_dev *pdev = full_dev(true);
	struct vfio_pci_core_device *vdev = open_dev(pdev);
	struct model *m = model_of(pdev);
	u8 buf[16];

	ASSERT_NEG(region_rw(vdev, VFIO_PCI_ROM_REGION_INDEX, 0, buf, 4, false), EIO);
	cfg_wr(vdev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ASSERT_EQ(region_rw(vdev, VFIO_PCI_ROM_REGION_INDEX, 0, buf, 16, false), 16);
	ASSERT_EQ(buf[0], 0x55);
	ASSERT_EQ(buf[1], 0xaa);
	ASSERT_EQ(region_rw(vdev, VFIO_PCI_ROM_REGION_INDEX, 0x40, buf, 4, false), 4);
	ASSERT_EQ(get32(buf), 0x43424140u);
	/* Past the image, inside the BAR: 0xff. */
	ASSERT_EQ(region_rw(vdev, VFIO_PCI_ROM_REGION_INDEX, ROM_IMAGE - 2, buf, 4, false), 4);
	ASSERT_EQ(get32(buf), 0xffff7f7eu);
	ASSERT_EQ(region_rw(vdev, VFIO_PCI_ROM_REGION_INDEX, ROM_SIZE - 4, buf, 8, false), 4);
	ASSERT_EQ(get32(buf), 0xffffffffu);
	ASSERT_NEG(region_rw(vdev, VFIO_PCI_ROM_REGION_INDEX, ROM_SIZE, buf, 4, false), EINVAL);
	ASSERT_EQ(m->nacc, 0);

	/* No valid image: pci_map_rom() fails. */
	pdev->rom[0] = 0;
	ASSERT_NEG(region_rw(vdev, VFIO_PCI_ROM_REGION_INDEX, 0, buf, 4, false), ENOMEM);
	close_dev(vdev);
}

/* ---- against a real 6.12 (tests/oracle/edu.txt) ------------------------- */

/* QEMU 7.2's edu as the host left it before vfio-pci opened it. */
static struct pci_dev *edu_dev(void)
{
	struct pci_dev *pdev = pdev_alloc();
	u8 *c = pdev->config;

	put16(c + PCI_VENDOR_ID, 0x1234);
	put16(c + PCI_DEVICE_ID, 0x11e8);
	c[PCI_REVISION_ID] = 0x10;
	c[PCI_CLASS_DEVICE] = 0xff; /* class 0x00ff00 */
	put16(c + PCI_SUBSYSTEM_VENDOR_ID, 0x1af4);
	put16(c + PCI_SUBSYSTEM_ID, 0x1100);
	c[PCI_INTERRUPT_PIN] = 1;
	c[PCI_INTERRUPT_LINE] = 0x0b;
	put16(c + PCI_COMMAND, 0x0103);
	pdev->irq = 11;
	/* QEMU: command IO|MEM|MASTER|SERR|DisINTx, status RW1C, device area writable. */
	put16(pdev->wmask + PCI_COMMAND, 0x0507);
	pdev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	pdev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	pdev->w1cmask[PCI_STATUS + 1] = 0xf9;
	memset(pdev->wmask + 0x40, 0xff, 0xc0);
	pci_add_capability(pdev, PCI_CAP_ID_MSI, 0x40, 14);
	memset(pdev->wmask + 0x40, 0, 14);
	put16(c + 0x40 + PCI_MSI_FLAGS, PCI_MSI_FLAGS_64BIT);
	pdev->wmask[0x40 + PCI_MSI_FLAGS] = PCI_MSI_FLAGS_ENABLE | PCI_MSI_FLAGS_QSIZE;
	put32(pdev->wmask + 0x44, 0xfffffffc);
	put32(pdev->wmask + 0x48, 0xffffffff);
	put16(pdev->wmask + 0x4c, 0xffff);
	pci_register_bar(pdev, 0, 0x100000, IORESOURCE_MEM);
	assign(pdev, 0, 0xfe800000);
	pci_setup_device(pdev);
	return pdev;
}

static void dump(struct vfio_pci_core_device *vdev, u8 *out)
{
	s64 pos = (s64)VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX);

	ASSERT_EQ(vfio_pci_config_rw(vdev, (char *)out, 256, &pos, false), 256);
}

/* "vfio config region initial (fresh open)", rows 0x00-0x4f; the rest is 0. */
static const u8 edu_initial[0x50] = {
	0x34, 0x12, 0xe8, 0x11, 0x03, 0x01, 0x10, 0x00, 0x10, 0x00, 0xff, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x80, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xf4, 0x1a, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x0b, 0x01, 0x00, 0x00, 0x05, 0x00, 0x80, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
};

/* "vfio config region after field writes": rows 0x00-0x4f, and 0x80-0x83 = ff. */
static const u8 edu_after_writes[0x50] = {
	0x34, 0x12, 0xe8, 0x11, 0x06, 0x00, 0x10, 0x00, 0x10, 0x00, 0xff, 0x00, 0x10, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x80, 0xfe, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
	0x00, 0x00, 0xf4, 0x1a, 0x00, 0x11, 0x00, 0x00, 0x00, 0x00, 0x40, 0x00, 0x00, 0x00,
	0x00, 0x00, 0x00, 0x00, 0x55, 0x01, 0x00, 0x00, 0x05, 0x00, 0x00, 0x00, 0xff, 0xff,
	0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x00, 0x00,
};

TEST(vfio_pci_config, edu_matches_kernel_6_12)
{
	struct pci_dev *pdev = edu_dev();
	struct vfio_pci_core_device *vdev = open_dev(pdev);
	u8 d[256], zero[256] = { 0 };
	static const unsigned int bar_offs[] = { 0x10, 0x14, 0x18, 0x1c, 0x20, 0x24, 0x30 };

	dump(vdev, d);
	ASSERT_MEMEQ(d, edu_initial, sizeof(edu_initial));
	ASSERT_MEMEQ(d + 0x50, zero, 256 - 0x50);
	ASSERT_EQ(vfio_pci_msi_count(vdev), 1);

	/* The probe's command register sequence. */
	ASSERT_EQ(cfg_rd(vdev, PCI_COMMAND, 2), 0x0103);
	ASSERT_EQ(cfg_rd(vdev, PCI_STATUS, 2), 0x0010);
	cfg_wr(vdev, PCI_COMMAND, 2, 0x0006);
	ASSERT_EQ(cfg_rd(vdev, PCI_COMMAND, 2), 0x0006);
	cfg_wr(vdev, PCI_COMMAND, 2, 0xffff);
	ASSERT_EQ(cfg_rd(vdev, PCI_COMMAND, 2), 0x0507);
	cfg_wr(vdev, PCI_COMMAND, 2, 0x0000);
	ASSERT_EQ(cfg_rd(vdev, PCI_COMMAND, 2), 0x0000);
	cfg_wr(vdev, PCI_COMMAND, 2, 0x0006);

	/* BAR sizing: "0x10: orig=0xfe800000 after_ffffffff=0xfff00000", the rest 0. */
	for (unsigned int i = 0; i < ARRAY_SIZE(bar_offs); i++) {
		u32 orig = cfg_rd(vdev, bar_offs[i], 4);

		ASSERT_EQ(orig, i == 0 ? 0xfe800000u : 0);
		cfg_wr(vdev, bar_offs[i], 4, 0xffffffff);
		ASSERT_EQ(cfg_rd(vdev, bar_offs[i], 4), i == 0 ? 0xfff00000u : 0);
		cfg_wr(vdev, bar_offs[i], 4, orig);
		ASSERT_EQ(cfg_rd(vdev, bar_offs[i], 4), orig);
	}
	cfg_wr(vdev, PCI_ROM_ADDRESS, 4, 0xfffff801);
	ASSERT_EQ(cfg_rd(vdev, PCI_ROM_ADDRESS, 4), 0);
	cfg_wr(vdev, PCI_ROM_ADDRESS, 4, 0);

	cfg_wr(vdev, 0, 4, 0xffffffff);
	ASSERT_EQ(cfg_rd(vdev, 0, 4), 0x11e81234u);
	cfg_wr(vdev, 0x3c, 1, 0x55);
	ASSERT_EQ(cfg_rd(vdev, 0x3c, 1), 0x55);
	cfg_wr(vdev, 0x3d, 1, 0x04);
	ASSERT_EQ(cfg_rd(vdev, 0x3d, 1), 0x01);
	cfg_wr(vdev, 0x0c, 1, 0x10);
	ASSERT_EQ(cfg_rd(vdev, 0x0c, 1), 0x10);
	cfg_wr(vdev, 0x0d, 1, 0x40);
	ASSERT_EQ(cfg_rd(vdev, 0x0d, 1), 0x00);
	cfg_wr(vdev, 0x06, 2, 0xffff);
	ASSERT_EQ(cfg_rd(vdev, 0x06, 2), 0x0010);
	cfg_wr(vdev, 0x42, 2, 0xffff);
	ASSERT_EQ(cfg_rd(vdev, 0x42, 2), 0x008e);
	cfg_wr(vdev, 0x42, 2, 0x0000);
	cfg_wr(vdev, 0x44, 4, 0xffffffff);
	ASSERT_EQ(cfg_rd(vdev, 0x44, 4), 0xffffffffu);
	cfg_wr(vdev, 0x48, 4, 0xffffffff);
	ASSERT_EQ(cfg_rd(vdev, 0x48, 4), 0xffffffffu);
	cfg_wr(vdev, 0x4c, 2, 0xffff);
	ASSERT_EQ(cfg_rd(vdev, 0x4c, 2), 0xffff);
	cfg_wr(vdev, 0x80, 4, 0xffffffff);
	ASSERT_EQ(cfg_rd(vdev, 0x80, 4), 0xffffffffu);
	{
		s64 pos = (s64)VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX) + 256;
		u32 v = 0;

		ASSERT_NEG(vfio_pci_config_rw(vdev, (char *)&v, 4, &pos, true), EFAULT);
	}

	dump(vdev, d);
	ASSERT_MEMEQ(d, edu_after_writes, sizeof(edu_after_writes));
	ASSERT_EQ(get32(d + 0x80), 0xffffffffu);
	ASSERT_MEMEQ(d + 0x50, zero, 0x30);
	ASSERT_MEMEQ(d + 0x84, zero, 256 - 0x84);

	/* "with MSI enabled": SET_IRQS does not touch the virtual flags. */
	vdev->irq_type = VFIO_PCI_IRQ_MSI;
	vdev->msi_qmax = 0;
	dump(vdev, d);
	ASSERT_MEMEQ(d, edu_after_writes, sizeof(edu_after_writes));
	close_dev(vdev);
}

TEST(vfio_pci_config, edu_bounds_match_kernel_6_12)
{
	struct pci_dev *pdev = edu_dev();
	struct vfio_pci_core_device *vdev = open_dev(pdev);
	s64 base = (s64)VFIO_PCI_INDEX_TO_OFFSET(VFIO_PCI_CONFIG_REGION_INDEX);
	u8 buf[4096];
	s64 pos;

	pos = base;
	ASSERT_NEG(vfio_pci_config_rw(vdev, (char *)buf, 4096, &pos, false), EFAULT);
	pos = base + 256;
	ASSERT_NEG(vfio_pci_config_rw(vdev, (char *)buf, 4, &pos, false), EFAULT);
	pos = base + 252;
	ASSERT_NEG(vfio_pci_config_rw(vdev, (char *)buf, 8, &pos, false), EFAULT);
	pos = base + 255;
	ASSERT_EQ(vfio_pci_config_rw(vdev, (char *)buf, 1, &pos, false), 1);
	pos = base + 2;
	ASSERT_EQ(vfio_pci_config_rw(vdev, (char *)buf, 4, &pos, false), 4);
	pos = base;
	ASSERT_EQ(vfio_pci_config_rw(vdev, (char *)buf, 3, &pos, false), 3);
	/* BAR0: 1 MiB; a read straddling the end is cut; BAR1 and the ROM do not exist. */
	cfg_wr(vdev, PCI_COMMAND, 2, PCI_COMMAND_MEMORY);
	ASSERT_NEG(region_rw(vdev, 0, 0x100000, buf, 4, false), EINVAL);
	ASSERT_EQ(region_rw(vdev, 0, 0xffffc, buf, 8, false), 4);
	ASSERT_NEG(region_rw(vdev, 1, 0, buf, 4, false), EINVAL);
	ASSERT_NEG(region_rw(vdev, VFIO_PCI_ROM_REGION_INDEX, 0, buf, 4, false), EINVAL);
	close_dev(vdev);
}

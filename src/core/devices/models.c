// SPDX-License-Identifier: MIT
/*
 * The device model registry and the helpers the models share: parameter
 * parsing, loading a config image from a sysfs-style hexdump, and the write
 * masks QEMU gives every PCI function (pci_init_wmask, pci_init_w1cmask and the
 * bridge variants), so that writes land as they do on the lab machine.
 */
#include <ctype.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/models.h"

static const struct pci_model *const all_models[] = {
	&q35_host_model,
	&edu_model,
	&e1000_model,
	&e1000e_model,
	&ivshmem_plain_model,
	&pcie_pci_bridge_model,
	&pcie_root_port_model,
	&ich9_lpc_model,
	&ich9_ahci_model,
	&ich9_smbus_model,
	NULL,
};

const struct pci_model *const *pci_models(void)
{
	return all_models;
}

const struct pci_model *pci_model_find(const char *name)
{
	for (const struct pci_model *const *m = all_models; *m; m++)
		if (!strcmp((*m)->name, name))
			return *m;
	return NULL;
}

/* During init hdr_type is not filled in yet: ask the config bytes. */
static bool cfg_is_bridge(const struct pci_dev *pdev)
{
	return (pdev->config[PCI_HEADER_TYPE] & 0x7f) == PCI_HEADER_TYPE_BRIDGE;
}

int model_param_u64(const char *value, unsigned long long *out)
{
	char *end;

	if (!value || !*value || isspace((unsigned char)*value) || *value == '-' || *value == '+')
		return -EINVAL;
	errno = 0;
	*out = strtoull(value, &end, 0);
	if (errno)
		return -EINVAL;
	/* A binary size suffix: 64K, 2M, 1G. */
	if (*end && !end[1] && strchr("KMG", *end)) {
		unsigned int shift = *end == 'K' ? 10 : *end == 'M' ? 20 : 30;

		if (*out > ULLONG_MAX >> shift)
			return -EINVAL;
		*out <<= shift;
		end++;
	}
	return *end ? -EINVAL : 0;
}

const char *model_param_find(const struct model_param *params, unsigned int nparams,
			     const char *key)
{
	for (unsigned int i = 0; i < nparams; i++)
		if (!strcmp(params[i].key, key))
			return params[i].value;
	return NULL;
}

int model_check_params(const struct model_param *params, unsigned int nparams,
		       const char *const *known, char *err, size_t errlen)
{
	for (unsigned int i = 0; i < nparams; i++) {
		const char *const *k;

		for (k = known; *k; k++)
			if (!strcmp(params[i].key, *k))
				break;
		if (!*k) {
			snprintf(err, errlen, "unknown parameter '%s'", params[i].key);
			return -EINVAL;
		}
		for (unsigned int j = 0; j < i; j++) {
			if (!strcmp(params[i].key, params[j].key)) {
				snprintf(err, errlen, "parameter '%s' given twice", params[i].key);
				return -EINVAL;
			}
		}
	}
	return 0;
}

int model_param_get_u64(const struct model_param *params, unsigned int nparams, const char *key,
			unsigned long long max, unsigned long long *out, bool *found, char *err,
			size_t errlen)
{
	const char *v = model_param_find(params, nparams, key);

	*found = v != NULL;
	if (!v)
		return 0;
	if (model_param_u64(v, out) || *out > max) {
		snprintf(err, errlen, "bad value '%s' for parameter '%s' (a number up to %#llx)", v,
			 key, max);
		return -EINVAL;
	}
	return 0;
}

void model_load_config(struct pci_dev *pdev, const char *const *rows, size_t nrows)
{
	memset(pdev->config, 0, sizeof(pdev->config));
	for (size_t i = 0; i < nrows; i++) {
		const char *p = rows[i];
		char *end;
		unsigned long off = strtoul(p, &end, 16);

		if (*end != ':')
			abort();
		p = end + 1;
		for (;;) {
			unsigned long b;

			while (*p == ' ')
				p++;
			if (!*p)
				break;
			b = strtoul(p, &end, 16);
			if (end == p || b > 0xff || off >= sizeof(pdev->config))
				abort();
			pdev->config[off++] = (u8)b;
			p = end;
		}
	}
}

void model_init_masks(struct pci_dev *pdev)
{
	unsigned int size = pdev->cfg_size ? pdev->cfg_size : PCI_CFG_SPACE_SIZE;
	const u16 status_w1c = PCI_STATUS_PARITY | PCI_STATUS_SIG_TARGET_ABORT |
			       PCI_STATUS_REC_TARGET_ABORT | PCI_STATUS_REC_MASTER_ABORT |
			       PCI_STATUS_SIG_SYSTEM_ERROR | PCI_STATUS_DETECTED_PARITY;

	memset(pdev->wmask, 0, sizeof(pdev->wmask));
	memset(pdev->w1cmask, 0, sizeof(pdev->w1cmask));

	pdev->wmask[PCI_CACHE_LINE_SIZE] = 0xff;
	pdev->wmask[PCI_INTERRUPT_LINE] = 0xff;
	cfg_set16(pdev->wmask + PCI_COMMAND, PCI_COMMAND_IO | PCI_COMMAND_MEMORY |
						     PCI_COMMAND_MASTER | PCI_COMMAND_INTX_DISABLE |
						     PCI_COMMAND_SERR);
	cfg_set16(pdev->w1cmask + PCI_STATUS, status_w1c);
	/* QEMU leaves everything past the header writable until a capability claims it. */
	memset(pdev->wmask + 0x40, 0xff, size - 0x40);

	if ((pdev->config[PCI_HEADER_TYPE] & 0x7f) != PCI_HEADER_TYPE_BRIDGE)
		return;

	/* Bridges: the interrupt line of a type 1 header sits at the same place. */
	memset(pdev->wmask + PCI_PRIMARY_BUS, 0xff, 4);
	pdev->wmask[PCI_IO_BASE] = PCI_IO_RANGE_MASK & 0xff;
	pdev->wmask[PCI_IO_LIMIT] = PCI_IO_RANGE_MASK & 0xff;
	cfg_set16(pdev->wmask + PCI_MEMORY_BASE, PCI_MEMORY_RANGE_MASK & 0xffff);
	cfg_set16(pdev->wmask + PCI_MEMORY_LIMIT, PCI_MEMORY_RANGE_MASK & 0xffff);
	cfg_set16(pdev->wmask + PCI_PREF_MEMORY_BASE, PCI_PREF_RANGE_MASK & 0xffff);
	cfg_set16(pdev->wmask + PCI_PREF_MEMORY_LIMIT, PCI_PREF_RANGE_MASK & 0xffff);
	memset(pdev->wmask + PCI_PREF_BASE_UPPER32, 0xff, 8);
	/* PARITY SERR ISA VGA VGA16 MASTER_ABORT BUS_RESET FAST_BACK and the discard timers */
	cfg_set16(pdev->wmask + PCI_BRIDGE_CONTROL, 0x0001 | 0x0002 | 0x0004 | 0x0008 | 0x0010 |
							    0x0020 | 0x0040 | 0x0080 | 0x0100 |
							    0x0200 | 0x0800);
	cfg_set16(pdev->w1cmask + PCI_BRIDGE_CONTROL, 0x0400);
	cfg_set16(pdev->w1cmask + PCI_SEC_STATUS, status_w1c);
}

void model_setup_bar(struct pci_dev *pdev, int bar, u64 size, unsigned long flags)
{
	unsigned int reg;
	u64 mask = ~(size - 1);
	u32 type = 0;

	pci_register_bar(pdev, bar, size, flags);

	if (bar == PCI_ROM_RESOURCE) {
		reg = cfg_is_bridge(pdev) ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS;
		cfg_set32(pdev->wmask + reg, (u32)mask | PCI_ROM_ADDRESS_ENABLE);
		return;
	}
	reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	if (flags & IORESOURCE_IO) {
		type = PCI_BASE_ADDRESS_SPACE_IO;
	} else {
		if (flags & IORESOURCE_MEM_64)
			type |= PCI_BASE_ADDRESS_MEM_TYPE_64;
		if (flags & IORESOURCE_PREFETCH)
			type |= PCI_BASE_ADDRESS_MEM_PREFETCH;
	}
	pdev->config[reg] = (u8)((pdev->config[reg] & ~0xf) | type);
	cfg_set32(pdev->wmask + reg, (u32)mask & ~0xfu);
	if (type & PCI_BASE_ADDRESS_MEM_TYPE_64)
		cfg_set32(pdev->wmask + reg + 4, (u32)(mask >> 32));
}

void model_set_bar_addr(struct pci_dev *pdev, int bar, u64 addr)
{
	struct resource *r = &pdev->resource[bar];
	unsigned int reg;
	u32 low;

	/* The world writes resource[].start into the BARs (0: it picks an address). */
	if (r->flags) {
		u64 size = r->end - r->start + 1;

		r->start = addr;
		r->end = addr + size - 1;
	}
	if (bar == PCI_ROM_RESOURCE) {
		reg = cfg_is_bridge(pdev) ? PCI_ROM_ADDRESS1 : PCI_ROM_ADDRESS;
		low = cfg_get32(pdev->config + reg) & PCI_ROM_ADDRESS_ENABLE;
		cfg_set32(pdev->config + reg, ((u32)addr & PCI_ROM_ADDRESS_MASK) | low);
		return;
	}
	reg = PCI_BASE_ADDRESS_0 + 4 * bar;
	low = pdev->config[reg] & 0xf;
	if (low & PCI_BASE_ADDRESS_SPACE_IO) {
		cfg_set32(pdev->config + reg, ((u32)addr & ~3u) | (low & 3));
		return;
	}
	cfg_set32(pdev->config + reg, ((u32)addr & ~0xfu) | low);
	if (low & PCI_BASE_ADDRESS_MEM_TYPE_64)
		cfg_set32(pdev->config + reg + 4, (u32)(addr >> 32));
}

int model_apply_placement(struct pci_dev *pdev, const struct model_placement *tbl, size_t n,
			  const struct model_param *params, unsigned int nparams, char *err,
			  size_t errlen)
{
	static const char *const keys[PCI_NUM_RESOURCES] = { "bar0", "bar1", "bar2", "bar3",
							     "bar4", "bar5", "rom" };
	const struct model_placement *pl = NULL;

	for (size_t i = 0; i < n; i++)
		if (tbl[i].bus == pdev->bus->number && tbl[i].devfn == pdev->devfn)
			pl = &tbl[i];

	for (int bar = 0; bar < PCI_NUM_RESOURCES; bar++) {
		unsigned long long addr = pl ? pl->bar[bar] : 0;
		bool found;
		int ret;

		/* pci_register_bar() set the flags; a 64-bit BAR's upper half has none. */
		if (!pdev->resource[bar].flags) {
			if (model_param_find(params, nparams, keys[bar])) {
				snprintf(err, errlen, "parameter '%s': the device has no such BAR",
					 keys[bar]);
				return -EINVAL;
			}
			continue;
		}
		ret = model_param_get_u64(params, nparams, keys[bar], UINT64_MAX, &addr, &found,
					  err, errlen);
		if (ret)
			return ret;
		model_set_bar_addr(pdev, bar, addr);
	}
	if (pl) {
		pdev->config[PCI_INTERRUPT_LINE] = pl->intline;
		pdev->irq = pl->irq;
	} else {
		pdev->irq = pdev->config[PCI_INTERRUPT_PIN] ? pdev->config[PCI_INTERRUPT_LINE] : 0;
	}
	return 0;
}

void model_cap_readonly(struct pci_dev *pdev, unsigned int off, unsigned int len)
{
	memset(pdev->wmask + off, 0, len);
	memset(pdev->w1cmask + off, 0, len);
}

void model_msi_masks(struct pci_dev *pdev, unsigned int off, bool is64, bool maskable,
		     unsigned int nvec)
{
	unsigned int data = is64 ? PCI_MSI_DATA_64 : PCI_MSI_DATA_32;
	unsigned int len = data + 2 + (maskable ? 10 : 0);

	model_cap_readonly(pdev, off, len);
	cfg_set16(pdev->wmask + off + PCI_MSI_FLAGS, PCI_MSI_FLAGS_QSIZE | PCI_MSI_FLAGS_ENABLE);
	cfg_set32(pdev->wmask + off + PCI_MSI_ADDRESS_LO, 0xfffffffc);
	if (is64)
		cfg_set32(pdev->wmask + off + PCI_MSI_ADDRESS_HI, 0xffffffff);
	cfg_set16(pdev->wmask + off + data, 0xffff);
	if (maskable) {
		unsigned int mask = is64 ? PCI_MSI_MASK_64 : PCI_MSI_MASK_32;

		cfg_set32(pdev->wmask + off + mask,
			  nvec >= 32 ? 0xffffffff : (u32)((1ull << nvec) - 1));
	}
}

bool model_msi_enabled(struct pci_dev *pdev, unsigned int off)
{
	/* The PCI layer mirrors the capability's enable state: no cfg_lock needed. */
	(void)off;
	return atomic_load(&pdev->msi_nvec) != 0;
}

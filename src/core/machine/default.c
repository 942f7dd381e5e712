// SPDX-License-Identifier: MIT
/*
 * The built-in default machine. It is kept as machine-file text and goes
 * through the same parser as any file, so it is also the reference example of
 * the format; examples/machines/default.machine holds the same bytes (the unit
 * test checks that they stay equal).
 */
#include "machine/machine.h"
#include "uvfio/uvfio.h"

static const char default_machine_text[] =
	"# The built-in default machine of uvfio (uvfio_machine_default()): QEMU q35 as\n"
	"# the kernel lab runs it, with -device intel-iommu,intremap=on.\n"
	"#\n"
	"#   group 0  00:00.0 host bridge\n"
	"#   group 1  00:03.0 edu (no host driver: unbound at start)\n"
	"#   group 2  00:04.0 PCIe-to-PCI bridge and the two e1000 behind it (their\n"
	"#            DMA carries the bridge's requester ID), bound to e1000 at start\n"
	"#   group 3  00:1f.0/.2/.3 ICH9 functions (a multi-function slot without ACS)\n"
	"machine q35\n"
	"iommu aw-bits=39 intremap=on\n"
	"\n"
	"device 0000:00:00.0 q35-host\n"
	"device 0000:00:03.0 edu\n"
	"device 0000:00:04.0 pcie-pci-bridge bus=1\n"
	"device 0000:01:01.0 e1000 driver=e1000 mac=52:54:00:12:34:56\n"
	"device 0000:01:02.0 e1000 driver=e1000 mac=52:54:00:12:34:57\n"
	"device 0000:00:1f.0 ich9-lpc\n"
	"device 0000:00:1f.2 ich9-ahci\n"
	"device 0000:00:1f.3 ich9-smbus\n";

const char *uvfio_machine_default_text(void)
{
	return default_machine_text;
}

/* NULL only if the text above stopped parsing, which the unit test rules out. */
struct uvfio_machine *uvfio_machine_default(void)
{
	struct uvfio_machine *m;

	if (uvfio_machine_parse(default_machine_text, "<default>", &m, NULL, 0))
		return NULL;
	return m;
}

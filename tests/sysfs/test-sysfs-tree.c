// SPDX-License-Identifier: MIT
/*
 * The sysfs tree API in-process (uvfio_sysfs_stat/readdir/pread/readlink):
 * names, modes, sizes, symlink targets and text formats of the lab kernel
 * (docs/kernel-facts.md §1, tests/oracle/sysfs.txt).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test.h"
#include "uvfio/uvfio.h"

#define EDU "/sys/bus/pci/devices/0000:00:03.0"

static struct uvfio_world *world_new(void)
{
	struct uvfio_machine *m = uvfio_machine_default();
	struct uvfio_world *w;
	char err[256];

	ASSERT_EQ(uvfio_world_create(m, &w, err, sizeof(err)), 0);
	uvfio_machine_free(m);
	return w;
}

static char *rd(struct uvfio_world *w, const char *path)
{
	static char buf[4096];
	ssize_t n = uvfio_sysfs_read(w, path, buf, sizeof(buf) - 1);

	ASSERT_GE(n, 0);
	buf[n] = '\0';
	return buf;
}

static char *rl(struct uvfio_world *w, const char *path)
{
	static char buf[4096];
	ssize_t n = uvfio_sysfs_readlink(w, path, buf, sizeof(buf) - 1);

	ASSERT_GE(n, 0);
	buf[n] = '\0';
	return buf;
}

static void bind_edu(struct uvfio_world *w)
{
	ASSERT_EQ(uvfio_sysfs_write(w, EDU "/driver_override", "vfio-pci\n", 9), 9);
	ASSERT_EQ(uvfio_sysfs_write(w, "/sys/bus/pci/drivers_probe", "0000:00:03.0", 12), 12);
}

/* "name mode" lines of a listing, e.g. "vendor -0444 4096\n" or "driver l0777\n". */
struct listing {
	char text[8192];
	size_t len;
};

static int list_one(void *arg, const char *name, const struct uvfio_sysfs_stat *st)
{
	struct listing *l = arg;

	l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len, "%s %c%04o", name,
				   "d-lc"[st->type], st -> mode);
	if (st->type == UVFIO_SYSFS_REG)
		l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len, " %llu",
					   st->size);
	if (st->type == UVFIO_SYSFS_CHR)
		l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len, " %u:%u",
					   st->rdev_major, st->rdev_minor);
	l->len += (size_t)snprintf(l->text + l->len, sizeof(l->text) - l->len, "\n");
	return 0;
}

static const char *ls(struct uvfio_world *w, const char *path)
{
	static struct listing l;

	l.len = 0;
	l.text[0] = '\0';
	ASSERT_EQ(uvfio_sysfs_readdir(w, path, list_one, &l), 0);
	return l.text;
}

TEST(sysfs_tree, text_formats)
{
	struct uvfio_world *w = world_new();

	ASSERT_STREQ(rd(w, EDU "/vendor"), "0x1234\n");
	ASSERT_STREQ(rd(w, EDU "/device"), "0x11e8\n");
	ASSERT_STREQ(rd(w, EDU "/class"), "0x00ff00\n");
	ASSERT_STREQ(rd(w, EDU "/revision"), "0x10\n");
	ASSERT_STREQ(rd(w, EDU "/irq"), "11\n");
	ASSERT_STREQ(rd(w, EDU "/numa_node"), "-1\n");
	ASSERT_STREQ(rd(w, EDU "/local_cpulist"), "0-1\n");
	ASSERT_STREQ(rd(w, EDU "/enable"), "0\n");
	ASSERT_STREQ(rd(w, EDU "/power_state"), "unknown\n");
	ASSERT_STREQ(rd(w, EDU "/driver_override"), "(null)\n");
	ASSERT_STREQ(rd(w, EDU "/modalias"),
		     "pci:v00001234d000011E8sv00001AF4sd00001100bc00scFFi00\n");
	ASSERT_STREQ(rd(w, EDU "/uevent"),
		     "PCI_CLASS=FF00\nPCI_ID=1234:11E8\nPCI_SUBSYS_ID=1AF4:1100\n"
		     "PCI_SLOT_NAME=0000:00:03.0\n"
		     "MODALIAS=pci:v00001234d000011E8sv00001AF4sd00001100bc00scFFi00\n");
	ASSERT_STREQ(rd(w, "/sys/bus/pci/devices/0000:01:01.0/uevent"),
		     "DRIVER=e1000\nPCI_CLASS=20000\nPCI_ID=8086:100E\nPCI_SUBSYS_ID=1AF4:1100\n"
		     "PCI_SLOT_NAME=0000:01:01.0\n"
		     "MODALIAS=pci:v00008086d0000100Esv00001AF4sd00001100bc02sc00i00\n");
	ASSERT_STREQ(rd(w, "/sys/bus/pci/devices/0000:00:04.0/current_link_speed"),
		     "2.5 GT/s PCIe\n");
	ASSERT_STREQ(rd(w, "/sys/bus/pci/devices/0000:00:04.0/secondary_bus_number"), "1\n");
	ASSERT_STREQ(rd(w, "/sys/bus/pci/devices/0000:00:04.0/enable"), "1\n");
	ASSERT_STREQ(rd(w, "/sys/bus/pci/devices/0000:00:04.0/d3cold_allowed"), "1\n");
	ASSERT_STREQ(rd(w, "/sys/bus/pci/drivers_autoprobe"), "1\n");
	ASSERT_STREQ(rd(w, "/sys/bus/pci/resource_alignment"), "");
	uvfio_world_destroy(w);
}

TEST(sysfs_tree, resource)
{
	struct uvfio_world *w = world_new();
	char *r = rd(w, EDU "/resource");
	int lines = 0;

	for (char *p = r; *p; p++)
		lines += *p == '\n';
	ASSERT_EQ(lines, 13);
	ASSERT_EQ(strncmp(r, "0x00000000fe800000 0x00000000fe8fffff 0x0000000000040200\n", 57), 0);
	r = rd(w, "/sys/bus/pci/devices/0000:01:01.0/resource");
	ASSERT_TRUE(strstr(r, "0x000000000000c000 0x000000000000c03f 0x0000000000040101\n") !=
		    NULL);
	ASSERT_TRUE(strstr(r, "0x00000000fe600000 0x00000000fe63ffff 0x0000000000046200\n") !=
		    NULL);
	r = rd(w, "/sys/bus/pci/devices/0000:00:04.0/resource");
	lines = 0;
	for (char *p = r; *p; p++)
		lines += *p == '\n';
	ASSERT_EQ(lines, 17);
	uvfio_world_destroy(w);
}

TEST(sysfs_tree, iommu_groups)
{
	struct uvfio_world *w = world_new();

	ASSERT_STREQ(rd(w, "/sys/kernel/iommu_groups/1/reserved_regions"),
		     "0x00000000fee00000 0x00000000feefffff msi\n");
	ASSERT_STREQ(rd(w, "/sys/kernel/iommu_groups/3/reserved_regions"),
		     "0x0000000000000000 0x0000000000ffffff direct-relaxable\n"
		     "0x00000000fee00000 0x00000000feefffff msi\n");
	ASSERT_STREQ(rd(w, "/sys/kernel/iommu_groups/0/type"), "DMA\n");
	ASSERT_STREQ(ls(w, "/sys/kernel/iommu_groups"), "0 d0755\n1 d0755\n2 d0755\n3 d0755\n");
	ASSERT_STREQ(ls(w, "/sys/kernel/iommu_groups/1"),
		     "devices d0755\nreserved_regions -0444 4096\ntype -0644 4096\n");
	ASSERT_STREQ(ls(w, "/sys/kernel/iommu_groups/2/devices"),
		     "0000:00:04.0 l0777\n0000:01:01.0 l0777\n0000:01:02.0 l0777\n");
	ASSERT_STREQ(rl(w, "/sys/kernel/iommu_groups/2/devices/0000:01:02.0"),
		     "../../../../devices/pci0000:00/0000:00:04.0/0000:01:02.0");
	uvfio_world_destroy(w);
}

TEST(sysfs_tree, symlinks)
{
	struct uvfio_world *w = world_new();
	char buf[64];

	ASSERT_STREQ(rl(w, EDU), "../../../devices/pci0000:00/0000:00:03.0");
	ASSERT_STREQ(rl(w, "/sys/bus/pci/devices/0000:01:01.0"),
		     "../../../devices/pci0000:00/0000:00:04.0/0000:01:01.0");
	ASSERT_STREQ(rl(w, EDU "/iommu_group"), "../../../kernel/iommu_groups/1");
	ASSERT_STREQ(rl(w, EDU "/subsystem"), "../../../bus/pci");
	ASSERT_STREQ(rl(w, "/sys/bus/pci/devices/0000:01:01.0/driver"),
		     "../../../../bus/pci/drivers/e1000");
	ASSERT_STREQ(rl(w, "/sys/bus/pci/devices/0000:01:01.0/subsystem"), "../../../../bus/pci");
	ASSERT_STREQ(rl(w, "/sys/bus/pci/drivers/e1000/0000:01:01.0"),
		     "../../../../devices/pci0000:00/0000:00:04.0/0000:01:01.0");
	ASSERT_STREQ(rl(w, "/sys/bus/pci/drivers/vfio-pci/module"), "../../../../module/vfio_pci");
	ASSERT_NEG(uvfio_sysfs_readlink(w, EDU "/driver", buf, sizeof(buf)), ENOENT);
	ASSERT_NEG(uvfio_sysfs_readlink(w, EDU "/vendor", buf, sizeof(buf)), EINVAL);
	/* Paths through links and "..", as the VFS resolves them. */
	ASSERT_STREQ(rd(w, EDU "/iommu_group/../1/type"), "DMA\n");
	ASSERT_STREQ(rd(w, "/sys/bus/pci/devices/0000:01:01.0/../0000:01:02.0/vendor"), "0x8086\n");
	ASSERT_STREQ(rd(w, "/sys/bus/pci/drivers/e1000/0000:01:01.0/subsystem/devices/"
			   "0000:00:03.0/device"),
		     "0x11e8\n");
	ASSERT_NEG(uvfio_sysfs_read(w, EDU "/vendor/x", buf, sizeof(buf)), ENOTDIR);
	ASSERT_NEG(uvfio_sysfs_read(w, EDU "/nonexistent", buf, sizeof(buf)), ENOENT);
	ASSERT_NEG(uvfio_sysfs_read(w, EDU, buf, sizeof(buf)), EISDIR);
	uvfio_world_destroy(w);
}

TEST(sysfs_tree, device_dir_listing)
{
	struct uvfio_world *w = world_new();

	ASSERT_STREQ(ls(w, EDU),
		     "ari_enabled -0444 4096\nbroken_parity_status -0644 4096\nclass -0444 4096\n"
		     "config -0644 256\nconsistent_dma_mask_bits -0444 4096\n"
		     "d3cold_allowed -0644 4096\ndevice -0444 4096\ndma_mask_bits -0444 4096\n"
		     "driver_override -0644 4096\nenable -0644 4096\niommu_group l0777\n"
		     "irq -0444 4096\nlocal_cpulist -0444 4096\nlocal_cpus -0444 4096\n"
		     "modalias -0444 4096\nmsi_bus -0644 4096\nnuma_node -0644 4096\n"
		     "power d0755\npower_state -0444 4096\nremove -0220 4096\n"
		     "rescan -0200 4096\nresource -0444 4096\nresource0 -0600 1048576\n"
		     "revision -0444 4096\nsubsystem l0777\nsubsystem_device -0444 4096\n"
		     "subsystem_vendor -0444 4096\nuevent -0644 4096\nvendor -0444 4096\n");
	ASSERT_TRUE(strstr(ls(w, "/sys/bus/pci/devices/0000:01:01.0"),
			   "resource0 -0600 131072\nresource1 -0600 64\nrevision -0444 4096\n"
			   "rom -0600 262144\n") != NULL);
	ASSERT_TRUE(strstr(ls(w, "/sys/devices/pci0000:00/0000:00:04.0"),
			   "0000:01:01.0 d0755\n0000:01:02.0 d0755\n") != NULL);
	ASSERT_TRUE(strstr(ls(w, "/sys/bus/pci/devices/0000:00:04.0"), "config -0644 4096\n") !=
		    NULL);
	ASSERT_STREQ(ls(w, "/sys/bus/pci"),
		     "devices d0755\ndrivers d0755\ndrivers_autoprobe -0644 4096\n"
		     "drivers_probe -0200 4096\nrescan -0200 4096\n"
		     "resource_alignment -0644 4096\nslots d0755\nuevent -0200 4096\n");
	ASSERT_STREQ(ls(w, "/sys/bus/pci/drivers/e1000"),
		     "0000:01:01.0 l0777\n0000:01:02.0 l0777\nbind -0200 4096\nmodule l0777\n"
		     "new_id -0200 4096\nremove_id -0200 4096\nuevent -0200 4096\n"
		     "unbind -0200 4096\n");
	uvfio_world_destroy(w);
}

TEST(sysfs_tree, config_binary)
{
	struct uvfio_world *w = world_new();
	struct uvfio_sysfs_stat st;
	unsigned char cfg[4096];

	ASSERT_EQ(uvfio_sysfs_stat(w, EDU "/config", &st), 0);
	ASSERT_EQ(st.size, 256);
	ASSERT_TRUE(st.binary);
	ASSERT_EQ(uvfio_sysfs_pread(w, EDU "/config", cfg, sizeof(cfg), 0), 256);
	ASSERT_MEMEQ(cfg, "\x34\x12\xe8\x11\x03\x01\x10\x00", 8);
	ASSERT_EQ(uvfio_sysfs_pread(w, EDU "/config", cfg, 4, 0x40), 4);
	ASSERT_MEMEQ(cfg, "\x05\x00\x80\x00", 4);
	ASSERT_EQ(uvfio_sysfs_pread(w, EDU "/config", cfg, 4, 256), 0);
	/* Text attributes are sliced at the offset. */
	ASSERT_EQ(uvfio_sysfs_pread(w, EDU "/vendor", cfg, 10, 2), 5);
	ASSERT_MEMEQ(cfg, "1234\n", 5);
	ASSERT_EQ(uvfio_sysfs_stat(w, "/sys/bus/pci/devices/0000:00:04.0/config", &st), 0);
	ASSERT_EQ(st.size, 4096);
	uvfio_world_destroy(w);
}

TEST(sysfs_tree, vfio_nodes_follow_binding)
{
	struct uvfio_world *w = world_new();
	struct uvfio_sysfs_stat st;

	ASSERT_STREQ(ls(w, "/dev/vfio"), "vfio c0666 10:196\n");
	ASSERT_STREQ(ls(w, "/sys/class/vfio"), "");
	ASSERT_STREQ(ls(w, "/sys/class/vfio-dev"), "");
	bind_edu(w);
	ASSERT_STREQ(ls(w, "/dev/vfio"), "1 c0600 245:0\nvfio c0666 10:196\n");
	ASSERT_STREQ(rl(w, "/sys/class/vfio/1"), "../../devices/virtual/vfio/1");
	ASSERT_STREQ(rd(w, "/sys/class/vfio/1/dev"), "245:0\n");
	ASSERT_STREQ(rd(w, "/sys/class/vfio/1/uevent"), "MAJOR=245\nMINOR=0\nDEVNAME=vfio/1\n");
	ASSERT_STREQ(rl(w, "/sys/class/vfio/1/subsystem"), "../../../../class/vfio");
	ASSERT_STREQ(rl(w, "/sys/class/vfio-dev/vfio0"),
		     "../../devices/pci0000:00/0000:00:03.0/vfio-dev/vfio0");
	ASSERT_STREQ(ls(w, EDU "/vfio-dev/vfio0"),
		     "device l0777\npower d0755\nsubsystem l0777\nuevent -0644 4096\n");
	ASSERT_STREQ(rl(w, EDU "/vfio-dev/vfio0/device"), "../../../0000:00:03.0");
	ASSERT_STREQ(rl(w, EDU "/vfio-dev/vfio0/subsystem"), "../../../../../class/vfio-dev");
	ASSERT_STREQ(rd(w, EDU "/vfio-dev/vfio0/uevent"), "");
	ASSERT_STREQ(rl(w, EDU "/driver"), "../../../bus/pci/drivers/vfio-pci");
	ASSERT_STREQ(rd(w, EDU "/power_state"), "D0\n");
	ASSERT_STREQ(rd(w, EDU "/enable"), "0\n");
	ASSERT_STREQ(rd(w, EDU "/power/runtime_status"), "suspended\n");
	ASSERT_EQ(uvfio_sysfs_stat(w, "/dev/vfio/1", &st), 0);
	ASSERT_EQ(st.type, UVFIO_SYSFS_CHR);
	/* Unbinding unpublishes the group and the class devices. */
	ASSERT_EQ(uvfio_sysfs_write(w, "/sys/bus/pci/drivers/vfio-pci/unbind", "0000:00:03.0", 12),
		  12);
	ASSERT_STREQ(ls(w, "/dev/vfio"), "vfio c0666 10:196\n");
	ASSERT_NEG(uvfio_sysfs_stat(w, "/sys/class/vfio/1", &st), ENOENT);
	ASSERT_NEG(uvfio_sysfs_stat(w, EDU "/vfio-dev", &st), ENOENT);
	uvfio_world_destroy(w);
}

TEST(sysfs_tree, modules)
{
	struct uvfio_world *w = world_new();
	struct uvfio_sysfs_stat st;

	ASSERT_STREQ(ls(w, "/sys/module/vfio_iommu_type1/parameters"),
		     "allow_unsafe_interrupts -0644 4096\ndisable_hugepages -0644 4096\n"
		     "dma_entry_limit -0644 4096\n");
	ASSERT_STREQ(rd(w, "/sys/module/vfio_iommu_type1/parameters/dma_entry_limit"), "65535\n");
	ASSERT_STREQ(rd(w, "/sys/module/vfio_iommu_type1/parameters/allow_unsafe_interrupts"),
		     "N\n");
	ASSERT_STREQ(ls(w, "/sys/module/vfio_pci/parameters"),
		     "disable_denylist -0444 4096\ndisable_idle_d3 -0644 4096\n"
		     "disable_vga -0444 4096\nenable_sriov -0644 4096\nnointxmask -0644 4096\n");
	ASSERT_NEG(uvfio_sysfs_stat(w, "/sys/module/vfio/parameters", &st), ENOENT);
	ASSERT_EQ(uvfio_sysfs_stat(w, "/sys/module/vfio", &st), 0);
	uvfio_world_destroy(w);
}

TEST(sysfs_tree, writes)
{
	struct uvfio_world *w = world_new();
	char buf[16];

	ASSERT_NEG(uvfio_sysfs_write(w, EDU "/vendor", "1", 1), EACCES);
	ASSERT_NEG(uvfio_sysfs_read(w, "/sys/bus/pci/drivers/e1000/bind", buf, sizeof(buf)),
		   EACCES);
	ASSERT_NEG(uvfio_sysfs_write(w, "/sys/bus/pci/drivers/e1000/bind", "0000:00:03.0", 12),
		   ENODEV);
	ASSERT_EQ(uvfio_sysfs_write(w, "/sys/bus/pci/rescan", "1\n", 2), 2);
	ASSERT_NEG(uvfio_sysfs_write(w, "/sys/bus/pci/rescan", "x", 1), EINVAL);
	ASSERT_EQ(uvfio_sysfs_write(w, EDU "/uevent", "change\n", 7), 7);
	ASSERT_NEG(uvfio_sysfs_write(w, EDU "/uevent", "bogus\n", 6), EINVAL);
	/* remove takes a boolean; "0" does nothing (removal itself: tests/unit/test-hotplug.c). */
	ASSERT_EQ(uvfio_sysfs_write(w, EDU "/remove", "0\n", 2), 2);
	ASSERT_NEG(uvfio_sysfs_write(w, EDU "/remove", "x", 1), EINVAL);
	/* config: root writes through the PCI core (the cache line size register is writable). */
	ASSERT_EQ(uvfio_sysfs_pwrite(w, EDU "/config", "\x10", 1, 0x0c), 1);
	ASSERT_EQ(uvfio_sysfs_pread(w, EDU "/config", buf, 1, 0x0c), 1);
	ASSERT_EQ((unsigned char)buf[0], 0x10);
	uvfio_world_destroy(w);
}

/* sysfs.c - dump the PCI sysfs surface of the lab machine (before and after binding
 * edu 00:03.0 to vfio-pci). Facts: config bytes, attribute texts, directory listings,
 * drivers, iommu_groups, module parameters. */
#include "common.h"
#include <sys/sysmacros.h>

static const char *attrs[] = { "vendor",
			       "device",
			       "class",
			       "subsystem_vendor",
			       "subsystem_device",
			       "revision",
			       "irq",
			       "driver_override",
			       "modalias",
			       "enable",
			       "resource",
			       "local_cpulist",
			       "local_cpus",
			       "numa_node",
			       "msi_bus",
			       "dma_mask_bits",
			       "consistent_dma_mask_bits",
			       "broken_parity_status",
			       "d3cold_allowed",
			       "power_state",
			       "reset_method",
			       "ari_enabled",
			       "current_link_speed",
			       "current_link_width",
			       "max_link_speed",
			       "max_link_width",
			       "secondary_bus_number",
			       "subordinate_bus_number",
			       "uevent",
			       "label",
			       "index",
			       "acpi_index",
			       "boot_vga",
			       "power/control",
			       "power/runtime_status",
			       NULL };

static void dump_config(const char *dir)
{
	char p[PATH_MAX];
	unsigned char buf[4096];
	snprintf(p, sizeof p, "%s/config", dir);
	int fd = open(p, O_RDONLY);
	if (fd < 0) {
		printf("%s: open errno=%s\n", p, strerrorname_np(errno));
		return;
	}
	ssize_t n = pread(fd, buf, sizeof buf, 0);
	struct stat st;
	fstat(fd, &st);
	close(fd);
	printf("config %s: st_size=%lld read=%zd\n", p, (long long)st.st_size, n);
	if (n > 0)
		hexdump(buf, n, 0);
}

static void dump_dev(const char *bdf)
{
	char dir[PATH_MAX], p[PATH_MAX + 64];
	snprintf(dir, sizeof dir, "/sys/bus/pci/devices/%s", bdf);
	printf("\n===== device %s =====\n", bdf);
	list_dir(dir);
	snprintf(p, sizeof p, "%s/power", dir);
	list_dir(p);
	snprintf(p, sizeof p, "%s/msi_irqs", dir);
	list_dir(p);
	for (int i = 0; attrs[i]; i++) {
		snprintf(p, sizeof p, "%s/%s", dir, attrs[i]);
		if (access(p, F_OK) == 0)
			cat_file(p);
		else
			printf("%s: absent\n", p);
	}
	dump_config(dir);
}

static void for_each(const char *dir, void (*fn)(const char *))
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.')
			fn(ents[i]->d_name);
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

static void drv(const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "/sys/bus/pci/drivers/%s", name);
	list_dir(p);
}

static void grp(const char *name)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "/sys/kernel/iommu_groups/%s", name);
	list_dir(p);
	snprintf(p, sizeof p, "/sys/kernel/iommu_groups/%s/devices", name);
	list_dir(p);
	snprintf(p, sizeof p, "/sys/kernel/iommu_groups/%s/type", name);
	cat_file(p);
	snprintf(p, sizeof p, "/sys/kernel/iommu_groups/%s/reserved_regions", name);
	cat_file(p);
}

static void params(const char *mod)
{
	char d[PATH_MAX];
	snprintf(d, sizeof d, "/sys/module/%s/parameters", mod);
	list_dir(d);
	struct dirent **ents;
	int n = scandir(d, &ents, NULL, alphasort);
	for (int i = 0; i < n; i++) {
		if (ents[i]->d_name[0] != '.') {
			char p[PATH_MAX + 256];
			snprintf(p, sizeof p, "%s/%s", d, ents[i]->d_name);
			cat_file(p);
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

int main(void)
{
	printf("##### BEFORE binding anything\n");
	list_dir("/sys/bus/pci/devices");
	for_each("/sys/bus/pci/devices", dump_dev);
	printf("\n===== drivers =====\n");
	list_dir("/sys/bus/pci");
	cat_file("/sys/bus/pci/drivers_autoprobe");
	cat_file("/sys/bus/pci/resource_alignment");
	list_dir("/sys/bus/pci/drivers");
	for_each("/sys/bus/pci/drivers", drv);
	printf("\n===== iommu groups =====\n");
	list_dir("/sys/kernel/iommu_groups");
	for_each("/sys/kernel/iommu_groups", grp);
	printf("\n===== modules =====\n");
	const char *mods[] = { "vfio", "vfio_iommu_type1", "vfio_pci", "vfio_pci_core", "e1000",
			       NULL };
	for (int i = 0; mods[i]; i++)
		params(mods[i]);
	list_dir("/sys/module/vfio");
	list_dir("/sys/module/vfio_pci");
	list_dir("/sys/module/vfio_pci/drivers");
	list_dir("/dev/vfio");
	list_dir("/sys/class/vfio");
	list_dir("/sys/class/vfio-dev");
	list_dir("/sys/class/iommu");
	list_dir("/lib/modules");
	cat_file("/proc/modules");
	cat_file("/proc/cmdline");
	cat_file("/etc/lab-kconfig");
	{
		struct stat st;
		if (stat("/dev/vfio/vfio", &st) == 0)
			printf("/dev/vfio/vfio: mode %o rdev %u:%u\n", st.st_mode,
			       major(st.st_rdev), minor(st.st_rdev));
	}
	cat_file("/proc/misc");
	cat_file("/proc/devices");

	printf("\n##### AFTER binding 0000:00:03.0 to vfio-pci\n");
	bind_vfio("0000:00:03.0");
	list_dir("/dev/vfio");
	list_dir("/sys/class/vfio");
	list_dir("/sys/class/vfio/1");
	cat_file("/sys/class/vfio/1/dev");
	cat_file("/sys/class/vfio/1/uevent");
	list_dir("/sys/class/vfio-dev");
	list_dir("/sys/bus/pci/drivers/vfio-pci");
	list_dir("/sys/bus/pci/devices/0000:00:03.0");
	list_dir("/sys/bus/pci/devices/0000:00:03.0/vfio-dev");
	cat_file("/sys/bus/pci/devices/0000:00:03.0/driver_override");
	cat_file("/sys/bus/pci/devices/0000:00:03.0/uevent");
	cat_file("/sys/bus/pci/devices/0000:00:03.0/enable");
	cat_file("/sys/bus/pci/devices/0000:00:03.0/power_state");
	cat_file("/sys/bus/pci/devices/0000:00:03.0/power/runtime_status");
	cat_file("/sys/bus/pci/devices/0000:00:03.0/irq");
	dump_config("/sys/bus/pci/devices/0000:00:03.0");
	{
		struct stat st;
		if (stat("/dev/vfio/1", &st) == 0)
			printf("/dev/vfio/1: mode %o rdev %u:%u\n", st.st_mode, major(st.st_rdev),
			       minor(st.st_rdev));
	}
	cat_file("/proc/devices");
	return 0;
}

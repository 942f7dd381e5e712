// SPDX-License-Identifier: MIT
/*
 * Run under the shim by test-sysfs-fuse: looks at /sys and /dev/vfio with
 * plain libc calls and prints what it saw, one "what: value" line each.
 */
#include <dirent.h>
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#define EDU "/sys/bus/pci/devices/0000:00:03.0"

int main(void)
{
	char buf[PATH_MAX], *p;
	struct stat st;
	struct dirent *de;
	FILE *f;
	DIR *d;
	int fd, n = 0;
	ssize_t len;

	f = fopen(EDU "/vendor", "r");
	printf("fopen vendor: %s", f && fgets(buf, sizeof(buf), f) ? buf : "(failed)\n");
	if (f)
		fclose(f);
	fd = open(EDU "/device", O_RDONLY);
	len = fd >= 0 ? read(fd, buf, sizeof(buf) - 1) : -1;
	buf[len > 0 ? len : 0] = '\0';
	printf("open device: %s", len > 0 ? buf : "(failed)\n");
	if (fd >= 0)
		close(fd);
	p = realpath(EDU "/iommu_group", NULL);
	printf("realpath iommu_group: %s\n", p ? p : "(failed)");
	free(p);
	p = realpath(EDU, buf);
	printf("realpath device: %s\n", p ? p : "(failed)");
	len = readlink(EDU "/iommu_group", buf, sizeof(buf) - 1);
	buf[len > 0 ? len : 0] = '\0';
	printf("readlink iommu_group: %s\n", buf);
	d = opendir("/sys/kernel/iommu_groups");
	while (d && (de = readdir(d)))
		n += de->d_name[0] != '.';
	if (d)
		closedir(d);
	printf("iommu groups: %d\n", n);
	if (stat("/dev/vfio/vfio", &st) == 0)
		printf("stat /dev/vfio/vfio: %s %u:%u %o\n", S_ISCHR(st.st_mode) ? "chr" : "other",
		       major(st.st_rdev), minor(st.st_rdev), st.st_mode & 07777);
	else
		printf("stat /dev/vfio/vfio: (failed)\n");
	printf("access drivers_probe: %d\n", access("/sys/bus/pci/drivers_probe", F_OK));
	if (chdir("/sys/bus/pci") == 0 && getcwd(buf, sizeof(buf)))
		printf("getcwd: %s\n", buf);
	return 0;
}

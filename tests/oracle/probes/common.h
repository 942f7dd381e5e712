/* common.h - helpers shared by the kernel-lab oracle probes (uvfio).
 * Output conventions (parseable):
 *   "<what>: ret=<n>"                       success
 *   "<what>: ret=-1 errno=<NAME> (<text>)"  failure
 *   hex dumps: "  <off hex 4>: xx xx ... (16 per line)"
 *   file contents: "<path> = \"<C-escaped bytes>\" (<n> bytes)"
 */
#define _GNU_SOURCE
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <sys/sysmacros.h>
#include <unistd.h>
#include <linux/vfio.h>

static __attribute__((unused)) long show(const char *what, long ret)
{
	int e = errno;
	if (ret < 0)
		printf("%s: ret=%ld errno=%s (%s)\n", what, ret, strerrorname_np(e), strerror(e));
	else
		printf("%s: ret=%ld\n", what, ret);
	fflush(stdout);
	errno = e;
	return ret;
}

static __attribute__((unused)) void hexdump(const void *buf, size_t len, size_t base)
{
	const unsigned char *p = buf;
	for (size_t i = 0; i < len; i += 16) {
		printf("  %04zx:", base + i);
		for (size_t j = i; j < i + 16 && j < len; j++)
			printf(" %02x", p[j]);
		printf("\n");
	}
}

static __attribute__((unused)) void print_escaped(const unsigned char *b, size_t n)
{
	putchar('"');
	for (size_t i = 0; i < n; i++) {
		unsigned char c = b[i];
		if (c == '\n')
			printf("\\n");
		else if (c == '\t')
			printf("\\t");
		else if (c == '\\')
			printf("\\\\");
		else if (c == '"')
			printf("\\\"");
		else if (c < 32 || c >= 127)
			printf("\\x%02x", c);
		else
			putchar(c);
	}
	putchar('"');
}

/* print a whole (small) file with escapes */
static __attribute__((unused)) void cat_file(const char *path)
{
	unsigned char buf[8192];
	int fd = open(path, O_RDONLY);
	if (fd < 0) {
		printf("%s: open errno=%s\n", path, strerrorname_np(errno));
		return;
	}
	ssize_t n = read(fd, buf, sizeof buf);
	int e = errno;
	close(fd);
	if (n < 0) {
		printf("%s: read errno=%s\n", path, strerrorname_np(e));
		return;
	}
	printf("%s = ", path);
	print_escaped(buf, (size_t)n);
	printf(" (%zd bytes)\n", n);
}

static __attribute__((unused)) long sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);
	if (fd < 0)
		return -1;
	long n = write(fd, val, strlen(val));
	int e = errno;
	close(fd);
	errno = e;
	return n;
}

/* write and report */
static __attribute__((unused)) long __attribute__((unused)) wr(const char *path, const char *val)
{
	char what[PATH_MAX + 128];
	char esc[64];
	snprintf(esc, sizeof esc, "%s", val);
	esc[strcspn(esc, "\n")] = 0;
	snprintf(what, sizeof what, "write %s <- \"%s%s\"", path, esc,
		 strchr(val, '\n') ? "\\n" : "");
	return show(what, sysfs_write(path, val));
}

static __attribute__((unused)) const char *link_base(const char *path)
{
	static char out[8][PATH_MAX];
	static int slot;
	char t[PATH_MAX];
	char *o = out[slot++ % 8];
	ssize_t n = readlink(path, t, sizeof t - 1);
	if (n < 0)
		return "-";
	t[n] = 0;
	snprintf(o, PATH_MAX, "%s", basename(t));
	return o;
}

static __attribute__((unused)) const char *drv_of(const char *bdf)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/driver", bdf);
	return link_base(p);
}

static __attribute__((unused)) const char *group_of(const char *bdf)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/iommu_group", bdf);
	return link_base(p);
}

/* ls -l like listing: "  <type><mode> <size> <name>[ -> target]" sorted */
static __attribute__((unused)) void list_dir(const char *dir)
{
	struct dirent **ents;
	int n = scandir(dir, &ents, NULL, alphasort);
	printf("ls %s:%s\n", dir, n < 0 ? " (cannot open)" : "");
	for (int i = 0; i < n; i++) {
		const char *nm = ents[i]->d_name;
		if (strcmp(nm, ".") && strcmp(nm, "..")) {
			char p[PATH_MAX + 256], t[PATH_MAX];
			struct stat st;
			snprintf(p, sizeof p, "%s/%s", dir, nm);
			if (lstat(p, &st) == 0) {
				char ty = S_ISLNK(st.st_mode) ? 'l' :
					  S_ISDIR(st.st_mode) ? 'd' :
					  S_ISCHR(st.st_mode) ? 'c' :
					  S_ISREG(st.st_mode) ? '-' :
								'?';
				printf("  %c%04o", ty, st.st_mode & 07777);
				if (S_ISCHR(st.st_mode))
					printf(" %u:%u", major(st.st_rdev), minor(st.st_rdev));
				else if (S_ISREG(st.st_mode))
					printf(" %lld", (long long)st.st_size);
				printf(" %s", nm);
				if (S_ISLNK(st.st_mode)) {
					ssize_t k = readlink(p, t, sizeof t - 1);
					if (k >= 0) {
						t[k] = 0;
						printf(" -> %s", t);
					}
				}
				printf("\n");
			}
		}
		free(ents[i]);
	}
	if (n >= 0)
		free(ents);
}

/* bind a device to vfio-pci via driver_override + drivers_probe */
static __attribute__((unused)) void bind_vfio(const char *bdf)
{
	char p[PATH_MAX];
	if (strcmp(drv_of(bdf), "-") != 0 && strcmp(drv_of(bdf), "vfio-pci") != 0) {
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		wr(p, bdf);
	}
	snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/driver_override", bdf);
	wr(p, "vfio-pci");
	wr("/sys/bus/pci/drivers_probe", bdf);
	printf("%s: driver=%s iommu_group=%s\n", bdf, drv_of(bdf), group_of(bdf));
}

static __attribute__((unused)) void __attribute__((unused)) unbind_dev(const char *bdf)
{
	char p[PATH_MAX];
	if (strcmp(drv_of(bdf), "-") != 0) {
		snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/driver/unbind", bdf);
		wr(p, bdf);
	}
}

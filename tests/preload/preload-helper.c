/* SPDX-License-Identifier: MIT */
/*
 * An ordinary VFIO program, run by test-shim under LD_PRELOAD=libuvfio-preload.so
 * against the fake daemon: it knows nothing of uvfio. Exits 0 if all went as
 * on a kernel, or prints what did not.
 */
#include <fcntl.h>
#include <linux/vfio.h>
#include <stdint.h>
#include <stdio.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#define CHECK(x)                                                                        \
	do {                                                                            \
		if (!(x)) {                                                             \
			fprintf(stderr, "helper: %s:%d: %s\n", __FILE__, __LINE__, #x); \
			return 1;                                                       \
		}                                                                       \
	} while (0)

int main(void)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct stat st;
	volatile uint32_t *bar;
	uint32_t v;
	int c, g, d;

	c = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	CHECK(c >= 0);
	CHECK(fstat(c, &st) == 0 && S_ISCHR(st.st_mode));
	CHECK(ioctl(c, VFIO_GET_API_VERSION) == VFIO_API_VERSION);
	CHECK(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1);
	g = open("/dev/vfio/1", O_RDWR);
	CHECK(g >= 0);
	CHECK(ioctl(g, VFIO_GROUP_GET_STATUS, &status) == 0);
	CHECK(status.flags & VFIO_GROUP_FLAGS_VIABLE);
	CHECK(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c) == 0);
	d = ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:00:03.0");
	CHECK(d >= 0);
	bar = mmap(NULL, 4096, PROT_READ | PROT_WRITE, MAP_SHARED, d, 0);
	CHECK(bar != MAP_FAILED);
	bar[4] = 0xcafef00d;
	CHECK(pread(d, &v, 4, 16) == 4 && v == 0xcafef00d);
	CHECK(bar[4] == 0xcafef00d);
	munmap((void *)bar, 4096);
	close(d);
	close(g);
	close(c);
	return 0;
}

/* SPDX-License-Identifier: MIT */
/*
 * Shared by the uAPI test programs: TAP output and the few VFIO steps every
 * one of them needs. Uses only libc and <linux/vfio.h>, like any VFIO program:
 * the programs know nothing of uvfio and run the same on a Linux host with
 * the machine the tests expect (examples/machines/default.machine).
 */
#ifndef UVFIO_TESTS_UAPI_COMMON_H
#define UVFIO_TESTS_UAPI_COMMON_H

#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <unistd.h>

#include <linux/vfio.h>

#define EDU_BDF "0000:00:03.0"
#define NIC_A_BDF "0000:01:01.0"
#define NIC_B_BDF "0000:01:02.0"
#define BRIDGE_BDF "0000:00:04.0"
#define EDU_GROUP_PATH "/dev/vfio/1"
#define NIC_GROUP_PATH "/dev/vfio/2"
#define PAGE 4096ul

#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_FACTORIAL 0x08
#define EDU_STATUS 0x20
#define EDU_STATUS_COMPUTING 0x01
#define EDU_STATUS_IRQFACT 0x80
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1
#define EDU_DMA_TO_RAM 0x2
#define EDU_DMA_IRQ 0x4
#define EDU_DMA_BUF 0x40000
#define EDU_IRQ_DMA_DONE 0x100

#define CFG_OFF ((uint64_t)VFIO_PCI_CONFIG_REGION_INDEX << 40)
#define BAR0_OFF 0ull

static int tap_n, tap_failed;
static const char *tap_prog = "uapi";

/* One TAP line; the detail, printf-style, only for a failure. */
static inline bool __attribute__((format(printf, 3, 4)))
tap(bool ok, const char *name, const char *fmt, ...)
{
	tap_n++;
	if (ok) {
		printf("ok %d - %s\n", tap_n, name);
	} else {
		va_list ap;

		tap_failed++;
		printf("not ok %d - %s: ", tap_n, name);
		va_start(ap, fmt);
		vprintf(fmt, ap);
		va_end(ap);
		printf("\n");
	}
	fflush(stdout);
	return ok;
}

/*
 * A check of something uvfio is known not to do yet: reported with a TODO
 * directive, so it shows in the output without failing the program.
 */
static inline bool tap_todo(bool ok, const char *name, const char *why)
{
	tap_n++;
	printf("%sok %d - %s # TODO %s\n", ok ? "" : "not ", tap_n, name, why);
	fflush(stdout);
	return ok;
}

static inline const char *errname(int e)
{
	const char *s = e ? strerrorname_np(e) : "0";

	return s ? s : "?";
}

/* Expressions are evaluated once; errno is read right after. */
#define EXPECT_OK(expr, name)                                               \
	({                                                                  \
		errno = 0;                                                  \
		long __r = (long)(expr);                                    \
		int __e = errno;                                            \
		tap(__r >= 0, name, "ret %ld errno %s", __r, errname(__e)); \
	})
#define EXPECT_ERR(expr, err, name)                                                    \
	({                                                                             \
		errno = 0;                                                             \
		long __r = (long)(expr);                                               \
		int __e = errno;                                                       \
		tap(__r == -1 && __e == (err), name, "ret %ld errno %s, want %s", __r, \
		    __r == -1 ? errname(__e) : "-", errname(err));                     \
	})
#define EXPECT_EQ(got, want, name)                                          \
	({                                                                  \
		unsigned long long __g = (unsigned long long)(got);         \
		unsigned long long __w = (unsigned long long)(want);        \
		tap(__g == __w, name, "got 0x%llx, want 0x%llx", __g, __w); \
	})

static inline void __attribute__((noreturn, format(printf, 1, 2))) bail(const char *fmt, ...)
{
	va_list ap;
	int e = errno;

	printf("Bail out! %s: ", tap_prog);
	va_start(ap, fmt);
	vprintf(fmt, ap);
	va_end(ap);
	printf(" (%s)\n", errname(e));
	exit(1);
}

static inline int tap_done(void)
{
	printf("1..%d\n", tap_n);
	if (tap_failed)
		printf("# %s: %d of %d failed\n", tap_prog, tap_failed, tap_n);
	return tap_failed ? 1 : 0;
}

/* Writes a sysfs attribute the way `echo -n` does; -1 and errno on failure. */
static inline int sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY | O_CLOEXEC);
	ssize_t n;
	int e;

	if (fd < 0)
		return -1;
	n = write(fd, val, strlen(val));
	e = errno;
	close(fd);
	errno = e;
	return n == (ssize_t)strlen(val) ? 0 : -1;
}

static inline int sysfs_read(const char *path, char *buf, size_t len)
{
	int fd = open(path, O_RDONLY | O_CLOEXEC);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, len - 1);
	close(fd);
	if (n < 0)
		return -1;
	buf[n] = '\0';
	return (int)n;
}

/* The name of the driver bound to BDF, "-" when none. */
static inline const char *driver_of(const char *bdf, char *buf, size_t len)
{
	char path[128];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = readlink(path, buf, len - 1);
	if (n < 0)
		return "-";
	buf[n] = '\0';
	return strrchr(buf, '/') ? strrchr(buf, '/') + 1 : buf;
}

/* driver_override + drivers_probe, as a user binds a device to vfio-pci. */
static inline int bind_vfio_override(const char *bdf)
{
	char path[128];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	if (sysfs_write(path, "vfio-pci\n"))
		return -1;
	return sysfs_write("/sys/bus/pci/drivers_probe", bdf);
}

static inline uint32_t cfg_read(int dev, unsigned int off, unsigned int len)
{
	uint32_t v = 0;

	if (pread(dev, &v, len, (off_t)(CFG_OFF + off)) != (ssize_t)len)
		return 0xdeadbeef;
	return v;
}

static inline int cfg_write(int dev, unsigned int off, uint32_t v, unsigned int len)
{
	return pwrite(dev, &v, len, (off_t)(CFG_OFF + off)) == (ssize_t)len ? 0 : -1;
}

static inline uint32_t bar0_read32(int dev, unsigned int off)
{
	uint32_t v;

	if (pread(dev, &v, 4, (off_t)(BAR0_OFF + off)) != 4)
		return 0xdeadbeef;
	return v;
}

static inline int bar0_write32(int dev, unsigned int off, uint32_t v)
{
	return pwrite(dev, &v, 4, (off_t)(BAR0_OFF + off)) == 4 ? 0 : -1;
}

static inline int bar0_write64(int dev, unsigned int off, uint64_t v)
{
	return pwrite(dev, &v, 8, (off_t)(BAR0_OFF + off)) == 8 ? 0 : -1;
}

/* One edu DMA transfer, polled to completion; -1 on a timeout or a failed access. */
static inline int edu_dma(int dev, uint64_t src, uint64_t dst, uint32_t len, uint32_t flags)
{
	if (bar0_write64(dev, EDU_DMA_SRC, src) || bar0_write64(dev, EDU_DMA_DST, dst) ||
	    bar0_write64(dev, EDU_DMA_COUNT, len) ||
	    bar0_write32(dev, EDU_DMA_CMD, EDU_DMA_RUN | flags))
		return -1;
	for (int i = 0; i < 5000; i++) {
		uint32_t c = bar0_read32(dev, EDU_DMA_CMD);

		if (c == 0xdeadbeef)
			return -1;
		if (!(c & EDU_DMA_RUN))
			return 0;
		usleep(1000);
	}
	errno = ETIMEDOUT;
	return -1;
}

static inline int dma_map(int container, uint64_t iova, void *vaddr, uint64_t size, uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return ioctl(container, VFIO_IOMMU_MAP_DMA, &m);
}

/* Returns the ioctl's result; *unmapped gets the size the kernel wrote back. */
static inline int dma_unmap(int container, uint64_t iova, uint64_t size, uint32_t flags,
			    uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int r = ioctl(container, VFIO_IOMMU_UNMAP_DMA, &u);

	if (unmapped)
		*unmapped = u.size;
	return r;
}

/* Container + group + SET_CONTAINER + SET_IOMMU(type) + device (if bdf): -1 on any failure. */
struct vfio_env {
	int container, group, device;
};

static inline int env_open(struct vfio_env *e, const char *group, const char *bdf, int type)
{
	e->container = e->group = e->device = -1;
	e->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	if (e->container < 0)
		return -1;
	e->group = open(group, O_RDWR | O_CLOEXEC);
	if (e->group < 0)
		return -1;
	if (ioctl(e->group, VFIO_GROUP_SET_CONTAINER, &e->container))
		return -1;
	if (type && ioctl(e->container, VFIO_SET_IOMMU, (unsigned long)type))
		return -1;
	if (bdf) {
		e->device = ioctl(e->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
		if (e->device < 0)
			return -1;
	}
	return 0;
}

static inline void env_close(struct vfio_env *e)
{
	if (e->device >= 0)
		close(e->device);
	if (e->group >= 0)
		close(e->group);
	if (e->container >= 0)
		close(e->container);
	e->container = e->group = e->device = -1;
}

/*
 * One DMA round trip through edu: a pattern from RAM to the device's buffer
 * and back into a second page, through a fresh mapping at iova. 0 when the
 * bytes came back identical.
 */
static inline int edu_round_trip(int container, int dev, uint64_t iova, unsigned char *buf,
				 unsigned int seed)
{
	uint32_t cmd;

	for (unsigned int i = 0; i < PAGE; i++) {
		buf[i] = (unsigned char)(i * 7 + seed);
		buf[PAGE + i] = 0;
	}
	if (dma_map(container, iova, buf, 2 * PAGE,
		    VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		return -1;
	cmd = cfg_read(dev, 4, 2);
	if (cmd == 0xdeadbeef || cfg_write(dev, 4, cmd | 0x6, 2))
		return -1;
	if (edu_dma(dev, iova, EDU_DMA_BUF, PAGE, 0) ||
	    edu_dma(dev, EDU_DMA_BUF, iova + PAGE, PAGE, EDU_DMA_TO_RAM))
		return -1;
	if (dma_unmap(container, iova, 2 * PAGE, 0, NULL))
		return -1;
	if (memcmp(buf, buf + PAGE, PAGE)) {
		errno = EILSEQ;
		return -1;
	}
	return 0;
}

/* 1 if the eventfd fired within ms (and reads it), 0 if not. */
static inline int efd_wait(int fd, int ms)
{
	struct pollfd p = { .fd = fd, .events = POLLIN };
	uint64_t cnt;

	if (poll(&p, 1, ms) != 1)
		return 0;
	return read(fd, &cnt, sizeof(cnt)) == sizeof(cnt) ? 1 : 0;
}

#endif

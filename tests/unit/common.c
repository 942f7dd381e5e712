// SPDX-License-Identifier: MIT
/*
 * Fixtures shared by the uAPI tests (common.h says what each one does).
 */
#include "common.h"

#include <inttypes.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

/* --- world and sysfs ------------------------------------------------------------------------ */

/*
 * uvfio_machine_default() hands out a new description each time; it is freed
 * with the world built from it, in case the world refers to it.
 */
static struct {
	pthread_mutex_t lock;
	struct {
		struct uvfio_world *w;
		struct uvfio_machine *m;
	} pairs[16];
} machines = { .lock = PTHREAD_MUTEX_INITIALIZER };

struct uvfio_world *world_new(void)
{
	struct uvfio_machine *m = uvfio_machine_default();
	struct uvfio_world *w = NULL;
	char err[256] = "";
	int ret;
	size_t i;

	ASSERT_TRUE(m);
	ret = uvfio_world_create(m, &w, err, sizeof(err));
	if (ret < 0 || !w)
		FAIL("uvfio_world_create: %d (%s)", ret, err);
	pthread_mutex_lock(&machines.lock);
	for (i = 0; i < sizeof(machines.pairs) / sizeof(machines.pairs[0]); i++) {
		if (!machines.pairs[i].w) {
			machines.pairs[i].w = w;
			machines.pairs[i].m = m;
			break;
		}
	}
	pthread_mutex_unlock(&machines.lock);
	ASSERT_LT(i, sizeof(machines.pairs) / sizeof(machines.pairs[0]));
	return w;
}

void world_free(struct uvfio_world *w)
{
	struct uvfio_machine *m = NULL;

	if (!w)
		return;
	uvfio_world_destroy(w);
	pthread_mutex_lock(&machines.lock);
	for (size_t i = 0; i < sizeof(machines.pairs) / sizeof(machines.pairs[0]); i++) {
		if (machines.pairs[i].w == w) {
			m = machines.pairs[i].m;
			machines.pairs[i].w = NULL;
			machines.pairs[i].m = NULL;
		}
	}
	pthread_mutex_unlock(&machines.lock);
	if (m)
		uvfio_machine_free(m);
}

ssize_t sysfs_puts(struct uvfio_world *w, const char *path, const char *s)
{
	return uvfio_sysfs_write(w, path, s, strlen(s));
}

void sysfs_gets(struct uvfio_world *w, const char *path, char *buf, size_t size)
{
	ssize_t n = uvfio_sysfs_read(w, path, buf, size - 1);

	if (n < 0)
		FAIL("read %s: %zd (%s)", path, n, strerror((int)-n));
	buf[n] = '\0';
}

const char *driver_of(struct uvfio_world *w, const char *bdf, char *buf, size_t size)
{
	char path[128], target[256];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", bdf);
	n = uvfio_sysfs_readlink(w, path, target, sizeof(target) - 1);
	if (n < 0) {
		if (n != -ENOENT)
			FAIL("readlink %s: %zd", path, n);
		buf[0] = '\0';
		return buf;
	}
	target[n] = '\0';
	slash = strrchr(target, '/');
	snprintf(buf, size, "%s", slash ? slash + 1 : target);
	return buf;
}

int iommu_group_of(struct uvfio_world *w, const char *bdf)
{
	char path[128], target[256];
	const char *slash;
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", bdf);
	n = uvfio_sysfs_readlink(w, path, target, sizeof(target) - 1);
	if (n < 0)
		FAIL("readlink %s: %zd", path, n);
	target[n] = '\0';
	slash = strrchr(target, '/');
	return atoi(slash ? slash + 1 : target);
}

void unbind_device(struct uvfio_world *w, const char *bdf)
{
	char drv[64], path[160];
	ssize_t ret;

	if (!*driver_of(w, bdf, drv, sizeof(drv)))
		return;
	snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind", drv);
	ret = sysfs_puts(w, path, bdf);
	if (ret != (ssize_t)strlen(bdf))
		FAIL("unbind %s from %s: %zd", bdf, drv, ret);
	ASSERT_STREQ(driver_of(w, bdf, drv, sizeof(drv)), "");
}

void bind_driver(struct uvfio_world *w, const char *bdf, const char *drv)
{
	char path[160], now[64];
	ssize_t ret;

	if (!strcmp(driver_of(w, bdf, now, sizeof(now)), drv))
		return;
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", bdf);
	ret = sysfs_puts(w, path, drv);
	if (ret != (ssize_t)strlen(drv))
		FAIL("write %s: %zd", path, ret);
	unbind_device(w, bdf);
	ret = sysfs_puts(w, "/sys/bus/pci/drivers_probe", bdf);
	if (ret != (ssize_t)strlen(bdf))
		FAIL("drivers_probe %s: %zd", bdf, ret);
	ASSERT_STREQ(driver_of(w, bdf, now, sizeof(now)), drv);
}

/* --- container, group, device --------------------------------------------------------------- */

void env_open(struct vfio_env *e, struct uvfio_world *w, struct uvfio_proc *p, int group,
	      const char *bdf, int type)
{
	char path[32];

	e->w = w;
	e->p = p;
	e->container = e->group = e->device = -1;

	e->container = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);
	ASSERT_OK(e->container);
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	e->group = uvfio_open(p, path, O_RDWR);
	ASSERT_OK(e->group);
	ASSERT_OK(uvfio_ioctl(p, e->group, VFIO_GROUP_SET_CONTAINER, &e->container));
	if (type)
		ASSERT_OK(uvfio_ioctl(p, e->container, VFIO_SET_IOMMU, (unsigned long)type));
	if (bdf) {
		e->device = uvfio_ioctl(p, e->group, VFIO_GROUP_GET_DEVICE_FD, bdf);
		ASSERT_OK(e->device);
	}
}

void env_close(struct vfio_env *e)
{
	if (e->device >= 0)
		ASSERT_OK(uvfio_close(e->p, e->device));
	if (e->group >= 0)
		ASSERT_OK(uvfio_close(e->p, e->group));
	if (e->container >= 0)
		ASSERT_OK(uvfio_close(e->p, e->container));
	e->device = e->group = e->container = -1;
}

void edu_setup(struct vfio_env *e)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p;

	bind_vfio(w, EDU_BDF);
	p = uvfio_proc_new(w, NULL);
	ASSERT_TRUE(p);
	env_open(e, w, p, EDU_GROUP, EDU_BDF, VFIO_TYPE1v2_IOMMU);
}

void nic_setup(struct vfio_env *e)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p;

	bind_vfio(w, NIC_A_BDF);
	bind_vfio(w, NIC_B_BDF);
	p = uvfio_proc_new(w, NULL);
	ASSERT_TRUE(p);
	env_open(e, w, p, NIC_GROUP, NIC_A_BDF, VFIO_TYPE1v2_IOMMU);
}

void env_teardown(struct vfio_env *e)
{
	env_close(e);
	if (e->p)
		uvfio_proc_free(e->p);
	world_free(e->w);
	e->p = NULL;
	e->w = NULL;
}

int group_status(struct uvfio_proc *p, int group)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };

	ASSERT_OK(uvfio_ioctl(p, group, VFIO_GROUP_GET_STATUS, &st));
	return (int)st.flags;
}

/* --- type1 ---------------------------------------------------------------------------------- */

int dma_map(struct uvfio_proc *p, int container, uint64_t iova, const void *vaddr, uint64_t size,
	    uint32_t flags)
{
	struct vfio_iommu_type1_dma_map m = {
		.argsz = sizeof(m),
		.flags = flags,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	return uvfio_ioctl(p, container, VFIO_IOMMU_MAP_DMA, &m);
}

int dma_unmap(struct uvfio_proc *p, int container, uint64_t iova, uint64_t size, uint32_t flags,
	      uint64_t *unmapped)
{
	struct vfio_iommu_type1_dma_unmap u = {
		.argsz = sizeof(u),
		.flags = flags,
		.iova = iova,
		.size = size,
	};
	int ret = uvfio_ioctl(p, container, VFIO_IOMMU_UNMAP_DMA, &u);

	if (ret == 0 && unmapped)
		*unmapped = u.size;
	return ret;
}

const struct vfio_info_cap_header *iommu_info_cap(struct uvfio_proc *p, int container, void *buf,
						  size_t size, uint16_t id)
{
	struct vfio_iommu_type1_info *info = buf;
	uint32_t off;
	int hops = 0;

	memset(buf, 0, size);
	info->argsz = (uint32_t)size;
	ASSERT_OK(uvfio_ioctl(p, container, VFIO_IOMMU_GET_INFO, info));
	if (!(info->flags & VFIO_IOMMU_INFO_CAPS))
		return NULL;
	ASSERT_LE(info->argsz, size); /* the buffer was big enough for the whole chain */
	for (off = info->cap_offset; off; hops++) {
		const struct vfio_info_cap_header *hdr;

		ASSERT_LT(hops, 16);
		ASSERT_GE(off, sizeof(*info));
		ASSERT_LE(off + sizeof(*hdr), size);
		hdr = (const void *)((const char *)buf + off);
		if (hdr->id == id)
			return hdr;
		off = hdr->next;
	}
	return NULL;
}

uint32_t dma_avail(struct uvfio_proc *p, int container)
{
	char buf[512];
	const struct vfio_iommu_type1_info_dma_avail *cap;

	cap = (const void *)iommu_info_cap(p, container, buf, sizeof(buf),
					   VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL);
	ASSERT_TRUE(cap);
	return cap->avail;
}

void *anon_alloc(size_t size)
{
	void *m = mmap(NULL, size, PROT_READ | PROT_WRITE,
		       MAP_PRIVATE | MAP_ANONYMOUS | MAP_POPULATE, -1, 0);

	ASSERT_TRUE(m != MAP_FAILED);
	return m;
}

void anon_free(void *addr, size_t size)
{
	ASSERT_OK(munmap(addr, size));
}

/* --- device --------------------------------------------------------------------------------- */

void region_info(struct uvfio_proc *p, int device, uint32_t index, struct vfio_region_info *ri)
{
	memset(ri, 0, sizeof(*ri));
	ri->argsz = sizeof(*ri);
	ri->index = index;
	ASSERT_OK(uvfio_ioctl(p, device, VFIO_DEVICE_GET_REGION_INFO, ri));
}

uint64_t region_offset(struct uvfio_proc *p, int device, uint32_t index)
{
	struct vfio_region_info ri;

	region_info(p, device, index, &ri);
	return ri.offset;
}

static void cfg_rw(struct uvfio_proc *p, int device, unsigned int off, void *v, size_t n,
		   bool write)
{
	uint64_t base = region_offset(p, device, VFIO_PCI_CONFIG_REGION_INDEX);
	ssize_t ret = write ? uvfio_pwrite(p, device, v, n, (off_t)(base + off)) :
			      uvfio_pread(p, device, v, n, (off_t)(base + off));

	if (ret != (ssize_t)n)
		FAIL("config %s of %zu at 0x%x: %zd (%s)", write ? "write" : "read", n, off, ret,
		     strerror(errno));
}

uint8_t cfg_read8(struct uvfio_proc *p, int device, unsigned int off)
{
	uint8_t v;

	cfg_rw(p, device, off, &v, sizeof(v), false);
	return v;
}

uint16_t cfg_read16(struct uvfio_proc *p, int device, unsigned int off)
{
	uint16_t v;

	cfg_rw(p, device, off, &v, sizeof(v), false);
	return v;
}

uint32_t cfg_read32(struct uvfio_proc *p, int device, unsigned int off)
{
	uint32_t v;

	cfg_rw(p, device, off, &v, sizeof(v), false);
	return v;
}

void cfg_write8(struct uvfio_proc *p, int device, unsigned int off, uint8_t v)
{
	cfg_rw(p, device, off, &v, sizeof(v), true);
}

void cfg_write16(struct uvfio_proc *p, int device, unsigned int off, uint16_t v)
{
	cfg_rw(p, device, off, &v, sizeof(v), true);
}

void cfg_write32(struct uvfio_proc *p, int device, unsigned int off, uint32_t v)
{
	cfg_rw(p, device, off, &v, sizeof(v), true);
}

uint32_t bar0_read32(struct uvfio_proc *p, int device, unsigned int off)
{
	uint64_t base = region_offset(p, device, VFIO_PCI_BAR0_REGION_INDEX);
	uint32_t v = 0;
	ssize_t ret = uvfio_pread(p, device, &v, sizeof(v), (off_t)(base + off));

	if (ret != (ssize_t)sizeof(v))
		FAIL("BAR0 read at 0x%x: %zd (%s)", off, ret, strerror(errno));
	return v;
}

void bar0_write32(struct uvfio_proc *p, int device, unsigned int off, uint32_t v)
{
	uint64_t base = region_offset(p, device, VFIO_PCI_BAR0_REGION_INDEX);
	ssize_t ret = uvfio_pwrite(p, device, &v, sizeof(v), (off_t)(base + off));

	if (ret != (ssize_t)sizeof(v))
		FAIL("BAR0 write at 0x%x: %zd (%s)", off, ret, strerror(errno));
}

void cmd_set(struct uvfio_proc *p, int device, uint16_t bits, bool on)
{
	uint16_t cmd = cfg_read16(p, device, CFG_COMMAND);

	cmd = on ? (uint16_t)(cmd | bits) : (uint16_t)(cmd & ~bits);
	cfg_write16(p, device, CFG_COMMAND, cmd);
}

/* --- interrupts ----------------------------------------------------------------------------- */

int set_irqs(struct uvfio_proc *p, int device, uint32_t flags, uint32_t index, uint32_t start,
	     uint32_t count, const void *data, size_t datalen)
{
	size_t size = sizeof(struct vfio_irq_set) + datalen;
	struct vfio_irq_set *s = calloc(1, size);
	int ret, err;

	ASSERT_TRUE(s);
	s->argsz = (uint32_t)size;
	s->flags = flags;
	s->index = index;
	s->start = start;
	s->count = count;
	if (datalen)
		memcpy(s->data, data, datalen);
	ret = uvfio_ioctl(p, device, VFIO_DEVICE_SET_IRQS, s);
	err = errno;
	free(s);
	errno = err;
	return ret;
}

int irq_set_eventfd(struct uvfio_proc *p, int device, uint32_t index, int fd)
{
	int32_t v = fd;

	return set_irqs(p, device, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER, index,
			0, 1, &v, sizeof(v));
}

int irq_none(struct uvfio_proc *p, int device, uint32_t index, uint32_t action, uint32_t count)
{
	return set_irqs(p, device, VFIO_IRQ_SET_DATA_NONE | action, index, 0, count, NULL, 0);
}

int efd_new(void)
{
	int fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);

	ASSERT_OK(fd);
	return fd;
}

uint64_t efd_take(int fd)
{
	uint64_t v = 0;
	ssize_t n = read(fd, &v, sizeof(v));

	if (n < 0 && errno == EAGAIN)
		return 0;
	ASSERT_EQ(n, sizeof(v));
	return v;
}

uint64_t efd_wait(struct uvfio_world *w, int fd, int ms)
{
	uint64_t deadline = now_ms() + (uint64_t)ms;

	for (;;) {
		struct pollfd pfd = { .fd = fd, .events = POLLIN };
		uint64_t v;

		uvfio_world_flush(w);
		v = efd_take(fd);
		if (v)
			return v;
		if (now_ms() >= deadline)
			return 0;
		poll(&pfd, 1, 5);
	}
}

void efd_assert_quiet(struct uvfio_world *w, int fd)
{
	struct pollfd pfd = { .fd = fd, .events = POLLIN };

	uvfio_world_flush(w);
	poll(&pfd, 1, 20);
	uvfio_world_flush(w);
	ASSERT_EQ(efd_take(fd), 0);
}

/* --- edu ------------------------------------------------------------------------------------ */

bool edu_wait_clear(struct uvfio_world *w, struct uvfio_proc *p, int device, unsigned int reg,
		    uint32_t mask)
{
	uint64_t deadline = now_ms() + 5000;

	for (;;) {
		if (!(bar0_read32(p, device, reg) & mask))
			return true;
		if (now_ms() >= deadline)
			return false;
		uvfio_world_flush(w);
		usleep(100);
	}
}

void edu_dma(struct uvfio_world *w, struct uvfio_proc *p, int device, uint64_t src, uint64_t dst,
	     uint32_t count, uint32_t cmd)
{
	ASSERT_LT(src, 1ull << 32);
	ASSERT_LT(dst, 1ull << 32);
	bar0_write32(p, device, EDU_DMA_SRC, (uint32_t)src);
	bar0_write32(p, device, EDU_DMA_DST, (uint32_t)dst);
	bar0_write32(p, device, EDU_DMA_COUNT, count);
	bar0_write32(p, device, EDU_DMA_CMD, cmd | EDU_DMA_RUN);
	ASSERT_TRUE(edu_wait_clear(w, p, device, EDU_DMA_CMD, EDU_DMA_RUN));
}

/* --- threads -------------------------------------------------------------------------------- */

static void *bg_main(void *arg)
{
	struct bg *b = arg;

	b->ret = b->fn(b->arg);
	atomic_store(&b->done, true);
	return NULL;
}

void bg_start(struct bg *b, void *(*fn)(void *), void *arg)
{
	b->fn = fn;
	b->arg = arg;
	b->ret = NULL;
	atomic_store(&b->done, false);
	ASSERT_EQ(pthread_create(&b->thread, NULL, bg_main, b), 0);
}

bool bg_wait(struct bg *b, int ms)
{
	uint64_t deadline = now_ms() + (uint64_t)ms;

	while (!atomic_load(&b->done)) {
		if (now_ms() >= deadline)
			return false;
		usleep(1000);
	}
	return true;
}

void *bg_join(struct bg *b)
{
	ASSERT_EQ(pthread_join(b->thread, NULL), 0);
	return b->ret;
}

int run_deadlock_child(void (*fn)(unsigned long), unsigned long quirks)
{
	uint64_t deadline = now_ms() + 10000;
	int status;
	pid_t pid;

	fflush(NULL);
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		fn(quirks);
		fflush(NULL);
		_exit(0);
	}
	while (waitpid(pid, &status, WNOHANG) == 0) {
		if (now_ms() > deadline) {
			kill(pid, SIGKILL);
			waitpid(pid, &status, 0);
			return -1;
		}
		usleep(2000);
	}
	if (WIFSIGNALED(status)) {
		printf("child ended by signal %d\n", WTERMSIG(status));
		return WTERMSIG(status) == SIGABRT ? -1 : 100 + WTERMSIG(status);
	}
	printf("child exit %d\n", WEXITSTATUS(status));
	/* 4: blocked; 66: ThreadSanitizer's report of the double lock or lock-order inversion. */
	return WEXITSTATUS(status) == 4 || WEXITSTATUS(status) == 66 ? -1 : WEXITSTATUS(status);
}

// SPDX-License-Identifier: MIT
/*
 * Release: whatever order the fds are closed in (or the process dies), the
 * effective teardown is device -> group -> container; mappings stay valid
 * while a device could use them and die with the last group; the next user
 * finds everything free. Digest §1.12, §9 (7, 8, 9).
 */
#include "common.h"

#include <string.h>
#include <unistd.h>

#define IOVA 0x100000ull
#define LEN 512u

struct session {
	struct vfio_env e;
	unsigned char *buf; /* 2 pages mapped at IOVA: pattern in the first, DMA target the second */
};

static void session_start(struct session *s)
{
	edu_setup(&s->e);
	s->buf = anon_alloc(2 * PAGE_SZ);
	for (unsigned int i = 0; i < LEN; i++)
		s->buf[i] = (unsigned char)(i ^ 0x5a);
	ASSERT_OK(dma_map(s->e.p, s->e.container, IOVA, s->buf, 2 * PAGE_SZ, 3));
	cmd_set(s->e.p, s->e.device, CMD_MEM | CMD_MASTER, true);
	edu_dma(s->e.w, s->e.p, s->e.device, IOVA, EDU_DMA_BUF, LEN, 0);
}

/* The device still reaches our memory through the mapping. */
static void check_dma_works(struct session *s)
{
	memset(s->buf + PAGE_SZ, 0, LEN);
	edu_dma(s->e.w, s->e.p, s->e.device, EDU_DMA_BUF, IOVA + PAGE_SZ, LEN, EDU_DMA_TO_RAM);
	ASSERT_MEMEQ(s->buf + PAGE_SZ, s->buf, LEN);
}

/* A new user gets everything back: the group opens, a new container starts empty. */
static void check_next_user(struct uvfio_world *w)
{
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_env e;

	ASSERT_TRUE(p);
	env_open(&e, w, p, EDU_GROUP, EDU_BDF, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(dma_avail(p, e.container), 65535);
	ASSERT_EQ(bar0_read32(p, e.device, EDU_ID), 0x010000ed);
	/* First open after a last close: bus mastering is off again. */
	ASSERT_EQ(cfg_read16(p, e.device, CFG_COMMAND) & CMD_MASTER, 0);
	env_close(&e);
	uvfio_proc_free(p);
}

static void close_in_order(const char *order)
{
	struct session s;
	bool dev = true, grp = true, cont = true;

	session_start(&s);
	for (const char *o = order; *o; o++) {
		int *fd = *o == 'd' ? &s.e.device : *o == 'g' ? &s.e.group : &s.e.container;

		ASSERT_OK(uvfio_close(s.e.p, *fd));
		*fd = -1;
		dev &= *o != 'd';
		grp &= *o != 'g';
		cont &= *o != 'c';

		if (dev) {
			/* Nothing is torn down under an open device. */
			ASSERT_EQ(bar0_read32(s.e.p, s.e.device, EDU_ID), 0x010000ed);
			check_dma_works(&s);
			ASSERT_ERRNO(uvfio_open(s.e.p, "/dev/vfio/1", O_RDWR), EBUSY);
		} else if (grp) {
			/* The group is still attached, and keeps the mappings. */
			ASSERT_EQ(group_status(s.e.p, s.e.group),
				  VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
			if (cont)
				ASSERT_EQ(dma_avail(s.e.p, s.e.container), 65534);
		} else if (cont) {
			/* The last group left: no backend, no mappings (§9.2). */
			struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
			uint64_t size = 1;

			ASSERT_ERRNO(uvfio_ioctl(s.e.p, s.e.container, VFIO_IOMMU_GET_INFO, &info),
				     EINVAL);
			ASSERT_EQ(uvfio_ioctl(s.e.p, s.e.container, VFIO_CHECK_EXTENSION,
					      (unsigned long)VFIO_UPDATE_VADDR),
				  0);
			/* Reattached, it starts from nothing. */
			s.e.group = uvfio_open(s.e.p, "/dev/vfio/1", O_RDWR);
			ASSERT_OK(s.e.group);
			ASSERT_OK(uvfio_ioctl(s.e.p, s.e.group, VFIO_GROUP_SET_CONTAINER,
					      &s.e.container));
			ASSERT_OK(uvfio_ioctl(s.e.p, s.e.container, VFIO_SET_IOMMU,
					      (unsigned long)VFIO_TYPE1v2_IOMMU));
			ASSERT_EQ(dma_avail(s.e.p, s.e.container), 65535);
			ASSERT_OK(dma_unmap(s.e.p, s.e.container, IOVA, 2 * PAGE_SZ, 0, &size));
			ASSERT_EQ(size, 0);
			ASSERT_OK(uvfio_close(s.e.p, s.e.group));
			s.e.group = -1;
		}
	}
	check_next_user(s.e.w);
	env_teardown(&s.e);
	anon_free(s.buf, 2 * PAGE_SZ);
}

TEST(release, close_device_group_container)
{
	close_in_order("dgc");
}

TEST(release, close_device_container_group)
{
	close_in_order("dcg");
}

TEST(release, close_group_device_container)
{
	close_in_order("gdc");
}

TEST(release, close_group_container_device)
{
	close_in_order("gcd");
}

TEST(release, close_container_device_group)
{
	close_in_order("cdg");
}

TEST(release, close_container_group_device)
{
	close_in_order("cgd");
}

/* The device fd holds the group file: the group stays attached and open after its fd closes. */
TEST(release, device_fd_keeps_group_after_group_close)
{
	struct vfio_env e;
	int g;

	edu_setup(&e);
	ASSERT_OK(uvfio_close(e.p, e.group));
	e.group = -1;
	ASSERT_ERRNO(uvfio_open(e.p, "/dev/vfio/1", O_RDWR), EBUSY);
	ASSERT_EQ(dma_avail(e.p, e.container), 65535);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_ID), 0x010000ed);
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = -1;
	g = uvfio_open(e.p, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g);
	ASSERT_EQ(group_status(e.p, g), VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_OK(uvfio_close(e.p, g));
	env_teardown(&e);
}

struct unbind_arg {
	struct uvfio_world *w;
};

static void *unbind_edu(void *arg)
{
	struct unbind_arg *a = arg;

	return (void *)(intptr_t)sysfs_puts(a->w, "/sys/bus/pci/drivers/vfio-pci/unbind", EDU_BDF);
}

/* Process exit releases everything: an unbind right after does not wait. */
TEST(release, proc_free_releases_everything)
{
	struct vfio_env e;
	struct unbind_arg a;
	struct bg bg;
	unsigned char *buf = anon_alloc(PAGE_SZ);
	int fd = efd_new();
	char drv[64];

	edu_setup(&e);
	ASSERT_OK(dma_map(e.p, e.container, IOVA, buf, PAGE_SZ, 3));
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_INTX_IRQ_INDEX, fd));
	ASSERT_OK(uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF));
	ASSERT_OK(uvfio_dup(e.p, e.container));
	uvfio_proc_free(e.p);
	e.p = NULL;
	e.device = e.group = e.container = -1;

	check_next_user(e.w);
	a.w = e.w;
	bg_start(&bg, unbind_edu, &a);
	ASSERT_TRUE(bg_wait(&bg, 5000));
	ASSERT_EQ((intptr_t)bg_join(&bg), (intptr_t)strlen(EDU_BDF));
	ASSERT_STREQ(driver_of(e.w, EDU_BDF, drv, sizeof(drv)), "");
	env_teardown(&e);
	close(fd);
	anon_free(buf, PAGE_SZ);
}

/* Unbind of an open device waits for its last fd, without a REQ channel too. */
TEST(release, unbind_waits_for_last_device_fd)
{
	struct vfio_env e;
	struct unbind_arg a;
	struct bg bg;
	int d2;

	edu_setup(&e);
	d2 = uvfio_dup(e.p, e.device);
	ASSERT_OK(d2);
	a.w = e.w;
	bg_start(&bg, unbind_edu, &a);
	ASSERT_FALSE(bg_wait(&bg, 300));
	/* Hidden from new lookups at once (§9.9). */
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF), ENODEV);
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = -1;
	ASSERT_FALSE(bg_wait(&bg, 200)); /* the dup still holds the file */
	ASSERT_EQ(bar0_read32(e.p, d2, EDU_ID), 0x010000ed);
	ASSERT_OK(uvfio_close(e.p, d2));
	ASSERT_TRUE(bg_wait(&bg, 5000));
	ASSERT_EQ((intptr_t)bg_join(&bg), (intptr_t)strlen(EDU_BDF));
	env_teardown(&e);
}

/* dup'd fds share one open file: release runs at the last close. */
TEST(release, dup_releases_at_last_close)
{
	struct vfio_env e;
	int d2, g2, c2, g;

	edu_setup(&e);
	d2 = uvfio_dup(e.p, e.device);
	ASSERT_OK(d2);
	ASSERT_NE(d2, e.device);
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = -1;
	ASSERT_EQ(bar0_read32(e.p, d2, EDU_ID), 0x010000ed);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_UNSET_CONTAINER), EBUSY);
	ASSERT_OK(uvfio_close(e.p, d2));

	g2 = uvfio_dup(e.p, e.group);
	ASSERT_OK(g2);
	c2 = uvfio_dup(e.p, e.container);
	ASSERT_OK(c2);
	ASSERT_OK(uvfio_close(e.p, e.group));
	e.group = -1;
	ASSERT_ERRNO(uvfio_open(e.p, "/dev/vfio/1", O_RDWR), EBUSY);
	ASSERT_EQ(group_status(e.p, g2), VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	ASSERT_OK(uvfio_close(e.p, e.container));
	e.container = -1;
	ASSERT_EQ(dma_avail(e.p, c2), 65535);
	ASSERT_OK(uvfio_close(e.p, g2));
	g = uvfio_open(e.p, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(g);
	ASSERT_OK(uvfio_close(e.p, g));
	ASSERT_OK(uvfio_close(e.p, c2));
	env_teardown(&e);
}

TEST(release, close_bad_fd_ebadf)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	int c = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);

	ASSERT_OK(c);
	ASSERT_OK(uvfio_close(p, c));
	ASSERT_ERRNO(uvfio_close(p, c), EBADF);
	ASSERT_ERRNO(uvfio_ioctl(p, c, VFIO_GET_API_VERSION), EBADF);
	ASSERT_ERRNO(uvfio_dup(p, c), EBADF);
	uvfio_proc_free(p);
	world_free(w);
}

/* sysfs "enable" follows the VFIO session: 1 while a device fd is open (kernel facts §1). */
TEST(release, sysfs_enable_follows_session)
{
	struct vfio_env e;
	char buf[8];

	edu_setup(&e);
	sysfs_gets(e.w, "/sys/bus/pci/devices/" EDU_BDF "/enable", buf, sizeof(buf));
	ASSERT_STREQ(buf, "1\n");
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = -1;
	sysfs_gets(e.w, "/sys/bus/pci/devices/" EDU_BDF "/enable", buf, sizeof(buf));
	ASSERT_STREQ(buf, "0\n");
	env_teardown(&e);
}

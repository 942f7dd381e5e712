/* SPDX-License-Identifier: MIT */
/*
 * The shim's fd side against a fake daemon (fake-daemon.h): the shim's code is
 * linked into this executable, so its wrappers interpose on the test's own
 * calls (open is paths.c's wrapper: here shim_dev_open is called directly).
 */
#include <fcntl.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <sys/un.h>
#include <unistd.h>

#include "fake-daemon.h"
#include "preload/shim.h"
#include "test.h"

/* An address the compiler cannot see is bad. */
static void *bad_ptr(void)
{
	volatile uintptr_t p = 8;

	return (void *)p;
}

static int open_group(void)
{
	int fd;

	/* The previous group file's close released it: free again at once. */
	ASSERT_OK(fd = shim_dev_open("/dev/vfio/1", O_RDWR | O_CLOEXEC));
	return fd;
}

static int open_device(int group)
{
	int fd;

	ASSERT_OK(fd = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, FAKE_DEVICE_NAME));
	return fd;
}

TEST(shim, dev_vfio_node_names)
{
	ASSERT_TRUE(shim_is_daemon_node("/dev/vfio/vfio"));
	ASSERT_TRUE(shim_is_daemon_node("/dev/vfio/0"));
	ASSERT_TRUE(shim_is_daemon_node("/dev/vfio/17"));
	ASSERT_FALSE(shim_is_daemon_node("/dev/vfio/"));
	ASSERT_FALSE(shim_is_daemon_node("/dev/vfio/01"));
	ASSERT_FALSE(shim_is_daemon_node("/dev/vfio/1a"));
	ASSERT_FALSE(shim_is_daemon_node("/dev/vfio/devices/vfio0"));
	ASSERT_FALSE(shim_is_daemon_node("/dev/vfio"));
	ASSERT_FALSE(shim_is_daemon_node("/dev/null"));
	ASSERT_FALSE(shim_is_daemon_node(NULL));
}

TEST(shim, open_protocol)
{
	struct fake_daemon d;
	struct stat st;
	int c, g;

	fake_daemon_start(&d);
	ASSERT_OK(c = shim_dev_open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC));
	ASSERT_TRUE(shim_fd_is_uvfio(c));
	ASSERT_EQ(fcntl(c, F_GETFD), FD_CLOEXEC);
	ASSERT_OK(g = shim_dev_open("/dev/vfio/1", O_RDWR));
	ASSERT_EQ(fcntl(g, F_GETFD), 0);
	ASSERT_ERRNO(shim_dev_open("/dev/vfio/1", O_RDWR), EBUSY);
	ASSERT_ERRNO(shim_dev_open("/dev/vfio/7", O_RDWR), ENOENT);
	close(g);
	close(open_group()); /* released at the last close */

	/* fstat: a character device with the daemon's mode and rdev. */
	ASSERT_OK(fstat(c, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(st.st_mode & 07777, 0666);
	ASSERT_EQ(major(st.st_rdev), 10);
	ASSERT_EQ(minor(st.st_rdev), 196);
	{
		struct statx stx;

		ASSERT_EQ(shim_fd_statx(c, STATX_BASIC_STATS, &stx), 0);
		ASSERT_EQ(stx.stx_rdev_major, 10);
		ASSERT_TRUE(S_ISCHR(stx.stx_mode));
	}
	ASSERT_EQ(shim_fd_stat(0, &st), 1);
	close(c);
	fake_daemon_stop(&d);
}

TEST(shim, open_without_daemon)
{
	struct fake_daemon d;

	fake_daemon_start(&d);
	kill(d.pid, SIGKILL);
	waitpid(d.pid, NULL, 0);
	unlink(d.path);
	ASSERT_ERRNO(shim_dev_open("/dev/vfio/vfio", O_RDWR), ENOENT);
	fake_daemon_stop(&d);
}

TEST(shim, ioctl_by_value)
{
	struct fake_daemon d;
	int c;

	fake_daemon_start(&d);
	ASSERT_OK(c = shim_dev_open("/dev/vfio/vfio", O_RDWR));
	errno = 4242;
	ASSERT_EQ(ioctl(c, VFIO_GET_API_VERSION), VFIO_API_VERSION);
	ASSERT_EQ(errno, 4242); /* untouched on success */
	ASSERT_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU), 1);
	ASSERT_EQ(ioctl(c, VFIO_CHECK_EXTENSION, VFIO_TYPE1_IOMMU), 0);
	ASSERT_ERRNO(ioctl(c, VFIO_IOMMU_GET_INFO, NULL), EINVAL);
	ASSERT_ERRNO(ioctl(c, _IO('Q', 1)), ENOTTY);
	/* The VFS's own commands act on the descriptor. */
	ASSERT_OK(ioctl(c, FIOCLEX));
	ASSERT_EQ(fcntl(c, F_GETFD), FD_CLOEXEC);
	close(c);
	fake_daemon_stop(&d);
}

TEST(shim, ioctl_payload_and_write_back)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct fake_daemon d;
	int c, g;

	fake_daemon_start(&d);
	ASSERT_OK(c = shim_dev_open("/dev/vfio/vfio", O_RDWR));
	g = open_group();
	ASSERT_EQ(ioctl(g, VFIO_GROUP_GET_STATUS, &status), 0);
	ASSERT_EQ(status.flags, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	ASSERT_EQ(status.argsz, sizeof(status));
	ASSERT_EQ(ioctl(g, VFIO_GROUP_SET_CONTAINER, &c), 0);
	close(g);
	close(c);
	fake_daemon_stop(&d);
}

TEST(shim, ioctl_efault)
{
	struct fake_daemon d;
	char *page;
	int g;

	fake_daemon_start(&d);
	g = open_group();
	ASSERT_ERRNO(ioctl(g, VFIO_GROUP_GET_STATUS, bad_ptr()), EFAULT);
	ASSERT_ERRNO(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, bad_ptr()), EFAULT);
	ASSERT_ERRNO(ioctl(g, VFIO_GROUP_SET_CONTAINER, bad_ptr()), EFAULT);

	/* A string that ends right before an unmapped page is fine. */
	page = mmap(NULL, 2 * 4096, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(page != MAP_FAILED);
	ASSERT_OK(munmap(page + 4096, 4096));
	strcpy(page + 4096 - sizeof(FAKE_DEVICE_NAME), FAKE_DEVICE_NAME);
	{
		int dev =
			ioctl(g, VFIO_GROUP_GET_DEVICE_FD, page + 4096 - sizeof(FAKE_DEVICE_NAME));

		ASSERT_OK(dev);
		close(dev);
	}
	/* ... one that runs into it is EFAULT, one without a NUL in 4096 bytes EINVAL. */
	memset(page, 'x', 4096);
	ASSERT_ERRNO(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, page + 4000), EFAULT);
	ASSERT_ERRNO(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, page), EINVAL);
	ASSERT_ERRNO(ioctl(g, VFIO_GROUP_GET_DEVICE_FD, "0000:00:09.0"), ENODEV);
	munmap(page, 4096);
	close(g);
	fake_daemon_stop(&d);
}

TEST(shim, get_device_fd)
{
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct fake_daemon d;
	int g, dev, dup_dev;

	fake_daemon_start(&d);
	g = open_group();
	dev = open_device(g);
	ASSERT_TRUE(shim_fd_is_uvfio(dev));
	ASSERT_EQ(fcntl(dev, F_GETFD), FD_CLOEXEC);
	ASSERT_EQ(ioctl(dev, VFIO_DEVICE_GET_INFO, &info), 0);
	ASSERT_EQ(info.flags, VFIO_DEVICE_FLAGS_PCI);
	ASSERT_EQ(info.num_regions, 9);
	ASSERT_EQ(info.num_irqs, 5);

	/* A dup is the same open file. */
	ASSERT_OK(dup_dev = dup(dev));
	ASSERT_TRUE(shim_fd_is_uvfio(dup_dev));
	memset(&info, 0, sizeof(info));
	info.argsz = sizeof(info);
	ASSERT_EQ(ioctl(dup_dev, VFIO_DEVICE_GET_INFO, &info), 0);
	ASSERT_EQ(info.num_irqs, 5);
	close(dup_dev);
	close(dev);
	close(g);
	fake_daemon_stop(&d);
}

TEST(shim, write_records_outside_window_rejected)
{
	struct vfio_region_info info[2];
	struct fake_daemon d;
	int g, dev;

	fake_daemon_start(&d);
	g = open_group();
	dev = open_device(g);
	memset(info, 0x5a, sizeof(info));
	info[0].argsz = sizeof(info[0]);
	ASSERT_ERRNO(ioctl(dev, VFIO_DEVICE_GET_REGION_INFO, &info[0]), EIO);
	ASSERT_EQ(info[1].argsz, 0x5a5a5a5a); /* nothing written past the struct */
	ASSERT_EQ(info[0].size, 0x5a5a5a5a5a5a5a5aull);
	close(dev);
	close(g);
	fake_daemon_stop(&d);
}

TEST(shim, read_write_lseek)
{
	struct fake_daemon d;
	char buf[64], a[4], b[4];
	struct iovec iov[2] = { { a, 4 }, { b, 4 } };
	int g, dev;

	fake_daemon_start(&d);
	g = open_group();
	dev = open_device(g);
	ASSERT_EQ(pwrite(dev, "hello", 5, 0x100), 5);
	ASSERT_EQ(pread(dev, buf, 5, 0x100), 5);
	ASSERT_MEMEQ(buf, "hello", 5);
	ASSERT_ERRNO(pread(dev, buf, 5, -1), EINVAL);
	ASSERT_ERRNO(pread(dev, bad_ptr(), 5, 0x100), EFAULT);
	ASSERT_ERRNO(pwrite(dev, bad_ptr(), 5, 0x100), EFAULT);

	ASSERT_EQ(lseek(dev, 0x200, SEEK_SET), 0x200);
	ASSERT_EQ(write(dev, "abcdefgh", 8), 8);
	ASSERT_EQ(lseek(dev, -8, SEEK_CUR), 0x200);
	ASSERT_EQ(readv(dev, iov, 2), 8);
	ASSERT_MEMEQ(a, "abcd", 4);
	ASSERT_MEMEQ(b, "efgh", 4);
	ASSERT_EQ(pwritev(dev, iov, 2, 0x300), 8);
	ASSERT_EQ(pread(dev, buf, 8, 0x300), 8);
	ASSERT_MEMEQ(buf, "abcdefgh", 8);
	ASSERT_ERRNO(preadv2(dev, iov, 2, 0, RWF_NOWAIT), EOPNOTSUPP);
	ASSERT_ERRNO(lseek(dev, 0, SEEK_END), EINVAL);

	/* Larger than one message: chunked. */
	{
		size_t n = 3u << 20;
		char *big = malloc(n);

		ASSERT_TRUE(big);
		memset(big, 'z', n);
		ASSERT_EQ(pwrite(dev, big, n, 0), 65536); /* the fake has 64 KiB */
		free(big);
	}
	close(dev);
	close(g);
	fake_daemon_stop(&d);
}

TEST(shim, other_fds_untouched)
{
	struct fake_daemon d;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int p[2], sv[2], s;
	char c;

	fake_daemon_start(&d);
	ASSERT_OK(pipe(p));
	errno = 77;
	ASSERT_EQ(write(p[1], "x", 1), 1);
	ASSERT_EQ(read(p[0], &c, 1), 1);
	ASSERT_EQ(errno, 77);
	ASSERT_ERRNO(read(-1, &c, 1), EBADF);
	ASSERT_ERRNO(ioctl(p[0], VFIO_GET_API_VERSION), ENOTTY);
	ASSERT_FALSE(shim_fd_is_uvfio(p[0]));

	/* A socketpair of our own, and a connection to the daemon's named socket. */
	ASSERT_OK(socketpair(AF_UNIX, SOCK_STREAM, 0, sv));
	ASSERT_FALSE(shim_fd_is_uvfio(sv[0]));
	ASSERT_EQ(write(sv[0], "y", 1), 1);
	ASSERT_EQ(read(sv[1], &c, 1), 1);
	ASSERT_OK(s = socket(AF_UNIX, SOCK_STREAM, 0));
	strcpy(sa.sun_path, d.path);
	ASSERT_OK(connect(s, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_FALSE(shim_fd_is_uvfio(s));
	errno = 78;
	ASSERT_FALSE(shim_fd_is_uvfio(12345));
	ASSERT_EQ(errno, 78);
	close(s);
	close(sv[0]);
	close(sv[1]);
	close(p[0]);
	close(p[1]);
	fake_daemon_stop(&d);
}

struct hammer {
	int fd;
	int fails;
};

static void *hammer_thread(void *arg)
{
	struct hammer *h = arg;

	for (int i = 0; i < 300; i++) {
		struct vfio_device_info info = { .argsz = sizeof(info) };
		char buf[8];

		if (ioctl(h->fd, VFIO_DEVICE_GET_INFO, &info) || info.num_irqs != 5)
			h->fails++;
		if (pread(h->fd, buf, 8, 0x10) != 8)
			h->fails++;
	}
	return NULL;
}

TEST(shim, threads_share_a_file)
{
	struct hammer h[4];
	pthread_t t[4];
	struct fake_daemon d;
	int g, dev;

	fake_daemon_start(&d);
	g = open_group();
	dev = open_device(g);
	for (int i = 0; i < 4; i++) {
		h[i] = (struct hammer){ i % 2 ? dup(dev) : dev, 0 };
		ASSERT_OK(pthread_create(&t[i], NULL, hammer_thread, &h[i]));
	}
	for (int i = 0; i < 4; i++) {
		pthread_join(t[i], NULL);
		ASSERT_EQ(h[i].fails, 0);
		if (h[i].fd != dev)
			close(h[i].fd);
	}
	close(dev);
	close(g);
	fake_daemon_stop(&d);
}

/* Accesses of each size, through volatile pointers (plain movs). */
TEST(shim, trapped_mmap_access)
{
	size_t page = (size_t)getpagesize();
	struct fake_daemon d;
	volatile uint8_t *bar;
	uint64_t v64;
	uint32_t v32;
	uint16_t v16;
	uint8_t v8, buf[8];
	int g, dev;

	fake_daemon_start(&d);
	g = open_group();
	dev = open_device(g);
	bar = mmap(NULL, 2 * page, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
	ASSERT_TRUE(bar != MAP_FAILED);

	/* Page 1 is plain memory from the memfd. */
	ASSERT_MEMEQ((const void *)(bar + page), "MEMFD", 5);

	/* Page 0 is trapped: stores reach the daemon's registers... */
	*(volatile uint8_t *)(bar + 0x10) = 0x11;
	*(volatile uint16_t *)(bar + 0x12) = 0x2233;
	*(volatile uint32_t *)(bar + 0x14) = 0x44556677;
	*(volatile uint64_t *)(bar + 0x18) = 0x8899aabbccddeeffull;
	ASSERT_EQ(pread(dev, buf, 1, 0x10), 1);
	ASSERT_EQ(buf[0], 0x11);
	ASSERT_EQ(pread(dev, &v16, 2, 0x12), 2);
	ASSERT_EQ(v16, 0x2233);
	ASSERT_EQ(pread(dev, &v32, 4, 0x14), 4);
	ASSERT_EQ(v32, 0x44556677);
	ASSERT_EQ(pread(dev, &v64, 8, 0x18), 8);
	ASSERT_EQ(v64, 0x8899aabbccddeeffull);

	/* ... and loads come from them. */
	v64 = 0x0102030405060708ull;
	ASSERT_EQ(pwrite(dev, &v64, 8, 0x40), 8);
	v8 = *(volatile uint8_t *)(bar + 0x40);
	v16 = *(volatile uint16_t *)(bar + 0x40);
	v32 = *(volatile uint32_t *)(bar + 0x40);
	ASSERT_EQ(v8, 0x08);
	ASSERT_EQ(v16, 0x0708);
	ASSERT_EQ(v32, 0x05060708);
	ASSERT_EQ(*(volatile uint64_t *)(bar + 0x40), 0x0102030405060708ull);

	/* The mapping keeps the device open after close; munmap lets it go. */
	close(dev);
	ASSERT_EQ(*(volatile uint32_t *)(bar + 0x14), 0x44556677);
	ASSERT_OK(munmap((void *)bar, 2 * page));
	close(g);
	fake_daemon_stop(&d);
}

static sigjmp_buf segv_jmp;
static volatile sig_atomic_t segv_seen;

static void prog_segv(int sig, siginfo_t *si, void *uc)
{
	segv_seen = sig;
	siglongjmp(segv_jmp, 1);
}

TEST(shim, segv_chains_to_program_handler)
{
	size_t page = (size_t)getpagesize();
	struct sigaction act = { .sa_sigaction = prog_segv, .sa_flags = SA_SIGINFO }, old;
	struct fake_daemon d;
	volatile uint8_t *bar;
	volatile char *guard;
	int g, dev;

	fake_daemon_start(&d);
	g = open_group();
	dev = open_device(g);
	bar = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
	ASSERT_TRUE(bar != MAP_FAILED);
	bar[0] = 1; /* the shim's handler is in place from here */

	sigemptyset(&act.sa_mask);
	ASSERT_OK(sigaction(SIGSEGV, &act, NULL));
	ASSERT_OK(sigaction(SIGSEGV, NULL, &old));
	ASSERT_TRUE(old.sa_sigaction == prog_segv);

	guard = mmap(NULL, page, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	ASSERT_TRUE(guard != MAP_FAILED);
	if (!sigsetjmp(segv_jmp, 1))
		(void)*guard;
	ASSERT_EQ(segv_seen, SIGSEGV);

	/* Trapped accesses still work with the program's handler installed. */
	bar[1] = 2;
	ASSERT_EQ(bar[1], 2);

	/* After munmap, the range is an ordinary fault again. */
	ASSERT_OK(munmap((void *)bar, page));
	segv_seen = 0;
	if (!sigsetjmp(segv_jmp, 1))
		(void)*bar;
	ASSERT_EQ(segv_seen, SIGSEGV);
	munmap((void *)guard, page);
	close(dev);
	close(g);
	fake_daemon_stop(&d);
}

/* With no handler of its own, a stray fault still kills the program with SIGSEGV. */
FAIL_TEST(shim, segv_default_still_kills)
{
	size_t page = (size_t)getpagesize();
	struct fake_daemon d;
	volatile uint8_t *bar;
	int g, dev;

	fake_daemon_start(&d);
	g = open_group();
	dev = open_device(g);
	bar = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_SHARED, dev, 0);
	ASSERT_TRUE(bar != MAP_FAILED);
	bar[0] = 1;
	*(volatile int *)bad_ptr() = 1;
}

/* An unmodified program, with the real library preloaded. */
TEST(shim, ld_preload_program)
{
	struct fake_daemon d;
	int status;
	pid_t pid;

	fake_daemon_start(&d);
	ASSERT_OK(pid = fork());
	if (!pid) {
		setenv("LD_PRELOAD", PRELOAD_LIB, 1);
		execl(PRELOAD_HELPER, PRELOAD_HELPER, (char *)NULL);
		_exit(127);
	}
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	ASSERT_TRUE(WIFEXITED(status));
	ASSERT_EQ(WEXITSTATUS(status), 0);
	fake_daemon_stop(&d);
}

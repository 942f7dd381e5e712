// SPDX-License-Identifier: MIT
/*
 * The FUSE sysfs, mounted in a private mount namespace of the test (so the
 * mount and any remount of /sys die with it): plain libc, a shell, a write
 * that blocks while others go on, and a program under the shim.
 *
 * SAFETY: this machine's real /sys has devices at the same addresses. No
 * test here writes to /sys; the shim test remounts /sys read-only in the
 * test's namespace before running anything with the shim.
 */
#include <fcntl.h>
#include <linux/vfio.h>
#include <pthread.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/statvfs.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>
#include <unistd.h>

#include "test.h"
#include "uvfio/uvfio.h"
#include "uvfio_fuse.h"

struct fixture {
	struct uvfio_world *w;
	struct uvfio_fuse *f;
	char root[64];
};

static void fixture_mount(struct fixture *fx)
{
	struct uvfio_machine *m;
	char err[256];

	if (access("/dev/fuse", R_OK | W_OK))
		SKIP("no /dev/fuse");
	if (unshare(CLONE_NEWNS) || mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		SKIP("no private mount namespace");
	snprintf(fx->root, sizeof(fx->root), "/tmp/uvfio-sysfs-XXXXXX");
	ASSERT_TRUE(mkdtemp(fx->root) != NULL);
	m = uvfio_machine_default();
	ASSERT_EQ(uvfio_world_create(m, &fx->w, err, sizeof(err)), 0);
	uvfio_machine_free(m);
	if (uvfio_fuse_mount(fx->w, fx->root, &fx->f)) {
		uvfio_world_destroy(fx->w);
		rmdir(fx->root);
		SKIP("cannot mount FUSE");
	}
}

static void fixture_unmount(struct fixture *fx)
{
	uvfio_fuse_unmount(fx->f);
	uvfio_world_destroy(fx->w);
	rmdir(fx->root);
}

static ssize_t read_file(const char *path, char *buf, size_t size)
{
	int fd = open(path, O_RDONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = read(fd, buf, size - 1);
	close(fd);
	if (n >= 0)
		buf[n] = '\0';
	return n;
}

static ssize_t write_file(const char *path, const char *s)
{
	int fd = open(path, O_WRONLY);
	ssize_t n;

	if (fd < 0)
		return -1;
	n = write(fd, s, strlen(s));
	close(fd);
	return n;
}

TEST(sysfs_fuse, libc)
{
	struct fixture fx;
	char path[256], buf[4096];
	struct stat st;

	fixture_mount(&fx);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:03.0/vendor", fx.root);
	ASSERT_EQ(read_file(path, buf, sizeof(buf)), 7);
	ASSERT_STREQ(buf, "0x1234\n");
	ASSERT_OK(stat(path, &st));
	ASSERT_EQ(st.st_mode, S_IFREG | 0444);
	ASSERT_EQ(st.st_size, 4096);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:03.0/config", fx.root);
	ASSERT_EQ(read_file(path, buf, sizeof(buf)), 256);
	ASSERT_MEMEQ(buf, "\x34\x12\xe8\x11", 4);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:03.0/iommu_group", fx.root);
	ASSERT_EQ(readlink(path, buf, sizeof(buf)), 30);
	ASSERT_MEMEQ(buf, "../../../kernel/iommu_groups/1", 30);
	snprintf(path, sizeof(path), "%s/dev/vfio/vfio", fx.root);
	ASSERT_OK(stat(path, &st));
	ASSERT_TRUE(S_ISCHR(st.st_mode));
	ASSERT_EQ(st.st_rdev, makedev(10, 196));
	ASSERT_EQ(st.st_mode & 07777, 0666);
	/* kernfs errnos: no read method, no write method, unknown entry. */
	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers_probe", fx.root);
	ASSERT_ERRNO(open(path, O_RDONLY), EACCES);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:03.0/vendor", fx.root);
	ASSERT_ERRNO(open(path, O_WRONLY), EACCES);
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:00:09.0", fx.root);
	ASSERT_ERRNO(open(path, O_RDONLY), ENOENT);
	/* Writes reach the store and bring back its errno. */
	snprintf(path, sizeof(path), "%s/sys/bus/pci/drivers/e1000/bind", fx.root);
	ASSERT_ERRNO(write_file(path, "0000:00:03.0"), ENODEV);
	fixture_unmount(&fx);
}

TEST(sysfs_fuse, shell)
{
	struct fixture fx;
	char cmd[2048];

	fixture_mount(&fx);
	snprintf(
		cmd, sizeof(cmd),
		"set -ex; cd %s\n"
		"test \"$(cat sys/bus/pci/devices/0000:00:03.0/vendor)\" = 0x1234\n"
		"ls -l sys/bus/pci/devices/0000:00:03.0/ | grep -q '^-rw------- .* 1048576 .* resource0$'\n"
		"ls -l sys/bus/pci/devices/ | grep -q '0000:01:01.0 -> ../../../devices/pci0000:00/0000:00:04.0/0000:01:01.0$'\n"
		"test \"$(readlink sys/bus/pci/devices/0000:00:03.0/iommu_group)\" = ../../../kernel/iommu_groups/1\n"
		"test \"$(cat sys/bus/pci/devices/0000:00:03.0/iommu_group/reserved_regions)\" = '0x00000000fee00000 0x00000000feefffff msi'\n"
		"test \"$(ls sys/kernel/iommu_groups/2/devices | tr '\\n' ' ')\" = '0000:00:04.0 0000:01:01.0 0000:01:02.0 '\n"
		"echo vfio-pci > sys/bus/pci/devices/0000:00:03.0/driver_override\n"
		"echo 0000:00:03.0 > sys/bus/pci/drivers_probe\n"
		"ls -l dev/vfio | grep -q '^crw------- .* 245, *0 .* 1$'\n"
		"test \"$(readlink sys/bus/pci/devices/0000:00:03.0/driver)\" = ../../../bus/pci/drivers/vfio-pci\n"
		"test \"$(cat sys/class/vfio/1/dev)\" = 245:0\n"
		"! echo 0000:00:03.0 > sys/bus/pci/drivers/vfio-pci/bind 2>/dev/null\n",
		fx.root);
	ASSERT_EQ(system(cmd), 0);
	fixture_unmount(&fx);
}

struct unbind_arg {
	char path[256];
	ssize_t ret;
};

static void *unbind_thread(void *arg)
{
	struct unbind_arg *a = arg;

	__atomic_store_n(&a->ret, write_file(a->path, "0000:00:03.0"), __ATOMIC_SEQ_CST);
	return NULL;
}

/* An unbind that waits for the VFIO user occupies one FUSE thread, not the mount. */
TEST(sysfs_fuse, blocked_unbind)
{
	struct vfio_iommu_type1_info info = { .argsz = sizeof(info) };
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct unbind_arg ua = { .ret = -2 };
	struct fixture fx;
	struct uvfio_proc *p;
	int container, group, device;
	char path[256], buf[64];
	pthread_t t;

	fixture_mount(&fx);
	ASSERT_EQ(uvfio_sysfs_write(fx.w, "/sys/bus/pci/devices/0000:00:03.0/driver_override",
				    "vfio-pci", 8),
		  8);
	ASSERT_EQ(uvfio_sysfs_write(fx.w, "/sys/bus/pci/drivers_probe", "0000:00:03.0", 12), 12);
	p = uvfio_proc_new(fx.w, NULL);
	ASSERT_OK(container = uvfio_open(p, "/dev/vfio/vfio", O_RDWR));
	ASSERT_OK(group = uvfio_open(p, "/dev/vfio/1", O_RDWR));
	ASSERT_OK(uvfio_ioctl(p, group, VFIO_GROUP_GET_STATUS, &status));
	ASSERT_OK(uvfio_ioctl(p, group, VFIO_GROUP_SET_CONTAINER, &container));
	ASSERT_OK(uvfio_ioctl(p, container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
	ASSERT_OK(device = uvfio_ioctl(p, group, VFIO_GROUP_GET_DEVICE_FD, "0000:00:03.0"));
	(void)info;

	snprintf(ua.path, sizeof(ua.path), "%s/sys/bus/pci/drivers/vfio-pci/unbind", fx.root);
	ASSERT_EQ(pthread_create(&t, NULL, unbind_thread, &ua), 0);
	usleep(200 * 1000);
	ASSERT_EQ(__atomic_load_n(&ua.ret, __ATOMIC_SEQ_CST), -2); /* still blocked */
	/* The rest of the tree still answers. */
	snprintf(path, sizeof(path), "%s/sys/bus/pci/devices/0000:01:01.0/vendor", fx.root);
	ASSERT_EQ(read_file(path, buf, sizeof(buf)), 7);
	ASSERT_STREQ(buf, "0x8086\n");
	snprintf(path, sizeof(path), "%s/sys/kernel/iommu_groups/1/type", fx.root);
	ASSERT_EQ(read_file(path, buf, sizeof(buf)), 4);
	/* The user lets go: the unbind completes. */
	ASSERT_OK(uvfio_close(p, device));
	ASSERT_EQ(pthread_join(t, NULL), 0);
	ASSERT_EQ(ua.ret, 12);
	uvfio_proc_free(p);
	fixture_unmount(&fx);
}

/* A program under the shim sees the world at /sys and /dev/vfio, with /sys answers. */
TEST(sysfs_fuse, shim_redirection)
{
#ifndef PRELOAD_SO
	SKIP("the shim is not built");
#else
	struct fixture fx;
	struct statvfs sv;
	char out[4096], env_root[128];
	int pipefd[2], status;
	ssize_t n, len = 0;
	pid_t pid;

	if (access(PRELOAD_SO, R_OK) || access(SYSFS_PROBE, X_OK))
		SKIP("the shim or the probe is missing");
	fixture_mount(&fx);
	/* Never let a redirection miss land on the real /sys: make it read-only here. */
	if (mount("/sys", "/sys", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) ||
	    statvfs("/sys", &sv) || !(sv.f_flag & ST_RDONLY)) {
		fixture_unmount(&fx);
		SKIP("cannot make /sys read-only");
	}
	snprintf(env_root, sizeof(env_root), "UVFIO_ROOT=%s", fx.root);
	ASSERT_OK(pipe(pipefd));
	pid = fork();
	ASSERT_OK(pid);
	if (pid == 0) {
		char preload[] = "LD_PRELOAD=" PRELOAD_SO, probe[] = SYSFS_PROBE;
		char sock[] = "UVFIO_SOCKET=/nonexistent/uvfio.sock";
		/* An ASan build of the probe must accept the uninstrumented shim first. */
		char *envp[] = { preload, env_root, sock,
				 (char *)"ASAN_OPTIONS=verify_asan_link_order=0", NULL };
		char *argv[] = { probe, NULL };

		dup2(pipefd[1], 1);
		close(pipefd[0]);
		execve(SYSFS_PROBE, argv, envp);
		_exit(127);
	}
	close(pipefd[1]);
	while ((n = read(pipefd[0], out + len, sizeof(out) - 1 - (size_t)len)) > 0)
		len += n;
	out[len] = '\0';
	close(pipefd[0]);
	ASSERT_EQ(waitpid(pid, &status, 0), pid);
	printf("%s", out);
	ASSERT_TRUE(WIFEXITED(status) && WEXITSTATUS(status) == 0);
	ASSERT_STREQ(out, "fopen vendor: 0x1234\n"
			  "open device: 0x11e8\n"
			  "realpath iommu_group: /sys/kernel/iommu_groups/1\n"
			  "realpath device: /sys/devices/pci0000:00/0000:00:03.0\n"
			  "readlink iommu_group: ../../../kernel/iommu_groups/1\n"
			  "iommu groups: 4\n"
			  "stat /dev/vfio/vfio: chr 10:196 666\n"
			  "access drivers_probe: 0\n"
			  "getcwd: /sys/bus/pci\n");
	fixture_unmount(&fx);
#endif
}

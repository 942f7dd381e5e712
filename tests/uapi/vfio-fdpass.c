// SPDX-License-Identifier: MIT
/*
 * vfio-fdpass: VFIO descriptors held by more than one process or number
 * (libc and <linux/vfio.h> only). A container, group or device fd is an open
 * file: dup, fork and SCM_RIGHTS give other holders of the same file, every
 * holder can use it, and the file's release (the group's single-open claim,
 * the group leaving its container, the device session) happens at the last
 * close only, whoever closes last.
 *
 * Expects edu (00:03.0) already bound to vfio-pci. TAP on stdout; exit
 * status 1 when any check failed.
 */
#include "common.h"

#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/wait.h>

/* A group is single-open: the result of a probing open, closed again at once. */
static int group_open_errno(void)
{
	int fd = open(EDU_GROUP_PATH, O_RDWR | O_CLOEXEC);

	if (fd < 0)
		return errno;
	close(fd);
	return 0;
}

/* The container has a backend only while a group is attached. */
static int container_has_backend(int c)
{
	return ioctl(c, VFIO_CHECK_EXTENSION, VFIO_UPDATE_VADDR);
}

static char *enable_state(char *buf, size_t len)
{
	if (sysfs_read("/sys/bus/pci/devices/" EDU_BDF "/enable", buf, len) < 0)
		snprintf(buf, len, "?");
	return buf;
}

static void send_fds(int sock, const int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	char byte = 'F';
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = CMSG_SPACE(sizeof(int) * n),
	};
	struct cmsghdr *cm = CMSG_FIRSTHDR(&mh);

	memset(cbuf, 0, sizeof(cbuf));
	cm->cmsg_level = SOL_SOCKET;
	cm->cmsg_type = SCM_RIGHTS;
	cm->cmsg_len = CMSG_LEN(sizeof(int) * n);
	memcpy(CMSG_DATA(cm), fds, sizeof(int) * n);
	if (sendmsg(sock, &mh, 0) != 1)
		bail("sendmsg");
}

static int recv_fds(int sock, int *fds, int n)
{
	char cbuf[CMSG_SPACE(sizeof(int) * 4)];
	char byte;
	struct iovec iov = { .iov_base = &byte, .iov_len = 1 };
	struct msghdr mh = {
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	struct cmsghdr *cm;

	if (recvmsg(sock, &mh, MSG_CMSG_CLOEXEC) != 1)
		return -1;
	cm = CMSG_FIRSTHDR(&mh);
	if (!cm || cm->cmsg_type != SCM_RIGHTS || cm->cmsg_len != CMSG_LEN(sizeof(int) * n))
		return -1;
	memcpy(fds, CMSG_DATA(cm), sizeof(int) * n);
	return 0;
}

/* One-byte messages between the two processes of a test. */
static void say(int sock, char c)
{
	if (write(sock, &c, 1) != 1)
		bail("write");
}

static char hear(int sock)
{
	char c = 0;

	if (read(sock, &c, 1) != 1)
		return 0;
	return c;
}

/*
 * The child's checks are reported by the child itself (TAP numbers continue
 * from the parent's count when it forked; the parent skips past them).
 */
static int child_checks;

static void wait_child(pid_t pid, const char *name)
{
	int st = 0;

	waitpid(pid, &st, 0);
	tap(WIFEXITED(st) && WEXITSTATUS(st) == 0, name, "child status 0x%x", st);
}

/* SCM_RIGHTS: the receiver holds the only copies after the sender closes its own. */
static void test_scm_rights(void)
{
	struct vfio_env e;
	int sv[2], fds[3], c, g, d;
	char st[8];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		bail("socketpair");
	child_checks = tap_n;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail("fork");
	if (pid == 0) {
		unsigned char *buf;

		close(sv[0]);
		tap_failed = 0;
		if (recv_fds(sv[1], fds, 3))
			_exit(10);
		c = fds[0];
		g = fds[1];
		d = fds[2];
		if (hear(sv[1]) != 'g')
			_exit(11);
		tap_n = child_checks + 2; /* after the parent's two checks */
		EXPECT_EQ(bar0_read32(d, EDU_ID), 0x010000ed,
			  "scm: receiver reads BAR0 through the received device fd");
		EXPECT_EQ(cfg_read(d, 0, 4), 0x11e81234, "scm: receiver reads config");
		buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			   0);
		EXPECT_OK(edu_round_trip(c, d, 0x100000, buf, 3),
			  "scm: receiver DMA round trip through the received container");
		{
			struct vfio_group_status gs = { .argsz = sizeof(gs) };

			ioctl(g, VFIO_GROUP_GET_STATUS, &gs);
			EXPECT_EQ(gs.flags, 3,
				  "scm: receiver GET_STATUS through the received group");
		}
		close(d);
		say(sv[1], 'd');
		hear(sv[1]);
		tap_n += 2; /* the parent's two checks in between */
		close(g);
		EXPECT_EQ(container_has_backend(c), 0,
			  "scm: the group's last close detaches it from the container");
		close(c);
		say(sv[1], 'c');
		_exit(tap_failed ? 1 : 0);
	}
	close(sv[1]);
	if (env_open(&e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1v2_IOMMU))
		bail("open edu");
	fds[0] = c = e.container;
	fds[1] = g = e.group;
	fds[2] = d = e.device;
	send_fds(sv[0], fds, 3);
	close(d);
	close(g);
	close(c);
	EXPECT_EQ(group_open_errno(), EBUSY, "scm: group still busy after the sender closed it");
	tap(!strcmp(enable_state(st, sizeof(st)), "1\n"),
	    "scm: device session still open (enable 1)", "enable %s", st);
	say(sv[0], 'g');
	if (hear(sv[0]) != 'd')
		bail("child");
	tap_n += 4;
	EXPECT_EQ(group_open_errno(), EBUSY, "scm: busy while the receiver holds the group");
	tap(!strcmp(enable_state(st, sizeof(st)), "0\n"),
	    "scm: device session ended at the receiver's close (enable 0)", "enable %s", st);
	say(sv[0], 'x');
	if (hear(sv[0]) != 'c')
		bail("child");
	tap_n += 1;
	wait_child(pid, "scm: receiver's checks");
	EXPECT_EQ(group_open_errno(), 0, "scm: group opens again after the receiver's close");
	close(sv[0]);
}

/* dup, dup2, F_DUPFD_CLOEXEC: more numbers for one file. */
static void test_dup(void)
{
	struct vfio_env e;
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	int g2, g3, g4, d2, c2;
	char st[8];

	if (env_open(&e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1v2_IOMMU))
		bail("open edu");
	g2 = dup(e.group);
	g3 = dup2(e.group, 100);
	g4 = fcntl(e.group, F_DUPFD_CLOEXEC, 200);
	tap(g2 >= 0 && g3 == 100 && g4 >= 200, "dup: three more numbers for the group", "%d %d %d",
	    g2, g3, g4);
	EXPECT_EQ(fcntl(g4, F_GETFD) & FD_CLOEXEC, FD_CLOEXEC, "dup: F_DUPFD_CLOEXEC sets CLOEXEC");
	EXPECT_EQ(fcntl(g2, F_GETFD) & FD_CLOEXEC, 0, "dup: dup clears CLOEXEC");
	close(e.group);
	EXPECT_OK(ioctl(g2, VFIO_GROUP_GET_STATUS, &gs), "dup: GET_STATUS through dup");
	EXPECT_EQ(gs.flags, 3, "dup: same file, container set");
	EXPECT_EQ(group_open_errno(), EBUSY, "dup: busy after the original is closed");
	close(g2);
	close(g3);
	EXPECT_EQ(group_open_errno(), EBUSY, "dup: busy while F_DUPFD_CLOEXEC copy is open");

	d2 = dup(e.device);
	close(e.device);
	EXPECT_EQ(bar0_read32(d2, EDU_ID), 0x010000ed, "dup: device dup reads BAR0");
	EXPECT_EQ(container_has_backend(e.container), 1, "dup: container has its group");
	c2 = fcntl(e.container, F_DUPFD_CLOEXEC, 0);
	close(e.container);
	EXPECT_EQ(container_has_backend(c2), 1, "dup: container dup sees the backend");
	close(g4);
	/* The device file holds the group's file until it goes. */
	EXPECT_EQ(group_open_errno(), EBUSY, "dup: busy while a device fd is open");
	EXPECT_EQ(container_has_backend(c2), 1, "dup: group stays attached while a device is open");
	tap(!strcmp(enable_state(st, sizeof(st)), "1\n"), "dup: device session open", "enable %s",
	    st);
	close(d2);
	tap(!strcmp(enable_state(st, sizeof(st)), "0\n"), "dup: device session ends at last close",
	    "enable %s", st);
	EXPECT_EQ(container_has_backend(c2), 0, "dup: group detached at the device's last close");
	EXPECT_EQ(group_open_errno(), 0, "dup: group opens again");
	close(c2);
}

/* fork: the child inherits the fds; the parent closes its copies first. */
static void test_fork(void)
{
	struct vfio_env e;
	volatile uint32_t *bar;
	int sv[2];
	char st[8];
	pid_t pid;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		bail("socketpair");
	if (env_open(&e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1v2_IOMMU))
		bail("open edu");
	bar = mmap(NULL, 0x100000, PROT_READ | PROT_WRITE, MAP_SHARED, e.device, 0);
	if (bar == MAP_FAILED)
		bail("mmap BAR0");
	child_checks = tap_n;
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail("fork");
	if (pid == 0) {
		unsigned char *buf;

		close(sv[0]);
		tap_failed = 0;
		if (hear(sv[1]) != 'g')
			_exit(11);
		tap_n = child_checks + 2;
		EXPECT_EQ(bar0_read32(e.device, EDU_ID), 0x010000ed,
			  "fork: child reads BAR0 after the parent closed everything");
		EXPECT_EQ(bar[EDU_ID / 4], 0x010000ed,
			  "fork: child loads through the inherited mmap");
		bar[EDU_LIVENESS / 4] = 0x0f0f0f0f;
		EXPECT_EQ(bar0_read32(e.device, EDU_LIVENESS), 0xf0f0f0f0,
			  "fork: child stores through the inherited mmap");
		buf = mmap(NULL, 2 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1,
			   0);
		EXPECT_OK(edu_round_trip(e.container, e.device, 0x100000, buf, 9),
			  "fork: child DMA round trip");
		munmap((void *)bar, 0x100000);
		close(e.device);
		close(e.group);
		EXPECT_EQ(container_has_backend(e.container), 0,
			  "fork: the child's last close detaches the group");
		close(e.container);
		say(sv[1], 'c');
		_exit(tap_failed ? 1 : 0);
	}
	close(sv[1]);
	munmap((void *)bar, 0x100000);
	env_close(&e);
	EXPECT_EQ(group_open_errno(), EBUSY, "fork: busy while the child holds the group");
	tap(!strcmp(enable_state(st, sizeof(st)), "1\n"),
	    "fork: device session still open (enable 1)", "enable %s", st);
	say(sv[0], 'g');
	if (hear(sv[0]) != 'c')
		bail("child");
	tap_n += 5;
	wait_child(pid, "fork: child's checks");
	EXPECT_EQ(group_open_errno(), 0, "fork: group opens again after the child's close");
	close(sv[0]);
}

/* A child that exits without closing releases its files as close would. */
static void test_exit_releases(void)
{
	struct vfio_env e;
	pid_t pid;

	fflush(stdout);
	pid = fork();
	if (pid == 0) {
		if (env_open(&e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1v2_IOMMU))
			_exit(1);
		_exit(0);
	}
	wait_child(pid, "exit: child opened edu and exited holding it");
	EXPECT_EQ(group_open_errno(), 0, "exit: group free after the holder exited");
}

/*
 * A release runs before close() returns, and a process's before its parent's
 * wait() does: right after a device's last close its group may leave the
 * container (drivers/vfio/group.c, vfio_group_ioctl_unset_container: EBUSY
 * while a device is open, EINVAL once no container is set).
 */
static void test_unset_after_close(void)
{
	struct vfio_env e;
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	int sv[2], d2;
	pid_t pid;

	if (env_open(&e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1v2_IOMMU))
		bail("open edu");
	d2 = dup(e.device);
	close(e.device);
	EXPECT_ERR(ioctl(e.group, VFIO_GROUP_UNSET_CONTAINER), EBUSY,
		   "unset: EBUSY while a dup of the device is open");
	close(d2);
	EXPECT_OK(ioctl(e.group, VFIO_GROUP_UNSET_CONTAINER),
		  "unset: succeeds as soon as the device's last close returned");
	EXPECT_OK(ioctl(e.group, VFIO_GROUP_GET_STATUS, &gs), "unset: GET_STATUS");
	EXPECT_EQ(gs.flags, VFIO_GROUP_FLAGS_VIABLE, "unset: viable, no container set");
	EXPECT_ERR(ioctl(e.group, VFIO_GROUP_UNSET_CONTAINER), EINVAL,
		   "unset: a second UNSET_CONTAINER EINVAL");

	if (ioctl(e.group, VFIO_GROUP_SET_CONTAINER, &e.container) ||
	    ioctl(e.container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) ||
	    (e.device = ioctl(e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF)) < 0)
		bail("attach edu again");
	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		bail("socketpair");
	fflush(stdout);
	pid = fork();
	if (pid < 0)
		bail("fork");
	if (pid == 0) { /* holds the inherited device fd until told to exit */
		close(sv[0]);
		hear(sv[1]);
		_exit(0);
	}
	close(sv[1]);
	close(e.device);
	EXPECT_ERR(ioctl(e.group, VFIO_GROUP_UNSET_CONTAINER), EBUSY,
		   "unset: EBUSY while a child holds the device");
	say(sv[0], 'x');
	wait_child(pid, "unset: the holder exited");
	EXPECT_OK(ioctl(e.group, VFIO_GROUP_UNSET_CONTAINER),
		  "unset: succeeds as soon as the holder's exit is reaped");
	close(sv[0]);
	close(e.group);
	close(e.container);
}

int main(void)
{
	char drv[128];

	tap_prog = "vfio-fdpass";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(driver_of(EDU_BDF, drv, sizeof(drv)), "vfio-pci") && bind_vfio_override(EDU_BDF))
		bail("binding edu to vfio-pci");
	test_scm_rights();
	test_dup();
	test_fork();
	test_exit_releases();
	test_unset_after_close();
	return tap_done();
}

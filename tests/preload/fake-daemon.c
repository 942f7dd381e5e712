/* SPDX-License-Identifier: MIT */
/* The fake uvfiod (fake-daemon.h). It uses only send/recv, never the wrapped calls' fds. */
#include <errno.h>
#include <linux/vfio.h>
#include <poll.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "fake-daemon.h"
#include "preload/shim.h"
#include "test.h"
#include "uvfio/uvfio-proto.h"

enum conn_kind { BOOT, CONTAINER, GROUP, DEVICE };

struct conn {
	int fd;
	enum conn_kind kind;
	int64_t pos;
};

static struct {
	struct conn conns[64];
	int nconns;
	bool group_open;
	uint8_t regs[65536];
	uint8_t body[UVFIO_MSG_MAX];
} fd_state;

static int recv_exact(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = recv(fd, (char *)buf + done, len - done, 0);

		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

static void reply(int fd, uint16_t type, int32_t result, const void *body, size_t len, int pass_fd)
{
	struct uvfio_msg_hdr hdr = { UVFIO_PROTO_MAGIC, UVFIO_PROTO_VERSION, type, (uint32_t)len,
				     result };
	struct iovec iov[2] = { { &hdr, sizeof(hdr) }, { (void *)body, len } };
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;
	struct msghdr mh = { .msg_iov = iov, .msg_iovlen = 2 };

	if (pass_fd >= 0) {
		struct cmsghdr *c;

		mh.msg_control = cbuf.buf;
		mh.msg_controllen = sizeof(cbuf.buf);
		c = CMSG_FIRSTHDR(&mh);
		c->cmsg_level = SOL_SOCKET;
		c->cmsg_type = SCM_RIGHTS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
	}
	if (sendmsg(fd, &mh, MSG_NOSIGNAL) != (ssize_t)(sizeof(hdr) + len))
		_exit(3);
}

static void add_conn(int fd, enum conn_kind kind)
{
	if (fd_state.nconns == 64)
		_exit(4);
	fd_state.conns[fd_state.nconns++] = (struct conn){ fd, kind, 0 };
}

/* A new file: a socketpair, our end served from now on, the other end passed. */
static int new_file(enum conn_kind kind)
{
	int sv[2];

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		_exit(5);
	add_conn(sv[0], kind);
	return sv[1];
}

static void handle_open(struct conn *c, const uint8_t *body, uint32_t len)
{
	struct uvfio_open_req req;
	char path[UVFIO_PATH_MAX + 1];
	enum conn_kind kind;
	int fd;

	if (len < sizeof(req))
		return reply(c->fd, UVFIO_MSG_OPEN, -EPROTO, NULL, 0, -1);
	memcpy(&req, body, sizeof(req));
	if (req.path_len > UVFIO_PATH_MAX || req.path_len != len - sizeof(req))
		return reply(c->fd, UVFIO_MSG_OPEN, -EPROTO, NULL, 0, -1);
	memcpy(path, body + sizeof(req), req.path_len);
	path[req.path_len] = '\0';

	if (!strcmp(path, "/dev/vfio/vfio")) {
		kind = CONTAINER;
	} else if (!strcmp(path, "/dev/vfio/1")) {
		if (fd_state.group_open)
			return reply(c->fd, UVFIO_MSG_OPEN, -EBUSY, NULL, 0, -1);
		fd_state.group_open = true;
		kind = GROUP;
	} else {
		return reply(c->fd, UVFIO_MSG_OPEN, -ENOENT, NULL, 0, -1);
	}
	fd = new_file(kind);
	reply(c->fd, UVFIO_MSG_OPEN, 0, NULL, 0, fd);
	close(fd);
}

/* Appends a write record for [addr, addr + len) to out. */
static size_t add_record(uint8_t *out, uint64_t addr, const void *data, uint32_t len)
{
	struct uvfio_write_rec w = { addr, len, 0 };

	memcpy(out, &w, sizeof(w));
	memcpy(out + sizeof(w), data, len);
	memset(out + sizeof(w) + len, 0, ((len + 7) & ~7u) - len);
	return sizeof(w) + ((len + 7) & ~7u);
}

static void handle_ioctl(struct conn *c, const uint8_t *body, uint32_t len)
{
	struct uvfio_ioctl_req req;
	uint8_t out[4096];
	struct uvfio_ioctl_rep rep = { 0, 0 };
	const uint8_t *payload = body + sizeof(req);
	size_t olen = sizeof(rep);
	int32_t result = 0;
	int pass = -1;

	if (len < sizeof(req))
		return reply(c->fd, UVFIO_MSG_IOCTL, -EPROTO, NULL, 0, -1);
	memcpy(&req, body, sizeof(req));
	if (req.payload_len != len - sizeof(req))
		return reply(c->fd, UVFIO_MSG_IOCTL, -EPROTO, NULL, 0, -1);

	if (_IOC_TYPE(req.cmd) != VFIO_TYPE) {
		result = -ENOTTY;
	} else if (c->kind == CONTAINER) {
		if (req.cmd == VFIO_GET_API_VERSION)
			result = req.payload_len ? -EPROTO : VFIO_API_VERSION;
		else if (req.cmd == VFIO_CHECK_EXTENSION)
			result = req.arg == VFIO_TYPE1v2_IOMMU;
		else if (req.cmd == VFIO_SET_IOMMU)
			result = 0;
		else
			result = -EINVAL;
	} else if (c->kind == GROUP && req.cmd == VFIO_GROUP_GET_STATUS) {
		uint32_t flags = VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET;

		if (req.payload_len < sizeof(struct vfio_group_status))
			result = -EFAULT;
		else
			olen += add_record(out + olen, req.arg + 4, &flags, 4), rep.nwrites = 1;
	} else if (c->kind == GROUP && req.cmd == VFIO_GROUP_SET_CONTAINER) {
		int v;

		if (req.payload_len != sizeof(int))
			result = -EFAULT;
		else
			memcpy(&v, payload, sizeof(v)), result = v >= 0 ? 0 : -EBADF;
	} else if (c->kind == GROUP && req.cmd == VFIO_GROUP_GET_DEVICE_FD) {
		if (!req.payload_len)
			result = -EFAULT;
		else if (payload[req.payload_len - 1])
			result = -EINVAL; /* strndup_user(PAGE_SIZE): too long */
		else if (strcmp((const char *)payload, FAKE_DEVICE_NAME))
			result = -ENODEV;
		else
			pass = new_file(DEVICE), rep.nfds = 1;
	} else if (c->kind == DEVICE && req.cmd == VFIO_DEVICE_GET_INFO) {
		struct vfio_device_info info = { .flags = VFIO_DEVICE_FLAGS_PCI,
						 .num_regions = 9,
						 .num_irqs = 5 };

		if (req.payload_len < 16)
			result = -EFAULT;
		else
			olen += add_record(out + olen, req.arg + 4, &info.flags, 12),
				rep.nwrites = 1;
	} else if (c->kind == DEVICE && req.cmd == VFIO_DEVICE_GET_REGION_INFO) {
		uint32_t junk = 0xdeadbeef;

		/* A broken daemon: the record ends past the window. */
		olen += add_record(out + olen, req.arg + req.payload_len - 2, &junk, 4);
		rep.nwrites = 1;
	} else {
		result = -ENOTTY;
	}
	memcpy(out, &rep, sizeof(rep));
	reply(c->fd, UVFIO_MSG_IOCTL, result, out, olen, pass);
	if (pass >= 0)
		close(pass);
}

static void handle_rw(struct conn *c, uint16_t type, const uint8_t *body, uint32_t len)
{
	struct uvfio_rw_req req;
	int64_t off;

	if (len < sizeof(req) || c->kind != DEVICE)
		return reply(c->fd, type, c->kind != DEVICE ? -EINVAL : -EPROTO, NULL, 0, -1);
	memcpy(&req, body, sizeof(req));
	off = req.offset < 0 ? c->pos : req.offset;
	off &= 0xffff;
	if (req.len > sizeof(fd_state.regs) - (size_t)off)
		req.len = (uint32_t)(sizeof(fd_state.regs) - (size_t)off);
	if (type == UVFIO_MSG_WRITE) {
		if (len - sizeof(req) < req.len)
			return reply(c->fd, type, -EPROTO, NULL, 0, -1);
		memcpy(fd_state.regs + off, body + sizeof(req), req.len);
		reply(c->fd, type, (int32_t)req.len, NULL, 0, -1);
	} else {
		reply(c->fd, type, (int32_t)req.len, fd_state.regs + off, req.len, -1);
	}
	if (req.offset < 0)
		c->pos += req.len;
}

static void handle_lseek(struct conn *c, const uint8_t *body, uint32_t len)
{
	struct uvfio_lseek_req req;
	struct uvfio_lseek_rep rep;

	memcpy(&req, body, sizeof(req));
	if (req.whence == SEEK_SET)
		c->pos = req.offset;
	else if (req.whence == SEEK_CUR)
		c->pos += req.offset;
	else
		return reply(c->fd, UVFIO_MSG_LSEEK, -EINVAL, NULL, 0, -1);
	rep.pos = c->pos;
	reply(c->fd, UVFIO_MSG_LSEEK, 0, &rep, sizeof(rep), -1);
}

static void handle_fstat(struct conn *c)
{
	struct uvfio_fstat_rep rep = { S_IFCHR | 0666, 10, 196, 0 };

	if (c->kind == GROUP)
		rep = (struct uvfio_fstat_rep){ S_IFCHR | 0600, 243, 1, 0 };
	reply(c->fd, UVFIO_MSG_FSTAT, 0, &rep, sizeof(rep), -1);
}

static void handle_mmap(struct conn *c, const uint8_t *body, uint32_t len)
{
	struct uvfio_mmap_req req;
	struct uvfio_mmap_rep rep = { 0 };
	uint8_t out[sizeof(rep) + 64] = { 0 };
	size_t page = (size_t)getpagesize();
	int memfd;

	memcpy(&req, body, sizeof(req));
	if (c->kind != DEVICE || !(req.flags & MAP_SHARED) || req.len > 64 * 8 * page)
		return reply(c->fd, UVFIO_MSG_MMAP, -EINVAL, NULL, 0, -1);
	memfd = memfd_create("bar", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (off_t)req.len))
		_exit(6);
	if (req.len > page)
		(void)!pwrite(memfd, "MEMFD", 5, (off_t)page);
	rep.len = req.len;
	rep.npages = (uint32_t)(req.len / page);
	memcpy(out, &rep, sizeof(rep));
	out[sizeof(rep)] = 1; /* page 0 trapped */
	reply(c->fd, UVFIO_MSG_MMAP, 0, out, sizeof(rep) + (rep.npages + 7) / 8, memfd);
	close(memfd);
}

static void drop_conn(int i)
{
	if (fd_state.conns[i].kind == GROUP)
		fd_state.group_open = false;
	close(fd_state.conns[i].fd);
	fd_state.conns[i] = fd_state.conns[--fd_state.nconns];
}

static void serve(struct conn *c, int i)
{
	struct uvfio_msg_hdr hdr;

	if (recv_exact(c->fd, &hdr, sizeof(hdr)) || hdr.magic != UVFIO_PROTO_MAGIC ||
	    hdr.len > UVFIO_MSG_MAX || recv_exact(c->fd, fd_state.body, hdr.len))
		return drop_conn(i);
	if (c->kind == BOOT) {
		if (hdr.type == UVFIO_MSG_OPEN)
			handle_open(c, fd_state.body, hdr.len);
		return drop_conn(i);
	}
	switch (hdr.type) {
	case UVFIO_MSG_IOCTL:
		return handle_ioctl(c, fd_state.body, hdr.len);
	case UVFIO_MSG_READ:
	case UVFIO_MSG_WRITE:
		return handle_rw(c, hdr.type, fd_state.body, hdr.len);
	case UVFIO_MSG_LSEEK:
		return handle_lseek(c, fd_state.body, hdr.len);
	case UVFIO_MSG_FSTAT:
		return handle_fstat(c);
	case UVFIO_MSG_MMAP:
		return handle_mmap(c, fd_state.body, hdr.len);
	}
	reply(c->fd, hdr.type, -EPROTO, NULL, 0, -1);
}

static _Noreturn void daemon_main(int lfd)
{
	for (;;) {
		struct pollfd p[65];
		int n = fd_state.nconns;

		p[0] = (struct pollfd){ .fd = lfd, .events = POLLIN };
		for (int i = 0; i < n; i++)
			p[i + 1] = (struct pollfd){ .fd = fd_state.conns[i].fd, .events = POLLIN };
		if (poll(p, (nfds_t)n + 1, -1) < 0)
			continue;
		/* Highest first: drop_conn() moves the last connection into the hole. */
		for (int i = n - 1; i >= 0; i--)
			if (p[i + 1].revents)
				serve(&fd_state.conns[i], i);
		if (p[0].revents & POLLIN) {
			int c = accept4(lfd, NULL, NULL, SOCK_CLOEXEC);

			if (c >= 0)
				add_conn(c, BOOT);
		}
	}
}

void fake_daemon_start(struct fake_daemon *d)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	char pid[16];
	int lfd;

	snprintf(d->path, sizeof(d->path), "%s/uvfiod.sock", test_tmpdir());
	strcpy(sa.sun_path, d->path);
	ASSERT_OK(lfd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0));
	ASSERT_OK(bind(lfd, (struct sockaddr *)&sa, sizeof(sa)));
	ASSERT_OK(listen(lfd, 16));
	ASSERT_OK(d->pid = fork());
	if (!d->pid)
		daemon_main(lfd);
	close(lfd);

	snprintf(pid, sizeof(pid), "%d", (int)d->pid);
	setenv("UVFIO_SOCKET", d->path, 1);
	setenv("UVFIO_DAEMON_PID", pid, 1);
	shim_env_reload();
}

void fake_daemon_stop(struct fake_daemon *d)
{
	int status;

	kill(d->pid, SIGKILL);
	waitpid(d->pid, &status, 0);
	unsetenv("UVFIO_SOCKET");
	unsetenv("UVFIO_DAEMON_PID");
	shim_env_reload();
}

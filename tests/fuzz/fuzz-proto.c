// SPDX-License-Identifier: MIT
/*
 * Fuzz target: uvfiod's wire protocol (include/uvfio/uvfio-proto.h).
 *
 * A real daemon runs inside the fuzzer: the world (the default machine, edu
 * 0000:00:03.0 bound to vfio-pci), the bootstrap socket and one session thread
 * per open file, started with the daemon's own server_start() in a private
 * temporary directory; no FUSE, no control socket. The fuzzer is its client:
 * its pid is what SCM_CREDENTIALS names, so the daemon reaches the fuzzer's
 * memory and descriptors (fuzz.h: why addresses are confined to the arena).
 *
 * Each input: the first byte picks the setup (OPEN of the container and group
 * 1, SET_CONTAINER, SET_IOMMU, GET_DEVICE_FD, an extra file), then up to
 * MAX_OPS messages, each one byte (low 2 bits: the connection, the rest: the
 * kind) followed by what that kind reads: IOCTL requests built like
 * fuzz-ioctl's; READ/WRITE/LSEEK/FSTAT/MMAP with hostile offsets and lengths;
 * raw frames whose header fields come from the input (bad magic, version,
 * type, a length the body does not match); raw OPENs on new bootstrap
 * connections; closes. Replies are awaited with a timeout, and only where the
 * daemon owes one (a frame whose body it still waits for gets none).
 *
 * The contract checked: every reply is well formed (magic, version, the
 * request's type, a length within UVFIO_MSG_MAX; -EPROTO for a bad header);
 * after the input's connections close, every session ends (no thread stays
 * stuck: a hang aborts after IDLE_TIMEOUT_MS) and a new client is served
 * (OPEN /dev/vfio/vfio + VFIO_GET_API_VERSION answers 0, /dev/vfio/1 opens:
 * a leaked file would keep it EBUSY). ASan/UBSan/LSan see the rest.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <signal.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "daemon/uvfiod.h"
#include "fuzz.h"
#include "uvfio/uvfio.h"

#define EDU "0000:00:03.0"
#define MAX_OPS 64
#define REPLY_TIMEOUT_MS 15000
#define IDLE_TIMEOUT_MS 30000
#define MAX_BODY 16384 /* body bytes an op takes from the input */

const char fuzz_target_name[] = "proto";

enum setup_bits {
	SETUP_CONTAINER = 1 << 0,
	SETUP_GROUP = 1 << 1,
	SETUP_SET_CONTAINER = 1 << 2,
	SETUP_SET_IOMMU = 1 << 3,
	SETUP_TYPE1 = 1 << 4,
	SETUP_DEVICE = 1 << 5,
	SETUP_EXTRA_CONTAINER = 1 << 6,
	SETUP_EXTRA_GROUP2 = 1 << 7,
};

enum op_kind {
	K_IOCTL0,
	K_IOCTL1,
	K_IOCTL2,
	K_READ,
	K_WRITE,
	K_LSEEK,
	K_FSTAT,
	K_MMAP,
	K_RAW,
	K_OPEN,
	K_CLOSE,
	K_NKINDS,
};

static struct uvfiod uvd;
static struct uvfio_machine *machine;
static char tmpdir[PATH_MAX - 128];
static bool verbose; /* $UVFIO_FUZZ_VERBOSE: each request and its reply on stderr */

/* The input's open files: the client ends of their connections. */
struct conn {
	int fd;
	int kind; /* FZ_CONTAINER, FZ_GROUP, FZ_DEVICE; -1: not open */
	bool desync; /* the daemon reads our next bytes as an earlier frame's body */
};

static struct conn conns[FZ_NFILES];
static struct fz_env env;

/* Replies are read here: a READ reply may carry UVFIO_MSG_MAX bytes. */
static uint8_t reply[UVFIO_MSG_MAX];
static uint8_t frame[sizeof(struct uvfio_msg_hdr) + sizeof(struct uvfio_rw_req) + MAX_BODY];

/* A broken contract: abort, which the fuzzer reports with the stack. */
static void die(const char *what, long v)
{
	fprintf(stderr, "fuzz-proto: %s (%ld)\n", what, v);
	abort();
}

static long now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/* Every session and bootstrap thread has ended: all files released. */
static void wait_idle(void)
{
	long start = now_ms();

	for (;;) {
		unsigned int n;

		mutex_lock(&uvd.lock);
		n = uvd.nthreads;
		mutex_unlock(&uvd.lock);
		if (!n)
			return;
		if (now_ms() - start > IDLE_TIMEOUT_MS)
			die("daemon hung: session threads still running after their connections "
			    "closed",
			    (long)n);
		usleep(100);
	}
}

static int connect_bootstrap(void)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct timeval tv = { .tv_sec = REPLY_TIMEOUT_MS / 1000 };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		die("socket: errno", errno);
	if (strlen(uvd.sock_path) >= sizeof(addr.sun_path))
		die("socket path too long", (long)strlen(uvd.sock_path));
	memcpy(addr.sun_path, uvd.sock_path, strlen(uvd.sock_path) + 1);
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		die("connect to the daemon: errno", errno);
	setsockopt(fd, SOL_SOCKET, SO_SNDTIMEO, &tv, sizeof(tv));
	return fd;
}

static int send_all(int fd, const void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = send(fd, (const char *)buf + done, len - done, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* Reads len bytes within the timeout; passed descriptors go to *pfd (the first) or are closed. */
static int recv_full(int fd, void *buf, size_t len, int *pfd, int timeout_ms)
{
	size_t done = 0;

	while (done < len) {
		char cbuf[CMSG_SPACE(sizeof(int) * 8)];
		struct iovec iov = { (char *)buf + done, len - done };
		struct msghdr msg = { .msg_iov = &iov,
				      .msg_iovlen = 1,
				      .msg_control = cbuf,
				      .msg_controllen = sizeof(cbuf) };
		struct pollfd pfd_ = { .fd = fd, .events = POLLIN };
		struct cmsghdr *cmsg;
		ssize_t n;

		if (poll(&pfd_, 1, timeout_ms) <= 0)
			return -ETIMEDOUT;
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | MSG_DONTWAIT);
		if (n < 0 && (errno == EINTR || errno == EAGAIN))
			continue;
		if (n <= 0)
			return -EPIPE;
		for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
			int *fds = (int *)CMSG_DATA(cmsg);
			size_t nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			if (cmsg->cmsg_level != SOL_SOCKET || cmsg->cmsg_type != SCM_RIGHTS)
				continue;
			for (size_t i = 0; i < nfds; i++) {
				if (pfd && *pfd < 0)
					*pfd = fds[i];
				else
					close(fds[i]);
			}
		}
		if (msg.msg_flags & MSG_CTRUNC)
			die("reply passed more descriptors than", 8);
		done += (size_t)n;
	}
	return 0;
}

/*
 * One reply: a well-formed header (anything else is a daemon bug), then its
 * body into reply[]. 0, or -ETIMEDOUT/-EPIPE when none came.
 */
static int recv_reply(int fd, struct uvfio_msg_hdr *hdr, int *pfd)
{
	int ret = recv_full(fd, hdr, sizeof(*hdr), pfd, REPLY_TIMEOUT_MS);

	if (ret)
		return ret;
	if (hdr->magic != UVFIO_PROTO_MAGIC || hdr->version != UVFIO_PROTO_VERSION)
		die("reply with a bad magic or version, type", hdr->type);
	if (hdr->len > UVFIO_MSG_MAX)
		die("reply longer than UVFIO_MSG_MAX", (long)hdr->len);
	return recv_full(fd, reply, hdr->len, pfd, REPLY_TIMEOUT_MS);
}

static void conn_close(struct conn *c)
{
	if (c->fd >= 0)
		close(c->fd);
	c->fd = -1;
	c->kind = -1;
	c->desync = false;
}

static int send_frame(struct conn *c, uint16_t type, const uint8_t *body, size_t len, int *pfd);

/* What the file on c is, as FSTAT tells: argument layouts depend on it (fuzz.h). */
static int conn_kind(struct conn *c)
{
	struct uvfio_fstat_rep st;

	if (send_frame(c, UVFIO_MSG_FSTAT, NULL, 0, NULL) != 0 || c->fd < 0)
		return -1;
	memcpy(&st, reply, sizeof(st));
	if (st.rdev_major == 10 && st.rdev_minor == 196)
		return FZ_CONTAINER;
	return (st.mode & S_IFMT) == S_IFCHR ? FZ_GROUP : FZ_DEVICE;
}

static void conn_set(struct conn *c, int fd)
{
	conn_close(c);
	c->fd = fd;
	if (fd >= 0)
		c->kind = conn_kind(c);
}

/* Replies to a desynchronized stream: whatever is there, read without waiting. */
static void drain(struct conn *c)
{
	for (;;) {
		ssize_t n = recv(c->fd, reply, sizeof(reply), MSG_DONTWAIT);

		if (n == 0) {
			conn_close(c); /* the daemon ended the session */
			return;
		}
		if (n < 0)
			return;
	}
}

/*
 * OPEN on a new bootstrap connection, with the given header length and
 * path_len (which may lie). Returns the new file's connection or -1 (*result:
 * the daemon's answer, or 1 when it owed none or gave none).
 */
static int open_raw(const char *path, size_t plen, uint32_t flags, uint32_t hdr_len,
		    uint32_t path_len, int *result)
{
	struct uvfio_msg_hdr hdr = {
		.magic = UVFIO_PROTO_MAGIC,
		.version = UVFIO_PROTO_VERSION,
		.type = UVFIO_MSG_OPEN,
		.len = hdr_len,
	};
	struct uvfio_open_req req = { .flags = flags, .path_len = path_len };
	uint8_t buf[sizeof(hdr) + sizeof(req) + 512];
	int fd = connect_bootstrap(), pfd = -1;
	size_t len = sizeof(hdr) + sizeof(req) + plen;

	*result = 1;
	memcpy(buf, &hdr, sizeof(hdr));
	memcpy(buf + sizeof(hdr), &req, sizeof(req));
	memcpy(buf + sizeof(hdr) + sizeof(req), path, plen);
	/* A header announcing more than we send: the daemon waits; do not wait for it. */
	if (send_all(fd, buf, len) || hdr_len > sizeof(req) + plen) {
		close(fd);
		return -1;
	}
	if (recv_reply(fd, &hdr, &pfd) == 0) {
		if (hdr.type != UVFIO_MSG_OPEN)
			die("OPEN answered with type", hdr.type);
		*result = hdr.result;
		if (hdr.result == 0 && pfd < 0)
			die("OPEN succeeded without passing a descriptor", 0);
		if (hdr.result != 0 && pfd >= 0)
			die("OPEN failed but passed a descriptor", hdr.result);
	}
	close(fd);
	return pfd;
}

static int open_node(const char *path, int *result)
{
	size_t plen = strlen(path);

	return open_raw(path, plen, O_RDWR, (uint32_t)(sizeof(struct uvfio_open_req) + plen),
			(uint32_t)plen, result);
}

/*
 * Sends one frame (header + body) on c and reads the reply the daemon owes,
 * checking it. Returns the reply's result, or 1 when there was none; a passed
 * descriptor goes to *pfd.
 */
static int exchange(struct conn *c, const struct uvfio_msg_hdr *hdr, const uint8_t *body,
		    size_t len, int *pfd)
{
	struct uvfio_msg_hdr rep;
	bool bad_hdr = hdr->magic != UVFIO_PROTO_MAGIC || hdr->version != UVFIO_PROTO_VERSION ||
		       hdr->len > UVFIO_MSG_MAX;
	int ret;

	if (c->fd < 0)
		return 1;
	if (send_all(c->fd, hdr, sizeof(*hdr)) || (len && send_all(c->fd, body, len))) {
		/* The daemon ended the session (after a bad header, say). */
		if (!bad_hdr)
			conn_close(c);
	}
	if (c->desync) {
		drain(c);
		return 1;
	}
	if (!bad_hdr && hdr->len != len) {
		/* It now reads the wrong bytes as bodies and headers: no reply is owed. */
		c->desync = true;
		drain(c);
		return 1;
	}
	if (!bad_hdr && hdr->type == UVFIO_MSG_INTERRUPT)
		return 1; /* answered by nothing: it only ends a call's sleep */
	ret = recv_reply(c->fd, &rep, pfd);
	if (ret) {
		if (ret == -ETIMEDOUT)
			fprintf(stderr, "fuzz-proto: no reply to type %u in %d ms\n", hdr->type,
				REPLY_TIMEOUT_MS);
		conn_close(c);
		return 1;
	}
	if (rep.type != hdr->type)
		die("reply's type differs from the request's", rep.type);
	if (verbose)
		fprintf(stderr, "fd %d type %u len %u: result %d, %u bytes%s\n", c->fd, hdr->type,
			hdr->len, rep.result, rep.len, pfd && *pfd >= 0 ? ", an fd" : "");
	if (bad_hdr) {
		if (rep.result != -EPROTO)
			die("a bad header was answered, not -EPROTO", rep.result);
		conn_close(c);
	}
	return rep.result;
}

static int send_frame(struct conn *c, uint16_t type, const uint8_t *body, size_t len, int *pfd)
{
	struct uvfio_msg_hdr hdr = {
		.magic = UVFIO_PROTO_MAGIC,
		.version = UVFIO_PROTO_VERSION,
		.type = type,
		.len = (uint32_t)len,
	};

	return exchange(c, &hdr, body, len, pfd);
}

/* An IOCTL request whose argument is at arg in the arena, len bytes of it inline. */
static int send_ioctl(struct conn *c, uint32_t cmd, uint64_t arg, size_t len, int *pfd)
{
	struct uvfio_ioctl_req req = { .cmd = cmd, .payload_len = (uint32_t)len, .arg = arg };

	memcpy(frame, &req, sizeof(req));
	if (len)
		memcpy(frame + sizeof(req), (const void *)(uintptr_t)arg, len);
	return send_frame(c, UVFIO_MSG_IOCTL, frame, sizeof(req) + len, pfd);
}

/* A new device file from GET_DEVICE_FD: kept where later operations find it. */
static void keep_device(int fd)
{
	if (fd < 0)
		return;
	if (conns[FZ_DEVICE].fd < 0)
		conn_set(&conns[FZ_DEVICE], fd);
	else if (conns[FZ_EXTRA].fd < 0)
		conn_set(&conns[FZ_EXTRA], fd);
	else
		close(fd);
}

static void sync_env(void)
{
	for (int i = 0; i < FZ_NFILES; i++) {
		env.files[i] = conns[i].fd;
		env.kinds[i] = conns[i].kind;
	}
}

static void check_healthy(void)
{
	int result, pfd = -1;
	struct conn c = { .fd = open_node("/dev/vfio/vfio", &result) };
	struct conn g;

	if (c.fd < 0)
		die("health: OPEN /dev/vfio/vfio failed", result);
	result = send_ioctl(&c, VFIO_GET_API_VERSION, 0, 0, &pfd);
	if (result != VFIO_API_VERSION || pfd >= 0)
		die("health: VFIO_GET_API_VERSION answered", result);
	g.fd = open_node("/dev/vfio/1", &result);
	g.desync = false;
	if (g.fd < 0)
		die("health: OPEN /dev/vfio/1 failed (a leaked group file?)", result);
	conn_close(&g);
	conn_close(&c);
	wait_idle();
}

static void setup(uint8_t bits)
{
	int result, pfd;

	if (bits & SETUP_CONTAINER)
		conn_set(&conns[FZ_CONTAINER], open_node("/dev/vfio/vfio", &result));
	if (bits & SETUP_GROUP)
		conn_set(&conns[FZ_GROUP], open_node("/dev/vfio/1", &result));
	if (bits & SETUP_SET_CONTAINER) {
		memcpy(fz_arena, &conns[FZ_CONTAINER].fd, sizeof(int));
		send_ioctl(&conns[FZ_GROUP], VFIO_GROUP_SET_CONTAINER, (uintptr_t)fz_arena,
			   sizeof(int), NULL);
	}
	if (bits & SETUP_SET_IOMMU)
		send_ioctl(&conns[FZ_CONTAINER], VFIO_SET_IOMMU,
			   bits & SETUP_TYPE1 ? VFIO_TYPE1_IOMMU : VFIO_TYPE1v2_IOMMU, 0, NULL);
	if (bits & SETUP_DEVICE) {
		pfd = -1;
		memcpy(fz_arena, EDU, sizeof(EDU));
		send_ioctl(&conns[FZ_GROUP], VFIO_GROUP_GET_DEVICE_FD, (uintptr_t)fz_arena,
			   sizeof(EDU), &pfd);
		keep_device(pfd);
	}
	if (bits & SETUP_EXTRA_CONTAINER)
		conn_set(&conns[FZ_EXTRA], open_node("/dev/vfio/vfio", &result));
	else if (bits & SETUP_EXTRA_GROUP2)
		conn_set(&conns[FZ_EXTRA], open_node("/dev/vfio/2", &result));
	fz_arena_reset(0);
}

static void op_ioctl(struct fz *in)
{
	struct fz_ioctl io;
	int pfd = -1;

	fz_arena_reset(0);
	sync_env();
	fz_build_ioctl(in, &env, &io);
	send_ioctl(&conns[io.target], io.cmd, io.arg, io.len, &pfd);
	keep_device(pfd);
}

/* A file offset: region index << 40 | offset, or (flag) any 64-bit value. */
static int64_t rw_offset(struct fz *in, uint8_t sel)
{
	if (sel & 0x80)
		return (int64_t)fz_u64(in);
	return (int64_t)((uint64_t)(sel % 10) << 40 | fz_u32(in));
}

static void op_rw(struct conn *c, struct fz *in, bool write)
{
	uint8_t sel = fz_u8(in);
	struct uvfio_rw_req req = { .offset = rw_offset(in, sel) };
	size_t n = 0;

	if (sel & 0x40)
		req.len = fz_u32(in); /* hostile: the daemon bounds it */
	else
		req.len = fz_u16(in) % 8192;
	memset(frame, 0, sizeof(req) + MAX_BODY);
	if (write) {
		/* The data: as much as req.len says, or (flag) as much as the input has. */
		n = sel & 0x20 ? fz_u16(in) % MAX_BODY : req.len < MAX_BODY ? req.len : MAX_BODY;
		fz_take(in, frame + sizeof(req), n);
	} else if (sel & 0x20) {
		n = fz_u8(in); /* READ with trailing junk */
	}
	memcpy(frame, &req, sizeof(req));
	send_frame(c, write ? UVFIO_MSG_WRITE : UVFIO_MSG_READ, frame, sizeof(req) + n, NULL);
}

static void op_lseek(struct conn *c, struct fz *in)
{
	uint8_t sel = fz_u8(in);
	struct uvfio_lseek_req req = { .offset = (int64_t)fz_u64(in) };

	req.whence = sel & 0x80 ? (int32_t)fz_u32(in) : sel % 5;
	memcpy(frame, &req, sizeof(req));
	send_frame(c, UVFIO_MSG_LSEEK, frame, sel & 0x40 ? sel % sizeof(req) : sizeof(req), NULL);
}

static void op_mmap(struct conn *c, struct fz *in)
{
	uint8_t sel = fz_u8(in);
	struct uvfio_mmap_req req = { .offset = (uint64_t)rw_offset(in, sel) & ~0xfffull };
	int pfd = -1;

	req.len = sel & 0x40 ? fz_u64(in) : (uint64_t)fz_u8(in) * 4096;
	req.prot = sel & 0x20 ? fz_u32(in) : 3; /* PROT_READ | PROT_WRITE */
	req.flags = sel & 0x20 ? fz_u32(in) : 1; /* MAP_SHARED */
	memcpy(frame, &req, sizeof(req));
	send_frame(c, UVFIO_MSG_MMAP, frame, sizeof(req), &pfd);
	if (pfd >= 0)
		close(pfd);
}

/*
 * A frame whose header comes from the input. An IOCTL body's argument is
 * confined like any other (placed in the arena, addresses and fds fixed).
 */
static void op_raw(struct conn *c, struct fz *in)
{
	uint8_t sel = fz_u8(in);
	struct uvfio_msg_hdr hdr = {
		.magic = sel & 1 ? fz_u32(in) : UVFIO_PROTO_MAGIC,
		.version = sel & 2 ? fz_u16(in) : UVFIO_PROTO_VERSION,
		.type = fz_u16(in),
	};
	size_t n = fz_u16(in) % MAX_BODY;
	int pfd = -1;

	hdr.len = sel & 4 ? fz_u32(in) : (uint32_t)n;
	hdr.result = sel & 8 ? (int32_t)fz_u32(in) : 0;
	memset(frame, 0, n);
	fz_take(in, frame, n);
	if (hdr.type == UVFIO_MSG_IOCTL && n >= sizeof(struct uvfio_ioctl_req)) {
		struct uvfio_ioctl_req req;
		size_t plen = n - sizeof(req);
		uint64_t arg;

		memcpy(&req, frame, sizeof(req));
		arg = fz_confine_arg(req.arg);
		if (arg + plen > (uintptr_t)fz_arena + FZ_ARENA_SIZE)
			arg = (uintptr_t)fz_arena + FZ_ARENA_SIZE - plen;
		fz_arena_reset(0);
		memcpy((void *)(uintptr_t)arg, frame + sizeof(req), plen);
		sync_env();
		fz_fixup_arg(req.cmd, env.kinds[c - conns], (uint8_t *)(uintptr_t)arg, &env);
		memcpy(frame + sizeof(req), (void *)(uintptr_t)arg, plen);
		req.arg = arg;
		memcpy(frame, &req, sizeof(req));
	}
	exchange(c, &hdr, frame, n, &pfd);
	if (pfd >= 0)
		close(pfd);
}

static const char *const paths[] = {
	"/dev/vfio/vfio", "/dev/vfio/1",
	"/dev/vfio/0",	  "/dev/vfio/2",
	"/dev/vfio/3",	  "/dev/vfio/99",
	"/dev/vfio/",	  "/dev/vfio/devices/vfio0",
	"/dev/vfio/1/",	  "/dev/vfio/../vfio/1",
	"vfio",		  "/sys/bus/pci/devices/" EDU "/config",
};

static void op_open(struct conn *c, struct fz *in)
{
	uint8_t sel = fz_u8(in);
	char path[512];
	size_t plen;
	uint32_t flags = sel & 0x40 ? fz_u32(in) : O_RDWR, hdr_len, path_len;
	int result, fd;

	if (sel & 0x80) {
		plen = fz_u16(in) % sizeof(path);
		memset(path, 0, plen);
		fz_take(in, path, plen);
	} else {
		plen = strlen(paths[sel % (sizeof(paths) / sizeof(paths[0]))]);
		memcpy(path, paths[sel % (sizeof(paths) / sizeof(paths[0]))], plen);
	}
	hdr_len = (uint32_t)(sizeof(struct uvfio_open_req) + plen);
	path_len = (uint32_t)plen;
	if (sel & 0x20)
		hdr_len = fz_u32(in);
	if (sel & 0x10)
		path_len = fz_u32(in);
	fd = open_raw(path, plen, flags, hdr_len, path_len, &result);
	if (fd >= 0)
		conn_set(c, fd);
}

static void run(struct fz *in)
{
	for (int n = 0; n < MAX_OPS && in->n; n++) {
		uint8_t op = fz_u8(in);
		struct conn *c = &conns[op & 3];

		switch ((enum op_kind)((op >> 2) % K_NKINDS)) {
		case K_IOCTL0:
		case K_IOCTL1:
		case K_IOCTL2:
			op_ioctl(in);
			break;
		case K_READ:
			op_rw(c, in, false);
			break;
		case K_WRITE:
			op_rw(c, in, true);
			break;
		case K_LSEEK:
			op_lseek(c, in);
			break;
		case K_FSTAT:
			send_frame(c, UVFIO_MSG_FSTAT, NULL, 0, NULL);
			break;
		case K_MMAP:
			op_mmap(c, in);
			break;
		case K_RAW:
			op_raw(c, in);
			break;
		case K_OPEN:
			op_open(c, in);
			break;
		case K_CLOSE:
		case K_NKINDS:
			conn_close(c);
			break;
		}
	}
}

static void remove_tmpdir(void)
{
	if (uvd.sock_path[0])
		unlink(uvd.sock_path);
	rmdir(tmpdir);
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	const char *tmp = getenv("TMPDIR");
	char err[512];
	ssize_t r;
	int ret;

	(void)argc;
	(void)argv;
	signal(SIGPIPE, SIG_IGN);
	if (pinned_pages_init())
		die("pinned_pages_init: errno", errno);
	verbose = getenv("UVFIO_FUZZ_VERBOSE");
	fz_arena_init();
	snprintf(tmpdir, sizeof(tmpdir), "%s/uvfio-fuzz-XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(tmpdir))
		die("mkdtemp: errno", errno);
	/* libFuzzer ends with exit(), never fuzz_teardown: leave no socket behind. */
	atexit(remove_tmpdir);

	/* What uvfiod_main sets up, minus FUSE, the control socket and sigwait. */
	uvd.listen_fd = -1;
	uvd.ctl_fd = -1;
	snprintf(uvd.dir, sizeof(uvd.dir), "%s", tmpdir);
	snprintf(uvd.sock_path, sizeof(uvd.sock_path), "%s/uvfiod.sock", tmpdir);
	uvd.uid = getuid();
	uvd.pid = getpid();
	mutex_init(&uvd.lock, "uvfiod->lock");
	pthread_cond_init(&uvd.idle, NULL);
	INIT_LIST_HEAD(&uvd.sessions);
	uvd.hangup_ep = epoll_create1(EPOLL_CLOEXEC);
	INIT_LIST_HEAD(&uvd.mms);
	mutex_init(&uvd.trace_lock, "uvfiod->trace_lock");
	machine = uvfio_machine_default();
	if (uvfio_world_create(machine, &uvd.world, err, sizeof(err))) {
		fprintf(stderr, "fuzz-proto: %s\n", err);
		abort();
	}
	r = uvfio_sysfs_write(uvd.world, "/sys/bus/pci/devices/" EDU "/driver_override", "vfio-pci",
			      8);
	if (r < 0)
		die("driver_override", r);
	r = uvfio_sysfs_write(uvd.world, "/sys/bus/pci/drivers_probe", EDU, strlen(EDU));
	if (r < 0)
		die("drivers_probe", r);
	ret = server_start(&uvd);
	if (ret)
		die("server_start", ret);
	for (int i = 0; i < FZ_NFILES; i++)
		conns[i] = (struct conn){ .fd = -1, .kind = -1 };
	check_healthy();
	return 0;
}

void fuzz_teardown(void)
{
	if (!uvd.world)
		return;
	server_stop(&uvd);
	sessions_shutdown(&uvd);
	uvfio_world_destroy(uvd.world);
	remote_mms_destroy(&uvd);
	uvfio_machine_free(machine);
	pthread_cond_destroy(&uvd.idle);
	mutex_destroy(&uvd.trace_lock);
	mutex_destroy(&uvd.lock);
	uvd.world = NULL;
	rmdir(tmpdir);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct fz in = { data, size };

	fz_arena_reset(1);
	env.eventfds[0] = eventfd(0, EFD_CLOEXEC);
	env.eventfds[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (env.eventfds[0] < 0 || env.eventfds[1] < 0)
		die("eventfd: errno", errno);
	setup(fz_u8(&in));
	run(&in);
	for (int i = 0; i < FZ_NFILES; i++)
		conn_close(&conns[i]);
	close(env.eventfds[0]);
	close(env.eventfds[1]);
	wait_idle();
	check_healthy();
	return 0;
}

/* Seeds: the demo's path over the wire, then hostile frames of each kind. */
static void seed_op(struct fz_seed *s, enum op_kind k, int conn)
{
	seed_u8(s, (uint8_t)(k << 2 | conn));
}

int fuzz_write_seeds(const char *dir)
{
	const uint8_t all = SETUP_CONTAINER | SETUP_GROUP | SETUP_SET_CONTAINER | SETUP_SET_IOMMU |
			    SETUP_DEVICE;
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.iova = 0x100000,
		.size = 0x4000,
	};
	struct fz_seed s;
	int ret = 0;

	/* Setup, DEVICE_GET_INFO, MAP_DMA, config read, BAR0 write, mmap, lseek, fstat. */
	s.len = 0;
	seed_u8(&s, all);
	seed_op(&s, K_IOCTL0, 0);
	seed_u8(&s, fz_cmd_index(VFIO_DEVICE_GET_INFO, FZ_DEVICE));
	seed_u8(&s, 0);
	seed_u8(&s, 0);
	seed_u8(&s, 0);
	seed_bytes(&s, &info, sizeof(info));
	seed_op(&s, K_IOCTL0, 0);
	seed_u8(&s, fz_cmd_index(VFIO_IOMMU_MAP_DMA, FZ_CONTAINER));
	seed_u8(&s, 0);
	seed_u8(&s, 0);
	seed_u8(&s, 0);
	seed_bytes(&s, &map, sizeof(map));
	seed_op(&s, K_READ, FZ_DEVICE);
	seed_u8(&s, VFIO_PCI_CONFIG_REGION_INDEX);
	seed_u32(&s, 0);
	seed_u16(&s, 64);
	seed_op(&s, K_WRITE, FZ_DEVICE);
	seed_u8(&s, VFIO_PCI_BAR0_REGION_INDEX);
	seed_u32(&s, 8);
	seed_u16(&s, 4);
	seed_u32(&s, 5);
	seed_op(&s, K_MMAP, FZ_DEVICE);
	seed_u8(&s, VFIO_PCI_BAR0_REGION_INDEX);
	seed_u32(&s, 0);
	seed_u8(&s, 1);
	seed_op(&s, K_LSEEK, FZ_DEVICE);
	seed_u8(&s, 0);
	seed_u64(&s, 4);
	seed_op(&s, K_FSTAT, FZ_GROUP);
	ret |= seed_save(&s, dir, "setup-calls");

	/* Raw frames: bad magic; a length beyond UVFIO_MSG_MAX; an unknown type. */
	s.len = 0;
	seed_u8(&s, SETUP_CONTAINER | SETUP_GROUP);
	seed_op(&s, K_RAW, FZ_GROUP);
	seed_u8(&s, 0);
	seed_u16(&s, 99);
	seed_u16(&s, 0);
	seed_op(&s, K_RAW, FZ_GROUP);
	seed_u8(&s, 1);
	seed_u32(&s, 0xdeadbeef);
	seed_u16(&s, UVFIO_MSG_READ);
	seed_u16(&s, 0);
	seed_op(&s, K_RAW, FZ_CONTAINER);
	seed_u8(&s, 4);
	seed_u16(&s, UVFIO_MSG_IOCTL);
	seed_u16(&s, 0);
	seed_u32(&s, UVFIO_MSG_MAX + 1);
	ret |= seed_save(&s, dir, "raw-bad-headers");

	/* Bootstrap: a lying path_len, a path with an embedded NUL, an unknown node. */
	s.len = 0;
	seed_u8(&s, 0);
	seed_op(&s, K_OPEN, FZ_EXTRA);
	seed_u8(&s, 0x10 | 1);
	seed_u32(&s, 1000);
	seed_op(&s, K_OPEN, FZ_EXTRA);
	seed_u8(&s, 0x80);
	seed_u16(&s, 12);
	seed_bytes(&s, "/dev/vfio\0/1", 12);
	seed_op(&s, K_OPEN, FZ_EXTRA);
	seed_u8(&s, 5);
	seed_op(&s, K_FSTAT, FZ_EXTRA);
	ret |= seed_save(&s, dir, "open-hostile");

	/* A READ as long as the protocol allows, then a WRITE whose length lies. */
	s.len = 0;
	seed_u8(&s, all);
	seed_op(&s, K_READ, FZ_DEVICE);
	seed_u8(&s, 0x40 | VFIO_PCI_BAR0_REGION_INDEX);
	seed_u32(&s, 0);
	seed_u32(&s, UVFIO_MSG_MAX);
	seed_op(&s, K_WRITE, FZ_DEVICE);
	seed_u8(&s, 0x40 | 0x20 | VFIO_PCI_CONFIG_REGION_INDEX);
	seed_u32(&s, 0);
	seed_u32(&s, 4096);
	seed_u16(&s, 16);
	ret |= seed_save(&s, dir, "rw-lengths");

	/* Found by fuzz-ioctl: SEEK_CUR past S64_MAX overflowed (UBSan) in vfs_llseek. */
	s.len = 0;
	seed_u8(&s, all);
	for (int i = 0; i < 2; i++) {
		seed_op(&s, K_LSEEK, FZ_DEVICE);
		seed_u8(&s, 1); /* SEEK_CUR */
		seed_u64(&s, INT64_MAX);
	}
	ret |= seed_save(&s, dir, "regress-lseek-cur-overflow");
	return ret;
}

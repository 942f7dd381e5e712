// SPDX-License-Identifier: MIT
/*
 * Sessions: one thread per open file, serving its connection. A request is
 * read whole (header, then at most UVFIO_MSG_MAX bytes of body), checked,
 * run on the core as the caller named by SCM_CREDENTIALS, and answered. The
 * thread may block in the core exactly as a syscall would. End of stream
 * (the last close of the file anywhere, or the process dying) or a protocol
 * violation ends the session: the file's reference is dropped, which runs
 * the kernel's release.
 */
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <time.h>
#include <unistd.h>

#include "base/file.h"
#include "uvfio/uvfio.h"
#include "compat/pidfd.h"
#include "vfio/vfio.h"
#include "world.h"
#include "uvfiod.h"

static int pidfd_open(pid_t pid)
{
	return (int)syscall(SYS_pidfd_open, pid, 0);
}

static void session_free(struct session *s)
{
	struct uvfiod *d = s->d;

	mutex_lock(&d->lock);
	list_del(&s->node);
	mutex_unlock(&d->lock);
	/* The release of the file: may take a while (device → group → container). */
	fput(s->file);
	/* Only now, released, does the session leave what sessions_settle() waits for. */
	mutex_lock(&d->lock);
	epoll_ctl(d->hangup_ep, EPOLL_CTL_DEL, s->fd, NULL);
	d->nthreads--;
	pthread_cond_broadcast(&d->idle);
	mutex_unlock(&d->lock);
	close(s->fd);
	free(s);
}

struct file *session_lookup_file(struct uvfiod *d, dev_t dev, ino_t ino)
{
	struct session *s;
	struct file *f = NULL;

	mutex_lock(&d->lock);
	list_for_each_entry(s, &d->sessions, node) {
		if (s->peer_dev == dev && s->peer_ino == ino) {
			f = get_file(s->file);
			break;
		}
	}
	mutex_unlock(&d->lock);
	return f;
}

/*
 * Who sent a frame: the kernel's word for every chunk of it (SO_PASSCRED, and
 * SO_PASSPIDFD where the kernel has it: a pidfd taken at send time).
 */
struct frame_sender {
	struct ucred cred; /* of the frame's first chunk */
	int pidfd; /* of the frame's first chunk, or -1 (owned) */
	bool seen; /* the first chunk arrived */
	struct timespec deadline; /* for the rest of the frame, once seen */
};

/* Milliseconds left until t (CLOCK_MONOTONIC), 0 when past. */
static int ms_until(const struct timespec *t)
{
	struct timespec now;
	long long ms;

	clock_gettime(CLOCK_MONOTONIC, &now);
	ms = (t->tv_sec - now.tv_sec) * 1000ll + (t->tv_nsec - now.tv_nsec) / 1000000;
	return ms > 0 ? (int)ms : 0;
}

/*
 * Reads exactly len bytes of the frame whose sender is fs; with passed set,
 * one descriptor that rides with it (*passed, else -1). Any other
 * descriptor is closed. A chunk from another sender (two processes writing
 * one shared file at once) is a protocol error: a frame has one caller.
 */
static int recv_full(int fd, void *buf, size_t len, struct frame_sender *fs, int *passed)
{
	size_t done = 0;

	while (done < len) {
		char cbuf[CMSG_SPACE(sizeof(struct ucred)) + CMSG_SPACE(sizeof(int)) +
			  CMSG_SPACE(4 * sizeof(int))];
		struct iovec iov = { .iov_base = (char *)buf + done, .iov_len = len - done };
		struct msghdr msg = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf,
			/* Later chunks: room for the credentials only, so no pidfd is made. */
			.msg_controllen = fs->seen ? CMSG_SPACE(sizeof(struct ucred)) :
						     sizeof(cbuf),
		};
		struct ucred cred = { .pid = 0 };
		struct cmsghdr *cmsg;
		ssize_t n;

		/*
		 * Waiting for a request is unbounded (an idle file); once part of one
		 * arrived, the rest has UVFIOD_FRAME_DEADLINE_MS, or the session ends.
		 */
		n = recvmsg(fd, &msg, MSG_CMSG_CLOEXEC | (fs->seen ? MSG_DONTWAIT : 0));
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && errno == EAGAIN && fs->seen) {
			struct pollfd p = { .fd = fd, .events = POLLIN };
			int left = ms_until(&fs->deadline);

			if (!left || (poll(&p, 1, left) == 0 && !ms_until(&fs->deadline)))
				return -ETIMEDOUT;
			continue;
		}
		if (n <= 0)
			return n == 0 ? -EPIPE : -errno;
		for (cmsg = CMSG_FIRSTHDR(&msg); cmsg; cmsg = CMSG_NXTHDR(&msg, cmsg)) {
			size_t nfds = (cmsg->cmsg_len - CMSG_LEN(0)) / sizeof(int);

			if (cmsg->cmsg_level != SOL_SOCKET)
				continue;
			if (cmsg->cmsg_type == SCM_CREDENTIALS) {
				memcpy(&cred, CMSG_DATA(cmsg), sizeof(cred));
				continue;
			}
			if (cmsg->cmsg_type != SCM_RIGHTS && cmsg->cmsg_type != SCM_PIDFD)
				continue;
			for (size_t i = 0; i < nfds; i++) {
				int got;

				memcpy(&got, CMSG_DATA(cmsg) + i * sizeof(int), sizeof(got));
				if (cmsg->cmsg_type == SCM_PIDFD && !fs->seen && fs->pidfd < 0)
					fs->pidfd = got;
				else if (cmsg->cmsg_type == SCM_RIGHTS && !fs->seen && passed &&
					 *passed < 0)
					*passed = got;
				else
					close(got); /* beyond the one expected */
			}
		}
		if (!fs->seen) {
			fs->cred = cred;
			fs->seen = true;
			clock_gettime(CLOCK_MONOTONIC, &fs->deadline);
			fs->deadline.tv_sec += UVFIOD_FRAME_DEADLINE_MS / 1000;
		} else if (cred.pid != fs->cred.pid || cred.uid != fs->cred.uid) {
			return -EPROTO;
		}
		done += (size_t)n;
	}
	return 0;
}

/*
 * A frame's body of len bytes, in memory that grows as the bytes arrive (a
 * header that claims a megabyte and sends nothing more costs a chunk, not a
 * megabyte, until its deadline); NULL when the frame does not complete.
 */
static u8 *recv_body(int fd, u32 len, struct frame_sender *fs)
{
	size_t have = 0, cap = min((size_t)len, (size_t)65536);
	u8 *body = malloc(cap), *bigger;

	while (body) {
		size_t want = min((size_t)len, cap) - have;

		if (recv_full(fd, body + have, want, fs, NULL))
			break;
		have += want;
		if (have == len)
			return body;
		cap = min((size_t)len, cap * 2);
		bigger = realloc(body, cap);
		if (!bigger)
			break;
		body = bigger;
	}
	free(body);
	return NULL;
}

/* Sends header + body (+ one descriptor). */
int send_reply(int fd, u16 type, s32 result, const void *body, size_t len, int pass_fd)
{
	struct uvfio_msg_hdr hdr = {
		.magic = UVFIO_PROTO_MAGIC,
		.version = UVFIO_PROTO_VERSION,
		.type = type,
		.len = (u32)len,
		.result = result,
	};
	struct iovec iov[2] = { { &hdr, sizeof(hdr) }, { (void *)body, len } };
	char cbuf[CMSG_SPACE(sizeof(int))];
	struct msghdr msg = { .msg_iov = iov, .msg_iovlen = len ? 2 : 1 };
	size_t total = sizeof(hdr) + len, sent = 0;

	if (pass_fd >= 0) {
		struct cmsghdr *cmsg;

		memset(cbuf, 0, sizeof(cbuf));
		msg.msg_control = cbuf;
		msg.msg_controllen = sizeof(cbuf);
		cmsg = CMSG_FIRSTHDR(&msg);
		cmsg->cmsg_level = SOL_SOCKET;
		cmsg->cmsg_type = SCM_RIGHTS;
		cmsg->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(cmsg), &pass_fd, sizeof(int));
	}
	while (sent < total) {
		ssize_t n = sendmsg(fd, &msg, MSG_NOSIGNAL);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -EPIPE;
		sent += (size_t)n;
		msg.msg_control = NULL;
		msg.msg_controllen = 0;
		/* Advance the iovecs past what went out. */
		while (n > 0 && msg.msg_iovlen) {
			size_t step = min((size_t)n, msg.msg_iov->iov_len);

			msg.msg_iov->iov_base = (char *)msg.msg_iov->iov_base + step;
			msg.msg_iov->iov_len -= step;
			n -= (ssize_t)step;
			if (!msg.msg_iov->iov_len) {
				msg.msg_iov++;
				msg.msg_iovlen--;
			}
		}
	}
	return 0;
}

/* passed: the descriptor that came with the request, or -1; the caller closes it. */
static void session_trace_ioctl(struct session *s, const struct remote_call *call, unsigned int cmd,
				long ret);

static int handle_ioctl(struct session *s, struct remote_call *call, u8 *body, u32 len, int passed)
{
	struct uvfio_ioctl_req req;
	struct uvfio_ioctl_rep rep = { 0 };
	size_t backing_len;
	u8 *out;
	long ret;
	int r;

	if (len < sizeof(req))
		return send_reply(s->fd, UVFIO_MSG_IOCTL, -EPROTO, NULL, 0, -1);
	memcpy(&req, body, sizeof(req));
	backing_len = req.nbacking * sizeof(struct uvfio_mem_backing);
	if (req.nbacking > 1 || (req.nbacking == 1) != (passed >= 0) ||
	    req.payload_len != len - sizeof(req) - backing_len)
		return send_reply(s->fd, UVFIO_MSG_IOCTL, -EPROTO, NULL, 0, -1);
	if (req.nbacking) {
		memcpy(&call->backing, body + sizeof(req) + req.payload_len, sizeof(call->backing));
		call->backing_fd = passed;
	}
	call->win_addr = req.arg;
	call->win = req.payload_len ? body + sizeof(req) : NULL;
	call->win_len = req.payload_len;
	ret = vfs_ioctl(s->file, &call->task, req.cmd, (unsigned long)req.arg);
	if (world_tracing(s->file->world))
		session_trace_ioctl(s, call, req.cmd, ret);
	rep.nwrites = call->nwrites;
	rep.nfds = ret >= 0 && call->out_fd >= 0;
	out = xzalloc(sizeof(rep) + call->writes_len);
	memcpy(out, &rep, sizeof(rep));
	if (call->writes_len)
		memcpy(out + sizeof(rep), call->writes, call->writes_len);
	r = send_reply(s->fd, UVFIO_MSG_IOCTL, ret < 0 ? (s32)ret : (s32)min(ret, (long)INT32_MAX),
		       out, sizeof(rep) + call->writes_len, rep.nfds ? call->out_fd : -1);
	free(out);
	return r;
}

/* The caller's bytes at the ioctl's argument after the call: the payload, written over. */
static void session_trace_ioctl(struct session *s, const struct remote_call *call, unsigned int cmd,
				long ret)
{
	struct vfio_device *vdev = vfio_device_from_file(s->file);
	u8 *res = xzalloc(call->win_len + 1);
	const u8 *p = call->writes;
	char line[2048];

	if (call->win_len)
		memcpy(res, call->win, call->win_len);
	for (u32 i = 0; i < call->nwrites; i++) {
		struct uvfio_write_rec w;

		memcpy(&w, p, sizeof(w));
		if (w.addr >= call->win_addr && w.len <= call->win_len &&
		    w.addr - call->win_addr <= call->win_len - w.len)
			memcpy(res + (w.addr - call->win_addr), p + sizeof(w), w.len);
		p += sizeof(w) + ALIGN_UP((size_t)w.len, 8);
	}
	trace_ioctl_line(line, sizeof(line),
			 &(struct trace_ioctl){
				 .pid = call->task.pid,
				 .file = s->file->f_op->name,
				 .dev = vdev ? dev_name(vdev->dev) : NULL,
				 .cmd = cmd,
				 .arg = (unsigned long)call->win_addr,
				 .in = call->win ? call->win : res,
				 .res = res,
				 .len = call->win_len,
				 .result = ret,
			 });
	world_trace(s->file->world, "%s", line);
	free(res);
}

/* A region access: {"op":"read"|"write"}; for a VFIO device, its region and offset. */
static void trace_rw(struct session *s, bool write, const struct uvfio_rw_req *req, const u8 *data,
		     ssize_t ret)
{
	struct vfio_device *vdev = vfio_device_from_file(s->file);
	const struct uvfio_writer *who = current_writer();
	char value[32] = "";

	if ((write || ret > 0) && req->len && req->len <= 8) {
		u64 v = 0;

		memcpy(&v, data, write ? req->len : (size_t)ret);
		snprintf(value, sizeof(value), ",\"value\":\"0x%llx\"", (unsigned long long)v);
	}
	world_trace(s->file->world,
		    "{\"op\":\"%s\",\"pid\":%d,\"file\":\"%s\"%s%s%s,\"region\":%lld,"
		    "\"offset\":\"0x%llx\",\"len\":%u%s%s,\"result\":%zd}",
		    write ? "write" : "read", who ? (int)who->pid : 0, s->file->f_op->name,
		    vdev ? ",\"dev\":\"" : "", vdev ? dev_name(vdev->dev) : "", vdev ? "\"" : "",
		    vdev && req->offset >= 0 ? (long long)(req->offset >> 40) : -1LL,
		    (unsigned long long)(vdev && req->offset >= 0 ?
						 req->offset & ((1ll << 40) - 1) :
						 req->offset),
		    req->len, value, (req->flags & UVFIO_RW_MMAP) ? ",\"mmio\":true" : "", ret);
}

static int handle_rw(struct session *s, u16 type, u8 *body, u32 len)
{
	struct uvfio_rw_req req;
	ssize_t ret;
	u8 *buf;
	int r;

	if (len < sizeof(req))
		return send_reply(s->fd, type, -EPROTO, NULL, 0, -1);
	memcpy(&req, body, sizeof(req));
	if (req.len > UVFIO_MSG_MAX || req.offset < -1 || (req.flags & ~UVFIO_RW_MMAP) ||
	    ((req.flags & UVFIO_RW_MMAP) && req.offset < 0) ||
	    (type == UVFIO_MSG_WRITE && req.len != len - sizeof(req)) ||
	    (type == UVFIO_MSG_READ && len != sizeof(req)))
		return send_reply(s->fd, type, -EPROTO, NULL, 0, -1);
	/* A trapped load or store: the mapping's fault handler decides first. */
	if (req.flags & UVFIO_RW_MMAP) {
		ret = vfs_mmap_fault(s->file, (u64)req.offset);
		if (ret)
			return send_reply(s->fd, type, (s32)ret, NULL, 0, -1);
	}
	if (type == UVFIO_MSG_WRITE) {
		const u8 *data = body + sizeof(req);

		ret = req.offset < 0 ? vfs_write(s->file, data, req.len) :
				       vfs_pwrite(s->file, data, req.len, req.offset);
		if (world_tracing(s->file->world))
			trace_rw(s, true, &req, data, ret);
		return send_reply(s->fd, type, (s32)ret, NULL, 0, -1);
	}
	buf = xzalloc(req.len ? req.len : 1);
	ret = req.offset < 0 ? vfs_read(s->file, buf, req.len) :
			       vfs_pread(s->file, buf, req.len, req.offset);
	if (world_tracing(s->file->world))
		trace_rw(s, false, &req, buf, ret);
	r = send_reply(s->fd, type, (s32)ret, buf, ret > 0 ? (size_t)ret : 0, -1);
	free(buf);
	return r;
}

static int handle_lseek(struct session *s, u8 *body, u32 len)
{
	struct uvfio_lseek_req req;
	struct uvfio_lseek_rep rep;
	s64 pos;

	if (len != sizeof(req))
		return send_reply(s->fd, UVFIO_MSG_LSEEK, -EPROTO, NULL, 0, -1);
	memcpy(&req, body, sizeof(req));
	pos = vfs_llseek(s->file, req.offset, req.whence);
	if (pos < 0)
		return send_reply(s->fd, UVFIO_MSG_LSEEK, (s32)pos, NULL, 0, -1);
	rep.pos = pos;
	return send_reply(s->fd, UVFIO_MSG_LSEEK, 0, &rep, sizeof(rep), -1);
}

static int handle_fstat(struct session *s)
{
	struct uvfio_fstat_rep rep = { 0 };
	struct kstat st;
	int ret = vfs_fstat(s->file, &st);

	rep.mode = st.mode;
	rep.rdev_major = st.rdev_major;
	rep.rdev_minor = st.rdev_minor;
	return send_reply(s->fd, UVFIO_MSG_FSTAT, ret, ret ? NULL : &rep, ret ? 0 : sizeof(rep),
			  -1);
}

static int handle_mmap(struct session *s, u8 *body, u32 len)
{
	struct uvfio_mmap_req req;
	struct uvfio_mmap_rep rep = { 0 };
	struct mmap_desc desc = { .memfd = -1 };
	size_t bitmap;
	u8 *out;
	int ret, r;

	if (len != sizeof(req))
		return send_reply(s->fd, UVFIO_MSG_MMAP, -EPROTO, NULL, 0, -1);
	memcpy(&req, body, sizeof(req));
	/* Bounded so the trap bitmap fits a message. */
	if (req.len > ((u64)UVFIO_MSG_MAX - sizeof(rep)) * 8 * 4096)
		return send_reply(s->fd, UVFIO_MSG_MMAP, -ENOMEM, NULL, 0, -1);
	ret = vfs_mmap(s->file, req.offset, req.len, req.prot, req.flags, &desc);
	if (ret)
		return send_reply(s->fd, UVFIO_MSG_MMAP, ret, NULL, 0, -1);
	rep.memfd_offset = desc.memfd_offset;
	rep.len = desc.len;
	rep.npages = (u32)DIV_ROUND_UP(desc.len, 4096);
	bitmap = DIV_ROUND_UP(rep.npages, 8);
	out = xzalloc(sizeof(rep) + bitmap);
	memcpy(out, &rep, sizeof(rep));
	memcpy(out + sizeof(rep), desc.trapped, bitmap);
	r = send_reply(s->fd, UVFIO_MSG_MMAP, 0, out, sizeof(rep) + bitmap, desc.memfd);
	free(out);
	free(desc.trapped);
	if (desc.memfd >= 0)
		close(desc.memfd);
	return r;
}

/*
 * The sender of a frame as a pidfd. Without SCM_PIDFD (a kernel before 6.5)
 * a pid read now may name another process than the one that sent: such a
 * daemon serves only callers of its own user or root, whose memory and
 * descriptors it could reach anyway (docs/design.md, "Trust model").
 */
static int session_caller(struct session *s, struct frame_sender *fs)
{
	if (fs->pidfd >= 0)
		return 0;
	if (s->passpidfd)
		return -ESRCH; /* the kernel had no pidfd to give: the sender is gone */
	if (fs->cred.uid != s->d->uid && fs->cred.uid != 0)
		return -EPERM;
	fs->pidfd = pidfd_open(fs->cred.pid);
	return fs->pidfd < 0 ? -ESRCH : 0;
}

/*
 * The caller was interrupted: a signal (UVFIO_MSG_INTERRUPT is waiting to be
 * read), its end is closed everywhere, or the daemon stops.
 */
static int session_interrupted(void *arg)
{
	struct session *s = arg;
	struct pollfd p = { .fd = s->fd, .events = POLLIN | POLLRDHUP };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLIN | POLLRDHUP | POLLHUP | POLLERR));
}

static int session_dispatch(struct session *s, const struct uvfio_msg_hdr *hdr, u8 *body,
			    struct frame_sender *fs, int passed);

/*
 * Runs one request; a negative return ends the session. The sender is the
 * call's `current`: a call that blocks (a /dev/kmsg read, syslog READ) ends
 * with EINTR once it is gone, as a kill ends a blocking read on Linux.
 */
static int session_handle(struct session *s, const struct uvfio_msg_hdr *hdr, u8 *body,
			  struct frame_sender *fs, int passed)
{
	struct uvfio_writer who = {
		.pid = fs->cred.pid,
		.comm = "",
		.interrupted = session_interrupted,
		.arg = s,
	};
	const struct uvfio_writer *prev = set_current_writer(&who);
	int ret = session_dispatch(s, hdr, body, fs, passed);

	set_current_writer(prev);
	return ret;
}

static int session_dispatch(struct session *s, const struct uvfio_msg_hdr *hdr, u8 *body,
			    struct frame_sender *fs, int passed)
{
	struct uvfio_ioctl_req req = { 0 };
	struct remote_call call;
	int ret;

	if (passed >= 0 && hdr->type != UVFIO_MSG_IOCTL)
		return send_reply(s->fd, hdr->type, -EPROTO, NULL, 0, -1);
	switch (hdr->type) {
	case UVFIO_MSG_IOCTL:
		ret = session_caller(s, fs);
		if (ret)
			return send_reply(s->fd, hdr->type, ret, NULL, 0, -1);
		/* The payload's address is mapped in the caller's current image. */
		if (hdr->len >= sizeof(req))
			memcpy(&req, body, sizeof(req));
		ret = remote_call_init(&call, s->d, fs->pidfd, fs->cred.pid, fs->cred.uid,
				       req.payload_len ? req.arg : 0);
		if (ret)
			return send_reply(s->fd, hdr->type, ret, NULL, 0, -1);
		ret = handle_ioctl(s, &call, body, hdr->len, passed);
		remote_call_destroy(&call);
		return ret;
	case UVFIO_MSG_READ:
	case UVFIO_MSG_WRITE:
		return handle_rw(s, hdr->type, body, hdr->len);
	case UVFIO_MSG_LSEEK:
		return handle_lseek(s, body, hdr->len);
	case UVFIO_MSG_FSTAT:
		return handle_fstat(s);
	case UVFIO_MSG_MMAP:
		return handle_mmap(s, body, hdr->len);
	case UVFIO_MSG_INTERRUPT:
		return 0; /* the call it was for has been answered */
	default:
		/* OPEN belongs to the bootstrap socket; anything else is unknown. */
		return send_reply(s->fd, hdr->type, -EPROTO, NULL, 0, -1);
	}
}

static void *session_thread(void *arg)
{
	struct session *s = arg;

	for (;;) {
		struct frame_sender fs = { .pidfd = -1 };
		struct uvfio_msg_hdr hdr;
		u8 *body = NULL;
		int passed = -1;
		int ret = -EPROTO;

		if (recv_full(s->fd, &hdr, sizeof(hdr), &fs, &passed))
			goto end;
		if (hdr.magic != UVFIO_PROTO_MAGIC || hdr.version != UVFIO_PROTO_VERSION ||
		    hdr.len > UVFIO_MSG_MAX || !fs.cred.pid) {
			/* Not our protocol: the stream cannot be trusted any further. */
			send_reply(s->fd, hdr.type, -EPROTO, NULL, 0, -1);
			goto end;
		}
		if (hdr.len && !(body = recv_body(s->fd, hdr.len, &fs)))
			goto end;
		/* What the caller closed before this call is released before it runs. */
		sessions_settle(s->d);
		ret = session_handle(s, &hdr, body, &fs, passed);
end:
		if (passed >= 0)
			close(passed);
		if (fs.pidfd >= 0)
			close(fs.pidfd);
		free(body);
		if (ret)
			break;
	}
	session_free(s);
	return NULL;
}

int session_start(struct uvfiod *d, struct file *file, pid_t opener, int *client_fd)
{
	struct session *s;
	pthread_attr_t attr;
	pthread_t thread;
	struct stat st;
	int sv[2], one = 1;
	bool passpidfd;

	if (socketpair(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0, sv))
		return -errno;
	setsockopt(sv[0], SOL_SOCKET, SO_PASSCRED, &one, sizeof(one));
	/* Every request then names its sender by pidfd (Linux 6.5); see session_caller(). */
	passpidfd = !setsockopt(sv[0], SOL_SOCKET, SO_PASSPIDFD, &one, sizeof(one));
	fstat(sv[1], &st);
	mutex_lock(&d->lock);
	if (d->stopping) {
		mutex_unlock(&d->lock);
		close(sv[0]);
		close(sv[1]);
		return -ENODEV;
	}
	mutex_unlock(&d->lock);
	s = xzalloc(sizeof(*s));
	s->d = d;
	s->fd = sv[0];
	s->file = file;
	s->peer_dev = st.st_dev;
	s->peer_ino = st.st_ino;
	s->opener = opener;
	s->passpidfd = passpidfd;
	mutex_lock(&d->lock);
	list_add_tail(&s->node, &d->sessions);
	epoll_ctl(d->hangup_ep, EPOLL_CTL_ADD, s->fd,
		  &(struct epoll_event){ .events = EPOLLRDHUP, .data.ptr = s });
	d->nthreads++;
	mutex_unlock(&d->lock);
	pthread_attr_init(&attr);
	pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
	if (pthread_create(&thread, &attr, session_thread, s)) {
		pthread_attr_destroy(&attr);
		close(sv[1]);
		session_free(s); /* drops the file reference */
		return -EAGAIN;
	}
	pthread_attr_destroy(&attr);
	*client_fd = sv[1];
	return 0;
}

void sessions_shutdown(struct uvfiod *d)
{
	struct session *s;

	/*
	 * End every stream; each thread then releases its file and exits. A
	 * call in flight may still create a session (GET_DEVICE_FD): repeat.
	 */
	mutex_lock(&d->lock);
	d->stopping = true;
	while (d->nthreads) {
		list_for_each_entry(s, &d->sessions, node)
			shutdown(s->fd, SHUT_RDWR);
		mutex_cond_wait(&d->lock, &d->idle);
	}
	mutex_unlock(&d->lock);
}

/*
 * Every session's socket is in d->hangup_ep for EPOLLRDHUP only, from its
 * start until its file is released, so the kernel's ready list holds exactly
 * the sessions whose client end is closed everywhere and whose release has
 * not yet run: settling costs one poll() however many files are open. The
 * hang-up itself is the kernel's, done before the close() or exit that
 * caused it returned, so any call made afterwards finds it here.
 */
static bool sessions_unreleased(struct uvfiod *d)
{
	struct pollfd any = { .fd = d->hangup_ep, .events = POLLIN };

	return poll(&any, 1, 0) > 0; /* an epoll fd is readable while any is ready */
}

void sessions_settle(struct uvfiod *d)
{
	struct timespec deadline;

	if (!sessions_unreleased(d))
		return;
	/* Bounded: a hung-up session may be in a request that blocks in the core. */
	deadline = timespec_after_ms(SETTLE_MAX_MS);
	mutex_lock(&d->lock);
	while (sessions_unreleased(d) && mutex_cond_timedwait(&d->lock, &d->idle, &deadline))
		;
	mutex_unlock(&d->lock);
}

void sessions_describe(struct uvfiod *d, FILE *out)
{
	struct session *s;

	mutex_lock(&d->lock);
	list_for_each_entry(s, &d->sessions, node) {
		struct file *f = s->file;
		struct vfio_device *vdev = vfio_device_from_file(f);

		if (vdev)
			fprintf(out, "  pid %-7d device %s (%s)\n", (int)s->opener,
				dev_name(vdev->dev), vdev->name);
		else if (vfio_file_is_group(f))
			fprintf(out, "  pid %-7d group /dev/vfio/%d\n", (int)s->opener,
				vfio_file_group_id(f));
		else
			fprintf(out, "  pid %-7d container /dev/vfio/vfio\n", (int)s->opener);
	}
	mutex_unlock(&d->lock);
}

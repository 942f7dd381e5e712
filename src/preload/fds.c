/* SPDX-License-Identifier: MIT */
/*
 * uvfio descriptors: open of /dev/vfio nodes, ioctl, read/write, lseek and
 * fstat through the daemon (include/uvfio/uvfio-proto.h).
 *
 * The fd model. An open /dev/vfio file is a socket whose other end the daemon
 * holds, so the descriptor is a real kernel object: dup, fork, exec,
 * SCM_RIGHTS and close behave as they do for the kernel's file, and the
 * daemon's release runs at the last close. The shim keeps no fd table: a
 * descriptor is a uvfio file iff it is an unnamed AF_UNIX socket whose peer
 * (SO_PEERCRED) is the daemon, which also holds for descriptors this process
 * inherited or received. The answer is cached per socket inode; descriptors
 * that are not sockets cost one fstat() and never reach the cache.
 *
 * Everything the shim reads from or writes to the caller's memory goes through
 * process_vm_readv/writev on itself: a bad pointer gives EFAULT as the kernel
 * would, never a crash, and a BAR page the shim traps cannot fault inside the
 * shim while it holds a file's lock.
 *
 * The first half of this file is internal and calls only REAL() for the
 * functions the shim wraps (tests/static/check-preload.sh); the exported
 * wrappers follow the "libc wrappers" banner.
 */
/*
 * The wrappers define both the plain and the 64 names, so glibc must not
 * redirect one to the other (on LP64 they take the same types).
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/kvm.h>
#include <linux/vfio.h>
#include <poll.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <sys/klog.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/uio.h>
#include <sys/un.h>
#include <unistd.h>

#include "preload/fds.h"
#include "preload/shim.h"
#include "shared/macro.h"

/* ---------------------------------------------------------------------------
 * Classification and per-file locks
 */

#define CLASS_SLOTS 256
#define FILE_LOCKS 64

/*
 * Lock order: fds.file_lock[i] (held across a conversation) -> fds.class_lock
 * (never held across a syscall other than getsockopt/getpeername).
 * class[] is protected by class_lock.
 */
static struct {
	pthread_mutex_t class_lock;
	struct class_slot {
		dev_t dev;
		ino_t ino;
		pid_t daemon; /* the daemon pid the answer was found for; 0: empty */
		bool uvfio;
	} class[CLASS_SLOTS];
	pthread_mutex_t file_lock[FILE_LOCKS];
} fds = {
	.class_lock = PTHREAD_MUTEX_INITIALIZER,
	.file_lock = { [0 ... FILE_LOCKS - 1] = PTHREAD_MUTEX_INITIALIZER },
};

static unsigned int inode_hash(dev_t dev, ino_t ino)
{
	uint64_t h = ((uint64_t)ino ^ ((uint64_t)dev << 17)) * 0x9e3779b97f4a7c15ull;

	return (unsigned int)(h >> 40);
}

void shim_fds_atfork_child(void)
{
	pthread_mutex_init(&fds.class_lock, NULL);
	for (int i = 0; i < FILE_LOCKS; i++)
		pthread_mutex_init(&fds.file_lock[i], NULL);
}

/*
 * A daemon file socket is one end of a socketpair the daemon made: unnamed,
 * with the daemon as peer. Connections to the daemon's bootstrap or control
 * sockets have the daemon as peer too, but a named peer.
 */
static bool socket_is_uvfio(int fd, pid_t daemon)
{
	struct sockaddr_un sa;
	socklen_t salen = sizeof(sa);
	struct ucred cred;
	socklen_t clen = sizeof(cred);

	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) || cred.pid != daemon)
		return false;
	if (getpeername(fd, (struct sockaddr *)&sa, &salen) || sa.sun_family != AF_UNIX)
		return false;
	return salen <= offsetof(struct sockaddr_un, sun_path);
}

bool shim_file_get(int fd, struct shim_file *f)
{
	pid_t daemon = shim_daemon_pid();
	struct class_slot *slot;
	struct stat st;
	int saved;
	bool uvfio;

	if (daemon <= 0 || fd < 0)
		return false;
	saved = errno;
	if (REAL(fstat)(fd, &st) || !S_ISSOCK(st.st_mode)) {
		errno = saved;
		return false;
	}

	slot = &fds.class[inode_hash(st.st_dev, st.st_ino) % CLASS_SLOTS];
	pthread_mutex_lock(&fds.class_lock);
	if (slot->daemon == daemon && slot->dev == st.st_dev && slot->ino == st.st_ino) {
		uvfio = slot->uvfio;
		pthread_mutex_unlock(&fds.class_lock);
	} else {
		pthread_mutex_unlock(&fds.class_lock);
		uvfio = socket_is_uvfio(fd, daemon);
		pthread_mutex_lock(&fds.class_lock);
		*slot = (struct class_slot){ st.st_dev, st.st_ino, daemon, uvfio };
		pthread_mutex_unlock(&fds.class_lock);
	}
	errno = saved;
	if (uvfio)
		*f = (struct shim_file){ fd, st.st_dev, st.st_ino };
	return uvfio;
}

bool shim_fd_is_uvfio(int fd)
{
	struct shim_file f;

	return shim_file_get(fd, &f);
}

static pthread_mutex_t *shim_file_lock_of(const struct shim_file *f)
{
	return &fds.file_lock[inode_hash(f->dev, f->ino) % FILE_LOCKS];
}

/* ---------------------------------------------------------------------------
 * The caller's memory
 */

/*
 * Whole-or-nothing copies through the kernel. A seccomp policy may forbid
 * process_vm_*; plain copies are then the only way left.
 */
static int vm_copy(bool to_user, uint64_t user, void *local, size_t len)
{
	struct iovec l = { local, len };
	struct iovec r = { (void *)(uintptr_t)user, len };
	ssize_t n;
	int saved = errno;

	if (!len)
		return 0;
	if (to_user)
		n = process_vm_writev(getpid(), &l, 1, &r, 1, 0);
	else
		n = process_vm_readv(getpid(), &l, 1, &r, 1, 0);
	if (n < 0 && (errno == ENOSYS || errno == EPERM)) {
		if (to_user)
			memcpy(r.iov_base, local, len);
		else
			memcpy(local, r.iov_base, len);
		n = (ssize_t)len;
	}
	errno = saved;
	return n == (ssize_t)len ? 0 : -EFAULT;
}

int shim_copy_from_user(void *dst, uint64_t src, size_t len)
{
	return vm_copy(false, src, dst, len);
}

int shim_copy_to_user(uint64_t dst, const void *src, size_t len)
{
	return vm_copy(true, dst, (void *)src, len);
}

/*
 * The NUL-terminated string at user, at most max bytes including the NUL, read
 * page by page so that a string ending just before an unmapped page is
 * readable. Returns its length with the NUL, max if none was found within
 * max bytes, or -EFAULT.
 */
static ssize_t copy_string_from_user(char *dst, uint64_t user, size_t max)
{
	size_t page = (size_t)getpagesize();
	size_t done = 0;

	while (done < max) {
		size_t n = page - (size_t)((user + done) % page);
		char *nul;

		n = min(n, max - done);
		if (shim_copy_from_user(dst + done, user + done, n))
			return -EFAULT;
		nul = memchr(dst + done, '\0', n);
		if (nul)
			return nul - dst + 1;
		done += n;
	}
	return (ssize_t)max;
}

/* ---------------------------------------------------------------------------
 * The stream
 */

static int wait_ready(int sock, short events)
{
	struct pollfd p = { .fd = sock, .events = events };

	return poll(&p, 1, -1) < 0 && errno != EINTR ? -EIO : 0;
}

static int send_all(int sock, struct iovec *iov, int n, int pass_fd);

/* Signals whose default action is to do nothing: they interrupt no sleep. */
static bool sig_default_ignored(int sig)
{
	return sig == SIGCHLD || sig == SIGCONT || sig == SIGURG || sig == SIGWINCH;
}

/*
 * The signals that would interrupt the program's sleep: those it does not
 * block, minus those it ignores.
 */
static void interrupting_signals(const sigset_t *prog, sigset_t *out)
{
	sigemptyset(out);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (sig == SIGKILL || sig == SIGSTOP || sigismember(prog, sig) ||
		    REAL(sigaction)(sig, NULL, &sa))
			continue;
		if (sa.sa_handler == SIG_IGN ||
		    (sa.sa_handler == SIG_DFL && sig_default_ignored(sig)))
			continue;
		sigaddset(out, sig);
	}
}

/* Whether every pending signal of set has a handler with SA_RESTART. */
static bool pending_restart(const sigset_t *set)
{
	sigset_t pending;
	bool restart = true;

	sigpending(&pending);
	for (int sig = 1; sig < NSIG; sig++) {
		struct sigaction sa;

		if (!sigismember(set, sig) || !sigismember(&pending, sig))
			continue;
		if (REAL(sigaction)(sig, NULL, &sa) || sa.sa_handler == SIG_DFL ||
		    !(sa.sa_flags & SA_RESTART))
			restart = false;
	}
	return restart;
}

/*
 * A reply that is slow to come, on a file whose calls may sleep (/dev/kmsg:
 * SO_RCVTIMEO makes the wait end here): the shim waits with the program's
 * signals watched. One that arrives interrupts the call as it interrupts the
 * kernel's interruptible sleep: the daemon is told (UVFIO_MSG_INTERRUPT) and
 * a sleeping call there answers -EINTR; the signal is delivered once the shim
 * lets go, and the call is made again if its handler has SA_RESTART.
 */
static int wait_reply(int sock, struct shim_msg *m, const sigset_t *prog)
{
	struct uvfio_msg_hdr hdr = {
		.magic = UVFIO_PROTO_MAGIC,
		.version = UVFIO_PROTO_VERSION,
		.type = UVFIO_MSG_INTERRUPT,
	};
	struct pollfd p[2] = { { .fd = sock, .events = POLLIN }, { .fd = -1, .events = POLLIN } };
	sigset_t watch;
	int r;

	if (!prog || m->interrupted)
		return wait_ready(sock, POLLIN);
	interrupting_signals(prog, &watch);
	p[1].fd = signalfd(-1, &watch, SFD_NONBLOCK | SFD_CLOEXEC);
	r = poll(p, p[1].fd >= 0 ? 2 : 1, -1);
	if (r > 0 && p[1].fd >= 0 && (p[1].revents & POLLIN)) {
		struct iovec iov = { &hdr, sizeof(hdr) };

		m->interrupted = true;
		m->restart = pending_restart(&watch);
		if (send_all(sock, &iov, 1, -1))
			r = -1;
	}
	if (p[1].fd >= 0)
		close(p[1].fd);
	return r < 0 && errno != EINTR ? -EIO : 0;
}

/*
 * Sends all of iov, with pass_fd (if >= 0) attached to the first bytes; the
 * socket may have been made non-blocking by its owner.
 */
static int send_all(int sock, struct iovec *iov, int n, int pass_fd)
{
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(sizeof(int))];
	} cbuf;

	while (n) {
		struct msghdr mh = { .msg_iov = iov, .msg_iovlen = (size_t)n };
		ssize_t r;

		if (pass_fd >= 0) {
			struct cmsghdr *c;

			memset(&cbuf, 0, sizeof(cbuf));
			mh.msg_control = cbuf.buf;
			mh.msg_controllen = sizeof(cbuf.buf);
			c = CMSG_FIRSTHDR(&mh);
			c->cmsg_level = SOL_SOCKET;
			c->cmsg_type = SCM_RIGHTS;
			c->cmsg_len = CMSG_LEN(sizeof(int));
			memcpy(CMSG_DATA(c), &pass_fd, sizeof(int));
		}
		r = sendmsg(sock, &mh, MSG_NOSIGNAL);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && !wait_ready(sock, POLLOUT))
				continue;
			return -EIO;
		}
		pass_fd = -1; /* it went with the first bytes */
		while (n && (size_t)r >= iov->iov_len) {
			r -= (ssize_t)iov->iov_len;
			iov++;
			n--;
		}
		if (n) {
			iov->iov_base = (char *)iov->iov_base + r;
			iov->iov_len -= (size_t)r;
		}
	}
	return 0;
}

/*
 * Receives exactly len bytes (buf may be NULL: discard). A descriptor may ride
 * on any part of the reply; the first one is kept in *fd, others are closed.
 */
static int recv_all(int sock, void *buf, size_t len, struct shim_msg *m, const sigset_t *prog)
{
	int *fd = &m->fd, flags = m->recv_flags;
	char scratch[256];
	union {
		struct cmsghdr align;
		char buf[CMSG_SPACE(4 * sizeof(int))];
	} cbuf;

	while (len) {
		struct iovec iov = { buf ? buf : scratch, buf ? len : min(len, sizeof(scratch)) };
		struct msghdr mh = {
			.msg_iov = &iov,
			.msg_iovlen = 1,
			.msg_control = cbuf.buf,
			.msg_controllen = sizeof(cbuf.buf),
		};
		ssize_t r = recvmsg(sock, &mh, flags);

		if (r < 0) {
			if (errno == EINTR)
				continue;
			if (errno == EAGAIN && !wait_reply(sock, m, prog))
				continue;
			return -EIO;
		}
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&mh); c; c = CMSG_NXTHDR(&mh, c)) {
			int *fdp = (int *)CMSG_DATA(c);
			size_t nfd;

			if (c->cmsg_level != SOL_SOCKET || c->cmsg_type != SCM_RIGHTS)
				continue;
			nfd = (c->cmsg_len - CMSG_LEN(0)) / sizeof(int);
			for (size_t i = 0; i < nfd; i++) {
				int got;

				memcpy(&got, fdp + i, sizeof(got));
				if (*fd < 0)
					*fd = got;
				else
					close(got);
			}
		}
		if (r == 0)
			return -EIO; /* the daemon is gone */
		if (buf)
			buf = (char *)buf + r;
		len -= (size_t)r;
	}
	return 0;
}

/*
 * One exchange on sock; the caller makes sure nobody else talks on it
 * meanwhile. prog: the program's signal mask, for a call that may sleep.
 */
static int sock_call(int sock, struct shim_msg *m, const sigset_t *prog)
{
	struct uvfio_msg_hdr hdr = {
		.magic = UVFIO_PROTO_MAGIC,
		.version = UVFIO_PROTO_VERSION,
		.type = m->type,
	};
	struct iovec iov[8];
	void *body;
	size_t len = 0;
	int ret;

	m->fd = -1;
	m->rep_len = 0;
	m->interrupted = m->restart = false;
	if (m->nreq > (int)ARRAY_SIZE(iov) - 1)
		return -EIO;
	iov[0] = (struct iovec){ &hdr, sizeof(hdr) };
	for (int i = 0; i < m->nreq; i++) {
		iov[i + 1] = m->req[i];
		len += m->req[i].iov_len;
	}
	if (len > UVFIO_MSG_MAX)
		return -EIO;
	hdr.len = (uint32_t)len;
	ret = send_all(sock, iov, m->nreq + 1, m->pass_fd ? m->send_fd : -1);
	if (ret)
		return ret;

	ret = recv_all(sock, &hdr, sizeof(hdr), m, prog);
	if (ret)
		goto err_close_fd;
	if (hdr.magic != UVFIO_PROTO_MAGIC || hdr.version != UVFIO_PROTO_VERSION ||
	    hdr.type != m->type || hdr.len > UVFIO_MSG_MAX) {
		shim_debug("bad reply header: magic %#x version %u type %u len %u", hdr.magic,
			   hdr.version, hdr.type, hdr.len);
		ret = -EIO; /* the stream cannot be trusted any more */
		goto err_close_fd;
	}
	if (m->rep && hdr.len > m->rep_size) {
		(void)recv_all(sock, NULL, hdr.len, m, prog);
		ret = -EIO;
		goto err_close_fd;
	}
	body = m->rep;
	if (!body) {
		body = malloc(hdr.len ? hdr.len : 1);
		if (!body) {
			(void)recv_all(sock, NULL, hdr.len, m, prog);
			ret = -ENOMEM;
			goto err_close_fd;
		}
	}
	ret = recv_all(sock, body, hdr.len, m, prog);
	if (ret) {
		if (!m->rep)
			free(body);
		goto err_close_fd;
	}
	m->rep = body;
	m->rep_len = hdr.len;
	m->result = hdr.result;
	return 0;

err_close_fd:
	if (m->fd >= 0)
		close(m->fd);
	m->fd = -1;
	return ret;
}

int shim_call(const struct shim_file *f, struct shim_msg *m)
{
	sigset_t saved;
	int ret;

	shim_lock(shim_file_lock_of(f), &saved);
	ret = sock_call(f->fd, m, &saved);
	shim_unlock(shim_file_lock_of(f), &saved);
	if (!ret && !m->accept_fd && m->fd >= 0) {
		close(m->fd);
		m->fd = -1;
	}
	return ret;
}

/* ---------------------------------------------------------------------------
 * open
 */

bool shim_is_daemon_node(const char *path)
{
	const char *p;

	if (path && shim_kvm() && !strcmp(path, "/dev/kvm"))
		return true;
	if (path && !strcmp(path, "/dev/kmsg"))
		return true; /* the world's kernel log */
	if (!path || strncmp(path, "/dev/vfio/", 10))
		return false;
	p = path + 10;
	if (!strcmp(p, "vfio"))
		return true;
	if (!*p || (p[0] == '0' && p[1]))
		return false;
	for (; *p; p++)
		if (*p < '0' || *p > '9')
			return false;
	return true;
}

static int dev_open(const char *path, int flags)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	size_t plen = strlen(path);
	struct uvfio_open_req req = { .flags = (uint32_t)flags, .path_len = (uint32_t)plen };
	struct iovec iov[2] = { { &req, sizeof(req) }, { (void *)path, plen } };
	struct shim_msg m = {
		.type = UVFIO_MSG_OPEN,
		.req = iov,
		.nreq = 2,
		.rep = NULL,
		.recv_flags = (flags & O_CLOEXEC) ? MSG_CMSG_CLOEXEC : 0,
	};
	char dummy[1];
	int sock, ret;

	if (plen > UVFIO_PATH_MAX)
		return -ENAMETOOLONG;
	if (strlen(shim_socket_path()) >= sizeof(sa.sun_path))
		return -ENOENT;
	strcpy(sa.sun_path, shim_socket_path());
	sock = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (sock < 0)
		return -errno;
	while ((ret = connect(sock, (struct sockaddr *)&sa, sizeof(sa))) && errno == EINTR)
		;
	if (ret) {
		shim_debug("connect %s: %s", sa.sun_path, strerror(errno));
		close(sock);
		return -ENOENT; /* no daemon behind the node: as if it did not exist */
	}

	/* An OPEN reply carries no body; a buffer keeps malloc out of it. */
	m.rep = dummy;
	m.rep_size = 0;
	ret = sock_call(sock, &m, NULL);
	close(sock);
	if (ret)
		return ret;
	if (m.result < 0) {
		if (m.fd >= 0)
			close(m.fd);
		return m.result;
	}
	if (m.fd < 0)
		return -EIO;
	if (!strcmp(path, "/dev/kmsg")) {
		/* Its reads may sleep: a reply not there soon is awaited watching signals. */
		struct timeval tv = { .tv_usec = 20000 };

		setsockopt(m.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
	}
	shim_debug("open %s flags %#x = fd %d", path, flags, m.fd);
	return m.fd;
}

int shim_dev_open(const char *path, int flags)
{
	int saved = errno;
	int ret;

	if (!shim_active())
		return REAL(open)(path, flags, 0);
	ret = dev_open(path, flags);
	if (ret >= 0)
		errno = saved;
	return (int)shim_ret(ret);
}

/* ---------------------------------------------------------------------------
 * syslog(2): klogctl() on a /dev/kmsg connection of its own (UVFIO_KMSG_SYSLOG)
 */

static int file_ioctl(const struct shim_file *f, unsigned int cmd, unsigned long arg);

SHIM_EXPORT int klogctl(int type, char *buf, int len)
{
	struct uvfio_syslog_args a = { .type = type, .len = len, .buf = (uintptr_t)buf };
	struct shim_file f;
	int saved = errno;
	int fd, ret;

	if (!shim_active())
		return REAL(klogctl)(type, buf, len);
	fd = dev_open("/dev/kmsg", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return (int)shim_ret(fd);
	ret = shim_file_get(fd, &f) ? file_ioctl(&f, UVFIO_KMSG_SYSLOG, (unsigned long)&a) : -EIO;
	close(fd);
	if (ret >= 0)
		errno = saved;
	return (int)shim_ret(ret);
}

/* ---------------------------------------------------------------------------
 * ioctl
 */

/* Commands whose argument is a value, not an address. */
static bool ioctl_by_value(unsigned int cmd)
{
	switch (cmd) {
	case VFIO_GET_API_VERSION:
	case VFIO_CHECK_EXTENSION:
	case VFIO_SET_IOMMU:
	case VFIO_GROUP_UNSET_CONTAINER:
	case VFIO_DEVICE_RESET:
	case VFIO_IOMMU_ENABLE:
	case VFIO_IOMMU_DISABLE:
		return true;
	}
	return false;
}

/*
 * The copy of the caller's memory at arg that goes with the request (the
 * protocol's payload window): NULL/0 when there is none or it cannot be read,
 * in which case the daemon reaches the memory itself and reports EFAULT.
 */
static size_t ioctl_payload(unsigned int cmd, unsigned long arg, void **payload)
{
	const size_t cap = UVFIO_MSG_MAX - sizeof(struct uvfio_ioctl_req);
	uint32_t argsz;
	ssize_t n;
	void *buf;

	*payload = NULL;
	if (_IOC_TYPE(cmd) == KVMIO || cmd == UVFIO_KMSG_SYSLOG) {
		/* KVM's ioctls carry their size; _IO ones pass a value. */
		argsz = _IOC_DIR(cmd) == _IOC_NONE ? 0 : (uint32_t)min((size_t)_IOC_SIZE(cmd), cap);
		goto copy;
	}
	if (_IOC_TYPE(cmd) != VFIO_TYPE || ioctl_by_value(cmd))
		return 0;

	if (cmd == VFIO_GROUP_GET_DEVICE_FD) {
		buf = malloc(4096);
		if (!buf)
			return 0;
		n = copy_string_from_user(buf, arg, 4096);
		if (n < 0) {
			free(buf);
			return 0;
		}
		*payload = buf;
		return (size_t)n;
	}

	if (cmd == VFIO_GROUP_SET_CONTAINER)
		argsz = sizeof(int);
	else if (shim_copy_from_user(&argsz, arg, sizeof(argsz)))
		return 0;
	argsz = (uint32_t)min(max((size_t)argsz, sizeof(uint32_t)), cap);
copy:
	if (!argsz)
		return 0;
	buf = malloc(argsz);
	if (!buf)
		return 0;
	if (shim_copy_from_user(buf, arg, argsz)) {
		free(buf);
		return 0;
	}
	*payload = buf;
	return argsz;
}

/*
 * Applies the reply's write records: all or none, and only inside the window
 * [arg, arg + wlen) the request carried.
 */
static int apply_writes(const char *rec, size_t len, uint32_t nwrites, uint64_t arg, size_t wlen)
{
	for (int pass = 0; pass < 2; pass++) {
		const char *p = rec;
		size_t left = len;

		for (uint32_t i = 0; i < nwrites; i++) {
			struct uvfio_write_rec w;
			size_t padded;

			if (left < sizeof(w))
				return -EIO;
			memcpy(&w, p, sizeof(w));
			padded = ALIGN_UP((size_t)w.len, 8);
			if (padded > left - sizeof(w) || w.addr < arg || w.len > wlen ||
			    w.addr - arg > wlen - w.len)
				return -EIO;
			if (pass && shim_copy_to_user(w.addr, p + sizeof(w), w.len))
				return -EFAULT;
			p += sizeof(w) + padded;
			left -= sizeof(w) + padded;
		}
		if (left)
			return -EIO;
	}
	return 0;
}

/*
 * The file behind a MAP_DMA's range, if the program mapped it shared from one:
 * a descriptor to pass and *b filled, or -1 (the daemon then reaches the
 * memory through process_vm_*).
 */
static int map_dma_backing(const void *payload, size_t len, struct uvfio_mem_backing *b)
{
	struct vfio_iommu_type1_dma_map map;

	if (len < sizeof(map))
		return -1;
	memcpy(&map, payload, sizeof(map));
	return shim_dma_backing_find(map.vaddr, map.size, b);
}

static int file_ioctl(const struct shim_file *f, unsigned int cmd, unsigned long arg)
{
	struct uvfio_ioctl_req req = { .cmd = cmd, .arg = arg };
	struct uvfio_mem_backing backing;
	struct iovec iov[3] = { { &req, sizeof(req) } };
	struct shim_msg m = {
		.type = UVFIO_MSG_IOCTL,
		.accept_fd = true, /* GET_DEVICE_FD */
		.req = iov,
		.nreq = 2,
		.recv_flags = MSG_CMSG_CLOEXEC, /* device fds are O_CLOEXEC */
	};
	struct uvfio_ioctl_rep rep;
	void *payload;
	int ret;

	req.payload_len = (uint32_t)ioctl_payload(cmd, arg, &payload);
	iov[1] = (struct iovec){ payload, req.payload_len };
	if (cmd == VFIO_IOMMU_MAP_DMA) {
		m.send_fd = map_dma_backing(payload, req.payload_len, &backing);
		if (m.send_fd >= 0) {
			m.pass_fd = true;
			req.nbacking = 1;
			iov[2] = (struct iovec){ &backing, sizeof(backing) };
			m.nreq = 3;
		}
	}

	ret = shim_call(f, &m);
	if (m.pass_fd)
		close(m.send_fd);
	free(payload);
	if (ret)
		return ret;

	if (m.rep_len < sizeof(rep)) {
		ret = -EIO;
		goto out;
	}
	memcpy(&rep, m.rep, sizeof(rep));
	if (rep.nfds > 1 || (rep.nfds == 1 && m.fd < 0)) {
		ret = -EIO;
		goto out;
	}
	ret = apply_writes((char *)m.rep + sizeof(rep), m.rep_len - sizeof(rep), rep.nwrites, arg,
			   req.payload_len);
	if (ret) {
		shim_debug("ioctl %#x: bad write records (%d)", cmd, ret);
		goto out;
	}
	ret = m.result;
	if (ret >= 0 && m.fd >= 0 && cmd == KVM_CREATE_DEVICE) {
		/* The new descriptor goes back in the struct, not as the result. */
		int32_t fd = m.fd;

		if (shim_copy_to_user(arg + offsetof(struct kvm_create_device, fd), &fd,
				      sizeof(fd))) {
			ret = -EFAULT;
			goto out;
		}
		m.fd = -1;
	} else if (ret >= 0 && m.fd >= 0) {
		ret = m.fd;
		m.fd = -1;
	}
out:
	if (m.fd >= 0)
		close(m.fd);
	free(m.rep);
	return ret;
}

/* ---------------------------------------------------------------------------
 * read, write, lseek, fstat
 */

static ssize_t file_rw(const struct shim_file *f, bool write, void *buf, size_t len, int64_t offset,
		       uint32_t flags)
{
	struct uvfio_rw_req req = { .offset = offset, .len = (uint32_t)len, .flags = flags };
	struct iovec iov[2] = { { &req, sizeof(req) }, { buf, write ? len : 0 } };
	struct shim_msg m = {
		.type = write ? UVFIO_MSG_WRITE : UVFIO_MSG_READ,
		.req = iov,
		.nreq = 2,
		.rep = write ? NULL : buf,
		.rep_size = write ? 0 : len,
	};
	char none[1];
	int ret;

	if (len > UVFIO_RW_CHUNK)
		return -EINVAL;
	if (write)
		m.rep = none;
	do {
		ret = shim_call(f, &m);
		if (ret)
			return ret;
		/* Interrupted in its sleep by a signal whose handler asks for a restart. */
	} while (m.result == -EINTR && m.interrupted && m.restart);
	if (m.result > (int64_t)len || (!write && m.result >= 0 && m.rep_len != (size_t)m.result))
		return -EIO;
	return m.result;
}

ssize_t shim_file_rw(const struct shim_file *f, bool write, void *buf, size_t len, int64_t offset)
{
	return file_rw(f, write, buf, len, offset, 0);
}

ssize_t shim_file_mmio(const struct shim_file *f, bool write, void *buf, size_t len, int64_t offset)
{
	return file_rw(f, write, buf, len, offset, UVFIO_RW_MMAP);
}

/*
 * read/write/readv/... of a device: through a bounce buffer, in chunks the
 * protocol carries; offset -1 for the file position.
 */
static ssize_t file_rwv(const struct shim_file *f, bool write, const struct iovec *uiov, int iovcnt,
			int64_t offset)
{
	size_t total = 0, done = 0;
	char small[512];
	char *bounce;
	ssize_t ret = 0;

	if (iovcnt < 0 || iovcnt > IOV_MAX)
		return -EINVAL;
	for (int i = 0; i < iovcnt; i++) {
		if (uiov[i].iov_len > SSIZE_MAX - total)
			return -EINVAL;
		total += uiov[i].iov_len;
	}
	if (!total)
		return shim_file_rw(f, write, small, 0,
				    offset); /* the driver sees it (vfs_write) */

	bounce = total <= sizeof(small) ? small : malloc(min(total, (size_t)UVFIO_RW_CHUNK));
	if (!bounce)
		return -ENOMEM;

	/* Walk the user's iovecs chunk by chunk: (vi, vo) is the position in them. */
	for (int vi = 0, vo = 0; done < total;) {
		size_t chunk = min(total - done, (size_t)UVFIO_RW_CHUNK);
		size_t got = 0;
		int ci = vi, co = vo;

		if (write) {
			while (got < chunk) {
				size_t n = min(uiov[ci].iov_len - (size_t)co, chunk - got);

				if (shim_copy_from_user(bounce + got,
							(uintptr_t)uiov[ci].iov_base + (size_t)co,
							n)) {
					ret = -EFAULT;
					goto out;
				}
				got += n;
				co += (int)n;
				if ((size_t)co == uiov[ci].iov_len) {
					ci++;
					co = 0;
				}
			}
		}

		ret = shim_file_rw(f, write, bounce, chunk, offset);
		if (ret < 0)
			goto out;

		/* Reads: scatter what came back. */
		for (got = 0; got < (size_t)ret;) {
			size_t n = min(uiov[vi].iov_len - (size_t)vo, (size_t)ret - got);

			if (!write && shim_copy_to_user((uintptr_t)uiov[vi].iov_base + (size_t)vo,
							bounce + got, n)) {
				ret = -EFAULT;
				goto out;
			}
			got += n;
			vo += (int)n;
			if ((size_t)vo == uiov[vi].iov_len) {
				vi++;
				vo = 0;
			}
		}
		done += (size_t)ret;
		if (offset >= 0)
			offset += ret;
		if ((size_t)ret < chunk)
			break;
	}
out:
	if (bounce != small)
		free(bounce);
	return done ? (ssize_t)done : ret;
}

static ssize_t file_rw1(const struct shim_file *f, bool write, const void *buf, size_t len,
			int64_t offset)
{
	struct iovec iov = { (void *)buf, len };

	return file_rwv(f, write, &iov, 1, offset);
}

static off_t file_lseek(const struct shim_file *f, off_t offset, int whence)
{
	struct uvfio_lseek_req req = { .offset = offset, .whence = whence };
	struct iovec iov = { &req, sizeof(req) };
	struct uvfio_lseek_rep rep;
	struct shim_msg m = {
		.type = UVFIO_MSG_LSEEK,
		.req = &iov,
		.nreq = 1,
		.rep = &rep,
		.rep_size = sizeof(rep),
	};
	int ret;

	ret = shim_call(f, &m);
	if (ret)
		return ret;
	if (m.result < 0)
		return m.result;
	if (m.rep_len != sizeof(rep) || rep.pos < 0)
		return -EIO;
	return rep.pos;
}

static int file_fstat(const struct shim_file *f, struct stat *st)
{
	struct uvfio_fstat_rep rep;
	struct shim_msg m = {
		.type = UVFIO_MSG_FSTAT,
		.rep = &rep,
		.rep_size = sizeof(rep),
	};
	int ret;

	ret = shim_call(f, &m);
	if (ret)
		return ret;
	if (m.result < 0)
		return m.result;
	if (m.rep_len != sizeof(rep))
		return -EIO;

	/*
	 * Ownership and times are the socket's (the daemon's user, like the
	 * node's owner under `uvfio run`); the rest is a character device's.
	 */
	if (REAL(fstat)(f->fd, st))
		return -errno;
	st->st_mode = rep.mode;
	st->st_rdev = makedev(rep.rdev_major, rep.rdev_minor);
	st->st_nlink = 1;
	st->st_size = 0;
	st->st_blocks = 0;
	st->st_blksize = 4096;
	return 0;
}

int shim_fd_stat(int fd, struct stat *st)
{
	struct shim_file f;
	int saved = errno;
	int ret;

	if (!shim_file_get(fd, &f))
		return 1;
	ret = file_fstat(&f, st);
	if (!ret)
		errno = saved;
	return (int)shim_ret(ret);
}

int shim_fd_statx(int fd, unsigned int mask, struct statx *stx)
{
	struct stat st;
	int ret = shim_fd_stat(fd, &st);

	if (ret)
		return ret;
	memset(stx, 0, sizeof(*stx));
	stx->stx_mask = STATX_BASIC_STATS & ~(unsigned int)STATX_BTIME;
	stx->stx_blksize = (uint32_t)st.st_blksize;
	stx->stx_nlink = (uint32_t)st.st_nlink;
	stx->stx_uid = st.st_uid;
	stx->stx_gid = st.st_gid;
	stx->stx_mode = (uint16_t)st.st_mode;
	stx->stx_ino = st.st_ino;
	stx->stx_atime = (struct statx_timestamp){ .tv_sec = st.st_atim.tv_sec,
						   .tv_nsec = (uint32_t)st.st_atim.tv_nsec };
	stx->stx_mtime = (struct statx_timestamp){ .tv_sec = st.st_mtim.tv_sec,
						   .tv_nsec = (uint32_t)st.st_mtim.tv_nsec };
	stx->stx_ctime = (struct statx_timestamp){ .tv_sec = st.st_ctim.tv_sec,
						   .tv_nsec = (uint32_t)st.st_ctim.tv_nsec };
	stx->stx_rdev_major = major(st.st_rdev);
	stx->stx_rdev_minor = minor(st.st_rdev);
	stx->stx_dev_major = major(st.st_dev);
	stx->stx_dev_minor = minor(st.st_dev);
	return 0;
}

/* ===========================================================================
 * libc wrappers: exported, and the only place errno is set for the caller.
 */

/* Commands the VFS answers for every file before the driver sees them (do_vfs_ioctl). */
static bool ioctl_is_vfs(unsigned long cmd)
{
	return cmd == FIOCLEX || cmd == FIONCLEX || cmd == FIONBIO || cmd == FIOASYNC;
}

SHIM_EXPORT int ioctl(int fd, unsigned long request, ...)
{
	struct shim_file f;
	unsigned long arg;
	va_list ap;
	int saved = errno;
	int ret;

	va_start(ap, request);
	arg = va_arg(ap, unsigned long);
	va_end(ap);

	if (!shim_file_get(fd, &f) || ioctl_is_vfs(request))
		return REAL(ioctl)(fd, request, arg);
	ret = file_ioctl(&f, (unsigned int)request, arg);
	if (ret >= 0)
		errno = saved;
	return (int)shim_ret(ret);
}

/* Evaluates expr (a count or -errno) and converts it, leaving errno alone on success. */
#define RW_RET(expr)                      \
	({                                \
		int _saved = errno;       \
		ssize_t _ret = (expr);    \
		if (_ret >= 0)            \
			errno = _saved;   \
		(ssize_t) shim_ret(_ret); \
	})

SHIM_EXPORT ssize_t read(int fd, void *buf, size_t count)
{
	struct shim_file f;

	if (!shim_file_get(fd, &f))
		return REAL(read)(fd, buf, count);
	return RW_RET(file_rw1(&f, false, buf, count, -1));
}

SHIM_EXPORT ssize_t write(int fd, const void *buf, size_t count)
{
	struct shim_file f;

	if (!shim_file_get(fd, &f))
		return REAL(write)(fd, buf, count);
	return RW_RET(file_rw1(&f, true, buf, count, -1));
}

/* pread/pwrite: a negative offset is EINVAL before the driver sees it (ksys_pread64). */
static ssize_t file_prw(const struct shim_file *f, bool write, const void *buf, size_t count,
			off_t offset)
{
	if (offset < 0)
		return -EINVAL;
	return file_rw1(f, write, buf, count, offset);
}

SHIM_EXPORT ssize_t pread(int fd, void *buf, size_t count, off_t offset)
{
	struct shim_file f;

	if (!shim_file_get(fd, &f))
		return REAL(pread)(fd, buf, count, offset);
	return RW_RET(file_prw(&f, false, buf, count, offset));
}

SHIM_EXPORT ssize_t pread64(int fd, void *buf, size_t count, off64_t offset)
{
	struct shim_file f;

	if (!shim_file_get(fd, &f))
		return REAL(pread64)(fd, buf, count, offset);
	return RW_RET(file_prw(&f, false, buf, count, offset));
}

SHIM_EXPORT ssize_t pwrite(int fd, const void *buf, size_t count, off_t offset)
{
	struct shim_file f;

	if (!shim_file_get(fd, &f))
		return REAL(pwrite)(fd, buf, count, offset);
	return RW_RET(file_prw(&f, true, buf, count, offset));
}

SHIM_EXPORT ssize_t pwrite64(int fd, const void *buf, size_t count, off64_t offset)
{
	struct shim_file f;

	if (!shim_file_get(fd, &f))
		return REAL(pwrite64)(fd, buf, count, offset);
	return RW_RET(file_prw(&f, true, buf, count, offset));
}

/* Fortified callers (-D_FORTIFY_SOURCE) reach read/pread through these. */
ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen);
ssize_t __pread_chk(int fd, void *buf, size_t nbytes, off_t offset, size_t buflen);
ssize_t __pread64_chk(int fd, void *buf, size_t nbytes, off64_t offset, size_t buflen);

SHIM_EXPORT ssize_t __read_chk(int fd, void *buf, size_t nbytes, size_t buflen)
{
	struct shim_file f;

	if (nbytes > buflen || !shim_file_get(fd, &f))
		return REAL(__read_chk)(fd, buf, nbytes, buflen);
	return RW_RET(file_rw1(&f, false, buf, nbytes, -1));
}

SHIM_EXPORT ssize_t __pread_chk(int fd, void *buf, size_t nbytes, off_t offset, size_t buflen)
{
	struct shim_file f;

	if (nbytes > buflen || !shim_file_get(fd, &f))
		return REAL(__pread_chk)(fd, buf, nbytes, offset, buflen);
	return RW_RET(file_prw(&f, false, buf, nbytes, offset));
}

SHIM_EXPORT ssize_t __pread64_chk(int fd, void *buf, size_t nbytes, off64_t offset, size_t buflen)
{
	struct shim_file f;

	if (nbytes > buflen || !shim_file_get(fd, &f))
		return REAL(__pread64_chk)(fd, buf, nbytes, offset, buflen);
	return RW_RET(file_prw(&f, false, buf, nbytes, offset));
}

/*
 * Vectored forms: the kernel loops over the segments calling ->read/->write
 * (do_loop_readv_writev) for a driver without read_iter, as vfio's files are.
 * RWF_* flags need FMODE_NOWAIT and friends, which they do not have.
 */
static ssize_t file_prwv(const struct shim_file *f, bool write, const struct iovec *iov, int iovcnt,
			 off_t offset, int flags, bool positioned)
{
	if (flags)
		return -EOPNOTSUPP;
	if (positioned && offset < 0) {
		if (offset != -1)
			return -EINVAL;
		offset = -1; /* preadv2/pwritev2: -1 means the file position */
	}
	return file_rwv(f, write, iov, iovcnt, positioned ? offset : -1);
}

SHIM_EXPORT ssize_t readv(int fd, const struct iovec *iov, int iovcnt)
{
	struct shim_file f;

	if (!shim_file_get(fd, &f))
		return REAL(readv)(fd, iov, iovcnt);
	return RW_RET(file_prwv(&f, false, iov, iovcnt, 0, 0, false));
}

SHIM_EXPORT ssize_t writev(int fd, const struct iovec *iov, int iovcnt)
{
	struct shim_file f;

	if (!shim_file_get(fd, &f))
		return REAL(writev)(fd, iov, iovcnt);
	return RW_RET(file_prwv(&f, true, iov, iovcnt, 0, 0, false));
}

#define WRAP_PRWV(name, write, otype)                                                       \
	SHIM_EXPORT ssize_t name(int fd, const struct iovec *iov, int iovcnt, otype offset) \
	{                                                                                   \
		struct shim_file f;                                                         \
                                                                                            \
		if (!shim_file_get(fd, &f))                                                 \
			return REAL(name)(fd, iov, iovcnt, offset);                         \
		if (offset < 0)                                                             \
			return RW_RET(-EINVAL);                                             \
		return RW_RET(file_prwv(&f, write, iov, iovcnt, offset, 0, true));          \
	}

#define WRAP_PRWV2(name, write, otype)                                                      \
	SHIM_EXPORT ssize_t name(int fd, const struct iovec *iov, int iovcnt, otype offset, \
				 int flags)                                                 \
	{                                                                                   \
		struct shim_file f;                                                         \
                                                                                            \
		if (!shim_file_get(fd, &f))                                                 \
			return REAL(name)(fd, iov, iovcnt, offset, flags);                  \
		return RW_RET(file_prwv(&f, write, iov, iovcnt, offset, flags, true));      \
	}

WRAP_PRWV(preadv, false, off_t)
WRAP_PRWV(pwritev, true, off_t)
WRAP_PRWV(preadv64, false, off64_t)
WRAP_PRWV(pwritev64, true, off64_t)
WRAP_PRWV2(preadv2, false, off_t)
WRAP_PRWV2(pwritev2, true, off_t)
WRAP_PRWV2(preadv64v2, false, off64_t)
WRAP_PRWV2(pwritev64v2, true, off64_t)

SHIM_EXPORT off_t lseek(int fd, off_t offset, int whence)
{
	struct shim_file f;
	int saved = errno;
	off_t ret;

	if (!shim_file_get(fd, &f))
		return REAL(lseek)(fd, offset, whence);
	ret = file_lseek(&f, offset, whence);
	if (ret >= 0)
		errno = saved;
	return shim_ret(ret);
}

SHIM_EXPORT off64_t lseek64(int fd, off64_t offset, int whence)
{
	struct shim_file f;
	int saved = errno;
	off_t ret;

	if (!shim_file_get(fd, &f))
		return REAL(lseek64)(fd, offset, whence);
	ret = file_lseek(&f, offset, whence);
	if (ret >= 0)
		errno = saved;
	return shim_ret(ret);
}

SHIM_EXPORT int fstat(int fd, struct stat *st)
{
	int ret = shim_fd_stat(fd, st);

	return ret == 1 ? REAL(fstat)(fd, st) : ret;
}

SHIM_EXPORT int fstat64(int fd, struct stat64 *st)
{
	int ret = shim_fd_stat(fd, (struct stat *)st);

	return ret == 1 ? REAL(fstat64)(fd, st) : ret;
}

/* Binaries built against glibc < 2.33 call these (ver is _STAT_VER, the kernel's struct stat). */
int __fxstat(int ver, int fd, struct stat *st);
int __fxstat64(int ver, int fd, struct stat64 *st);

SHIM_EXPORT int __fxstat(int ver, int fd, struct stat *st)
{
	int ret = shim_fd_stat(fd, st);

	return ret == 1 ? REAL(__fxstat)(ver, fd, st) : ret;
}

SHIM_EXPORT int __fxstat64(int ver, int fd, struct stat64 *st)
{
	int ret = shim_fd_stat(fd, (struct stat *)st);

	return ret == 1 ? REAL(__fxstat64)(ver, fd, st) : ret;
}

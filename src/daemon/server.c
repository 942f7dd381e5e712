// SPDX-License-Identifier: MIT
/*
 * The bootstrap socket ($dir/uvfiod.sock, in a 0700 directory). A program's
 * open() of a /dev/vfio node connects here and sends OPEN; the daemon opens
 * the node in the world as the caller, starts a session for the new file
 * and passes the session's client end back. Only the daemon's own user (or
 * root) may connect (SO_PEERCRED). Each bootstrap connection gets its own
 * short-lived thread with a receive timeout, so a silent client stalls no one.
 */
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/un.h>
#include <unistd.h>

#include "base/chrdev.h"
#include "uvfio/uvfio.h"
#include "uvfiod.h"
#include "world.h"

struct bootstrap {
	struct uvfiod *d;
	int fd;
};

static int bootstrap_reply(int fd, s32 result, int pass_fd)
{
	return send_reply(fd, UVFIO_MSG_OPEN, result, NULL, 0, pass_fd);
}

static void bootstrap_serve(struct uvfiod *d, int fd)
{
	struct ucred cred = { 0 };
	socklen_t clen = sizeof(cred);
	struct uvfio_msg_hdr hdr;
	struct uvfio_open_req req;
	char path[UVFIO_PATH_MAX + 1], comm[16];
	const struct uvfio_writer *prev;
	struct uvfio_writer who;
	struct file *file;
	int client_fd, ret;
	size_t got = 0;

	/* Header and OPEN body arrive together in practice; read them whole. */
	while (got < sizeof(hdr)) {
		ssize_t n = recv(fd, (char *)&hdr + got, sizeof(hdr) - got, 0);

		if (n <= 0)
			return;
		got += (size_t)n;
	}
	if (hdr.magic != UVFIO_PROTO_MAGIC || hdr.version != UVFIO_PROTO_VERSION ||
	    hdr.type != UVFIO_MSG_OPEN || hdr.len < sizeof(req) ||
	    hdr.len > sizeof(req) + UVFIO_PATH_MAX) {
		bootstrap_reply(fd, -EPROTO, -1);
		return;
	}
	got = 0;
	while (got < hdr.len) {
		char *dst = got < sizeof(req) ? (char *)&req + got : path + (got - sizeof(req));
		size_t want = got < sizeof(req) ? sizeof(req) - got : hdr.len - got;
		ssize_t n = recv(fd, dst, want, 0);

		if (n <= 0)
			return;
		got += (size_t)n;
	}
	if (req.path_len != hdr.len - sizeof(req)) {
		bootstrap_reply(fd, -EPROTO, -1);
		return;
	}
	path[req.path_len] = '\0';
	if (strlen(path) != req.path_len) {
		bootstrap_reply(fd, -EINVAL, -1); /* an embedded NUL */
		return;
	}
	getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen);
	/* A group closed just before this open must be free again, as on Linux. */
	sessions_settle(d);
	/* The opener is the open's `current` (its name: /dev/kmsg's ratelimit message). */
	remote_read_comm(cred.pid, comm, sizeof(comm));
	who = (struct uvfio_writer){ .pid = cred.pid, .comm = comm };
	prev = set_current_writer(&who);
	ret = chrdev_open(&d->world->chrdevs, path, (int)req.flags, &file);
	set_current_writer(prev);
	world_trace(d->world, "{\"op\":\"open\",\"pid\":%d,\"path\":\"%s\",\"result\":%d}",
		    (int)cred.pid, path, ret);
	if (ret) {
		bootstrap_reply(fd, ret, -1);
		return;
	}
	ret = session_start(d, file, cred.pid, &client_fd);
	if (ret) {
		bootstrap_reply(fd, ret, -1);
		return;
	}
	bootstrap_reply(fd, 0, client_fd);
	/* Our copy goes; the client holds the session's end now (or EOF releases it). */
	close(client_fd);
}

static void *bootstrap_thread(void *arg)
{
	struct bootstrap *b = arg;
	struct uvfiod *d = b->d;

	bootstrap_serve(d, b->fd);
	close(b->fd);
	free(b);
	mutex_lock(&d->lock);
	d->nthreads--;
	d->nbootstrap--;
	pthread_cond_broadcast(&d->idle);
	mutex_unlock(&d->lock);
	return NULL;
}

int uvfiod_accept(int listen_fd)
{
	for (;;) {
		int fd = accept4(listen_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd >= 0)
			return fd;
		switch (errno) {
		case EINTR:
		case ECONNABORTED:
		case EPROTO:
			continue;
		case EMFILE:
		case ENFILE:
		case ENOBUFS:
		case ENOMEM:
			/* Descriptors or memory run out: others' closes make room again. */
			usleep(UVFIOD_ACCEPT_BACKOFF_MS * 1000);
			continue;
		default:
			return -1; /* EINVAL: the listening socket was shut down */
		}
	}
}

void uvfiod_raise_nofile(void)
{
	struct rlimit rl;

	if (!getrlimit(RLIMIT_NOFILE, &rl) && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
}

static void *accept_thread(void *arg)
{
	struct uvfiod *d = arg;

	for (;;) {
		struct timeval tv = { .tv_sec = UVFIOD_FRAME_DEADLINE_MS / 1000 };
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct bootstrap *b;
		pthread_attr_t attr;
		pthread_t thread;
		int fd = uvfiod_accept(d->listen_fd);

		if (fd < 0)
			break; /* the listening socket was shut down */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
		    (cred.uid != d->uid && cred.uid != 0)) {
			close(fd);
			continue;
		}
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		mutex_lock(&d->lock);
		if (d->stopping) {
			mutex_unlock(&d->lock);
			close(fd);
			break;
		}
		if (d->nbootstrap >= UVFIOD_MAX_PENDING_CONNS) {
			/* Shed the newest: those already being read finish within the deadline. */
			mutex_unlock(&d->lock);
			close(fd);
			continue;
		}
		d->nthreads++;
		d->nbootstrap++;
		mutex_unlock(&d->lock);
		b = xzalloc(sizeof(*b));
		b->d = d;
		b->fd = fd;
		pthread_attr_init(&attr);
		pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
		if (pthread_create(&thread, &attr, bootstrap_thread, b)) {
			close(fd);
			free(b);
			mutex_lock(&d->lock);
			d->nthreads--;
			d->nbootstrap--;
			pthread_cond_broadcast(&d->idle);
			mutex_unlock(&d->lock);
		}
		pthread_attr_destroy(&attr);
	}
	return NULL;
}

int server_start(struct uvfiod *d)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };

	if (strlen(d->sock_path) >= sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	strcpy(addr.sun_path, d->sock_path);
	d->listen_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (d->listen_fd < 0)
		return -errno;
	unlink(d->sock_path);
	if (bind(d->listen_fd, (struct sockaddr *)&addr, sizeof(addr)) ||
	    listen(d->listen_fd, 64)) {
		int ret = -errno;

		close(d->listen_fd);
		d->listen_fd = -1;
		return ret;
	}
	if (pthread_create(&d->accept_thread, NULL, accept_thread, d)) {
		close(d->listen_fd);
		d->listen_fd = -1;
		return -EAGAIN;
	}
	return 0;
}

void server_stop(struct uvfiod *d)
{
	if (d->listen_fd < 0)
		return;
	shutdown(d->listen_fd, SHUT_RDWR);
	pthread_join(d->accept_thread, NULL);
	close(d->listen_fd);
	d->listen_fd = -1;
	unlink(d->sock_path);
}

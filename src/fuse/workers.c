// SPDX-License-Identifier: MIT
/*
 * FUSE session workers that a stop eventfd ends (workers.h).
 */
#define FUSE_USE_VERSION 312

#include <fuse_lowlevel.h>

#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "workers.h"

struct fuse_workers {
	struct fuse_session *se;
	int stop_fd; /* an eventfd: readable once fuse_workers_stop() began */
	int max;
	void (*before)(void *arg);
	void *before_arg;

	pthread_mutex_t lock; /* the fields below */
	int nthreads; /* started; threads[0..nthreads) are joinable */
	int idle; /* waiting for a request */
	pthread_t *threads;
};

static void *fuse_worker(void *arg);

/* A worker more, if all are busy and the bound allows. Called with fw->lock. */
static void fuse_workers_grow(struct fuse_workers *fw)
{
	if (fw->idle || fw->nthreads >= fw->max)
		return;
	if (pthread_create(&fw->threads[fw->nthreads], NULL, fuse_worker, fw))
		return; /* the busy ones will serve it in turn */
	fw->nthreads++;
	fw->idle++;
}

static void *fuse_worker(void *arg)
{
	struct fuse_workers *fw = arg;
	struct fuse_buf buf = { .mem = NULL };
	struct pollfd p[2] = {
		{ .fd = fuse_session_fd(fw->se), .events = POLLIN },
		{ .fd = fw->stop_fd, .events = POLLIN },
	};
	int ret;

	for (;;) {
		if (poll(p, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (p[1].revents || fuse_session_exited(fw->se))
			break;
		/* Non-blocking: another worker may have taken this request. */
		ret = fuse_session_receive_buf(fw->se, &buf);
		if (ret == -EAGAIN || ret == -EINTR)
			continue;
		if (ret <= 0) /* 0: the filesystem is gone (ENODEV) */
			break;
		pthread_mutex_lock(&fw->lock);
		fw->idle--;
		fuse_workers_grow(fw);
		pthread_mutex_unlock(&fw->lock);
		if (fw->before)
			fw->before(fw->before_arg);
		fuse_session_process_buf(fw->se, &buf);
		pthread_mutex_lock(&fw->lock);
		fw->idle++;
		pthread_mutex_unlock(&fw->lock);
	}
	free(buf.mem);
	return NULL;
}

int fuse_workers_start(struct fuse_session *se, int max, void (*before)(void *arg), void *arg,
		       struct fuse_workers **out)
{
	struct fuse_workers *fw = calloc(1, sizeof(*fw));
	int fd = fuse_session_fd(se), flags, started;

	if (!fw)
		return -ENOMEM;
	fw->se = se;
	fw->max = max > 0 ? max : 1;
	fw->before = before;
	fw->before_arg = arg;
	fw->threads = calloc((size_t)fw->max, sizeof(*fw->threads));
	fw->stop_fd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	flags = fcntl(fd, F_GETFL);
	if (!fw->threads || fw->stop_fd < 0 || flags < 0 ||
	    fcntl(fd, F_SETFL, flags | O_NONBLOCK)) {
		if (fw->stop_fd >= 0)
			close(fw->stop_fd);
		free(fw->threads);
		free(fw);
		return -ENOMEM;
	}
	pthread_mutex_init(&fw->lock, NULL);
	pthread_mutex_lock(&fw->lock);
	fuse_workers_grow(fw);
	started = fw->nthreads; /* the first worker may grow the pool at once */
	pthread_mutex_unlock(&fw->lock);
	if (!started) {
		fuse_workers_stop(fw);
		return -EAGAIN;
	}
	*out = fw;
	return 0;
}

void fuse_workers_stop(struct fuse_workers *fw)
{
	uint64_t one = 1;
	int n;

	if (write(fw->stop_fd, &one, sizeof(one)) != sizeof(one)) {
		/* an eventfd counter far from overflow: cannot fail */
	}
	/* No worker starts another once the stop is readable: nthreads is final
	 * after each of the ones we know has been joined. */
	for (int i = 0;; i++) {
		pthread_mutex_lock(&fw->lock);
		n = fw->nthreads;
		pthread_mutex_unlock(&fw->lock);
		if (i >= n)
			break;
		pthread_join(fw->threads[i], NULL);
	}
	close(fw->stop_fd);
	pthread_mutex_destroy(&fw->lock);
	free(fw->threads);
	free(fw);
}

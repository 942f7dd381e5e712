// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <stdio.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include "loop.h"
#include "mutex.h"

struct loop {
	pthread_t thread;
	int epfd;
	int wakefd;
	pthread_mutex_t lock;
	pthread_cond_t idle; /* signalled after each callback and when the queue drains */
	struct list_head works; /* sorted by due_ns; protected by lock */
	struct work *running_work; /* protected by lock */
	struct loop_watch *running_watch; /* protected by lock */
	u64 generation; /* bumped after each callback; protected by lock */
	bool stop;
	char name[16];
};

static void loop_wake(struct loop *loop)
{
	u64 one = 1;

	if (write(loop->wakefd, &one, sizeof(one)) < 0) {
		/* counter full: a wake-up is pending anyway */
	}
}

void INIT_WORK(struct work *work, void (*fn)(struct work *work))
{
	memset(work, 0, sizeof(*work));
	work->fn = fn;
	INIT_LIST_HEAD(&work->node);
}

static bool __queue(struct loop *loop, struct work *work, long delay_ms)
{
	struct work *pos;

	pthread_mutex_lock(&loop->lock);
	if (work->pending) {
		pthread_mutex_unlock(&loop->lock);
		return false;
	}
	work->pending = true;
	work->due_ns = now_ns() + (u64)(delay_ms > 0 ? delay_ms : 0) * 1000000ull;
	list_for_each_entry(pos, &loop->works, node) {
		if (pos->due_ns > work->due_ns)
			break;
	}
	list_add_tail(&work->node, &pos->node);
	pthread_mutex_unlock(&loop->lock);
	loop_wake(loop);
	return true;
}

bool queue_work(struct loop *loop, struct work *work)
{
	return __queue(loop, work, 0);
}

bool queue_delayed_work(struct loop *loop, struct work *work, long delay_ms)
{
	return __queue(loop, work, delay_ms);
}

bool loop_is_current(struct loop *loop)
{
	return pthread_equal(pthread_self(), loop->thread);
}

bool cancel_work_sync(struct loop *loop, struct work *work)
{
	bool was_pending;

	pthread_mutex_lock(&loop->lock);
	was_pending = work->pending;
	if (work->pending) {
		list_del_init(&work->node);
		work->pending = false;
	}
	while (loop->running_work == work && !loop_is_current(loop))
		pthread_cond_wait(&loop->idle, &loop->lock);
	pthread_mutex_unlock(&loop->lock);
	return was_pending;
}

void loop_flush(struct loop *loop)
{
	u64 now = now_ns();

	pthread_mutex_lock(&loop->lock);
	for (;;) {
		struct work *first = list_first_entry_or_null(&loop->works, struct work, node);

		if ((!first || first->due_ns > now) && !loop->running_work)
			break;
		pthread_cond_wait(&loop->idle, &loop->lock);
	}
	pthread_mutex_unlock(&loop->lock);
}

int loop_add_watch(struct loop *loop, struct loop_watch *watch)
{
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = watch };

	if (epoll_ctl(loop->epfd, EPOLL_CTL_ADD, watch->fd, &ev) < 0)
		return -errno;
	return 0;
}

void loop_del_watch_sync(struct loop *loop, struct loop_watch *watch)
{
	epoll_ctl(loop->epfd, EPOLL_CTL_DEL, watch->fd, NULL);
	pthread_mutex_lock(&loop->lock);
	/*
	 * epoll may have returned this watch in a batch being processed: bump the
	 * generation wait so a stale pointer from that batch is never called.
	 */
	while (loop->running_watch == watch && !loop_is_current(loop))
		pthread_cond_wait(&loop->idle, &loop->lock);
	loop->generation++;
	pthread_mutex_unlock(&loop->lock);
}

static int loop_timeout_ms(struct loop *loop)
{
	struct work *first = list_first_entry_or_null(&loop->works, struct work, node);
	u64 now;

	if (!first)
		return -1;
	now = now_ns();
	if (first->due_ns <= now)
		return 0;
	return (int)DIV_ROUND_UP(first->due_ns - now, 1000000ull);
}

static void loop_run_due(struct loop *loop)
{
	for (;;) {
		struct work *w = list_first_entry_or_null(&loop->works, struct work, node);

		if (!w || w->due_ns > now_ns())
			break;
		list_del_init(&w->node);
		w->pending = false;
		loop->running_work = w;
		pthread_mutex_unlock(&loop->lock);
		w->fn(w);
		pthread_mutex_lock(&loop->lock);
		loop->running_work = NULL;
		pthread_cond_broadcast(&loop->idle);
	}
	pthread_cond_broadcast(&loop->idle);
}

static void *loop_thread(void *arg)
{
	struct loop *loop = arg;
	struct epoll_event evs[16];

	pthread_mutex_lock(&loop->lock);
	while (!loop->stop) {
		int timeout = loop_timeout_ms(loop), n;
		u64 gen;

		pthread_mutex_unlock(&loop->lock);
		n = epoll_wait(loop->epfd, evs, ARRAY_SIZE(evs), timeout);
		pthread_mutex_lock(&loop->lock);
		gen = loop->generation;
		for (int i = 0; i < n; i++) {
			struct loop_watch *watch = evs[i].data.ptr;

			if (!watch) {
				u64 v;

				if (read(loop->wakefd, &v, sizeof(v)) < 0) {
					/* spurious */
				}
				continue;
			}
			if (loop->generation != gen)
				break; /* a watch was removed: the rest of the batch may be stale */
			loop->running_watch = watch;
			pthread_mutex_unlock(&loop->lock);
			watch->fn(watch, evs[i].events);
			pthread_mutex_lock(&loop->lock);
			loop->running_watch = NULL;
			pthread_cond_broadcast(&loop->idle);
		}
		loop_run_due(loop);
	}
	pthread_mutex_unlock(&loop->lock);
	return NULL;
}

struct loop *loop_new(const char *name)
{
	struct loop *loop = xzalloc(sizeof(*loop));
	struct epoll_event ev = { .events = EPOLLIN, .data.ptr = NULL };
	pthread_condattr_t a;

	loop->epfd = epoll_create1(EPOLL_CLOEXEC);
	loop->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (loop->epfd < 0 || loop->wakefd < 0)
		abort();
	epoll_ctl(loop->epfd, EPOLL_CTL_ADD, loop->wakefd, &ev);
	pthread_mutex_init(&loop->lock, NULL);
	pthread_condattr_init(&a);
	pthread_cond_init(&loop->idle, &a);
	pthread_condattr_destroy(&a);
	INIT_LIST_HEAD(&loop->works);
	snprintf(loop->name, sizeof(loop->name), "%s", name ? name : "uvfio-loop");
	if (pthread_create(&loop->thread, NULL, loop_thread, loop))
		abort();
	pthread_setname_np(loop->thread, loop->name);
	return loop;
}

void loop_free(struct loop *loop)
{
	if (!loop)
		return;
	pthread_mutex_lock(&loop->lock);
	loop->stop = true;
	pthread_mutex_unlock(&loop->lock);
	loop_wake(loop);
	pthread_join(loop->thread, NULL);
	close(loop->epfd);
	close(loop->wakefd);
	pthread_cond_destroy(&loop->idle);
	pthread_mutex_destroy(&loop->lock);
	free(loop);
}

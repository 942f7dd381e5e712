/* SPDX-License-Identifier: MIT */
/*
 * A world's background context: one thread that runs deferred work (device
 * models' DMA engines and timers, deferred puts) and watches descriptors (the
 * unmask eventfds of INTx, ioeventfds). It plays the kernel's workqueues and
 * the wait-queue callbacks of virqfd.
 *
 * Lock order: callers may hold any lock when queueing; work and watch callbacks
 * run with no loop lock held. cancel_work_sync()/loop_del_watch_sync() must not
 * be called from the callback they wait for.
 */
#ifndef UVFIO_SHARED_LOOP_H
#define UVFIO_SHARED_LOOP_H

#include <pthread.h>
#include <stdbool.h>

#include "list.h"
#include "macro.h"

struct loop;

struct work {
	void (*fn)(struct work *work);
	struct list_head node; /* protected by loop->lock */
	u64 due_ns;
	bool pending; /* protected by loop->lock */
};

struct loop_watch {
	int fd;
	/* Called from the loop thread with the epoll events (EPOLLIN, EPOLLHUP, ...). */
	void (*fn)(struct loop_watch *watch, u32 events);
};

struct loop *loop_new(const char *name);
/* Stops the thread after running the work that is already due. */
void loop_free(struct loop *loop);

void INIT_WORK(struct work *work, void (*fn)(struct work *work));
/* Returns false if the work was already pending. */
bool queue_work(struct loop *loop, struct work *work);
bool queue_delayed_work(struct loop *loop, struct work *work, long delay_ms);
/* Removes pending work; waits for it if it is running. True if it was pending. */
bool cancel_work_sync(struct loop *loop, struct work *work);
/* Waits until every work item due now (and what it queued with no delay) ran. */
void loop_flush(struct loop *loop);
bool loop_is_current(struct loop *loop);

int loop_add_watch(struct loop *loop, struct loop_watch *watch);
/* Stops watching; waits if the callback is running on another thread. */
void loop_del_watch_sync(struct loop *loop, struct loop_watch *watch);

#endif /* UVFIO_SHARED_LOOP_H */

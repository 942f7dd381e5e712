/* SPDX-License-Identifier: MIT */
/*
 * An eventfd a caller handed in (SET_IRQS, ...): the core keeps its own
 * duplicate of the descriptor and signals it by writing to it, as the kernel's
 * eventfd_signal() does. Reference counted: several triggers may share one.
 */
#ifndef UVFIO_SHARED_EVENTFD_H
#define UVFIO_SHARED_EVENTFD_H

#include "kref.h"
#include "macro.h"

struct eventfd_ctx {
	struct kref kref;
	int fd; /* our own descriptor for the caller's eventfd */
};

/* Takes ownership of fd (which must be an eventfd). */
struct eventfd_ctx *eventfd_ctx_from_fd(int fd);
/* Duplicates fd after checking it is an eventfd: -EBADF / -EINVAL as the kernel. */
struct eventfd_ctx *eventfd_ctx_fdget(int fd);
struct eventfd_ctx *eventfd_ctx_get(struct eventfd_ctx *ctx);
void eventfd_ctx_put(struct eventfd_ctx *ctx);
void eventfd_signal(struct eventfd_ctx *ctx);
/* True if fd refers to an eventfd. */
bool fd_is_eventfd(int fd);

#endif /* UVFIO_SHARED_EVENTFD_H */

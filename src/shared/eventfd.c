// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "eventfd.h"

bool fd_is_eventfd(int fd)
{
	char path[64], target[64];
	ssize_t n;

	snprintf(path, sizeof(path), "/proc/self/fd/%d", fd);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		return false;
	target[n] = '\0';
	return strcmp(target, "anon_inode:[eventfd]") == 0;
}

struct eventfd_ctx *eventfd_ctx_from_fd(int fd)
{
	struct eventfd_ctx *ctx = xzalloc(sizeof(*ctx));

	kref_init(&ctx->kref);
	ctx->fd = fd;
	return ctx;
}

struct eventfd_ctx *eventfd_ctx_fdget(int fd)
{
	int copy;

	if (fd < 0 || fcntl(fd, F_GETFD) < 0)
		return ERR_PTR(-EBADF);
	if (!fd_is_eventfd(fd))
		return ERR_PTR(-EINVAL);
	copy = fcntl(fd, F_DUPFD_CLOEXEC, 0);
	if (copy < 0)
		return ERR_PTR(-errno);
	return eventfd_ctx_from_fd(copy);
}

struct eventfd_ctx *eventfd_ctx_get(struct eventfd_ctx *ctx)
{
	kref_get(&ctx->kref);
	return ctx;
}

static void eventfd_ctx_release(struct kref *kref)
{
	struct eventfd_ctx *ctx = container_of(kref, struct eventfd_ctx, kref);

	close(ctx->fd);
	free(ctx);
}

void eventfd_ctx_put(struct eventfd_ctx *ctx)
{
	if (ctx)
		kref_put(&ctx->kref, eventfd_ctx_release);
}

void eventfd_signal(struct eventfd_ctx *ctx)
{
	u64 one = 1;

	/* A full counter (EAGAIN) means the signal is already pending: nothing lost. */
	if (write(ctx->fd, &one, sizeof(one)) < 0 && errno != EAGAIN) {
		/* the caller's eventfd is gone or broken: like the kernel, drop it silently */
	}
}

/* SPDX-License-Identifier: MIT */
/*
 * The threads that serve a FUSE session, and that can be stopped while the
 * filesystem is still mounted somewhere.
 *
 * libfuse's own loop ends only when the kernel says the filesystem is gone,
 * and the kernel says so only once every mount of it is: a `uvfio run`
 * sandbox (a private mount namespace) holds its own copy of the mount, so
 * a daemon that unmounts its tree would wait for every attached program to
 * exit. These workers wait on the session's descriptor and on a stop
 * eventfd together; stopped, they leave, and closing the session's
 * descriptor (fuse_session_destroy) then aborts the connection
 * (fuse_dev_release() in the kernel's fs/fuse/dev.c): every copy answers
 * ENOTCONN from then on, as a FUSE mount whose server died does.
 *
 * Workers are started on demand, up to max: one request that blocks in the
 * core (an unbind waiting in ask/take) holds one worker and stalls nothing
 * else. Lock order: fuse_workers->lock is a leaf, never held while a
 * request runs.
 */
#ifndef UVFIO_FUSE_WORKERS_H
#define UVFIO_FUSE_WORKERS_H

struct fuse_session;
struct fuse_workers;

/*
 * Serves se from at least one worker; each calls before(arg), if set, ahead
 * of every request it serves. 0 or a negative errno.
 */
int fuse_workers_start(struct fuse_session *se, int max, void (*before)(void *arg), void *arg,
		       struct fuse_workers **out);
/* Makes every worker leave after the request it runs, and joins them. */
void fuse_workers_stop(struct fuse_workers *fw);

#endif /* UVFIO_FUSE_WORKERS_H */

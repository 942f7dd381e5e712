/* SPDX-License-Identifier: MIT */
/*
 * uvfiod: the daemon that plays the kernel for unmodified programs.
 *
 *   server.c   the bootstrap socket: OPEN creates a file and hands back its
 *              connection (one end of a socketpair) with SCM_RIGHTS
 *   session.c  one thread per open file: reads requests, runs them on the
 *              core as the caller, replies; EOF = the last close = release
 *   remote.c   the caller as a struct task: its memory (inline payload,
 *              else /proc/PID/mem), its descriptors (pidfd_getfd), new
 *              descriptors (GET_DEVICE_FD) passed back in the reply
 *   pinned.c   MAP_DMA ranges of shared file memory, mapped here too, so
 *              device DMA into them is a plain copy
 *   main.c     options, the world, FUSE, signals, orderly shutdown
 *
 * Lock order: uvfiod->lock is a leaf (sessions list, mm cache); no core lock
 * is ever taken while holding it.
 */
#ifndef UVFIO_DAEMON_UVFIOD_H
#define UVFIO_DAEMON_UVFIOD_H

#include <limits.h>
#include <stdatomic.h>
#include <stdio.h>
#include <pthread.h>
#include <sys/types.h>

#include "base/file.h"
#include "shared/list.h"
#include "shared/mutex.h"
#include "uvfio/uvfio-proto.h"

struct uvfio_world;

struct uvfiod {
	struct uvfio_world *world;
	char dir[PATH_MAX - 64];
	char sock_path[PATH_MAX];
	int listen_fd;
	pthread_t accept_thread;
	uid_t uid;
	pid_t pid;

	struct mutex lock; /* below */
	pthread_cond_t idle; /* signalled when a session ends */
	struct list_head sessions; /* of struct session */
	int hangup_ep; /* epoll set of every session's socket, EPOLLRDHUP; see sessions_settle() */
	unsigned int nthreads; /* session and bootstrap threads alive */
	struct list_head mms; /* of struct remote_mm, by pid */
	bool stopping;

	int ctl_fd; /* the control socket, $dir/ctl.sock */
	pthread_t ctl_thread;
	struct list_head ctl_conns; /* control connections being served; d->lock */
	unsigned int nctl; /* entries of ctl_conns; d->lock */
	unsigned int nbootstrap; /* bootstrap connections being read; d->lock */
	struct mutex trace_lock; /* a leaf: trace_fds */
	int trace_fds[16];
	unsigned int ntrace;
};

/* An open file served on one connection. */
struct session {
	struct uvfiod *d;
	struct list_head node; /* d->sessions, protected by d->lock */
	int fd; /* the daemon's end */
	dev_t peer_dev;
	ino_t peer_ino; /* the client's end: what pidfd_getfd of its fd shows */
	struct file *file; /* the session's reference */
	pid_t opener; /* the process that opened it (open or GET_DEVICE_FD) */
	bool passpidfd; /* the kernel names each request's sender by pidfd (SO_PASSPIDFD) */
};

/* The caller of one request. */
struct remote_call {
	struct task task;
	struct uvfiod *d;
	int pidfd; /* the sender's, from its message (not owned) */
	int procfd; /* the sender's /proc/PID directory (not owned) */
	u64 win_addr; /* the inline payload: the caller's bytes at win_addr */
	const u8 *win;
	u32 win_len;
	u8 *writes; /* uvfio_write_rec records + data, built for the reply */
	size_t writes_len;
	u32 nwrites;
	int out_fd; /* a descriptor to pass back (GET_DEVICE_FD), or -1 */
	int backing_fd; /* the file behind a MAP_DMA range (not owned), or -1 */
	struct uvfio_mem_backing backing; /* what the caller says backing_fd backs */
};

/* session.c */
int session_start(struct uvfiod *d, struct file *file, pid_t opener, int *client_fd);
struct file *session_lookup_file(struct uvfiod *d, dev_t dev, ino_t ino);
/* A reply (header, body, optionally one descriptor with SCM_RIGHTS): 0 or -EPIPE. */
int send_reply(int fd, u16 type, s32 result, const void *body, size_t len, int pass_fd);
/* One line per open file: what it is and who opened it. */
void sessions_describe(struct uvfiod *d, FILE *out);
void sessions_shutdown(struct uvfiod *d);
/*
 * Waits until every file whose last descriptor is closed has been released
 * (at most SETTLE_MAX_MS: a release may wait for a request in flight). On
 * Linux the release runs before close() returns; here the session thread
 * sees the hang-up a moment later, so every request, open, sysfs access and
 * control command settles first. See docs/design.md, "Release at close".
 */
#define SETTLE_MAX_MS 2000
void sessions_settle(struct uvfiod *d);

/* remote.c */
/*
 * The caller of one request, identified by pidfd (its sender's, taken when
 * the message was sent); probe_addr: an address its payload came from, or 0.
 * -ESRCH when the sender is gone.
 */
int remote_call_init(struct remote_call *call, struct uvfiod *d, int pidfd, pid_t pid, uid_t uid,
		     u64 probe_addr);
void remote_call_destroy(struct remote_call *call);
void remote_mms_destroy(struct uvfiod *d);
void remote_read_comm(pid_t pid, char *buf, size_t size);

/* pinned.c: MAP_DMA ranges backed by a file the caller shares (task_ops.pin_user_pages). */
struct pinned_pages *remote_pin_user_pages(struct task *t, u64 vaddr, u64 len, bool write);
/* Installs the SIGBUS guard that copies into shared pages rely on; once, at start. */
int pinned_pages_init(void);

/* trace.c */
void trace_line(void *arg, const char *line);

/* trace_decode.c: an ioctl's trace line, its arguments and results decoded. */
struct trace_ioctl {
	pid_t pid;
	const char *file; /* the file's kind: "vfio-container", "[vfio-device]", ... */
	const char *dev; /* a device file's device, or NULL */
	unsigned int cmd;
	unsigned long arg;
	const u8 *in; /* the caller's bytes at arg, len of them */
	const u8 *res; /* the same bytes after the call */
	size_t len;
	long result;
};
size_t trace_ioctl_line(char *buf, size_t size, const struct trace_ioctl *t);
void trace_add_listener(struct uvfiod *d, int fd);
void trace_close_all(struct uvfiod *d);

/* control.c: $dir/ctl.sock, the CLI's verbs on a running daemon. */
int control_start(struct uvfiod *d);
void control_stop(struct uvfiod *d);

/*
 * Limits that keep one client from stopping the daemon for everyone else
 * (docs/design.md, "Trust model"): a connection that sends part of a request
 * has UVFIOD_FRAME_DEADLINE_MS to send the rest; at most
 * UVFIOD_MAX_PENDING_CONNS bootstrap and UVFIOD_MAX_PENDING_CONNS control
 * connections are read at once (more are closed at accept); an accept that
 * fails for lack of descriptors or memory backs off UVFIOD_ACCEPT_BACKOFF_MS
 * and goes on.
 */
#define UVFIOD_FRAME_DEADLINE_MS 5000
#define UVFIOD_MAX_PENDING_CONNS 256
#define UVFIOD_ACCEPT_BACKOFF_MS 10

/*
 * accept4() for the daemon's listening sockets: -1 only when fd was shut
 * down (the daemon stops); an error that lack of descriptors or memory
 * causes backs off and tries again, so a client that fills the table delays
 * others but never stops the loop.
 */
int uvfiod_accept(int fd);
/* Raises RLIMIT_NOFILE's soft limit to its hard limit. */
void uvfiod_raise_nofile(void);

/* server.c */
int server_start(struct uvfiod *d);
void server_stop(struct uvfiod *d);

/* main.c: `uvfio daemon` and uvfiod share it. */
struct uvfiod_config {
	const char *dir; /* --dir */
	const char *machine; /* --machine, or NULL: the built-in machine */
	bool fuse; /* not --no-fuse */
	int ready_fd; /* --ready-fd, or -1 */
	bool remove_dir; /* rmdir DIR at exit though it existed (uvfio run's mkdtemp) */
};
int uvfiod_main(int argc, char **argv);
/* Serves until SIGTERM or SIGINT; leaves nothing behind in cfg->dir. */
int uvfiod_serve(const struct uvfiod_config *cfg);

#endif /* UVFIO_DAEMON_UVFIOD_H */

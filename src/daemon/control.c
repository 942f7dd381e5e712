// SPDX-License-Identifier: MIT
/*
 * The control socket ($dir/ctl.sock): the `uvfio` CLI's verbs on a running
 * daemon. One command line per connection; the reply is text and ends when
 * the daemon closes the connection (`trace` streams until the client goes).
 * A reply starting with "error: " is a failure. Only the daemon's user (or
 * root) may connect.
 *
 *   tree                       devices, groups, drivers, and who holds what
 *   bind BDF DRIVER            echo BDF > /sys/bus/pci/drivers/DRIVER/bind
 *   unbind BDF                 echo BDF > its driver's unbind (may block)
 *   override BDF DRIVER|none   echo DRIVER > .../BDF/driver_override
 *   unplug BDF                 hot-removal (a vfio-pci user is asked with REQ and
 *                              waited for, as by unbind); plug brings it back
 *   plug BDF                   put an unplugged function back and rescan its bus
 *   kill-holder BDF            SIGKILL every process holding BDF's VFIO device file
 *   mdev-parent add MODEL NAME [KEY=VALUE...]
 *                              a new mdev parent of the vendor model MODEL
 *   mdev-parent remove NAME    unregister it (waits for its instances' VFIO users)
 *   mdev-parent list           the parents in /sys/class/mdev_bus and their types
 *   trace                      one JSON object a line per uAPI call and sysfs write
 *
 * A blocking verb (unbind, unplug, mdev-parent remove) runs as the connected client: its pid and
 * comm are the writer's, and the client going away is the writer's signal (the
 * core logs it and keeps waiting; the operation completes when the holder lets
 * go, and the reply goes nowhere).
 */
#include <dirent.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "uvfio/uvfio.h"
#include "uvfiod.h"
#include "vfio/vfio.h"

struct control_conn {
	struct uvfiod *d;
	struct list_head node; /* d->ctl_conns, protected by d->lock */
	int fd;
	struct uvfio_writer who;
	char comm[32];
};

/* The client hung up: what a signal is to a writer blocked in the kernel. */
static int control_client_gone(void *arg)
{
	struct control_conn *c = arg;
	struct pollfd p = { .fd = c->fd, .events = POLLRDHUP };

	return poll(&p, 1, 0) > 0 && (p.revents & (POLLRDHUP | POLLHUP | POLLERR));
}

#define MAX_HOLDERS 32

struct holder {
	pid_t pid;
	char comm[32];
};

/*
 * The processes holding BDF's VFIO device file: every process with a
 * descriptor on the client end of a device-file session (fork, dup and fd
 * passing included), found in /proc; the opener when /proc says nothing.
 */
static int find_holders(struct uvfiod *d, const char *bdf, struct holder *out, int max)
{
	struct {
		dev_t dev;
		ino_t ino;
		pid_t opener;
	} ends[MAX_HOLDERS];
	int nends = 0, n = 0;
	struct session *s;
	struct dirent *pe;
	DIR *proc;

	mutex_lock(&d->lock);
	list_for_each_entry(s, &d->sessions, node) {
		struct vfio_device *vdev = vfio_device_from_file(s->file);

		if (vdev && !strcmp(dev_name(vdev->dev), bdf) && nends < MAX_HOLDERS) {
			ends[nends].dev = s->peer_dev;
			ends[nends].ino = s->peer_ino;
			ends[nends].opener = s->opener;
			nends++;
		}
	}
	mutex_unlock(&d->lock);
	if (!nends)
		return 0;
	proc = opendir("/proc");
	while (proc && (pe = readdir(proc)) && n < max) {
		char path[300];
		struct dirent *fe;
		pid_t pid = (pid_t)atoi(pe->d_name);
		bool holds = false;
		DIR *fds;

		if (pid <= 0 || pid == getpid())
			continue;
		snprintf(path, sizeof(path), "/proc/%d/fd", (int)pid);
		fds = opendir(path);
		while (fds && !holds && (fe = readdir(fds))) {
			struct stat st;

			if (fe->d_name[0] == '.')
				continue;
			snprintf(path, sizeof(path), "/proc/%d/fd/%s", (int)pid, fe->d_name);
			if (stat(path, &st))
				continue;
			for (int i = 0; i < nends; i++)
				if (st.st_dev == ends[i].dev && st.st_ino == ends[i].ino)
					holds = true;
		}
		if (fds)
			closedir(fds);
		if (holds) {
			out[n].pid = pid;
			remote_read_comm(pid, out[n].comm, sizeof(out[n].comm));
			n++;
		}
	}
	if (proc)
		closedir(proc);
	for (int i = 0; i < nends && !n; i++) {
		out[n].pid = ends[i].opener;
		remote_read_comm(ends[i].opener, out[n].comm, sizeof(out[n].comm));
		n++;
	}
	return n;
}

/* Unbinds and removals waiting for a VFIO user, with who waits and who holds. */
static void describe_blocked(struct uvfiod *d, FILE *out)
{
	struct uvfio_blocked b[16];
	int n = uvfio_world_blocked(d->world, b, (int)ARRAY_SIZE(b));

	if (!n)
		return;
	fprintf(out, "blocked\n");
	for (int i = 0; i < n && i < (int)ARRAY_SIZE(b); i++) {
		struct holder h[MAX_HOLDERS];
		int nh = find_holders(d, b[i].dev, h, MAX_HOLDERS);

		fprintf(out,
			"  %s  unbind/unplug by \"%s\" (pid %d) waiting %llu.%01llu s, %u request%s\n",
			b[i].dev, b[i].writer_comm, (int)b[i].writer_pid, b[i].since_ms / 1000,
			(b[i].since_ms % 1000) / 100, b[i].requests, b[i].requests == 1 ? "" : "s");
		for (int j = 0; j < nh; j++)
			fprintf(out,
				"    held by pid %d (%s): kill it or close its device file "
				"(uvfio kill-holder %s)\n",
				(int)h[j].pid, h[j].comm[0] ? h[j].comm : "?", b[i].dev);
	}
}

static void reply_errno(FILE *out, const char *what, ssize_t ret)
{
	if (ret < 0)
		fprintf(out, "error: %s: %s\n", what, strerror((int)-ret));
	else
		fprintf(out, "ok\n");
}

static bool valid_name(const char *s)
{
	if (!*s || strlen(s) > 63)
		return false;
	for (; *s; s++)
		if (*s == '/' || *s == '\n' || (unsigned char)*s < 0x20)
			return false;
	return true;
}

/* One type of a parent: "  mtty-1  available_instances 24  devices 0  name ...". */
struct mdev_list_ctx {
	struct uvfiod *d;
	FILE *out;
	char dir[512];
	unsigned int count;
};

static int mdev_count_entry(void *arg, const char *name, const struct uvfio_sysfs_stat *st)
{
	(void)name;
	(void)st;
	((struct mdev_list_ctx *)arg)->count++;
	return 0;
}

static void mdev_read_attr(struct uvfiod *d, const char *path, char *buf, size_t size)
{
	ssize_t n = uvfio_sysfs_read(d->world, path, buf, size - 1);

	if (n < 0)
		n = 0;
	buf[n] = '\0';
	buf[strcspn(buf, "\n")] = '\0';
}

static int mdev_list_type(void *arg, const char *name, const struct uvfio_sysfs_stat *st)
{
	struct mdev_list_ctx *ctx = arg, devs = { .d = ctx->d };
	char path[700], avail[32], tname[128];

	(void)st;
	snprintf(path, sizeof(path), "%s/%s/available_instances", ctx->dir, name);
	mdev_read_attr(ctx->d, path, avail, sizeof(avail));
	snprintf(path, sizeof(path), "%s/%s/name", ctx->dir, name);
	mdev_read_attr(ctx->d, path, tname, sizeof(tname));
	snprintf(path, sizeof(path), "%s/%s/devices", ctx->dir, name);
	uvfio_sysfs_readdir(ctx->d->world, path, mdev_count_entry, &devs);
	fprintf(ctx->out, "  %s  available_instances %s  devices %u  name %s\n", name, avail,
		devs.count, tname);
	return 0;
}

static int mdev_list_parent(void *arg, const char *name, const struct uvfio_sysfs_stat *st)
{
	struct mdev_list_ctx *ctx = arg, types = { .d = ctx->d, .out = ctx->out };
	char path[300], link[300];
	ssize_t n;

	(void)st;
	snprintf(path, sizeof(path), "/sys/class/mdev_bus/%s", name);
	n = uvfio_sysfs_readlink(ctx->d->world, path, link, sizeof(link) - 1);
	link[n < 0 ? 0 : n] = '\0';
	fprintf(ctx->out, "%s  %s\n", name, link);
	snprintf(types.dir, sizeof(types.dir), "%s/mdev_supported_types", path);
	uvfio_sysfs_readdir(ctx->d->world, types.dir, mdev_list_type, &types);
	ctx->count++;
	return 0;
}

/* mdev-parent add|remove|list: parents coming and going at run time. */
static void control_mdev_parent(struct control_conn *c, int argc, char **argv, FILE *out)
{
	struct uvfiod *d = c->d;
	char what[128], err[256] = "", params[512] = "";
	size_t len = 0;
	int ret;

	if (argc >= 4 && !strcmp(argv[1], "add")) {
		for (int i = 4; i < argc; i++)
			len += (size_t)snprintf(params + len, sizeof(params) - len, "%s%s",
						i > 4 ? " " : "", argv[i]);
		ret = uvfio_mdev_parent_add(d->world, argv[2], argv[3], params, err, sizeof(err));
		if (ret < 0 && err[0]) {
			fprintf(out, "error: mdev-parent add %s %s: %s: %s\n", argv[2], argv[3],
				strerror(-ret), err);
		} else {
			snprintf(what, sizeof(what), "mdev-parent add %s %s", argv[2], argv[3]);
			reply_errno(out, what, ret);
		}
	} else if (argc == 3 && !strcmp(argv[1], "remove")) {
		snprintf(what, sizeof(what), "mdev-parent remove %s", argv[2]);
		reply_errno(out, what, uvfio_mdev_parent_remove(d->world, argv[2], &c->who));
	} else if (argc == 2 && !strcmp(argv[1], "list")) {
		struct mdev_list_ctx ctx = { .d = d, .out = out };

		ret = uvfio_sysfs_readdir(d->world, "/sys/class/mdev_bus", mdev_list_parent, &ctx);
		if (ret < 0 && ret != -ENOENT)
			reply_errno(out, "/sys/class/mdev_bus", ret);
	} else {
		fprintf(out, "error: usage: mdev-parent add MODEL NAME [KEY=VALUE...] | "
			     "remove NAME | list\n");
	}
}

#define CONTROL_MAX_ARGS 16

static void control_command(struct control_conn *c, char *line, FILE *out)
{
	struct uvfiod *d = c->d;
	int fd = c->fd;
	char *argv[CONTROL_MAX_ARGS] = { 0 }, path[256];
	int argc = 0;

	for (char *tok = strtok(line, " \t\r\n"); tok; tok = strtok(NULL, " \t\r\n")) {
		if (argc == CONTROL_MAX_ARGS) {
			fprintf(out, "error: too many arguments\n");
			return;
		}
		argv[argc++] = tok;
	}
	if (!argc) {
		fprintf(out, "error: empty command\n");
		return;
	}
	for (int i = 1; i < argc; i++) {
		if (!valid_name(argv[i])) {
			fprintf(out, "error: bad argument\n");
			return;
		}
	}
	if (!strcmp(argv[0], "tree") && argc == 1) {
		uvfio_world_print_tree(d->world, out);
		fprintf(out, "open files\n");
		sessions_describe(d, out);
		describe_blocked(d, out);
	} else if (!strcmp(argv[0], "bind") && argc == 3) {
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", argv[2]);
		reply_errno(out, path,
			    uvfio_sysfs_pwrite_as(d->world, &c->who, path, argv[1], strlen(argv[1]),
						  0));
	} else if (!strcmp(argv[0], "unbind") && argc == 2) {
		char link[200];
		ssize_t n;

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver", argv[1]);
		n = uvfio_sysfs_readlink(d->world, path, link, sizeof(link) - 1);
		if (n < 0) {
			reply_errno(out, path, n);
			return;
		}
		link[n] = '\0';
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/unbind",
			 strrchr(link, '/') ? strrchr(link, '/') + 1 : link);
		reply_errno(out, path,
			    uvfio_sysfs_pwrite_as(d->world, &c->who, path, argv[1], strlen(argv[1]),
						  0));
	} else if (!strcmp(argv[0], "override") && argc == 3) {
		const char *val = strcmp(argv[2], "none") ? argv[2] : "\n";

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", argv[1]);
		reply_errno(out, path,
			    uvfio_sysfs_pwrite_as(d->world, &c->who, path, val, strlen(val), 0));
	} else if (!strcmp(argv[0], "unplug") && argc == 2) {
		snprintf(path, sizeof(path), "unplug %s", argv[1]);
		reply_errno(out, path, uvfio_pci_unplug(d->world, argv[1], &c->who));
	} else if (!strcmp(argv[0], "plug") && argc == 2) {
		snprintf(path, sizeof(path), "plug %s", argv[1]);
		reply_errno(out, path, uvfio_pci_plug(d->world, argv[1]));
	} else if (!strcmp(argv[0], "kill-holder") && argc == 2) {
		struct holder h[MAX_HOLDERS];
		int nh = find_holders(d, argv[1], h, MAX_HOLDERS);

		if (!nh)
			fprintf(out, "error: kill-holder %s: nobody holds its device file\n",
				argv[1]);
		for (int i = 0; i < nh; i++) {
			int r = kill(h[i].pid, SIGKILL);

			fprintf(out, "pid %d (%s): %s\n", (int)h[i].pid, h[i].comm,
				r ? strerror(errno) : "killed");
		}
	} else if (!strcmp(argv[0], "mdev-parent") && argc >= 2) {
		control_mdev_parent(c, argc, argv, out);
	} else if (!strcmp(argv[0], "trace") && argc == 1) {
		fflush(out);
		trace_add_listener(d, dup(fd));
	} else {
		fprintf(out,
			"error: unknown command '%s' (tree, bind, unbind, override, unplug, plug, "
			"kill-holder, mdev-parent, trace)\n",
			argv[0]);
	}
}

static void *control_thread_one(void *arg)
{
	struct control_conn *c = arg;
	char line[512];
	size_t got = 0;
	FILE *out;

	while (got < sizeof(line) - 1) {
		ssize_t n = recv(c->fd, line + got, sizeof(line) - 1 - got, 0);

		if (n <= 0)
			break;
		got += (size_t)n;
		if (memchr(line, '\n', got))
			break;
	}
	line[got] = '\0';
	out = fdopen(dup(c->fd), "w");
	if (out) {
		sessions_settle(c->d); /* `uvfio tree` after a close shows its release */
		control_command(c, line, out);
		fclose(out);
	}
	mutex_lock(&c->d->lock);
	list_del(&c->node);
	c->d->nctl--;
	pthread_cond_broadcast(&c->d->idle);
	mutex_unlock(&c->d->lock);
	close(c->fd);
	free(c);
	return NULL;
}

static void *control_accept(void *arg)
{
	struct uvfiod *d = arg;

	for (;;) {
		struct ucred cred;
		socklen_t len = sizeof(cred);
		struct control_conn *c;
		pthread_t thread;
		struct timeval tv = { .tv_sec = UVFIOD_FRAME_DEADLINE_MS / 1000 };
		int fd = uvfiod_accept(d->ctl_fd);

		if (fd < 0)
			break; /* shut down: the daemon stops */
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
		    (cred.uid != d->uid && cred.uid != 0)) {
			close(fd);
			continue;
		}
		c = xzalloc(sizeof(*c));
		c->d = d;
		c->fd = fd;
		remote_read_comm(cred.pid, c->comm, sizeof(c->comm));
		c->who = (struct uvfio_writer){
			.pid = cred.pid,
			.comm = c->comm,
			.interrupted = control_client_gone,
			.arg = c,
		};
		/*
		 * Detached: an unbind may block for as long as a program holds the
		 * device. control_stop() waits for the list to empty instead of a join.
		 */
		/* The command line has the frame deadline; the command itself may block. */
		setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &tv, sizeof(tv));
		mutex_lock(&d->lock);
		if (d->nctl >= UVFIOD_MAX_PENDING_CONNS) {
			mutex_unlock(&d->lock);
			close(fd);
			free(c);
			continue;
		}
		list_add_tail(&c->node, &d->ctl_conns);
		d->nctl++;
		mutex_unlock(&d->lock);
		if (pthread_create(&thread, NULL, control_thread_one, c)) {
			mutex_lock(&d->lock);
			list_del(&c->node);
			d->nctl--;
			mutex_unlock(&d->lock);
			close(fd);
			free(c);
			continue;
		}
		pthread_detach(thread);
	}
	return NULL;
}

int control_start(struct uvfiod *d)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	int n = snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/ctl.sock", d->dir);

	if (n >= (int)sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	d->ctl_fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (d->ctl_fd < 0)
		return -errno;
	unlink(addr.sun_path);
	if (bind(d->ctl_fd, (struct sockaddr *)&addr, sizeof(addr)) || listen(d->ctl_fd, 16) ||
	    pthread_create(&d->ctl_thread, NULL, control_accept, d)) {
		close(d->ctl_fd);
		d->ctl_fd = -1;
		return -EADDRINUSE;
	}
	return 0;
}

void control_stop(struct uvfiod *d)
{
	struct control_conn *c;
	char path[PATH_MAX];

	if (d->ctl_fd < 0)
		return;
	shutdown(d->ctl_fd, SHUT_RDWR);
	pthread_join(d->ctl_thread, NULL);
	/*
	 * No new connection now. Hang up on the ones in flight (a client that never
	 * sends its line) and wait for their threads: they use the world, which
	 * goes next. Sessions are gone already, so no unbind still waits on a holder.
	 */
	mutex_lock(&d->lock);
	list_for_each_entry(c, &d->ctl_conns, node)
		shutdown(c->fd, SHUT_RDWR);
	while (!list_empty(&d->ctl_conns))
		mutex_cond_wait(&d->lock, &d->idle);
	mutex_unlock(&d->lock);
	close(d->ctl_fd);
	d->ctl_fd = -1;
	snprintf(path, sizeof(path), "%s/ctl.sock", d->dir);
	unlink(path);
	trace_close_all(d);
}

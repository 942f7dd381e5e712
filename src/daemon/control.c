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
 *   trace                      one JSON object a line per uAPI call and sysfs write
 */
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "uvfio/uvfio.h"
#include "uvfiod.h"

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

static void control_command(struct uvfiod *d, int fd, char *line, FILE *out)
{
	char *argv[4] = { 0 }, path[256];
	int argc = 0;

	for (char *tok = strtok(line, " \t\r\n"); tok && argc < 4; tok = strtok(NULL, " \t\r\n"))
		argv[argc++] = tok;
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
	} else if (!strcmp(argv[0], "bind") && argc == 3) {
		snprintf(path, sizeof(path), "/sys/bus/pci/drivers/%s/bind", argv[2]);
		reply_errno(out, path, uvfio_sysfs_write(d->world, path, argv[1], strlen(argv[1])));
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
		reply_errno(out, path, uvfio_sysfs_write(d->world, path, argv[1], strlen(argv[1])));
	} else if (!strcmp(argv[0], "override") && argc == 3) {
		const char *val = strcmp(argv[2], "none") ? argv[2] : "\n";

		snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", argv[1]);
		reply_errno(out, path, uvfio_sysfs_write(d->world, path, val, strlen(val)));
	} else if (!strcmp(argv[0], "trace") && argc == 1) {
		fflush(out);
		trace_add_listener(d, dup(fd));
	} else {
		fprintf(out, "error: unknown command '%s' (tree, bind, unbind, override, trace)\n",
			argv[0]);
	}
}

struct control_conn {
	struct uvfiod *d;
	int fd;
};

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
		control_command(c->d, c->fd, line, out);
		fclose(out);
	}
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
		int fd = accept4(d->ctl_fd, NULL, NULL, SOCK_CLOEXEC);

		if (fd < 0) {
			if (errno == EINTR || errno == ECONNABORTED)
				continue;
			break;
		}
		if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len) ||
		    (cred.uid != d->uid && cred.uid != 0)) {
			close(fd);
			continue;
		}
		c = xzalloc(sizeof(*c));
		c->d = d;
		c->fd = fd;
		/* Detached: an unbind may block for as long as a program holds the device. */
		if (pthread_create(&thread, NULL, control_thread_one, c)) {
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
	char path[PATH_MAX];

	if (d->ctl_fd < 0)
		return;
	shutdown(d->ctl_fd, SHUT_RDWR);
	pthread_join(d->ctl_thread, NULL);
	close(d->ctl_fd);
	d->ctl_fd = -1;
	snprintf(path, sizeof(path), "%s/ctl.sock", d->dir);
	unlink(path);
	trace_close_all(d);
}

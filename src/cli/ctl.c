// SPDX-License-Identifier: MIT
/*
 * The CLI's verbs on a running daemon, over its control socket
 * ($UVFIO_DIR/ctl.sock, or --dir DIR): tree, bind, unbind, override, unplug,
 * plug, kill-holder, mdev-parent, trace.
 */
#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"
#include "shared/private_dir.h"

int ctl_connect(const char *dir, int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char line[512] = "", err[PATH_MAX + 128];
	struct ucred cred = { 0 };
	socklen_t clen = sizeof(cred);
	size_t len = 0;
	int fd, ret;

	for (int i = 0; i < argc; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", i ? " " : "",
					argv[i]);
	if (len >= sizeof(line) - 2) {
		fprintf(stderr, "uvfio: command too long\n");
		return -2;
	}
	strcat(line, "\n");
	if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/ctl.sock", dir) >=
	    sizeof(addr.sun_path)) {
		fprintf(stderr, "uvfio: %s: path too long\n", dir);
		return -1;
	}
	/* A directory or socket someone else controls could answer for the daemon. */
	ret = private_dir_check(dir, geteuid(), true, NULL, err, sizeof(err));
	if ((ret && ret != -ENOENT) ||
	    (!ret && !access(addr.sun_path, F_OK) &&
	     private_socket_check(addr.sun_path, geteuid(), true, err, sizeof(err)))) {
		fprintf(stderr, "uvfio: --dir: %s\n", err);
		return -1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "uvfio: no daemon at %s: %s\n", addr.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return -1;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &clen) ||
	    (cred.uid != geteuid() && cred.uid != 0)) {
		fprintf(stderr,
			"uvfio: the daemon at %s runs as uid %u, not as this user or root\n", dir,
			(unsigned int)cred.uid);
		close(fd);
		return -1;
	}
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line)) {
		close(fd);
		return -1;
	}
	return fd;
}

int ctl_command(const char *dir, int argc, char **argv)
{
	bool failed = false, first = true;
	char buf[4096];
	int fd = ctl_connect(dir, argc, argv);

	if (fd < 0)
		return -fd;
	for (;;) {
		ssize_t n = recv(fd, buf, sizeof(buf), 0);

		if (n <= 0)
			break;
		if (first && n >= 7 && !strncmp(buf, "error: ", 7))
			failed = true;
		first = false;
		if (fwrite(buf, 1, (size_t)n, failed ? stderr : stdout) != (size_t)n)
			break;
		fflush(failed ? stderr : stdout);
	}
	close(fd);
	return failed ? 1 : 0;
}

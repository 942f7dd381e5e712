// SPDX-License-Identifier: MIT
/*
 * The CLI's verbs on a running daemon, over its control socket
 * ($UVFIO_DIR/ctl.sock, or --dir DIR): tree, bind, unbind, override, unplug,
 * plug, kill-holder, mdev-parent, trace.
 */
#include <errno.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "cli.h"

int ctl_command(const char *dir, int argc, char **argv)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	char line[512] = "", buf[4096];
	bool failed = false, first = true;
	size_t len = 0;
	int fd;

	for (int i = 0; i < argc; i++)
		len += (size_t)snprintf(line + len, sizeof(line) - len, "%s%s", i ? " " : "",
					argv[i]);
	if (len >= sizeof(line) - 2) {
		fprintf(stderr, "uvfio: command too long\n");
		return 2;
	}
	strcat(line, "\n");
	if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/ctl.sock", dir) >=
	    sizeof(addr.sun_path)) {
		fprintf(stderr, "uvfio: %s: path too long\n", dir);
		return 1;
	}
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0 || connect(fd, (struct sockaddr *)&addr, sizeof(addr))) {
		fprintf(stderr, "uvfio: no daemon at %s: %s\n", addr.sun_path, strerror(errno));
		if (fd >= 0)
			close(fd);
		return 1;
	}
	if (send(fd, line, strlen(line), MSG_NOSIGNAL) != (ssize_t)strlen(line)) {
		close(fd);
		return 1;
	}
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

// SPDX-License-Identifier: MIT
/*
 * Trace: every uAPI call and sysfs write with its result, one JSON object a
 * line, to every `uvfio trace` listening on the control socket. A listener
 * that cannot keep up (its socket buffer is full) or went away is dropped;
 * tracing never blocks a call.
 *
 * Every object has "op" first, then who ("pid") and what ("path", "dev",
 * "file"), then "result" where the call returns one:
 *   open, ioctl            uAPI calls (server.c, session.c); an ioctl's "name",
 *                          "args" and "out" decoded as strace does (trace_decode.c)
 *   read, write            region accesses {"dev","region","offset","len",
 *                          "value" (up to 8 bytes),"mmio" (a trapped load or store)}
 *   dma, irq               a device's DMA {"dev","iova","len","dir","result"}
 *                          and the interrupts it signals {"dev","index","vector"}
 *   sysfs_write            {"path","value","len","off","result"}
 *   request, released      the ask/take of a VFIO device unregistration
 *   unplug, plug           the control verbs
 *   kmsg                   the kernel's messages {"level","dev","msg"}, as
 *                          dmesg shows them; warnings and worse also go to
 *                          the daemon's log (stderr), as a quiet console's
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "uvfio/uvfio.h"
#include "uvfiod.h"

void trace_add_listener(struct uvfiod *d, int fd)
{
	mutex_lock(&d->trace_lock);
	if (d->ntrace < ARRAY_SIZE(d->trace_fds))
		d->trace_fds[d->ntrace++] = fd;
	else
		close(fd);
	uvfio_world_set_tracing(d->world, d->ntrace > 0);
	mutex_unlock(&d->trace_lock);
}

/*
 * A kmsg event's "msg", unescaped, to the log: "uvfiod: vfio-pci 0000:00:03.0: ...",
 * for levels up to warn (a console at loglevel 5); the rest is in dmesg.
 */
static void trace_log_kmsg(const char *line)
{
	static const char key[] = "\"msg\":\"";
	const char *p = strstr(line, key);
	char msg[1024];
	size_t o = 0;

	if (!p || strstr(line, "\"level\":\"notice\"") || strstr(line, "\"level\":\"info\"") ||
	    strstr(line, "\"level\":\"debug\""))
		return;
	for (p += sizeof(key) - 1; *p && *p != '"' && o < sizeof(msg) - 1; p++) {
		if (*p == '\\' && p[1]) {
			p++;
			msg[o++] = *p == 'n' ? '\n' : *p;
		} else {
			msg[o++] = *p;
		}
	}
	msg[o] = '\0';
	fprintf(stderr, "uvfiod: %s\n", msg);
}

void trace_line(void *arg, const char *line)
{
	struct uvfiod *d = arg;
	struct timespec ts;
	char buf[4096 + 64];
	int n;

	static const char kmsg[] = "{\"op\":\"kmsg\",";

	if (!strncmp(line, kmsg, sizeof(kmsg) - 1))
		trace_log_kmsg(line);
	mutex_lock(&d->trace_lock);
	if (!d->ntrace) {
		mutex_unlock(&d->trace_lock);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	/* Prefix a timestamp field into the caller's object: {"ts":...,<rest> */
	n = snprintf(buf, sizeof(buf), "{\"ts\":%lld.%06ld,%s\n", (long long)ts.tv_sec,
		     ts.tv_nsec / 1000, line[0] == '{' ? line + 1 : line);
	if (n > (int)sizeof(buf) - 1)
		n = (int)sizeof(buf) - 1;
	for (unsigned int i = 0; i < d->ntrace;) {
		if (send(d->trace_fds[i], buf, (size_t)n, MSG_NOSIGNAL | MSG_DONTWAIT) != n) {
			close(d->trace_fds[i]);
			d->trace_fds[i] = d->trace_fds[--d->ntrace];
			continue;
		}
		i++;
	}
	uvfio_world_set_tracing(d->world, d->ntrace > 0);
	mutex_unlock(&d->trace_lock);
}

void trace_close_all(struct uvfiod *d)
{
	mutex_lock(&d->trace_lock);
	while (d->ntrace)
		close(d->trace_fds[--d->ntrace]);
	uvfio_world_set_tracing(d->world, false);
	mutex_unlock(&d->trace_lock);
}

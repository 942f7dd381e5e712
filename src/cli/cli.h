/* SPDX-License-Identifier: MIT */
#ifndef UVFIO_CLI_H
#define UVFIO_CLI_H

struct uvfio_world;

/* The built-in example job: an edu DMA round trip and interrupts through the uAPI. */
int demo_run(struct uvfio_world *w);

/* run.c: uvfio run and uvfio daemon. */
int cmd_run(int argc, char **argv);
int cmd_daemon(int argc, char **argv);
int cmd_modprobe(int argc, char **argv);

/* ctl.c: a verb line sent to the daemon at dir; its reply printed. */
int ctl_command(const char *dir, int argc, char **argv);
/*
 * Sends the command line of argv on the daemon's control socket and returns
 * the connection, or -1 (-2: a usage error) having said why on stderr.
 */
int ctl_connect(const char *dir, int argc, char **argv);
/* trace.c: uvfio trace [--format text|json] [--dev BDF] [--kind KINDS]. */
int cmd_trace(const char *dir, int argc, char **argv);
extern const char trace_usage[];

#endif /* UVFIO_CLI_H */

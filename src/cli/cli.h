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

#endif /* UVFIO_CLI_H */

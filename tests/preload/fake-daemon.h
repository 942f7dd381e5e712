/* SPDX-License-Identifier: MIT */
/*
 * A fake uvfiod for the shim's unit tests: a forked child serving the wire
 * protocol (include/uvfio/uvfio-proto.h) on a socket in the test's tmpdir,
 * with canned answers:
 *
 *   /dev/vfio/vfio     container: GET_API_VERSION 0, CHECK_EXTENSION(TYPE1v2) 1,
 *                      SET_IOMMU 0, other VFIO cmds EINVAL, others ENOTTY
 *   /dev/vfio/1        group (one open at a time, else EBUSY): GET_STATUS writes
 *                      flags VIABLE|CONTAINER_SET, SET_CONTAINER wants an int
 *                      payload, GET_DEVICE_FD("0000:00:03.0") passes a device
 *                      (a name without NUL in 4096 bytes: EINVAL)
 *   /dev/vfio/<other>  ENOENT
 *   device             READ/WRITE/LSEEK on 64 KiB of registers (offset & 0xffff);
 *                      GET_INFO writes flags/num_regions/num_irqs;
 *                      GET_REGION_INFO answers with a write record outside the
 *                      request's window (a broken daemon); MMAP: page 0
 *                      trapped, the rest a memfd whose page 1 starts "MEMFD"
 *
 * A request whose struct payload is missing gets EFAULT (the real daemon would
 * try process_vm_readv and fail the same way for a bad pointer).
 */
#ifndef UVFIO_TESTS_FAKE_DAEMON_H
#define UVFIO_TESTS_FAKE_DAEMON_H

#include <sys/types.h>

#define FAKE_DEVICE_NAME "0000:00:03.0"

struct fake_daemon {
	pid_t pid;
	char path[108];
};

/* Starts the daemon and points the shim at it (UVFIO_SOCKET, UVFIO_DAEMON_PID). */
void fake_daemon_start(struct fake_daemon *d);
void fake_daemon_stop(struct fake_daemon *d);

#endif

/* SPDX-License-Identifier: MIT */
#ifndef UVFIO_SHARED_PROCMAPS_H
#define UVFIO_SHARED_PROCMAPS_H

#include <sys/types.h>

#include "macro.h"

/*
 * What pinning checks (get_user_pages): every page of [addr, addr + len) of
 * a process is mapped and readable, and writable when write is set.
 * 0 or -EFAULT. procfd is the process's /proc/<pid> directory, opened while
 * the process was known to be the right one (a directory of /proc stays
 * bound to its process: once it exits, its files fail, whoever takes the pid
 * next); its maps file is read.
 */
int procmaps_probe(int procfd, u64 addr, u64 len, bool write);

/*
 * Whether [addr, addr + len) of the process of procfd is one MAP_SHARED mapping of the
 * file (dev, ino) whose first byte is at file offset `offset`, writable when
 * write is set: 0 or -EFAULT. What the daemon checks before it trusts a
 * caller's claim about the file behind its memory.
 */
int procmaps_shared_file(int procfd, u64 addr, u64 len, dev_t dev, ino_t ino, u64 offset,
			 bool write);

#endif /* UVFIO_SHARED_PROCMAPS_H */

/* SPDX-License-Identifier: MIT */
/*
 * libuvfio-preload.so: initialisation, the environment and the real libc.
 *
 * `uvfio run` sets UVFIO_SOCKET (the daemon's bootstrap socket), UVFIO_ROOT
 * (its FUSE tree) and UVFIO_DAEMON_PID, and with --kvm UVFIO_KVM=1 (the
 * daemon's /dev/kvm instead of the host's); without UVFIO_SOCKET the shim is
 * inert and every wrapper passes straight through. The environment is read
 * once, at load time: a program that edits its own environment does not
 * change where its descriptors lead.
 *
 * The process-wide state below is the one piece of global mutable state uvfio
 * has: a preloaded library has no object to hang it from. It is written only
 * at load, in a forked child and by tests (shim_env_reload()).
 */
#include <errno.h>
#include <limits.h>
#include <pthread.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/un.h>
#include <unistd.h>

#include "preload/fds.h"
#include "preload/shim.h"

static struct {
	char socket[sizeof(((struct sockaddr_un *)0)->sun_path)];
	char root[PATH_MAX];
	pid_t daemon_pid;
	bool debug;
	bool kvm;
} shim_env;

void *shim_dlsym_next(const char *name)
{
	return dlsym(RTLD_NEXT, name);
}

const char *shim_socket_path(void)
{
	return shim_env.socket[0] ? shim_env.socket : NULL;
}

const char *shim_root(void)
{
	return shim_env.root[0] ? shim_env.root : NULL;
}

pid_t shim_daemon_pid(void)
{
	return shim_env.daemon_pid;
}

bool shim_kvm(void)
{
	return shim_env.kvm;
}

bool shim_active(void)
{
	return shim_env.socket[0] != '\0';
}

void shim_debug(const char *fmt, ...)
{
	char buf[512];
	va_list ap;
	int saved = errno;
	int n;

	if (!shim_env.debug)
		return;
	n = snprintf(buf, sizeof(buf), "uvfio-shim[%d]: ", (int)getpid());
	va_start(ap, fmt);
	n += vsnprintf(buf + n, sizeof(buf) - (size_t)n, fmt, ap);
	va_end(ap);
	if (n > (int)sizeof(buf) - 2)
		n = (int)sizeof(buf) - 2;
	buf[n++] = '\n';
	(void)!REAL(write)(STDERR_FILENO, buf, (size_t)n);
	errno = saved;
}

/* Copies an environment variable into dst; an over-long value leaves the shim inert. */
static void env_copy(char *dst, size_t size, const char *name)
{
	const char *v = getenv(name);

	dst[0] = '\0';
	if (v && strlen(v) < size)
		strcpy(dst, v);
}

/*
 * Yama (ptrace_scope 1) lets only ancestors ptrace a process; the daemon is
 * not ours, and it reaches our memory with process_vm_readv/writev.
 */
static void shim_allow_daemon(void)
{
	if (shim_env.daemon_pid > 0)
		(void)prctl(PR_SET_PTRACER, (unsigned long)shim_env.daemon_pid, 0, 0, 0);
}

void shim_env_reload(void)
{
	const char *pid;
	char *end;
	long v;
	int saved = errno;

	env_copy(shim_env.socket, sizeof(shim_env.socket), "UVFIO_SOCKET");
	env_copy(shim_env.root, sizeof(shim_env.root), "UVFIO_ROOT");
	shim_env.debug = getenv("UVFIO_SHIM_DEBUG") != NULL;
	pid = getenv("UVFIO_KVM");
	shim_env.kvm = pid && !strcmp(pid, "1");
	shim_env.daemon_pid = 0;
	pid = getenv("UVFIO_DAEMON_PID");
	if (pid && *pid) {
		errno = 0;
		v = strtol(pid, &end, 10);
		if (!errno && !*end && v > 0 && v <= INT_MAX)
			shim_env.daemon_pid = (pid_t)v;
	}
	shim_allow_daemon();
	shim_debug("socket=%s root=%s daemon=%d", shim_env.socket, shim_env.root,
		   (int)shim_env.daemon_pid);
	errno = saved;
}

/*
 * A child forked while another thread held a shim lock would wait on it for
 * ever: the child re-initialises them (the stream a conversation was using is
 * the parent thread's business). PR_SET_PTRACER does not survive fork.
 */
static void shim_atfork_child(void)
{
	shim_fds_atfork_child();
	shim_mmap_atfork_child();
	shim_dma_backing_atfork_child();
	shim_allow_daemon();
}

__attribute__((constructor)) static void shim_init(void)
{
	shim_env_reload();
	pthread_atfork(NULL, NULL, shim_atfork_child);
}

// SPDX-License-Identifier: MIT
/*
 * uvfiod: options, the world, the FUSE tree, signals and shutdown.
 *
 * Shutdown (SIGTERM, SIGINT) runs in kernel order: stop accepting, end every
 * session (each releases its file: devices, then groups, then containers),
 * unmount the tree, destroy the world (unbind, remove devices), remove the
 * socket. A daemon started with --ready-fd writes "ready\n" there once it
 * serves, so `uvfio run` knows when to start the program.
 */
#include <getopt.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/private_dir.h"
#include "uvfio/uvfio.h"
#include "uvfiod.h"
#if UVFIO_HAVE_FUSE
#include "uvfio_fuse.h"
#endif

static void usage(FILE *out)
{
	fputs("Usage: uvfio daemon --dir DIR [--machine FILE] [--no-fuse] [--ready-fd N]\n"
	      "\n"
	      "Runs the uvfio daemon: a world built from the machine (default: the built-in\n"
	      "q35 machine), served to programs that run with libuvfio-preload.so and\n"
	      "UVFIO_SOCKET=DIR/uvfiod.sock UVFIO_ROOT=DIR/root UVFIO_DAEMON_PID=<pid>.\n"
	      "\n"
	      "  -d, --dir DIR       the daemon's private directory: DIR/uvfiod.sock,\n"
	      "                      DIR/ctl.sock and the FUSE tree at DIR/root; created\n"
	      "                      mode 0700, or an existing directory (not a symlink)\n"
	      "                      of this user that its group and others cannot write\n"
	      "  -m, --machine FILE  a machine file (docs/machine-format.md)\n"
	      "      --no-fuse       do not mount the sysfs tree\n"
	      "      --ready-fd N    write \"ready\\n\" to descriptor N once serving\n"
	      "  -h, --help          this text\n"
	      "\n"
	      "SIGTERM or SIGINT shut it down, releasing every open file in kernel order.\n",
	      out);
}

int uvfiod_main(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "machine", required_argument, NULL, 'm' },
		{ "no-fuse", no_argument, NULL, 'F' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	struct uvfiod_config cfg = { .fuse = true, .ready_fd = -1 };
	int c;

	optind = 1;
	while ((c = getopt_long(argc, argv, "d:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'd':
			cfg.dir = optarg;
			break;
		case 'm':
			cfg.machine = optarg;
			break;
		case 'F':
			cfg.fuse = false;
			break;
		case 'r':
			cfg.ready_fd = atoi(optarg);
			break;
		case 'h':
			usage(stdout);
			return 0;
		default:
			usage(stderr);
			return 2;
		}
	}
	if (!cfg.dir || optind != argc) {
		usage(stderr);
		return 2;
	}
	return uvfiod_serve(&cfg);
}

static void settle_sessions(void *d)
{
	sessions_settle(d);
}

int uvfiod_serve(const struct uvfiod_config *cfg)
{
	const char *dir = cfg->dir;
	struct uvfio_machine *m = NULL;
	struct uvfiod d = { .listen_fd = -1, .ctl_fd = -1 };
	bool created;
	int sig, ret = 1;
	char err[512], root[PATH_MAX + 8];
	sigset_t set;
#if UVFIO_HAVE_FUSE
	struct uvfio_fuse *fs = NULL;
#endif

	if (strlen(dir) >= sizeof(d.dir)) {
		fprintf(stderr, "uvfiod: directory name too long\n");
		return 2;
	}

	/* Signals are taken synchronously by the main thread only. */
	sigemptyset(&set);
	sigaddset(&set, SIGTERM);
	sigaddset(&set, SIGINT);
	sigaddset(&set, SIGHUP);
	pthread_sigmask(SIG_BLOCK, &set, NULL);
	signal(SIGPIPE, SIG_IGN);
	uvfiod_raise_nofile();
	if (pinned_pages_init()) {
		fprintf(stderr, "uvfiod: cannot install the SIGBUS guard: %s\n", strerror(errno));
		return 1;
	}

	/* Ours alone, or refused: never a chmod of what someone else put there. */
	if (private_dir_make(dir, geteuid(), &created, err, sizeof(err))) {
		fprintf(stderr, "uvfiod: --dir: %s\n", err);
		return 1;
	}
	snprintf(d.dir, sizeof(d.dir), "%s", dir);
	snprintf(d.sock_path, sizeof(d.sock_path), "%s/uvfiod.sock", dir);
	d.uid = getuid();
	d.pid = getpid();
	mutex_init(&d.lock, "uvfiod->lock");
	mutex_cond_init(&d.idle);
	INIT_LIST_HEAD(&d.sessions);
	d.hangup_ep = epoll_create1(EPOLL_CLOEXEC);
	if (d.hangup_ep < 0) {
		fprintf(stderr, "uvfiod: epoll: %s\n", strerror(errno));
		return 1;
	}
	INIT_LIST_HEAD(&d.mms);
	INIT_LIST_HEAD(&d.ctl_conns);
	mutex_init(&d.trace_lock, "uvfiod->trace_lock");

	snprintf(root, sizeof(root), "%s/root", dir);
	if (cfg->machine) {
		if (uvfio_machine_load(cfg->machine, &m, err, sizeof(err))) {
			fprintf(stderr, "uvfiod: %s\n", err);
			goto out;
		}
	} else {
		m = uvfio_machine_default();
	}
	if (uvfio_world_create(m, &d.world, err, sizeof(err))) {
		fprintf(stderr, "uvfiod: %s\n", err);
		goto out;
	}
	/* Both before the tree is mounted: FUSE workers read them. */
	uvfio_world_set_trace(d.world, trace_line, &d);
	uvfio_world_set_settle(d.world, settle_sessions, &d);
#if UVFIO_HAVE_FUSE
	if (cfg->fuse) {
		mkdir(root, 0700);
		if (uvfio_fuse_mount(d.world, root, &fs)) {
			fprintf(stderr,
				"uvfiod: cannot mount the sysfs tree at %s; continuing "
				"without it\n",
				root);
			fs = NULL;
		}
	}
#endif
	ret = control_start(&d);
	if (!ret)
		ret = server_start(&d);
	if (ret) {
		fprintf(stderr, "uvfiod: %s: %s\n", d.sock_path, strerror(-ret));
		ret = 1;
		goto out_world;
	}
	if (cfg->ready_fd >= 0) {
		if (write(cfg->ready_fd, "ready\n", 6) != 6) {
			/* the parent went away: keep serving until told to stop */
		}
		close(cfg->ready_fd);
	}
	do {
		sig = 0;
		sigwait(&set, &sig);
	} while (sig == SIGHUP);
	ret = 0;

	server_stop(&d);
	sessions_shutdown(&d);
out_world:
	control_stop(&d);
#if UVFIO_HAVE_FUSE
	if (fs)
		uvfio_fuse_unmount(fs);
#endif
	uvfio_world_destroy(d.world);
	remote_mms_destroy(&d);
out:
	uvfio_machine_free(m);
	close(d.hangup_ep);
	pthread_cond_destroy(&d.idle);
	mutex_destroy(&d.trace_lock);
	mutex_destroy(&d.lock);
	/* Nothing of ours left in DIR: the sockets went with their listeners. */
	rmdir(root);
	if (created || cfg->remove_dir)
		rmdir(dir);
	return ret;
}

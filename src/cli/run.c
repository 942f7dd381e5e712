// SPDX-License-Identifier: MIT
/*
 * uvfio run: a private daemon, the shim and the program, torn down after.
 *
 *   1. a private directory (mkdtemp, 0700) and a daemon serving it;
 *   2. the program runs with LD_PRELOAD=libuvfio-preload.so and the daemon's
 *      coordinates in its environment, in a private mount namespace where the
 *      real /sys is read-only (so a path the shim missed fails loudly instead
 *      of touching this machine's real devices). As root the sandbox is
 *      mandatory unless --no-sandbox; as a user it is tried (a user cannot
 *      write the real /sys anyway);
 *   3. when the program exits, the daemon is stopped (it releases everything
 *      in kernel order) and the directory removed. uvfio run exits with the
 *      program's status (128 + signal if it was killed).
 *
 * uvfio daemon runs the daemon in the foreground (uvfiod_main).
 */
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "uvfiod.h"

#ifndef UVFIO_PRELOAD_INSTALL_PATH
#define UVFIO_PRELOAD_INSTALL_PATH "/usr/local/lib/uvfio/libuvfio-preload.so"
#endif

/* The shim: $UVFIO_PRELOAD, else next to this binary in the build tree, else installed. */
static int find_preload(char *out, size_t size)
{
	const char *env = getenv("UVFIO_PRELOAD");
	char exe[PATH_MAX - 64], *slash;
	ssize_t n;

	if (env && *env) {
		snprintf(out, size, "%s", env);
		return access(out, R_OK) ? -errno : 0;
	}
	n = readlink("/proc/self/exe", exe, sizeof(exe) - 1);
	if (n > 0) {
		exe[n] = '\0';
		slash = strrchr(exe, '/');
		if (slash) {
			*slash = '\0';
			snprintf(out, size, "%s/../preload/libuvfio-preload.so", exe);
			if (!access(out, R_OK))
				return 0;
		}
	}
	snprintf(out, size, "%s", UVFIO_PRELOAD_INSTALL_PATH);
	return access(out, R_OK) ? -ENOENT : 0;
}

/* A private mount namespace in which the real /sys is read-only. */
static int sandbox_enter(void)
{
	if (unshare(CLONE_NEWNS))
		return -errno;
	if (mount(NULL, "/", NULL, MS_REC | MS_PRIVATE, NULL))
		return -errno;
	if (mount("/sys", "/sys", NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL))
		return -errno;
	return 0;
}

static pid_t start_daemon(const char *dir, const char *machine)
{
	int pipefd[2];
	char ready[8] = "";
	pid_t pid;

	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		char fdarg[16];
		char *argv[8];
		int argc = 0;

		close(pipefd[0]);
		/* The daemon keeps the pipe's write end across no exec: pass its number. */
		fcntl(pipefd[1], F_SETFD, 0);
		snprintf(fdarg, sizeof(fdarg), "%d", pipefd[1]);
		argv[argc++] = (char *)"uvfiod";
		argv[argc++] = (char *)"--dir";
		argv[argc++] = (char *)dir;
		argv[argc++] = (char *)"--ready-fd";
		argv[argc++] = fdarg;
		if (machine) {
			argv[argc++] = (char *)"--machine";
			argv[argc++] = (char *)machine;
		}
		argv[argc] = NULL;
		_exit(uvfiod_main(argc, argv));
	}
	close(pipefd[1]);
	if (read(pipefd[0], ready, sizeof(ready) - 1) <= 0 || strncmp(ready, "ready", 5)) {
		close(pipefd[0]);
		waitpid(pid, NULL, 0);
		return -1;
	}
	close(pipefd[0]);
	return pid;
}

static int run_program(const char *dir, pid_t daemon_pid, const char *preload, bool sandbox,
		       char **argv)
{
	char sock[PATH_MAX + 32], root[PATH_MAX + 32], pidstr[16], ld[PATH_MAX * 2 + 2];
	const char *old = getenv("LD_PRELOAD");
	char self[PATH_MAX] = "";
	ssize_t n;
	int status;
	pid_t pid;

	/* `uvfio modprobe` stands in for modprobe in the program (src/preload/exec.c). */
	n = readlink("/proc/self/exe", self, sizeof(self) - 1);
	self[n > 0 ? n : 0] = '\0';

	snprintf(sock, sizeof(sock), "%s/uvfiod.sock", dir);
	snprintf(root, sizeof(root), "%s/root", dir);
	snprintf(pidstr, sizeof(pidstr), "%d", (int)daemon_pid);
	if (old && *old)
		snprintf(ld, sizeof(ld), "%s:%s", preload, old);
	else
		snprintf(ld, sizeof(ld), "%s", preload);
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		if (sandbox) {
			int ret = sandbox_enter();

			if (ret && geteuid() == 0) {
				fprintf(stderr,
					"uvfio run: cannot make the real /sys read-only in a private "
					"mount namespace (%s); refusing to run as root without it "
					"(--no-sandbox overrides)\n",
					strerror(-ret));
				_exit(126);
			}
		}
		setenv("LD_PRELOAD", ld, 1);
		setenv("UVFIO_SOCKET", sock, 1);
		setenv("UVFIO_ROOT", root, 1);
		setenv("UVFIO_DAEMON_PID", pidstr, 1);
		setenv("UVFIO_DIR", dir, 1);
		if (self[0])
			setenv("UVFIO_MODPROBE", self, 1);
		execvp(argv[0], argv);
		fprintf(stderr, "uvfio run: %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	while (waitpid(pid, &status, 0) < 0) {
		if (errno != EINTR)
			return -1;
	}
	if (WIFSIGNALED(status))
		return 128 + WTERMSIG(status);
	return WEXITSTATUS(status);
}

static void run_usage(FILE *out)
{
	fputs("Usage: uvfio run [--machine FILE] [--no-sandbox] [--keep-dir] -- PROGRAM [ARGS...]\n"
	      "\n"
	      "Starts a private uvfio daemon on the machine (default: the built-in q35\n"
	      "machine), runs PROGRAM with libuvfio-preload.so so that its /dev/vfio and\n"
	      "/sys accesses reach the daemon, then stops the daemon. Exits with PROGRAM's\n"
	      "status. PROGRAM runs where the real /sys is read-only (a private mount\n"
	      "namespace); as root this is required unless --no-sandbox.\n"
	      "\n"
	      "  -m, --machine FILE  a machine file (docs/machine-format.md)\n"
	      "      --no-sandbox    run PROGRAM in this mount namespace\n"
	      "      --keep-dir      leave the daemon directory (for debugging)\n"
	      "  -h, --help          this text\n"
	      "\n"
	      "Environment: UVFIO_PRELOAD overrides the shim's path; UVFIO_SHIM_DEBUG=1\n"
	      "makes the shim log to stderr.\n",
	      out);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "machine", required_argument, NULL, 'm' },
		{ "no-sandbox", no_argument, NULL, 'S' },
		{ "keep-dir", no_argument, NULL, 'K' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *machine = NULL, *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], preload[PATH_MAX], root[PATH_MAX + 8];
	bool sandbox = true, keep = false;
	int c, ret, status;
	pid_t daemon;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'm':
			machine = optarg;
			break;
		case 'S':
			sandbox = false;
			break;
		case 'K':
			keep = true;
			break;
		case 'h':
			run_usage(stdout);
			return 0;
		default:
			run_usage(stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		run_usage(stderr);
		return 2;
	}
	ret = find_preload(preload, sizeof(preload));
	if (ret) {
		fprintf(stderr,
			"uvfio run: libuvfio-preload.so not found (%s); set UVFIO_PRELOAD\n",
			preload);
		return 1;
	}
	snprintf(dir, sizeof(dir), "%s/uvfio.XXXXXX", tmp && *tmp ? tmp : "/tmp");
	if (!mkdtemp(dir)) {
		fprintf(stderr, "uvfio run: mkdtemp: %s\n", strerror(errno));
		return 1;
	}
	daemon = start_daemon(dir, machine);
	if (daemon < 0) {
		fprintf(stderr, "uvfio run: the daemon did not start\n");
		rmdir(dir);
		return 1;
	}
	ret = run_program(dir, daemon, preload, sandbox, argv + optind);
	kill(daemon, SIGTERM);
	while (waitpid(daemon, &status, 0) < 0 && errno == EINTR)
		;
	if (!keep) {
		snprintf(root, sizeof(root), "%s/root", dir);
		rmdir(root);
		rmdir(dir);
	}
	if (ret < 0) {
		fprintf(stderr, "uvfio run: %s\n", strerror(errno));
		return 1;
	}
	return ret;
}

/*
 * uvfio modprobe: what modprobe answers on a uvfio machine. The world's
 * "modules" are its drivers and VFIO's pieces; they are always loaded.
 */
int cmd_modprobe(int argc, char **argv)
{
	static const char *const modules[] = { "vfio",		"vfio_pci",
					       "vfio_pci_core", "vfio_iommu_type1",
					       "e1000",		"e1000e",
					       "pci_stub",	"pcieportdrv",
					       "mdev",		NULL };
	bool quiet = false;
	int ret = 0;

	for (int i = 1; i < argc; i++) {
		char name[64];
		bool found = false;

		if (argv[i][0] == '-') {
			if (!strcmp(argv[i], "-q") || !strcmp(argv[i], "--quiet"))
				quiet = true;
			continue;
		}
		snprintf(name, sizeof(name), "%s", argv[i]);
		for (char *c = name; *c; c++)
			if (*c == '-')
				*c = '_';
		for (int m = 0; modules[m]; m++)
			found |= !strcmp(modules[m], name);
		if (!found) {
			if (!quiet)
				fprintf(stderr,
					"modprobe: FATAL: Module %s not found in uvfio's world\n",
					argv[i]);
			ret = 1;
		}
	}
	return ret;
}

int cmd_daemon(int argc, char **argv)
{
	return uvfiod_main(argc, argv);
}

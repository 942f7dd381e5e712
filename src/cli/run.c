// SPDX-License-Identifier: MIT
/*
 * uvfio run: a program under uvfio, with a private daemon or an attached one.
 *
 *   1. a private directory (mkdtemp, 0700) and a daemon serving it; or, with
 *      --attach DIR, the daemon already serving DIR (uvfio daemon --dir DIR),
 *      found through DIR/uvfiod.sock, which is neither started nor stopped;
 *   2. the program runs with LD_PRELOAD=libuvfio-preload.so and the daemon's
 *      coordinates in its environment (UVFIO_SOCKET, UVFIO_ROOT,
 *      UVFIO_DAEMON_PID, UVFIO_DIR, UVFIO_MODPROBE; this uvfio's directory at
 *      the end of PATH so that the program can run `uvfio tree`), in a private mount
 *      namespace where the real /sys is read-only (so a path the shim missed
 *      fails loudly instead of touching this machine's real devices). As root
 *      the sandbox is mandatory unless --no-sandbox; as a user it is tried (a
 *      user cannot write the real /sys anyway);
 *   3. when the program exits, a private daemon is stopped (it releases
 *      everything in kernel order and removes the directory). uvfio run exits
 *      with the program's status (128 + signal if it was killed), or 125 if
 *      the daemon died under the program (docs/design.md, "Lifetimes").
 *
 * uvfio daemon runs the daemon in the foreground (uvfiod_main) and says on
 * stderr, once it serves, where it listens and how to attach to it.
 * uvfio modprobe is what the shim runs in place of modprobe.
 */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <limits.h>
#include <pthread.h>
#include <sched.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/mount.h>
#include <sys/prctl.h>
#include <sys/syscall.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <unistd.h>

#include "cli.h"
#include "compat/pidfd.h"
#include "shared/private_dir.h"
#include "uvfiod.h"
#if UVFIO_HAVE_FUSE
#include "uvfio_fuse.h"
#endif

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

/*
 * The private daemon: a child that serves dir until SIGTERM, and gets it
 * when this process dies (PR_SET_PDEATHSIG), however it dies; in a process
 * group of its own, so that ^C reaches the program, not it. It removes dir
 * when it stops unless --keep-dir.
 */
static pid_t start_daemon(const char *dir, const char *machine, bool keep)
{
	pid_t parent = getpid(), pid;
	char ready[8] = "";
	int pipefd[2];

	if (pipe2(pipefd, O_CLOEXEC))
		return -1;
	pid = fork();
	if (pid < 0)
		return -1;
	if (pid == 0) {
		struct uvfiod_config cfg = {
			.dir = dir,
			.machine = machine,
			.fuse = true,
			.ready_fd = pipefd[1],
			.remove_dir = !keep,
		};

		close(pipefd[0]);
		if (prctl(PR_SET_PDEATHSIG, SIGTERM) || getppid() != parent)
			_exit(1);
		setpgid(0, 0);
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		_exit(uvfiod_serve(&cfg));
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

/*
 * The daemon serving dir: a connection to dir/uvfiod.sock, closed unused (the
 * daemon drops a connection that sends nothing), tells its pid (SO_PEERCRED:
 * 0 when it runs in a pid namespace we cannot see) and user. 0 or -errno: -ENOENT for
 * no socket, -ECONNREFUSED for a socket whose daemon is gone.
 */
static int daemon_probe(const char *dir, pid_t *pid, uid_t *uid)
{
	struct sockaddr_un addr = { .sun_family = AF_UNIX };
	struct ucred cred = { 0 };
	socklen_t len = sizeof(cred);
	int fd, ret = 0;

	if ((size_t)snprintf(addr.sun_path, sizeof(addr.sun_path), "%s/uvfiod.sock", dir) >=
	    sizeof(addr.sun_path))
		return -ENAMETOOLONG;
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -errno;
	if (connect(fd, (struct sockaddr *)&addr, sizeof(addr)))
		ret = -errno;
	else if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &len))
		ret = -errno;
	else
		*pid = cred.pid;
	*uid = cred.uid;
	close(fd);
	return ret;
}

/* Whether path is a mount point: a FUSE tree mounted there has its own device. */
static bool is_mount_point(const char *path)
{
	char parent[PATH_MAX + 16];
	struct stat st, pst;

	snprintf(parent, sizeof(parent), "%s/..", path);
	return !stat(path, &st) && !stat(parent, &pst) && st.st_dev != pst.st_dev;
}

/* --attach DIR: its absolute path in out and its daemon's pid, or 1 with a message. */
static int attach_find(const char *arg, char *out, pid_t *pid)
{
	char root[PATH_MAX + 8], sock[PATH_MAX + 16], err[PATH_MAX + 128];
	struct stat st;
	uid_t uid;
	int ret;

	if (!realpath(arg, out) || stat(out, &st)) {
		fprintf(stderr, "uvfio run: --attach %s: %s\n", arg, strerror(errno));
		return 1;
	}
	if (!S_ISDIR(st.st_mode)) {
		fprintf(stderr, "uvfio run: --attach %s: not a directory\n", arg);
		return 1;
	}
	/* Whoever may change DIR chooses the daemon (and the /sys) the program gets. */
	if (private_dir_check(out, geteuid(), true, NULL, err, sizeof(err)) ||
	    (snprintf(sock, sizeof(sock), "%s/uvfiod.sock", out),
	     !access(sock, F_OK) &&
		     private_socket_check(sock, geteuid(), true, err, sizeof(err)))) {
		fprintf(stderr, "uvfio run: --attach %s: %s\n", arg, err);
		return 1;
	}
	ret = daemon_probe(out, pid, &uid);
	if (ret == -ENOENT) {
		fprintf(stderr,
			"uvfio run: no daemon serves %s (there is no %s/uvfiod.sock); start one "
			"with: uvfio daemon --dir %s\n",
			out, out, arg);
		return 1;
	}
	if (ret == -ECONNREFUSED) {
		fprintf(stderr,
			"uvfio run: no daemon serves %s: nobody listens on %s/uvfiod.sock (its "
			"daemon is gone)\n",
			out, out);
		return 1;
	}
	if (ret) {
		fprintf(stderr, "uvfio run: cannot reach the daemon at %s/uvfiod.sock: %s\n", out,
			strerror(-ret));
		return 1;
	}
	/*
	 * The daemon serves its own user and root only (SO_PEERCRED); and a
	 * daemon answers for the program's devices and memory, so it must be
	 * the caller's own or root's: root attaches to root's daemons only.
	 */
	if (uid != geteuid() && uid != 0) {
		fprintf(stderr,
			"uvfio run: the daemon at %s runs as uid %u: only a daemon of this user "
			"(uid %u) or of root may be attached to\n",
			out, (unsigned int)uid, (unsigned int)geteuid());
		return 1;
	}
	snprintf(root, sizeof(root), "%s/root", out);
	if (!is_mount_point(root))
		fprintf(stderr,
			"uvfio run: warning: no sysfs tree is mounted at %s (a daemon started "
			"with --no-fuse, or in another mount namespace): the program's /sys paths "
			"reach nothing\n",
			root);
	return 0;
}

/*
 * So that the program can run `uvfio tree` and the other verbs on its daemon,
 * the directory of this uvfio goes at the end of $PATH when it is not there.
 */
static void path_append_dir_of(const char *exe)
{
	const char *path = getenv("PATH"), *slash = strrchr(exe, '/');
	size_t dlen = slash ? (size_t)(slash - exe) : 0;
	char *buf;

	if (!dlen)
		return;
	if (!path || !*path)
		path = "/usr/local/bin:/usr/bin:/bin";
	for (const char *p = path; p;) {
		const char *end = strchr(p, ':');
		size_t len = end ? (size_t)(end - p) : strlen(p);

		if (len == dlen && !strncmp(p, exe, dlen))
			return;
		p = end ? end + 1 : NULL;
	}
	if (asprintf(&buf, "%s:%.*s", path, (int)dlen, exe) < 0)
		return;
	setenv("PATH", buf, 1);
	free(buf);
}

/* How PROGRAM runs: in the read-only-/sys namespace; with the daemon's /dev/kvm. */
struct run_opts {
	bool sandbox;
	bool kvm;
};

/* The program, while uvfio run waits for it: SIGTERM and SIGHUP go on to it. */
static volatile sig_atomic_t program_pid;

static void forward_signal(int sig)
{
	if (program_pid > 0)
		kill((pid_t)program_pid, sig);
}

/* "exited with status N" or "was killed by signal N (NAME)". */
static void describe_status(int status, char *out, size_t size)
{
	if (WIFSIGNALED(status))
		snprintf(out, size, "was killed by signal %d (%s)", WTERMSIG(status),
			 strsignal(WTERMSIG(status)));
	else
		snprintf(out, size, "exited with status %d", WEXITSTATUS(status));
}

/*
 * Whether the daemon died under the program (or did not stop cleanly): it
 * is said on stderr, and uvfio run fails with status 125 whatever the
 * program's, so that a test never passes on a crashed daemon.
 */
#define RUN_DAEMON_FAILED 125

/* A private daemon gone on its own: what it left is removed (its dead mount first). */
static void private_dir_clear(const char *dir, bool keep)
{
	char path[PATH_MAX + 16];

	snprintf(path, sizeof(path), "%s/root", dir);
#if UVFIO_HAVE_FUSE
	uvfio_fuse_detach_dead(path);
#endif
	rmdir(path);
	snprintf(path, sizeof(path), "%s/uvfiod.sock", dir);
	unlink(path);
	snprintf(path, sizeof(path), "%s/ctl.sock", dir);
	unlink(path);
	if (!keep)
		rmdir(dir);
}

/*
 * Runs the program and waits for it: with a private daemon (own), for both,
 * reporting a daemon that dies first at once, then stopping the daemon
 * after the program; with an attached one, noticing after the program
 * whether it is gone. The program's status (128 + signal if killed), or
 * RUN_DAEMON_FAILED, or -1 with errno.
 */
static int run_program(const char *dir, pid_t daemon_pid, bool own, bool keep, const char *preload,
		       const struct run_opts *o, char **argv)
{
	char sock[PATH_MAX + 32], root[PATH_MAX + 32], pidstr[16], ld[PATH_MAX * 2 + 2];
	struct sigaction fwd = { .sa_handler = forward_signal }, old_term, old_hup;
	const char *old = getenv("LD_PRELOAD");
	int status, daemon_status = 0, pidfd = -1, ret;
	bool daemon_gone = false, daemon_failed = false;
	char self[PATH_MAX] = "", how[96];
	void (*old_int)(int), (*old_quit)(int);
	ssize_t n;
	pid_t pid, w;

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
	if (!own && daemon_pid > 0)
		pidfd = (int)syscall(SYS_pidfd_open, daemon_pid, 0);
	/* As system(3): ^C and ^\ are the program's to take; SIGTERM goes on to it. */
	old_int = signal(SIGINT, SIG_IGN);
	old_quit = signal(SIGQUIT, SIG_IGN);
	sigemptyset(&fwd.sa_mask);
	sigaction(SIGTERM, &fwd, &old_term);
	sigaction(SIGHUP, &fwd, &old_hup);
	pid = fork();
	if (pid < 0) {
		ret = -1;
		goto out;
	}
	if (pid == 0) {
		signal(SIGINT, SIG_DFL);
		signal(SIGQUIT, SIG_DFL);
		signal(SIGTERM, SIG_DFL);
		signal(SIGHUP, SIG_DFL);
		if (o->sandbox) {
			ret = sandbox_enter();
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
		if (daemon_pid > 0)
			setenv("UVFIO_DAEMON_PID", pidstr, 1);
		else
			unsetenv("UVFIO_DAEMON_PID");
		setenv("UVFIO_DIR", dir, 1);
		if (o->kvm)
			setenv("UVFIO_KVM", "1", 1);
		else
			unsetenv("UVFIO_KVM");
		if (self[0]) {
			setenv("UVFIO_MODPROBE", self, 1);
			path_append_dir_of(self);
		}
		execvp(argv[0], argv);
		fprintf(stderr, "uvfio run: %s: %s\n", argv[0], strerror(errno));
		_exit(errno == ENOENT ? 127 : 126);
	}
	program_pid = pid;
	/* Our children are the program and, if own, the daemon. */
	for (;;) {
		w = waitpid(own ? -1 : pid, &ret, 0);
		if (w < 0) {
			if (errno == EINTR)
				continue;
			ret = -1;
			goto out;
		}
		if (w == pid) {
			status = ret;
			break;
		}
		if (w == daemon_pid) {
			daemon_gone = true;
			daemon_status = ret;
			describe_status(ret, how, sizeof(how));
			fprintf(stderr,
				"uvfio run: the daemon (pid %d) %s while %s runs: its uvfio calls "
				"fail from now on\n",
				(int)daemon_pid, how, argv[0]);
			private_dir_clear(dir, keep);
		}
	}
	program_pid = 0;
	if (own && !daemon_gone) {
		kill(daemon_pid, SIGTERM);
		while (waitpid(daemon_pid, &daemon_status, 0) < 0 && errno == EINTR)
			;
		if (!WIFEXITED(daemon_status) || WEXITSTATUS(daemon_status)) {
			describe_status(daemon_status, how, sizeof(how));
			fprintf(stderr, "uvfio run: the daemon (pid %d) %s when it was stopped\n",
				(int)daemon_pid, how);
			private_dir_clear(dir, keep);
			daemon_failed = true;
		}
	} else if (own) {
		daemon_failed = true;
	} else if (pidfd >= 0) {
		struct pollfd p = { .fd = pidfd, .events = POLLIN };

		if (poll(&p, 1, 0) == 1) {
			fprintf(stderr,
				"uvfio run: the daemon serving %s (pid %d) went away while %s ran\n",
				dir, (int)daemon_pid, argv[0]);
			daemon_failed = true;
		}
	}
	if (daemon_failed) {
		describe_status(status, how, sizeof(how));
		fprintf(stderr, "uvfio run: %s %s; failing for the daemon\n", argv[0], how);
		ret = RUN_DAEMON_FAILED;
	} else if (WIFSIGNALED(status)) {
		ret = 128 + WTERMSIG(status);
	} else {
		ret = WEXITSTATUS(status);
	}
out:
	program_pid = 0;
	sigaction(SIGTERM, &old_term, NULL);
	sigaction(SIGHUP, &old_hup, NULL);
	signal(SIGINT, old_int);
	signal(SIGQUIT, old_quit);
	if (pidfd >= 0)
		close(pidfd);
	return ret;
}

static void run_usage(FILE *out)
{
	fputs("Usage: uvfio run [--machine FILE] [--kvm] [--no-sandbox] [--keep-dir] -- PROGRAM [ARGS...]\n"
	      "       uvfio run --attach DIR [--kvm] [--no-sandbox] -- PROGRAM [ARGS...]\n"
	      "\n"
	      "Runs PROGRAM with libuvfio-preload.so so that its /dev/vfio and /sys accesses\n"
	      "reach a uvfio daemon, and exits with PROGRAM's status. By default the daemon\n"
	      "is a private one, started on the machine (default: the built-in q35 machine)\n"
	      "and stopped when PROGRAM exits. With --attach DIR it is the daemon already\n"
	      "serving DIR (uvfio daemon --dir DIR), which outlives PROGRAM: several\n"
	      "programs, one after the other or side by side, share its state. A daemon\n"
	      "that dies while PROGRAM runs is reported, and uvfio run then exits 125.\n"
	      "SIGTERM and SIGHUP go on to PROGRAM; ^C is PROGRAM's.\n"
	      "\n"
	      "PROGRAM runs where the real /sys is read-only (a private mount namespace); as\n"
	      "root this is required unless --no-sandbox. Its environment has UVFIO_DIR (and\n"
	      "uvfio on its PATH), so that uvfio tree, bind, unbind, override and trace in\n"
	      "it act on its daemon.\n"
	      "\n"
	      "  -a, --attach DIR    use the running daemon serving DIR\n"
	      "  -m, --machine FILE  a machine file (docs/machine-format.md) for the private\n"
	      "                      daemon\n"
	      "      --kvm           open(\"/dev/kvm\") reaches the daemon's KVM model: VMs\n"
	      "                      with the kvm-vfio device (KVM_DEV_VFIO_FILE_ADD/DEL),\n"
	      "                      no vCPUs; without it /dev/kvm is the host's\n"
	      "      --no-sandbox    run PROGRAM in this mount namespace\n"
	      "      --keep-dir      leave the private daemon's directory (for debugging)\n"
	      "  -h, --help          this text\n"
	      "\n"
	      "Environment: UVFIO_PRELOAD overrides the shim's path; UVFIO_SHIM_DEBUG=1\n"
	      "makes the shim log to stderr.\n",
	      out);
}

int cmd_run(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "attach", required_argument, NULL, 'a' },
		{ "machine", required_argument, NULL, 'm' },
		{ "no-sandbox", no_argument, NULL, 'S' },
		{ "keep-dir", no_argument, NULL, 'K' },
		{ "kvm", no_argument, NULL, 'k' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	const char *machine = NULL, *attach = NULL, *tmp = getenv("TMPDIR");
	char dir[PATH_MAX], preload[PATH_MAX];
	struct run_opts o = { .sandbox = true };
	bool keep = false;
	int c, ret;
	pid_t daemon = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "+a:m:h", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			attach = optarg;
			break;
		case 'm':
			machine = optarg;
			break;
		case 'S':
			o.sandbox = false;
			break;
		case 'k':
			o.kvm = true;
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
		fprintf(stderr, "uvfio run: no PROGRAM\n\n");
		run_usage(stderr);
		return 2;
	}
	if (attach && (machine || keep)) {
		fprintf(stderr, "uvfio run: --%s: the daemon at %s is not started by uvfio run\n",
			machine ? "machine" : "keep-dir", attach);
		return 2;
	}
	ret = find_preload(preload, sizeof(preload));
	if (ret) {
		fprintf(stderr,
			"uvfio run: libuvfio-preload.so not found (%s); set UVFIO_PRELOAD\n",
			preload);
		return 1;
	}
	if (attach) {
		if (attach_find(attach, dir, &daemon))
			return 1;
	} else {
		snprintf(dir, sizeof(dir), "%s/uvfio.XXXXXX", tmp && *tmp ? tmp : "/tmp");
		if (!mkdtemp(dir)) {
			fprintf(stderr, "uvfio run: mkdtemp: %s\n", strerror(errno));
			return 1;
		}
		daemon = start_daemon(dir, machine, keep);
		if (daemon < 0) {
			fprintf(stderr, "uvfio run: the daemon did not start\n");
			rmdir(dir);
			return 1;
		}
	}
	ret = run_program(dir, daemon, !attach, keep, preload, &o, argv + optind);
	if (ret < 0) {
		fprintf(stderr, "uvfio run: %s\n", strerror(errno));
		return 1;
	}
	return ret;
}

static const char modprobe_usage[] =
	"Usage: uvfio modprobe [-a] [-q] [-r] MODULE [PARAMETERS...]\n"
	"\n"
	"What modprobe answers on a uvfio machine: inside uvfio run the shim runs this\n"
	"in place of modprobe, so that tools such as driverctl never load a real\n"
	"module. The world's modules (vfio, vfio_pci, vfio_pci_core, vfio_iommu_type1,\n"
	"e1000, e1000e, pci_stub, pcieportdrv, mdev; '-' and '_' alike) are built in:\n"
	"loading one succeeds and does nothing; any other module is not found (exit 1).\n"
	"\n"
	"  -a, --all          every argument is a module (else MODULE, then parameters)\n"
	"  -q, --quiet        no message for a module that is not found\n"
	"  -r, --remove       fails: the modules are built in\n"
	"      --first-time   fails: the modules are always loaded\n"
	"  -h, --help         this text\n"
	"\n"
	"Accepted and ignored, as they change nothing here: -b, -i, -n, -s, -v, -C FILE,\n"
	"-d DIR, -S VERSION and their long forms.\n";

/* The world's "modules": its drivers and VFIO's pieces, always loaded. */
static bool module_known(const char *arg)
{
	static const char *const modules[] = { "vfio",		"vfio_pci",
					       "vfio_pci_core", "vfio_iommu_type1",
					       "e1000",		"e1000e",
					       "pci_stub",	"pcieportdrv",
					       "mdev",		NULL };
	char name[64];

	snprintf(name, sizeof(name), "%s", arg);
	for (char *c = name; *c; c++)
		if (*c == '-')
			*c = '_';
	for (int m = 0; modules[m]; m++)
		if (!strcmp(modules[m], name))
			return true;
	return false;
}

int cmd_modprobe(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "all", no_argument, NULL, 'a' },
		{ "quiet", no_argument, NULL, 'q' },
		{ "remove", no_argument, NULL, 'r' },
		{ "first-time", no_argument, NULL, 'F' },
		{ "help", no_argument, NULL, 'h' },
		{ "use-blacklist", no_argument, NULL, 'b' },
		{ "ignore-install", no_argument, NULL, 'i' },
		{ "ignore-remove", no_argument, NULL, 'i' },
		{ "dry-run", no_argument, NULL, 'n' },
		{ "show", no_argument, NULL, 'n' },
		{ "syslog", no_argument, NULL, 's' },
		{ "verbose", no_argument, NULL, 'v' },
		{ "config", required_argument, NULL, 'C' },
		{ "dirname", required_argument, NULL, 'd' },
		{ "set-version", required_argument, NULL, 'S' },
		{ NULL, 0, NULL, 0 },
	};
	bool quiet = false, all = false, remove = false, first = false;
	int c, ret = 0;

	optind = 1;
	while ((c = getopt_long(argc, argv, "aqrhbinsvC:d:S:", opts, NULL)) != -1) {
		switch (c) {
		case 'a':
			all = true;
			break;
		case 'q':
			quiet = true;
			break;
		case 'r':
			remove = true;
			break;
		case 'F':
			first = true;
			break;
		case 'h':
			fputs(modprobe_usage, stdout);
			return 0;
		case 'b':
		case 'i':
		case 'n':
		case 's':
		case 'v':
		case 'C':
		case 'd':
		case 'S':
			break;
		default:
			fputs(modprobe_usage, stderr);
			return 2;
		}
	}
	if (optind >= argc) {
		fprintf(stderr, "modprobe: missing MODULE\n\n%s", modprobe_usage);
		return 2;
	}
	/* Without -a (or -r), the arguments after the module are its parameters. */
	for (int i = optind; i < argc && (i == optind || all || remove); i++) {
		if (!module_known(argv[i])) {
			if (!quiet)
				fprintf(stderr,
					"modprobe: FATAL: Module %s not found in uvfio's world\n",
					argv[i]);
			ret = 1;
		} else if (remove) {
			fprintf(stderr, "modprobe: FATAL: Module %s is builtin.\n", argv[i]);
			ret = 1;
		} else if (first) {
			fprintf(stderr,
				"modprobe: ERROR: could not insert '%s': Module already in kernel\n",
				argv[i]);
			ret = 1;
		}
	}
	return ret;
}

/* uvfio daemon: what the daemon's readiness is announced with. */
struct announce {
	int rfd; /* the read end of the pipe the daemon writes "ready\n" to */
	int user_fd; /* the caller's --ready-fd, told in turn, or -1 */
	char dir[PATH_MAX];
};

static void *announce_thread(void *arg)
{
	struct announce *a = arg;
	char buf[8] = "", dir[PATH_MAX], root[PATH_MAX + 8];

	if (read(a->rfd, buf, sizeof(buf) - 1) >= 5 && !strncmp(buf, "ready", 5)) {
		if (!realpath(a->dir, dir))
			snprintf(dir, sizeof(dir), "%s", a->dir);
		snprintf(root, sizeof(root), "%s/root", dir);
		fprintf(stderr,
			"uvfio daemon: pid %d serving %s\n"
			"  socket   %s/uvfiod.sock (control: %s/ctl.sock)\n"
			"  sysfs    %s\n"
			"  attach   uvfio run --attach %s -- PROGRAM [ARGS]\n"
			"  verbs    uvfio --dir %s tree (and bind, unbind, ...: uvfio --help)\n"
			"  stop     kill %d (SIGTERM) or ^C\n",
			(int)getpid(), dir, dir, dir,
			is_mount_point(root) ? root : "none (--no-fuse, or FUSE is missing)", dir,
			dir, (int)getpid());
		if (a->user_fd >= 0 && write(a->user_fd, "ready\n", 6) != 6) {
			/* whoever waited went away */
		}
	}
	if (a->user_fd >= 0)
		close(a->user_fd);
	close(a->rfd);
	free(a);
	return NULL;
}

/*
 * The daemon in the foreground. Its options are parsed here only to learn
 * DIR and the caller's --ready-fd: the daemon itself is told to report its
 * readiness to our pipe (the last --ready-fd wins), and a thread announces
 * it, then tells the caller's descriptor. A DIR another daemon still serves
 * is refused (the new one would take its sockets over).
 */
int cmd_daemon(int argc, char **argv)
{
	static const struct option opts[] = {
		{ "dir", required_argument, NULL, 'd' },
		{ "machine", required_argument, NULL, 'm' },
		{ "no-fuse", no_argument, NULL, 'F' },
		{ "ready-fd", required_argument, NULL, 'r' },
		{ "help", no_argument, NULL, 'h' },
		{ NULL, 0, NULL, 0 },
	};
	char **args, fdarg[16];
	const char *dir = NULL;
	struct announce *a;
	sigset_t all, old;
	pthread_t thread;
	int c, user_fd = -1, pipefd[2], ret;
	bool plain = false;
	pid_t other;
	uid_t uid;

	args = calloc((size_t)argc + 3, sizeof(*args));
	if (!args)
		return 1;
	memcpy(args, argv, (size_t)argc * sizeof(*args));
	opterr = 0;
	optind = 1;
	while ((c = getopt_long(argc, args, "d:m:h", opts, NULL)) != -1) {
		if (c == 'd')
			dir = optarg;
		else if (c == 'r')
			user_fd = atoi(optarg);
		else if (c == 'h' || c == '?' || c == ':')
			plain = true;
	}
	opterr = 1;
	free(args);
	/* --help, a bad option or no --dir: the daemon says so itself. */
	if (plain || !dir)
		return uvfiod_main(argc, argv);

	if (!daemon_probe(dir, &other, &uid)) {
		fprintf(stderr, "uvfio daemon: %s is already served by the daemon pid %d\n", dir,
			(int)other);
		return 1;
	}
	if (pipe2(pipefd, O_CLOEXEC))
		return uvfiod_main(argc, argv);
	a = calloc(1, sizeof(*a));
	args = calloc((size_t)argc + 3, sizeof(*args));
	if (!a || !args) {
		free(a);
		free(args);
		return 1;
	}
	a->rfd = pipefd[0];
	a->user_fd = user_fd;
	snprintf(a->dir, sizeof(a->dir), "%s", dir);
	/* The thread takes no signal: the daemon waits for SIGTERM and SIGINT itself. */
	sigfillset(&all);
	pthread_sigmask(SIG_BLOCK, &all, &old);
	ret = pthread_create(&thread, NULL, announce_thread, a);
	pthread_sigmask(SIG_SETMASK, &old, NULL);
	if (ret) {
		close(pipefd[0]);
		close(pipefd[1]);
		free(a);
		free(args);
		return uvfiod_main(argc, argv);
	}
	pthread_detach(thread);
	snprintf(fdarg, sizeof(fdarg), "%d", pipefd[1]);
	memcpy(args, argv, (size_t)argc * sizeof(*args));
	args[argc] = (char *)"--ready-fd";
	args[argc + 1] = fdarg;
	args[argc + 2] = NULL;
	/* Returns when the daemon stopped; the thread may still wait on a daemon that failed. */
	ret = uvfiod_main(argc + 2, args);
	free(args);
	return ret;
}

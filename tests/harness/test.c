/*
 * The uvfio test runner: registration, fork-per-test execution, the fd-leak
 * check, timeouts, the per-test tmpdir, TAP output and main().
 *
 * How one test runs (fork mode, the default):
 *
 *   parent: create the tmpdir and an output memfd, fork, wait for the child
 *           with a deadline (timeout + a grace period), then interpret its end:
 *           the exit status, and a small shared report the child fills in;
 *   child:  send stdout/stderr to the memfd, snapshot the open fds, arm
 *           alarm(timeout), call the body under sigsetjmp(); assertions
 *           siglongjmp() back here; compare the fds; exit() (not _exit(), so
 *           LeakSanitizer checks each test) with a status matching the report;
 *   parent: kill what is left of the child's process group (a daemon the
 *           test started), re-emit the captured output as "# " lines, then
 *           the TAP result line, remove the tmpdir.
 *
 * Test output goes to a memfd, not to a pipe: a process the test leaves
 * behind cannot hold meson's stdout open, and nothing has to drain it.
 *
 * A child exits 0 only after the harness saw the body return, so a body that
 * calls exit() or _exit() itself is a failure, whatever the status.
 *
 * With UVFIO_TEST_NOFORK=1 the same run_body() runs in-process, with no
 * capture and no timeout.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif

#include "test.h"

#include <dirent.h>
#include <fcntl.h>
#include <fnmatch.h>
#include <ftw.h>
#include <inttypes.h>
#include <pthread.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/prctl.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

/*
 * The per-test timeout guards against hangs. Sanitizer builds run the same
 * work several times slower (test-container's 65,535 MAP_DMAs take 31 s
 * under TSan on a 2-core machine), so their guard is four times longer.
 */
#if defined(__SANITIZE_THREAD__) || defined(__SANITIZE_ADDRESS__)
#define TEST_DEFAULT_TIMEOUT 120
#else
#define TEST_DEFAULT_TIMEOUT 30
#endif
/* How long after its alarm a child that ignores SIGALRM gets before SIGKILL. */
#define TEST_KILL_GRACE_MS 2000
/* How much of a test's output is re-emitted. */
#define TEST_OUTPUT_MAX (1u << 20)
/* How many leaked fds are listed by name. */
#define TEST_LEAKS_SHOWN 16

#define TEST_EXIT_PASS 0
#define TEST_EXIT_FAIL 1
#define TEST_EXIT_SKIP 77

enum test_result {
	TEST_RESULT_NONE = 0, /* the body has not finished */
	TEST_RESULT_PASS,
	TEST_RESULT_FAIL,
	TEST_RESULT_SKIP,
};

/* What a test child tells its parent; in a MAP_SHARED page so it outlives the child. */
struct test_report {
	int result; /* enum test_result, set just before the child exits */
	char reason[512]; /* the SKIP reason */
};

/* How a test ended, as the parent sees it. */
struct test_outcome {
	enum test_result result;
	bool timed_out;
	char why[256]; /* the harness's own explanation, if any */
};

static struct test *registered;
static unsigned int n_registered;

/* The runner's state; the fields about "the test" are only valid while one runs. */
static struct {
	/* configuration, from the environment */
	unsigned int timeout; /* seconds, 0 = none */
	bool nofork;
	bool leak_check;

	/* the running test */
	const struct test *cur;
	char cur_name[256];
	char tmpdir[PATH_MAX];
	struct test_report *report;
	bool forked; /* the body runs in a child process */
	bool in_body; /* an exit() now comes from the body */
	pthread_t thread; /* the thread running the body */
	sigjmp_buf jmp; /* where assertions land, in that thread */

	sigset_t orig_mask; /* before SIGCHLD was blocked */
} runner;

void test_register(struct test *t)
{
	t->seq = n_registered++;
	t->next = registered;
	registered = t;
}

/* Strip the "../" that meson's relative __FILE__ paths start with. */
static const char *short_path(const char *file)
{
	while (strncmp(file, "../", 3) == 0)
		file += 3;
	return file;
}

const char *test_tmpdir(void)
{
	if (!runner.cur) {
		fprintf(stderr, "test_tmpdir() called outside a test\n");
		abort();
	}
	return runner.tmpdir;
}

const char *test_name(void)
{
	return runner.cur ? runner.cur_name : NULL;
}

/* How a test child that ended with @result exits. */
static int exit_status(enum test_result result)
{
	switch (result) {
	case TEST_RESULT_PASS:
		return TEST_EXIT_PASS;
	case TEST_RESULT_SKIP:
		return TEST_EXIT_SKIP;
	default:
		return TEST_EXIT_FAIL;
	}
}

/* End the running test with @result: unwind to run_body(), or end the process. */
static _Noreturn void test_end(enum test_result result)
{
	if (!runner.cur) {
		fprintf(stderr, "test assertion or SKIP used outside a test\n");
		abort();
	}
	if (!pthread_equal(pthread_self(), runner.thread)) {
		/* Another thread's stack cannot be unwound: end the whole test here. */
		if (!runner.forked)
			abort();
		runner.report->result = result;
		runner.in_body = false;
		fflush(stdout);
		_exit(exit_status(result));
	}
	siglongjmp(runner.jmp, result);
}

static void vdiag_at(const char *file, int line, const char *fmt, va_list ap)
	__attribute__((format(printf, 3, 0)));
static void vdiag_at(const char *file, int line, const char *fmt, va_list ap)
{
	fflush(stdout);
	fprintf(stderr, "%s:%d: ", short_path(file), line);
	vfprintf(stderr, fmt, ap);
	fputc('\n', stderr);
}

static void diag_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
static void diag_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag_at(file, line, fmt, ap);
	va_end(ap);
}

void test_fail_at(const char *file, int line, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	vdiag_at(file, line, fmt, ap);
	va_end(ap);
	test_end(TEST_RESULT_FAIL);
}

void test_skip_at(const char *file, int line, const char *fmt, ...)
{
	struct test_report *report = runner.report;
	va_list ap;

	(void)file;
	(void)line;
	if (report) {
		va_start(ap, fmt);
		vsnprintf(report->reason, sizeof(report->reason), fmt, ap);
		va_end(ap);
	}
	test_end(TEST_RESULT_SKIP);
}

/* Compare two integers by value, whatever their signedness: <0, 0 or >0. */
int test_int_cmp(uintmax_t a, bool a_signed, uintmax_t b, bool b_signed)
{
	bool a_neg = a_signed && (intmax_t)a < 0;
	bool b_neg = b_signed && (intmax_t)b < 0;

	if (a_neg != b_neg)
		return a_neg ? -1 : 1;
	/* Same sign: the two's complement bits order the same way as the values. */
	return a < b ? -1 : a > b;
}

static void format_int(char *buf, size_t size, uintmax_t v, bool is_signed)
{
	if (is_signed && (intmax_t)v < 0)
		snprintf(buf, size, "%jd", (intmax_t)v);
	else if (v > 9)
		snprintf(buf, size, "%ju (%#jx)", v, v);
	else
		snprintf(buf, size, "%ju", v);
}

void test_fail_cmp(const char *file, int line, const char *a_str, const char *op, const char *b_str,
		   uintmax_t a, bool a_signed, uintmax_t b, bool b_signed)
{
	char av[64], bv[64];

	format_int(av, sizeof(av), a, a_signed);
	format_int(bv, sizeof(bv), b, b_signed);
	diag_at(file, line, "assertion failed: %s %s %s", a_str, op, b_str);
	/* A literal operand speaks for itself. */
	if (strcmp(a_str, av) != 0)
		fprintf(stderr, "    %s: %s\n", a_str, av);
	if (strcmp(b_str, bv) != 0)
		fprintf(stderr, "    %s: %s\n", b_str, bv);
	test_end(TEST_RESULT_FAIL);
}

bool test_streq(const char *a, const char *b)
{
	if (!a || !b)
		return a == b;
	return strcmp(a, b) == 0;
}

static void print_str(const char *label, const char *s)
{
	if (label[0] == '"')
		return; /* a literal speaks for itself */
	if (s)
		fprintf(stderr, "    %s: \"%s\"\n", label, s);
	else
		fprintf(stderr, "    %s: NULL\n", label);
}

void test_fail_streq(const char *file, int line, const char *a_str, const char *b_str,
		     const char *a, const char *b)
{
	diag_at(file, line, "assertion failed: strings equal: %s, %s", a_str, b_str);
	print_str(a_str, a);
	print_str(b_str, b);
	test_end(TEST_RESULT_FAIL);
}

static void hexdump_line(const char *label, const unsigned char *p, size_t from, size_t to)
{
	fprintf(stderr, "    %s @%zu:", label, from);
	for (size_t i = from; i < to; i++)
		fprintf(stderr, " %02x", p[i]);
	fputc('\n', stderr);
}

void test_fail_memeq(const char *file, int line, const char *a_str, const char *b_str,
		     const void *a, const void *b, size_t n)
{
	const unsigned char *pa = a, *pb = b;
	size_t off = 0, from, to;

	while (off < n && pa[off] == pb[off])
		off++;
	diag_at(file, line,
		"assertion failed: memory equal: %s, %s (%zu bytes): first difference at byte %zu",
		a_str, b_str, n, off);
	from = off & ~(size_t)15;
	to = from + 16 < n ? from + 16 : n;
	hexdump_line(a_str, pa, from, to);
	hexdump_line(b_str, pb, from, to);
	test_end(TEST_RESULT_FAIL);
}

static const char *errname(int err)
{
	const char *name = strerrorname_np(err);

	return name ? name : "E?";
}

void test_fail_ok(const char *file, int line, const char *expr, intmax_t ret, int err)
{
	diag_at(file, line, "assertion failed: %s >= 0", expr);
	if (ret == -1)
		fprintf(stderr, "    returned -1, errno %d (%s: %s)\n", err, errname(err),
			strerror(err));
	else if (ret < 0 && ret > -4096)
		fprintf(stderr, "    returned %jd (-%s: %s)\n", ret, errname((int)-ret),
			strerror((int)-ret));
	else
		fprintf(stderr, "    returned %jd\n", ret);
	test_end(TEST_RESULT_FAIL);
}

void test_fail_errno(const char *file, int line, const char *expr, intmax_t ret, int err, int want)
{
	diag_at(file, line, "assertion failed: %s fails with %s", expr, errname(want));
	fprintf(stderr, "    expected -1, errno %d (%s)\n", want, errname(want));
	if (ret == -1)
		fprintf(stderr, "    got      -1, errno %d (%s: %s)\n", err, errname(err),
			strerror(err));
	else
		fprintf(stderr, "    got      %jd (errno %d, %s)\n", ret, err, errname(err));
	test_end(TEST_RESULT_FAIL);
}

void test_fail_neg(const char *file, int line, const char *expr, intmax_t ret, int want)
{
	if (want)
		diag_at(file, line, "assertion failed: %s == -%s", expr, errname(want));
	else
		diag_at(file, line, "assertion failed: %s == 0", expr);
	fprintf(stderr, "    expected %d", -want);
	if (want)
		fprintf(stderr, " (-%s)", errname(want));
	fprintf(stderr, "\n    got      %jd", ret);
	if (ret < 0 && ret > -4096)
		fprintf(stderr, " (-%s: %s)", errname((int)-ret), strerror((int)-ret));
	fputc('\n', stderr);
	test_end(TEST_RESULT_FAIL);
}

/* --- fd-leak check ----------------------------------------------------------------------- */

struct fdset {
	int *fds; /* sorted */
	size_t n;
};

static int cmp_int(const void *a, const void *b)
{
	int x = *(const int *)a, y = *(const int *)b;

	return (x > y) - (x < y);
}

static bool fdset_add(struct fdset *s, size_t *cap, int fd)
{
	if (s->n == *cap) {
		size_t ncap = *cap ? *cap * 2 : 64;
		int *n = realloc(s->fds, ncap * sizeof(*n));

		if (!n)
			return false;
		s->fds = n;
		*cap = ncap;
	}
	s->fds[s->n++] = fd;
	return true;
}

/* The set of open fds, from /proc/self/fd or, without /proc, by probing. */
static void fdset_snapshot(struct fdset *s)
{
	size_t cap = 0;
	struct dirent *de;
	DIR *dir;

	s->fds = NULL;
	s->n = 0;
	dir = opendir("/proc/self/fd");
	if (dir) {
		while ((de = readdir(dir))) {
			char *end;
			long fd = strtol(de->d_name, &end, 10);

			if (de->d_name[0] == '.' || *end || fd == dirfd(dir))
				continue;
			if (!fdset_add(s, &cap, (int)fd))
				break;
		}
		closedir(dir);
	} else {
		struct rlimit rl = { .rlim_cur = 1024 };
		int max;

		getrlimit(RLIMIT_NOFILE, &rl);
		max = rl.rlim_cur > 65536 ? 65536 : (int)rl.rlim_cur;
		for (int fd = 0; fd < max; fd++)
			if (fcntl(fd, F_GETFD) != -1 && !fdset_add(s, &cap, fd))
				break;
	}
	qsort(s->fds, s->n, sizeof(*s->fds), cmp_int);
}

static bool fdset_has(const struct fdset *s, int fd)
{
	return bsearch(&fd, s->fds, s->n, sizeof(*s->fds), cmp_int) != NULL;
}

/* Report the fds in @after and not in @before; returns how many there are. */
static size_t report_leaks(const struct fdset *before, const struct fdset *after)
{
	size_t leaked = 0;

	for (size_t i = 0; i < after->n; i++)
		leaked += !fdset_has(before, after->fds[i]);
	if (!leaked)
		return 0;

	fprintf(stderr, "fd leak: %zu fd%s opened by the test still open at its end:\n", leaked,
		leaked == 1 ? "" : "s");
	for (size_t i = 0, shown = 0; i < after->n && shown < TEST_LEAKS_SHOWN; i++) {
		char link[64], target[PATH_MAX];
		ssize_t len;
		int fd = after->fds[i];

		if (fdset_has(before, fd))
			continue;
		snprintf(link, sizeof(link), "/proc/self/fd/%d", fd);
		len = readlink(link, target, sizeof(target) - 1);
		target[len < 0 ? 0 : len] = '\0';
		fprintf(stderr, "    fd %d -> %s\n", fd, len < 0 ? "?" : target);
		shown++;
	}
	return leaked;
}

/* --- running one test -------------------------------------------------------------------- */

/* atexit() handler in a test child: the body called exit() itself. */
static void exit_from_body(void)
{
	if (!runner.in_body)
		return;
	runner.in_body = false;
	fprintf(stderr, "test body called exit() before the test ended\n");
	runner.report->result = TEST_RESULT_FAIL;
	_exit(TEST_EXIT_FAIL);
}

/*
 * Call the body; assertions and SKIP siglongjmp() back here. Kept apart from
 * run_body() so no local there lives across the sigsetjmp().
 */
static enum test_result call_body(const struct test *t)
{
	runner.thread = pthread_self();
	/* sigsetjmp() may only stand alone in a controlling expression. */
	switch (sigsetjmp(runner.jmp, 1)) {
	case 0:
		t->fn();
		return TEST_RESULT_PASS;
	case TEST_RESULT_SKIP:
		return TEST_RESULT_SKIP;
	default:
		return TEST_RESULT_FAIL;
	}
}

/* Run the body of @t in this process and thread, with the fd-leak check. */
static enum test_result run_body(const struct test *t)
{
	bool check = runner.leak_check && !(t->flags & TEST_MUST_FAIL);
	struct fdset before = { 0 }, after = { 0 };
	enum test_result result;

	if (check)
		fdset_snapshot(&before);
	runner.in_body = true;
	result = call_body(t);
	runner.in_body = false;

	if (check && result == TEST_RESULT_PASS) {
		fdset_snapshot(&after);
		if (report_leaks(&before, &after))
			result = TEST_RESULT_FAIL;
	}
	free(before.fds);
	free(after.fds);
	return result;
}

static _Noreturn void child_main(const struct test *t, int outfd, pid_t parent)
{
	enum test_result result;

	/* Do not outlive a runner killed by meson's own timeout. */
	prctl(PR_SET_PDEATHSIG, SIGKILL);
	if (getppid() != parent)
		_exit(TEST_EXIT_FAIL);
	sigprocmask(SIG_SETMASK, &runner.orig_mask, NULL);
	setpgid(0, 0); /* see wait_child() */

	dup2(outfd, STDOUT_FILENO);
	dup2(outfd, STDERR_FILENO);
	close(outfd);
	setvbuf(stdout, NULL, _IONBF, 0);

	runner.forked = true;
	atexit(exit_from_body);
	alarm(runner.timeout);
	result = run_body(t);
	alarm(0);

	runner.report->result = result;
	/* exit(), not _exit(): LeakSanitizer and stdio flushing run per test. */
	exit(exit_status(result));
}

static int64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

/*
 * Wait for the test child @pid to end; past the deadline (if any) kill it.
 * SIGCHLD is blocked, so sigtimedwait() sleeps until a child changes state.
 *
 * The child leads its own process group. Before it is reaped (while its
 * zombie still holds the group id, so the id cannot be reused) the whole group
 * is killed: processes the test started and left running, such as a daemon,
 * do not outlive it. Returns true if the child itself had to be killed.
 */
static bool wait_child(pid_t pid, int *status, int64_t deadline)
{
	bool killed = false;
	sigset_t chld;

	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	for (;;) {
		siginfo_t si = { 0 };
		struct timespec ts;
		int64_t left;

		if (waitid(P_PID, (id_t)pid, &si, WEXITED | WNOHANG | WNOWAIT) < 0) {
			if (errno == EINTR)
				continue;
			printf("Bail out! waitid: %s\n", strerror(errno));
			exit(2);
		}
		if (si.si_pid == pid)
			break;
		if (deadline < 0) {
			sigwaitinfo(&chld, NULL);
			continue;
		}
		left = deadline - now_ms();
		if (left <= 0) {
			kill(pid, SIGKILL);
			killed = true;
			deadline = -1;
			continue;
		}
		ts.tv_sec = left / 1000;
		ts.tv_nsec = (left % 1000) * 1000000;
		sigtimedwait(&chld, NULL, &ts);
	}
	kill(-pid, SIGKILL);
	while (waitpid(pid, status, 0) < 0 && errno == EINTR)
		;
	return killed;
}

/* Read what the child wrote to @fd, up to TEST_OUTPUT_MAX bytes; NUL-terminated. */
static char *read_output(int fd, size_t *len, bool *truncated)
{
	struct stat st;
	size_t size = 0, got = 0;
	char *buf;

	if (fstat(fd, &st) == 0 && st.st_size > 0)
		size = (size_t)st.st_size;
	*truncated = size > TEST_OUTPUT_MAX;
	if (*truncated)
		size = TEST_OUTPUT_MAX;
	buf = malloc(size + 1);
	if (!buf) {
		*len = 0;
		return NULL;
	}
	while (got < size) {
		ssize_t r = pread(fd, buf + got, size - got, (off_t)got);

		if (r <= 0)
			break;
		got += (size_t)r;
	}
	buf[got] = '\0';
	*len = got;
	return buf;
}

/* Re-emit @len bytes of test output as TAP diagnostics. */
static void print_diag_text(const char *buf, size_t len)
{
	while (len) {
		const char *nl = memchr(buf, '\n', len);
		size_t n = nl ? (size_t)(nl - buf) : len;

		printf("# %.*s\n", (int)n, buf);
		if (!nl)
			break;
		len -= n + 1;
		buf += n + 1;
	}
}

static int make_output_fd(void)
{
	int fd = memfd_create("uvfio-test-output", MFD_CLOEXEC);
	FILE *f;

	if (fd >= 0)
		return fd;
	f = tmpfile();
	if (!f)
		return -1;
	fd = fcntl(fileno(f), F_DUPFD_CLOEXEC, 3);
	fclose(f);
	return fd;
}

static void run_forked(const struct test *t, struct test_outcome *o)
{
	struct test_report *report = runner.report;
	int64_t deadline = -1;
	bool killed, truncated;
	pid_t pid, parent = getpid();
	int status = 0, outfd;
	size_t len;
	char *out;

	outfd = make_output_fd();
	if (outfd < 0) {
		printf("Bail out! cannot create an output file: %s\n", strerror(errno));
		exit(2);
	}
	memset(report, 0, sizeof(*report));

	fflush(stdout);
	fflush(stderr);
	pid = fork();
	if (pid < 0) {
		printf("Bail out! fork: %s\n", strerror(errno));
		exit(2);
	}
	if (pid == 0)
		child_main(t, outfd, parent);
	setpgid(pid, pid); /* also here, so the group exists whoever runs first */

	if (runner.timeout)
		deadline = now_ms() + runner.timeout * 1000ll + TEST_KILL_GRACE_MS;
	killed = wait_child(pid, &status, deadline);

	out = read_output(outfd, &len, &truncated);
	close(outfd);
	if (out)
		print_diag_text(out, len);
	if (truncated)
		printf("# (output truncated to %u bytes)\n", TEST_OUTPUT_MAX);
	free(out);

	if (killed) {
		o->result = TEST_RESULT_FAIL;
		o->timed_out = true;
		snprintf(o->why, sizeof(o->why),
			 "timed out after %u s and was killed (SIGALRM blocked or ignored?)",
			 runner.timeout);
	} else if (WIFSIGNALED(status)) {
		int sig = WTERMSIG(status);

		o->result = TEST_RESULT_FAIL;
		if (sig == SIGALRM && runner.timeout) {
			o->timed_out = true;
			snprintf(o->why, sizeof(o->why), "timed out after %u s", runner.timeout);
		} else {
			const char *abbrev = sigabbrev_np(sig);

			snprintf(o->why, sizeof(o->why), "killed by signal SIG%s (%s)%s",
				 abbrev ? abbrev : "?", strsignal(sig),
				 WCOREDUMP(status) ? ", core dumped" : "");
		}
	} else {
		int code = WEXITSTATUS(status);
		if (report->result != TEST_RESULT_NONE && code == exit_status(report->result)) {
			o->result = report->result;
		} else {
			o->result = TEST_RESULT_FAIL;
			snprintf(o->why, sizeof(o->why), "exited with status %d %s", code,
				 report->result == TEST_RESULT_NONE ?
					 "before the test ended" :
					 "after the test ended (a sanitizer report?)");
		}
	}
}

static void run_inprocess(const struct test *t, struct test_outcome *o)
{
	runner.forked = false;
	memset(runner.report, 0, sizeof(*runner.report));
	o->result = run_body(t);
	fflush(stderr);
}

/* Remove the tmpdir tree: first make every directory writable, then delete depth first. */
static int chmod_dir(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)ftw;
	if (type == FTW_D && (st->st_mode & 0700) != 0700)
		chmod(path, st->st_mode | 0700);
	return 0;
}

static int remove_one(const char *path, const struct stat *st, int type, struct FTW *ftw)
{
	(void)st;
	(void)type;
	(void)ftw;
	if (remove(path) < 0 && errno != ENOENT)
		printf("# warning: cannot remove %s: %s\n", path, strerror(errno));
	return 0;
}

static void remove_tree(const char *dir)
{
	/* FTW_MOUNT: never reach into a file system a test left mounted here. */
	nftw(dir, chmod_dir, 16, FTW_PHYS | FTW_MOUNT);
	nftw(dir, remove_one, 16, FTW_DEPTH | FTW_PHYS | FTW_MOUNT);
}

static bool make_tmpdir(void)
{
	const char *base = getenv("TMPDIR");

	if (!base || !*base)
		base = "/tmp";
	snprintf(runner.tmpdir, sizeof(runner.tmpdir), "%s/uvfio-test-XXXXXX", base);
	return mkdtemp(runner.tmpdir) != NULL;
}

/* Run test number @num and print its TAP line; returns its result. */
static enum test_result run_one(const struct test *t, unsigned int num)
{
	struct test_outcome o = { 0 };

	runner.cur = t;
	snprintf(runner.cur_name, sizeof(runner.cur_name), "%s.%s", t->suite, t->name);
	if (!make_tmpdir()) {
		o.result = TEST_RESULT_FAIL;
		snprintf(o.why, sizeof(o.why), "cannot create a tmpdir %.100s: %s", runner.tmpdir,
			 strerror(errno));
		runner.tmpdir[0] = '\0';
	} else if (runner.nofork) {
		run_inprocess(t, &o);
	} else {
		run_forked(t, &o);
	}
	if (runner.tmpdir[0])
		remove_tree(runner.tmpdir);

	if (o.why[0])
		printf("# %s\n", o.why);
	if (t->flags & TEST_MUST_FAIL) {
		if (o.result == TEST_RESULT_PASS) {
			o.result = TEST_RESULT_FAIL;
			printf("# the test passed, but it must fail\n");
		} else if (o.result == TEST_RESULT_FAIL && !o.timed_out) {
			o.result = TEST_RESULT_PASS;
			printf("# failed, as it must\n");
		}
	}

	switch (o.result) {
	case TEST_RESULT_PASS:
		printf("ok %u %s\n", num, runner.cur_name);
		break;
	case TEST_RESULT_SKIP: {
		char *reason = runner.report->reason;

		/* The reason must stay on the TAP line. */
		for (char *p = reason; *p; p++)
			if (*p == '\n' || *p == '\r')
				*p = ' ';
		printf("ok %u %s # SKIP %s\n", num, runner.cur_name, *reason ? reason : "skipped");
		break;
	}
	default:
		o.result = TEST_RESULT_FAIL;
		printf("not ok %u %s\n", num, runner.cur_name);
		break;
	}
	fflush(stdout);
	runner.cur = NULL;
	return o.result;
}

/* --- main -------------------------------------------------------------------------------- */

static bool env_flag(const char *name)
{
	const char *v = getenv(name);

	return v && *v && strcmp(v, "0") != 0;
}

/*
 * Source order: constructors of one object file run contiguously and in link
 * order, but not necessarily in line order within the file. Order files by
 * their first registration, then tests by line.
 */
struct sort_key {
	struct test *t;
	unsigned int file_rank;
};

static int cmp_key(const void *a, const void *b)
{
	const struct sort_key *x = a, *y = b;

	if (x->file_rank != y->file_rank)
		return x->file_rank < y->file_rank ? -1 : 1;
	if (x->t->line != y->t->line)
		return x->t->line < y->t->line ? -1 : 1;
	return x->t->seq < y->t->seq ? -1 : x->t->seq > y->t->seq;
}

static struct sort_key *sorted_tests(void)
{
	struct sort_key *keys = calloc(n_registered + 1, sizeof(*keys));
	unsigned int i = 0;

	if (!keys) {
		printf("Bail out! out of memory\n");
		exit(2);
	}
	for (struct test *t = registered; t; t = t->next)
		keys[i++].t = t;
	/* registered is newest first: rank each file by its earliest test */
	for (i = 0; i < n_registered; i++) {
		keys[i].file_rank = keys[i].t->seq;
		for (unsigned int j = 0; j < n_registered; j++)
			if (strcmp(keys[j].t->file, keys[i].t->file) == 0 &&
			    keys[j].t->seq < keys[i].file_rank)
				keys[i].file_rank = keys[j].t->seq;
	}
	qsort(keys, n_registered, sizeof(*keys), cmp_key);

	for (i = 0; i + 1 < n_registered; i++)
		for (unsigned int j = i + 1; j < n_registered; j++)
			if (strcmp(keys[i].t->suite, keys[j].t->suite) == 0 &&
			    strcmp(keys[i].t->name, keys[j].t->name) == 0) {
				printf("Bail out! test %s.%s defined twice (%s:%d, %s:%d)\n",
				       keys[i].t->suite, keys[i].t->name, keys[i].t->file,
				       keys[i].t->line, keys[j].t->file, keys[j].t->line);
				exit(2);
			}
	return keys;
}

static bool matches(const struct test *t, const char *filter)
{
	char name[256];

	if (!filter)
		return true;
	snprintf(name, sizeof(name), "%s.%s", t->suite, t->name);
	return fnmatch(filter, name, 0) == 0;
}

static void usage(const char *argv0, FILE *f)
{
	fprintf(f,
		"usage: %s [--list | GLOB]\n"
		"Run the tests whose suite.name matches GLOB (default: all), printing TAP.\n"
		"Environment: UVFIO_TEST_FILTER=GLOB, UVFIO_TEST_TIMEOUT=SECONDS (0: none),\n"
		"UVFIO_TEST_NOFORK=1 (in-process, for gdb), UVFIO_TEST_NO_LEAK_CHECK=1.\n",
		argv0);
}

int main(int argc, char **argv)
{
	unsigned int n = 0, num = 0, passed = 0, failed = 0, skipped = 0;
	static struct test_report inprocess_report;
	const char *filter = getenv("UVFIO_TEST_FILTER");
	const char *timeout = getenv("UVFIO_TEST_TIMEOUT");
	struct sort_key *keys;
	sigset_t chld;

	if (argc > 2) {
		usage(argv[0], stderr);
		return 2;
	}
	if (argc == 2 && (!strcmp(argv[1], "-h") || !strcmp(argv[1], "--help"))) {
		usage(argv[0], stdout);
		return 0;
	}
	if (filter && !*filter)
		filter = NULL;
	if (argc == 2 && strcmp(argv[1], "--list") != 0)
		filter = argv[1];

	runner.timeout = TEST_DEFAULT_TIMEOUT;
	if (timeout && *timeout) {
		char *end;
		unsigned long v = strtoul(timeout, &end, 10);

		if (*end || v > 86400) {
			printf("Bail out! bad UVFIO_TEST_TIMEOUT '%s'\n", timeout);
			return 2;
		}
		runner.timeout = (unsigned int)v;
	}
	runner.nofork = env_flag("UVFIO_TEST_NOFORK");
	runner.leak_check = !env_flag("UVFIO_TEST_NO_LEAK_CHECK");

	keys = sorted_tests();
	if (argc == 2 && !strcmp(argv[1], "--list")) {
		for (unsigned int i = 0; i < n_registered; i++)
			printf("%s.%s\n", keys[i].t->suite, keys[i].t->name);
		free(keys);
		return 0;
	}
	for (unsigned int i = 0; i < n_registered; i++)
		n += matches(keys[i].t, filter);

	printf("TAP version 13\n");
	if (!n) {
		printf("1..0 # SKIP no test matches '%s'\n", filter ? filter : "*");
		free(keys);
		return 0;
	}
	printf("1..%u\n", n);
	if (runner.nofork)
		printf("# UVFIO_TEST_NOFORK: running in-process, without timeouts\n");

	if (runner.nofork) {
		runner.report = &inprocess_report;
	} else {
		runner.report = mmap(NULL, sizeof(*runner.report), PROT_READ | PROT_WRITE,
				     MAP_SHARED | MAP_ANONYMOUS, -1, 0);
		if (runner.report == MAP_FAILED) {
			printf("Bail out! mmap: %s\n", strerror(errno));
			return 2;
		}
	}
	/* Only in the runner: in-process tests see the original mask. */
	sigemptyset(&chld);
	sigaddset(&chld, SIGCHLD);
	if (!runner.nofork)
		sigprocmask(SIG_BLOCK, &chld, &runner.orig_mask);

	for (unsigned int i = 0; i < n_registered; i++) {
		if (!matches(keys[i].t, filter))
			continue;
		switch (run_one(keys[i].t, ++num)) {
		case TEST_RESULT_PASS:
			passed++;
			break;
		case TEST_RESULT_SKIP:
			skipped++;
			break;
		default:
			failed++;
			break;
		}
	}

	printf("# summary: %u tests, %u pass, %u fail, %u skip\n", n, passed, failed, skipped);
	if (!runner.nofork)
		munmap(runner.report, sizeof(*runner.report));
	free(keys);
	return failed ? 1 : 0;
}

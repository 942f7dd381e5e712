/*
 * The harness's own test, in two halves:
 *
 *  - selftest.*: the passing side of every assertion, the tmpdir, threads,
 *    FAIL_TEST; and checks that run this same binary again on bad.* and read
 *    the TAP it prints. Meson runs this file with the filter 'selftest.*'.
 *  - bad.*: tests that misbehave on purpose, one per way a test can fail
 *    (each assertion kind, a crash, a timeout, an fd leak, exit(), ...). They
 *    SKIP unless UVFIO_SELFTEST_BAD=1, which run_self() sets.
 *
 * bad_expect[] lists every bad.* test, in source order, with the verdict and a
 * piece of the diagnostics the harness must print for it.
 */
#include "test.h"

#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

static int neg_errno(int err)
{
	return -err;
}

/* --- the passing side ---------------------------------------------------------------------- */

TEST(selftest, int_compare_by_value)
{
	int minus_one = -1;
	unsigned int zero = 0;
	uint64_t big = UINT64_MAX;
	uint8_t small = 200;
	enum { E_A = 1, E_B = 2 } e = E_B;

	ASSERT_LT(minus_one, zero); /* in C, -1 < 0u is false */
	ASSERT_GT(big, minus_one);
	ASSERT_NE(big, minus_one);
	ASSERT_EQ(small, 200);
	ASSERT_LE(zero, 0);
	ASSERT_GE(big, big);
	ASSERT_LT(INT64_MIN, 0u);
	ASSERT_EQ(INT64_MIN, INT64_MIN);
	ASSERT_GT(big, INT64_MAX);
	ASSERT_EQ(e, E_B);
	ASSERT_EQ((char)'x', 'x');
	ASSERT_EQ(true, 1);
	ASSERT_TRUE(minus_one);
	ASSERT_FALSE(zero);
}

TEST(selftest, int_compare_evaluates_once)
{
	int i = 0, j = 10;

	ASSERT_EQ(i++, 0);
	ASSERT_LT(i++, j--);
	ASSERT_EQ(i, 2);
	ASSERT_EQ(j, 9);
}

TEST(selftest, pointers)
{
	int x;
	int *p = &x, *null = NULL;

	ASSERT_EQ(null, NULL);
	ASSERT_NE(p, NULL);
	ASSERT_LT(p, p + 1);
	ASSERT_EQ(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), MAP_FAILED);
}

TEST(selftest, errno_and_negative_errno)
{
	int fd;

	ASSERT_ERRNO(close(-1), EBADF);
	ASSERT_ERRNO(mmap(NULL, 0, PROT_READ, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0), EINVAL);
	ASSERT_NEG(neg_errno(EINVAL), EINVAL);
	ASSERT_NEG(neg_errno(0), 0);
	ASSERT_OK(0);
	ASSERT_OK(fd = open("/dev/null", O_RDONLY | O_CLOEXEC));
	ASSERT_OK(close(fd));
}

TEST(selftest, strings_and_memory)
{
	const char *null = NULL;
	unsigned char a[40], b[40];

	ASSERT_STREQ("vfio", "vfio");
	ASSERT_STREQ(null, NULL);
	memset(a, 0x5a, sizeof(a));
	memset(b, 0x5a, sizeof(b));
	ASSERT_MEMEQ(a, b, sizeof(a));
	b[0] = 0;
	ASSERT_MEMEQ(a, b, 0);
	ASSERT_MEMEQ(a + 1, b + 1, sizeof(a) - 1);
}

TEST(selftest, tmpdir)
{
	const char *dir = test_tmpdir();
	char path[4096];
	struct stat st;
	int fd;

	ASSERT_OK(stat(dir, &st));
	ASSERT_TRUE(S_ISDIR(st.st_mode));
	ASSERT_EQ(st.st_mode & 0777, 0700);
	ASSERT_STREQ(test_tmpdir(), dir);
	/* short enough for an AF_UNIX socket path with room to spare */
	ASSERT_LT(strlen(dir), 64);

	snprintf(path, sizeof(path), "%s/file", dir);
	ASSERT_OK(fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	ASSERT_OK(close(fd));
}

TEST(selftest, name)
{
	ASSERT_STREQ(test_name(), "selftest.name");
}

static void *thread_ok(void *arg)
{
	int *p = arg;

	ASSERT_EQ(*p, 42);
	*p = 43;
	return NULL;
}

TEST(selftest, threads)
{
	pthread_t th;
	int v = 42;

	ASSERT_EQ(pthread_create(&th, NULL, thread_ok, &v), 0);
	ASSERT_EQ(pthread_join(th, NULL), 0);
	ASSERT_EQ(v, 43);
}

static void assert_in_helper(void)
{
	/* Assertions work from helpers: this one ends the test. */
	ASSERT_EQ(1, 2);
}

FAIL_TEST(selftest, must_fail_from_helper)
{
	assert_in_helper();
	FAIL("not reached");
}

/* --- the misbehaving side -------------------------------------------------------------------- */

static void bad_only(void)
{
	if (!getenv("UVFIO_SELFTEST_BAD"))
		SKIP("misbehaves on purpose; selftest.* runs it with UVFIO_SELFTEST_BAD=1");
}

TEST(bad, passes)
{
	bad_only();
}

TEST(bad, assert_eq)
{
	int one_plus_one = 2;

	bad_only();
	ASSERT_EQ(one_plus_one, 3);
}

TEST(bad, assert_lt_by_value)
{
	unsigned int zero = 0;

	bad_only();
	ASSERT_LT(zero, -1);
}

TEST(bad, assert_false)
{
	bad_only();
	ASSERT_FALSE(1 + 1 == 2);
}

TEST(bad, streq)
{
	const char *s = "abc";

	bad_only();
	ASSERT_STREQ(s, "abd");
}

TEST(bad, memeq)
{
	unsigned char a[20] = { 0 }, b[20] = { 0 };

	bad_only();
	b[17] = 0xff;
	ASSERT_MEMEQ(a, b, sizeof(a));
}

TEST(bad, ok_errno)
{
	bad_only();
	ASSERT_OK(open("/nonexistent/uvfio", O_RDONLY));
}

TEST(bad, ok_negative_errno)
{
	bad_only();
	ASSERT_OK(neg_errno(EBUSY));
}

TEST(bad, errno_wrong)
{
	bad_only();
	ASSERT_ERRNO(close(-1), ENOENT);
}

TEST(bad, neg_wrong)
{
	bad_only();
	ASSERT_NEG(neg_errno(EIO), EINVAL);
}

TEST(bad, fail_macro)
{
	bad_only();
	FAIL("custom failure %d", 7);
}

TEST(bad, segfault)
{
	int *volatile p = (int *)16; /* not NULL: UBSan would stop a NULL store first */

	bad_only();
	signal(SIGSEGV, SIG_DFL);
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	*p = 1;
}

TEST(bad, abort)
{
	bad_only();
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	abort();
}

TEST(bad, timeout)
{
	bad_only();
	for (;;)
		pause();
}

TEST(bad, timeout_alarm_ignored)
{
	bad_only();
	signal(SIGALRM, SIG_IGN);
	for (;;)
		sleep(1);
}

TEST(bad, fd_leak)
{
	bad_only();
	ASSERT_OK(open("/dev/null", O_RDONLY));
	ASSERT_OK(open("/dev/null", O_RDONLY));
}

TEST(bad, exit_in_body)
{
	bad_only();
	exit(0);
}

TEST(bad, _exit_in_body)
{
	bad_only();
	_exit(0);
}

static void *assert_in_thread(void *arg)
{
	int in_thread = 1;

	(void)arg;
	ASSERT_EQ(in_thread, 0);
	return NULL;
}

TEST(bad, thread_assert)
{
	pthread_t th;

	bad_only();
	ASSERT_EQ(pthread_create(&th, NULL, assert_in_thread, NULL), 0);
	pthread_join(th, NULL);
	FAIL("the thread's assertion did not end the test");
}

TEST(bad, skip)
{
	bad_only();
	SKIP("not today: %d", 42);
}

TEST(bad, tmpdir_removed)
{
	char path[4096];
	int fd;

	bad_only();
	printf("tmpdir=%s\n", test_tmpdir());
	snprintf(path, sizeof(path), "%s/sub", test_tmpdir());
	ASSERT_OK(mkdir(path, 0700));
	snprintf(path, sizeof(path), "%s/sub/file", test_tmpdir());
	ASSERT_OK(fd = open(path, O_CREAT | O_WRONLY | O_CLOEXEC, 0600));
	ASSERT_OK(close(fd));
	/* a read-only directory must not stop the cleanup */
	snprintf(path, sizeof(path), "%s/sub", test_tmpdir());
	ASSERT_OK(chmod(path, 0500));
}

TEST(bad, leaves_process)
{
	pid_t pid;

	bad_only();
	ASSERT_OK(pid = fork());
	if (pid == 0) {
		for (;;)
			pause();
	}
	printf("child=%d\n", (int)pid);
}

FAIL_TEST(bad, must_fail_but_passes)
{
	bad_only();
}

FAIL_TEST(bad, must_fail_and_does)
{
	bad_only();
	setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
	abort();
}

/* --- reading the TAP of a run of bad.* ------------------------------------------------------- */

enum verdict { V_OK, V_NOT_OK, V_SKIP };

static const struct expect {
	const char *name;
	enum verdict verdict;
	const char *diag; /* must appear in the diagnostics before the result line */
} bad_expect[] = {
	{ "bad.passes", V_OK, NULL },
	{ "bad.assert_eq", V_NOT_OK, "assertion failed: one_plus_one == 3\n#     one_plus_one: 2" },
	{ "bad.assert_lt_by_value", V_NOT_OK, "assertion failed: zero < -1" },
	{ "bad.assert_false", V_NOT_OK, "assertion failed: !(1 + 1 == 2)" },
	{ "bad.streq", V_NOT_OK, "s: \"abc\"" },
	{ "bad.memeq", V_NOT_OK, "first difference at byte 17" },
	{ "bad.ok_errno", V_NOT_OK, "returned -1, errno 2 (ENOENT" },
	{ "bad.ok_negative_errno", V_NOT_OK, "returned -16 (-EBUSY" },
	{ "bad.errno_wrong", V_NOT_OK, "got      -1, errno 9 (EBADF" },
	{ "bad.neg_wrong", V_NOT_OK, "got      -5 (-EIO" },
	{ "bad.fail_macro", V_NOT_OK, "selftest.c:" },
	{ "bad.segfault", V_NOT_OK, "killed by signal SIGSEGV" },
	{ "bad.abort", V_NOT_OK, "killed by signal SIGABRT" },
	{ "bad.timeout", V_NOT_OK, "timed out after 1 s" },
	{ "bad.timeout_alarm_ignored", V_NOT_OK, "and was killed" },
	{ "bad.fd_leak", V_NOT_OK, "fd leak: 2 fds" },
	{ "bad.exit_in_body", V_NOT_OK, "test body called exit()" },
	{ "bad._exit_in_body", V_NOT_OK, "exited with status 0 before the test ended" },
	{ "bad.thread_assert", V_NOT_OK, "assertion failed: in_thread == 0" },
	{ "bad.skip", V_SKIP, NULL },
	{ "bad.tmpdir_removed", V_OK, "tmpdir=" },
	{ "bad.leaves_process", V_OK, "child=" },
	{ "bad.must_fail_but_passes", V_NOT_OK, "passed, but it must fail" },
	{ "bad.must_fail_and_does", V_OK, "failed, as it must" },
};

#define N_BAD (sizeof(bad_expect) / sizeof(bad_expect[0]))

/* One result line of a TAP stream, with the diagnostics printed before it. */
struct tap_result {
	enum verdict verdict;
	char name[64];
	char reason[128]; /* SKIP reason */
	const char *diag;
	size_t diag_len;
};

struct tap {
	char *out; /* the whole stdout, NUL-terminated */
	int status; /* from waitpid() */
	bool version_first; /* "TAP version 13" is line 1 */
	bool clean; /* every line is TAP: nothing leaked out unprefixed */
	int plan; /* N of "1..N", or -1 */
	bool plan_skip; /* "1..0 # SKIP" */
	unsigned int n, n_ok, n_not_ok, n_skip;
	struct tap_result res[64];
	char summary[128];
};

static void parse_line(struct tap *tap, const char *line, size_t len, const char **diag_start)
{
	struct tap_result *r = &tap->res[tap->n];
	char buf[512];
	int skip_at = 0;

	snprintf(buf, sizeof(buf), "%.*s", (int)len, line);
	if (tap->n == 0 && tap->plan < 0 && !strcmp(buf, "TAP version 13") && line == tap->out) {
		tap->version_first = true;
	} else if (sscanf(buf, "1..%d", &tap->plan) == 1) {
		tap->plan_skip = strstr(buf, "# SKIP") != NULL;
	} else if (!strncmp(buf, "# summary: ", 11)) {
		snprintf(tap->summary, sizeof(tap->summary), "%.100s", buf + 11);
	} else if (buf[0] == '#') {
		return;
	} else if (tap->n < 64 && (sscanf(buf, "ok %*u %63s %n", r->name, &skip_at) == 1 ||
				   sscanf(buf, "not ok %*u %63s", r->name) == 1)) {
		r->verdict = buf[0] == 'o' ? V_OK : V_NOT_OK;
		if (r->verdict == V_OK && skip_at && !strncmp(buf + skip_at, "# SKIP ", 7)) {
			r->verdict = V_SKIP;
			snprintf(r->reason, sizeof(r->reason), "%s", buf + skip_at + 7);
		}
		r->diag = *diag_start;
		r->diag_len = (size_t)(line - *diag_start);
		*diag_start = line + len + 1;
		tap->n_ok += r->verdict == V_OK;
		tap->n_not_ok += r->verdict == V_NOT_OK;
		tap->n_skip += r->verdict == V_SKIP;
		tap->n++;
	} else {
		tap->clean = false;
	}
}

static void parse_tap(struct tap *tap)
{
	const char *p = tap->out, *diag_start = tap->out;

	tap->clean = true;
	tap->plan = -1;
	while (*p) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);

		parse_line(tap, p, len, &diag_start);
		p += len + (nl != NULL);
	}
}

static const struct tap_result *tap_find(const struct tap *tap, const char *name)
{
	for (unsigned int i = 0; i < tap->n; i++)
		if (!strcmp(tap->res[i].name, name))
			return &tap->res[i];
	return NULL;
}

/* Run this binary on @arg with the bad tests enabled and a 1 s timeout; parse its TAP. */
static void run_self(const char *arg, bool nofork, struct tap *tap)
{
	size_t len = 0, cap = 0;
	int pipefd[2];
	pid_t pid;

	memset(tap, 0, sizeof(*tap));
	ASSERT_OK(pipe2(pipefd, O_CLOEXEC));
	ASSERT_OK(pid = fork());
	if (pid == 0) {
		dup2(pipefd[1], STDOUT_FILENO);
		dup2(pipefd[1], STDERR_FILENO);
		setrlimit(RLIMIT_CORE, &(struct rlimit){ 0, 0 });
		setenv("UVFIO_SELFTEST_BAD", "1", 1);
		setenv("UVFIO_TEST_TIMEOUT", "1", 1);
		unsetenv("UVFIO_TEST_FILTER");
		unsetenv("UVFIO_TEST_NO_LEAK_CHECK");
		if (nofork)
			setenv("UVFIO_TEST_NOFORK", "1", 1);
		else
			unsetenv("UVFIO_TEST_NOFORK");
		execl("/proc/self/exe", "harness-selftest", arg, (char *)NULL);
		_exit(127);
	}
	close(pipefd[1]);
	for (;;) {
		ssize_t r;

		if (cap - len < 4096) {
			cap = cap ? cap * 2 : 65536;
			tap->out = realloc(tap->out, cap);
			ASSERT_NE(tap->out, NULL);
		}
		r = read(pipefd[0], tap->out + len, cap - len - 1);
		if (r < 0 && errno == EINTR)
			continue;
		ASSERT_OK(r);
		if (r == 0)
			break;
		len += (size_t)r;
	}
	tap->out[len] = '\0';
	close(pipefd[0]);
	ASSERT_EQ(waitpid(pid, &tap->status, 0), pid);
	ASSERT_TRUE(WIFEXITED(tap->status));
	parse_tap(tap);
	/* Shown on failure: the nested run's TAP, as diagnostics of this test. */
	if (getenv("UVFIO_SELFTEST_VERBOSE"))
		printf("%s", tap->out);
}

TEST(selftest, reports_every_failure_kind)
{
	unsigned int n_ok = 0, n_not_ok = 0, n_skip = 0;
	struct tap tap;
	char expect_summary[128];

	run_self("bad.*", false, &tap);
	ASSERT_TRUE(tap.version_first);
	ASSERT_TRUE(tap.clean);
	ASSERT_EQ(tap.plan, N_BAD);
	ASSERT_EQ(tap.n, N_BAD);
	ASSERT_EQ(WEXITSTATUS(tap.status), 1);

	for (unsigned int i = 0; i < N_BAD; i++) {
		const struct expect *e = &bad_expect[i];
		const struct tap_result *r = &tap.res[i];

		/* in source order, with the expected verdict */
		if (strcmp(r->name, e->name) != 0 || r->verdict != e->verdict)
			FAIL("result %u: expected %s with verdict %d, got %s with verdict %d",
			     i + 1, e->name, e->verdict, r->name, r->verdict);
		if (e->diag && !memmem(r->diag, r->diag_len, e->diag, strlen(e->diag))) {
			printf("diagnostics of %s:\n%.*s", e->name, (int)r->diag_len, r->diag);
			FAIL("'%s' not in the diagnostics of %s", e->diag, e->name);
		}
		n_ok += e->verdict == V_OK;
		n_not_ok += e->verdict == V_NOT_OK;
		n_skip += e->verdict == V_SKIP;
	}
	ASSERT_EQ(tap.n_ok, n_ok);
	ASSERT_EQ(tap.n_not_ok, n_not_ok);
	ASSERT_EQ(tap.n_skip, n_skip);
	ASSERT_STREQ(tap_find(&tap, "bad.skip")->reason, "not today: 42");
	snprintf(expect_summary, sizeof(expect_summary), "%zu tests, %u pass, %u fail, %u skip",
		 N_BAD, n_ok, n_not_ok, n_skip);
	ASSERT_STREQ(tap.summary, expect_summary);

	/* bad.tmpdir_removed printed its tmpdir; the harness must have removed it. */
	{
		const struct tap_result *r = tap_find(&tap, "bad.tmpdir_removed");
		const char *at = memmem(r->diag, r->diag_len, "tmpdir=", 7);
		char dir[4096];

		ASSERT_NE(at, NULL);
		ASSERT_EQ(sscanf(at + 7, "%4095s", dir), 1);
		ASSERT_ERRNO(access(dir, F_OK), ENOENT);
	}

	/* bad.leaves_process forked a child that never exits; the harness must have killed it. */
	{
		const struct tap_result *r = tap_find(&tap, "bad.leaves_process");
		const char *at = memmem(r->diag, r->diag_len, "child=", 6);
		char path[64], stat[256] = "";
		int pid = 0, fd;

		ASSERT_NE(at, NULL);
		ASSERT_EQ(sscanf(at + 6, "%d", &pid), 1);
		ASSERT_GT(pid, 0);
		snprintf(path, sizeof(path), "/proc/%d/stat", pid);
		fd = open(path, O_RDONLY | O_CLOEXEC);
		if (fd >= 0) {
			/* gone, or a zombie waiting for a reaper */
			ASSERT_GT(read(fd, stat, sizeof(stat) - 1), 0);
			close(fd);
			ASSERT_NE(strstr(stat, ") Z "), NULL);
		}
	}
	free(tap.out);
}

TEST(selftest, filter_and_exit_status)
{
	struct tap tap;

	run_self("bad.pass?s", false, &tap);
	ASSERT_EQ(tap.plan, 1);
	ASSERT_EQ(tap.n_ok, 1);
	ASSERT_STREQ(tap.res[0].name, "bad.passes");
	ASSERT_EQ(WEXITSTATUS(tap.status), 0);
	free(tap.out);

	run_self("no.such.test", false, &tap);
	ASSERT_TRUE(tap.clean);
	ASSERT_EQ(tap.plan, 0);
	ASSERT_TRUE(tap.plan_skip);
	ASSERT_EQ(WEXITSTATUS(tap.status), 0);
	free(tap.out);
}

TEST(selftest, list_in_source_order)
{
	struct tap tap;
	const char *p;

	run_self("--list", false, &tap);
	ASSERT_EQ(WEXITSTATUS(tap.status), 0);
	p = strstr(tap.out, "selftest.int_compare_by_value\n");
	ASSERT_EQ(p, tap.out);
	for (unsigned int i = 0; i < N_BAD; i++) {
		size_t len = strlen(bad_expect[i].name);

		p = strstr(p, bad_expect[i].name);
		ASSERT_NE(p, NULL);
		ASSERT_EQ(p[len], '\n');
		p += len;
	}
	free(tap.out);
}

TEST(selftest, nofork_continues_after_failure)
{
	struct tap tap;

	run_self("bad.assert_*", true, &tap);
	ASSERT_EQ(tap.plan, 3);
	ASSERT_EQ(tap.n_not_ok, 3);
	ASSERT_STREQ(tap.summary, "3 tests, 0 pass, 3 fail, 0 skip");
	ASSERT_EQ(WEXITSTATUS(tap.status), 1);
	free(tap.out);
}

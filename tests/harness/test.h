/*
 * uvfio test harness: a fork-per-test runner with TAP output, after wayland's
 * tests/test-runner.c.
 *
 * A test file defines tests and nothing else; the harness provides main():
 *
 *	#include "test.h"
 *
 *	TEST(devnull, ioctl_enotty)
 *	{
 *		int fd;
 *
 *		ASSERT_OK(fd = open("/dev/null", O_RDONLY));
 *		ASSERT_ERRNO(ioctl(fd, 0), ENOTTY);
 *		close(fd);
 *	}
 *
 * Tests run in registration (source) order, each in a forked child:
 *
 *  - an assertion failure prints file:line and the values, and ends the test;
 *  - a crash or other signal fails the test and names the signal;
 *  - the test is killed after a timeout (30 s, 120 s in sanitizer builds; env
 *    UVFIO_TEST_TIMEOUT, 0 = none);
 *  - the fds open before and after the body are compared: a test that returns
 *    with more fds open than it started with fails and lists them;
 *  - whatever the test prints (stdout and stderr) is captured and re-emitted as
 *    TAP diagnostics ("# ..."), so printing from a test is fine;
 *  - the child leads a process group, killed when the test ends: processes it
 *    started and left running (a daemon) go with it.
 *
 * The test binary accepts one optional argument, a glob over "suite.name"
 * (env UVFIO_TEST_FILTER does the same), or --list. Other knobs, for a human:
 *
 *	UVFIO_TEST_NOFORK=1		run in-process (for gdb): no timeout, a crash
 *					ends the run
 *	UVFIO_TEST_NO_LEAK_CHECK=1	skip the fd-leak check
 *
 * Assertions may be used from helper functions called by the test, and from
 * other threads: there the whole test process ends at once.
 *
 * Integer comparisons (ASSERT_EQ and friends) take any integer, enum, bool or
 * pointer operands and compare their mathematical values: -1 < 0u holds here.
 */
#ifndef UVFIO_TEST_HARNESS_H
#define UVFIO_TEST_HARNESS_H

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

/* The test's body returning normally is a failure, and any failure a pass. */
#define TEST_MUST_FAIL (1u << 0)

/* One test, filled in by TEST()/FAIL_TEST(). */
struct test {
	const char *suite;
	const char *name;
	void (*fn)(void);
	const char *file;
	int line;
	unsigned int flags; /* TEST_MUST_FAIL */

	/* private to the harness */
	unsigned int seq;
	struct test *next;
};

/* Called from TEST()'s constructor; @t must outlive the program. */
void test_register(struct test *t);

#define TEST_DEFINE_(suite_, name_, flags_)                                          \
	static void test_fn__##suite_##__##name_(void);                              \
	static struct test test_desc__##suite_##__##name_ = {                        \
		.suite = #suite_,                                                    \
		.name = #name_,                                                      \
		.fn = test_fn__##suite_##__##name_,                                  \
		.file = __FILE__,                                                    \
		.line = __LINE__,                                                    \
		.flags = (flags_),                                                   \
	};                                                                           \
	__attribute__((constructor)) static void test_reg__##suite_##__##name_(void) \
	{                                                                            \
		test_register(&test_desc__##suite_##__##name_);                      \
	}                                                                            \
	static void test_fn__##suite_##__##name_(void)

/* Define and register the test "suite.name"; the function body follows. */
#define TEST(suite, name) TEST_DEFINE_(suite, name, 0)

/*
 * A test that must fail: an assertion failure, a crash or a non-zero exit is a
 * pass, returning normally is a failure (a timeout is always a failure). For
 * "this must be rejected" checks that end the process, e.g. an abort() in a
 * debug assertion. With UVFIO_TEST_NOFORK=1 a crash still ends the run.
 */
#define FAIL_TEST(suite, name) TEST_DEFINE_(suite, name, TEST_MUST_FAIL)

/*
 * Helpers for the macros below; call the macros, not these. The test_fail_*()
 * functions print the failure and end the test: they do not return.
 */
_Noreturn void test_fail_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
_Noreturn void test_skip_at(const char *file, int line, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));
int test_int_cmp(uintmax_t a, bool a_signed, uintmax_t b, bool b_signed);
_Noreturn void test_fail_cmp(const char *file, int line, const char *a_str, const char *op,
			     const char *b_str, uintmax_t a, bool a_signed, uintmax_t b,
			     bool b_signed);
bool test_streq(const char *a, const char *b);
_Noreturn void test_fail_streq(const char *file, int line, const char *a_str, const char *b_str,
			       const char *a, const char *b);
_Noreturn void test_fail_memeq(const char *file, int line, const char *a_str, const char *b_str,
			       const void *a, const void *b, size_t n);
_Noreturn void test_fail_ok(const char *file, int line, const char *expr, intmax_t ret, int err);
_Noreturn void test_fail_errno(const char *file, int line, const char *expr, intmax_t ret, int err,
			       int want);
_Noreturn void test_fail_neg(const char *file, int line, const char *expr, intmax_t ret, int want);

/*
 * A per-test temporary directory, created before the test starts and removed
 * (with its contents) after it ends, however it ends. Short, so AF_UNIX socket
 * paths inside it fit.
 */
const char *test_tmpdir(void);

/* "suite.name" of the running test. */
const char *test_name(void);

/*
 * Is the (unevaluated) integer expression @x of a signed type? Pointers count
 * as signed. clang-format 14 mangles _Generic, hence the off/on.
 */
/* clang-format off */
#define TEST_IS_SIGNED_(x)						\
	_Generic((x),							\
		 _Bool: false,						\
		 char: (CHAR_MIN < 0),					\
		 unsigned char: false,					\
		 unsigned short: false,					\
		 unsigned int: false,					\
		 unsigned long: false,					\
		 unsigned long long: false,				\
		 default: true)
/* clang-format on */

#define TEST_CMP_(a, op, b)                                                                        \
	do {                                                                                       \
		const uintmax_t test_a_ = (uintmax_t)(a);                                          \
		const uintmax_t test_b_ = (uintmax_t)(b);                                          \
		const bool test_as_ = TEST_IS_SIGNED_(a);                                          \
		const bool test_bs_ = TEST_IS_SIGNED_(b);                                          \
		if (!(test_int_cmp(test_a_, test_as_, test_b_, test_bs_) op 0))                    \
			test_fail_cmp(__FILE__, __LINE__, #a, #op, #b, test_a_, test_as_, test_b_, \
				      test_bs_);                                                   \
	} while (0)

#define ASSERT_TRUE(x)                                                                \
	do {                                                                          \
		if (!(x))                                                             \
			test_fail_at(__FILE__, __LINE__, "assertion failed: %s", #x); \
	} while (0)

#define ASSERT_FALSE(x)                                                                  \
	do {                                                                             \
		if (x)                                                                   \
			test_fail_at(__FILE__, __LINE__, "assertion failed: !(%s)", #x); \
	} while (0)

#define ASSERT_EQ(a, b) TEST_CMP_(a, ==, b)
#define ASSERT_NE(a, b) TEST_CMP_(a, !=, b)
#define ASSERT_LT(a, b) TEST_CMP_(a, <, b)
#define ASSERT_LE(a, b) TEST_CMP_(a, <=, b)
#define ASSERT_GT(a, b) TEST_CMP_(a, >, b)
#define ASSERT_GE(a, b) TEST_CMP_(a, >=, b)

/* Both strings equal; NULL equals only NULL. */
#define ASSERT_STREQ(a, b)                                                               \
	do {                                                                             \
		const char *test_sa_ = (a);                                              \
		const char *test_sb_ = (b);                                              \
		if (!test_streq(test_sa_, test_sb_))                                     \
			test_fail_streq(__FILE__, __LINE__, #a, #b, test_sa_, test_sb_); \
	} while (0)

/* The first @n bytes at @a and @b are equal; the failure shows the first difference. */
#define ASSERT_MEMEQ(a, b, n)                                                                     \
	do {                                                                                      \
		const void *test_ma_ = (a);                                                       \
		const void *test_mb_ = (b);                                                       \
		const size_t test_n_ = (n);                                                       \
		if (test_n_ && memcmp(test_ma_, test_mb_, test_n_) != 0)                          \
			test_fail_memeq(__FILE__, __LINE__, #a, #b, test_ma_, test_mb_, test_n_); \
	} while (0)

/* @expr (an integer or pointer) is >= 0; the failure shows its value and errno. */
#define ASSERT_OK(expr)                                                                  \
	do {                                                                             \
		const intmax_t test_ret_ = (intmax_t)(expr);                             \
		const int test_errno_ = errno;                                           \
		if (test_ret_ < 0)                                                       \
			test_fail_ok(__FILE__, __LINE__, #expr, test_ret_, test_errno_); \
	} while (0)

/*
 * libc style: @expr returns -1 (or MAP_FAILED) and sets errno to @err. errno is
 * cleared first, so a stale value cannot pass.
 */
#define ASSERT_ERRNO(expr, err)                                                            \
	do {                                                                               \
		errno = 0;                                                                 \
		const intmax_t test_ret_ = (intmax_t)(expr);                               \
		const int test_errno_ = errno;                                             \
		const int test_want_ = (err);                                              \
		if (test_ret_ != -1 || test_errno_ != test_want_)                          \
			test_fail_errno(__FILE__, __LINE__, #expr, test_ret_, test_errno_, \
					test_want_);                                       \
	} while (0)

/* Kernel style: @expr returns exactly -@err (ASSERT_NEG(f(), 0) means "returns 0"). */
#define ASSERT_NEG(expr, err)                                                            \
	do {                                                                             \
		const intmax_t test_ret_ = (intmax_t)(expr);                             \
		const int test_want_ = (err);                                            \
		if (test_ret_ != -(intmax_t)test_want_)                                  \
			test_fail_neg(__FILE__, __LINE__, #expr, test_ret_, test_want_); \
	} while (0)

/* Fail the test unconditionally with a printf-style message. */
#define FAIL(...) test_fail_at(__FILE__, __LINE__, __VA_ARGS__)

/*
 * End the test as skipped; the printf-style reason goes on the TAP line
 * ("ok 3 suite.name # SKIP reason"). Pass a variable reason as SKIP("%s", s).
 */
#define SKIP(...) test_skip_at(__FILE__, __LINE__, __VA_ARGS__)

#endif /* UVFIO_TEST_HARNESS_H */

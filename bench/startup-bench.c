// SPDX-License-Identifier: MIT
/*
 * startup-bench: what `uvfio run -- true` adds to `true`. Runs outside uvfio
 * (bench/run.sh starts it directly): it forks and execs each command N times,
 * alternating the two, and prints the median wall time of each and their
 * difference as a bench/run.sh result line:
 *
 *   BENCH startup.uvfio_run_true value ms true baseline - <100ms verdict
 *
 *   startup-bench [-n N] UVFIO [MACHINE]
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#define MAX_RUNS 200
#define GOAL_MS 100.0

static double now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e3 + (double)ts.tv_nsec / 1e6;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* One run of argv, wall time in ms; exits on failure. */
static double run_once(char **argv)
{
	double t0 = now_ms();
	int status;
	pid_t pid = fork();

	if (pid < 0) {
		perror("startup-bench: fork");
		exit(1);
	}
	if (pid == 0) {
		execvp(argv[0], argv);
		_exit(127);
	}
	if (waitpid(pid, &status, 0) < 0 || !WIFEXITED(status) || WEXITSTATUS(status)) {
		fprintf(stderr, "startup-bench: %s failed (status 0x%x)\n", argv[0], status);
		exit(1);
	}
	return now_ms() - t0;
}

int main(int argc, char **argv)
{
	static double t_true[MAX_RUNS], t_uvfio[MAX_RUNS];
	char *plain[] = { (char *)"true", NULL };
	char *wrapped[8];
	int n = 20, i = 1, w = 0;
	double base, with;

	if (argc > 2 && !strcmp(argv[1], "-n")) {
		n = atoi(argv[2]);
		i = 3;
	}
	if (i >= argc || n < 1 || n > MAX_RUNS) {
		fprintf(stderr, "usage: startup-bench [-n N] UVFIO [MACHINE]\n");
		return 2;
	}
	wrapped[w++] = argv[i];
	wrapped[w++] = (char *)"run";
	if (i + 1 < argc) {
		wrapped[w++] = (char *)"--machine";
		wrapped[w++] = argv[i + 1];
	}
	wrapped[w++] = (char *)"--";
	wrapped[w++] = (char *)"true";
	wrapped[w] = NULL;

	run_once(wrapped); /* warm the page cache */
	for (int k = 0; k < n; k++) {
		t_true[k] = run_once(plain);
		t_uvfio[k] = run_once(wrapped);
	}
	base = median(t_true, n);
	with = median(t_uvfio, n);
	printf("BENCH\tstartup.uvfio_run_true.total\t%.3f\tms\ttrue\t%.3f\t%.1f\t-\tinfo\n", with,
	       base, with / base);
	printf("BENCH\tstartup.uvfio_run_true.added\t%.3f\tms\ttrue\t%.3f\t-\t<%.0fms\t%s\n",
	       with - base, base, GOAL_MS, with - base < GOAL_MS ? "pass" : "FAIL");
	return 0;
}

// SPDX-License-Identifier: MIT
/*
 * The replay driver: runs every file of the given corpus directories (or
 * files) through the target's LLVMFuzzerTestOneInput, in name order, one TAP
 * case each, so any compiler builds and tests the fuzz targets, sanitizers
 * included. A crash or abort fails the whole test (meson counts it).
 *
 *   fuzz-<target>-replay DIR|FILE...       replay
 *   fuzz-<target>-replay --write-seeds DIR  (re)generate the seed corpus
 */
#include <dirent.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "fuzz.h"

static int read_file(const char *path, uint8_t **data, size_t *size)
{
	FILE *f = fopen(path, "rb");
	size_t cap = 4096, n = 0;
	uint8_t *buf;

	if (!f)
		return -errno;
	buf = malloc(cap);
	for (;;) {
		size_t got;

		if (n == cap) {
			cap *= 2;
			buf = realloc(buf, cap);
		}
		if (!buf)
			abort();
		got = fread(buf + n, 1, cap - n, f);
		if (!got)
			break;
		n += got;
	}
	fclose(f);
	*data = buf;
	*size = n;
	return 0;
}

static int cmp(const void *a, const void *b)
{
	return strcmp(*(char *const *)a, *(char *const *)b);
}

/* The files to replay: each argument, a directory expanded to its files in name order. */
static char **collect(int argc, char **argv, size_t *count)
{
	char **files = NULL;
	size_t n = 0;

	for (int i = 1; i < argc; i++) {
		struct stat st;
		struct dirent *e;
		DIR *d;
		size_t first = n;

		if (stat(argv[i], &st)) {
			fprintf(stderr, "%s: %s\n", argv[i], strerror(errno));
			exit(2);
		}
		if (!S_ISDIR(st.st_mode)) {
			files = realloc(files, (n + 1) * sizeof(*files));
			files[n++] = strdup(argv[i]);
			continue;
		}
		d = opendir(argv[i]);
		while (d && (e = readdir(d))) {
			size_t len;

			if (e->d_name[0] == '.')
				continue;
			len = strlen(argv[i]) + strlen(e->d_name) + 2;
			files = realloc(files, (n + 1) * sizeof(*files));
			files[n] = malloc(len);
			snprintf(files[n++], len, "%s/%s", argv[i], e->d_name);
		}
		if (d)
			closedir(d);
		qsort(files + first, n - first, sizeof(*files), cmp);
	}
	*count = n;
	return files;
}

int main(int argc, char **argv)
{
	size_t count;
	char **files;

	if (argc == 3 && !strcmp(argv[1], "--write-seeds")) {
		int ret = fuzz_write_seeds(argv[2]);

		if (ret)
			fprintf(stderr, "%s: %s\n", argv[2], strerror(-ret));
		return ret ? 1 : 0;
	}
	if (argc < 2) {
		fprintf(stderr, "usage: %s DIR|FILE... | --write-seeds DIR\n", argv[0]);
		return 2;
	}
	files = collect(argc, argv, &count);
	LLVMFuzzerInitialize(&argc, &argv);
	printf("1..%zu\n", count);
	fflush(stdout);
	for (size_t i = 0; i < count; i++) {
		uint8_t *data = NULL;
		size_t size = 0;
		int ret = read_file(files[i], &data, &size);

		if (ret) {
			printf("not ok %zu - %s: %s\n", i + 1, files[i], strerror(-ret));
		} else {
			LLVMFuzzerTestOneInput(data, size);
			printf("ok %zu - %s %s\n", i + 1, fuzz_target_name, files[i]);
			free(data);
		}
		fflush(stdout);
		free(files[i]);
	}
	free(files);
	fuzz_teardown();
	return 0;
}

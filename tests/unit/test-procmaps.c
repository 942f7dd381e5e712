// SPDX-License-Identifier: MIT
/*
 * The /proc/PID/maps reader (src/shared/procmaps.c) against a line longer
 * than its buffer: a file whose path is long enough that the reader's buffer
 * ends inside it, and whose name, from that point on, reads like a mapping
 * of memory that is not mapped. The long line must count as the one mapping
 * it is, never as two, and the line after it must still be read.
 */
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <unistd.h>

#include "shared/macro.h"
#include "shared/procmaps.h"
#include "test.h"

#define PG 4096ul
/* The reader's buffer holds 511 characters; a maps line's path starts at column 73. */
#define CHUNK 511
#define PATH_COLUMN 73

TEST(procmaps, long_line_is_one_mapping)
{
	char dir[] = "/tmp/uvfio-maps-XXXXXX", path[4096], fake[128], line[8192];
	u8 *r = mmap(NULL, 4 * PG, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	size_t len, want;
	int fd, procfd;
	bool found = false;
	struct stat st;
	FILE *maps;

	ASSERT_TRUE(r != MAP_FAILED);
	ASSERT_TRUE(mkdtemp(dir) != NULL);
	/* Pages: r the file, r+1 and r+2 holes, r+3 anonymous memory. */
	snprintf(fake, sizeof(fake), "%llx-%llx rw-s 00000000 00:00 0 fake",
		 (unsigned long long)(uintptr_t)(r + 2 * PG),
		 (unsigned long long)(uintptr_t)(r + 3 * PG));
	/* Directories up to the path offset where the reader's second chunk starts. */
	len = (size_t)snprintf(path, sizeof(path), "%s/", dir);
	want = CHUNK - PATH_COLUMN;
	while (len < want) {
		size_t n = want - len - 1 > 200 ? 200 : want - len - 1;

		if (want - len - 1 - n == 1)
			n--;
		ASSERT_GT(n, 0);
		memset(path + len, 'a', n);
		path[len + n] = '\0';
		ASSERT_OK(mkdir(path, 0700));
		path[len + n] = '/';
		len += n + 1;
	}
	ASSERT_EQ(len, want);
	snprintf(path + len, sizeof(path) - len, "%s", fake);
	ASSERT_OK(fd = open(path, O_RDWR | O_CREAT | O_EXCL | O_CLOEXEC, 0600));
	ASSERT_OK(ftruncate(fd, (off_t)PG));
	ASSERT_OK(fstat(fd, &st));
	ASSERT_TRUE(mmap(r, PG, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_FIXED, fd, 0) == r);
	ASSERT_OK(munmap(r + PG, 2 * PG));

	/* The line is laid out as the test means it: the fake mapping starts a chunk. */
	ASSERT_TRUE((maps = fopen("/proc/self/maps", "re")) != NULL);
	while (fgets(line, sizeof(line), maps))
		if (strstr(line, fake)) {
			found = true;
			ASSERT_TRUE(strlen(line) > CHUNK &&
				    !strncmp(line + CHUNK, fake, strlen(fake)));
		}
	fclose(maps);
	ASSERT_TRUE(found);

	ASSERT_OK(procfd = open("/proc/self", O_RDONLY | O_DIRECTORY | O_CLOEXEC));
	ASSERT_EQ(procmaps_probe(procfd, (u64)(uintptr_t)(r + 2 * PG), PG, false), -EFAULT);
	ASSERT_EQ(procmaps_shared_file(procfd, (u64)(uintptr_t)(r + 2 * PG), PG, 0, 0, 0, true),
		  -EFAULT);
	ASSERT_EQ(procmaps_probe(procfd, (u64)(uintptr_t)r, PG, true), 0);
	ASSERT_EQ(procmaps_shared_file(procfd, (u64)(uintptr_t)r, PG, st.st_dev, st.st_ino, 0,
				       true),
		  0);
	/* The line after the long one is read as itself. */
	ASSERT_EQ(procmaps_probe(procfd, (u64)(uintptr_t)(r + 3 * PG), PG, true), 0);
	close(procfd);

	munmap(r, PG);
	munmap(r + 3 * PG, PG);
	close(fd);
	unlink(path);
	for (char *slash; (slash = strrchr(path, '/')) && slash > path + strlen(dir);) {
		*slash = '\0';
		rmdir(path);
	}
	rmdir(dir);
}

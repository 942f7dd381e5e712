// SPDX-License-Identifier: MIT
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/sysmacros.h>
#include <unistd.h>

#include "procmaps.h"

/* One line of /proc/PID/maps. */
struct vma {
	unsigned long long lo, hi, off, inode;
	unsigned int maj, min;
	char perms[8];
};

/*
 * 0 if the mappings of the process whose /proc directory is procfd cover [addr, addr + len) with no hole and
 * ok() accepts every one of them (cur: the first address of the range it
 * holds), else -EFAULT.
 */
static int procmaps_cover(int procfd, u64 addr, u64 len,
			  bool (*ok)(const struct vma *v, u64 cur, const void *arg),
			  const void *arg)
{
	u64 end = addr + len, cur = addr;
	char line[512];
	FILE *f;
	int fd;

	if (end < addr)
		return -EFAULT;
	/* Through the directory: never another process that took the same pid since. */
	fd = openat(procfd, "maps", O_RDONLY | O_CLOEXEC);
	if (fd < 0)
		return -EFAULT;
	f = fdopen(fd, "re");
	if (!f) {
		close(fd);
		return -EFAULT;
	}
	while (cur < end && fgets(line, sizeof(line), f)) {
		struct vma v;

		/*
		 * A line longer than the buffer (a long path) is one mapping: skip
		 * the rest of it, so that its tail (which the path chooses) is
		 * never read as a mapping of its own.
		 */
		if (!strchr(line, '\n')) {
			char rest[512];

			while (fgets(rest, sizeof(rest), f) && !strchr(rest, '\n'))
				;
		}
		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &v.lo, &v.hi, v.perms, &v.off,
			   &v.maj, &v.min, &v.inode) != 7)
			continue;
		if (v.hi <= cur)
			continue;
		if (v.lo > cur || !ok(&v, cur, arg))
			break; /* a hole, or a mapping that does not qualify */
		cur = v.hi;
	}
	fclose(f);
	return cur >= end ? 0 : -EFAULT;
}

static bool vma_accessible(const struct vma *v, u64 cur, const void *arg)
{
	const bool *write = arg;

	return v->perms[0] == 'r' && (!*write || v->perms[1] == 'w');
}

int procmaps_probe(int procfd, u64 addr, u64 len, bool write)
{
	if (!len)
		return 0;
	return procmaps_cover(procfd, addr, len, vma_accessible, &write);
}

struct shared_file {
	u64 addr, offset;
	dev_t dev;
	ino_t ino;
	bool write;
};

/* The same file, shared, at the offset that lines up with the range's start. */
static bool vma_maps_file(const struct vma *v, u64 cur, const void *arg)
{
	const struct shared_file *sf = arg;

	return vma_accessible(v, cur, &sf->write) && v->perms[3] == 's' &&
	       makedev(v->maj, v->min) == sf->dev && v->inode == sf->ino &&
	       v->off + (cur - v->lo) == sf->offset + (cur - sf->addr);
}

int procmaps_shared_file(int procfd, u64 addr, u64 len, dev_t dev, ino_t ino, u64 offset,
			 bool write)
{
	struct shared_file sf = { .addr = addr,
				  .offset = offset,
				  .dev = dev,
				  .ino = ino,
				  .write = write };

	if (!len)
		return -EFAULT;
	return procmaps_cover(procfd, addr, len, vma_maps_file, &sf);
}

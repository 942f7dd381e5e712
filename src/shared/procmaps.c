// SPDX-License-Identifier: MIT
#include <stdio.h>
#include <sys/sysmacros.h>

#include "procmaps.h"

int procmaps_probe(pid_t pid, u64 addr, u64 len, bool write)
{
	u64 end = addr + len, cur = addr;
	char path[64], line[512];
	FILE *f;

	if (!len)
		return 0;
	if (end < addr)
		return -EFAULT;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -EFAULT;
	while (cur < end && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi;
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s", &lo, &hi, perms) != 3)
			continue;
		if (hi <= cur)
			continue;
		if (lo > cur)
			break; /* a hole */
		if (perms[0] != 'r' || (write && perms[1] != 'w'))
			break;
		cur = hi;
	}
	fclose(f);
	return cur >= end ? 0 : -EFAULT;
}

int procmaps_shared_file(pid_t pid, u64 addr, u64 len, dev_t dev, ino_t ino, u64 offset, bool write)
{
	u64 end = addr + len, cur = addr;
	char path[64], line[512];
	FILE *f;

	if (!len || end < addr)
		return -EFAULT;
	snprintf(path, sizeof(path), "/proc/%d/maps", (int)pid);
	f = fopen(path, "re");
	if (!f)
		return -EFAULT;
	while (cur < end && fgets(line, sizeof(line), f)) {
		unsigned long long lo, hi, off, inode;
		unsigned int maj, min;
		char perms[8];

		if (sscanf(line, "%llx-%llx %7s %llx %x:%x %llu", &lo, &hi, perms, &off, &maj, &min,
			   &inode) != 7)
			continue;
		if (hi <= cur)
			continue;
		/* A hole, private or foreign pages, or a mapping whose offset does not line up. */
		if (lo > cur || perms[0] != 'r' || (write && perms[1] != 'w') || perms[3] != 's' ||
		    makedev(maj, min) != dev || inode != ino ||
		    off + (cur - lo) != offset + (cur - addr))
			break;
		cur = hi;
	}
	fclose(f);
	return cur >= end ? 0 : -EFAULT;
}

/* SPDX-License-Identifier: MIT */
/*
 * ID allocator handing out the lowest free integer, as the kernel's IDA does
 * (IOMMU group numbers, vfio device indexes). Not locked: callers serialize.
 */
#ifndef UVFIO_SHARED_IDA_H
#define UVFIO_SHARED_IDA_H

#include "macro.h"

struct ida {
	u64 *bits;
	unsigned int nbits;
};

void ida_init(struct ida *ida);
void ida_destroy(struct ida *ida);
/* Lowest free id in [min, max]; -ENOSPC when none. */
int ida_alloc_range(struct ida *ida, unsigned int min, unsigned int max);
void ida_free(struct ida *ida, unsigned int id);

#endif /* UVFIO_SHARED_IDA_H */

// SPDX-License-Identifier: MIT
#include <stdlib.h>
#include <string.h>

#include "ida.h"

void ida_init(struct ida *ida)
{
	ida->bits = NULL;
	ida->nbits = 0;
}

void ida_destroy(struct ida *ida)
{
	free(ida->bits);
	ida_init(ida);
}

static bool ida_test(const struct ida *ida, unsigned int id)
{
	return id < ida->nbits && (ida->bits[id / 64] & BIT_ULL(id % 64));
}

int ida_alloc_range(struct ida *ida, unsigned int min, unsigned int max)
{
	unsigned int id;

	for (id = min; id <= max && ida_test(ida, id); id++)
		if (id == UINT32_MAX)
			return -ENOSPC;
	if (id > max)
		return -ENOSPC;
	if (id >= ida->nbits) {
		unsigned int words = id / 64 + 1, old = ida->nbits / 64;
		u64 *bits = realloc(ida->bits, words * sizeof(*bits));

		if (!bits)
			return -ENOMEM;
		memset(bits + old, 0, (words - old) * sizeof(*bits));
		ida->bits = bits;
		ida->nbits = words * 64;
	}
	ida->bits[id / 64] |= BIT_ULL(id % 64);
	return (int)id;
}

void ida_free(struct ida *ida, unsigned int id)
{
	if (id < ida->nbits)
		ida->bits[id / 64] &= ~BIT_ULL(id % 64);
}

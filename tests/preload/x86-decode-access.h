/* SPDX-License-Identifier: MIT */
/* Volatile accesses compiled at several optimization levels; see x86-decode-access.c. */
#ifndef UVFIO_TESTS_X86_DECODE_ACCESS_H
#define UVFIO_TESTS_X86_DECODE_ACCESS_H

#include <stdint.h>

struct x86_access_ops {
	void (*store8)(volatile void *p, uint8_t v);
	void (*store16)(volatile void *p, uint16_t v);
	void (*store32)(volatile void *p, uint32_t v);
	void (*store64)(volatile void *p, uint64_t v);
	/* 0x5a at +0, 0xbeef at +2, 0x12345678 at +4, -5 at +8, 0x7fffffff at +16,
	 * 0x0123456789abcdef at +24, 0 at +32 */
	void (*store_consts)(volatile void *p);
	uint8_t (*load8)(volatile void *p);
	uint16_t (*load16)(volatile void *p);
	uint32_t (*load32)(volatile void *p);
	uint64_t (*load64)(volatile void *p);
	uint64_t (*zext8)(volatile void *p);
	uint64_t (*zext16)(volatile void *p);
	uint64_t (*zext32)(volatile void *p);
	int64_t (*sext8)(volatile void *p);
	int64_t (*sext16)(volatile void *p);
	int64_t (*sext32)(volatile void *p);
	int32_t (*sext8_32)(volatile void *p);
	int16_t (*sext8_16)(volatile void *p);
	/* p[i] = v; p[i + 64] = v + 1; out = { p[3], p[200] } */
	void (*indexed)(volatile uint32_t *p, long i, uint32_t v, uint32_t *out);
	/* via_global: global[1] = v, returns global[2] */
	void (*set_global)(volatile uint32_t *p);
	uint32_t (*via_global)(uint32_t v);
};

extern const struct x86_access_ops x86_access_ops_o0;
extern const struct x86_access_ops x86_access_ops_o2;

#endif /* UVFIO_TESTS_X86_DECODE_ACCESS_H */

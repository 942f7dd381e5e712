// SPDX-License-Identifier: MIT
/*
 * The volatile MMIO accesses test-x86-decode.c runs against a trapped page,
 * compiled once per optimization level (tests/preload/meson.build): the code
 * gcc or clang emits for them is what the decoder must handle. Every function
 * gets the suffix X86_ACCESS_SUFFIX (_o0, _o2) so the copies link together.
 */
#include "x86-decode-access.h"

#define X86_ACCESS_CAT2_(a, b) a##b
#define X86_ACCESS_CAT_(a, b) X86_ACCESS_CAT2_(a, b)
#define FN(name) X86_ACCESS_CAT_(name, X86_ACCESS_SUFFIX)

static void FN(store8)(volatile void *p, uint8_t v)
{
	*(volatile uint8_t *)p = v;
}

static void FN(store16)(volatile void *p, uint16_t v)
{
	*(volatile uint16_t *)p = v;
}

static void FN(store32)(volatile void *p, uint32_t v)
{
	*(volatile uint32_t *)p = v;
}

static void FN(store64)(volatile void *p, uint64_t v)
{
	*(volatile uint64_t *)p = v;
}

/* The constants make compilers store immediates (c6/c7), with 0x66 and REX.W. */
static void FN(store_consts)(volatile void *p)
{
	volatile uint8_t *b = p;

	*(volatile uint8_t *)(b + 0) = 0x5a;
	*(volatile uint16_t *)(b + 2) = 0xbeef;
	*(volatile uint32_t *)(b + 4) = 0x12345678;
	*(volatile uint64_t *)(b + 8) = (uint64_t)-5; /* movq $imm32, sign-extended */
	*(volatile uint64_t *)(b + 16) = 0x7fffffff;
	*(volatile uint64_t *)(b + 24) = 0x0123456789abcdefull; /* movabs to a register first */
	*(volatile uint64_t *)(b + 32) = 0;
}

static uint8_t FN(load8)(volatile void *p)
{
	return *(volatile uint8_t *)p;
}

static uint16_t FN(load16)(volatile void *p)
{
	return *(volatile uint16_t *)p;
}

static uint32_t FN(load32)(volatile void *p)
{
	return *(volatile uint32_t *)p;
}

static uint64_t FN(load64)(volatile void *p)
{
	return *(volatile uint64_t *)p;
}

static uint64_t FN(zext8)(volatile void *p)
{
	return *(volatile uint8_t *)p;
}

static uint64_t FN(zext16)(volatile void *p)
{
	return *(volatile uint16_t *)p;
}

static uint64_t FN(zext32)(volatile void *p)
{
	return *(volatile uint32_t *)p;
}

static int64_t FN(sext8)(volatile void *p)
{
	return *(volatile int8_t *)p;
}

static int64_t FN(sext16)(volatile void *p)
{
	return *(volatile int16_t *)p;
}

static int64_t FN(sext32)(volatile void *p)
{
	return *(volatile int32_t *)p;
}

static int32_t FN(sext8_32)(volatile void *p)
{
	return *(volatile int8_t *)p;
}

static int16_t FN(sext8_16)(volatile void *p)
{
	return *(volatile int8_t *)p;
}

/*
 * Indexed and displaced addressing (SIB, disp8/disp32). The loads go to
 * memory, not into arithmetic: clang folds a volatile load into the ALU
 * instruction using it (add 0x320(%rdi),%eax), which the decoder rejects.
 */
static void FN(indexed)(volatile uint32_t *p, long i, uint32_t v, uint32_t *out)
{
	p[i] = v;
	p[i + 64] = v + 1;
	out[0] = p[3];
	out[1] = p[200];
}

/* Fixed-address style: a pointer in a global (RIP-relative load of the pointer). */
static volatile uint32_t *FN(global_ptr);

static void FN(set_global)(volatile uint32_t *p)
{
	FN(global_ptr) = p;
}

static uint32_t FN(via_global)(uint32_t v)
{
	FN(global_ptr)[1] = v;
	return FN(global_ptr)[2];
}

const struct x86_access_ops FN(x86_access_ops) = {
	.store8 = FN(store8),
	.store16 = FN(store16),
	.store32 = FN(store32),
	.store64 = FN(store64),
	.store_consts = FN(store_consts),
	.load8 = FN(load8),
	.load16 = FN(load16),
	.load32 = FN(load32),
	.load64 = FN(load64),
	.zext8 = FN(zext8),
	.zext16 = FN(zext16),
	.zext32 = FN(zext32),
	.sext8 = FN(sext8),
	.sext16 = FN(sext16),
	.sext32 = FN(sext32),
	.sext8_32 = FN(sext8_32),
	.sext8_16 = FN(sext8_16),
	.indexed = FN(indexed),
	.set_global = FN(set_global),
	.via_global = FN(via_global),
};

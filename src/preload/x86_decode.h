/* SPDX-License-Identifier: MIT */
/*
 * Decoding of the x86-64 instruction that faulted on a trapped BAR page.
 *
 * The shim maps trapped pages PROT_NONE; a plain load or store to one raises
 * SIGSEGV. The handler decodes the instruction at RIP with x86_decode_mmio(),
 * performs the access through the daemon (the address is the fault's si_addr,
 * so the decoder parses the addressing bytes only to learn the length), moves
 * the value between the device and the register file with x86_mmio_get_src()
 * and x86_mmio_set_dst(), and resumes after the instruction with
 * x86_mmio_advance().
 *
 * Supported: the scalar moves compilers emit for volatile 8/16/32/64-bit
 * accesses, with any memory operand (ModRM, SIB, disp8/disp32, RIP-relative),
 * segment (fs/gs and the null ones), operand-size (0x66) and address-size
 * (0x67) prefixes and REX:
 *
 *	88 /r		mov r/m8, r8		store
 *	89 /r		mov r/m16/32/64, r	store
 *	8a /r		mov r8, r/m8		load
 *	8b /r		mov r, r/m16/32/64	load
 *	c6 /0 ib	mov r/m8, imm8		store
 *	c7 /0 iw/id	mov r/m16/32/64, imm	store (REX.W: imm32 sign-extended)
 *	a0-a3		mov al/ax/eax/rax <-> moffs (movabs)
 *	0f b6/b7	movzx r, r/m8/16	load, zero-extended
 *	0f be/bf	movsx r, r/m8/16	load, sign-extended
 *	63 /r		movsxd r64, r/m32	load, sign-extended (without REX.W: a mov)
 *
 * Not supported (x86_decode_mmio() returns -1 and the shim re-raises the
 * fault): lock and rep/repne prefixes, string instructions, xchg/cmpxchg/xadd,
 * read-modify-write and compare forms with a memory operand (add/or/and/test/
 * cmp ... to memory: clang folds `*reg |= x` and `if (*reg & x)` on volatile
 * pointers into these at -O1 and above), and every vector access (SSE, AVX,
 * AVX-512: legacy 0f-map moves such as movd/movq/movdqa, and VEX/EVEX
 * encodings). Code touching trapped pages must use scalar accesses of at most
 * 8 bytes, e.g. readl/writel-style helpers built on a volatile load or store
 * (or an asm mov) rather than memcpy() or struct copies.
 *
 * Everything here is async-signal-safe: no allocation, no locks, no libc.
 */
#ifndef UVFIO_PRELOAD_X86_DECODE_H
#define UVFIO_PRELOAD_X86_DECODE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <ucontext.h>

/* The architectural limit: longer encodings raise #GP, so none can fault here. */
#define X86_MAX_INSN_LEN 15

/* x86 register numbers (ModRM/REX encoding order), as in x86_mmio_insn.reg. */
enum x86_reg {
	X86_RAX = 0,
	X86_RCX,
	X86_RDX,
	X86_RBX,
	X86_RSP,
	X86_RBP,
	X86_RSI,
	X86_RDI,
	X86_R8,
	X86_R9,
	X86_R10,
	X86_R11,
	X86_R12,
	X86_R13,
	X86_R14,
	X86_R15,
};

/* One decoded memory-access instruction. */
struct x86_mmio_insn {
	unsigned int len; /* instruction length in bytes, prefixes included */
	bool is_write; /* a store to memory; otherwise a load */
	unsigned int size; /* bytes accessed in memory: 1, 2, 4 or 8 */
	/*
	 * Loads: the destination register; stores: the source register, or -1
	 * for an immediate. With reg_high8 set, the operand is bits 15:8 of reg
	 * (ah/ch/dh/bh: reg is 0..3); otherwise the low size (loads: dst_size)
	 * bytes of reg (sil/dil/spl/bpl need a REX prefix and are reg 4..7 with
	 * reg_high8 clear).
	 */
	int reg;
	bool reg_high8;
	bool has_imm; /* stores only */
	uint64_t imm; /* the stored value, already truncated to size */
	enum { X86_EXT_NONE, X86_EXT_ZERO, X86_EXT_SIGN } ext; /* movzx/movsx/movsxd */
	/* Loads: bytes written to the register (equals size unless ext is set). */
	unsigned int dst_size;
	/* The memory operand is RIP-relative (informational: si_addr is the address). */
	bool rip_relative;
	/* An fs/gs segment override (0x64/0x65), or 0 (informational, as above). */
	uint8_t segment;
};

/*
 * Decode the instruction at @insn, of which @avail bytes are readable (never
 * more than that is read; pass X86_MAX_INSN_LEN when the text is known to be
 * mapped that far). Returns 0 with *@out filled, or -1 if it is not a
 * supported memory load or store or is truncated by @avail (*@out is then
 * unspecified).
 */
int x86_decode_mmio(const uint8_t *insn, size_t avail, struct x86_mmio_insn *out);

/* The value a store writes (register or immediate), truncated to in->size. */
void x86_mmio_get_src(const ucontext_t *uc, const struct x86_mmio_insn *in, uint64_t *val);

/*
 * Write the value a load read (@val, of which the low in->size bytes count)
 * into the destination register with the CPU's semantics: movzx/movsx extend
 * it to dst_size; a 4-byte destination write zeroes bits 63:32; 1- and 2-byte
 * writes (including ah..bh) leave the register's other bits alone.
 */
void x86_mmio_set_dst(ucontext_t *uc, const struct x86_mmio_insn *in, uint64_t val);

/* Resume after the instruction: RIP += in->len. */
void x86_mmio_advance(ucontext_t *uc, const struct x86_mmio_insn *in);

#endif /* UVFIO_PRELOAD_X86_DECODE_H */

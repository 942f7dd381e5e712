// SPDX-License-Identifier: MIT
/*
 * x86-64 decoder for the loads and stores that fault on trapped BAR pages.
 * Encodings are from the Intel SDM vol. 2 (instruction format, chapter 2, and
 * the MOV/MOVZX/MOVSX/MOVSXD pages); only 64-bit mode is handled, since the
 * shim runs in 64-bit processes.
 *
 * Called from a SIGSEGV handler: no libc, no allocation, no global state.
 */
#include "x86_decode.h"

#include <sys/ucontext.h>

#if !defined(__x86_64__)
#error "x86_decode.c decodes x86-64 code and reads x86-64 signal contexts"
#endif

#define REX_B 0x1
#define REX_X 0x2
#define REX_R 0x4
#define REX_W 0x8

/* The prefixes in front of the opcode, as far as they matter here. */
struct prefixes {
	bool opsize; /* 0x66 */
	bool addrsize; /* 0x67 */
	bool has_rex; /* a REX byte directly before the opcode (0x40 counts) */
	uint8_t rex;
	uint8_t segment; /* 0x64/0x65, else 0 */
};

/* gregs[] index of each x86 register number (glibc's REG_* order differs). */
static const int greg_index[16] = {
	[X86_RAX] = REG_RAX, [X86_RCX] = REG_RCX, [X86_RDX] = REG_RDX, [X86_RBX] = REG_RBX,
	[X86_RSP] = REG_RSP, [X86_RBP] = REG_RBP, [X86_RSI] = REG_RSI, [X86_RDI] = REG_RDI,
	[X86_R8] = REG_R8,   [X86_R9] = REG_R9,	  [X86_R10] = REG_R10, [X86_R11] = REG_R11,
	[X86_R12] = REG_R12, [X86_R13] = REG_R13, [X86_R14] = REG_R14, [X86_R15] = REG_R15,
};

/* The readable limit: what the caller has, capped at the architectural maximum. */
static size_t insn_limit(size_t avail)
{
	return avail < X86_MAX_INSN_LEN ? avail : X86_MAX_INSN_LEN;
}

/*
 * Consume the legacy and REX prefixes from *@pos. A REX byte counts only when
 * the opcode follows it directly; one followed by a legacy prefix is ignored,
 * as the CPU does. Returns -1 for prefixes that make the instruction something
 * the shim must not emulate (lock: atomic; rep/repne: string ops, mandatory
 * prefixes of vector moves, and xacquire/xrelease) or when @limit runs out.
 */
static int parse_prefixes(const uint8_t *insn, size_t limit, size_t *pos, struct prefixes *p)
{
	for (; *pos < limit; (*pos)++) {
		uint8_t b = insn[*pos];

		if (b >= 0x40 && b <= 0x4f) {
			p->has_rex = true;
			p->rex = b & 0xf;
			continue;
		}
		switch (b) {
		case 0x66:
			p->opsize = true;
			break;
		case 0x67:
			p->addrsize = true;
			break;
		case 0x26: /* es, cs, ss, ds: no effect in 64-bit mode */
		case 0x2e:
		case 0x36:
		case 0x3e:
			break;
		case 0x64: /* fs */
		case 0x65: /* gs */
			p->segment = b;
			break;
		case 0xf0:
		case 0xf2:
		case 0xf3:
			return -1;
		default:
			return 0;
		}
		p->has_rex = false;
		p->rex = 0;
	}
	return -1;
}

/*
 * Consume a ModRM byte with a memory operand and its SIB and displacement.
 * The address size (0x67) changes only the width of the computed address in
 * 64-bit mode, not the encoding. Register operands (mod == 3) cannot fault on
 * memory: -1.
 */
static int parse_modrm_mem(const uint8_t *insn, size_t limit, size_t *pos, uint8_t *modrm,
			   bool *rip_relative)
{
	uint8_t mod, rm;
	size_t disp = 0;

	if (*pos >= limit)
		return -1;
	*modrm = insn[(*pos)++];
	mod = *modrm >> 6;
	rm = *modrm & 7;
	*rip_relative = false;

	if (mod == 3)
		return -1;
	if (rm == 4) {
		/* SIB; base 101 with mod 00 means disp32 and no base. */
		if (*pos >= limit)
			return -1;
		if (mod == 0 && (insn[*pos] & 7) == 5)
			disp = 4;
		(*pos)++;
	} else if (mod == 0 && rm == 5) {
		*rip_relative = true;
		disp = 4;
	}
	if (mod == 1)
		disp = 1;
	else if (mod == 2)
		disp = 4;

	if (limit - *pos < disp)
		return -1;
	*pos += disp;
	return 0;
}

/* Little-endian immediate of @n bytes at *@pos, consumed. */
static int read_le(const uint8_t *insn, size_t limit, size_t *pos, unsigned int n, uint64_t *v)
{
	if (limit - *pos < n)
		return -1;
	*v = 0;
	for (unsigned int i = 0; i < n; i++)
		*v |= (uint64_t)insn[*pos + i] << (8 * i);
	*pos += n;
	return 0;
}

static uint64_t size_mask(unsigned int size)
{
	return size >= 8 ? ~0ull : (1ull << (8 * size)) - 1;
}

static uint64_t sign_extend(uint64_t v, unsigned int size)
{
	unsigned int shift = 64 - 8 * size;

	return size >= 8 ? v : (uint64_t)((int64_t)(v << shift) >> shift);
}

/*
 * The register operand of ModRM.reg: with an 8-bit operand and no REX, numbers
 * 4..7 name ah, ch, dh, bh (bits 15:8 of rax..rbx); with any REX they name
 * spl, bpl, sil, dil.
 */
static void set_reg_operand(struct x86_mmio_insn *out, const struct prefixes *p, uint8_t modrm,
			    unsigned int opsize)
{
	int reg = ((modrm >> 3) & 7) | (p->rex & REX_R ? 8 : 0);

	out->reg_high8 = false;
	if (opsize == 1 && !p->has_rex && reg >= 4 && reg <= 7) {
		out->reg_high8 = true;
		reg -= 4;
	}
	out->reg = reg;
}

int x86_decode_mmio(const uint8_t *insn, size_t avail, struct x86_mmio_insn *out)
{
	size_t limit = insn_limit(avail);
	struct prefixes p = { 0 };
	size_t pos = 0;
	unsigned int osz;
	uint8_t op, modrm;
	uint64_t v;

	if (parse_prefixes(insn, limit, &pos, &p) < 0)
		return -1;
	*out = (struct x86_mmio_insn){ .reg = -1, .segment = p.segment };
	osz = p.rex & REX_W ? 8 : p.opsize ? 2 : 4;
	op = insn[pos++];

	switch (op) {
	case 0x88: /* mov r/m8, r8 */
	case 0x89: /* mov r/m, r */
	case 0x8a: /* mov r8, r/m8 */
	case 0x8b: /* mov r, r/m */
		if (parse_modrm_mem(insn, limit, &pos, &modrm, &out->rip_relative) < 0)
			return -1;
		out->is_write = op == 0x88 || op == 0x89;
		out->size = op & 1 ? osz : 1;
		set_reg_operand(out, &p, modrm, out->size);
		break;

	case 0xc6: /* mov r/m8, imm8 */
	case 0xc7: /* mov r/m, imm16/32 (imm32 sign-extended with REX.W) */
		if (parse_modrm_mem(insn, limit, &pos, &modrm, &out->rip_relative) < 0)
			return -1;
		/* Only /0 is a mov; c6/c7 /7 are xabort/xbegin. */
		if ((modrm >> 3) & 7)
			return -1;
		out->is_write = true;
		out->size = op == 0xc6 ? 1 : osz;
		if (read_le(insn, limit, &pos, out->size == 8 ? 4 : out->size, &v) < 0)
			return -1;
		out->has_imm = true;
		out->imm = out->size == 8 ? sign_extend(v, 4) : v;
		break;

	case 0xa0: /* mov al, moffs8 */
	case 0xa1: /* mov ax/eax/rax, moffs */
	case 0xa2: /* mov moffs8, al */
	case 0xa3: /* mov moffs, ax/eax/rax */
		/* The address itself is the operand: 8 bytes, 4 with 0x67. */
		if (read_le(insn, limit, &pos, p.addrsize ? 4 : 8, &v) < 0)
			return -1;
		out->is_write = op >= 0xa2;
		out->size = op & 1 ? osz : 1;
		out->reg = X86_RAX;
		break;

	case 0x63: /* movsxd r64, r/m32; without REX.W a plain 16/32-bit mov */
		if (parse_modrm_mem(insn, limit, &pos, &modrm, &out->rip_relative) < 0)
			return -1;
		set_reg_operand(out, &p, modrm, osz);
		if (p.rex & REX_W) {
			out->size = 4;
			out->ext = X86_EXT_SIGN;
		} else {
			out->size = osz;
		}
		out->dst_size = osz;
		break;

	case 0x0f:
		if (pos >= limit)
			return -1;
		op = insn[pos++];
		switch (op) {
		case 0xb6: /* movzx r, r/m8 */
		case 0xb7: /* movzx r, r/m16 */
		case 0xbe: /* movsx r, r/m8 */
		case 0xbf: /* movsx r, r/m16 */
			if (parse_modrm_mem(insn, limit, &pos, &modrm, &out->rip_relative) < 0)
				return -1;
			set_reg_operand(out, &p, modrm, osz);
			out->size = op & 1 ? 2 : 1;
			out->ext = op >= 0xbe ? X86_EXT_SIGN : X86_EXT_ZERO;
			out->dst_size = osz;
			break;
		default:
			return -1;
		}
		break;

	default:
		return -1;
	}

	if (!out->is_write && !out->dst_size)
		out->dst_size = out->size;
	out->len = (unsigned int)pos;
	return 0;
}

void x86_mmio_get_src(const ucontext_t *uc, const struct x86_mmio_insn *in, uint64_t *val)
{
	uint64_t r;

	if (in->has_imm) {
		*val = in->imm & size_mask(in->size);
		return;
	}
	r = (uint64_t)uc->uc_mcontext.gregs[greg_index[in->reg & 15]];
	if (in->reg_high8)
		r >>= 8;
	*val = r & size_mask(in->size);
}

void x86_mmio_set_dst(ucontext_t *uc, const struct x86_mmio_insn *in, uint64_t val)
{
	greg_t *g = &uc->uc_mcontext.gregs[greg_index[in->reg & 15]];
	unsigned int dsz = in->dst_size ? in->dst_size : in->size;
	uint64_t r = (uint64_t)*g;
	uint64_t v = val & size_mask(in->size);

	if (in->ext == X86_EXT_SIGN)
		v = sign_extend(v, in->size);
	v &= size_mask(dsz);

	if (dsz >= 8 || dsz == 4)
		r = v; /* 32-bit destinations zero bits 63:32 */
	else if (in->reg_high8)
		r = (r & ~0xff00ull) | (v << 8);
	else
		r = (r & ~size_mask(dsz)) | v;
	*g = (greg_t)r;
}

void x86_mmio_advance(ucontext_t *uc, const struct x86_mmio_insn *in)
{
	uc->uc_mcontext.gregs[REG_RIP] += in->len;
}

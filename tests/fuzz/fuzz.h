/* SPDX-License-Identifier: MIT */
/*
 * Shared parts of the fuzz targets (fuzz-proto.c: the daemon's wire protocol,
 * fuzz-ioctl.c: the core's ioctls in-process).
 *
 * Both run the code under test inside the fuzzer's own process, and both give
 * it the fuzzer's own memory as the caller's memory. A real hostile client can
 * only scribble over itself; here "itself" is the fuzzer. So every address the
 * code under test will read or write on the caller's behalf is confined to the
 * arena: the ioctl argument, the MAP_DMA vaddr (device DMA lands there), the
 * dirty-bitmap pointers. Each lives in a mapping with PROT_NONE guard pages on
 * both sides, so an overlong copy ends in EFAULT, not in the fuzzer's heap.
 * Descriptor numbers an ioctl names (SET_CONTAINER, SET_IRQS eventfds, hot
 * reset group fds, IOEVENTFD) are mapped onto the input's own files, -1 or a
 * number that is never open, never onto the fuzzer's other descriptors.
 *
 * Everything else an input says (argsz, flags, counts, offsets, lengths,
 * header fields) reaches the code under test unchanged.
 */
#ifndef UVFIO_TESTS_FUZZ_H
#define UVFIO_TESTS_FUZZ_H

#include <stddef.h>
#include <stdint.h>

/* libFuzzer's entry points; the replay driver (replay.c) calls the same ones. */
int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);
/* Orderly shutdown, so leak checkers see a clean end (replay driver only). */
void fuzz_teardown(void);
/* Writes the seed corpus of this target into dir (existing); 0 or -errno. */
int fuzz_write_seeds(const char *dir);
/* The target's name, for messages: "proto" or "ioctl". */
extern const char fuzz_target_name[];

/* The input, consumed front to back; reads past its end give zeros. */
struct fz {
	const uint8_t *p;
	size_t n;
};

uint8_t fz_u8(struct fz *in);
uint16_t fz_u16(struct fz *in);
uint32_t fz_u32(struct fz *in);
uint64_t fz_u64(struct fz *in);
/* Copies min(len, what is left) bytes to dst; returns how many. */
size_t fz_take(struct fz *in, void *dst, size_t len);

/* The caller's memory the code under test may touch (see above). */
#define FZ_ARENA_SIZE (1u << 20)
#define FZ_DMA_SIZE (1u << 20)
extern uint8_t *fz_arena; /* ioctl arguments, bitmaps */
extern uint8_t *fz_dma; /* MAP_DMA vaddrs */
void fz_arena_init(void);
/*
 * Zeroes the arena (and the DMA region when dma), cheaply (MADV_DONTNEED), so
 * no bytes an earlier call wrote are reread as pointers or descriptors.
 */
void fz_arena_reset(int dma);

/* The files an input has open, as numbers the code under test resolves. */
enum { FZ_CONTAINER, FZ_GROUP, FZ_DEVICE, FZ_EXTRA, FZ_NFILES };

/*
 * VFIO reuses ioctl numbers across file types (MAP_DMA on a container is
 * PCI_HOT_RESET on a device), so what an argument holds depends on the file
 * it goes to: kinds[] says what each file is.
 */
struct fz_env {
	int files[FZ_NFILES]; /* -1 when not open */
	int kinds[FZ_NFILES]; /* FZ_CONTAINER, FZ_GROUP or FZ_DEVICE; -1: not open */
	int eventfds[2];
};

/* One ioctl, built in the arena from the input. */
struct fz_ioctl {
	uint32_t cmd;
	uint64_t arg; /* a value, or an address in the arena */
	size_t len; /* bytes of the argument at arg the caller "owns" (the shim's window) */
	int target; /* FZ_CONTAINER.. : which file it goes to */
};

/*
 * Reads one ioctl from the input: the command from the list of real VFIO
 * ioctls (or, rarely, any number), the file it goes to, and an argument with
 * argsz, flags, counts and sizes as the input says; then confines its
 * addresses and descriptors (fz_fixup_arg).
 */
void fz_build_ioctl(struct fz *in, const struct fz_env *env, struct fz_ioctl *out);
/*
 * Confines the pointer and descriptor fields of the argument at arg (in the
 * arena; the bytes past the caller's window too, as far as the kernel would
 * read them) of cmd as a file of `kind` reads it. Used for ioctl requests
 * whose bytes came raw from the input as well.
 */
void fz_fixup_arg(uint32_t cmd, int kind, uint8_t *arg, const struct fz_env *env);
/* An arena address for a raw argument pointer: arg's low bits, within the arena. */
uint64_t fz_confine_arg(uint64_t raw);

/* Seed writing: a growable byte buffer and a file per seed. */
struct fz_seed {
	uint8_t buf[8192];
	size_t len;
};

void seed_u8(struct fz_seed *s, uint8_t v);
void seed_u16(struct fz_seed *s, uint16_t v);
void seed_u32(struct fz_seed *s, uint32_t v);
void seed_u64(struct fz_seed *s, uint64_t v);
void seed_bytes(struct fz_seed *s, const void *p, size_t len);
int seed_save(const struct fz_seed *s, const char *dir, const char *name);

/* Index of cmd (on a file of kind) in the ioctl list (what fz_build_ioctl reads), for seeds. */
uint8_t fz_cmd_index(uint32_t cmd, int kind);

#endif /* UVFIO_TESTS_FUZZ_H */

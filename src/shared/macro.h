/* SPDX-License-Identifier: MIT */
/*
 * Small helpers shared by every part of uvfio: no VFIO knowledge here.
 */
#ifndef UVFIO_SHARED_MACRO_H
#define UVFIO_SHARED_MACRO_H

#include <errno.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef uint8_t u8;
typedef uint16_t u16;
typedef uint32_t u32;
typedef uint64_t u64;
typedef int32_t s32;
typedef int64_t s64;

/* The kernel's page size on x86-64: the unit of mappings, sysfs buffers and BAR mmaps. */
#define PAGE_SHIFT 12
#define PAGE_SIZE (1ull << PAGE_SHIFT)

#define ARRAY_SIZE(a) (sizeof(a) / sizeof((a)[0]))
#define container_of(ptr, type, member) ((type *)((char *)(ptr)-offsetof(type, member)))
#define offsetofend(type, member) (offsetof(type, member) + sizeof(((type *)0)->member))
#define sizeof_field(type, member) sizeof(((type *)0)->member)

#define min(a, b) ((a) < (b) ? (a) : (b))
#define max(a, b) ((a) > (b) ? (a) : (b))
#define DIV_ROUND_UP(n, d) (((n) + (d)-1) / (d))
#define ALIGN_UP(x, a) (((x) + ((a)-1)) & ~((__typeof__(x))(a)-1))
#define ALIGN_DOWN(x, a) ((x) & ~((__typeof__(x))(a)-1))
#define IS_ALIGNED(x, a) (((x) & ((__typeof__(x))(a)-1)) == 0)
#define BIT(n) (1u << (n))
#define BIT_ULL(n) (1ull << (n))

#define likely(x) __builtin_expect(!!(x), 1)
#define unlikely(x) __builtin_expect(!!(x), 0)
#define __must_check __attribute__((warn_unused_result))
#define __printf(a, b) __attribute__((format(printf, a, b)))
#define __unused __attribute__((unused))

/*
 * Error pointers, as in the kernel: a pointer-returning function returns either a
 * valid pointer or a negative errno folded into the top page of the address space.
 */
#define MAX_ERRNO 4095
#define IS_ERR_VALUE(x) ((unsigned long)(void *)(x) >= (unsigned long)-MAX_ERRNO)
static inline void *ERR_PTR(long error)
{
	return (void *)error;
}
static inline long PTR_ERR(const void *ptr)
{
	return (long)ptr;
}
static inline bool IS_ERR(const void *ptr)
{
	return IS_ERR_VALUE(ptr);
}
static inline bool IS_ERR_OR_NULL(const void *ptr)
{
	return !ptr || IS_ERR_VALUE(ptr);
}

/* Scoped cleanup for locals (systemd/kernel style); pair with TAKE_PTR to hand off. */
#define _cleanup_(f) __attribute__((cleanup(f)))
#define TAKE_PTR(p)                     \
	({                              \
		__typeof__(p) _p = (p); \
		(p) = NULL;             \
		_p;                     \
	})

void freep(void *p);
void closep(int *fd);
#define _cleanup_free_ _cleanup_(freep)
#define _cleanup_close_ _cleanup_(closep)

/* Allocation that cannot fail silently: aborts on OOM (the daemon cannot recover). */
void *xzalloc(size_t size);
void *xcalloc(size_t n, size_t size);
char *xstrdup(const char *s);

#endif /* UVFIO_SHARED_MACRO_H */

// SPDX-License-Identifier: MIT
/*
 * The input reader, the arena and the ioctl builder shared by the fuzz
 * targets (fuzz.h explains why addresses and descriptors are confined).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "fuzz.h"

#define FZ_PAGE 4096u

uint8_t fz_u8(struct fz *in)
{
	uint8_t v = 0;

	fz_take(in, &v, 1);
	return v;
}

uint16_t fz_u16(struct fz *in)
{
	uint16_t v = 0;

	fz_take(in, &v, sizeof(v));
	return v;
}

uint32_t fz_u32(struct fz *in)
{
	uint32_t v = 0;

	fz_take(in, &v, sizeof(v));
	return v;
}

uint64_t fz_u64(struct fz *in)
{
	uint64_t v = 0;

	fz_take(in, &v, sizeof(v));
	return v;
}

size_t fz_take(struct fz *in, void *dst, size_t len)
{
	if (len > in->n)
		len = in->n;
	memcpy(dst, in->p, len);
	in->p += len;
	in->n -= len;
	return len;
}

uint8_t *fz_arena;
uint8_t *fz_dma;

/* A region with one PROT_NONE guard page on each side. */
static uint8_t *guarded_region(size_t size)
{
	uint8_t *p = mmap(NULL, size + 2 * FZ_PAGE, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);

	if (p == MAP_FAILED || mprotect(p + FZ_PAGE, size, PROT_READ | PROT_WRITE)) {
		perror("fuzz: arena");
		abort();
	}
	return p + FZ_PAGE;
}

void fz_arena_init(void)
{
	if (fz_arena)
		return;
	fz_arena = guarded_region(FZ_ARENA_SIZE);
	fz_dma = guarded_region(FZ_DMA_SIZE);
}

void fz_arena_reset(int dma)
{
	madvise(fz_arena, FZ_ARENA_SIZE, MADV_DONTNEED);
	if (dma)
		madvise(fz_dma, FZ_DMA_SIZE, MADV_DONTNEED);
}

/* What an ioctl's argument is. */
enum arg_kind {
	ARG_VALUE, /* arg is a number */
	ARG_STRUCT, /* arg points to an argsz-led struct of `size` bytes */
	ARG_FD, /* arg points to an int descriptor */
	ARG_STRING, /* arg points to a NUL-terminated device name */
};

struct ioctl_def {
	uint32_t cmd;
	enum arg_kind kind;
	uint32_t size; /* ARG_STRUCT: the kernel's minsz-ish natural size */
	int target; /* the file it is meant for */
};

/* The list's entries: one per (command, file kind), as numbers repeat across kinds. */
enum ioctl_id {
	IO_API_VERSION,
	IO_CHECK_EXTENSION,
	IO_SET_IOMMU,
	IO_IOMMU_GET_INFO,
	IO_MAP_DMA,
	IO_UNMAP_DMA,
	IO_DIRTY_PAGES,
	IO_GROUP_GET_STATUS,
	IO_SET_CONTAINER,
	IO_UNSET_CONTAINER,
	IO_GET_DEVICE_FD,
	IO_DEVICE_GET_INFO,
	IO_REGION_INFO,
	IO_IRQ_INFO,
	IO_SET_IRQS,
	IO_DEVICE_RESET,
	IO_HOT_RESET_INFO,
	IO_HOT_RESET,
	IO_FEATURE,
	IO_IOEVENTFD,
	NIOCTLS,
};

static const struct ioctl_def ioctls[] = {
	[IO_API_VERSION] = { VFIO_GET_API_VERSION, ARG_VALUE, 0, FZ_CONTAINER },
	[IO_CHECK_EXTENSION] = { VFIO_CHECK_EXTENSION, ARG_VALUE, 0, FZ_CONTAINER },
	[IO_SET_IOMMU] = { VFIO_SET_IOMMU, ARG_VALUE, 0, FZ_CONTAINER },
	[IO_IOMMU_GET_INFO] = { VFIO_IOMMU_GET_INFO, ARG_STRUCT,
				sizeof(struct vfio_iommu_type1_info), FZ_CONTAINER },
	[IO_MAP_DMA] = { VFIO_IOMMU_MAP_DMA, ARG_STRUCT, sizeof(struct vfio_iommu_type1_dma_map),
			 FZ_CONTAINER },
	[IO_UNMAP_DMA] = { VFIO_IOMMU_UNMAP_DMA, ARG_STRUCT,
			   sizeof(struct vfio_iommu_type1_dma_unmap), FZ_CONTAINER },
	[IO_DIRTY_PAGES] = { VFIO_IOMMU_DIRTY_PAGES, ARG_STRUCT,
			     sizeof(struct vfio_iommu_type1_dirty_bitmap), FZ_CONTAINER },
	[IO_GROUP_GET_STATUS] = { VFIO_GROUP_GET_STATUS, ARG_STRUCT,
				  sizeof(struct vfio_group_status), FZ_GROUP },
	[IO_SET_CONTAINER] = { VFIO_GROUP_SET_CONTAINER, ARG_FD, sizeof(int), FZ_GROUP },
	[IO_UNSET_CONTAINER] = { VFIO_GROUP_UNSET_CONTAINER, ARG_VALUE, 0, FZ_GROUP },
	[IO_GET_DEVICE_FD] = { VFIO_GROUP_GET_DEVICE_FD, ARG_STRING, 0, FZ_GROUP },
	[IO_DEVICE_GET_INFO] = { VFIO_DEVICE_GET_INFO, ARG_STRUCT, sizeof(struct vfio_device_info),
				 FZ_DEVICE },
	[IO_REGION_INFO] = { VFIO_DEVICE_GET_REGION_INFO, ARG_STRUCT,
			     sizeof(struct vfio_region_info), FZ_DEVICE },
	[IO_IRQ_INFO] = { VFIO_DEVICE_GET_IRQ_INFO, ARG_STRUCT, sizeof(struct vfio_irq_info),
			  FZ_DEVICE },
	[IO_SET_IRQS] = { VFIO_DEVICE_SET_IRQS, ARG_STRUCT, sizeof(struct vfio_irq_set),
			  FZ_DEVICE },
	[IO_DEVICE_RESET] = { VFIO_DEVICE_RESET, ARG_VALUE, 0, FZ_DEVICE },
	[IO_HOT_RESET_INFO] = { VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, ARG_STRUCT,
				sizeof(struct vfio_pci_hot_reset_info), FZ_DEVICE },
	[IO_HOT_RESET] = { VFIO_DEVICE_PCI_HOT_RESET, ARG_STRUCT, sizeof(struct vfio_pci_hot_reset),
			   FZ_DEVICE },
	[IO_FEATURE] = { VFIO_DEVICE_FEATURE, ARG_STRUCT, sizeof(struct vfio_device_feature),
			 FZ_DEVICE },
	[IO_IOEVENTFD] = { VFIO_DEVICE_IOEVENTFD, ARG_STRUCT, sizeof(struct vfio_device_ioeventfd),
			   FZ_DEVICE },
};

uint8_t fz_cmd_index(uint32_t cmd, int kind)
{
	for (size_t i = 0; i < NIOCTLS; i++)
		if (ioctls[i].cmd == cmd && ioctls[i].target == kind)
			return (uint8_t)i;
	abort();
}

/* What cmd means to a file of kind, if anything. */
static const struct ioctl_def *find_def(uint32_t cmd, int kind)
{
	for (size_t i = 0; i < NIOCTLS; i++)
		if (ioctls[i].cmd == cmd && ioctls[i].target == kind)
			return &ioctls[i];
	return NULL;
}

/* Only the input's own files, -1, or a number that is never open. */
static int32_t map_fd(int32_t v, const struct fz_env *env)
{
	unsigned int k = (uint32_t)v & 7;

	if (k < FZ_NFILES)
		return env->files[k];
	if (k < FZ_NFILES + 2)
		return env->eventfds[k - FZ_NFILES];
	return k == 6 ? -1 : 0x3fffffff;
}

uint64_t fz_confine_arg(uint64_t raw)
{
	return (uint64_t)(uintptr_t)fz_arena + (raw & (FZ_ARENA_SIZE - 1));
}

/* The arena bytes [arg + off, + len) if they lie inside the arena, else NULL. */
static uint8_t *field(uint8_t *arg, size_t off, size_t len)
{
	if (arg < fz_arena || (size_t)(arg - fz_arena) > FZ_ARENA_SIZE ||
	    off + len > FZ_ARENA_SIZE - (size_t)(arg - fz_arena))
		return NULL;
	return arg + off;
}

static void fix_ptr(uint8_t *arg, size_t off, uint8_t *base, size_t size)
{
	uint8_t *f = field(arg, off, sizeof(uint64_t));
	uint64_t v;

	if (!f)
		return;
	memcpy(&v, f, sizeof(v));
	v = (uint64_t)(uintptr_t)base + (v & (size - 1));
	memcpy(f, &v, sizeof(v));
}

static void fix_fd(uint8_t *arg, size_t off, const struct fz_env *env)
{
	uint8_t *f = field(arg, off, sizeof(int32_t));
	int32_t v;

	if (!f)
		return;
	memcpy(&v, f, sizeof(v));
	v = map_fd(v, env);
	memcpy(f, &v, sizeof(v));
}

/* An array of count descriptors at off: as far as it lies inside the arena. */
static void fix_fd_array(uint8_t *arg, size_t off, uint32_t count, const struct fz_env *env)
{
	for (uint32_t i = 0; i < count && field(arg, off + (size_t)i * 4, 4); i++)
		fix_fd(arg, off + (size_t)i * 4, env);
}

static uint32_t get32(uint8_t *arg, size_t off)
{
	uint8_t *f = field(arg, off, 4);
	uint32_t v = 0;

	if (f)
		memcpy(&v, f, 4);
	return v;
}

static void put32(uint8_t *arg, size_t off, uint32_t v)
{
	uint8_t *f = field(arg, off, 4);

	if (f)
		memcpy(f, &v, 4);
}

static void put64(uint8_t *arg, size_t off, uint64_t v)
{
	uint8_t *f = field(arg, off, 8);

	if (f)
		memcpy(f, &v, 8);
}

void fz_fixup_arg(uint32_t cmd, int kind, uint8_t *arg, const struct fz_env *env)
{
	const struct ioctl_def *def = find_def(cmd, kind);

	if (!def)
		return; /* the file refuses it without reading the argument */
	switch ((enum ioctl_id)(def - ioctls)) {
	case IO_SET_CONTAINER:
		fix_fd(arg, 0, env);
		break;
	case IO_MAP_DMA:
		fix_ptr(arg, offsetof(struct vfio_iommu_type1_dma_map, vaddr), fz_dma, FZ_DMA_SIZE);
		break;
	case IO_UNMAP_DMA:
		fix_ptr(arg,
			sizeof(struct vfio_iommu_type1_dma_unmap) +
				offsetof(struct vfio_bitmap, data),
			fz_arena, FZ_ARENA_SIZE);
		break;
	case IO_DIRTY_PAGES:
		fix_ptr(arg,
			offsetof(struct vfio_iommu_type1_dirty_bitmap, data) +
				offsetof(struct vfio_iommu_type1_dirty_bitmap_get, bitmap) +
				offsetof(struct vfio_bitmap, data),
			fz_arena, FZ_ARENA_SIZE);
		break;
	case IO_SET_IRQS:
		if (get32(arg, offsetof(struct vfio_irq_set, flags)) & VFIO_IRQ_SET_DATA_EVENTFD)
			fix_fd_array(arg, sizeof(struct vfio_irq_set),
				     get32(arg, offsetof(struct vfio_irq_set, count)), env);
		break;
	case IO_HOT_RESET:
		fix_fd_array(arg, offsetof(struct vfio_pci_hot_reset, group_fds),
			     get32(arg, offsetof(struct vfio_pci_hot_reset, count)), env);
		break;
	case IO_IOEVENTFD:
		fix_fd(arg, offsetof(struct vfio_device_ioeventfd, fd), env);
		break;
	default:
		break;
	}
}

static const char *const device_names[] = {
	"0000:00:03.0", "0000:01:01.0",	  "0000:00:1f.2", "0000:00:00.0", "0000:00:03.0 ", "",
	"0000:00:03.1", "0000:00:03.0\n",
};

/* Plausible field values, so short inputs get past the first checks. */
static void smart_fill(const struct ioctl_def *def, uint8_t *a, struct fz *in)
{
	static const uint32_t irq_data[] = { VFIO_IRQ_SET_DATA_NONE, VFIO_IRQ_SET_DATA_BOOL,
					     VFIO_IRQ_SET_DATA_EVENTFD };
	static const uint32_t irq_action[] = { VFIO_IRQ_SET_ACTION_MASK, VFIO_IRQ_SET_ACTION_UNMASK,
					       VFIO_IRQ_SET_ACTION_TRIGGER };
	uint8_t b = fz_u8(in);

	switch ((enum ioctl_id)(def - ioctls)) {
	case IO_REGION_INFO:
		put32(a, offsetof(struct vfio_region_info, index), b % 10);
		break;
	case IO_IRQ_INFO:
		put32(a, offsetof(struct vfio_irq_info, index), b % 6);
		break;
	case IO_SET_IRQS:
		put32(a, offsetof(struct vfio_irq_set, flags),
		      irq_data[b % 3] | irq_action[(b >> 2) % 3]);
		put32(a, offsetof(struct vfio_irq_set, index), (b >> 4) % 5);
		put32(a, offsetof(struct vfio_irq_set, start), fz_u8(in) % 4);
		put32(a, offsetof(struct vfio_irq_set, count), fz_u8(in) % 5);
		break;
	case IO_MAP_DMA:
		put32(a, offsetof(struct vfio_iommu_type1_dma_map, flags), b & 7);
		put64(a, offsetof(struct vfio_iommu_type1_dma_map, vaddr),
		      (uint64_t)fz_u8(in) * FZ_PAGE);
		put64(a, offsetof(struct vfio_iommu_type1_dma_map, iova),
		      (uint64_t)fz_u16(in) * FZ_PAGE);
		put64(a, offsetof(struct vfio_iommu_type1_dma_map, size),
		      (uint64_t)(1 + fz_u8(in) % 32) * FZ_PAGE);
		break;
	case IO_UNMAP_DMA:
		put32(a, offsetof(struct vfio_iommu_type1_dma_unmap, flags), b & 7);
		put64(a, offsetof(struct vfio_iommu_type1_dma_unmap, iova),
		      (uint64_t)fz_u16(in) * FZ_PAGE);
		put64(a, offsetof(struct vfio_iommu_type1_dma_unmap, size),
		      (uint64_t)fz_u8(in) * FZ_PAGE);
		put64(a, sizeof(struct vfio_iommu_type1_dma_unmap), FZ_PAGE);
		put64(a, sizeof(struct vfio_iommu_type1_dma_unmap) + 8, (uint64_t)fz_u8(in) * 8);
		break;
	case IO_DIRTY_PAGES: {
		size_t get = offsetof(struct vfio_iommu_type1_dirty_bitmap, data);

		put32(a, offsetof(struct vfio_iommu_type1_dirty_bitmap, flags), 1u << (b % 4));
		put64(a, get, (uint64_t)fz_u16(in) * FZ_PAGE);
		put64(a, get + 8, (uint64_t)fz_u8(in) * FZ_PAGE);
		put64(a, get + 16, FZ_PAGE);
		put64(a, get + 24, (uint64_t)fz_u8(in) * 8);
		break;
	}
	case IO_HOT_RESET:
		put32(a, offsetof(struct vfio_pci_hot_reset, count), b % 4);
		break;
	case IO_FEATURE:
		put32(a, offsetof(struct vfio_device_feature, flags),
		      (b % 12) | ((uint32_t)(b >> 4) << 16));
		break;
	default:
		break;
	}
}

void fz_build_ioctl(struct fz *in, const struct fz_env *env, struct fz_ioctl *out)
{
	uint8_t idx = fz_u8(in), tgt = fz_u8(in), mode = fz_u8(in), off8 = fz_u8(in);
	const struct ioctl_def *def = &ioctls[idx % NIOCTLS];
	uint32_t cmd = def->cmd, size = def->size, argsz;
	enum arg_kind kind = def->kind;
	size_t len, off = (size_t)off8 * 8;
	uint8_t *a;

	if (idx == 0xff) {
		/* Any number at all: unknown commands must be refused cleanly. */
		cmd = fz_u32(in);
		def = find_def(cmd, FZ_CONTAINER);
		if (!def)
			def = find_def(cmd, FZ_GROUP);
		if (!def)
			def = find_def(cmd, FZ_DEVICE);
		kind = def ? def->kind : ARG_STRUCT;
		size = def ? def->size : 16;
	}
	out->cmd = cmd;
	out->target = tgt >= 0xc0 ? tgt & 3 : def ? def->target : FZ_DEVICE;

	if (kind == ARG_VALUE) {
		out->arg = mode & 4 ? fz_u8(in) % 12 : fz_u32(in);
		out->len = 0;
		return;
	}

	switch (mode >> 5) {
	case 0:
		len = size;
		break;
	case 1:
		len = size + fz_u8(in);
		break;
	case 2:
		len = fz_u16(in) % 4096;
		break;
	default:
		len = size + 4u * fz_u8(in);
		break;
	}
	if (kind == ARG_FD)
		len = sizeof(int32_t);
	if (kind == ARG_STRING)
		len = mode & 4 ? strlen(device_names[off8 % 8]) + 1 : fz_u8(in) % 64;
	/* At the arena's very end: whatever the kernel reads past len faults. */
	if (mode & 8)
		off = FZ_ARENA_SIZE - len;
	a = fz_arena + off;
	out->arg = (uint64_t)(uintptr_t)a;
	out->len = len;

	if (kind == ARG_STRING && (mode & 4)) {
		memcpy(a, device_names[off8 % 8], len);
		return;
	}
	fz_take(in, a, len);
	if (kind == ARG_STRUCT) {
		if ((mode & 4) && def)
			smart_fill(def, a, in);
		switch (mode & 3) {
		case 0:
			argsz = (uint32_t)len;
			break;
		case 1:
			argsz = size;
			break;
		case 2:
			argsz = fz_u32(in);
			break;
		default:
			argsz = size - 1 - fz_u8(in) % size;
			break;
		}
		put32(a, 0, argsz);
	}
	/* The shim's window: by default the bytes it would send (argsz); mode 16: none. */
	if (mode & 16)
		out->len = 0;
	fz_fixup_arg(cmd, env->kinds[out->target], a, env);
}

void seed_u8(struct fz_seed *s, uint8_t v)
{
	seed_bytes(s, &v, 1);
}

void seed_u16(struct fz_seed *s, uint16_t v)
{
	seed_bytes(s, &v, 2);
}

void seed_u32(struct fz_seed *s, uint32_t v)
{
	seed_bytes(s, &v, 4);
}

void seed_u64(struct fz_seed *s, uint64_t v)
{
	seed_bytes(s, &v, 8);
}

void seed_bytes(struct fz_seed *s, const void *p, size_t len)
{
	if (s->len + len > sizeof(s->buf))
		abort();
	memcpy(s->buf + s->len, p, len);
	s->len += len;
}

int seed_save(const struct fz_seed *s, const char *dir, const char *name)
{
	char path[4096];
	FILE *f;

	snprintf(path, sizeof(path), "%s/%s", dir, name);
	f = fopen(path, "wb");
	if (!f)
		return -errno;
	if (fwrite(s->buf, 1, s->len, f) != s->len) {
		fclose(f);
		return -EIO;
	}
	return fclose(f) ? -errno : 0;
}

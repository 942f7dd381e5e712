// SPDX-License-Identifier: MIT
/*
 * Fuzz target: the VFIO ioctls of the core, in-process (no daemon).
 *
 * One world (the default machine, edu 0000:00:03.0 bound to vfio-pci) lives
 * for the whole run. Each input is one process (struct uvfio_proc) that
 * opens what the input's first byte asks for (container, group 1,
 * SET_CONTAINER, SET_IOMMU, the edu device fd, an extra file), then runs up
 * to MAX_OPS operations: ioctls built by fz_build_ioctl (any real VFIO
 * command, any argsz, flags and counts; addresses confined to the arena),
 * pread/pwrite/lseek of a file, close and dup. The process then exits
 * (uvfio_proc_free closes everything, the kernel's exit order), so nothing
 * carries over to the next input but the devices' own state.
 *
 * After each input the world must still serve a new process: the container
 * answers VFIO_GET_API_VERSION with 0 and group 1 opens (a file the input
 * leaked would keep it EBUSY). Anything else aborts, which the fuzzer reports.
 *
 * Input layout: byte 0 = setup bits (below), then operations, each one byte
 * (low 3 bits: kind) followed by what that kind reads.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <unistd.h>

#include <linux/vfio.h>

#include "fuzz.h"
#include "uvfio/uvfio.h"

#define EDU "0000:00:03.0"
#define MAX_OPS 64

const char fuzz_target_name[] = "ioctl";

enum setup_bits {
	SETUP_CONTAINER = 1 << 0,
	SETUP_GROUP = 1 << 1,
	SETUP_SET_CONTAINER = 1 << 2,
	SETUP_SET_IOMMU = 1 << 3,
	SETUP_TYPE1 = 1 << 4, /* SET_IOMMU picks VFIO_TYPE1_IOMMU instead of v2 */
	SETUP_DEVICE = 1 << 5,
	SETUP_EXTRA_CONTAINER = 1 << 6,
	SETUP_EXTRA_GROUP2 = 1 << 7,
};

enum op_kind { OP_IOCTL0, OP_IOCTL1, OP_IOCTL2, OP_IOCTL3, OP_RW, OP_CLOSE, OP_DUP, OP_LSEEK };

static struct uvfio_world *world;
static bool verbose; /* $UVFIO_FUZZ_VERBOSE: each call and its result on stderr */
static struct uvfio_machine *machine;

static void die(const char *what, long v)
{
	fprintf(stderr, "fuzz-ioctl: %s (%ld, errno %d)\n", what, v, errno);
	abort();
}

int LLVMFuzzerInitialize(int *argc, char ***argv)
{
	static const char *const writes[][2] = {
		{ "/sys/bus/pci/devices/" EDU "/driver_override", "vfio-pci" },
		{ "/sys/bus/pci/drivers_probe", EDU },
	};
	char err[512];

	(void)argc;
	(void)argv;
	verbose = getenv("UVFIO_FUZZ_VERBOSE");
	fz_arena_init();
	machine = uvfio_machine_default();
	if (uvfio_world_create(machine, &world, err, sizeof(err))) {
		fprintf(stderr, "fuzz-ioctl: %s\n", err);
		abort();
	}
	for (size_t i = 0; i < 2; i++) {
		ssize_t r =
			uvfio_sysfs_write(world, writes[i][0], writes[i][1], strlen(writes[i][1]));

		if (r < 0)
			die(writes[i][0], r);
	}
	return 0;
}

void fuzz_teardown(void)
{
	if (!world)
		return;
	uvfio_world_destroy(world);
	uvfio_machine_free(machine);
	world = NULL;
}

/* A new process must find the world serving: the contract every input keeps. */
static void check_healthy(void)
{
	struct uvfio_proc *p = uvfio_proc_new(world, NULL);
	int c = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);
	int g, v;

	if (c < 0)
		die("health: open /dev/vfio/vfio", c);
	v = uvfio_ioctl(p, c, VFIO_GET_API_VERSION);
	if (v != VFIO_API_VERSION)
		die("health: VFIO_GET_API_VERSION", v);
	g = uvfio_open(p, "/dev/vfio/1", O_RDWR);
	if (g < 0)
		die("health: open /dev/vfio/1 (a leaked group file?)", g);
	uvfio_proc_free(p);
}

static void setup(struct uvfio_proc *p, struct fz_env *env, uint8_t bits)
{
	if (bits & SETUP_CONTAINER)
		env->files[FZ_CONTAINER] = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);
	if (bits & SETUP_GROUP)
		env->files[FZ_GROUP] = uvfio_open(p, "/dev/vfio/1", O_RDWR);
	if (bits & SETUP_SET_CONTAINER)
		uvfio_ioctl(p, env->files[FZ_GROUP], VFIO_GROUP_SET_CONTAINER,
			    &env->files[FZ_CONTAINER]);
	if (bits & SETUP_SET_IOMMU)
		uvfio_ioctl(p, env->files[FZ_CONTAINER], VFIO_SET_IOMMU,
			    bits & SETUP_TYPE1 ? VFIO_TYPE1_IOMMU : VFIO_TYPE1v2_IOMMU);
	if (bits & SETUP_DEVICE)
		env->files[FZ_DEVICE] =
			uvfio_ioctl(p, env->files[FZ_GROUP], VFIO_GROUP_GET_DEVICE_FD, EDU);
	env->kinds[FZ_EXTRA] = FZ_CONTAINER;
	if (bits & SETUP_EXTRA_CONTAINER) {
		env->files[FZ_EXTRA] = uvfio_open(p, "/dev/vfio/vfio", O_RDWR);
	} else if (bits & SETUP_EXTRA_GROUP2) {
		env->files[FZ_EXTRA] = uvfio_open(p, "/dev/vfio/2", O_RDWR);
		env->kinds[FZ_EXTRA] = FZ_GROUP;
	}
	for (int i = 0; i < FZ_NFILES; i++) {
		if (env->files[i] < 0)
			env->files[i] = -1;
		if (i != FZ_EXTRA)
			env->kinds[i] = i;
		if (env->files[i] < 0)
			env->kinds[i] = -1;
	}
}

static void do_ioctl(struct uvfio_proc *p, struct fz_env *env, struct fz *in)
{
	struct fz_ioctl io;
	int ret;

	fz_arena_reset(0);
	fz_build_ioctl(in, env, &io);
	ret = uvfio_ioctl(p, env->files[io.target], io.cmd, (unsigned long)io.arg);
	if (verbose)
		fprintf(stderr, "ioctl fd %d cmd 0x%x len %zu: %d (errno %d)\n",
			env->files[io.target], io.cmd, io.len, ret, ret < 0 ? errno : 0);
	if (io.cmd == VFIO_GROUP_GET_DEVICE_FD && ret >= 0) {
		/* Keep the new device file where later operations find it. */
		int slot = env->files[FZ_DEVICE] < 0 ? FZ_DEVICE :
			   env->files[FZ_EXTRA] < 0  ? FZ_EXTRA :
						       -1;

		if (slot < 0) {
			uvfio_close(p, ret);
		} else {
			env->files[slot] = ret;
			env->kinds[slot] = FZ_DEVICE;
		}
	}
}

/* pread/pwrite at region index << 40 | offset: config space, BARs, ROM, VGA. */
static void do_rw(struct uvfio_proc *p, struct fz_env *env, struct fz *in)
{
	uint8_t sel = fz_u8(in);
	int fd = env->files[sel & 3];
	off_t off = (off_t)((uint64_t)((sel >> 3) % 10) << 40 | fz_u32(in));
	size_t len = fz_u16(in) % 8192;
	ssize_t n;

	if (sel & 0x80)
		off = (off_t)fz_u64(in); /* any offset at all, negative ones too */
	fz_arena_reset(0);
	if (sel & 4) {
		fz_take(in, fz_arena, len);
		n = uvfio_pwrite(p, fd, fz_arena, len, off);
	} else {
		n = uvfio_pread(p, fd, fz_arena, len, off);
	}
	if (verbose)
		fprintf(stderr, "%s fd %d off 0x%llx len %zu: %zd\n", sel & 4 ? "pwrite" : "pread",
			fd, (unsigned long long)off, len, n);
}

static void run(struct uvfio_proc *p, struct fz_env *env, struct fz *in)
{
	for (int n = 0; n < MAX_OPS && in->n; n++) {
		uint8_t op = fz_u8(in);
		int i = (op >> 3) & 3;

		switch ((enum op_kind)(op & 7)) {
		case OP_IOCTL0:
		case OP_IOCTL1:
		case OP_IOCTL2:
		case OP_IOCTL3:
			do_ioctl(p, env, in);
			break;
		case OP_RW:
			do_rw(p, env, in);
			break;
		case OP_CLOSE:
			/* The kernel's release order must hold whatever is closed first. */
			if (env->files[i] >= 0)
				uvfio_close(p, env->files[i]);
			env->files[i] = -1;
			env->kinds[i] = -1;
			break;
		case OP_DUP: {
			int fd = uvfio_dup(p, env->files[i]), kind = env->kinds[i];

			if (env->files[FZ_EXTRA] >= 0)
				uvfio_close(p, env->files[FZ_EXTRA]);
			env->files[FZ_EXTRA] = fd < 0 ? -1 : fd;
			env->kinds[FZ_EXTRA] = fd < 0 ? -1 : kind;
			break;
		}
		case OP_LSEEK: {
			int64_t off = (int64_t)fz_u64(in);

			uvfio_lseek(p, env->files[i], (off_t)off, fz_u8(in) % 5);
			break;
		}
		}
	}
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct uvfio_proc_opts opts = { .rlimit_memlock = 2u << 20, .cap_ipc_lock = 0 };
	struct fz in = { data, size };
	struct fz_env env = { .files = { -1, -1, -1, -1 } };
	struct uvfio_proc *p;

	fz_arena_reset(1);
	env.eventfds[0] = eventfd(0, EFD_CLOEXEC);
	env.eventfds[1] = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (env.eventfds[0] < 0 || env.eventfds[1] < 0)
		die("eventfd", -errno);
	p = uvfio_proc_new(world, &opts);
	setup(p, &env, fz_u8(&in));
	run(p, &env, &in);
	uvfio_proc_free(p);
	close(env.eventfds[0]);
	close(env.eventfds[1]);
	uvfio_world_flush(world);
	check_healthy();
	return 0;
}

/* Seeds: the demo's path, then one typical call of each kind. */
static void seed_ioctl(struct fz_seed *s, uint32_t cmd, int kind, uint8_t mode, const void *arg,
		       size_t len)
{
	seed_u8(s, OP_IOCTL0);
	seed_u8(s, fz_cmd_index(cmd, kind));
	seed_u8(s, 0); /* the command's own file */
	seed_u8(s, mode);
	seed_u8(s, 0); /* arena offset 0 */
	if (mode >> 5 == 3)
		seed_u8(s, 1); /* one more int of payload than the struct */
	if (arg)
		seed_bytes(s, arg, len);
}

int fuzz_write_seeds(const char *dir)
{
	const uint8_t all = SETUP_CONTAINER | SETUP_GROUP | SETUP_SET_CONTAINER | SETUP_SET_IOMMU |
			    SETUP_DEVICE;
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info reg = { .argsz = sizeof(reg), .index = 0 };
	struct vfio_irq_info irq = { .argsz = sizeof(irq), .index = VFIO_PCI_MSI_IRQ_INDEX };
	struct vfio_iommu_type1_info iinfo = { .argsz = sizeof(iinfo) };
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = 0,
		.iova = 0x100000,
		.size = 0x4000,
	};
	struct vfio_iommu_type1_dma_unmap unmap = { .argsz = sizeof(unmap),
						    .iova = 0x100000,
						    .size = 0x4000 };
	struct vfio_irq_set irqs = {
		.argsz = sizeof(irqs) + sizeof(int32_t),
		.flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = VFIO_PCI_MSI_IRQ_INDEX,
		.count = 1,
	};
	int32_t irq_fd = FZ_NFILES; /* fz_build_ioctl maps it to the first eventfd */
	struct vfio_pci_hot_reset_info hri = { .argsz = sizeof(hri) };
	struct fz_seed s;
	int ret = 0;

	/* The demo's setup and the calls a VMM makes right after it. */
	s.len = 0;
	seed_u8(&s, all);
	seed_ioctl(&s, VFIO_DEVICE_GET_INFO, FZ_DEVICE, 0, &info, sizeof(info));
	seed_ioctl(&s, VFIO_DEVICE_GET_REGION_INFO, FZ_DEVICE, 0, &reg, sizeof(reg));
	seed_ioctl(&s, VFIO_DEVICE_GET_IRQ_INFO, FZ_DEVICE, 0, &irq, sizeof(irq));
	seed_ioctl(&s, VFIO_IOMMU_GET_INFO, FZ_CONTAINER, 0, &iinfo, sizeof(iinfo));
	seed_ioctl(&s, VFIO_IOMMU_MAP_DMA, FZ_CONTAINER, 0, &map, sizeof(map));
	seed_ioctl(&s, VFIO_IOMMU_UNMAP_DMA, FZ_CONTAINER, 0, &unmap, sizeof(unmap));
	ret |= seed_save(&s, dir, "setup-info-map-unmap");

	/* MSI through an eventfd, then a device reset and hot reset info. */
	s.len = 0;
	seed_u8(&s, all);
	seed_ioctl(&s, VFIO_DEVICE_SET_IRQS, FZ_DEVICE, 3 << 5, &irqs, sizeof(irqs));
	seed_bytes(&s, &irq_fd, sizeof(irq_fd));
	seed_ioctl(&s, VFIO_DEVICE_RESET, FZ_DEVICE, 0, NULL, 0);
	seed_u32(&s, 0);
	seed_ioctl(&s, VFIO_DEVICE_GET_PCI_HOT_RESET_INFO, FZ_DEVICE, 0, &hri, sizeof(hri));
	ret |= seed_save(&s, dir, "irqs-reset");

	/* Config space and BAR0 reads and writes (edu's factorial register). */
	s.len = 0;
	seed_u8(&s, all);
	seed_u8(&s, OP_RW);
	seed_u8(&s, 2 | (VFIO_PCI_CONFIG_REGION_INDEX << 3));
	seed_u32(&s, 0);
	seed_u16(&s, 256);
	seed_u8(&s, OP_RW);
	seed_u8(&s, 2 | 4 | (VFIO_PCI_BAR0_REGION_INDEX << 3));
	seed_u32(&s, 8);
	seed_u16(&s, 4);
	seed_u32(&s, 5);
	seed_u8(&s, OP_RW);
	seed_u8(&s, 2 | (VFIO_PCI_BAR0_REGION_INDEX << 3));
	seed_u32(&s, 8);
	seed_u16(&s, 4);
	ret |= seed_save(&s, dir, "config-bar0");

	/* Closing the group before the device, the container before the group. */
	s.len = 0;
	seed_u8(&s, all | SETUP_EXTRA_CONTAINER);
	seed_u8(&s, OP_CLOSE | (FZ_GROUP << 3));
	seed_u8(&s, OP_CLOSE | (FZ_CONTAINER << 3));
	seed_u8(&s, OP_DUP | (FZ_DEVICE << 3));
	seed_u8(&s, OP_CLOSE | (FZ_DEVICE << 3));
	ret |= seed_save(&s, dir, "close-order");

	/* Found by this fuzzer: SEEK_CUR past S64_MAX overflowed (UBSan) in vfs_llseek. */
	s.len = 0;
	seed_u8(&s, all);
	for (int i = 0; i < 2; i++) {
		seed_u8(&s, OP_LSEEK | (FZ_DEVICE << 3));
		seed_u64(&s, INT64_MAX);
		seed_u8(&s, 1); /* SEEK_CUR */
	}
	ret |= seed_save(&s, dir, "regress-lseek-cur-overflow");
	return ret;
}

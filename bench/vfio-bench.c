// SPDX-License-Identifier: MIT
/*
 * vfio-bench: the cost of VFIO operations, each as a ratio to a baseline
 * measured in the same run. A plain VFIO program (<linux/vfio.h>, sysfs,
 * libc): it knows nothing of uvfio and is meant to run under `uvfio run
 * --machine bench/bench.machine` (bench/run.sh does that).
 *
 *   vfio-bench [--quick] [--edu BDF] [--ivshmem BDF] [--only ROW[,ROW...]] [--suffix S]
 *
 * ROWs: rtt, ioctl, pread, mmap, dma, irq, map, scale. Each result is one
 * tab-separated line on stdout:
 *
 *   BENCH name value unit baseline-name baseline-value ratio goal verdict
 *
 * For a latency the ratio is value / baseline (goal "<=X"); for a copy or a
 * memory access it is a speed, baseline time / value time (goal ">=X").
 * verdict is pass, FAIL, info (no goal) or pending (the machine lacks what
 * the row needs, e.g. an ivshmem-plain device or edu's dma_size=).
 * Times are medians over batches. Diagnostics go to stderr.
 *
 * Baselines, all between two processes of this program (a helper child forked
 * before any VFIO file is opened, driven over a socketpair):
 *   rtt       a 24-byte message to the child and back over a UNIX socketpair
 *   eventfd   one eventfd wake-up: write here, the child's read returns
 *   memcpy    memcpy of the same size between two buffers of this process
 *   pvm       process_vm_writev/readv of the same size, by the child, into/out of
 *             this process's private memory
 *   memfd     the same loads/stores on a MAP_SHARED memfd mapping
 */
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <poll.h>
#include <pthread.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/vfio.h>

#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_CNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_BUF 0x40000
#define EDU_CMD_RUN 0x1
#define EDU_CMD_TO_RAM 0x2
#define EDU_CMD_IRQ 0x4
#define EDU_DMA_IRQ 0x100

#define KiB 1024ul
#define MiB (1024ul * 1024ul)
#define PAGE 4096ul
#define NBATCH_MAX 64
#define DMA_MAX (2 * MiB)
#define IOVA_DMA 0x1000000ull /* the DMA buffers: 16 MiB up */
#define IOVA_SCALE 0x0ull /* the scale test's mappings: 65,535 pages fill edu's 28-bit reach */

#define die(...)                                                    \
	do {                                                        \
		fprintf(stderr, "vfio-bench: " __VA_ARGS__);        \
		fprintf(stderr, " (errno: %s)\n", strerror(errno)); \
		exit(1);                                            \
	} while (0)

static bool quick;
static const char *suffix = ""; /* --suffix: appended to every row name */
static int nbatch = 15;

/* ---- timing ------------------------------------------------------------- */

static double now_ns(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (double)ts.tv_sec * 1e9 + (double)ts.tv_nsec;
}

static int cmp_double(const void *a, const void *b)
{
	double x = *(const double *)a, y = *(const double *)b;

	return x < y ? -1 : x > y;
}

static double median(double *v, int n)
{
	qsort(v, (size_t)n, sizeof(*v), cmp_double);
	return n % 2 ? v[n / 2] : (v[n / 2 - 1] + v[n / 2]) / 2;
}

/* Runs fn(arg, iters) nbatch times; the median time of one iteration in ns. */
static double measure(void (*fn)(void *, int), void *arg, int iters)
{
	double t[NBATCH_MAX];

	fn(arg, iters > 8 ? iters / 8 : 1); /* warm up */
	for (int b = 0; b < nbatch; b++) {
		double t0 = now_ns();

		fn(arg, iters);
		t[b] = (now_ns() - t0) / iters;
	}
	return median(t, nbatch);
}

/*
 * Runs fn and the socket round trip in alternating batches (so that both see
 * the same load on a shared machine); returns fn's median per iteration and
 * the round trip's in *rtt.
 */
static void rtt_loop(void *arg, int iters);

static double measure_vs_rtt(void (*fn)(void *, int), void *arg, int iters, double *rtt)
{
	double t[NBATCH_MAX], r[NBATCH_MAX];
	int riters = quick ? 200 : 500;

	fn(arg, iters > 8 ? iters / 8 : 1);
	rtt_loop(NULL, riters / 8);
	for (int b = 0; b < nbatch; b++) {
		double t0 = now_ns();

		rtt_loop(NULL, riters);
		r[b] = (now_ns() - t0) / riters;
		t0 = now_ns();
		fn(arg, iters);
		t[b] = (now_ns() - t0) / iters;
	}
	*rtt = median(r, nbatch);
	return median(t, nbatch);
}

/* ---- results ------------------------------------------------------------ */

/*
 * goal_op: '<' (value/baseline at most goal), '>' (baseline/value at least
 * goal); 'l' and 's' print those two ratios with no goal (verdict info).
 */
static void report(const char *name, double value_ns, const char *unit, const char *bname,
		   double base_ns, char goal_op, double goal)
{
	double div = !strcmp(unit, "us") ? 1e3 : !strcmp(unit, "ms") ? 1e6 : 1;
	double ratio = goal_op == '>' || goal_op == 's' ? base_ns / value_ns : value_ns / base_ns;
	const char *verdict = "info";
	char g[32] = "-";

	if (goal_op == '<') {
		snprintf(g, sizeof(g), "<=%.2gx", goal);
		verdict = ratio <= goal ? "pass" : "FAIL";
	} else if (goal_op == '>') {
		snprintf(g, sizeof(g), ">=%.2gx", goal);
		verdict = ratio >= goal ? "pass" : "FAIL";
	}
	printf("BENCH\t%s%s\t%.3f\t%s\t%s\t%.3f\t%.3f\t%s\t%s\n", name, suffix, value_ns / div,
	       unit, bname, base_ns / div, ratio, g, verdict);
	fflush(stdout);
}

static void pending(const char *name, const char *why)
{
	printf("BENCH\t%s%s\t-\t-\t-\t-\t-\t-\tpending\n", name, suffix);
	fprintf(stderr, "vfio-bench: %s pending: %s\n", name, why);
	fflush(stdout);
}

/* ---- the helper child ---------------------------------------------------- */

enum { H_ECHO = 1, H_EFD, H_PVW, H_PVR, H_QUIT };

struct hmsg {
	uint32_t cmd;
	uint32_t n;
	uint64_t addr;
	uint64_t len;
};

/* Shared with the child (MAP_SHARED | MAP_ANONYMOUS). */
struct hshared {
	volatile double t_wake; /* H_EFD: when the child's read returned */
	volatile double ns; /* H_PV*: the child's median time per call */
};

static struct {
	pid_t pid, parent;
	int sock; /* our end of the socketpair */
	int efd_go, efd_ack; /* H_EFD: we write go, the child writes ack */
	struct hshared *sh;
} helper;

static void xwrite_all(int fd, const void *buf, size_t len)
{
	if (write(fd, buf, len) != (ssize_t)len)
		die("write");
}

static void xread_all(int fd, void *buf, size_t len)
{
	size_t got = 0;

	while (got < len) {
		ssize_t n = read(fd, (char *)buf + got, len - got);

		if (n <= 0)
			die("read (%zd)", n);
		got += (size_t)n;
	}
}

static void helper_pv(const struct hmsg *m, bool write_remote)
{
	char *local = malloc(m->len);
	double t[NBATCH_MAX];

	memset(local, 0x5a, m->len);
	for (int b = 0; b < nbatch; b++) {
		double t0 = now_ns();

		for (uint32_t i = 0; i < m->n; i++) {
			struct iovec l = { local, m->len };
			struct iovec r = { (void *)(uintptr_t)m->addr, m->len };
			ssize_t done = write_remote ?
					       process_vm_writev(helper.parent, &l, 1, &r, 1, 0) :
					       process_vm_readv(helper.parent, &l, 1, &r, 1, 0);

			if (done != (ssize_t)m->len)
				die("helper: process_vm_%sv", write_remote ? "write" : "read");
		}
		t[b] = (now_ns() - t0) / m->n;
	}
	helper.sh->ns = median(t, nbatch);
	free(local);
}

static void helper_main(int sock)
{
	struct hmsg m;
	uint64_t v;

	for (;;) {
		xread_all(sock, &m, sizeof(m));
		switch (m.cmd) {
		case H_ECHO:
			break;
		case H_EFD:
			for (uint32_t i = 0; i < m.n; i++) {
				if (read(helper.efd_go, &v, sizeof(v)) != sizeof(v))
					die("helper: eventfd");
				helper.sh->t_wake = now_ns();
				v = 1;
				xwrite_all(helper.efd_ack, &v, sizeof(v));
			}
			break;
		case H_PVW:
		case H_PVR:
			helper_pv(&m, m.cmd == H_PVW);
			break;
		case H_QUIT:
			_exit(0);
		}
		xwrite_all(sock, &m, sizeof(m));
	}
}

static void helper_start(void)
{
	int sv[2];

	helper.parent = getpid();
	helper.sh = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED | MAP_ANONYMOUS, -1, 0);
	helper.efd_go = eventfd(0, 0);
	helper.efd_ack = eventfd(0, 0);
	if (helper.sh == MAP_FAILED || helper.efd_go < 0 || helper.efd_ack < 0 ||
	    socketpair(AF_UNIX, SOCK_STREAM, 0, sv))
		die("helper setup");
	helper.pid = fork();
	if (helper.pid < 0)
		die("fork");
	if (helper.pid == 0) {
		close(sv[0]);
		helper_main(sv[1]);
	}
	close(sv[1]);
	helper.sock = sv[0];
}

static void helper_call(struct hmsg *m)
{
	xwrite_all(helper.sock, m, sizeof(*m));
	xread_all(helper.sock, m, sizeof(*m));
}

static void helper_stop(void)
{
	struct hmsg m = { .cmd = H_QUIT };

	xwrite_all(helper.sock, &m, sizeof(m));
	waitpid(helper.pid, NULL, 0);
}

static void rtt_loop(void *arg, int iters)
{
	for (int i = 0; i < iters; i++) {
		struct hmsg m = { .cmd = H_ECHO };

		helper_call(&m);
	}
}

/* The raw round trip, re-measured before each row that compares with it. */
static double baseline_rtt(void)
{
	return measure(rtt_loop, NULL, quick ? 200 : 1000);
}

/* One eventfd wake-up from this process to the child, median over n. */
static double baseline_eventfd(int n)
{
	struct hmsg m = { .cmd = H_EFD, .n = (uint32_t)n };
	double *t = calloc((size_t)n, sizeof(*t));
	uint64_t v;
	double res;

	xwrite_all(helper.sock, &m, sizeof(m));
	for (int i = 0; i < n; i++) {
		double t0;

		usleep(200); /* let the child block in read(), as a waiting program does */
		t0 = now_ns();
		v = 1;
		xwrite_all(helper.efd_go, &v, sizeof(v));
		if (read(helper.efd_ack, &v, sizeof(v)) != sizeof(v))
			die("eventfd ack");
		t[i] = helper.sh->t_wake - t0;
	}
	xread_all(helper.sock, &m, sizeof(m));
	res = median(t, n);
	free(t);
	return res;
}

static double baseline_pv(bool write_remote, void *addr, size_t len, int n)
{
	struct hmsg m = { .cmd = write_remote ? H_PVW : H_PVR,
			  .n = (uint32_t)n,
			  .addr = (uintptr_t)addr,
			  .len = len };

	helper_call(&m);
	return helper.sh->ns;
}

/* ---- VFIO setup ----------------------------------------------------------- */

struct vdev {
	const char *bdf;
	int group, fd;
	struct vfio_region_info bar[VFIO_PCI_ROM_REGION_INDEX];
	uint64_t config_off;
};

static int container = -1;
static bool iommu_set;
static struct vdev edu = { .bdf = "0000:00:03.0" }, ivs = { .bdf = "0000:00:05.0" };
static int edu_efd = -1;

static void sysfs_write(const char *path, const char *val)
{
	int fd = open(path, O_WRONLY);

	if (fd < 0 || write(fd, val, strlen(val)) != (ssize_t)strlen(val))
		die("writing %s to %s", val, path);
	close(fd);
}

static bool device_present(const char *bdf)
{
	char path[PATH_MAX];

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s", bdf);
	return access(path, F_OK) == 0;
}

static void vdev_open(struct vdev *d)
{
	struct vfio_group_status st = { .argsz = sizeof(st) };
	char path[PATH_MAX], target[PATH_MAX];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/driver_override", d->bdf);
	sysfs_write(path, "vfio-pci");
	sysfs_write("/sys/bus/pci/drivers_probe", d->bdf);
	snprintf(path, sizeof(path), "/sys/bus/pci/devices/%s/iommu_group", d->bdf);
	n = readlink(path, target, sizeof(target) - 1);
	if (n < 0)
		die("readlink %s", path);
	target[n] = '\0';
	snprintf(path, sizeof(path), "/dev/vfio/%s", basename(target));
	d->group = open(path, O_RDWR);
	if (d->group < 0)
		die("open %s", path);
	if (ioctl(d->group, VFIO_GROUP_GET_STATUS, &st) || !(st.flags & VFIO_GROUP_FLAGS_VIABLE))
		die("group of %s not viable", d->bdf);
	if (ioctl(d->group, VFIO_GROUP_SET_CONTAINER, &container))
		die("SET_CONTAINER");
	/* The first group attached chooses the IOMMU; SET_IOMMU again is -EINVAL. */
	if (!iommu_set && ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("SET_IOMMU");
	iommu_set = true;
	d->fd = ioctl(d->group, VFIO_GROUP_GET_DEVICE_FD, d->bdf);
	if (d->fd < 0)
		die("GET_DEVICE_FD %s", d->bdf);
	for (unsigned int i = 0; i < VFIO_PCI_ROM_REGION_INDEX; i++) {
		d->bar[i] = (struct vfio_region_info){ .argsz = sizeof(d->bar[i]), .index = i };
		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &d->bar[i]))
			die("GET_REGION_INFO %u", i);
	}
	{
		struct vfio_region_info cfg = { .argsz = sizeof(cfg),
						.index = VFIO_PCI_CONFIG_REGION_INDEX };
		uint16_t cmd;

		if (ioctl(d->fd, VFIO_DEVICE_GET_REGION_INFO, &cfg))
			die("GET_REGION_INFO config");
		d->config_off = cfg.offset;
		if (pread(d->fd, &cmd, 2, (off_t)(cfg.offset + PCI_COMMAND)) != 2)
			die("config read");
		cmd |= PCI_COMMAND_MASTER | PCI_COMMAND_MEMORY;
		if (pwrite(d->fd, &cmd, 2, (off_t)(cfg.offset + PCI_COMMAND)) != 2)
			die("config write");
	}
}

static uint32_t edu_rd32(unsigned int off)
{
	uint32_t v;

	if (pread(edu.fd, &v, 4, (off_t)(edu.bar[0].offset + off)) != 4)
		die("pread BAR0+0x%x", off);
	return v;
}

static void edu_wr32(unsigned int off, uint32_t v)
{
	if (pwrite(edu.fd, &v, 4, (off_t)(edu.bar[0].offset + off)) != 4)
		die("pwrite BAR0+0x%x", off);
}

static void edu_wr64(unsigned int off, uint64_t v)
{
	if (pwrite(edu.fd, &v, 8, (off_t)(edu.bar[0].offset + off)) != 8)
		die("pwrite BAR0+0x%x", off);
}

static void edu_msi_on(void)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int)];
	struct vfio_irq_set *irq = (struct vfio_irq_set *)buf;

	edu_efd = eventfd(0, EFD_CLOEXEC);
	irq->argsz = sizeof(buf);
	irq->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	irq->index = VFIO_PCI_MSI_IRQ_INDEX;
	irq->start = 0;
	irq->count = 1;
	memcpy(irq->data, &edu_efd, sizeof(edu_efd));
	if (ioctl(edu.fd, VFIO_DEVICE_SET_IRQS, irq))
		die("SET_IRQS MSI");
}

static void efd_wait(int efd)
{
	uint64_t v;

	if (read(efd, &v, sizeof(v)) != sizeof(v))
		die("eventfd read");
}

static void dma_map(uint64_t iova, void *vaddr, uint64_t size)
{
	struct vfio_iommu_type1_dma_map map = {
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)vaddr,
		.iova = iova,
		.size = size,
	};

	if (ioctl(container, VFIO_IOMMU_MAP_DMA, &map))
		die("MAP_DMA iova 0x%llx", (unsigned long long)iova);
}

static void dma_unmap(uint64_t iova, uint64_t size)
{
	struct vfio_iommu_type1_dma_unmap unmap = {
		.argsz = sizeof(unmap),
		.iova = iova,
		.size = size,
	};

	if (ioctl(container, VFIO_IOMMU_UNMAP_DMA, &unmap) || unmap.size != size)
		die("UNMAP_DMA iova 0x%llx", (unsigned long long)iova);
}

/* ---- rows: ioctl, pread -------------------------------------------------- */

static void ioctl_loop(void *arg, int iters)
{
	for (int i = 0; i < iters; i++) {
		struct vfio_region_info r = { .argsz = sizeof(r), .index = 0 };

		if (ioctl(edu.fd, VFIO_DEVICE_GET_REGION_INFO, &r))
			die("GET_REGION_INFO");
	}
}

static void pread_loop(void *arg, int iters)
{
	for (int i = 0; i < iters; i++)
		(void)edu_rd32(EDU_ID);
}

static void row_ioctl_pread(void)
{
	int n = quick ? 200 : 500;
	double rtt, t;

	t = measure_vs_rtt(ioctl_loop, NULL, n, &rtt);
	report("ioctl.get_region_info", t, "us", "socket_rtt", rtt, '<', 1.5);
	t = measure_vs_rtt(pread_loop, NULL, n, &rtt);
	report("pread.bar0.4B", t, "us", "socket_rtt", rtt, '<', 1.5);
}

/* ---- rows: mmapped BARs --------------------------------------------------- */

struct access_arg {
	volatile uint32_t *p;
	size_t words; /* sweep length, in 4-byte words */
};

static void load_loop(void *arg, int iters)
{
	struct access_arg *a = arg;
	uint32_t sum = 0;

	for (int i = 0; i < iters; i++)
		sum += a->p[(size_t)i % a->words];
	__asm__ volatile("" : : "r"(sum));
}

static void store_loop(void *arg, int iters)
{
	struct access_arg *a = arg;

	for (int i = 0; i < iters; i++)
		a->p[(size_t)i % a->words] = (uint32_t)i;
}

static void *bar_mmap(struct vdev *d, int bar, size_t len)
{
	void *p;

	if (!(d->bar[bar].flags & VFIO_REGION_INFO_FLAG_MMAP))
		return NULL;
	p = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, d->fd, (off_t)d->bar[bar].offset);
	return p == MAP_FAILED ? NULL : p;
}

static void row_mmap_trapped(struct vdev *d, const char *dev, unsigned int rd_off,
			     unsigned int wr_off)
{
	struct access_arg rd, wr;
	int n = quick ? 200 : 500;
	char name[64];
	void *bar = bar_mmap(d, 0, PAGE);
	double rtt, t;

	if (!bar) {
		snprintf(name, sizeof(name), "mmap.trapped.%s", dev);
		pending(name, "BAR0 not mmappable");
		return;
	}
	rd = (struct access_arg){ (volatile uint32_t *)((char *)bar + rd_off), 1 };
	wr = (struct access_arg){ (volatile uint32_t *)((char *)bar + wr_off), 1 };
	t = measure_vs_rtt(load_loop, &rd, n, &rtt);
	snprintf(name, sizeof(name), "mmap.trapped.read.%s", dev);
	report(name, t, "us", "socket_rtt", rtt, '<', 2);
	t = measure_vs_rtt(store_loop, &wr, n, &rtt);
	snprintf(name, sizeof(name), "mmap.trapped.write.%s", dev);
	report(name, t, "us", "socket_rtt", rtt, '<', 2);
	munmap(bar, PAGE);
}

static void row_mmap_memlike(void)
{
	size_t size = ivs.bar[2].size, sweep;
	struct access_arg a, b;
	uint32_t *mem;
	void *bar;
	int memfd, n;

	if (ivs.fd < 0 || !size) {
		pending("mmap.memlike.read.ivshmem", "no ivshmem-plain in the machine");
		pending("mmap.memlike.write.ivshmem", "no ivshmem-plain in the machine");
		return;
	}
	bar = bar_mmap(&ivs, 2, size);
	if (!bar)
		die("mmap ivshmem BAR2");
	sweep = size < MiB ? size : MiB;
	memfd = memfd_create("vfio-bench", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (off_t)sweep))
		die("memfd");
	mem = mmap(NULL, sweep, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	if (mem == MAP_FAILED)
		die("mmap memfd");
	a = (struct access_arg){ bar, sweep / 4 };
	b = (struct access_arg){ mem, sweep / 4 };
	n = (int)(sweep / 4);
	store_loop(&a, n); /* fault every page in, both sides */
	store_loop(&b, n);
	report("mmap.memlike.read.ivshmem", measure(load_loop, &a, n), "ns", "memfd_load",
	       measure(load_loop, &b, n), '>', 0.9);
	report("mmap.memlike.write.ivshmem", measure(store_loop, &a, n), "ns", "memfd_store",
	       measure(store_loop, &b, n), '>', 0.9);
	munmap(mem, sweep);
	close(memfd);
	munmap(bar, size);
}

/* ---- rows: DMA ------------------------------------------------------------ */

static size_t edu_dma_size; /* what one edu command can move: 4096, or dma_size= */

struct dma_arg {
	uint32_t cmd;
};

/* One command, from the write of the command register to the completion MSI. */
static void dma_loop(void *arg, int iters)
{
	struct dma_arg *a = arg;

	for (int i = 0; i < iters; i++) {
		edu_wr32(EDU_DMA_CMD, a->cmd);
		efd_wait(edu_efd);
	}
}

static void edu_dma_setup(uint64_t src, uint64_t dst, uint64_t cnt)
{
	edu_wr64(EDU_DMA_SRC, src);
	edu_wr64(EDU_DMA_DST, dst);
	edu_wr64(EDU_DMA_CNT, cnt);
}

/* One synchronous DMA with the given direction; false if nothing came back. */
static void edu_dma_once(uint64_t src, uint64_t dst, uint64_t cnt, uint32_t dir)
{
	struct dma_arg a = { EDU_CMD_RUN | EDU_CMD_IRQ | dir };

	edu_dma_setup(src, dst, cnt);
	dma_loop(&a, 1);
}

/* Probes edu's dma-size: the largest of 2M, 64K that round-trips intact. */
static size_t probe_dma_size(uint8_t *buf)
{
	static const size_t sizes[] = { 2 * MiB, 64 * KiB, 4 * KiB };

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t sz = sizes[i];

		for (size_t j = 0; j < sz; j++)
			buf[j] = (uint8_t)(j * 7 + i + 1);
		memset(buf + DMA_MAX, 0, sz);
		edu_dma_once(IOVA_DMA, EDU_DMA_BUF, sz, 0);
		edu_dma_once(EDU_DMA_BUF, IOVA_DMA + DMA_MAX, sz, EDU_CMD_TO_RAM);
		if (!memcmp(buf, buf + DMA_MAX, sz))
			return sz;
	}
	return 0;
}

struct copy_arg {
	void *dst;
	const void *src;
	size_t len;
};

static void memcpy_loop(void *arg, int iters)
{
	struct copy_arg *a = arg;

	for (int i = 0; i < iters; i++) {
		memcpy(a->dst, a->src, a->len);
		__asm__ volatile("" : : "r"(a->dst) : "memory");
	}
}

static int dma_iters(size_t len)
{
	int n = len >= MiB ? 20 : 200;

	return quick ? n / 4 : n;
}

/* One path (zero-copy or fallback): both directions at 4K, 64K, 2M, and the fixed cost. */
static void row_dma_path(const char *path, uint8_t *buf, bool zc)
{
	static const size_t sizes[] = { 4 * KiB, 64 * KiB, 2 * MiB };
	struct dma_arg a;
	double fixed, rtt;
	char name[64];

	dma_map(IOVA_DMA, buf, 2 * DMA_MAX);
	memset(buf, 0x11, 2 * DMA_MAX);

	/* The fixed cost: a command that moves nothing (count 0) and raises the MSI. */
	edu_dma_setup(IOVA_DMA, EDU_DMA_BUF, 0);
	a.cmd = EDU_CMD_RUN | EDU_CMD_IRQ;
	fixed = measure_vs_rtt(dma_loop, &a, quick ? 100 : 200, &rtt);
	snprintf(name, sizeof(name), "dma.%s.fixed", path);
	report(name, fixed, "us", "socket_rtt", rtt, 'l', 0);

	for (size_t i = 0; i < sizeof(sizes) / sizeof(sizes[0]); i++) {
		size_t len = sizes[i];
		int n = dma_iters(len);
		const char *sz = len == 4 * KiB ? "4K" : len == 64 * KiB ? "64K" : "2M";

		for (int dir = 0; dir < 2; dir++) {
			const char *dname = dir ? "to_ram" : "from_ram";
			double t, base;
			char bname[32];

			snprintf(name, sizeof(name), "dma.%s.%s.%s", path, dname, sz);
			if (len > edu_dma_size) {
				pending(name, "edu has no dma_size= this large");
				continue;
			}
			if (dir)
				edu_dma_setup(EDU_DMA_BUF, IOVA_DMA + DMA_MAX, len);
			else
				edu_dma_setup(IOVA_DMA, EDU_DMA_BUF, len);
			a.cmd = EDU_CMD_RUN | EDU_CMD_IRQ | (dir ? EDU_CMD_TO_RAM : 0);
			t = measure(dma_loop, &a, n);
			if (zc) {
				/* The daemon's copy: between edu's buffer and our memfd pages. */
				static uint8_t *other;
				struct copy_arg c;

				if (!other) {
					other = malloc(DMA_MAX);
					memset(other, 1, DMA_MAX);
				}
				c = (struct copy_arg){ dir ? buf + DMA_MAX : other,
						       dir ? other : buf, len };
				base = measure(memcpy_loop, &c, n * 4);
				snprintf(bname, sizeof(bname), "memcpy");
			} else {
				base = baseline_pv(dir, dir ? buf + DMA_MAX : buf, len, n * 4);
				snprintf(bname, sizeof(bname), "process_vm_%sv",
					 dir ? "write" : "read");
			}
			report(name, t, "us", bname, base, '>', 0.8);
			/* What the copy itself costs once the fixed part is taken out. */
			snprintf(name, sizeof(name), "dma.%s.%s.%s.copy_only", path, dname, sz);
			if (t > fixed)
				report(name, t - fixed, "us", bname, base, 's', 0);
			else /* the copy is lost in the noise of the fixed part */
				printf("BENCH\t%s%s\t<0\tus\t%s\t%.3f\t-\t-\tnoise\n", name, suffix,
				       bname, base / 1e3);
		}
	}
	dma_unmap(IOVA_DMA, 2 * DMA_MAX);
}

static void row_dma(void)
{
	size_t len = 2 * DMA_MAX;
	uint8_t *shared, *priv;
	int memfd;

	memfd = memfd_create("vfio-bench-dma", MFD_CLOEXEC);
	if (memfd < 0 || ftruncate(memfd, (off_t)len))
		die("memfd");
	shared = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_SHARED, memfd, 0);
	priv = mmap(NULL, len, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (shared == MAP_FAILED || priv == MAP_FAILED)
		die("mmap DMA buffers");
	memset(shared, 0, len);
	memset(priv, 0, len);

	dma_map(IOVA_DMA, priv, len);
	edu_dma_size = probe_dma_size(priv);
	dma_unmap(IOVA_DMA, len);
	fprintf(stderr, "vfio-bench: edu moves up to %zu bytes per DMA command\n", edu_dma_size);
	if (!edu_dma_size)
		die("edu DMA does not round-trip");

	row_dma_path("zerocopy", shared, true);
	row_dma_path("fallback", priv, false);
	munmap(shared, len);
	munmap(priv, len);
	close(memfd);
}

/* ---- row: interrupt ------------------------------------------------------- */

static struct {
	pthread_t thread;
	int ack; /* waiter -> main */
	volatile double t_wake;
	volatile bool stop;
} irqw;

static void *irq_waiter(void *arg)
{
	uint64_t v = 1;

	for (;;) {
		efd_wait(edu_efd);
		irqw.t_wake = now_ns();
		if (irqw.stop)
			return NULL;
		xwrite_all(irqw.ack, &v, sizeof(v));
	}
}

static void row_irq(void)
{
	int n = quick ? 100 : 400;
	struct hmsg m = { .cmd = H_EFD, .n = (uint32_t)n };
	double *t = calloc((size_t)n, sizeof(*t)), *tb = calloc((size_t)n, sizeof(*tb));
	double lat, rtt, wake;
	uint64_t v;

	irqw.ack = eventfd(0, EFD_CLOEXEC);
	if (pthread_create(&irqw.thread, NULL, irq_waiter, NULL))
		die("pthread_create");
	xwrite_all(helper.sock, &m, sizeof(m));
	for (int i = 0; i < n; i++) {
		double t0;

		/* The baseline: the helper child is blocked in read() of efd_go. */
		usleep(200);
		t0 = now_ns();
		v = 1;
		xwrite_all(helper.efd_go, &v, sizeof(v));
		efd_wait(helper.efd_ack);
		tb[i] = helper.sh->t_wake - t0;

		/* The device: our waiter thread is blocked in read() of edu's MSI eventfd. */
		usleep(200);
		t0 = now_ns();
		edu_wr32(EDU_IRQ_RAISE, 1);
		efd_wait(irqw.ack);
		t[i] = irqw.t_wake - t0;
	}
	xread_all(helper.sock, &m, sizeof(m));
	lat = median(t, n);
	wake = median(tb, n);
	irqw.stop = true;
	edu_wr32(EDU_IRQ_RAISE, 1);
	pthread_join(irqw.thread, NULL);
	close(irqw.ack);
	edu_wr32(EDU_IRQ_ACK, edu_rd32(EDU_IRQ_STATUS));

	/*
	 * t0 is the start of the register write; the device raises the MSI once
	 * the request has reached the daemon, half a socket round trip later.
	 */
	rtt = baseline_rtt();
	report("irq.write_to_wake", lat, "us", "socket_rtt/2+eventfd", rtt / 2 + wake, 'l', 0);
	report("irq.raise_to_wake", lat > rtt / 2 ? lat - rtt / 2 : 1, "us", "eventfd_wake", wake,
	       '<', 1.3);
	free(t);
	free(tb);
}

/* ---- rows: MAP_DMA / UNMAP_DMA ------------------------------------------- */

static uint8_t *map_buf; /* 64 KiB the mappings point into */

static void map_pair_loop(void *arg, int iters)
{
	for (int i = 0; i < iters; i++) {
		dma_map(IOVA_SCALE, map_buf, PAGE);
		dma_unmap(IOVA_SCALE, PAGE);
	}
}

static void row_map(void)
{
	double rtt, t = measure_vs_rtt(map_pair_loop, NULL, quick ? 100 : 250, &rtt);

	report("map_unmap.4K", t, "us", "2*socket_rtt", 2 * rtt, 'l', 0);
}

static uint64_t rng = 0x9e3779b97f4a7c15ull;

static uint64_t xorshift(void)
{
	rng ^= rng << 13;
	rng ^= rng >> 7;
	rng ^= rng << 17;
	return rng;
}

static void row_scale(void)
{
	static const unsigned int counts[] = { 1024, 8192, 65535 };
	double first[3] = { 0 };

	for (size_t c = 0; c < sizeof(counts) / sizeof(counts[0]); c++) {
		unsigned int count = counts[c], nlook = quick ? 100 : 400;
		double t0, ins, look, rem, *tl = calloc(nlook, sizeof(double));
		double per[3];
		char name[64];

		t0 = now_ns();
		for (unsigned int i = 0; i < count; i++)
			dma_map(IOVA_SCALE + (uint64_t)i * PAGE, map_buf + (i % 16) * PAGE, PAGE);
		ins = (now_ns() - t0) / count;

		/* Look-up: edu reads 8 bytes from a random mapping (the device's translation). */
		for (unsigned int i = 0; i < nlook; i++) {
			struct dma_arg a = { EDU_CMD_RUN | EDU_CMD_IRQ };

			edu_dma_setup(IOVA_SCALE + (xorshift() % count) * PAGE, EDU_DMA_BUF, 8);
			t0 = now_ns();
			dma_loop(&a, 1);
			tl[i] = now_ns() - t0;
		}
		look = median(tl, (int)nlook);
		free(tl);

		t0 = now_ns();
		for (unsigned int i = 0; i < count; i++)
			dma_unmap(IOVA_SCALE + (uint64_t)i * PAGE, PAGE);
		rem = (now_ns() - t0) / count;

		per[0] = ins;
		per[1] = look;
		per[2] = rem;
		for (int k = 0; k < 3; k++) {
			static const char *const what[] = { "map_dma.insert", "dma.lookup",
							    "unmap_dma.remove" };

			if (c == 0)
				first[k] = per[k];
			snprintf(name, sizeof(name), "%s@%u", what[k], count);
			if (c == 0)
				report(name, per[k], "us", "-", per[k], 'l', 0);
			else {
				char bname[64];

				snprintf(bname, sizeof(bname), "%s@%u", what[k], counts[0]);
				report(name, per[k], "us", bname, first[k], '<', 1.5);
			}
		}
	}
}

/* ---- main ------------------------------------------------------------------ */

static bool want(const char *only, const char *row)
{
	const char *p = only;
	size_t n = strlen(row);

	if (!only)
		return true;
	while ((p = strstr(p, row))) {
		if ((p == only || p[-1] == ',') && (p[n] == ',' || p[n] == '\0'))
			return true;
		p += n;
	}
	return false;
}

int main(int argc, char **argv)
{
	const char *only = NULL;

	for (int i = 1; i < argc; i++) {
		if (!strcmp(argv[i], "--quick"))
			quick = true;
		else if (!strcmp(argv[i], "--edu") && i + 1 < argc)
			edu.bdf = argv[++i];
		else if (!strcmp(argv[i], "--ivshmem") && i + 1 < argc)
			ivs.bdf = argv[++i];
		else if (!strcmp(argv[i], "--only") && i + 1 < argc)
			only = argv[++i];
		else if (!strcmp(argv[i], "--suffix") && i + 1 < argc)
			suffix = argv[++i];
		else {
			fprintf(stderr,
				"usage: vfio-bench [--quick] [--edu BDF] [--ivshmem BDF] "
				"[--only rtt,ioctl,pread,mmap,dma,irq,map,scale] [--suffix S]\n");
			return 2;
		}
	}
	if (quick)
		nbatch = 7;
	setvbuf(stdout, NULL, _IOLBF, 0);
	helper_start();

	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		die("open /dev/vfio/vfio");
	if (ioctl(container, VFIO_GET_API_VERSION) != VFIO_API_VERSION ||
	    !ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU))
		die("no type1v2");
	vdev_open(&edu);
	ivs.fd = -1;
	if (device_present(ivs.bdf))
		vdev_open(&ivs);
	edu_msi_on();
	map_buf = mmap(NULL, 16 * PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (map_buf == MAP_FAILED)
		die("mmap");
	memset(map_buf, 0x22, 16 * PAGE);

	if (want(only, "rtt")) {
		double rtt = baseline_rtt();

		report("socket_rtt", rtt, "us", "socket_rtt", rtt, 'l', 0);
		report("eventfd_wake", baseline_eventfd(quick ? 100 : 400), "us", "socket_rtt", rtt,
		       'l', 0);
	}
	if (want(only, "ioctl") || want(only, "pread"))
		row_ioctl_pread();
	if (want(only, "mmap")) {
		row_mmap_trapped(&edu, "edu", EDU_ID, EDU_LIVENESS);
		if (ivs.fd >= 0)
			row_mmap_trapped(&ivs, "ivshmem", 0x00, 0x00);
		row_mmap_memlike();
	}
	if (want(only, "dma"))
		row_dma();
	if (want(only, "irq"))
		row_irq();
	if (want(only, "map"))
		row_map();
	if (want(only, "scale"))
		row_scale();

	helper_stop();
	close(edu_efd);
	close(edu.fd);
	close(edu.group);
	if (ivs.fd >= 0) {
		close(ivs.fd);
		close(ivs.group);
	}
	close(container);
	return 0;
}

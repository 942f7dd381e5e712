// SPDX-License-Identifier: MIT
/*
 * A hostile caller against the daemon's notion of who calls (docs/design.md,
 * "Trust model"). Run as root under uvfio run: root opens the container,
 * group and edu device (a launcher's part), then hands them to a process
 * that drops to uid 1001, which tries to make the device DMA into a root
 * process:
 *
 *   1. its child C stalls the container's connection (2,000 requests in one
 *      write, no reply read: the daemon blocks sending replies), queues a
 *      MAP_DMA of a page of its own memory behind them, and exits;
 *   2. root forks the victim V into C's pid (kernel.ns_last_pid), with a
 *      secret in the same page;
 *   3. the attacker drains the replies, so the daemon reads the MAP_DMA that
 *      names C's pid, then has edu DMA from and to that IOVA.
 *
 * The daemon must refuse the request of a sender that is gone (its pidfd says
 * so, whoever has the pid now) and the device must never reach V's memory.
 * The attacker talks the wire protocol raw (raw syscalls, past the shim).
 */
#include <grp.h>
#include <signal.h>
#include <sys/syscall.h>
#include <sys/wait.h>

#include "../uapi/common.h"
#include "uvfio/uvfio-proto.h"

#define ATTACK_UID 1001
#define FILLERS 2000
#define IOVA 0x100000ul
static const char secret_text[] = "ROOT-SECRET-0123456789";
static const char pwned_text[] = "PWNED-BY-UID-1001-----";

/* The page C maps (and the victim's secret lives in); the attacker's own two. */
static char page[PAGE] __attribute__((aligned(4096)));
static char mine[2 * PAGE] __attribute__((aligned(4096)));
#define MINE_IOVA (IOVA + 16 * PAGE)

static ssize_t raw_write(int fd, const void *buf, size_t len)
{
	return syscall(SYS_write, fd, buf, len);
}

static int raw_read_full(int fd, void *buf, size_t len)
{
	size_t done = 0;

	while (done < len) {
		ssize_t n = syscall(SYS_read, fd, (char *)buf + done, len - done);

		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			return -1;
		done += (size_t)n;
	}
	return 0;
}

/* One ioctl request frame, its payload being len bytes at arg. */
static size_t ioctl_frame(void *out, uint32_t cmd, const void *arg, uint32_t len)
{
	struct uvfio_msg_hdr hdr = {
		.magic = UVFIO_PROTO_MAGIC,
		.version = UVFIO_PROTO_VERSION,
		.type = UVFIO_MSG_IOCTL,
		.len = (uint32_t)sizeof(struct uvfio_ioctl_req) + len,
	};
	struct uvfio_ioctl_req req = { .cmd = cmd, .payload_len = len, .arg = (uintptr_t)arg };

	memcpy(out, &hdr, sizeof(hdr));
	memcpy((char *)out + sizeof(hdr), &req, sizeof(req));
	if (len)
		memcpy((char *)out + sizeof(hdr) + sizeof(req), arg, len);
	return sizeof(hdr) + sizeof(req) + len;
}

/* The child C: stall the connection, queue the MAP_DMA, exit. */
static void __attribute__((noreturn)) stall_and_queue(int container)
{
	static struct vfio_iommu_type1_dma_map map;
	size_t one = sizeof(struct uvfio_msg_hdr) + sizeof(struct uvfio_ioctl_req);
	char *buf = malloc(FILLERS * one), frame[256];
	size_t len;

	if (!buf)
		_exit(10);
	for (int i = 0; i < FILLERS; i++)
		ioctl_frame(buf + i * one, VFIO_GET_API_VERSION, NULL, 0);
	if (raw_write(container, buf, FILLERS * one) != (ssize_t)(FILLERS * one))
		_exit(11);
	map = (struct vfio_iommu_type1_dma_map){
		.argsz = sizeof(map),
		.flags = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE,
		.vaddr = (uintptr_t)page,
		.iova = IOVA,
		.size = PAGE,
	};
	len = ioctl_frame(frame, VFIO_IOMMU_MAP_DMA, &map, sizeof(map));
	if (raw_write(container, frame, len) != (ssize_t)len)
		_exit(12);
	_exit(0);
}

/* The last of FILLERS + 1 replies: the MAP_DMA's result. */
static int drain(int container, int32_t *map_result)
{
	for (int i = 0; i <= FILLERS; i++) {
		struct uvfio_msg_hdr hdr;
		char body[256];

		if (raw_read_full(container, &hdr, sizeof(hdr)) || hdr.len > sizeof(body) ||
		    raw_read_full(container, body, hdr.len))
			return -1;
		*map_result = hdr.result;
	}
	return 0;
}

struct report {
	int32_t map_result;
	int drained;
	int dma_read, dma_write; /* edu_dma's results */
	char seen[sizeof(secret_text)];
};

static void __attribute__((noreturn))
attacker(int container, int device, int to_root, int from_root)
{
	struct report r = { .map_result = 1 };
	pid_t c;
	int status;
	char go;

	if (setgroups(0, NULL) || setresgid(ATTACK_UID, ATTACK_UID, ATTACK_UID) ||
	    setresuid(ATTACK_UID, ATTACK_UID, ATTACK_UID) || geteuid() != ATTACK_UID)
		_exit(20);
	c = fork();
	if (c == 0)
		stall_and_queue(container);
	if (c < 0 || waitpid(c, &status, 0) != c || !WIFEXITED(status) || WEXITSTATUS(status))
		_exit(21);
	/* C is reaped: its pid is free for the next process. */
	if (write(to_root, &c, sizeof(c)) != sizeof(c) || read(from_root, &go, 1) != 1)
		_exit(22);
	r.drained = !drain(container, &r.map_result);
	/*
	 * Whatever the daemon mapped: copy it into the attacker's own memory through
	 * the device, then copy the attacker's bytes over it.
	 */
	memcpy(mine + PAGE, pwned_text, sizeof(pwned_text));
	if (dma_map(container, MINE_IOVA, mine, 2 * PAGE,
		    VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE))
		_exit(24);
	r.dma_read = edu_dma(device, IOVA, EDU_DMA_BUF, sizeof(secret_text), 0) ||
				     edu_dma(device, EDU_DMA_BUF, MINE_IOVA, sizeof(secret_text),
					     EDU_DMA_TO_RAM) ?
			     errno :
			     0;
	memcpy(r.seen, mine, sizeof(r.seen));
	r.dma_write = edu_dma(device, MINE_IOVA + PAGE, EDU_DMA_BUF, sizeof(pwned_text), 0) ||
				      edu_dma(device, EDU_DMA_BUF, IOVA, sizeof(pwned_text),
					      EDU_DMA_TO_RAM) ?
			      errno :
			      0;
	if (write(to_root, &r, sizeof(r)) != sizeof(r))
		_exit(23);
	_exit(0);
}

/* The victim: a root process that holds a secret in the page C mapped. */
static void __attribute__((noreturn)) victim(int ready, int done)
{
	char c;

	memcpy(page, secret_text, sizeof(secret_text));
	if (write(ready, "r", 1) != 1 || read(done, &c, 1) < 0)
		_exit(30);
	_exit(memcmp(page, secret_text, sizeof(secret_text)) ? 3 : 0);
}

/* Forks the victim into pid `want`; 0 when another process took it first. */
static pid_t fork_victim_as(pid_t want, int *ready_rd, int *done_wr)
{
	for (int tries = 0; tries < 50; tries++) {
		int ready[2], done[2];
		char c;
		pid_t v;
		FILE *f = fopen("/proc/sys/kernel/ns_last_pid", "w");

		if (!f)
			return 0;
		if (pipe(ready) || pipe(done))
			return 0;
		fprintf(f, "%d", (int)want - 1);
		if (fclose(f))
			return 0;
		v = fork();
		if (v == 0) {
			close(ready[0]);
			close(done[1]);
			victim(ready[1], done[0]);
		}
		close(ready[1]);
		close(done[0]);
		if (v == want && read(ready[0], &c, 1) == 1) {
			*ready_rd = ready[0];
			*done_wr = done[1];
			return v;
		}
		close(ready[0]);
		close(done[1]); /* ends the wrong victim */
		if (v > 0)
			waitpid(v, NULL, 0);
	}
	return 0;
}

int main(void)
{
	struct vfio_env e;
	int container, device, to_root[2], from_root[2], ready, done, status;
	struct report r;
	pid_t a, c, v;

	tap_prog = "pid-reuse";
	setvbuf(stdout, NULL, _IONBF, 0);
	if (geteuid() != 0) {
		printf("1..0 # SKIP needs root (to drop to uid %d and to choose a pid)\n",
		       ATTACK_UID);
		return 0;
	}
	if (bind_vfio_override(EDU_BDF))
		bail("bind edu to vfio-pci");
	if (env_open(&e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1v2_IOMMU))
		bail("container, group and device");
	container = e.container;
	device = e.device;
	{
		uint16_t cmd = (uint16_t)cfg_read(device, 4, 2) | 0x6; /* memory, bus master */

		cfg_write(device, 4, cmd, 2);
	}
	/* The control: the launcher's own DMA works, so a refusal below is the daemon's. */
	memcpy(mine, "LAUNCHER", 8);
	tap(!dma_map(container, MINE_IOVA, mine, 2 * PAGE,
		     VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE) &&
		    !edu_dma(device, MINE_IOVA, EDU_DMA_BUF, 8, 0) &&
		    !edu_dma(device, EDU_DMA_BUF, MINE_IOVA + PAGE, 8, EDU_DMA_TO_RAM) &&
		    !memcmp(mine + PAGE, "LAUNCHER", 8) &&
		    !dma_unmap(container, MINE_IOVA, 2 * PAGE, 0, NULL),
	    "the launcher's own MAP_DMA and device DMA work", "%s", errname(errno));
	if (pipe(to_root) || pipe(from_root))
		bail("pipe");
	a = fork();
	if (a == 0) {
		close(to_root[0]);
		close(from_root[1]);
		attacker(container, device, to_root[1], from_root[0]);
	}
	close(to_root[1]);
	close(from_root[0]);
	if (read(to_root[0], &c, sizeof(c)) != sizeof(c)) {
		waitpid(a, &status, 0);
		bail("the attacker's child did not run (attacker status 0x%x)", status);
	}
	v = fork_victim_as(c, &ready, &done);
	if (!v) {
		kill(a, SIGKILL);
		waitpid(a, NULL, 0);
		printf("1..0 # SKIP could not fork a process into the freed pid %d\n", (int)c);
		return 0;
	}
	printf("# the attacker's child had pid %d; the root victim has it now\n", (int)c);
	if (write(from_root[1], "g", 1) != 1 || read(to_root[0], &r, sizeof(r)) != sizeof(r))
		bail("the attacker died");
	waitpid(a, &status, 0);
	if (write(done, "d", 1) != 1)
		bail("the victim died");
	close(done);
	waitpid(v, &status, 0);

	printf("# the attacker's DMA commands: read %s, write %s\n", errname(r.dma_read),
	       errname(r.dma_write));
	tap(r.drained, "the daemon answered every queued request", "replies lost");
	tap(r.map_result < 0, "a MAP_DMA whose sender exited is refused",
	    "result %d: mapped the memory of the process that took its pid", r.map_result);
	tap(memcmp(r.seen, secret_text, sizeof(secret_text)) != 0,
	    "the device cannot read the process that took the pid", "it read \"%.*s\"",
	    (int)sizeof(r.seen), r.seen);
	tap(WIFEXITED(status) && WEXITSTATUS(status) == 0,
	    "the device cannot write the process that took the pid", "victim status 0x%x", status);
	return tap_done();
}

/* SPDX-License-Identifier: MIT */
/*
 * Device mmaps and the trap handler.
 *
 * mmap() of a uvfio device fd asks the daemon (UVFIO_MSG_MMAP) what backs the
 * range: a memfd for memory-like pages, which the program then touches at
 * native speed, and a bitmap of pages holding registers with side effects.
 * Those are mapped PROT_NONE; the first access raises SIGSEGV, and the shim's
 * handler decodes the load or store at the faulting RIP (x86_decode.h),
 * performs it as a UVFIO_MSG_READ/WRITE at the region offset, moves the value
 * to or from the register file and resumes after the instruction. To the
 * program this is a BAR it programs with plain loads and stores.
 *
 * Each device mapping is recorded (struct trap_map) with its own duplicate of
 * the device socket, so that as in the kernel a mapping keeps the device file
 * open after the program closes its fd; the duplicate is closed when the last
 * page of the mapping is unmapped (munmap, or a MAP_FIXED mapping over it).
 *
 * SIGSEGV: the shim installs its handler at the first trapped mapping and from
 * then on owns the disposition; sigaction()/signal() for SIGSEGV read and set
 * the program's own handler, which the shim calls for every fault that is not
 * a trapped access (and for trapped accesses it cannot emulate). Not handled:
 * mremap() and mprotect() of device mappings, vector or read-modify-write
 * instructions on trapped pages (see x86_decode.h), sigaction from raw
 * syscalls.
 */
/*
 * The wrappers define both the plain and the 64 names, so glibc must not
 * redirect one to the other (on LP64 they take the same types).
 */
#undef _FILE_OFFSET_BITS
#undef _FORTIFY_SOURCE
#include <errno.h>
#include <fcntl.h>
#include <pthread.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/socket.h>
#include <sys/syscall.h>
#include <sys/uio.h>
#include <ucontext.h>
#include <unistd.h>

#include "preload/fds.h"
#include "preload/shim.h"
#include "preload/x86_decode.h"
#include "shared/macro.h"

/* One mmap() of a device fd. Immutable after it is published, except live/nlive. */
struct trap_map {
	uintptr_t start;
	size_t npages;
	int prot;
	struct shim_file file; /* the shim's own duplicate of the device socket */
	uint64_t region_offset; /* the mmap offset: READ/WRITE offsets are relative to it */
	size_t nlive; /* pages not yet unmapped */
	uint8_t *trapped; /* npages bits */
	uint8_t *live; /* npages bits */
};

/*
 * Lock order: mm.lock -> (nothing). Held with all signals blocked, so the
 * trap handler can take it: a thread never faults on a trapped page while it
 * holds it. maps/nmaps, installed and prog are protected by it; nmaps is also
 * read without it as a hint for the munmap fast path.
 */
static struct {
	pthread_mutex_t lock;
	struct trap_map **maps;
	size_t nmaps, cap;
	bool installed; /* the shim's SIGSEGV handler is in place */
	struct sigaction prog; /* the program's SIGSEGV disposition, once installed */
} mm = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
};

void shim_mmap_atfork_child(void)
{
	pthread_mutex_init(&mm.lock, NULL);
}

static void mm_lock(sigset_t *saved)
{
	shim_lock(&mm.lock, saved);
}

static void mm_unlock(const sigset_t *saved)
{
	shim_unlock(&mm.lock, saved);
}

static bool test_bit8(const uint8_t *map, size_t i)
{
	return map[i / 8] & (1u << (i % 8));
}

static void trap_map_free(struct trap_map *t)
{
	if (!t)
		return;
	if (t->file.fd >= 0)
		close(t->file.fd);
	free(t->trapped);
	free(t->live);
	free(t);
}

/* Drops [addr, addr + len) from the records; a record with no page left goes. */
static void __forget_range(uintptr_t addr, size_t len)
{
	size_t page = (size_t)getpagesize();
	uintptr_t end = addr + len;

	for (size_t i = 0; i < mm.nmaps;) {
		struct trap_map *t = mm.maps[i];
		uintptr_t tend = t->start + t->npages * page;

		if (end > t->start && addr < tend) {
			size_t first = addr > t->start ? (addr - t->start) / page : 0;
			size_t last = min(tend, ALIGN_UP(end, page));

			last = (last - t->start) / page;
			for (size_t p = first; p < last; p++) {
				if (test_bit8(t->live, p)) {
					t->live[p / 8] &= (uint8_t) ~(1u << (p % 8));
					t->nlive--;
				}
			}
			if (!t->nlive) {
				trap_map_free(t);
				mm.maps[i] = mm.maps[--mm.nmaps];
				__atomic_store_n(&mm.nmaps, mm.nmaps, __ATOMIC_RELAXED);
				continue;
			}
		}
		i++;
	}
}

static void forget_range(uintptr_t addr, size_t len)
{
	sigset_t saved;

	if (!__atomic_load_n(&mm.nmaps, __ATOMIC_RELAXED))
		return;
	mm_lock(&saved);
	__forget_range(addr, len);
	mm_unlock(&saved);
}

/* ---------------------------------------------------------------------------
 * The trap handler
 */

/* The instruction bytes at rip, as many of X86_MAX_INSN_LEN as are readable. */
static size_t fetch_insn(uintptr_t rip, uint8_t *buf)
{
	size_t page = (size_t)getpagesize();
	size_t first = min((size_t)X86_MAX_INSN_LEN, page - rip % page);

	if (shim_copy_from_user(buf, rip, first))
		return 0;
	if (first < X86_MAX_INSN_LEN &&
	    !shim_copy_from_user(buf + first, rip + first, X86_MAX_INSN_LEN - first))
		return X86_MAX_INSN_LEN;
	return first;
}

/*
 * Performs a faulting access to a trapped page through the daemon. Returns
 * false when the fault is not one (or cannot be emulated): the caller passes
 * it on to the program.
 */
static bool trap_emulate(siginfo_t *si, ucontext_t *uc)
{
	size_t page = (size_t)getpagesize();
	uintptr_t addr = (uintptr_t)si->si_addr;
	struct x86_mmio_insn in;
	struct shim_file file;
	uint8_t insn[X86_MAX_INSN_LEN];
	uint64_t offset, val = 0;
	size_t avail;
	sigset_t saved;
	bool found = false;
	int prot = 0;
	ssize_t n;

	if (si->si_code <= 0) /* sent by kill() or sigqueue(), not a fault */
		return false;

	avail = fetch_insn((uintptr_t)uc->uc_mcontext.gregs[REG_RIP], insn);
	if (!avail || x86_decode_mmio(insn, avail, &in))
		return false;

	mm_lock(&saved);
	for (size_t i = 0; i < mm.nmaps && !found; i++) {
		struct trap_map *t = mm.maps[i];
		size_t first, last;

		if (addr < t->start || addr - t->start >= t->npages * page)
			continue;
		/* Every page the access touches must be a live trapped page of t. */
		first = (addr - t->start) / page;
		last = (addr - t->start + in.size - 1) / page;
		found = true;
		for (size_t p = first; p <= last; p++)
			if (p >= t->npages || !test_bit8(t->trapped, p) || !test_bit8(t->live, p))
				found = false;
		file = t->file;
		prot = t->prot;
		offset = t->region_offset + (addr - t->start);
	}
	mm_unlock(&saved);
	if (!found || !(prot & (in.is_write ? PROT_WRITE : PROT_READ)))
		return false;

	if (in.is_write) {
		x86_mmio_get_src(uc, &in, &val);
		n = shim_file_mmio(&file, true, &val, in.size, (int64_t)offset);
	} else {
		n = shim_file_mmio(&file, false, &val, in.size, (int64_t)offset);
	}
	if (n == -EFAULT) {
		/*
		 * The mapping's fault handler says SIGBUS (vfio_pci_mmap_huge_fault:
		 * memory decoding off, a device in low power). The kernel's own
		 * signal, to this thread; a handler that returns re-runs the
		 * access, which faults again, as it would on Linux.
		 */
		siginfo_t bus = { .si_signo = SIGBUS, .si_code = BUS_ADRERR };

		bus.si_addr = si->si_addr;
		syscall(SYS_rt_tgsigqueueinfo, getpid(), gettid(), SIGBUS, &bus);
		return true;
	}
	if (n != (ssize_t)in.size) {
		shim_debug("trapped %s of %u bytes at offset %#llx: %zd",
			   in.is_write ? "store" : "load", in.size, (unsigned long long)offset, n);
		return false;
	}
	if (!in.is_write)
		x86_mmio_set_dst(uc, &in, val);
	x86_mmio_advance(uc, &in);
	return true;
}

/* Hands a fault to the program's SIGSEGV disposition, as the kernel would have. */
static void chain(int sig, siginfo_t *si, void *uc)
{
	struct sigaction act;
	sigset_t saved, mask;

	mm_lock(&saved);
	act = mm.prog;
	if (act.sa_flags & SA_RESETHAND) {
		mm.prog.sa_handler = SIG_DFL;
		mm.prog.sa_flags &= ~(SA_SIGINFO | SA_RESETHAND);
	}
	mm_unlock(&saved);

	if (!(act.sa_flags & SA_SIGINFO) &&
	    (act.sa_handler == SIG_DFL || act.sa_handler == SIG_IGN)) {
		/*
		 * A fault cannot be ignored: the default action. Returning re-runs
		 * the instruction, which faults again with no handler in the way.
		 */
		struct sigaction dfl = { .sa_handler = SIG_DFL };

		sigemptyset(&dfl.sa_mask);
		REAL(sigaction)(sig, &dfl, NULL);
		if (si->si_code <= 0)
			raise(sig);
		return;
	}

	mask = act.sa_mask;
	if (!(act.sa_flags & SA_NODEFER))
		sigaddset(&mask, sig);
	pthread_sigmask(SIG_BLOCK, &mask, &saved);
	if (act.sa_flags & SA_SIGINFO)
		act.sa_sigaction(sig, si, uc);
	else
		act.sa_handler(sig);
	pthread_sigmask(SIG_SETMASK, &saved, NULL);
}

static void trap_handler(int sig, siginfo_t *si, void *uc)
{
	int saved = errno;

	if (!trap_emulate(si, uc))
		chain(sig, si, uc);
	errno = saved;
}

static void install_handler(void)
{
	struct sigaction ours = {
		.sa_sigaction = trap_handler,
		/* SA_ONSTACK: a program's stack-overflow handler relies on its altstack. */
		.sa_flags = SA_SIGINFO | SA_ONSTACK | SA_NODEFER | SA_RESTART,
	};
	sigset_t saved;

	sigemptyset(&ours.sa_mask);
	mm_lock(&saved);
	if (!mm.installed && !REAL(sigaction)(SIGSEGV, &ours, &mm.prog))
		mm.installed = true;
	mm_unlock(&saved);
}

/* ---------------------------------------------------------------------------
 * mmap of a device
 */

/* Maps the runs of pages [0, npages) at base: memfd runs and PROT_NONE runs. */
static int map_pieces(uintptr_t base, size_t npages, int prot, int flags, bool fixed, int memfd,
		      uint64_t memfd_offset, const uint8_t *trapped)
{
	size_t page = (size_t)getpagesize();

	for (size_t i = 0, j; i < npages; i = j) {
		bool trap = test_bit8(trapped, i);
		void *p;

		for (j = i + 1; j < npages && test_bit8(trapped, j) == trap; j++)
			;
		if (trap && !fixed)
			continue; /* already PROT_NONE from the reservation */
		if (trap)
			p = REAL(mmap)((void *)(base + i * page), (j - i) * page, PROT_NONE,
				       MAP_PRIVATE | MAP_ANONYMOUS | MAP_FIXED, -1, 0);
		else
			p = REAL(mmap)((void *)(base + i * page), (j - i) * page, prot,
				       MAP_SHARED | MAP_FIXED |
					       (flags & (MAP_POPULATE | MAP_LOCKED)),
				       memfd, (off_t)(memfd_offset + i * page));
		if (p == MAP_FAILED)
			return -errno;
	}
	return 0;
}

static int record_map(uintptr_t base, size_t npages, int prot, const struct shim_file *f,
		      uint64_t offset, const uint8_t *trapped)
{
	size_t bytes = DIV_ROUND_UP(npages, 8);
	struct trap_map *t = calloc(1, sizeof(*t));
	sigset_t saved;
	int ret = -ENOMEM;

	if (!t)
		return -ENOMEM;
	t->file.fd = -1;
	t->trapped = malloc(bytes);
	t->live = malloc(bytes);
	if (!t->trapped || !t->live)
		goto err_free;
	memcpy(t->trapped, trapped, bytes);
	memset(t->live, 0xff, bytes);
	t->start = base;
	t->npages = t->nlive = npages;
	t->prot = prot;
	t->region_offset = offset;
	t->file = *f;
	t->file.fd = fcntl(f->fd, F_DUPFD_CLOEXEC, 0);
	if (t->file.fd < 0) {
		ret = -errno;
		goto err_free;
	}

	mm_lock(&saved);
	__forget_range(base, npages * (size_t)getpagesize());
	if (mm.nmaps == mm.cap) {
		size_t cap = mm.cap ? 2 * mm.cap : 16;
		struct trap_map **maps = realloc(mm.maps, cap * sizeof(*maps));

		if (!maps) {
			mm_unlock(&saved);
			goto err_free;
		}
		mm.maps = maps;
		mm.cap = cap;
	}
	mm.maps[mm.nmaps] = t;
	__atomic_store_n(&mm.nmaps, mm.nmaps + 1, __ATOMIC_RELAXED);
	mm_unlock(&saved);
	return 0;

err_free:
	trap_map_free(t);
	return ret;
}

static void *dev_mmap(const struct shim_file *f, void *addr, size_t len, int prot, int flags,
		      off_t offset)
{
	size_t page = (size_t)getpagesize();
	struct uvfio_mmap_req req = {
		.offset = (uint64_t)offset,
		.prot = (uint32_t)prot,
		.flags = (uint32_t)flags,
	};
	struct iovec iov = { &req, sizeof(req) };
	struct shim_msg m = {
		.type = UVFIO_MSG_MMAP,
		.req = &iov,
		.nreq = 1,
		.recv_flags = MSG_CMSG_CLOEXEC,
		.accept_fd = true, /* the memfd */
	};
	bool fixed = flags & MAP_FIXED;
	struct uvfio_mmap_rep rep;
	const uint8_t *trapped;
	bool any_trapped = false, any_mem = false;
	size_t npages;
	uintptr_t base = 0;
	int saved_errno = errno;
	int ret;

	if (!len || offset < 0 || offset % (off_t)page)
		return (void *)shim_ret(-EINVAL);
	if (len > SIZE_MAX - page)
		return (void *)shim_ret(-ENOMEM);
	len = ALIGN_UP(len, page);
	npages = len / page;
	req.len = len;

	ret = shim_call(f, &m);
	if (ret)
		return (void *)shim_ret(ret);
	if (m.result < 0) {
		ret = m.result;
		goto out;
	}
	ret = -EIO;
	if (m.rep_len < sizeof(rep))
		goto out;
	memcpy(&rep, m.rep, sizeof(rep));
	if (rep.npages != npages || rep.len != len ||
	    m.rep_len != sizeof(rep) + DIV_ROUND_UP(npages, 8))
		goto out;
	trapped = (const uint8_t *)m.rep + sizeof(rep);
	for (size_t i = 0; i < npages; i++) {
		if (test_bit8(trapped, i))
			any_trapped = true;
		else
			any_mem = true;
	}
	if (any_mem && m.fd < 0)
		goto out;

	/* Reserve the range PROT_NONE; the trapped pages stay that way. */
	if (fixed) {
		base = (uintptr_t)addr;
	} else {
		void *p = REAL(mmap)(addr, len, PROT_NONE,
				     MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE |
					     (flags & MAP_FIXED_NOREPLACE),
				     -1, 0);

		if (p == MAP_FAILED) {
			ret = -errno;
			goto out;
		}
		base = (uintptr_t)p;
	}
	ret = map_pieces(base, npages, prot, flags, fixed, m.fd, rep.memfd_offset, trapped);
	if (!ret)
		ret = record_map(base, npages, prot, f, (uint64_t)offset, trapped);
	if (ret) {
		REAL(munmap)((void *)base, len);
		forget_range(base, len);
		goto out;
	}
	if (any_trapped)
		install_handler();
	shim_debug("mmap offset %#llx len %zu at %#lx", (unsigned long long)offset, len,
		   (unsigned long)base);
out:
	if (m.fd >= 0)
		close(m.fd);
	free(m.rep);
	if (ret)
		return (void *)shim_ret(ret);
	errno = saved_errno;
	return (void *)base;
}

/* ===========================================================================
 * libc wrappers
 */

SHIM_EXPORT void *mmap(void *addr, size_t len, int prot, int flags, int fd, off_t offset)
{
	struct shim_file f;
	void *p;

	if (!(flags & MAP_ANONYMOUS) && shim_file_get(fd, &f)) {
		p = dev_mmap(&f, addr, len, prot, flags, offset);
		if (p != MAP_FAILED && (flags & MAP_FIXED))
			shim_dma_backing_forget(p, len);
		return p;
	}
	p = REAL(mmap)(addr, len, prot, flags, fd, offset);
	if (p != MAP_FAILED && (flags & MAP_FIXED))
		forget_range((uintptr_t)p, len);
	if (p != MAP_FAILED)
		shim_dma_backing_note(p, len, flags, fd, offset);
	return p;
}

SHIM_EXPORT void *mmap64(void *addr, size_t len, int prot, int flags, int fd, off64_t offset)
{
	struct shim_file f;
	void *p;

	if (!(flags & MAP_ANONYMOUS) && shim_file_get(fd, &f)) {
		p = dev_mmap(&f, addr, len, prot, flags, offset);
		if (p != MAP_FAILED && (flags & MAP_FIXED))
			shim_dma_backing_forget(p, len);
		return p;
	}
	p = REAL(mmap64)(addr, len, prot, flags, fd, offset);
	if (p != MAP_FAILED && (flags & MAP_FIXED))
		forget_range((uintptr_t)p, len);
	if (p != MAP_FAILED)
		shim_dma_backing_note(p, len, flags, fd, offset);
	return p;
}

SHIM_EXPORT int munmap(void *addr, size_t len)
{
	int ret = REAL(munmap)(addr, len);

	if (!ret) {
		forget_range((uintptr_t)addr, len);
		shim_dma_backing_forget(addr, len);
	}
	return ret;
}

/*
 * Once the shim's handler is installed, the program's SIGSEGV disposition
 * lives in mm.prog; before that, SIGSEGV is the program's alone.
 */
static bool prog_sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	sigset_t saved;
	bool ours;

	if (sig != SIGSEGV)
		return false;
	mm_lock(&saved);
	ours = mm.installed;
	if (ours) {
		if (old)
			*old = mm.prog;
		if (act)
			mm.prog = *act;
	}
	mm_unlock(&saved);
	return ours;
}

SHIM_EXPORT int sigaction(int sig, const struct sigaction *act, struct sigaction *old)
{
	if (prog_sigaction(sig, act, old))
		return 0;
	return REAL(sigaction)(sig, act, old);
}

/* signal() and friends for SIGSEGV: the flags glibc gives each of them. */
static bool prog_signal(int sig, sighandler_t handler, int flags, sighandler_t *old)
{
	struct sigaction act = { .sa_handler = handler, .sa_flags = flags }, prev;

	if (handler == SIG_ERR || handler == SIG_HOLD)
		return false;
	sigemptyset(&act.sa_mask);
	if (!prog_sigaction(sig, &act, &prev))
		return false;
	*old = (prev.sa_flags & SA_SIGINFO) ? (sighandler_t)(void *)prev.sa_sigaction :
					      prev.sa_handler;
	return true;
}

SHIM_EXPORT sighandler_t signal(int sig, sighandler_t handler)
{
	sighandler_t old;

	if (prog_signal(sig, handler, SA_RESTART, &old))
		return old;
	return REAL(signal)(sig, handler);
}

sighandler_t bsd_signal(int sig, sighandler_t handler);

SHIM_EXPORT sighandler_t bsd_signal(int sig, sighandler_t handler)
{
	sighandler_t old;

	if (prog_signal(sig, handler, SA_RESTART, &old))
		return old;
	return REAL(bsd_signal)(sig, handler);
}

SHIM_EXPORT sighandler_t sysv_signal(int sig, sighandler_t handler)
{
	sighandler_t old;

	if (prog_signal(sig, handler, SA_RESETHAND | SA_NODEFER, &old))
		return old;
	return REAL(sysv_signal)(sig, handler);
}

sighandler_t __sysv_signal(int sig, sighandler_t handler);

SHIM_EXPORT sighandler_t __sysv_signal(int sig, sighandler_t handler)
{
	sighandler_t old;

	if (prog_signal(sig, handler, SA_RESETHAND | SA_NODEFER, &old))
		return old;
	return REAL(__sysv_signal)(sig, handler);
}

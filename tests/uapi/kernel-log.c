// SPDX-License-Identifier: MIT
/*
 * The kernel's log as a program sees it: /dev/kmsg (its record format,
 * lseek, non-blocking EAGAIN, a blocking read woken by a new record, EPIPE
 * after the ring overtook a reader, writes as user messages with their
 * prefix, size limit and ratelimit), syslog(2) through klogctl (what dmesg
 * -S, -c and -C use), and the messages VFIO use causes: the IOMMU's DMAR
 * fault records when edu DMAs to an unmapped or read-only IOVA. Passes
 * unchanged on Linux 6.12 (the kernel lab) and under uvfio run.
 */
#include "common.h"

#include <regex.h>
#include <signal.h>
#include <sys/klog.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>
#include <sys/wait.h>

#define KMSG "/dev/kmsg"

struct rec {
	unsigned int prio;
	unsigned long long seq, ts;
	char text[8192];
};

/* One record from fd: its length, or -1 and errno. */
static ssize_t rec_read(int fd, struct rec *r)
{
	char buf[8192 + 64];
	ssize_t n = read(fd, buf, sizeof(buf) - 1);
	char *semi, *nl;

	if (n < 0)
		return -1;
	buf[n] = '\0';
	memset(r, 0, sizeof(*r));
	semi = strchr(buf, ';');
	if (!semi || sscanf(buf, "%u,%llu,%llu,", &r->prio, &r->seq, &r->ts) != 3) {
		errno = EIO;
		return -1;
	}
	nl = strchr(semi, '\n');
	if (nl)
		*nl = '\0';
	snprintf(r->text, sizeof(r->text), "%s", semi + 1);
	return n;
}

/* Records until EAGAIN; the last one's text into last (may be NULL). */
static int drain(int fd, struct rec *last)
{
	struct rec r;
	int n = 0;

	while (rec_read(fd, &r) >= 0) {
		n++;
		if (last)
			*last = r;
	}
	return n;
}

static bool expect_rec(int fd, unsigned int prio, const char *text, const char *name)
{
	struct rec r;

	if (rec_read(fd, &r) < 0)
		return tap(false, name, "read: %s", errname(errno));
	return tap(r.prio == prio && !strcmp(r.text, text), name,
		   "got <%u> \"%s\", want <%u> \"%s\"", r.prio, r.text, prio, text);
}

static ssize_t put(int fd, const char *s)
{
	return write(fd, s, strlen(s));
}

static void test_node(void)
{
	struct stat st;

	EXPECT_OK(stat(KMSG, &st), "stat /dev/kmsg");
	EXPECT_EQ(st.st_mode, S_IFCHR | 0644, "/dev/kmsg is a 0644 character device");
	EXPECT_EQ(st.st_rdev, makedev(1, 11), "/dev/kmsg is 1:11");
}

static void test_seek_and_read(int rd)
{
	char small[8];

	EXPECT_EQ(lseek(rd, 0, SEEK_END), 0, "SEEK_END returns 0");
	EXPECT_ERR(lseek(rd, 1, SEEK_SET), ESPIPE, "an offset other than 0 is ESPIPE");
	EXPECT_ERR(lseek(rd, 0, SEEK_CUR), EINVAL, "SEEK_CUR is EINVAL");
	EXPECT_ERR(lseek(rd, 0, SEEK_HOLE), EINVAL, "SEEK_HOLE is EINVAL");
	EXPECT_ERR(read(rd, small, sizeof(small)), EAGAIN, "non-blocking read at the end: EAGAIN");
	EXPECT_ERR(put(rd, "x"), EBADF, "write on an O_RDONLY /dev/kmsg: EBADF");
}

static void test_writes(int rd)
{
	int wr = open(KMSG, O_WRONLY | O_CLOEXEC);
	char big[1100], small[8];
	struct rec r, prev;

	if (wr < 0)
		bail("open %s O_WRONLY", KMSG);
	EXPECT_ERR(read(wr, small, sizeof(small)), EBADF, "read on an O_WRONLY /dev/kmsg: EBADF");
	EXPECT_EQ(put(wr, "first\n"), 6, "write returns its length");
	EXPECT_ERR(read(rd, small, sizeof(small)), EINVAL,
		   "a buffer shorter than the record: EINVAL");
	put(wr, "<3>err level\n");
	if (rec_read(rd, &prev) < 0)
		bail("read %s", KMSG);
	tap(prev.prio == 11 && !strcmp(prev.text, "err level"),
	    "the short read consumed its record; <3> is user facility", "got <%u> \"%s\"",
	    prev.prio, prev.text);
	if (rec_read(rd, &r) >= 0)
		tap(false, "nothing more to read", "got \"%s\"", r.text);
	else
		tap(errno == EAGAIN, "nothing more to read", "errno %s", errname(errno));

	put(wr, "<14>user info");
	put(wr, "<abc>x\ttab\\ and \x01 ctl\n");
	put(wr, "two\nlines\n");
	EXPECT_EQ(write(wr, "", 0), 0, "an empty write returns 0");
	put(wr, "<>y");
	put(wr, "<1024>q");
	expect_rec(rd, 14, "user info", "<14>: facility and level taken");
	expect_rec(rd, 12, "<abc>x\\x09tab\\x5c and \\x01 ctl",
		   "no prefix: default level, unprintable bytes and \\ escaped");
	expect_rec(rd, 12, "two\\x0alines", "the last newline is dropped, inner ones escaped");
	expect_rec(rd, 12, "", "an empty write is an empty record");
	expect_rec(rd, 8, "y", "<> is level 0");
	/* A message with no newline at its end is read once the next one is stored. */
	EXPECT_ERR(rec_read(rd, &r), EAGAIN, "a record without its newline is not readable yet");

	memset(big, 'a', sizeof(big));
	EXPECT_EQ(write(wr, big, 1024), 1024, "a 1024-byte write is accepted");
	EXPECT_ERR(write(wr, big, 1025), EINVAL, "a 1025-byte write is EINVAL");
	expect_rec(rd, 1024, "q", "<1024> is facility 128, readable once the next record came");
	put(wr, "end\n");
	if (rec_read(rd, &r) >= 0)
		EXPECT_EQ(strlen(r.text), 1023, "a record holds at most 1023 bytes of text");
	else
		tap(false, "a record holds at most 1023 bytes of text", "read: %s", errname(errno));
	expect_rec(rd, 12, "end", "the next one");
	EXPECT_EQ(r.seq, prev.seq + 7, "sequence numbers count every record");
	close(wr);
}

/* 10 writes every 5 s per open file; the rest are counted in one message at close. */
static void test_ratelimit(int rd)
{
	int wr = open(KMSG, O_WRONLY | O_CLOEXEC);
	char want[128];
	int n = 0;

	for (int i = 0; i < 15; i++) {
		char m[32];
		int len = snprintf(m, sizeof(m), "rl %d\n", i);

		n += write(wr, m, (size_t)len) == len;
	}
	EXPECT_EQ(n, 15, "a ratelimited write still returns its length");
	close(wr);
	for (int i = 0; i < 10; i++) {
		snprintf(want, sizeof(want), "rl %d", i);
		if (!expect_rec(rd, 12, want, "the first 10 writes are logged"))
			break;
	}
	snprintf(want, sizeof(want), "printk: %s: 5 output lines suppressed due to ratelimiting",
		 program_invocation_short_name);
	expect_rec(rd, 4, want, "the 5 dropped are counted at close");
}

static void test_syslog(void)
{
	char buf[4096];
	int wr, n, k;
	regex_t re;

	EXPECT_EQ(klogctl(10, NULL, 0), 131072, "SYSLOG_ACTION_SIZE_BUFFER: 128 KiB");
	EXPECT_OK(klogctl(9, NULL, 0), "SYSLOG_ACTION_SIZE_UNREAD");
	EXPECT_ERR(klogctl(3, buf, -1), EINVAL, "READ_ALL with a negative length: EINVAL");
	EXPECT_ERR(klogctl(3, NULL, 10), EINVAL, "READ_ALL into NULL: EINVAL");
	EXPECT_EQ(klogctl(3, buf, 0), 0, "READ_ALL of 0 bytes: 0");
	EXPECT_EQ(klogctl(2, buf, 0), 0, "READ of 0 bytes: 0");
	EXPECT_ERR(klogctl(11, NULL, 0), EINVAL, "an unknown action: EINVAL");
	EXPECT_ERR(klogctl(8, NULL, 9), EINVAL, "CONSOLE_LEVEL 9: EINVAL");
	EXPECT_ERR(klogctl(8, NULL, 0), EINVAL, "CONSOLE_LEVEL 0: EINVAL");

	n = klogctl(3, buf, 100);
	regcomp(&re,
		"^<4>\\[ *[0-9]+\\.[0-9]{6}\\] printk: [^:]+: 5 output lines suppressed due to "
		"ratelimiting\n$",
		REG_EXTENDED);
	buf[n > 0 ? n : 0] = '\0';
	tap(n > 0 && !regexec(&re, buf, 0, NULL, 0), "READ_ALL: the newest records that fit",
	    "got %d \"%s\"", n, buf);
	regfree(&re);

	EXPECT_EQ(klogctl(5, NULL, 0), 0, "SYSLOG_ACTION_CLEAR");
	EXPECT_EQ(klogctl(3, buf, sizeof(buf)), 0, "READ_ALL after CLEAR: nothing");
	wr = open(KMSG, O_WRONLY | O_CLOEXEC);
	put(wr, "after clear\n");
	n = klogctl(4, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	regcomp(&re, "^<12>\\[ *[0-9]+\\.[0-9]{6}\\] after clear\n$", REG_EXTENDED);
	tap(n > 0 && !regexec(&re, buf, 0, NULL, 0), "READ_CLEAR: the record, with prefix and time",
	    "got %d \"%s\"", n, buf);
	regfree(&re);
	EXPECT_EQ(klogctl(3, buf, sizeof(buf)), 0, "READ_CLEAR cleared");
	put(wr, "two\nlines\n");
	n = klogctl(3, buf, sizeof(buf) - 1);
	buf[n > 0 ? n : 0] = '\0';
	regcomp(&re, "^<12>\\[ *[0-9.]+\\] two\n<12>\\[ *[0-9.]+\\] lines\n$", REG_EXTENDED);
	tap(n > 0 && !regexec(&re, buf, 0, NULL, 0), "syslog text prefixes every line",
	    "got %d \"%s\"", n, buf);
	regfree(&re);
	close(wr);

	k = open(KMSG, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	{
		struct rec r;

		EXPECT_EQ(lseek(k, 0, SEEK_DATA), 0, "SEEK_DATA");
		rec_read(k, &r);
		tap(!strcmp(r.text, "two\\x0alines"), "SEEK_DATA: the first record after CLEAR",
		    "got \"%s\"", r.text);
		lseek(k, 0, SEEK_SET);
		rec_read(k, &r);
		EXPECT_EQ(r.seq, 0, "SEEK_SET: the first record (seq 0)");
	}
	close(k);
}

static volatile sig_atomic_t signalled;

static void on_signal(int sig)
{
	(void)sig;
	signalled++;
}

/* A blocking read waits for the next record. */
static void test_blocking_read(void)
{
	int pipefd[2], status;
	char got[256] = "";
	pid_t pid;
	ssize_t n;

	if (pipe(pipefd))
		bail("pipe");
	pid = fork();
	if (pid == 0) {
		int k = open(KMSG, O_RDONLY | O_CLOEXEC);
		struct rec r;

		lseek(k, 0, SEEK_END);
		if (write(pipefd[1], "R", 1) != 1 || rec_read(k, &r) < 0)
			_exit(1);
		dprintf(pipefd[1], "%s", r.text);
		_exit(0);
	}
	if (read(pipefd[0], got, 1) != 1)
		bail("child");
	usleep(300000); /* the child is in its read by now */
	{
		int wr = open(KMSG, O_WRONLY | O_CLOEXEC);

		put(wr, "wake up\n");
		close(wr);
	}
	close(pipefd[1]);
	n = read(pipefd[0], got, sizeof(got) - 1);
	got[n > 0 ? n : 0] = '\0';
	waitpid(pid, &status, 0);
	tap(WIFEXITED(status) && !WEXITSTATUS(status) && !strcmp(got, "wake up"),
	    "a blocking read returns the next record", "got \"%s\"", got);
	close(pipefd[0]);

	/* A signal ends the sleep: EINTR, or with SA_RESTART the read goes on. */
	for (int restart = 0; restart < 2; restart++) {
		struct sigaction sa = { .sa_handler = on_signal,
					.sa_flags = restart ? SA_RESTART : 0 };

		if (pipe(pipefd))
			bail("pipe");
		pid = fork();
		if (pid == 0) {
			int k = open(KMSG, O_RDONLY | O_CLOEXEC);
			struct rec r;

			sigaction(SIGUSR1, &sa, NULL);
			lseek(k, 0, SEEK_END);
			if (write(pipefd[1], "R", 1) != 1)
				_exit(1);
			if (rec_read(k, &r) < 0)
				dprintf(pipefd[1], "%s", errname(errno));
			else
				dprintf(pipefd[1], "%s after %d", r.text, signalled);
			_exit(0);
		}
		if (read(pipefd[0], got, 1) != 1)
			bail("child");
		usleep(200000);
		kill(pid, SIGUSR1);
		usleep(200000);
		if (restart) {
			int wr = open(KMSG, O_WRONLY | O_CLOEXEC);

			put(wr, "restarted\n");
			close(wr);
		}
		close(pipefd[1]);
		n = read(pipefd[0], got, sizeof(got) - 1);
		got[n > 0 ? n : 0] = '\0';
		waitpid(pid, &status, 0);
		close(pipefd[0]);
		tap(!strcmp(got, restart ? "restarted after 1" : "EINTR"),
		    restart ? "a handler with SA_RESTART: the read goes on" :
			      "a handled signal ends a blocking read with EINTR",
		    "got \"%s\"", got);
	}

	/* A reader blocked forever is killed: nothing is left hanging. */
	pid = fork();
	if (pid == 0) {
		int k = open(KMSG, O_RDONLY | O_CLOEXEC);
		char b[8192];

		lseek(k, 0, SEEK_END);
		(void)!read(k, b, sizeof(b));
		_exit(0);
	}
	usleep(200000);
	kill(pid, SIGKILL);
	EXPECT_EQ(waitpid(pid, &status, 0), pid, "a reader killed in its read goes");
}

/* The ring holds 128 KiB of text: a reader it overtakes gets EPIPE once. */
static void test_overrun(void)
{
	int rd = open(KMSG, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	char big[1001];
	struct rec r;

	memset(big, 'o', 1000);
	big[1000] = '\n';
	lseek(rd, 0, SEEK_END);
	for (int i = 0; i < 15; i++) {
		int wr = open(KMSG, O_WRONLY | O_CLOEXEC);

		for (int j = 0; j < 10; j++)
			(void)!write(wr, big, sizeof(big));
		close(wr);
	}
	EXPECT_ERR(rec_read(rd, &r), EPIPE, "a reader the ring overtook: EPIPE");
	EXPECT_OK(rec_read(rd, &r), "then it goes on from the oldest record");
	tap(strlen(r.text) == 1000, "the oldest record is one of ours", "got %zu bytes",
	    strlen(r.text));
	close(rd);
}

/* edu's DMA to IOVAs with no translation: the IOMMU's fault records. */
static void test_dmar(void)
{
	struct vfio_env e;
	void *mem;
	int rd;

	if (bind_vfio_override(EDU_BDF) ||
	    env_open(&e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1v2_IOMMU))
		bail("edu through vfio-pci");
	mem = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
	if (mem == MAP_FAILED ||
	    dma_map(e.container, 0x200000, mem, PAGE, VFIO_DMA_MAP_FLAG_READ) ||
	    cfg_write(e.device, 4, cfg_read(e.device, 4, 2) | 0x6, 2))
		bail("map and bus master");
	rd = open(KMSG, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	lseek(rd, 0, SEEK_END);

	EXPECT_OK(edu_dma(e.device, EDU_DMA_BUF, 0x100000, 8, EDU_DMA_TO_RAM),
		  "edu writes to an unmapped IOVA");
	expect_rec(rd, 3, "DMAR: DRHD: handling fault status reg 2", "the fault interrupt");
	expect_rec(rd, 3,
		   "DMAR: [DMA Write NO_PASID] Request device [00:03.0] fault addr 0x100000 "
		   "[fault reason 0x05] PTE Write access is not set",
		   "the fault record: a write to an unmapped IOVA");
	EXPECT_OK(edu_dma(e.device, 0x100000, EDU_DMA_BUF, 8, 0), "edu reads an unmapped IOVA");
	expect_rec(rd, 3, "DMAR: DRHD: handling fault status reg 2", "the fault interrupt");
	expect_rec(rd, 3,
		   "DMAR: [DMA Read NO_PASID] Request device [00:03.0] fault addr 0x100000 "
		   "[fault reason 0x06] PTE Read access is not set",
		   "the fault record: a read of an unmapped IOVA");
	EXPECT_OK(edu_dma(e.device, EDU_DMA_BUF, 0x200010, 8, EDU_DMA_TO_RAM),
		  "edu writes to a read-only IOVA");
	expect_rec(rd, 3, "DMAR: DRHD: handling fault status reg 2", "the fault interrupt");
	expect_rec(rd, 3,
		   "DMAR: [DMA Write NO_PASID] Request device [00:03.0] fault addr 0x200000 "
		   "[fault reason 0x05] PTE Write access is not set",
		   "the fault record: a write to a read-only IOVA, its page's address");
	EXPECT_OK(edu_dma(e.device, 0x200010, EDU_DMA_BUF, 8, 0), "edu reads a read-only IOVA");
	EXPECT_EQ(drain(rd, NULL), 0, "a permitted read faults nothing");

	/*
	 * The fault handler looks at its ratelimit (10 every 5 s) three times a
	 * fault: 9 for the three above, so only the next one's status line shows.
	 */
	for (int i = 0; i < 5; i++)
		edu_dma(e.device, EDU_DMA_BUF, 0x300000, 8, EDU_DMA_TO_RAM);
	expect_rec(rd, 3, "DMAR: DRHD: handling fault status reg 2",
		   "the tenth look: a status line");
	EXPECT_EQ(drain(rd, NULL), 0, "then the faults are ratelimited");
	close(rd);
	env_close(&e);
	munmap(mem, PAGE);
}

int main(void)
{
	int rd;

	tap_prog = "kernel-log";
	test_node();
	rd = open(KMSG, O_RDONLY | O_NONBLOCK | O_CLOEXEC);
	if (rd < 0)
		bail("open %s", KMSG);
	test_seek_and_read(rd);
	test_writes(rd);
	test_ratelimit(rd);
	close(rd);
	test_syslog();
	test_blocking_read();
	test_overrun();
	test_dmar();
	return tap_done();
}

// SPDX-License-Identifier: MIT
/*
 * vfio-lowpower: VFIO_DEVICE_FEATURE's low-power features on edu, as Linux
 * 6.12 answers them (docs/kernel-facts.md, "Low power"; libc and
 * <linux/vfio.h> only). LOW_POWER_ENTRY suspends the open device: its mmap
 * faults with SIGBUS, while a region read or an ioctl resumes it for the
 * call; ENTRY_WITH_WAKEUP's eventfd is signalled by that resume, which also
 * ends low power; LOW_POWER_EXIT ends it quietly. power/runtime_status shows
 * the state throughout, and so does `uvfio tree` when UVFIO_DIR is set.
 *
 * Expects edu (00:03.0) already bound to vfio-pci, or binds it. TAP on
 * stdout; exit status 1 when any check failed.
 */
#include "common.h"

#include <setjmp.h>
#include <signal.h>
#include <sys/eventfd.h>
#include <sys/mman.h>

#define S VFIO_DEVICE_FEATURE_SET
#define G VFIO_DEVICE_FEATURE_GET
#define P VFIO_DEVICE_FEATURE_PROBE
#define ENTRY VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY
#define WAKEUP VFIO_DEVICE_FEATURE_LOW_POWER_ENTRY_WITH_WAKEUP
#define EXIT VFIO_DEVICE_FEATURE_LOW_POWER_EXIT

static int dev;

/* VFIO_DEVICE_FEATURE with flags and payload (len bytes of data). */
static int feature(uint32_t flags, const void *data, size_t len)
{
	uint64_t buf[8] = { 0 };
	struct vfio_device_feature *f = (struct vfio_device_feature *)buf;

	f->argsz = (uint32_t)(sizeof(*f) + len);
	f->flags = flags;
	if (data)
		memcpy(f->data, data, len);
	return ioctl(dev, VFIO_DEVICE_FEATURE, buf);
}

static int wakeup_entry(int efd)
{
	struct vfio_device_low_power_entry_with_wakeup w = { .wakeup_eventfd = efd };

	return feature(S | WAKEUP, &w, sizeof(w));
}

/* How many times the eventfd fired since the last look (0: not at all). */
static uint64_t fired(int efd)
{
	uint64_t v = 0;

	return read(efd, &v, sizeof(v)) == sizeof(v) ? v : 0;
}

static sigjmp_buf jb;
static void on_fault(int sig)
{
	siglongjmp(jb, sig);
}

/* A load through the mapping: its value, or the signal it raised. */
static int mmap_load(volatile uint32_t *bar, uint32_t *val)
{
	struct sigaction sa = { .sa_handler = on_fault }, old_bus, old_segv;
	int sig;

	sigaction(SIGBUS, &sa, &old_bus);
	sigaction(SIGSEGV, &sa, &old_segv);
	sig = sigsetjmp(jb, 1);
	if (!sig)
		*val = bar[EDU_ID / 4];
	sigaction(SIGBUS, &old_bus, NULL);
	sigaction(SIGSEGV, &old_segv, NULL);
	return sig;
}

static const char *runtime_status(char *buf, size_t len)
{
	if (sysfs_read("/sys/bus/pci/devices/" EDU_BDF "/power/runtime_status", buf, len) < 0)
		snprintf(buf, len, "?");
	buf[strcspn(buf, "\n")] = 0;
	return buf;
}

#define EXPECT_STATUS(want, name)                                                              \
	({                                                                                     \
		char __b[32];                                                                  \
		tap(!strcmp(runtime_status(__b, sizeof(__b)), want), name, "%s, want %s", __b, \
		    want);                                                                     \
	})

/* `uvfio tree`'s line for edu's group, when the program runs under uvfio. */
static void expect_tree(const char *want, const char *name)
{
	char line[512] = "";
	FILE *p;

	if (!getenv("UVFIO_DIR"))
		return;
	p = popen("uvfio tree 2>&1 | grep '^  /dev/vfio/1 '", "r");
	if (p) {
		if (!fgets(line, sizeof(line), p))
			line[0] = 0;
		pclose(p);
	}
	line[strcspn(line, "\n")] = 0;
	tap(strstr(line, want) != NULL, name, "tree says '%s'", line);
}

static void test_validation(void)
{
	for (unsigned int i = ENTRY; i <= EXIT; i++) {
		size_t len = i == WAKEUP ? sizeof(struct vfio_device_low_power_entry_with_wakeup) :
					   0;
		char name[96];

		snprintf(name, sizeof(name), "feature %u: PROBE|SET 0", i);
		EXPECT_OK(feature(P | S | i, NULL, len), name);
		snprintf(name, sizeof(name), "feature %u: PROBE 0", i);
		EXPECT_OK(feature(P | i, NULL, len), name);
		snprintf(name, sizeof(name), "feature %u: PROBE|GET EINVAL", i);
		EXPECT_ERR(feature(P | G | i, NULL, len), EINVAL, name);
		snprintf(name, sizeof(name), "feature %u: GET EINVAL (SET only)", i);
		EXPECT_ERR(feature(G | i, NULL, len), EINVAL, name);
		snprintf(name, sizeof(name), "feature %u: GET|SET EINVAL", i);
		EXPECT_ERR(feature(G | S | i, NULL, len), EINVAL, name);
		snprintf(name, sizeof(name), "feature %u: no operation EINVAL", i);
		EXPECT_ERR(feature(i, NULL, len), EINVAL, name);
	}
	EXPECT_OK(feature(P | S | WAKEUP, NULL, 0), "wakeup: PROBE needs no payload");
	EXPECT_ERR(feature(S | WAKEUP, NULL, 4), EINVAL, "wakeup: a short payload EINVAL");
	EXPECT_ERR(wakeup_entry(-1), EINVAL, "wakeup: eventfd -1 EINVAL");
	EXPECT_ERR(wakeup_entry(999), EBADF, "wakeup: a closed fd EBADF");
	EXPECT_ERR(wakeup_entry(0), EINVAL, "wakeup: not an eventfd EINVAL");
	EXPECT_STATUS("active", "validation left the device active");
}

static void test_plain(volatile uint32_t *bar)
{
	uint32_t v = 0;

	EXPECT_OK(feature(S | ENTRY, NULL, 0), "entry: 0");
	EXPECT_STATUS("suspended", "entry: runtime_status suspended");
	expect_tree("(open, low power)", "entry: uvfio tree shows low power");
	EXPECT_EQ(mmap_load(bar, &v), SIGBUS, "entry: a load through the mmap is SIGBUS");
	EXPECT_ERR(feature(S | ENTRY, NULL, 0), EINVAL, "entry: a second entry EINVAL");
	EXPECT_EQ(bar0_read32(dev, EDU_ID), 0x010000ed, "entry: pread of BAR0 works");
	EXPECT_EQ(cfg_read(dev, 4, 2), 0x0103, "entry: config reads work");
	EXPECT_STATUS("suspended", "entry: suspended again after the reads");
	EXPECT_EQ(mmap_load(bar, &v), SIGBUS, "entry: the mmap still faults");
	EXPECT_OK(feature(S | EXIT, NULL, 0), "exit: 0");
	EXPECT_OK(feature(S | EXIT, NULL, 0), "exit: again 0");
	EXPECT_STATUS("active", "exit: active");
	expect_tree("0000:00:03.0 (open)", "exit: uvfio tree shows it open");
	EXPECT_EQ(mmap_load(bar, &v), 0, "exit: the mmap works again");
	EXPECT_EQ(v, 0x010000ed, "exit: the load reads edu's id");
}

static void test_wakeup(volatile uint32_t *bar)
{
	struct vfio_device_info di = { .argsz = sizeof(di) };
	int efd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	uint32_t v = 0;

	EXPECT_OK(wakeup_entry(efd), "wakeup: entry 0");
	EXPECT_EQ(fired(efd), 0, "wakeup: not signalled at entry");
	EXPECT_STATUS("suspended", "wakeup: suspended");
	EXPECT_EQ(mmap_load(bar, &v), SIGBUS, "wakeup: a load through the mmap is SIGBUS");
	EXPECT_EQ(fired(efd), 0, "wakeup: the fault does not wake it");
	EXPECT_EQ(bar0_read32(dev, EDU_ID), 0x010000ed, "wakeup: pread of BAR0 works");
	EXPECT_EQ(fired(efd), 1, "wakeup: the pread signalled the eventfd");
	EXPECT_STATUS("active", "wakeup: the pread ended low power");
	EXPECT_EQ(mmap_load(bar, &v), 0, "wakeup: the mmap works again");

	EXPECT_OK(wakeup_entry(efd), "wakeup: entry again 0");
	EXPECT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &di), "wakeup: GET_INFO");
	EXPECT_EQ(fired(efd), 1, "wakeup: the ioctl signalled the eventfd");
	EXPECT_STATUS("active", "wakeup: the ioctl ended low power");

	EXPECT_OK(wakeup_entry(efd), "wakeup: entry 0");
	EXPECT_OK(wakeup_entry(efd), "wakeup: an entry while engaged 0 (its ioctl woke it first)");
	EXPECT_EQ(fired(efd), 1, "wakeup: and signalled");
	EXPECT_OK(feature(S | ENTRY, NULL, 0),
		  "wakeup: a plain entry while wakeup-engaged 0 (woken first)");
	EXPECT_EQ(fired(efd), 1, "wakeup: signalled once more");
	EXPECT_ERR(feature(S | ENTRY, NULL, 0), EINVAL, "wakeup: a plain entry again EINVAL");
	EXPECT_OK(feature(S | EXIT, NULL, 0), "wakeup: exit 0");
	EXPECT_EQ(fired(efd), 0, "wakeup: a plain low power's exit signals nothing");

	EXPECT_OK(wakeup_entry(efd), "wakeup: entry 0");
	EXPECT_OK(feature(S | EXIT, NULL, 0), "wakeup: exit 0");
	EXPECT_EQ(fired(efd), 1, "wakeup: exit's own ioctl woke it (signalled)");
	EXPECT_OK(wakeup_entry(efd), "wakeup: entry, then the eventfd closed");
	close(efd);
	EXPECT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &di), "wakeup: GET_INFO after the close");
	EXPECT_STATUS("active", "wakeup: woken with its eventfd closed");
}

int main(void)
{
	struct vfio_env e;
	volatile uint32_t *bar;
	char drv[128];

	tap_prog = "vfio-lowpower";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (strcmp(driver_of(EDU_BDF, drv, sizeof(drv)), "vfio-pci") && bind_vfio_override(EDU_BDF))
		bail("binding edu to vfio-pci");
	{
		char b[32];

		tap(!strcmp(runtime_status(b, sizeof(b)), "suspended"), "closed: suspended", "%s",
		    b);
		sysfs_read("/sys/bus/pci/devices/" EDU_BDF "/power/control", b, sizeof(b));
		tap(!strcmp(b, "auto\n"), "vfio-pci allows runtime PM: control auto", "%s", b);
	}
	if (env_open(&e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1v2_IOMMU))
		bail("open edu");
	dev = e.device;
	EXPECT_STATUS("active", "open: active");
	bar = mmap(NULL, PAGE, PROT_READ | PROT_WRITE, MAP_SHARED, dev, BAR0_OFF);
	if (bar == MAP_FAILED)
		bail("mmap BAR0");
	test_validation();
	test_plain(bar);
	test_wakeup(bar);

	EXPECT_OK(feature(S | ENTRY, NULL, 0), "close: entry, then the last close");
	munmap((void *)bar, PAGE);
	env_close(&e);
	EXPECT_STATUS("suspended", "close: suspended (idle)");
	if (env_open(&e, EDU_GROUP_PATH, EDU_BDF, VFIO_TYPE1v2_IOMMU))
		bail("reopen edu");
	dev = e.device;
	EXPECT_STATUS("active", "reopen: active");
	EXPECT_OK(feature(S | EXIT, NULL, 0), "reopen: exit 0 (nothing left engaged)");
	bar = mmap(NULL, PAGE, PROT_READ, MAP_SHARED, dev, BAR0_OFF);
	{
		uint32_t v = 0;

		EXPECT_EQ(bar == MAP_FAILED ? -1 : mmap_load(bar, &v), 0, "reopen: the mmap works");
	}
	env_close(&e);
	return tap_done();
}

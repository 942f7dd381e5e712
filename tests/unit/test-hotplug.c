// SPDX-License-Identifier: MIT
/*
 * Hot-unplug, ask then take (digest §1.14, §6.2): unbinding or removing a
 * vfio-pci function a program holds signals its REQ eventfd at once and again
 * every request interval (10 s by default, shortened here), with the kernel's
 * messages; the writer blocks until the last device file closes, whatever the
 * close order; a signalled writer logs and keeps waiting. Removal takes the
 * function off the bus, its sysfs directory and group membership with it;
 * rescan and plug bring it back as a new device. Everything shows in the trace.
 */
#include "common.h"

#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#define DEV(bdf, attr) "/sys/bus/pci/devices/" bdf "/" attr
#define DRV(drv, attr) "/sys/bus/pci/drivers/" drv "/" attr

/* --- trace capture ---------------------------------------------------------------------------- */

struct trace_buf {
	pthread_mutex_t lock;
	char text[65536];
	size_t len;
};

static void trace_cb(void *arg, const char *line)
{
	struct trace_buf *t = arg;
	size_t n = strlen(line);

	pthread_mutex_lock(&t->lock);
	if (t->len + n + 2 < sizeof(t->text)) {
		memcpy(t->text + t->len, line, n);
		t->len += n;
		t->text[t->len++] = '\n';
		t->text[t->len] = '\0';
	}
	pthread_mutex_unlock(&t->lock);
}

static struct trace_buf *trace_attach(struct uvfio_world *w)
{
	struct trace_buf *t = calloc(1, sizeof(*t));

	ASSERT_TRUE(t);
	pthread_mutex_init(&t->lock, NULL);
	uvfio_world_set_trace(w, trace_cb, t);
	return t;
}

static int trace_count(struct trace_buf *t, const char *needle)
{
	int n = 0;

	pthread_mutex_lock(&t->lock);
	for (const char *p = t->text; (p = strstr(p, needle)); p += strlen(needle))
		n++;
	pthread_mutex_unlock(&t->lock);
	return n;
}

/* The offset of needle's first occurrence, or -1. */
static long trace_pos(struct trace_buf *t, const char *needle)
{
	const char *p;
	long pos;

	pthread_mutex_lock(&t->lock);
	p = strstr(t->text, needle);
	pos = p ? p - t->text : -1;
	pthread_mutex_unlock(&t->lock);
	return pos;
}

/* --- a blocking writer ------------------------------------------------------------------------ */

struct writer {
	struct uvfio_world *w;
	const char *path;
	const char *value;
	struct uvfio_writer who;
	atomic_bool signalled;
	ssize_t ret;
};

static int writer_interrupted(void *arg)
{
	struct writer *wr = arg;

	return atomic_load(&wr->signalled);
}

static void *writer_main(void *arg)
{
	struct writer *wr = arg;

	wr->ret = uvfio_sysfs_pwrite_as(wr->w, &wr->who, wr->path, wr->value, strlen(wr->value), 0);
	return NULL;
}

static void writer_start(struct writer *wr, struct bg *b, struct uvfio_world *w, const char *path,
			 const char *value)
{
	memset(wr, 0, sizeof(*wr));
	wr->w = w;
	wr->path = path;
	wr->value = value;
	wr->who = (struct uvfio_writer){ .pid = 4242,
					 .comm = "bash",
					 .interrupted = writer_interrupted,
					 .arg = wr };
	bg_start(b, writer_main, wr);
}

/* edu on vfio-pci, opened, with a REQ eventfd. Returns the eventfd. */
static int edu_held(struct vfio_env *e)
{
	int req = efd_new();

	edu_setup(e);
	ASSERT_OK(irq_set_eventfd(e->p, e->device, VFIO_PCI_REQ_IRQ_INDEX, req));
	return req;
}

TEST(hotplug, unbind_asks_then_takes)
{
	struct vfio_env e;
	struct trace_buf *t;
	struct writer wr;
	struct bg b;
	int req = edu_held(&e);

	t = trace_attach(e.w);
	uvfio_world_set_request_interval(e.w, 50);
	writer_start(&wr, &b, e.w, DRV("vfio-pci", "unbind"), EDU_BDF "\n");
	/* Asked at once, then again and again while the writer waits. */
	ASSERT_GE(efd_wait(e.w, req, 2000), 1);
	ASSERT_GE(efd_wait(e.w, req, 2000), 1);
	ASSERT_FALSE(bg_wait(&b, 100));
	{
		struct uvfio_blocked bl[4];

		ASSERT_EQ(uvfio_world_blocked(e.w, bl, 4), 1);
		ASSERT_STREQ(bl[0].dev, EDU_BDF);
		ASSERT_EQ(bl[0].writer_pid, 4242);
		ASSERT_STREQ(bl[0].writer_comm, "bash");
		ASSERT_GE(bl[0].requests, 2);
	}
	/* No new user while it waits. */
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF), ENODEV);
	/* Wait for the 11th request: the 1st and 11th are relayed with a notice. */
	for (int i = 0; i < 100 && trace_count(t, "\"count\":10,") == 0; i++)
		usleep(20000);
	ASSERT_EQ(trace_count(t, "vfio-pci 0000:00:03.0: Relaying device request to user (#0)"), 1);
	ASSERT_EQ(trace_count(t, "Relaying device request to user (#10)"), 1);
	ASSERT_EQ(trace_count(t, "Relaying device request to user (#1)\""), 0);
	ASSERT_EQ(trace_count(t, "\"op\":\"sysfs_write\""), 0);
	/* Take: the close of the device file ends the wait. */
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = -1;
	ASSERT_TRUE(bg_wait(&b, 5000));
	bg_join(&b);
	ASSERT_EQ(wr.ret, 13);
	ASSERT_EQ(uvfio_world_blocked(e.w, NULL, 0), 0);
	ASSERT_GT(
		trace_pos(t, "\"op\":\"released\",\"dev\":\"0000:00:03.0\""),
		trace_pos(t,
			  "\"op\":\"request\",\"dev\":\"0000:00:03.0\",\"count\":0,\"pid\":4242"));
	ASSERT_EQ(trace_count(
			  t, "{\"op\":\"sysfs_write\",\"pid\":4242,\"path\":\"/sys/bus/pci/drivers/"
			     "vfio-pci/unbind\",\"value\":\"0000:00:03.0\\n\",\"len\":13,"
			     "\"off\":0,\"result\":13}"),
		  1);
	ASSERT_GT(trace_pos(t, "\"op\":\"sysfs_write\""), trace_pos(t, "\"op\":\"released\""));
	{
		char buf[64];

		ASSERT_STREQ(driver_of(e.w, EDU_BDF, buf, sizeof(buf)), "");
	}
	close(req);
	env_teardown(&e);
	free(t);
}

/* The device file holds the group file: closing container and group first changes nothing. */
static void close_order(const char *order)
{
	struct vfio_env e;
	struct writer wr;
	struct bg b;
	int req = edu_held(&e);

	uvfio_world_set_request_interval(e.w, 50);
	writer_start(&wr, &b, e.w, DRV("vfio-pci", "unbind"), EDU_BDF);
	ASSERT_GE(efd_wait(e.w, req, 2000), 1);
	for (const char *c = order; *c; c++) {
		int *fd = *c == 'c' ? &e.container : *c == 'g' ? &e.group : &e.device;

		/* Until the device file closes, the writer waits. */
		if (e.device >= 0)
			ASSERT_FALSE(bg_wait(&b, 30));
		ASSERT_OK(uvfio_close(e.p, *fd));
		*fd = -1;
	}
	ASSERT_TRUE(bg_wait(&b, 5000));
	bg_join(&b);
	ASSERT_EQ(wr.ret, 12);
	close(req);
	env_teardown(&e);
}

TEST(hotplug, close_order_container_group_device)
{
	close_order("cgd");
}

TEST(hotplug, close_order_group_device_container)
{
	close_order("gdc");
}

TEST(hotplug, close_order_device_container_group)
{
	close_order("dcg");
}

/* A signal to the writer: the kernel's warning, once, and the wait goes on. */
TEST(hotplug, interrupted_writer_keeps_waiting)
{
	struct vfio_env e;
	struct trace_buf *t;
	struct writer wr;
	struct bg b;
	int req = edu_held(&e);

	t = trace_attach(e.w);
	uvfio_world_set_request_interval(e.w, 200);
	writer_start(&wr, &b, e.w, DRV("vfio-pci", "unbind"), EDU_BDF);
	ASSERT_GE(efd_wait(e.w, req, 2000), 1);
	atomic_store(&wr.signalled, true);
	/* The interrupted wait asks again at once. */
	ASSERT_GE(efd_wait(e.w, req, 150), 1);
	ASSERT_FALSE(bg_wait(&b, 300));
	ASSERT_EQ(trace_count(t, "vfio-pci 0000:00:03.0: Device is currently in use, task "
				 "\\\"bash\\\" (4242) blocked until device is released"),
		  1);
	ASSERT_EQ(trace_count(t, "\"level\":\"warn\""), 1);
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = -1;
	ASSERT_TRUE(bg_wait(&b, 5000));
	bg_join(&b);
	ASSERT_EQ(wr.ret, 12);
	close(req);
	env_teardown(&e);
	free(t);
}

/* No REQ eventfd: one warning, and the writer still waits for the close. */
TEST(hotplug, no_request_channel_warns_once)
{
	struct vfio_env e;
	struct trace_buf *t;
	struct writer wr;
	struct bg b;

	edu_setup(&e);
	t = trace_attach(e.w);
	uvfio_world_set_request_interval(e.w, 20);
	writer_start(&wr, &b, e.w, DRV("vfio-pci", "unbind"), EDU_BDF);
	ASSERT_FALSE(bg_wait(&b, 200));
	ASSERT_EQ(trace_count(t, "vfio-pci 0000:00:03.0: No device request channel registered, "
				 "blocked until released by user"),
		  1);
	ASSERT_GE(trace_count(t, "\"op\":\"request\""), 3);
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = -1;
	ASSERT_TRUE(bg_wait(&b, 5000));
	bg_join(&b);
	env_teardown(&e);
	free(t);
}

/* The kernel's cadence by default: one ask, then nothing for 10 s. */
TEST(hotplug, default_cadence_is_ten_seconds)
{
	struct vfio_env e;
	struct writer wr;
	struct bg b;
	int req = edu_held(&e);

	writer_start(&wr, &b, e.w, DRV("vfio-pci", "unbind"), EDU_BDF);
	ASSERT_EQ(efd_wait(e.w, req, 2000), 1);
	ASSERT_EQ(efd_wait(e.w, req, 1500), 0);
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = -1;
	ASSERT_TRUE(bg_wait(&b, 5000));
	bg_join(&b);
	close(req);
	env_teardown(&e);
}

/* sysfs remove of a held function: ask, take, then it is gone; rescan brings it back. */
TEST(hotplug, remove_held_then_rescan)
{
	struct uvfio_sysfs_stat st;
	struct vfio_env e;
	struct writer wr;
	struct bg b;
	char buf[64];
	int req = edu_held(&e);

	uvfio_world_set_request_interval(e.w, 100);
	writer_start(&wr, &b, e.w, DEV(EDU_BDF, "remove"), "1\n");
	ASSERT_GE(efd_wait(e.w, req, 2000), 1);
	ASSERT_FALSE(bg_wait(&b, 50));
	/* Off the bus already: no bind can find it while the removal waits. */
	ASSERT_NEG(sysfs_puts(e.w, DRV("vfio-pci", "bind"), EDU_BDF), ENODEV);
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = -1;
	ASSERT_TRUE(bg_wait(&b, 5000));
	bg_join(&b);
	ASSERT_EQ(wr.ret, 2);
	ASSERT_NEG(uvfio_sysfs_stat(e.w, "/sys/devices/pci0000:00/" EDU_BDF, &st), ENOENT);
	ASSERT_NEG(uvfio_sysfs_stat(e.w, "/sys/bus/pci/devices/" EDU_BDF, &st), ENOENT);
	ASSERT_NEG(uvfio_sysfs_stat(e.w, "/sys/kernel/iommu_groups/1", &st), ENOENT);
	/* The open group file is orphaned. */
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF), ENODEV);
	env_close(&e);
	ASSERT_EQ(sysfs_puts(e.w, "/sys/bus/pci/rescan", "1"), 1);
	ASSERT_OK(uvfio_sysfs_stat(e.w, "/sys/devices/pci0000:00/" EDU_BDF, &st));
	ASSERT_EQ(iommu_group_of(e.w, EDU_BDF), EDU_GROUP);
	/* A new device: unbound (no override survives), then usable again. */
	ASSERT_STREQ(driver_of(e.w, EDU_BDF, buf, sizeof(buf)), "");
	sysfs_gets(e.w, DEV(EDU_BDF, "driver_override"), buf, sizeof(buf));
	ASSERT_STREQ(buf, "(null)\n");
	bind_vfio(e.w, EDU_BDF);
	env_open(&e, e.w, e.p, EDU_GROUP, EDU_BDF, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_ID), 0x010000ed);
	close(req);
	env_teardown(&e);
}

TEST(hotplug, remove_writes)
{
	struct uvfio_world *w = world_new();
	struct uvfio_sysfs_stat st;

	ASSERT_NEG(sysfs_puts(w, DEV(EDU_BDF, "remove"), "x"), EINVAL);
	ASSERT_EQ(sysfs_puts(w, DEV(EDU_BDF, "remove"), "0"), 1);
	ASSERT_EQ(sysfs_puts(w, DEV(EDU_BDF, "remove"), "off"), 3);
	ASSERT_OK(uvfio_sysfs_stat(w, DEV(EDU_BDF, "vendor"), &st));
	ASSERT_NEG(sysfs_puts(w, "/sys/bus/pci/rescan", "2"), EINVAL);
	ASSERT_EQ(sysfs_puts(w, DEV(EDU_BDF, "remove"), "y"), 1);
	ASSERT_NEG(uvfio_sysfs_stat(w, DEV(EDU_BDF, "vendor"), &st), ENOENT);
	ASSERT_EQ(sysfs_puts(w, "/sys/bus/pci/rescan", "0"), 1);
	ASSERT_NEG(uvfio_sysfs_stat(w, DEV(EDU_BDF, "vendor"), &st), ENOENT);
	ASSERT_EQ(sysfs_puts(w, "/sys/bus/pci/rescan", "on"), 2);
	ASSERT_OK(uvfio_sysfs_stat(w, DEV(EDU_BDF, "vendor"), &st));
	world_free(w);
}

/* A bridge goes with everything below it and comes back the same way; e1000 rebinds. */
TEST(hotplug, remove_bridge_and_rescan)
{
	struct uvfio_world *w = world_new();
	struct uvfio_sysfs_stat st;
	char buf[64];

	ASSERT_EQ(sysfs_puts(w, DEV(BRIDGE_BDF, "remove"), "1"), 1);
	ASSERT_NEG(uvfio_sysfs_stat(w, DEV(NIC_A_BDF, "vendor"), &st), ENOENT);
	ASSERT_NEG(uvfio_sysfs_stat(w, DEV(NIC_B_BDF, "vendor"), &st), ENOENT);
	ASSERT_NEG(uvfio_sysfs_stat(w, "/sys/kernel/iommu_groups/2", &st), ENOENT);
	ASSERT_NEG(uvfio_sysfs_stat(w, DRV("e1000", NIC_A_BDF), &st), ENOENT);
	/* A function's rescan covers its own bus: the root bus, where the bridge sits. */
	ASSERT_EQ(sysfs_puts(w, DEV(EDU_BDF, "rescan"), "1"), 1);
	ASSERT_STREQ(driver_of(w, NIC_A_BDF, buf, sizeof(buf)), "e1000");
	ASSERT_STREQ(driver_of(w, NIC_B_BDF, buf, sizeof(buf)), "e1000");
	ASSERT_EQ(iommu_group_of(w, NIC_A_BDF), iommu_group_of(w, BRIDGE_BDF));
	ASSERT_EQ(iommu_group_of(w, NIC_B_BDF), iommu_group_of(w, BRIDGE_BDF));
	world_free(w);
}

/* uvfio unplug/plug: out of the slot, rescans do not find it; plug puts it back. */
struct unplugger {
	struct uvfio_world *w;
	struct uvfio_writer who;
	int ret;
};

static void *unplug_main(void *arg)
{
	struct unplugger *u = arg;

	u->ret = uvfio_pci_unplug(u->w, EDU_BDF, &u->who);
	return NULL;
}

TEST(hotplug, unplug_and_plug)
{
	struct unplugger u = { .who = { .pid = 77, .comm = "uvfio" } };
	struct uvfio_sysfs_stat st;
	struct trace_buf *t;
	struct vfio_env e;
	struct bg b;
	char buf[64];
	int req = edu_held(&e);

	t = trace_attach(e.w);
	uvfio_world_set_request_interval(e.w, 100);
	u.w = e.w;
	bg_start(&b, unplug_main, &u);
	ASSERT_GE(efd_wait(e.w, req, 2000), 1);
	ASSERT_FALSE(bg_wait(&b, 50));
	env_close(&e);
	ASSERT_TRUE(bg_wait(&b, 5000));
	bg_join(&b);
	ASSERT_EQ(u.ret, 0);
	ASSERT_EQ(trace_count(t, "{\"op\":\"unplug\",\"dev\":\"0000:00:03.0\",\"pid\":77,"
				 "\"result\":0}"),
		  1);
	ASSERT_NEG(uvfio_sysfs_stat(e.w, DEV(EDU_BDF, "vendor"), &st), ENOENT);
	/* Out of its slot: a rescan finds nothing. */
	ASSERT_EQ(sysfs_puts(e.w, "/sys/bus/pci/rescan", "1"), 1);
	ASSERT_NEG(uvfio_sysfs_stat(e.w, DEV(EDU_BDF, "vendor"), &st), ENOENT);
	ASSERT_NEG(uvfio_pci_unplug(e.w, EDU_BDF, NULL), ENODEV);
	ASSERT_NEG(uvfio_pci_plug(e.w, "0000:00:09.0"), ENODEV);
	ASSERT_NEG(uvfio_pci_plug(e.w, EDU_BDF), 0);
	ASSERT_NEG(uvfio_pci_plug(e.w, EDU_BDF), EEXIST);
	ASSERT_EQ(iommu_group_of(e.w, EDU_BDF), EDU_GROUP);
	ASSERT_STREQ(driver_of(e.w, EDU_BDF, buf, sizeof(buf)), "");
	bind_vfio(e.w, EDU_BDF);
	env_open(&e, e.w, e.p, EDU_GROUP, EDU_BDF, VFIO_TYPE1v2_IOMMU);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_ID), 0x010000ed);
	close(req);
	env_teardown(&e);
	free(t);
}

/* A NIC unplugged from a group VFIO owns: the group loses it and stays usable. */
TEST(hotplug, unplug_group_mate_of_owned_group)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct uvfio_sysfs_stat st;
	struct vfio_env e;
	char buf[64];

	bind_vfio(w, NIC_A_BDF);
	unbind_device(w, NIC_B_BDF);
	env_open(&e, w, p, NIC_GROUP, NIC_A_BDF, VFIO_TYPE1v2_IOMMU);
	ASSERT_NEG(uvfio_pci_unplug(w, NIC_B_BDF, NULL), 0);
	ASSERT_NEG(uvfio_sysfs_stat(w, "/sys/kernel/iommu_groups/2/devices/" NIC_B_BDF, &st),
		   ENOENT);
	ASSERT_EQ(group_status(p, e.group),
		  VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	/* Back into the owned group: auto-probe of e1000 is refused. */
	ASSERT_NEG(uvfio_pci_plug(w, NIC_B_BDF), 0);
	ASSERT_EQ(iommu_group_of(w, NIC_B_BDF), NIC_GROUP);
	ASSERT_STREQ(driver_of(w, NIC_B_BDF, buf, sizeof(buf)), "");
	env_close(&e);
	uvfio_proc_free(p);
	world_free(w);
}

/*
 * `uvfio tree` while functions leave and come back: it takes a reference on
 * each function's IOMMU group (iommu_group_get) and names a VFIO group by its
 * fixed id, so a removal that clears and frees both at that moment is neither
 * a use-after-free (ASan) nor a data race (TSan). The bridge takes the NICs'
 * group with it, edu its VFIO group.
 */
struct tree_reader {
	struct uvfio_world *w;
	atomic_bool stop;
	atomic_uint rounds;
};

static void *tree_main(void *arg)
{
	struct tree_reader *r = arg;
	FILE *out = fopen("/dev/null", "w");

	ASSERT_TRUE(out);
	while (!atomic_load(&r->stop)) {
		uvfio_world_print_tree(r->w, out);
		atomic_fetch_add(&r->rounds, 1);
	}
	fclose(out);
	return NULL;
}

TEST(hotplug, tree_races_removal)
{
	struct uvfio_world *w = world_new();
	struct tree_reader r = { .w = w };
	struct bg b;

	bind_vfio(w, EDU_BDF);
	bg_start(&b, tree_main, &r);
	/* At least 40 removals, and on until the tree has run 20 times meanwhile. */
	for (int i = 0; i < 40 || atomic_load(&r.rounds) < 20; i++) {
		ASSERT_EQ(sysfs_puts(w, DEV(EDU_BDF, "remove"), "1"), 1);
		ASSERT_EQ(sysfs_puts(w, DEV(BRIDGE_BDF, "remove"), "1"), 1);
		ASSERT_EQ(sysfs_puts(w, "/sys/bus/pci/rescan", "1"), 1);
		bind_vfio(w, EDU_BDF);
	}
	atomic_store(&r.stop, true);
	bg_join(&b);
	ASSERT_EQ(iommu_group_of(w, EDU_BDF), EDU_GROUP);
	world_free(w);
}

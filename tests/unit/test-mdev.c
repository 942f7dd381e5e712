// SPDX-License-Identifier: MIT
/*
 * The mdev core (docs/mdev.md; digest §4.6, §7): the bus, parent
 * registration and its types, create and remove through sysfs with the
 * kernel's errnos, instance accounting, the instance's sysfs, the VFIO uAPI
 * on an instance, removal waiting for its user, parent unregistration, and
 * parents from models (machine file, uvfio_mdev_parent_add/remove).
 */
#include "common.h"

#include <stdio.h>
#include <string.h>
#include <unistd.h>

#include "mdev-test-vendor.h"

#define UUID_A "b8a1f3c2-0e44-4d2b-9a7e-5d6c3e2f1a00"
#define UUID_B "b8a1f3c2-0e44-4d2b-9a7e-5d6c3e2f1a01"
#define UUID_C "b8a1f3c2-0e44-4d2b-9a7e-5d6c3e2f1a02"
#define TYPE1 "/sys/devices/virtual/tvend/tv0/mdev_supported_types/tvend-1"
#define TYPE2 "/sys/devices/virtual/tvend/tv0/mdev_supported_types/tvend-2"

struct fixture {
	struct uvfio_world *w;
	struct tv_driver *td;
	struct tv_parent *tp;
};

static void setup(struct fixture *f, unsigned int max_instances)
{
	f->w = world_new();
	f->td = tv_driver_new(f->w, max_instances);
	ASSERT_TRUE(f->td);
	f->tp = tv_parent_new(f->w, f->td, "tv0");
	ASSERT_TRUE(f->tp);
}

static void teardown(struct fixture *f)
{
	if (f->tp) {
		tv_parent_unregister(f->tp);
		ASSERT_EQ(atomic_load(&f->tp->violations), 0);
		tv_parent_free(f->tp);
	}
	tv_driver_free(f->td);
	world_free(f->w);
}

static bool exists(struct uvfio_world *w, const char *path)
{
	struct uvfio_sysfs_stat st;

	return uvfio_sysfs_stat(w, path, &st) == 0;
}

static void link_is(struct uvfio_world *w, const char *path, const char *want)
{
	char buf[512];
	ssize_t n = uvfio_sysfs_readlink(w, path, buf, sizeof(buf) - 1);

	ASSERT_GT(n, 0);
	buf[n] = '\0';
	ASSERT_STREQ(buf, want);
}

static void read_is(struct uvfio_world *w, const char *path, const char *want)
{
	char buf[256];

	sysfs_gets(w, path, buf, sizeof(buf));
	ASSERT_STREQ(buf, want);
}

static ssize_t create(struct uvfio_world *w, const char *type_dir, const char *uuid)
{
	char path[256];

	snprintf(path, sizeof(path), "%s/create", type_dir);
	return sysfs_puts(w, path, uuid);
}

static ssize_t remove_mdev(struct uvfio_world *w, const char *uuid, const char *val)
{
	char path[256];

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/remove", uuid);
	return sysfs_puts(w, path, val);
}

static int count_entries_cb(void *arg, const char *name, const struct uvfio_sysfs_stat *st)
{
	(*(int *)arg)++;
	return 0;
}

static int first_entry_cb(void *arg, const char *name, const struct uvfio_sysfs_stat *st)
{
	snprintf(arg, 64, "%s", name);
	return 1;
}

static int count_entries(struct uvfio_world *w, const char *path)
{
	int n = 0;

	ASSERT_NEG(uvfio_sysfs_readdir(w, path, count_entries_cb, &n), 0);
	return n;
}

/* The IOMMU group of an instance, from its iommu_group link. */
static int mdev_group(struct uvfio_world *w, const char *uuid)
{
	char path[256], buf[256];
	ssize_t n;

	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	n = uvfio_sysfs_readlink(w, path, buf, sizeof(buf) - 1);
	ASSERT_GT(n, 0);
	buf[n] = '\0';
	return atoi(strrchr(buf, '/') + 1);
}

TEST(mdev, bus_and_parent_layout)
{
	struct fixture f;
	struct tv_parent dup = { 0 };
	struct mdev_driver noapi = { 0 };

	setup(&f, 4);
	ASSERT_TRUE(exists(f.w, "/sys/bus/mdev/devices"));
	ASSERT_TRUE(exists(f.w, "/sys/bus/mdev/drivers/tvend/bind"));
	ASSERT_TRUE(exists(f.w, "/sys/bus/mdev/drivers/tvend/unbind"));
	ASSERT_EQ(count_entries(f.w, "/sys/bus/mdev/devices"), 0);

	/* The virtual class device. */
	link_is(f.w, "/sys/class/tvend/tv0", "../../devices/virtual/tvend/tv0");
	link_is(f.w, "/sys/devices/virtual/tvend/tv0/subsystem", "../../../../class/tvend");
	ASSERT_TRUE(exists(f.w, "/sys/devices/virtual/tvend/tv0/uevent"));
	ASSERT_TRUE(exists(f.w, "/sys/devices/virtual/tvend/tv0/power"));

	/* The parent side. */
	link_is(f.w, "/sys/class/mdev_bus/tv0", "../../devices/virtual/tvend/tv0");
	ASSERT_EQ(count_entries(f.w, "/sys/devices/virtual/tvend/tv0/mdev_supported_types"), 2);
	read_is(f.w, TYPE1 "/name", "single\n");
	read_is(f.w, TYPE2 "/name", "2\n"); /* no pretty_name: the sysfs name */
	read_is(f.w, TYPE1 "/device_api", "vfio-pci\n");
	read_is(f.w, TYPE1 "/available_instances", "4\n");
	read_is(f.w, TYPE2 "/description", "test type 2\n");
	ASSERT_EQ(count_entries(f.w, TYPE1 "/devices"), 0);
	/* create is write-only. */
	{
		char buf[8];

		ASSERT_NEG(uvfio_sysfs_read(f.w, TYPE1 "/create", buf, sizeof(buf)), EACCES);
	}

	/* A second registration of the same device; a driver without device_api. */
	ASSERT_NEG(mdev_register_parent(&dup.parent, f.tp->dev, &f.td->drv, f.tp->tlist, 2),
		   EEXIST);
	noapi.driver.name = "noapi";
	ASSERT_NEG(mdev_register_driver(&f.w->mdev, &noapi), EINVAL);
	ASSERT_NEG(mdev_register_parent(&dup.parent, f.tp->dev, &noapi, f.tp->tlist, 2), EINVAL);

	/* Without show_description there is no description file. */
	tv_parent_unregister(f.tp);
	tv_parent_free(f.tp);
	f.td->drv.show_description = NULL;
	f.tp = tv_parent_new(f.w, f.td, "tv0");
	ASSERT_TRUE(f.tp);
	ASSERT_FALSE(exists(f.w, TYPE2 "/description"));
	teardown(&f);
}

TEST(mdev, create_errnos_and_accounting)
{
	struct fixture f;

	setup(&f, 2);
	/* Lengths: 36 or 37 bytes only. */
	ASSERT_NEG(create(f.w, TYPE1, "b8a1f3c2-0e44-4d2b-9a7e-5d6c3e2f1a0"), EINVAL);
	ASSERT_NEG(create(f.w, TYPE1, UUID_A "\n\n"), EINVAL);
	/* Malformed: a dash out of place, a non-hex digit. */
	ASSERT_NEG(create(f.w, TYPE1, "b8a1f3c20-e44-4d2b-9a7e-5d6c3e2f1a00"), EINVAL);
	ASSERT_NEG(create(f.w, TYPE1, "g8a1f3c2-0e44-4d2b-9a7e-5d6c3e2f1a00"), EINVAL);
	read_is(f.w, TYPE1 "/available_instances", "2\n");

	/* 37 bytes with the newline; the name is the lower-case UUID. */
	ASSERT_EQ(create(f.w, TYPE1, "B8A1F3C2-0E44-4D2B-9A7E-5D6C3E2F1A00\n"), 37);
	ASSERT_TRUE(exists(f.w, "/sys/bus/mdev/devices/" UUID_A));
	/* The counter is per parent: both types show it. */
	read_is(f.w, TYPE1 "/available_instances", "1\n");
	read_is(f.w, TYPE2 "/available_instances", "1\n");

	/* Duplicate anywhere, whichever type. */
	ASSERT_NEG(create(f.w, TYPE1, UUID_A), EEXIST);
	ASSERT_NEG(create(f.w, TYPE2, UUID_A), EEXIST);

	ASSERT_EQ(create(f.w, TYPE2, UUID_B), 36);
	read_is(f.w, TYPE1 "/available_instances", "0\n");
	ASSERT_NEG(create(f.w, TYPE1, UUID_C), EUSERS);
	ASSERT_FALSE(exists(f.w, "/sys/bus/mdev/devices/" UUID_C));

	/* Removal gives the instance back, and the UUID can be used again. */
	ASSERT_EQ(remove_mdev(f.w, UUID_A, "1"), 1);
	read_is(f.w, TYPE1 "/available_instances", "1\n");
	ASSERT_EQ(create(f.w, TYPE1, UUID_A), 36);
	ASSERT_EQ(count_entries(f.w, "/sys/bus/mdev/devices"), 2);
	teardown(&f);
}

TEST(mdev, instance_sysfs)
{
	struct fixture f;
	char path[256], buf[64];
	int group;

	setup(&f, 4);
	ASSERT_EQ(create(f.w, TYPE2, UUID_A), 36);
	link_is(f.w, "/sys/bus/mdev/devices/" UUID_A, "../../../devices/virtual/tvend/tv0/" UUID_A);
	link_is(f.w, "/sys/bus/mdev/devices/" UUID_A "/mdev_type",
		"../mdev_supported_types/tvend-2");
	link_is(f.w, "/sys/bus/mdev/devices/" UUID_A "/driver",
		"../../../../../bus/mdev/drivers/tvend");
	link_is(f.w, "/sys/bus/mdev/devices/" UUID_A "/subsystem", "../../../../../bus/mdev");
	link_is(f.w, TYPE2 "/devices/" UUID_A, "../../../" UUID_A);
	ASSERT_EQ(count_entries(f.w, TYPE1 "/devices"), 0);
	link_is(f.w, "/sys/bus/mdev/drivers/tvend/" UUID_A,
		"../../../../devices/virtual/tvend/tv0/" UUID_A);
	read_is(f.w, "/sys/bus/mdev/devices/" UUID_A "/uevent", "DRIVER=tvend\n");
	ASSERT_TRUE(exists(f.w, "/sys/bus/mdev/devices/" UUID_A "/power"));
	ASSERT_TRUE(exists(f.w, "/sys/bus/mdev/devices/" UUID_A "/mdev_type/create"));

	/* Its own IOMMU group, listing it, and its vfio-dev class device. */
	group = mdev_group(f.w, UUID_A);
	snprintf(path, sizeof(path), "/sys/kernel/iommu_groups/%d/devices/" UUID_A, group);
	link_is(f.w, path, "../../../../devices/virtual/tvend/tv0/" UUID_A);
	snprintf(path, sizeof(path), "/dev/vfio/%d", group);
	ASSERT_TRUE(exists(f.w, path));
	ASSERT_EQ(count_entries(f.w, "/sys/bus/mdev/devices/" UUID_A "/vfio-dev"), 1);
	uvfio_sysfs_readdir(f.w, "/sys/bus/mdev/devices/" UUID_A "/vfio-dev", first_entry_cb, buf);
	ASSERT_EQ(strncmp(buf, "vfio", 4), 0);
	snprintf(path, sizeof(path), "/sys/class/vfio-dev/%s", buf);
	{
		char want[256];

		snprintf(want, sizeof(want),
			 "../../devices/virtual/tvend/tv0/" UUID_A "/vfio-dev/%s", buf);
		link_is(f.w, path, want);
	}
	snprintf(path, sizeof(path), "/sys/class/vfio-dev/%s/device", buf);
	link_is(f.w, path, "../../../" UUID_A);

	/* A second instance gets a group of its own. */
	ASSERT_EQ(create(f.w, TYPE2, UUID_B), 36);
	ASSERT_NE(mdev_group(f.w, UUID_B), group);
	ASSERT_EQ(count_entries(f.w, TYPE2 "/devices"), 2);
	ASSERT_EQ(count_entries(f.w, "/sys/devices/virtual/tvend/tv0"), 3 + 1 + 2);
	teardown(&f);
}

TEST(mdev, remove_errnos)
{
	struct fixture f;

	setup(&f, 4);
	ASSERT_EQ(create(f.w, TYPE1, UUID_A), 36);
	ASSERT_NEG(remove_mdev(f.w, UUID_A, "abc"), EINVAL);
	ASSERT_NEG(remove_mdev(f.w, UUID_A, "-1"), EINVAL);
	/* 0 is accepted and does nothing. */
	ASSERT_EQ(remove_mdev(f.w, UUID_A, "0\n"), 2);
	ASSERT_TRUE(exists(f.w, "/sys/bus/mdev/devices/" UUID_A "/remove"));
	ASSERT_EQ(remove_mdev(f.w, UUID_A, "1\n"), 2);
	ASSERT_FALSE(exists(f.w, "/sys/bus/mdev/devices/" UUID_A));
	ASSERT_FALSE(exists(f.w, "/sys/devices/virtual/tvend/tv0/" UUID_A));
	ASSERT_EQ(count_entries(f.w, TYPE1 "/devices"), 0);
	ASSERT_NEG(remove_mdev(f.w, UUID_A, "1"), ENOENT);
	read_is(f.w, TYPE1 "/available_instances", "4\n");
	teardown(&f);
}

TEST(mdev, probe_error_undoes_everything)
{
	struct fixture f;

	setup(&f, 4);
	atomic_store(&f.tp->probe_error, -ENOSPC);
	ASSERT_NEG(create(f.w, TYPE1, UUID_A), ENOSPC);
	ASSERT_FALSE(exists(f.w, "/sys/bus/mdev/devices/" UUID_A));
	ASSERT_EQ(count_entries(f.w, "/sys/devices/virtual/tvend/tv0"), 3 + 1);
	read_is(f.w, TYPE1 "/available_instances", "4\n");
	atomic_store(&f.tp->probe_error, 0);
	/* The UUID was released with the device. */
	ASSERT_EQ(create(f.w, TYPE1, UUID_A), 36);
	teardown(&f);
}

struct remover {
	struct uvfio_world *w;
	const char *uuid;
	atomic_bool done;
	ssize_t ret;
};

static void *remover_thread(void *arg)
{
	struct remover *r = arg;

	r->ret = remove_mdev(r->w, r->uuid, "1");
	atomic_store(&r->done, true);
	return NULL;
}

TEST(mdev, vfio_uapi_and_remove_waits_for_user)
{
	struct fixture f;
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_group_status gs = { .argsz = sizeof(gs) };
	struct remover r = { 0 };
	struct uvfio_proc *p;
	struct vfio_env e;
	unsigned int v = 0;
	pthread_t th;

	setup(&f, 4);
	ASSERT_EQ(create(f.w, TYPE1, UUID_A), 36);
	p = uvfio_proc_new(f.w, NULL);
	/* A container with only an emulated group takes type1. */
	env_open(&e, f.w, p, mdev_group(f.w, UUID_A), UUID_A, VFIO_TYPE1v2_IOMMU);
	ASSERT_OK(uvfio_ioctl(p, e.group, VFIO_GROUP_GET_STATUS, &gs));
	ASSERT_EQ(gs.flags, VFIO_GROUP_FLAGS_VIABLE | VFIO_GROUP_FLAGS_CONTAINER_SET);
	ASSERT_OK(uvfio_ioctl(p, e.device, VFIO_DEVICE_GET_INFO, &info));
	ASSERT_EQ(info.flags, VFIO_DEVICE_FLAGS_PCI);
	ASSERT_EQ(uvfio_pread(p, e.device, &v, 4, 0), 4);
	ASSERT_EQ(v, 0x5eedu);
	v = 0xabcd;
	ASSERT_EQ(uvfio_pwrite(p, e.device, &v, 4, 0), 4);
	v = 0;
	ASSERT_EQ(uvfio_pread(p, e.device, &v, 4, 0), 4);
	ASSERT_EQ(v, 0xabcdu);
	/* Another name is not a device of the group. */
	ASSERT_ERRNO(uvfio_ioctl(p, e.group, VFIO_GROUP_GET_DEVICE_FD, UUID_B), ENODEV);

	/* remove blocks while the device is open, and finishes at its close. */
	r.w = f.w;
	r.uuid = UUID_A;
	ASSERT_EQ(pthread_create(&th, NULL, remover_thread, &r), 0);
	usleep(200 * 1000);
	ASSERT_FALSE(atomic_load(&r.done));
	/* It is no longer on the bus's list while it waits. */
	ASSERT_FALSE(exists(f.w, "/sys/bus/mdev/devices/" UUID_A));
	ASSERT_NEG(create(f.w, TYPE1, UUID_A), EEXIST); /* the UUID is held until release */
	ASSERT_OK(uvfio_close(p, e.device));
	e.device = -1;
	ASSERT_EQ(pthread_join(th, NULL), 0);
	ASSERT_EQ(r.ret, 1);
	env_close(&e);
	uvfio_proc_free(p);
	ASSERT_EQ(create(f.w, TYPE1, UUID_A), 36);
	teardown(&f);
}

TEST(mdev, driver_unbind_leaves_inert_mdev)
{
	struct fixture f;

	setup(&f, 4);
	ASSERT_EQ(create(f.w, TYPE1, UUID_A), 36);
	ASSERT_EQ(sysfs_puts(f.w, "/sys/bus/mdev/drivers/tvend/unbind", UUID_A), 36);
	ASSERT_FALSE(exists(f.w, "/sys/bus/mdev/devices/" UUID_A "/driver"));
	ASSERT_FALSE(exists(f.w, "/sys/bus/mdev/devices/" UUID_A "/vfio-dev"));
	ASSERT_FALSE(exists(f.w, "/sys/bus/mdev/devices/" UUID_A "/iommu_group"));
	/* No match: bind and drivers_probe cannot re-attach it. */
	ASSERT_NEG(sysfs_puts(f.w, "/sys/bus/mdev/drivers/tvend/bind", UUID_A), ENODEV);
	ASSERT_EQ(sysfs_puts(f.w, "/sys/bus/mdev/drivers_probe", UUID_A), 36);
	ASSERT_FALSE(exists(f.w, "/sys/bus/mdev/devices/" UUID_A "/driver"));
	ASSERT_EQ(remove_mdev(f.w, UUID_A, "1"), 1);
	ASSERT_FALSE(exists(f.w, "/sys/bus/mdev/devices/" UUID_A));
	teardown(&f);
}

struct trace_log {
	pthread_mutex_t lock;
	char text[8192];
};

static void trace_fn(void *arg, const char *line)
{
	struct trace_log *t = arg;

	pthread_mutex_lock(&t->lock);
	if (strstr(line, "uevent"))
		strncat(t->text, line, sizeof(t->text) - strlen(t->text) - 2),
			strcat(t->text, "\n");
	pthread_mutex_unlock(&t->lock);
}

TEST(mdev, parent_unregistration_removes_children)
{
	static struct trace_log log = { .lock = PTHREAD_MUTEX_INITIALIZER };
	struct fixture f;

	f.w = world_new();
	uvfio_world_set_trace(f.w, trace_fn, &log);
	f.td = tv_driver_new(f.w, 4);
	f.tp = tv_parent_new(f.w, f.td, "tv0");
	ASSERT_TRUE(f.tp);
	ASSERT_TRUE(strstr(log.text, "\"dev\":\"tv0\",\"env\":\"MDEV_STATE=registered\""));
	ASSERT_EQ(create(f.w, TYPE1, UUID_A), 36);
	ASSERT_EQ(create(f.w, TYPE2, UUID_B), 36);
	tv_parent_unregister(f.tp);
	ASSERT_TRUE(strstr(log.text, "MDEV_STATE=unregistered"));
	ASSERT_EQ(count_entries(f.w, "/sys/bus/mdev/devices"), 0);
	ASSERT_EQ(count_entries(f.w, "/sys/class/mdev_bus"), 0);
	ASSERT_FALSE(exists(f.w, "/sys/devices/virtual/tvend/tv0/mdev_supported_types"));
	ASSERT_TRUE(exists(f.w, "/sys/devices/virtual/tvend/tv0"));
	ASSERT_EQ(atomic_load(&f.tp->violations), 0);
	/* Every instance is released: nothing refers to the parent any more. */
	ASSERT_EQ(f.tp->parent.users, 0u);
	tv_parent_free(f.tp);
	f.tp = NULL;
	ASSERT_FALSE(exists(f.w, "/sys/devices/virtual/tvend/tv0"));
	teardown(&f);
}

/* ------------------------------------------------------ models and the machine */

TEST(mdev, parent_models_api)
{
	struct uvfio_world *w;
	char err[256];

	if (!mdev_parent_model_find("mtty"))
		SKIP("no mtty model in this build");
	w = world_new();
	ASSERT_NEG(uvfio_mdev_parent_add(w, "nosuch", "x", NULL, err, sizeof(err)), ENOENT);
	ASSERT_NEG(uvfio_mdev_parent_remove(w, "mtty", NULL), ENODEV);
	ASSERT_NEG(uvfio_mdev_parent_add(w, "mtty", "mtty", "ports", err, sizeof(err)), EINVAL);
	ASSERT_NEG(uvfio_mdev_parent_add(w, "mtty", "mtty", NULL, err, sizeof(err)), 0);
	ASSERT_NEG(uvfio_mdev_parent_add(w, "mtty", "mtty", NULL, err, sizeof(err)), EEXIST);
	link_is(w, "/sys/class/mdev_bus/mtty", "../../devices/virtual/mtty/mtty");
	ASSERT_TRUE(exists(w, "/sys/class/mdev_bus/mtty/mdev_supported_types/mtty-1/create"));
	ASSERT_EQ(create(w, "/sys/class/mdev_bus/mtty/mdev_supported_types/mtty-2", UUID_A), 36);
	ASSERT_TRUE(exists(w, "/sys/bus/mdev/devices/" UUID_A "/iommu_group"));
	ASSERT_NEG(uvfio_mdev_parent_remove(w, "mtty", NULL), 0);
	ASSERT_FALSE(exists(w, "/sys/bus/mdev/devices/" UUID_A));
	ASSERT_FALSE(exists(w, "/sys/class/mdev_bus/mtty"));
	/* The name is free again; world destruction removes what is left. */
	ASSERT_NEG(uvfio_mdev_parent_add(w, "mtty", "mtty", NULL, err, sizeof(err)), 0);
	ASSERT_EQ(create(w, "/sys/class/mdev_bus/mtty/mdev_supported_types/mtty-1", UUID_B), 36);
	world_free(w);
}

TEST(mdev, machine_directive)
{
	static const char text[] = "machine m\n"
				   "device 00:00.0 q35-host\n"
				   "mdev-parent mtty mtty\n"
				   "mdev-parent mtty mtty2\n";
	struct uvfio_machine *m;
	struct uvfio_world *w;
	char err[256];

	if (!mdev_parent_model_find("mtty"))
		SKIP("no mtty model in this build");
	ASSERT_NEG(uvfio_machine_parse("mdev-parent frob x\n", "m", &m, err, sizeof(err)), EINVAL);
	ASSERT_TRUE(strstr(err, "m:1: unknown mdev parent model 'frob'"));
	ASSERT_NEG(uvfio_machine_parse("mdev-parent mtty\n", "m", &m, err, sizeof(err)), EINVAL);
	ASSERT_NEG(uvfio_machine_parse("mdev-parent mtty a\nmdev-parent mtty a\n", "m", &m, err,
				       sizeof(err)),
		   EINVAL);
	ASSERT_TRUE(strstr(err, "m:2: duplicate mdev parent 'a'"));
	ASSERT_NEG(uvfio_machine_parse(text, "m", &m, err, sizeof(err)), 0);
	ASSERT_NEG(uvfio_world_create(m, &w, err, sizeof(err)), 0);
	link_is(w, "/sys/class/mdev_bus/mtty2", "../../devices/virtual/mtty/mtty2");
	ASSERT_EQ(count_entries(w, "/sys/class/mdev_bus"), 2);
	ASSERT_EQ(create(w, "/sys/class/mdev_bus/mtty2/mdev_supported_types/mtty-1", UUID_A), 36);
	uvfio_world_destroy(w);
	uvfio_machine_free(m);
}

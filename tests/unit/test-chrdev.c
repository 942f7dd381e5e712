// SPDX-License-Identifier: MIT
/*
 * The world's character devices (src/core/base/chrdev.c): every node opens
 * through open(2)'s path (uvfio_open) and through chrdev_open, and fstat(2)
 * of each kind of file gives the lab's mode and number (docs/kernel-facts.md
 * §1: /dev/vfio/vfio 0666 10:196, /dev/vfio/N 0600 245:minor, /dev/kvm 0660
 * 10:232, /dev/kmsg 0644 1:11, anonymous inodes 0600 0:0). /dev/vfio/N
 * exists exactly while VFIO group N does; unknown nodes are ENOENT; each
 * world has its own registry; misc_register refuses a minor in use (EBUSY)
 * and char regions behave as fs/char_dev.c's.
 *
 * The files fstat looks at are the core's own struct file, so the test is
 * its own caller (struct task): descriptors index a small table, user
 * copies are plain copies of this process's memory.
 */
#include "common.h"

#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <linux/kvm.h>

#include "base/chrdev.h"
#include "base/file.h"
#include "world.h"

/* --- a caller whose descriptors are a table of files ------------------------------------- */

#define NFILES 16

struct caller {
	struct task task;
	struct file *files[NFILES];
};

static struct file *caller_fget(struct task *t, int fd)
{
	struct caller *c = t->priv;

	if (fd < 0 || fd >= NFILES || !c->files[fd])
		return ERR_PTR(-EBADF);
	return get_file(c->files[fd]);
}

static struct eventfd_ctx *caller_eventfd(struct task *t, int fd)
{
	(void)t;
	(void)fd;
	return ERR_PTR(-EBADF);
}

static int caller_install(struct task *t, struct file *f)
{
	struct caller *c = t->priv;

	for (int fd = 0; fd < NFILES; fd++) {
		if (!c->files[fd]) {
			c->files[fd] = f;
			return fd;
		}
	}
	return -EMFILE;
}

static int caller_copy_from(struct task *t, void *dst, u64 src, size_t n)
{
	(void)t;
	memcpy(dst, (const void *)(uintptr_t)src, n);
	return 0;
}

static int caller_copy_to(struct task *t, u64 dst, const void *src, size_t n)
{
	(void)t;
	memcpy((void *)(uintptr_t)dst, src, n);
	return 0;
}

static const struct task_ops caller_ops = {
	.fget = caller_fget,
	.eventfd_ctx_fdget = caller_eventfd,
	.fd_install = caller_install,
	.copy_from_user = caller_copy_from,
	.copy_to_user = caller_copy_to,
};

static void caller_init(struct caller *c)
{
	memset(c, 0, sizeof(*c));
	c->task.ops = &caller_ops;
	c->task.pid = getpid();
	c->task.rlimit_memlock = UINT64_MAX;
	c->task.priv = c;
}

/* open(2) of path in w: the descriptor, or a negative errno. */
static int caller_open(struct caller *c, struct uvfio_world *w, const char *path, int flags)
{
	struct file *f;
	int ret = chrdev_open(&w->chrdevs, path, flags, &f);

	if (ret)
		return ret;
	ret = caller_install(&c->task, f);
	if (ret < 0)
		fput(f);
	return ret;
}

static long caller_ioctl(struct caller *c, int fd, unsigned int cmd, unsigned long arg)
{
	ASSERT_TRUE(fd >= 0 && fd < NFILES && c->files[fd]);
	return vfs_ioctl(c->files[fd], &c->task, cmd, arg);
}

static void caller_close(struct caller *c, int fd)
{
	ASSERT_TRUE(fd >= 0 && fd < NFILES && c->files[fd]);
	fput(c->files[fd]);
	c->files[fd] = NULL;
}

static void caller_close_all(struct caller *c)
{
	/* Device files first, as a polite program closes them. */
	for (int fd = NFILES; fd-- > 0;)
		if (c->files[fd])
			caller_close(c, fd);
}

static void expect_stat(struct caller *c, int fd, unsigned int mode, unsigned int major,
			unsigned int minor)
{
	struct kstat st;

	ASSERT_TRUE(fd >= 0 && fd < NFILES && c->files[fd]);
	ASSERT_EQ(vfs_fstat(c->files[fd], &st), 0);
	ASSERT_EQ(st.mode, mode);
	ASSERT_EQ(st.rdev_major, major);
	ASSERT_EQ(st.rdev_minor, minor);
}

/* Opens path with the in-process caller: the descriptor, or -1 with errno. */
static int proc_open(struct uvfio_proc *p, const char *path)
{
	return uvfio_open(p, path, O_RDWR | O_CLOEXEC);
}

/* ------------------------------------------------------------------------ tests */

TEST(chrdev, every_node_opens)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	const char *nodes[] = { "/dev/vfio/vfio", "/dev/vfio/1", "/dev/kvm", "/dev/kmsg" };
	int fds[4];

	bind_vfio(w, EDU_BDF);
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++) {
		fds[i] = proc_open(p, nodes[i]);
		if (fds[i] < 0)
			FAIL("open %s: %s", nodes[i], strerror(errno));
	}
	/* Each answers its own ioctls. */
	ASSERT_EQ(uvfio_ioctl(p, fds[0], VFIO_GET_API_VERSION, 0), VFIO_API_VERSION);
	ASSERT_TRUE(group_status(p, fds[1]) & VFIO_GROUP_FLAGS_VIABLE);
	ASSERT_EQ(uvfio_ioctl(p, fds[2], KVM_GET_API_VERSION, 0), 12);
	ASSERT_EQ(uvfio_lseek(p, fds[3], 0, SEEK_END), 0);
	/* A group has one opener at a time, as before. */
	ASSERT_ERRNO(proc_open(p, "/dev/vfio/1"), EBUSY);
	for (size_t i = 0; i < ARRAY_SIZE(nodes); i++)
		ASSERT_OK(uvfio_close(p, fds[i]));
	/* Free again once closed. */
	fds[1] = proc_open(p, "/dev/vfio/1");
	ASSERT_OK(fds[1]);
	ASSERT_OK(uvfio_close(p, fds[1]));
	uvfio_proc_free(p);
	world_free(w);
}

TEST(chrdev, fstat_of_every_kind)
{
	struct uvfio_world *w = world_new();
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO };
	struct caller c;
	char name[64] = EDU_BDF; /* read in 64-byte pieces, as strndup_user reads */
	int container, group, device, kvm, vm, kmsg;
	char buf[64];

	caller_init(&c);
	bind_vfio(w, EDU_BDF);
	container = caller_open(&c, w, "/dev/vfio/vfio", O_RDWR);
	ASSERT_OK(container);
	group = caller_open(&c, w, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(group);
	ASSERT_EQ(caller_ioctl(&c, group, VFIO_GROUP_SET_CONTAINER, (unsigned long)&container), 0);
	ASSERT_EQ(caller_ioctl(&c, container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU), 0);
	device = (int)caller_ioctl(&c, group, VFIO_GROUP_GET_DEVICE_FD, (unsigned long)name);
	ASSERT_OK(device);
	kvm = caller_open(&c, w, "/dev/kvm", O_RDWR);
	ASSERT_OK(kvm);
	vm = (int)caller_ioctl(&c, kvm, KVM_CREATE_VM, 0);
	ASSERT_OK(vm);
	ASSERT_EQ(caller_ioctl(&c, vm, KVM_CREATE_DEVICE, (unsigned long)&cd), 0);
	kmsg = caller_open(&c, w, "/dev/kmsg", O_RDONLY);
	ASSERT_OK(kmsg);

	expect_stat(&c, container, S_IFCHR | 0666, MISC_MAJOR, 196);
	/* edu's is the first VFIO group: minor 0, as its class device says. */
	expect_stat(&c, group, S_IFCHR | 0600, 245, 0);
	sysfs_gets(w, "/sys/devices/virtual/vfio/1/dev", buf, sizeof(buf));
	ASSERT_STREQ(buf, "245:0\n");
	expect_stat(&c, kvm, S_IFCHR | 0660, MISC_MAJOR, 232);
	expect_stat(&c, kmsg, S_IFCHR | 0644, 1, 11);
	/* Anonymous inodes: vfio-device, kvm-vm, kvm-vfio. */
	expect_stat(&c, device, 0600, 0, 0);
	expect_stat(&c, vm, 0600, 0, 0);
	expect_stat(&c, (int)cd.fd, 0600, 0, 0);

	caller_close_all(&c);
	world_free(w);
}

TEST(chrdev, group_node_goes_with_the_group)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct caller c;
	int group, fd;

	caller_init(&c);
	ASSERT_ERRNO(proc_open(p, "/dev/vfio/1"), ENOENT); /* edu is unbound at start */
	bind_vfio(w, EDU_BDF);
	group = caller_open(&c, w, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(group);

	/* Unbinding the group's only device removes the group, and the node with it. */
	unbind_device(w, EDU_BDF);
	ASSERT_ERRNO(proc_open(p, "/dev/vfio/1"), ENOENT);
	ASSERT_EQ(chrdev_open(&w->chrdevs, "/dev/vfio/1", O_RDWR, &(struct file *){ NULL }),
		  -ENOENT);
	/* The open file stays, orphaned: its inode and its group with it. */
	expect_stat(&c, group, S_IFCHR | 0600, 245, 0);
	ASSERT_EQ(caller_ioctl(&c, group, VFIO_GROUP_GET_STATUS, (unsigned long)&status), -ENODEV);

	/* A new group of the same number gets the node back, with a minor of its own. */
	bind_vfio(w, EDU_BDF);
	fd = caller_open(&c, w, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(fd);
	expect_stat(&c, fd, S_IFCHR | 0600, 245, 1);
	caller_close(&c, group);
	caller_close(&c, fd);

	/* Hot-unplug takes the node too. */
	fd = proc_open(p, "/dev/vfio/1");
	ASSERT_OK(fd);
	ASSERT_OK(uvfio_close(p, fd));
	ASSERT_EQ(uvfio_pci_unplug(w, EDU_BDF, NULL), 0);
	ASSERT_ERRNO(proc_open(p, "/dev/vfio/1"), ENOENT);
	/* The other nodes stay. */
	fd = proc_open(p, "/dev/vfio/vfio");
	ASSERT_OK(fd);
	ASSERT_OK(uvfio_close(p, fd));

	uvfio_proc_free(p);
	world_free(w);
}

TEST(chrdev, unknown_nodes_enoent)
{
	struct uvfio_world *w = world_new();
	struct uvfio_proc *p = uvfio_proc_new(w, NULL);
	/* No such node in the world (the NICs' group 2 is on e1000: no VFIO group). */
	const char *paths[] = {
		"/dev/vfio/2", "/dev/vfio/01", "/dev/vfio/1a", "/dev/vfio/devices/vfio0",
		"/dev/iommu",  "/dev/null",    "/dev/vfio/",   "",
	};

	bind_vfio(w, EDU_BDF);
	for (size_t i = 0; i < ARRAY_SIZE(paths); i++) {
		errno = 0;
		if (proc_open(p, paths[i]) != -1 || errno != ENOENT)
			FAIL("open \"%s\": want ENOENT, got %s", paths[i], strerror(errno));
	}
	uvfio_proc_free(p);
	world_free(w);
}

/* A misc device of the test's own, counting its opens and releases. */
struct counted {
	struct miscdevice misc;
	int opens, releases;
	int open_ret;
};

static int counted_open(struct inode *inode, struct file *f)
{
	struct counted *cnt =
		container_of((struct miscdevice *)f->private_data, struct counted, misc);

	ASSERT_EQ(imajor(inode), MISC_MAJOR);
	ASSERT_EQ(iminor(inode), (unsigned int)cnt->misc.minor);
	cnt->opens++;
	if (cnt->open_ret)
		return cnt->open_ret;
	f->private_data = cnt;
	return 0;
}

static void counted_release(struct file *f)
{
	struct counted *cnt = f->private_data;

	cnt->releases++;
}

static const struct file_operations counted_fops = {
	.name = "counted",
	.open = counted_open,
	.release = counted_release,
};

TEST(chrdev, worlds_have_their_own_registry)
{
	struct uvfio_world *a = world_new(), *b = world_new();
	struct counted ca = { .misc = { .minor = 100, .name = "counted", .fops = &counted_fops } };
	struct counted cb = ca;
	struct caller c;
	dev_t da, db;
	int fd;

	caller_init(&c);
	bind_vfio(a, EDU_BDF);
	fd = caller_open(&c, a, "/dev/vfio/1", O_RDWR);
	ASSERT_OK(fd);
	ASSERT_EQ(caller_open(&c, b, "/dev/vfio/1", O_RDWR), -ENOENT);
	caller_close(&c, fd);

	/* The same minor in each world; each node opens its own world's device. */
	ASSERT_EQ(misc_register(&a->chrdevs, &ca.misc), 0);
	ASSERT_EQ(caller_open(&c, b, "/dev/counted", O_RDWR), -ENOENT);
	ASSERT_EQ(misc_register(&b->chrdevs, &cb.misc), 0);
	fd = caller_open(&c, b, "/dev/counted", O_RDWR);
	ASSERT_OK(fd);
	ASSERT_EQ(c.files[fd]->world, b);
	expect_stat(&c, fd, S_IFCHR | 0600, MISC_MAJOR, 100); /* devtmpfs's default mode */
	ASSERT_EQ(cb.opens, 1);
	ASSERT_EQ(ca.opens, 0);
	caller_close(&c, fd);
	ASSERT_EQ(cb.releases, 1);
	misc_deregister(&ca.misc);
	ASSERT_EQ(caller_open(&c, a, "/dev/counted", O_RDWR), -ENOENT);
	misc_deregister(&cb.misc);

	/* Dynamic majors are handed out per world, from 254 down. */
	ASSERT_EQ(alloc_chrdev_region(&a->chrdevs, &da, 0, 4, "test"), 0);
	ASSERT_EQ(alloc_chrdev_region(&b->chrdevs, &db, 0, 4, "test"), 0);
	ASSERT_EQ(MAJOR(da), 254);
	ASSERT_EQ(MAJOR(db), 254);
	unregister_chrdev_region(&a->chrdevs, da, 4);
	unregister_chrdev_region(&b->chrdevs, db, 4);
	world_free(a);
	world_free(b);
}

TEST(chrdev, misc_register_refuses_a_minor_in_use)
{
	struct uvfio_world *w = world_new();
	struct counted vfio = { .misc = { .minor = 196, .name = "vfio2", .fops = &counted_fops } };
	struct counted kvm = { .misc = { .minor = 232, .name = "kvm2", .fops = &counted_fops } };
	struct counted dyn1 = {
		.misc = { .minor = MISC_DYNAMIC_MINOR, .name = "dyn1", .fops = &counted_fops }
	};
	struct counted dyn2 = dyn1, same_name = dyn1;
	struct counted fails = { .misc = { .minor = 50, .name = "fails", .fops = &counted_fops },
				 .open_ret = -EPERM };
	struct caller c;
	int fd;

	caller_init(&c);
	ASSERT_EQ(misc_register(&w->chrdevs, &vfio.misc), -EBUSY);
	ASSERT_EQ(misc_register(&w->chrdevs, &kvm.misc), -EBUSY);
	misc_deregister(&vfio.misc); /* not registered: nothing happens */
	/* The real ones still open. */
	fd = caller_open(&c, w, "/dev/vfio/vfio", O_RDWR);
	ASSERT_OK(fd);
	caller_close(&c, fd);

	/* Dynamic minors: 127 down. */
	dyn2.misc.name = "dyn2";
	ASSERT_EQ(misc_register(&w->chrdevs, &dyn1.misc), 0);
	ASSERT_EQ(dyn1.misc.minor, 127);
	ASSERT_EQ(misc_register(&w->chrdevs, &dyn2.misc), 0);
	ASSERT_EQ(dyn2.misc.minor, 126);
	/* A node name is one device's. */
	ASSERT_EQ(misc_register(&w->chrdevs, &same_name.misc), -EEXIST);
	fd = caller_open(&c, w, "/dev/dyn2", O_RDWR);
	ASSERT_OK(fd);
	expect_stat(&c, fd, S_IFCHR | 0600, MISC_MAJOR, 126);
	caller_close(&c, fd);
	misc_deregister(&dyn1.misc);
	misc_deregister(&dyn2.misc);
	ASSERT_EQ(caller_open(&c, w, "/dev/dyn2", O_RDWR), -ENOENT);

	/* An open that fails leaves no file behind: no release runs. */
	ASSERT_EQ(misc_register(&w->chrdevs, &fails.misc), 0);
	ASSERT_EQ(caller_open(&c, w, "/dev/fails", O_RDWR), -EPERM);
	ASSERT_EQ(fails.opens, 1);
	ASSERT_EQ(fails.releases, 0);
	misc_deregister(&fails.misc);
	world_free(w);
}

TEST(chrdev, char_regions)
{
	struct uvfio_world *w = world_new();
	const struct file_operations mine_fops = { .name = "mine" };
	struct cdev cdev;
	struct caller c;
	dev_t dev, dev2;
	int fd;

	caller_init(&c);
	/* VFIO's region and the misc and mem majors are taken. */
	ASSERT_EQ(register_chrdev_region(&w->chrdevs, MKDEV(245, 7), 1, "x"), -EBUSY);
	ASSERT_EQ(register_chrdev_region(&w->chrdevs, MKDEV(MISC_MAJOR, 0), 1, "x"), -EBUSY);
	ASSERT_EQ(register_chrdev_region(&w->chrdevs, MKDEV(1, 11), 1, "x"), -EBUSY);
	/* Another minor of major 1 is free; a major past 511 is not one. */
	ASSERT_EQ(register_chrdev_region(&w->chrdevs, MKDEV(1, 3), 1, "null"), 0);
	unregister_chrdev_region(&w->chrdevs, MKDEV(1, 3), 1);
	ASSERT_EQ(register_chrdev_region(&w->chrdevs, MKDEV(512, 0), 1, "x"), -EINVAL);

	/* Dynamic majors skip the taken ones (245 is VFIO's). */
	for (unsigned int want = 254; want >= 234; want--) {
		ASSERT_EQ(alloc_chrdev_region(&w->chrdevs, &dev, 0, 1, "dyn"), 0);
		if (want == 245)
			want--;
		ASSERT_EQ(MAJOR(dev), want);
	}
	ASSERT_EQ(alloc_chrdev_region(&w->chrdevs, &dev, 0, 1, "dyn"), 0);
	ASSERT_EQ(MAJOR(dev), 511);

	/* A cdev and its node: open reaches its fops; a node with no cdev is ENXIO. */
	ASSERT_EQ(alloc_chrdev_region(&w->chrdevs, &dev2, 0, 2, "mine"), 0);
	ASSERT_EQ(devtmpfs_create_node(&w->chrdevs, "mine0", 0640, dev2), 0);
	ASSERT_EQ(devtmpfs_create_node(&w->chrdevs, "mine0", 0640, dev2 + 1), -EEXIST);
	ASSERT_EQ(caller_open(&c, w, "/dev/mine0", O_RDWR), -ENXIO);
	cdev_init(&cdev, &mine_fops);
	ASSERT_EQ(cdev_add(&w->chrdevs, &cdev, dev2, 2), 0);
	fd = caller_open(&c, w, "/dev/mine0", O_RDWR);
	ASSERT_OK(fd);
	ASSERT_TRUE(c.files[fd]->f_op == cdev.ops);
	expect_stat(&c, fd, S_IFCHR | 0640, MAJOR(dev2), 0);
	/* Deleting the cdev and the node leaves the open file as it was. */
	devtmpfs_delete_node(&w->chrdevs, dev2);
	cdev_del(&cdev);
	ASSERT_EQ(caller_open(&c, w, "/dev/mine0", O_RDWR), -ENOENT);
	expect_stat(&c, fd, S_IFCHR | 0640, MAJOR(dev2), 0);
	caller_close(&c, fd);
	unregister_chrdev_region(&w->chrdevs, dev2, 2);
	world_free(w);
}

// SPDX-License-Identifier: MIT
/*
 * The kvm-vfio pseudo device as a VMM drives it (digest §8.1), using only libc,
 * <linux/kvm.h> and <linux/vfio.h>: /dev/kvm, a VM, its one VFIO device, the
 * group added before GET_DEVICE_FD, the errnos of every refusal, and the
 * orders of teardown where the VM's last reference goes with a VFIO close
 * (seed 004). Under `uvfio run --kvm` /dev/kvm is uvfio's KVM model.
 *
 *	kvm-vfio            (default machine: edu in group 1)
 *	kvm-vfio --hold     adds the group, opens the device, prints "held" and
 *	                    waits for end of input before letting go
 */
#include <sys/eventfd.h>
#include <sys/stat.h>
#include <sys/sysmacros.h>

#include <linux/kvm.h>

#include "common.h"

#ifndef KVM_DEV_VFIO_FILE
#define KVM_DEV_VFIO_FILE KVM_DEV_VFIO_GROUP
#define KVM_DEV_VFIO_FILE_ADD KVM_DEV_VFIO_GROUP_ADD
#define KVM_DEV_VFIO_FILE_DEL KVM_DEV_VFIO_GROUP_DEL
#endif

static int file_attr(int dev, unsigned long cmd, unsigned int attr, int32_t fd)
{
	struct kvm_device_attr a = {
		.group = KVM_DEV_VFIO_FILE,
		.attr = attr,
		.addr = (uintptr_t)&fd,
	};

	return ioctl(dev, cmd, &a);
}

static int create_vfio_device(int vm, uint32_t flags)
{
	struct kvm_create_device cd = { .type = KVM_DEV_TYPE_VFIO, .flags = flags };
	int ret = ioctl(vm, KVM_CREATE_DEVICE, &cd);

	return ret || (flags & KVM_CREATE_DEVICE_TEST) ? ret : (int)cd.fd;
}

/* A VM with its kvm-vfio device, and edu's group in a type1 container. */
struct setup {
	int kvm, vm, kdev, container, group;
};

static void setup_vm(struct setup *s)
{
	s->kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (s->kvm < 0)
		bail("open /dev/kvm");
	s->vm = ioctl(s->kvm, KVM_CREATE_VM, 0);
	if (s->vm < 0)
		bail("KVM_CREATE_VM");
	s->kdev = create_vfio_device(s->vm, 0);
	if (s->kdev < 0)
		bail("KVM_CREATE_DEVICE");
	s->container = open("/dev/vfio/vfio", O_RDWR | O_CLOEXEC);
	s->group = open(EDU_GROUP_PATH, O_RDWR | O_CLOEXEC);
	if (s->container < 0 || s->group < 0 ||
	    ioctl(s->group, VFIO_GROUP_SET_CONTAINER, &s->container) ||
	    ioctl(s->container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		bail("container and group");
}

static void check_dev_kvm(void)
{
	struct stat st;
	int kvm, vm, vm2, fd, efd;

	kvm = open("/dev/kvm", O_RDWR | O_CLOEXEC);
	if (!tap(kvm >= 0, "open /dev/kvm", "errno %s", errname(errno)))
		bail("no /dev/kvm (run under uvfio run --kvm)");
	tap(!fstat(kvm, &st) && S_ISCHR(st.st_mode) && major(st.st_rdev) == 10 &&
		    minor(st.st_rdev) == 232,
	    "/dev/kvm is char 10:232", "mode %o rdev %u:%u", st.st_mode, major(st.st_rdev),
	    minor(st.st_rdev));
	EXPECT_EQ(ioctl(kvm, KVM_GET_API_VERSION, 0), 12, "KVM_GET_API_VERSION is 12");
	EXPECT_EQ(ioctl(kvm, KVM_CHECK_EXTENSION, KVM_CAP_DEVICE_CTRL), 1,
		  "KVM_CAP_DEVICE_CTRL present");
	EXPECT_ERR(ioctl(kvm, KVM_CREATE_VM, 0x7f), EINVAL, "KVM_CREATE_VM: unknown type");

	vm = ioctl(kvm, KVM_CREATE_VM, 0);
	EXPECT_OK(vm, "KVM_CREATE_VM");
	tap(fcntl(vm, F_GETFD) == FD_CLOEXEC, "the VM fd is close-on-exec", "flags %d",
	    fcntl(vm, F_GETFD));
	vm2 = ioctl(kvm, KVM_CREATE_VM, 0);
	EXPECT_OK(vm2, "a second VM");
	close(kvm); /* the VMs do not need /dev/kvm open */

	EXPECT_OK(create_vfio_device(vm, KVM_CREATE_DEVICE_TEST), "CREATE_DEVICE TEST");
	{
		struct kvm_create_device cd = { .type = 0x7777 };

		EXPECT_ERR(ioctl(vm, KVM_CREATE_DEVICE, &cd), ENODEV, "CREATE_DEVICE unknown type");
	}
	fd = create_vfio_device(vm, 0);
	EXPECT_OK(fd, "CREATE_DEVICE KVM_DEV_TYPE_VFIO: fd in the struct");
	tap(fcntl(fd, F_GETFD) == FD_CLOEXEC, "the device fd is close-on-exec", "flags %d",
	    fcntl(fd, F_GETFD));
	EXPECT_ERR(create_vfio_device(vm, 0), EBUSY, "a second kvm-vfio device per VM");
	EXPECT_OK(create_vfio_device(vm2, KVM_CREATE_DEVICE_TEST), "other VM: TEST still ok");

	efd = eventfd(0, EFD_CLOEXEC);
	EXPECT_ERR(file_attr(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE_ADD, efd), EINVAL,
		   "FILE_ADD of an eventfd");
	EXPECT_ERR(file_attr(fd, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE_ADD, 999), EBADF,
		   "FILE_ADD of a closed fd");
	EXPECT_ERR(file_attr(fd, KVM_SET_DEVICE_ATTR, 77, efd), ENXIO, "unknown attribute");
	EXPECT_OK(file_attr(fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE_ADD, -1),
		  "HAS_DEVICE_ATTR FILE_ADD");
	EXPECT_OK(file_attr(fd, KVM_HAS_DEVICE_ATTR, KVM_DEV_VFIO_FILE_DEL, -1),
		  "HAS_DEVICE_ATTR FILE_DEL");
	EXPECT_ERR(file_attr(fd, KVM_HAS_DEVICE_ATTR, 77, -1), ENXIO, "HAS_DEVICE_ATTR unknown");
	close(efd);
	close(fd);
	close(vm);
	close(vm2);
}

/* The documented order: add the group, open the device, take everything down. */
static void check_add_open_del(void)
{
	struct setup s;
	int dev;

	setup_vm(&s);
	EXPECT_OK(file_attr(s.kdev, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE_ADD, s.group),
		  "FILE_ADD of the group");
	EXPECT_ERR(file_attr(s.kdev, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE_ADD, s.group), EEXIST,
		   "FILE_ADD twice");
	dev = ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	EXPECT_OK(dev, "GET_DEVICE_FD after FILE_ADD");
	EXPECT_OK(file_attr(s.kdev, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE_DEL, s.group),
		  "FILE_DEL of the group");
	EXPECT_ERR(file_attr(s.kdev, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE_DEL, s.group), ENOENT,
		   "FILE_DEL of a group not listed");
	EXPECT_ERR(file_attr(s.kdev, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE_DEL, s.container),
		   ENOENT, "FILE_DEL of a container (not a VFIO group)");
	close(dev);
	close(s.kdev);
	close(s.vm);
	close(s.group);
	close(s.container);
	close(s.kvm);
}

/*
 * Seed 004: the VM fd and the kvm-vfio fd go first, the group stays added, and
 * the open device holds the VM's last reference, which its close drops: VM
 * destruction from inside a VFIO close must not take the group's locks again.
 */
static void check_vm_dies_with_device_close(bool del_with_release)
{
	struct setup s;
	int dev, dev2;

	setup_vm(&s);
	EXPECT_OK(file_attr(s.kdev, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE_ADD, s.group),
		  "FILE_ADD of the group");
	dev = ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	EXPECT_OK(dev, "GET_DEVICE_FD: the device holds a VM reference");
	if (del_with_release) {
		close(s.kdev); /* release drops the group's VM */
		close(s.vm);
	} else {
		close(s.vm);
		close(s.kdev);
	}
	close(s.kvm);
	{
		struct vfio_device_info info = { .argsz = sizeof(info) };

		EXPECT_OK(ioctl(dev, VFIO_DEVICE_GET_INFO, &info),
			  "device still usable without the VM fd");
	}
	close(dev); /* the VM's last reference */
	dev2 = ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	EXPECT_OK(dev2, "the group is not stuck after the VM went with the device");
	close(dev2);
	close(s.group);
	close(s.container);
}

/* The group goes while still added: closing it must not undo another VM's group. */
static void check_group_closed_while_added(void)
{
	struct setup s;
	int group2;

	setup_vm(&s);
	EXPECT_OK(file_attr(s.kdev, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE_ADD, s.group),
		  "FILE_ADD of the group");
	close(s.group); /* kvm-vfio keeps its own reference */
	EXPECT_ERR(open(EDU_GROUP_PATH, O_RDWR | O_CLOEXEC), EBUSY,
		   "the group is still held by kvm-vfio's reference");
	close(s.kdev); /* release: the last reference of the group file */
	close(s.vm);
	group2 = open(EDU_GROUP_PATH, O_RDWR | O_CLOEXEC);
	EXPECT_OK(group2, "the group opens again once kvm-vfio released it");
	close(group2);
	close(s.container);
	close(s.kvm);
}

static int hold(void)
{
	struct setup s;
	char c;
	int dev;

	setup_vm(&s);
	if (file_attr(s.kdev, KVM_SET_DEVICE_ATTR, KVM_DEV_VFIO_FILE_ADD, s.group))
		bail("FILE_ADD");
	dev = ioctl(s.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	if (dev < 0)
		bail("GET_DEVICE_FD");
	printf("held\n");
	while (read(STDIN_FILENO, &c, 1) > 0)
		;
	close(dev);
	close(s.kdev);
	close(s.vm);
	close(s.group);
	close(s.container);
	close(s.kvm);
	return 0;
}

int main(int argc, char **argv)
{
	tap_prog = "kvm-vfio";
	setvbuf(stdout, NULL, _IOLBF, 0);
	if (bind_vfio_override(EDU_BDF))
		bail("bind edu to vfio-pci");
	if (argc > 1 && !strcmp(argv[1], "--hold"))
		return hold();
	check_dev_kvm();
	check_add_open_del();
	check_vm_dies_with_device_close(false);
	check_vm_dies_with_device_close(true);
	check_group_closed_while_added();
	return tap_done();
}

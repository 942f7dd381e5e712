/* driver.c - PCI driver core through sysfs: bind/unbind/drivers_probe/driver_override/
 * new_id/remove_id errnos, and rebinding a group-mate while the group is in use by VFIO
 * (also with pci-stub, loaded from /root/pci-stub.ko given via LAB_FILES). */
#include "common.h"
#include <sys/syscall.h>

#define EDU "0000:00:03.0"
#define A "0000:01:01.0"
#define B "0000:01:02.0"

static void state(void)
{
	printf("  drivers: 00:03.0=%s 01:01.0=%s 01:02.0=%s\n", drv_of(EDU), drv_of(A), drv_of(B));
}

static void ovr(const char *bdf)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/driver_override", bdf);
	cat_file(p);
}

static void set_ovr(const char *bdf, const char *v)
{
	char p[PATH_MAX];
	snprintf(p, sizeof p, "/sys/bus/pci/devices/%s/driver_override", bdf);
	wr(p, v);
	cat_file(p);
}

int main(void)
{
	state();
	printf("--- driver_override formats (edu)\n");
	ovr(EDU);
	set_ovr(EDU, "vfio-pci\n");
	set_ovr(EDU, "vfio-pci");
	set_ovr(EDU, "");
	set_ovr(EDU, "foo bar\n");
	set_ovr(EDU, "\n");
	set_ovr(EDU, "nonexistent-driver");
	wr("/sys/bus/pci/drivers_probe", EDU);
	state();
	set_ovr(EDU, "\n");

	printf("--- bind/unbind misuse\n");
	wr("/sys/bus/pci/drivers/e1000/bind", EDU); /* wrong driver (no id match) */
	wr("/sys/bus/pci/drivers/vfio-pci/bind", EDU); /* no override, no id: ? */
	state();
	wr("/sys/bus/pci/drivers/vfio-pci/bind", "0000:00:09.0"); /* nonexistent */
	wr("/sys/bus/pci/drivers/vfio-pci/bind", "00:03.0"); /* no domain */
	wr("/sys/bus/pci/drivers/vfio-pci/unbind", A); /* bound to e1000 */
	wr("/sys/bus/pci/drivers/e1000/bind", A); /* already bound here */
	wr("/sys/bus/pci/drivers/vfio-pci/unbind", EDU); /* not bound */
	wr("/sys/bus/pci/drivers/vfio-pci/unbind", "garbage");
	wr("/sys/bus/pci/drivers_probe", "0000:00:09.0");
	wr("/sys/bus/pci/drivers_probe", "garbage");
	wr("/sys/bus/pci/drivers_probe", EDU); /* no driver matches */
	wr("/sys/bus/pci/drivers_probe", A); /* already bound */
	state();
	printf("--- bind edu with override via drivers/vfio-pci/bind (newline-terminated)\n");
	set_ovr(EDU, "vfio-pci");
	wr("/sys/bus/pci/drivers/e1000/bind", EDU); /* override mismatch */
	wr("/sys/bus/pci/drivers/vfio-pci/bind", EDU "\n");
	state();
	wr("/sys/bus/pci/drivers/vfio-pci/bind", EDU); /* already bound */
	wr("/sys/bus/pci/drivers_probe", EDU); /* already bound */
	wr("/sys/bus/pci/drivers/vfio-pci/unbind", EDU "\n");
	state();
	wr("/sys/bus/pci/drivers/vfio-pci/unbind", EDU);
	wr("/sys/bus/pci/drivers_autoprobe", "0");
	cat_file("/sys/bus/pci/drivers_autoprobe");
	wr("/sys/bus/pci/drivers_probe", EDU); /* explicit probe still works? */
	state();
	wr("/sys/bus/pci/drivers_autoprobe", "1");
	wr("/sys/bus/pci/drivers/vfio-pci/unbind", EDU);
	set_ovr(EDU, "\n");

	printf("--- reset / reset_method\n");
	{
		cat_file("/sys/bus/pci/devices/" A "/reset_method");
		wr("/sys/bus/pci/devices/" A "/reset", "1"); /* bound to e1000 */
		wr("/sys/bus/pci/devices/" A "/reset_method", "flr");
		wr("/sys/bus/pci/devices/" A "/reset_method", "bogus");
		wr("/sys/bus/pci/devices/" A "/reset_method", "default");
		cat_file("/sys/bus/pci/devices/" A "/reset_method");
		list_dir("/sys/bus/pci/devices/" B);
	}

	printf("--- new_id / remove_id\n");
	unbind_dev(A);
	unbind_dev(B);
	state();
	wr("/sys/bus/pci/drivers/vfio-pci/new_id", "8086");
	wr("/sys/bus/pci/drivers/vfio-pci/new_id", "zzzz yyyy");
	wr("/sys/bus/pci/drivers/vfio-pci/remove_id", "1234 5678");
	wr("/sys/bus/pci/drivers/vfio-pci/remove_id", "1234");
	wr("/sys/bus/pci/drivers/vfio-pci/new_id", "8086 100e");
	state();
	list_dir("/sys/bus/pci/drivers/vfio-pci");
	list_dir("/dev/vfio");
	wr("/sys/bus/pci/drivers/vfio-pci/new_id", "8086 100e"); /* duplicate */
	wr("/sys/bus/pci/drivers/vfio-pci/new_id", "8086 100e\n");
	wr("/sys/bus/pci/drivers/vfio-pci/new_id", "8086 100e ffffffff ffffffff 0 0 0");
	wr("/sys/bus/pci/drivers/vfio-pci/remove_id", "8086 100e");
	state();
	wr("/sys/bus/pci/drivers/vfio-pci/remove_id", "8086 100e"); /* absent now? */
	wr("/sys/bus/pci/drivers/vfio-pci/remove_id", "8086 100e ffffffff ffffffff 0 0 0");
	wr("/sys/bus/pci/drivers/vfio-pci/remove_id", "8086 100e ffffffff ffffffff 0 0 0");
	{
		/* unbind B from vfio-pci: with no id and no override, does drivers_probe rebind it to e1000? */
		wr("/sys/bus/pci/drivers/vfio-pci/unbind", B);
		state();
	}

	printf("--- group in use: A open through VFIO, rebind B\n");
	{
		int c = open("/dev/vfio/vfio", O_RDWR);
		int g = show("open /dev/vfio/2", open("/dev/vfio/2", O_RDWR));
		struct vfio_group_status st = { .argsz = sizeof st };
		ioctl(g, VFIO_GROUP_GET_STATUS, &st);
		printf("  group flags=0x%x (B=%s)\n", st.flags, drv_of(B));
		if (strcmp(drv_of(B), "-") != 0)
			unbind_dev(B);
		show("SET_CONTAINER", ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
		show("SET_IOMMU", ioctl(c, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU));
		int d = show("GET_DEVICE_FD A", ioctl(g, VFIO_GROUP_GET_DEVICE_FD, A));
		state();
		wr("/sys/bus/pci/drivers/e1000/bind", B);
		state();
		ioctl(g, VFIO_GROUP_GET_STATUS, &st);
		printf("  group flags=0x%x\n", st.flags);
		int fd = open("/root/pci-stub.ko", O_RDONLY);
		show("finit_module pci-stub", syscall(SYS_finit_module, fd, "", 0));
		close(fd);
		list_dir("/sys/bus/pci/drivers/pci-stub");
		wr("/sys/bus/pci/drivers/pci-stub/bind", B); /* no id: ENODEV expected */
		wr("/sys/bus/pci/drivers/pci-stub/new_id", "8086 100e"); /* attaches unbound B? */
		state();
		ioctl(g, VFIO_GROUP_GET_STATUS, &st);
		printf("  group flags=0x%x\n", st.flags);
		wr("/sys/bus/pci/drivers/pci-stub/bind", B);
		state();
		set_ovr(B, "pci-stub");
		wr("/sys/bus/pci/drivers_probe", B);
		state();
		ioctl(g, VFIO_GROUP_GET_STATUS, &st);
		printf("  group flags=0x%x\n", st.flags);
		set_ovr(B, "vfio-pci");
		wr("/sys/bus/pci/drivers_probe", B);
		state();
		ioctl(g, VFIO_GROUP_GET_STATUS, &st);
		printf("  group flags=0x%x\n", st.flags);
		close(d);
		close(g);
		close(c);
		printf("closed all VFIO fds\n");
		wr("/sys/bus/pci/drivers/vfio-pci/unbind", B);
		set_ovr(B, "\n");
		wr("/sys/bus/pci/drivers/pci-stub/bind", B);
		state();
		list_dir("/sys/bus/pci/drivers/pci-stub");
		/* now B on pci-stub: is group 2 viable? */
		g = open("/dev/vfio/2", O_RDWR);
		ioctl(g, VFIO_GROUP_GET_STATUS, &st);
		printf("  group flags with B on pci-stub=0x%x\n", st.flags);
		c = open("/dev/vfio/vfio", O_RDWR);
		show("SET_CONTAINER with B on pci-stub", ioctl(g, VFIO_GROUP_SET_CONTAINER, &c));
		close(g);
		close(c);
	}
	return 0;
}

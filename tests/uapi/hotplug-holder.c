// SPDX-License-Identifier: MIT
/*
 * A plain VFIO program (only <linux/vfio.h> and libc) that holds one device
 * the way a VMM does, with a REQ eventfd (VFIO_PCI_REQ_IRQ_INDEX), and lets
 * it go when the kernel asks: the "ask" side of hot-unplug.
 *
 *   hotplug-holder BDF GROUP HOLD_MS [ORDER]
 *
 * Prints "holder: ready" once the device is open and the REQ eventfd set,
 * "holder: request N" when the eventfd fires, waits HOLD_MS (-1: never lets
 * go), closes the files in ORDER (default "dgc": device, group, container;
 * any permutation), prints "holder: released" and exits 0.
 */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <time.h>
#include <unistd.h>

#include <linux/vfio.h>

static void die(const char *what)
{
	printf("holder: %s: %s\n", what, strerror(errno));
	exit(1);
}

int main(int argc, char **argv)
{
	struct vfio_group_status status = { .argsz = sizeof(status) };
	char path[64], setbuf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *set = (struct vfio_irq_set *)setbuf;
	const char *order = argc > 4 ? argv[4] : "dgc";
	int container, group, device, efd;
	uint64_t count;
	long hold;

	if (argc < 4) {
		fprintf(stderr, "usage: %s BDF GROUP HOLD_MS [ORDER]\n", argv[0]);
		return 2;
	}
	setvbuf(stdout, NULL, _IOLBF, 0);
	hold = strtol(argv[3], NULL, 0);
	container = open("/dev/vfio/vfio", O_RDWR);
	if (container < 0)
		die("open /dev/vfio/vfio");
	snprintf(path, sizeof(path), "/dev/vfio/%s", argv[2]);
	group = open(path, O_RDWR);
	if (group < 0)
		die(path);
	if (ioctl(group, VFIO_GROUP_GET_STATUS, &status) ||
	    !(status.flags & VFIO_GROUP_FLAGS_VIABLE)) {
		errno = errno ? errno : EPERM;
		die("group not viable");
	}
	if (ioctl(group, VFIO_GROUP_SET_CONTAINER, &container))
		die("SET_CONTAINER");
	if (ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU))
		die("SET_IOMMU");
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, argv[1]);
	if (device < 0)
		die("GET_DEVICE_FD");
	efd = eventfd(0, EFD_CLOEXEC);
	if (efd < 0)
		die("eventfd");
	set->argsz = sizeof(setbuf);
	set->flags = VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER;
	set->index = VFIO_PCI_REQ_IRQ_INDEX;
	set->start = 0;
	set->count = 1;
	memcpy(set->data, &efd, sizeof(efd));
	if (ioctl(device, VFIO_DEVICE_SET_IRQS, set))
		die("SET_IRQS REQ");
	printf("holder: ready\n");

	if (read(efd, &count, sizeof(count)) != sizeof(count))
		die("read eventfd");
	printf("holder: request %llu\n", (unsigned long long)count);
	if (hold < 0) {
		for (;;)
			pause();
	}
	if (hold > 0) {
		struct timespec ts = { hold / 1000, (hold % 1000) * 1000000L };

		nanosleep(&ts, NULL);
	}
	for (const char *c = order; *c; c++) {
		if (*c == 'd')
			close(device);
		else if (*c == 'g')
			close(group);
		else if (*c == 'c')
			close(container);
	}
	printf("holder: released\n");
	close(efd);
	return 0;
}

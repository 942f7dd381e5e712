// SPDX-License-Identifier: MIT
/*
 * mtty-serial: an unmodified VFIO program (libc and <linux/vfio.h> only) that
 * drives an mtty mediated device (the kernel's samples/vfio-mdev/mtty.c) as it
 * would on Linux: it finds the instance's IOMMU group in sysfs, opens the
 * container and the group, gets the device by its UUID and talks to the
 * 16550 behind BAR0 with pread/pwrite on the device fd. "hello" goes out
 * through THR and comes back through RBR (the loopback FIFO), and received
 * data raises INTx, delivered through an eventfd and unmasked by the program.
 *
 *   mtty-serial UUID
 *
 * Prints "mtty ok" and exits 0 when every step worked; otherwise names the
 * step that failed and exits 1.
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
#include <unistd.h>

#include <linux/vfio.h>

/* 16550 registers and bits (offsets within the 8-byte I/O BAR). */
#define UART_TX 0
#define UART_RX 0
#define UART_IER 1
#define UART_FCR 2
#define UART_IIR 2
#define UART_LSR 5
#define UART_IER_RDI 0x01
#define UART_FCR_ENABLE_FIFO 0x01
#define UART_FCR_CLEAR_RCVR 0x02
#define UART_FCR_CLEAR_XMIT 0x04
#define UART_IIR_NO_INT 0x01
#define UART_IIR_ID 0x0e
#define UART_IIR_RDI 0x04
#define UART_LSR_DR 0x01
#define UART_LSR_THRE 0x20

static int failed;

#define CHECK(cond, ...)                                                                          \
	do {                                                                                      \
		if (!(cond)) {                                                                    \
			fprintf(stderr, "mtty-serial: " __VA_ARGS__);                             \
			fprintf(stderr, " (%s:%d: %s; errno %d %s)\n", __FILE__, __LINE__, #cond, \
				errno, strerror(errno));                                          \
			failed = 1;                                                               \
			goto out;                                                                 \
		}                                                                                 \
	} while (0)

static int device = -1;
static off_t bar0;

static int uart_rd(unsigned int reg, uint8_t *v)
{
	return pread(device, v, 1, bar0 + reg) == 1 ? 0 : -1;
}

static int uart_wr(unsigned int reg, uint8_t v)
{
	return pwrite(device, &v, 1, bar0 + reg) == 1 ? 0 : -1;
}

/* Waits up to ms for the eventfd; returns its counter, 0 on timeout. */
static uint64_t efd_wait(int efd, int ms)
{
	struct pollfd pfd = { .fd = efd, .events = POLLIN };
	uint64_t v = 0;

	if (poll(&pfd, 1, ms) != 1)
		return 0;
	if (read(efd, &v, sizeof(v)) != sizeof(v))
		return 0;
	return v;
}

static int set_irq(uint32_t flags, uint32_t index, uint32_t count, const void *data, size_t datalen)
{
	char buf[sizeof(struct vfio_irq_set) + sizeof(int32_t)];
	struct vfio_irq_set *s = (struct vfio_irq_set *)buf;

	memset(buf, 0, sizeof(buf));
	s->argsz = (uint32_t)(sizeof(*s) + datalen);
	s->flags = flags;
	s->index = index;
	s->start = 0;
	s->count = count;
	if (datalen)
		memcpy(s->data, data, datalen);
	return ioctl(device, VFIO_DEVICE_SET_IRQS, s);
}

int main(int argc, char **argv)
{
	static const char msg[] = "hello";
	struct vfio_group_status status = { .argsz = sizeof(status) };
	struct vfio_device_info info = { .argsz = sizeof(info) };
	struct vfio_region_info ri = { .argsz = sizeof(ri) };
	struct vfio_irq_info ii = { .argsz = sizeof(ii) };
	int container = -1, group = -1, efd = -1, n;
	char path[256], target[256], got[sizeof(msg)] = "";
	const char *uuid, *slash;
	uint16_t ids[2];
	uint8_t v;
	ssize_t len;

	if (argc != 2) {
		fprintf(stderr, "usage: mtty-serial UUID\n");
		return 2;
	}
	uuid = argv[1];

	/* The mdev's IOMMU group, as libvirt and QEMU find it. */
	snprintf(path, sizeof(path), "/sys/bus/mdev/devices/%s/iommu_group", uuid);
	len = readlink(path, target, sizeof(target) - 1);
	CHECK(len > 0, "readlink %s", path);
	target[len] = '\0';
	slash = strrchr(target, '/');
	n = atoi(slash ? slash + 1 : target);

	container = open("/dev/vfio/vfio", O_RDWR);
	CHECK(container >= 0, "open /dev/vfio/vfio");
	CHECK(ioctl(container, VFIO_GET_API_VERSION) == VFIO_API_VERSION, "API version");
	CHECK(ioctl(container, VFIO_CHECK_EXTENSION, VFIO_TYPE1v2_IOMMU) == 1, "type1v2");
	snprintf(path, sizeof(path), "/dev/vfio/%d", n);
	group = open(path, O_RDWR);
	CHECK(group >= 0, "open %s", path);
	CHECK(ioctl(group, VFIO_GROUP_GET_STATUS, &status) == 0, "GET_STATUS");
	CHECK(status.flags & VFIO_GROUP_FLAGS_VIABLE, "group %d not viable", n);
	CHECK(ioctl(group, VFIO_GROUP_SET_CONTAINER, &container) == 0, "SET_CONTAINER");
	CHECK(ioctl(container, VFIO_SET_IOMMU, VFIO_TYPE1v2_IOMMU) == 0, "SET_IOMMU");
	device = ioctl(group, VFIO_GROUP_GET_DEVICE_FD, uuid);
	CHECK(device >= 0, "GET_DEVICE_FD %s", uuid);

	CHECK(ioctl(device, VFIO_DEVICE_GET_INFO, &info) == 0, "GET_INFO");
	CHECK(info.flags & VFIO_DEVICE_FLAGS_PCI, "not a PCI device");
	CHECK(info.num_regions == VFIO_PCI_NUM_REGIONS && info.num_irqs == VFIO_PCI_NUM_IRQS,
	      "%u regions, %u irqs", info.num_regions, info.num_irqs);

	ri.index = VFIO_PCI_CONFIG_REGION_INDEX;
	CHECK(ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri) == 0, "config region info");
	CHECK(pread(device, ids, sizeof(ids), (off_t)ri.offset) == sizeof(ids), "config read");
	CHECK(ids[0] == 0x4348 && ids[1] == 0x3253, "ids %04x:%04x", ids[0], ids[1]);
	printf("mtty-serial: %s in group %d, %04x:%04x\n", uuid, n, ids[0], ids[1]);

	ri.argsz = sizeof(ri);
	ri.index = VFIO_PCI_BAR0_REGION_INDEX;
	CHECK(ioctl(device, VFIO_DEVICE_GET_REGION_INFO, &ri) == 0, "BAR0 region info");
	CHECK(ri.size == 8, "BAR0 size %llu", (unsigned long long)ri.size);
	CHECK(ri.flags & VFIO_REGION_INFO_FLAG_READ && ri.flags & VFIO_REGION_INFO_FLAG_WRITE,
	      "BAR0 flags %#x", ri.flags);
	bar0 = (off_t)ri.offset;

	ii.index = VFIO_PCI_INTX_IRQ_INDEX;
	CHECK(ioctl(device, VFIO_DEVICE_GET_IRQ_INFO, &ii) == 0, "INTx info");
	CHECK(ii.count == 1 && (ii.flags & VFIO_IRQ_INFO_AUTOMASKED), "INTx flags %#x", ii.flags);
	efd = eventfd(0, EFD_CLOEXEC);
	CHECK(efd >= 0, "eventfd");
	CHECK(set_irq(VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER,
		      VFIO_PCI_INTX_IRQ_INDEX, 1, &efd, sizeof(efd)) == 0,
	      "INTx eventfd");

	/* FIFO mode (trigger level 1), receive-data interrupts on. */
	CHECK(uart_wr(UART_FCR, UART_FCR_ENABLE_FIFO | UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT) ==
		      0,
	      "FCR");
	CHECK(uart_wr(UART_IER, UART_IER_RDI) == 0, "IER");
	CHECK(uart_rd(UART_LSR, &v) == 0 && (v & UART_LSR_THRE) && !(v & UART_LSR_DR),
	      "LSR %#x before sending", v);
	CHECK(uart_rd(UART_IIR, &v) == 0 && (v & UART_IIR_NO_INT), "IIR %#x before sending", v);

	for (size_t i = 0; i < strlen(msg); i++)
		CHECK(uart_wr(UART_TX, (uint8_t)msg[i]) == 0, "THR write %zu", i);
	CHECK(efd_wait(efd, 2000) >= 1, "no INTx for received data");
	CHECK(uart_rd(UART_IIR, &v) == 0 && (v & UART_IIR_ID) == UART_IIR_RDI, "IIR %#x", v);
	for (size_t i = 0; i < strlen(msg); i++) {
		CHECK(uart_rd(UART_LSR, &v) == 0 && (v & UART_LSR_DR), "LSR %#x at byte %zu", v, i);
		CHECK(uart_rd(UART_RX, &v) == 0, "RBR read %zu", i);
		got[i] = (char)v;
	}
	CHECK(!strcmp(got, msg), "read back \"%s\"", got);
	CHECK(uart_rd(UART_LSR, &v) == 0 && !(v & UART_LSR_DR), "LSR %#x after reading", v);
	printf("mtty-serial: loopback \"%s\"\n", got);

	/* INTx masked itself: nothing until the program unmasks. */
	CHECK(uart_wr(UART_TX, '!') == 0, "THR write");
	CHECK(efd_wait(efd, 100) == 0, "INTx while masked");
	CHECK(uart_rd(UART_RX, &v) == 0 && v == '!', "RBR %#x", v);
	CHECK(set_irq(VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_UNMASK, VFIO_PCI_INTX_IRQ_INDEX,
		      1, NULL, 0) == 0,
	      "INTx unmask");
	CHECK(uart_wr(UART_TX, '?') == 0, "THR write");
	CHECK(efd_wait(efd, 2000) >= 1, "no INTx after unmask");
	CHECK(uart_rd(UART_RX, &v) == 0 && v == '?', "RBR %#x", v);
	printf("mtty-serial: INTx delivered, automasked and unmasked\n");
	printf("mtty ok\n");

out:
	if (efd >= 0)
		close(efd);
	if (device >= 0)
		close(device);
	if (group >= 0)
		close(group);
	if (container >= 0)
		close(container);
	return failed;
}

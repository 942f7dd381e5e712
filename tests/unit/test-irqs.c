// SPDX-License-Identifier: MIT
/*
 * VFIO_DEVICE_SET_IRQS on vfio-pci: validation, INTx (level-triggered,
 * auto-masked), MSI, ERR and REQ, with the caller's own eventfds. Digest
 * §2.6, §3.4, §9 (14, 15); oracle tests/oracle/{edu,extra}.txt. Device
 * interrupts come from edu's "raise" register (0x60, level until acked at 0x64).
 */
#include "common.h"

#include <string.h>
#include <unistd.h>

#define TRIG_EFD (VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_TRIGGER)
#define INTX VFIO_PCI_INTX_IRQ_INDEX
#define MSI VFIO_PCI_MSI_IRQ_INDEX

static int set_bool(struct vfio_env *e, uint32_t index, uint32_t action, uint8_t v)
{
	return set_irqs(e->p, e->device, VFIO_IRQ_SET_DATA_BOOL | action, index, 0, 1, &v, 1);
}

static int unmask_eventfd(struct vfio_env *e, int fd)
{
	int32_t v = fd;

	return set_irqs(e->p, e->device, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_UNMASK,
			INTX, 0, 1, &v, sizeof(v));
}

static void edu_raise(struct vfio_env *e, uint32_t bits)
{
	bar0_write32(e->p, e->device, EDU_IRQ_RAISE, bits);
}

static void edu_ack(struct vfio_env *e, uint32_t bits)
{
	bar0_write32(e->p, e->device, EDU_IRQ_ACK, bits);
}

TEST(irqs, set_irqs_argsz_einval)
{
	struct vfio_env e;
	struct vfio_irq_set s = {
		.argsz = 16,
		.flags = VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
		.index = INTX,
		.count = 1,
	};

	edu_setup(&e);
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_SET_IRQS, &s), EINVAL);
	/* DATA_EVENTFD needs 4 bytes per irq after the header. */
	s.argsz = sizeof(s);
	s.flags = TRIG_EFD;
	ASSERT_ERRNO(uvfio_ioctl(e.p, e.device, VFIO_DEVICE_SET_IRQS, &s), EINVAL);
	env_teardown(&e);
}

TEST(irqs, set_irqs_bad_index_einval)
{
	struct vfio_env e;

	edu_setup(&e);
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_NUM_IRQS, VFIO_IRQ_SET_ACTION_TRIGGER, 1),
		     EINVAL);
	ASSERT_ERRNO(irq_none(e.p, e.device, 1000, VFIO_IRQ_SET_ACTION_TRIGGER, 1), EINVAL);
	env_teardown(&e);
}

TEST(irqs, set_irqs_start_count_einval)
{
	struct vfio_env e;

	edu_setup(&e);
	ASSERT_ERRNO(set_irqs(e.p, e.device, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			      INTX, 1, 1, NULL, 0),
		     EINVAL);
	ASSERT_ERRNO(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 2), EINVAL);
	ASSERT_ERRNO(set_irqs(e.p, e.device, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
			      INTX, 0xffffffffu, 1, NULL, 0),
		     EINVAL);
	ASSERT_ERRNO(irq_none(e.p, e.device, MSI, VFIO_IRQ_SET_ACTION_TRIGGER, 2), EINVAL);
	env_teardown(&e);
}

TEST(irqs, set_irqs_data_type_einval)
{
	struct vfio_env e;

	edu_setup(&e);
	ASSERT_ERRNO(set_irqs(e.p, e.device,
			      VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_DATA_BOOL |
				      VFIO_IRQ_SET_ACTION_TRIGGER,
			      INTX, 0, 1, "\1\0\0\0", 4),
		     EINVAL);
	ASSERT_ERRNO(set_irqs(e.p, e.device, VFIO_IRQ_SET_ACTION_TRIGGER, INTX, 0, 1, NULL, 0),
		     EINVAL);
	env_teardown(&e);
}

TEST(irqs, set_irqs_unknown_flag_einval)
{
	struct vfio_env e;

	edu_setup(&e);
	ASSERT_ERRNO(set_irqs(e.p, e.device,
			      VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER | (1u << 6),
			      INTX, 0, 1, NULL, 0),
		     EINVAL);
	env_teardown(&e);
}

/* Not exactly one action: vfio-pci finds no handler (oracle "two ACTION flags"). */
TEST(irqs, set_irqs_action_not_one_enotty)
{
	struct vfio_env e;

	edu_setup(&e);
	ASSERT_ERRNO(set_irqs(e.p, e.device,
			      VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_MASK |
				      VFIO_IRQ_SET_ACTION_UNMASK,
			      INTX, 0, 1, NULL, 0),
		     ENOTTY);
	ASSERT_ERRNO(set_irqs(e.p, e.device, VFIO_IRQ_SET_DATA_NONE, INTX, 0, 1, NULL, 0), ENOTTY);
	env_teardown(&e);
}

/* Indexes whose count is 0 (MSI-X, ERR on conventional PCI) take nothing. */
TEST(irqs, set_irqs_empty_index_einval)
{
	struct vfio_env e;
	int fd = efd_new();

	edu_setup(&e);
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_MSIX_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			      1),
		     EINVAL);
	ASSERT_ERRNO(irq_set_eventfd(e.p, e.device, VFIO_PCI_MSIX_IRQ_INDEX, fd), EINVAL);
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_ERR_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			      1),
		     EINVAL);
	ASSERT_ERRNO(irq_set_eventfd(e.p, e.device, VFIO_PCI_ERR_IRQ_INDEX, fd), EINVAL);
	env_teardown(&e);
	close(fd);
}

TEST(irqs, intx_not_enabled_einval)
{
	struct vfio_env e;
	int fd = efd_new();
	int32_t v = fd;

	edu_setup(&e);
	ASSERT_ERRNO(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 0), EINVAL);
	ASSERT_ERRNO(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 1), EINVAL);
	ASSERT_ERRNO(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_MASK, 0), EINVAL);
	ASSERT_ERRNO(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_MASK, 1), EINVAL);
	ASSERT_ERRNO(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 1), EINVAL);
	ASSERT_ERRNO(set_irqs(e.p, e.device, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK,
			      INTX, 0, 1, &v, sizeof(v)),
		     EINVAL);
	env_teardown(&e);
	close(fd);
}

/* DATA_NONE and DATA_BOOL triggers are loopback: they signal the eventfd (masked or not). */
TEST(irqs, intx_loopback_signals_eventfd)
{
	struct vfio_env e;
	int fd = efd_new();

	edu_setup(&e);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, INTX, fd));
	efd_assert_quiet(e.w, fd);
	ASSERT_OK(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	ASSERT_OK(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	ASSERT_OK(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 1));
	ASSERT_OK(set_bool(&e, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	ASSERT_OK(set_bool(&e, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 1));
	ASSERT_OK(set_bool(&e, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	efd_assert_quiet(e.w, fd);
	env_teardown(&e);
	close(fd);
}

/* §9.15: level-triggered and auto-masked until UNMASK; a still-asserted line re-fires. */
TEST(irqs, intx_device_interrupt_automasked)
{
	struct vfio_env e;
	int fd = efd_new();

	edu_setup(&e);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, INTX, fd));
	edu_raise(&e, 1);
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_IRQ_STATUS), 1);
	/* Masked now: a lower and re-raise is not signalled... */
	edu_ack(&e, 1);
	edu_raise(&e, 2);
	efd_assert_quiet(e.w, fd);
	/* ...until UNMASK, which finds the line still asserted. */
	ASSERT_OK(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 1));
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	/* Handled properly this time: ack, then unmask; nothing pending. */
	edu_ack(&e, 2);
	ASSERT_OK(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 1));
	efd_assert_quiet(e.w, fd);
	edu_raise(&e, 4);
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	edu_ack(&e, 4);
	env_teardown(&e);
	close(fd);
}

TEST(irqs, intx_mask_holds_interrupt_until_unmask)
{
	struct vfio_env e;
	int fd = efd_new();

	edu_setup(&e);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, INTX, fd));
	ASSERT_OK(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_MASK, 1));
	ASSERT_OK(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_MASK, 1));
	edu_raise(&e, 1);
	efd_assert_quiet(e.w, fd);
	ASSERT_OK(set_bool(&e, INTX, VFIO_IRQ_SET_ACTION_UNMASK, 1));
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	edu_ack(&e, 1);
	env_teardown(&e);
	close(fd);
}

TEST(irqs, intx_mask_eventfd_enotty)
{
	struct vfio_env e;
	int fd = efd_new();
	int32_t v = fd;

	edu_setup(&e);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, INTX, -1));
	ASSERT_ERRNO(set_irqs(e.p, e.device, VFIO_IRQ_SET_DATA_EVENTFD | VFIO_IRQ_SET_ACTION_MASK,
			      INTX, 0, 1, &v, sizeof(v)),
		     ENOTTY);
	env_teardown(&e);
	close(fd);
}

/* The unmask irqfd: a write to it unmasks, and a still-pending interrupt re-fires. */
TEST(irqs, intx_unmask_eventfd)
{
	struct vfio_env e;
	int fd = efd_new(), unmask = efd_new();
	uint64_t one = 1;

	edu_setup(&e);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, INTX, fd));
	ASSERT_OK(unmask_eventfd(&e, unmask));
	edu_raise(&e, 1);
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	edu_ack(&e, 1);
	edu_raise(&e, 1);
	efd_assert_quiet(e.w, fd);
	ASSERT_EQ(write(unmask, &one, sizeof(one)), sizeof(one));
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	edu_ack(&e, 1);
	ASSERT_EQ(write(unmask, &one, sizeof(one)), sizeof(one));
	efd_assert_quiet(e.w, fd);
	edu_raise(&e, 1);
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	edu_ack(&e, 1);
	ASSERT_OK(unmask_eventfd(&e, -1));
	/* Without the irqfd, writing the eventfd unmasks nothing. */
	ASSERT_EQ(write(unmask, &one, sizeof(one)), sizeof(one));
	edu_raise(&e, 1);
	efd_assert_quiet(e.w, fd);
	edu_ack(&e, 1);
	env_teardown(&e);
	close(unmask);
	close(fd);
}

TEST(irqs, intx_swap_and_deassign_eventfd)
{
	struct vfio_env e;
	int e1 = efd_new(), e2 = efd_new();

	edu_setup(&e);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, INTX, e1));
	ASSERT_OK(irq_set_eventfd(e.p, e.device, INTX, e2));
	ASSERT_OK(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	ASSERT_EQ(efd_wait(e.w, e2, 2000), 1);
	efd_assert_quiet(e.w, e1);
	/* fd -1 drops the trigger but keeps INTx enabled. */
	ASSERT_OK(irq_set_eventfd(e.p, e.device, INTX, -1));
	ASSERT_OK(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	efd_assert_quiet(e.w, e1);
	efd_assert_quiet(e.w, e2);
	/* count 0 disables the index. */
	ASSERT_OK(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	ASSERT_ERRNO(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 1), EINVAL);
	ASSERT_ERRNO(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 0), EINVAL);
	env_teardown(&e);
	close(e1);
	close(e2);
}

TEST(irqs, intx_enable_with_bad_fd)
{
	struct vfio_env e;
	int notefd = open("/dev/null", O_RDONLY | O_CLOEXEC);
	int closed = 1000;

	ASSERT_OK(notefd);
	edu_setup(&e);
	/* A descriptor number nothing has open (the world's own fds included). */
	while (fcntl(closed, F_GETFD) != -1)
		closed++;
	ASSERT_ERRNO(irq_set_eventfd(e.p, e.device, INTX, notefd), EINVAL);
	ASSERT_ERRNO(irq_set_eventfd(e.p, e.device, INTX, closed), EBADF);
	ASSERT_ERRNO(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 0), EINVAL);
	env_teardown(&e);
	close(notefd);
}

TEST(irqs, msi_mask_unmask_enotty)
{
	struct vfio_env e;
	int fd = efd_new();

	edu_setup(&e);
	ASSERT_ERRNO(irq_none(e.p, e.device, MSI, VFIO_IRQ_SET_ACTION_MASK, 1), ENOTTY);
	ASSERT_ERRNO(irq_none(e.p, e.device, MSI, VFIO_IRQ_SET_ACTION_UNMASK, 1), ENOTTY);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, MSI, fd));
	ASSERT_ERRNO(irq_none(e.p, e.device, MSI, VFIO_IRQ_SET_ACTION_MASK, 1), ENOTTY);
	ASSERT_ERRNO(irq_none(e.p, e.device, MSI, VFIO_IRQ_SET_ACTION_UNMASK, 1), ENOTTY);
	env_teardown(&e);
	close(fd);
}

/* §9.14: INTx, MSI and MSI-X exclude each other. */
TEST(irqs, msi_while_intx_einval)
{
	struct vfio_env e;
	int e1 = efd_new(), e2 = efd_new();

	edu_setup(&e);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, INTX, e1));
	ASSERT_ERRNO(irq_set_eventfd(e.p, e.device, MSI, e2), EINVAL);
	ASSERT_OK(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	ASSERT_OK(irq_set_eventfd(e.p, e.device, MSI, e2));
	ASSERT_ERRNO(irq_set_eventfd(e.p, e.device, INTX, e1), EINVAL);
	ASSERT_OK(irq_none(e.p, e.device, MSI, VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	ASSERT_OK(irq_set_eventfd(e.p, e.device, INTX, e1));
	env_teardown(&e);
	close(e1);
	close(e2);
}

TEST(irqs, msi_loopback_and_disable)
{
	struct vfio_env e;
	int fd = efd_new();
	int32_t two[2] = { fd, fd };

	edu_setup(&e);
	ASSERT_ERRNO(set_irqs(e.p, e.device, TRIG_EFD, MSI, 0, 2, two, sizeof(two)), EINVAL);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, MSI, fd));
	ASSERT_OK(irq_none(e.p, e.device, MSI, VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	ASSERT_OK(set_bool(&e, MSI, VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	/* fd -1 removes the vector's trigger; MSI stays enabled. */
	ASSERT_OK(irq_set_eventfd(e.p, e.device, MSI, -1));
	ASSERT_OK(irq_none(e.p, e.device, MSI, VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	efd_assert_quiet(e.w, fd);
	ASSERT_OK(irq_none(e.p, e.device, MSI, VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	ASSERT_ERRNO(irq_none(e.p, e.device, MSI, VFIO_IRQ_SET_ACTION_TRIGGER, 0), EINVAL);
	/* Enabling with no eventfd at all is allowed too. */
	ASSERT_OK(irq_set_eventfd(e.p, e.device, MSI, -1));
	ASSERT_OK(irq_none(e.p, e.device, MSI, VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	env_teardown(&e);
	close(fd);
}

/* REQ: a single eventfd, loopback-testable, cleared with count 0 (oracle extra.txt). */
TEST(irqs, req_trigger)
{
	struct vfio_env e;
	int fd = efd_new();

	edu_setup(&e);
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			      1),
		     EINVAL);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_REQ_IRQ_INDEX, fd));
	ASSERT_OK(irq_none(e.p, e.device, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 1));
	ASSERT_EQ(efd_wait(e.w, fd, 2000), 1);
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_MASK, 1),
		     ENOTTY);
	ASSERT_OK(irq_none(e.p, e.device, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER, 0));
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			      0),
		     EINVAL);
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			      1),
		     EINVAL);
	/* fd -1 clears it as well. */
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_REQ_IRQ_INDEX, fd));
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_REQ_IRQ_INDEX, -1));
	ASSERT_ERRNO(irq_none(e.p, e.device, VFIO_PCI_REQ_IRQ_INDEX, VFIO_IRQ_SET_ACTION_TRIGGER,
			      1),
		     EINVAL);
	env_teardown(&e);
	close(fd);
}

struct unbind_arg {
	struct uvfio_world *w;
	const char *path;
	const char *bdf;
};

static void *unbind_thread(void *arg)
{
	struct unbind_arg *a = arg;

	return (void *)(intptr_t)sysfs_puts(a->w, a->path, a->bdf);
}

/* §1.14/§9.9: unbind of an open device asks the user through REQ and waits for the close. */
TEST(irqs, req_signalled_on_unbind)
{
	struct vfio_env e;
	struct unbind_arg a = { .path = "/sys/bus/pci/drivers/vfio-pci/unbind", .bdf = EDU_BDF };
	struct bg bg;
	char drv[64];
	int fd = efd_new();

	edu_setup(&e);
	a.w = e.w;
	ASSERT_OK(irq_set_eventfd(e.p, e.device, VFIO_PCI_REQ_IRQ_INDEX, fd));
	bg_start(&bg, unbind_thread, &a);
	ASSERT_GE(efd_wait(e.w, fd, 5000), 1);
	ASSERT_FALSE(bg_wait(&bg, 200)); /* still waiting for us */
	/* The device still works while it is being asked for. */
	ASSERT_EQ(bar0_read32(e.p, e.device, EDU_ID), 0x010000ed);
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = -1;
	ASSERT_TRUE(bg_wait(&bg, 5000));
	ASSERT_EQ((intptr_t)bg_join(&bg), (intptr_t)strlen(EDU_BDF));
	ASSERT_STREQ(driver_of(e.w, EDU_BDF, drv, sizeof(drv)), "");
	env_teardown(&e);
	close(fd);
}

/* Last close disables every index: a new session starts with INTx off. */
TEST(irqs, last_close_disables_interrupts)
{
	struct vfio_env e;
	int fd = efd_new();

	edu_setup(&e);
	ASSERT_OK(irq_set_eventfd(e.p, e.device, INTX, fd));
	ASSERT_OK(uvfio_close(e.p, e.device));
	e.device = uvfio_ioctl(e.p, e.group, VFIO_GROUP_GET_DEVICE_FD, EDU_BDF);
	ASSERT_OK(e.device);
	ASSERT_ERRNO(irq_none(e.p, e.device, INTX, VFIO_IRQ_SET_ACTION_TRIGGER, 1), EINVAL);
	edu_raise(&e, 1);
	efd_assert_quiet(e.w, fd);
	env_teardown(&e);
	close(fd);
}

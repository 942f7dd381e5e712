// SPDX-License-Identifier: MIT
/*
 * mtty: the kernel's sample mdev vendor driver (samples/vfio-mdev/mtty.c of
 * Linux 6.12; digest §7.6) as a parent model. A parent is a virtual class
 * device /sys/devices/virtual/mtty/<name> offering the types mtty-1 ("Single
 * port serial", BAR0) and mtty-2 ("Dual port serial", BAR0 + BAR1) out of a
 * pool of ports (24 by default, `ports=N`). Each instance is a VFIO PCI device
 * (4348:3253, class 070002) with a 16550-style UART and a 16-byte loopback
 * FIFO behind each 8-byte I/O BAR, INTx and MSI through eventfds.
 *
 * Where the sample differs from one kernel module with one global parent:
 * the port pool is per parent, and the mdev driver "mtty" is registered once
 * per world and shared by every mtty parent of that world (refcounted).
 *
 * Not modelled: migration (the sample's v2 state machine, its data stream and
 * dirty-tracking stubs), the iommufd emulated ops (uvfio has no cdev path).
 * Deliberate departures from sample bugs are listed in docs/devices.md.
 */
#include <errno.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include <linux/pci_regs.h>
#include <linux/serial_reg.h>

#include "base/class.h"
#include "devices/models.h"
#include "mdev/mdev.h"
#include "vfio/vfio.h"

#define MTTY_CLASS_NAME "mtty"
#define MTTY_DRIVER_NAME "mtty"
#define MTTY_DEFAULT_PORTS 24
#define MTTY_MAX_PORTS 4096
#define MTTY_CONFIG_SPACE_SIZE 0xff /* what GET_REGION_INFO reports */
#define MTTY_CONFIG_BYTES 0x100 /* what is stored (a dword at 0xfc stays in bounds) */
#define MTTY_IO_BAR_SIZE 8
#define MTTY_FIFO_SIZE 16
#define MTTY_OFFSET_SHIFT 40
#define MTTY_OFFSET_MASK ((1ull << MTTY_OFFSET_SHIFT) - 1)
#define MTTY_INDEX_TO_OFFSET(i) ((u64)(i) << MTTY_OFFSET_SHIFT)

struct mtty_type {
	struct mdev_type type;
	unsigned int nr_ports;
};

/*
 * The mdev driver "mtty" of a world, shared by its mtty parents: registered
 * by the first parent, unregistered by the last.
 */
struct mtty_driver {
	struct mdev_driver drv;
	unsigned int users; /* parents using it; protected by the mdev bus's lock */
};

/* One parent. Its pool outlives every instance: unregistration waits for them. */
struct mtty_parent {
	struct device *dev;
	struct mtty_driver *driver;
	struct mdev_parent parent;
	struct mtty_type types[2];
	struct mdev_type *type_list[2];
	atomic_uint avail_ports;
};

/* One 16550 behind one BAR. All fields are protected by mdev_state.lock. */
struct mtty_port {
	u8 ier, lcr, mcr, scr, fcr;
	u8 fifo[MTTY_FIFO_SIZE]; /* loopback: THR writes in at head, RBR reads out at tail */
	u8 head, tail, count;
	u8 max_fifo_size; /* 16 in FIFO mode, 1 otherwise */
	u8 trigger_level; /* 0 until the first FCR write, as in the sample */
	bool dlab, overrun;
	u16 divisor;
};

/*
 * One instance.
 * Lock order: dev_set->lock (open/close) → lock.
 */
struct mdev_state {
	struct vfio_device vdev; /* first: the VFIO core frees us through release */
	struct mtty_parent *mparent;
	unsigned int nr_ports;
	struct mutex lock; /* everything below: the sample's ops_lock and rxtx_lock */
	u8 vconfig[MTTY_CONFIG_BYTES];
	u32 bar_mask[2];
	struct mtty_port s[2];
	u32 num_irqs; /* cached by GET_INFO; 0 before it (the sample's quirk) */
	int irq_index; /* VFIO_PCI_INTX/MSI_IRQ_INDEX or -1 */
	struct eventfd_ctx *intx_evtfd;
	struct eventfd_ctx *msi_evtfd;
	bool intx_mask;
};

static const struct vfio_device_ops mtty_dev_ops;

static struct mdev_state *to_mtty(struct vfio_device *vdev)
{
	return container_of(vdev, struct mdev_state, vdev);
}

/* --- the port pool ------------------------------------------------------------------------- */

static int mtty_take_ports(struct mtty_parent *mp, unsigned int n)
{
	unsigned int avail = atomic_load(&mp->avail_ports);

	do {
		if (avail < n)
			return -ENOSPC;
	} while (!atomic_compare_exchange_weak(&mp->avail_ports, &avail, avail - n));
	return 0;
}

static void mtty_return_ports(struct mtty_parent *mp, unsigned int n)
{
	atomic_fetch_add(&mp->avail_ports, n);
}

static unsigned int mtty_get_available(struct mdev_type *mtype)
{
	struct mtty_type *type = container_of(mtype, struct mtty_type, type);
	struct mtty_parent *mp = container_of(mtype->parent, struct mtty_parent, parent);

	return atomic_load(&mp->avail_ports) / type->nr_ports;
}

/* --- interrupts ---------------------------------------------------------------------------- */

static bool is_intx(struct mdev_state *st)
{
	return st->irq_index == VFIO_PCI_INTX_IRQ_INDEX;
}

static bool is_msi(struct mdev_state *st)
{
	return st->irq_index == VFIO_PCI_MSI_IRQ_INDEX;
}

static bool is_noirq(struct mdev_state *st)
{
	return !is_intx(st) && !is_msi(st);
}

/* MSI always signals; INTx signals unless masked and then masks itself (automask). */
static void mtty_trigger_interrupt(struct mdev_state *st)
{
	lockdep_assert_held(&st->lock);
	if (is_msi(st)) {
		if (st->msi_evtfd)
			eventfd_signal(st->msi_evtfd);
	} else if (is_intx(st)) {
		if (st->intx_evtfd && !st->intx_mask) {
			eventfd_signal(st->intx_evtfd);
			st->intx_mask = true;
		}
	}
}

static void mtty_disable_intx(struct mdev_state *st)
{
	lockdep_assert_held(&st->lock);
	if (st->intx_evtfd) {
		eventfd_ctx_put(st->intx_evtfd);
		st->intx_evtfd = NULL;
		st->intx_mask = false;
		st->irq_index = -1;
	}
}

static void mtty_disable_msi(struct mdev_state *st)
{
	lockdep_assert_held(&st->lock);
	if (st->msi_evtfd) {
		eventfd_ctx_put(st->msi_evtfd);
		st->msi_evtfd = NULL;
		st->irq_index = -1;
	}
}

/* --- config space -------------------------------------------------------------------------- */

static void put_le16(u8 *p, u16 v)
{
	p[0] = (u8)v;
	p[1] = (u8)(v >> 8);
}

static void put_le32(u8 *p, u32 v)
{
	put_le16(p, (u16)v);
	put_le16(p + 2, (u16)(v >> 16));
}

static void mtty_create_config_space(struct mdev_state *st)
{
	static const char ident[] = "PCI Serial/UART";
	u8 *c = st->vconfig;

	put_le16(c + PCI_VENDOR_ID, 0x4348);
	put_le16(c + PCI_DEVICE_ID, 0x3253);
	put_le16(c + PCI_COMMAND, PCI_COMMAND_IO);
	put_le16(c + PCI_STATUS, 0x0200); /* the sample's value: no capability list */
	c[PCI_REVISION_ID] = 0x10;
	c[PCI_CLASS_PROG] = 0x02; /* 16550-compatible */
	c[PCI_CLASS_DEVICE] = 0x00; /* serial controller */
	c[PCI_CLASS_DEVICE + 1] = 0x07; /* simple communication controller */
	put_le32(c + PCI_BASE_ADDRESS_0, PCI_BASE_ADDRESS_SPACE_IO);
	st->bar_mask[0] = ~(u32)MTTY_IO_BAR_SIZE + 1;
	if (st->nr_ports == 2) {
		put_le32(c + PCI_BASE_ADDRESS_1, PCI_BASE_ADDRESS_SPACE_IO);
		st->bar_mask[1] = ~(u32)MTTY_IO_BAR_SIZE + 1;
	}
	put_le16(c + PCI_SUBSYSTEM_VENDOR_ID, 0x4348);
	put_le16(c + PCI_SUBSYSTEM_ID, 0x3253);
	c[PCI_CAPABILITY_LIST] = 0;
	c[PCI_INTERRUPT_PIN] = 1; /* INTA# */
	/* Vendor-specific bytes as the sample has them. */
	c[0x40] = 0x23;
	c[0x43] = 0x80;
	c[0x44] = 0x23;
	c[0x48] = 0x23;
	c[0x4c] = 0x23;
	memcpy(c + 0x60, ident, sizeof(ident) - 1);
}

/*
 * A config write of one piece (1, 2 or 4 bytes at off): only the registers the
 * sample handles change, each keyed by the exact offset written.
 */
static void mtty_config_write(struct mdev_state *st, unsigned int off, const u8 *buf,
			      unsigned int count)
{
	unsigned int bar;
	u32 val = 0;

	lockdep_assert_held(&st->lock);
	for (unsigned int i = 0; i < count; i++)
		val |= (u32)buf[i] << (8 * i);

	switch (off) {
	case PCI_COMMAND:
	case PCI_STATUS:
	case PCI_INTERRUPT_PIN: /* hardwired to INTA# */
		break;
	case PCI_INTERRUPT_LINE:
		st->vconfig[PCI_INTERRUPT_LINE] = buf[0];
		break;
	case PCI_BASE_ADDRESS_0:
	case PCI_BASE_ADDRESS_1:
		bar = off == PCI_BASE_ADDRESS_0 ? 0 : 1;
		if (bar >= st->nr_ports) {
			put_le32(st->vconfig + off, 0);
			break;
		}
		if (val == 0xffffffff)
			val &= st->bar_mask[bar];
		/* The low two bits (I/O space indicator) are read-only. */
		val |= st->vconfig[off] & 0x3u;
		put_le32(st->vconfig + off, val);
		break;
	case PCI_BASE_ADDRESS_2:
	case PCI_BASE_ADDRESS_3:
	case PCI_BASE_ADDRESS_4:
		put_le32(st->vconfig + off, 0);
		break;
	default:
		dev_info(st->vdev.dev, "PCI config write @%#x of %u bytes not handled", off, count);
		break;
	}
}

/* --- the UART ------------------------------------------------------------------------------ */

static bool fifo_empty(const struct mtty_port *p)
{
	return p->count == 0;
}

static void mtty_bar_write(struct mdev_state *st, struct mtty_port *p, unsigned int off, u8 data)
{
	lockdep_assert_held(&st->lock);
	switch (off) {
	case UART_TX:
		if (p->dlab) {
			p->divisor |= data; /* DLL: ORed in, as the sample does */
			break;
		}
		if (p->count < p->max_fifo_size) {
			p->fifo[p->head] = data;
			p->head = (u8)((p->head + 1) % MTTY_FIFO_SIZE);
			p->count++;
			p->overrun = false;
			if ((p->ier & UART_IER_RDI) && p->count == p->trigger_level)
				mtty_trigger_interrupt(st);
		} else {
			p->overrun = true;
			if (p->ier & UART_IER_RLSI)
				mtty_trigger_interrupt(st);
		}
		break;
	case UART_IER:
		if (p->dlab) {
			p->divisor |= (u16)(data << 8); /* DLM */
			break;
		}
		p->ier = data;
		if ((data & UART_IER_THRI) && fifo_empty(p))
			mtty_trigger_interrupt(st);
		break;
	case UART_FCR:
		p->fcr = data;
		if (data & (UART_FCR_CLEAR_RCVR | UART_FCR_CLEAR_XMIT)) {
			p->count = 0;
			p->head = 0;
			p->tail = 0;
		}
		/*
		 * The sample decodes the trigger level and then overrides it: there
		 * is no receive timeout, so only a level of 1 delivers every byte.
		 */
		p->trigger_level = 1;
		p->max_fifo_size = (data & UART_FCR_ENABLE_FIFO) ? MTTY_FIFO_SIZE : 1;
		break;
	case UART_LCR:
		if (data & UART_LCR_DLAB) {
			p->dlab = true;
			p->divisor = 0;
		} else {
			p->dlab = false;
		}
		p->lcr = data;
		break;
	case UART_MCR:
		p->mcr = data;
		if ((p->ier & UART_IER_MSI) && (data & UART_MCR_OUT2))
			mtty_trigger_interrupt(st);
		if ((p->ier & UART_IER_MSI) && (data & (UART_MCR_RTS | UART_MCR_DTR)))
			mtty_trigger_interrupt(st);
		break;
	case UART_LSR:
	case UART_MSR:
		break;
	case UART_SCR:
		p->scr = data;
		break;
	}
}

/* The highest-priority pending cause, as a 16550 reports it in IIR. */
static u8 mtty_iir(const struct mtty_port *p)
{
	u8 iir;

	if ((p->ier & UART_IER_RLSI) && p->overrun)
		iir = UART_IIR_RLSI;
	else if ((p->ier & UART_IER_RDI) && p->count >= p->trigger_level)
		iir = UART_IIR_RDI;
	else if ((p->ier & UART_IER_THRI) && fifo_empty(p))
		iir = UART_IIR_THRI;
	else if ((p->ier & UART_IER_MSI) && (p->mcr & (UART_MCR_RTS | UART_MCR_DTR)))
		iir = UART_IIR_MSI;
	else
		iir = UART_IIR_NO_INT;
	return iir | 0xc0; /* FIFOs enabled, as a 16550A shows */
}

static u8 mtty_bar_read(struct mdev_state *st, struct mtty_port *p, unsigned int off)
{
	u8 v = 0;

	lockdep_assert_held(&st->lock);
	switch (off) {
	case UART_RX:
		if (p->dlab)
			return (u8)p->divisor;
		if (!fifo_empty(p)) {
			v = p->fifo[p->tail];
			p->tail = (u8)((p->tail + 1) % MTTY_FIFO_SIZE);
			p->count--;
		}
		/* Drained: the "transmitter" is empty again. */
		if (fifo_empty(p) && (p->ier & UART_IER_THRI))
			mtty_trigger_interrupt(st);
		return v;
	case UART_IER:
		if (p->dlab)
			return (u8)(p->divisor >> 8);
		return p->ier & 0x0f;
	case UART_IIR:
		return mtty_iir(p);
	case UART_LCR:
		return p->lcr;
	case UART_MCR:
		return p->mcr;
	case UART_LSR:
		if (!fifo_empty(p))
			v |= UART_LSR_DR;
		if (p->overrun)
			v |= UART_LSR_OE;
		if (fifo_empty(p))
			v |= UART_LSR_TEMT | UART_LSR_THRE;
		return v;
	case UART_MSR:
		v = UART_MSR_DSR | UART_MSR_DDSR | UART_MSR_DCD;
		/* With auto flow control CTS says whether the FIFO has room. */
		if (!(p->mcr & UART_MCR_AFE) || p->count < p->max_fifo_size)
			v |= UART_MSR_CTS | UART_MSR_DCTS;
		return v;
	case UART_SCR:
		return p->scr;
	}
	return 0;
}

/* --- region access ------------------------------------------------------------------------- */

/*
 * One naturally aligned piece of 1, 2 or 4 bytes at pos. A UART register is
 * one byte: a wider access uses (and returns) its first byte only, as the
 * sample does. -EFAULT where there is nothing (the sample's read/write error).
 */
static int mtty_access(struct mdev_state *st, u8 *buf, unsigned int count, u64 pos, bool write)
{
	unsigned int index = (unsigned int)(pos >> MTTY_OFFSET_SHIFT);
	u64 off = pos & MTTY_OFFSET_MASK;
	int ret = 0;

	mutex_lock(&st->lock);
	switch (index) {
	case VFIO_PCI_CONFIG_REGION_INDEX:
		if (off + count > MTTY_CONFIG_BYTES) {
			ret = -EFAULT;
			break;
		}
		if (write)
			mtty_config_write(st, (unsigned int)off, buf, count);
		else
			memcpy(buf, st->vconfig + off, count);
		break;
	case VFIO_PCI_BAR0_REGION_INDEX:
	case VFIO_PCI_BAR1_REGION_INDEX:
		if (index >= st->nr_ports || off >= MTTY_IO_BAR_SIZE) {
			ret = -EFAULT;
			break;
		}
		if (write) {
			mtty_bar_write(st, &st->s[index], (unsigned int)off, buf[0]);
		} else {
			memset(buf, 0, count);
			buf[0] = mtty_bar_read(st, &st->s[index], (unsigned int)off);
		}
		break;
	default:
		ret = -EFAULT;
		break;
	}
	mutex_unlock(&st->lock);
	return ret;
}

static unsigned int piece_size(size_t count, u64 pos)
{
	if (count >= 4 && !(pos % 4))
		return 4;
	if (count >= 2 && !(pos % 2))
		return 2;
	return 1;
}

static ssize_t mtty_rw(struct vfio_device *vdev, char *buf, size_t count, s64 *ppos, bool write)
{
	struct mdev_state *st = to_mtty(vdev);
	size_t done = 0;

	while (count) {
		unsigned int n = piece_size(count, (u64)*ppos);
		int ret = mtty_access(st, (u8 *)buf + done, n, (u64)*ppos, write);

		if (ret)
			return ret;
		count -= n;
		done += n;
		*ppos += n;
	}
	return (ssize_t)done;
}

static ssize_t mtty_read(struct vfio_device *vdev, char *buf, size_t count, s64 *ppos)
{
	return mtty_rw(vdev, buf, count, ppos, false);
}

static ssize_t mtty_write(struct vfio_device *vdev, const char *buf, size_t count, s64 *ppos)
{
	/* Pieces are copied so the caller's buffer stays const. */
	char tmp[64];
	size_t done = 0;

	while (done < count) {
		size_t n = min(count - done, sizeof(tmp));
		ssize_t ret;

		memcpy(tmp, buf + done, n);
		ret = mtty_rw(vdev, tmp, n, ppos, true);
		if (ret < 0)
			return ret;
		done += n;
	}
	return (ssize_t)done;
}

/* --- ioctls -------------------------------------------------------------------------------- */

static int mtty_set_irqs(struct mdev_state *st, struct task *t, u32 flags, unsigned int index,
			 unsigned int start, unsigned int count, const u8 *data)
{
	u32 action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;
	bool this_active;
	int ret = 0;

	lockdep_assert_held(&st->lock);
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		switch (action) {
		case VFIO_IRQ_SET_ACTION_MASK:
		case VFIO_IRQ_SET_ACTION_UNMASK:
			if (!is_intx(st) || start != 0 || count != 1)
				return -EINVAL;
			if (flags & VFIO_IRQ_SET_DATA_NONE)
				st->intx_mask = action == VFIO_IRQ_SET_ACTION_MASK;
			else if (flags & VFIO_IRQ_SET_DATA_BOOL)
				st->intx_mask = data[0] ? action == VFIO_IRQ_SET_ACTION_MASK :
							  st->intx_mask;
			else if (flags & VFIO_IRQ_SET_DATA_EVENTFD)
				ret = -ENOTTY; /* no mask/unmask eventfds */
			return ret;
		case VFIO_IRQ_SET_ACTION_TRIGGER:
			if (is_intx(st) && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
				mtty_disable_intx(st);
				return 0;
			}
			break;
		default:
			return ret;
		}
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
		switch (action) {
		case VFIO_IRQ_SET_ACTION_MASK:
		case VFIO_IRQ_SET_ACTION_UNMASK:
			return -ENOTTY;
		case VFIO_IRQ_SET_ACTION_TRIGGER:
			if (is_msi(st) && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
				mtty_disable_msi(st);
				return 0;
			}
			break;
		default:
			return ret;
		}
		break;
	default: /* MSI-X, ERR, REQ */
		return -ENOTTY;
	}

	/* TRIGGER of INTx or MSI: only while it or nothing is the active index. */
	this_active = index == VFIO_PCI_INTX_IRQ_INDEX ? is_intx(st) : is_msi(st);
	if (!(this_active || is_noirq(st)) || start != 0 || count != 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		s32 fd;
		struct eventfd_ctx *evt;

		memcpy(&fd, data, sizeof(fd));
		if (index == VFIO_PCI_INTX_IRQ_INDEX)
			mtty_disable_intx(st);
		else
			mtty_disable_msi(st);
		if (fd < 0)
			return 0;
		evt = t->ops->eventfd_ctx_fdget(t, fd);
		if (IS_ERR(evt))
			return (int)PTR_ERR(evt);
		if (index == VFIO_PCI_INTX_IRQ_INDEX)
			st->intx_evtfd = evt;
		else
			st->msi_evtfd = evt;
		st->irq_index = (int)index;
		return 0;
	}
	if (!this_active)
		return -EINVAL;
	/* A loopback interrupt injected by the user. */
	if ((flags & VFIO_IRQ_SET_DATA_NONE) || ((flags & VFIO_IRQ_SET_DATA_BOOL) && data[0]))
		mtty_trigger_interrupt(st);
	return 0;
}

static long mtty_ioctl_set_irqs(struct mdev_state *st, struct task *t, unsigned long arg)
{
	size_t minsz = offsetofend(struct vfio_irq_set, count);
	struct vfio_irq_set hdr;
	size_t data_size = 0;
	u8 *data = NULL;
	int num_irqs, ret;

	if (copy_from_user(t, &hdr, arg, minsz))
		return -EFAULT;
	mutex_lock(&st->lock);
	num_irqs = (int)st->num_irqs;
	mutex_unlock(&st->lock);
	ret = vfio_set_irqs_validate_and_prepare(&hdr, num_irqs, VFIO_PCI_NUM_IRQS, &data_size);
	if (ret)
		return ret;
	if (data_size) {
		data = xzalloc(data_size);
		if (copy_from_user(t, data, arg + minsz, data_size)) {
			free(data);
			return -EFAULT;
		}
	}
	mutex_lock(&st->lock);
	ret = mtty_set_irqs(st, t, hdr.flags, hdr.index, hdr.start, hdr.count, data);
	mutex_unlock(&st->lock);
	free(data);
	return ret;
}

static long mtty_ioctl(struct vfio_device *vdev, struct task *t, unsigned int cmd,
		       unsigned long arg)
{
	struct mdev_state *st = to_mtty(vdev);
	size_t minsz;

	switch (cmd) {
	case VFIO_DEVICE_GET_INFO: {
		struct vfio_device_info info;

		minsz = offsetofend(struct vfio_device_info, num_irqs);
		if (copy_from_user(t, &info, arg, minsz))
			return -EFAULT;
		if (info.argsz < minsz)
			return -EINVAL;
		info.flags = VFIO_DEVICE_FLAGS_PCI;
		info.num_regions = VFIO_PCI_NUM_REGIONS;
		info.num_irqs = VFIO_PCI_NUM_IRQS;
		/* The sample caches the reply; IRQ ioctls validate against it. */
		mutex_lock(&st->lock);
		st->num_irqs = info.num_irqs;
		mutex_unlock(&st->lock);
		return copy_to_user(t, arg, &info, minsz) ? -EFAULT : 0;
	}
	case VFIO_DEVICE_GET_REGION_INFO: {
		struct vfio_region_info info;

		minsz = offsetofend(struct vfio_region_info, offset);
		if (copy_from_user(t, &info, arg, minsz))
			return -EFAULT;
		if (info.argsz < minsz)
			return -EINVAL;
		if (info.index >= VFIO_PCI_NUM_REGIONS)
			return -EINVAL;
		switch (info.index) {
		case VFIO_PCI_CONFIG_REGION_INDEX:
			info.size = MTTY_CONFIG_SPACE_SIZE;
			break;
		case VFIO_PCI_BAR0_REGION_INDEX:
			info.size = MTTY_IO_BAR_SIZE;
			break;
		case VFIO_PCI_BAR1_REGION_INDEX:
			info.size = st->nr_ports == 2 ? MTTY_IO_BAR_SIZE : 0;
			break;
		default:
			info.size = 0;
			break;
		}
		info.offset = MTTY_INDEX_TO_OFFSET(info.index);
		info.flags = VFIO_REGION_INFO_FLAG_READ | VFIO_REGION_INFO_FLAG_WRITE;
		return copy_to_user(t, arg, &info, minsz) ? -EFAULT : 0;
	}
	case VFIO_DEVICE_GET_IRQ_INFO: {
		struct vfio_irq_info info;
		u32 num_irqs;

		minsz = offsetofend(struct vfio_irq_info, count);
		if (copy_from_user(t, &info, arg, minsz))
			return -EFAULT;
		mutex_lock(&st->lock);
		num_irqs = st->num_irqs;
		mutex_unlock(&st->lock);
		if (info.argsz < minsz || info.index >= num_irqs)
			return -EINVAL;
		if (info.index != VFIO_PCI_INTX_IRQ_INDEX && info.index != VFIO_PCI_MSI_IRQ_INDEX)
			return -EINVAL;
		info.flags = VFIO_IRQ_INFO_EVENTFD;
		info.count = 1;
		if (info.index == VFIO_PCI_INTX_IRQ_INDEX)
			info.flags |= VFIO_IRQ_INFO_MASKABLE | VFIO_IRQ_INFO_AUTOMASKED;
		else
			info.flags |= VFIO_IRQ_INFO_NORESIZE;
		return copy_to_user(t, arg, &info, minsz) ? -EFAULT : 0;
	}
	case VFIO_DEVICE_SET_IRQS:
		return mtty_ioctl_set_irqs(st, t, arg);
	case VFIO_DEVICE_RESET:
		/*
		 * The sample's reset only returns the migration state to RUNNING;
		 * UART, FIFO, interrupt and config state are kept. Without migration
		 * there is nothing to do.
		 */
		return 0;
	}
	return -ENOTTY;
}

/* --- the vfio_device ----------------------------------------------------------------------- */

/* Takes the type's ports from the parent's pool (-ENOSPC) and builds the device. */
static int mtty_init_dev(struct vfio_device *vdev)
{
	struct mdev_state *st = to_mtty(vdev);
	struct mdev_device *mdev = to_mdev_device(vdev->dev);
	struct mtty_type *type = container_of(mdev->type, struct mtty_type, type);
	struct mtty_parent *mp = container_of(mdev->type->parent, struct mtty_parent, parent);
	int ret;

	ret = mtty_take_ports(mp, type->nr_ports);
	if (ret)
		return ret;
	st->mparent = mp;
	st->nr_ports = type->nr_ports;
	st->irq_index = -1;
	st->s[0].max_fifo_size = MTTY_FIFO_SIZE;
	st->s[1].max_fifo_size = MTTY_FIFO_SIZE;
	mutex_init(&st->lock, "mtty.lock");
	mtty_create_config_space(st);
	return 0;
}

static void mtty_release_dev(struct vfio_device *vdev)
{
	struct mdev_state *st = to_mtty(vdev);

	mtty_return_ports(st->mparent, st->nr_ports);
	mutex_destroy(&st->lock);
	free(st);
}

/* The last close of the device: drop the user's eventfds. */
static void mtty_close_device(struct vfio_device *vdev)
{
	struct mdev_state *st = to_mtty(vdev);

	mutex_lock(&st->lock);
	mtty_disable_intx(st);
	mtty_disable_msi(st);
	mutex_unlock(&st->lock);
}

static const struct vfio_device_ops mtty_dev_ops = {
	.name = "vfio-mtty",
	.init = mtty_init_dev,
	.release = mtty_release_dev,
	.close_device = mtty_close_device,
	.read = mtty_read,
	.write = mtty_write,
	.ioctl = mtty_ioctl,
};

static int mtty_probe(struct mdev_device *mdev)
{
	struct mdev_core *core = mdev_core_of_mdev(mdev);
	struct mdev_state *st = xzalloc(sizeof(*st));
	int ret;

	/* On failure vfio_init_device has undone itself and released nothing of ours. */
	ret = vfio_init_device(&st->vdev, core->vfio, &mdev->dev, &mtty_dev_ops);
	if (ret) {
		free(st);
		return ret;
	}
	ret = vfio_register_emulated_iommu_dev(&st->vdev);
	if (ret) {
		vfio_put_device(&st->vdev);
		return ret;
	}
	mdev->dev.driver_data = st;
	return 0;
}

/* Blocks until the VFIO user closes the device: mtty has no request op. */
static void mtty_remove(struct mdev_device *mdev)
{
	struct mdev_state *st = mdev->dev.driver_data;

	vfio_unregister_group_dev(&st->vdev);
	vfio_put_device(&st->vdev);
}

/* --- the driver and the parent ------------------------------------------------------------- */

static const struct mtty_type mtty_type_templates[2] = {
	{ .type = { .sysfs_name = "1", .pretty_name = "Single port serial" }, .nr_ports = 1 },
	{ .type = { .sysfs_name = "2", .pretty_name = "Dual port serial" }, .nr_ports = 2 },
};

/*
 * The world's "mtty" driver with a new user, registering it if no parent has.
 * users lives under the mdev bus's lock, which the driver core holds only
 * briefly and never across a callback, so the lookup and the count are one
 * step; registration happens outside it. A driver whose users dropped to 0 is
 * on its way out: wait until its unregistration takes it off the bus.
 */
static struct mtty_driver *mtty_driver_get(struct mdev_core *core, int *err)
{
	struct bus *bus = &core->bus;

	for (;;) {
		struct device_driver *drv;
		struct mtty_driver *md = NULL;
		bool dying = false;

		mutex_lock(&bus->lock);
		list_for_each_entry(drv, &bus->drivers, bus_node) {
			if (strcmp(drv->name, MTTY_DRIVER_NAME))
				continue;
			md = container_of(drv, struct mtty_driver, drv.driver);
			if (md->users)
				md->users++;
			else
				dying = true;
			break;
		}
		mutex_unlock(&bus->lock);
		if (md && !dying)
			return md;
		if (dying) {
			usleep(1000);
			continue;
		}

		md = xzalloc(sizeof(*md));
		md->drv.device_api = VFIO_DEVICE_API_PCI_STRING;
		md->drv.probe = mtty_probe;
		md->drv.remove = mtty_remove;
		md->drv.get_available = mtty_get_available;
		md->drv.driver.name = MTTY_DRIVER_NAME;
		md->users = 1;
		*err = mdev_register_driver(core, &md->drv);
		if (!*err)
			return md;
		free(md);
		/* Another parent registered it first: use theirs. */
		if (*err != -EBUSY)
			return NULL;
	}
}

static void mtty_driver_put(struct mtty_driver *md)
{
	struct bus *bus = md->drv.driver.bus;
	bool last;

	mutex_lock(&bus->lock);
	last = --md->users == 0;
	mutex_unlock(&bus->lock);
	if (!last)
		return;
	/* Its parents are unregistered: no instance is bound, nothing blocks here. */
	mdev_unregister_driver(&md->drv);
	free(md);
}

static int mtty_parent_add(struct mdev_core *core, const char *name,
			   const struct model_param *params, unsigned int nparams, void **instance,
			   char *err, size_t errlen)
{
	static const char *const known[] = { "ports", NULL };
	unsigned long long ports = MTTY_DEFAULT_PORTS;
	struct mtty_parent *mp;
	bool found;
	int ret;

	ret = model_check_params(params, nparams, known, err, errlen);
	if (ret)
		return ret;
	ret = model_param_get_u64(params, nparams, "ports", MTTY_MAX_PORTS, &ports, &found, err,
				  errlen);
	if (ret)
		return ret;

	mp = xzalloc(sizeof(*mp));
	atomic_init(&mp->avail_ports, (unsigned int)ports);
	for (unsigned int i = 0; i < ARRAY_SIZE(mp->types); i++) {
		mp->types[i] = mtty_type_templates[i];
		mp->type_list[i] = &mp->types[i].type;
	}
	mp->dev = virtual_device_create(core->classes, MTTY_CLASS_NAME, name, &ret);
	if (!mp->dev) {
		snprintf(err, errlen, "cannot create the %s device '%s' (%s)", MTTY_CLASS_NAME,
			 name, strerror(-ret));
		goto err_free;
	}
	mp->driver = mtty_driver_get(core, &ret);
	if (!mp->driver) {
		snprintf(err, errlen, "cannot register the mdev driver mtty (%s)", strerror(-ret));
		goto err_device;
	}
	ret = mdev_register_parent(&mp->parent, mp->dev, &mp->driver->drv, mp->type_list,
				   ARRAY_SIZE(mp->type_list));
	if (ret) {
		snprintf(err, errlen, "cannot register the mdev parent (%s)", strerror(-ret));
		goto err_driver;
	}
	*instance = mp;
	return 0;

err_driver:
	mtty_driver_put(mp->driver);
err_device:
	virtual_device_destroy(mp->dev);
err_free:
	free(mp);
	return ret;
}

/* Unregistration removes every instance first, each waiting for its VFIO user. */
static void mtty_parent_remove(void *instance)
{
	struct mtty_parent *mp = instance;

	mdev_unregister_parent(&mp->parent);
	mtty_driver_put(mp->driver);
	virtual_device_destroy(mp->dev);
	free(mp);
}

const struct mdev_parent_model mtty_parent_model = {
	.name = "mtty",
	.add = mtty_parent_add,
	.remove = mtty_parent_remove,
};

// SPDX-License-Identifier: MIT
/*
 * vfio-pci interrupts (drivers/vfio/pci/vfio_pci_intrs.c): INTx, MSI, MSI-X,
 * ERR and REQ through the user's eventfds.
 *
 * INTx is level-triggered and auto-masked: the host handler masks the line
 * (DisINTx in the function's command register, when the function supports
 * it) and signals the trigger; it stays masked until an UNMASK through the
 * ioctl, the unmask eventfd (virqfd) or the virtual DisINTx bit. An unmask
 * that finds the line still asserted re-signals instead of unmasking.
 *
 * Lock order: igate → irqlock → (pci cfg_lock). The host handlers run with
 * the function's irq_call_lock held and take irqlock; nothing that holds
 * irqlock makes the function deliver an interrupt synchronously.
 */
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "base/trace.h"
#include "vfio/pci/vfio_pci_priv.h"
#include "base/env.h"

/*
 * The caller's eventfd by descriptor number: resolved in the caller's own
 * descriptor table (what eventfd_ctx_fdget() does with current's), i.e.
 * through the task of the SET_IRQS in progress (igate held).
 */
static struct eventfd_ctx *vfio_pci_eventfd_get(struct vfio_pci_core_device *vdev, int fd)
{
	struct task *t = vdev->irq_caller;

	lockdep_assert_held(&vdev->igate);
	if (!t)
		return ERR_PTR(-EBADF);
	return t->ops->eventfd_ctx_fdget(t, fd);
}

static bool irq_is(struct vfio_pci_core_device *vdev, int type)
{
	return vdev->irq_type == type;
}

static bool is_intx(struct vfio_pci_core_device *vdev)
{
	return vdev->irq_type == VFIO_PCI_IRQ_INTX;
}

static bool is_irq_none(struct vfio_pci_core_device *vdev)
{
	return vdev->irq_type == VFIO_PCI_IRQ_NONE;
}

static struct vfio_pci_irq_ctx *vfio_irq_ctx_get(struct vfio_pci_core_device *vdev,
						 unsigned int index)
{
	return index < vdev->num_ctx ? &vdev->ctx[index] : NULL;
}

/* The trace's {"op":"irq"}: which of the device's interrupts reached its user. */
static void vfio_trace_irq(struct vfio_pci_core_device *vdev, const char *index, long vector)
{
	struct trace_sink *trace = vdev->vdev.vfio->env->trace;

	if (trace_accesses(trace))
		trace_emit(trace, "{\"op\":\"irq\",\"dev\":\"%s\",\"index\":\"%s\",\"vector\":%ld}",
			   dev_name(&vdev->pdev->dev), index, vector);
}

/* Signals trigger, taking a reference under irqlock so a concurrent swap cannot free it. */
static void vfio_signal_ctx(struct vfio_pci_core_device *vdev, struct vfio_pci_irq_ctx *ctx)
{
	static const char *const names[] = { "intx", "msi", "msix" };
	struct eventfd_ctx *trigger;
	int type;

	mutex_lock(&vdev->irqlock);
	trigger = ctx->trigger ? eventfd_ctx_get(ctx->trigger) : NULL;
	type = vdev->irq_type;
	mutex_unlock(&vdev->irqlock);
	if (trigger) {
		eventfd_signal(trigger);
		eventfd_ctx_put(trigger);
		vfio_trace_irq(vdev, type >= 0 && type < 3 ? names[type] : "?", ctx - vdev->ctx);
	}
}

static void vfio_send_intx_eventfd(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_irq_ctx *ctx = vfio_irq_ctx_get(vdev, 0);
	bool send;

	mutex_lock(&vdev->irqlock);
	send = is_intx(vdev) && !vdev->virq_disabled && ctx;
	mutex_unlock(&vdev->irqlock);
	if (send)
		vfio_signal_ctx(vdev, ctx);
}

static void pci_intx(struct pci_dev *pdev, bool enable)
{
	u16 cmd = pci_command(pdev), new;

	new = enable ? cmd & ~PCI_COMMAND_INTX_DISABLE : cmd | PCI_COMMAND_INTX_DISABLE;
	if (new != cmd)
		pci_write_config(pdev, PCI_COMMAND, new, 2);
}

void vfio_pci_intx_mask(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_irq_ctx *ctx;

	mutex_lock(&vdev->irqlock);
	/* Without INTx in use, the physical bit just follows the virtual one. */
	if (!is_intx(vdev)) {
		if (vdev->pci_2_3)
			pci_intx(vdev->pdev, false);
		goto out_unlock;
	}
	ctx = vfio_irq_ctx_get(vdev, 0);
	if (!ctx->masked) {
		pci_intx(vdev->pdev, false);
		ctx->masked = true;
	}
out_unlock:
	mutex_unlock(&vdev->irqlock);
}

/* Returns 1 when the line is still asserted: the caller re-signals the user. */
static int vfio_pci_intx_unmask_handler(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_irq_ctx *ctx;
	int ret = 0;

	mutex_lock(&vdev->irqlock);
	if (!is_intx(vdev)) {
		if (vdev->pci_2_3)
			pci_intx(vdev->pdev, true);
		goto out_unlock;
	}
	ctx = vfio_irq_ctx_get(vdev, 0);
	if (ctx->masked && !vdev->virq_disabled) {
		if (!pci_check_and_unmask_intx(vdev->pdev))
			ret = 1;
		ctx->masked = ret > 0;
	}
out_unlock:
	mutex_unlock(&vdev->irqlock);
	return ret;
}

void vfio_pci_intx_unmask(struct vfio_pci_core_device *vdev)
{
	if (vfio_pci_intx_unmask_handler(vdev) > 0)
		vfio_send_intx_eventfd(vdev);
}

/* The host's INTx handler (vfio_intx_handler), run by the PCI layer. */
static void vfio_intx_handler(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_irq_ctx *ctx;
	bool handled = false;

	mutex_lock(&vdev->irqlock);
	ctx = vfio_irq_ctx_get(vdev, 0);
	if (ctx && !ctx->masked && pci_check_and_mask_intx(vdev->pdev)) {
		ctx->masked = true;
		handled = true;
	}
	mutex_unlock(&vdev->irqlock);
	if (handled)
		vfio_send_intx_eventfd(vdev);
}

static void vfio_msihandler(struct vfio_pci_core_device *vdev, unsigned int vector)
{
	struct vfio_pci_irq_ctx *ctx = vfio_irq_ctx_get(vdev, vector);

	if (ctx)
		vfio_signal_ctx(vdev, ctx);
}

static void vfio_pci_host_intx(struct pci_dev *pdev, void *data)
{
	vfio_intx_handler(data);
}

static void vfio_pci_host_msi(struct pci_dev *pdev, unsigned int vector, void *data)
{
	vfio_msihandler(data, vector);
}

static const struct pci_irq_handler vfio_pci_host_handler = {
	.intx = vfio_pci_host_intx,
	.msi = vfio_pci_host_msi,
};

static void vfio_pci_request_irq(struct vfio_pci_core_device *vdev)
{
	struct pci_irq_handler h = vfio_pci_host_handler;

	h.data = vdev;
	pci_set_irq_handler(vdev->pdev, &h);
}

static void vfio_irq_ctx_alloc(struct vfio_pci_core_device *vdev, unsigned int n)
{
	vdev->ctx = xcalloc(n, sizeof(*vdev->ctx));
	vdev->num_ctx = n;
}

static void vfio_irq_ctx_free_all(struct vfio_pci_core_device *vdev)
{
	mutex_lock(&vdev->irqlock);
	free(vdev->ctx);
	vdev->ctx = NULL;
	vdev->num_ctx = 0;
	mutex_unlock(&vdev->irqlock);
}

/* virqfd: the loop watches a user eventfd and runs a handler when it fires. */
static void virqfd_fire(struct loop_watch *watch, u32 events)
{
	struct virqfd *virqfd = container_of(watch, struct virqfd, watch);
	struct pollfd pfd = { .fd = virqfd->eventfd->fd, .events = POLLIN };
	u64 cnt;

	/* Consume the count without blocking even if someone else read it first. */
	if (poll(&pfd, 1, 0) == 1 && (pfd.revents & POLLIN)) {
		if (read(virqfd->eventfd->fd, &cnt, sizeof(cnt)) < 0) {
			/* raced with another reader: nothing to do */
		}
	}
	virqfd->handler(virqfd->vdev);
}

static int vfio_virqfd_enable(struct vfio_pci_core_device *vdev, struct virqfd **pvirqfd,
			      struct eventfd_ctx *eventfd,
			      void (*handler)(struct vfio_pci_core_device *vdev))
{
	struct virqfd *virqfd;
	int ret;

	if (*pvirqfd)
		return -EBUSY;
	virqfd = xzalloc(sizeof(*virqfd));
	virqfd->vdev = vdev;
	virqfd->eventfd = eventfd;
	virqfd->handler = handler;
	virqfd->watch.fd = eventfd->fd;
	virqfd->watch.fn = virqfd_fire;
	ret = loop_add_watch(vdev->vdev.vfio->env->loop, &virqfd->watch);
	if (ret) {
		free(virqfd);
		return ret;
	}
	*pvirqfd = virqfd;
	return 0;
}

static void vfio_virqfd_disable(struct vfio_pci_core_device *vdev, struct virqfd **pvirqfd)
{
	struct virqfd *virqfd = *pvirqfd;

	if (!virqfd)
		return;
	*pvirqfd = NULL;
	loop_del_watch_sync(vdev->vdev.vfio->env->loop, &virqfd->watch);
	eventfd_ctx_put(virqfd->eventfd);
	free(virqfd);
}

static void vfio_intx_unmask_from_virqfd(struct vfio_pci_core_device *vdev)
{
	vfio_pci_intx_unmask(vdev);
}

static int vfio_intx_enable(struct vfio_pci_core_device *vdev, struct eventfd_ctx *trigger)
{
	struct vfio_pci_irq_ctx *ctx;

	if (!is_irq_none(vdev))
		return -EINVAL;
	if (!vdev->pdev->pin)
		return -ENODEV;
	vfio_irq_ctx_alloc(vdev, 1);
	ctx = &vdev->ctx[0];
	snprintf(ctx->name, sizeof(ctx->name), "vfio-intx(%s)", dev_name(&vdev->pdev->dev));
	mutex_lock(&vdev->irqlock);
	ctx->trigger = trigger;
	/* The initial mask state follows the user's virtual DisINTx. */
	ctx->masked = vdev->virq_disabled;
	vdev->irq_type = VFIO_PCI_IRQ_INTX;
	mutex_unlock(&vdev->irqlock);
	if (vdev->pci_2_3)
		pci_intx(vdev->pdev, !ctx->masked);
	vfio_pci_request_irq(vdev);
	/* request_irq on a line that is already asserted fires at once. */
	pci_intx_update(vdev->pdev);
	return 0;
}

static int vfio_intx_set_signal(struct vfio_pci_core_device *vdev, struct eventfd_ctx *trigger)
{
	struct vfio_pci_irq_ctx *ctx = vfio_irq_ctx_get(vdev, 0);
	struct eventfd_ctx *old;

	mutex_lock(&vdev->irqlock);
	old = ctx->trigger;
	ctx->trigger = trigger;
	mutex_unlock(&vdev->irqlock);
	eventfd_ctx_put(old);
	return 0;
}

static void vfio_intx_disable(struct vfio_pci_core_device *vdev)
{
	struct vfio_pci_irq_ctx *ctx = vfio_irq_ctx_get(vdev, 0);
	struct eventfd_ctx *trigger;

	vfio_virqfd_disable(vdev, &ctx->unmask);
	pci_set_irq_handler(vdev->pdev, NULL); /* free_irq: waits for a running handler */
	mutex_lock(&vdev->irqlock);
	trigger = ctx->trigger;
	ctx->trigger = NULL;
	vdev->irq_type = VFIO_PCI_IRQ_NONE;
	mutex_unlock(&vdev->irqlock);
	eventfd_ctx_put(trigger);
	vfio_irq_ctx_free_all(vdev);
}

static int vfio_pci_set_intx_mask(struct vfio_pci_core_device *vdev, unsigned int index,
				  unsigned int start, unsigned int count, u32 flags, void *data)
{
	if (!is_intx(vdev) || start != 0 || count != 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		vfio_pci_intx_mask(vdev);
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (*(u8 *)data)
			vfio_pci_intx_mask(vdev);
	} else if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		return -ENOTTY; /* not implemented by the kernel either */
	}
	return 0;
}

static int vfio_pci_set_intx_unmask(struct vfio_pci_core_device *vdev, unsigned int index,
				    unsigned int start, unsigned int count, u32 flags, void *data)
{
	if (!is_intx(vdev) || start != 0 || count != 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		vfio_pci_intx_unmask(vdev);
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (*(u8 *)data)
			vfio_pci_intx_unmask(vdev);
	} else if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		struct vfio_pci_irq_ctx *ctx = vfio_irq_ctx_get(vdev, 0);
		s32 fd = *(s32 *)data;

		if (fd >= 0) {
			struct eventfd_ctx *efd = vfio_pci_eventfd_get(vdev, fd);
			int ret;

			if (IS_ERR(efd))
				return (int)PTR_ERR(efd);
			ret = vfio_virqfd_enable(vdev, &ctx->unmask, efd,
						 vfio_intx_unmask_from_virqfd);
			if (ret)
				eventfd_ctx_put(efd);
			return ret;
		}
		vfio_virqfd_disable(vdev, &ctx->unmask);
	}
	return 0;
}

static int vfio_pci_set_intx_trigger(struct vfio_pci_core_device *vdev, unsigned int index,
				     unsigned int start, unsigned int count, u32 flags, void *data)
{
	if (is_intx(vdev) && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		vfio_intx_disable(vdev);
		return 0;
	}
	if (!(is_intx(vdev) || is_irq_none(vdev)) || start != 0 || count != 1)
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		struct eventfd_ctx *trigger = NULL;
		s32 fd = *(s32 *)data;
		int ret;

		if (fd >= 0) {
			trigger = vfio_pci_eventfd_get(vdev, fd);
			if (IS_ERR(trigger))
				return (int)PTR_ERR(trigger);
		}
		if (is_intx(vdev))
			ret = vfio_intx_set_signal(vdev, trigger);
		else
			ret = vfio_intx_enable(vdev, trigger);
		if (ret && trigger)
			eventfd_ctx_put(trigger);
		return ret;
	}
	if (!is_intx(vdev))
		return -EINVAL;
	/* Loopback: signals even while masked, as the kernel does (not while virtually disabled). */
	if (flags & VFIO_IRQ_SET_DATA_NONE)
		vfio_send_intx_eventfd(vdev);
	else if ((flags & VFIO_IRQ_SET_DATA_BOOL) && *(u8 *)data)
		vfio_send_intx_eventfd(vdev);
	return 0;
}

/*
 * vfio_msi_enable: pci_alloc_irq_vectors(1, nvec) of MSI or MSI-X. The context
 * array covers every vector the function has (MSI-X: the table size, so that
 * vectors can be added while enabled); a vector's context is "present" while
 * it has a trigger, as the kernel's xarray entry is.
 */
static int vfio_msi_enable(struct vfio_pci_core_device *vdev, unsigned int nvec, bool msix)
{
	unsigned int avail = msix ? (unsigned int)vfio_pci_msix_count(vdev) : 0;

	if (!is_irq_none(vdev))
		return -EINVAL;
	if (!msix) {
		u16 flags = (u16)pci_read_config(
			vdev->pdev, (unsigned int)vdev->pdev->msi_cap + PCI_MSI_FLAGS, 2);

		avail = 1u << ((flags & PCI_MSI_FLAGS_QMASK) >> 1);
	}
	/* pci_alloc_irq_vectors(1, nvec): fewer available → report how many, enable nothing. */
	if (avail < nvec)
		return (int)avail;
	vfio_irq_ctx_alloc(vdev, msix ? avail : nvec);
	for (unsigned int i = 0; i < nvec; i++)
		vdev->ctx[i].allocated = true;
	if (msix)
		pci_msix_hw_enable(vdev->pdev, true);
	else
		pci_msi_hw_enable(vdev->pdev, nvec);
	mutex_lock(&vdev->irqlock);
	vdev->irq_type = msix ? VFIO_PCI_IRQ_MSIX : VFIO_PCI_IRQ_MSI;
	mutex_unlock(&vdev->irqlock);
	if (!msix) {
		/* The virtual Multiple Message Capable field: log2 of the vectors allocated. */
		unsigned int q = 0;

		while ((1u << q) < nvec)
			q++;
		vdev->msi_qmax = (u8)q;
	}
	vfio_pci_request_irq(vdev);
	return 0;
}

/*
 * vfio_msi_set_vector_signal: the old trigger goes first (free_irq masks an
 * MSI-X vector; the host vector itself stays allocated until disable), then a
 * new one is installed if fd >= 0 — allocating the vector on the fly for
 * dynamic MSI-X — and the vector unmasked (request_irq), which delivers a
 * message that became pending meanwhile. A bad fd therefore leaves the vector
 * without a trigger, as in the kernel.
 */
static int vfio_msi_set_vector_signal(struct vfio_pci_core_device *vdev, unsigned int vector,
				      s32 fd, bool msix)
{
	struct vfio_pci_irq_ctx *ctx = vfio_irq_ctx_get(vdev, vector);
	struct eventfd_ctx *trigger, *old;

	lockdep_assert_held(&vdev->igate);
	if (!ctx)
		return -EINVAL;
	if (ctx->trigger) {
		if (msix)
			pci_msix_hw_set_vector(vdev->pdev, vector, false);
		mutex_lock(&vdev->irqlock);
		old = ctx->trigger;
		ctx->trigger = NULL;
		mutex_unlock(&vdev->irqlock);
		eventfd_ctx_put(old);
	}
	if (fd < 0)
		return 0;
	if (!ctx->allocated) {
		/* pci_irq_vector() is -EINVAL: only dynamic MSI-X may add it now. */
		if (!msix || !vdev->has_dyn_msix)
			return -EINVAL;
		ctx->allocated = true;
	}
	trigger = vfio_pci_eventfd_get(vdev, fd);
	if (IS_ERR(trigger))
		return (int)PTR_ERR(trigger);
	snprintf(ctx->name, sizeof(ctx->name), "vfio-msi%s[%u](%s)", msix ? "x" : "", vector,
		 dev_name(&vdev->pdev->dev));
	mutex_lock(&vdev->irqlock);
	ctx->trigger = trigger;
	mutex_unlock(&vdev->irqlock);
	if (msix)
		pci_msix_hw_set_vector(vdev->pdev, vector, true);
	return 0;
}

static int vfio_msi_set_block(struct vfio_pci_core_device *vdev, unsigned int start,
			      unsigned int count, s32 *fds, bool msix)
{
	unsigned int i, j;
	int ret = 0;

	for (i = 0, j = start; i < count && !ret; i++, j++)
		ret = vfio_msi_set_vector_signal(vdev, j, fds ? fds[i] : -1, msix);
	if (ret) {
		for (i = start; i < j; i++)
			vfio_msi_set_vector_signal(vdev, i, -1, msix);
	}
	return ret;
}

static void vfio_msi_disable(struct vfio_pci_core_device *vdev, bool msix)
{
	for (unsigned int i = 0; i < vdev->num_ctx; i++)
		vfio_msi_set_vector_signal(vdev, i, -1, msix);
	pci_set_irq_handler(vdev->pdev, NULL);
	/* pci_free_irq_vectors */
	if (msix)
		pci_msix_hw_enable(vdev->pdev, false);
	else
		pci_msi_hw_enable(vdev->pdev, 0);
	mutex_lock(&vdev->irqlock);
	vdev->irq_type = VFIO_PCI_IRQ_NONE;
	mutex_unlock(&vdev->irqlock);
	vfio_irq_ctx_free_all(vdev);
	if (vdev->nointx)
		pci_intx(vdev->pdev, false);
}

static int vfio_pci_set_msi_trigger(struct vfio_pci_core_device *vdev, unsigned int index,
				    unsigned int start, unsigned int count, u32 flags, void *data)
{
	bool msix = index == VFIO_PCI_MSIX_IRQ_INDEX;
	int ret;

	if (irq_is(vdev, (int)index) && !count && (flags & VFIO_IRQ_SET_DATA_NONE)) {
		vfio_msi_disable(vdev, msix);
		return 0;
	}
	if (!(irq_is(vdev, (int)index) || is_irq_none(vdev)))
		return -EINVAL;
	if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		s32 *fds = data;

		if (vdev->irq_type == (int)index)
			return vfio_msi_set_block(vdev, start, count, fds, msix);
		ret = vfio_msi_enable(vdev, start + count, msix);
		if (ret)
			return ret;
		ret = vfio_msi_set_block(vdev, start, count, fds, msix);
		if (ret)
			vfio_msi_disable(vdev, msix);
		return ret;
	}
	if (!irq_is(vdev, (int)index))
		return -EINVAL;
	for (unsigned int i = start; i < start + count; i++) {
		struct vfio_pci_irq_ctx *ctx = vfio_irq_ctx_get(vdev, i);

		if (!ctx)
			continue;
		if ((flags & VFIO_IRQ_SET_DATA_NONE) ||
		    ((flags & VFIO_IRQ_SET_DATA_BOOL) && ((u8 *)data)[i - start]))
			vfio_signal_ctx(vdev, ctx);
	}
	return 0;
}

static int vfio_pci_set_ctx_trigger_single(struct vfio_pci_core_device *vdev,
					   struct eventfd_ctx **ctx, unsigned int count, u32 flags,
					   void *data)
{
	if (flags & VFIO_IRQ_SET_DATA_NONE) {
		if (*ctx) {
			if (count) {
				eventfd_signal(*ctx);
			} else {
				eventfd_ctx_put(*ctx);
				*ctx = NULL;
			}
			return 0;
		}
	} else if (flags & VFIO_IRQ_SET_DATA_BOOL) {
		if (!count)
			return -EINVAL;
		if (*(u8 *)data && *ctx)
			eventfd_signal(*ctx);
		return 0;
	} else if (flags & VFIO_IRQ_SET_DATA_EVENTFD) {
		s32 fd;

		if (!count)
			return -EINVAL;
		fd = *(s32 *)data;
		if (fd == -1) {
			eventfd_ctx_put(*ctx);
			*ctx = NULL;
		} else if (fd >= 0) {
			struct eventfd_ctx *efd = vfio_pci_eventfd_get(vdev, fd);

			if (IS_ERR(efd))
				return (int)PTR_ERR(efd);
			eventfd_ctx_put(*ctx);
			*ctx = efd;
		}
		return 0;
	}
	return -EINVAL;
}

static int vfio_pci_set_err_trigger(struct vfio_pci_core_device *vdev, unsigned int index,
				    unsigned int start, unsigned int count, u32 flags, void *data)
{
	if (index != VFIO_PCI_ERR_IRQ_INDEX || start != 0 || count > 1)
		return -EINVAL;
	return vfio_pci_set_ctx_trigger_single(vdev, &vdev->err_trigger, count, flags, data);
}

static int vfio_pci_set_req_trigger(struct vfio_pci_core_device *vdev, unsigned int index,
				    unsigned int start, unsigned int count, u32 flags, void *data)
{
	if (index != VFIO_PCI_REQ_IRQ_INDEX || start != 0 || count > 1)
		return -EINVAL;
	return vfio_pci_set_ctx_trigger_single(vdev, &vdev->req_trigger, count, flags, data);
}

int vfio_pci_set_irqs_ioctl(struct vfio_pci_core_device *vdev, u32 flags, unsigned int index,
			    unsigned int start, unsigned int count, void *data)
{
	int (*func)(struct vfio_pci_core_device * vdev, unsigned int index, unsigned int start,
		    unsigned int count, u32 flags, void *data) = NULL;
	u32 action = flags & VFIO_IRQ_SET_ACTION_TYPE_MASK;

	lockdep_assert_held(&vdev->igate);
	switch (index) {
	case VFIO_PCI_INTX_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_MASK)
			func = vfio_pci_set_intx_mask;
		else if (action == VFIO_IRQ_SET_ACTION_UNMASK)
			func = vfio_pci_set_intx_unmask;
		else if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			func = vfio_pci_set_intx_trigger;
		break;
	case VFIO_PCI_MSI_IRQ_INDEX:
	case VFIO_PCI_MSIX_IRQ_INDEX:
		/* MSI/MSI-X masking is not exported by the kernel: -ENOTTY. */
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			func = vfio_pci_set_msi_trigger;
		break;
	case VFIO_PCI_ERR_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER && pci_is_pcie(vdev->pdev))
			func = vfio_pci_set_err_trigger;
		break;
	case VFIO_PCI_REQ_IRQ_INDEX:
		if (action == VFIO_IRQ_SET_ACTION_TRIGGER)
			func = vfio_pci_set_req_trigger;
		break;
	}
	if (!func)
		return -ENOTTY;
	return func(vdev, index, start, count, flags, data);
}

void vfio_pci_irqs_teardown(struct vfio_pci_core_device *vdev)
{
	mutex_lock(&vdev->igate);
	if (vdev->irq_type != VFIO_PCI_IRQ_NONE)
		vfio_pci_set_irqs_ioctl(vdev, VFIO_IRQ_SET_DATA_NONE | VFIO_IRQ_SET_ACTION_TRIGGER,
					(unsigned int)vdev->irq_type, 0, 0, NULL);
	eventfd_ctx_put(vdev->err_trigger);
	vdev->err_trigger = NULL;
	eventfd_ctx_put(vdev->req_trigger);
	vdev->req_trigger = NULL;
	mutex_unlock(&vdev->igate);
}

// SPDX-License-Identifier: MIT
/*
 * What `uvfio trace` shows of an ioctl: its name, its arguments as the
 * caller passed them and what the call wrote back, decoded from the struct
 * layouts of <linux/vfio.h> as strace decodes them. The caller's bytes are
 * the request's inline payload; the results are that payload with the
 * reply's write records applied. A struct the payload does not cover is
 * shown by name only.
 */
#include <stdarg.h>
#include <stdbool.h>
#include <stdio.h>
#include <string.h>

#include <linux/kvm.h>
#include <linux/vfio.h>

#include "compat/vfio.h"
#include "uvfiod.h"

struct out {
	char *buf;
	size_t size, len;
};

static void __printf(2, 3) put(struct out *o, const char *fmt, ...)
{
	va_list ap;
	int n;

	if (o->len >= o->size)
		return;
	va_start(ap, fmt);
	n = vsnprintf(o->buf + o->len, o->size - o->len, fmt, ap);
	va_end(ap);
	if (n > 0)
		o->len = o->len + (size_t)n < o->size ? o->len + (size_t)n : o->size - 1;
}

/* The struct at the caller's argument, if the payload holds all of it. */
#define AS(type, bytes, n) ((n) >= sizeof(type) ? (const type *)(bytes) : NULL)

/*
 * The container's and a device's ioctls share numbers (VFIO_IOMMU_GET_INFO is
 * VFIO_DEVICE_GET_PCI_HOT_RESET_INFO): which one it is depends on the file.
 */
static const char *ioctl_name(unsigned int cmd, bool container)
{
#define N(c)    \
	case c: \
		return #c
	if (container) {
		switch (cmd) {
			N(VFIO_IOMMU_GET_INFO);
			N(VFIO_IOMMU_MAP_DMA);
			N(VFIO_IOMMU_UNMAP_DMA);
			N(VFIO_IOMMU_DIRTY_PAGES);
		}
	}
	switch (cmd) {
		N(VFIO_GET_API_VERSION);
		N(VFIO_CHECK_EXTENSION);
		N(VFIO_SET_IOMMU);
		N(VFIO_GROUP_GET_STATUS);
		N(VFIO_GROUP_SET_CONTAINER);
		N(VFIO_GROUP_UNSET_CONTAINER);
		N(VFIO_GROUP_GET_DEVICE_FD);
		N(VFIO_DEVICE_GET_INFO);
		N(VFIO_DEVICE_GET_REGION_INFO);
		N(VFIO_DEVICE_GET_IRQ_INFO);
		N(VFIO_DEVICE_SET_IRQS);
		N(VFIO_DEVICE_RESET);
		N(VFIO_DEVICE_GET_PCI_HOT_RESET_INFO);
		N(VFIO_DEVICE_PCI_HOT_RESET);
		N(VFIO_DEVICE_FEATURE);
		N(KVM_GET_API_VERSION);
		N(KVM_CREATE_VM);
		N(KVM_CHECK_EXTENSION);
		N(KVM_CREATE_DEVICE);
		N(KVM_SET_DEVICE_ATTR);
		N(KVM_HAS_DEVICE_ATTR);
#undef N
	default:
		return NULL;
	}
}

/* "args" from the caller's bytes (in), "out" from the bytes after the call (res). */
static void decode(struct out *o, const char *name, unsigned int cmd, unsigned long arg,
		   const u8 *in, const u8 *res, size_t n, long result)
{
	if (!name) {
		put(o, ",\"args\":{\"arg\":\"0x%lx\"}", arg);
		return;
	}
	if (!strncmp(name, "VFIO_IOMMU_", 11))
		cmd |= 1u << 31; /* not a real direction bit of these: keeps the cases apart */
	switch (cmd) {
	case VFIO_CHECK_EXTENSION:
	case VFIO_SET_IOMMU:
		put(o, ",\"args\":{\"arg\":%lu}", arg);
		return;
	case VFIO_GROUP_GET_STATUS: {
		const struct vfio_group_status *s = AS(struct vfio_group_status, res, n);

		if (s && result >= 0)
			put(o, ",\"out\":{\"flags\":\"0x%x\"}", s->flags);
		return;
	}
	case VFIO_GROUP_SET_CONTAINER:
		if (n >= sizeof(int))
			put(o, ",\"args\":{\"fd\":%d}", *(const int *)in);
		return;
	case VFIO_GROUP_GET_DEVICE_FD: {
		char dev[64];
		size_t l = strnlen((const char *)in, n < sizeof(dev) ? n : sizeof(dev) - 1);

		memcpy(dev, in, l);
		dev[l] = '\0';
		for (size_t i = 0; i < l; i++)
			if (dev[i] < ' ' || dev[i] == '"' || dev[i] == '\\')
				dev[i] = '?';
		put(o, ",\"args\":{\"name\":\"%s\"}", dev);
		return;
	}
	case VFIO_DEVICE_GET_INFO: {
		const struct vfio_device_info *i = AS(struct vfio_device_info, res, n);

		if (i && result >= 0)
			put(o, ",\"out\":{\"flags\":\"0x%x\",\"num_regions\":%u,\"num_irqs\":%u}",
			    i->flags, i->num_regions, i->num_irqs);
		return;
	}
	case VFIO_DEVICE_GET_REGION_INFO: {
		const struct vfio_region_info *a = AS(struct vfio_region_info, in, n);
		const struct vfio_region_info *r = AS(struct vfio_region_info, res, n);

		if (!a)
			return;
		put(o, ",\"args\":{\"argsz\":%u,\"index\":%u}", a->argsz, a->index);
		if (result >= 0)
			put(o,
			    ",\"out\":{\"argsz\":%u,\"flags\":\"0x%x\",\"size\":\"0x%llx\",\"offset\":\"0x%llx\"}",
			    r->argsz, r->flags, (unsigned long long)r->size,
			    (unsigned long long)r->offset);
		return;
	}
	case VFIO_DEVICE_GET_IRQ_INFO: {
		const struct vfio_irq_info *a = AS(struct vfio_irq_info, in, n);
		const struct vfio_irq_info *r = AS(struct vfio_irq_info, res, n);

		if (!a)
			return;
		put(o, ",\"args\":{\"index\":%u}", a->index);
		if (result >= 0)
			put(o, ",\"out\":{\"flags\":\"0x%x\",\"count\":%u}", r->flags, r->count);
		return;
	}
	case VFIO_DEVICE_SET_IRQS: {
		const struct vfio_irq_set *a = AS(struct vfio_irq_set, in, n);

		if (!a)
			return;
		put(o, ",\"args\":{\"flags\":\"0x%x\",\"index\":%u,\"start\":%u,\"count\":%u",
		    a->flags, a->index, a->start, a->count);
		if ((a->flags & VFIO_IRQ_SET_DATA_EVENTFD) && a->count <= 32 &&
		    n >= sizeof(*a) + a->count * sizeof(s32)) {
			put(o, ",\"fds\":[");
			for (u32 i = 0; i < a->count; i++) {
				s32 fd;

				memcpy(&fd, in + sizeof(*a) + i * sizeof(fd), sizeof(fd));
				put(o, "%s%d", i ? "," : "", fd);
			}
			put(o, "]");
		}
		put(o, "}");
		return;
	}
	case VFIO_DEVICE_FEATURE: {
		const struct vfio_device_feature *a = AS(struct vfio_device_feature, in, n);

		if (a)
			put(o, ",\"args\":{\"flags\":\"0x%x\",\"feature\":%u}", a->flags,
			    a->flags & VFIO_DEVICE_FEATURE_MASK);
		return;
	}
	case VFIO_IOMMU_MAP_DMA | 1u << 31: {
		const struct vfio_iommu_type1_dma_map *a =
			AS(struct vfio_iommu_type1_dma_map, in, n);

		if (a)
			put(o,
			    ",\"args\":{\"flags\":\"0x%x\",\"vaddr\":\"0x%llx\",\"iova\":\"0x%llx\",\"size\":\"0x%llx\"}",
			    a->flags, (unsigned long long)a->vaddr, (unsigned long long)a->iova,
			    (unsigned long long)a->size);
		return;
	}
	case VFIO_IOMMU_UNMAP_DMA | 1u << 31: {
		const struct vfio_iommu_type1_dma_unmap *a =
			AS(struct vfio_iommu_type1_dma_unmap, in, n);
		const struct vfio_iommu_type1_dma_unmap *r =
			AS(struct vfio_iommu_type1_dma_unmap, res, n);

		if (!a)
			return;
		put(o, ",\"args\":{\"flags\":\"0x%x\",\"iova\":\"0x%llx\",\"size\":\"0x%llx\"}",
		    a->flags, (unsigned long long)a->iova, (unsigned long long)a->size);
		if (result >= 0)
			put(o, ",\"out\":{\"size\":\"0x%llx\"}", (unsigned long long)r->size);
		return;
	}
	case VFIO_IOMMU_GET_INFO | 1u << 31: {
		const struct vfio_iommu_type1_info *r = AS(struct vfio_iommu_type1_info, res, n);

		if (r && result >= 0)
			put(o, ",\"out\":{\"flags\":\"0x%x\",\"iova_pgsizes\":\"0x%llx\"}",
			    r->flags, (unsigned long long)r->iova_pgsizes);
		return;
	}
	default:
		if (_IOC_TYPE(cmd) == KVMIO && _IOC_DIR(cmd) == _IOC_NONE)
			put(o, ",\"args\":{\"arg\":%lu}", arg);
	}
}

size_t trace_ioctl_line(char *buf, size_t size, const struct trace_ioctl *t)
{
	struct out o = { buf, size, 0 };
	const char *name = ioctl_name(t->cmd, !strcmp(t->file, "vfio-container"));

	put(&o, "{\"op\":\"ioctl\",\"pid\":%d,\"file\":\"%s\"", (int)t->pid, t->file);
	if (t->dev)
		put(&o, ",\"dev\":\"%s\"", t->dev);
	if (name)
		put(&o, ",\"cmd\":\"0x%x\",\"name\":\"%s\"", t->cmd, name);
	else
		put(&o, ",\"cmd\":\"0x%x\"", t->cmd);
	decode(&o, name, t->cmd, t->arg, t->in, t->res, t->len, t->result);
	put(&o, ",\"result\":%ld}", t->result);
	return o.len;
}

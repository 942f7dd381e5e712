// SPDX-License-Identifier: MIT
/*
 * The type1 IOMMU backend (drivers/vfio/vfio_iommu_type1.c, 6.12 semantics):
 * MAP_DMA/UNMAP_DMA/GET_INFO/DIRTY_PAGES on a container, one unmanaged IOMMU
 * domain per container that translates device DMA into the mapper's memory,
 * and vfio_dma_rw() for emulated (mdev) devices.
 *
 * What differs from the kernel, and why:
 *  - Private memory is not pinned. A mapping records (iova, size, vaddr,
 *    prot, mapper's mm) and DMA follows the mapper's *current* vaddr mapping
 *    (digest §10.2). Memory the front end can share (a MAP_SHARED file
 *    mapping, pin_user_pages()) is pinned at MAP_DMA, whether or not a
 *    hardware domain exists: DMA then copies straight into those pages, which
 *    stay the mapping's until it is removed, as in the kernel.
 *    "Pinning" (done, as in the kernel, only while an IOMMU-backed group is
 *    attached) means: every page must be reachable (-EFAULT), writable when the
 *    device may write, and the pages are accounted in mm->locked_vm against
 *    the mapper's RLIMIT_MEMLOCK unless it has CAP_IPC_LOCK (-ENOMEM). The
 *    reachability probe uses the mm's probe op, or else reads one byte per page
 *    (one syscall per page: a 1 GiB mapping costs 262144 small reads).
 *  - One hardware domain per container: every group sits behind the same
 *    emulated IOMMU, so the kernel's "compatible domain" search always
 *    matches the first domain.
 *  - Unmap notifications (dma_unmap) go to every registered device for every
 *    removed mapping, after the mapping left the tree and before UNMAP_DMA
 *    returns: there is no pin tracking to tell which ranges a device uses.
 *  - A mapping whose vaddr was invalidated (VFIO_DMA_UNMAP_FLAG_VADDR) keeps
 *    serving device DMA through the domain from its old vaddr, as the kernel's
 *    pinned pages do; vfio_dma_rw() refuses with -EBUSY as the kernel does.
 *
 * Lock order (outer → inner):
 *   vfio_iommu.lock (mutex: groups, iova ranges, accounting, dma_avail, tree writers)
 *     → iommu_group->mutex → iommu_group->domain_rwsem   (attach/detach)
 *     → vfio_iommu.dma_rwsem (write: tree and per-mapping fields DMA reads)
 *   iommu_group->domain_rwsem (read, device DMA) → vfio_iommu.dma_rwsem (read)
 *   vfio_iommu.device_list_lock: taken under lock to change the list, and alone
 *   (lock dropped) while telling devices about unmaps; devices may then call
 *   vfio_dma_rw(), which takes only dma_rwsem.
 * DMA never takes vfio_iommu.lock, so a long MAP (probing a big range) does not
 * stall device DMA: dma_rwsem is held for write only to link or unlink.
 */
#include <stdlib.h>
#include <string.h>

#include "iommu/iommu.h"
#include "shared/itree.h"
#include "vfio/vfio.h"

#define PAGE_MASK (~(PAGE_SIZE - 1))

/* Device-side permissions of a mapping (include/linux/iommu.h). */
#define IOMMU_READ (1 << 0)
#define IOMMU_WRITE (1 << 1)

#define DIRTY_BITMAP_BYTES(n) (ALIGN_UP((u64)(n), 64) / 8)
#define DIRTY_BITMAP_PAGES_MAX ((u64)INT32_MAX)
#define DIRTY_BITMAP_SIZE_MAX DIRTY_BITMAP_BYTES(DIRTY_BITMAP_PAGES_MAX)

/* x86-64 TASK_SIZE_MAX: the top of user space, for access_ok(). */
#define TASK_SIZE_MAX ((1ull << 47) - PAGE_SIZE)

/* One successful MAP_DMA. */
struct vfio_dma {
	struct itree_node node; /* [iova, iova + size - 1] */
	u64 vaddr; /* dma_rwsem */
	int prot; /* IOMMU_READ | IOMMU_WRITE */
	bool iommu_mapped; /* accounted for the domain; dma_rwsem */
	bool vaddr_invalid; /* dma_rwsem */
	bool lock_cap; /* the mapper had CAP_IPC_LOCK */
	u64 rlimit; /* the mapper's RLIMIT_MEMLOCK (bytes), for replays */
	struct mm_struct *mm; /* the mapper's, referenced; dma_rwsem */
	struct pinned_pages *pages; /* shared pages of [vaddr, +size), or NULL; dma_rwsem */
	u64 locked_vm; /* pages accounted to mm */
	u64 *bitmap; /* dirty pages while tracking; bits set atomically under dma_rwsem read */
};

static inline u64 dma_iova(const struct vfio_dma *dma)
{
	return dma->node.start;
}

static inline u64 dma_size(const struct vfio_dma *dma)
{
	return dma->node.last - dma->node.start + 1;
}

static inline struct vfio_dma *to_dma(struct itree_node *n)
{
	return n ? container_of(n, struct vfio_dma, node) : NULL;
}

struct vfio_iommu_group {
	struct iommu_group *iommu_group;
	struct list_head next;
	bool pinned_page_dirty_scope;
};

struct vfio_iommu_device {
	struct vfio_device *vdev;
	struct list_head next;
};

struct vfio_iova {
	u64 start, end; /* inclusive */
};

struct vfio_iova_list {
	struct vfio_iova *r;
	unsigned int n;
};

/*
 * A container's backend instance.
 * Lock order: lock → (iommu_group locks) → dma_rwsem; device_list_lock see above.
 */
struct vfio_iommu {
	struct vfio *vfio; /* the VFIO it serves: module parameters, the IOMMU */
	struct mutex lock;
	struct rw_semaphore dma_rwsem;
	struct itree dma_tree; /* of vfio_dma: writers hold lock and dma_rwsem */
	struct list_head group_list; /* IOMMU-backed groups, attached to domain; lock */
	struct list_head emulated_iommu_groups; /* lock */
	struct vfio_iova_list iova_list; /* valid IOVA ranges; empty: any; lock */
	struct iommu_domain domain; /* in use while group_list is not empty */
	struct mutex device_list_lock;
	struct list_head device_list; /* of vfio_iommu_device with a dma_unmap op */
	unsigned int dma_avail; /* lock */
	unsigned int vaddr_invalid_count; /* lock + dma_rwsem */
	u64 pgsize_bitmap; /* lock */
	unsigned int num_non_pinned_groups; /* lock */
	bool v2, nesting;
	bool dirty_page_tracking; /* lock + dma_rwsem */
};

static inline bool vfio_iommu_has_domain(const struct vfio_iommu *iommu)
{
	return !list_empty(&iommu->group_list);
}

static inline u64 vfio_pgsize(const struct vfio_iommu *iommu)
{
	return 1ull << __builtin_ctzll(iommu->pgsize_bitmap);
}

/* Locked-memory accounting (__account_locked_vm). */

/* Adds npage (or removes, when negative) pages; adding past the limit is refused. */
static int mm_lock_acct(struct mm_struct *mm, s64 npage, bool lock_cap, u64 rlimit)
{
	long cur;

	if (npage <= 0) {
		atomic_fetch_sub(&mm->locked_vm, (long)-npage);
		return 0;
	}
	cur = atomic_load(&mm->locked_vm);
	do {
		if (!lock_cap && (u64)cur + (u64)npage > rlimit >> PAGE_SHIFT)
			return -ENOMEM;
	} while (!atomic_compare_exchange_weak(&mm->locked_vm, &cur, cur + (long)npage));
	return 0;
}

static int vfio_probe_vaddr(struct mm_struct *mm, u64 vaddr, u64 npage, bool write)
{
	if (!npage)
		return 0;
	if (mm->ops->probe)
		return mm->ops->probe(mm, vaddr, npage << PAGE_SHIFT, write) ? -EFAULT : 0;
	for (u64 i = 0; i < npage; i++) {
		u8 byte;

		if (mm_access(mm, vaddr + (i << PAGE_SHIFT), &byte, 1, false))
			return -EFAULT;
	}
	return 0;
}

/*
 * "Pins" dma for the domain: the kernel pins page by page and checks the limit
 * after each pin, so an unreachable page before the one that crosses the limit
 * gives -EFAULT, and -ENOMEM otherwise. Does not set iommu_mapped: the caller
 * publishes that under dma_rwsem.
 */
static int vfio_pin_dma(struct vfio_dma *dma)
{
	u64 npage = dma_size(dma) >> PAGE_SHIFT, allowed = npage;
	int ret;

	if (!dma->lock_cap) {
		u64 limit = dma->rlimit >> PAGE_SHIFT;
		u64 cur = (u64)atomic_load(&dma->mm->locked_vm);

		allowed = cur >= limit ? 0 : min(npage, limit - cur);
	}
	ret = vfio_probe_vaddr(dma->mm, dma->vaddr, min(npage, allowed + 1),
			       dma->prot & IOMMU_WRITE);
	if (ret)
		return ret;
	if (allowed < npage)
		return -ENOMEM;
	ret = mm_lock_acct(dma->mm, (s64)npage, dma->lock_cap, dma->rlimit);
	if (ret)
		return ret;
	dma->locked_vm = npage;
	return 0;
}

static void vfio_unpin_dma(struct vfio_dma *dma)
{
	if (dma->locked_vm)
		mm_lock_acct(dma->mm, -(s64)dma->locked_vm, dma->lock_cap, dma->rlimit);
	dma->locked_vm = 0;
}

/* The tree. */

static struct vfio_dma *vfio_find_dma(struct vfio_iommu *iommu, u64 start, u64 size)
{
	u64 last = start + size - 1;

	if (!size || last < start)
		last = UINT64_MAX;
	return to_dma(itree_first(&iommu->dma_tree, start, last));
}

static void vfio_remove_dma(struct vfio_iommu *iommu, struct vfio_dma *dma)
{
	lockdep_assert_held(&iommu->lock);

	down_write(&iommu->dma_rwsem);
	itree_remove(&iommu->dma_tree, &dma->node);
	if (dma->vaddr_invalid)
		iommu->vaddr_invalid_count--;
	up_write(&iommu->dma_rwsem);

	vfio_unpin_dma(dma);
	unpin_user_pages(dma->pages);
	mmput(dma->mm);
	free(dma->bitmap);
	free(dma);
	iommu->dma_avail++;
}

static void vfio_iommu_unmap_unpin_all(struct vfio_iommu *iommu)
{
	struct itree_node *n;

	while ((n = itree_min(&iommu->dma_tree)))
		vfio_remove_dma(iommu, to_dma(n));
}

/* The last hardware domain left but emulated groups remain: mappings stay, unpinned. */
static void vfio_iommu_unmap_unpin_reaccount(struct vfio_iommu *iommu)
{
	lockdep_assert_held(&iommu->lock);

	down_write(&iommu->dma_rwsem);
	for (struct itree_node *n = itree_min(&iommu->dma_tree); n; n = itree_next(n)) {
		struct vfio_dma *dma = to_dma(n);

		vfio_unpin_dma(dma);
		dma->iommu_mapped = false;
	}
	up_write(&iommu->dma_rwsem);
}

static void vfio_update_pgsize_bitmap(struct vfio_iommu *iommu)
{
	u64 bitmap = UINT64_MAX;

	if (vfio_iommu_has_domain(iommu))
		bitmap &= iommu->domain.pgsize_bitmap;
	/* Sizes below PAGE_SIZE are folded into PAGE_SIZE: pinning works in pages. */
	if (bitmap & ~PAGE_MASK) {
		bitmap &= PAGE_MASK;
		bitmap |= PAGE_SIZE;
	}
	iommu->pgsize_bitmap = bitmap;
}

/* Dirty bitmaps. */

static int vfio_dma_bitmap_alloc(struct vfio_dma *dma, u64 pgsize)
{
	u64 npages = dma_size(dma) / pgsize;

	if (npages > DIRTY_BITMAP_PAGES_MAX)
		return -EINVAL;
	dma->bitmap = xzalloc(DIRTY_BITMAP_BYTES(npages) + sizeof(u64));
	return 0;
}

static void bitmap_set_atomic(u64 *map, u64 start, u64 n)
{
	while (n) {
		u64 bit = start % 64, cnt = min(n, 64 - bit);
		u64 mask = (cnt == 64 ? UINT64_MAX : ((1ull << cnt) - 1)) << bit;

		__atomic_fetch_or(&map[start / 64], mask, __ATOMIC_RELAXED);
		start += cnt;
		n -= cnt;
	}
}

static void vfio_iommu_populate_bitmap_full(struct vfio_iommu *iommu)
{
	unsigned int pgshift = (unsigned int)__builtin_ctzll(iommu->pgsize_bitmap);

	for (struct itree_node *n = itree_min(&iommu->dma_tree); n; n = itree_next(n)) {
		struct vfio_dma *dma = to_dma(n);

		if (dma->bitmap)
			bitmap_set_atomic(dma->bitmap, 0, dma_size(dma) >> pgshift);
	}
}

static bool access_ok(u64 addr, u64 size)
{
	return size <= TASK_SIZE_MAX && addr <= TASK_SIZE_MAX - size;
}

static int verify_bitmap_size(u64 npages, u64 bitmap_size)
{
	if (!npages || !bitmap_size || bitmap_size > DIRTY_BITMAP_SIZE_MAX ||
	    bitmap_size < DIRTY_BITMAP_BYTES(npages))
		return -EINVAL;
	return 0;
}

/*
 * Writes dma's dirty bits into the user's bitmap for the range starting at
 * base_iova (update_user_bitmap): whole u64 words, the bits below dma's first
 * one OR-ed with what the user's word already held. With clear, the reported
 * bits are taken out of dma's bitmap (GET_BITMAP); without, dma is going away.
 */
static int update_user_bitmap(struct vfio_iommu *iommu, struct task *t, u64 user_bitmap,
			      struct vfio_dma *dma, u64 base_iova, u64 pgsize, bool clear)
{
	unsigned int pgshift = (unsigned int)__builtin_ctzll(pgsize);
	u64 nbits = dma_size(dma) >> pgshift;
	u64 bit_offset = (dma_iova(dma) - base_iova) >> pgshift;
	u64 copy_offset = bit_offset / 64;
	unsigned int shift = bit_offset % 64;
	u64 nwords = DIV_ROUND_UP(nbits + shift, 64), srcwords = DIV_ROUND_UP(nbits, 64);
	bool all = iommu->num_non_pinned_groups && dma->iommu_mapped;
	u64 *src = xcalloc(srcwords, sizeof(u64)), *out = xcalloc(nwords + 1, sizeof(u64));
	int ret = 0;

	/* Every page of an IOMMU-mapped range is dirty while a group cannot say better. */
	for (u64 i = 0; i < srcwords; i++) {
		u64 w = 0;

		if (dma->bitmap)
			w = clear ? __atomic_exchange_n(&dma->bitmap[i], 0, __ATOMIC_RELAXED) :
				    __atomic_load_n(&dma->bitmap[i], __ATOMIC_RELAXED);
		if (all)
			w = UINT64_MAX;
		if (i == srcwords - 1 && nbits % 64)
			w &= (1ull << (nbits % 64)) - 1;
		src[i] = w;
		out[i] |= w << shift;
		if (shift)
			out[i + 1] |= w >> (64 - shift);
	}

	if (shift) {
		u64 leftover;

		if (copy_from_user(t, &leftover, (unsigned long)(user_bitmap + copy_offset * 8),
				   sizeof(leftover))) {
			ret = -EFAULT;
			goto out;
		}
		out[0] |= leftover & ((1ull << shift) - 1);
	}
	if (copy_to_user(t, (unsigned long)(user_bitmap + copy_offset * 8), out, nwords * 8))
		ret = -EFAULT;
out:
	if (ret && clear && dma->bitmap)
		for (u64 i = 0; i < srcwords; i++)
			__atomic_fetch_or(&dma->bitmap[i], src[i], __ATOMIC_RELAXED);
	free(src);
	free(out);
	return ret;
}

/* Valid IOVA ranges. */

static void iova_list_free(struct vfio_iova_list *l)
{
	free(l->r);
	l->r = NULL;
	l->n = 0;
}

static void iova_list_set(struct vfio_iova_list *l, u64 start, u64 end)
{
	iova_list_free(l);
	l->r = xzalloc(sizeof(*l->r));
	l->r[0] = (struct vfio_iova){ start, end };
	l->n = 1;
}

/* Takes [start, end] out of every range of l. */
static void iova_list_exclude(struct vfio_iova_list *l, u64 start, u64 end)
{
	struct vfio_iova *r = xcalloc(l->n * 2 + 1, sizeof(*r));
	unsigned int n = 0;

	for (unsigned int i = 0; i < l->n; i++) {
		struct vfio_iova cur = l->r[i];

		if (start > cur.end || end < cur.start) {
			r[n++] = cur;
			continue;
		}
		if (start > cur.start)
			r[n++] = (struct vfio_iova){ cur.start, start - 1 };
		if (end < cur.end)
			r[n++] = (struct vfio_iova){ end + 1, cur.end };
	}
	free(l->r);
	l->r = r;
	l->n = n;
}

static bool vfio_iommu_iova_dma_valid(struct vfio_iommu *iommu, u64 start, u64 end)
{
	/* No ranges: only emulated groups, which have no aperture. */
	if (!iommu->iova_list.n)
		return true;
	for (unsigned int i = 0; i < iommu->iova_list.n; i++)
		if (start >= iommu->iova_list.r[i].start && end <= iommu->iova_list.r[i].end)
			return true;
	return false;
}

static int vfio_group_resv_exclude(struct vfio_iova_list *l, struct iommu_group *group)
{
	struct iommu_resv_region resv[32];
	int n = iommu_get_group_resv_regions(group, resv, (int)ARRAY_SIZE(resv));

	for (int i = 0; i < n; i++) {
		/* Relaxable direct mappings (the ISA floppy window) may be taken over. */
		if (resv[i].type == IOMMU_RESV_DIRECT_RELAXABLE || !resv[i].length)
			continue;
		iova_list_exclude(l, resv[i].start, resv[i].start + resv[i].length - 1);
	}
	return l->n ? 0 : -EINVAL;
}

/*
 * The ranges for the current groups (vfio_iommu_resv_refresh): the domain's
 * aperture, or everything once no domain is left, minus every group's reserved
 * regions. An empty list (only emulated groups ever) stays empty.
 */
static void vfio_iommu_iova_refresh(struct vfio_iommu *iommu)
{
	struct vfio_iova_list l = { 0 };
	struct vfio_iommu_group *g;

	if (!iommu->iova_list.n)
		return;
	if (vfio_iommu_has_domain(iommu))
		iova_list_set(&l, iommu->domain.aperture_start, iommu->domain.aperture_end);
	else
		iova_list_set(&l, 0, UINT64_MAX);
	list_for_each_entry(g, &iommu->group_list, next) {
		if (vfio_group_resv_exclude(&l, g->iommu_group)) {
			/* As the kernel: keep the old list when the refresh fails. */
			iova_list_free(&l);
			return;
		}
	}
	iova_list_free(&iommu->iova_list);
	iommu->iova_list = l;
}

/* The domain: device DMA through the IOMMU. */

/*
 * Copies len bytes at iova, which may span several contiguous mappings.
 * Called with dma_rwsem held for read. iommu: the IOMMU's view (any miss or
 * permission problem is a fault, -EFAULT); otherwise vfio_dma_rw()'s errnos.
 */
static int vfio_iommu_copy(struct vfio_iommu *iommu, u64 iova, void *buf, size_t len, bool write,
			   bool iommu_view, u64 *fault)
{
	u8 *p = buf;

	lockdep_assert_rwsem_held(&iommu->dma_rwsem);

	if (len && iova + len - 1 < iova) {
		if (!iommu_view)
			return -EINVAL;
		*fault = iova;
		return -EFAULT;
	}
	while (len) {
		struct vfio_dma *dma = to_dma(itree_lookup(&iommu->dma_tree, iova));
		u64 offset, avail;
		size_t chunk;

		if (!dma || (iommu_view && !dma->iommu_mapped)) {
			if (!iommu_view)
				return -EINVAL;
			*fault = iova; /* not present: the IOMMU faults here */
			return -EFAULT;
		}
		if (iommu_view) {
			if (!(dma->prot & (write ? IOMMU_WRITE : IOMMU_READ))) {
				*fault = iova;
				return -EFAULT;
			}
		} else if ((write && !(dma->prot & IOMMU_WRITE)) || !(dma->prot & IOMMU_READ)) {
			/* vfio_dma_rw() wants READ even to write, as the kernel's does. */
			return -EPERM;
		}

		offset = iova - dma_iova(dma);
		avail = dma->node.last - iova; /* bytes left in dma, minus one */
		chunk = (u64)len - 1 <= avail ? len : (size_t)(avail + 1);
		if (dma->pages ? dma->pages->rw(dma->pages, offset, p, chunk, write) :
				 mm_access(dma->mm, dma->vaddr + offset, p, chunk, write))
			return -EFAULT;
		if (write && dma->bitmap && iommu->dirty_page_tracking) {
			unsigned int pgshift = (unsigned int)__builtin_ctzll(iommu->pgsize_bitmap);
			u64 first = offset >> pgshift, last = (offset + chunk - 1) >> pgshift;

			bitmap_set_atomic(dma->bitmap, first, last - first + 1);
		}
		p += chunk;
		iova += chunk;
		len -= chunk;
	}
	return 0;
}

static int vfio_iommu_domain_dma_rw(struct iommu_domain *domain, u64 iova, void *buf, size_t len,
				    bool write, u64 *fault)
{
	struct vfio_iommu *iommu = domain->priv;
	int ret;

	down_read(&iommu->dma_rwsem);
	ret = vfio_iommu_copy(iommu, iova, buf, len, write, true, fault);
	up_read(&iommu->dma_rwsem);
	return ret ? -EFAULT : 0;
}

static const struct iommu_domain_ops vfio_iommu_domain_ops = {
	.dma_rw = vfio_iommu_domain_dma_rw,
};

/* Backend ops. */

static void *vfio_iommu_type1_open(struct vfio *vfio, unsigned long type)
{
	struct vfio_iommu *iommu;

	if (type != VFIO_TYPE1_IOMMU && type != VFIO_TYPE1v2_IOMMU &&
	    type != VFIO_TYPE1_NESTING_IOMMU)
		return ERR_PTR(-EINVAL);

	iommu = xzalloc(sizeof(*iommu));
	iommu->vfio = vfio;
	iommu->v2 = type != VFIO_TYPE1_IOMMU;
	iommu->nesting = type == VFIO_TYPE1_NESTING_IOMMU;
	mutex_init(&iommu->lock, "vfio_iommu->lock");
	init_rwsem(&iommu->dma_rwsem, "vfio_iommu->dma_rwsem");
	mutex_init(&iommu->device_list_lock, "vfio_iommu->device_list_lock");
	itree_init(&iommu->dma_tree);
	INIT_LIST_HEAD(&iommu->group_list);
	INIT_LIST_HEAD(&iommu->emulated_iommu_groups);
	INIT_LIST_HEAD(&iommu->device_list);
	iommu->dma_avail = vfio->params.dma_entry_limit;
	iommu->pgsize_bitmap = PAGE_MASK;

	iommu->domain.type = IOMMU_DOMAIN_UNMANAGED;
	iommu->domain.ops = &vfio_iommu_domain_ops;
	iommu->domain.aperture_start = 0;
	iommu->domain.aperture_end = vfio->iommu->aw_bits >= 64 ? UINT64_MAX :
								  BIT_ULL(vfio->iommu->aw_bits) - 1;
	iommu->domain.pgsize_bitmap = vfio->iommu->pgsize_bitmap;
	iommu->domain.priv = iommu;
	return iommu;
}

static void vfio_iommu_type1_release(void *iommu_data)
{
	struct vfio_iommu *iommu = iommu_data;
	struct vfio_iommu_group *g, *tmp;
	struct vfio_iommu_device *d, *dtmp;

	mutex_lock(&iommu->lock);
	list_for_each_entry_safe(g, tmp, &iommu->emulated_iommu_groups, next) {
		list_del(&g->next);
		free(g);
	}
	vfio_iommu_unmap_unpin_all(iommu);
	list_for_each_entry_safe(g, tmp, &iommu->group_list, next) {
		iommu_detach_group(&iommu->domain, g->iommu_group);
		list_del(&g->next);
		free(g);
	}
	iova_list_free(&iommu->iova_list);
	mutex_unlock(&iommu->lock);

	list_for_each_entry_safe(d, dtmp, &iommu->device_list, next) {
		list_del(&d->next);
		free(d);
	}
	mutex_destroy(&iommu->device_list_lock);
	rwsem_destroy(&iommu->dma_rwsem);
	mutex_destroy(&iommu->lock);
	free(iommu);
}

static struct vfio_iommu_group *vfio_iommu_find_iommu_group(struct vfio_iommu *iommu,
							    struct iommu_group *iommu_group)
{
	struct vfio_iommu_group *g;

	list_for_each_entry(g, &iommu->group_list, next)
		if (g->iommu_group == iommu_group)
			return g;
	list_for_each_entry(g, &iommu->emulated_iommu_groups, next)
		if (g->iommu_group == iommu_group)
			return g;
	return NULL;
}

/*
 * The first hardware domain pins every existing mapping (vfio_iommu_replay).
 * Mappings made while only emulated groups were attached may lie outside the
 * aperture: the IOMMU cannot map them (-EFAULT, as intel_iommu_map).
 */
static int vfio_iommu_replay(struct vfio_iommu *iommu)
{
	struct itree_node *n, *failed = NULL;
	int ret = 0;

	lockdep_assert_held(&iommu->lock);

	for (n = itree_min(&iommu->dma_tree); n; n = itree_next(n)) {
		struct vfio_dma *dma = to_dma(n);

		if (n->last > iommu->domain.aperture_end)
			ret = -EFAULT;
		else
			ret = vfio_pin_dma(dma);
		if (ret) {
			failed = n;
			break;
		}
	}
	if (ret) {
		for (n = itree_min(&iommu->dma_tree); n != failed; n = itree_next(n))
			vfio_unpin_dma(to_dma(n));
		return ret;
	}

	down_write(&iommu->dma_rwsem);
	for (n = itree_min(&iommu->dma_tree); n; n = itree_next(n))
		to_dma(n)->iommu_mapped = true;
	up_write(&iommu->dma_rwsem);
	return 0;
}

static int vfio_iommu_type1_attach_group(void *iommu_data, struct iommu_group *iommu_group,
					 int type)
{
	struct vfio_iommu *iommu = iommu_data;
	struct vfio *vfio = iommu->vfio;
	struct iommu_resv_region resv[32];
	struct vfio_iova_list iova = { 0 };
	struct vfio_iommu_group *group;
	bool first_domain;
	int ret, nresv;

	mutex_lock(&iommu->lock);

	/* Attaching could need pinning, which a vaddr in flux cannot give. */
	ret = -EBUSY;
	if (iommu->vaddr_invalid_count)
		goto out_unlock;

	ret = -EINVAL;
	if (vfio_iommu_find_iommu_group(iommu, iommu_group))
		goto out_unlock;

	group = xzalloc(sizeof(*group));
	group->iommu_group = iommu_group;

	if (type == VFIO_EMULATED_IOMMU) {
		/* It can dirty memory only through interfaces that track it. */
		group->pinned_page_dirty_scope = true;
		list_add(&group->next, &iommu->emulated_iommu_groups);
		ret = 0;
		goto out_unlock;
	}

	ret = iommu_attach_group(&iommu->domain, iommu_group);
	if (ret)
		goto out_free;

	/* Reserved regions must not collide with what is already mapped. */
	nresv = iommu_get_group_resv_regions(iommu_group, resv, (int)ARRAY_SIZE(resv));
	for (int i = 0; i < nresv; i++) {
		if (resv[i].type == IOMMU_RESV_DIRECT_RELAXABLE || !resv[i].length)
			continue;
		if (vfio_find_dma(iommu, resv[i].start, resv[i].length)) {
			ret = -EINVAL;
			goto out_detach;
		}
	}

	/* The new ranges: the current ones clipped to the aperture, minus the regions. */
	if (!iommu->iova_list.n) {
		iova_list_set(&iova, iommu->domain.aperture_start, iommu->domain.aperture_end);
	} else {
		iova.r = xcalloc(iommu->iova_list.n, sizeof(*iova.r));
		memcpy(iova.r, iommu->iova_list.r, iommu->iova_list.n * sizeof(*iova.r));
		iova.n = iommu->iova_list.n;
		if (iommu->domain.aperture_start)
			iova_list_exclude(&iova, 0, iommu->domain.aperture_start - 1);
		if (iommu->domain.aperture_end != UINT64_MAX)
			iova_list_exclude(&iova, iommu->domain.aperture_end + 1, UINT64_MAX);
	}
	ret = vfio_group_resv_exclude(&iova, iommu_group);
	if (ret)
		goto out_detach;

	if (!vfio->params.allow_unsafe_interrupts && !vfio->iommu->intr_remap) {
		ret = -EPERM;
		goto out_detach;
	}

	first_domain = !vfio_iommu_has_domain(iommu);
	if (first_domain) {
		ret = vfio_iommu_replay(iommu);
		if (ret)
			goto out_detach;
	}

	list_add(&group->next, &iommu->group_list);
	vfio_update_pgsize_bitmap(iommu);
	iova_list_free(&iommu->iova_list);
	iommu->iova_list = iova;
	/* It can dirty memory behind our back until it says otherwise. */
	iommu->num_non_pinned_groups++;
	mutex_unlock(&iommu->lock);
	return 0;

out_detach:
	iommu_detach_group(&iommu->domain, iommu_group);
	iova_list_free(&iova);
out_free:
	free(group);
out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}

static void vfio_iommu_type1_detach_group(void *iommu_data, struct iommu_group *iommu_group)
{
	struct vfio_iommu *iommu = iommu_data;
	struct vfio_iommu_group *group;
	bool update_dirty_scope = false;

	mutex_lock(&iommu->lock);
	list_for_each_entry(group, &iommu->emulated_iommu_groups, next) {
		if (group->iommu_group != iommu_group)
			continue;
		update_dirty_scope = !group->pinned_page_dirty_scope;
		list_del(&group->next);
		free(group);
		if (list_empty(&iommu->emulated_iommu_groups) && !vfio_iommu_has_domain(iommu))
			vfio_iommu_unmap_unpin_all(iommu);
		goto done;
	}

	list_for_each_entry(group, &iommu->group_list, next) {
		if (group->iommu_group != iommu_group)
			continue;
		iommu_detach_group(&iommu->domain, iommu_group);
		update_dirty_scope = !group->pinned_page_dirty_scope;
		list_del(&group->next);
		free(group);
		/* Group ownership gives the privilege: the domain's last group takes it away. */
		if (!vfio_iommu_has_domain(iommu)) {
			if (list_empty(&iommu->emulated_iommu_groups))
				vfio_iommu_unmap_unpin_all(iommu);
			else
				vfio_iommu_unmap_unpin_reaccount(iommu);
			vfio_update_pgsize_bitmap(iommu);
		}
		vfio_iommu_iova_refresh(iommu);
		break;
	}
done:
	/* A group that could dirty anything left: the rest may be able to say better. */
	if (update_dirty_scope) {
		iommu->num_non_pinned_groups--;
		if (iommu->dirty_page_tracking)
			vfio_iommu_populate_bitmap_full(iommu);
	}
	mutex_unlock(&iommu->lock);
}

static void vfio_iommu_type1_register_device(void *iommu_data, struct vfio_device *vdev)
{
	struct vfio_iommu *iommu = iommu_data;
	struct vfio_iommu_device *d;

	if (!vdev->ops->dma_unmap)
		return;

	d = xzalloc(sizeof(*d));
	d->vdev = vdev;
	mutex_lock(&iommu->lock);
	mutex_lock(&iommu->device_list_lock);
	list_add(&d->next, &iommu->device_list);
	mutex_unlock(&iommu->device_list_lock);
	mutex_unlock(&iommu->lock);
}

static void vfio_iommu_type1_unregister_device(void *iommu_data, struct vfio_device *vdev)
{
	struct vfio_iommu *iommu = iommu_data;
	struct vfio_iommu_device *d, *tmp;

	if (!vdev->ops->dma_unmap)
		return;

	mutex_lock(&iommu->lock);
	mutex_lock(&iommu->device_list_lock);
	list_for_each_entry_safe(d, tmp, &iommu->device_list, next) {
		if (d->vdev == vdev) {
			list_del(&d->next);
			free(d);
			break;
		}
	}
	mutex_unlock(&iommu->device_list_lock);
	mutex_unlock(&iommu->lock);
}

static int vfio_iommu_type1_dma_rw(void *iommu_data, u64 iova, void *buf, size_t len, bool write)
{
	struct vfio_iommu *iommu = iommu_data;
	int ret;

	down_read(&iommu->dma_rwsem);
	if (iommu->vaddr_invalid_count)
		ret = -EBUSY;
	else
		ret = vfio_iommu_copy(iommu, iova, buf, len, write, false, NULL);
	up_read(&iommu->dma_rwsem);
	return ret;
}

/* ioctls. */

static long vfio_iommu_type1_check_extension(struct vfio_iommu *iommu, unsigned long arg)
{
	long ret;

	switch (arg) {
	case VFIO_TYPE1_IOMMU:
	case VFIO_TYPE1v2_IOMMU:
	case VFIO_TYPE1_NESTING_IOMMU:
	case VFIO_UNMAP_ALL:
		return 1;
	case VFIO_UPDATE_VADDR:
		/* Emulated devices cannot pin or copy while a vaddr is being replaced. */
		if (!iommu)
			return 0;
		mutex_lock(&iommu->lock);
		ret = list_empty(&iommu->emulated_iommu_groups);
		mutex_unlock(&iommu->lock);
		return ret;
	case VFIO_DMA_CC_IOMMU:
		/* Every domain must enforce snoop control; QEMU's VT-d does not. */
		if (!iommu)
			return 0;
		mutex_lock(&iommu->lock);
		ret = !vfio_iommu_has_domain(iommu);
		mutex_unlock(&iommu->lock);
		return ret;
	default:
		return 0;
	}
}

static int vfio_iommu_build_caps(struct vfio_iommu *iommu, struct vfio_info_cap *caps)
{
	struct vfio_info_cap_header *header;
	struct vfio_iommu_type1_info_cap_migration *mig;
	struct vfio_iommu_type1_info_dma_avail *avail;
	struct vfio_iommu_type1_info_cap_iova_range *range;

	lockdep_assert_held(&iommu->lock);

	header = vfio_info_cap_add(caps, sizeof(*mig), VFIO_IOMMU_TYPE1_INFO_CAP_MIGRATION, 1);
	if (IS_ERR_OR_NULL(header))
		return header ? (int)PTR_ERR(header) : -ENOMEM;
	mig = container_of(header, struct vfio_iommu_type1_info_cap_migration, header);
	mig->flags = 0;
	/* Dirty tracking works at the smallest page size only. */
	mig->pgsize_bitmap = vfio_pgsize(iommu);
	mig->max_dirty_bitmap_size = DIRTY_BITMAP_SIZE_MAX;

	header = vfio_info_cap_add(caps, sizeof(*avail), VFIO_IOMMU_TYPE1_INFO_DMA_AVAIL, 1);
	if (IS_ERR_OR_NULL(header))
		return header ? (int)PTR_ERR(header) : -ENOMEM;
	avail = container_of(header, struct vfio_iommu_type1_info_dma_avail, header);
	avail->avail = iommu->dma_avail;

	/* A container that only ever had emulated groups has no aperture: no cap. */
	if (!iommu->iova_list.n)
		return 0;
	header = vfio_info_cap_add(
		caps, sizeof(*range) + iommu->iova_list.n * sizeof(range->iova_ranges[0]),
		VFIO_IOMMU_TYPE1_INFO_CAP_IOVA_RANGE, 1);
	if (IS_ERR_OR_NULL(header))
		return header ? (int)PTR_ERR(header) : -ENOMEM;
	range = container_of(header, struct vfio_iommu_type1_info_cap_iova_range, header);
	range->nr_iovas = iommu->iova_list.n;
	for (unsigned int i = 0; i < iommu->iova_list.n; i++) {
		range->iova_ranges[i].start = iommu->iova_list.r[i].start;
		range->iova_ranges[i].end = iommu->iova_list.r[i].end;
	}
	return 0;
}

static long vfio_iommu_type1_get_info(struct vfio_iommu *iommu, struct task *t, unsigned long arg)
{
	struct vfio_iommu_type1_info info = { 0 };
	struct vfio_info_cap caps = { .buf = NULL, .size = 0 };
	size_t minsz = offsetofend(struct vfio_iommu_type1_info, iova_pgsizes);
	int ret;

	if (copy_from_user(t, &info, arg, minsz))
		return -EFAULT;
	if (info.argsz < minsz)
		return -EINVAL;
	minsz = min((size_t)info.argsz, sizeof(info));

	mutex_lock(&iommu->lock);
	info.flags = VFIO_IOMMU_INFO_PGSIZES;
	info.iova_pgsizes = iommu->pgsize_bitmap;
	ret = vfio_iommu_build_caps(iommu, &caps);
	mutex_unlock(&iommu->lock);
	if (ret) {
		free(caps.buf);
		return ret;
	}

	if (caps.size) {
		info.flags |= VFIO_IOMMU_INFO_CAPS;
		if (info.argsz < sizeof(info) + caps.size) {
			/* Too small for the chain: say how much is needed and succeed. */
			info.argsz = (u32)(sizeof(info) + caps.size);
		} else {
			vfio_info_cap_shift(&caps, sizeof(info));
			if (copy_to_user(t, arg + sizeof(info), caps.buf, caps.size)) {
				free(caps.buf);
				return -EFAULT;
			}
			info.cap_offset = sizeof(info);
		}
		free(caps.buf);
	}
	return copy_to_user(t, arg, &info, minsz) ? -EFAULT : 0;
}

/* MAP_DMA with VFIO_DMA_MAP_FLAG_VADDR: the caller becomes the mapper (vfio_change_dma_owner). */
static int vfio_change_dma_owner(struct vfio_iommu *iommu, struct vfio_dma *dma, struct task *t,
				 u64 vaddr)
{
	struct mm_struct *old = dma->mm;
	struct pinned_pages *old_pages = dma->pages, *pages;
	int ret;

	lockdep_assert_held(&iommu->lock);

	if (t->mm != old) {
		ret = mm_lock_acct(t->mm, (s64)dma->locked_vm, t->cap_ipc_lock, t->rlimit_memlock);
		if (ret)
			return ret;
		mm_lock_acct(old, -(s64)dma->locked_vm, dma->lock_cap, dma->rlimit);
	}
	pages = pin_user_pages(t, vaddr, dma_size(dma), dma->prot & IOMMU_WRITE);

	down_write(&iommu->dma_rwsem);
	dma->pages = pages;
	if (t->mm != old) {
		dma->mm = mmget(t->mm);
		dma->lock_cap = t->cap_ipc_lock;
		dma->rlimit = t->rlimit_memlock;
	}
	dma->vaddr = vaddr;
	dma->vaddr_invalid = false;
	iommu->vaddr_invalid_count--;
	up_write(&iommu->dma_rwsem);

	if (t->mm != old)
		mmput(old);
	unpin_user_pages(old_pages);
	return 0;
}

static int vfio_dma_do_map(struct vfio_iommu *iommu, struct task *t,
			   const struct vfio_iommu_type1_dma_map *map)
{
	bool set_vaddr = map->flags & VFIO_DMA_MAP_FLAG_VADDR;
	u64 iova = map->iova, vaddr = map->vaddr, size = map->size, pgsize;
	struct vfio_dma *dma;
	int ret = 0, prot = 0;

	/* READ/WRITE from the device's point of view. */
	if (map->flags & VFIO_DMA_MAP_FLAG_WRITE)
		prot |= IOMMU_WRITE;
	if (map->flags & VFIO_DMA_MAP_FLAG_READ)
		prot |= IOMMU_READ;
	if ((prot && set_vaddr) || (!prot && !set_vaddr))
		return -EINVAL;

	mutex_lock(&iommu->lock);

	pgsize = vfio_pgsize(iommu);
	if (!size || (size | iova | vaddr) & (pgsize - 1)) {
		ret = -EINVAL;
		goto out_unlock;
	}
	/* No wrap of either address space (6.12: -EINVAL; 6.18 made it -EOVERFLOW). */
	if (iova + size - 1 < iova || vaddr + size - 1 < vaddr) {
		ret = -EINVAL;
		goto out_unlock;
	}

	dma = vfio_find_dma(iommu, iova, size);
	if (set_vaddr) {
		if (!dma)
			ret = -ENOENT;
		else if (!dma->vaddr_invalid || dma_iova(dma) != iova || dma_size(dma) != size)
			ret = -EINVAL;
		else
			ret = vfio_change_dma_owner(iommu, dma, t, vaddr);
		goto out_unlock;
	} else if (dma) {
		ret = -EEXIST;
		goto out_unlock;
	}

	if (!iommu->dma_avail) {
		ret = -ENOSPC;
		goto out_unlock;
	}
	if (!vfio_iommu_iova_dma_valid(iommu, iova, iova + size - 1)) {
		ret = -EINVAL;
		goto out_unlock;
	}

	dma = xzalloc(sizeof(*dma));
	dma->node.start = iova;
	dma->node.last = iova + size - 1;
	dma->vaddr = vaddr;
	dma->prot = prot;
	/* Accounting and DMA use the mapper's mm, whoever holds the container later. */
	dma->mm = mmget(t->mm);
	dma->lock_cap = t->cap_ipc_lock;
	dma->rlimit = t->rlimit_memlock;

	/* Only a hardware domain pins; emulated groups copy through the mm on demand. */
	if (vfio_iommu_has_domain(iommu)) {
		ret = vfio_pin_dma(dma);
		if (ret)
			goto out_free;
		dma->iommu_mapped = true;
	}
	if (iommu->dirty_page_tracking) {
		ret = vfio_dma_bitmap_alloc(dma, pgsize);
		if (ret)
			goto out_unpin;
	}
	dma->pages = pin_user_pages(t, vaddr, size, prot & IOMMU_WRITE);

	down_write(&iommu->dma_rwsem);
	ret = itree_insert(&iommu->dma_tree, &dma->node);
	up_write(&iommu->dma_rwsem);
	if (ret)
		goto out_unpin; /* cannot happen: checked under the same lock */
	iommu->dma_avail--;
	mutex_unlock(&iommu->lock);
	return 0;

out_unpin:
	vfio_unpin_dma(dma);
	unpin_user_pages(dma->pages);
out_free:
	mmput(dma->mm);
	free(dma->bitmap);
	free(dma);
out_unlock:
	mutex_unlock(&iommu->lock);
	return ret;
}

static long vfio_iommu_type1_map_dma(struct vfio_iommu *iommu, struct task *t, unsigned long arg)
{
	struct vfio_iommu_type1_dma_map map;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_map, size);
	u32 mask = VFIO_DMA_MAP_FLAG_READ | VFIO_DMA_MAP_FLAG_WRITE | VFIO_DMA_MAP_FLAG_VADDR;

	if (copy_from_user(t, &map, arg, minsz))
		return -EFAULT;
	if (map.argsz < minsz || map.flags & ~mask)
		return -EINVAL;
	return vfio_dma_do_map(iommu, t, &map);
}

/* Ranges removed by one UNMAP_DMA, for the dma_unmap notifications. */
struct unmapped_ranges {
	struct vfio_iova *r; /* start, end (inclusive) */
	size_t n, cap;
};

static void unmapped_add(struct unmapped_ranges *u, u64 start, u64 end)
{
	if (u->n == u->cap) {
		u->cap = u->cap ? u->cap * 2 : 16;
		u->r = realloc(u->r, u->cap * sizeof(*u->r));
		if (!u->r)
			abort();
	}
	u->r[u->n++] = (struct vfio_iova){ start, end };
}

/* Tells every listening device; they must drop anything cached for the ranges. */
static void vfio_notify_dma_unmap(struct vfio_iommu *iommu, const struct unmapped_ranges *u)
{
	struct vfio_iommu_device *d;

	lockdep_assert_not_held(&iommu->lock);
	if (!u->n)
		return;
	mutex_lock(&iommu->device_list_lock);
	for (size_t i = 0; i < u->n; i++)
		list_for_each_entry(d, &iommu->device_list, next)
			vfio_device_notify_dma_unmap(d->vdev, u->r[i].start,
						     u->r[i].end - u->r[i].start + 1);
	mutex_unlock(&iommu->device_list_lock);
}

static int vfio_dma_do_unmap(struct vfio_iommu *iommu, struct task *t,
			     struct vfio_iommu_type1_dma_unmap *unmap,
			     const struct vfio_bitmap *bitmap)
{
	struct unmapped_ranges notify = { 0 };
	bool unmap_all = unmap->flags & VFIO_DMA_UNMAP_FLAG_ALL;
	bool invalidate_vaddr = unmap->flags & VFIO_DMA_UNMAP_FLAG_VADDR;
	bool get_dirty = unmap->flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP;
	u64 iova = unmap->iova, size = unmap->size, last, pgsize, unmapped = 0;
	struct itree_node *n, *first_n;
	bool notify_devices;
	int ret = -EINVAL;

	mutex_lock(&iommu->lock);

	/* Emulated devices cannot live with a vaddr in flux. */
	if (invalidate_vaddr && !list_empty(&iommu->emulated_iommu_groups)) {
		ret = -EBUSY;
		goto unlock;
	}

	pgsize = vfio_pgsize(iommu);
	if (iova & (pgsize - 1))
		goto unlock;
	if (unmap_all) {
		if (iova || size)
			goto unlock;
		size = UINT64_MAX;
	} else if (!size || size & (pgsize - 1) || iova + size - 1 < iova) {
		goto unlock;
	}
	last = unmap_all ? UINT64_MAX : iova + size - 1;

	/* With dirty tracking, only the smallest page size is reported. */
	if (get_dirty && (!iommu->dirty_page_tracking || bitmap->pgsize != pgsize))
		goto unlock;

	/*
	 * v2 never splits a mapping: the range may cover several but must not
	 * start or end inside one. v1 (below) keeps the old coalescing behaviour.
	 */
	if (iommu->v2 && !unmap_all) {
		struct vfio_dma *dma = to_dma(itree_lookup(&iommu->dma_tree, iova));

		if (dma && dma_iova(dma) != iova)
			goto unlock;
		dma = to_dma(itree_lookup(&iommu->dma_tree, last));
		if (dma && dma->node.last != last)
			goto unlock;
	}

	ret = 0;
	notify_devices = !list_empty(&iommu->device_list);
	n = first_n = itree_first(&iommu->dma_tree, iova, last);
	while (n && n->start <= last) {
		struct vfio_dma *dma = to_dma(n);

		/* v1: a request starting inside a mapping unmaps nothing from there on. */
		if (!iommu->v2 && iova > dma_iova(dma))
			break;

		if (invalidate_vaddr) {
			if (dma->vaddr_invalid) {
				/* Already invalid: undo this call's marks and fail. */
				down_write(&iommu->dma_rwsem);
				for (struct itree_node *m = first_n; m != n; m = itree_next(m)) {
					to_dma(m)->vaddr_invalid = false;
					iommu->vaddr_invalid_count--;
				}
				up_write(&iommu->dma_rwsem);
				ret = -EINVAL;
				unmapped = 0;
				break;
			}
			down_write(&iommu->dma_rwsem);
			dma->vaddr_invalid = true;
			iommu->vaddr_invalid_count++;
			up_write(&iommu->dma_rwsem);
			unmapped += dma_size(dma);
			n = itree_next(n);
			continue;
		}

		if (get_dirty) {
			ret = update_user_bitmap(iommu, t, (u64)(uintptr_t)bitmap->data, dma, iova,
						 pgsize, false);
			if (ret)
				break;
		}

		unmapped += dma_size(dma);
		if (notify_devices)
			unmapped_add(&notify, dma_iova(dma), dma->node.last);
		n = itree_next(n);
		vfio_remove_dma(iommu, dma);
	}

unlock:
	mutex_unlock(&iommu->lock);
	vfio_notify_dma_unmap(iommu, &notify);
	free(notify.r);

	/* Report how much was unmapped. */
	unmap->size = unmapped;
	return ret;
}

static long vfio_iommu_type1_unmap_dma(struct vfio_iommu *iommu, struct task *t, unsigned long arg)
{
	struct vfio_iommu_type1_dma_unmap unmap;
	struct vfio_bitmap bitmap = { 0 };
	size_t minsz = offsetofend(struct vfio_iommu_type1_dma_unmap, size);
	u32 mask = VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP | VFIO_DMA_UNMAP_FLAG_VADDR |
		   VFIO_DMA_UNMAP_FLAG_ALL;
	int ret;

	if (copy_from_user(t, &unmap, arg, minsz))
		return -EFAULT;
	if (unmap.argsz < minsz || unmap.flags & ~mask)
		return -EINVAL;
	if ((unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) &&
	    (unmap.flags & (VFIO_DMA_UNMAP_FLAG_ALL | VFIO_DMA_UNMAP_FLAG_VADDR)))
		return -EINVAL;

	if (unmap.flags & VFIO_DMA_UNMAP_FLAG_GET_DIRTY_BITMAP) {
		unsigned int pgshift;

		if (unmap.argsz < minsz + sizeof(bitmap))
			return -EINVAL;
		if (copy_from_user(t, &bitmap, arg + minsz, sizeof(bitmap)))
			return -EFAULT;
		if (!access_ok((u64)(uintptr_t)bitmap.data, bitmap.size))
			return -EINVAL;
		pgshift = bitmap.pgsize ? (unsigned int)__builtin_ctzll(bitmap.pgsize) : 0;
		ret = verify_bitmap_size(unmap.size >> pgshift, bitmap.size);
		if (ret)
			return ret;
	}

	ret = vfio_dma_do_unmap(iommu, t, &unmap, &bitmap);
	if (ret)
		return ret;
	return copy_to_user(t, arg, &unmap, minsz) ? -EFAULT : 0;
}

static int vfio_iova_dirty_bitmap(struct vfio_iommu *iommu, struct task *t, u64 user_bitmap,
				  u64 iova, u64 size, u64 pgsize)
{
	u64 last = iova + size - 1;
	struct vfio_dma *dma;
	int ret;

	lockdep_assert_held(&iommu->lock);

	/* The range must cover whole mappings, as v2 unmap. */
	dma = to_dma(itree_lookup(&iommu->dma_tree, iova));
	if (dma && dma_iova(dma) != iova)
		return -EINVAL;
	dma = to_dma(itree_lookup(&iommu->dma_tree, last));
	if (dma && dma->node.last != last)
		return -EINVAL;

	for (struct itree_node *n = itree_first(&iommu->dma_tree, iova, last);
	     n && n->start <= last; n = itree_next(n)) {
		ret = update_user_bitmap(iommu, t, user_bitmap, to_dma(n), iova, pgsize, true);
		if (ret)
			return ret;
	}
	return 0;
}

static long vfio_iommu_type1_dirty_pages(struct vfio_iommu *iommu, struct task *t,
					 unsigned long arg)
{
	struct vfio_iommu_type1_dirty_bitmap dirty;
	u32 mask = VFIO_IOMMU_DIRTY_PAGES_FLAG_START | VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP |
		   VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP;
	size_t minsz = offsetofend(struct vfio_iommu_type1_dirty_bitmap, flags);
	int ret = 0;

	if (!iommu->v2)
		return -EACCES;

	if (copy_from_user(t, &dirty, arg, minsz))
		return -EFAULT;
	if (dirty.argsz < minsz || dirty.flags & ~mask)
		return -EINVAL;
	/* Exactly one operation. */
	if (!dirty.flags || (dirty.flags & (dirty.flags - 1)))
		return -EINVAL;

	if (dirty.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_START) {
		mutex_lock(&iommu->lock);
		if (!iommu->dirty_page_tracking) {
			u64 pgsize = vfio_pgsize(iommu);
			struct itree_node *n;

			for (n = itree_min(&iommu->dma_tree); n; n = itree_next(n)) {
				if (to_dma(n)->bitmap)
					continue;
				ret = vfio_dma_bitmap_alloc(to_dma(n), pgsize);
				if (ret)
					break;
			}
			down_write(&iommu->dma_rwsem);
			if (ret) {
				for (n = itree_min(&iommu->dma_tree); n; n = itree_next(n)) {
					free(to_dma(n)->bitmap);
					to_dma(n)->bitmap = NULL;
				}
			} else {
				iommu->dirty_page_tracking = true;
			}
			up_write(&iommu->dma_rwsem);
		}
		mutex_unlock(&iommu->lock);
		return ret;
	}

	if (dirty.flags & VFIO_IOMMU_DIRTY_PAGES_FLAG_STOP) {
		mutex_lock(&iommu->lock);
		if (iommu->dirty_page_tracking) {
			down_write(&iommu->dma_rwsem);
			iommu->dirty_page_tracking = false;
			for (struct itree_node *n = itree_min(&iommu->dma_tree); n;
			     n = itree_next(n)) {
				free(to_dma(n)->bitmap);
				to_dma(n)->bitmap = NULL;
			}
			up_write(&iommu->dma_rwsem);
		}
		mutex_unlock(&iommu->lock);
		return 0;
	}

	/* VFIO_IOMMU_DIRTY_PAGES_FLAG_GET_BITMAP */
	{
		struct vfio_iommu_type1_dirty_bitmap_get range;
		size_t data_size = dirty.argsz - minsz;
		unsigned int pgshift;
		u64 iommu_pgsize;

		if (!data_size || data_size < sizeof(range))
			return -EINVAL;
		if (copy_from_user(t, &range, arg + minsz, sizeof(range)))
			return -EFAULT;
		if (range.iova + range.size < range.iova)
			return -EINVAL;
		if (!access_ok((u64)(uintptr_t)range.bitmap.data, range.bitmap.size))
			return -EINVAL;
		pgshift = range.bitmap.pgsize ? (unsigned int)__builtin_ctzll(range.bitmap.pgsize) :
						0;
		ret = verify_bitmap_size(range.size >> pgshift, range.bitmap.size);
		if (ret)
			return ret;

		mutex_lock(&iommu->lock);
		iommu_pgsize = vfio_pgsize(iommu);
		if (range.bitmap.pgsize != iommu_pgsize || range.iova & (iommu_pgsize - 1) ||
		    !range.size || range.size & (iommu_pgsize - 1))
			ret = -EINVAL;
		else if (iommu->dirty_page_tracking)
			ret = vfio_iova_dirty_bitmap(iommu, t, (u64)(uintptr_t)range.bitmap.data,
						     range.iova, range.size, range.bitmap.pgsize);
		else
			ret = -EINVAL;
		mutex_unlock(&iommu->lock);
		return ret;
	}
}

static long vfio_iommu_type1_ioctl(void *iommu_data, struct task *t, unsigned int cmd,
				   unsigned long arg)
{
	struct vfio_iommu *iommu = iommu_data;

	if (cmd == VFIO_CHECK_EXTENSION)
		return vfio_iommu_type1_check_extension(iommu, arg);
	if (!iommu)
		return -EINVAL;

	switch (cmd) {
	case VFIO_IOMMU_GET_INFO:
		return vfio_iommu_type1_get_info(iommu, t, arg);
	case VFIO_IOMMU_MAP_DMA:
		return vfio_iommu_type1_map_dma(iommu, t, arg);
	case VFIO_IOMMU_UNMAP_DMA:
		return vfio_iommu_type1_unmap_dma(iommu, t, arg);
	case VFIO_IOMMU_DIRTY_PAGES:
		return vfio_iommu_type1_dirty_pages(iommu, t, arg);
	default:
		return -ENOTTY;
	}
}

const struct vfio_iommu_driver_ops vfio_iommu_driver_ops_type1 = {
	.name = "vfio-iommu-type1",
	.open = vfio_iommu_type1_open,
	.release = vfio_iommu_type1_release,
	.ioctl = vfio_iommu_type1_ioctl,
	.attach_group = vfio_iommu_type1_attach_group,
	.detach_group = vfio_iommu_type1_detach_group,
	.register_device = vfio_iommu_type1_register_device,
	.unregister_device = vfio_iommu_type1_unregister_device,
	.dma_rw = vfio_iommu_type1_dma_rw,
};

// SPDX-License-Identifier: MIT
/*
 * Building and tearing down a world from a machine description.
 *
 * Creation mirrors a boot: the IOMMU and VFIO come up, the drivers register
 * (e1000, pci-stub, pcieport, vfio-pci), then the PCI functions are added in
 * the kernel's order (pci_bus_add_devices: every function of a bus, then each
 * child bus in turn), each placed in its IOMMU group and auto-probed. Finally
 * the machine's initial drivers are applied. Destruction runs the other way.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "devices/models.h"
#include "kvm/kvm.h"
#include "machine/machine.h"
#include "uvfio/uvfio.h"
#include "race.h"
#include "pci/pci-sysfs.h"
#include "world.h"

static struct pci_bus *world_find_bus(struct uvfio_world *w, int domain, unsigned int number)
{
	struct pci_bus *stack[64], *bus;
	int sp = 0;

	list_for_each_entry(bus, &w->pci.root_buses, node)
		stack[sp++] = bus;
	while (sp) {
		struct pci_bus *b = stack[--sp], *child;

		if (b->domain == domain && b->number == number)
			return b;
		list_for_each_entry(child, &b->children, node)
			if (sp < (int)ARRAY_SIZE(stack))
				stack[sp++] = child;
	}
	return NULL;
}

/* Host address assignment for resources a model left unplaced. */
struct res_alloc {
	u64 mem, io;
	/* Every resource placed so far, to refuse an overlap: one address space each. */
	struct placed_res {
		u64 start, end;
		bool io;
		int line, bar;
	} * placed;
	unsigned int nplaced;
};

static const char *const res_names[PCI_NUM_RESOURCES] = { "bar0", "bar1", "bar2", "bar3",
							  "bar4", "bar5", "rom" };

/*
 * A function's resources must fit what its BARs can decode (naturally
 * aligned, no wrap, a 32-bit BAR or a ROM below 4 GiB, I/O below 64 KiB) and
 * overlap no other function's: firmware never assigns such addresses, and
 * two devices decoding one address is not a machine (pci_claim_resource()
 * would refuse the second).
 */
static int world_check_resources(const struct uvfio_machine *m, const struct machine_device *md,
				 struct pci_dev *pdev, struct res_alloc *ra, char *err,
				 size_t errlen)
{
	for (int i = 0; i < PCI_NUM_RESOURCES; i++) {
		const struct resource *r = &pdev->resource[i];
		u64 size = resource_size(r), limit;
		bool io = r->flags & IORESOURCE_IO;

		if (!r->flags || !size)
			continue;
		limit = io			       ? 0xffffull :
			(r->flags & IORESOURCE_MEM_64) ? UINT64_MAX :
							 0xffffffffull;
		if (r->start + (size - 1) < r->start || r->start + (size - 1) > limit ||
		    (r->start & (size - 1))) {
			snprintf(err, errlen,
				 "%s:%d: %s %s at 0x%llx: a %llu-byte %s BAR cannot decode there "
				 "(it must be aligned to its size and end below 0x%llx)",
				 m->source, md->line, md->model, res_names[i],
				 (unsigned long long)r->start, (unsigned long long)size,
				 io				? "I/O" :
				 (r->flags & IORESOURCE_MEM_64) ? "64-bit" :
								  "32-bit",
				 (unsigned long long)limit);
			return -EINVAL;
		}
		/* A ROM decodes only once enabled: firmware may leave it over a BAR. */
		if (i == PCI_ROM_RESOURCE && !(r->flags & IORESOURCE_ROM_ENABLE))
			continue;
		for (unsigned int j = 0; j < ra->nplaced; j++) {
			const struct placed_res *p = &ra->placed[j];

			if (p->io != io || p->end < r->start || p->start > r->end)
				continue;
			snprintf(err, errlen,
				 "%s:%d: %s %s [0x%llx-0x%llx] overlaps %s of the device on line "
				 "%d [0x%llx-0x%llx]",
				 m->source, md->line, md->model, res_names[i],
				 (unsigned long long)r->start, (unsigned long long)r->end,
				 res_names[p->bar], p->line, (unsigned long long)p->start,
				 (unsigned long long)p->end);
			return -EINVAL;
		}
		if (!ra->placed) /* room for every resource of every function */
			ra->placed = xcalloc((size_t)m->ndevices * PCI_NUM_RESOURCES + 1,
					     sizeof(*ra->placed));
		ra->placed[ra->nplaced++] = (struct placed_res){ .start = r->start,
								 .end = r->end,
								 .io = io,
								 .line = md->line,
								 .bar = i };
	}
	return 0;
}

static void world_assign_resources(struct pci_dev *pdev, struct res_alloc *ra)
{
	for (int i = 0; i < PCI_NUM_RESOURCES; i++) {
		struct resource *r = &pdev->resource[i];
		u64 size = resource_size(r), *next;

		if (!size || r->start)
			continue;
		next = (r->flags & IORESOURCE_IO) ? &ra->io : &ra->mem;
		*next = ALIGN_UP(*next, size);
		r->start = *next;
		r->end = *next + size - 1;
		*next += size;
	}
}

static int world_add_function(struct uvfio_world *w, const struct uvfio_machine *m,
			      const struct machine_device *md, struct pci_bus *bus,
			      struct res_alloc *ra, char *err, size_t errlen)
{
	const struct pci_model *model = pci_model_find(md->model);
	struct model_param params[MACHINE_MAX_PARAMS];
	char merr[256] = "";
	struct pci_dev *pdev;
	int ret;

	if (!model) {
		snprintf(err, errlen, "%s:%d: unknown device model '%s'", m->source, md->line,
			 md->model);
		return -EINVAL;
	}
	for (unsigned int i = 0; i < md->nparams; i++)
		params[i] = (struct model_param){ md->params[i].key, md->params[i].value };
	pdev = pci_alloc_dev(bus, md->devfn, NULL, NULL);
	ret = model->init(pdev, params, md->nparams, merr, sizeof(merr));
	if (ret) {
		snprintf(err, errlen, "%s:%d: %s: %s", m->source, md->line, md->model,
			 merr[0] ? merr : strerror(-ret));
		put_device(&pdev->dev);
		return ret;
	}
	world_assign_resources(pdev, ra);
	ret = world_check_resources(m, md, pdev, ra, err, errlen);
	if (ret) {
		put_device(&pdev->dev);
		return ret;
	}
	pci_setup_device(pdev);
	if (pci_is_bridge(pdev)) {
		unsigned int secondary = pdev->config[PCI_SECONDARY_BUS];

		if (!secondary || world_find_bus(w, bus->domain, secondary)) {
			snprintf(err, errlen, "%s:%d: bridge needs a free secondary bus (bus=N)",
				 m->source, md->line);
			put_device(&pdev->dev);
			return -EINVAL;
		}
		pci_add_bus(&w->pci, bus, pdev, secondary);
	}
	/* Linked into the bus now; announced to the driver core in kernel order later. */
	mutex_lock(&w->pci.topology_lock);
	{
		struct pci_dev *pos;

		list_for_each_entry(pos, &bus->devices, bus_list)
			if (pos->devfn > pdev->devfn)
				break;
		list_add_tail(&pdev->bus_list, &pos->bus_list);
	}
	mutex_unlock(&w->pci.topology_lock);
	return 0;
}

/* pci_bus_add_devices(): each function of the bus, then each child bus. */
static int world_announce_bus(struct uvfio_world *w, struct pci_bus *bus)
{
	struct pci_dev *pdev;
	int ret;

	list_for_each_entry(pdev, &bus->devices, bus_list) {
		pci_log_found(pdev);
		ret = iommu_probe_device(&w->iommu, &pdev->dev);
		if (ret)
			return ret;
		device_add(&pdev->dev);
	}
	list_for_each_entry(pdev, &bus->devices, bus_list) {
		if (pdev->subordinate) {
			ret = world_announce_bus(w, pdev->subordinate);
			if (ret)
				return ret;
		}
	}
	return 0;
}

static int world_apply_driver(struct uvfio_world *w, const struct uvfio_machine *m,
			      const struct machine_device *md, char *err, size_t errlen)
{
	struct pci_dev *pdev = pci_get_domain_bus_and_slot(&w->pci, md->domain, md->bus, md->devfn);
	struct pci_driver *drv = NULL;
	int ret = 0;

	if (!pdev)
		return 0;
	if (strcmp(md->driver, "none")) {
		struct device_driver *found = driver_find(md->driver, &w->pci.bus);

		drv = found ? to_pci_driver(found) : NULL;
		if (!drv) {
			snprintf(err, errlen, "%s:%d: unknown driver '%s'", m->source, md->line,
				 md->driver);
			put_device(&pdev->dev);
			return -EINVAL;
		}
	}
	if (pdev->dev.driver && (!drv || pdev->dev.driver != &drv->driver))
		device_release_driver(&pdev->dev);
	if (drv && !driver_match_device(&drv->driver, &pdev->dev) &&
	    !pci_driver_binds_by_override(drv)) {
		snprintf(err, errlen,
			 "%s:%d: driver=%s does not match %s (%04x:%04x): no entry of its id table "
			 "does, and a bind of it there is refused (No such device)",
			 m->source, md->line, drv->name, dev_name(&pdev->dev), pdev->vendor,
			 pdev->device);
		put_device(&pdev->dev);
		return -EINVAL;
	}
	if (drv && !pdev->dev.driver) {
		if (!driver_match_device(&drv->driver, &pdev->dev)) {
			/* An initial driver binds like driver_override + drivers_probe would. */
			driver_override_store(&pdev->dev, drv->name, strlen(drv->name));
		}
		ret = device_driver_attach(&drv->driver, &pdev->dev);
		if (ret)
			snprintf(err, errlen, "%s:%d: cannot bind %s to %s: %s", m->source,
				 md->line, drv->name, dev_name(&pdev->dev), strerror(-ret));
	}
	put_device(&pdev->dev);
	return ret;
}

static int world_register_drivers(struct uvfio_world *w)
{
	struct pci_driver *drivers[] = {
		e1000_host_driver_new(),
		pci_stub_driver_new(),
		pcieport_driver_new(),
		vfio_pci_driver_new(&w->vfio),
	};

	for (unsigned int i = 0; i < ARRAY_SIZE(drivers); i++) {
		int ret = pci_register_driver(&w->pci, drivers[i]);

		w->drivers[w->ndrivers++] = drivers[i];
		if (ret)
			return ret;
	}
	return 0;
}

int uvfio_world_create(const struct uvfio_machine *m, struct uvfio_world **out, char *err,
		       size_t errlen)
{
	struct uvfio_world *w = xzalloc(sizeof(*w));
	struct res_alloc ra = { .mem = 0xc0000000ull, .io = 0xd000 };
	struct pci_bus *bus;
	bool progress;
	bool *done;
	int ret;

	if (!err || !errlen) {
		static char dummy[1];

		err = dummy;
		errlen = sizeof(dummy);
	}
	err[0] = '\0';
	snprintf(w->name, sizeof(w->name), "%s", m->name);
	world_races_init(w);
	printk_log_init(&w->log, &w->trace); /* first: everything below may print */
	chrdevs_init(&w->chrdevs, w);
	w->loop = loop_new("uvfio-world");
	w->env = (struct core_env){
		.world = w,
		.chrdevs = &w->chrdevs,
		.trace = &w->trace,
		.races = &w->races,
		.loop = w->loop,
	};
	pci_core_init(&w->pci, w, &w->iommu, &w->trace, w->loop);
	iommu_init(&w->iommu, w, &w->trace, &w->races, m->iommu_aw_bits);
	w->iommu.intr_remap = m->iommu_intremap;
	ret = vfio_init(&w->vfio, &w->env, &w->iommu);
	class_registry_init(&w->classes, w);
	mdev_core_init(&w->mdev, &w->env, &w->iommu, &w->vfio, &w->classes);
	/* Each subsystem hangs its directories into the tree (docs/design.md, "Layering"). */
	sysfs_root_init(&w->sysfs, w);
	pci_sysfs_init(&w->sysfs, &w->pci);
	iommu_sysfs_init(&w->sysfs, &w->iommu);
	vfio_sysfs_init(&w->sysfs, &w->vfio);
	class_sysfs_init(&w->sysfs, &w->classes);
	mdev_sysfs_init(&w->sysfs, &w->mdev);
	/* Each subsystem registers its device nodes (docs/design.md, "Layering"). */
	if (!ret)
		ret = kvm_init(&w->kvm, &w->env);
	if (!ret)
		ret = devkmsg_init(w);
	if (ret) {
		snprintf(err, errlen, "registering device nodes: %s", strerror(-ret));
		goto err_destroy;
	}
	ret = world_register_drivers(w);
	if (ret) {
		snprintf(err, errlen, "registering drivers: %s", strerror(-ret));
		goto err_destroy;
	}

	/* Functions are created bus by bus: a function can only sit on an existing bus. */
	done = xcalloc(m->ndevices + 1, sizeof(*done));
	do {
		progress = false;
		for (unsigned int i = 0; i < m->ndevices; i++) {
			const struct machine_device *md = &m->devices[i];

			if (done[i])
				continue;
			bus = world_find_bus(w, md->domain, md->bus);
			if (!bus && md->bus == 0)
				bus = pci_add_bus(&w->pci, NULL, NULL, 0), bus->domain = md->domain;
			if (!bus)
				continue;
			ret = world_add_function(w, m, md, bus, &ra, err, errlen);
			if (ret) {
				free(done);
				goto err_destroy;
			}
			done[i] = progress = true;
		}
	} while (progress);
	for (unsigned int i = 0; i < m->ndevices; i++) {
		if (!done[i]) {
			snprintf(err, errlen, "%s:%d: no bridge provides bus %02x", m->source,
				 m->devices[i].line, m->devices[i].bus);
			free(done);
			ret = -EINVAL;
			goto err_destroy;
		}
	}
	free(done);

	list_for_each_entry(bus, &w->pci.root_buses, node) {
		ret = world_announce_bus(w, bus);
		if (ret) {
			snprintf(err, errlen, "adding devices: %s", strerror(-ret));
			goto err_destroy;
		}
	}
	for (unsigned int i = 0; i < m->ndevices; i++) {
		if (!m->devices[i].driver)
			continue;
		ret = world_apply_driver(w, m, &m->devices[i], err, errlen);
		if (ret)
			goto err_destroy;
	}
	ret = mdev_models_add_machine(&w->mdev, m, err, errlen);
	if (ret)
		goto err_destroy;
	free(ra.placed);
	*out = w;
	return 0;

err_destroy:
	free(ra.placed);
	uvfio_world_destroy(w);
	return ret;
}

static void world_remove_bus(struct uvfio_world *w, struct pci_bus *bus)
{
	struct pci_dev *pdev, *n;

	/* Children first, then this bus's functions in reverse order. */
	list_for_each_entry(pdev, &bus->devices, bus_list)
		if (pdev->subordinate)
			world_remove_bus(w, pdev->subordinate);
	for (pdev = list_entry(bus->devices.prev, struct pci_dev, bus_list);
	     &pdev->bus_list != &bus->devices; pdev = n) {
		n = list_entry(pdev->bus_list.prev, struct pci_dev, bus_list);
		if (pdev->dev.registered)
			device_del(&pdev->dev);
		iommu_release_device(&pdev->dev);
		mutex_lock(&w->pci.topology_lock);
		list_del_init(&pdev->bus_list);
		mutex_unlock(&w->pci.topology_lock);
		put_device(&pdev->dev);
	}
	mutex_lock(&w->pci.topology_lock);
	list_del_init(&bus->node);
	mutex_unlock(&w->pci.topology_lock);
	free(bus);
}

void uvfio_world_destroy(struct uvfio_world *w)
{
	struct pci_bus *bus, *n;

	if (!w)
		return;
	/* Device models may have work queued: let it finish before devices go. */
	loop_flush(w->loop);
	/* mdev parents go first: their instances are VFIO devices too. */
	mdev_core_exit(&w->mdev);
	list_for_each_entry_safe(bus, n, &w->pci.root_buses, node)
		world_remove_bus(w, bus);
	pci_removed_destroy(&w->pci);
	for (unsigned int i = w->ndrivers; i-- > 0;) {
		pci_unregister_driver(w->drivers[i]);
		host_driver_free(w->drivers[i]);
	}
	loop_free(w->loop);
	devkmsg_exit(w);
	kvm_exit(&w->kvm);
	vfio_exit(&w->vfio);
	iommu_destroy(&w->iommu);
	class_registry_destroy(&w->classes);
	sysfs_root_destroy(&w->sysfs);
	chrdevs_destroy(&w->chrdevs);
	pci_core_destroy(&w->pci);
	printk_log_destroy(&w->log);
	race_registry_destroy(&w->races);
	free(w);
}

void uvfio_world_set_tracing(struct uvfio_world *w, bool on)
{
	atomic_store_explicit(&w->trace.accesses, on, memory_order_relaxed);
}

void uvfio_world_set_trace(struct uvfio_world *w, void (*fn)(void *arg, const char *line),
			   void *arg)
{
	w->trace.arg = arg;
	w->trace.fn = fn;
}

void uvfio_world_set_settle(struct uvfio_world *w, void (*fn)(void *arg), void *arg)
{
	w->settle_arg = arg;
	w->settle = fn;
}

void uvfio_world_settle(struct uvfio_world *w)
{
	if (w->settle)
		w->settle(w->settle_arg);
}

void world_trace(struct uvfio_world *w, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trace_vemit(&w->trace, fmt, ap);
	va_end(ap);
}

void uvfio_world_flush(struct uvfio_world *w)
{
	loop_flush(w->loop);
}

int uvfio_pci_unplug(struct uvfio_world *w, const char *bdf, const struct uvfio_writer *who)
{
	return pci_unplug(&w->pci, bdf, who);
}

int uvfio_pci_plug(struct uvfio_world *w, const char *bdf)
{
	return pci_plug(&w->pci, bdf);
}

void uvfio_world_set_request_interval(struct uvfio_world *w, unsigned int ms)
{
	w->vfio.params.request_interval_ms = ms ? ms : 1;
}

int uvfio_world_blocked(struct uvfio_world *w, struct uvfio_blocked *out, int max)
{
	return vfio_blocked(&w->vfio, out, max);
}

int uvfio_mdev_parent_add(struct uvfio_world *w, const char *model_name, const char *name,
			  const char *params, char *err, size_t errlen)
{
	return mdev_model_parent_add(&w->mdev, model_name, name, params, err, errlen);
}

int uvfio_mdev_parent_remove(struct uvfio_world *w, const char *name,
			     const struct uvfio_writer *who)
{
	return mdev_model_parent_remove(&w->mdev, name, who);
}

/* ------------------------------------------------------------------ sysfs */

int uvfio_sysfs_stat(struct uvfio_world *w, const char *path, struct uvfio_sysfs_stat *st)
{
	return sysfs_stat(&w->sysfs, path, st);
}

int uvfio_sysfs_readdir(struct uvfio_world *w, const char *path, uvfio_sysfs_filldir_t fn,
			void *arg)
{
	return sysfs_readdir(&w->sysfs, path, fn, arg);
}

ssize_t uvfio_sysfs_pread(struct uvfio_world *w, const char *path, void *buf, size_t size,
			  long long off)
{
	return sysfs_pread(&w->sysfs, path, buf, size, off, true);
}

ssize_t uvfio_sysfs_pread_as(struct uvfio_world *w, bool cap_sys_admin, const char *path, void *buf,
			     size_t size, long long off)
{
	return sysfs_pread(&w->sysfs, path, buf, size, off, cap_sys_admin);
}

ssize_t uvfio_sysfs_read(struct uvfio_world *w, const char *path, void *buf, size_t size)
{
	return sysfs_pread(&w->sysfs, path, buf, size, 0, true);
}

ssize_t uvfio_sysfs_readlink(struct uvfio_world *w, const char *path, char *buf, size_t size)
{
	return sysfs_readlink(&w->sysfs, path, buf, size);
}

/*
 * Every write is traced once it returns, with who wrote, the path, the bytes
 * (at most 256, JSON-escaped) and the result (count or -errno):
 * {"op":"sysfs_write","pid":1234,"path":"/sys/...","value":"0000:00:03.0\n","len":13,"result":13}
 */
ssize_t uvfio_sysfs_pwrite_as(struct uvfio_world *w, const struct uvfio_writer *who,
			      const char *path, const void *buf, size_t len, long long off)
{
	const struct uvfio_writer *old = set_current_writer(who);
	char epath[512], evalue[1600];
	ssize_t ret = sysfs_pwrite(&w->sysfs, path, buf, len, off);

	set_current_writer(old);
	if (trace_listening(&w->trace)) {
		json_escape(epath, sizeof(epath), path, strlen(path));
		json_escape(evalue, sizeof(evalue), buf, min(len, (size_t)256));
		trace_emit(&w->trace,
			   "{\"op\":\"sysfs_write\",\"pid\":%d,\"path\":\"%s\",\"value\":\"%s\","
			   "\"len\":%zu,\"off\":%lld,\"result\":%zd}",
			   who ? (int)who->pid : 0, epath, evalue, len, off, ret);
	}
	return ret;
}

ssize_t uvfio_sysfs_pwrite(struct uvfio_world *w, const char *path, const void *buf, size_t len,
			   long long off)
{
	return uvfio_sysfs_pwrite_as(w, NULL, path, buf, len, off);
}

ssize_t uvfio_sysfs_write(struct uvfio_world *w, const char *path, const void *buf, size_t len)
{
	return uvfio_sysfs_pwrite(w, path, buf, len, 0);
}

// SPDX-License-Identifier: MIT
/*
 * The driver core (drivers/base/{core,bus,dd}.c): device registration,
 * matching, probe and remove, and the sysfs writes that drive them, with the
 * kernel's ordering of notifications and the kernel's errnos.
 *
 * Binding (really_probe), as 6.12 does it:
 *   dev->driver = drv → bus dma_configure (DMA ownership; failure returns
 *   early with no notification) → driver_sysfs_add (BUS_NOTIFY_BIND_DRIVER,
 *   then the driver links) → probe() → BOUND_DRIVER, or on failure the
 *   links go, DRIVER_NOT_BOUND, dma_cleanup.
 * Unbinding (__device_release_driver): the links go → UNBIND_DRIVER →
 * remove() (may block: vfio-pci waits there for userspace) → dma_cleanup →
 * UNBOUND_DRIVER. So while remove() blocks, sysfs already shows no driver.
 *
 * Probe errors are returned to bind/drivers_probe writers; during automatic
 * probing a failed probe lets the next driver try, as in the kernel.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/device.h"
#include "base/module.h"
#include "uvfio/uvfio.h"

#ifndef EPROBE_DEFER
#define EPROBE_DEFER 517 /* kernel-internal */
#endif

void device_initialize(struct device *dev, struct bus *bus, struct device *parent,
		       void (*release)(struct device *dev))
{
	kref_init(&dev->kref);
	dev->release = release;
	dev->bus = bus;
	dev->parent = parent ? get_device(parent) : NULL;
	mutex_init(&dev->lock, "device_lock");
	INIT_LIST_HEAD(&dev->bus_node);
	INIT_LIST_HEAD(&dev->driver_node);
}

struct device *get_device(struct device *dev)
{
	if (dev)
		kref_get(&dev->kref);
	return dev;
}

static void device_release(struct kref *kref)
{
	struct device *dev = container_of(kref, struct device, kref);
	struct device *parent = dev->parent;

	free(dev->driver_override);
	dev->driver_override = NULL;
	mutex_destroy(&dev->lock);
	dev->release(dev);
	put_device(parent);
}

void put_device(struct device *dev)
{
	if (dev)
		kref_put(&dev->kref, device_release);
}

void bus_init(struct bus *bus, const struct bus_type *type, struct uvfio_world *w)
{
	bus->type = type;
	bus->world = w;
	mutex_init(&bus->lock, "bus->lock");
	INIT_LIST_HEAD(&bus->devices);
	INIT_LIST_HEAD(&bus->drivers);
	init_rwsem(&bus->notifier_rwsem, "bus->notifier_rwsem");
	INIT_LIST_HEAD(&bus->notifiers);
	bus->drivers_autoprobe = true;
	pthread_cond_init(&bus->drivers_idle, NULL);
}

void bus_destroy(struct bus *bus)
{
	pthread_cond_destroy(&bus->drivers_idle);
	mutex_destroy(&bus->lock);
	rwsem_destroy(&bus->notifier_rwsem);
}

int bus_register_notifier(struct bus *bus, struct notifier_block *nb)
{
	down_write(&bus->notifier_rwsem);
	list_add_tail(&nb->node, &bus->notifiers);
	up_write(&bus->notifier_rwsem);
	return 0;
}

void bus_unregister_notifier(struct bus *bus, struct notifier_block *nb)
{
	down_write(&bus->notifier_rwsem);
	list_del_init(&nb->node);
	up_write(&bus->notifier_rwsem);
}

void bus_notify(struct device *dev, enum bus_notify_event event)
{
	struct notifier_block *nb;

	down_read(&dev->bus->notifier_rwsem);
	list_for_each_entry(nb, &dev->bus->notifiers, node)
		nb->notifier_call(nb, event, dev);
	up_read(&dev->bus->notifier_rwsem);
}

/* sysfs_streq(): equal, ignoring one trailing newline on either side. */
static bool sysfs_streq(const char *s1, const char *s2)
{
	while (*s1 && *s1 == *s2) {
		s1++;
		s2++;
	}
	if (*s1 == *s2)
		return true;
	if (!*s1 && *s2 == '\n' && !s2[1])
		return true;
	if (*s1 == '\n' && !s1[1] && !*s2)
		return true;
	return false;
}

int sysfs_name_from_buf(const char *buf, size_t count, char *out, size_t outsz)
{
	if (count >= outsz)
		return -EINVAL;
	memcpy(out, buf, count);
	out[count] = '\0';
	return 0;
}

struct device *bus_find_device_by_name(struct bus *bus, const char *name)
{
	struct device *dev, *found = NULL;

	mutex_lock(&bus->lock);
	list_for_each_entry(dev, &bus->devices, bus_node) {
		if (sysfs_streq(dev->name, name)) {
			found = get_device(dev);
			break;
		}
	}
	mutex_unlock(&bus->lock);
	return found;
}

int driver_match_device(struct device_driver *drv, struct device *dev)
{
	return drv->bus->type->match ? drv->bus->type->match(dev, drv) : 1;
}

/* drivers/base/dd.c, driver_sysfs_add: the BIND_DRIVER notice, then the links. */
static void driver_sysfs_add(struct device *dev)
{
	bus_notify(dev, BUS_NOTIFY_BIND_DRIVER);
	mutex_lock(&dev->bus->lock);
	dev->driver_linked = true;
	mutex_unlock(&dev->bus->lock);
}

static void driver_sysfs_remove(struct device *dev)
{
	mutex_lock(&dev->bus->lock);
	dev->driver_linked = false;
	mutex_unlock(&dev->bus->lock);
}

/*
 * Returns 0 when bound, a positive errno when the driver's probe failed
 * (so callers can tell it from other errors), a negative errno otherwise.
 */
static int really_probe(struct device *dev, struct device_driver *drv)
{
	const struct bus_type *bt = dev->bus->type;
	int ret;

	lockdep_assert_held(&dev->lock);
	if (dev->dead)
		return -ENODEV;

	mutex_lock(&dev->bus->lock);
	dev->driver = drv;
	mutex_unlock(&dev->bus->lock);

	if (bt->dma_configure && !drv->driver_managed_dma) {
		ret = bt->dma_configure(dev);
		if (ret)
			goto err_no_driver;
	}

	driver_sysfs_add(dev);

	if (bt->probe)
		ret = bt->probe(dev);
	else if (drv->probe)
		ret = drv->probe(dev);
	else
		ret = 0;
	if (ret)
		goto err_probe;

	mutex_lock(&dev->bus->lock);
	list_add_tail(&dev->driver_node, &drv->devices);
	mutex_unlock(&dev->bus->lock);
	bus_notify(dev, BUS_NOTIFY_BOUND_DRIVER);
	return 0;

err_probe:
	driver_sysfs_remove(dev);
	bus_notify(dev, BUS_NOTIFY_DRIVER_NOT_BOUND);
	if (bt->dma_cleanup && !drv->driver_managed_dma)
		bt->dma_cleanup(dev);
	ret = ret < 0 ? -ret : ret;
err_no_driver:
	mutex_lock(&dev->bus->lock);
	dev->driver = NULL;
	mutex_unlock(&dev->bus->lock);
	return ret;
}

static int __driver_probe_device(struct device_driver *drv, struct device *dev)
{
	bool registered;

	lockdep_assert_held(&dev->lock);
	if (dev->driver)
		return -EBUSY;
	/* device_del() clears it under bus->lock only (dev->lock → bus->lock). */
	mutex_lock(&dev->bus->lock);
	registered = dev->registered;
	mutex_unlock(&dev->bus->lock);
	if (!registered)
		return -ENODEV;
	return really_probe(dev, drv);
}

int device_driver_attach(struct device_driver *drv, struct device *dev)
{
	int ret;

	device_lock(dev);
	ret = __driver_probe_device(drv, dev);
	device_unlock(dev);
	/* Probe errors are reported as negative errnos to the writer of bind. */
	if (ret > 0)
		ret = -ret;
	if (ret == -EPROBE_DEFER)
		ret = -EAGAIN;
	return ret;
}

/* The drivers of the bus, in registration order (drivers live as long as the world). */
static struct device_driver **bus_drivers_snapshot(struct bus *bus, size_t *n)
{
	struct device_driver *drv, **v;
	size_t i = 0;

	mutex_lock(&bus->lock);
	v = xcalloc(list_count(&bus->drivers) + 1, sizeof(*v));
	list_for_each_entry(drv, &bus->drivers, bus_node)
		v[i++] = drv;
	mutex_unlock(&bus->lock);
	*n = i;
	return v;
}

static int __device_attach(struct device *dev)
{
	struct device_driver **drivers;
	size_t n;
	int ret = 0;

	lockdep_assert_held(&dev->lock);
	if (dev->driver)
		return 1;
	drivers = bus_drivers_snapshot(dev->bus, &n);
	for (size_t i = 0; i < n; i++) {
		if (!driver_match_device(drivers[i], dev))
			continue;
		ret = __driver_probe_device(drivers[i], dev);
		if (ret < 0)
			break; /* e.g. -EBUSY from DMA ownership: stop, report it */
		if (ret == 0) {
			ret = 1;
			break;
		}
		ret = 0; /* the probe failed: let the next driver try */
	}
	free(drivers);
	return ret;
}

int device_attach(struct device *dev)
{
	int ret;

	device_lock(dev);
	ret = __device_attach(dev);
	device_unlock(dev);
	return ret;
}

static void __device_release_driver(struct device *dev)
{
	struct device_driver *drv = dev->driver;
	const struct bus_type *bt = dev->bus->type;

	lockdep_assert_held(&dev->lock);
	if (!drv)
		return;
	driver_sysfs_remove(dev);
	bus_notify(dev, BUS_NOTIFY_UNBIND_DRIVER);
	if (bt->remove)
		bt->remove(dev);
	else if (drv->remove)
		drv->remove(dev);
	if (bt->dma_cleanup && !drv->driver_managed_dma)
		bt->dma_cleanup(dev);
	mutex_lock(&dev->bus->lock);
	list_del_init(&dev->driver_node);
	dev->driver = NULL;
	dev->driver_data = NULL;
	mutex_unlock(&dev->bus->lock);
	bus_notify(dev, BUS_NOTIFY_UNBOUND_DRIVER);
}

void device_release_driver(struct device *dev)
{
	device_lock(dev);
	__device_release_driver(dev);
	device_unlock(dev);
}

static struct device **bus_devices_snapshot(struct bus *bus, size_t *n)
{
	struct device *dev, **v;
	size_t i = 0;

	mutex_lock(&bus->lock);
	v = xcalloc(list_count(&bus->devices) + 1, sizeof(*v));
	list_for_each_entry(dev, &bus->devices, bus_node)
		v[i++] = get_device(dev);
	mutex_unlock(&bus->lock);
	*n = i;
	return v;
}

void bus_rescan_devices(struct bus *bus)
{
	size_t n;
	struct device **devs = bus_devices_snapshot(bus, &n);

	for (size_t i = 0; i < n; i++) {
		device_attach(devs[i]);
		put_device(devs[i]);
	}
	free(devs);
}

int device_add(struct device *dev)
{
	struct bus *bus = dev->bus;
	bool autoprobe;

	/* A function found again by a rescan is a new device to the driver core. */
	device_lock(dev);
	dev->dead = false;
	device_unlock(dev);
	mutex_lock(&bus->lock);
	list_add_tail(&dev->bus_node, &bus->devices);
	dev->registered = true;
	autoprobe = bus->drivers_autoprobe;
	mutex_unlock(&bus->lock);
	get_device(dev); /* the bus list's reference; balanced in device_del */
	bus_notify(dev, BUS_NOTIFY_ADD_DEVICE);
	if (autoprobe)
		device_attach(dev);
	return 0;
}

void device_del(struct device *dev)
{
	struct bus *bus = dev->bus;

	device_lock(dev);
	dev->dead = true;
	device_unlock(dev);
	bus_notify(dev, BUS_NOTIFY_DEL_DEVICE);
	/*
	 * bus_remove_device(): the device leaves the bus's list (and its sysfs
	 * entries) before its driver is released, so a remove blocked in a VFIO
	 * driver's remove() already finds no bind, drivers_probe or sysfs path.
	 */
	mutex_lock(&bus->lock);
	list_del_init(&dev->bus_node);
	dev->registered = false;
	mutex_unlock(&bus->lock);
	device_release_driver(dev);
	bus_notify(dev, BUS_NOTIFY_REMOVED_DEVICE);
	put_device(dev);
}

static struct device_driver *bus_find_driver_locked(struct bus *bus, const char *name)
{
	struct device_driver *drv;

	lockdep_assert_held(&bus->lock);
	list_for_each_entry(drv, &bus->drivers, bus_node) {
		if (!strcmp(drv->name, name))
			return drv;
	}
	return NULL;
}

int driver_register(struct device_driver *drv, struct bus *bus)
{
	drv->bus = bus;
	INIT_LIST_HEAD(&drv->devices);
	/* The name check and the insertion are one step: two registrations may race. */
	mutex_lock(&bus->lock);
	if (bus_find_driver_locked(bus, drv->name)) {
		mutex_unlock(&bus->lock);
		return -EBUSY;
	}
	list_add_tail(&drv->bus_node, &bus->drivers);
	mutex_unlock(&bus->lock);
	if (bus->sysfs && drv->mod_name)
		sysfs_module_add(bus->sysfs, drv->mod_name, NULL, NULL);
	if (bus->drivers_autoprobe)
		driver_attach(drv);
	return 0;
}

void driver_unregister(struct device_driver *drv)
{
	struct bus *bus = drv->bus;

	/* Detach every bound device first (may block in remove). */
	for (;;) {
		struct device *dev;

		mutex_lock(&bus->lock);
		dev = list_first_entry_or_null(&drv->devices, struct device, driver_node);
		if (dev)
			get_device(dev);
		mutex_unlock(&bus->lock);
		if (!dev)
			break;
		device_lock(dev);
		if (dev->driver == drv)
			__device_release_driver(dev);
		device_unlock(dev);
		put_device(dev);
	}
	mutex_lock(&bus->lock);
	list_del_init(&drv->bus_node);
	while (drv->sysfs_active)
		mutex_cond_wait(&bus->lock, &bus->drivers_idle);
	mutex_unlock(&bus->lock);
}

struct device_driver *driver_find(const char *name, struct bus *bus)
{
	struct device_driver *found;

	mutex_lock(&bus->lock);
	found = bus_find_driver_locked(bus, name);
	mutex_unlock(&bus->lock);
	return found;
}

struct device_driver *driver_sysfs_get(const char *name, struct bus *bus)
{
	struct device_driver *found;

	mutex_lock(&bus->lock);
	found = bus_find_driver_locked(bus, name);
	if (found)
		found->sysfs_active++;
	mutex_unlock(&bus->lock);
	return found;
}

void driver_sysfs_put(struct device_driver *drv)
{
	struct bus *bus = drv->bus;

	mutex_lock(&bus->lock);
	if (!--drv->sysfs_active)
		pthread_cond_broadcast(&bus->drivers_idle);
	mutex_unlock(&bus->lock);
}

int driver_attach(struct device_driver *drv)
{
	size_t n;
	struct device **devs = bus_devices_snapshot(drv->bus, &n);

	for (size_t i = 0; i < n; i++) {
		struct device *dev = devs[i];

		if (driver_match_device(drv, dev)) {
			device_lock(dev);
			if (!dev->driver)
				__driver_probe_device(drv, dev);
			device_unlock(dev);
		}
		put_device(dev);
	}
	free(devs);
	return 0;
}

/* Copies a sysfs write into a NUL-terminated string (sysfs bounds writes to a page). */
static char *sysfs_buf(const char *buf, size_t count)
{
	char *s;

	if (count >= PAGE_SIZE)
		count = PAGE_SIZE - 1;
	s = xzalloc(count + 1);
	memcpy(s, buf, count);
	return s;
}

ssize_t bind_store(struct device_driver *drv, const char *buf, size_t count)
{
	_cleanup_free_ char *name = sysfs_buf(buf, count);
	struct device *dev = bus_find_device_by_name(drv->bus, name);
	ssize_t err = -ENODEV;

	if (dev && driver_match_device(drv, dev)) {
		err = device_driver_attach(drv, dev);
		if (!err)
			err = (ssize_t)count;
	}
	put_device(dev);
	return err;
}

ssize_t unbind_store(struct device_driver *drv, const char *buf, size_t count)
{
	_cleanup_free_ char *name = sysfs_buf(buf, count);
	struct device *dev = bus_find_device_by_name(drv->bus, name);
	ssize_t err = -ENODEV;

	if (dev) {
		device_lock(dev);
		if (dev->driver == drv) {
			__device_release_driver(dev);
			err = (ssize_t)count;
		}
		device_unlock(dev);
	}
	put_device(dev);
	return err;
}

ssize_t drivers_probe_store(struct bus *bus, const char *buf, size_t count)
{
	_cleanup_free_ char *name = sysfs_buf(buf, count);
	struct device *dev = bus_find_device_by_name(bus, name);
	ssize_t err = -EINVAL;
	int ret;

	if (!dev)
		return -ENODEV;
	/* Any failure, e.g. -EBUSY from DMA ownership, reads as -EINVAL here. */
	ret = device_attach(dev);
	if (ret >= 0)
		err = (ssize_t)count;
	put_device(dev);
	return err;
}

ssize_t drivers_autoprobe_store(struct bus *bus, const char *buf, size_t count)
{
	mutex_lock(&bus->lock);
	bus->drivers_autoprobe = !(count && buf[0] == '0');
	mutex_unlock(&bus->lock);
	return (ssize_t)count;
}

ssize_t driver_override_store(struct device *dev, const char *buf, size_t count)
{
	size_t len = strnlen(buf, count);
	char *new = NULL, *nl;

	/* driver_set_override(): the length check counts the written bytes. */
	if (len >= PAGE_SIZE - 1)
		return -EINVAL;
	if (len && !(len == 1 && buf[0] == '\n')) {
		new = xzalloc(len + 1);
		memcpy(new, buf, len);
		nl = memchr(new, '\n', len);
		if (nl)
			*nl = '\0';
	}
	device_lock(dev);
	free(dev->driver_override);
	dev->driver_override = new;
	device_unlock(dev);
	return (ssize_t)count;
}

ssize_t driver_override_show(struct device *dev, char *buf, size_t size)
{
	int n;

	device_lock(dev);
	n = snprintf(buf, size, "%s\n", dev->driver_override ? dev->driver_override : "(null)");
	device_unlock(dev);
	return n;
}

/* The writer of the sysfs store running on this thread (the store's `current`). */
static _Thread_local const struct uvfio_writer *tls_writer;

const struct uvfio_writer *current_writer(void)
{
	return tls_writer;
}

const struct uvfio_writer *set_current_writer(const struct uvfio_writer *w)
{
	const struct uvfio_writer *old = tls_writer;

	tls_writer = w;
	return old;
}

bool current_writer_interrupted(void)
{
	const struct uvfio_writer *w = tls_writer;

	return w && w->interrupted && w->interrupted(w->arg);
}

void json_escape(char *out, size_t size, const char *s, size_t len)
{
	size_t o = 0;

	if (!size)
		return;
	for (size_t i = 0; i < len && o + 7 < size; i++) {
		unsigned char ch = (unsigned char)s[i];

		if (ch == '"' || ch == '\\') {
			out[o++] = '\\';
			out[o++] = (char)ch;
		} else if (ch == '\n') {
			out[o++] = '\\';
			out[o++] = 'n';
		} else if (ch < 0x20 || ch >= 0x7f) {
			o += (size_t)snprintf(out + o, size - o, "\\u%04x", ch);
		} else {
			out[o++] = (char)ch;
		}
	}
	out[o] = '\0';
}

void dev_printk(int level, const struct device *dev, const char *fmt, ...)
{
	struct dev_printk_info info = { 0 };
	char msg[PRINTK_RECORD_MAX];
	const char *who;
	va_list ap;

	if (!dev->bus)
		return; /* a device on no bus has no world to log to */
	who = dev->bus->type->name;
	va_start(ap, fmt);
	vsnprintf(msg, sizeof(msg), fmt, ap);
	va_end(ap);
	/* create_syslog_header(): SUBSYSTEM= the bus, DEVICE=+bus:name. */
	snprintf(info.subsystem, sizeof(info.subsystem), "%s", dev->bus->type->name);
	snprintf(info.device, sizeof(info.device), "+%s:%s", dev->bus->type->name, dev_name(dev));
	/* dev_driver_string(): the bound driver's name, else the bus's. */
	mutex_lock(&dev->bus->lock);
	if (dev->driver)
		who = dev->driver->name;
	mutex_unlock(&dev->bus->lock);
	/* Drivers' names live as long as the world. */
	printk_emit(dev->bus->world, LOG_FACILITY_KERN, level, &info, "%s %s: %s", who,
		    dev_name(dev), msg);
}

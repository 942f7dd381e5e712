/* SPDX-License-Identifier: MIT */
/*
 * Fixtures shared by the uAPI tests. Everything here goes through the public
 * API only (uvfio/uvfio.h, <linux/vfio.h>, libc), the way a VFIO program and an
 * administrator's tools drive a Linux host: sysfs writes to bind, open(2) and
 * ioctl(2) on /dev/vfio nodes, pread/pwrite on device fds, eventfd(2)s for
 * interrupts and anonymous memory for DMA.
 *
 * Helpers assert on unexpected failures (the test ends), so a test reads as the
 * sequence of calls it checks. The default machine (docs: world description):
 *
 *	group 0  00:00.0 q35 host bridge
 *	group 1  00:03.0 edu              unbound at start
 *	group 2  00:04.0 PCIe-PCI bridge  unbound
 *	         01:01.0 e1000            on "e1000" at start
 *	         01:02.0 e1000            on "e1000" at start
 *	group 3  00:1f.0/.2/.3 ICH9 LPC/AHCI/SMBus
 */
#ifndef UVFIO_TESTS_UNIT_COMMON_H
#define UVFIO_TESTS_UNIT_COMMON_H

#include <fcntl.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>

#include <linux/vfio.h>

#include <uvfio/uvfio.h>

#include "test.h"

#define EDU_BDF "0000:00:03.0"
#define NIC_A_BDF "0000:01:01.0"
#define NIC_B_BDF "0000:01:02.0"
#define BRIDGE_BDF "0000:00:04.0"
#define HOST_BDF "0000:00:00.0"
#define LPC_BDF "0000:00:1f.0"

#define EDU_GROUP 1
#define NIC_GROUP 2

#define PAGE_SZ 4096ul

/* Config space offsets used by the tests (standard header). */
#define CFG_VENDOR 0x00
#define CFG_DEVICE 0x02
#define CFG_COMMAND 0x04
#define CFG_STATUS 0x06
#define CFG_REVISION 0x08
#define CFG_CLASS_PROG 0x09
#define CFG_BAR0 0x10
#define CFG_ROM 0x30
#define CFG_CAP_PTR 0x34
#define CFG_INT_LINE 0x3c
#define CFG_INT_PIN 0x3d

#define CMD_IO 0x1
#define CMD_MEM 0x2
#define CMD_MASTER 0x4
#define CMD_INTX_DISABLE 0x400

/* edu (QEMU hw/misc/edu.c) BAR0 registers. */
#define EDU_ID 0x00
#define EDU_LIVENESS 0x04
#define EDU_FACTORIAL 0x08
#define EDU_STATUS 0x20
#define EDU_STATUS_COMPUTING 0x01
#define EDU_STATUS_IRQFACT 0x80
#define EDU_IRQ_STATUS 0x24
#define EDU_IRQ_RAISE 0x60
#define EDU_IRQ_ACK 0x64
#define EDU_DMA_SRC 0x80
#define EDU_DMA_DST 0x88
#define EDU_DMA_COUNT 0x90
#define EDU_DMA_CMD 0x98
#define EDU_DMA_RUN 0x1
#define EDU_DMA_TO_RAM 0x2 /* direction: 0 = RAM -> edu, 1 = edu -> RAM */
#define EDU_DMA_IRQ 0x4
#define EDU_DMA_BUF 0x40000 /* the device's 4 KiB buffer, in its DMA address space */
#define EDU_DMA_BUF_SIZE 4096
#define EDU_IRQ_DMA_DONE 0x100
#define EDU_IRQ_FACT_DONE 0x001

/* --- world and sysfs ------------------------------------------------------------------------ */

/* A world on the default machine; asserts it was built. */
struct uvfio_world *world_new(void);
void world_free(struct uvfio_world *w);

/* Writes @s (no terminating NUL); returns what uvfio_sysfs_write() returned. */
ssize_t sysfs_puts(struct uvfio_world *w, const char *path, const char *s);
/* Reads a whole attribute into @buf (NUL-terminated); asserts it could be read. */
void sysfs_gets(struct uvfio_world *w, const char *path, char *buf, size_t size);
/* The name of the driver @bdf is bound to, or "" when it is unbound. */
const char *driver_of(struct uvfio_world *w, const char *bdf, char *buf, size_t size);
/* The IOMMU group number of @bdf (from the iommu_group link). */
int iommu_group_of(struct uvfio_world *w, const char *bdf);
/* Unbinds @bdf from whatever driver it has (nothing to do when unbound). */
void unbind_device(struct uvfio_world *w, const char *bdf);
/*
 * Moves @bdf to @drv the way driverctl does: driver_override, unbind from the
 * current driver, drivers_probe; asserts the device ends up on @drv. The
 * override is left in place (as driverctl leaves it).
 */
void bind_driver(struct uvfio_world *w, const char *bdf, const char *drv);
static inline void bind_vfio(struct uvfio_world *w, const char *bdf)
{
	bind_driver(w, bdf, "vfio-pci");
}

/* --- container, group, device --------------------------------------------------------------- */

/*
 * One user of a group: a container, a group, optionally a device. Fds that
 * are not open are -1.
 */
struct vfio_env {
	struct uvfio_world *w;
	struct uvfio_proc *p;
	int container;
	int group;
	int device;
};

/*
 * Opens /dev/vfio/vfio and /dev/vfio/@group, SET_CONTAINER, SET_IOMMU(@type)
 * unless @type is 0, and GET_DEVICE_FD(@bdf) unless @bdf is NULL.
 */
void env_open(struct vfio_env *e, struct uvfio_world *w, struct uvfio_proc *p, int group,
	      const char *bdf, int type);
/* Closes what is open (device, group, container: the polite order). */
void env_close(struct vfio_env *e);

/* A new world with edu on vfio-pci, a proc, and edu opened with type1v2. */
void edu_setup(struct vfio_env *e);
/* Both NICs on vfio-pci, group 2 opened with type1v2 and NIC A's device fd. */
void nic_setup(struct vfio_env *e);
/* env_close(), proc free, world destroy. */
void env_teardown(struct vfio_env *e);

int group_status(struct uvfio_proc *p, int group); /* GET_STATUS flags; asserts success */

/* --- type1 ---------------------------------------------------------------------------------- */

int dma_map(struct uvfio_proc *p, int container, uint64_t iova, const void *vaddr, uint64_t size,
	    uint32_t flags);
/* On success stores the returned size in *unmapped (if not NULL). */
int dma_unmap(struct uvfio_proc *p, int container, uint64_t iova, uint64_t size, uint32_t flags,
	      uint64_t *unmapped);
/*
 * IOMMU_GET_INFO into @buf (argsz = @size); asserts success. Returns the
 * capability with @id in the chain, or NULL.
 */
const struct vfio_info_cap_header *iommu_info_cap(struct uvfio_proc *p, int container, void *buf,
						  size_t size, uint16_t id);
/* The DMA_AVAIL capability's count. */
uint32_t dma_avail(struct uvfio_proc *p, int container);

/* Anonymous private memory, page-aligned, populated; asserts success. */
void *anon_alloc(size_t size);
void anon_free(void *addr, size_t size);

/* --- device --------------------------------------------------------------------------------- */

void region_info(struct uvfio_proc *p, int device, uint32_t index, struct vfio_region_info *ri);
uint64_t region_offset(struct uvfio_proc *p, int device, uint32_t index);

uint8_t cfg_read8(struct uvfio_proc *p, int device, unsigned int off);
uint16_t cfg_read16(struct uvfio_proc *p, int device, unsigned int off);
uint32_t cfg_read32(struct uvfio_proc *p, int device, unsigned int off);
void cfg_write8(struct uvfio_proc *p, int device, unsigned int off, uint8_t v);
void cfg_write16(struct uvfio_proc *p, int device, unsigned int off, uint16_t v);
void cfg_write32(struct uvfio_proc *p, int device, unsigned int off, uint32_t v);

uint32_t bar0_read32(struct uvfio_proc *p, int device, unsigned int off);
void bar0_write32(struct uvfio_proc *p, int device, unsigned int off, uint32_t v);

/* Sets (or clears) bits of the command register through the config region. */
void cmd_set(struct uvfio_proc *p, int device, uint16_t bits, bool on);

/* --- interrupts ----------------------------------------------------------------------------- */

/* SET_IRQS with @count entries of @data (@datalen bytes in all); returns the ioctl's result. */
int set_irqs(struct uvfio_proc *p, int device, uint32_t flags, uint32_t index, uint32_t start,
	     uint32_t count, const void *data, size_t datalen);
/* DATA_EVENTFD|ACTION_TRIGGER, start 0, count 1, fd @fd. */
int irq_set_eventfd(struct uvfio_proc *p, int device, uint32_t index, int fd);
/* DATA_NONE|ACTION_@action on start 0, @count. */
int irq_none(struct uvfio_proc *p, int device, uint32_t index, uint32_t action, uint32_t count);

/* A non-blocking eventfd of this process. */
int efd_new(void);
/* Consumes and returns the counter, 0 if not signalled. */
uint64_t efd_take(int fd);
/*
 * Waits (flushing the world's pending work) up to @ms for @fd to be signalled;
 * consumes and returns the counter, 0 on timeout.
 */
uint64_t efd_wait(struct uvfio_world *w, int fd, int ms);
/* Flushes pending work and checks @fd was not signalled. */
void efd_assert_quiet(struct uvfio_world *w, int fd);

/* --- edu ------------------------------------------------------------------------------------ */

/* Polls @reg until (@reg & @mask) == 0 (bounded); false on timeout. */
bool edu_wait_clear(struct uvfio_world *w, struct uvfio_proc *p, int device, unsigned int reg,
		    uint32_t mask);
/* Programs one DMA transfer and waits for it to finish (asserts it does). */
void edu_dma(struct uvfio_world *w, struct uvfio_proc *p, int device, uint64_t src, uint64_t dst,
	     uint32_t count, uint32_t cmd);

/* --- threads -------------------------------------------------------------------------------- */

/* A background thread whose end can be waited for with a deadline. */
struct bg {
	pthread_t thread;
	void *(*fn)(void *);
	void *arg;
	void *ret;
	atomic_bool done;
};

void bg_start(struct bg *b, void *(*fn)(void *), void *arg);
/* True once fn returned; waits at most @ms for that. */
bool bg_wait(struct bg *b, int ms);
/* Joins (the thread must be done or about to be); returns fn's result. */
void *bg_join(struct bg *b);

uint64_t now_ms(void);

/*
 * Runs fn(quirks) in a forked child, for scenarios that may deadlock: 0 when
 * it finished; -1 when a deadlock was detected (still blocked at a 10 s
 * deadline, SIGABRT, exit 4, or ThreadSanitizer's exit 66); else its status.
 */
int run_deadlock_child(void (*fn)(unsigned long), unsigned long quirks);

#endif /* UVFIO_TESTS_UNIT_COMMON_H */

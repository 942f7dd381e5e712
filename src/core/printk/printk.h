/* SPDX-License-Identifier: MIT */
/*
 * The world's kernel log (kernel/printk/printk.c, 6.12): a bounded ring of
 * records, each with a sequence number, a timestamp, facility and level, its
 * text and, for dev_printk(), the device it is about. /dev/kmsg (kmsg.c)
 * and syslog(2) (do_syslog) read it; dev_printk() and pr_*() write it.
 *
 *	#define pr_fmt(fmt) "DMAR: " fmt	before the includes, as in the kernel
 *	pr_err(w, "DRHD: handling fault status reg %x", status);
 *
 * What the kernel lab showed of 6.12's record format and limits is in
 * docs/kernel-facts.md ("The kernel log").
 *
 * Lock order: printk_log.lock is a leaf; printk may be called with any core
 * lock held, and takes nothing else.
 */
#ifndef UVFIO_CORE_PRINTK_PRINTK_H
#define UVFIO_CORE_PRINTK_PRINTK_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>

#include "base/chrdev.h"
#include "shared/list.h"
#include "shared/macro.h"
#include "shared/mutex.h"

struct task;
struct trace_sink;
struct uvfio_world;

#define LOGLEVEL_EMERG 0
#define LOGLEVEL_ALERT 1
#define LOGLEVEL_CRIT 2
#define LOGLEVEL_ERR 3
#define LOGLEVEL_WARNING 4
#define LOGLEVEL_NOTICE 5
#define LOGLEVEL_INFO 6
#define LOGLEVEL_DEBUG 7
#define LOGLEVEL_DEFAULT (-1)

#define LOG_FACILITY_KERN 0
#define LOG_FACILITY_USER 1

/* CONFIG_LOG_BUF_SHIFT=17 (Debian): what SYSLOG_ACTION_SIZE_BUFFER reports. */
#define LOG_BUF_LEN (1u << 17)
/* PRINTKRB_RECORD_MAX: the longest text a record holds, and a /dev/kmsg write. */
#define PRINTK_RECORD_MAX 1024

/* Who a dev_printk record is about: the record's SUBSYSTEM= and DEVICE= (dev_printk_info). */
struct dev_printk_info {
	char subsystem[16];
	char device[80]; /* "+pci:0000:00:03.0", "+mdev:<uuid>" */
};

/* One record. text is not NUL-terminated; the trailing newline is stripped. */
struct printk_record {
	struct list_head node; /* printk_log.records, oldest first */
	u64 seq;
	u64 ts_nsec;
	u8 facility;
	u8 level;
	/*
	 * Readers see a record once it is final: at once if its text ended in a
	 * newline (or it is a dev_printk), else when the next record is stored,
	 * as the kernel's ring finalizes the previous descriptor.
	 */
	bool final;
	bool has_dev_info;
	struct dev_printk_info dev_info;
	u16 text_len;
	char text[];
};

struct printk_log {
	struct trace_sink *trace; /* the world's: the kernel's own messages */
	struct mutex lock; /* everything below */
	pthread_cond_t wait; /* log_wait: a record was added (CLOCK_MONOTONIC waits) */
	struct list_head records;
	unsigned int nrecords;
	size_t text_bytes; /* what the text ring holds: bounded by LOG_BUF_LEN */
	u64 next_seq; /* the seq of the next record */
	u64 clear_seq; /* the first record after the last SYSLOG_ACTION_CLEAR */
	u64 syslog_seq; /* the next record SYSLOG_ACTION_READ returns */
	size_t syslog_partial; /* bytes of syslog_seq's text already read */
	int console_loglevel; /* SYSLOG_ACTION_CONSOLE_*: kept, there is no console */
	int saved_console_loglevel;
	struct cdev kmsg_cdev; /* /dev/kmsg (kmsg.c): fixed from devkmsg_init to devkmsg_exit */
};

void printk_log_init(struct printk_log *log, struct trace_sink *trace);
void printk_log_destroy(struct printk_log *log);

/* vprintk_emit(): stores one record; returns the text length stored. */
int vprintk_emit(struct uvfio_world *w, int facility, int level,
		 const struct dev_printk_info *dev_info, const char *fmt, va_list ap)
	__printf(5, 0);
int printk_emit(struct uvfio_world *w, int facility, int level,
		const struct dev_printk_info *dev_info, const char *fmt, ...) __printf(5, 6);

#ifndef pr_fmt
#define pr_fmt(fmt) fmt
#endif
#define pr_err(w, fmt, ...) \
	printk_emit(w, LOG_FACILITY_KERN, LOGLEVEL_ERR, NULL, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_warn(w, fmt, ...) \
	printk_emit(w, LOG_FACILITY_KERN, LOGLEVEL_WARNING, NULL, pr_fmt(fmt), ##__VA_ARGS__)
#define pr_info(w, fmt, ...) \
	printk_emit(w, LOG_FACILITY_KERN, LOGLEVEL_INFO, NULL, pr_fmt(fmt), ##__VA_ARGS__)

/*
 * Readers' access to the ring, under log->lock. printk_next() finds the
 * first record with seq >= *seq (NULL if none yet); *seq moves to it, so a
 * reader sees that records it had not read were overwritten when *seq moved.
 */
struct printk_record *printk_next(struct printk_log *log, u64 *seq);
u64 printk_first_seq(struct printk_log *log);
/* prb_next_seq(): after the last record readers can see. */
u64 printk_next_seq(struct printk_log *log);
/*
 * Waits on log_wait until printk_next() finds a record, the caller is
 * interrupted (current_writer_interrupted: its connection went away) or the
 * world's log is torn down: 0, or -EINTR. Called with log->lock held.
 */
int printk_wait(struct printk_log *log, u64 *seq);

/* The /dev/kmsg record text of r ("6,42,1234567,-;...\n" and its dictionary), into buf. */
size_t printk_format_ext(const struct printk_record *r, char *buf, size_t size);

/* syslog(2): SYSLOG_ACTION_* (0-10) as do_syslog serves them; buf is the caller's. */
int do_syslog(struct uvfio_world *w, struct task *t, int type, u64 buf, int len);

/*
 * ratelimit.c (lib/ratelimit.c): at most burst events every interval. Once an
 * interval has passed, the events missed in it are logged as "FUNC: N callbacks
 * suppressed", unless msg_on_release (RATELIMIT_MSG_ON_RELEASE): then the
 * owner reports the total when it is done with the state.
 */
#define DEFAULT_RATELIMIT_INTERVAL_MS 5000
#define DEFAULT_RATELIMIT_BURST 10
struct ratelimit_state {
	struct mutex lock; /* a leaf */
	u64 interval_ns;
	int burst;
	bool msg_on_release;
	u64 begin_ns;
	int printed;
	int missed;
};
void ratelimit_state_init(struct ratelimit_state *rs, bool msg_on_release);
void ratelimit_state_destroy(struct ratelimit_state *rs);
/* __ratelimit(rs): true if this event may go out. */
bool ___ratelimit(struct uvfio_world *w, struct ratelimit_state *rs, const char *func);
#define __ratelimit(w, rs) ___ratelimit(w, rs, __func__)

/* kmsg.c: /dev/kmsg, 1:11, in the world's registry: 0 or the registration's errno. */
int devkmsg_init(struct uvfio_world *w);
void devkmsg_exit(struct uvfio_world *w);

#endif /* UVFIO_CORE_PRINTK_PRINTK_H */

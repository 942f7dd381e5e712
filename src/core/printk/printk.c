// SPDX-License-Identifier: MIT
/*
 * The world's kernel log: printk's record store and syslog(2), after
 * kernel/printk/printk.c (6.12). The kernel keeps records in a lockless ring
 * of 2^17 text bytes and 2^12 descriptors; here a list under one mutex with
 * the same two bounds, the oldest record dropped first, so a reader that
 * falls behind loses records exactly when the kernel's would.
 *
 * Timestamps are CLOCK_MONOTONIC: the host's time since boot, which is what
 * local_clock() counts, so `dmesg -T` turns them into the right wall time.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "base/file.h"
#include "base/trace.h"
#include "printk/printk.h"
#include "world.h"

#define LOG_DESCS (LOG_BUF_LEN >> 5) /* PRB_AVGBITS: 32 bytes a record on average */
#define CONSOLE_LOGLEVEL_DEFAULT 7
#define CONSOLE_LOGLEVEL_MIN 1

#define SYSLOG_ACTION_CLOSE 0
#define SYSLOG_ACTION_OPEN 1
#define SYSLOG_ACTION_READ 2
#define SYSLOG_ACTION_READ_ALL 3
#define SYSLOG_ACTION_READ_CLEAR 4
#define SYSLOG_ACTION_CLEAR 5
#define SYSLOG_ACTION_CONSOLE_OFF 6
#define SYSLOG_ACTION_CONSOLE_ON 7
#define SYSLOG_ACTION_CONSOLE_LEVEL 8
#define SYSLOG_ACTION_SIZE_UNREAD 9
#define SYSLOG_ACTION_SIZE_BUFFER 10

/* A record's syslog(2) text: "<prio>[sssss.uuuuuu] " before each line, a newline after. */
#define SYSLOG_PREFIX_MAX 32

void printk_log_init(struct printk_log *log, struct trace_sink *trace)
{
	log->trace = trace;
	mutex_init(&log->lock, "printk_log->lock");
	mutex_cond_init(&log->wait);
	INIT_LIST_HEAD(&log->records);
	log->console_loglevel = CONSOLE_LOGLEVEL_DEFAULT;
	log->saved_console_loglevel = LOGLEVEL_DEFAULT;
}

void printk_log_destroy(struct printk_log *log)
{
	struct printk_record *r, *tmp;

	list_for_each_entry_safe(r, tmp, &log->records, node)
		free(r);
	pthread_cond_destroy(&log->wait);
	mutex_destroy(&log->lock);
}

/* Makes room for a record of text_len bytes: the oldest ones go. */
static void printk_make_room(struct printk_log *log, size_t text_len)
{
	lockdep_assert_held(&log->lock);
	while (!list_empty(&log->records) &&
	       (log->text_bytes + text_len > LOG_BUF_LEN || log->nrecords + 1 > LOG_DESCS)) {
		struct printk_record *old =
			list_first_entry(&log->records, struct printk_record, node);

		list_del(&old->node);
		log->text_bytes -= old->text_len;
		log->nrecords--;
		free(old);
	}
}

static const char *const level_names[] = { "emerg", "alert",  "crit", "err",
					   "warn",  "notice", "info", "debug" };

int vprintk_emit(struct uvfio_world *w, int facility, int level,
		 const struct dev_printk_info *dev_info, const char *fmt, va_list ap)
{
	struct printk_log *log = &w->log;
	char text[PRINTK_RECORD_MAX];
	struct printk_record *r;
	u64 ts = now_ns();
	int n;

	bool newline = dev_info != NULL; /* dev_printk records are always whole */

	n = vsnprintf(text, sizeof(text), fmt, ap);
	if (n < 0)
		return 0;
	if ((size_t)n >= sizeof(text))
		n = sizeof(text) - 1; /* vscnprintf into PRINTKRB_RECORD_MAX */
	if (n && text[n - 1] == '\n') {
		n--; /* LOG_NEWLINE: stored without it */
		newline = true;
	}
	if (level == LOGLEVEL_DEFAULT)
		level = LOGLEVEL_WARNING; /* CONFIG_MESSAGE_LOGLEVEL_DEFAULT */

	r = xzalloc(sizeof(*r) + (size_t)n);
	r->ts_nsec = ts;
	r->facility = (u8)facility;
	r->level = (u8)(level & 7);
	if (dev_info) {
		r->has_dev_info = true;
		r->dev_info = *dev_info;
	}
	r->text_len = (u16)n;
	r->final = newline;
	memcpy(r->text, text, (size_t)n);

	mutex_lock(&log->lock);
	if (!list_empty(&log->records))
		list_last_entry(&log->records, struct printk_record, node)->final = true;
	printk_make_room(log, (size_t)n);
	r->seq = log->next_seq++;
	list_add_tail(&r->node, &log->records);
	log->text_bytes += (size_t)n;
	log->nrecords++;
	pthread_cond_broadcast(&log->wait); /* wake_up_klogd() */
	mutex_unlock(&log->lock);

	/* The kernel's own messages also go to the trace (and so to uvfiod's log). */
	if (facility == LOG_FACILITY_KERN) {
		char esc[2 * PRINTK_RECORD_MAX + 8];
		const char *dev = dev_info ? strchr(dev_info->device, ':') : NULL;

		json_escape(esc, sizeof(esc), text, (size_t)n);
		trace_emit(log->trace,
			   "{\"op\":\"kmsg\",\"level\":\"%s\",\"dev\":\"%s\",\"msg\":\"%s\"}",
			   level_names[level & 7], dev ? dev + 1 : "", esc);
	}
	return n;
}

int printk_emit(struct uvfio_world *w, int facility, int level,
		const struct dev_printk_info *dev_info, const char *fmt, ...)
{
	va_list ap;
	int n;

	va_start(ap, fmt);
	n = vprintk_emit(w, facility, level, dev_info, fmt, ap);
	va_end(ap);
	return n;
}

struct printk_record *printk_next(struct printk_log *log, u64 *seq)
{
	struct printk_record *r;

	lockdep_assert_held(&log->lock);
	list_for_each_entry(r, &log->records, node) {
		if (r->seq >= *seq) {
			if (!r->final)
				return NULL;
			*seq = r->seq;
			return r;
		}
	}
	return NULL;
}

u64 printk_next_seq(struct printk_log *log)
{
	struct printk_record *last;

	lockdep_assert_held(&log->lock);
	if (list_empty(&log->records))
		return log->next_seq;
	last = list_last_entry(&log->records, struct printk_record, node);
	return last->final ? log->next_seq : last->seq;
}

u64 printk_first_seq(struct printk_log *log)
{
	lockdep_assert_held(&log->lock);
	return list_empty(&log->records) ?
		       log->next_seq :
		       list_first_entry(&log->records, struct printk_record, node)->seq;
}

/* How often a blocked reader looks whether its caller went away. */
#define PRINTK_WAIT_SLICE_MS 100

int printk_wait(struct printk_log *log, u64 *seq)
{
	lockdep_assert_held(&log->lock);
	for (;;) {
		struct timespec deadline = timespec_after_ms(PRINTK_WAIT_SLICE_MS);
		u64 s = *seq;

		if (printk_next(log, &s))
			return 0;
		if (current_writer_interrupted())
			return -EINTR;
		mutex_cond_timedwait(&log->lock, &log->wait, &deadline);
	}
}

/* msg_add_ext_text(): bytes below ' ', from 127, and '\\' as "\xNN". */
static size_t ext_escape(char *buf, size_t size, size_t len, const char *s, size_t n, char end)
{
	for (size_t i = 0; i < n && len < size; i++) {
		unsigned char c = (unsigned char)s[i];

		if (c < ' ' || c >= 127 || c == '\\')
			len += (size_t)snprintf(buf + len, size - len, "\\x%02x", c);
		else
			buf[len++] = (char)c;
	}
	if (len < size)
		buf[len++] = end;
	return len < size ? len : size;
}

size_t printk_format_ext(const struct printk_record *r, char *buf, size_t size)
{
	size_t len;

	len = (size_t)snprintf(buf, size, "%u,%llu,%llu,-;",
			       (unsigned int)(r->facility << 3 | r->level),
			       (unsigned long long)r->seq, (unsigned long long)(r->ts_nsec / 1000));
	len = ext_escape(buf, size, len, r->text, r->text_len, '\n');
	if (r->has_dev_info) {
		static const char *const keys[] = { " SUBSYSTEM=", " DEVICE=" };
		const char *vals[] = { r->dev_info.subsystem, r->dev_info.device };

		for (int i = 0; i < 2; i++) {
			if (!vals[i][0])
				continue;
			len += (size_t)snprintf(buf + len, size - len, "%s", keys[i]);
			len = ext_escape(buf, size, len < size ? len : size, vals[i],
					 strlen(vals[i]), '\n');
		}
	}
	return len < size ? len : size;
}

/* record_print_text() with the syslog prefix and the time: every line prefixed. */
static size_t printk_format_syslog(const struct printk_record *r, char *buf, size_t size)
{
	char prefix[SYSLOG_PREFIX_MAX];
	size_t len = 0, start = 0;
	int plen;

	plen = snprintf(prefix, sizeof(prefix), "<%u>[%5llu.%06llu] ",
			(unsigned int)(r->facility << 3 | r->level),
			(unsigned long long)(r->ts_nsec / 1000000000),
			(unsigned long long)(r->ts_nsec % 1000000000 / 1000));
	for (size_t i = 0; i <= r->text_len; i++) {
		if (i < r->text_len && r->text[i] != '\n')
			continue;
		if (len + (size_t)plen + (i - start) + 1 > size)
			break;
		memcpy(buf + len, prefix, (size_t)plen);
		memcpy(buf + len + (size_t)plen, r->text + start, i - start);
		len += (size_t)plen + (i - start);
		buf[len++] = '\n';
		start = i + 1;
	}
	return len;
}

/* Every line of a record carries a prefix: the most a formatted record takes. */
#define SYSLOG_TEXT_MAX (PRINTK_RECORD_MAX * (SYSLOG_PREFIX_MAX + 2))

static int syslog_print(struct printk_log *log, struct task *t, u64 ubuf, int size)
{
	char *text = xzalloc(SYSLOG_TEXT_MAX);
	int len = 0;

	mutex_lock(&log->lock);
	if (printk_wait(log, &log->syslog_seq)) {
		len = -EINTR;
		goto out;
	}
	while (size > 0) {
		u64 seq = log->syslog_seq;
		struct printk_record *r = printk_next(log, &seq);
		size_t n, skip;

		if (!r)
			break;
		if (r->seq != log->syslog_seq) {
			/* Gone meanwhile: go on from the oldest that is still there. */
			log->syslog_seq = r->seq;
			log->syslog_partial = 0;
		}
		skip = log->syslog_partial;
		n = printk_format_syslog(r, text, SYSLOG_TEXT_MAX);
		if (n - skip <= (size_t)size) {
			log->syslog_seq = r->seq + 1;
			n -= skip;
			log->syslog_partial = 0;
		} else if (!len) {
			n = (size_t)size; /* a partial read: the rest comes next time */
			log->syslog_partial += n;
		} else {
			break;
		}
		if (copy_to_user(t, ubuf + (u64)len, text + skip, n)) {
			if (!len)
				len = -EFAULT;
			break;
		}
		len += (int)n;
		size -= (int)n;
	}
out:
	mutex_unlock(&log->lock);
	free(text);
	return len;
}

/* syslog_print_all(): the newest records from clear_seq on that fit in size. */
static int syslog_print_all(struct printk_log *log, struct task *t, u64 ubuf, int size, bool clear)
{
	char *text = xzalloc(SYSLOG_TEXT_MAX);
	struct printk_record *r, *first = NULL;
	size_t total = 0;
	u64 next;
	int len = 0;

	mutex_lock(&log->lock);
	next = log->clear_seq;
	list_for_each_entry(r, &log->records, node)
		if (r->seq >= log->clear_seq && r->final)
			total += printk_format_syslog(r, text, SYSLOG_TEXT_MAX);
	list_for_each_entry(r, &log->records, node) {
		if (r->seq < log->clear_seq)
			continue;
		if (!r->final)
			break;
		if (total <= (size_t)size) {
			first = r;
			break;
		}
		total -= printk_format_syslog(r, text, SYSLOG_TEXT_MAX);
	}
	for (r = first; r && &r->node != &log->records && r->final;
	     r = list_entry(r->node.next, struct printk_record, node)) {
		{
			size_t n = printk_format_syslog(r, text, SYSLOG_TEXT_MAX);

			if ((size_t)len + n > (size_t)size)
				break;
			if (copy_to_user(t, ubuf + (u64)len, text, n)) {
				len = -EFAULT;
				break;
			}
			len += (int)n;
			next = r->seq + 1;
		}
	}
	if (clear)
		log->clear_seq = next;
	mutex_unlock(&log->lock);
	free(text);
	return len;
}

int do_syslog(struct uvfio_world *w, struct task *t, int type, u64 buf, int len)
{
	struct printk_log *log = &w->log;
	char *text;
	int ret = 0;

	/* No dmesg_restrict: the world's log is its user's (docs/design.md, "The kernel log"). */
	switch (type) {
	case SYSLOG_ACTION_CLOSE:
	case SYSLOG_ACTION_OPEN:
		return 0;
	case SYSLOG_ACTION_READ:
		if (!buf || len < 0)
			return -EINVAL;
		return len ? syslog_print(log, t, buf, len) : 0;
	case SYSLOG_ACTION_READ_CLEAR:
	case SYSLOG_ACTION_READ_ALL:
		if (!buf || len < 0)
			return -EINVAL;
		return len ? syslog_print_all(log, t, buf, len, type == SYSLOG_ACTION_READ_CLEAR) :
			     0;
	case SYSLOG_ACTION_CLEAR:
		mutex_lock(&log->lock);
		log->clear_seq = printk_next_seq(log);
		mutex_unlock(&log->lock);
		return 0;
	case SYSLOG_ACTION_CONSOLE_OFF:
		mutex_lock(&log->lock);
		if (log->saved_console_loglevel == LOGLEVEL_DEFAULT)
			log->saved_console_loglevel = log->console_loglevel;
		log->console_loglevel = CONSOLE_LOGLEVEL_MIN;
		mutex_unlock(&log->lock);
		return 0;
	case SYSLOG_ACTION_CONSOLE_ON:
		mutex_lock(&log->lock);
		if (log->saved_console_loglevel != LOGLEVEL_DEFAULT) {
			log->console_loglevel = log->saved_console_loglevel;
			log->saved_console_loglevel = LOGLEVEL_DEFAULT;
		}
		mutex_unlock(&log->lock);
		return 0;
	case SYSLOG_ACTION_CONSOLE_LEVEL:
		if (len < 1 || len > 8)
			return -EINVAL;
		mutex_lock(&log->lock);
		log->console_loglevel = len < CONSOLE_LOGLEVEL_MIN ? CONSOLE_LOGLEVEL_MIN : len;
		log->saved_console_loglevel = LOGLEVEL_DEFAULT;
		mutex_unlock(&log->lock);
		return 0;
	case SYSLOG_ACTION_SIZE_UNREAD: {
		struct printk_record *r;
		u64 seq;

		text = xzalloc(SYSLOG_TEXT_MAX);
		mutex_lock(&log->lock);
		seq = log->syslog_seq;
		if (printk_next(log, &seq)) {
			if (seq != log->syslog_seq) {
				log->syslog_seq = seq;
				log->syslog_partial = 0;
			}
			list_for_each_entry(r, &log->records, node)
				if (r->seq >= log->syslog_seq && r->final)
					ret += (int)printk_format_syslog(r, text, SYSLOG_TEXT_MAX);
			ret -= (int)log->syslog_partial;
		}
		mutex_unlock(&log->lock);
		free(text);
		return ret;
	}
	case SYSLOG_ACTION_SIZE_BUFFER:
		return LOG_BUF_LEN;
	default:
		return -EINVAL;
	}
}

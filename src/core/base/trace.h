/* SPDX-License-Identifier: MIT */
/*
 * The event trace (uvfio_world_set_trace, `uvfio trace`): one JSON object per
 * event, handed to whoever listens. The world owns the sink and hands it to
 * each subsystem at creation (docs/design.md, "Layering"), so a subsystem
 * emits without knowing the world.
 */
#ifndef UVFIO_CORE_BASE_TRACE_H
#define UVFIO_CORE_BASE_TRACE_H

#include <stdarg.h>
#include <stdatomic.h>
#include <stdbool.h>

#include "shared/macro.h"

/* An event line holds a kmsg record's 2 KiB of escaped text (printk/printk.c). */
#define TRACE_LINE_MAX 4096

struct trace_sink {
	/* Set once, before events flow (uvfio_world_set_trace); read without a lock. */
	void (*fn)(void *arg, const char *line);
	void *arg;
	atomic_bool accesses; /* per-access events wanted: DMA, interrupts */
};

/* Emits one line (a JSON object, no newline) if someone listens. */
void trace_emit(struct trace_sink *t, const char *fmt, ...) __printf(2, 3);
void trace_vemit(struct trace_sink *t, const char *fmt, va_list ap) __printf(2, 0);

static inline bool trace_listening(const struct trace_sink *t)
{
	return t->fn;
}

/* Whether per-access events are wanted: test before formatting one. */
static inline bool trace_accesses(struct trace_sink *t)
{
	return atomic_load_explicit(&t->accesses, memory_order_relaxed);
}

#endif /* UVFIO_CORE_BASE_TRACE_H */

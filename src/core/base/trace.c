// SPDX-License-Identifier: MIT
/* The event trace's sink (base/trace.h). */
#include <stdio.h>

#include "base/trace.h"

void trace_vemit(struct trace_sink *t, const char *fmt, va_list ap)
{
	char line[TRACE_LINE_MAX];

	if (!t->fn)
		return;
	vsnprintf(line, sizeof(line), fmt, ap);
	t->fn(t->arg, line);
}

void trace_emit(struct trace_sink *t, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	trace_vemit(t, fmt, ap);
	va_end(ap);
}

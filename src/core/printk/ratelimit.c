// SPDX-License-Identifier: MIT
/*
 * Rate limits for the kernel's messages, after lib/ratelimit.c (6.12): the
 * interval starts at the first event; within it, burst events pass and the
 * rest are counted as missed.
 */
#include "printk/printk.h"

void ratelimit_state_init(struct ratelimit_state *rs, bool msg_on_release)
{
	mutex_init(&rs->lock, "ratelimit_state->lock");
	rs->interval_ns = DEFAULT_RATELIMIT_INTERVAL_MS * 1000000ull;
	rs->burst = DEFAULT_RATELIMIT_BURST;
	rs->msg_on_release = msg_on_release;
	rs->begin_ns = 0;
	rs->printed = 0;
	rs->missed = 0;
}

void ratelimit_state_destroy(struct ratelimit_state *rs)
{
	mutex_destroy(&rs->lock);
}

bool ___ratelimit(struct uvfio_world *w, struct ratelimit_state *rs, const char *func)
{
	u64 now = now_ns();
	int suppressed = 0;
	bool pass;

	mutex_lock(&rs->lock);
	if (!rs->begin_ns)
		rs->begin_ns = now;
	if (now - rs->begin_ns > rs->interval_ns) {
		if (rs->missed && !rs->msg_on_release) {
			suppressed = rs->missed;
			rs->missed = 0;
		}
		rs->begin_ns = now;
		rs->printed = 0;
	}
	pass = rs->printed < rs->burst;
	if (pass)
		rs->printed++;
	else
		rs->missed++;
	mutex_unlock(&rs->lock);
	if (suppressed)
		printk_emit(w, LOG_FACILITY_KERN, LOGLEVEL_WARNING, NULL,
			    "%s: %d callbacks suppressed\n", func, suppressed);
	return pass;
}

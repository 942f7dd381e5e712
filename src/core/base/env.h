/* SPDX-License-Identifier: MIT */
/*
 * What the world hands a subsystem at creation (docs/design.md, "Layering"):
 * the services the kernel keeps in globals. A subsystem keeps the pointer;
 * everything it points to outlives the subsystem.
 */
#ifndef UVFIO_CORE_BASE_ENV_H
#define UVFIO_CORE_BASE_ENV_H

struct chrdevs;
struct loop;
struct race_registry;
struct trace_sink;
struct uvfio_world;

struct core_env {
	struct uvfio_world *world; /* opaque: what files and log records belong to */
	struct chrdevs *chrdevs; /* device numbers and /dev nodes (base/chrdev.h) */
	struct trace_sink *trace; /* the event trace (base/trace.h) */
	struct race_registry *races; /* race points and quirks for tests (shared/race.h) */
	struct loop *loop; /* the work loop: deferred work, virqfd (shared/loop.h) */
};

#endif /* UVFIO_CORE_BASE_ENV_H */

/* SPDX-License-Identifier: MIT */
/*
 * Race points and old-ordering switches inside the core (docs/races.md).
 *
 *	world_race_point(w, "vfio_df_close.last");
 *	if (world_quirk(w, UVFIO_QUIRK_...)) { the pre-fix ordering }
 *
 * Every point name used in the core is listed in race.c, so a test cannot arm
 * a misspelt one. Both compile to nothing without the race-points option.
 */
#ifndef UVFIO_CORE_RACE_H
#define UVFIO_CORE_RACE_H

#include "shared/race.h"
#include "uvfio/uvfio-race.h"
#include "world.h"

#define world_race_point(w, name) race_point(&(w)->races, name)
#define world_quirk(w, bit) race_quirk(&(w)->races, bit)

void world_races_init(struct uvfio_world *w);

#endif /* UVFIO_CORE_RACE_H */

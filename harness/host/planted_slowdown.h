/* A test-only knob for performance tracking (scripts/track-perf, results/TRACKING.md): the
 * environment variable ATTNBENCH_PLANT_SLOWDOWN=NAME=FRACTION[,NAME=FRACTION...] makes each
 * batch of forward calls of implementation NAME take FRACTION longer (0.05: 5%), by
 * spinning after the calls for FRACTION of the time they took, inside the timed region.
 * Results are unchanged; only timings are. It exists to prove that a tracking run detects
 * a regression of a known size, and attnbench says on stderr whenever it is set. */
#ifndef ATTN_PLANTED_SLOWDOWN_H
#define ATTN_PLANTED_SLOWDOWN_H

#include <stdbool.h>

#include "error.h"

#define ATTN_PLANT_SLOWDOWN_ENV "ATTNBENCH_PLANT_SLOWDOWN"

/* Parses the variable (nothing to do when it is unset or empty): 0, or -1 with err saying
 * what is wrong with it. When announce is true, prints a line on stderr per implementation
 * slowed (a worker process, which inherits the variable, parses it silently). */
int attn_planted_slowdown_init(bool announce, attn_error *err);

/* The fraction planted for the implementation named name (0 when none). */
double attn_planted_slowdown(const char *name);

/* Spins until fraction * seconds have passed after `end` (a time of attn_now_seconds). */
void attn_planted_slowdown_spin(double fraction, double seconds, double end);

#endif

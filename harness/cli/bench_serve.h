/* bench --serve: the measurements of a sweep kept open and timed on request, so that a
 * controller (scripts/track-perf) can interleave the samples of two builds case by case.
 *
 * The protocol, lines of tab-separated fields on standard input and output:
 *   attnbench, first:  "item N STATUS IMPL THREADS CASE REASON" per measurement (N from 0,
 *                      STATUS as bench's status column: ok, skipped, over_budget, ...; only
 *                      ok items can be sampled), then "ready COUNT".
 *   controller:        "sample N K": K samples of item N;
 *   attnbench:         "sample N ok S1 S2 ... SK" (seconds per call), or "sample N STATUS
 *                      REASON" when a call failed or a result was wrong (the item is closed:
 *                      later requests for it get the same answer); a malformed request gets
 *                      "error REASON" and the process exits 2.
 *   controller:        "quit" (or end of input): every item is closed, exit 0.
 * Every sample is verified as bench verifies its samples. Progress goes to stderr. */
#ifndef ATTN_BENCH_SERVE_H
#define ATTN_BENCH_SERVE_H

#include <stddef.h>

#include "bench.h"
#include "suite.h"

int attn_bench_serve(const attn_impl *const *impls, size_t impl_count, const int *threads,
                     size_t thread_count, const attn_suite *suite, attn_layout layout,
                     const attn_bench_options *options);

#endif

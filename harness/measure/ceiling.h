/* The machine's ceiling for a case: OpenBLAS sgemm at the QK^T shape (M = Nq, N = Nkv,
 * K = D, B transposed) with the same thread count, timed like an implementation. */
#ifndef ATTN_CEILING_H
#define ATTN_CEILING_H

#include <stdbool.h>
#include <stdint.h>

#include "error.h"

typedef struct attn_timing_options {
    double min_sample_seconds; /* each sample runs enough iterations to exceed this */
    int reps;                  /* samples wanted */
    double budget_seconds;     /* wall-time budget of one measurement, warm-up included */
} attn_timing_options;

/* Measured sgemm GFLOP/s (best sample) for the shape; cached per (m, n, k, threads).
 * *measured_now tells whether it ran sgemm (false: from the cache). */
int attn_sgemm_ceiling(int64_t m, int64_t n, int64_t k, int threads,
                       const attn_timing_options *timing, double *gflops, bool *measured_now,
                       attn_error *err);

#endif

/* The machine's ceiling for a case: a library GEMM at the QK^T shape (M = Nq, N = Nkv,
 * K = D, B transposed) with the same thread count, timed like an implementation. f32 runs
 * OpenBLAS sgemm; bf16 and fp16 run oneDNN's matmul with f32 accumulation. */
#ifndef ATTN_CEILING_H
#define ATTN_CEILING_H

#include <stdbool.h>
#include <stdint.h>

#include "attnbench.h"
#include "error.h"

typedef struct attn_timing_options {
    double min_sample_seconds; /* each sample runs enough iterations to exceed this */
    int reps;                  /* samples wanted */
    double budget_seconds;     /* wall-time budget of one measurement, warm-up included */
} attn_timing_options;

/* The best (smallest) of timing->reps values of sample(state), at least one, more only
 * while the budget, counted from started (attn_now_seconds()), lasts: the figure of a
 * ceiling or roof, steadier than the median on a shared machine. A negative sample (the
 * measured code failed) ends it with -1. */
double attn_best_sample(double (*sample)(void *state), void *state,
                        const attn_timing_options *timing, double started);

typedef struct attn_ceiling {
    attn_element_type type; /* what the GEMM multiplied */
    double gflops;          /* best sample; 0 when no library could run it */
    char kernel[192];       /* the library and kernel that ran, or why none could */
} attn_ceiling;

/* The element type of a case's GEMM ceiling: K's type when it is reduced (a kernel can at
 * best multiply at the KV cache's type), else Q's, else f32. */
attn_element_type attn_ceiling_type(const attn_problem *p);

/* Measures (or takes from a cache per type, shape and threads) the ceiling. A reduced
 * type no library in this build multiplies is not an error: gflops is 0 and kernel says
 * why. *measured_now tells whether a GEMM ran now (false: cached or unavailable). */
int attn_gemm_ceiling(attn_element_type type, int64_t m, int64_t n, int64_t k, int threads,
                      const attn_timing_options *timing, attn_ceiling *ceiling, bool *measured_now,
                      attn_error *err);

#endif

/* Timing of a ceiling GEMM, with a small cache of the shapes already measured. */
#include "ceiling.h"

#include <stdio.h>
#include <string.h>

#include "gemm_kernel.h"
#include "stats.h"
#include "threads.h"
#include "timer.h"

#define CACHE_SIZE 256
#define MAX_SAMPLES 64

typedef struct ceiling_entry {
    int64_t m, n, k;
    int threads;
    attn_ceiling ceiling;
} ceiling_entry;

static ceiling_entry cache[CACHE_SIZE];
static int cached;

attn_element_type attn_ceiling_type(const attn_problem *p) {
    if (p->k_type != ATTN_F32)
        return (attn_element_type)p->k_type;
    return (attn_element_type)p->q_type;
}

double attn_best_sample(double (*sample)(void *state), void *state,
                        const attn_timing_options *timing, double started) {
    double samples[MAX_SAMPLES];
    int reps = timing->reps < MAX_SAMPLES ? timing->reps : MAX_SAMPLES, taken = 0;
    double deadline = started + timing->budget_seconds;
    while (taken < reps && (taken < 1 || attn_now_seconds() < deadline))
        if ((samples[taken++] = sample(state)) < 0)
            return -1;
    attn_stats stats;
    attn_stats_of(samples, (size_t)taken, &stats);
    return stats.min;
}

typedef struct gemm_run {
    const attn_gemm_kernel *kernel;
    long iterations;
} gemm_run;

/* Per-call seconds of one sample of the GEMM; -1 when the library reported failure. */
static double sample_gemm(void *state) {
    const gemm_run *r = state;
    double t0 = attn_now_seconds();
    for (long n = 0; n < r->iterations; n++)
        if (r->kernel->run(r->kernel->state))
            return -1;
    return (attn_now_seconds() - t0) / (double)r->iterations;
}

/* Best per-call seconds over the samples; -1 when the library reported failure. */
static double time_kernel(const attn_gemm_kernel *kernel, const attn_timing_options *timing) {
    double start = attn_now_seconds();
    if (kernel->run(kernel->state)) /* warm-up: first touch, thread pool start */
        return -1;
    double once = attn_now_seconds() - start;
    gemm_run run = {kernel, once > 0 ? (long)(timing->min_sample_seconds / once) + 1 : 1};
    return attn_best_sample(sample_gemm, &run, timing, start);
}

static void remember(int64_t m, int64_t n, int64_t k, int threads, const attn_ceiling *c) {
    if (cached < CACHE_SIZE)
        cache[cached++] = (ceiling_entry){m, n, k, threads, *c};
}

int attn_gemm_ceiling(attn_element_type type, int64_t m, int64_t n, int64_t k, int threads,
                      const attn_timing_options *timing, attn_ceiling *ceiling, bool *measured_now,
                      attn_error *err) {
    *measured_now = false;
    for (int e = 0; e < cached; e++)
        if (cache[e].ceiling.type == type && cache[e].m == m && cache[e].n == n &&
            cache[e].k == k && cache[e].threads == threads) {
            *ceiling = cache[e].ceiling;
            return 0;
        }
    *ceiling = (attn_ceiling){.type = type};
    attn_gemm_kernel kernel = {0};
    char why[160] = "";
    attn_set_threads(threads);
    int prepared = type == ATTN_F32
                       ? attn_gemm_openblas_prepare(type, m, n, k, &kernel, why, sizeof why)
                       : attn_gemm_onednn_prepare(type, m, n, k, &kernel, why, sizeof why);
    if (prepared && type == ATTN_F32)
        return attn_fail_internal(err, "the sgemm ceiling: %s", why);
    if (prepared) {
        snprintf(ceiling->kernel, sizeof ceiling->kernel, "none: %s", why);
        remember(m, n, k, threads, ceiling);
        return 0;
    }
    double seconds = time_kernel(&kernel, timing);
    if (seconds > 0) {
        ceiling->gflops = 2.0 * (double)m * (double)n * (double)k / seconds * 1e-9;
        snprintf(ceiling->kernel, sizeof ceiling->kernel, "%s", kernel.name);
        *measured_now = true;
    } else {
        snprintf(ceiling->kernel, sizeof ceiling->kernel, "none: %s failed when run", kernel.name);
    }
    kernel.destroy(kernel.state);
    if (seconds <= 0 && type == ATTN_F32)
        return attn_fail_internal(err, "the sgemm ceiling: %s", ceiling->kernel);
    remember(m, n, k, threads, ceiling);
    return 0;
}

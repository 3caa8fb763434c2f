/* Timing one implementation on one case at one thread count: allocation, input fill and
 * first touch outside the timed region, an untimed warm-up that is also verified against
 * the reference, then samples of enough iterations to exceed a minimum time. */
#ifndef ATTN_BENCH_H
#define ATTN_BENCH_H

#include <stddef.h>

#include "attnbench.h"
#include "ceiling.h"
#include "layout.h"
#include "problem.h"
#include "stats.h"
#include "verify.h"
#include "work.h"

#define ATTN_BENCH_MAX_SAMPLES 1000
/* A coefficient of variation above this is flagged in the row's reason. */
#define ATTN_BENCH_NOISY_CV 0.10

typedef enum {
    ATTN_BENCH_OK = 0,
    ATTN_BENCH_WRONG,       /* the output failed verification: no speed is reported */
    ATTN_BENCH_SKIPPED,     /* the implementation does not support the case */
    ATTN_BENCH_OVER_BUDGET, /* one run would take (or took) longer than the case budget */
    ATTN_BENCH_OVER_MEMORY, /* the case needs more memory than the cap */
    ATTN_BENCH_ERROR,       /* forward failed or memory could not be had */
    ATTN_BENCH_STATUS_COUNT
} attn_bench_status;

const char *attn_bench_status_name(attn_bench_status status);

typedef struct attn_bench_options {
    attn_timing_options timing;
    double memory_cap_bytes;
    /* Expected seconds of one run (0: unknown); above the budget the case is not run. */
    double predicted_seconds;
} attn_bench_options;

typedef struct attn_bench_result {
    attn_bench_status status;
    char reason[1024]; /* why not ok, or a note on an ok measurement */
    attn_work work;
    long iterations_per_sample;
    size_t sample_count;
    double samples[ATTN_BENCH_MAX_SAMPLES]; /* seconds per iteration */
    attn_stats stats;
    double warmup_seconds;
    double gflops; /* from the median */
    attn_verify_result verify;
    double memory_bytes; /* inputs, outputs, workspace and what the implementation allocates */
    attn_layout layout;
    long long timed_calls; /* every one of them returned ATTN_OK and was verified */
} attn_bench_result;

/* Times impl on c in layout. Two input sets generated independently alternate between
 * samples; before each sample its set is copied in and O poisoned, after it the calls'
 * return codes, the untouched inputs and the final output are checked (against the
 * verified output of that set, and against the reference when it differs), so a row is
 * ok only when every timed call was honest. */
void attn_bench_case(const attn_impl *impl, const attn_case *c, attn_layout layout, int threads,
                     const attn_bench_options *options, attn_bench_result *result);

/* The same measurement kept open between samples, for interleaved runs of two builds
 * (bench --serve, scripts/track-perf): attn_bench_open admits the case, makes the inputs,
 * runs the verified warm-up and calibrates the calls of a sample to the minimum sample
 * time; NULL when that failed (r says why, as attn_bench_case would), else a session with
 * r->status ok and r->iterations_per_sample set. attn_bench_sample times one sample on the
 * next input set, checked as attn_bench_case checks every sample: seconds per call, or -1
 * with r->status and r->reason saying why (close the session then). */
typedef struct attn_bench_session attn_bench_session;
attn_bench_session *attn_bench_open(const attn_impl *impl, const attn_case *c, attn_layout layout,
                                    int threads, const attn_bench_options *options,
                                    attn_bench_result *r);
double attn_bench_sample(attn_bench_session *s, attn_bench_result *r);
void attn_bench_close(attn_bench_session *s);

#endif

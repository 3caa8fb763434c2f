/* One benchmark measurement. */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "environment.h"
#include "generate.h"
#include "isolate.h"
#include "timer.h"

static const char *const status_names[ATTN_BENCH_STATUS_COUNT] = {
    "ok", "wrong", "skipped", "over_budget", "over_memory", "error"};

const char *attn_bench_status_name(attn_bench_status status) {
    return (unsigned)status < ATTN_BENCH_STATUS_COUNT ? status_names[status] : "?";
}

typedef struct buffers {
    float *q, *k, *v, *o, *lse;
    void *workspace;
} buffers;

static void free_buffers(buffers *b) {
    free(b->q);
    free(b->k);
    free(b->v);
    free(b->o);
    free(b->lse);
    free(b->workspace);
}

static void *alloc_aligned(size_t bytes) {
    return aligned_alloc(64, (bytes + 63) / 64 * 64 + 64);
}

/* Seconds taken by count consecutive forward calls. */
static double time_calls(const attn_impl *impl, const attn_args *args, long count) {
    double start = attn_now_seconds();
    for (long n = 0; n < count; n++)
        impl->forward(args);
    return attn_now_seconds() - start;
}

static void set_status(attn_bench_result *r, attn_bench_status status, const char *reason) {
    r->status = status;
    snprintf(r->reason, sizeof r->reason, "%s", reason);
}

void attn_bench_case(const attn_impl *impl, const attn_case *c, int threads,
                     const attn_bench_options *options, attn_bench_result *r) {
    memset(r, 0, sizeof *r);
    attn_work_of(c, &r->work);
    char reason[1024];
    if (attn_check_support(impl, c, reason, sizeof reason) == ATTN_STATUS_SKIPPED) {
        set_status(r, ATTN_BENCH_SKIPPED, reason);
        return;
    }
    const attn_problem *p = &c->problem;
    attn_case_sizes sizes;
    if (attn_case_sizes_of(c, &sizes, NULL)) {
        set_status(r, ATTN_BENCH_OVER_MEMORY, "tensor sizes overflow");
        return;
    }
    size_t workspace = impl->workspace_size ? impl->workspace_size(p, threads) : 0;
    r->memory_bytes =
        4.0 * (double)(sizes.q + sizes.k + sizes.v + sizes.o + sizes.lse) + (double)workspace;
    if (r->memory_bytes > options->memory_cap_bytes) {
        snprintf(reason, sizeof reason,
                 "needs %.0f MiB (inputs, outputs, workspace), over the "
                 "cap of %.0f MiB (--mem-cap)",
                 r->memory_bytes / 1048576.0, options->memory_cap_bytes / 1048576.0);
        set_status(r, ATTN_BENCH_OVER_MEMORY, reason);
        return;
    }
    const attn_timing_options *t = &options->timing;
    /* A case is timed only when the warm-up and reps calls fit in its budget. */
    if (options->predicted_seconds * (t->reps + 1) > t->budget_seconds) {
        snprintf(reason, sizeof reason,
                 "one call predicted to take %.3g s (from the previous case's rate): warm-up "
                 "and %d samples would exceed the per-case budget of %.3g s (--budget)",
                 options->predicted_seconds, t->reps, t->budget_seconds);
        set_status(r, ATTN_BENCH_OVER_BUDGET, reason);
        return;
    }
    buffers b = {alloc_aligned(sizes.q * 4),   alloc_aligned(sizes.k * 4),
                 alloc_aligned(sizes.v * 4),   alloc_aligned(sizes.o * 4),
                 alloc_aligned(sizes.lse * 4), workspace ? alloc_aligned(workspace) : NULL};
    if (!b.q || !b.k || !b.v || !b.o || !b.lse || (workspace && !b.workspace)) {
        free_buffers(&b);
        set_status(r, ATTN_BENCH_ERROR, "out of memory allocating the case");
        return;
    }
    attn_generate_inputs(c, b.q, b.k, b.v);
    memset(b.o, 0, sizes.o * 4); /* first touch outside the timed region */
    memset(b.lse, 0, sizes.lse * 4);
    if (workspace)
        memset(b.workspace, 0, workspace);
    const bool want_lse = (impl->caps & ATTN_CAP_LSE) != 0;
    char message[512] = "";
    attn_args args = {.problem = p,
                      .q = b.q,
                      .k = b.k,
                      .v = b.v,
                      .o = b.o,
                      .lse = want_lse ? b.lse : NULL,
                      .workspace = b.workspace,
                      .workspace_size = workspace,
                      .threads = threads,
                      .message = message,
                      .message_size = sizeof message};
    attn_set_threads(threads);

    double start = attn_now_seconds();
    int rc = impl->forward(&args);
    r->warmup_seconds = attn_now_seconds() - start;
    if (rc != ATTN_OK) {
        snprintf(reason, sizeof reason, "forward %s: %s",
                 rc == ATTN_UNSUPPORTED ? "declined" : "failed", message[0] ? message : "?");
        set_status(r, rc == ATTN_UNSUPPORTED ? ATTN_BENCH_SKIPPED : ATTN_BENCH_ERROR, reason);
        free_buffers(&b);
        return;
    }
    if (attn_verify_output(c, b.q, b.k, b.v, b.o, want_lse ? b.lse : NULL, &r->verify)) {
        set_status(r, ATTN_BENCH_ERROR, "out of memory verifying the output");
        free_buffers(&b);
        return;
    }
    if (!r->verify.passed) {
        snprintf(reason, sizeof reason, "wrong result, not timed: %s", r->verify.detail);
        set_status(r, ATTN_BENCH_WRONG, reason);
        free_buffers(&b);
        return;
    }
    if (r->warmup_seconds * (t->reps + 1) > t->budget_seconds) {
        snprintf(reason, sizeof reason,
                 "one call took %.3g s: warm-up and %d samples would exceed the per-case "
                 "budget of %.3g s (--budget)",
                 r->warmup_seconds, t->reps, t->budget_seconds);
        set_status(r, ATTN_BENCH_OVER_BUDGET, reason);
        free_buffers(&b);
        return;
    }
    /* Calibration: the warm-up included thread start-up and first touch, so time growing
     * batches of calls until one lasts the minimum sample time. */
    const double deadline = attn_now_seconds() + (t->budget_seconds - r->warmup_seconds);
    const int reps = t->reps < ATTN_BENCH_MAX_SAMPLES ? t->reps : ATTN_BENCH_MAX_SAMPLES;
    long iterations = 1;
    double batch = time_calls(impl, &args, iterations);
    while (batch < t->min_sample_seconds) {
        double per_call = fmax(batch / (double)iterations, 1e-9);
        long next = (long)ceil(1.2 * t->min_sample_seconds / per_call);
        next = next < 2 * iterations     ? 2 * iterations
               : next > 100 * iterations ? 100 * iterations
                                         : next;
        if (attn_now_seconds() + per_call * (double)next * (reps + 1) > deadline)
            break;
        iterations = next;
        batch = time_calls(impl, &args, iterations);
    }
    const double per_call = fmax(batch / (double)iterations, 1e-9);
    /* The samples must fit in what is left of the budget. */
    double left = deadline - attn_now_seconds();
    long affordable = (long)floor(left / (per_call * reps));
    if (affordable < iterations)
        iterations = affordable;
    if (iterations < 1) {
        snprintf(reason, sizeof reason,
                 "one call takes %.3g s: %d samples do not fit in the %.3g s left of the "
                 "per-case budget of %.3g s (--budget)",
                 per_call, reps, left, t->budget_seconds);
        set_status(r, ATTN_BENCH_OVER_BUDGET, reason);
        free_buffers(&b);
        return;
    }
    r->iterations_per_sample = iterations;
    while ((int)r->sample_count < reps &&
           (r->sample_count < 3 || attn_now_seconds() + per_call * (double)iterations <= deadline))
        r->samples[r->sample_count++] = time_calls(impl, &args, iterations) / (double)iterations;
    attn_stats_of(r->samples, r->sample_count, &r->stats);
    r->gflops = r->work.flops / r->stats.median * 1e-9;
    r->status = ATTN_BENCH_OK;
    if ((int)r->sample_count < reps) /* the calls ran slower than calibration said */
        snprintf(r->reason, sizeof r->reason, "only %zu of %d samples fit in the %.3g s budget",
                 r->sample_count, reps, t->budget_seconds);
    else if (r->stats.cv > ATTN_BENCH_NOISY_CV)
        snprintf(r->reason, sizeof r->reason,
                 "noisy: CV %.2f over %zu samples (was the machine busy?)", r->stats.cv,
                 r->sample_count);
    free_buffers(&b);
}

typedef struct bench_job {
    const attn_impl *impl;
    const attn_case *c;
    int threads;
    const attn_bench_options *options;
} bench_job;

static void run_bench_job(void *context, void *result) {
    const bench_job *job = context;
    attn_bench_case(job->impl, job->c, job->threads, job->options, result);
}

void attn_bench_case_isolated(const attn_impl *impl, const attn_case *c, int threads,
                              const attn_bench_options *options, attn_bench_result *result) {
    bench_job job = {impl, c, threads, options};
    char why[256];
    /* generous: the budget covers calls, not allocation and verification */
    double timeout = 4 * options->timing.budget_seconds + 60;
    if (attn_run_isolated(run_bench_job, &job, result, sizeof *result, timeout, why, sizeof why) !=
        0) {
        memset(result, 0, sizeof *result);
        attn_work_of(c, &result->work);
        result->status = ATTN_BENCH_ERROR;
        snprintf(result->reason, sizeof result->reason, "%s %s", impl->name, why);
    }
}

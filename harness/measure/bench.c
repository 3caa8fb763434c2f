/* One benchmark measurement. */
#define _POSIX_C_SOURCE 200809L
#include "bench.h"

#include "contract.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "check.h"
#include "generate.h"
#include "runner.h"
#include "serving.h"
#include "stage.h"
#include "timer.h"

static const char *const status_names[ATTN_BENCH_STATUS_COUNT] = {
    "ok", "wrong", "skipped", "over_budget", "over_memory", "error"};

const char *attn_bench_status_name(attn_bench_status status) {
    return (unsigned)status < ATTN_BENCH_STATUS_COUNT ? status_names[status] : "?";
}

/* Everything one measurement works on. */
typedef struct bench_state {
    const attn_impl *impl;
    attn_case cases[ATTN_STAGE_SETS]; /* the case with each input set's seed */
    float *q[ATTN_STAGE_SETS], *k[ATTN_STAGE_SETS], *v[ATTN_STAGE_SETS];
    float *verified_o[ATTN_STAGE_SETS], *verified_lse[ATTN_STAGE_SETS];
    float *o, *lse;       /* the latest output, dense */
    attn_serving serving; /* a ragged case's tables */
    attn_stage stage;
    attn_run_call call;
    attn_case_sizes sizes;
    bool want_lse;
    bool verified[ATTN_STAGE_SETS]; /* verified_o holds a reference-checked output */
    int batches;                    /* batches of calls so far, the warm-up included */
} bench_state;

static void set_status(attn_bench_result *r, attn_bench_status status, const char *reason) {
    r->status = status;
    snprintf(r->reason, sizeof r->reason, "%.1020s", reason);
}

static void free_state(bench_state *b) {
    for (int set = 0; set < ATTN_STAGE_SETS; set++) {
        free(b->q[set]);
        free(b->k[set]);
        free(b->v[set]);
        free(b->verified_o[set]);
        free(b->verified_lse[set]);
    }
    free(b->o);
    free(b->lse);
    attn_stage_destroy(&b->stage);
    attn_serving_free(&b->serving);
}

/* The second input set: the same case with a seed no suite uses. */
static uint64_t other_seed(uint64_t seed) {
    return seed ^ UINT64_C(0x9e3779b97f4a7c15);
}

static int allocate_state(bench_state *b, const attn_case *c, attn_layout layout, size_t workspace,
                          attn_error *err) {
    if (attn_case_sizes_of(c, &b->sizes, err) ||
        (c->problem.ragged && attn_serving_make(c, &b->serving, err)) ||
        attn_stage_create(&b->stage, &c->problem, c->problem.ragged ? &b->serving : NULL, layout,
                          workspace, err))
        return -1;
    const attn_case_sizes *s = &b->sizes;
    bool ok = (b->o = malloc(s->o * 4)) && (b->lse = malloc(s->lse * 4 + 4));
    for (int set = 0; set < ATTN_STAGE_SETS && ok; set++) {
        b->cases[set] = *c;
        if (set == 1)
            b->cases[set].seed = other_seed(c->seed);
        ok = (b->q[set] = malloc(s->q * 4)) && (b->k[set] = malloc(s->k * 4)) &&
             (b->v[set] = malloc(s->v * 4)) && (b->verified_o[set] = malloc(s->o * 4)) &&
             (b->verified_lse[set] = malloc(s->lse * 4 + 4));
        if (ok) {
            attn_generate_inputs(&b->cases[set], b->q[set], b->k[set], b->v[set]);
            attn_stage_set_inputs(&b->stage, set, b->q[set], b->k[set], b->v[set]);
        }
    }
    return ok ? 0 : attn_fail_internal(err, "out of memory allocating the case");
}

/* Verifies the dense output of input set `set` against the reference. */
static int verify_against_reference(bench_state *b, int set, attn_verify_result *v,
                                    attn_bench_result *r) {
    const attn_precision *precision = attn_precision_for(b->impl, &b->cases[set].problem);
    attn_ref_contract contract = {0};
    if (precision)
        attn_contract_of(precision, &b->cases[set].problem, &contract);
    if (attn_verify_output_contract(&b->cases[set], &contract, b->q[set], b->k[set], b->v[set],
                                    b->o, b->want_lse ? b->lse : NULL, v)) {
        set_status(r, ATTN_BENCH_ERROR, "out of memory verifying the output");
        return -1;
    }
    return 0;
}

/* One batch of count calls on input set `set`; returns its seconds, or -1 with r set
 * when a call failed, the worker died, or the output or inputs are wrong. */
static double timed_batch(bench_state *b, int set, long long count, attn_bench_result *r) {
    const int batch = ++b->batches;
    attn_stage_use(&b->stage, set);
    b->call.count = count;
    attn_run_outcome out;
    attn_run_forward(b->impl, &b->stage.arena, &b->call, &out);
    char reason[1200];
    if (out.died) {
        set_status(r, ATTN_BENCH_ERROR, out.message);
        return -1;
    }
    if (out.rc != ATTN_OK) {
        snprintf(reason, sizeof reason, "forward %s on timed call %lld of batch %d: %s",
                 out.rc == ATTN_UNSUPPORTED ? "declined" : "failed", out.calls_done + 1, batch,
                 out.message[0] ? out.message : "(no message)");
        if (batch > 1) /* after the warm-up */
            snprintf(reason, sizeof reason, "failed on timed call %lld of batch %d: %s",
                     out.calls_done + 1, batch, out.message[0] ? out.message : "(no message)");
        set_status(r,
                   out.rc == ATTN_UNSUPPORTED && batch <= 1 ? ATTN_BENCH_SKIPPED : ATTN_BENCH_ERROR,
                   reason);
        return -1;
    }
    r->timed_calls += out.calls_done;
    char inspection[512];
    if (attn_stage_inspect(&b->stage, inspection, sizeof inspection)) {
        snprintf(reason, sizeof reason, "%s (batch %d, input set %c)", inspection, batch,
                 'A' + set);
        set_status(r, ATTN_BENCH_WRONG, reason);
        return -1;
    }
    attn_stage_outputs(&b->stage, b->o, b->want_lse ? b->lse : NULL);
    const size_t o_bytes = b->sizes.o * 4, lse_bytes = b->want_lse ? b->sizes.lse * 4 : 0;
    if (!b->verified[set] || memcmp(b->o, b->verified_o[set], o_bytes) != 0 ||
        memcmp(b->lse, b->verified_lse[set], lse_bytes) != 0) {
        /* Not bit-identical to the verified output (a kernel may be nondeterministic):
         * it must then pass the reference itself. */
        attn_verify_result v;
        if (verify_against_reference(b, set, &v, r))
            return -1;
        if (!v.passed) {
            snprintf(reason, sizeof reason, "wrong on timed sample (batch %d, input set %c): %s",
                     batch, 'A' + set, v.detail);
            set_status(r, ATTN_BENCH_WRONG, reason);
            return -1;
        }
        if (!b->verified[set]) {
            memcpy(b->verified_o[set], b->o, o_bytes);
            memcpy(b->verified_lse[set], b->lse, lse_bytes);
            b->verified[set] = true;
        }
    }
    return out.seconds;
}

/* The untimed warm-up, on input set A: its output is verified against the reference and
 * kept as the verified output of the set (set B's is verified at its first batch). */
static int warm_up(bench_state *b, double budget_seconds, bool bound_in_worker,
                   attn_bench_result *r) {
    for (int set = 0; set < 1; set++) {
        attn_stage_use(&b->stage, set);
        b->call.count = 1;
        /* Bounded by the budget in a worker; a built-in with no rate measured yet is moved
         * to one for this call, as nothing predicts how long it takes. */
        b->call.time_limit = budget_seconds;
        b->call.in_worker = bound_in_worker;
        attn_run_outcome out;
        attn_run_forward(b->impl, &b->stage.arena, &b->call, &out);
        b->call.time_limit = 0;
        b->call.in_worker = false;
        b->batches++;
        if (set == 0)
            r->warmup_seconds = out.seconds;
        char reason[1200];
        if (out.over_time) {
            snprintf(reason, sizeof reason,
                     "the warm-up call did not finish within the per-case budget of %.3g s "
                     "(--budget) and was stopped",
                     budget_seconds);
            set_status(r, ATTN_BENCH_OVER_BUDGET, reason);
            return -1;
        }
        if (out.died) {
            set_status(r, ATTN_BENCH_ERROR, out.message);
            return -1;
        }
        if (out.rc != ATTN_OK) {
            snprintf(reason, sizeof reason, "forward %s: %s",
                     out.rc == ATTN_UNSUPPORTED ? "declined" : "failed",
                     out.message[0] ? out.message : "?");
            set_status(r, out.rc == ATTN_UNSUPPORTED ? ATTN_BENCH_SKIPPED : ATTN_BENCH_ERROR,
                       reason);
            return -1;
        }
        char inspection[512];
        if (attn_stage_inspect(&b->stage, inspection, sizeof inspection)) {
            snprintf(reason, sizeof reason, "wrong result, not timed: %s", inspection);
            set_status(r, ATTN_BENCH_WRONG, reason);
            return -1;
        }
        attn_stage_outputs(&b->stage, b->o, b->want_lse ? b->lse : NULL);
        attn_verify_result *v = &r->verify;
        if (verify_against_reference(b, set, v, r))
            return -1;
        if (!v->passed) {
            snprintf(reason, sizeof reason, "wrong result, not timed: %s", v->detail);
            set_status(r, ATTN_BENCH_WRONG, reason);
            return -1;
        }
        memcpy(b->verified_o[set], b->o, b->sizes.o * 4);
        memcpy(b->verified_lse[set], b->lse, b->want_lse ? b->sizes.lse * 4 : 0);
        b->verified[set] = true;
    }
    return 0;
}

/* Support, memory and budget: 0 when the case is to be measured, else r says why not. */
static int admit(const attn_impl *impl, const attn_case *c, attn_layout layout, int threads,
                 const attn_bench_options *options, size_t *workspace, attn_bench_result *r) {
    char reason[1024];
    attn_status support = attn_check_support(impl, c, layout, reason, sizeof reason);
    if (support != ATTN_STATUS_PASSED) {
        set_status(r, support == ATTN_STATUS_SKIPPED ? ATTN_BENCH_SKIPPED : ATTN_BENCH_ERROR,
                   reason);
        return -1;
    }
    attn_case_layout l;
    attn_error err = {0};
    size_t allocated = 0;
    attn_serving serving = {0};
    if (c->problem.ragged && attn_serving_make(c, &serving, &err)) {
        set_status(r, ATTN_BENCH_ERROR, err.message);
        return -1;
    }
    const int laid_out = attn_layout_of(&c->problem, layout, &serving, &l, &err);
    attn_serving_free(&serving);
    if (laid_out) {
        set_status(r, ATTN_BENCH_OVER_MEMORY, "tensor sizes overflow");
        return -1;
    }
    if (attn_run_sizes(impl, &c->problem, threads, workspace, &allocated, reason, sizeof reason)) {
        set_status(r, ATTN_BENCH_ERROR, reason);
        return -1;
    }
    double spans = 0;
    for (int t = 0; t < ATTN_TENSOR_COUNT; t++)
        spans += (double)attn_layout_element_size(&l.t[t]) * (double)l.t[t].span;
    r->memory_bytes = spans + (double)*workspace + (double)allocated;
    if (r->memory_bytes > options->memory_cap_bytes) {
        snprintf(reason, sizeof reason,
                 "needs %.0f MiB (inputs, outputs, workspace, its own allocations), over the cap "
                 "of %.0f MiB (--mem-cap)",
                 r->memory_bytes / 1048576.0, options->memory_cap_bytes / 1048576.0);
        set_status(r, ATTN_BENCH_OVER_MEMORY, reason);
        return -1;
    }
    const attn_timing_options *t = &options->timing;
    if (options->predicted_seconds * (t->reps + 1) > t->budget_seconds) {
        snprintf(reason, sizeof reason,
                 "one call predicted to take %.3g s (from the previous case's rate): warm-up "
                 "and %d samples would exceed the per-case budget of %.3g s (--budget)",
                 options->predicted_seconds, t->reps, t->budget_seconds);
        set_status(r, ATTN_BENCH_OVER_BUDGET, reason);
        return -1;
    }
    return 0;
}

/* Calibration: batches growing until one lasts the minimum sample time, each on the next
 * input set, within the deadline. Returns the iterations of a sample (and *per_call, the
 * seconds of one call), or 0 with r set. */
static long long calibrate(bench_state *b, const attn_timing_options *t, double deadline, int *set,
                           double *per_call, attn_bench_result *r) {
    const int reps = t->reps < ATTN_BENCH_MAX_SAMPLES ? t->reps : ATTN_BENCH_MAX_SAMPLES;
    long long iterations = 1;
    double batch = timed_batch(b, *set, iterations, r);
    if (batch < 0)
        return 0;
    while (batch < t->min_sample_seconds) {
        double call = fmax(batch / (double)iterations, 1e-9);
        long long next = (long long)ceil(1.2 * t->min_sample_seconds / call);
        next = next < 2 * iterations     ? 2 * iterations
               : next > 100 * iterations ? 100 * iterations
                                         : next;
        if (attn_now_seconds() + call * (double)next * (reps + 1) > deadline)
            break;
        iterations = next;
        *set ^= 1;
        if ((batch = timed_batch(b, *set, iterations, r)) < 0)
            return 0;
    }
    *per_call = fmax(batch / (double)iterations, 1e-9);
    return iterations;
}

/* Is one call too slow for the warm-up and reps samples to fit in the budget? */
static bool over_budget(const attn_timing_options *t, attn_bench_result *r) {
    if (r->warmup_seconds * (t->reps + 1) <= t->budget_seconds)
        return false;
    char reason[1024];
    snprintf(reason, sizeof reason,
             "one call took %.3g s: warm-up and %d samples would exceed the per-case "
             "budget of %.3g s (--budget)",
             r->warmup_seconds, t->reps, t->budget_seconds);
    set_status(r, ATTN_BENCH_OVER_BUDGET, reason);
    return true;
}

/* Calibration and samples, each batch on the next input set. */
static void measure(bench_state *b, const attn_bench_options *options, attn_bench_result *r) {
    const attn_timing_options *t = &options->timing;
    char reason[1024];
    if (over_budget(t, r))
        return;
    const double deadline = attn_now_seconds() + (t->budget_seconds - r->warmup_seconds);
    const int reps = t->reps < ATTN_BENCH_MAX_SAMPLES ? t->reps : ATTN_BENCH_MAX_SAMPLES;
    int set = 1;
    double per_call = 0;
    long long iterations = calibrate(b, t, deadline, &set, &per_call, r);
    if (iterations == 0)
        return;
    double left = deadline - attn_now_seconds();
    long long affordable = (long long)floor(left / (per_call * reps));
    if (affordable < iterations)
        iterations = affordable;
    if (iterations < 1) {
        snprintf(reason, sizeof reason,
                 "one call takes %.3g s: %d samples do not fit in the %.3g s left of the "
                 "per-case budget of %.3g s (--budget)",
                 per_call, reps, left, t->budget_seconds);
        set_status(r, ATTN_BENCH_OVER_BUDGET, reason);
        return;
    }
    r->iterations_per_sample = (long)iterations;
    while (
        (int)r->sample_count < reps &&
        (r->sample_count < 3 || attn_now_seconds() + per_call * (double)iterations <= deadline)) {
        set ^= 1;
        double seconds = timed_batch(b, set, iterations, r);
        if (seconds < 0)
            return;
        r->samples[r->sample_count++] = seconds / (double)iterations;
    }
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
}

/* Admission, inputs and the verified warm-up: 0 with *b ready to time, else r says why
 * not (b freed). */
static int open_state(bench_state *b, const attn_impl *impl, const attn_case *c, attn_layout layout,
                      int threads, const attn_bench_options *options, attn_bench_result *r) {
    memset(r, 0, sizeof *r);
    r->layout = layout;
    attn_work_of(c, &r->work);
    size_t workspace = 0;
    memset(b, 0, sizeof *b);
    b->stage.arena.fd = -1;
    if (admit(impl, c, layout, threads, options, &workspace, r))
        return -1;
    b->impl = impl;
    b->want_lse = (impl->caps & ATTN_CAP_LSE) != 0;
    attn_error err = {0};
    if (allocate_state(b, c, layout, workspace, &err)) {
        set_status(r, ATTN_BENCH_ERROR, err.message);
        free_state(b);
        return -1;
    }
    b->call =
        (attn_run_call){&b->cases[0].problem, &b->stage.layout, threads, b->want_lse, 1, 0, false};
    if (warm_up(b, options->timing.budget_seconds, options->predicted_seconds <= 0, r)) {
        free_state(b);
        return -1;
    }
    return 0;
}

void attn_bench_case(const attn_impl *impl, const attn_case *c, attn_layout layout, int threads,
                     const attn_bench_options *options, attn_bench_result *r) {
    bench_state b;
    if (open_state(&b, impl, c, layout, threads, options, r))
        return;
    measure(&b, options, r);
    free_state(&b);
}

struct attn_bench_session {
    bench_state state;
    long long iterations;
    int set;
};

attn_bench_session *attn_bench_open(const attn_impl *impl, const attn_case *c, attn_layout layout,
                                    int threads, const attn_bench_options *options,
                                    attn_bench_result *r) {
    attn_bench_session *s = calloc(1, sizeof *s);
    if (!s) {
        memset(r, 0, sizeof *r);
        set_status(r, ATTN_BENCH_ERROR, "out of memory");
        return NULL;
    }
    if (open_state(&s->state, impl, c, layout, threads, options, r)) {
        free(s);
        return NULL;
    }
    const attn_timing_options *t = &options->timing;
    double per_call = 0;
    s->set = 1;
    if (over_budget(t, r) ||
        (s->iterations =
             calibrate(&s->state, t, attn_now_seconds() + (t->budget_seconds - r->warmup_seconds),
                       &s->set, &per_call, r)) == 0) {
        attn_bench_close(s);
        return NULL;
    }
    r->iterations_per_sample = (long)s->iterations;
    r->status = ATTN_BENCH_OK;
    return s;
}

double attn_bench_sample(attn_bench_session *s, attn_bench_result *r) {
    s->set ^= 1;
    const double seconds = timed_batch(&s->state, s->set, s->iterations, r);
    return seconds < 0 ? -1 : seconds / (double)s->iterations;
}

void attn_bench_close(attn_bench_session *s) {
    if (!s)
        return;
    free_state(&s->state);
    free(s);
}

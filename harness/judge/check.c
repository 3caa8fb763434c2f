/* The conformance check of one implementation on one case in one layout. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include "contract.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "stage.h"

static const char *const status_names[ATTN_STATUS_COUNT] = {"PASSED", "FAILED", "SKIPPED", "ERROR",
                                                            "MISTRUSTED"};

const char *attn_status_name(attn_status status) {
    return (unsigned)status < ATTN_STATUS_COUNT ? status_names[status] : "?";
}

uint64_t attn_case_required_caps(const attn_case *c, attn_layout layout) {
    const attn_problem *p = &c->problem;
    uint64_t caps = 0;
    if (p->heads_kv != p->heads_q)
        caps |= ATTN_CAP_GQA;
    if (p->seq_q != p->seq_kv)
        caps |= ATTN_CAP_CROSS;
    if (p->ragged) {
        caps |= p->kv_storage == ATTN_KV_PACKED  ? ATTN_CAP_KV_PACKED
                : p->kv_storage == ATTN_KV_PAGED ? ATTN_CAP_KV_PAGED
                                                 : ATTN_CAP_RAGGED;
        caps &= ~ATTN_CAP_CROSS;
        for (int64_t b = 0; b < p->batch; b++)
            if (attn_case_seq_len(c, ATTN_SEQ_Q, b) != attn_case_seq_len(c, ATTN_SEQ_KV, b))
                caps |= ATTN_CAP_CROSS;
    }
    if (p->window_left < 0 && p->window_right < 0)
        caps |= ATTN_CAP_GLOBAL;
    else if (p->window_left < 0 && p->window_right == 0)
        caps |= ATTN_CAP_CAUSAL;
    else
        caps |= ATTN_CAP_WINDOW;
    if (p->head_dim_v != p->head_dim)
        caps |= ATTN_CAP_DV_DIFFERS;
    if (!c->scale_is_default)
        caps |= ATTN_CAP_CUSTOM_SCALE;
    if (layout != ATTN_LAYOUT_BHSD)
        caps |= ATTN_CAP_STRIDES;
    return caps;
}

const char *attn_cap_description(uint64_t missing) {
    static const struct {
        uint64_t cap;
        const char *text;
    } names[] = {
        {ATTN_CAP_GQA, "grouped-query attention (hkv < hq)"},
        {ATTN_CAP_CROSS, "cross-attention (nq != nkv)"},
        {ATTN_CAP_CAUSAL, "causal mask"},
        {ATTN_CAP_WINDOW, "local window mask"},
        {ATTN_CAP_GLOBAL, "global (unmasked) attention"},
        {ATTN_CAP_DV_DIFFERS, "dv != d"},
        {ATTN_CAP_LSE, "LSE output"},
        {ATTN_CAP_CUSTOM_SCALE, "a non-default scale"},
        {ATTN_CAP_STRIDES, "strided tensors (layouts other than dense bhsd)"},
        {ATTN_CAP_RAGGED, "ragged batches (per-sequence lengths, keys in a batched cache)"},
        {ATTN_CAP_KV_PACKED, "ragged batches with packed keys (cu_seqlens_kv)"},
        {ATTN_CAP_KV_PAGED, "ragged batches with a paged KV cache (block table)"},
    };
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++)
        if (missing & names[n].cap)
            return names[n].text;
    return "an unknown capability";
}

attn_status attn_check_support(const attn_impl *impl, const attn_case *c, attn_layout layout,
                               char *reason, size_t reason_size) {
    uint64_t missing = attn_case_required_caps(c, layout) & ~impl->caps;
    if (missing) {
        snprintf(reason, reason_size, "%s does not support %s", impl->name,
                 attn_cap_description(missing));
        return ATTN_STATUS_SKIPPED;
    }
    if (!attn_precision_for(impl, &c->problem)) {
        char why[200];
        attn_precision_missing(impl, &c->problem, why, sizeof why);
        snprintf(reason, reason_size, "%s %s", impl->name, why);
        return ATTN_STATUS_SKIPPED;
    }
    char why[768] = "";
    int rc = attn_run_supports(impl, &c->problem, why, sizeof why);
    if (rc == ATTN_OK)
        return ATTN_STATUS_PASSED;
    if (rc == ATTN_UNSUPPORTED) {
        snprintf(reason, reason_size, "%s declines: %s", impl->name,
                 why[0] ? why : "(no reason given)");
        return ATTN_STATUS_SKIPPED;
    }
    snprintf(reason, reason_size, "%s", why);
    return ATTN_STATUS_ERROR;
}

static void set_reason(attn_check_result *result, attn_status status, const char *prefix,
                       const char *text) {
    result->status = status;
    snprintf(result->reason, sizeof result->reason, "%.40s%.980s", prefix, text);
}

/* One call and its verdict; prefix says which call it was ("" or "with lse.data ==
 * NULL: "). Returns 0 when the result passed. */
static int run_and_judge(const attn_impl *impl, const attn_case_data *data, attn_stage *stage,
                         int threads, bool want_lse, const char *prefix, float *o, float *lse,
                         attn_check_result *result) {
    attn_stage_poison_outputs(stage); /* the inputs passed inspection after any earlier call */
    attn_run_call call = {&data->c.problem, &stage->layout, threads, want_lse, 1, 0, false};
    attn_run_outcome out;
    attn_run_forward(impl, &stage->arena, &call, &out);
    if (out.died) {
        /* A fault the worker traced to a tensor (or to the NULL LSE) is a wrong kernel,
         * not one that could not run. */
        const bool traced = strstr(out.message, "out-of-bounds") || strstr(out.message, "NULL");
        set_reason(result, traced ? ATTN_STATUS_FAILED : ATTN_STATUS_ERROR, prefix, out.message);
        return -1;
    }
    if (out.rc != ATTN_OK) {
        char text[1200];
        snprintf(text, sizeof text, "forward %s: %s",
                 out.rc == ATTN_UNSUPPORTED ? "declined" : "failed",
                 out.message[0] ? out.message : "(no message)");
        set_reason(result, out.rc == ATTN_UNSUPPORTED ? ATTN_STATUS_SKIPPED : ATTN_STATUS_ERROR,
                   prefix, text);
        return -1;
    }
    char reason[512];
    if (attn_stage_inspect(stage, reason, sizeof reason)) {
        set_reason(result, ATTN_STATUS_FAILED, prefix, reason);
        return -1;
    }
    attn_stage_outputs(stage, o, want_lse ? lse : NULL);
    attn_compare_result compare;
    attn_compare(data, o, want_lse ? lse : NULL, attn_stage_unwritten_bits(stage), &compare);
    if (want_lse || !prefix[0])
        result->compare = compare;
    if (!compare.passed) {
        result->compare = compare;
        char text[800];
        snprintf(text, sizeof text, "%zu element(s) wrong; first: %s", compare.failed_count,
                 compare.detail);
        set_reason(result, ATTN_STATUS_FAILED, prefix, text);
        return -1;
    }
    result->status = ATTN_STATUS_PASSED;
    return 0;
}

bool attn_case_mistrusted(const attn_case_data *data, char *why, size_t why_size) {
    const size_t dv = (size_t)data->c.problem.head_dim_v;
    const unsigned char *verified = data->sample.verified;
    double sum = 0.0;
    size_t count = 0;
    bool v_nonzero = false;
    for (size_t i = 0; i < data->sizes.v && !v_nonzero; i++)
        v_nonzero = data->v[i] != 0.0f;
    for (size_t row = 0; row < data->sizes.rows; row++)
        if (!verified || verified[row])
            for (size_t c = 0; c < dv; c++, count++)
                sum += data->o[row * dv + c];
    if (count == 0)
        return false;
    bool all_zero = true, constant_passes = true;
    const double mean = sum / (double)count;
    for (size_t row = 0; row < data->sizes.rows; row++) {
        if (verified && !verified[row])
            continue;
        for (size_t c = 0; c < dv; c++) {
            const double want = data->o[row * dv + c], tol = data->o_tol[row * dv + c];
            all_zero &= want == 0.0;
            constant_passes &= fabs(mean - want) <= tol;
        }
    }
    if (all_zero && v_nonzero) {
        snprintf(why, why_size,
                 "the reference output is all zeros (no row sees a key) although V is not: "
                 "an implementation writing zeros passes, so the case proves nothing about it");
        return true;
    }
    if (constant_passes && !all_zero) {
        snprintf(why, why_size,
                 "the tolerance covers the spread of the reference output: the constant %.9g "
                 "in every element would pass, so the case proves nothing about the result",
                 mean);
        return true;
    }
    return false;
}

/* Names the first element where got differs in bits from base ("O[..]: got, not base").
 * Returns 0 when none. */
static int first_difference(const attn_problem *p, const float *base, const float *got,
                            size_t count, bool is_lse, char *text, size_t size) {
    for (size_t i = 0; i < count; i++)
        if (memcmp(&base[i], &got[i], sizeof(float)) != 0) {
            char position[96];
            attn_format_position(p, is_lse, i, position, sizeof position);
            snprintf(text, size, "%s: %.9g, not %.9g", position, (double)got[i], (double)base[i]);
            return -1;
        }
    return 0;
}

void attn_check_case(const attn_impl *impl, const attn_case_data *data, attn_layout layout,
                     int threads, attn_check_result *result) {
    const attn_check_plan plan = {.threads = threads, .repeats = 1};
    attn_check_case_plan(impl, data, layout, &plan, result);
}

/* Calls 2 .. repeats of the call with an LSE buffer: each judged and compared bit for bit
 * with the first (first_o, first_lse). Returns 0 when all agree. */
static int repeat_calls(const attn_impl *impl, const attn_case_data *data, attn_stage *stage,
                        int threads, int repeats, bool has_lse, const float *first_o,
                        const float *first_lse, float *o, float *lse, attn_check_result *result) {
    const attn_problem *p = &data->c.problem;
    for (int call = 2; call <= repeats; call++) {
        char prefix[40];
        snprintf(prefix, sizeof prefix, "call %d of %d: ", call, repeats);
        if (run_and_judge(impl, data, stage, threads, has_lse, prefix, o, lse, result))
            return -1;
        char where[256];
        if (first_difference(p, first_o, o, data->sizes.o, false, where, sizeof where) ||
            (has_lse &&
             first_difference(p, first_lse, lse, data->sizes.lse, true, where, sizeof where))) {
            char text[400];
            snprintf(text, sizeof text,
                     "not deterministic: outputs differ from the first call's: %s", where);
            set_reason(result, ATTN_STATUS_FAILED, prefix, text);
            return -1;
        }
    }
    return 0;
}

/* The judged call's results at other thread counts: each judged, and bitwise equal to
 * base when the implementation promises thread invariance. */
static int thread_calls(const attn_impl *impl, const attn_case_data *data, attn_stage *stage,
                        const attn_check_plan *plan, bool has_lse, const float *base_o,
                        const float *base_lse, float *o, float *lse, attn_check_result *result) {
    const attn_problem *p = &data->c.problem;
    for (size_t n = 0; n < plan->other_thread_count; n++) {
        const int threads = plan->other_threads[n];
        if (threads == plan->threads)
            continue;
        char prefix[48];
        snprintf(prefix, sizeof prefix, "at %d thread(s): ", threads);
        if (run_and_judge(impl, data, stage, threads, has_lse, prefix, o, lse, result))
            return -1;
        char where[256];
        if ((impl->caps & ATTN_CAP_THREAD_INVARIANT) &&
            (first_difference(p, base_o, o, data->sizes.o, false, where, sizeof where) ||
             (has_lse &&
              first_difference(p, base_lse, lse, data->sizes.lse, true, where, sizeof where)))) {
            char text[400];
            snprintf(text, sizeof text,
                     "declares thread invariance, but differs from the result at %d "
                     "thread(s): %s",
                     plan->threads, where);
            set_reason(result, ATTN_STATUS_FAILED, prefix, text);
            return -1;
        }
    }
    return 0;
}

/* Prepares a stage for data in layout with the largest workspace the implementation asks for
 * at threads and at each of the `count` other thread counts. */
static int open_stage(const attn_impl *impl, const attn_case_data *data, attn_layout layout,
                      int threads, const int *others, size_t count, attn_stage *stage,
                      attn_check_result *result) {
    size_t workspace = 0;
    for (size_t n = 0; n <= count; n++) {
        size_t needed = 0, allocated = 0;
        char why[768];
        if (attn_run_sizes(impl, &data->c.problem, n < count ? others[n] : threads, &needed,
                           &allocated, why, sizeof why)) {
            set_reason(result, ATTN_STATUS_ERROR, "", why);
            return -1;
        }
        workspace = needed > workspace ? needed : workspace;
    }
    attn_error err = {0};
    if (attn_stage_create(stage, &data->c.problem, data->c.problem.ragged ? &data->serving : NULL,
                          layout, workspace, &err)) {
        set_reason(result, ATTN_STATUS_ERROR, "preparing the case: ", err.message);
        return -1;
    }
    attn_stage_set_inputs(stage, 0, data->q, data->k, data->v);
    attn_stage_use(stage, 0);
    return 0;
}

/* Each batch entry alone: judged against its slice of the reference, and bitwise equal to
 * its slice of base when the implementation promises batch invariance. */
static int batch_calls(const attn_impl *impl, const attn_case_data *data, attn_layout layout,
                       const attn_check_plan *plan, bool has_lse, const float *base_o,
                       const float *base_lse, attn_check_result *result) {
    const attn_problem *p = &data->c.problem;
    for (int64_t b = 0; b < p->batch; b++) {
        attn_case_data one;
        attn_error err = {0};
        if (attn_case_data_slice_batch(data, b, &one, &err)) {
            set_reason(result, ATTN_STATUS_ERROR, "", err.message);
            return -1;
        }
        attn_stage stage;
        float *o = malloc(one.sizes.o * sizeof *o), *lse = malloc(one.sizes.lse * sizeof *lse);
        char prefix[64];
        snprintf(prefix, sizeof prefix, "batch entry %lld alone: ", (long long)b);
        int rc = -1;
        if (!o || !lse)
            set_reason(result, ATTN_STATUS_ERROR, prefix, "out of memory");
        else if (open_stage(impl, &one, layout, plan->threads, NULL, 0, &stage, result) == 0) {
            rc = run_and_judge(impl, &one, &stage, plan->threads, has_lse, prefix, o, lse, result);
            char where[256];
            attn_sequence_offsets at = {.o = (size_t)b * one.sizes.o,
                                        .lse = (size_t)b * one.sizes.lse};
            if (p->ragged)
                attn_serving_offsets(&data->serving, p, b, &at);
            if (rc == 0 && (impl->caps & ATTN_CAP_BATCH_INVARIANT) &&
                (first_difference(&one.c.problem, base_o + at.o, o, one.sizes.o, false, where,
                                  sizeof where) ||
                 (has_lse && first_difference(&one.c.problem, base_lse + at.lse, lse, one.sizes.lse,
                                              true, where, sizeof where)))) {
                char text[400];
                snprintf(text, sizeof text,
                         "declares batch invariance, but differs from its place in the batch of "
                         "%lld: %s (position within the entry)",
                         (long long)p->batch, where);
                set_reason(result, ATTN_STATUS_FAILED, prefix, text);
                rc = -1;
            }
            attn_stage_destroy(&stage);
        }
        free(o);
        free(lse);
        attn_case_data_free(&one);
        if (rc)
            return -1;
    }
    return 0;
}

void attn_check_case_plan(const attn_impl *impl, const attn_case_data *data, attn_layout layout,
                          const attn_check_plan *plan, attn_check_result *result) {
    memset(result, 0, sizeof *result);
    result->status =
        attn_check_support(impl, &data->c, layout, result->reason, sizeof result->reason);
    if (result->status != ATTN_STATUS_PASSED)
        return;
    const bool has_lse = (impl->caps & ATTN_CAP_LSE) != 0;
    const int threads = plan->threads;
    attn_stage stage;
    float *o = malloc(2 * data->sizes.o * sizeof *o),
          *lse = malloc(2 * data->sizes.lse * sizeof *lse);
    if (!o || !lse) {
        set_reason(result, ATTN_STATUS_ERROR, "preparing the case: ", "out of memory");
        free(o);
        free(lse);
        return;
    }
    if (open_stage(impl, data, layout, threads, plan->other_threads, plan->other_thread_count,
                   &stage, result)) {
        free(o);
        free(lse);
        return;
    }
    float *other_o = o + data->sizes.o, *other_lse = lse + data->sizes.lse;
    if (run_and_judge(impl, data, &stage, threads, has_lse, "", o, lse, result) == 0 &&
        (plan->repeats <= 1 || repeat_calls(impl, data, &stage, threads, plan->repeats, has_lse, o,
                                            lse, other_o, other_lse, result) == 0) &&
        thread_calls(impl, data, &stage, plan, has_lse, o, lse, other_o, other_lse, result) == 0 &&
        (!plan->batch_invariance || data->c.problem.batch == 1 ||
         batch_calls(impl, data, layout, plan, has_lse, o, lse, result) == 0) &&
        has_lse) {
        /* The same call without an LSE buffer must still be right and must not write
         * through the NULL pointer. */
        run_and_judge(impl, data, &stage, threads, false, "with lse.data == NULL: ", other_o,
                      other_lse, result);
    }
    result->lse_checked = has_lse && result->status == ATTN_STATUS_PASSED;
    if (result->status == ATTN_STATUS_PASSED &&
        attn_case_mistrusted(data, result->reason, sizeof result->reason))
        result->status = ATTN_STATUS_MISTRUSTED;
    attn_stage_destroy(&stage);
    free(o);
    free(lse);
}

/* The conformance check of one implementation on one case in one layout. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "runner.h"
#include "stage.h"

static const char *const status_names[ATTN_STATUS_COUNT] = {"PASSED", "FAILED", "SKIPPED", "ERROR"};

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
    attn_compare(data, o, want_lse ? lse : NULL, ATTN_UNWRITTEN_BITS, &compare);
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

void attn_check_case(const attn_impl *impl, const attn_case_data *data, attn_layout layout,
                     int threads, attn_check_result *result) {
    memset(result, 0, sizeof *result);
    result->status =
        attn_check_support(impl, &data->c, layout, result->reason, sizeof result->reason);
    if (result->status != ATTN_STATUS_PASSED)
        return;
    const attn_problem *p = &data->c.problem;
    const bool has_lse = (impl->caps & ATTN_CAP_LSE) != 0;
    size_t workspace = 0, allocated = 0;
    char why[768];
    if (attn_run_sizes(impl, p, threads, &workspace, &allocated, why, sizeof why)) {
        set_reason(result, ATTN_STATUS_ERROR, "", why);
        return;
    }
    attn_stage stage;
    attn_error err = {0};
    float *o = malloc(data->sizes.o * sizeof *o), *lse = malloc(data->sizes.lse * sizeof *lse);
    if (!o || !lse || attn_stage_create(&stage, p, layout, workspace, &err)) {
        set_reason(result, ATTN_STATUS_ERROR,
                   "preparing the case: ", err.message[0] ? err.message : "out of memory");
        free(o);
        free(lse);
        return;
    }
    attn_stage_set_inputs(&stage, 0, data->q, data->k, data->v);
    attn_stage_use(&stage, 0);
    if (run_and_judge(impl, data, &stage, threads, has_lse, "", o, lse, result) == 0 && has_lse) {
        /* The same call without an LSE buffer must still be right and must not write
         * through the NULL pointer. */
        run_and_judge(impl, data, &stage, threads, false, "with lse.data == NULL: ", o, lse,
                      result);
    }
    result->lse_checked = has_lse && result->status == ATTN_STATUS_PASSED;
    attn_stage_destroy(&stage);
    free(o);
    free(lse);
}

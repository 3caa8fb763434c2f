/* The conformance check of one implementation on one case. */
#define _POSIX_C_SOURCE 200809L
#include "check.h"

#include "isolate.h"

#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Floats of guard zone on each side of an output buffer. */
#define GUARD_FLOATS 64
/* NaN payloads no arithmetic produces: one marks guard zones, the other unwritten output. */
#define GUARD_BITS 0x7fa5a5a5u
#define UNWRITTEN_BITS 0x7fbadbadu

static const char *const status_names[ATTN_STATUS_COUNT] = {"PASSED", "FAILED", "SKIPPED", "ERROR"};

const char *attn_status_name(attn_status status) {
    return (unsigned)status < ATTN_STATUS_COUNT ? status_names[status] : "?";
}

uint32_t attn_case_required_caps(const attn_case *c) {
    const attn_problem *p = &c->problem;
    uint32_t caps = 0;
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
    return caps;
}

const char *attn_cap_description(uint32_t missing) {
    static const struct {
        uint32_t cap;
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
    };
    for (size_t n = 0; n < sizeof names / sizeof names[0]; n++)
        if (missing & names[n].cap)
            return names[n].text;
    return "an unknown capability";
}

attn_status attn_check_support(const attn_impl *impl, const attn_case *c, char *reason,
                               size_t reason_size) {
    uint32_t missing = attn_case_required_caps(c) & ~impl->caps;
    if (missing) {
        snprintf(reason, reason_size, "%s does not support %s", impl->name,
                 attn_cap_description(missing));
        return ATTN_STATUS_SKIPPED;
    }
    if (impl->supports) {
        char why[256] = "";
        if (impl->supports(&c->problem, why, sizeof why) != ATTN_OK) {
            snprintf(reason, reason_size, "%s declines: %s", impl->name,
                     why[0] ? why : "(no reason given)");
            return ATTN_STATUS_SKIPPED;
        }
    }
    return ATTN_STATUS_PASSED;
}

typedef struct guarded_buffer {
    float *base; /* allocation: guard, payload, guard */
    float *payload;
    size_t count;
} guarded_buffer;

static void fill_bits(float *x, size_t count, uint32_t bits) {
    for (size_t i = 0; i < count; i++)
        memcpy(&x[i], &bits, sizeof bits);
}

static int guarded_alloc(guarded_buffer *g, size_t count) {
    g->count = count;
    g->base = malloc((count + 2 * GUARD_FLOATS) * sizeof(float));
    if (!g->base)
        return -1;
    g->payload = g->base + GUARD_FLOATS;
    fill_bits(g->base, GUARD_FLOATS, GUARD_BITS);
    fill_bits(g->payload, count, UNWRITTEN_BITS);
    fill_bits(g->payload + count, GUARD_FLOATS, GUARD_BITS);
    return 0;
}

/* False when a guard float was overwritten; *offset is then its position relative to
 * the payload start (negative before it). */
static bool guards_intact(const guarded_buffer *g, long *offset) {
    for (size_t i = 0; i < GUARD_FLOATS; i++) {
        uint32_t bits;
        memcpy(&bits, &g->base[i], sizeof bits);
        if (bits != GUARD_BITS) {
            *offset = (long)i - GUARD_FLOATS;
            return false;
        }
        memcpy(&bits, &g->payload[g->count + i], sizeof bits);
        if (bits != GUARD_BITS) {
            *offset = (long)(g->count + i);
            return false;
        }
    }
    return true;
}

static void set_error(attn_check_result *result, attn_status status, const char *format,
                      const char *arg) {
    result->status = status;
    snprintf(result->reason, sizeof result->reason, format, arg);
}

void attn_check_case(const attn_impl *impl, const attn_case_data *data, int threads,
                     attn_check_result *result) {
    memset(result, 0, sizeof *result);
    result->status = attn_check_support(impl, &data->c, result->reason, sizeof result->reason);
    if (result->status == ATTN_STATUS_SKIPPED)
        return;

    const attn_problem *p = &data->c.problem;
    const attn_case_sizes *s = &data->sizes;
    const bool want_lse = (impl->caps & ATTN_CAP_LSE) != 0;
    size_t workspace_size = impl->workspace_size ? impl->workspace_size(p, threads) : 0;
    /* Copies of the inputs: the implementation must not write them. */
    float *q = malloc(s->q * sizeof *q), *k = malloc(s->k * sizeof *k),
          *v = malloc(s->v * sizeof *v);
    void *workspace = NULL;
    guarded_buffer o = {0}, lse = {0};
    size_t rounded = (workspace_size + 63) / 64 * 64;
    if (!q || !k || !v || guarded_alloc(&o, s->o) || guarded_alloc(&lse, s->lse) ||
        (rounded && !(workspace = aligned_alloc(64, rounded)))) {
        set_error(result, ATTN_STATUS_ERROR, "out of memory preparing %s", impl->name);
        goto done;
    }
    memcpy(q, data->q, s->q * sizeof *q);
    memcpy(k, data->k, s->k * sizeof *k);
    memcpy(v, data->v, s->v * sizeof *v);

    char message[512] = "";
    attn_args args = {
        .problem = p,
        .q = q,
        .k = k,
        .v = v,
        .o = o.payload,
        .lse = want_lse ? lse.payload : NULL,
        .workspace = workspace,
        .workspace_size = workspace_size,
        .threads = threads,
        .message = message,
        .message_size = sizeof message,
    };
    int rc = impl->forward(&args);
    if (rc == ATTN_UNSUPPORTED) {
        set_error(result, ATTN_STATUS_SKIPPED, "forward declined: %s",
                  message[0] ? message : "(no reason given)");
        goto done;
    }
    if (rc != ATTN_OK) {
        set_error(result, ATTN_STATUS_ERROR, "forward failed: %s",
                  message[0] ? message : "(no message)");
        goto done;
    }
    long offset = 0;
    const guarded_buffer *damaged = !guards_intact(&o, &offset)                 ? &o
                                    : want_lse && !guards_intact(&lse, &offset) ? &lse
                                                                                : NULL;
    if (damaged) {
        result->status = ATTN_STATUS_FAILED;
        snprintf(result->reason, sizeof result->reason,
                 "out-of-bounds write: %s element at offset %ld (buffer holds %zu)",
                 damaged == &o ? "O" : "LSE", offset, damaged->count);
        goto done;
    }
    if (memcmp(q, data->q, s->q * sizeof *q) || memcmp(k, data->k, s->k * sizeof *k) ||
        memcmp(v, data->v, s->v * sizeof *v)) {
        set_error(result, ATTN_STATUS_FAILED, "%s", "the implementation modified its inputs");
        goto done;
    }
    result->lse_checked = want_lse;
    attn_compare(data, o.payload, want_lse ? lse.payload : NULL, UNWRITTEN_BITS, &result->compare);
    result->status = result->compare.passed ? ATTN_STATUS_PASSED : ATTN_STATUS_FAILED;
    if (!result->compare.passed)
        snprintf(result->reason, sizeof result->reason, "%zu element(s) wrong; first: %s",
                 result->compare.failed_count, result->compare.detail);
done:
    free(q);
    free(k);
    free(v);
    free(o.base);
    free(lse.base);
    free(workspace);
}

typedef struct check_job {
    const attn_impl *impl;
    const attn_case_data *data;
    int threads;
} check_job;

static void run_check_job(void *context, void *result) {
    const check_job *job = context;
    attn_check_case(job->impl, job->data, job->threads, result);
}

void attn_check_case_isolated(const attn_impl *impl, const attn_case_data *data, int threads,
                              double timeout_seconds, attn_check_result *result) {
    check_job job = {impl, data, threads};
    char why[256];
    memset(result, 0, sizeof *result);
    if (attn_run_isolated(run_check_job, &job, result, sizeof *result, timeout_seconds, why,
                          sizeof why) != 0) {
        memset(result, 0, sizeof *result);
        result->status = ATTN_STATUS_ERROR;
        snprintf(result->reason, sizeof result->reason, "%s %s", impl->name, why);
    }
}

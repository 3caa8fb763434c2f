/* naive: materialises the Nq x Nkv score matrix of each (batch, head) with plain loops.
 * The baseline every other implementation is timed against. */
#include "attnbench.h"
#include "workspace.h"

#include <math.h>
#include <stdio.h>

/* The score matrix of one head must fit in this many bytes. */
#define NAIVE_SCORE_CAP_BYTES ((size_t)1 << 30)

static int naive_supports(void *context, const attn_problem *p, char *why, size_t why_size) {
    (void)context;
    double bytes = (double)p->seq_q * (double)p->seq_kv * sizeof(float);
    if (bytes > (double)NAIVE_SCORE_CAP_BYTES) {
        snprintf(why, why_size,
                 "score matrix %lld x %lld needs %.0f MiB, over naive's cap of %zu MiB",
                 (long long)p->seq_q, (long long)p->seq_kv, bytes / (1 << 20),
                 NAIVE_SCORE_CAP_BYTES >> 20);
        return ATTN_UNSUPPORTED;
    }
    return ATTN_OK;
}

static size_t naive_workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context;
    (void)threads;
    return (size_t)p->seq_q * (size_t)p->seq_kv * sizeof(float);
}

/* Query head h of batch b. Row i of each tensor starts at its head's row 0 plus i times
 * the tensor's sequence stride. */
static void naive_head(const attn_args *a, int64_t b, int64_t h, float *score) {
    const attn_problem *p = a->problem;
    const int64_t nq = p->seq_q, nkv = p->seq_kv, d = p->head_dim, dv = p->head_dim_v;
    const int64_t kvh = h / (p->heads_q / p->heads_kv);
    const float *q = attn_f32_row(&a->q, b, h, 0), *k = attn_f32_row(&a->k, b, kvh, 0);
    const float *v = attn_f32_row(&a->v, b, kvh, 0);
    float *o = attn_f32_row(&a->o, b, h, 0);
    float *lse = a->lse.data ? attn_f32_row(&a->lse, b, h, 0) : NULL;
    const int64_t q_row = a->q.stride[2], k_row = a->k.stride[2], v_row = a->v.stride[2];
    const int64_t o_row = a->o.stride[2], lse_row = a->lse.stride[2];
    const float scale = (float)p->scale;
    for (int64_t i = 0; i < nq; i++) {
        int64_t first, last;
        attn_visible_keys(p, i, &first, &last);
        float *s = score + i * nkv;
        float row_max = -INFINITY;
        for (int64_t j = first; j < last; j++) {
            float dot = 0.0f;
            for (int64_t c = 0; c < d; c++)
                dot += q[i * q_row + c] * k[j * k_row + c];
            s[j] = scale * dot;
            if (s[j] > row_max)
                row_max = s[j];
        }
        float *out = o + i * o_row;
        for (int64_t c = 0; c < dv; c++)
            out[c] = 0.0f;
        if (first == last) {
            if (lse)
                lse[i * lse_row] = -INFINITY;
            continue;
        }
        float total = 0.0f;
        for (int64_t j = first; j < last; j++) {
            s[j] = expf(s[j] - row_max);
            total += s[j];
        }
        for (int64_t j = first; j < last; j++) {
            float weight = s[j] / total;
            for (int64_t c = 0; c < dv; c++)
                out[c] += weight * v[j * v_row + c];
        }
        if (lse)
            lse[i * lse_row] = row_max + logf(total);
    }
}

static int naive_forward(void *context, const attn_args *a) {
    const attn_problem *p = a->problem;
    if (attn_workspace_check(a, naive_workspace_size(context, p, a->threads)) != ATTN_OK)
        return ATTN_FAILED;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->heads_q; h++)
            naive_head(a, b, h, a->workspace);
    return ATTN_OK;
}

const attn_impl attn_impl_naive = {
    ATTN_IMPL_HEADER,
    .name = "naive",
    .summary = "plain loops, full Nq x Nkv score matrix per head",
    .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL |
            ATTN_CAP_DV_DIFFERS | ATTN_CAP_LSE | ATTN_CAP_CUSTOM_SCALE | ATTN_CAP_STRIDES |
            ATTN_CAP_THREAD_INVARIANT | ATTN_CAP_BATCH_INVARIANT,
    .supports = naive_supports,
    .workspace_size = naive_workspace_size,
    .forward = naive_forward,
};

/* naive: materialises the Nq x Nkv score matrix of each (batch, head) with plain loops.
 * The baseline every other implementation is timed against. */
#include "attnbench.h"

#include <math.h>
#include <stdio.h>

/* The score matrix of one head must fit in this many bytes. */
#define NAIVE_SCORE_CAP_BYTES ((size_t)1 << 30)

static int naive_supports(const attn_problem *p, char *why, size_t why_size) {
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

static size_t naive_workspace_size(const attn_problem *p, int threads) {
    (void)threads;
    return (size_t)p->seq_q * (size_t)p->seq_kv * sizeof(float);
}

static void naive_head(const attn_problem *p, const float *q, const float *k, const float *v,
                       float *o, float *lse, float *score) {
    const int64_t nq = p->seq_q, nkv = p->seq_kv, d = p->head_dim, dv = p->head_dim_v;
    const float scale = (float)p->scale;
    for (int64_t i = 0; i < nq; i++) {
        int64_t first, last;
        attn_visible_keys(p, i, &first, &last);
        float *s = score + i * nkv;
        float row_max = -INFINITY;
        for (int64_t j = first; j < last; j++) {
            float dot = 0.0f;
            for (int64_t c = 0; c < d; c++)
                dot += q[i * d + c] * k[j * d + c];
            s[j] = scale * dot;
            if (s[j] > row_max)
                row_max = s[j];
        }
        float *out = o + i * dv;
        for (int64_t c = 0; c < dv; c++)
            out[c] = 0.0f;
        if (first == last) {
            if (lse)
                lse[i] = -INFINITY;
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
                out[c] += weight * v[j * dv + c];
        }
        if (lse)
            lse[i] = row_max + logf(total);
    }
}

static int naive_forward(const attn_args *a) {
    const attn_problem *p = a->problem;
    const int64_t group = p->heads_q / p->heads_kv;
    const int64_t q_head = p->seq_q * p->head_dim, o_head = p->seq_q * p->head_dim_v;
    const int64_t k_head = p->seq_kv * p->head_dim, v_head = p->seq_kv * p->head_dim_v;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->heads_q; h++) {
            int64_t qh = b * p->heads_q + h, kvh = b * p->heads_kv + h / group;
            naive_head(p, a->q + qh * q_head, a->k + kvh * k_head, a->v + kvh * v_head,
                       a->o + qh * o_head, a->lse ? a->lse + qh * p->seq_q : NULL, a->workspace);
        }
    return ATTN_OK;
}

const attn_impl attn_impl_naive = {
    .abi_version = ATTN_ABI_VERSION,
    .name = "naive",
    .summary = "plain loops, full Nq x Nkv score matrix per head",
    .caps = ATTN_CAP_ALL,
    .supports = naive_supports,
    .workspace_size = naive_workspace_size,
    .forward = naive_forward,
};

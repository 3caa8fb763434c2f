/* A plugin on OpenBLAS: per (batch, head), S = scale * Q K^T with cblas_sgemm into the
 * workspace, a masked softmax per row, then O = P V with cblas_sgemm, so OpenBLAS's own
 * thread pool runs in the plugin's worker (the host sets its thread count). Dense BHSD
 * only: it declares no ATTN_CAP_STRIDES, so views and BSHD must be SKIPPED. */
#include <attnbench.h>
#include <cblas.h>
#include <math.h>
#include <stdio.h>

#define SCORE_CAP_BYTES ((size_t)1 << 30)

static size_t blas_workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context, (void)threads;
    return (size_t)p->seq_q * (size_t)p->seq_kv * sizeof(float);
}

static int blas_supports(void *context, const attn_problem *p, char *why, size_t why_size) {
    if (blas_workspace_size(context, p, 1) > SCORE_CAP_BYTES) {
        snprintf(why, why_size, "score matrix %lld x %lld is over 1 GiB", (long long)p->seq_q,
                 (long long)p->seq_kv);
        return ATTN_UNSUPPORTED;
    }
    return ATTN_OK;
}

/* Turns row i of the scores into softmax weights over its visible keys (0 elsewhere). */
static void softmax_row(const attn_problem *p, int64_t i, float *s, float *lse) {
    int64_t first, last;
    attn_visible_keys(p, i, &first, &last);
    float row_max = -INFINITY, normaliser = 0.0f;
    for (int64_t j = first; j < last; j++)
        row_max = fmaxf(row_max, s[j]);
    for (int64_t j = 0; j < p->seq_kv; j++) {
        s[j] = j >= first && j < last ? expf(s[j] - row_max) : 0.0f;
        normaliser += s[j];
    }
    for (int64_t j = first; j < last; j++)
        s[j] /= normaliser;
    if (lse)
        *lse = first < last ? row_max + logf(normaliser) : -INFINITY;
}

static int blas_forward(void *context, const attn_args *a) {
    (void)context;
    const attn_problem *p = a->problem;
    const int nq = (int)p->seq_q, nkv = (int)p->seq_kv, d = (int)p->head_dim,
              dv = (int)p->head_dim_v;
    float *s = a->workspace;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->heads_q; h++) {
            const int64_t kvh = h / (p->heads_q / p->heads_kv);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, nq, nkv, d, (float)p->scale,
                        attn_f32_row(&a->q, b, h, 0), (int)a->q.stride[2],
                        attn_f32_row(&a->k, b, kvh, 0), (int)a->k.stride[2], 0.0f, s, nkv);
            for (int64_t i = 0; i < nq; i++)
                softmax_row(p, i, s + i * nkv, a->lse.data ? attn_f32_row(&a->lse, b, h, i) : NULL);
            cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, nq, dv, nkv, 1.0f, s, nkv,
                        attn_f32_row(&a->v, b, kvh, 0), (int)a->v.stride[2], 0.0f,
                        attn_f32_row(&a->o, b, h, 0), (int)a->o.stride[2]);
        }
    return ATTN_OK;
}

static const attn_impl blas_plugin = {
    ATTN_IMPL_HEADER,
    .name = "blasplug",
    .summary = "test plugin: OpenBLAS sgemm for Q K^T and P V per head, dense BHSD only",
    .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL |
            ATTN_CAP_DV_DIFFERS | ATTN_CAP_CUSTOM_SCALE | ATTN_CAP_LSE,
    .supports = blas_supports,
    .workspace_size = blas_workspace_size,
    .forward = blas_forward,
};

static const attn_impl *const impls[] = {&blas_plugin};
static const attn_plugin plugin = {ATTN_PLUGIN_HEADER, .count = 1, .impls = impls};

ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    return &plugin;
}

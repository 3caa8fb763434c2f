/* An example plugin: attention computed row by row in two passes over the visible keys
 * (first the row maximum and normaliser, then the weighted sum of values), with no
 * score matrix and no workspace. It reads every tensor through its strides, so it takes
 * BHSD, BSHD and KV-cache views alike (ATTN_CAP_STRIDES), and finds rows through
 * attnbench.h's sequence helpers, so it takes ragged batches with batched, packed and
 * paged KV caches too (ATTN_CAP_RAGGED, _KV_PACKED, _KV_PAGED). Built outside attnbench with:
 *   gcc -O2 -shared -fPIC $(pkg-config --cflags attnbench) twopass.c -o libtwopass.so -lm
 * and checked with: attnbench check --plugin ./libtwopass.so --impl twopass */
#include <attnbench.h>
#include <math.h>

static float dot(const float *a, const float *b, int64_t n) {
    float sum = 0.0f;
    for (int64_t c = 0; c < n; c++)
        sum += a[c] * b[c];
    return sum;
}

/* Output row i of query head h of sequence b, which reads key/value head kv. */
static void one_row(const attn_args *a, int64_t b, int64_t h, int64_t kv, int64_t i) {
    const attn_problem *p = a->problem;
    const float *q = attn_query_row(a, &a->q, b, h, i);
    float *o = attn_query_row(a, &a->o, b, h, i);
    int64_t first, last;
    attn_seq_visible_keys(p, attn_seq_q_len(a, b), attn_seq_kv_len(a, b), i, &first, &last);
    const float scale = (float)p->scale;
    float row_max = -INFINITY, normaliser = 0.0f;
    for (int64_t j = first; j < last; j++)
        row_max = fmaxf(row_max, scale * dot(q, attn_key_row(a, &a->k, b, kv, j), p->head_dim));
    for (int64_t c = 0; c < p->head_dim_v; c++)
        o[c] = 0.0f;
    for (int64_t j = first; j < last; j++) {
        const float *v = attn_key_row(a, &a->v, b, kv, j);
        float weight =
            expf(scale * dot(q, attn_key_row(a, &a->k, b, kv, j), p->head_dim) - row_max);
        normaliser += weight;
        for (int64_t c = 0; c < p->head_dim_v; c++)
            o[c] += weight * v[c];
    }
    if (first < last)
        for (int64_t c = 0; c < p->head_dim_v; c++)
            o[c] /= normaliser;
    if (a->lse.data)
        *(float *)attn_query_row(a, &a->lse, b, h, i) =
            first < last ? row_max + logf(normaliser) : -INFINITY;
}

static int twopass_forward(void *context, const attn_args *a) {
    (void)context;
    const attn_problem *p = a->problem;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->heads_q; h++)
            for (int64_t i = 0; i < attn_seq_q_len(a, b); i++)
                one_row(a, b, h, h / (p->heads_q / p->heads_kv), i);
    return ATTN_OK;
}

static const attn_impl twopass = {
    ATTN_IMPL_HEADER,
    .name = "twopass",
    .summary = "example plugin: two passes over the visible keys per row, no workspace",
    .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL |
            ATTN_CAP_DV_DIFFERS | ATTN_CAP_LSE | ATTN_CAP_CUSTOM_SCALE | ATTN_CAP_STRIDES |
            ATTN_CAP_RAGGED | ATTN_CAP_KV_PACKED | ATTN_CAP_KV_PAGED,
    .forward = twopass_forward,
};

static const attn_impl *const impls[] = {&twopass};
static const attn_plugin plugin = {ATTN_PLUGIN_HEADER, .count = 1, .impls = impls};

ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    return &plugin;
}

/* An example plugin: attention computed row by row in two passes over the visible keys
 * (first the row maximum and normaliser, then the weighted sum of values), with no
 * score matrix and no workspace. Built outside attnbench with one line:
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

static void one_row(const attn_problem *p, const float *q_row, const float *k, const float *v,
                    int64_t i, float *o_row, float *lse) {
    int64_t first, last;
    attn_visible_keys(p, i, &first, &last);
    const float scale = (float)p->scale;
    float row_max = -INFINITY, normaliser = 0.0f;
    for (int64_t j = first; j < last; j++)
        row_max = fmaxf(row_max, scale * dot(q_row, k + j * p->head_dim, p->head_dim));
    for (int64_t c = 0; c < p->head_dim_v; c++)
        o_row[c] = 0.0f;
    for (int64_t j = first; j < last; j++) {
        float weight = expf(scale * dot(q_row, k + j * p->head_dim, p->head_dim) - row_max);
        normaliser += weight;
        for (int64_t c = 0; c < p->head_dim_v; c++)
            o_row[c] += weight * v[j * p->head_dim_v + c];
    }
    if (first < last)
        for (int64_t c = 0; c < p->head_dim_v; c++)
            o_row[c] /= normaliser;
    if (lse)
        *lse = first < last ? row_max + logf(normaliser) : -INFINITY;
}

static int twopass_forward(const attn_args *a) {
    const attn_problem *p = a->problem;
    const int64_t group = p->heads_q / p->heads_kv;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->heads_q; h++) {
            const int64_t qh = b * p->heads_q + h, kvh = b * p->heads_kv + h / group;
            const float *k = a->k + kvh * p->seq_kv * p->head_dim;
            const float *v = a->v + kvh * p->seq_kv * p->head_dim_v;
            for (int64_t i = 0; i < p->seq_q; i++) {
                const int64_t row = qh * p->seq_q + i;
                one_row(p, a->q + row * p->head_dim, k, v, i, a->o + row * p->head_dim_v,
                        a->lse ? a->lse + row : NULL);
            }
        }
    return ATTN_OK;
}

static const attn_impl twopass = {
    .abi_version = ATTN_ABI_VERSION,
    .name = "twopass",
    .summary = "example plugin: two passes over the visible keys per row, no workspace",
    .caps = ATTN_CAP_ALL,
    .forward = twopass_forward,
};

static const attn_impl *const impls[] = {&twopass};
static const attn_plugin plugin = {ATTN_ABI_VERSION, 1, impls};

ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    return &plugin;
}

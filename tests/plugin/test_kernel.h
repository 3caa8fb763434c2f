/* A small, correct fp32 attention kernel shared by the test plugins: two passes per query
 * row over its visible keys (row maximum and normaliser, then the weighted sum of values),
 * every tensor read and written through its attn_tensor strides. Correct, not fast: the
 * plugins differ only in how they split the work or in the fault they plant. */
#ifndef ATTN_TEST_KERNEL_H
#define ATTN_TEST_KERNEL_H

#include <attnbench.h>
#include <math.h>

/* Everything the kernel supports, for plugins that use it as it is. */
#define TEST_KERNEL_CAPS                                                                           \
    (ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL |         \
     ATTN_CAP_DV_DIFFERS | ATTN_CAP_CUSTOM_SCALE | ATTN_CAP_STRIDES | ATTN_CAP_LSE)

/* The address of element [i0][i1][i2][i3] of an f32 tensor. */
static inline float *test_at(const attn_tensor *t, int64_t i0, int64_t i1, int64_t i2, int64_t i3) {
    return (float *)t->data + i0 * t->stride[0] + i1 * t->stride[1] + i2 * t->stride[2] +
           i3 * t->stride[3];
}

/* One past the offset of the tensor's last element: how many elements its data spans. */
static inline int64_t test_extent(const attn_tensor *t) {
    int64_t last = 0;
    for (int d = 0; d < 4; d++)
        last += (t->shape[d] - 1) * t->stride[d];
    return last + 1;
}

/* The scaled score of query row i (head h) against key j (key/value head kvh). */
static inline float test_score(const attn_args *a, int64_t b, int64_t h, int64_t kvh, int64_t i,
                               int64_t j) {
    float sum = 0.0f;
    for (int64_t c = 0; c < a->problem->head_dim; c++)
        sum += *test_at(&a->q, b, h, i, c) * *test_at(&a->k, b, kvh, j, c);
    return (float)a->problem->scale * sum;
}

/* Row i of query head h of batch b: O, and LSE when it was asked for. */
static inline void test_kernel_row(const attn_args *a, int64_t b, int64_t h, int64_t i) {
    const attn_problem *p = a->problem;
    const int64_t kvh = h / (p->heads_q / p->heads_kv);
    int64_t first, last;
    attn_visible_keys(p, i, &first, &last);
    float row_max = -INFINITY, normaliser = 0.0f;
    for (int64_t j = first; j < last; j++)
        row_max = fmaxf(row_max, test_score(a, b, h, kvh, i, j));
    for (int64_t c = 0; c < p->head_dim_v; c++)
        *test_at(&a->o, b, h, i, c) = 0.0f;
    for (int64_t j = first; j < last; j++) {
        const float weight = expf(test_score(a, b, h, kvh, i, j) - row_max);
        normaliser += weight;
        for (int64_t c = 0; c < p->head_dim_v; c++)
            *test_at(&a->o, b, h, i, c) += weight * *test_at(&a->v, b, kvh, j, c);
    }
    if (first < last)
        for (int64_t c = 0; c < p->head_dim_v; c++)
            *test_at(&a->o, b, h, i, c) /= normaliser;
    if (a->lse.data)
        *test_at(&a->lse, b, h, i, 0) = first < last ? row_max + logf(normaliser) : -INFINITY;
}

/* Every row of query head h of batch b. */
static inline void test_kernel_head(const attn_args *a, int64_t b, int64_t h) {
    for (int64_t i = 0; i < a->problem->seq_q; i++)
        test_kernel_row(a, b, h, i);
}

/* The whole call, on the calling thread. */
static inline int test_kernel_forward(const attn_args *a) {
    for (int64_t b = 0; b < a->problem->batch; b++)
        for (int64_t h = 0; h < a->problem->heads_q; h++)
            test_kernel_head(a, b, h);
    return ATTN_OK;
}

#endif

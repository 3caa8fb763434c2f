/* blas: attention from two OpenBLAS sgemm calls per block of query rows, S = Q K^T over
 * the keys the block can see, then the masked softmax of S in place (vectorised,
 * simd_ops.h), then O = P V. Blocks are spread over OpenMP threads, each calling a
 * one-thread sgemm: threading inside OpenBLAS instead left the softmax between the
 * products on one core and synchronised its threads twice per block. Memory is one block
 * of scores per thread (at most 256 rows x Nkv, fewer rows for long sequences). */
#include "attnbench.h"
#include "simd_ops.h"
#include "tile_kernel.h"

#include <cblas.h>
#include <limits.h>
#include <math.h>
#include <omp.h>
#include <stdio.h>

/* Some cblas.h versions do not declare them; OpenBLAS always exports them. */
void openblas_set_num_threads(int num_threads);
int openblas_get_num_threads(void);

/* Query rows per block, and the cap on the score blocks of all threads together. */
#define BLAS_BLOCK_ROWS 256
#define BLAS_SCORE_BYTES ((size_t)16 << 20)
#define LOG2_E 1.4426950408889634
#define LN_2 0.6931471805599453

/* Rows per block: BLAS_BLOCK_ROWS unless the score blocks of that many rows would exceed
 * BLAS_SCORE_BYTES (long key sequences), and never fewer than 16. */
static int64_t block_rows(const attn_problem *p, int threads) {
    const int64_t per_thread = (int64_t)(BLAS_SCORE_BYTES / sizeof(float)) / threads;
    int64_t rows = per_thread / (p->seq_kv > 0 ? p->seq_kv : 1);
    rows = rows < BLAS_BLOCK_ROWS ? rows : BLAS_BLOCK_ROWS;
    return rows < 16 ? 16 : rows;
}

/* cblas takes int dimensions. */
static int blas_supports(void *context, const attn_problem *p, char *why, size_t why_size) {
    (void)context;
    const int64_t largest = p->seq_kv > p->head_dim ? p->seq_kv : p->head_dim;
    if ((largest > p->head_dim_v ? largest : p->head_dim_v) <= INT_MAX)
        return ATTN_OK;
    snprintf(why, why_size, "a dimension exceeds cblas's int range (%d)", INT_MAX);
    return ATTN_UNSUPPORTED;
}

/* Per thread: scores [rows][Nkv], then the row maxima and sums [rows] each. */
static size_t slice_bytes(const attn_problem *p, int threads) {
    const size_t rows = (size_t)block_rows(p, threads);
    return ((rows * (size_t)p->seq_kv + 2 * rows) * sizeof(float) + 63) / 64 * 64;
}

static size_t blas_workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context;
    threads = threads > 0 ? threads : 1;
    return slice_bytes(p, threads) * (size_t)threads;
}

/* The state of one block of query rows [row0, row0 + rows) with keys [key0, key0 + keys). */
typedef struct score_block {
    int64_t row0, rows, key0, keys;
    float *s;   /* [rows][keys]: scores in log2 units, then unnormalised probabilities */
    float *m;   /* [rows] row maximum (log2 units) */
    float *sum; /* [rows] sum of the row's probabilities; 0 when the row sees no key */
} score_block;

/* Replaces each score row by exp2(s - max) over the row's visible keys and 0 elsewhere. */
static void softmax_rows(const attn_simd_ops *ops, const attn_problem *p, score_block *blk) {
    for (int64_t r = 0; r < blk->rows; r++) {
        float *row = blk->s + r * blk->keys;
        int64_t first, last;
        attn_visible_keys(p, blk->row0 + r, &first, &last);
        first = first > blk->key0 ? first - blk->key0 : 0;
        last = last > blk->key0 ? last - blk->key0 : 0;
        for (int64_t j = 0; j < first; j++)
            row[j] = 0.0f;
        for (int64_t j = last > first ? last : first; j < blk->keys; j++)
            row[j] = 0.0f;
        if (first >= last) {
            blk->m[r] = -INFINITY;
            blk->sum[r] = 0.0f;
            continue;
        }
        blk->m[r] = ops->row_max(row + first, last - first);
        blk->sum[r] = ops->row_exp2(row + first, last - first, blk->m[r]);
    }
}

/* Divides the rows of O by their sums and writes LSE; rows that see no key get O = 0 and
 * LSE = -inf. */
static void normalise_rows(const attn_problem *p, const attn_head *head, const score_block *blk) {
    const int64_t dv = p->head_dim_v;
    for (int64_t r = 0; r < blk->rows; r++) {
        float *out = head->o + (blk->row0 + r) * head->o_row;
        const float total = blk->sum[r];
        const float inverse = total > 0.0f ? 1.0f / total : 0.0f;
        for (int64_t c = 0; c < dv; c++)
            out[c] = total > 0.0f ? out[c] * inverse : 0.0f;
        if (head->lse)
            head->lse[(blk->row0 + r) * head->lse_row] =
                total > 0.0f ? (float)(LN_2 * ((double)blk->m[r] + log2((double)total)))
                             : -INFINITY;
    }
}

static void zero_rows(const attn_problem *p, const attn_head *head, const score_block *blk) {
    for (int64_t r = 0; r < blk->rows; r++) {
        for (int64_t c = 0; c < p->head_dim_v; c++)
            head->o[(blk->row0 + r) * head->o_row + c] = 0.0f;
        if (head->lse)
            head->lse[(blk->row0 + r) * head->lse_row] = -INFINITY;
    }
}

static void attend_block(const attn_simd_ops *ops, const attn_problem *p, const attn_head *head,
                         score_block *blk) {
    const int d = (int)p->head_dim, dv = (int)p->head_dim_v;
    int64_t unused, key_end;
    attn_visible_keys(p, blk->row0, &blk->key0, &unused);
    attn_visible_keys(p, blk->row0 + blk->rows - 1, &unused, &key_end);
    blk->keys = key_end - blk->key0;
    if (blk->keys <= 0) {
        zero_rows(p, head, blk);
        return;
    }
    /* Leading dimensions are the row strides: D and Dv in the dense layout blas gets. */
    const int rows = (int)blk->rows, keys = (int)blk->keys;
    const int q_row = (int)head->q_row, k_row = (int)head->k_row, v_row = (int)head->v_row;
    const int o_row = (int)head->o_row;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, rows, keys, d, (float)(p->scale * LOG2_E),
                head->q + blk->row0 * q_row, q_row, head->k + blk->key0 * k_row, k_row, 0.0f,
                blk->s, keys);
    softmax_rows(ops, p, blk);
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasNoTrans, rows, dv, keys, 1.0f, blk->s, keys,
                head->v + blk->key0 * v_row, v_row, 0.0f, head->o + blk->row0 * o_row, o_row);
    normalise_rows(p, head, blk);
}

/* Block `index` of B * Hq * blocks_per_head, with its slice of the workspace. When later
 * rows see more keys (causal), a head's blocks go last first, so the dynamic schedule
 * ends on the shortest. */
static score_block block_at(const attn_problem *p, int64_t step, int64_t index, char *slice) {
    const int64_t per_head = (p->seq_q + step - 1) / step;
    const int later_rows_heavier = p->window_right >= 0 && p->window_left < 0;
    const int64_t within = later_rows_heavier ? per_head - 1 - index % per_head : index % per_head;
    score_block blk = {.row0 = within * step, .s = (float *)slice};
    blk.rows = p->seq_q - blk.row0 < step ? p->seq_q - blk.row0 : step;
    blk.m = blk.s + step * p->seq_kv;
    blk.sum = blk.m + step;
    return blk;
}

static int blas_forward(void *context, const attn_args *a) {
    const attn_problem *p = a->problem;
    const int threads = a->threads > 0 ? a->threads : 1;
    if (attn_workspace_check(a, blas_workspace_size(context, p, threads)) != ATTN_OK)
        return ATTN_FAILED;
    const attn_simd_ops *ops = attn_simd_ops_select();
    const int64_t step = block_rows(p, threads);
    const int64_t per_head = (p->seq_q + step - 1) / step;
    const int64_t items = p->batch * p->heads_q * per_head;
    const size_t slice = slice_bytes(p, threads);
    char *workspace = a->workspace;
    const int blas_threads = openblas_get_num_threads();
    openblas_set_num_threads(1); /* no OpenBLAS threads inside the OpenMP ones */
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int64_t index = 0; index < items; index++) {
        const int64_t head_index = index / per_head;
        const attn_head head = attn_head_at(a, head_index / p->heads_q, head_index % p->heads_q);
        score_block blk =
            block_at(p, step, index, workspace + (size_t)omp_get_thread_num() * slice);
        attend_block(ops, p, &head, &blk);
    }
    openblas_set_num_threads(blas_threads);
    return ATTN_OK;
}

/* Without ATTN_CAP_STRIDES: the harness hands blas dense BHSD tensors only. */
const attn_impl attn_impl_blas = {
    ATTN_IMPL_HEADER,
    .name = "blas",
    .summary = "OpenBLAS sgemm for QK^T and PV per block of 256 query rows, OpenMP over blocks",
    .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL |
            ATTN_CAP_DV_DIFFERS | ATTN_CAP_LSE | ATTN_CAP_CUSTOM_SCALE,
    .supports = blas_supports,
    .workspace_size = blas_workspace_size,
    .forward = blas_forward,
};

/* naive: materialises the Nq x Nkv score matrix of each (batch, head) with plain loops.
 * The baseline every other implementation is timed against. */
#include "attnbench.h"
#include "sequences.h"
#include "f32_views.h"
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

static size_t naive_score_bytes(const attn_problem *p) {
    return (size_t)p->seq_q * (size_t)p->seq_kv * sizeof(float);
}

/* Rows are visited in blocks of NAIVE_QUERY_BLOCK queries by a few keys, so each K or V row
 * is fetched once per query block rather than once per query, and the next key block's rows
 * are prefetched while this one is used. That keeps the rate the same whatever the strides:
 * rows 2 or 4 KiB apart (BSHD with 8 heads of 64 or 128) share few cache sets and defeat the
 * hardware prefetchers, and re-reading a whole head's K for every query ran BSHD at 0.64 to
 * 0.84 of BHSD. The block's Q rows are copied together and its output rows summed together
 * before they are stored: rows a power-of-two stride apart, at the same page offset as the K
 * or V rows, would share the few L1 sets those use and evict them (BSHD at 0.83 to 0.92 of
 * BHSD at 4096 keys). Every score, exponential and output element is computed with the same
 * operations in the same order as one plain loop per row. */
#define NAIVE_QUERY_BLOCK 16
/* A key block holds this many bytes of rows (at least one row): with a query row it fits in
 * the few L1 sets that rows a power-of-two stride apart can use. */
#define NAIVE_KEY_BLOCK_BYTES 2048
#define NAIVE_MAX_KEY_BLOCK 64

/* A query block's Q rows and output rows, packed: see naive_block_run. */
static size_t naive_pack_bytes(const attn_problem *p) {
    return (size_t)NAIVE_QUERY_BLOCK * (size_t)(p->head_dim + p->head_dim_v) * sizeof(float);
}

static size_t naive_kernel_bytes(const attn_problem *p) {
    return (naive_score_bytes(p) + 63) / 64 * 64 + naive_pack_bytes(p);
}

/* The score matrix and the packed block, then (for reduced element types) float32 copies of
 * the tensors. */
static size_t naive_workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context;
    (void)threads;
    return naive_kernel_bytes(p) + attn_f32_views_size(p) + attn_sequences_gather_bytes(p);
}

typedef struct {
    const attn_args *args;
    const float *q, *k, *v;
    float *o, *lse, *score;
    float *q_pack, *o_pack; /* the block's rows, contiguous */
    int64_t first[NAIVE_QUERY_BLOCK], last[NAIVE_QUERY_BLOCK];
    int64_t key_block, row0, rows;
    int64_t keys_from, keys_to; /* the keys some row of the block sees */
} naive_block;

static int64_t naive_key_block(const attn_problem *p) {
    const int64_t width = p->head_dim > p->head_dim_v ? p->head_dim : p->head_dim_v;
    const int64_t rows = NAIVE_KEY_BLOCK_BYTES / (width * (int64_t)sizeof(float));
    return rows < 1 ? 1 : rows > NAIVE_MAX_KEY_BLOCK ? NAIVE_MAX_KEY_BLOCK : rows;
}

static int64_t naive_min(int64_t a, int64_t b) {
    return a < b ? a : b;
}

static int64_t naive_max(int64_t a, int64_t b) {
    return a > b ? a : b;
}

/* Asks for rows [from, to) to be brought into L2 (not L1, where they would evict the rows in
 * use): strided rows defeat the hardware prefetchers. */
static void naive_prefetch_rows(const float *base, int64_t row_stride, int64_t from, int64_t to,
                                int64_t width) {
    for (int64_t j = from; j < to; j++)
        for (int64_t c = 0; c < width; c += 64 / (int64_t)sizeof(float))
            __builtin_prefetch(base + j * row_stride + c, 0, 2);
}

/* Ends the key block starting at j0 and prefetches the next one's rows. */
static int64_t naive_block_end(const naive_block *blk, int64_t j0, const float *rows,
                               int64_t row_stride, int64_t width) {
    const int64_t j1 = naive_min(j0 + blk->key_block, blk->keys_to);
    naive_prefetch_rows(rows, row_stride, j1, naive_min(j1 + blk->key_block, blk->keys_to), width);
    return j1;
}

/* The keys of [j0, j1) that row r of the block sees: [*from, *to). */
static void naive_row_keys(const naive_block *blk, int64_t r, int64_t j0, int64_t j1, int64_t *from,
                           int64_t *to) {
    *from = naive_max(blk->first[r], j0);
    *to = naive_min(blk->last[r], j1);
}

static void naive_scores(const naive_block *blk) {
    const attn_problem *p = blk->args->problem;
    const int64_t nkv = p->seq_kv, d = p->head_dim;
    const int64_t k_row = blk->args->k.stride[2];
    const float scale = (float)p->scale;
    for (int64_t j0 = blk->keys_from; j0 < blk->keys_to; j0 += blk->key_block) {
        const int64_t j1 = naive_block_end(blk, j0, blk->k, k_row, d);
        for (int64_t r = 0; r < blk->rows; r++) {
            const int64_t i = blk->row0 + r;
            int64_t from, to;
            naive_row_keys(blk, r, j0, j1, &from, &to);
            const float *qi = blk->q_pack + r * d;
            float *s = blk->score + i * nkv;
            for (int64_t j = from; j < to; j++) {
                float dot = 0.0f;
                for (int64_t c = 0; c < d; c++)
                    dot += qi[c] * blk->k[j * k_row + c];
                s[j] = scale * dot;
            }
        }
    }
}

/* Turns row r's scores into unnormalised weights; returns their sum (0 for an empty row). */
static float naive_weights(const naive_block *blk, int64_t r) {
    const int64_t i = blk->row0 + r;
    float *s = blk->score + i * blk->args->problem->seq_kv;
    float row_max = -INFINITY;
    for (int64_t j = blk->first[r]; j < blk->last[r]; j++)
        if (s[j] > row_max)
            row_max = s[j];
    float total = 0.0f;
    for (int64_t j = blk->first[r]; j < blk->last[r]; j++) {
        s[j] = expf(s[j] - row_max);
        total += s[j];
    }
    if (blk->lse)
        blk->lse[i * blk->args->lse.stride[2]] =
            blk->first[r] == blk->last[r] ? -INFINITY : row_max + logf(total);
    return total;
}

static void naive_block_run(naive_block *blk) {
    const attn_args *a = blk->args;
    const int64_t nkv = a->problem->seq_kv, dv = a->problem->head_dim_v;
    const int64_t v_row = a->v.stride[2], o_row = a->o.stride[2];
    float total[NAIVE_QUERY_BLOCK] = {0};
    blk->keys_from = nkv;
    blk->keys_to = 0;
    for (int64_t r = 0; r < blk->rows; r++) {
        attn_visible_keys(a->problem, blk->row0 + r, &blk->first[r], &blk->last[r]);
        if (blk->first[r] < blk->last[r]) {
            blk->keys_from = naive_min(blk->keys_from, blk->first[r]);
            blk->keys_to = naive_max(blk->keys_to, blk->last[r]);
        }
    }
    const int64_t d = a->problem->head_dim, q_row = a->q.stride[2];
    for (int64_t r = 0; r < blk->rows; r++)
        for (int64_t c = 0; c < d; c++)
            blk->q_pack[r * d + c] = blk->q[(blk->row0 + r) * q_row + c];
    naive_scores(blk);
    for (int64_t r = 0; r < blk->rows; r++) {
        total[r] = naive_weights(blk, r);
        for (int64_t c = 0; c < dv; c++)
            blk->o_pack[r * dv + c] = 0.0f;
    }
    for (int64_t j0 = blk->keys_from; j0 < blk->keys_to; j0 += blk->key_block) {
        const int64_t j1 = naive_block_end(blk, j0, blk->v, v_row, dv);
        for (int64_t r = 0; r < blk->rows; r++) {
            const int64_t i = blk->row0 + r;
            int64_t from, to;
            naive_row_keys(blk, r, j0, j1, &from, &to);
            const float *s = blk->score + i * nkv;
            float *out = blk->o_pack + r * dv;
            for (int64_t j = from; j < to; j++) {
                float weight = s[j] / total[r];
                for (int64_t c = 0; c < dv; c++)
                    out[c] += weight * blk->v[j * v_row + c];
            }
        }
    }
    for (int64_t r = 0; r < blk->rows; r++)
        for (int64_t c = 0; c < dv; c++)
            blk->o[(blk->row0 + r) * o_row + c] = blk->o_pack[r * dv + c];
}

/* Query head h of batch b. Row i of each tensor starts at its head's row 0 plus i times
 * the tensor's sequence stride. */
static void naive_head(const attn_args *a, int64_t b, int64_t h, float *score, float *pack) {
    const attn_problem *p = a->problem;
    const int64_t kvh = h / (p->heads_q / p->heads_kv);
    naive_block blk = {
        .args = a,
        .q = attn_f32_row(&a->q, b, h, 0),
        .k = attn_f32_row(&a->k, b, kvh, 0),
        .v = attn_f32_row(&a->v, b, kvh, 0),
        .o = attn_f32_row(&a->o, b, h, 0),
        .lse = a->lse.data ? attn_f32_row(&a->lse, b, h, 0) : NULL,
        .score = score,
        .q_pack = pack,
        .o_pack = pack + NAIVE_QUERY_BLOCK * p->head_dim,
        .key_block = naive_key_block(p),
    };
    for (blk.row0 = 0; blk.row0 < p->seq_q; blk.row0 += NAIVE_QUERY_BLOCK) {
        blk.rows = naive_min(p->seq_q - blk.row0, NAIVE_QUERY_BLOCK);
        naive_block_run(&blk);
    }
}

static void naive_heads(const attn_args *a, char *workspace) {
    float *score = (float *)workspace;
    float *pack = (float *)(workspace + (naive_score_bytes(a->problem) + 63) / 64 * 64);
    for (int64_t b = 0; b < a->problem->batch; b++)
        for (int64_t h = 0; h < a->problem->heads_q; h++)
            naive_head(a, b, h, score, pack);
}

static int naive_forward(void *context, const attn_args *a) {
    if (a->problem->ragged)
        return attn_sequences_forward(context, a, naive_forward);
    const attn_problem *p = a->problem;
    if (attn_workspace_check(a, naive_workspace_size(context, p, a->threads)) != ATTN_OK)
        return ATTN_FAILED;
    attn_args f32;
    const attn_args *use = attn_f32_views_begin(a, naive_kernel_bytes(p), &f32);
    naive_heads(use, a->workspace);
    attn_f32_views_end(a, use);
    return ATTN_OK;
}

const attn_impl attn_impl_naive = {
    ATTN_IMPL_HEADER,
    .name = "naive",
    .summary = "plain loops, full Nq x Nkv score matrix per head",
    .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL |
            ATTN_CAP_DV_DIFFERS | ATTN_CAP_LSE | ATTN_CAP_CUSTOM_SCALE | ATTN_CAP_STRIDES |
            ATTN_CAP_THREAD_INVARIANT | ATTN_CAP_BATCH_INVARIANT | ATTN_SEQUENCES_CAPS,
    .supports = naive_supports,
    .workspace_size = naive_workspace_size,
    .forward = naive_forward,
    .precisions = &attn_f32_compute_precision,
    .precision_count = 1,
};

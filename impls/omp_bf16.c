/* omp_bf16: the fused online-softmax kernel for bf16 Q, K and V on AVX512-BF16. Scores
 * are vdpbf16ps dot products (bf16 products, exact in f32, summed in f32); the softmax
 * runs in f32 (the AVX-512 table of simd_ops.h); probabilities are rounded to bf16 for
 * the PV product, as FlashAttention does, which its precision contract declares; the
 * output accumulates in f32 and is written as bf16 or f32. Query tiles of 64 rows, one
 * per work item, on OpenMP threads (the last tiles of a head first, as under a causal
 * mask they see the most keys); each tile is computed by one thread, so results do not
 * depend on the thread count. On a CPU without AVX512-BF16 (or with ATTNBENCH_NO_SIMD)
 * the inputs are widened to f32 and omp's kernel runs: the contract still holds, since it
 * rounds less. */
#include <math.h>
#include <omp.h>
#include <string.h>

#include "attnbench.h"
#include "sequences.h"
#include "bf16_ops.h"
#include "element_convert.h"
#include "f32_views.h"
#include "tile_kernel.h"
#include "workspace.h"

#define ROWS ATTN_TILE_ROWS
#define GROUP ATTN_ROW_GROUP
#define KEY_TILE 64
#define LOG2_E 1.4426950408889634
#define LN_2 0.6931471805599453

#define BF16_ONLY ATTN_TYPE_BIT(ATTN_BF16)

static const attn_precision omp_bf16_precision = {
    .struct_size = sizeof(attn_precision),
    .q_types = BF16_ONLY,
    .k_types = BF16_ONLY,
    .v_types = BF16_ONLY,
    .o_types = BF16_ONLY | ATTN_TYPE_BIT(ATTN_F32),
    .q_compute = ATTN_F32,
    .k_compute = ATTN_F32,
    .v_compute = ATTN_F32,
    .score = ATTN_F32,
    .prob = ATTN_BF16,
    .accum = ATTN_F32,
};

/* One thread's state for one query tile, carved from its slice of the workspace. */
typedef struct bf16_tile {
    uint32_t *qt;                       /* [pairs(D)][ROWS] query pairs */
    float *ot;                          /* [Dv][ROWS] unnormalised output */
    float *m, *sum, *rescale, *inverse; /* [ROWS] */
    float *s;                           /* [KEY_TILE][ROWS] scores, then probabilities */
    uint32_t *pairs;                    /* [KEY_TILE / 2][ROWS] probability pairs */
    uint32_t *vpairs;                   /* [KEY_TILE / 2][Dv] value pairs */
    float *rows_out;                    /* [ROWS][Dv] normalised rows before rounding to bf16 */
    int32_t *first_rel, *last_rel;      /* [ROWS] */
    int64_t *first, *last;              /* [ROWS] */
} bf16_tile;

static size_t carve(const attn_problem *p, char *base, bf16_tile *t) {
    const size_t lanes = ROWS * sizeof(float), dv = (size_t)p->head_dim_v;
    size_t offset = 0;
    t->qt = attn_workspace_take(base, &offset, (size_t)attn_bf16_pairs(p->head_dim) * lanes);
    t->ot = attn_workspace_take(base, &offset, dv * lanes);
    t->m = attn_workspace_take(base, &offset, lanes);
    t->sum = attn_workspace_take(base, &offset, lanes);
    t->rescale = attn_workspace_take(base, &offset, lanes);
    t->inverse = attn_workspace_take(base, &offset, lanes);
    t->s = attn_workspace_take(base, &offset, KEY_TILE * lanes);
    t->pairs = attn_workspace_take(base, &offset, KEY_TILE / 2 * lanes);
    t->vpairs = attn_workspace_take(base, &offset, KEY_TILE / 2 * dv * sizeof(uint32_t));
    t->rows_out = attn_workspace_take(base, &offset, ROWS * dv * sizeof(float));
    t->first_rel = attn_workspace_take(base, &offset, ROWS * sizeof(int32_t));
    t->last_rel = attn_workspace_take(base, &offset, ROWS * sizeof(int32_t));
    t->first = attn_workspace_take(base, &offset, ROWS * sizeof(int64_t));
    t->last = attn_workspace_take(base, &offset, ROWS * sizeof(int64_t));
    return offset;
}

static size_t slice_bytes(const attn_problem *p) {
    bf16_tile unused;
    return carve(p, NULL, &unused);
}

static size_t omp_bf16_workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context;
    const size_t fast = (size_t)(threads > 0 ? threads : 1) * slice_bytes(p);
    const size_t widened = attn_tile_parallel_workspace_bytes(p, threads) + attn_f32_views_size(p);
    return (fast > widened ? fast : widened) + attn_sequences_gather_bytes(p);
}

/* Keys [key0, key0 + count) for the row groups of the tile that see any of them. */
static void attend(const attn_bf16_ops *ops, const attn_simd_ops *simd, const attn_problem *p,
                   const uint16_t *k, int64_t k_row, const uint16_t *v, int64_t v_row, int64_t rows,
                   int64_t key0, int64_t count, float factor, bf16_tile *t) {
    int64_t lo = 0, hi = rows;
    while (lo < hi && t->last[lo] <= key0)
        lo++;
    while (hi > lo && t->first[hi - 1] >= key0 + count)
        hi--;
    if (lo == hi)
        return;
    const int g0 = (int)(lo / GROUP), g1 = (int)((hi + GROUP - 1) / GROUP);
    const int groups = g1 - g0, lane0 = g0 * GROUP;
    const int64_t top = lane0, bottom = (g1 * GROUP < rows ? g1 * GROUP : rows) - 1;
    ops->scores(t->qt + lane0, k + key0 * k_row, k_row, p->head_dim, count, groups, factor,
                t->s + lane0);
    if (key0 < t->first[bottom] || key0 + count > t->last[top]) {
        for (int r = 0; r < ROWS; r++) {
            t->first_rel[r] = (int32_t)attn_clamp_index(t->first[r] - key0, 0, count);
            t->last_rel[r] = (int32_t)attn_clamp_index(t->last[r] - key0, 0, count);
        }
        simd->mask(t->s + lane0, count, groups, t->first_rel + lane0, t->last_rel + lane0);
    }
    simd->softmax_step(t->s + lane0, count, groups, t->m + lane0, t->sum + lane0,
                       t->rescale + lane0);
    ops->accumulate(t->s + lane0, v + key0 * v_row, v_row, p->head_dim_v, count, groups,
                    t->rescale + lane0, t->ot + lane0, t->pairs, t->vpairs);
}

static void store(const attn_simd_ops *simd, const attn_args *a, int64_t b, int64_t h, int64_t row0,
                  int64_t rows, bf16_tile *t) {
    const attn_problem *p = a->problem;
    for (int64_t r = 0; r < rows; r++) {
        const float total = t->sum[r];
        t->inverse[r] = total > 0.0f ? 1.0f / total : 0.0f;
        if (a->lse.data)
            *attn_f32_row(&a->lse, b, h, row0 + r) =
                total > 0.0f ? (float)(LN_2 * ((double)t->m[r] + log2((double)total))) : -INFINITY;
    }
    if (a->o.dtype == ATTN_F32) {
        simd->unpack_rows(t->ot, p->head_dim_v, rows, t->inverse, attn_f32_row(&a->o, b, h, row0),
                          a->o.stride[2]);
        return;
    }
    simd->unpack_rows(t->ot, p->head_dim_v, rows, t->inverse, t->rows_out, p->head_dim_v);
    for (int64_t r = 0; r < rows; r++)
        attn_elements_from_float(ATTN_BF16, t->rows_out + r * p->head_dim_v,
                                 attn_row(&a->o, b, h, row0 + r), p->head_dim_v);
}

static void run_tile(const attn_bf16_ops *ops, const attn_simd_ops *simd, const attn_args *a,
                     int64_t b, int64_t h, int64_t tile, bf16_tile *t) {
    const attn_problem *p = a->problem;
    const int64_t kv = h / (p->heads_q / p->heads_kv);
    const int64_t row0 = tile * ROWS, rows = p->seq_q - row0 < ROWS ? p->seq_q - row0 : ROWS;
    for (int64_t r = 0; r < ROWS; r++) {
        if (r < rows)
            attn_visible_keys(p, row0 + r, &t->first[r], &t->last[r]);
        else
            t->first[r] = t->last[r] = 0;
        t->m[r] = -INFINITY;
        t->sum[r] = 0.0f;
    }
    memset(t->ot, 0, (size_t)(p->head_dim_v * ROWS) * sizeof *t->ot);
    const int64_t key_begin = t->first[0], key_end = t->last[rows - 1];
    if (key_begin < key_end) {
        ops->pack_queries(t->qt, attn_row(&a->q, b, h, row0), a->q.stride[2], rows, p->head_dim);
        const uint16_t *k = attn_row(&a->k, b, kv, 0), *v = attn_row(&a->v, b, kv, 0);
        const float factor = (float)(p->scale * LOG2_E);
        for (int64_t key0 = key_begin; key0 < key_end; key0 += KEY_TILE)
            attend(ops, simd, p, k, a->k.stride[2], v, a->v.stride[2], rows, key0,
                   key_end - key0 < KEY_TILE ? key_end - key0 : KEY_TILE, factor, t);
    }
    store(simd, a, b, h, row0, rows, t);
}

static int omp_bf16_forward(void *context, const attn_args *a) {
    if (a->problem->ragged)
        return attn_sequences_forward(context, a, omp_bf16_forward);
    const attn_problem *p = a->problem;
    if (attn_workspace_check(a, omp_bf16_workspace_size(context, p, a->threads)) != ATTN_OK)
        return ATTN_FAILED;
    const attn_bf16_ops *ops = attn_bf16_ops_select();
    const attn_simd_ops *simd = attn_simd_ops_select();
    if (!ops || strcmp(simd->name, "avx512") != 0) {
        attn_args f32;
        const attn_args *use =
            attn_f32_views_begin(a, attn_tile_parallel_workspace_bytes(p, a->threads), &f32);
        attn_tile_parallel(use, ATTN_SCHEDULE_DYNAMIC);
        attn_f32_views_end(a, use);
        return ATTN_OK;
    }
    const int64_t tiles = attn_tile_count(p), items = p->batch * p->heads_q * tiles;
    const size_t slice = slice_bytes(p);
#pragma omp parallel num_threads(a->threads)
    {
        bf16_tile t;
        carve(p, (char *)a->workspace + (size_t)omp_get_thread_num() * slice, &t);
#pragma omp for schedule(dynamic, 1)
        for (int64_t n = 0; n < items; n++) {
            const int64_t tile = tiles - 1 - n % tiles, bh = n / tiles;
            run_tile(ops, simd, a, bh / p->heads_q, bh % p->heads_q, tile, &t);
        }
    }
    return ATTN_OK;
}

const attn_impl attn_impl_omp_bf16 = {
    ATTN_IMPL_HEADER,
    .name = "omp_bf16",
    .summary = "bf16 Q/K/V, AVX512-BF16 dot products, f32 softmax, P rounded to bf16, OpenMP",
    .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL |
            ATTN_CAP_DV_DIFFERS | ATTN_CAP_LSE | ATTN_CAP_CUSTOM_SCALE | ATTN_CAP_STRIDES |
            ATTN_CAP_THREAD_INVARIANT | ATTN_CAP_BATCH_INVARIANT | ATTN_SEQUENCES_CAPS,
    .workspace_size = omp_bf16_workspace_size,
    .forward = omp_bf16_forward,
    .precisions = &omp_bf16_precision,
    .precision_count = 1,
};

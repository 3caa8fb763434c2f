/* decode: few query rows against a long KV cache (the decode steps of inference); any
 * other case is computed too, a tile of rows at a time without splits. The
 * query rows of every query head that shares a KV head (a GQA group, G x Nq rows, in
 * tiles of up to 64) are computed together, so K and V are read once per KV head instead
 * of once per query head; and the keys are cut into splits computed in parallel (split-KV),
 * each giving a partial maximum, sum and unnormalised output per row, combined exactly
 * afterwards through their log-sum-exp. The number of splits depends only on the
 * sequence, so the result is bitwise the same for every thread count. Each thread computes
 * a contiguous run of the (KV head, split) items, so K and V stream through it in address
 * order while the keys ahead are prefetched. Fewer than 16 rows run with keys across lanes
 * (simd_ops.h's decode_rows, which reads K and V of any element type in place, widening
 * exactly in registers), more with rows across lanes (its tile operations, on K and V
 * widened a chunk of keys at a time into float32 rows in cache). Q and O are used through
 * float32 copies. */
#include <math.h>
#include <omp.h>
#include <stdbool.h>
#include <string.h>

#include "attnbench.h"
#include "f32_views.h"
#include "sequences.h"
#include "simd_ops.h"
#include "workspace.h"

#define ROWS ATTN_TILE_ROWS
#define GROUP ATTN_ROW_GROUP
#define KEY_TILE 64
/* Keys per split at least (a multiple of KEY_TILE), the most splits of one KV head, and the
 * work items (KV head x split) one sequence is cut into when it has that many keys. */
#define SPLIT_KEYS 512
#define MAX_SPLIT_ROWS 256
#define SEQUENCE_ITEMS 32
#define LOG2_E 1.4426950408889634
#define LN_2 0.6931471805599453

/* One sequence's shape: its query rows per KV head (G x Nq), keys, and key splits. A ragged
 * problem's sequences each have their own; a uniform one's all have the problem's. */
typedef struct decode_seq {
    int64_t nq, nkv, rows, splits, per_split;
} decode_seq;

/* Splits of a KV head's keys: enough to give the threads work when B x Hkv is small (a
 * sequence's KV heads and splits make SEQUENCE_ITEMS items, of SPLIT_KEYS keys at least),
 * with at most MAX_SPLIT_ROWS partial rows per KV head; one when the group has more rows than
 * a tile (a prefill: its row tiles are work enough). No more: each split starts a stream of
 * keys from memory the prefetches have not reached (B = 1, 8 KV heads of 32768 keys, 1
 * thread: 64 splits of 512 keys per head, 11.0 GB/s; 4 of 8192, 13.7 GB/s). They depend on
 * the sequence and Hkv alone, so the result is the same for every thread count and whatever else
 * is in the batch. */
static int64_t split_count(int64_t rows, int64_t nkv, int64_t heads_kv) {
    if (rows > ROWS)
        return 1;
    int64_t splits = (nkv + SPLIT_KEYS - 1) / SPLIT_KEYS;
    const int64_t enough = (SEQUENCE_ITEMS + heads_kv - 1) / heads_kv;
    splits = splits < enough ? splits : enough;
    int64_t most = MAX_SPLIT_ROWS / (rows > 0 ? rows : 1);
    if (most < 1)
        most = 1;
    if (splits > most)
        splits = most;
    return splits < 1 ? 1 : splits;
}

static void sequence_shape(const attn_args *a, int64_t b, decode_seq *s) {
    const attn_problem *p = a->problem;
    s->nq = attn_seq_q_len(a, b);
    s->nkv = attn_seq_kv_len(a, b);
    s->rows = p->heads_q / p->heads_kv * s->nq;
    s->splits = split_count(s->rows, s->nkv, p->heads_kv);
    const int64_t per = (s->nkv + s->splits - 1) / s->splits;
    s->per_split = (per + KEY_TILE - 1) / KEY_TILE * KEY_TILE;
}

/* The most rows, row tiles and splits any sequence of p can have. */
static int64_t max_rows(const attn_problem *p) {
    return p->heads_q / p->heads_kv * p->seq_q;
}

static int64_t max_blocks(const attn_problem *p) {
    return (max_rows(p) + ROWS - 1) / ROWS;
}

static int64_t max_splits(const attn_problem *p) {
    if (!p->ragged)
        return split_count(max_rows(p), p->seq_kv, p->heads_kv);
    /* a sequence with one query row per head has the fewest rows and the most splits */
    return split_count(p->heads_q / p->heads_kv, p->seq_kv, p->heads_kv);
}

/* One thread's tile state, carved from its slice of the workspace. */
typedef struct decode_tile {
    float *qt, *ot, *s, *m, *sum, *rescale;
    int32_t *first_rel, *last_rel;
    int64_t *first, *last, *first_chunk, *last_chunk;
    float *k_wide, *v_wide; /* a chunk's K and V rows as float32, when they are not */
    bool stream;            /* K and V come from memory: stream_chunk */
} decode_tile;

/* K (or V) is not float32: decode widens it a chunk at a time. */
static bool k_widened(const attn_problem *p) {
    return ATTN_HAS_FIELD(p, attn_problem, o_type) && p->k_type != ATTN_F32;
}

static bool v_widened(const attn_problem *p) {
    return ATTN_HAS_FIELD(p, attn_problem, o_type) && p->v_type != ATTN_F32;
}

static size_t carve(const attn_problem *p, char *base, decode_tile *t) {
    const size_t lanes = ROWS * sizeof(float);
    size_t offset = 0;
    t->qt = attn_workspace_take(base, &offset, (size_t)p->head_dim * lanes);
    t->ot = attn_workspace_take(base, &offset, (size_t)p->head_dim_v * lanes);
    t->s = attn_workspace_take(base, &offset, KEY_TILE * lanes);
    t->m = attn_workspace_take(base, &offset, lanes);
    t->sum = attn_workspace_take(base, &offset, lanes);
    t->rescale = attn_workspace_take(base, &offset, lanes);
    t->first_rel = attn_workspace_take(base, &offset, ROWS * sizeof(int32_t));
    t->last_rel = attn_workspace_take(base, &offset, ROWS * sizeof(int32_t));
    t->first = attn_workspace_take(base, &offset, ROWS * sizeof(int64_t));
    t->last = attn_workspace_take(base, &offset, ROWS * sizeof(int64_t));
    t->first_chunk = attn_workspace_take(base, &offset, ROWS * sizeof(int64_t));
    t->last_chunk = attn_workspace_take(base, &offset, ROWS * sizeof(int64_t));
    const size_t chunk = KEY_TILE * sizeof(float);
    t->k_wide =
        k_widened(p) ? attn_workspace_take(base, &offset, (size_t)p->head_dim * chunk) : NULL;
    t->v_wide =
        v_widened(p) ? attn_workspace_take(base, &offset, (size_t)p->head_dim_v * chunk) : NULL;
    return offset;
}

/* Partial results: per (batch, KV head, split, row) the maximum and sum (log2 units) and
 * Dv unnormalised outputs. */
static size_t partial_floats(const attn_problem *p) {
    return (size_t)(p->batch * p->heads_kv * max_splits(p) * max_rows(p)) *
           (size_t)(p->head_dim_v + 2);
}

static size_t kernel_bytes(const attn_problem *p, int threads) {
    decode_tile unused;
    const size_t slice = carve(p, NULL, &unused);
    return (size_t)(threads > 0 ? threads : 1) * slice +
           (partial_floats(p) * sizeof(float) + 63) / 64 * 64;
}

static size_t decode_workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context;
    return kernel_bytes(p, threads) + attn_f32_qo_views_size(p);
}

/* Keys [key0, end) cut where a page of a paged cache ends: the rows of one chunk are
 * evenly spaced. */
static int64_t chunk_end(const attn_problem *p, int64_t key0, int64_t end, int64_t step) {
    int64_t stop = key0 + step < end ? key0 + step : end;
    if (p->ragged && p->kv_storage == ATTN_KV_PAGED) {
        const int64_t page_end = (key0 / p->page_size + 1) * p->page_size;
        stop = page_end < stop ? page_end : stop;
    }
    return stop;
}

/* Keys and values of at least this many bytes (the L3 of the machines measured) come from
 * memory, not from a cache: they are streamed in (stream_chunk). */
#define STREAM_BYTES ((int64_t)32 << 20)

static bool streams_from_memory(const attn_args *a) {
    const attn_problem *p = a->problem;
    int64_t keys = 0;
    for (int64_t b = 0; b < p->batch; b++)
        keys += attn_seq_kv_len(a, b);
    const int64_t row_bytes = p->head_dim * (int64_t)attn_element_size(&a->k) +
                              p->head_dim_v * (int64_t)attn_element_size(&a->v);
    return keys * p->heads_kv * row_bytes >= STREAM_BYTES;
}

/* How far ahead of the keys being computed decode_rows prefetches, when K and V stream from
 * memory: about 64 KiB of K and V rows (Zen 4, 1 thread, B = 1, 8 KV heads of 32768 keys,
 * D = 128, f32: with the touch pass of stream_chunk instead, 9 GB/s; prefetching 16, 32, 64
 * and 128 keys ahead into L2, 14, 18-19, 19-20 and 19 GB/s; into L1, 7 GB/s). A whole
 * number of chunks, so that in pages of a multiple of DECODE_KEYS tokens the keys ahead lie
 * in one page as the keys at hand do (elsewhere a few prefetches miss: results do not
 * change). */
#define PREFETCH_BYTES ((int64_t)64 << 10)

static int64_t keys_ahead(const attn_args *a) {
    const int64_t key_bytes = a->problem->head_dim * (int64_t)attn_element_size(&a->k) +
                              a->problem->head_dim_v * (int64_t)attn_element_size(&a->v);
    const int64_t keys = PREFETCH_BYTES / key_bytes / DECODE_KEYS * DECODE_KEYS;
    return keys > DECODE_KEYS ? keys : DECODE_KEYS;
}

static void touch_lines(const char *row, int64_t bytes) {
    for (int64_t c = 0; c < bytes; c += 64)
        (void)*(const volatile char *)(row + c);
}

/* For the tile operations (decode_rows prefetches the keys ahead instead: keys_ahead): before
 * a chunk of keys [key0, stop) is computed, its float32 rows read in place are touched in
 * address order, a key's K row then its V row. The kernels read a chunk's rows
 * interleaved (four K rows a vector at a time, V rows a quarter at a time), an order the
 * hardware prefetchers do not follow: from memory, decode read at 0.4 of the streaming
 * bandwidth. Touched first, the chunk is in L1 when it is computed (Zen 4, 1 thread, B = 1,
 * 32768 keys: 6.2 -> 11.5 GB/s). Software prefetch of the next chunk as well was slower than
 * this alone (6.2 GB/s: it defeats the hardware prefetchers the ordered touches train). From
 * a cache the extra loads only cost, so it is done for keys that do not fit one. Results do
 * not change. */
static void stream_chunk(const attn_args *a, int64_t b, int64_t kv, int64_t key0, int64_t stop,
                         bool k_in_place, bool v_in_place) {
    const attn_problem *p = a->problem;
    const int64_t k_bytes = k_in_place ? p->head_dim * (int64_t)sizeof(float) : 0;
    const int64_t v_bytes = v_in_place ? p->head_dim_v * (int64_t)sizeof(float) : 0;
    for (int64_t j = key0; j < stop; j++) {
        touch_lines((const char *)attn_key_row(a, &a->k, b, kv, j), k_bytes);
        touch_lines((const char *)attn_key_row(a, &a->v, b, kv, j), v_bytes);
    }
}

/* The chunk of keys [key0, stop) (rows evenly spaced: chunk_end) as float32 rows: K and V
 * in place when they are float32 (touched first when they stream from memory), else
 * widened into the tile's buffers, which reads them in address order as well. */
typedef struct chunk_rows {
    const float *k, *v;
    int64_t k_stride, v_stride;
} chunk_rows;

static chunk_rows load_chunk(const attn_args *a, const decode_tile *t, int64_t b, int64_t kv,
                             int64_t key0, int64_t stop) {
    const attn_problem *p = a->problem;
    const void *k = attn_key_row(a, &a->k, b, kv, key0), *v = attn_key_row(a, &a->v, b, kv, key0);
    chunk_rows c = {k, v, a->k.stride[2], a->v.stride[2]};
    const bool k_in_place = a->k.dtype == ATTN_F32, v_in_place = a->v.dtype == ATTN_F32;
    if (t->stream && (k_in_place || v_in_place))
        stream_chunk(a, b, kv, key0, stop, k_in_place, v_in_place);
    if (!k_in_place) {
        attn_widen_rows(a->k.dtype, k, a->k.stride[2], stop - key0, p->head_dim, t->k_wide);
        c.k = t->k_wide;
        c.k_stride = p->head_dim;
    }
    if (!v_in_place) {
        attn_widen_rows(a->v.dtype, v, a->v.stride[2], stop - key0, p->head_dim_v, t->v_wide);
        c.v = t->v_wide;
        c.v_stride = p->head_dim_v;
    }
    return c;
}

/* One work item: rows [row0, row0 + rows) of KV head kv's group of sequence b against the
 * keys [k0, k1) of split `split`, of which some row sees [begin, end) (empty: begin >= end). */
typedef struct decode_item {
    int64_t b, kv, row0, rows, split, k0, k1, begin, end;
    decode_seq sq;
} decode_item;

/* Item n of a problem's items (KV head, then row block, then split); false when the
 * sequence has no such rows or split (nothing to compute, no partial results). */
static bool item_at(const attn_args *a, int64_t n, decode_item *it) {
    const attn_problem *p = a->problem;
    const int64_t splits = max_splits(p), blocks = max_blocks(p);
    const int64_t bkv = n / (blocks * splits), block = n / splits % blocks;
    it->b = bkv / p->heads_kv;
    it->kv = bkv % p->heads_kv;
    it->split = n % splits;
    it->row0 = block * ROWS;
    sequence_shape(a, it->b, &it->sq);
    if (it->row0 >= it->sq.rows || it->split >= it->sq.splits)
        return false;
    const decode_seq *sq = &it->sq;
    it->rows = sq->rows - it->row0 < ROWS ? sq->rows - it->row0 : ROWS;
    /* the last splits may be empty: per_split is rounded up to whole key tiles */
    it->k1 = (it->split + 1) * sq->per_split < sq->nkv ? (it->split + 1) * sq->per_split : sq->nkv;
    it->k0 = it->split * sq->per_split < it->k1 ? it->split * sq->per_split : it->k1;
    it->begin = sq->nkv;
    it->end = 0;
    for (int64_t r = 0; r < it->rows; r++) {
        int64_t first, last;
        attn_seq_visible_keys(p, sq->nq, sq->nkv, (it->row0 + r) % sq->nq, &first, &last);
        first = attn_clamp_index(first, it->k0, it->k1);
        last = attn_clamp_index(last, it->k0, it->k1);
        if (first < last) {
            it->begin = first < it->begin ? first : it->begin;
            it->end = last > it->end ? last : it->end;
        }
    }
    return true;
}

/* Where the prefetches of keys `ahead` of key0 of item `it` point: a row of the item's own keys,
 * or past them, of the keys of `next`, the item the thread computes after it (NULL: none). */
static const void *row_ahead(const attn_args *a, const attn_tensor *x, const decode_item *it,
                             const decode_item *next, int64_t key) {
    if (key < it->end)
        return attn_key_row(a, x, it->b, it->kv, key);
    key += next ? next->begin - it->end : 0;
    return next && key < next->end ? attn_key_row(a, x, next->b, next->kv, key) : NULL;
}

/* Item `it` (its rows: query head kv G + r / Nq, query r % Nq, for row r of the group),
 * then `next` when K and V stream from memory (its keys are prefetched as it ends); partial
 * holds the group's rows of the item's split. */
static void run_split(const attn_simd_ops *ops, const attn_args *a, const decode_item *it,
                      const decode_item *next, decode_tile *t, float *partial) {
    const attn_problem *p = a->problem;
    const decode_seq *sq = &it->sq;
    const int64_t g_count = p->heads_q / p->heads_kv, nq = sq->nq;
    const int64_t b = it->b, kv = it->kv, row0 = it->row0, rows = it->rows;
    const int64_t d = p->head_dim, dv = p->head_dim_v;
    const int64_t begin = it->begin, end = it->end;
    const float factor = (float)(p->scale * LOG2_E);
    for (int64_t r = 0; r < ROWS; r++) {
        t->first[r] = t->last[r] = 0;
        if (r < rows) {
            attn_seq_visible_keys(p, nq, sq->nkv, (row0 + r) % nq, &t->first[r], &t->last[r]);
            t->first[r] = attn_clamp_index(t->first[r], it->k0, it->k1);
            t->last[r] = attn_clamp_index(t->last[r], it->k0, it->k1);
        }
        t->m[r] = -INFINITY;
        t->sum[r] = 0.0f;
    }
    const int groups = (int)((rows + GROUP - 1) / GROUP);
    memset(t->ot, 0, (size_t)(dv * ROWS) * sizeof *t->ot);
    const bool keys_across_lanes = rows < GROUP;
    /* the queries, scaled to log2 units: rows x D for keys across lanes, else D x ROWS
     * (rows across lanes, the lanes after the rows 0) */
    for (int64_t r = 0; begin < end && r < (keys_across_lanes ? rows : ROWS); r++) {
        const float *q =
            r < rows ? attn_query_row(a, &a->q, b, kv * g_count + (row0 + r) / nq, (row0 + r) % nq)
                     : NULL;
        for (int64_t c = 0; c < d; c++)
            t->qt[keys_across_lanes ? r * d + c : c * ROWS + r] = q ? q[c] * factor : 0.0f;
    }
    if (begin < end && keys_across_lanes) { /* a few rows: qt holds rows x D, ot rows x Dv */
        const int64_t ahead = t->stream ? keys_ahead(a) : 0;
        for (int64_t key0 = begin; key0 < end;) {
            const int64_t stop = chunk_end(p, key0, end, DECODE_KEYS);
            attn_decode_keys keys = {
                .k = attn_key_row(a, &a->k, b, kv, key0),
                .v = attn_key_row(a, &a->v, b, kv, key0),
                .k_stride = a->k.stride[2],
                .v_stride = a->v.stride[2],
                .k_type = a->k.dtype,
                .v_type = a->v.dtype,
                .k_wide = t->k_wide,
                .v_wide = t->v_wide,
            };
            if (ahead) {
                keys.k_ahead = row_ahead(a, &a->k, it, next, key0 + ahead);
                keys.v_ahead = row_ahead(a, &a->v, it, next, key0 + ahead);
            }
            for (int64_t r = 0; r < rows; r++) {
                t->first_chunk[r] = t->first[r] - key0;
                t->last_chunk[r] = t->last[r] - key0;
            }
            ops->decode_rows(t->qt, rows, d, &keys, dv, stop - key0, t->first_chunk, t->last_chunk,
                             t->m, t->sum, t->ot);
            key0 = stop;
        }
    } else if (begin < end) {
        for (int64_t key0 = begin; key0 < end;) {
            const int64_t stop = chunk_end(p, key0, end, KEY_TILE), count = stop - key0;
            const chunk_rows c = load_chunk(a, t, b, kv, key0, stop);
            ops->scores(t->qt, c.k, c.k_stride, d, count, groups, t->s);
            for (int r = 0; r < ROWS; r++) {
                t->first_rel[r] = (int32_t)attn_clamp_index(t->first[r] - key0, 0, count);
                t->last_rel[r] = (int32_t)attn_clamp_index(t->last[r] - key0, 0, count);
            }
            ops->mask(t->s, count, groups, t->first_rel, t->last_rel);
            ops->softmax_step(t->s, count, groups, t->m, t->sum, t->rescale);
            ops->accumulate(t->s, c.v, c.v_stride, dv, count, groups, t->rescale, t->ot);
            key0 = stop;
        }
    }
    for (int64_t r = 0; r < rows; r++) {
        float *row = partial + (row0 + r) * (dv + 2);
        row[0] = t->m[r];
        row[1] = t->sum[r];
        for (int64_t c = 0; c < dv; c++)
            row[2 + c] = keys_across_lanes ? t->ot[r * dv + c] : t->ot[c * ROWS + r];
    }
}

/* Row r of KV head kv's group of sequence b, from its splits' partial results. */
static void combine_row(const attn_args *a, int64_t b, int64_t kv, const decode_seq *sq, int64_t r,
                        const float *partials) {
    const attn_problem *p = a->problem;
    const int64_t nq = sq->nq, rows = sq->rows, dv = p->head_dim_v, width = dv + 2;
    const int64_t h = kv * (p->heads_q / p->heads_kv) + r / nq, i = r % nq;
    float top = -INFINITY;
    for (int64_t s = 0; s < sq->splits; s++)
        top = fmaxf(top, partials[(s * rows + r) * width]);
    float *o = attn_query_row(a, &a->o, b, h, i);
    for (int64_t c = 0; c < dv; c++)
        o[c] = 0.0f;
    float total = 0.0f;
    if (top > -INFINITY)
        for (int64_t s = 0; s < sq->splits; s++) {
            const float *part = partials + (s * rows + r) * width;
            if (part[0] == -INFINITY)
                continue;
            const float weight = exp2f(part[0] - top);
            total += part[1] * weight;
            for (int64_t c = 0; c < dv; c++)
                o[c] += part[2 + c] * weight;
        }
    const float inverse = total > 0.0f ? 1.0f / total : 0.0f;
    for (int64_t c = 0; c < dv; c++)
        o[c] *= inverse;
    if (a->lse.data)
        *(float *)attn_query_row(a, &a->lse, b, h, i) =
            total > 0.0f ? (float)(LN_2 * ((double)top + log2((double)total))) : -INFINITY;
}

/* An item's work: its keys times its rows. */
static int64_t item_work(const decode_item *it) {
    return it->begin < it->end ? (it->end - it->begin) * it->rows : 0;
}

static int64_t items_work(const attn_args *a, int64_t items) {
    int64_t total = 0;
    decode_item it;
    for (int64_t n = 0; n < items; n++)
        if (item_at(a, n, &it))
            total += item_work(&it);
    return total;
}

/* The thread that computes item n, whose work starts `done` into `total`: the one whose
 * equal share of the work holds the item's middle (by count when there is no work), so each
 * thread's items are contiguous. */
static int owner_of(int64_t done, int64_t work, int64_t total, int64_t n, int64_t items,
                    int threads) {
    const double at = total > 0 ? ((double)done + 0.5 * (double)work) / (double)total
                                : ((double)n + 0.5) / (double)items;
    const int owner = (int)(at * threads);
    return owner < threads ? owner : threads - 1;
}

static float *partial_rows(const attn_args *a, float *partials, size_t per_head,
                           const decode_item *it) {
    const attn_problem *p = a->problem;
    return partials + (size_t)(it->b * p->heads_kv + it->kv) * per_head +
           (size_t)(it->split * it->sq.rows * (p->head_dim_v + 2));
}

static void decode_f32(const attn_args *a) {
    const attn_problem *p = a->problem;
    const attn_simd_ops *ops = attn_simd_ops_select();
    const int64_t splits = max_splits(p), rows = max_rows(p), blocks = max_blocks(p);
    const int64_t heads = p->batch * p->heads_kv, items = heads * blocks * splits;
    decode_tile unused;
    const size_t slice = carve(p, NULL, &unused);
    float *partials = (float *)((char *)a->workspace + (size_t)a->threads * slice);
    const size_t per_head = (size_t)(splits * rows * (p->head_dim_v + 2));
    const bool stream = streams_from_memory(a);
    const int64_t total = items_work(a, items); /* once: every thread partitions by it */
#pragma omp parallel num_threads(a->threads)
    {
        decode_tile t;
        carve(p, (char *)a->workspace + (size_t)omp_get_thread_num() * slice, &t);
        t.stream = stream;
        /* each thread a contiguous run of items, of about equal work: K and V stream in
         * through one thread's items in address order, the prefetches running on from one
         * item into the next (B = 1 and 4, 8 KV heads of 32768 keys, 1 thread: 0.57-0.72 of
         * the bandwidth roof with items handed out one at a time, 0.66-0.77 so) */
        const int thread = omp_get_thread_num(), threads = omp_get_num_threads();
        decode_item item, pending;
        bool waiting = false;
        int64_t done = 0;
        for (int64_t n = 0; n < items; n++) {
            if (!item_at(a, n, &item))
                continue;
            const int64_t work = item_work(&item);
            const int owner = owner_of(done, work, total, n, items, threads);
            done += work;
            if (owner != thread)
                continue;
            if (work == 0) { /* no keys to read: only its partial rows to write */
                run_split(ops, a, &item, NULL, &t, partial_rows(a, partials, per_head, &item));
                continue;
            }
            if (waiting)
                run_split(ops, a, &pending, &item, &t,
                          partial_rows(a, partials, per_head, &pending));
            pending = item;
            waiting = true;
        }
        if (waiting)
            run_split(ops, a, &pending, NULL, &t, partial_rows(a, partials, per_head, &pending));
#pragma omp barrier
#pragma omp for schedule(static)
        for (int64_t n = 0; n < heads * rows; n++) {
            const int64_t bkv = n / rows, b = bkv / p->heads_kv;
            decode_seq sq;
            sequence_shape(a, b, &sq);
            if (n % rows < sq.rows)
                combine_row(a, b, bkv % p->heads_kv, &sq, n % rows,
                            partials + (size_t)bkv * per_head);
        }
    }
}

static int decode_forward(void *context, const attn_args *a) {
    const attn_problem *p = a->problem;
    if (attn_workspace_check(a, decode_workspace_size(context, p, a->threads)) != ATTN_OK)
        return ATTN_FAILED;
    attn_args f32;
    const attn_args *use = attn_f32_qo_views_begin(a, kernel_bytes(p, a->threads), &f32);
    decode_f32(use);
    attn_f32_views_end(a, use);
    return ATTN_OK;
}

const attn_impl attn_impl_decode = {
    ATTN_IMPL_HEADER,
    .name = "decode",
    .summary = "decode steps: a GQA group's rows as one tile, split-KV over OpenMP threads, "
               "exact LSE combine",
    .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL |
            ATTN_CAP_DV_DIFFERS | ATTN_CAP_LSE | ATTN_CAP_CUSTOM_SCALE | ATTN_CAP_STRIDES |
            ATTN_CAP_THREAD_INVARIANT | ATTN_CAP_BATCH_INVARIANT | ATTN_SEQUENCES_CAPS,
    .workspace_size = decode_workspace_size,
    .forward = decode_forward,
    .precisions = &attn_f32_compute_precision,
    .precision_count = 1,
};

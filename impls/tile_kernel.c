/* The fused attention kernel (tile_kernel.h): packs each query tile's queries, walks the
 * keys its rows can see through the vector operations of simd_ops.h, a few tiles abreast,
 * and writes normalised rows and LSE. */
#include "tile_kernel.h"

#include <math.h>
#include <string.h>
#include <unistd.h>

#define ROWS ATTN_TILE_ROWS
#define GROUP ATTN_ROW_GROUP
#define LOG2_E 1.4426950408889634
#define LN_2 0.6931471805599453

/* Keys per slice where a key tile crosses a mask edge. An edge moves one key per row, so
 * 16-key slices line up with 16-row groups and the groups that see none of a slice's
 * keys are skipped: a diagonal 64 x 64 tile costs 10 group-slices of 16 x 16, not 16. */
#define EDGE_SLICE ATTN_ROW_GROUP

/* One query tile's state, carved from the workspace. */
typedef struct tile_state {
    float *qt;       /* [D][ROWS] the tile's queries, transposed, times scale * log2(e) */
    float *ot;       /* [Dv][ROWS] the unnormalised output, transposed */
    float *m;        /* [ROWS] running row maximum of the scores (log2 units) */
    float *sum;      /* [ROWS] running sum of exp2(score - m) */
    float *rescale;  /* [ROWS] exp2(m_old - m_new) of the last key step */
    float *inverse;  /* [ROWS] 1 / sum at the end, 0 for rows that saw no key */
    int64_t *first;  /* [ROWS] first visible key of each row */
    int64_t *last;   /* [ROWS] one past the last visible key of each row */
    int64_t row0;    /* the tile holds rows [row0, row0 + rows) of the head */
    int64_t rows;    /* at most ROWS; lanes past it are padding */
    int64_t next;    /* the next key to visit */
    int64_t key_end; /* one past the last key any row of the tile sees */
} tile_state;

/* Where the steps read one of K and V: the caller's rows, or a dense copy of rows
 * [first, end) of them in a window of the workspace (see attn_tile_run). */
typedef struct row_source {
    const float *rows;   /* row `first` */
    int64_t stride;      /* distance between rows, in floats */
    int64_t first, end;  /* rows a window holds; first = 0 for the caller's rows */
    float *window;       /* NULL for the caller's rows */
    const float *source; /* the caller's rows, which a window copies */
    int64_t source_stride, width;
} row_source;

/* Rows a window holds, in key tiles: a pass needs up to two key tiles of rows, and the
 * slack lets it slide that many times before rows are moved back to its start. */
#define WINDOW_TILES 4

/* Scratch the tiles of one call share, one key step at a time. */
typedef struct step_scratch {
    float *s;           /* [key tile][ROWS] scores, then probabilities */
    int32_t *first_rel; /* [ROWS] first and last relative to the step's first key, */
    int32_t *last_rel;  /*        clamped to the step, for the mask operation */
    float *window_k;    /* [WINDOW_TILES * key tile][D] dense keys */
    float *window_v;    /* [WINDOW_TILES * key tile][Dv] dense values */
} step_scratch;

static size_t carve(const attn_problem *p, int64_t key_tile, char *base,
                    tile_state tiles[ATTN_TILES_PER_CALL], step_scratch *scratch) {
    const int64_t tile_count = attn_tiles_per_call(p);
    const size_t lane_floats = ROWS * sizeof(float);
    const int64_t key_rows = (key_tile + ATTN_KEY_GROUP - 1) / ATTN_KEY_GROUP * ATTN_KEY_GROUP;
    size_t offset = 0;
    for (int64_t i = 0; i < tile_count; i++) {
        tile_state *t = &tiles[i];
        t->qt = attn_workspace_take(base, &offset, (size_t)p->head_dim * lane_floats);
        t->ot = attn_workspace_take(base, &offset, (size_t)p->head_dim_v * lane_floats);
        t->m = attn_workspace_take(base, &offset, lane_floats);
        t->sum = attn_workspace_take(base, &offset, lane_floats);
        t->rescale = attn_workspace_take(base, &offset, lane_floats);
        t->inverse = attn_workspace_take(base, &offset, lane_floats);
        t->first = attn_workspace_take(base, &offset, ROWS * sizeof(int64_t));
        t->last = attn_workspace_take(base, &offset, ROWS * sizeof(int64_t));
    }
    scratch->s = attn_workspace_take(base, &offset, (size_t)key_rows * lane_floats);
    scratch->first_rel = attn_workspace_take(base, &offset, ROWS * sizeof(int32_t));
    scratch->last_rel = attn_workspace_take(base, &offset, ROWS * sizeof(int32_t));
    /* Windows serve calls of at least a full tile of rows (see attn_tile_run). */
    const size_t window_rows = p->seq_q >= ROWS ? (size_t)(WINDOW_TILES * key_tile) : 0;
    scratch->window_k =
        attn_workspace_take(base, &offset, window_rows * (size_t)p->head_dim * sizeof(float));
    scratch->window_v =
        attn_workspace_take(base, &offset, window_rows * (size_t)p->head_dim_v * sizeof(float));
    return offset;
}

/* Bytes of tile state (packed queries and output accumulators) the tiles of one call
 * may keep: half of L2, so they leave room for the key tiles, or 512 KiB where the C
 * library does not say. The tile count changes no result, only how often keys and
 * values are read. */
static int64_t tile_state_budget(void) {
    static int64_t budget; /* 0 until known; every thread stores the same value */
    int64_t known = __atomic_load_n(&budget, __ATOMIC_RELAXED);
    if (known == 0) {
#ifdef _SC_LEVEL2_CACHE_SIZE
        const long l2 = sysconf(_SC_LEVEL2_CACHE_SIZE);
#else
        const long l2 = 0;
#endif
        known = l2 > 0 ? l2 / 2 : 512 * 1024;
        __atomic_store_n(&budget, known, __ATOMIC_RELAXED);
    }
    return known;
}

int64_t attn_tiles_per_call(const attn_problem *p) {
    const int64_t per_tile = (p->head_dim + p->head_dim_v) * ROWS * (int64_t)sizeof(float);
    const int64_t fit = tile_state_budget() / per_tile;
    const int64_t most = fit < ATTN_MIN_TILES_PER_CALL ? ATTN_MIN_TILES_PER_CALL
                         : fit > ATTN_TILES_PER_CALL   ? ATTN_TILES_PER_CALL
                                                       : fit;
    const int64_t tiles = attn_tile_count(p); /* no state for tiles the problem lacks */
    return tiles < 1 ? 1 : tiles < most ? tiles : most;
}

size_t attn_tile_workspace_bytes(const attn_problem *p, int64_t key_tile) {
    tile_state unused[ATTN_TILES_PER_CALL];
    step_scratch scratch;
    return carve(p, key_tile, NULL, unused, &scratch);
}

/* Sets up query tile `tile`: row ranges, empty state, packed queries, and the key range
 * to walk, from its first row's first key to its last row's last key (row ranges only
 * move right as rows go down). */
static void start_tile(const attn_simd_ops *ops, const attn_problem *p, const attn_head *head,
                       int64_t tile, tile_state *t) {
    t->row0 = tile * ROWS;
    t->rows = p->seq_q - t->row0 < ROWS ? p->seq_q - t->row0 : ROWS;
    for (int64_t r = 0; r < ROWS; r++) {
        if (r < t->rows)
            attn_visible_keys(p, t->row0 + r, &t->first[r], &t->last[r]);
        else
            t->first[r] = t->last[r] = 0;
        t->m[r] = -INFINITY;
        t->sum[r] = 0.0f;
    }
    for (int64_t i = 0; i < p->head_dim_v * ROWS; i++)
        t->ot[i] = 0.0f;
    t->next = t->first[0];
    t->key_end = t->last[t->rows - 1];
    if (t->next < t->key_end)
        ops->pack_queries(t->qt, head->q + t->row0 * head->q_row, head->q_row, t->rows, p->head_dim,
                          (float)(p->scale * LOG2_E));
}

/* One step of a tile's walk over its keys: keys [key0, key0 + count), seen by the rows of
 * groups [group_first, group_end), with element masks when some of those rows do not see
 * all of the keys. */
typedef struct key_step {
    int64_t key0, count;
    int group_first, group_end;
    int masked;
} key_step;

/* The tile's next step: a whole key tile when no mask edge crosses it, else a slice,
 * trimmed to the row groups that see any of its keys. The rows seeing a key range are
 * contiguous, and a range is fully visible to rows [lo, hi) iff it lies inside both row
 * lo's and row hi - 1's ranges. The steps depend only on the tile, so a tile's result is
 * the same whichever tiles it is computed with. */
static key_step next_step(const tile_state *t, int64_t key_tile) {
    const int64_t key0 = t->next, rows = t->rows;
    key_step step = {.key0 = key0,
                     .count = t->key_end - key0 < key_tile ? t->key_end - key0 : key_tile};
    if (key0 < t->first[rows - 1] || key0 + step.count > t->last[0])
        step.count = step.count < EDGE_SLICE ? step.count : EDGE_SLICE;
    int64_t lo = 0, hi = rows;
    while (lo < hi && t->last[lo] <= key0)
        lo++;
    while (hi > lo && t->first[hi - 1] >= key0 + step.count)
        hi--;
    if (lo == hi)
        return step; /* no row sees these keys: no groups */
    step.group_first = (int)(lo / GROUP);
    step.group_end = (int)((hi + GROUP - 1) / GROUP);
    const int64_t top = step.group_first * GROUP;
    const int64_t bottom = (step.group_end * GROUP < rows ? step.group_end * GROUP : rows) - 1;
    step.masked = key0 < t->first[bottom] || key0 + step.count > t->last[top];
    return step;
}

static void apply_mask(const attn_simd_ops *ops, const tile_state *t, const step_scratch *scratch,
                       const key_step *step) {
    for (int r = 0; r < ROWS; r++) {
        scratch->first_rel[r] = (int32_t)attn_clamp_index(t->first[r] - step->key0, 0, step->count);
        scratch->last_rel[r] = (int32_t)attn_clamp_index(t->last[r] - step->key0, 0, step->count);
    }
    const int lane0 = step->group_first * GROUP;
    ops->mask(scratch->s + lane0, step->count, step->group_end - step->group_first,
              scratch->first_rel + lane0, scratch->last_rel + lane0);
}

static const float *row_at(const row_source *from, int64_t row) {
    return from->rows + (row - from->first) * from->stride;
}

static void attend_keys(const attn_simd_ops *ops, const attn_problem *p, const row_source *k,
                        const row_source *v, const tile_state *t, const step_scratch *scratch,
                        const key_step *step) {
    const int lane0 = step->group_first * GROUP;
    const int groups = step->group_end - step->group_first;
    float *s = scratch->s + lane0;
    ops->scores(t->qt + lane0, row_at(k, step->key0), k->stride, p->head_dim, step->count, groups,
                s);
    if (step->masked)
        apply_mask(ops, t, scratch, step);
    ops->softmax_step(s, step->count, groups, t->m + lane0, t->sum + lane0, t->rescale + lane0);
    ops->accumulate(s, row_at(v, step->key0), v->stride, p->head_dim_v, step->count, groups,
                    t->rescale + lane0, t->ot + lane0);
}

/* The caller's rows, or an empty window of their `width`-float rows when `windowed`. */
static row_source row_source_for(const float *rows, int64_t stride, int64_t width, int windowed,
                                 float *window) {
    if (!windowed)
        return (row_source){rows, stride, 0, 0, NULL, rows, stride, width};
    return (row_source){window, width, 0, 0, window, rows, stride, width};
}

/* Makes a window hold rows [from, to) of its source (to - from <= capacity), copying
 * each row in once while `from` only grows: rows already held stay, moved to the start
 * when the window must slide. Nothing to do for the caller's rows. */
static void cover_rows(const attn_simd_ops *ops, int64_t capacity, row_source *w, int64_t from,
                       int64_t to) {
    if (!w->window)
        return;
    const int64_t width = w->width;
    if (to > w->first + capacity) {
        const int64_t keep = w->end > from ? w->end - from : 0;
        if (keep > 0)
            memmove(w->window, w->window + (from - w->first) * width,
                    (size_t)(keep * width) * sizeof *w->window);
        w->first = from;
        w->end = from + keep;
    }
    if (to > w->end) {
        ops->gather_rows(w->window + (w->end - w->first) * width,
                         w->source + w->end * w->source_stride, w->source_stride, to - w->end,
                         width);
        w->end = to;
    }
}

/* Asks for the cache lines holding `rows` rows of `width` floats, `stride` floats apart,
 * to be brought into L2 (not L1, which holds the tiles). Dense rows are one range; rows
 * with gaps between them (BSHD, cache views) are fetched one by one, never the gaps. */
static void prefetch_to_l2(const float *from, int64_t rows, int64_t width, int64_t stride) {
    if (stride == width) {
        width *= rows;
        rows = 1;
    }
    for (int64_t r = 0; r < rows; r++) {
        const uintptr_t start = (uintptr_t)(from + r * stride);
        const uintptr_t end = (uintptr_t)(from + r * stride + width);
        for (uintptr_t line = start & ~(uintptr_t)63; line < end; line += 64)
            __builtin_prefetch((const void *)line, 0, 2);
    }
}

/* Prefetches keys and values [key0, key_end) clipped to the sequence. Long sequences
 * whose keys and values do not fit in the caches would otherwise wait on memory at
 * every key tile. */
static void prefetch_keys(const attn_problem *p, const attn_head *head, int64_t key0,
                          int64_t key_end) {
    key_end = key_end < p->seq_kv ? key_end : p->seq_kv;
    if (key0 >= key_end)
        return;
    prefetch_to_l2(head->k + key0 * head->k_row, key_end - key0, p->head_dim, head->k_row);
    prefetch_to_l2(head->v + key0 * head->v_row, key_end - key0, p->head_dim_v, head->v_row);
}

/* O = ot / sum and LSE = ln 2 * (m + log2 sum); a row that saw no key (sum = 0, since the
 * maximum's own term is 1 otherwise) gets O = 0 and LSE = -inf. */
static void store_rows(const attn_simd_ops *ops, const attn_problem *p, const attn_head *head,
                       const tile_state *t) {
    for (int64_t r = 0; r < t->rows; r++) {
        const float total = t->sum[r];
        t->inverse[r] = total > 0.0f ? 1.0f / total : 0.0f;
        if (head->lse)
            head->lse[(t->row0 + r) * head->lse_row] =
                total > 0.0f ? (float)(LN_2 * ((double)t->m[r] + log2((double)total))) : -INFINITY;
    }
    ops->unpack_rows(t->ot, p->head_dim_v, t->rows, t->inverse, head->o + t->row0 * head->o_row,
                     head->o_row);
}

/* The lowest key some tile still has to visit, or -1 when all are done. */
static int64_t lowest_pending_key(const tile_state *tiles, int64_t count) {
    int64_t lowest = -1;
    for (int64_t i = 0; i < count; i++)
        if (tiles[i].next < tiles[i].key_end && (lowest < 0 || tiles[i].next < lowest))
            lowest = tiles[i].next;
    return lowest;
}

void attn_tile_run(const attn_simd_ops *ops, const attn_problem *p, const attn_head *head,
                   int64_t tile_first, int64_t tile_count, int64_t key_tile, void *workspace) {
    tile_state tiles[ATTN_TILES_PER_CALL];
    step_scratch scratch;
    carve(p, key_tile, workspace, tiles, &scratch);
    /* Queries are read once: ask for all of them before the first tile waits on its. */
    const int64_t row_first = tile_first * ROWS;
    const int64_t row_end =
        (tile_first + tile_count) * ROWS < p->seq_q ? (tile_first + tile_count) * ROWS : p->seq_q;
    prefetch_to_l2(head->q + row_first * head->q_row, row_end - row_first, p->head_dim,
                   head->q_row);
    /* So are the first keys the call needs (those of its first row): they arrive while
     * the queries are packed. */
    int64_t first_key = 0, unused_end = 0;
    attn_visible_keys(p, row_first, &first_key, &unused_end);
    prefetch_keys(p, head, first_key, first_key + key_tile);
    for (int64_t i = 0; i < tile_count; i++)
        start_tile(ops, p, head, tile_first + i, &tiles[i]);
    /* Every row group of every tile reads a key step's keys and values again; rows with
     * gaps between them (2 KiB apart in BSHD with 8 heads of 64) fall into a few cache
     * sets, where they evict each other and the hardware fetches them far less well than
     * dense rows. When at least a full tile shares a step, its rows are copied into a
     * dense window once for all the tiles (a panel, as GEMM packs one): it changes no
     * result and needs O(key tile) memory, never a copy of the tensor. */
    const int shared = row_end - row_first >= ROWS;
    row_source k = row_source_for(head->k, head->k_row, p->head_dim,
                                  shared && head->k_row != p->head_dim, scratch.window_k);
    row_source v = row_source_for(head->v, head->v_row, p->head_dim_v,
                                  shared && head->v_row != p->head_dim_v, scratch.window_v);
    const int64_t capacity = WINDOW_TILES * key_tile;
    /* The tiles advance through the keys together, a key tile at a time, so each key
     * tile is fetched from memory once for all of them and then found in cache. */
    for (int64_t lowest; (lowest = lowest_pending_key(tiles, tile_count)) >= 0;) {
        const int64_t horizon = lowest + key_tile;
        prefetch_keys(p, head, horizon, horizon + key_tile);
        for (int64_t i = 0; i < tile_count; i++) {
            tile_state *t = &tiles[i];
            while (t->next < t->key_end && t->next < horizon) {
                const key_step step = next_step(t, key_tile);
                /* Steps start at `lowest` or later and hold at most key_tile keys, so a
                 * window of two key tiles from `lowest` holds every step of the pass. */
                const int64_t step_end = step.key0 + step.count;
                cover_rows(ops, capacity, &k, lowest, step_end);
                cover_rows(ops, capacity, &v, lowest, step_end);
                if (step.group_first < step.group_end)
                    attend_keys(ops, p, &k, &v, t, &scratch, &step);
                t->next += step.count;
            }
        }
    }
    for (int64_t i = 0; i < tile_count; i++)
        store_rows(ops, p, head, &tiles[i]);
}

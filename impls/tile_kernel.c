/* The fused attention kernel (tile_kernel.h): packs each query tile's queries, walks the
 * keys its rows can see through the vector operations of simd_ops.h, a few tiles abreast,
 * and writes normalised rows and LSE. */
#include "tile_kernel.h"

#include <math.h>

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

/* Scratch the tiles of one call share, one key step at a time. */
typedef struct step_scratch {
    float *s;           /* [key tile][ROWS] scores, then probabilities */
    int32_t *first_rel; /* [ROWS] first and last relative to the step's first key, */
    int32_t *last_rel;  /*        clamped to the step, for the mask operation */
} step_scratch;

/* Reserves bytes (rounded up to 64) at *offset from base; returns NULL when base is NULL,
 * which is how the size alone is computed. */
static void *take(char *base, size_t *offset, size_t bytes) {
    void *at = base ? base + *offset : NULL;
    *offset += (bytes + 63) / 64 * 64;
    return at;
}

static size_t carve(const attn_problem *p, int64_t key_tile, char *base,
                    tile_state tiles[ATTN_TILES_PER_CALL], step_scratch *scratch) {
    const size_t lane_floats = ROWS * sizeof(float);
    const int64_t key_rows = (key_tile + ATTN_KEY_GROUP - 1) / ATTN_KEY_GROUP * ATTN_KEY_GROUP;
    size_t offset = 0;
    for (int i = 0; i < ATTN_TILES_PER_CALL; i++) {
        tile_state *t = &tiles[i];
        t->qt = take(base, &offset, (size_t)p->head_dim * lane_floats);
        t->ot = take(base, &offset, (size_t)p->head_dim_v * lane_floats);
        t->m = take(base, &offset, lane_floats);
        t->sum = take(base, &offset, lane_floats);
        t->rescale = take(base, &offset, lane_floats);
        t->inverse = take(base, &offset, lane_floats);
        t->first = take(base, &offset, ROWS * sizeof(int64_t));
        t->last = take(base, &offset, ROWS * sizeof(int64_t));
    }
    scratch->s = take(base, &offset, (size_t)key_rows * lane_floats);
    scratch->first_rel = take(base, &offset, ROWS * sizeof(int32_t));
    scratch->last_rel = take(base, &offset, ROWS * sizeof(int32_t));
    return offset;
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

static int64_t clamp(int64_t x, int64_t lo, int64_t hi) {
    return x < lo ? lo : x > hi ? hi : x;
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
        scratch->first_rel[r] = (int32_t)clamp(t->first[r] - step->key0, 0, step->count);
        scratch->last_rel[r] = (int32_t)clamp(t->last[r] - step->key0, 0, step->count);
    }
    const int lane0 = step->group_first * GROUP;
    ops->mask(scratch->s + lane0, step->count, step->group_end - step->group_first,
              scratch->first_rel + lane0, scratch->last_rel + lane0);
}

static void attend_keys(const attn_simd_ops *ops, const attn_problem *p, const attn_head *head,
                        const tile_state *t, const step_scratch *scratch, const key_step *step) {
    const int64_t d = p->head_dim, dv = p->head_dim_v;
    const int lane0 = step->group_first * GROUP;
    const int groups = step->group_end - step->group_first;
    float *s = scratch->s + lane0;
    ops->scores(t->qt + lane0, head->k + step->key0 * head->k_row, head->k_row, d, step->count,
                groups, s);
    if (step->masked)
        apply_mask(ops, t, scratch, step);
    ops->softmax_step(s, step->count, groups, t->m + lane0, t->sum + lane0, t->rescale + lane0);
    ops->accumulate(s, head->v + step->key0 * head->v_row, head->v_row, dv, step->count, groups,
                    t->rescale + lane0, t->ot + lane0);
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
    for (int64_t i = 0; i < tile_count; i++)
        start_tile(ops, p, head, tile_first + i, &tiles[i]);
    /* The tiles advance through the keys together, a key tile at a time, so each key
     * tile is fetched from memory once for all of them and then found in cache. */
    for (int64_t lowest; (lowest = lowest_pending_key(tiles, tile_count)) >= 0;) {
        const int64_t horizon = lowest + key_tile;
        prefetch_keys(p, head, horizon, horizon + key_tile);
        for (int64_t i = 0; i < tile_count; i++) {
            tile_state *t = &tiles[i];
            while (t->next < t->key_end && t->next < horizon) {
                const key_step step = next_step(t, key_tile);
                if (step.group_first < step.group_end)
                    attend_keys(ops, p, head, t, &scratch, &step);
                t->next += step.count;
            }
        }
    }
    for (int64_t i = 0; i < tile_count; i++)
        store_rows(ops, p, head, &tiles[i]);
}

/* The fused attention kernel of one query tile (tile_kernel.h): packs the tile's queries,
 * walks the key tiles its rows can see through the vector operations of simd_ops.h, and
 * writes normalised rows and LSE. */
#include "tile_kernel.h"

#include <math.h>
#include <stdio.h>

#define ROWS ATTN_TILE_ROWS

#define GROUP ATTN_ROW_GROUP
#define LOG2_E 1.4426950408889634
#define LN_2 0.6931471805599453

/* Keys per slice where a key tile crosses a mask edge. An edge moves one key per row, so
 * 16-key slices line up with 16-row groups and the groups that see none of a slice's
 * keys are skipped: a diagonal 64 x 64 tile costs 10 group-slices of 16 x 16, not 16. */
#define EDGE_SLICE ATTN_ROW_GROUP

/* The workspace of one tile, carved from one 64-byte aligned block. */
typedef struct tile_workspace {
    float *qt;          /* [D][ROWS] the tile's queries, transposed, times scale * log2(e) */
    float *ot;          /* [Dv][ROWS] the unnormalised output, transposed */
    float *s;           /* [key tile][ROWS] scores, then probabilities, of one key tile */
    float *m;           /* [ROWS] running row maximum of the scores (log2 units) */
    float *sum;         /* [ROWS] running sum of exp2(score - m) */
    float *rescale;     /* [ROWS] exp2(m_old - m_new) of the last key tile */
    float *inverse;     /* [ROWS] 1 / sum at the end, 0 for rows that saw no key */
    int64_t *first;     /* [ROWS] first visible key of each row */
    int64_t *last;      /* [ROWS] one past the last visible key of each row */
    int32_t *first_rel; /* [ROWS] first and last, relative to the current key tile and */
    int32_t *last_rel;  /*        clamped to it, for the mask operation */
} tile_workspace;

/* Reserves bytes (rounded up to 64) at *offset from base; returns NULL when base is NULL,
 * which is how the size alone is computed. */
static void *take(char *base, size_t *offset, size_t bytes) {
    void *at = base ? base + *offset : NULL;
    *offset += (bytes + 63) / 64 * 64;
    return at;
}

static size_t carve(const attn_problem *p, int64_t key_tile, char *base, tile_workspace *w) {
    const size_t lane_floats = ROWS * sizeof(float);
    const int64_t key_rows = (key_tile + ATTN_KEY_GROUP - 1) / ATTN_KEY_GROUP * ATTN_KEY_GROUP;
    size_t offset = 0;
    w->qt = take(base, &offset, (size_t)p->head_dim * lane_floats);
    w->ot = take(base, &offset, (size_t)p->head_dim_v * lane_floats);
    w->s = take(base, &offset, (size_t)key_rows * lane_floats);
    w->m = take(base, &offset, lane_floats);
    w->sum = take(base, &offset, lane_floats);
    w->rescale = take(base, &offset, lane_floats);
    w->inverse = take(base, &offset, lane_floats);
    w->first = take(base, &offset, ROWS * sizeof(int64_t));
    w->last = take(base, &offset, ROWS * sizeof(int64_t));
    w->first_rel = take(base, &offset, ROWS * sizeof(int32_t));
    w->last_rel = take(base, &offset, ROWS * sizeof(int32_t));
    return offset;
}

size_t attn_tile_workspace_bytes(const attn_problem *p, int64_t key_tile) {
    tile_workspace unused;
    return carve(p, key_tile, NULL, &unused);
}

int attn_workspace_check(const attn_args *args, size_t needed) {
    if (args->workspace_size >= needed && (needed == 0 || args->workspace))
        return ATTN_OK;
    snprintf(args->message, args->message_size, "workspace of %zu bytes given, %zu needed",
             args->workspace_size, needed);
    return ATTN_FAILED;
}

/* The visible key range of every row; rows past the tile's end see nothing. */
static void row_bounds(const attn_problem *p, int64_t row0, int64_t rows, int64_t *first,
                       int64_t *last) {
    for (int64_t r = 0; r < ROWS; r++) {
        if (r < rows)
            attn_visible_keys(p, row0 + r, &first[r], &last[r]);
        else
            first[r] = last[r] = 0;
    }
}

static void reset_state(const tile_workspace *w, int64_t dv) {
    for (int r = 0; r < ROWS; r++) {
        w->m[r] = -INFINITY;
        w->sum[r] = 0.0f;
    }
    for (int64_t i = 0; i < dv * ROWS; i++)
        w->ot[i] = 0.0f;
}

static int64_t clamp(int64_t x, int64_t lo, int64_t hi) {
    return x < lo ? lo : x > hi ? hi : x;
}

/* One step of the walk over a tile's keys: keys [key0, key0 + count), seen by the rows of
 * groups [group_first, group_end), with element masks when some of those rows do not see
 * all of the keys. */
typedef struct key_step {
    int64_t key0, count;
    int group_first, group_end;
    int masked;
} key_step;

/* The next step from key0: a whole key tile when no mask edge crosses it, else a slice,
 * trimmed to the row groups that see any of its keys. Row ranges only move right as rows
 * go down, so the rows seeing a key range are contiguous, and a range is fully visible to
 * rows [lo, hi) iff it lies inside both row lo's and row hi - 1's ranges. */
static key_step next_step(const tile_workspace *w, int64_t rows, int64_t key0, int64_t key_end,
                          int64_t key_tile) {
    key_step step = {.key0 = key0, .count = key_end - key0 < key_tile ? key_end - key0 : key_tile};
    if (key0 < w->first[rows - 1] || key0 + step.count > w->last[0])
        step.count = step.count < EDGE_SLICE ? step.count : EDGE_SLICE;
    int64_t lo = 0, hi = rows;
    while (lo < hi && w->last[lo] <= key0)
        lo++;
    while (hi > lo && w->first[hi - 1] >= key0 + step.count)
        hi--;
    if (lo == hi)
        return step; /* no row sees these keys: no groups */
    step.group_first = (int)(lo / GROUP);
    step.group_end = (int)((hi + GROUP - 1) / GROUP);
    const int64_t top = step.group_first * GROUP;
    const int64_t bottom = (step.group_end * GROUP < rows ? step.group_end * GROUP : rows) - 1;
    step.masked = (key0 < w->first[bottom] || key0 + step.count > w->last[top]);
    return step;
}

static void apply_mask(const attn_simd_ops *ops, const tile_workspace *w, const key_step *step) {
    for (int r = 0; r < ROWS; r++) {
        w->first_rel[r] = (int32_t)clamp(w->first[r] - step->key0, 0, step->count);
        w->last_rel[r] = (int32_t)clamp(w->last[r] - step->key0, 0, step->count);
    }
    const int lane0 = step->group_first * GROUP;
    ops->mask(w->s + lane0, step->count, step->group_end - step->group_first,
              w->first_rel + lane0, w->last_rel + lane0);
}

static void attend_keys(const attn_simd_ops *ops, const attn_problem *p, const attn_head *head,
                        const tile_workspace *w, const key_step *step) {
    const int64_t d = p->head_dim, dv = p->head_dim_v;
    const int lane0 = step->group_first * GROUP;
    const int groups = step->group_end - step->group_first;
    ops->scores(w->qt + lane0, head->k + step->key0 * d, d, step->count, groups, w->s + lane0);
    if (step->masked)
        apply_mask(ops, w, step);
    ops->softmax_step(w->s + lane0, step->count, groups, w->m + lane0, w->sum + lane0,
                      w->rescale + lane0);
    ops->accumulate(w->s + lane0, head->v + step->key0 * dv, dv, step->count, groups,
                    w->rescale + lane0, w->ot + lane0);
}

/* O = ot / sum and LSE = ln 2 * (m + log2 sum); a row that saw no key (sum = 0, since the
 * maximum's own term is 1 otherwise) gets O = 0 and LSE = -inf. */
static void store_rows(const attn_simd_ops *ops, const tile_workspace *w, const attn_head *head,
                       int64_t row0, int64_t rows, int64_t dv) {
    for (int64_t r = 0; r < rows; r++) {
        const float total = w->sum[r];
        w->inverse[r] = total > 0.0f ? 1.0f / total : 0.0f;
        if (head->lse)
            head->lse[row0 + r] =
                total > 0.0f ? (float)(LN_2 * ((double)w->m[r] + log2((double)total)))
                             : -INFINITY;
    }
    ops->unpack_rows(w->ot, dv, rows, w->inverse, head->o + row0 * dv);
}

void attn_tile_run(const attn_simd_ops *ops, const attn_problem *p, const attn_head *head,
                   int64_t tile, int64_t key_tile, void *workspace) {
    const int64_t row0 = tile * ROWS;
    const int64_t rows = p->seq_q - row0 < ROWS ? p->seq_q - row0 : ROWS;
    tile_workspace w;
    carve(p, key_tile, workspace, &w);
    row_bounds(p, row0, rows, w.first, w.last);
    reset_state(&w, p->head_dim_v);
    /* The tile sees the keys from its first row's first key to its last row's last. */
    const int64_t key_first = w.first[0], key_end = w.last[rows - 1];
    if (key_first < key_end)
        ops->pack_queries(w.qt, head->q + row0 * p->head_dim, rows, p->head_dim,
                          (float)(p->scale * LOG2_E));
    for (int64_t key0 = key_first; key0 < key_end;) {
        const key_step step = next_step(&w, rows, key0, key_end, key_tile);
        if (step.group_first < step.group_end)
            attend_keys(ops, p, head, &w, &step);
        key0 += step.count;
    }
    store_rows(ops, &w, head, row0, rows, p->head_dim_v);
}

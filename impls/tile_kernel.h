/* The fused attention kernel shared by blocked, omp and local: tiles of ATTN_TILE_ROWS
 * query rows of one head, streamed over key tiles with the online softmax, so the score
 * matrix is never materialised and memory is O(tile). Internal to impls/.
 *
 * Only the key range some row of a tile can see is visited (fully masked tiles are never
 * computed); a key tile that a mask edge crosses is cut into 16-key slices computed only
 * for the 16-row groups that see them, with element masks. */
#ifndef ATTN_TILE_KERNEL_H
#define ATTN_TILE_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "attnbench.h"
#include "simd_ops.h"

/* One (batch, query head)'s tensors, with its key/value head already chosen. */
typedef struct attn_head {
    const float *q; /* [Nq][D] */
    const float *k; /* [Nkv][D] */
    const float *v; /* [Nkv][Dv] */
    float *o;       /* [Nq][Dv] */
    float *lse;     /* [Nq], or NULL */
} attn_head;

/* The tensors of query head h of batch b (grouped-query mapping of design.md). */
static inline attn_head attn_head_at(const attn_args *a, int64_t b, int64_t h) {
    const attn_problem *p = a->problem;
    const int64_t qh = b * p->heads_q + h;
    const int64_t kvh = b * p->heads_kv + h / (p->heads_q / p->heads_kv);
    attn_head head = {
        .q = a->q + qh * p->seq_q * p->head_dim,
        .k = a->k + kvh * p->seq_kv * p->head_dim,
        .v = a->v + kvh * p->seq_kv * p->head_dim_v,
        .o = a->o + qh * p->seq_q * p->head_dim_v,
        .lse = a->lse ? a->lse + qh * p->seq_q : NULL,
    };
    return head;
}

/* Query tiles per head. */
static inline int64_t attn_tile_count(const attn_problem *p) {
    return (p->seq_q + ATTN_TILE_ROWS - 1) / ATTN_TILE_ROWS;
}

/* The most query tiles one attn_tile_run computes together. */
#define ATTN_TILES_PER_CALL 4

/* Bytes of workspace one attn_tile_run needs (a multiple of 64) when keys are taken
 * key_tile at a time: O(ATTN_TILES_PER_CALL x ATTN_TILE_ROWS x (D + Dv + key_tile)). */
ATTN_INTERNAL size_t attn_tile_workspace_bytes(const attn_problem *p, int64_t key_tile);

/* Computes output rows (and LSE) of query tiles [tile_first, tile_first + tile_count) of
 * one head, tile_count <= ATTN_TILES_PER_CALL, taking keys key_tile at a time, with
 * workspace of attn_tile_workspace_bytes, 64-byte aligned. The tiles walk the keys
 * together, so keys and values come from memory once for all of them. A tile's result
 * depends only on the inputs, ops and key_tile: not on the tiles it is computed with,
 * nor on the thread. */
ATTN_INTERNAL void attn_tile_run(const attn_simd_ops *ops, const attn_problem *p,
                                 const attn_head *head, int64_t tile_first, int64_t tile_count,
                                 int64_t key_tile, void *workspace);

/* A unit of parallel work: consecutive query tiles of one (batch, head). */
typedef struct attn_tile_item {
    int64_t batch, head, tile_first, tile_count;
} attn_tile_item;

/* Tiles per work item: ATTN_TILES_PER_CALL (so they share key traffic) unless that
 * leaves fewer than 8 items per thread to balance. */
static inline int64_t attn_tiles_per_item(const attn_problem *p, int threads) {
    const int64_t per_item = p->batch * p->heads_q * attn_tile_count(p) / (8 * (int64_t)threads);
    return per_item < 1 ? 1 : per_item > ATTN_TILES_PER_CALL ? ATTN_TILES_PER_CALL : per_item;
}

static inline int64_t attn_items_per_head(const attn_problem *p, int64_t tiles_per_item) {
    return (attn_tile_count(p) + tiles_per_item - 1) / tiles_per_item;
}

/* Work item `index` of B * Hq * attn_items_per_head; with last_rows_first, the items of a
 * head go from its last rows to its first. */
static inline attn_tile_item attn_item_at(const attn_problem *p, int64_t tiles_per_item,
                                          int64_t index, int last_rows_first) {
    const int64_t per_head = attn_items_per_head(p, tiles_per_item);
    const int64_t head_index = index / per_head;
    const int64_t within = last_rows_first ? per_head - 1 - index % per_head : index % per_head;
    const int64_t first = within * tiles_per_item, tiles = attn_tile_count(p);
    attn_tile_item item = {
        .batch = head_index / p->heads_q,
        .head = head_index % p->heads_q,
        .tile_first = first,
        .tile_count = tiles - first < tiles_per_item ? tiles - first : tiles_per_item,
    };
    return item;
}

/* Writes why into args->message and returns ATTN_FAILED when the workspace given is
 * smaller than needed; ATTN_OK otherwise. */
ATTN_INTERNAL int attn_workspace_check(const attn_args *args, size_t needed);

#endif

/* The fused attention kernel shared by blocked, omp and local: one tile of
 * ATTN_TILE_ROWS query rows of one head, streamed over key tiles with the online softmax,
 * so the score matrix is never materialised and memory is O(tile). Internal to impls/.
 *
 * Only the key range some row of the tile can see is visited (masked tiles are never
 * computed); element masks are applied only on tiles that straddle a mask edge. */
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

/* Bytes of workspace one attn_tile_run needs (a multiple of 64) when keys are taken
 * key_tile at a time. */
ATTN_INTERNAL size_t attn_tile_workspace_bytes(const attn_problem *p, int64_t key_tile);

/* Computes output rows [tile * ATTN_TILE_ROWS, ...) of one head (and their LSE), taking
 * keys key_tile at a time, with workspace of attn_tile_workspace_bytes, 64-byte aligned.
 * The result depends only on the inputs, ops and key_tile, never on the caller. */
ATTN_INTERNAL void attn_tile_run(const attn_simd_ops *ops, const attn_problem *p,
                                 const attn_head *head, int64_t tile, int64_t key_tile,
                                 void *workspace);

/* Writes why into args->message and returns ATTN_FAILED when the workspace given is
 * smaller than needed; ATTN_OK otherwise. */
ATTN_INTERNAL int attn_workspace_check(const attn_args *args, size_t needed);

#endif

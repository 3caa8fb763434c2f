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
#include "workspace.h"

/* One (batch, query head)'s tensors, with its key/value head already chosen: the start of
 * row 0 of each and the distance between rows, in elements (a row's elements are
 * contiguous). */
typedef struct attn_head {
    const float *q; /* Nq rows of D */
    const float *k; /* Nkv rows of D */
    const float *v; /* Nkv rows of Dv */
    float *o;       /* Nq rows of Dv */
    float *lse;     /* Nq values, or NULL */
    int64_t q_row, k_row, v_row, o_row, lse_row;
} attn_head;

/* The tensors of query head h of batch b (grouped-query mapping of design.md). */
static inline attn_head attn_head_at(const attn_args *a, int64_t b, int64_t h) {
    const attn_problem *p = a->problem;
    const int64_t kv = h / (p->heads_q / p->heads_kv);
    attn_head head = {
        .q = attn_f32_row(&a->q, b, h, 0),
        .k = attn_f32_row(&a->k, b, kv, 0),
        .v = attn_f32_row(&a->v, b, kv, 0),
        .o = attn_f32_row(&a->o, b, h, 0),
        .lse = a->lse.data ? attn_f32_row(&a->lse, b, h, 0) : NULL,
        .q_row = a->q.stride[2],
        .k_row = a->k.stride[2],
        .v_row = a->v.stride[2],
        .o_row = a->o.stride[2],
        .lse_row = a->lse.stride[2],
    };
    return head;
}

/* Query tiles per head. */
static inline int64_t attn_tile_count(const attn_problem *p) {
    return (p->seq_q + ATTN_TILE_ROWS - 1) / ATTN_TILE_ROWS;
}

/* The most, and the fewest a full run gets, of query tiles one attn_tile_run computes
 * together: the more tiles share each key step, the fewer times the keys and values
 * are read from memory. */
#define ATTN_TILES_PER_CALL 32
#define ATTN_MIN_TILES_PER_CALL 4

/* Query tiles per attn_tile_run for this problem: as many as keep their state within
 * half of L2 per core, from ATTN_MIN_TILES_PER_CALL to ATTN_TILES_PER_CALL (with 1 MiB
 * of L2: 16 at D = Dv = 64, 8 at 128, 4 from 256; with 2 MiB twice as many, to 32), and
 * never more than the problem has. */
ATTN_INTERNAL int64_t attn_tiles_per_call(const attn_problem *p);

/* Keys per key tile of blocked, omp and local: scores of 64 x 64 stay in L1 next to the
 * packed queries. One value for all three keeps their results bitwise the same. */
#define ATTN_KEY_TILE 64

/* Bytes of workspace one attn_tile_run needs (a multiple of 64) when keys are taken
 * key_tile at a time: O(attn_tiles_per_call x ATTN_TILE_ROWS x (D + Dv + key_tile)). */
ATTN_INTERNAL size_t attn_tile_workspace_bytes(const attn_problem *p, int64_t key_tile);

/* Computes output rows (and LSE) of query tiles [tile_first, tile_first + tile_count) of
 * one head, tile_count <= attn_tiles_per_call(p), taking keys key_tile at a time, with
 * workspace of attn_tile_workspace_bytes, 64-byte aligned. The tiles walk the keys
 * together, so keys and values come from memory once for all of them. A tile's result
 * depends only on the inputs, ops and key_tile: not on the tiles it is computed with,
 * nor on the thread. */
ATTN_INTERNAL void attn_tile_run(const attn_simd_ops *ops, const attn_problem *p,
                                 const attn_head *head, int64_t tile_first, int64_t tile_count,
                                 int64_t key_tile, void *workspace);

/* How attn_tile_parallel deals its work items, runs of up to attn_tiles_per_call query
 * tiles of one (batch, head), to the OpenMP threads. */
typedef enum attn_tile_schedule {
    /* Handed out as threads free up; under a mask where later rows see more keys (causal)
     * a head's last rows go first, so the schedule ends on the shortest items. */
    ATTN_SCHEDULE_DYNAMIC,
    /* Item i to thread i % threads, with no shared counter: for windows, where every item
     * costs the same and a thread's consecutive items share most of their keys. */
    ATTN_SCHEDULE_ROUND_ROBIN,
} attn_tile_schedule;

/* Bytes of workspace attn_tile_parallel needs: one attn_tile_run slice per thread. */
ATTN_INTERNAL size_t attn_tile_parallel_workspace_bytes(const attn_problem *p, int threads);

/* Computes the whole of args with attn_tile_run on args->threads OpenMP threads, keys
 * ATTN_KEY_TILE at a time. The result is bitwise the same for every schedule and thread
 * count: each tile is computed by one thread from start to end. */
ATTN_INTERNAL void attn_tile_parallel(const attn_args *args, attn_tile_schedule schedule);

#endif

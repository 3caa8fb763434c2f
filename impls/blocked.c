/* blocked: single-threaded fused attention. Query tiles of 64 rows, up to 32 abreast, stream
 * over key tiles of 64 with the online softmax (tile_kernel.h), so no score matrix is
 * materialised and scratch memory is O(tile) whatever the sequence length; AVX-512
 * micro-kernels when the CPU has them (ATTNBENCH_NO_SIMD=1 forces the portable path).
 * Ignores args->threads. */
#include "attnbench.h"
#include "sequences.h"
#include "tile_kernel.h"

static size_t blocked_workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context;
    (void)threads;
    return attn_tile_workspace_bytes(p, ATTN_KEY_TILE) + attn_sequences_gather_bytes(p);
}

static int blocked_forward(void *context, const attn_args *a) {
    if (a->problem->ragged)
        return attn_sequences_forward(context, a, blocked_forward);
    const attn_problem *p = a->problem;
    if (attn_workspace_check(a, blocked_workspace_size(context, p, 1)) != ATTN_OK)
        return ATTN_FAILED;
    const attn_simd_ops *ops = attn_simd_ops_select();
    const int64_t tiles = attn_tile_count(p), per_call = attn_tiles_per_call(p);
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->heads_q; h++) {
            const attn_head head = attn_head_at(a, b, h);
            for (int64_t t = 0; t < tiles; t += per_call)
                attn_tile_run(ops, p, &head, t, tiles - t < per_call ? tiles - t : per_call,
                              ATTN_KEY_TILE, a->workspace);
        }
    return ATTN_OK;
}

const attn_impl attn_impl_blocked = {
    ATTN_IMPL_HEADER,
    .name = "blocked",
    .summary = "1 thread, 64x64 tiles, online softmax, O(tile) memory, AVX-512 or portable",
    .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL |
            ATTN_CAP_DV_DIFFERS | ATTN_CAP_LSE | ATTN_CAP_CUSTOM_SCALE | ATTN_CAP_STRIDES |
            ATTN_CAP_THREAD_INVARIANT | ATTN_CAP_BATCH_INVARIANT | ATTN_SEQUENCES_CAPS,
    .workspace_size = blocked_workspace_size,
    .forward = blocked_forward,
};

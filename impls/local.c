/* local: sliding-window attention that visits only the keys inside each query's window:
 * each 64-row query tile walks just the band of keys its rows can see (the fused kernel
 * of tile_kernel.h, whose mask edges are cut to 16 x 16 blocks), so time grows as
 * Nq x window x D, not Nq x Nkv. Under a window every tile costs the same, so tiles are
 * dealt round-robin to OpenMP threads (a fixed schedule with no shared counter) and a
 * thread's consecutive tiles share most of their keys in its cache. Global and causal
 * masks are full attention here and still correct. Bitwise reproducible for any thread
 * count, and bitwise the same as omp: each tile is computed by one thread. */
#include "attnbench.h"
#include "sequences.h"
#include "f32_views.h"
#include "tile_kernel.h"

static size_t local_workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context;
    return attn_tile_parallel_workspace_bytes(p, threads) + attn_f32_views_size(p) +
           attn_sequences_gather_bytes(p);
}

static int local_forward(void *context, const attn_args *a) {
    if (a->problem->ragged)
        return attn_sequences_forward(context, a, local_forward);
    if (attn_workspace_check(a, local_workspace_size(context, a->problem, a->threads)) != ATTN_OK)
        return ATTN_FAILED;
    attn_args f32;
    const attn_args *use =
        attn_f32_views_begin(a, attn_tile_parallel_workspace_bytes(a->problem, a->threads), &f32);
    attn_tile_parallel(use, ATTN_SCHEDULE_ROUND_ROBIN);
    attn_f32_views_end(a, use);
    return ATTN_OK;
}

const attn_impl attn_impl_local = {
    ATTN_IMPL_HEADER,
    .name = "local",
    .summary = "sliding window: each query tile visits only its band of keys, OpenMP",
    .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL |
            ATTN_CAP_DV_DIFFERS | ATTN_CAP_LSE | ATTN_CAP_CUSTOM_SCALE | ATTN_CAP_STRIDES |
            ATTN_CAP_THREAD_INVARIANT | ATTN_CAP_BATCH_INVARIANT | ATTN_SEQUENCES_CAPS,
    .workspace_size = local_workspace_size,
    .forward = local_forward,
    .precisions = &attn_f32_compute_precision,
    .precision_count = 1,
};

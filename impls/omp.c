/* omp: the fused kernel of blocked (tile_kernel.h) spread over OpenMP threads, one work
 * item per (batch, head, run of up to 32 query tiles), scheduled dynamically, a head's
 * last rows first when they see the most keys (causal). Each tile is computed by one
 * thread from start to end with no cross-thread reduction, so the output is bitwise the
 * same for every thread count and every run. Never calls BLAS. */
#include "attnbench.h"
#include "sequences.h"
#include "f32_views.h"
#include "tile_kernel.h"

static size_t omp_workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context;
    return attn_tile_parallel_workspace_bytes(p, threads) + attn_f32_views_size(p) +
           attn_sequences_gather_bytes(p);
}

static int omp_forward(void *context, const attn_args *a) {
    if (a->problem->ragged)
        return attn_sequences_forward(context, a, omp_forward);
    if (attn_workspace_check(a, omp_workspace_size(context, a->problem, a->threads)) != ATTN_OK)
        return ATTN_FAILED;
    attn_args f32;
    const attn_args *use =
        attn_f32_views_begin(a, attn_tile_parallel_workspace_bytes(a->problem, a->threads), &f32);
    attn_tile_parallel(use, ATTN_SCHEDULE_DYNAMIC);
    attn_f32_views_end(a, use);
    return ATTN_OK;
}

const attn_impl attn_impl_omp = {
    ATTN_IMPL_HEADER,
    .name = "omp",
    .summary = "blocked's fused kernel on OpenMP threads over (batch, head, query tiles)",
    .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL |
            ATTN_CAP_DV_DIFFERS | ATTN_CAP_LSE | ATTN_CAP_CUSTOM_SCALE | ATTN_CAP_STRIDES |
            ATTN_CAP_THREAD_INVARIANT | ATTN_CAP_BATCH_INVARIANT | ATTN_SEQUENCES_CAPS,
    .workspace_size = omp_workspace_size,
    .forward = omp_forward,
    .precisions = &attn_f32_compute_precision,
    .precision_count = 1,
};

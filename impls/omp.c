/* omp: the fused kernel of blocked (tile_kernel.h) spread over OpenMP threads, one work
 * item per (batch, head, run of up to 4 query tiles), scheduled dynamically. Each tile is
 * computed by one thread from start to end with no cross-thread reduction, so the output
 * is bitwise the same for every thread count and every run. Never calls BLAS. */
#include "attnbench.h"
#include "tile_kernel.h"

#include <omp.h>

#define OMP_KEY_TILE 64

static size_t omp_workspace_size(const attn_problem *p, int threads) {
    return attn_tile_workspace_bytes(p, OMP_KEY_TILE) * (size_t)(threads > 0 ? threads : 1);
}

static int omp_forward(const attn_args *a) {
    const attn_problem *p = a->problem;
    const int threads = a->threads > 0 ? a->threads : 1;
    if (attn_workspace_check(a, omp_workspace_size(p, threads)) != ATTN_OK)
        return ATTN_FAILED;
    const attn_simd_ops *ops = attn_simd_ops_select();
    const size_t slice = attn_tile_workspace_bytes(p, OMP_KEY_TILE);
    const int64_t per_item = attn_tiles_per_item(p, threads);
    const int64_t items = p->batch * p->heads_q * attn_items_per_head(p, per_item);
    /* When later rows see more keys (a right bound and no left bound, as causal), hand out
     * the last rows first: the dynamic schedule then ends on the shortest items. */
    const int last_rows_first = p->window_right >= 0 && p->window_left < 0;
    char *workspace = a->workspace;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int64_t index = 0; index < items; index++) {
        const attn_tile_item item = attn_item_at(p, per_item, index, last_rows_first);
        const attn_head head = attn_head_at(a, item.batch, item.head);
        attn_tile_run(ops, p, &head, item.tile_first, item.tile_count, OMP_KEY_TILE,
                      workspace + (size_t)omp_get_thread_num() * slice);
    }
    return ATTN_OK;
}

const attn_impl attn_impl_omp = {
    .abi_version = ATTN_ABI_VERSION,
    .name = "omp",
    .summary = "blocked's fused kernel on OpenMP threads over (batch, head, query tiles)",
    .caps = ATTN_CAP_ALL,
    .workspace_size = omp_workspace_size,
    .forward = omp_forward,
};

/* omp: the fused kernel of blocked (tile_kernel.h) spread over OpenMP threads, one work
 * item per (batch, head, query tile), scheduled dynamically. Each tile is computed by one
 * thread from start to end with no cross-thread reduction, so the output is bitwise the
 * same for every thread count and every run. Never calls BLAS. */
#include "attnbench.h"
#include "tile_kernel.h"

#include <omp.h>

#define OMP_KEY_TILE 64

static size_t omp_workspace_size(const attn_problem *p, int threads) {
    return attn_tile_workspace_bytes(p, OMP_KEY_TILE) * (size_t)(threads > 0 ? threads : 1);
}

/* The query tile of work item `item` (of `tiles` per head). When later rows see more
 * keys (a right bound and no left bound, e.g. causal), tiles go last row first, so the
 * dynamic schedule hands out the longest items first and ends on the shortest. */
static int64_t tile_of_item(const attn_problem *p, int64_t item, int64_t tiles) {
    const int64_t t = item % tiles;
    const int later_rows_heavier = p->window_right >= 0 && p->window_left < 0;
    return later_rows_heavier ? tiles - 1 - t : t;
}

static int omp_forward(const attn_args *a) {
    const attn_problem *p = a->problem;
    const int threads = a->threads > 0 ? a->threads : 1;
    if (attn_workspace_check(a, omp_workspace_size(p, threads)) != ATTN_OK)
        return ATTN_FAILED;
    const attn_simd_ops *ops = attn_simd_ops_select();
    const size_t slice = attn_tile_workspace_bytes(p, OMP_KEY_TILE);
    const int64_t tiles = attn_tile_count(p);
    const int64_t items = p->batch * p->heads_q * tiles;
    char *workspace = a->workspace;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
    for (int64_t item = 0; item < items; item++) {
        const int64_t head_index = item / tiles;
        const attn_head head = attn_head_at(a, head_index / p->heads_q, head_index % p->heads_q);
        attn_tile_run(ops, p, &head, tile_of_item(p, item, tiles), OMP_KEY_TILE,
                      workspace + (size_t)omp_get_thread_num() * slice);
    }
    return ATTN_OK;
}

const attn_impl attn_impl_omp = {
    .abi_version = ATTN_ABI_VERSION,
    .name = "omp",
    .summary = "blocked's fused kernel on OpenMP threads over (batch, head, query tile)",
    .caps = ATTN_CAP_ALL,
    .workspace_size = omp_workspace_size,
    .forward = omp_forward,
};

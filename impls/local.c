/* local: sliding-window attention that visits only the keys inside each query's window:
 * each 64-row query tile walks just the band of keys its rows can see (the fused kernel
 * of tile_kernel.h, whose mask edges are cut to 16 x 16 blocks), so time grows as
 * Nq x window x D, not Nq x Nkv. Under a window every tile costs the same, so tiles are
 * dealt round-robin to OpenMP threads (a fixed schedule with no shared counter) and a
 * thread's consecutive tiles share most of their keys in its cache. Global and causal
 * masks are full attention here and still correct. Bitwise reproducible for any thread
 * count: each tile is computed by one thread. */
#include "attnbench.h"
#include "tile_kernel.h"

#include <omp.h>

#define LOCAL_KEY_TILE 64

static size_t local_workspace_size(const attn_problem *p, int threads) {
    return attn_tile_workspace_bytes(p, LOCAL_KEY_TILE) * (size_t)(threads > 0 ? threads : 1);
}

static int local_forward(const attn_args *a) {
    const attn_problem *p = a->problem;
    const int threads = a->threads > 0 ? a->threads : 1;
    if (attn_workspace_check(a, local_workspace_size(p, threads)) != ATTN_OK)
        return ATTN_FAILED;
    const attn_simd_ops *ops = attn_simd_ops_select();
    const size_t slice = attn_tile_workspace_bytes(p, LOCAL_KEY_TILE);
    const int64_t per_item = attn_tiles_per_item(p, threads);
    const int64_t items = p->batch * p->heads_q * attn_items_per_head(p, per_item);
    char *workspace = a->workspace;
#pragma omp parallel for num_threads(threads) schedule(static, 1)
    for (int64_t index = 0; index < items; index++) {
        const attn_tile_item item = attn_item_at(p, per_item, index, 0);
        const attn_head head = attn_head_at(a, item.batch, item.head);
        attn_tile_run(ops, p, &head, item.tile_first, item.tile_count, LOCAL_KEY_TILE,
                      workspace + (size_t)omp_get_thread_num() * slice);
    }
    return ATTN_OK;
}

const attn_impl attn_impl_local = {
    .abi_version = ATTN_ABI_VERSION,
    .name = "local",
    .summary = "sliding window: each query tile visits only its band of keys, OpenMP",
    .caps = ATTN_CAP_ALL,
    .workspace_size = local_workspace_size,
    .forward = local_forward,
};

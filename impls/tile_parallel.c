/* The OpenMP driver omp and local share (tile_kernel.h): cuts every head's query tiles
 * into work items and deals them to threads, each running attn_tile_run on its own slice
 * of the workspace. */
#include "tile_kernel.h"

#include <omp.h>

/* A unit of parallel work: consecutive query tiles of one (batch, head). */
typedef struct tile_item {
    int64_t batch, head, tile_first, tile_count;
} tile_item;

static int thread_count(int threads) {
    return threads > 0 ? threads : 1;
}

/* Tiles per work item: attn_tiles_per_call (so they share key traffic) unless that
 * leaves fewer than 8 items per thread to balance. */
static int64_t tiles_per_item(const attn_problem *p, int threads) {
    const int64_t per_item = p->batch * p->heads_q * attn_tile_count(p) / (8 * (int64_t)threads);
    const int64_t most = attn_tiles_per_call(p);
    return per_item < 1 ? 1 : per_item > most ? most : per_item;
}

static int64_t items_per_head(const attn_problem *p, int64_t per_item) {
    return (attn_tile_count(p) + per_item - 1) / per_item;
}

/* Work item `index` of B * Hq * items_per_head; with last_rows_first, the items of a
 * head go from its last rows to its first. */
static tile_item item_at(const attn_problem *p, int64_t per_item, int64_t index,
                         int last_rows_first) {
    const int64_t per_head = items_per_head(p, per_item);
    const int64_t head_index = index / per_head;
    const int64_t within = last_rows_first ? per_head - 1 - index % per_head : index % per_head;
    const int64_t first = within * per_item, tiles = attn_tile_count(p);
    tile_item item = {
        .batch = head_index / p->heads_q,
        .head = head_index % p->heads_q,
        .tile_first = first,
        .tile_count = tiles - first < per_item ? tiles - first : per_item,
    };
    return item;
}

static void run_item(const attn_simd_ops *ops, const attn_args *a, int64_t per_item, int64_t index,
                     int last_rows_first, void *slice) {
    const tile_item item = item_at(a->problem, per_item, index, last_rows_first);
    const attn_head head = attn_head_at(a, item.batch, item.head);
    attn_tile_run(ops, a->problem, &head, item.tile_first, item.tile_count, ATTN_KEY_TILE, slice);
}

size_t attn_tile_parallel_workspace_bytes(const attn_problem *p, int threads) {
    return attn_tile_workspace_bytes(p, ATTN_KEY_TILE) * (size_t)thread_count(threads);
}

void attn_tile_parallel(const attn_args *a, attn_tile_schedule schedule) {
    const attn_problem *p = a->problem;
    const int threads = thread_count(a->threads);
    const attn_simd_ops *ops = attn_simd_ops_select();
    const size_t slice = attn_tile_workspace_bytes(p, ATTN_KEY_TILE);
    const int64_t per_item = tiles_per_item(p, threads);
    const int64_t items = p->batch * p->heads_q * items_per_head(p, per_item);
    char *workspace = a->workspace;
    /* A schedule clause takes no run-time kind (short of schedule(runtime), which would
     * read OMP_SCHEDULE), hence one loop per schedule. */
    if (schedule == ATTN_SCHEDULE_DYNAMIC) {
        const int last_rows_first = p->window_right >= 0 && p->window_left < 0;
#pragma omp parallel for num_threads(threads) schedule(dynamic, 1)
        for (int64_t index = 0; index < items; index++)
            run_item(ops, a, per_item, index, last_rows_first,
                     workspace + (size_t)omp_get_thread_num() * slice);
    } else {
#pragma omp parallel for num_threads(threads) schedule(static, 1)
        for (int64_t index = 0; index < items; index++)
            run_item(ops, a, per_item, index, 0, workspace + (size_t)omp_get_thread_num() * slice);
    }
}

/* attn_args from an arena and a layout. */
#include "call_args.h"

#include "serving.h"

static void *region(const attn_arena *arena, attn_region_id id) {
    return attn_arena_data(arena, id);
}

attn_args attn_call_args(const attn_arena *arena, const attn_case_layout *l,
                         const attn_problem *problem, int threads, bool want_lse, char *message,
                         size_t message_size) {
    attn_args args = {
        .struct_size = sizeof(attn_args),
        .threads = threads,
        .problem = problem,
        .q = attn_layout_tensor(&l->t[ATTN_TENSOR_Q], region(arena, ATTN_REGION_Q)),
        .k = attn_layout_tensor(&l->t[ATTN_TENSOR_K], region(arena, ATTN_REGION_K)),
        .v = attn_layout_tensor(&l->t[ATTN_TENSOR_V], region(arena, ATTN_REGION_V)),
        .o = attn_layout_tensor(&l->t[ATTN_TENSOR_O], region(arena, ATTN_REGION_O)),
        .lse = attn_layout_tensor(&l->t[ATTN_TENSOR_LSE],
                                  want_lse ? region(arena, ATTN_REGION_LSE) : NULL),
        .workspace = attn_arena_data(arena, ATTN_REGION_WORKSPACE),
        .workspace_size = arena->layout.data_bytes[ATTN_REGION_WORKSPACE],
        .message = message,
        .message_size = message_size,
    };
    const char *tables = attn_arena_data(arena, ATTN_REGION_SEQUENCES);
    if (problem->ragged && tables) {
        attn_serving_region r;
        attn_serving_region_of(problem, &r);
        args.cu_seqlens_q = (const int64_t *)(const void *)(tables + r.cu_q);
        args.seqlens_kv = (const int64_t *)(const void *)(tables + r.lens_kv);
        if (problem->kv_storage == ATTN_KV_PACKED)
            args.cu_seqlens_kv = (const int64_t *)(const void *)(tables + r.cu_kv);
        if (problem->kv_storage == ATTN_KV_PAGED)
            args.block_table = (const int32_t *)(const void *)(tables + r.table);
    }
    return args;
}

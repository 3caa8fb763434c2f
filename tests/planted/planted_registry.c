/* The registry of the test-only binary attnbench-planted: naive as the control, then
 * every planted bug. */
#include "../../impls/registry.h"

extern const attn_impl attn_impl_naive, attn_planted_bug_no_scale, attn_planted_bug_no_max_shift,
    attn_planted_bug_window_edge, attn_planted_bug_causal_top_left, attn_planted_bug_gqa_map,
    attn_planted_bug_unwritten_row, attn_planted_bug_nan_empty_rows,
    attn_planted_bug_split_kv_rescale, attn_planted_bug_score_scratch, attn_planted_bug_dim_tail,
    attn_planted_bug_late_batch, attn_planted_bug_window_tile_edge, attn_planted_bug_bf16_probs,
    attn_planted_bug_nondeterministic, attn_planted_bug_thread_variant,
    attn_planted_bug_batch_variant, attn_planted_serving_control, attn_planted_bug_split_combine,
    attn_planted_bug_block_table_edge, attn_planted_bug_last_page_overread,
    attn_planted_bug_sequence_unwritten;

static const attn_impl *const all[] = {
    &attn_impl_naive,
    &attn_planted_bug_no_scale,
    &attn_planted_bug_no_max_shift,
    &attn_planted_bug_window_edge,
    &attn_planted_bug_causal_top_left,
    &attn_planted_bug_gqa_map,
    &attn_planted_bug_unwritten_row,
    &attn_planted_bug_nan_empty_rows,
    &attn_planted_bug_split_kv_rescale,
    &attn_planted_bug_score_scratch,
    &attn_planted_bug_dim_tail,
    &attn_planted_bug_late_batch,
    &attn_planted_bug_window_tile_edge,
    &attn_planted_bug_bf16_probs,
    &attn_planted_bug_nondeterministic,
    &attn_planted_bug_thread_variant,
    &attn_planted_bug_batch_variant,
    &attn_planted_serving_control,
    &attn_planted_bug_split_combine,
    &attn_planted_bug_block_table_edge,
    &attn_planted_bug_last_page_overread,
    &attn_planted_bug_sequence_unwritten,
};

const attn_impl *const *attn_registry(size_t *count) {
    *count = sizeof all / sizeof all[0];
    return all;
}

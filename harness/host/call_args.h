/* The arguments of forward calls on the tensors of an arena (arena.h) laid out by a
 * layout (layout.h): built the same way in attnbench and in a worker. */
#ifndef ATTN_CALL_ARGS_H
#define ATTN_CALL_ARGS_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "attnbench.h"
#include "layout.h"

attn_args attn_call_args(const attn_arena *arena, const attn_case_layout *layout,
                         const attn_problem *problem, int threads, bool want_lse, char *message,
                         size_t message_size);

#endif

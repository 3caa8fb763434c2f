/* What every planted-bug implementation shares about element types: reduced types go
 * through float32 copies (impls/f32_views.h), as in naive, so that each bug is judged at
 * every type under naive's contract (every stage f32, O rounded to its type). */
#ifndef ATTN_PLANTED_TYPES_H
#define ATTN_PLANTED_TYPES_H

#include "attnbench.h"
#include "f32_views.h"

/* forward(args, bug) on float32 copies of a's tensors when they are not all f32. */
static inline int planted_typed_forward(const attn_args *a, int (*forward)(const attn_args *, int),
                                        int bug) {
    attn_args f32;
    const attn_args *use = attn_f32_views_begin(a, 0, &f32);
    const int rc = forward(use, bug);
    attn_f32_views_end(a, use);
    return rc;
}

/* The workspace those copies take. */
static inline size_t planted_workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context;
    (void)threads;
    return attn_f32_views_size(p);
}

#endif

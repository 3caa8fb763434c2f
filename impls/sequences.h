/* Ragged problems (attnbench.h, "Ragged batches and KV caches") for built-ins that
 * compute uniform ones: each sequence becomes a call of its own (batch 1, its own query
 * and key counts) on views of the tensors, with no copy for a batched or packed cache; a
 * paged cache's pages are first gathered into contiguous rows in the workspace. A
 * sequence without keys gets O = 0 and LSE = -inf directly. Internal to impls/. */
#ifndef ATTN_SEQUENCES_H
#define ATTN_SEQUENCES_H

#include <stddef.h>

#include "attnbench.h"

/* Workspace for the gathered pages of one sequence (0 unless p is ragged and paged). */
size_t attn_sequences_gather_bytes(const attn_problem *p);

/* Calls forward(context, args) for every sequence of a's ragged problem with a uniform
 * problem and the workspace minus the gathered pages' part (kept at its end). Returns the
 * first status other than ATTN_OK, else ATTN_OK. */
int attn_sequences_forward(void *context, const attn_args *a,
                           int (*forward)(void *context, const attn_args *args));

/* The capabilities such a built-in adds. */
#define ATTN_SEQUENCES_CAPS (ATTN_CAP_RAGGED | ATTN_CAP_KV_PACKED | ATTN_CAP_KV_PAGED)

#endif

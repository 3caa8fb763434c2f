/* The tables of a ragged case (attnbench.h, "Ragged batches and KV caches"): each
 * sequence's query and key counts, the packed offsets, and for a paged KV cache the block
 * table, with the sequences' pages scattered over the pool in a seeded order so that
 * unused pages lie between used ones. */
#ifndef ATTN_SERVING_H
#define ATTN_SERVING_H

#include <stddef.h>
#include <stdint.h>

#include "error.h"
#include "problem.h"

typedef struct attn_serving {
    int64_t batch;
    int64_t *len_q, *len_kv; /* [B] */
    int64_t *cu_q, *cu_kv;   /* [B + 1]: prefix sums of the counts */
    int32_t *table;          /* [B][pages_per_seq] when paged, else NULL */
    int64_t pages_per_seq, page_count, page_size;
} attn_serving;

/* The tables of ragged case c (its problem's page_count and pages_per_seq included). */
int attn_serving_make(const attn_case *c, attn_serving *s, attn_error *err);
void attn_serving_free(attn_serving *s);

/* attn_case_sequence_offsets of sequence b, from the prefix sums (no walk over the batch). */
void attn_serving_offsets(const attn_serving *s, const attn_problem *p, int64_t b,
                          attn_sequence_offsets *at);

/* Where the tables sit in the bytes handed to an implementation (the arena's sequence
 * region): cu_seqlens_q, cu_seqlens_kv and seqlens_kv (int64), then the block table
 * (int32), each 64-byte aligned. Offsets from the region start; bytes in all. */
typedef struct attn_serving_region {
    size_t cu_q, cu_kv, lens_kv, table, bytes;
} attn_serving_region;
void attn_serving_region_of(const attn_problem *p, attn_serving_region *r);
/* Writes s's tables into region (attn_serving_region_of(p).bytes bytes). */
void attn_serving_store(const attn_serving *s, const attn_problem *p, void *region);

#endif

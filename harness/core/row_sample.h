/* Which output rows are compared with the float64 reference when a case is too long for
 * all of them: a documented selection that reaches the rows where kernels switch paths.
 * Rows outside it are still required to be written and finite. */
#ifndef ATTN_ROW_SAMPLE_H
#define ATTN_ROW_SAMPLE_H

#include <stdbool.h>
#include <stddef.h>

#include "problem.h"

/* Reference work (multiply-adds, B Hq Nq Nkv (D + Dv)) up to which every row is
 * compared; above it, the sample below. */
#define ATTN_FULL_REFERENCE_WORK 2.0e8

/* The most (batch, query head) pairs a sample visits. */
#define ATTN_SAMPLE_MAX_PAIRS 12

/* The selection, per visited pair:
 *   pairs  every (b, h) when B Hq <= ATTN_SAMPLE_MAX_PAIRS, else that many spread evenly
 *          over the flat index b Hq + h (first and last included), so different batch
 *          entries, kv groups and heads within a group are reached;
 *   rows   every row when Nq <= 32; else rows 0, 1, 2, Nq/2, Nq-3..Nq-1; t-1, t, t+1 for
 *          every power of two t from 16 below Nq; one row either side of each mask edge
 *          (first row seeing a key, where the left edge leaves key 0, where the right edge
 *          reaches the last key); for dist=spikes the rows whose window edge falls on a
 *          spike key or next to one; and 8 rows bits(seed, stream 5, n) mod Nq, n = 0..7
 * (generate.h). */
typedef struct attn_row_sample {
    bool full;               /* every row is verified; verified is NULL */
    unsigned char *verified; /* [B Hq Nq]: 1 for a verified row */
    size_t rows, total;      /* verified rows, all rows */
    size_t pairs;            /* (b, h) pairs visited */
} attn_row_sample;

/* The rows of c to verify. Returns -1 only when memory runs out. */
int attn_row_sample_choose(const attn_case *c, attn_row_sample *sample, attn_error *err);

/* The sampled rows of a pair whose kv block (b Hkv + kv head) is block, sorted and
 * distinct (at most capacity). */
size_t attn_row_sample_rows(const attn_case *c, uint64_t block, int64_t *rows, size_t capacity);

/* Multiply-adds of the full reference of c. */
double attn_reference_work(const attn_problem *p);
/* The same over a case's sequences (ragged cases: the sum of each sequence's). A ragged
 * case's sample is each sequence's own (as a case of batch 1), in sequence order. */
double attn_case_reference_work(const attn_case *c);

void attn_row_sample_free(attn_row_sample *sample);

#endif

/* The reference rows of recent verifications, kept for the next one on the same inputs:
 * bench verifies every implementation and thread count of a case (and bench --serve
 * every item of a tracking run) against the same rows, which cost far more to compute
 * than the kernels they judge. Entries are found by the reference's parameters, the rows
 * listed and a hash of the inputs' bits; the oldest go once the cache passes its size.
 * Not thread-safe: the harness verifies from one thread. */
#ifndef ATTN_REFERENCE_CACHE_H
#define ATTN_REFERENCE_CACHE_H

#include <stddef.h>

#include "reference.h"

/* Rows rows[0..count) as attn_reference_listed_rows gives them, owned by the cache and
 * valid until the next call. */
typedef struct attn_cached_rows {
    const double *o, *o_tol;     /* [count][Dv] */
    const double *lse, *lse_tol; /* [count] */
} attn_cached_rows;

/* q, k, v hold q_count, k_count, v_count floats. Returns 0, or -1 when out of memory. */
int attn_reference_rows_cached(const attn_ref_params *params, const float *q, size_t q_count,
                               const float *k, size_t k_count, const float *v, size_t v_count,
                               const size_t *rows, size_t count, attn_cached_rows *out);

/* Lookups answered from the cache and computed, since the start (for tests). */
void attn_reference_cache_counts(size_t *hits, size_t *misses);

/* Frees every entry. */
void attn_reference_cache_clear(void);

#endif

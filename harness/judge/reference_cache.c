/* The reference rows of recent verifications (reference_cache.h). */
#include "reference_cache.h"

#include <stdint.h>
#include <stdlib.h>
#include <string.h>

/* The cache holds at most this many bytes of rows; the newest entry is kept even when it
 * alone is larger. */
#define CACHE_BYTES ((size_t)256 << 20)
#define CACHE_ENTRIES 64

typedef struct entry {
    attn_ref_params params;
    uint64_t inputs_hash;
    size_t q_count, k_count, v_count;
    size_t *rows;
    size_t count, bytes;
    double *o, *o_tol, *lse, *lse_tol;
} entry;

static entry entries[CACHE_ENTRIES]; /* oldest first */
static size_t entry_count, hits, misses;

static uint64_t mix(uint64_t h, uint64_t word) {
    h ^= word;
    h *= UINT64_C(0x9fb21c651e98df25);
    return h ^ (h >> 29);
}

/* A 64-bit hash of n floats' bits, four independent lanes so that it runs near memory
 * speed on the caches of long decode cases. */
static uint64_t hash_floats(const float *x, size_t n, uint64_t seed) {
    uint64_t lane[4] = {seed, seed ^ 1, seed ^ 2, seed ^ 3};
    size_t at = 0;
    for (; at + 8 <= n; at += 8)
        for (int l = 0; l < 4; l++) {
            uint64_t word;
            memcpy(&word, x + at + 2 * l, sizeof word);
            lane[l] = mix(lane[l], word);
        }
    uint64_t h = mix(seed, n);
    for (; at < n; at++) {
        uint32_t bits;
        memcpy(&bits, x + at, sizeof bits);
        h = mix(h, bits);
    }
    for (int l = 0; l < 4; l++)
        h = mix(h, lane[l]);
    return h;
}

static void free_entry(entry *e) {
    free(e->rows);
    free(e->o);
    free(e->o_tol);
    free(e->lse);
    free(e->lse_tol);
    memset(e, 0, sizeof *e);
}

static void drop_oldest(void) {
    free_entry(&entries[0]);
    memmove(entries, entries + 1, (entry_count - 1) * sizeof *entries);
    entry_count--;
    memset(&entries[entry_count], 0, sizeof entries[entry_count]);
}

static void give(const entry *e, attn_cached_rows *out) {
    *out = (attn_cached_rows){e->o, e->o_tol, e->lse, e->lse_tol};
}

int attn_reference_rows_cached(const attn_ref_params *params, const float *q, size_t q_count,
                               const float *k, size_t k_count, const float *v, size_t v_count,
                               const size_t *rows, size_t count, attn_cached_rows *out) {
    const uint64_t h = hash_floats(
        v, v_count, hash_floats(k, k_count, hash_floats(q, q_count, UINT64_C(0x51ed27))));
    for (size_t n = entry_count; n-- > 0;) {
        const entry *e = &entries[n];
        if (e->inputs_hash == h && e->count == count && e->q_count == q_count &&
            e->k_count == k_count && e->v_count == v_count &&
            memcmp(&e->params, params, sizeof *params) == 0 &&
            memcmp(e->rows, rows, count * sizeof *rows) == 0) {
            hits++;
            give(e, out);
            return 0;
        }
    }
    misses++;
    const size_t dv = (size_t)(params->head_dim_v > 0 ? params->head_dim_v : 1);
    const size_t slots = count ? count : 1;
    entry e = {.params = *params,
               .inputs_hash = h,
               .q_count = q_count,
               .k_count = k_count,
               .v_count = v_count,
               .count = count,
               .bytes = slots * (2 * dv + 2) * sizeof(double) + slots * sizeof(size_t)};
    e.rows = malloc(slots * sizeof *e.rows);
    e.o = malloc(slots * dv * sizeof *e.o);
    e.o_tol = malloc(slots * dv * sizeof *e.o_tol);
    e.lse = malloc(slots * sizeof *e.lse);
    e.lse_tol = malloc(slots * sizeof *e.lse_tol);
    if (!e.rows || !e.o || !e.o_tol || !e.lse || !e.lse_tol ||
        attn_reference_listed_rows(params, q, k, v, rows, count, e.o, e.o_tol, e.lse, e.lse_tol)) {
        free_entry(&e);
        return -1;
    }
    memcpy(e.rows, rows, count * sizeof *rows);
    size_t held = e.bytes;
    for (size_t n = 0; n < entry_count; n++)
        held += entries[n].bytes;
    while (entry_count > 0 && (entry_count == CACHE_ENTRIES || held > CACHE_BYTES)) {
        held -= entries[0].bytes;
        drop_oldest();
    }
    entries[entry_count++] = e;
    give(&entries[entry_count - 1], out);
    return 0;
}

void attn_reference_cache_counts(size_t *hit_count, size_t *miss_count) {
    *hit_count = hits;
    *miss_count = misses;
}

void attn_reference_cache_clear(void) {
    while (entry_count > 0)
        drop_oldest();
}

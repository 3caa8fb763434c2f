/* The AVX512-BF16 micro-kernels of omp_bf16 (vdpbf16ps: two bf16 products summed into an
 * f32 lane). Queries, probabilities and values are held as pairs of bf16 in one 32-bit
 * lane, rows across lanes as in simd_ops.h: a pair of head-dim elements for scores, a pair
 * of keys for the PV product. Internal to impls/. */
#ifndef ATTN_BF16_OPS_H
#define ATTN_BF16_OPS_H

#include <stdbool.h>
#include <stdint.h>

#include "simd_ops.h"

/* Pairs of the head dimension (D rounded up to even, over 2). */
static inline int64_t attn_bf16_pairs(int64_t d) {
    return (d + 1) / 2;
}

typedef struct attn_bf16_ops {
    /* qt[c2][r] = (q[r][2 c2], q[r][2 c2 + 1]) for r < rows, 0 after; an odd D's last pair
     * holds 0 above it. qt is [pairs(d)][ATTN_TILE_ROWS] 32-bit lanes. */
    void (*pack_queries)(uint32_t *qt, const uint16_t *q, int64_t q_stride, int64_t rows,
                         int64_t d);
    /* s[j][r] = factor * sum_c q[r][c] k[j][c] for j < key_count, `groups` row vectors:
     * s is [round_up(key_count, ATTN_KEY_GROUP)][ATTN_TILE_ROWS]. */
    void (*scores)(const uint32_t *qt, const uint16_t *k, int64_t k_stride, int64_t d,
                   int64_t key_count, int groups, float factor, float *s);
    /* ot[c][r] = ot[c][r] * rescale[r] + sum_j bf16(p[j][r]) v[j][c]: p rounded to bf16
     * (the contract's prob stage). pairs is scratch of [(key_count + 1) / 2][ROWS] lanes,
     * vpairs of [(key_count + 1) / 2][dv]. */
    void (*accumulate)(const float *p, const uint16_t *v, int64_t v_stride, int64_t dv,
                       int64_t key_count, int groups, const float *rescale, float *ot,
                       uint32_t *pairs, uint32_t *vpairs);
} attn_bf16_ops;

/* The table, or NULL when the CPU (or the compiler) has no AVX512-BF16, or when
 * ATTNBENCH_NO_SIMD is set. */
ATTN_INTERNAL const attn_bf16_ops *attn_bf16_ops_select(void);

#endif

/* AVX512-BF16 micro-kernels (bf16_ops.h), compiled with per-function target attributes
 * and used only where the CPU reports avx512_bf16. */
#include "bf16_ops.h"

#include <stdlib.h>
#include <string.h>

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>

#define BF16 __attribute__((target("avx512f,avx512bw,avx512bf16,fma")))
#define INLINE static inline __attribute__((always_inline))
#define ROWS ATTN_TILE_ROWS
#define GROUP ATTN_ROW_GROUP
#define KEYS_PER_BLOCK(groups) ((groups) <= 2 ? ATTN_KEY_GROUP : 4)
#define COLUMNS_PER_BLOCK(groups) ((groups) <= 2 ? 8 : 4)

static uint32_t pair_at(const uint16_t *row, int64_t c2, int64_t d) {
    const uint32_t low = row[2 * c2];
    const uint32_t high = 2 * c2 + 1 < d ? row[2 * c2 + 1] : 0u; /* never past the row */
    return low | high << 16;
}

static void bf16_pack_queries(uint32_t *qt, const uint16_t *q, int64_t q_stride, int64_t rows,
                              int64_t d) {
    const int64_t pairs = attn_bf16_pairs(d);
    for (int64_t c2 = 0; c2 < pairs; c2++)
        for (int64_t r = 0; r < ROWS; r++)
            qt[c2 * ROWS + r] = r < rows ? pair_at(q + r * q_stride, c2, d) : 0u;
}

BF16 INLINE __m512 dot_pairs(__m512 acc, __m512i a, __m512i b) {
    return _mm512_dpbf16_ps(acc, (__m512bh)a, (__m512bh)b);
}

/* A key's pair c2 as a broadcast: a 4-byte load, or for an odd D's last pair the one
 * element zero-extended (the element after it is the next row or poisoned padding). */
BF16 INLINE __m512i key_pair(const uint16_t *key, int64_t c2, int64_t d) {
    if (2 * c2 + 1 < d) {
        uint32_t word;
        memcpy(&word, key + 2 * c2, sizeof word);
        return _mm512_set1_epi32((int)word);
    }
    return _mm512_set1_epi32((int)key[2 * c2]);
}

BF16 INLINE void scores_block(const uint32_t *qt, const uint16_t *const *key, int64_t d, int keys,
                              int groups, __m512 factor, float *s) {
    __m512 acc[ATTN_KEY_GROUP][ATTN_TILE_GROUPS];
#pragma GCC unroll 8
    for (int g = 0; g < keys; g++)
#pragma GCC unroll 4
        for (int v = 0; v < groups; v++)
            acc[g][v] = _mm512_setzero_ps();
    const int64_t pairs = attn_bf16_pairs(d), full = d / 2;
    for (int64_t c2 = 0; c2 < pairs; c2++) {
        __m512i q[ATTN_TILE_GROUPS];
#pragma GCC unroll 4
        for (int v = 0; v < groups; v++)
            q[v] = _mm512_load_si512(qt + c2 * ROWS + GROUP * v);
#pragma GCC unroll 8
        for (int g = 0; g < keys; g++) {
            __m512i b;
            if (c2 < full) {
                uint32_t word;
                memcpy(&word, key[g] + 2 * c2, sizeof word);
                b = _mm512_set1_epi32((int)word);
            } else {
                b = key_pair(key[g], c2, d);
            }
#pragma GCC unroll 4
            for (int v = 0; v < groups; v++)
                acc[g][v] = dot_pairs(acc[g][v], q[v], b);
        }
    }
#pragma GCC unroll 8
    for (int g = 0; g < keys; g++)
#pragma GCC unroll 4
        for (int v = 0; v < groups; v++)
            _mm512_store_ps(s + g * ROWS + GROUP * v, _mm512_mul_ps(acc[g][v], factor));
}

BF16 INLINE void scores_body(const uint32_t *qt, const uint16_t *k, int64_t k_stride, int64_t d,
                             int64_t key_count, int groups, float factor, float *s) {
    const int keys = KEYS_PER_BLOCK(groups);
    const __m512 by = _mm512_set1_ps(factor);
    for (int64_t j = 0; j < key_count; j += keys) {
        const uint16_t *key[ATTN_KEY_GROUP];
#pragma GCC unroll 8
        for (int g = 0; g < keys; g++) /* past the end: repeat the last key (scratch rows) */
            key[g] = k + (j + g < key_count ? j + g : key_count - 1) * k_stride;
        scores_block(qt, key, d, keys, groups, by, s + j * ROWS);
    }
}

BF16 static void bf16_scores(const uint32_t *qt, const uint16_t *k, int64_t k_stride, int64_t d,
                             int64_t key_count, int groups, float factor, float *s) {
    switch (groups) {
    case 1:
        scores_body(qt, k, k_stride, d, key_count, 1, factor, s);
        break;
    case 2:
        scores_body(qt, k, k_stride, d, key_count, 2, factor, s);
        break;
    case 3:
        scores_body(qt, k, k_stride, d, key_count, 3, factor, s);
        break;
    default:
        scores_body(qt, k, k_stride, d, key_count, 4, factor, s);
        break;
    }
}

/* Probabilities of keys 2 j2 and 2 j2 + 1 of each row rounded to bf16 (ties to even) and
 * interleaved into one lane per row; a missing second key counts 0. */
BF16 static void pack_probabilities(const float *p, int64_t key_count, int groups,
                                    uint32_t *pairs) {
    static const int16_t order[32] = {0, 16, 1, 17, 2,  18, 3,  19, 4,  20, 5,  21, 6,  22, 7,  23,
                                      8, 24, 9, 25, 10, 26, 11, 27, 12, 28, 13, 29, 14, 30, 15, 31};
    const __m512i interleave = _mm512_loadu_si512(order);
    for (int64_t j = 0; j < key_count; j += 2)
        for (int v = 0; v < groups; v++) {
            const __m512 first = _mm512_load_ps(p + j * ROWS + GROUP * v);
            const __m512 second = j + 1 < key_count ? _mm512_load_ps(p + (j + 1) * ROWS + GROUP * v)
                                                    : _mm512_setzero_ps();
            const __m512i both = (__m512i)_mm512_cvtne2ps_pbh(second, first);
            _mm512_store_si512(pairs + (j / 2) * ROWS + GROUP * v,
                               _mm512_permutexvar_epi16(interleave, both));
        }
}

/* Values of keys 2 j2 and 2 j2 + 1 interleaved per column: vpairs[j2][c]. */
BF16 static void pack_values(const uint16_t *v, int64_t v_stride, int64_t dv, int64_t key_count,
                             uint32_t *vpairs) {
    /* unpacklo/hi_epi16 interleave within 128-bit lanes; these put the columns back in
     * order: output column c from lo (c % 8 < 4) or hi (c % 8 >= 4), lane c / 8. */
    static const int32_t first_half[16] = {0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23};
    static const int32_t second_half[16] = {8,  9,  10, 11, 24, 25, 26, 27,
                                            12, 13, 14, 15, 28, 29, 30, 31};
    const __m512i low_order = _mm512_loadu_si512(first_half);
    const __m512i high_order = _mm512_loadu_si512(second_half);
    for (int64_t j = 0; j < key_count; j += 2) {
        const uint16_t *a = v + j * v_stride;
        const uint16_t *b = j + 1 < key_count ? v + (j + 1) * v_stride : NULL;
        uint32_t *out = vpairs + (j / 2) * dv;
        for (int64_t c = 0; c < dv; c += 32) {
            const int64_t width = dv - c < 32 ? dv - c : 32;
            const __mmask32 lanes = width == 32 ? 0xFFFFFFFFu : (__mmask32)((1u << width) - 1u);
            const __m512i x = _mm512_maskz_loadu_epi16(lanes, a + c);
            const __m512i y = b ? _mm512_maskz_loadu_epi16(lanes, b + c) : _mm512_setzero_si512();
            const __m512i lo = _mm512_unpacklo_epi16(x, y), hi = _mm512_unpackhi_epi16(x, y);
            const __m512i cols0 = _mm512_permutex2var_epi32(lo, low_order, hi);
            const __m512i cols1 = _mm512_permutex2var_epi32(lo, high_order, hi);
            const __mmask16 first16 =
                width >= 16 ? (__mmask16)0xFFFF : (__mmask16)((1u << width) - 1u);
            _mm512_mask_storeu_epi32(out + c, first16, cols0);
            if (width > 16)
                _mm512_mask_storeu_epi32(out + c + 16,
                                         width == 32 ? (__mmask16)0xFFFF
                                                     : (__mmask16)((1u << (width - 16)) - 1u),
                                         cols1);
        }
    }
}

BF16 INLINE void accumulate_block(const uint32_t *pairs, const uint32_t *vpairs, int64_t dv,
                                  int64_t pair_count, const __m512 *factor, float *ot, int64_t c0,
                                  int width, int groups) {
    __m512 acc[8][ATTN_TILE_GROUPS];
#pragma GCC unroll 8
    for (int i = 0; i < width; i++)
#pragma GCC unroll 4
        for (int w = 0; w < groups; w++)
            acc[i][w] = _mm512_mul_ps(_mm512_load_ps(ot + (c0 + i) * ROWS + GROUP * w), factor[w]);
    for (int64_t j2 = 0; j2 < pair_count; j2++) {
        __m512i pj[ATTN_TILE_GROUPS];
#pragma GCC unroll 4
        for (int w = 0; w < groups; w++)
            pj[w] = _mm512_load_si512(pairs + j2 * ROWS + GROUP * w);
        const uint32_t *value = vpairs + j2 * dv + c0;
#pragma GCC unroll 8
        for (int i = 0; i < width; i++) {
            const __m512i b = _mm512_set1_epi32((int)value[i]);
#pragma GCC unroll 4
            for (int w = 0; w < groups; w++)
                acc[i][w] = dot_pairs(acc[i][w], pj[w], b);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < width; i++)
#pragma GCC unroll 4
        for (int w = 0; w < groups; w++)
            _mm512_store_ps(ot + (c0 + i) * ROWS + GROUP * w, acc[i][w]);
}

BF16 INLINE void accumulate_body(const uint32_t *pairs, const uint32_t *vpairs, int64_t dv,
                                 int64_t pair_count, const float *rescale, float *ot, int groups) {
    __m512 factor[ATTN_TILE_GROUPS];
#pragma GCC unroll 4
    for (int w = 0; w < groups; w++)
        factor[w] = _mm512_load_ps(rescale + GROUP * w);
    const int columns = COLUMNS_PER_BLOCK(groups);
    int64_t c = 0;
    for (; c + columns <= dv; c += columns)
        accumulate_block(pairs, vpairs, dv, pair_count, factor, ot, c, columns, groups);
    for (; c < dv; c++)
        accumulate_block(pairs, vpairs, dv, pair_count, factor, ot, c, 1, groups);
}

BF16 static void bf16_accumulate(const float *p, const uint16_t *v, int64_t v_stride, int64_t dv,
                                 int64_t key_count, int groups, const float *rescale, float *ot,
                                 uint32_t *pairs, uint32_t *vpairs) {
    pack_probabilities(p, key_count, groups, pairs);
    pack_values(v, v_stride, dv, key_count, vpairs);
    const int64_t pair_count = (key_count + 1) / 2;
    switch (groups) {
    case 1:
        accumulate_body(pairs, vpairs, dv, pair_count, rescale, ot, 1);
        break;
    case 2:
        accumulate_body(pairs, vpairs, dv, pair_count, rescale, ot, 2);
        break;
    case 3:
        accumulate_body(pairs, vpairs, dv, pair_count, rescale, ot, 3);
        break;
    default:
        accumulate_body(pairs, vpairs, dv, pair_count, rescale, ot, 4);
        break;
    }
}

static const attn_bf16_ops bf16_ops = {
    .pack_queries = bf16_pack_queries,
    .scores = bf16_scores,
    .accumulate = bf16_accumulate,
};

const attn_bf16_ops *attn_bf16_ops_select(void) {
    static int usable = -1;
    if (usable < 0) {
        const char *off = getenv("ATTNBENCH_NO_SIMD");
        usable = __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bw") &&
                 __builtin_cpu_supports("avx512bf16") && !(off && off[0] && strcmp(off, "0") != 0);
    }
    return usable ? &bf16_ops : NULL;
}

#else

const attn_bf16_ops *attn_bf16_ops_select(void) {
    return NULL;
}

#endif

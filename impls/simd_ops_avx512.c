/* The AVX-512 table of attention vector operations (simd_ops.h): register-blocked FMA
 * micro-kernels and a polynomial exp2. Compiled with per-function target attributes, so
 * the file needs no special flags and the table is used only where the CPU has AVX-512F
 * (simd_ops.c decides). */
#include "simd_ops.h"

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))

#include <immintrin.h>
#include <stdbool.h>
#include <stddef.h>

#include "attnbench.h"

#define AVX512 __attribute__((target("avx512f,fma")))
#define INLINE static inline __attribute__((always_inline))
#define NOINLINE static __attribute__((noinline))
#define ROWS ATTN_TILE_ROWS
#define GROUP ATTN_ROW_GROUP

/* Register blocks of about 16 accumulators: keys per block of the scores kernel and
 * output columns per block of the accumulate kernel, for `groups` vectors of rows. */
#define KEYS_PER_BLOCK(groups) ((groups) <= 2 ? ATTN_KEY_GROUP : 4)
#define COLUMNS_PER_BLOCK(groups) ((groups) <= 2 ? 8 : 4)

/* 2^x with a few ulp of error: x = n + f with n an integer and |f| <= 1/2, 2^f from the
 * degree-6 polynomial of Cephes' exp2f, then scaled by 2^n. Clamping at -200 first makes
 * -inf (masked scores) come out as exactly 0 instead of NaN. */
AVX512 INLINE __m512 exp2_ps(__m512 x) {
    x = _mm512_max_ps(x, _mm512_set1_ps(-200.0f));
    const __m512 n = _mm512_roundscale_ps(x, _MM_FROUND_TO_NEAREST_INT | _MM_FROUND_NO_EXC);
    const __m512 f = _mm512_sub_ps(x, n);
    __m512 p = _mm512_set1_ps(1.535336188319500e-4f);
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.339887440266574e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(9.618437357674640e-3f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(5.550332471162809e-2f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(2.402264791363012e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(6.931472028550421e-1f));
    p = _mm512_fmadd_ps(p, f, _mm512_set1_ps(1.0f));
    return _mm512_scalef_ps(p, n);
}

/* Lanes [0, n) of a 16-lane mask, n < 16. */
static inline __mmask16 first_lanes(int64_t n) {
    return (__mmask16)((1u << n) - 1u);
}

/* Transposes a 16 x 16 block held as 16 row vectors, in place: 32-bit, then 64-bit
 * interleaves within 128-bit lanes, then a 4 x 4 transpose of the lanes. */
AVX512 INLINE void transpose16(__m512 x[16]) {
    __m512 t[16], u[16];
#pragma GCC unroll 16
    for (int i = 0; i < 8; i++) {
        t[2 * i] = _mm512_unpacklo_ps(x[2 * i], x[2 * i + 1]);
        t[2 * i + 1] = _mm512_unpackhi_ps(x[2 * i], x[2 * i + 1]);
    }
#pragma GCC unroll 16
    for (int i = 0; i < 4; i++) {
        const __m512d a = _mm512_castps_pd(t[4 * i]), b = _mm512_castps_pd(t[4 * i + 2]);
        const __m512d c = _mm512_castps_pd(t[4 * i + 1]), d = _mm512_castps_pd(t[4 * i + 3]);
        u[4 * i] = _mm512_castpd_ps(_mm512_unpacklo_pd(a, b));
        u[4 * i + 1] = _mm512_castpd_ps(_mm512_unpackhi_pd(a, b));
        u[4 * i + 2] = _mm512_castpd_ps(_mm512_unpacklo_pd(c, d));
        u[4 * i + 3] = _mm512_castpd_ps(_mm512_unpackhi_pd(c, d));
    }
    /* u[4i + k], lane L, holds rows 4i..4i+3 of column 4L + k. */
#pragma GCC unroll 16
    for (int k = 0; k < 4; k++) {
        const __m512 low01 = _mm512_shuffle_f32x4(u[k], u[4 + k], 0x44);
        const __m512 high01 = _mm512_shuffle_f32x4(u[k], u[4 + k], 0xEE);
        const __m512 low23 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0x44);
        const __m512 high23 = _mm512_shuffle_f32x4(u[8 + k], u[12 + k], 0xEE);
        x[k] = _mm512_shuffle_f32x4(low01, low23, 0x88);
        x[4 + k] = _mm512_shuffle_f32x4(low01, low23, 0xDD);
        x[8 + k] = _mm512_shuffle_f32x4(high01, high23, 0x88);
        x[12 + k] = _mm512_shuffle_f32x4(high01, high23, 0xDD);
    }
}

/* Transposes the tile's queries 16 x 16 blocks at a time; rows past the end load as 0. */
AVX512 static void avx512_pack_queries(float *qt, const float *q, int64_t q_stride, int64_t rows,
                                       int64_t d, float factor) {
    const __m512 scale = _mm512_set1_ps(factor);
    for (int64_t r0 = 0; r0 < ROWS; r0 += GROUP)
        for (int64_t c0 = 0; c0 < d; c0 += GROUP) {
            const int64_t width = d - c0 < GROUP ? d - c0 : GROUP;
            const __mmask16 columns = width == GROUP ? (__mmask16)0xFFFF : first_lanes(width);
            __m512 block[16];
#pragma GCC unroll 16
            for (int i = 0; i < GROUP; i++)
                block[i] = r0 + i < rows
                               ? _mm512_maskz_loadu_ps(columns, q + (r0 + i) * q_stride + c0)
                               : _mm512_setzero_ps();
            transpose16(block);
            for (int64_t j = 0; j < width; j++)
                _mm512_store_ps(qt + (c0 + j) * ROWS + r0, _mm512_mul_ps(block[j], scale));
        }
}

/* Scores of `keys` keys against `groups` row vectors: keys x groups accumulators, each
 * step loading `groups` query vectors and broadcasting `keys` key elements. */
AVX512 INLINE void scores_block(const float *qt, const float *const *key, int64_t d, int keys,
                                int groups, float *s) {
    __m512 acc[ATTN_KEY_GROUP][ATTN_TILE_GROUPS];
#pragma GCC unroll 8
    for (int g = 0; g < keys; g++)
#pragma GCC unroll 4
        for (int v = 0; v < groups; v++)
            acc[g][v] = _mm512_setzero_ps();
    for (int64_t c = 0; c < d; c++) {
        __m512 q[ATTN_TILE_GROUPS];
#pragma GCC unroll 4
        for (int v = 0; v < groups; v++)
            q[v] = _mm512_load_ps(qt + c * ROWS + GROUP * v);
#pragma GCC unroll 8
        for (int g = 0; g < keys; g++) {
            const __m512 b = _mm512_set1_ps(key[g][c]);
#pragma GCC unroll 4
            for (int v = 0; v < groups; v++)
                acc[g][v] = _mm512_fmadd_ps(q[v], b, acc[g][v]);
        }
    }
#pragma GCC unroll 8
    for (int g = 0; g < keys; g++)
#pragma GCC unroll 4
        for (int v = 0; v < groups; v++)
            _mm512_store_ps(s + g * ROWS + GROUP * v, acc[g][v]);
}

AVX512 INLINE void scores_body(const float *qt, const float *k, int64_t k_stride, int64_t d,
                               int64_t key_count, int groups, float *s) {
    const int keys = KEYS_PER_BLOCK(groups);
    for (int64_t j = 0; j < key_count; j += keys) {
        const float *key[ATTN_KEY_GROUP];
#pragma GCC unroll 8
        for (int g = 0; g < keys; g++) /* past the end: repeat the last key (scratch rows) */
            key[g] = k + (j + g < key_count ? j + g : key_count - 1) * k_stride;
        scores_block(qt, key, d, keys, groups, s + j * ROWS);
    }
}

/* One copy of the kernel per row-group count, so that every loop bound is a constant. */
AVX512 static void avx512_scores(const float *qt, const float *k, int64_t k_stride, int64_t d,
                                 int64_t key_count, int groups, float *s) {
    switch (groups) {
    case 1:
        scores_body(qt, k, k_stride, d, key_count, 1, s);
        break;
    case 2:
        scores_body(qt, k, k_stride, d, key_count, 2, s);
        break;
    case 3:
        scores_body(qt, k, k_stride, d, key_count, 3, s);
        break;
    default:
        scores_body(qt, k, k_stride, d, key_count, 4, s);
        break;
    }
}

AVX512 static void avx512_mask(float *s, int64_t key_count, int groups, const int32_t *first,
                               const int32_t *last) {
    const __m512 minus_inf = _mm512_set1_ps(-__builtin_inff());
    for (int v = 0; v < groups; v++) {
        const __m512i lo = _mm512_loadu_si512(first + GROUP * v);
        const __m512i hi = _mm512_loadu_si512(last + GROUP * v);
        for (int64_t j = 0; j < key_count; j++) {
            const __m512i key = _mm512_set1_epi32((int)j);
            const __mmask16 hidden =
                _mm512_cmpgt_epi32_mask(lo, key) | _mm512_cmple_epi32_mask(hi, key);
            _mm512_mask_store_ps(s + j * ROWS + GROUP * v, hidden, minus_inf);
        }
    }
}

AVX512 static void avx512_softmax_step(float *s, int64_t key_count, int groups, float *m,
                                       float *sum, float *rescale) {
    const __m512 minus_inf = _mm512_set1_ps(-__builtin_inff());
    for (int v = 0; v < groups; v++) {
        const __m512 old_max = _mm512_load_ps(m + GROUP * v);
        __m512 new_max = old_max;
        for (int64_t j = 0; j < key_count; j++)
            new_max = _mm512_max_ps(new_max, _mm512_load_ps(s + j * ROWS + GROUP * v));
        /* Rows that have seen no visible key shift by 0, so exp2(-inf) = 0, not NaN. */
        const __mmask16 empty = _mm512_cmp_ps_mask(new_max, minus_inf, _CMP_EQ_OQ);
        const __m512 shift = _mm512_mask_blend_ps(empty, new_max, _mm512_setzero_ps());
        const __m512 factor = exp2_ps(_mm512_sub_ps(old_max, shift));
        __m512 tile_sum = _mm512_setzero_ps();
        for (int64_t j = 0; j < key_count; j++) {
            float *row = s + j * ROWS + GROUP * v;
            const __m512 p = exp2_ps(_mm512_sub_ps(_mm512_load_ps(row), shift));
            _mm512_store_ps(row, p);
            tile_sum = _mm512_add_ps(tile_sum, p);
        }
        _mm512_store_ps(m + GROUP * v, new_max);
        _mm512_store_ps(rescale + GROUP * v, factor);
        _mm512_store_ps(sum + GROUP * v,
                        _mm512_fmadd_ps(_mm512_load_ps(sum + GROUP * v), factor, tile_sum));
    }
}

/* ot[c0 .. c0 + width) of `groups` row vectors, rescaled, plus p^T v. */
AVX512 INLINE void accumulate_block(const float *p, const float *v, int64_t v_stride,
                                    int64_t key_count, const __m512 *factor, float *ot, int64_t c0,
                                    int width, int groups) {
    __m512 acc[8][ATTN_TILE_GROUPS];
#pragma GCC unroll 8
    for (int i = 0; i < width; i++)
#pragma GCC unroll 4
        for (int w = 0; w < groups; w++)
            acc[i][w] = _mm512_mul_ps(_mm512_load_ps(ot + (c0 + i) * ROWS + GROUP * w), factor[w]);
    for (int64_t j = 0; j < key_count; j++) {
        __m512 pj[ATTN_TILE_GROUPS];
#pragma GCC unroll 4
        for (int w = 0; w < groups; w++)
            pj[w] = _mm512_load_ps(p + j * ROWS + GROUP * w);
        const float *value = v + j * v_stride + c0;
#pragma GCC unroll 8
        for (int i = 0; i < width; i++) {
            const __m512 b = _mm512_set1_ps(value[i]);
#pragma GCC unroll 4
            for (int w = 0; w < groups; w++)
                acc[i][w] = _mm512_fmadd_ps(pj[w], b, acc[i][w]);
        }
    }
#pragma GCC unroll 8
    for (int i = 0; i < width; i++)
#pragma GCC unroll 4
        for (int w = 0; w < groups; w++)
            _mm512_store_ps(ot + (c0 + i) * ROWS + GROUP * w, acc[i][w]);
}

AVX512 INLINE void accumulate_body(const float *p, const float *v, int64_t v_stride, int64_t dv,
                                   int64_t key_count, const float *rescale, float *ot, int groups) {
    __m512 factor[ATTN_TILE_GROUPS];
#pragma GCC unroll 4
    for (int w = 0; w < groups; w++)
        factor[w] = _mm512_load_ps(rescale + GROUP * w);
    const int columns = COLUMNS_PER_BLOCK(groups);
    int64_t c = 0;
    for (; c + columns <= dv; c += columns)
        accumulate_block(p, v, v_stride, key_count, factor, ot, c, columns, groups);
    for (; c < dv; c++)
        accumulate_block(p, v, v_stride, key_count, factor, ot, c, 1, groups);
}

AVX512 static void avx512_accumulate(const float *p, const float *v, int64_t v_stride, int64_t dv,
                                     int64_t key_count, int groups, const float *rescale,
                                     float *ot) {
    switch (groups) {
    case 1:
        accumulate_body(p, v, v_stride, dv, key_count, rescale, ot, 1);
        break;
    case 2:
        accumulate_body(p, v, v_stride, dv, key_count, rescale, ot, 2);
        break;
    case 3:
        accumulate_body(p, v, v_stride, dv, key_count, rescale, ot, 3);
        break;
    default:
        accumulate_body(p, v, v_stride, dv, key_count, rescale, ot, 4);
        break;
    }
}

/* Transposes the accumulator back to rows 16 x 16 blocks at a time, scaling each row. */
AVX512 static void avx512_unpack_rows(const float *ot, int64_t dv, int64_t rows,
                                      const float *factor, float *o, int64_t o_stride) {
    for (int64_t r0 = 0; r0 < rows; r0 += GROUP)
        for (int64_t c0 = 0; c0 < dv; c0 += GROUP) {
            const int64_t width = dv - c0 < GROUP ? dv - c0 : GROUP;
            const __mmask16 columns = width == GROUP ? (__mmask16)0xFFFF : first_lanes(width);
            __m512 block[16];
#pragma GCC unroll 16
            for (int j = 0; j < GROUP; j++)
                block[j] =
                    j < width ? _mm512_load_ps(ot + (c0 + j) * ROWS + r0) : _mm512_setzero_ps();
            transpose16(block);
            for (int64_t i = 0; i < GROUP && r0 + i < rows; i++)
                _mm512_mask_storeu_ps(o + (r0 + i) * o_stride + c0, columns,
                                      _mm512_mul_ps(block[i], _mm512_set1_ps(factor[r0 + i])));
        }
}

AVX512 static void avx512_gather_rows(float *dst, const float *src, int64_t src_stride,
                                      int64_t rows, int64_t width) {
    const __mmask16 tail = first_lanes(width % GROUP);
    for (int64_t r = 0; r < rows; r++, dst += width, src += src_stride) {
        int64_t c = 0;
        for (; c + GROUP <= width; c += GROUP)
            _mm512_storeu_ps(dst + c, _mm512_loadu_ps(src + c));
        if (c < width)
            _mm512_mask_storeu_ps(dst + c, tail, _mm512_maskz_loadu_ps(tail, src + c));
    }
}

AVX512 static float avx512_row_max(const float *x, int64_t n) {
    const __m512 minus_inf = _mm512_set1_ps(-__builtin_inff());
    __m512 best = minus_inf;
    int64_t j = 0;
    for (; j + 16 <= n; j += 16)
        best = _mm512_max_ps(best, _mm512_loadu_ps(x + j));
    if (j < n)
        best = _mm512_max_ps(best, _mm512_mask_loadu_ps(minus_inf, first_lanes(n - j), x + j));
    return _mm512_reduce_max_ps(best);
}

AVX512 static float avx512_row_exp2(float *x, int64_t n, float shift) {
    const __m512 by = _mm512_set1_ps(shift);
    __m512 total = _mm512_setzero_ps();
    int64_t j = 0;
    for (; j + 16 <= n; j += 16) {
        const __m512 p = exp2_ps(_mm512_sub_ps(_mm512_loadu_ps(x + j), by));
        _mm512_storeu_ps(x + j, p);
        total = _mm512_add_ps(total, p);
    }
    if (j < n) {
        const __mmask16 tail = first_lanes(n - j);
        const __m512 p = exp2_ps(_mm512_sub_ps(_mm512_maskz_loadu_ps(tail, x + j), by));
        _mm512_mask_storeu_ps(x + j, tail, p);
        total = _mm512_mask_add_ps(total, tail, total, p);
    }
    return _mm512_reduce_add_ps(total);
}

/* Keys across lanes, up to 16 at a time: a row's scores of those keys are one vector (dot
 * products reduced horizontally), the softmax runs along them, and the output row is
 * updated 16 columns at a time. */
/* Lane j (< 8) of the result is the sum of the 16 lanes of vj. */
AVX512 static inline __m512 sum8(__m512 v0, __m512 v1, __m512 v2, __m512 v3, __m512 v4, __m512 v5,
                                 __m512 v6, __m512 v7) {
    /* 128-bit blocks A0..A3 of each vector. p0 = [v0.A0+A2, v0.A1+A3, v4.A0+A2, v4.A1+A3] */
    const __m512 p0 =
        _mm512_add_ps(_mm512_shuffle_f32x4(v0, v4, 0x44), _mm512_shuffle_f32x4(v0, v4, 0xEE));
    const __m512 p1 =
        _mm512_add_ps(_mm512_shuffle_f32x4(v1, v5, 0x44), _mm512_shuffle_f32x4(v1, v5, 0xEE));
    const __m512 p2 =
        _mm512_add_ps(_mm512_shuffle_f32x4(v2, v6, 0x44), _mm512_shuffle_f32x4(v2, v6, 0xEE));
    const __m512 p3 =
        _mm512_add_ps(_mm512_shuffle_f32x4(v3, v7, 0x44), _mm512_shuffle_f32x4(v3, v7, 0xEE));
    const __m512 q0 =
        _mm512_add_ps(_mm512_shuffle_f32x4(p0, p1, 0x88), _mm512_shuffle_f32x4(p0, p1, 0xDD));
    const __m512 q1 =
        _mm512_add_ps(_mm512_shuffle_f32x4(p2, p3, 0x88), _mm512_shuffle_f32x4(p2, p3, 0xDD));
    /* q0: 128-bit blocks hold 4 partials of v0, v4, v1, v5; q1 of v2, v6, v3, v7 */
    const __m512 r0 = _mm512_add_ps(_mm512_unpacklo_ps(q0, q1), _mm512_unpackhi_ps(q0, q1));
    /* r0 block b: [x0 y0 x1 y1] for (x, y) = (v0, v2), (v4, v6), (v1, v3), (v5, v7) */
    const __m512 t0 = _mm512_add_ps(_mm512_permute_ps(r0, 0x4E), r0);
    /* t0 block b: its lanes 0, 1 hold the sums of x and y: v0 v2 | v4 v6 | v1 v3 | v5 v7 */
    const __m512i order = _mm512_setr_epi32(0, 8, 1, 9, 4, 12, 5, 13, 0, 0, 0, 0, 0, 0, 0, 0);
    return _mm512_permutexvar_ps(order, t0);
}

/* The decode kernels read K and V in their own element type (widened exactly in registers)
 * and need 16-bit masked loads: AVX512BW and VL besides F (simd_ops.c checks for them). */
#define AVX512BW __attribute__((target("avx512f,avx512bw,avx512vl,fma")))

/* Elements [i, i + 16) of a row of elements of type `type` (a constant where it is inlined)
 * as floats, the lanes outside `lanes` 0. */
AVX512BW INLINE __m512 load_widened(const void *row, int64_t i, __mmask16 lanes, int type) {
    if (type == ATTN_F32)
        return _mm512_maskz_loadu_ps(lanes, (const float *)row + i);
    const __m256i half = _mm256_maskz_loadu_epi16(lanes, (const uint16_t *)row + i);
    if (type == ATTN_F16)
        return _mm512_cvtph_ps(half);
    return _mm512_castsi512_ps(_mm512_slli_epi32(_mm512_cvtepu16_epi32(half), 16));
}

static inline int element_bytes(int type) {
    return type == ATTN_F32 ? 4 : 2;
}

/* Prefetches into L2 the cache lines of `bytes` bytes at `at` (a constant count: unrolled). */
INLINE void prefetch_lines(const char *at, int bytes) {
    for (int b = 0; b < bytes; b += 64)
        _mm_prefetch(at + b, _MM_HINT_T1);
}

/* Scores of up to four rows (q0..q3, d floats each) against four keys (k0..k3, elements of
 * type `type`): lanes 4 r + j of the result hold row r, key j, for rows 0 and 1 (lo) and 2
 * and 3 (hi). With `ahead` nonzero, the keys' rows `ahead` bytes further are prefetched. */
AVX512BW INLINE void scores4x4(const float *q0, const float *q1, const float *q2, const float *q3,
                               const char *const key[4], int type, ptrdiff_t ahead, int64_t d,
                               __mmask16 d_tail, __m512 *lo, __m512 *hi) {
    __m512 a00 = _mm512_setzero_ps(), a01 = a00, a02 = a00, a03 = a00, a10 = a00, a11 = a00,
           a12 = a00, a13 = a00, a20 = a00, a21 = a00, a22 = a00, a23 = a00, a30 = a00, a31 = a00,
           a32 = a00, a33 = a00;
    const int size = element_bytes(type);
    for (int64_t c = 0; c < d; c += 16) {
        if (ahead && (c * size) % 64 == 0)
            for (int j = 0; j < 4; j++)
                _mm_prefetch(key[j] + c * size + ahead, _MM_HINT_T1);
        const __mmask16 lanes = c + 16 <= d ? (__mmask16)0xFFFF : d_tail;
        const __m512 x0 = load_widened(key[0], c, lanes, type),
                     x1 = load_widened(key[1], c, lanes, type);
        const __m512 x2 = load_widened(key[2], c, lanes, type),
                     x3 = load_widened(key[3], c, lanes, type);
        __m512 y = _mm512_maskz_loadu_ps(lanes, q0 + c);
        a00 = _mm512_fmadd_ps(y, x0, a00);
        a01 = _mm512_fmadd_ps(y, x1, a01);
        a02 = _mm512_fmadd_ps(y, x2, a02);
        a03 = _mm512_fmadd_ps(y, x3, a03);
        y = _mm512_maskz_loadu_ps(lanes, q1 + c);
        a10 = _mm512_fmadd_ps(y, x0, a10);
        a11 = _mm512_fmadd_ps(y, x1, a11);
        a12 = _mm512_fmadd_ps(y, x2, a12);
        a13 = _mm512_fmadd_ps(y, x3, a13);
        y = _mm512_maskz_loadu_ps(lanes, q2 + c);
        a20 = _mm512_fmadd_ps(y, x0, a20);
        a21 = _mm512_fmadd_ps(y, x1, a21);
        a22 = _mm512_fmadd_ps(y, x2, a22);
        a23 = _mm512_fmadd_ps(y, x3, a23);
        y = _mm512_maskz_loadu_ps(lanes, q3 + c);
        a30 = _mm512_fmadd_ps(y, x0, a30);
        a31 = _mm512_fmadd_ps(y, x1, a31);
        a32 = _mm512_fmadd_ps(y, x2, a32);
        a33 = _mm512_fmadd_ps(y, x3, a33);
    }
    *lo = sum8(a00, a01, a02, a03, a10, a11, a12, a13);
    *hi = sum8(a20, a21, a22, a23, a30, a31, a32, a33);
}

/* out[r][c0, c0 + 64) = rescale[r] out[r] + sum over the n keys of p[r][j] V[j], for the
 * columns in the four masks; V's rows are elements of type `type`, `stride` bytes apart. The
 * 16 accumulators are named variables: an array of them, or this loop inside the decode
 * loop, made gcc keep the V vectors on the stack (a store and four reloads per vector; a
 * third slower from cache). */
#define ACC_LOAD(r, t, m)                                                                          \
    __m512 x##r##t = _mm512_mul_ps(_mm512_maskz_loadu_ps(m, out[r] + c0 + 16 * (t)),               \
                                   _mm512_set1_ps(rescale[r]))
#define ACC_ROW(r)                                                                                 \
    do {                                                                                           \
        const __m512 w = _mm512_set1_ps(p[r][j]);                                                  \
        x##r##0 = _mm512_fmadd_ps(w, y0, x##r##0);                                                 \
        x##r##1 = _mm512_fmadd_ps(w, y1, x##r##1);                                                 \
        x##r##2 = _mm512_fmadd_ps(w, y2, x##r##2);                                                 \
        x##r##3 = _mm512_fmadd_ps(w, y3, x##r##3);                                                 \
    } while (0)
#define ACC_STORE(r)                                                                               \
    do {                                                                                           \
        _mm512_mask_storeu_ps(out[r] + c0, m0, x##r##0);                                           \
        _mm512_mask_storeu_ps(out[r] + c0 + 16, m1, x##r##1);                                      \
        _mm512_mask_storeu_ps(out[r] + c0 + 32, m2, x##r##2);                                      \
        _mm512_mask_storeu_ps(out[r] + c0 + 48, m3, x##r##3);                                      \
    } while (0)
AVX512BW INLINE void accumulate4x64(float *const out[4], int64_t c0, const char *value,
                                    int64_t stride, int type, ptrdiff_t ahead, int n,
                                    const float p[4][DECODE_KEYS], const float rescale[4],
                                    __mmask16 m0, __mmask16 m1, __mmask16 m2, __mmask16 m3) {
    ACC_LOAD(0, 0, m0);
    ACC_LOAD(0, 1, m1);
    ACC_LOAD(0, 2, m2);
    ACC_LOAD(0, 3, m3);
    ACC_LOAD(1, 0, m0);
    ACC_LOAD(1, 1, m1);
    ACC_LOAD(1, 2, m2);
    ACC_LOAD(1, 3, m3);
    ACC_LOAD(2, 0, m0);
    ACC_LOAD(2, 1, m1);
    ACC_LOAD(2, 2, m2);
    ACC_LOAD(2, 3, m3);
    ACC_LOAD(3, 0, m0);
    ACC_LOAD(3, 1, m1);
    ACC_LOAD(3, 2, m2);
    ACC_LOAD(3, 3, m3);
    for (int j = 0; j < n; j++, value += stride) {
        if (ahead)
            prefetch_lines(value + ahead, 64 * element_bytes(type));
        const __m512 y0 = load_widened(value, 0, m0, type);
        const __m512 y1 = load_widened(value, 16, m1, type);
        const __m512 y2 = load_widened(value, 32, m2, type);
        const __m512 y3 = load_widened(value, 48, m3, type);
        ACC_ROW(0);
        ACC_ROW(1);
        ACC_ROW(2);
        ACC_ROW(3);
    }
    /* the copies of the last row write what it writes: its own value last */
    ACC_STORE(3);
    ACC_STORE(2);
    ACC_STORE(1);
    ACC_STORE(0);
}
#undef ACC_LOAD
#undef ACC_ROW
#undef ACC_STORE

/* One not-inlined copy of accumulate4x64 per element type of V. */
#define ACCUMULATE_FOR(name, type)                                                                 \
    AVX512BW NOINLINE void name(float *const out[4], int64_t c0, const char *value,                \
                                int64_t stride, ptrdiff_t ahead, int n,                            \
                                const float p[4][DECODE_KEYS], const float rescale[4],             \
                                __mmask16 m0, __mmask16 m1, __mmask16 m2, __mmask16 m3) {          \
        accumulate4x64(out, c0, value, stride, type, ahead, n, p, rescale, m0, m1, m2, m3);        \
    }
ACCUMULATE_FOR(accumulate4x64_f32, ATTN_F32)
ACCUMULATE_FOR(accumulate4x64_bf16, ATTN_BF16)
ACCUMULATE_FOR(accumulate4x64_f16, ATTN_F16)
#undef ACCUMULATE_FOR

typedef void (*accumulate4x64_fn)(float *const out[4], int64_t c0, const char *value,
                                  int64_t stride, ptrdiff_t ahead, int n,
                                  const float p[4][DECODE_KEYS], const float rescale[4],
                                  __mmask16 m0, __mmask16 m1, __mmask16 m2, __mmask16 m3);

static accumulate4x64_fn accumulate_for(int type) {
    return type == ATTN_BF16  ? accumulate4x64_bf16
           : type == ATTN_F16 ? accumulate4x64_f16
                              : accumulate4x64_f32;
}

/* The scores of two rows against 16 keys as one vector each, from four blocks of four keys:
 * lanes 0-3 of block b hold the first row's keys 4 b .. 4 b + 3, lanes 4-7 the second's. */
AVX512 INLINE void rows_of_scores(const __m512 block[4], __m512 *first, __m512 *second) {
    const __m512i pair = _mm512_setr_epi32(0, 1, 2, 3, 16, 17, 18, 19, 4, 5, 6, 7, 20, 21, 22, 23);
    /* [b0 row 1, b1 row 1, b0 row 2, b1 row 2], likewise for blocks 2 and 3 */
    const __m512 low = _mm512_permutex2var_ps(block[0], pair, block[1]);
    const __m512 high = _mm512_permutex2var_ps(block[2], pair, block[3]);
    *first = _mm512_shuffle_f32x4(low, high, 0x44);
    *second = _mm512_shuffle_f32x4(low, high, 0xEE);
}

/* Rows in groups of four: each group reads a chunk's K and V rows once for all its rows
 * (scores4x4, then one pass over V), so a few rows cost few loads per key. A group with
 * fewer rows repeats its last one, and a chunk with fewer keys its last key; the copies'
 * results are dropped, so the loops have no branches that would spill accumulators. K's
 * element type is `k_type`, a constant in each of the copies below. The keys ahead are
 * prefetched by the first group only (the others read the same rows again from cache). */
AVX512BW INLINE void decode_rows_of(const float *qs, int64_t rows, int64_t d,
                                    const attn_decode_keys *keys, int k_type, int64_t dv,
                                    int64_t key_count, const int64_t *first, const int64_t *last,
                                    float *m, float *sum, float *o) {
    const __mmask16 d_tail = first_lanes(d % 16), dv_tail = first_lanes(dv % 16);
    const __m512 minus_inf = _mm512_set1_ps(-__builtin_inff());
    const int n = (int)key_count;
    const __m512i lane = _mm512_setr_epi32(0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15);
    const int64_t k_step = keys->k_stride * element_bytes(k_type);
    const int64_t v_step = keys->v_stride * element_bytes(keys->v_type);
    const char *k = keys->k, *v = keys->v;
    const ptrdiff_t k_ahead = keys->k_ahead ? (const char *)keys->k_ahead - k : 0;
    const ptrdiff_t v_ahead = keys->v_ahead ? (const char *)keys->v_ahead - v : 0;
    const accumulate4x64_fn accumulate = accumulate_for(keys->v_type);
    for (int64_t r0 = 0; r0 < rows; r0 += 4) {
        const int group = rows - r0 < 4 ? (int)(rows - r0) : 4;
        const float *q[4];
        for (int r = 0; r < 4; r++)
            q[r] = qs + (r0 + (r < group ? r : group - 1)) * d;
        /* the scores of keys 4 b .. 4 b + 3 (lo[b], hi[b]), then as one vector per row */
        __m512 lo[4], hi[4], s[4];
#pragma GCC unroll 4
        for (int b = 0; b < 4; b++) {
            if (b > 0 && 4 * b >= n) {
                lo[b] = lo[b - 1];
                hi[b] = hi[b - 1];
                continue;
            }
            const char *key[4];
            for (int j = 0; j < 4; j++)
                key[j] = k + (4 * b + j < n ? 4 * b + j : n - 1) * k_step;
            scores4x4(q[0], q[1], q[2], q[3], key, k_type, r0 == 0 ? k_ahead : 0, d, d_tail, &lo[b],
                      &hi[b]);
        }
        rows_of_scores(lo, &s[0], &s[1]);
        rows_of_scores(hi, &s[2], &s[3]);
        float p[4][DECODE_KEYS], rescale[4] = {1, 1, 1, 1};
        bool seen[4] = {false, false, false, false};
        for (int r = 0; r < 4; r++)
            _mm512_storeu_ps(p[r], _mm512_setzero_ps());
        for (int r = 0; r < group; r++) {
            const int64_t row = r0 + r;
            const int64_t a = first[row] > 0 ? first[row] : 0;
            const int64_t b = last[row] < n ? last[row] : n;
            const __mmask16 visible = _mm512_cmpge_epi32_mask(lane, _mm512_set1_epi32((int)a)) &
                                      _mm512_cmplt_epi32_mask(lane, _mm512_set1_epi32((int)b));
            const __m512 scores = _mm512_mask_mov_ps(minus_inf, visible, s[r]);
            if (a >= b)
                continue;
            seen[r] = true;
            const float block_max = _mm512_reduce_max_ps(scores);
            const float top = block_max > m[row] ? block_max : m[row];
            const __m512 shift = _mm512_set1_ps(top);
            const __m512 weights =
                _mm512_maskz_mov_ps(visible, exp2_ps(_mm512_sub_ps(scores, shift)));
            rescale[r] = _mm512_cvtss_f32(exp2_ps(_mm512_sub_ps(_mm512_set1_ps(m[row]), shift)));
            sum[row] = sum[row] * rescale[r] + _mm512_reduce_add_ps(weights);
            m[row] = top;
            _mm512_storeu_ps(p[r], weights);
        }
        if (!seen[0] && !seen[1] && !seen[2] && !seen[3])
            continue;
        float *out[4];
        for (int r = 0; r < 4; r++)
            out[r] = o + (r0 + (r < group ? r : group - 1)) * dv;
        const ptrdiff_t ahead = r0 == 0 ? v_ahead : 0;
        const int64_t v_size = element_bytes(keys->v_type);
        /* 64 output columns (four vectors) at a time: each V row is read 256 bytes at a
         * time, in order, rather than one vector from each of 16 rows 512 bytes apart */
        int64_t c0 = 0;
        for (; c0 + 64 <= dv; c0 += 64)
            accumulate(out, c0, v + c0 * v_size, v_step, ahead, n, p, rescale, 0xFFFF, 0xFFFF,
                       0xFFFF, 0xFFFF);
        if (c0 < dv) {
            __mmask16 lanes[4];
            for (int t = 0; t < 4; t++) {
                const int64_t c = c0 + 16 * t;
                lanes[t] = c + 16 <= dv ? (__mmask16)0xFFFF : c < dv ? dv_tail : 0;
            }
            accumulate(out, c0, v + c0 * v_size, v_step, ahead, n, p, rescale, lanes[0], lanes[1],
                       lanes[2], lanes[3]);
        }
    }
}

AVX512BW static void avx512_decode_rows(const float *qs, int64_t rows, int64_t d,
                                        const attn_decode_keys *keys, int64_t dv, int64_t key_count,
                                        const int64_t *first, const int64_t *last, float *m,
                                        float *sum, float *o) {
    if (keys->k_type == ATTN_BF16)
        decode_rows_of(qs, rows, d, keys, ATTN_BF16, dv, key_count, first, last, m, sum, o);
    else if (keys->k_type == ATTN_F16)
        decode_rows_of(qs, rows, d, keys, ATTN_F16, dv, key_count, first, last, m, sum, o);
    else
        decode_rows_of(qs, rows, d, keys, ATTN_F32, dv, key_count, first, last, m, sum, o);
}

static const attn_simd_ops avx512_ops = {
    .name = "avx512",
    .pack_queries = avx512_pack_queries,
    .scores = avx512_scores,
    .mask = avx512_mask,
    .softmax_step = avx512_softmax_step,
    .accumulate = avx512_accumulate,
    .unpack_rows = avx512_unpack_rows,
    .gather_rows = avx512_gather_rows,
    .row_max = avx512_row_max,
    .row_exp2 = avx512_row_exp2,
    .decode_rows = avx512_decode_rows,
};

const attn_simd_ops *const attn_simd_ops_avx512 = &avx512_ops;

#else

const attn_simd_ops *const attn_simd_ops_avx512 = 0;

#endif

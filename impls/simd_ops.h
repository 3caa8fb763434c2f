/* The vector operations the fused attention kernels are built from, as a table of
 * function pointers: a portable C table that is always correct, and an AVX-512 table
 * chosen at run time when the CPU has it. Internal to impls/ (not an implementation).
 *
 * The tile operations work on one query tile laid out "rows across lanes": scores,
 * probabilities and the output accumulator hold ATTN_TILE_ROWS values per key (or per
 * output column), one per query row, so every vector operation runs down the rows and
 * the softmax needs no horizontal reductions. An operation may cover only some of the
 * tile's groups of ATTN_ROW_GROUP rows (those that see the keys at hand): its pointers
 * then start at the first group's lanes and `groups` says how many follow; the lane
 * stride of a key or column stays ATTN_TILE_ROWS. Scores are in log2 units (queries are
 * pre-multiplied by scale * log2(e)), so exp2 replaces exp.
 *
 * The caller's q, k, v and o are rows of contiguous elements whose starts are `*_stride`
 * elements apart (the tensor's sequence stride), so BHSD, BSHD and KV-cache views are
 * used in place; nothing between rows is read or written.
 */
#ifndef ATTN_SIMD_OPS_H
#define ATTN_SIMD_OPS_H

#include <stdint.h>

/* Query rows per tile, as groups of 16 (one AVX-512 vector of floats). */
#define ATTN_ROW_GROUP 16
#define ATTN_TILE_GROUPS 4
#define ATTN_TILE_ROWS (ATTN_ROW_GROUP * ATTN_TILE_GROUPS)

/* The scores operation computes keys in groups of up to this many: a score buffer holds
 * key counts rounded up to a multiple of it (the extra rows are scratch). */
#define ATTN_KEY_GROUP 8
/* decode_rows takes at most this many keys per call. */
#define DECODE_KEYS 16

#define ATTN_INTERNAL __attribute__((visibility("hidden")))

/* The keys of one decode_rows call: their K and V rows, of elements of their own type
 * (attn_element_type), read in place. The rows of the keys `ahead` of them, at the same
 * strides, are prefetched as they are read (NULL: none), so that a cache streamed from memory
 * arrives while the keys before it are computed. A table that widens to float32 before
 * computing may use k_wide and v_wide, DECODE_KEYS x d and x dv floats. */
typedef struct attn_decode_keys {
    const void *k, *v;
    int64_t k_stride, v_stride; /* elements from one key's row to the next */
    int32_t k_type, v_type;
    const void *k_ahead, *v_ahead;
    float *k_wide, *v_wide;
} attn_decode_keys;

typedef struct attn_simd_ops {
    const char *name;
    /* qt[c][r] = q[r][c] * factor for r < rows (<= ATTN_TILE_ROWS), 0 for the rows
     * after: qt is [d][ATTN_TILE_ROWS], row r of q starts at q + r * q_stride. */
    void (*pack_queries)(float *qt, const float *q, int64_t q_stride, int64_t rows, int64_t d,
                         float factor);
    /* s[j][r] = sum_c qt[c][r] * k[j][c] for j < key_count: qt is [d][ATTN_TILE_ROWS], key
     * j starts at k + j * k_stride, and s is
     * [round_up(key_count, ATTN_KEY_GROUP)][ATTN_TILE_ROWS]. */
    void (*scores)(const float *qt, const float *k, int64_t k_stride, int64_t d, int64_t key_count,
                   int groups, float *s);
    /* s[j][r] = -inf unless first[r] <= j < last[r] (key indices relative to s). */
    void (*mask)(float *s, int64_t key_count, int groups, const int32_t *first,
                 const int32_t *last);
    /* The online-softmax step for one key tile: per row r, raises the running maximum
     * m[r] to cover the tile, replaces s by exp2(s - m), sets rescale[r] = exp2(m_old -
     * m_new) and sum[r] = sum[r] * rescale[r] + sum_j s[j][r]. A row whose maximum is
     * still -inf (no visible key yet) gets zero probabilities, never NaN. */
    void (*softmax_step)(float *s, int64_t key_count, int groups, float *m, float *sum,
                         float *rescale);
    /* ot[c][r] = ot[c][r] * rescale[r] + sum_j v[j][c] * p[j][r], for c < dv: ot is
     * [dv][ATTN_TILE_ROWS], value j starts at v + j * v_stride, p is
     * [key_count][ATTN_TILE_ROWS]. */
    void (*accumulate)(const float *p, const float *v, int64_t v_stride, int64_t dv,
                       int64_t key_count, int groups, const float *rescale, float *ot);
    /* o[r][c] = ot[c][r] * factor[r] for r < rows, c < dv: row r of o starts at
     * o + r * o_stride. */
    void (*unpack_rows)(const float *ot, int64_t dv, int64_t rows, const float *factor, float *o,
                        int64_t o_stride);
    /* dst[r][c] = src[r * src_stride + c] for r < rows, c < width: strided rows made
     * dense (dst is rows x width, contiguous). */
    void (*gather_rows)(float *dst, const float *src, int64_t src_stride, int64_t rows,
                        int64_t width);
    /* Row-major helpers for kernels that keep whole score rows (blas): the maximum of x[0,
     * n) (n >= 1), and x[j] = exp2(x[j] - shift) in place, returning the sum. */
    float (*row_max)(const float *x, int64_t n);
    float (*row_exp2)(float *x, int64_t n, float shift);
    /* For decode steps, keys across lanes: the online softmax of rows (few) query rows
     * over the key_count (<= DECODE_KEYS) keys of `keys`, row r restricted to keys
     * [first[r], last[r]) (indices relative to the call's first key). Row r of qs (d
     * elements, already in log2 units: times scale * log2(e)) is at qs + r * d; its running
     * maximum m[r], sum sum[r] and unnormalised output o + r * dv are updated as by
     * softmax_step and accumulate. */
    void (*decode_rows)(const float *qs, int64_t rows, int64_t d, const attn_decode_keys *keys,
                        int64_t dv, int64_t key_count, const int64_t *first, const int64_t *last,
                        float *m, float *sum, float *o);
} attn_simd_ops;

/* The table this process uses: AVX-512 when the CPU has AVX512F, BW and VL, unless the environment
 * sets ATTNBENCH_NO_SIMD to a value other than "0" (to test the portable path). */
ATTN_INTERNAL const attn_simd_ops *attn_simd_ops_select(void);

/* The name of the table attn_simd_ops_select() returns ("avx512" or "portable"), for
 * reports: the harness records it as kernel_isa (harness/measure/environment.h). */
ATTN_INTERNAL const char *attn_simd_ops_name(void);

/* The two tables; attn_simd_ops_avx512 is NULL when the compiler cannot build it. */
ATTN_INTERNAL extern const attn_simd_ops attn_simd_ops_portable;
ATTN_INTERNAL extern const attn_simd_ops *const attn_simd_ops_avx512;

#endif

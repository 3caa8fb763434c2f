/* The portable table of attention vector operations (simd_ops.h): plain C loops over
 * the rows of a tile, which compilers vectorise for whatever the target has. The
 * reference the AVX-512 table must agree with, and the path ATTNBENCH_NO_SIMD=1 forces. */
#include "simd_ops.h"

#include "attnbench.h"
#include "f32_views.h"

#include <math.h>
#include <string.h>

#define ROWS ATTN_TILE_ROWS

static void portable_pack_queries(float *qt, const float *q, int64_t q_stride, int64_t rows,
                                  int64_t d, float factor) {
    for (int64_t c = 0; c < d; c++) {
        float *column = qt + c * ROWS;
        for (int64_t r = 0; r < rows; r++)
            column[r] = q[r * q_stride + c] * factor;
        for (int64_t r = rows; r < ROWS; r++)
            column[r] = 0.0f;
    }
}

static void portable_scores(const float *qt, const float *k, int64_t k_stride, int64_t d,
                            int64_t key_count, int groups, float *s) {
    const int lanes = groups * ATTN_ROW_GROUP;
    for (int64_t j = 0; j < key_count; j++) {
        float acc[ROWS] = {0};
        const float *key = k + j * k_stride;
        for (int64_t c = 0; c < d; c++)
            for (int r = 0; r < lanes; r++)
                acc[r] += qt[c * ROWS + r] * key[c];
        memcpy(s + j * ROWS, acc, lanes * sizeof acc[0]);
    }
}

static void portable_mask(float *s, int64_t key_count, int groups, const int32_t *first,
                          const int32_t *last) {
    const int lanes = groups * ATTN_ROW_GROUP;
    for (int64_t j = 0; j < key_count; j++)
        for (int r = 0; r < lanes; r++)
            s[j * ROWS + r] = j >= first[r] && j < last[r] ? s[j * ROWS + r] : -INFINITY;
}

static void portable_softmax_step(float *s, int64_t key_count, int groups, float *m, float *sum,
                                  float *rescale) {
    const int lanes = groups * ATTN_ROW_GROUP;
    float new_max[ROWS], shift[ROWS], tile_sum[ROWS] = {0};
    memcpy(new_max, m, lanes * sizeof new_max[0]);
    for (int64_t j = 0; j < key_count; j++)
        for (int r = 0; r < lanes; r++)
            new_max[r] = s[j * ROWS + r] > new_max[r] ? s[j * ROWS + r] : new_max[r];
    for (int r = 0; r < lanes; r++) {
        /* A row that has seen no visible key keeps m = -inf; shifting by 0 instead keeps
         * exp2(-inf - shift) = 0 rather than NaN. */
        shift[r] = new_max[r] == -INFINITY ? 0.0f : new_max[r];
        rescale[r] = exp2f(m[r] - shift[r]);
        m[r] = new_max[r];
    }
    for (int64_t j = 0; j < key_count; j++)
        for (int r = 0; r < lanes; r++) {
            float p = exp2f(s[j * ROWS + r] - shift[r]);
            s[j * ROWS + r] = p;
            tile_sum[r] += p;
        }
    for (int r = 0; r < lanes; r++)
        sum[r] = sum[r] * rescale[r] + tile_sum[r];
}

static void portable_accumulate(const float *p, const float *v, int64_t v_stride, int64_t dv,
                                int64_t key_count, int groups, const float *rescale, float *ot) {
    const int lanes = groups * ATTN_ROW_GROUP;
    for (int64_t c = 0; c < dv; c++) {
        float acc[ROWS];
        for (int r = 0; r < lanes; r++)
            acc[r] = ot[c * ROWS + r] * rescale[r];
        for (int64_t j = 0; j < key_count; j++) {
            const float value = v[j * v_stride + c];
            for (int r = 0; r < lanes; r++)
                acc[r] += p[j * ROWS + r] * value;
        }
        memcpy(ot + c * ROWS, acc, lanes * sizeof acc[0]);
    }
}

static void portable_unpack_rows(const float *ot, int64_t dv, int64_t rows, const float *factor,
                                 float *o, int64_t o_stride) {
    for (int64_t r = 0; r < rows; r++)
        for (int64_t c = 0; c < dv; c++)
            o[r * o_stride + c] = ot[c * ROWS + r] * factor[r];
}

static void portable_gather_rows(float *dst, const float *src, int64_t src_stride, int64_t rows,
                                 int64_t width) {
    for (int64_t r = 0; r < rows; r++)
        memcpy(dst + r * width, src + r * src_stride, (size_t)width * sizeof *dst);
}

static float portable_row_max(const float *x, int64_t n) {
    float best = x[0];
    for (int64_t j = 1; j < n; j++)
        best = x[j] > best ? x[j] : best;
    return best;
}

static float portable_row_exp2(float *x, int64_t n, float shift) {
    float total = 0.0f;
    for (int64_t j = 0; j < n; j++) {
        x[j] = exp2f(x[j] - shift);
        total += x[j];
    }
    return total;
}

/* The keys' rows as float32: in place, or widened into the scratch the caller gives. */
static const float *float_rows(const void *rows, int32_t type, int64_t *stride, int64_t count,
                               int64_t width, float *wide) {
    if (type == ATTN_F32)
        return rows;
    attn_widen_rows(type, rows, *stride, count, width, wide);
    *stride = width;
    return wide;
}

static void portable_decode_rows(const float *qs, int64_t rows, int64_t d,
                                 const attn_decode_keys *keys, int64_t dv, int64_t key_count,
                                 const int64_t *first, const int64_t *last, float *m, float *sum,
                                 float *o) {
    int64_t k_stride = keys->k_stride, v_stride = keys->v_stride;
    const float *k = float_rows(keys->k, keys->k_type, &k_stride, key_count, d, keys->k_wide);
    const float *v = float_rows(keys->v, keys->v_type, &v_stride, key_count, dv, keys->v_wide);
    for (int64_t r = 0; r < rows; r++) {
        const int64_t a = first[r] > 0 ? first[r] : 0;
        const int64_t b = last[r] < key_count ? last[r] : key_count;
        if (a >= b)
            continue;
        float s[DECODE_KEYS], top = m[r];
        for (int64_t j = a; j < b; j++) {
            float dot = 0.0f;
            for (int64_t c = 0; c < d; c++)
                dot += qs[r * d + c] * k[j * k_stride + c];
            s[j - a] = dot;
            top = dot > top ? dot : top;
        }
        const float rescale = exp2f(m[r] - top); /* m[r] = -inf: 0 */
        float total = 0.0f;
        for (int64_t j = a; j < b; j++)
            total += s[j - a] = exp2f(s[j - a] - top);
        sum[r] = sum[r] * rescale + total;
        m[r] = top;
        for (int64_t c = 0; c < dv; c++) {
            float x = o[r * dv + c] * rescale;
            for (int64_t j = a; j < b; j++)
                x += s[j - a] * v[j * v_stride + c];
            o[r * dv + c] = x;
        }
    }
}

const attn_simd_ops attn_simd_ops_portable = {
    .name = "portable",
    .pack_queries = portable_pack_queries,
    .scores = portable_scores,
    .mask = portable_mask,
    .softmax_step = portable_softmax_step,
    .accumulate = portable_accumulate,
    .unpack_rows = portable_unpack_rows,
    .gather_rows = portable_gather_rows,
    .row_max = portable_row_max,
    .row_exp2 = portable_row_exp2,
    .decode_rows = portable_decode_rows,
};

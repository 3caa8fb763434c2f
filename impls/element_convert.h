/* bf16 and f16 elements to and from float inside the kernels (round to nearest even).
 * Internal to impls/; the harness has its own bit-level conversions, so a mistake in one
 * cannot hide the same mistake in the other. */
#ifndef ATTN_ELEMENT_CONVERT_H
#define ATTN_ELEMENT_CONVERT_H

#include <stdint.h>
#include <string.h>

#include "attnbench.h"

static inline float attn_bf16_load(uint16_t bits) {
    const uint32_t wide = (uint32_t)bits << 16;
    float x;
    memcpy(&x, &wide, sizeof x);
    return x;
}

static inline uint16_t attn_bf16_round(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u)
        return (uint16_t)((bits >> 16) | 0x40u); /* NaN stays a (quiet) NaN */
    return (uint16_t)((bits + 0x7fffu + ((bits >> 16) & 1u)) >> 16);
}

static inline float attn_f16_load(uint16_t bits) {
    _Float16 h;
    memcpy(&h, &bits, sizeof h);
    return (float)h;
}

static inline uint16_t attn_f16_round(float x) {
    const _Float16 h = (_Float16)x;
    uint16_t bits;
    memcpy(&bits, &h, sizeof bits);
    return bits;
}

/* n elements of type dtype at src as floats. */
static inline void attn_elements_to_float(int32_t dtype, const void *src, float *dst, int64_t n) {
    const uint16_t *half = src;
    if (dtype == ATTN_BF16)
        for (int64_t i = 0; i < n; i++)
            dst[i] = attn_bf16_load(half[i]);
    else if (dtype == ATTN_F16)
        for (int64_t i = 0; i < n; i++)
            dst[i] = attn_f16_load(half[i]);
    else
        memcpy(dst, src, (size_t)n * sizeof *dst);
}

/* n floats rounded to elements of type dtype at dst. */
static inline void attn_elements_from_float(int32_t dtype, const float *src, void *dst, int64_t n) {
    uint16_t *half = dst;
    if (dtype == ATTN_BF16)
        for (int64_t i = 0; i < n; i++)
            half[i] = attn_bf16_round(src[i]);
    else if (dtype == ATTN_F16)
        for (int64_t i = 0; i < n; i++)
            half[i] = attn_f16_round(src[i]);
    else
        memcpy(dst, src, (size_t)n * sizeof *src);
}

#endif

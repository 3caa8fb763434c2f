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

/* fp16 by its bits (IEEE binary16: 5 exponent bits of bias 15, 10 fraction bits), with no
 * compiler support for _Float16 needed. */
static inline float attn_f16_load(uint16_t h) {
    const uint32_t sign = (uint32_t)(h & 0x8000u) << 16;
    const uint32_t exponent = (h >> 10) & 0x1fu, fraction = h & 0x3ffu;
    uint32_t bits;
    if (exponent == 0x1fu) {
        bits = sign | 0x7f800000u | fraction << 13;
    } else if (exponent != 0) {
        bits = sign | (exponent + 112u) << 23 | fraction << 13;
    } else {
        const float value = (float)fraction * 0x1p-24f; /* subnormal (or zero), exact */
        memcpy(&bits, &value, sizeof bits);
        bits |= sign;
    }
    float x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

static inline uint16_t attn_f16_round(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    const uint16_t sign = (uint16_t)((bits >> 16) & 0x8000u);
    const uint32_t magnitude = bits & 0x7fffffffu;
    if (magnitude > 0x7f800000u)
        return (uint16_t)(sign | 0x7e00u); /* NaN */
    if (magnitude >= 0x477ff000u)
        return (uint16_t)(sign | 0x7c00u); /* 65520 and up: inf */
    if (magnitude >= 0x38800000u) {        /* 2^-14 and up: normal */
        uint32_t rebiased = magnitude - 0x38000000u;
        rebiased += 0xfffu + ((rebiased >> 13) & 1u); /* ties to even */
        return (uint16_t)(sign | rebiased >> 13);
    }
    /* Subnormal: units of 2^-24, rounded to an integer (ties to even) by adding and taking
     * away 2^23 in float arithmetic; 1024 units carry into the smallest normal. */
    float below;
    memcpy(&below, &magnitude, sizeof below);
    const volatile float shifted = below * 0x1p24f + 0x1p23f;
    return (uint16_t)(sign | (uint16_t)(shifted - 0x1p23f));
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

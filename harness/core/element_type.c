/* Element types: names, sizes and round-to-nearest-even conversions. */
#include "element_type.h"

#include <math.h>
#include <string.h>

static const char *const type_names[ATTN_TYPE_COUNT] = {"f32", "bf16", "f16"};

const char *attn_type_name(int type) {
    return type >= 0 && type < ATTN_TYPE_COUNT ? type_names[type] : "?";
}

int attn_type_parse(const char *text, int *type, attn_error *err) {
    for (int t = 0; t < ATTN_TYPE_COUNT; t++)
        if (strcmp(text, type_names[t]) == 0) {
            *type = t;
            return 0;
        }
    return attn_fail_input(err, "unknown element type '%s' (types: f32, bf16, f16)", text);
}

size_t attn_type_size(int type) {
    return type == ATTN_F32 ? 4 : 2;
}

double attn_type_max(int type) {
    switch (type) {
    case ATTN_BF16:
        return 0x1.fep127;
    case ATTN_F16:
        return 65504.0;
    default:
        return 0x1.fffffep127;
    }
}

static uint32_t float_bits(float x) {
    uint32_t b;
    memcpy(&b, &x, sizeof b);
    return b;
}

static float bits_float(uint32_t b) {
    float x;
    memcpy(&x, &b, sizeof x);
    return x;
}

uint16_t attn_bf16_from_float(float x) {
    uint32_t b = float_bits(x);
    if (isnan(x))
        return (uint16_t)((b >> 16) | 0x40); /* quiet, sign kept */
    const uint32_t lsb = (b >> 16) & 1u;
    b += 0x7fffu + lsb; /* ties to even; carries into the exponent (and to inf) correctly */
    return (uint16_t)(b >> 16);
}

float attn_bf16_to_float(uint16_t bits) {
    return bits_float((uint32_t)bits << 16);
}

/* Binary16: 1 sign, 5 exponent (bias 15), 10 fraction bits. Rounding is done on the
 * value's binary32 bits shifted to binary16's last place. */
uint16_t attn_f16_from_float(float x) {
    const uint32_t b = float_bits(x);
    const uint16_t sign = (uint16_t)((b >> 16) & 0x8000u);
    const uint32_t magnitude = b & 0x7fffffffu;
    if (magnitude > 0x7f800000u)
        return (uint16_t)(sign | 0x7e00u | ((magnitude >> 13) & 0x3ffu));
    if (magnitude >= 0x477ff000u) /* 65520 and up round to inf */
        return (uint16_t)(sign | 0x7c00u);
    const int exponent = (int)(magnitude >> 23) - 127;
    if (exponent >= -14) { /* normal in binary16 */
        uint32_t value = magnitude - ((uint32_t)(127 - 15) << 23);
        const uint32_t lsb = (value >> 13) & 1u;
        value += 0xfffu + lsb;
        return (uint16_t)(sign | (value >> 13));
    }
    if (exponent < -25) /* below half the smallest subnormal: rounds to zero */
        return sign;
    /* Subnormal: the significand with its hidden bit, shifted to units of 2^-24. */
    const uint32_t significand = (magnitude & 0x7fffffu) | 0x800000u;
    const int shift = -exponent - 14 + 13; /* 14 .. 24 */
    const uint32_t kept = significand >> shift;
    const uint32_t rest = significand & ((1u << shift) - 1u), half = 1u << (shift - 1);
    const uint32_t rounded = kept + (rest > half || (rest == half && (kept & 1u)));
    return (uint16_t)(sign | rounded);
}

float attn_f16_to_float(uint16_t bits) {
    const uint32_t sign = (uint32_t)(bits & 0x8000u) << 16;
    const uint32_t exponent = (bits >> 10) & 0x1fu, fraction = bits & 0x3ffu;
    if (exponent == 0x1f)
        return bits_float(sign | 0x7f800000u | (fraction << 13));
    if (exponent == 0) {
        const float value = ldexpf((float)fraction, -24);
        return sign ? -value : value;
    }
    return bits_float(sign | ((exponent + 127 - 15) << 23) | (fraction << 13));
}

float attn_round_to_type(float x, int type) {
    switch (type) {
    case ATTN_BF16:
        return attn_bf16_to_float(attn_bf16_from_float(x));
    case ATTN_F16:
        return attn_f16_to_float(attn_f16_from_float(x));
    default:
        return x;
    }
}

void attn_store_elements(int type, const float *src, void *dst, int64_t count) {
    uint16_t *half = dst;
    switch (type) {
    case ATTN_BF16:
        for (int64_t i = 0; i < count; i++)
            half[i] = attn_bf16_from_float(src[i]);
        break;
    case ATTN_F16:
        for (int64_t i = 0; i < count; i++)
            half[i] = attn_f16_from_float(src[i]);
        break;
    default:
        memcpy(dst, src, (size_t)count * sizeof *src);
    }
}

void attn_load_elements(int type, const void *src, float *dst, int64_t count) {
    const uint16_t *half = src;
    switch (type) {
    case ATTN_BF16:
        for (int64_t i = 0; i < count; i++)
            dst[i] = attn_bf16_to_float(half[i]);
        break;
    case ATTN_F16:
        for (int64_t i = 0; i < count; i++)
            dst[i] = attn_f16_to_float(half[i]);
        break;
    default:
        memcpy(dst, src, (size_t)count * sizeof *dst);
    }
}

/* Overflow-checked size arithmetic for sizes that come from outside (case strings, .npy
 * headers, an implementation's workspace_size()): each helper returns false, and leaves
 * *out alone, when the exact result does not fit in the type. */
#ifndef ATTN_CHECKED_H
#define ATTN_CHECKED_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* *out = a * b */
static inline bool attn_checked_mul(size_t a, size_t b, size_t *out) {
    if (a != 0 && b > SIZE_MAX / a)
        return false;
    *out = a * b;
    return true;
}

/* *out = a + b */
static inline bool attn_checked_add(size_t a, size_t b, size_t *out) {
    if (b > SIZE_MAX - a)
        return false;
    *out = a + b;
    return true;
}

/* *out = x rounded up to a multiple of to (to > 0; to == 0 is refused). */
static inline bool attn_checked_round_up(size_t x, size_t to, size_t *out) {
    if (to == 0)
        return false;
    const size_t rest = x % to;
    if (rest == 0) {
        *out = x;
        return true;
    }
    return attn_checked_add(x - rest, to, out);
}

/* The same for 64-bit quantities (file offsets, byte counts shared between processes). */
static inline bool attn_checked_mul_u64(uint64_t a, uint64_t b, uint64_t *out) {
    if (a != 0 && b > UINT64_MAX / a)
        return false;
    *out = a * b;
    return true;
}

static inline bool attn_checked_add_u64(uint64_t a, uint64_t b, uint64_t *out) {
    if (b > UINT64_MAX - a)
        return false;
    *out = a + b;
    return true;
}

static inline bool attn_checked_round_up_u64(uint64_t x, uint64_t to, uint64_t *out) {
    if (to == 0)
        return false;
    const uint64_t rest = x % to;
    if (rest == 0) {
        *out = x;
        return true;
    }
    return attn_checked_add_u64(x - rest, to, out);
}

#endif

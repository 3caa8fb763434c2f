/* Chooses the table of attention vector operations (simd_ops.h) for this process. */
#include "simd_ops.h"

#include <stdlib.h>
#include <string.h>

static int portable_forced(void) {
    const char *value = getenv("ATTNBENCH_NO_SIMD");
    return value && value[0] && strcmp(value, "0") != 0;
}

const attn_simd_ops *attn_simd_ops_select(void) {
    if (portable_forced())
        return &attn_simd_ops_portable;
#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
    if (attn_simd_ops_avx512 && __builtin_cpu_supports("avx512f") &&
        __builtin_cpu_supports("avx512bw") && __builtin_cpu_supports("avx512vl"))
        return attn_simd_ops_avx512;
#endif
    return &attn_simd_ops_portable;
}

const char *attn_simd_ops_name(void) {
    return attn_simd_ops_select()->name;
}

/* The machine's roofs for a roofline, measured in the same run as the implementations:
 * the compute roof (independent multiply-add chains on the widest vector unit the CPU
 * has, f32, or bf16 dot products where the CPU has them) and the bandwidth roof (a
 * streaming read of a buffer much larger than the last-level cache), each with the
 * implementation's thread count. */
#ifndef ATTN_ROOFS_H
#define ATTN_ROOFS_H

#include <stdbool.h>

#include "attnbench.h"
#include "ceiling.h"
#include "error.h"

typedef struct attn_roof {
    double value;     /* GFLOP/s (compute) or GB/s (bandwidth), best sample */
    char kernel[128]; /* what ran: "avx512 fma f32, 16 chains", "read 512 MiB, avx512" */
} attn_roof;

/* The compute roof for a case whose GEMM runs at type (ceiling.h's attn_ceiling_type):
 * bf16 dot products (vdpbf16ps) for bf16 where the CPU has AVX512-BF16, else f32 FMA
 * chains on AVX-512, AVX2 or portable vectors. Cached per (unit, threads); *measured_now
 * tells whether it ran now. */
int attn_compute_roof(attn_element_type type, int threads, const attn_timing_options *timing,
                      attn_roof *roof, bool *measured_now, attn_error *err);

/* The bandwidth roof with this many threads: GB/s (1e9 bytes) of a read of max(256 MiB,
 * 8 x the last-level cache, at most 1 GiB), each thread its contiguous share, pages
 * first touched by the thread that reads them. Cached per thread count. */
int attn_bandwidth_roof(int threads, const attn_timing_options *timing, attn_roof *roof,
                        bool *measured_now, attn_error *err);

#endif

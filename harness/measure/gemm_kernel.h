/* One GEMM at a ceiling's shape, ready to be timed: C (M x N, f32) = A (M x K) B^T, with
 * B stored N x K (the QK^T product of attention), A and B at one element type. Each
 * library that can run it prepares one (gemm_openblas.c for f32, gemm_onednn.c for bf16
 * and fp16); ceiling.c times it. */
#ifndef ATTN_GEMM_KERNEL_H
#define ATTN_GEMM_KERNEL_H

#include <stddef.h>
#include <stdint.h>

#include "attnbench.h"

typedef struct attn_gemm_kernel {
    void *state;
    int (*run)(void *state); /* one product; nonzero when the library reports failure */
    void (*destroy)(void *state);
    char name[128]; /* library and kernel, e.g. "openblas sgemm (Cooperlake)" */
} attn_gemm_kernel;

/* Each returns 0 with *kernel ready, or -1 with why filled: the type is not one the
 * library multiplies, it is not in this build, memory ran out. */
int attn_gemm_openblas_prepare(attn_element_type type, int64_t m, int64_t n, int64_t k,
                               attn_gemm_kernel *kernel, char *why, size_t why_size);
int attn_gemm_onednn_prepare(attn_element_type type, int64_t m, int64_t n, int64_t k,
                             attn_gemm_kernel *kernel, char *why, size_t why_size);

#endif

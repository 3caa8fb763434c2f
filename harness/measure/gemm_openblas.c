/* The f32 ceiling: OpenBLAS cblas_sgemm. */
#include "gemm_kernel.h"

#include <cblas.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

char *openblas_get_corename(void);

typedef struct sgemm_state {
    int m, n, k;
    float *a, *b, *c;
} sgemm_state;

static int run_sgemm(void *state) {
    const sgemm_state *s = state;
    cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, s->m, s->n, s->k, 1.0f, s->a, s->k, s->b,
                s->k, 0.0f, s->c, s->n);
    return 0;
}

static void destroy_sgemm(void *state) {
    sgemm_state *s = state;
    if (!s)
        return;
    free(s->a);
    free(s->b);
    free(s->c);
    free(s);
}

int attn_gemm_openblas_prepare(attn_element_type type, int64_t m, int64_t n, int64_t k,
                               attn_gemm_kernel *kernel, char *why, size_t why_size) {
    if (type != ATTN_F32) {
        snprintf(why, why_size, "Debian's OpenBLAS multiplies f32 only (it exports no sbgemm)");
        return -1;
    }
    sgemm_state *s = calloc(1, sizeof *s);
    if (s) {
        *s = (sgemm_state){(int)m,
                           (int)n,
                           (int)k,
                           malloc((size_t)(m * k) * sizeof(float)),
                           malloc((size_t)(n * k) * sizeof(float)),
                           malloc((size_t)(m * n) * sizeof(float))};
    }
    if (!s || !s->a || !s->b || !s->c) {
        destroy_sgemm(s);
        snprintf(why, why_size, "out of memory for sgemm at %lld x %lld x %lld", (long long)m,
                 (long long)n, (long long)k);
        return -1;
    }
    for (int64_t i = 0; i < m * k; i++)
        s->a[i] = (float)((i % 17) - 8) / 8.0f;
    for (int64_t i = 0; i < n * k; i++)
        s->b[i] = (float)((i % 13) - 6) / 6.0f;
    memset(s->c, 0, (size_t)(m * n) * sizeof(float));
    *kernel = (attn_gemm_kernel){.state = s, .run = run_sgemm, .destroy = destroy_sgemm};
    snprintf(kernel->name, sizeof kernel->name, "openblas sgemm (%s)", openblas_get_corename());
    return 0;
}

/* What a report records about where it ran: CPU, compiler, BLAS core and threading,
 * OpenMP, commit, host, time; and the OpenBLAS generic-core fallback. */
#ifndef ATTN_ENVIRONMENT_H
#define ATTN_ENVIRONMENT_H

#include <stdbool.h>

#include "attnbench.h"

typedef struct attn_environment {
    char run_id[64];        /* UTC timestamp plus process id: unique per run */
    char timestamp_utc[32]; /* ISO 8601 */
    char git_commit[64];    /* at build time; "-dirty" when the tree had changes */
    char host[128];
    char cpu[256]; /* model name */
    int cores;     /* online processors */
    char compiler[128];
    char compiler_flags[256];
    char blas[256];     /* OpenBLAS configuration string */
    char blas_core[64]; /* openblas_get_corename() */
    char blas_threading[32];
    char blas_note[256];    /* what was done about a generic fallback core, or "" */
    char openmp[32];        /* OpenMP version (_OPENMP) */
    char blas_coretype[64]; /* OPENBLAS_CORETYPE as the environment set it, "" when unset;
                               blas_core says what OpenBLAS actually picked */
    char kernel_isa[16];    /* the vector-operation table of the built-in fused kernels this
                               process runs (impls/simd_ops.h): "avx512" or "portable" */
} attn_environment;

void attn_environment_read(attn_environment *env);

/* The table of vector operations this process's built-in fused kernels use ("avx512" or
 * "portable", impls/simd_ops.h): process-wide, chosen from the CPU and
 * ATTNBENCH_NO_SIMD. */
const char *attn_kernel_table(void);

/* The kernel table an implementation runs: env->kernel_isa for the built-ins built on
 * impls/simd_ops.h (blocked, omp, local, blas, decode), "n/a" for the others (naive,
 * plugins). */
const char *attn_kernel_isa(const attn_environment *env, const attn_impl *impl);

/* True when OpenBLAS picked a generic core although the CPU supports a better one;
 * better_core receives the OPENBLAS_CORETYPE to use. */
bool attn_blas_core_is_fallback(const char **better_core);

/* When OpenBLAS fell back to a generic core and OPENBLAS_CORETYPE is not set, sets it and
 * re-executes this program (OpenBLAS reads it only when it loads). Does nothing when
 * ATTNBENCH_KEEP_BLAS_CORE is set. Returns only when no restart happened. */
void attn_blas_core_fix_or_return(char **argv);

#endif

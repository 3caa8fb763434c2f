/* What a report records about where it ran: CPU, compiler, BLAS core and threading,
 * OpenMP, commit, host, time; and the OpenBLAS generic-core fallback. */
#ifndef ATTN_ENVIRONMENT_H
#define ATTN_ENVIRONMENT_H

#include <stdbool.h>

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
    char blas_note[256]; /* what was done about a generic fallback core, or "" */
    char openmp[32];     /* OpenMP version (_OPENMP) */
} attn_environment;

void attn_environment_read(attn_environment *env);

/* True when OpenBLAS picked a generic core although the CPU supports a better one;
 * better_core receives the OPENBLAS_CORETYPE to use. */
bool attn_blas_core_is_fallback(const char **better_core);

/* When OpenBLAS fell back to a generic core and OPENBLAS_CORETYPE is not set, sets it and
 * re-executes this program (OpenBLAS reads it only when it loads). Does nothing when
 * ATTNBENCH_KEEP_BLAS_CORE is set. Returns only when no restart happened. */
void attn_blas_core_fix_or_return(char **argv);

#endif

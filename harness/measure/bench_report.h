/* The bench CSV schema: column names and the formatting of one row (results/README.md
 * documents every column). */
#ifndef ATTN_BENCH_REPORT_H
#define ATTN_BENCH_REPORT_H

#include "attnbench.h"
#include "bench.h"
#include "environment.h"
#include "roofs.h"

#define ATTN_BENCH_SCHEMA "attnbench-bench-1"

extern const char *const attn_bench_columns[];
extern const size_t attn_bench_column_count;

typedef struct attn_bench_row {
    const attn_environment *env;
    const char *affinity;
    const attn_impl *impl;
    const attn_case *c;
    int threads;
    int reps_requested;
    const attn_bench_result *result;
    const attn_ceiling *sgemm; /* gflops 0: not measured */
    const attn_ceiling *gemm;  /* at the case's element type (ceiling.h) */
    const attn_roof *peak;     /* compute roof (roofs.h); value 0: not measured */
    const attn_roof *bandwidth;
} attn_bench_row;

/* Formats every field of the row; fields[i] points into storage (freed by the caller
 * with free(*storage)). Returns -1 when memory runs out. */
int attn_bench_row_fields(const attn_bench_row *row, const char **fields, char **storage);

/* "cpus=0-1 OMP_PROC_BIND=..." for this process. */
void attn_affinity_describe(char *out, size_t size);

#endif

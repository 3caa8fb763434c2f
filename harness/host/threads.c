/* OpenMP and OpenBLAS thread counts. */
#include "threads.h"

#include <omp.h>

/* Some cblas.h versions do not declare it; OpenBLAS always exports it. */
void openblas_set_num_threads(int num_threads);

void attn_set_threads(int threads) {
    omp_set_num_threads(threads);
    openblas_set_num_threads(threads);
}

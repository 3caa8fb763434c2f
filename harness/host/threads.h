/* The thread settings made before every forward call (attnbench.h's call contract). */
#ifndef ATTN_THREADS_H
#define ATTN_THREADS_H

/* Sets the thread count of OpenMP and OpenBLAS alike, in this process. */
void attn_set_threads(int threads);

#endif

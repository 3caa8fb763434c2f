/* A plugin that runs its own raw POSIX threads: forward splits the (batch, head) pairs over
 * args->threads threads (the calling thread is one of them) and joins them before it
 * returns. */
#define _POSIX_C_SOURCE 200809L
#include <attnbench.h>
#include <pthread.h>
#include <stdio.h>
#include <string.h>

#include "test_kernel.h"

#define MAX_THREADS 256

typedef struct share {
    const attn_args *args;
    int64_t first, last; /* (batch, head) pairs [first, last), flattened */
} share;

static void *run_share(void *arg) {
    const share *s = arg;
    const int64_t heads_q = s->args->problem->heads_q;
    for (int64_t bh = s->first; bh < s->last; bh++)
        test_kernel_head(s->args, bh / heads_q, bh % heads_q);
    return NULL;
}

static int pthread_forward(void *context, const attn_args *a) {
    (void)context;
    const int64_t heads = a->problem->batch * a->problem->heads_q;
    int64_t threads = a->threads < MAX_THREADS ? a->threads : MAX_THREADS;
    if (threads > heads)
        threads = heads;
    if (threads < 1)
        threads = 1;
    share shares[MAX_THREADS];
    pthread_t ids[MAX_THREADS];
    for (int64_t t = 0; t < threads; t++)
        shares[t] = (share){a, heads * t / threads, heads * (t + 1) / threads};
    int64_t started = 1, error = 0;
    for (; started < threads; started++) {
        error = pthread_create(&ids[started], NULL, run_share, &shares[started]);
        if (error)
            break;
    }
    run_share(&shares[0]);
    for (int64_t t = 1; t < started; t++)
        pthread_join(ids[t], NULL);
    if (error) {
        snprintf(a->message, a->message_size, "pthread_create of thread %lld: %s",
                 (long long)started, strerror((int)error));
        return ATTN_FAILED;
    }
    return ATTN_OK;
}

static const attn_impl pthread_heads = {
    ATTN_IMPL_HEADER,
    .name = "pthread_heads",
    .summary = "test plugin: (batch, head) pairs split over raw pthreads",
    .caps = TEST_KERNEL_CAPS,
    .forward = pthread_forward,
};

static const attn_impl *const impls[] = {&pthread_heads};
static const attn_plugin plugin = {ATTN_PLUGIN_HEADER, .count = 1, .impls = impls};

ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    return &plugin;
}

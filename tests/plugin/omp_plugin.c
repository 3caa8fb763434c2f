/* A plugin with its own OpenMP parallelism and per-implementation state: two
 * implementations from one set of functions, told apart by user_data. init turns that into
 * a malloc'd context (a call counter and per-thread row counts); forward checks it was
 * handed that context and that the parallel loop covered every row. `ompctx` splits
 * (batch, head) pairs over args->threads OpenMP threads, `ompctx_rows` splits query rows. */
#include <attnbench.h>
#include <omp.h>
#include <stdio.h>
#include <stdlib.h>

#include "test_kernel.h"

#define CONTEXT_MAGIC 0x6f6d7063u

typedef enum split { SPLIT_HEADS, SPLIT_ROWS } split;

/* What user_data points at: fixed per implementation. */
typedef struct variant {
    const char *name;
    split how;
} variant;

/* What init makes. */
typedef struct context {
    unsigned magic;
    const variant *variant;
    long calls;
    int capacity;       /* entries in rows_done */
    int64_t *rows_done; /* per OpenMP thread, rows computed in the last call */
} context;

static int ompctx_init(const attn_impl *self, void **state, char *message, size_t size) {
    const variant *v = *state;
    if (v != self->user_data) {
        snprintf(message, size, "init: *context is not this implementation's user_data");
        return ATTN_FAILED;
    }
    context *c = calloc(1, sizeof *c);
    if (!c) {
        snprintf(message, size, "init: out of memory");
        return ATTN_FAILED;
    }
    c->magic = CONTEXT_MAGIC;
    c->variant = v;
    *state = c;
    return ATTN_OK;
}

static void ompctx_release(void *state) {
    context *c = state;
    c->magic = 0;
    free(c->rows_done);
    free(c);
}

static size_t ompctx_allocated_bytes(void *state, const attn_problem *p, int threads) {
    (void)state, (void)p;
    return (size_t)threads * sizeof(int64_t);
}

static int ompctx_forward(void *state, const attn_args *a) {
    context *c = state;
    if (!c || c->magic != CONTEXT_MAGIC) {
        snprintf(a->message, a->message_size, "forward: not given the context init made");
        return ATTN_FAILED;
    }
    const attn_problem *p = a->problem;
    const int threads = a->threads;
    if (threads > c->capacity) {
        int64_t *grown = realloc(c->rows_done, (size_t)threads * sizeof *grown);
        if (!grown) {
            snprintf(a->message, a->message_size, "forward: out of memory");
            return ATTN_FAILED;
        }
        c->rows_done = grown;
        c->capacity = threads;
    }
    for (int t = 0; t < threads; t++)
        c->rows_done[t] = 0;
    c->calls++;
    int64_t *rows_done = c->rows_done;
    const int64_t heads = p->batch * p->heads_q, rows = heads * p->seq_q;
    if (c->variant->how == SPLIT_HEADS) {
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t bh = 0; bh < heads; bh++) {
            test_kernel_head(a, bh / p->heads_q, bh % p->heads_q);
            rows_done[omp_get_thread_num()] += p->seq_q;
        }
    } else {
#pragma omp parallel for num_threads(threads) schedule(static)
        for (int64_t r = 0; r < rows; r++) {
            test_kernel_row(a, r / (p->heads_q * p->seq_q), r / p->seq_q % p->heads_q,
                            r % p->seq_q);
            rows_done[omp_get_thread_num()]++;
        }
    }
    int64_t total = 0;
    for (int t = 0; t < threads; t++)
        total += rows_done[t];
    if (total != rows) {
        snprintf(a->message, a->message_size, "%s call %ld: %lld of %lld rows computed",
                 c->variant->name, c->calls, (long long)total, (long long)rows);
        return ATTN_FAILED;
    }
    return ATTN_OK;
}

static const variant by_heads = {"ompctx", SPLIT_HEADS};
static const variant by_rows = {"ompctx_rows", SPLIT_ROWS};

static const attn_impl ompctx = {
    ATTN_IMPL_HEADER,
    .name = "ompctx",
    .summary = "test plugin: OpenMP over (batch, head), state made by init",
    .caps = TEST_KERNEL_CAPS,
    .user_data = (void *)&by_heads,
    .init = ompctx_init,
    .release = ompctx_release,
    .allocated_bytes = ompctx_allocated_bytes,
    .forward = ompctx_forward,
};

static const attn_impl ompctx_rows = {
    ATTN_IMPL_HEADER,
    .name = "ompctx_rows",
    .summary = "test plugin: OpenMP over query rows, same functions, own state",
    .caps = TEST_KERNEL_CAPS,
    .user_data = (void *)&by_rows,
    .init = ompctx_init,
    .release = ompctx_release,
    .allocated_bytes = ompctx_allocated_bytes,
    .forward = ompctx_forward,
};

static const attn_impl *const impls[] = {&ompctx, &ompctx_rows};
static const attn_plugin plugin = {ATTN_PLUGIN_HEADER, .count = 2, .impls = impls};

ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    return &plugin;
}

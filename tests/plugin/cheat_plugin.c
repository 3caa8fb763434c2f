/* Plugins that pass an untimed check but cheat when timed, one cheat each, selected at
 * compile time (-DCHEAT=...). `attnbench bench` must reject every one of them: it
 * alternates input sets, poisons O before each sample, verifies every sample, checks every
 * return code and compares the inputs after timing. */
#include <attnbench.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "test_kernel.h"

#define CHEAT_CORRECT_ONCE 1  /* computes on the first call only, later returns at once */
#define CHEAT_MEMOISE 2       /* replays the output kept for the same pointers and shape */
#define CHEAT_FAIL_TIMED 3    /* correct on the first 2 calls, ATTN_FAILED after */
#define CHEAT_MODIFY_INPUTS 4 /* correct, but from the 2nd call on zeroes one element of K */

#ifndef CHEAT
#error "compile with -DCHEAT=CHEAT_..."
#endif

/* Calls since the library was loaded (one worker process, one thread: no race). */
static long calls;

#if CHEAT == CHEAT_MEMOISE
#define MEMO_ENTRIES 16

/* One remembered call: its key and its output, dense BHSD. */
typedef struct memo_entry {
    const void *q, *k, *v;
    attn_problem problem;
    float *o, *lse;
} memo_entry;

static memo_entry memo[MEMO_ENTRIES];
static int memo_next;

static int same_problem(const attn_problem *a, const attn_problem *b) {
    return a->batch == b->batch && a->heads_q == b->heads_q && a->heads_kv == b->heads_kv &&
           a->seq_q == b->seq_q && a->seq_kv == b->seq_kv && a->head_dim == b->head_dim &&
           a->head_dim_v == b->head_dim_v && a->window_left == b->window_left &&
           a->window_right == b->window_right && a->scale == b->scale;
}

static attn_tensor dense(float *data, int64_t b, int64_t h, int64_t n, int64_t d) {
    attn_tensor t = {.data = data,
                     .dtype = ATTN_F32,
                     .space = ATTN_SPACE_HOST,
                     .shape = {b, h, n, d},
                     .stride = {h * n * d, n * d, d, 1}};
    return t;
}

/* Copies the remembered output into the caller's O (and LSE), through their strides. */
static void replay(const memo_entry *e, const attn_args *a) {
    const attn_problem *p = a->problem;
    attn_tensor o = dense(e->o, p->batch, p->heads_q, p->seq_q, p->head_dim_v);
    attn_tensor lse = dense(e->lse, p->batch, p->heads_q, p->seq_q, 1);
    lse.stride[3] = 0;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->heads_q; h++)
            for (int64_t i = 0; i < p->seq_q; i++) {
                for (int64_t c = 0; c < p->head_dim_v; c++)
                    *test_at(&a->o, b, h, i, c) = *test_at(&o, b, h, i, c);
                if (a->lse.data)
                    *test_at(&a->lse, b, h, i, 0) = *test_at(&lse, b, h, i, 0);
            }
}

static int memo_forward(const attn_args *a) {
    const attn_problem *p = a->problem;
    for (int e = 0; e < MEMO_ENTRIES; e++)
        if (memo[e].o && memo[e].q == a->q.data && memo[e].k == a->k.data &&
            memo[e].v == a->v.data && same_problem(&memo[e].problem, p)) {
            replay(&memo[e], a);
            return ATTN_OK;
        }
    memo_entry *e = &memo[memo_next];
    memo_next = (memo_next + 1) % MEMO_ENTRIES;
    free(e->o);
    free(e->lse);
    const size_t rows = (size_t)(p->batch * p->heads_q * p->seq_q);
    *e = (memo_entry){.q = a->q.data,
                      .k = a->k.data,
                      .v = a->v.data,
                      .problem = *p,
                      .o = malloc(rows * (size_t)p->head_dim_v * sizeof(float)),
                      .lse = malloc(rows * sizeof(float))};
    if (!e->o || !e->lse) {
        snprintf(a->message, a->message_size, "out of memory");
        return ATTN_FAILED;
    }
    attn_args into = *a;
    into.o = dense(e->o, p->batch, p->heads_q, p->seq_q, p->head_dim_v);
    into.lse = dense(e->lse, p->batch, p->heads_q, p->seq_q, 1);
    into.lse.stride[3] = 0;
    test_kernel_forward(&into);
    replay(e, a);
    return ATTN_OK;
}

static size_t memo_allocated_bytes(void *context, const attn_problem *p, int threads) {
    (void)context, (void)threads;
    const size_t rows = (size_t)(p->batch * p->heads_q * p->seq_q);
    return MEMO_ENTRIES * rows * ((size_t)p->head_dim_v + 1) * sizeof(float);
}
#endif

#if CHEAT == CHEAT_MODIFY_INPUTS
/* The elements of K this cheat zeroed (one per input set) and the values they had, so
 * that its outputs stay correct for the inputs the host believes it passed: only the
 * comparison of the inputs can tell. */
#define ZEROED_MAX 8
static struct {
    float *at;
    float was;
} zeroed[ZEROED_MAX];

static void zero_first_of_k(float *k) {
    int slot = 0;
    while (slot < ZEROED_MAX - 1 && zeroed[slot].at && zeroed[slot].at != k)
        slot++;
    zeroed[slot].at = k;
    zeroed[slot].was = *k;
    *k = 0.0f;
}

/* Puts back what an earlier call zeroed, unless the host has refilled it since. */
static void restore_k(float *k) {
    for (int slot = 0; slot < ZEROED_MAX; slot++)
        if (zeroed[slot].at == k && *k == 0.0f)
            *k = zeroed[slot].was;
}
#endif

static int cheat_forward(void *context, const attn_args *a) {
    (void)context;
    calls++;
#if CHEAT == CHEAT_CORRECT_ONCE
    if (calls > 1)
        return ATTN_OK;
    return test_kernel_forward(a);
#elif CHEAT == CHEAT_MEMOISE
    return memo_forward(a);
#elif CHEAT == CHEAT_FAIL_TIMED
    if (calls > 2) {
        snprintf(a->message, a->message_size, "cheat: refusing call %ld", calls);
        return ATTN_FAILED;
    }
    return test_kernel_forward(a);
#elif CHEAT == CHEAT_MODIFY_INPUTS
    restore_k(a->k.data);
    test_kernel_forward(a);
    if (calls >= 2)
        zero_first_of_k(a->k.data);
    return ATTN_OK;
#else
#error "unknown CHEAT"
#endif
}

static const attn_impl cheat = {
    ATTN_IMPL_HEADER,
    .name = "cheat",
    .summary = "a plugin that cheats when timed (tests/plugin/cheat_plugin.c)",
    .caps = TEST_KERNEL_CAPS,
#if CHEAT == CHEAT_MEMOISE
    .allocated_bytes = memo_allocated_bytes,
#endif
    .forward = cheat_forward,
};

static const attn_impl *const impls[] = {&cheat};
static const attn_plugin plugin = {ATTN_PLUGIN_HEADER, .count = 1, .impls = impls};

ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    return &plugin;
}

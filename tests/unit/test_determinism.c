/* Bitwise reproducibility of every registered implementation (impls/registry.h): two runs
 * on the same inputs give the same bits, on the SIMD and the portable path, and the
 * implementations that promise it give the same bits for any thread count. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_data.h"

#include "../../impls/registry.h" /* registry.c is linked into this test by CMake */

/* Cases with several query tiles per head (so threads share the work), GQA, cross-
 * attention both ways, odd head sizes, every kind of mask, rows that see no key. */
static const char *const cases[] = {
    "b=2 hq=4 hkv=2 nq=150 nkv=77 d=59 dv=3 window=-1:0 seed=5",
    "b=1 hq=2 hkv=1 n=300 d=64 dv=64 window=40:7 seed=6",
    "b=1 hq=3 hkv=3 nq=130 nkv=200 d=16 dv=24 window=-1:-1 scale=0.7 seed=7 dist=offset",
    "b=1 hq=2 hkv=2 nq=200 nkv=129 d=8 dv=8 window=3:-1 seed=8 dist=ties",
};

/* Implementations whose result does not depend on args->threads. blas is left out: for
 * long key sequences its block of query rows shrinks as threads grow (a memory cap), and
 * sgemm does not promise the same bits for another blocking. */
static const char *const thread_invariant[] = {"naive", "blocked", "omp", "local"};

typedef struct outputs {
    float *o, *lse;
    size_t o_count, lse_count;
} outputs;

static bool promises_thread_invariance(const attn_impl *impl) {
    for (size_t i = 0; i < sizeof thread_invariant / sizeof thread_invariant[0]; i++)
        if (strcmp(impl->name, thread_invariant[i]) == 0)
            return true;
    return false;
}

static void load_case(const char *text, attn_case_data *data) {
    attn_case c;
    attn_error err = {0};
    cr_assert_eq(attn_case_parse(text, &c, &err), 0, "%s: %s", text, err.message);
    cr_assert_eq(attn_case_data_compute(&c, data, &err), 0, "%s: %s", text, err.message);
}

/* A dense (BHSD) descriptor of float data with logical shape [d0][d1][d2][d3]. */
static attn_tensor dense(float *data, int64_t d0, int64_t d1, int64_t d2, int64_t d3) {
    attn_tensor t = {
        .data = data,
        .dtype = ATTN_F32,
        .space = ATTN_SPACE_HOST,
        .shape = {d0, d1, d2, d3},
        .stride = {d1 * d2 * d3, d2 * d3, d3, 1},
    };
    return t;
}

/* LSE [d0][d1][d2]: shape[3] is 1 and stride[3] is 0. */
static attn_tensor dense_lse(float *data, int64_t d0, int64_t d1, int64_t d2) {
    attn_tensor t = dense(data, d0, d1, d2, 1);
    t.stride[3] = 0;
    return t;
}

/* Runs impl once with `threads` threads; the caller frees the outputs. */
static outputs run(const attn_impl *impl, const attn_case_data *data, int threads) {
    const attn_problem *p = &data->c.problem;
    outputs out = {.o_count = data->sizes.o, .lse_count = data->sizes.lse};
    out.o = malloc(out.o_count * sizeof(float));
    out.lse = malloc(out.lse_count * sizeof(float));
    char message[256] = "";
    void *context = impl->user_data;
    if (impl->init)
        cr_assert_eq(impl->init(impl, &context, message, sizeof message), ATTN_OK,
                     "%s: init failed: %s", impl->name, message);
    size_t bytes = impl->workspace_size ? impl->workspace_size(context, p, threads) : 0;
    void *workspace = bytes ? aligned_alloc(64, (bytes + 63) / 64 * 64) : NULL;
    cr_assert(out.o && out.lse && (!bytes || workspace), "out of memory");
    const int64_t b = p->batch, hq = p->heads_q, hkv = p->heads_kv;
    const int lse_wanted = (impl->caps & ATTN_CAP_LSE) != 0;
    attn_args args = {
        .struct_size = sizeof(attn_args),
        .threads = threads,
        .problem = p,
        .q = dense(data->q, b, hq, p->seq_q, p->head_dim),
        .k = dense(data->k, b, hkv, p->seq_kv, p->head_dim),
        .v = dense(data->v, b, hkv, p->seq_kv, p->head_dim_v),
        .o = dense(out.o, b, hq, p->seq_q, p->head_dim_v),
        .lse = dense_lse(lse_wanted ? out.lse : NULL, b, hq, p->seq_q),
        .workspace = workspace,
        .workspace_size = bytes,
        .message = message,
        .message_size = sizeof message,
    };
    if (!lse_wanted)
        memset(out.lse, 0, out.lse_count * sizeof(float));
    cr_assert_eq(impl->forward(context, &args), ATTN_OK, "%s failed: %s", impl->name, message);
    if (impl->release)
        impl->release(context);
    free(workspace);
    return out;
}

static void free_outputs(outputs *out) {
    free(out->o);
    free(out->lse);
}

static void expect_same_bits(const outputs *a, const outputs *b, const char *what, const char *impl,
                             const char *text) {
    cr_expect(memcmp(a->o, b->o, a->o_count * sizeof(float)) == 0, "%s: O differs (%s) on %s", impl,
              what, text);
    cr_expect(memcmp(a->lse, b->lse, a->lse_count * sizeof(float)) == 0,
              "%s: LSE differs (%s) on %s", impl, what, text);
}

/* Checks every implementation on every case, on the path ATTNBENCH_NO_SIMD selects. */
static void check_all(bool across_threads) {
    size_t count;
    const attn_impl *const *impls = attn_registry(&count);
    for (size_t c = 0; c < sizeof cases / sizeof cases[0]; c++) {
        attn_case_data data;
        load_case(cases[c], &data);
        for (size_t i = 0; i < count; i++) {
            const attn_impl *impl = impls[i];
            outputs first = run(impl, &data, 2);
            if (!across_threads) {
                outputs again = run(impl, &data, 2);
                expect_same_bits(&first, &again, "run to run, 2 threads", impl->name, cases[c]);
                free_outputs(&again);
            } else if (promises_thread_invariance(impl)) {
                for (int threads = 1; threads <= 3; threads += 2) {
                    outputs other = run(impl, &data, threads);
                    char what[64];
                    snprintf(what, sizeof what, "2 threads vs %d", threads);
                    expect_same_bits(&first, &other, what, impl->name, cases[c]);
                    free_outputs(&other);
                }
            }
            free_outputs(&first);
        }
        attn_case_data_free(&data);
    }
}

static void use_simd(void) {
    unsetenv("ATTNBENCH_NO_SIMD");
}

static void use_portable(void) {
    setenv("ATTNBENCH_NO_SIMD", "1", 1);
}

Test(determinism, run_to_run, .init = use_simd) {
    check_all(false);
}

Test(determinism, run_to_run_portable, .init = use_portable) {
    check_all(false);
}

Test(determinism, any_thread_count, .init = use_simd) {
    check_all(true);
}

Test(determinism, any_thread_count_portable, .init = use_portable) {
    check_all(true);
}

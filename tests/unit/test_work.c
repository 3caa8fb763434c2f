/* Unit tests for the work of a case (harness/core/work.h) and for the verification of a
 * benchmarked output (harness/judge/verify.h).
 *
 * FLOPs are checked against a brute-force count of visible (query, key) pairs written here
 * from the mask predicate of design.md section 1 (key j visible to query i iff
 * (left < 0 || j >= i + off - left) && (right < 0 || j <= i + off + right), off = Nkv - Nq),
 * not from the harness's own helpers. */
#include <criterion/criterion.h>

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "case_data.h"
#include "generate.h"
#include "problem.h"
#include "row_sample.h"
#include "reference_cache.h"
#include "verify.h"
#include "work.h"

static attn_case parse(const char *text) {
    attn_case c;
    attn_error err = {0};
    cr_assert_eq(attn_case_parse(text, &c, &err), 0, "case '%s': %s", text, err.message);
    return c;
}

static bool visible(int64_t nq, int64_t nkv, int64_t left, int64_t right, int64_t i, int64_t j) {
    int64_t off = nkv - nq;
    return (left < 0 || j >= i + off - left) && (right < 0 || j <= i + off + right);
}

/* Visible pairs of one (batch, head), by trying every (i, j). */
static int64_t brute_pairs(const attn_problem *p) {
    int64_t total = 0;
    for (int64_t i = 0; i < p->seq_q; i++)
        for (int64_t j = 0; j < p->seq_kv; j++)
            total += visible(p->seq_q, p->seq_kv, p->window_left, p->window_right, i, j);
    return total;
}

static int64_t brute_row(const attn_problem *p, int64_t i) {
    int64_t total = 0;
    for (int64_t j = 0; j < p->seq_kv; j++)
        total += visible(p->seq_q, p->seq_kv, p->window_left, p->window_right, i, j);
    return total;
}

static void check_work(const char *text) {
    attn_case c = parse(text);
    const attn_problem *p = &c.problem;
    attn_work w;
    memset(&w, 0xff, sizeof w);
    attn_work_of(&c, &w);
    int64_t pairs = brute_pairs(p) * p->batch * p->heads_q;
    double flops = 2.0 * (double)(p->head_dim + p->head_dim_v) * (double)pairs;
    double q = (double)(p->batch * p->heads_q * p->seq_q * p->head_dim);
    double k = (double)(p->batch * p->heads_kv * p->seq_kv * p->head_dim);
    double v = (double)(p->batch * p->heads_kv * p->seq_kv * p->head_dim_v);
    double o = (double)(p->batch * p->heads_q * p->seq_q * p->head_dim_v);
    cr_expect_eq(w.visible_pairs, pairs, "'%s': visible_pairs %lld, brute force %lld", text,
                 (long long)w.visible_pairs, (long long)pairs);
    cr_expect_eq(w.flops, flops, "'%s': flops %.17g, want %.17g", text, w.flops, flops);
    cr_expect_eq(w.bytes, 4.0 * (q + k + v + o), "'%s': bytes %.17g, want %.17g", text, w.bytes,
                 4.0 * (q + k + v + o));
}

Test(work, hand_counted) {
    /* causal 4x4: 1 + 2 + 3 + 4 = 10 pairs, 2 (1 + 1) FLOPs each */
    attn_case c = parse("nq=4 nkv=4 d=1 window=causal");
    attn_work w;
    attn_work_of(&c, &w);
    cr_assert_eq(w.visible_pairs, 10);
    cr_assert_eq(w.flops, 40.0);
    cr_assert_eq(w.bytes, 4.0 * (4 + 4 + 4 + 4));
    /* global 3x5, d=2 dv=3: 15 pairs x 2 x 5 = 150; bytes 4 (6 + 10 + 15 + 9) */
    c = parse("nq=3 nkv=5 d=2 dv=3");
    attn_work_of(&c, &w);
    cr_assert_eq(w.visible_pairs, 15);
    cr_assert_eq(w.flops, 150.0);
    cr_assert_eq(w.bytes, 4.0 * (6 + 10 + 15 + 9));
}

Test(work, causal) {
    check_work("b=1 hq=1 hkv=1 nq=37 nkv=37 d=8 window=causal");
    check_work("b=2 hq=4 hkv=4 nq=128 nkv=128 d=64 window=-1:0");
}

Test(work, windows) {
    const char *windows[] = {"0:0", "1:1", "3:9", "300:0", "-1:5"};
    const char *shapes[] = {"nq=50 nkv=50", "nq=17 nkv=61", "nq=61 nkv=17", "nq=1 nkv=1",
                            "nq=400 nkv=400"};
    char text[256];
    for (size_t w = 0; w < sizeof windows / sizeof windows[0]; w++)
        for (size_t s = 0; s < sizeof shapes / sizeof shapes[0]; s++) {
            snprintf(text, sizeof text, "b=1 hq=2 hkv=1 %s d=16 window=%s", shapes[s], windows[w]);
            check_work(text);
        }
}

Test(work, global) {
    check_work("b=1 hq=1 hkv=1 nq=33 nkv=33 d=8");
    check_work("b=3 hq=2 hkv=2 nq=7 nkv=90 d=4 window=global");
}

Test(work, cross_fewer_queries_than_keys) {
    check_work("b=1 hq=2 hkv=2 nq=10 nkv=40 d=8 window=causal");
    check_work("b=1 hq=2 hkv=2 nq=10 nkv=40 d=8 window=2:3");
    check_work("b=1 hq=2 hkv=2 nq=10 nkv=40 d=8");
}

Test(work, cross_more_queries_than_keys_has_rows_without_keys) {
    const char *text = "b=2 hq=2 hkv=1 nq=40 nkv=10 d=8 window=causal";
    attn_case c = parse(text);
    /* bottom-right aligned: rows 0 .. nq - nkv - 1 see no key */
    for (int64_t i = 0; i < 30; i++)
        cr_assert_eq(brute_row(&c.problem, i), 0, "row %lld", (long long)i);
    cr_assert_eq(brute_row(&c.problem, 30), 1);
    cr_assert_eq(brute_row(&c.problem, 39), 10);
    check_work(text);
    check_work("b=1 hq=1 hkv=1 nq=40 nkv=10 d=8 window=3:0");
    check_work("b=1 hq=1 hkv=1 nq=40 nkv=10 d=8 window=0:0");
    check_work("b=1 hq=1 hkv=1 nq=40 nkv=10 d=8");
}

Test(work, gqa_and_dv) {
    check_work("b=2 hq=8 hkv=2 nq=24 nkv=24 d=16 window=causal");
    check_work("b=1 hq=6 hkv=3 nq=20 nkv=31 d=16 dv=5 window=4:1");
    check_work("b=1 hq=4 hkv=1 nq=9 nkv=9 d=3 dv=64");
    check_work("b=5 hq=12 hkv=4 nq=13 nkv=7 d=32 dv=8 window=-1:5");
}

/* ---- attn_row_sample_rows (the rows bench and check verify on long cases) ---- */

static size_t sample(const char *text, int64_t *rows, size_t capacity) {
    attn_case c = parse(text);
    for (size_t n = 0; n < capacity; n++)
        rows[n] = -12345;
    size_t count = attn_row_sample_rows(&c, 0, rows, capacity);
    cr_assert(count <= capacity, "'%s': %zu rows for capacity %zu", text, count, capacity);
    cr_assert(count >= 1, "'%s': no rows", text);
    for (size_t n = 0; n < count; n++) {
        cr_assert(rows[n] >= 0 && rows[n] < c.problem.seq_q, "'%s': row %lld outside [0, %lld)",
                  text, (long long)rows[n], (long long)c.problem.seq_q);
        if (n)
            cr_assert(rows[n - 1] < rows[n], "'%s': rows %lld, %lld not sorted and distinct", text,
                      (long long)rows[n - 1], (long long)rows[n]);
    }
    return count;
}

static bool has_row(const int64_t *rows, size_t count, int64_t row) {
    for (size_t n = 0; n < count; n++)
        if (rows[n] == row)
            return true;
    return false;
}

static void check_ends(const char *text) {
    int64_t rows[256];
    attn_case c = parse(text);
    size_t count = sample(text, rows, 256);
    cr_assert(has_row(rows, count, 0), "'%s': row 0 not sampled", text);
    cr_assert(has_row(rows, count, c.problem.seq_q - 1), "'%s': last row not sampled", text);
}

Test(verify, sample_rows_sorted_distinct_in_range) {
    check_ends("nq=4096 nkv=4096 d=64");
    check_ends("nq=4096 nkv=4096 d=64 window=causal");
    check_ends("nq=1000 nkv=3000 d=64 window=16:0");
    check_ends("nq=3000 nkv=1000 d=64 window=16:16");
    check_ends("nq=2 nkv=2 d=8");
    check_ends("nq=3 nkv=100 d=8 window=causal");
    int64_t rows[8];
    cr_assert_eq(sample("nq=1 nkv=1 d=8", rows, 8), 1);
    cr_assert_eq(rows[0], 0);
}

Test(verify, sample_rows_respect_capacity) {
    int64_t rows[16];
    for (size_t n = 0; n < 16; n++)
        rows[n] = -12345;
    attn_case c = parse("nq=5000 nkv=5000 d=64 window=7:3");
    size_t count = attn_row_sample_rows(&c, 0, rows, 4);
    cr_assert(count >= 1 && count <= 4, "%zu rows for capacity 4", count);
    for (size_t n = 1; n < count; n++)
        cr_assert(rows[n - 1] < rows[n] && rows[n] >= 0 && rows[n] < 5000);
    for (size_t n = 4; n < 16; n++)
        cr_assert_eq(rows[n], -12345, "row slot %zu written beyond capacity 4", n);
}

Test(verify, sample_rows_causal_first_row_with_a_key) {
    /* nq > nkv, causal: rows before nq - nkv see no key; nq - nkv is the first that does */
    const char *text = "nq=3000 nkv=1000 d=64 window=causal";
    int64_t rows[256];
    size_t count = sample(text, rows, 256);
    attn_case c = parse(text);
    int64_t first = 2000;
    cr_assert_eq(brute_row(&c.problem, first - 1), 0);
    cr_assert_eq(brute_row(&c.problem, first), 1);
    for (int64_t i = first - 1; i <= first + 1; i++)
        cr_assert(has_row(rows, count, i),
                  "'%s': row %lld (first row with a key %lld, or a "
                  "neighbour) not sampled",
                  text, (long long)i, (long long)first);
    cr_assert(has_row(rows, count, 0) && has_row(rows, count, 2999));
}

Test(verify, sample_rows_left_window_edge) {
    /* window 8:0 on 100 x 100: row 8 is the last whose window still holds key 0 */
    const char *text = "nq=100 nkv=100 d=64 window=8:0";
    int64_t rows[256];
    size_t count = sample(text, rows, 256);
    cr_assert(visible(100, 100, 8, 0, 8, 0) && !visible(100, 100, 8, 0, 9, 0));
    for (int64_t i = 7; i <= 9; i++)
        cr_assert(has_row(rows, count, i),
                  "'%s': row %lld (left mask edge 8 or a neighbour) not "
                  "sampled",
                  text, (long long)i);
}

/* ---- attn_verify_output ---- */

/* The reference output (and LSE) of the case rounded to float. */
static void reference_floats(const attn_case_data *d, float **o, float **lse) {
    *o = malloc(d->sizes.o * sizeof **o);
    *lse = malloc(d->sizes.lse * sizeof **lse);
    cr_assert(*o && *lse);
    for (size_t n = 0; n < d->sizes.o; n++)
        (*o)[n] = (float)d->o[n];
    for (size_t n = 0; n < d->sizes.lse; n++)
        (*lse)[n] = (float)d->lse[n];
}

static void compute(const char *text, attn_case_data *d) {
    attn_case c = parse(text);
    attn_error err = {0};
    cr_assert_eq(attn_case_data_compute(&c, d, &err), 0, "'%s': %s", text, err.message);
}

Test(verify, small_case_full_verification) {
    const char *text = "b=2 hq=4 hkv=2 nq=13 nkv=21 d=8 dv=6 window=3:2";
    attn_case_data d;
    compute(text, &d);
    float *o, *lse;
    reference_floats(&d, &o, &lse);
    attn_verify_result r;
    cr_assert_eq(attn_verify_output(&d.c, d.q, d.k, d.v, o, lse, &r), 0);
    cr_assert(r.passed, "correct output rejected: %s", r.detail);
    cr_assert_eq(r.rows_total, (size_t)(2 * 4 * 13));
    cr_assert_eq(r.rows_checked, r.rows_total, "small case: %zu of %zu rows checked",
                 r.rows_checked, r.rows_total);
    cr_assert(r.err_ratio <= 1.0 && r.max_abs_err >= 0.0, "err_ratio %g", r.err_ratio);
    cr_assert(attn_verify_output(&d.c, d.q, d.k, d.v, o, NULL, &r) == 0 && r.passed);

    /* An error far outside tolerance in O[1][2][5][3]. */
    size_t flat = (((size_t)1 * 4 + 2) * 13 + 5) * 6 + 3;
    float saved = o[flat];
    o[flat] += 0.25f;
    cr_assert_eq(attn_verify_output(&d.c, d.q, d.k, d.v, o, lse, &r), 0);
    cr_assert_not(r.passed, "planted error accepted");
    cr_assert(strstr(r.detail, "O[1][2][5][3]"), "detail does not name the element: '%s'",
              r.detail);
    cr_assert(r.err_ratio > 1.0 && r.max_abs_err >= 0.2, "err_ratio %g max_abs_err %g", r.err_ratio,
              r.max_abs_err);
    o[flat] = saved;

    /* An error in the LSE of row [0][3][12]. */
    size_t lse_flat = ((size_t)0 * 4 + 3) * 13 + 12;
    lse[lse_flat] += 0.5f;
    cr_assert_eq(attn_verify_output(&d.c, d.q, d.k, d.v, o, lse, &r), 0);
    cr_assert_not(r.passed, "planted LSE error accepted");
    cr_assert(strstr(r.detail, "LSE[0][3][12]"), "detail: '%s'", r.detail);
    /* ... and ignored when LSE is not checked */
    cr_assert(attn_verify_output(&d.c, d.q, d.k, d.v, o, NULL, &r) == 0 && r.passed, "%s",
              r.detail);
    free(o);
    free(lse);
    attn_case_data_free(&d);
}

Test(verify, reference_rows_cached_only_for_the_same_inputs) {
    const char *text = "b=1 hq=2 hkv=1 nq=9 nkv=17 d=8 window=causal";
    attn_case_data d;
    compute(text, &d);
    float *o, *lse;
    reference_floats(&d, &o, &lse);
    attn_reference_cache_clear();
    size_t hits0, misses0, hits, misses;
    attn_reference_cache_counts(&hits0, &misses0);
    attn_verify_result r;
    for (int call = 0; call < 3; call++)
        cr_assert(attn_verify_output(&d.c, d.q, d.k, d.v, o, lse, &r) == 0 && r.passed, "%s",
                  r.detail);
    attn_reference_cache_counts(&hits, &misses);
    cr_assert_eq(misses - misses0, 1, "the same inputs computed %zu times", misses - misses0);
    cr_assert_eq(hits - hits0, 2);

    /* One bit of one key changed: a new reference, which the old output no longer meets
     * where the key is seen with weight (planted far outside tolerance). */
    const float saved = d.k[3 * 8 + 2];
    d.k[3 * 8 + 2] += 4.0f;
    cr_assert_eq(attn_verify_output(&d.c, d.q, d.k, d.v, o, lse, &r), 0);
    attn_reference_cache_counts(&hits, &misses);
    cr_assert_eq(misses - misses0, 2, "a changed K answered from the cache");
    cr_assert_not(r.passed, "output of the old K accepted for the new one");
    d.k[3 * 8 + 2] = saved;
    cr_assert(attn_verify_output(&d.c, d.q, d.k, d.v, o, lse, &r) == 0 && r.passed, "%s", r.detail);
    attn_reference_cache_counts(&hits, &misses);
    cr_assert_eq(hits - hits0, 3, "the restored K not found again");

    /* Another contract is another entry. */
    const attn_ref_contract bf16_probs = {.prob = attn_ref_bfloat16};
    cr_assert_eq(attn_verify_output_contract(&d.c, &bf16_probs, d.q, d.k, d.v, o, lse, &r), 0);
    attn_reference_cache_counts(&hits, &misses);
    cr_assert_eq(misses - misses0, 3, "a changed contract answered from the cache");
    attn_reference_cache_clear();
    free(o);
    free(lse);
    attn_case_data_free(&d);
}

Test(verify, rows_without_keys_must_be_exactly_zero) {
    /* causal, nq > nkv: rows 0..7 see no key; their output must be exactly 0, LSE -inf */
    const char *text = "b=1 hq=2 hkv=1 nq=12 nkv=4 d=8 window=causal";
    attn_case_data d;
    compute(text, &d);
    float *o, *lse;
    reference_floats(&d, &o, &lse);
    attn_verify_result r;
    cr_assert(attn_verify_output(&d.c, d.q, d.k, d.v, o, lse, &r) == 0 && r.passed, "%s", r.detail);
    size_t flat = ((size_t)1 * 12 + 2) * 8 + 4; /* O[0][1][2][4] */
    cr_assert_eq(o[flat], 0.0f);
    o[flat] = 1e-30f;
    cr_assert_eq(attn_verify_output(&d.c, d.q, d.k, d.v, o, lse, &r), 0);
    cr_assert_not(r.passed, "a tiny value in a row with no key was accepted");
    cr_assert(strstr(r.detail, "O[0][1][2][4]"), "detail: '%s'", r.detail);
    o[flat] = 0.0f;
    lse[12 + 2] = 0.0f; /* LSE[0][1][2] should be -inf */
    cr_assert_eq(attn_verify_output(&d.c, d.q, d.k, d.v, o, lse, &r), 0);
    cr_assert_not(r.passed, "a finite LSE for a row with no key was accepted");
    cr_assert(strstr(r.detail, "LSE[0][1][2]"), "detail: '%s'", r.detail);
    free(o);
    free(lse);
    attn_case_data_free(&d);
}

Test(verify, large_case_sampled_verification) {
    /* 4096 x 4096 x (64 + 64) multiply-adds is above ATTN_FULL_REFERENCE_WORK */
    const char *text = "b=1 hq=1 hkv=1 nq=4096 nkv=4096 d=64";
    attn_case c = parse(text);
    const attn_problem *p = &c.problem;
    cr_assert_gt((double)p->seq_q * (double)p->seq_kv * (double)(p->head_dim + p->head_dim_v),
                 ATTN_FULL_REFERENCE_WORK);
    attn_case_sizes sizes;
    cr_assert_eq(attn_case_sizes_of(&c, &sizes, NULL), 0);
    float *q = malloc(sizes.q * sizeof *q), *k = malloc(sizes.k * sizeof *k),
          *v = malloc(sizes.v * sizeof *v), *o = calloc(sizes.o, sizeof *o),
          *lse = calloc(sizes.lse, sizeof *lse);
    cr_assert(q && k && v && o && lse);
    attn_generate_inputs(&c, q, k, v);

    /* The reference for every sampled row (the other rows are never read: left zero). */
    int64_t rows[4096];
    size_t count = attn_row_sample_rows(&c, 0, rows, 4096);
    cr_assert(count >= 2 && count < 4096);
    const attn_ref_params params = attn_case_ref_params(p, NULL);
    double *scratch = malloc(attn_reference_scratch_size(&params) * sizeof *scratch);
    double row_o[64], row_tol[64];
    cr_assert_not_null(scratch);
    for (size_t n = 0; n < count; n++) {
        attn_ref_row row = {.o = row_o, .o_tol = row_tol};
        attn_reference_row(&params, q, k, v, 0, 0, rows[n], scratch, &row);
        for (int c2 = 0; c2 < 64; c2++)
            o[rows[n] * 64 + c2] = (float)row_o[c2];
        lse[rows[n]] = (float)row.lse;
    }
    free(scratch);

    attn_verify_result r;
    cr_assert_eq(attn_verify_output(&c, q, k, v, o, lse, &r), 0);
    cr_assert(r.passed, "correct sampled rows rejected: %s", r.detail);
    cr_assert_eq(r.rows_total, 4096);
    cr_assert(r.rows_checked > 0 && r.rows_checked < r.rows_total,
              "large case: %zu of %zu rows checked (expected a sample)", r.rows_checked,
              r.rows_total);
    cr_assert(r.err_ratio <= 1.0, "err_ratio %g", r.err_ratio);

    o[0 * 64 + 7] += 0.5f; /* row 0 is always sampled */
    cr_assert_eq(attn_verify_output(&c, q, k, v, o, lse, &r), 0);
    cr_assert_not(r.passed, "planted error in row 0 accepted");
    cr_assert(strstr(r.detail, "O[0][0][0][7]"), "detail does not name the element: '%s'",
              r.detail);
    free(q);
    free(k);
    free(v);
    free(o);
    free(lse);
}

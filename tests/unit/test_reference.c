/* Unit tests for the float64 reference (reference/reference.h): hand-computed cases,
 * masks, grouped-query head mapping, large logits, and the shape of the error bound. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"

/* A problem with its inputs and the reference's outputs. */
typedef struct run {
    attn_ref_params p;
    float *q, *k, *v;
    double *o, *o_tol, *lse, *lse_tol;
    size_t nq_el, nk_el, nv_el, no_el, rows;
} run;

static void run_alloc(run *r, attn_ref_params p) {
    memset(r, 0, sizeof *r);
    r->p = p;
    r->rows = (size_t)(p.batch * p.heads_q * p.seq_q);
    r->nq_el = r->rows * (size_t)p.head_dim;
    r->nk_el = (size_t)(p.batch * p.heads_kv * p.seq_kv * p.head_dim);
    r->nv_el = (size_t)(p.batch * p.heads_kv * p.seq_kv * p.head_dim_v);
    r->no_el = r->rows * (size_t)p.head_dim_v;
    r->q = calloc(r->nq_el, sizeof(float));
    r->k = calloc(r->nk_el, sizeof(float));
    r->v = calloc(r->nv_el, sizeof(float));
    r->o = calloc(r->no_el, sizeof(double));
    r->o_tol = calloc(r->no_el, sizeof(double));
    r->lse = calloc(r->rows, sizeof(double));
    r->lse_tol = calloc(r->rows, sizeof(double));
    cr_assert(r->q && r->k && r->v && r->o && r->o_tol && r->lse && r->lse_tol);
}

static void run_forward(run *r) {
    cr_assert_eq(
        attn_reference_forward(&r->p, r->q, r->k, r->v, r->o, r->o_tol, r->lse, r->lse_tol), 0);
}

static void run_free(run *r) {
    free(r->q);
    free(r->k);
    free(r->v);
    free(r->o);
    free(r->o_tol);
    free(r->lse);
    free(r->lse_tol);
}

static attn_ref_params params(int64_t hq, int64_t hkv, int64_t nq, int64_t nkv, int64_t d,
                              int64_t dv, int64_t left, int64_t right, double scale) {
    attn_ref_params p = {.batch = 1,
                         .heads_q = hq,
                         .heads_kv = hkv,
                         .seq_q = nq,
                         .seq_kv = nkv,
                         .head_dim = d,
                         .head_dim_v = dv,
                         .window_left = left,
                         .window_right = right,
                         .scale = scale};
    return p;
}

/* A small deterministic generator, uniform in [-1, 1), local to this test. */
static uint64_t lcg_state = 12345;
static float lcg_uniform(void) {
    lcg_state = lcg_state * 6364136223846793005ull + 1442695040888963407ull;
    return (float)((double)(lcg_state >> 40) * 0x1p-23 - 1.0);
}
static void fill_uniform(float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        x[i] = lcg_uniform();
}

/* The mask predicate of design.md section 1. */
static bool visible(const attn_ref_params *p, int64_t i, int64_t j) {
    int64_t off = p->seq_kv - p->seq_q;
    return (p->window_left < 0 || j >= i + off - p->window_left) &&
           (p->window_right < 0 || j <= i + off + p->window_right);
}

static bool close_to(double got, double want, double rel) {
    return fabs(got - want) <= rel * (fabs(want) + 1e-300);
}

Test(reference, equal_keys_give_mean_of_visible_values) {
    run r;
    run_alloc(&r, params(1, 1, 9, 9, 4, 3, 2, 1, 0.5));
    for (size_t i = 0; i < r.nq_el; i++)
        r.q[i] = (float)(0.25 * (double)(i % 5) - 0.5);
    for (int64_t j = 0; j < 9; j++)
        for (int64_t c = 0; c < 4; c++)
            r.k[j * 4 + c] = 0.5f - 0.125f * (float)c; /* every key the same */
    for (size_t i = 0; i < r.nv_el; i++)
        r.v[i] = (float)((double)(i * 7 % 11) - 5.0);
    run_forward(&r);
    for (int64_t i = 0; i < 9; i++) {
        double score = 0;
        for (int64_t c = 0; c < 4; c++)
            score += (double)r.q[i * 4 + c] * (double)r.k[c];
        score *= 0.5;
        int64_t n = 0;
        for (int64_t j = 0; j < 9; j++)
            n += visible(&r.p, i, j);
        cr_assert_gt(n, 0);
        for (int64_t c = 0; c < 3; c++) {
            double mean = 0;
            for (int64_t j = 0; j < 9; j++)
                if (visible(&r.p, i, j))
                    mean += r.v[j * 3 + c];
            mean /= (double)n;
            cr_assert(fabs(r.o[i * 3 + c] - mean) <= 1e-14,
                      "row %lld col %lld: %.17g vs mean %.17g", (long long)i, (long long)c,
                      r.o[i * 3 + c], mean);
            cr_assert_gt(r.o_tol[i * 3 + c], 0.0);
        }
        cr_assert(close_to(r.lse[i], score + log((double)n), 1e-14), "row %lld lse %.17g",
                  (long long)i, r.lse[i]);
    }
    run_free(&r);
}

Test(reference, single_visible_key_window_0_0) {
    /* nq < nkv: row i sees exactly key i + (nkv - nq) */
    run r;
    run_alloc(&r, params(1, 1, 5, 8, 6, 4, 0, 0, 0.3));
    fill_uniform(r.q, r.nq_el);
    fill_uniform(r.k, r.nk_el);
    fill_uniform(r.v, r.nv_el);
    run_forward(&r);
    double *scratch = malloc(attn_reference_scratch_size(&r.p) * sizeof(double));
    double o[4], o_tol[4];
    for (int64_t i = 0; i < 5; i++) {
        int64_t j = i + 3;
        double dot = 0;
        for (int64_t c = 0; c < 6; c++)
            dot += (double)r.q[i * 6 + c] * (double)r.k[j * 6 + c];
        for (int64_t c = 0; c < 4; c++)
            cr_assert_eq(r.o[i * 4 + c], (double)r.v[j * 4 + c], "row %lld col %lld", (long long)i,
                         (long long)c);
        cr_assert(close_to(r.lse[i], 0.3 * dot, 1e-13), "row %lld: lse %.17g vs score %.17g",
                  (long long)i, r.lse[i], 0.3 * dot);
        attn_ref_row row = {.o = o, .o_tol = o_tol};
        attn_reference_row(&r.p, r.q, r.k, r.v, 0, 0, i, scratch, &row);
        cr_assert_eq(row.visible, 1);
        cr_assert_eq(row.lse, r.lse[i]);
        cr_assert(memcmp(o, r.o + i * 4, sizeof o) == 0, "row and forward disagree");
        cr_assert(memcmp(o_tol, r.o_tol + i * 4, sizeof o_tol) == 0);
    }
    free(scratch);
    run_free(&r);
}

Test(reference, causal_row_zero_sees_only_key_zero) {
    run r;
    run_alloc(&r, params(1, 1, 6, 6, 8, 8, -1, 0, 1.0 / sqrt(8.0)));
    fill_uniform(r.q, r.nq_el);
    fill_uniform(r.k, r.nk_el);
    fill_uniform(r.v, r.nv_el);
    run_forward(&r);
    for (int64_t c = 0; c < 8; c++)
        cr_assert_eq(r.o[c], (double)r.v[c]);
    double *scratch = malloc(attn_reference_scratch_size(&r.p) * sizeof(double));
    double o[8], o_tol[8];
    for (int64_t i = 0; i < 6; i++) {
        attn_ref_row row = {.o = o, .o_tol = o_tol};
        attn_reference_row(&r.p, r.q, r.k, r.v, 0, 0, i, scratch, &row);
        cr_assert_eq(row.visible, i + 1, "causal row %lld", (long long)i);
    }
    /* row 1 sees keys 0 and 1, not key 2: changing key 2 leaves it unchanged */
    double before[8];
    memcpy(before, r.o + 8, sizeof before);
    for (int64_t c = 0; c < 8; c++) {
        r.k[2 * 8 + c] += 0.5f;
        r.v[2 * 8 + c] = 100.0f;
    }
    run_forward(&r);
    cr_assert(memcmp(before, r.o + 8, sizeof before) == 0);
    free(scratch);
    run_free(&r);
}

Test(reference, two_keys_by_hand) {
    /* D = 2, scale = 0.5: s0 = 0.5 (1*1 + 2*0.5) = 1, s1 = 0.5 (1*(-1) + 2*2) = 1.5 */
    run r;
    run_alloc(&r, params(1, 1, 1, 2, 2, 2, -1, -1, 0.5));
    const float q[] = {1, 2}, k[] = {1, 0.5f, -1, 2}, v[] = {3, -1, -2, 4};
    memcpy(r.q, q, sizeof q);
    memcpy(r.k, k, sizeof k);
    memcpy(r.v, v, sizeof v);
    run_forward(&r);
    double p1 = 1.0 / (1.0 + exp(-0.5)), p0 = 1.0 - p1; /* exp(1.5) / (exp(1) + exp(1.5)) */
    double want0 = p0 * 3 + p1 * -2, want1 = p0 * -1 + p1 * 4;
    /* o[0] cancels (1.13 - 1.25): compare against the magnitudes summed, not the result */
    cr_assert(fabs(r.o[0] - want0) < 1e-15 * (p0 * 3 + p1 * 2), "%.17g vs %.17g", r.o[0], want0);
    cr_assert(fabs(r.o[1] - want1) < 1e-15 * (p0 * 1 + p1 * 4), "%.17g vs %.17g", r.o[1], want1);
    double lse = log(exp(1.0) + exp(1.5));
    cr_assert(close_to(r.lse[0], lse, 1e-15), "%.17g vs %.17g", r.lse[0], lse);
    cr_assert_gt(r.o_tol[0], 0.0);
    cr_assert_gt(r.o_tol[1], 0.0);
    cr_assert_gt(r.lse_tol[0], 0.0);
    /* a tolerance is tiny next to the values: a float32 bound */
    cr_assert_lt(r.o_tol[0], 1e-4 * fabs(want0));
    cr_assert_lt(r.lse_tol[0], 1e-4 * lse);
    run_free(&r);
}

Test(reference, fully_masked_rows_are_zero_with_minus_inf_lse) {
    /* nq > nkv, causal: rows i < nq - nkv see nothing */
    run r;
    run_alloc(&r, params(2, 1, 7, 3, 4, 5, -1, 0, 0.5));
    fill_uniform(r.q, r.nq_el);
    fill_uniform(r.k, r.nk_el);
    fill_uniform(r.v, r.nv_el);
    /* pre-fill outputs with garbage: empty rows must be written too */
    for (size_t i = 0; i < r.no_el; i++)
        r.o[i] = r.o_tol[i] = 123.0;
    for (size_t i = 0; i < r.rows; i++)
        r.lse[i] = r.lse_tol[i] = 123.0;
    run_forward(&r);
    for (int64_t h = 0; h < 2; h++)
        for (int64_t i = 0; i < 7; i++) {
            size_t row = (size_t)(h * 7 + i);
            if (i < 4) {
                for (int64_t c = 0; c < 5; c++) {
                    cr_assert_eq(r.o[row * 5 + c], 0.0, "h %lld row %lld", (long long)h,
                                 (long long)i);
                    cr_assert_eq(r.o_tol[row * 5 + c], 0.0, "tolerance of an empty row is 0");
                }
                cr_assert(isinf(r.lse[row]) && r.lse[row] < 0, "lse %g", r.lse[row]);
                cr_assert_eq(r.lse_tol[row], 0.0);
            } else {
                cr_assert(isfinite(r.lse[row]));
                for (int64_t c = 0; c < 5; c++)
                    cr_assert_gt(r.o_tol[row * 5 + c], 0.0);
            }
        }
    /* row 4 sees only key 0 */
    for (int64_t c = 0; c < 5; c++)
        cr_assert_eq(r.o[4 * 5 + c], (double)r.v[c]);
    run_free(&r);
}

/* An independent double-precision attention row (plain sums). */
static void brute_row(const attn_ref_params *p, const float *q, const float *k, const float *v,
                      int64_t b, int64_t h, int64_t i, double *o, double *lse) {
    int64_t d = p->head_dim, dv = p->head_dim_v, kvh = h / (p->heads_q / p->heads_kv);
    const float *qr = q + ((b * p->heads_q + h) * p->seq_q + i) * d;
    const float *kh = k + (b * p->heads_kv + kvh) * p->seq_kv * d;
    const float *vh = v + (b * p->heads_kv + kvh) * p->seq_kv * dv;
    double m = -INFINITY;
    double *s = malloc((size_t)p->seq_kv * sizeof(double));
    for (int64_t j = 0; j < p->seq_kv; j++) {
        double dot = 0;
        for (int64_t c = 0; c < d; c++)
            dot += (double)qr[c] * (double)kh[j * d + c];
        s[j] = p->scale * dot;
        if (visible(p, i, j) && s[j] > m)
            m = s[j];
    }
    double total = 0;
    for (int64_t c = 0; c < dv; c++)
        o[c] = 0;
    for (int64_t j = 0; j < p->seq_kv; j++)
        if (visible(p, i, j)) {
            double e = exp(s[j] - m);
            total += e;
            for (int64_t c = 0; c < dv; c++)
                o[c] += e * vh[j * dv + c];
        }
    for (int64_t c = 0; c < dv; c++)
        o[c] = total > 0 ? o[c] / total : 0.0;
    *lse = total > 0 ? m + log(total) : -INFINITY;
    free(s);
}

Test(reference, gqa_head_mapping) {
    /* hq = 4, hkv = 2: query heads 0, 1 read kv head 0; heads 2, 3 read kv head 1. Every
     * query head gets the same Q, so only the kv head decides the output. */
    attn_ref_params p = params(4, 2, 3, 5, 4, 3, -1, -1, 0.5);
    p.batch = 2;
    run r;
    run_alloc(&r, p);
    float q_row[3][4];
    for (int i = 0; i < 3; i++)
        for (int c = 0; c < 4; c++)
            q_row[i][c] = lcg_uniform();
    for (size_t row = 0; row < r.rows; row++)
        memcpy(r.q + row * 4, q_row[row % 3], sizeof q_row[0]);
    fill_uniform(r.k, r.nk_el);
    fill_uniform(r.v, r.nv_el);
    run_forward(&r);
    for (int64_t b = 0; b < 2; b++)
        for (int64_t h = 0; h < 4; h++)
            for (int64_t i = 0; i < 3; i++) {
                double o[3], lse;
                brute_row(&r.p, r.q, r.k, r.v, b, h, i, o, &lse);
                size_t row = (size_t)((b * 4 + h) * 3 + i);
                for (int64_t c = 0; c < 3; c++)
                    cr_assert(fabs(r.o[row * 3 + c] - o[c]) < 1e-13,
                              "b %lld h %lld i %lld c %lld: %.17g vs %.17g", (long long)b,
                              (long long)h, (long long)i, (long long)c, r.o[row * 3 + c], o[c]);
                cr_assert(fabs(r.lse[row] - lse) < 1e-13);
            }
    for (int64_t b = 0; b < 2; b++)
        for (int64_t i = 0; i < 3; i++) {
            size_t h0 = (size_t)((b * 4 + 0) * 3 + i), h1 = (size_t)((b * 4 + 1) * 3 + i);
            size_t h2 = (size_t)((b * 4 + 2) * 3 + i), h3 = (size_t)((b * 4 + 3) * 3 + i);
            cr_assert(memcmp(r.o + h0 * 3, r.o + h1 * 3, 3 * sizeof(double)) == 0);
            cr_assert(memcmp(r.o + h2 * 3, r.o + h3 * 3, 3 * sizeof(double)) == 0);
            cr_assert(memcmp(r.o + h0 * 3, r.o + h2 * 3, 3 * sizeof(double)) != 0,
                      "kv heads 0 and 1 should give different outputs");
        }
    /* batches read their own kv heads */
    cr_assert(memcmp(r.o, r.o + 12 * 3, 3 * sizeof(double)) != 0);
    run_free(&r);
}

Test(reference, huge_logits_do_not_overflow) {
    /* scores near 1000: exp without the max shift overflows even in double */
    run r;
    run_alloc(&r, params(1, 1, 3, 6, 4, 2, -1, -1, 1.0));
    for (size_t i = 0; i < r.nq_el; i++)
        r.q[i] = 16.0f;
    for (int64_t j = 0; j < 6; j++)
        for (int64_t c = 0; c < 4; c++)
            r.k[j * 4 + c] = 15.625f + 0.0078125f * (float)j; /* s_j = 1000 + 0.5 j */
    for (size_t i = 0; i < r.nv_el; i++)
        r.v[i] = (float)(i % 5) - 2.0f;
    run_forward(&r);
    double total = 0;
    for (int j = 0; j < 6; j++)
        total += exp(0.5 * (j - 5));
    for (int64_t i = 0; i < 3; i++) {
        for (int64_t c = 0; c < 2; c++) {
            double want = 0;
            for (int j = 0; j < 6; j++)
                want += exp(0.5 * (j - 5)) / total * r.v[j * 2 + c];
            cr_assert(isfinite(r.o[i * 2 + c]));
            cr_assert(fabs(r.o[i * 2 + c] - want) < 1e-13, "%.17g vs %.17g", r.o[i * 2 + c], want);
            cr_assert(isfinite(r.o_tol[i * 2 + c]) && r.o_tol[i * 2 + c] > 0);
        }
        double lse = 1002.5 + log(total);
        cr_assert(close_to(r.lse[i], lse, 1e-14), "lse %.17g vs %.17g", r.lse[i], lse);
        cr_assert(isfinite(r.lse_tol[i]) && r.lse_tol[i] > 0);
    }
    run_free(&r);
}

static double mean_tolerance(const run *r, size_t first_row) {
    double sum = 0;
    size_t n = 0;
    for (size_t row = first_row; row < r->rows; row++)
        for (size_t c = 0; c < (size_t)r->p.head_dim_v; c++, n++)
            sum += r->o_tol[row * (size_t)r->p.head_dim_v + c];
    return sum / (double)n;
}

Test(reference, tolerance_positive_and_grows_with_d) {
    const int64_t dims[] = {4, 16, 64, 256};
    double previous = 0;
    for (size_t n = 0; n < 4; n++) {
        run r;
        run_alloc(&r, params(2, 2, 16, 16, dims[n], 8, -1, -1, 1.0 / sqrt((double)dims[n])));
        lcg_state = 99;
        fill_uniform(r.q, r.nq_el);
        fill_uniform(r.k, r.nk_el);
        fill_uniform(r.v, r.nv_el);
        run_forward(&r);
        for (size_t i = 0; i < r.no_el; i++)
            cr_assert(r.o_tol[i] > 0 && isfinite(r.o_tol[i]), "d=%lld element %zu tol %g",
                      (long long)dims[n], i, r.o_tol[i]);
        for (size_t i = 0; i < r.rows; i++)
            cr_assert(r.lse_tol[i] > 0 && isfinite(r.lse_tol[i]));
        double mean = mean_tolerance(&r, 0);
        cr_assert_gt(mean, previous * 1.2, "d=%lld: mean tolerance %g not above %g",
                     (long long)dims[n], mean, previous);
        previous = mean;
        run_free(&r);
    }
}

Test(reference, tolerance_grows_with_visible_keys) {
    const int64_t lefts[] = {0, 1, 3, 7, 15, 31, 63};
    double previous = 0;
    for (size_t n = 0; n < sizeof lefts / sizeof lefts[0]; n++) {
        run r;
        run_alloc(&r, params(1, 1, 64, 64, 16, 16, lefts[n], 0, 0.25));
        lcg_state = 7;
        fill_uniform(r.q, r.nq_el);
        fill_uniform(r.k, r.nk_el);
        fill_uniform(r.v, r.nv_el);
        run_forward(&r);
        /* rows from 63 on see exactly left + 1 keys; use the last row only */
        double mean = mean_tolerance(&r, 63);
        cr_assert_gt(mean, previous, "window %lld:0: mean tolerance %g not above %g",
                     (long long)lefts[n], mean, previous);
        previous = mean;
        run_free(&r);
    }
}

Test(reference, tolerance_far_below_one_extra_key) {
    /* Window 7:0 vs 8:0 on uniform inputs: every row from 8 on sees one more key. The
     * tolerance must be far smaller than the change that key causes. */
    const int64_t n = 48, d = 64, dv = 64;
    run narrow, wide;
    run_alloc(&narrow, params(1, 1, n, n, d, dv, 7, 0, 1.0 / sqrt((double)d)));
    run_alloc(&wide, params(1, 1, n, n, d, dv, 8, 0, 1.0 / sqrt((double)d)));
    lcg_state = 2024;
    fill_uniform(narrow.q, narrow.nq_el);
    fill_uniform(narrow.k, narrow.nk_el);
    fill_uniform(narrow.v, narrow.nv_el);
    memcpy(wide.q, narrow.q, narrow.nq_el * sizeof(float));
    memcpy(wide.k, narrow.k, narrow.nk_el * sizeof(float));
    memcpy(wide.v, narrow.v, narrow.nv_el * sizeof(float));
    run_forward(&narrow);
    run_forward(&wide);
    double worst = 0;
    for (int64_t i = 8; i < n; i++) {
        double change = 0, tol = 0;
        for (int64_t c = 0; c < dv; c++) {
            double delta = fabs(wide.o[i * dv + c] - narrow.o[i * dv + c]);
            if (delta > change)
                change = delta;
            if (narrow.o_tol[i * dv + c] > tol)
                tol = narrow.o_tol[i * dv + c];
            if (wide.o_tol[i * dv + c] > tol)
                tol = wide.o_tol[i * dv + c];
        }
        cr_assert_gt(change, 0.0);
        cr_assert_lt(tol, 1e-3 * change, "row %lld: tolerance %g vs change %g", (long long)i, tol,
                     change);
        if (tol / change > worst)
            worst = tol / change;
    }
    cr_assert_lt(worst, 1e-3);
    /* rows 0..7 see the same keys under both windows */
    for (int64_t i = 0; i < 8 * dv; i++)
        cr_assert_eq(wide.o[i], narrow.o[i]);
    run_free(&narrow);
    run_free(&wide);
}

Test(reference, scratch_size_covers_keys) {
    attn_ref_params p = params(1, 1, 3, 100, 4, 4, -1, -1, 1.0);
    cr_assert_geq(attn_reference_scratch_size(&p), 100);
}

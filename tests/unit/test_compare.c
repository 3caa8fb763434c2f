/* Unit tests for the comparison with the reference (harness/core/compare.h, case_data.h) and
 * the conformance check of one implementation (harness/judge/check.h), with small test-only
 * implementations that misbehave in chosen ways. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "case_data.h"
#include "check.h"
#include "compare.h"

/* b=1, hq=2, hkv=1, nq=6, nkv=3, causal: rows 0..2 of each head see no key. */
#define CASE_TEXT "b=1 hq=2 hkv=1 nq=6 nkv=3 d=8 dv=5 causal=1 seed=3"
#define DV 5

static attn_case_data data;
static float *o, *lse;

static void setup(void) {
    attn_case c;
    attn_error err = {0};
    cr_assert_eq(attn_case_parse(CASE_TEXT, &c, &err), 0, "%s", err.message);
    cr_assert_eq(attn_case_data_compute(&c, &data, &err), 0, "%s", err.message);
    o = malloc(data.sizes.o * sizeof *o);
    lse = malloc(data.sizes.lse * sizeof *lse);
    cr_assert(o && lse);
    for (size_t i = 0; i < data.sizes.o; i++)
        o[i] = (float)data.o[i];
    for (size_t i = 0; i < data.sizes.lse; i++)
        lse[i] = (float)data.lse[i];
}

static void teardown(void) {
    free(o);
    free(lse);
    attn_case_data_free(&data);
}

TestSuite(compare, .init = setup, .fini = teardown);

#define UNWRITTEN 0x7fbadbadu

static size_t flat(size_t b, size_t h, size_t i, size_t c) {
    return ((b * 2 + h) * 6 + i) * DV + c;
}

Test(compare, case_data_shape) {
    cr_assert_eq(data.sizes.o, 2u * 6 * DV);
    cr_assert_eq(data.sizes.rows, 12);
    /* rows 0..2 see no key: reference 0 with tolerance 0 and LSE -inf */
    for (size_t h = 0; h < 2; h++)
        for (size_t i = 0; i < 6; i++) {
            size_t row = h * 6 + i;
            bool empty = i < 3;
            cr_assert_eq(isinf(data.lse[row]) && data.lse[row] < 0, empty, "row %zu", row);
            for (size_t c = 0; c < DV; c++) {
                if (empty) {
                    cr_assert_eq(data.o[row * DV + c], 0.0);
                    cr_assert_eq(data.o_tol[row * DV + c], 0.0);
                } else
                    cr_assert_gt(data.o_tol[row * DV + c], 0.0);
            }
        }
}

Test(compare, rounded_reference_passes) {
    attn_compare_result r;
    attn_compare(&data, o, lse, UNWRITTEN, &r);
    cr_assert(r.passed, "%s", r.detail);
    cr_assert_lt(r.err_ratio, 1.0);
    cr_assert_eq(r.failed_count, 0);
    cr_assert_eq(r.detail[0], '\0');
    cr_assert_lt(r.rel_l2, 1e-6);
    cr_assert_lt(r.max_abs_err, 1e-6);
    /* without LSE too */
    attn_compare(&data, o, NULL, UNWRITTEN, &r);
    cr_assert(r.passed, "%s", r.detail);
}

Test(compare, perturbation_twice_the_tolerance_fails_and_is_located) {
    const size_t index = flat(0, 1, 4, 3);
    cr_assert_gt(data.o_tol[index], 0.0);
    o[index] = (float)(data.o[index] + 2.0 * data.o_tol[index]);
    attn_compare_result r;
    attn_compare(&data, o, lse, UNWRITTEN, &r);
    cr_assert_not(r.passed);
    cr_assert_eq(r.failed_count, 1);
    cr_assert(strstr(r.detail, "O[0][1][4][3]") != NULL, "detail: %s", r.detail);
    cr_assert_eq(r.worst_index, index);
    cr_assert_not(r.worst_is_lse);
    cr_assert(r.err_ratio > 1.5 && r.err_ratio < 2.5, "ratio %g", r.err_ratio);
    cr_assert(fabs(r.max_abs_err - 2.0 * data.o_tol[index]) < 0.1 * data.o_tol[index],
              "max_abs_err %g", r.max_abs_err);
    cr_assert_gt(r.rel_l2, 0.0);
}

Test(compare, perturbation_below_tolerance_passes) {
    const size_t indices[] = {flat(0, 0, 3, 0), flat(0, 1, 4, 3), flat(0, 1, 5, 4)};
    for (size_t n = 0; n < 3; n++)
        o[indices[n]] = (float)(data.o[indices[n]] - 0.5 * data.o_tol[indices[n]]);
    attn_compare_result r;
    attn_compare(&data, o, lse, UNWRITTEN, &r);
    cr_assert(r.passed, "%s", r.detail);
    cr_assert(r.err_ratio > 0.3 && r.err_ratio < 0.7, "ratio %g", r.err_ratio);
    cr_assert_gt(r.max_abs_err, 0.0);
}

Test(compare, nan_fails) {
    const size_t index = flat(0, 0, 5, 2);
    o[index] = NAN;
    attn_compare_result r;
    attn_compare(&data, o, lse, UNWRITTEN, &r);
    cr_assert_not(r.passed);
    cr_assert(strstr(r.detail, "not finite") != NULL, "detail: %s", r.detail);
    cr_assert(strstr(r.detail, "O[0][0][5][2]") != NULL, "detail: %s", r.detail);
    cr_assert_eq(r.worst_index, index);
    cr_assert(isinf(r.err_ratio));
    /* infinity too */
    o[index] = INFINITY;
    attn_compare(&data, o, lse, UNWRITTEN, &r);
    cr_assert_not(r.passed);
    cr_assert(strstr(r.detail, "not finite") != NULL, "detail: %s", r.detail);
}

Test(compare, unwritten_element_fails) {
    const size_t index = flat(0, 1, 3, 1);
    uint32_t bits = UNWRITTEN;
    memcpy(&o[index], &bits, sizeof bits);
    attn_compare_result r;
    attn_compare(&data, o, lse, UNWRITTEN, &r);
    cr_assert_not(r.passed);
    cr_assert(strstr(r.detail, "never written") != NULL, "detail: %s", r.detail);
    cr_assert(strstr(r.detail, "O[0][1][3][1]") != NULL, "detail: %s", r.detail);
    cr_assert_eq(r.worst_index, index);
    /* in an empty row as well */
    memcpy(&o[index], &(float){(float)data.o[index]}, sizeof(float));
    memcpy(&o[flat(0, 0, 0, 0)], &bits, sizeof bits);
    attn_compare(&data, o, lse, UNWRITTEN, &r);
    cr_assert_not(r.passed);
    cr_assert(strstr(r.detail, "never written") != NULL, "detail: %s", r.detail);
    /* in LSE as well */
    o[flat(0, 0, 0, 0)] = 0.0f;
    memcpy(&lse[7], &bits, sizeof bits);
    attn_compare(&data, o, lse, UNWRITTEN, &r);
    cr_assert_not(r.passed);
    cr_assert(strstr(r.detail, "never written") != NULL, "detail: %s", r.detail);
    cr_assert(strstr(r.detail, "LSE[0][1][1]") != NULL, "detail: %s", r.detail);
}

Test(compare, empty_row_must_be_exactly_zero) {
    const size_t index = flat(0, 1, 2, 4);
    cr_assert_eq(data.o_tol[index], 0.0);
    o[index] = 1e-30f;
    attn_compare_result r;
    attn_compare(&data, o, lse, UNWRITTEN, &r);
    cr_assert_not(r.passed);
    cr_assert(strstr(r.detail, "O[0][1][2][4]") != NULL, "detail: %s", r.detail);
    cr_assert_eq(r.worst_index, index);
    cr_assert(isinf(r.err_ratio));
    /* -0 is zero */
    o[index] = -0.0f;
    attn_compare(&data, o, lse, UNWRITTEN, &r);
    cr_assert(r.passed, "%s", r.detail);
}

Test(compare, empty_row_lse_must_be_minus_inf) {
    const float wrong[] = {0.0f, -3.4e38f, INFINITY, NAN};
    for (size_t n = 0; n < 4; n++) {
        lse[1] = wrong[n];
        attn_compare_result r;
        attn_compare(&data, o, lse, UNWRITTEN, &r);
        cr_assert_not(r.passed, "LSE %g accepted for a row with no key", (double)wrong[n]);
        cr_assert(strstr(r.detail, "LSE[0][0][1]") != NULL, "detail: %s", r.detail);
        cr_assert(r.worst_is_lse);
        cr_assert_eq(r.worst_index, 1);
    }
}

Test(compare, lse_perturbation) {
    const size_t row = 6 + 5; /* head 1, row 5 */
    cr_assert_gt(data.lse_tol[row], 0.0);
    lse[row] = (float)(data.lse[row] + 3.0 * data.lse_tol[row]);
    attn_compare_result r;
    attn_compare(&data, o, lse, UNWRITTEN, &r);
    cr_assert_not(r.passed);
    cr_assert(r.worst_is_lse);
    cr_assert_eq(r.worst_index, row);
    cr_assert(strstr(r.detail, "LSE[0][1][5]") != NULL, "detail: %s", r.detail);
    cr_assert_gt(r.err_ratio, 1.0);
    /* not checked when no LSE is given */
    attn_compare(&data, o, NULL, UNWRITTEN, &r);
    cr_assert(r.passed, "%s", r.detail);
    /* within tolerance passes */
    lse[row] = (float)(data.lse[row] + 0.4 * data.lse_tol[row]);
    attn_compare(&data, o, lse, UNWRITTEN, &r);
    cr_assert(r.passed, "%s", r.detail);
}

Test(compare, format_position) {
    char text[64];
    attn_format_position(&data.c.problem, false, flat(0, 1, 4, 3), text, sizeof text);
    cr_assert_str_eq(text, "O[0][1][4][3]");
    attn_format_position(&data.c.problem, false, 0, text, sizeof text);
    cr_assert_str_eq(text, "O[0][0][0][0]");
    attn_format_position(&data.c.problem, true, 11, text, sizeof text);
    cr_assert_str_eq(text, "LSE[0][1][5]");
    attn_case c;
    cr_assert_eq(attn_case_parse("b=3 hq=4 hkv=2 nq=5 nkv=2 d=2 dv=7", &c, NULL), 0);
    size_t index = (((2 * 4 + 3) * 5 + 4) * 7) + 6; /* the last element */
    attn_format_position(&c.problem, false, index, text, sizeof text);
    cr_assert_str_eq(text, "O[2][3][4][6]");
}

Test(compare, nonfinite_inputs_rejected) {
    float x[4] = {1, 2, NAN, 4};
    attn_error err = {0};
    cr_assert_eq(attn_check_inputs_finite("K", x, 4, &err), -1);
    cr_assert(strstr(err.message, "K") && strstr(err.message, "NaN") && strstr(err.message, "2"),
              "%s", err.message);
    x[2] = -INFINITY;
    cr_assert_eq(attn_check_inputs_finite("V", x, 4, &err), -1);
    cr_assert(strstr(err.message, "Inf") != NULL, "%s", err.message);
    x[2] = 3;
    cr_assert_eq(attn_check_inputs_finite("V", x, 4, &err), 0);
}

/* ---- attn_check_case with test-only implementations ---- */

typedef enum {
    MODE_CORRECT,
    MODE_PAST_END,
    MODE_BEFORE_START,
    MODE_MODIFY_INPUT,
    MODE_FAIL,
    MODE_SKIP_ELEMENT,
    MODE_DECLINE,
} impl_mode;

static impl_mode mode;

/* A plain, correct attention in double precision. */
static int test_forward(void *context, const attn_args *a) {
    (void)context;
    const attn_problem *p = a->problem;
    const int64_t d = p->head_dim, dv = p->head_dim_v, group = p->heads_q / p->heads_kv;
    if (mode == MODE_FAIL) {
        snprintf(a->message, a->message_size, "cannot frobnicate the widgets");
        return ATTN_FAILED;
    }
    if (mode == MODE_DECLINE) {
        snprintf(a->message, a->message_size, "not today");
        return ATTN_UNSUPPORTED;
    }
    double *s = malloc((size_t)p->seq_kv * sizeof *s);
    if (!s)
        return ATTN_FAILED;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->heads_q; h++) {

            for (int64_t i = 0; i < p->seq_q; i++) {
                const float *q = attn_f32_row(&a->q, b, h, i);
                float *out = attn_f32_row(&a->o, b, h, i);
                int64_t first, last;
                attn_visible_keys(p, i, &first, &last);
                double m = -INFINITY, total = 0;
                for (int64_t j = first; j < last; j++) {
                    const float *k = attn_f32_row(&a->k, b, h / group, j);
                    double dot = 0;
                    for (int64_t c = 0; c < d; c++)
                        dot += (double)q[c] * k[c];
                    s[j] = p->scale * dot;
                    if (s[j] > m)
                        m = s[j];
                }
                for (int64_t j = first; j < last; j++)
                    total += (s[j] = exp(s[j] - m));
                for (int64_t c = 0; c < dv; c++) {
                    double acc = 0;
                    for (int64_t j = first; j < last; j++)
                        acc += s[j] * attn_f32_row(&a->v, b, h / group, j)[c];
                    out[c] = total > 0 ? (float)(acc / total) : 0.0f;
                }
                if (a->lse.data)
                    *attn_f32_row(&a->lse, b, h, i) =
                        total > 0 ? (float)(m + log(total)) : -INFINITY;
            }
        }
    free(s);
    size_t count = (size_t)(p->batch * p->heads_q * p->seq_q * dv);
    float *o = a->o.data;
    if (mode == MODE_PAST_END)
        o[count] = 0.0f;
    if (mode == MODE_BEFORE_START)
        o[-1] = 0.0f;
    if (mode == MODE_MODIFY_INPUT)
        ((float *)a->k.data)[1] += 1.0f;
    if (mode == MODE_SKIP_ELEMENT) {
        uint32_t bits = UNWRITTEN;
        memcpy(&o[count - 1], &bits, sizeof bits);
    }
    return ATTN_OK;
}

#define ATTN_CAP_ALL                                                                               \
    (ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL |         \
     ATTN_CAP_DV_DIFFERS | ATTN_CAP_LSE | ATTN_CAP_CUSTOM_SCALE | ATTN_CAP_STRIDES)

static attn_impl test_impl = {
    ATTN_IMPL_HEADER,
    .name = "test_impl",
    .summary = "double-precision attention for the unit tests",
    .caps = ATTN_CAP_ALL,
    .forward = test_forward,
};

static void check(impl_mode m, uint64_t caps, attn_check_result *result) {
    mode = m;
    static attn_impl impl;
    impl = test_impl;
    impl.caps = caps;
    attn_check_case(&impl, &data, ATTN_LAYOUT_BHSD, 1, result);
}

Test(compare, check_correct_impl_passes) {
    attn_check_result r;
    check(MODE_CORRECT, ATTN_CAP_ALL, &r);
    cr_assert_eq(r.status, ATTN_STATUS_PASSED, "%s: %s", attn_status_name(r.status), r.reason);
    cr_assert(r.lse_checked);
    cr_assert(r.compare.passed);
    cr_assert_lt(r.compare.err_ratio, 1.0);
    /* without the LSE capability LSE is not requested */
    check(MODE_CORRECT, ATTN_CAP_ALL & ~ATTN_CAP_LSE, &r);
    cr_assert_eq(r.status, ATTN_STATUS_PASSED, "%s", r.reason);
    cr_assert_not(r.lse_checked);
    cr_assert_str_eq(attn_status_name(ATTN_STATUS_PASSED), "PASSED");
}

Test(compare, check_write_past_end_fails) {
    attn_check_result r;
    check(MODE_PAST_END, ATTN_CAP_ALL, &r);
    cr_assert_eq(r.status, ATTN_STATUS_FAILED, "%s: %s", attn_status_name(r.status), r.reason);
    cr_assert(strstr(r.reason, "out-of-bounds") != NULL, "reason: %s", r.reason);
}

Test(compare, check_write_before_start_fails) {
    attn_check_result r;
    check(MODE_BEFORE_START, ATTN_CAP_ALL, &r);
    cr_assert_eq(r.status, ATTN_STATUS_FAILED, "%s: %s", attn_status_name(r.status), r.reason);
    cr_assert(strstr(r.reason, "out-of-bounds") != NULL, "reason: %s", r.reason);
    cr_assert(strstr(r.reason, "out-of-bounds write of O (4 bytes before its start)") != NULL,
              "reason: %s", r.reason);
}

Test(compare, check_modified_input_fails) {
    attn_check_result r;
    check(MODE_MODIFY_INPUT, ATTN_CAP_ALL, &r);
    cr_assert_eq(r.status, ATTN_STATUS_FAILED, "%s: %s", attn_status_name(r.status), r.reason);
    cr_assert(strstr(r.reason, "modified its input K") != NULL, "reason: %s", r.reason);
    /* the case data itself is untouched (the implementation got copies) */
    attn_case_data fresh;
    cr_assert_eq(attn_case_data_compute(&data.c, &fresh, NULL), 0);
    cr_assert(memcmp(fresh.k, data.k, data.sizes.k * sizeof(float)) == 0);
    attn_case_data_free(&fresh);
}

Test(compare, check_forward_failure_is_error) {
    attn_check_result r;
    check(MODE_FAIL, ATTN_CAP_ALL, &r);
    cr_assert_eq(r.status, ATTN_STATUS_ERROR, "%s: %s", attn_status_name(r.status), r.reason);
    cr_assert(strstr(r.reason, "cannot frobnicate the widgets") != NULL, "reason: %s", r.reason);
}

Test(compare, check_missing_capability_skips) {
    attn_check_result r;
    check(MODE_CORRECT, ATTN_CAP_ALL & ~ATTN_CAP_CAUSAL, &r);
    cr_assert_eq(r.status, ATTN_STATUS_SKIPPED, "%s: %s", attn_status_name(r.status), r.reason);
    cr_assert(strstr(r.reason, "causal") != NULL, "reason: %s", r.reason);
    /* the case also needs GQA and cross-attention */
    check(MODE_CORRECT, ATTN_CAP_ALL & ~ATTN_CAP_GQA, &r);
    cr_assert_eq(r.status, ATTN_STATUS_SKIPPED);
    check(MODE_CORRECT, ATTN_CAP_ALL & ~ATTN_CAP_CROSS, &r);
    cr_assert_eq(r.status, ATTN_STATUS_SKIPPED);
    /* a forward that declines is skipped too */
    check(MODE_DECLINE, ATTN_CAP_ALL, &r);
    cr_assert_eq(r.status, ATTN_STATUS_SKIPPED, "%s: %s", attn_status_name(r.status), r.reason);
    cr_assert(strstr(r.reason, "not today") != NULL, "reason: %s", r.reason);
}

Test(compare, check_unwritten_output_fails) {
    attn_check_result r;
    check(MODE_SKIP_ELEMENT, ATTN_CAP_ALL, &r);
    cr_assert_eq(r.status, ATTN_STATUS_FAILED, "%s: %s", attn_status_name(r.status), r.reason);
    cr_assert(strstr(r.reason, "never written") != NULL, "reason: %s", r.reason);
    cr_assert(strstr(r.reason, "O[0][1][5][4]") != NULL, "reason: %s", r.reason);
}

Test(compare, required_caps) {
    cr_assert_eq(attn_case_required_caps(&data.c, ATTN_LAYOUT_BHSD),
                 ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_DV_DIFFERS);
    attn_case c;
    cr_assert_eq(attn_case_parse("n=4 window=2:0 scale=1", &c, NULL), 0);
    cr_assert_eq(attn_case_required_caps(&c, ATTN_LAYOUT_BHSD),
                 ATTN_CAP_WINDOW | ATTN_CAP_CUSTOM_SCALE);
    cr_assert_eq(attn_case_parse("n=4", &c, NULL), 0);
    cr_assert_eq(attn_case_required_caps(&c, ATTN_LAYOUT_BHSD), ATTN_CAP_GLOBAL);
}

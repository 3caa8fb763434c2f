/* Comparison against the reference: per-element tolerance, exact zeros for rows with no
 * visible key, and the error statistics. */
#include "compare.h"

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

void attn_format_position(const attn_problem *p, bool is_lse, size_t index, char *out,
                          size_t size) {
    size_t dv = is_lse ? 1 : (size_t)p->head_dim_v;
    size_t c = index % dv, row = index / dv;
    size_t i = row % (size_t)p->seq_q, bh = row / (size_t)p->seq_q;
    size_t h = bh % (size_t)p->heads_q, b = bh / (size_t)p->heads_q;
    if (is_lse)
        snprintf(out, size, "LSE[%zu][%zu][%zu]", b, h, i);
    else
        snprintf(out, size, "O[%zu][%zu][%zu][%zu]", b, h, i, c);
}

void attn_format_case_position(const attn_case *c, bool is_lse, size_t index, char *out,
                               size_t size) {
    if (!c->problem.ragged) {
        attn_format_position(&c->problem, is_lse, index, out, size);
        return;
    }
    const size_t dv = is_lse ? 1 : (size_t)c->problem.head_dim_v;
    for (int64_t b = c->problem.batch - 1; b >= 0; b--) {
        attn_sequence_offsets at;
        attn_case_sequence_offsets(c, b, &at);
        if (index / dv < at.lse)
            continue;
        attn_case one;
        attn_case_sequence(c, b, &one);
        if (one.problem.seq_q == 0)
            continue; /* an empty sequence holds no element (a case with no rows at all) */
        char position[96];
        attn_format_position(&one.problem, is_lse, index - at.lse * dv, position, sizeof position);
        snprintf(out, size, "sequence %lld: %s", (long long)b, position);
        return;
    }
    snprintf(out, size, "none (no query rows)");
}

static unsigned bits_of(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    return bits;
}

double attn_judge_element(float got_float, double want, double tol, bool check_unwritten,
                          unsigned unwritten_bits, const char **failure) {
    double got = got_float;
    *failure = NULL;
    if (check_unwritten && bits_of(got_float) == unwritten_bits) {
        *failure = "was never written";
        return INFINITY;
    }
    if (isinf(want)) { /* LSE of a row with no visible key */
        if (isinf(got) && got < 0)
            return 0.0;
        *failure = "must be -inf (row sees no key)";
        return INFINITY;
    }
    if (!isfinite(got)) {
        *failure = "is not finite";
        return INFINITY;
    }
    double error = fabs(got - want);
    double ratio = error == 0.0 ? 0.0 : tol > 0.0 ? error / tol : INFINITY;
    if (ratio > 1.0)
        *failure =
            tol > 0.0 ? "outside tolerance" : "must equal the reference exactly (tolerance 0)";
    return ratio;
}

typedef struct element_check {
    const attn_problem *problem;
    attn_compare_result *result;
    unsigned unwritten_bits;
    int64_t sequence; /* of a ragged case, named in messages; -1 otherwise */
} element_check;

/* "O[0][3][1][5]", or "sequence 7: O[0][3][1][5]" in a ragged case. */
static void position_text(const element_check *check, bool is_lse, size_t index, char *out,
                          size_t size) {
    char position[96];
    attn_format_position(check->problem, is_lse, index, position, sizeof position);
    if (check->sequence >= 0)
        snprintf(out, size, "sequence %lld: %s", (long long)check->sequence, position);
    else
        snprintf(out, size, "%s", position);
}

/* Returns the element's error ratio, recording a failure in the result. */
static double check_element(element_check *check, bool is_lse, size_t index, float got, double want,
                            double tol) {
    const char *failure = NULL;
    double ratio = attn_judge_element(got, want, tol, true, check->unwritten_bits, &failure);
    if (!failure)
        return ratio;
    attn_compare_result *r = check->result;
    r->passed = false;
    r->failed_count++;
    if (!r->detail[0]) {
        char position[128];
        position_text(check, is_lse, index, position, sizeof position);
        snprintf(r->detail, sizeof r->detail, "%s %s: got %.9g, reference %.17g, tolerance %.3g",
                 position, failure, (double)got, want, tol);
    }
    return ratio;
}

/* A row without a reference (not in the sample) must still be written and finite. */
static void check_unverified_row(element_check *check, size_t row, const float *o, const float *lse,
                                 size_t dv) {
    for (size_t c = 0; c <= dv; c++) {
        const bool is_lse = c == dv;
        if (is_lse && !lse)
            break;
        const size_t index = is_lse ? row : row * dv + c;
        const float got = is_lse ? lse[row] : o[index];
        const char *failure = NULL;
        if (bits_of(got) == check->unwritten_bits)
            failure = "was never written";
        else if (isnan(got) || (!is_lse && isinf(got)) || (is_lse && isinf(got) && got > 0))
            failure = "is not finite";
        if (!failure)
            continue;
        attn_compare_result *r = check->result;
        r->passed = false;
        r->failed_count++;
        r->err_ratio = INFINITY;
        r->worst_index = index;
        r->worst_is_lse = is_lse;
        if (!r->detail[0]) {
            char position[128];
            position_text(check, is_lse, index, position, sizeof position);
            snprintf(r->detail, sizeof r->detail,
                     "%s %s (a row outside the verified sample): got %.9g", position, failure,
                     (double)got);
        }
    }
}

/* max |o - ref| over a yardstick's max |plain - ref|: 0 when both are exact, inf when only
 * the yardstick is. */
static double error_ratio(double error, double yardstick_error) {
    return yardstick_error > 0.0 ? error / yardstick_error : error > 0 ? INFINITY : 0.0;
}

/* Sums over every sequence of a ragged case. */
typedef struct compare_sums {
    double diff_squares, ref_squares, plain_max_err, contract_max_err;
} compare_sums;

/* Compares one uniform case's rows; `base` is where its elements start in the result's
 * flat indices (worst_index). */
static void compare_uniform(const attn_case_data *data, const float *o, const float *lse,
                            element_check *sequence_check, size_t base, compare_sums *sums);

void attn_compare(const attn_case_data *data, const float *o, const float *lse,
                  unsigned unwritten_bits, attn_compare_result *result) {
    memset(result, 0, sizeof *result);
    result->passed = true;
    compare_sums sums = {0};
    if (!data->c.problem.ragged) {
        element_check check = {&data->c.problem, result, unwritten_bits, -1};
        compare_uniform(data, o, lse, &check, 0, &sums);
    } else {
        for (int64_t b = 0; b < data->c.problem.batch; b++) {
            attn_case_data view;
            attn_case_data_sequence(data, b, &view);
            attn_sequence_offsets at;
            attn_serving_offsets(&data->serving, &data->c.problem, b, &at);
            element_check check = {&view.c.problem, result, unwritten_bits, b};
            compare_uniform(&view, o + at.o, lse ? lse + at.lse : NULL, &check, at.o, &sums);
        }
    }
    result->rel_l2 = sums.ref_squares > 0.0 ? sqrt(sums.diff_squares / sums.ref_squares)
                                            : sqrt(sums.diff_squares);
    result->err_vs_fp32 = error_ratio(result->max_abs_err, sums.plain_max_err);
    result->err_vs_contract = error_ratio(result->max_abs_err, sums.contract_max_err);
}

static void compare_uniform(const attn_case_data *data, const float *o, const float *lse,
                            element_check *sequence_check, size_t base, compare_sums *sums) {
    element_check check = *sequence_check;
    attn_compare_result *result = check.result;
    const size_t dv = (size_t)data->c.problem.head_dim_v;
    double diff_squares = 0.0, ref_squares = 0.0, plain_max_err = sums->plain_max_err,
           contract_max_err = sums->contract_max_err;
    const unsigned char *verified = data->sample.verified;
    for (size_t row = 0; row < data->sizes.rows; row++) {
        if (verified && !verified[row]) {
            check_unverified_row(&check, row, o, lse, dv);
            continue;
        }
        for (size_t c = 0; c < dv; c++) {
            size_t index = row * dv + c;
            double ratio =
                check_element(&check, false, index, o[index], data->o[index], data->o_tol[index]);
            double error = fabs((double)o[index] - data->o[index]);
            if (isfinite(error)) {
                diff_squares += error * error;
                if (error > result->max_abs_err)
                    result->max_abs_err = error;
            } else {
                result->max_abs_err = INFINITY;
                diff_squares = INFINITY;
            }
            ref_squares += data->o[index] * data->o[index];
            if (data->o_plain) {
                const double plain_error = fabs((double)data->o_plain[index] - data->o[index]);
                if (plain_error > plain_max_err)
                    plain_max_err = plain_error;
            }
            if (data->o_contract) {
                const double error = fabs((double)data->o_contract[index] - data->o[index]);
                if (error > contract_max_err)
                    contract_max_err = error;
            }
            if (ratio > result->err_ratio) {
                result->err_ratio = ratio;
                result->worst_index = base + index;
                result->worst_is_lse = false;
            }
        }
        if (lse) {
            double ratio =
                check_element(&check, true, row, lse[row], data->lse[row], data->lse_tol[row]);
            if (ratio > result->err_ratio) {
                result->err_ratio = ratio;
                result->worst_index = base / dv + row;
                result->worst_is_lse = true;
            }
        }
    }
    sums->diff_squares += diff_squares;
    sums->ref_squares += ref_squares;
    sums->plain_max_err = plain_max_err;
    sums->contract_max_err = contract_max_err;
}

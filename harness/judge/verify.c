/* Full or sampled verification of an output against the reference, row by row. */
#include "verify.h"

#include "case_data.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "reference_cache.h"
#include "compare.h"
#include "row_sample.h"

typedef struct row_judge {
    attn_verify_result *result;
    const attn_problem *problem;
} row_judge;

static void judge(row_judge *j, bool is_lse, size_t flat, float got, double want, double tol) {
    attn_verify_result *r = j->result;
    const char *failure = NULL;
    double ratio = attn_judge_element(got, want, tol, false, 0, &failure);
    double error = isinf(want) ? (failure ? INFINITY : 0.0) : fabs((double)got - want);
    if (!is_lse && !(error <= r->max_abs_err))
        r->max_abs_err = isfinite(error) ? error : INFINITY;
    if (ratio > r->err_ratio)
        r->err_ratio = ratio;
    if (failure && r->passed) {
        r->passed = false;
        char position[96];
        attn_format_position(j->problem, is_lse, flat, position, sizeof position);
        snprintf(r->detail, sizeof r->detail, "%s %s: got %.9g, reference %.17g, tolerance %.3g",
                 position, failure, (double)got, want, tol);
    }
}

int attn_verify_output(const attn_case *c, const float *q, const float *k, const float *v,
                       const float *o, const float *lse, attn_verify_result *result) {
    return attn_verify_output_contract(c, NULL, q, k, v, o, lse, result);
}

static int verify_uniform(const attn_case *c, const attn_ref_contract *contract, const float *q,
                          const float *k, const float *v, const float *o, const float *lse,
                          attn_verify_result *result);

/* A ragged case: every sequence as a case of its own, the results gathered. */
static int verify_ragged(const attn_case *c, const attn_ref_contract *contract, const float *q,
                         const float *k, const float *v, const float *o, const float *lse,
                         attn_verify_result *result) {
    memset(result, 0, sizeof *result);
    result->passed = true;
    attn_sequence_offsets at = {0};
    for (int64_t b = 0; b < c->problem.batch; b++) {
        attn_case one;
        attn_case_sequence(c, b, &one);
        const attn_sequence_offsets here = at;
        attn_case_sequence_advance(&one, &at);
        if (one.problem.seq_q == 0)
            continue;
        attn_verify_result part;
        if (verify_uniform(&one, contract, q + here.q, k + here.k, v + here.v, o + here.o,
                           lse ? lse + here.lse : NULL, &part))
            return -1;
        result->rows_checked += part.rows_checked;
        result->rows_total += part.rows_total;
        result->max_abs_err = fmax(result->max_abs_err, part.max_abs_err);
        result->err_ratio = fmax(result->err_ratio, part.err_ratio);
        if (!part.passed && result->passed)
            snprintf(result->detail, sizeof result->detail, "sequence %lld: %.480s", (long long)b,
                     part.detail);
        result->passed = result->passed && part.passed;
    }
    return 0;
}

int attn_verify_output_contract(const attn_case *c, const attn_ref_contract *contract,
                                const float *q, const float *k, const float *v, const float *o,
                                const float *lse, attn_verify_result *result) {
    return c->problem.ragged ? verify_ragged(c, contract, q, k, v, o, lse, result)
                             : verify_uniform(c, contract, q, k, v, o, lse, result);
}

static int verify_uniform(const attn_case *c, const attn_ref_contract *contract, const float *q,
                          const float *k, const float *v, const float *o, const float *lse,
                          attn_verify_result *result) {
    const attn_problem *p = &c->problem;
    memset(result, 0, sizeof *result);
    result->passed = true;
    const attn_ref_params params = attn_case_ref_params(p, contract);
    const size_t dv = (size_t)p->head_dim_v;
    attn_row_sample sample;
    if (attn_row_sample_choose(c, &sample, NULL))
        return -1;
    size_t count = 0;
    size_t *list = malloc((sample.rows ? sample.rows : 1) * sizeof *list);
    attn_cached_rows ref;
    int rc = -1;
    if (list) {
        for (size_t flat_row = 0; flat_row < sample.total; flat_row++)
            if (sample.full || sample.verified[flat_row])
                list[count++] = flat_row;
        const size_t kv_rows = (size_t)(p->batch * p->heads_kv * p->seq_kv);
        rc = attn_reference_rows_cached(&params, q, sample.total * (size_t)p->head_dim, k,
                                        kv_rows * (size_t)p->head_dim, v, kv_rows * dv, list, count,
                                        &ref);
    }
    if (rc == 0) {
        row_judge judge_state = {result, p};
        result->rows_total = sample.total;
        for (size_t n = 0; n < count; n++) {
            const size_t flat_row = list[n];
            for (size_t col = 0; col < dv; col++)
                judge(&judge_state, false, flat_row * dv + col, o[flat_row * dv + col],
                      ref.o[n * dv + col], ref.o_tol[n * dv + col]);
            if (lse)
                judge(&judge_state, true, flat_row, lse[flat_row], ref.lse[n], ref.lse_tol[n]);
            result->rows_checked++;
        }
    }
    free(list);
    attn_row_sample_free(&sample);
    return rc;
}

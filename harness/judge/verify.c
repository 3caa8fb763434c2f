/* Full or sampled verification of an output against the reference, row by row. */
#include "verify.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "reference.h"
#include "compare.h"
#include "generate.h"

#define MAX_SAMPLED_ROWS 64

static void add_row(int64_t *rows, size_t *count, size_t capacity, int64_t row, int64_t nq) {
    if (row < 0 || row >= nq || *count >= capacity)
        return;
    for (size_t n = 0; n < *count; n++)
        if (rows[n] == row)
            return;
    rows[(*count)++] = row;
}

static int compare_rows(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

size_t attn_verify_sample_rows(const attn_problem *p, int64_t *rows, size_t capacity) {
    const int64_t nq = p->seq_q, off = p->seq_kv - p->seq_q;
    size_t count = 0;
    int64_t fixed[] = {0, 1, nq / 2, nq - 2, nq - 1};
    for (size_t n = 0; n < sizeof fixed / sizeof fixed[0]; n++)
        add_row(rows, &count, capacity, fixed[n], nq);
    /* Mask edges: the first row that sees any key, where the left edge leaves key 0 and
     * where the right edge reaches the last key; one row either side of each. */
    int64_t edges[3], edge_count = 0;
    if (p->window_right >= 0)
        edges[edge_count++] = -off - p->window_right; /* first row with a visible key */
    if (p->window_left >= 0)
        edges[edge_count++] = p->window_left - off;
    if (p->window_right >= 0)
        edges[edge_count++] = p->seq_kv - 1 - off - p->window_right;
    for (int64_t e = 0; e < edge_count; e++)
        for (int64_t d = -1; d <= 1; d++)
            add_row(rows, &count, capacity, edges[e] + d, nq);
    for (uint64_t n = 0; count < capacity && n < 16; n++)
        add_row(rows, &count, capacity, (int64_t)(attn_random_bits(0, 99, n) % (uint64_t)nq), nq);
    qsort(rows, count, sizeof *rows, compare_rows);
    return count;
}

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
    const attn_problem *p = &c->problem;
    memset(result, 0, sizeof *result);
    result->passed = true;
    attn_ref_params params = {p->batch,        p->heads_q,  p->heads_kv,   p->seq_q,
                              p->seq_kv,       p->head_dim, p->head_dim_v, p->window_left,
                              p->window_right, p->scale};
    const int64_t dv = p->head_dim_v;
    double work = (double)p->batch * (double)p->heads_q * (double)p->seq_q * (double)p->seq_kv *
                  (double)(p->head_dim + dv);
    bool full = work <= ATTN_VERIFY_FULL_LIMIT;
    int64_t sampled[MAX_SAMPLED_ROWS];
    size_t sampled_count = full ? 0 : attn_verify_sample_rows(p, sampled, MAX_SAMPLED_ROWS);
    double *scratch = malloc(attn_reference_scratch_size(&params) * sizeof *scratch);
    double *row_o = malloc((size_t)dv * sizeof *row_o),
           *row_tol = malloc((size_t)dv * sizeof *row_tol);
    if (!scratch || !row_o || !row_tol) {
        free(scratch);
        free(row_o);
        free(row_tol);
        return -1;
    }
    /* Sampled: the first, last and a middle (batch, head) pair. */
    int64_t heads = p->batch * p->heads_q;
    int64_t pairs[3] = {0, heads / 2, heads - 1};
    row_judge judge_state = {result, p};
    result->rows_total = (size_t)(heads * p->seq_q);
    for (int64_t pair_index = 0; pair_index < (full ? heads : 3); pair_index++) {
        int64_t bh = full ? pair_index : pairs[pair_index];
        if (!full && pair_index > 0 && bh == pairs[pair_index - 1])
            continue;
        int64_t b = bh / p->heads_q, h = bh % p->heads_q;
        size_t row_count = full ? (size_t)p->seq_q : sampled_count;
        for (size_t n = 0; n < row_count; n++) {
            int64_t i = full ? (int64_t)n : sampled[n];
            attn_ref_row row = {.o = row_o, .o_tol = row_tol};
            attn_reference_row(&params, q, k, v, b, h, i, scratch, &row);
            size_t flat_row = (size_t)(bh * p->seq_q + i);
            for (int64_t col = 0; col < dv; col++)
                judge(&judge_state, false, flat_row * (size_t)dv + (size_t)col,
                      o[flat_row * (size_t)dv + (size_t)col], row_o[col], row_tol[col]);
            if (lse)
                judge(&judge_state, true, flat_row, lse[flat_row], row.lse, row.lse_tol);
            result->rows_checked++;
        }
    }
    free(scratch);
    free(row_o);
    free(row_tol);
    return 0;
}

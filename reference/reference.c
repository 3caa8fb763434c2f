/* Float64 reference attention: visibility tested key by key straight from the mask
 * formula, Neumaier-compensated sums, two-pass softmax, and the error bound. */
#include "reference.h"

#include <math.h>
#include <stdlib.h>

#include "sum_bound.h"

/* Unit roundoff of float32, the precision being judged. */
#define FP32_UNIT_ROUNDOFF 0x1p-24
/* Rounding steps outside the two long sums (exp, division, rescaling, final rounding);
 * see TOLERANCE.md. */
#define EXTRA_STEPS 8.0
#define SCORE_EXTRA_STEPS 2.0
/* Covers second-order terms and summation orders other than recursive. */
#define SAFETY_FACTOR 2.0
/* Roundings of one online-softmax rescale: exp(m_old - m_new) to a few ulp, the multiply. */
#define RESCALE_STEPS 4.0

typedef struct neumaier_sum {
    double sum, compensation;
} neumaier_sum;

static void neumaier_add(neumaier_sum *acc, double x) {
    double t = acc->sum + x;
    if (fabs(acc->sum) >= fabs(x))
        acc->compensation += (acc->sum - t) + x;
    else
        acc->compensation += (x - t) + acc->sum;
    acc->sum = t;
}

static double neumaier_result(const neumaier_sum *acc) {
    return acc->sum + acc->compensation;
}

static int key_is_visible(const attn_ref_params *p, int64_t i, int64_t j) {
    int64_t offset = p->seq_kv - p->seq_q;
    int left_ok = p->window_left < 0 || j >= i + offset - p->window_left;
    int right_ok = p->window_right < 0 || j <= i + offset + p->window_right;
    return left_ok && right_ok;
}

size_t attn_reference_scratch_size(const attn_ref_params *params) {
    return 7 * (size_t)params->seq_kv;
}

void attn_reference_row(const attn_ref_params *p, const float *q, const float *k, const float *v,
                        int64_t b, int64_t h, int64_t i, double *scratch, attn_ref_row *row) {
    const int64_t d = p->head_dim, dv = p->head_dim_v, nkv = p->seq_kv;
    const int64_t kv_head = h / (p->heads_q / p->heads_kv);
    const float *q_row = q + ((b * p->heads_q + h) * p->seq_q + i) * d;
    const float *k_head = k + (b * p->heads_kv + kv_head) * nkv * d;
    const float *v_head = v + (b * p->heads_kv + kv_head) * nkv * dv;
    double *score = scratch;           /* s_j, visible keys only */
    double *magnitude = scratch + nkv; /* A_j = |scale| sum_c |q_c| |k_jc| */
    double *probability = scratch + 2 * nkv;

    int64_t visible = 0;
    double max_score = -INFINITY;
    for (int64_t j = 0; j < nkv; j++) {
        probability[j] = 0.0;
        if (!key_is_visible(p, i, j))
            continue;
        neumaier_sum dot = {0, 0};
        double abs_dot = 0.0;
        for (int64_t c = 0; c < d; c++) {
            /* the product of two floats is exact in double */
            double product = (double)q_row[c] * (double)k_head[j * d + c];
            neumaier_add(&dot, product);
            abs_dot += fabs(product);
        }
        score[j] = p->scale * neumaier_result(&dot);
        magnitude[j] = fabs(p->scale) * abs_dot;
        if (score[j] > max_score)
            max_score = score[j];
        visible++;
    }
    row->visible = visible;
    if (visible == 0) {
        for (int64_t c = 0; c < dv; c++)
            row->o[c] = row->o_tol[c] = 0.0;
        row->lse = -INFINITY;
        row->lse_tol = 0.0;
        return;
    }

    neumaier_sum total = {0, 0};
    for (int64_t j = 0; j < nkv; j++)
        if (key_is_visible(p, i, j)) {
            probability[j] = exp(score[j] - max_score);
            neumaier_add(&total, probability[j]);
        }
    const double normaliser = neumaier_result(&total);
    for (int64_t j = 0; j < nkv; j++)
        probability[j] /= normaliser;
    row->lse = max_score + log(normaliser);

    /* Score error carried by each visible key, in units of the roundoff: the D-term dot
     * product, the scale multiply and the max subtraction (into magnitude[]). */
    const double u = FP32_UNIT_ROUNDOFF;
    double *visible_score = scratch + 3 * nkv, *exposure = scratch + 4 * nkv;
    double *mass = scratch + 6 * nkv; /* [visible] term magnitudes of one long sum */
    double largest_error = 0.0;
    neumaier_sum lse_score_error = {0, 0};
    for (int64_t j = 0, t = 0; j < nkv; j++)
        if (key_is_visible(p, i, j)) {
            magnitude[j] =
                ((double)d + SCORE_EXTRA_STEPS) * magnitude[j] + fabs(score[j] - max_score);
            largest_error = fmax(largest_error, magnitude[j]);
            neumaier_add(&lse_score_error, probability[j] * magnitude[j]);
            visible_score[t] = score[j];
            mass[t++] = probability[j];
        }
    /* Rounding of the normaliser and of each weighted sum: the worst case of any order, n u
     * relative each, or the bound that follows the terms' masses and the rescalings they
     * can go through (TOLERANCE.md), whichever is smaller. */
    attn_rescale_exposure(visible_score, visible, 2.0 * SAFETY_FACTOR * u * largest_error, exposure,
                          scratch + 5 * nkv);
    const double normaliser_steps =
        fmin((double)visible,
             attn_sum_rounding_steps(mass, visible, 1.0) +
                 attn_rescale_rounding_steps(mass, exposure, visible, 1.0, RESCALE_STEPS));
    for (int64_t c = 0; c < dv; c++) {
        neumaier_sum out = {0, 0};
        for (int64_t j = 0; j < nkv; j++)
            if (probability[j] != 0.0)
                neumaier_add(&out, probability[j] * (double)v_head[j * dv + c]);
        row->o[c] = neumaier_result(&out);
    }
    for (int64_t c = 0; c < dv; c++) {
        double carried = 0.0, weighted_magnitude = 0.0;
        for (int64_t j = 0, t = 0; j < nkv; j++) {
            if (!key_is_visible(p, i, j))
                continue;
            double value = (double)v_head[j * dv + c];
            carried += probability[j] * magnitude[j] * fabs(value - row->o[c]);
            mass[t++] = probability[j] * fabs(value);
            weighted_magnitude += probability[j] * fabs(value);
        }
        const double sum_steps =
            normaliser_steps +
            fmin((double)visible,
                 attn_sum_rounding_steps(mass, visible, weighted_magnitude) +
                     attn_rescale_rounding_steps(mass, exposure, visible, weighted_magnitude,
                                                 RESCALE_STEPS));
        row->o_tol[c] =
            SAFETY_FACTOR * u * (carried + (sum_steps + EXTRA_STEPS) * weighted_magnitude);
    }
    row->lse_tol = SAFETY_FACTOR * u *
                   (neumaier_result(&lse_score_error) + normaliser_steps + EXTRA_STEPS +
                    fabs(max_score) + fabs(row->lse));
}

int attn_reference_forward(const attn_ref_params *p, const float *q, const float *k, const float *v,
                           double *o, double *o_tol, double *lse, double *lse_tol) {
    return attn_reference_forward_rows(p, q, k, v, NULL, o, o_tol, lse, lse_tol);
}

/* Rows list[n] (row n when list is NULL) into slot n (into their own place when list is
 * NULL), NaN for rows whose mask flag is 0. Rows are independent: threads take them in
 * chunks, each with its own scratch. */
static int rows_in_parallel(const attn_ref_params *p, const float *q, const float *k,
                            const float *v, const unsigned char *mask, const size_t *list,
                            int64_t count, double *o, double *o_tol, double *lse, double *lse_tol) {
    int failed = 0;
#pragma omp parallel reduction(| : failed)
    {
        double *scratch = malloc(attn_reference_scratch_size(p) * sizeof *scratch);
        failed = scratch == NULL;
#pragma omp for schedule(dynamic, 4)
        for (int64_t n = 0; n < count; n++) {
            const int64_t row_index = list ? (int64_t)list[n] : n;
            double *row_o = o + n * p->head_dim_v;
            double *row_tol = o_tol + n * p->head_dim_v;
            if (!scratch || (mask && !mask[row_index])) {
                for (int64_t c = 0; c < p->head_dim_v; c++)
                    row_o[c] = row_tol[c] = NAN;
                lse[n] = lse_tol[n] = NAN;
                continue;
            }
            const int64_t i = row_index % p->seq_q, bh = row_index / p->seq_q;
            attn_ref_row row = {.o = row_o, .o_tol = row_tol};
            attn_reference_row(p, q, k, v, bh / p->heads_q, bh % p->heads_q, i, scratch, &row);
            lse[n] = row.lse;
            lse_tol[n] = row.lse_tol;
        }
        free(scratch);
    }
    return failed ? -1 : 0;
}

int attn_reference_forward_rows(const attn_ref_params *p, const float *q, const float *k,
                                const float *v, const unsigned char *rows, double *o, double *o_tol,
                                double *lse, double *lse_tol) {
    return rows_in_parallel(p, q, k, v, rows, NULL, p->batch * p->heads_q * p->seq_q, o, o_tol, lse,
                            lse_tol);
}

int attn_reference_listed_rows(const attn_ref_params *p, const float *q, const float *k,
                               const float *v, const size_t *rows, size_t count, double *o,
                               double *o_tol, double *lse, double *lse_tol) {
    return rows_in_parallel(p, q, k, v, NULL, rows, (int64_t)count, o, o_tol, lse, lse_tol);
}

void attn_reference_plain_fp32_row(const attn_ref_params *p, const float *q, const float *k,
                                   const float *v, int64_t b, int64_t h, int64_t i, float *scratch,
                                   float *o) {
    const int64_t d = p->head_dim, dv = p->head_dim_v, nkv = p->seq_kv;
    const int64_t kv_head = h / (p->heads_q / p->heads_kv);
    const float *q_row = q + ((b * p->heads_q + h) * p->seq_q + i) * d;
    const float *k_head = k + (b * p->heads_kv + kv_head) * nkv * d;
    const float *v_head = v + (b * p->heads_kv + kv_head) * nkv * dv;
    const float scale = (float)p->scale;
    float max_score = -INFINITY;
    for (int64_t j = 0; j < nkv; j++) {
        if (!key_is_visible(p, i, j))
            continue;
        float dot = 0.0f;
        for (int64_t c = 0; c < d; c++)
            dot += q_row[c] * k_head[j * d + c];
        scratch[j] = scale * dot;
        max_score = scratch[j] > max_score ? scratch[j] : max_score;
    }
    for (int64_t c = 0; c < dv; c++)
        o[c] = 0.0f;
    if (max_score == -INFINITY)
        return;
    float total = 0.0f;
    for (int64_t j = 0; j < nkv; j++) {
        if (!key_is_visible(p, i, j))
            continue;
        const float e = expf(scratch[j] - max_score);
        total += e;
        for (int64_t c = 0; c < dv; c++)
            o[c] += e * v_head[j * dv + c];
    }
    for (int64_t c = 0; c < dv; c++)
        o[c] /= total;
}

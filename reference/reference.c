/* Float64 reference attention: visibility tested key by key straight from the mask
 * formula, Neumaier-compensated sums, two-pass softmax, and the error bound. */
#include "reference.h"

#include <math.h>
#include <stdbool.h>
#include <stdlib.h>

#include "sum_bound.h"

/* Unit roundoff of float32, the unit the float32 contract's terms are counted in. */
#define FP32_UNIT_ROUNDOFF 0x1p-24
/* Rounding steps outside the two long sums (exp, division, rescaling, final rounding);
 * see TOLERANCE.md. */
#define EXTRA_STEPS 8.0
#define SCORE_EXTRA_STEPS 2.0
/* Covers second-order terms and summation orders other than recursive. */
#define SAFETY_FACTOR 2.0
/* Roundings of one online-softmax rescale: exp(m_old - m_new) to a few ulp, the multiply. */
#define RESCALE_STEPS 4.0

const attn_ref_format attn_ref_float32 = {24, -126, 0x1.fffffep127};
const attn_ref_format attn_ref_bfloat16 = {8, -126, 0x1.fep127};
const attn_ref_format attn_ref_float16 = {11, -14, 65504.0};

double attn_ref_round(double x, const attn_ref_format *f) {
    if (f->bits == 0 || x == 0.0 || !isfinite(x))
        return x;
    if (f->bits == 24 && f->min_exponent == -126)
        return (double)(float)x; /* C's conversion rounds to nearest, ties to even */
    int exponent;
    frexp(x, &exponent); /* |x| in [2^(exponent-1), 2^exponent) */
    const int unit_exponent =
        (exponent - 1 > f->min_exponent ? exponent - 1 : f->min_exponent) - (f->bits - 1);
    const double rounded = ldexp(nearbyint(ldexp(x, -unit_exponent)), unit_exponent);
    return fabs(rounded) > f->largest ? copysign(INFINITY, x) : rounded;
}

/* A stage's format, float32 when the contract leaves it zero (arithmetic stages). */
static const attn_ref_format *arithmetic_format(const attn_ref_format *f) {
    return f->bits ? f : &attn_ref_float32;
}

/* Relative error of one rounding to f, and the absolute error it can make beyond that
 * (half the subnormal spacing), both 0 for a stage that does not round. */
static double unit_roundoff(const attn_ref_format *f) {
    return f->bits ? ldexp(1.0, -f->bits) : 0.0;
}

static double underflow_floor(const attn_ref_format *f) {
    return f->bits ? ldexp(1.0, f->min_exponent - f->bits) : 0.0;
}

static bool is_float32(const attn_ref_format *f) {
    return f->bits == 24 && f->min_exponent == -126;
}

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
    return 8 * (size_t)params->seq_kv;
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
    double *key_abs_sum = scratch + 7 * nkv; /* |scale| sum_c |k_jc| */
    double query_abs_sum = 0.0;
    for (int64_t c = 0; c < d; c++)
        query_abs_sum += fabs((double)q_row[c]);
    query_abs_sum *= fabs(p->scale);

    int64_t visible = 0;
    double max_score = -INFINITY;
    for (int64_t j = 0; j < nkv; j++) {
        probability[j] = 0.0;
        if (!key_is_visible(p, i, j))
            continue;
        neumaier_sum dot = {0, 0};
        double abs_dot = 0.0, abs_key = 0.0;
        for (int64_t c = 0; c < d; c++) {
            /* the product of two floats is exact in double */
            double product = (double)q_row[c] * (double)k_head[j * d + c];
            neumaier_add(&dot, product);
            abs_dot += fabs(product);
            abs_key += fabs((double)k_head[j * d + c]);
        }
        score[j] = p->scale * neumaier_result(&dot);
        magnitude[j] = fabs(p->scale) * abs_dot;
        key_abs_sum[j] = fabs(p->scale) * abs_key;
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

    /* Score error carried by each visible key, in units of the score format's roundoff:
     * the D-term dot product, the scale multiply and the max subtraction, plus (under a
     * reduced contract) the rounding of Q and K inside and the score format's underflow
     * (into magnitude[]). For the float32 contract every added term is 0 and every unit
     * ratio 1, so the float32 bound is computed exactly as it always was. */
    const attn_ref_contract *contract = &p->contract;
    const attn_ref_format *score_format = arithmetic_format(&contract->score);
    const attn_ref_format *accum_format = arithmetic_format(&contract->accum);
    const attn_ref_format *prob_format = arithmetic_format(&contract->prob);
    const attn_ref_format *out_format = arithmetic_format(&contract->out);
    const double u = FP32_UNIT_ROUNDOFF, u_score = unit_roundoff(score_format);
    const double u_accum = unit_roundoff(accum_format);
    const double score_ratio = u_score / u, accum_ratio = u_accum / u;
    const double u_q = unit_roundoff(&contract->q), u_k = unit_roundoff(&contract->k);
    const double floor_q = underflow_floor(&contract->q), floor_k = underflow_floor(&contract->k);
    const double floor_score = is_float32(score_format) ? 0.0 : underflow_floor(score_format);
    const double u_prob = is_float32(prob_format) ? 0.0 : unit_roundoff(prob_format);
    const double floor_prob = is_float32(prob_format) ? 0.0 : underflow_floor(prob_format);
    const double floor_accum = is_float32(accum_format) ? 0.0 : underflow_floor(accum_format);
    const double u_v = unit_roundoff(&contract->v), floor_v = underflow_floor(&contract->v);
    const bool rounds_output = !is_float32(out_format);
    double *visible_score = scratch + 3 * nkv, *exposure = scratch + 4 * nkv;
    double *mass = scratch + 6 * nkv; /* [visible] term magnitudes of one long sum */
    double largest_error = 0.0;
    neumaier_sum lse_score_error = {0, 0};
    for (int64_t j = 0, t = 0; j < nkv; j++)
        if (key_is_visible(p, i, j)) {
            const double inputs_rounded = (u_q + u_k) * magnitude[j] + floor_q * key_abs_sum[j] +
                                          floor_k * query_abs_sum +
                                          ((double)d + SCORE_EXTRA_STEPS) * floor_score;
            magnitude[j] = ((double)d + SCORE_EXTRA_STEPS) * magnitude[j] +
                           fabs(score[j] - max_score) + inputs_rounded / u_score;
            largest_error = fmax(largest_error, magnitude[j]);
            neumaier_add(&lse_score_error, probability[j] * magnitude[j]);
            visible_score[t] = score[j];
            mass[t++] = probability[j];
        }
    /* Rounding of the normaliser and of each weighted sum: the worst case of any order, n u
     * relative each, or the bound that follows the terms' masses and the rescalings they
     * can go through (TOLERANCE.md), whichever is smaller. */
    attn_rescale_exposure(visible_score, visible, 2.0 * SAFETY_FACTOR * u_score * largest_error,
                          exposure, scratch + 5 * nkv);
    const double normaliser_steps =
        fmin((double)visible,
             attn_sum_rounding_steps(mass, visible, 1.0, u_accum) +
                 attn_rescale_rounding_steps(mass, exposure, visible, 1.0, RESCALE_STEPS));
    for (int64_t c = 0; c < dv; c++) {
        neumaier_sum out = {0, 0};
        for (int64_t j = 0; j < nkv; j++)
            if (probability[j] != 0.0)
                neumaier_add(&out, probability[j] * (double)v_head[j * dv + c]);
        row->o[c] = neumaier_result(&out);
    }
    /* The normaliser is at least 1 (the row's maximum contributes exp(0)). */
    const double inverse_normaliser = 1.0 / normaliser;
    for (int64_t c = 0; c < dv; c++) {
        double carried = 0.0, weighted_magnitude = 0.0, prob_rounded = 0.0;
        for (int64_t j = 0, t = 0; j < nkv; j++) {
            if (!key_is_visible(p, i, j))
                continue;
            double value = (double)v_head[j * dv + c];
            carried += probability[j] * magnitude[j] * fabs(value - row->o[c]);
            mass[t++] = probability[j] * fabs(value);
            weighted_magnitude += probability[j] * fabs(value);
            prob_rounded += (u_prob * probability[j] + floor_prob * inverse_normaliser) *
                            (fabs(value) + fabs(value - row->o[c]));
        }
        const double sum_steps =
            normaliser_steps +
            fmin((double)visible,
                 attn_sum_rounding_steps(mass, visible, weighted_magnitude, u_accum) +
                     attn_rescale_rounding_steps(mass, exposure, visible, weighted_magnitude,
                                                 RESCALE_STEPS));
        const double reduced = prob_rounded + u_v * weighted_magnitude + floor_v +
                               floor_accum * (sum_steps + EXTRA_STEPS) * (1.0 + fabs(row->o[c])) +
                               (rounds_output ? unit_roundoff(out_format) * fabs(row->o[c]) +
                                                    underflow_floor(out_format)
                                              : 0.0);
        row->o_tol[c] = SAFETY_FACTOR * u *
                            (score_ratio * carried +
                             (sum_steps + EXTRA_STEPS) * accum_ratio * weighted_magnitude) +
                        SAFETY_FACTOR * reduced;
    }
    const double lse_reduced = u_prob + floor_prob * (double)visible * inverse_normaliser +
                               floor_accum * (normaliser_steps + EXTRA_STEPS);
    row->lse_tol =
        SAFETY_FACTOR * u *
            (score_ratio * neumaier_result(&lse_score_error) + normaliser_steps * accum_ratio +
             EXTRA_STEPS * accum_ratio + fabs(max_score) + fabs(row->lse)) +
        SAFETY_FACTOR * lse_reduced;
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

void attn_reference_plain_contract_row(const attn_ref_params *p, const float *q, const float *k,
                                       const float *v, int64_t b, int64_t h, int64_t i,
                                       double *scratch, float *o) {
    const int64_t d = p->head_dim, dv = p->head_dim_v, nkv = p->seq_kv;
    const int64_t kv_head = h / (p->heads_q / p->heads_kv);
    const float *q_row = q + ((b * p->heads_q + h) * p->seq_q + i) * d;
    const float *k_head = k + (b * p->heads_kv + kv_head) * nkv * d;
    const float *v_head = v + (b * p->heads_kv + kv_head) * nkv * dv;
    const attn_ref_contract *contract = &p->contract;
    const attn_ref_format *score_format = arithmetic_format(&contract->score);
    const attn_ref_format *prob_format = arithmetic_format(&contract->prob);
    const attn_ref_format *accum_format = arithmetic_format(&contract->accum);
    const attn_ref_format *out_format = arithmetic_format(&contract->out);
    const attn_ref_format *f32 = &attn_ref_float32;
    const double scale = attn_ref_round(p->scale, f32);
    double max_score = -INFINITY;
    for (int64_t j = 0; j < nkv; j++) {
        if (!key_is_visible(p, i, j))
            continue;
        double dot = 0.0;
        for (int64_t c = 0; c < d; c++) {
            const double product =
                attn_ref_round(attn_ref_round(q_row[c], &contract->q) *
                                   attn_ref_round(k_head[j * d + c], &contract->k),
                               f32);
            dot = attn_ref_round(dot + product, score_format);
        }
        scratch[j] = attn_ref_round(scale * dot, score_format);
        max_score = scratch[j] > max_score ? scratch[j] : max_score;
    }
    for (int64_t c = 0; c < dv; c++)
        o[c] = 0.0f;
    if (max_score == -INFINITY)
        return;
    double total = 0.0, *weight = scratch + nkv;
    for (int64_t j = 0; j < nkv; j++) {
        weight[j] = 0.0;
        if (!key_is_visible(p, i, j))
            continue;
        const double shifted = attn_ref_round(scratch[j] - max_score, score_format);
        const double e = attn_ref_round(exp(shifted), f32);
        total = attn_ref_round(total + e, accum_format);
        weight[j] = attn_ref_round(e, prob_format);
    }
    for (int64_t c = 0; c < dv; c++) {
        double sum = 0.0;
        for (int64_t j = 0; j < nkv; j++) {
            if (!key_is_visible(p, i, j))
                continue;
            const double value = attn_ref_round(v_head[j * dv + c], &contract->v);
            sum = attn_ref_round(sum + attn_ref_round(weight[j] * value, f32), accum_format);
        }
        o[c] = (float)attn_ref_round(attn_ref_round(sum / total, f32), out_format);
    }
}

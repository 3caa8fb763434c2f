/* Rounding-error bounds of long float32 sums that hold for every order of additions (any
 * binary tree: recursive, blocked, SIMD lanes, pairwise, split-KV combines), and of the
 * online softmax's rescalings, given the magnitudes of the terms. Derived in
 * reference/TOLERANCE.md, "Long rows: a bound that follows the masses". */
#ifndef ATTN_SUM_BOUND_H
#define ATTN_SUM_BOUND_H

#include <stdint.h>

/* Worst-case rounding error of a sum of terms whose magnitudes are mass[0..count), in a
 * format of unit roundoff u (2^-24 for float32), in units of u times total = sum of mass:
 * each term at least u total counts 1, a smaller term m counts
 * (m / (u total)) (2 + log2(u total / m)). At most 2 per term. */
double attn_sum_rounding_steps(const double *mass, int64_t count, double total,
                               double unit_roundoff);

/* How many rescalings of an online softmax (running sums multiplied by exp(m_old - m_new)
 * when the running maximum grows) each of count keys can go through: a rescale happens
 * at a key scoring above every key summed before it, so key j goes through at most one
 * per key scoring no lower than its own; keys within `margin` below count too (computed
 * scores may reorder near-ties). exposure[j] gets that number; sorted holds count. */
void attn_rescale_exposure(const double *score, int64_t count, double margin, double *exposure,
                           double *sorted);

/* Worst-case error of those rescalings, each off by up to steps_per_rescale u relative,
 * in units of u times total = sum of mass. */
double attn_rescale_rounding_steps(const double *mass, const double *exposure, int64_t count,
                                   double total, double steps_per_rescale);

#endif

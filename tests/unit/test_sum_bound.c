/* The long-sum bounds of reference/sum_bound.h hold for real float32 sums: adversarial
 * terms (clustered a few ulps apart, just below and above half an ulp of the sum, spread
 * over sixty binades), summed in every order a kernel takes (forward, reverse, pairwise,
 * 16 SIMD lanes, random trees), and an online softmax rescaling at every key. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>

#include "sum_bound.h"

#define U 0x1p-24
#define MAX_TERMS 40000

static uint64_t lcg = 1;

static double uniform01(void) {
    lcg = lcg * 6364136223846793005ull + 1442695040888963407ull;
    return (double)(lcg >> 11) * 0x1p-53;
}

/* Exact enough: float terms summed in double with Neumaier compensation. */
static double exact_sum(const float *x, int64_t n) {
    double sum = 0, compensation = 0;
    for (int64_t i = 0; i < n; i++) {
        const double t = sum + x[i];
        compensation += fabs(sum) >= fabs(x[i]) ? (sum - t) + x[i] : (x[i] - t) + sum;
        sum = t;
    }
    return sum + compensation;
}

static float forward(const float *x, int64_t n) {
    float s = 0;
    for (int64_t i = 0; i < n; i++)
        s += x[i];
    return s;
}

static float reverse(const float *x, int64_t n) {
    float s = 0;
    for (int64_t i = n - 1; i >= 0; i--)
        s += x[i];
    return s;
}

static float pairwise(const float *x, int64_t n) {
    if (n == 1)
        return x[0];
    return pairwise(x, n / 2) + pairwise(x + n / 2, n - n / 2);
}

static float lanes16(const float *x, int64_t n) {
    float lane[16] = {0};
    for (int64_t i = 0; i < n; i++)
        lane[i % 16] += x[i];
    for (int width = 8; width >= 1; width /= 2)
        for (int l = 0; l < width; l++)
            lane[l] += lane[l + width];
    return lane[0];
}

/* A random binary tree: repeatedly add two randomly chosen partial sums. */
static float random_tree(const float *x, int64_t n, float *work) {
    for (int64_t i = 0; i < n; i++)
        work[i] = x[i];
    for (int64_t live = n; live > 1; live--) {
        const int64_t a = (int64_t)(uniform01() * (double)live);
        int64_t b = (int64_t)(uniform01() * (double)(live - 1));
        b += b >= a;
        const float s = work[a] + work[b];
        const int64_t low = a < b ? a : b, high = a < b ? b : a;
        work[low] = s;
        work[high] = work[live - 1];
    }
    return work[0];
}

static void shuffle(float *x, int64_t n) {
    for (int64_t i = n - 1; i > 0; i--) {
        const int64_t j = (int64_t)(uniform01() * (double)(i + 1));
        const float t = x[i];
        x[i] = x[j];
        x[j] = t;
    }
}

/* Checks every order of x against the bound; returns the largest error / bound. */
static double check_orders(const char *what, float *x, int64_t n) {
    static double mass[MAX_TERMS];
    static float work[MAX_TERMS];
    cr_assert_leq(n, MAX_TERMS);
    double worst = 0;
    for (int round = 0; round < 6; round++) {
        const double exact = exact_sum(x, n);
        double total = 0;
        for (int64_t i = 0; i < n; i++) {
            mass[i] = fabs((double)x[i]);
            total += mass[i];
        }
        const double bound = U * total * attn_sum_rounding_steps(mass, n, total, U);
        const float sums[] = {forward(x, n), reverse(x, n), pairwise(x, n), lanes16(x, n),
                              random_tree(x, n, work)};
        for (size_t s = 0; s < sizeof sums / sizeof sums[0]; s++) {
            const double error = fabs((double)sums[s] - exact);
            cr_assert_leq(error, bound, "%s, order %zu, round %d: error %g above the bound %g",
                          what, s, round, error, bound);
            worst = fmax(worst, error / bound);
        }
        shuffle(x, n);
    }
    return worst;
}

static float terms[MAX_TERMS];

Test(sum_bound, clustered_terms_a_few_ulps_apart) {
    /* The case that broke a square-root estimate: one term of 0.999 and 4000 near 2.2 ulps
     * of 1.0 round alike. */
    lcg = 3;
    terms[0] = 0.999f;
    for (int64_t i = 1; i <= 4000; i++)
        terms[i] = (float)(2.2 * 0x1p-23 * (1.0 + 0.01 * uniform01()));
    const double worst = check_orders("clustered", terms, 4001);
    cr_assert_gt(worst, 0.05, "the bound is reached within 20 times (%g)", worst);
}

Test(sum_bound, terms_just_below_and_above_half_an_ulp) {
    for (int side = 0; side < 2; side++) {
        terms[0] = 1.0f;
        for (int64_t i = 1; i < 20000; i++)
            terms[i] = (float)((side ? 1.01 : 0.99) * U);
        check_orders(side ? "above half an ulp" : "below half an ulp", terms, 20000);
    }
}

Test(sum_bound, magnitudes_over_sixty_binades) {
    lcg = 11;
    for (int64_t i = 0; i < 30000; i++)
        terms[i] = (float)exp2(-60.0 * uniform01());
    check_orders("log-uniform", terms, 30000);
}

Test(sum_bound, uniform_terms_and_signed_terms) {
    lcg = 5;
    for (int64_t i = 0; i < 30000; i++)
        terms[i] = (float)uniform01();
    check_orders("uniform", terms, 30000);
    for (int64_t i = 0; i < 30000; i++)
        terms[i] = (float)(2.0 * uniform01() - 1.0);
    check_orders("signed", terms, 30000);
}

Test(sum_bound, a_few_dominant_terms_make_it_sharp) {
    /* 30 terms near 1 and 30000 at e^-40: the bound counts about the 30, not n. */
    static double mass[30030];
    lcg = 8;
    for (int64_t i = 0; i < 30030; i++)
        mass[i] = i < 30 ? 0.5 + uniform01() : exp(-40.0) * (1.0 + uniform01());
    double total = 0;
    for (int64_t i = 0; i < 30030; i++)
        total += mass[i];
    const double steps = attn_sum_rounding_steps(mass, 30030, total, U);
    cr_assert(steps >= 30.0 && steps < 31.0, "steps %g", steps);
    for (int64_t i = 0; i < 30030; i++)
        terms[i] = (float)mass[i];
    check_orders("dominant few", terms, 30030);
}

Test(sum_bound, each_term_counts_at_most_two) {
    static double mass[1000];
    lcg = 2;
    for (int64_t i = 0; i < 1000; i++)
        mass[i] = exp2(-40.0 * uniform01());
    double total = 0;
    for (int64_t i = 0; i < 1000; i++)
        total += mass[i];
    const double steps = attn_sum_rounding_steps(mass, 1000, total, U);
    cr_assert(steps > 0 && steps <= 2000.0, "steps %g", steps);
    cr_assert_eq(attn_sum_rounding_steps(mass, 1000, 0.0, U), 0.0);
}

/* An online softmax normaliser in float32, rescaling at every key whose score is above the
 * running maximum, against its bound: the sum steps of the terms plus the rescalings. */
static void online_normaliser(const double *score, int64_t n, const char *what) {
    static double mass[MAX_TERMS], exposure[MAX_TERMS], sorted[MAX_TERMS];
    float m = -INFINITY, l = 0;
    double top = -INFINITY;
    for (int64_t j = 0; j < n; j++) {
        const float s = (float)score[j];
        if (s > m) {
            l *= expf(m - s);
            m = s;
        }
        l += expf(s - m);
        top = fmax(top, (double)s);
    }
    double exact = 0;
    for (int64_t j = 0; j < n; j++) {
        mass[j] = exp((double)(float)score[j] - top);
        exact += mass[j];
    }
    for (int64_t j = 0; j < n; j++)
        mass[j] /= exact;
    /* score errors here: only float's rounding of the score and of s - m */
    attn_rescale_exposure(score, n, 1e-6, exposure, sorted);
    const double steps = attn_sum_rounding_steps(mass, n, 1.0, U) +
                         attn_rescale_rounding_steps(mass, exposure, n, 1.0, 4.0);
    /* each term's exp and its subtraction round too: 2 more per term of mass, 1 in all */
    const double bound = 2.0 * U * (steps + 3.0);
    const double error = fabs((double)l * exp((double)m - top) / exact - 1.0);
    cr_assert_leq(error, bound, "%s: relative error %g above the bound %g", what, error, bound);
}

Test(sum_bound, online_softmax_rescaling_at_every_key) {
    static double score[MAX_TERMS];
    for (int64_t j = 0; j < 20000; j++)
        score[j] = 1e-3 * (double)j; /* every key raises the maximum */
    online_normaliser(score, 20000, "ascending scores");
    lcg = 4;
    for (int64_t j = 0; j < 20000; j++)
        score[j] = -40.0 + uniform01();
    for (int64_t j = 0; j < 20000; j += 700)
        score[j] = uniform01(); /* needles */
    online_normaliser(score, 20000, "needles");
}

Test(sum_bound, rescale_exposure_counts_keys_scoring_no_lower) {
    const double score[] = {3.0, 1.0, 2.0, 2.0 + 1e-9, 0.0};
    double exposure[5], sorted[5];
    attn_rescale_exposure(score, 5, 1e-6, exposure, sorted);
    const double expected[] = {1, 4, 3, 3, 5}; /* itself and the keys scoring higher or near-tied */
    for (int j = 0; j < 5; j++)
        cr_assert_eq(exposure[j], expected[j], "key %d: %g", j, exposure[j]);
    const double mass[] = {0.5, 0.1, 0.2, 0.2, 0.0};
    cr_assert_float_eq(attn_rescale_rounding_steps(mass, exposure, 5, 1.0, 4.0),
                       4.0 * (0.5 + 0.4 + 0.6 + 0.6), 1e-12);
}

/* Unit tests for the timing statistics (harness/core/stats.h): min, median (odd and even
 * counts), mean, sample standard deviation (n - 1) and coefficient of variation on
 * synthetic samples whose values were worked out by hand; no spread (NaN) for one sample. */
#include <criterion/criterion.h>

#include <math.h>
#include <string.h>

#include "stats.h"

/* |got - want| within a few ulps of want (or absolutely tiny when want is 0). */
static void near(double got, double want, const char *what) {
    double tolerance = 4 * 2.220446049250313e-16 * fabs(want) + 1e-300;
    cr_assert(fabs(got - want) <= tolerance, "%s: got %.17g, want %.17g", what, got, want);
}

Test(stats, odd_count) {
    /* sorted 1 2 3 4 5: median 3, mean 3, squares 4+1+0+1+4 = 10, variance 10/4 */
    const double samples[] = {3.0, 1.0, 2.0, 5.0, 4.0};
    attn_stats s;
    attn_stats_of(samples, 5, &s);
    cr_assert_eq(s.count, 5);
    near(s.min, 1.0, "min");
    near(s.median, 3.0, "median");
    near(s.mean, 3.0, "mean");
    near(s.stddev, sqrt(2.5), "stddev (n - 1)");
    near(s.cv, sqrt(2.5) / 3.0, "cv");
}

Test(stats, even_count_median_is_mean_of_middle_two) {
    /* sorted 1 2 3 4: median (2 + 3) / 2, mean 2.5, squares 2.25+0.25+0.25+2.25 = 5,
     * variance 5/3 */
    const double samples[] = {4.0, 1.0, 3.0, 2.0};
    attn_stats s;
    attn_stats_of(samples, 4, &s);
    cr_assert_eq(s.count, 4);
    near(s.min, 1.0, "min");
    near(s.median, 2.5, "median");
    near(s.mean, 2.5, "mean");
    near(s.stddev, sqrt(5.0 / 3.0), "stddev (n - 1)");
    near(s.cv, sqrt(5.0 / 3.0) / 2.5, "cv");
}

Test(stats, two_samples) {
    /* median = mean = 1.5; squares 0.25 + 0.25, variance 0.5 / 1 */
    const double samples[] = {2.0, 1.0};
    attn_stats s;
    attn_stats_of(samples, 2, &s);
    near(s.min, 1.0, "min");
    near(s.median, 1.5, "median");
    near(s.mean, 1.5, "mean");
    near(s.stddev, sqrt(0.5), "stddev");
    near(s.cv, sqrt(0.5) / 1.5, "cv");
}

Test(stats, single_sample) {
    const double samples[] = {0.125};
    attn_stats s;
    attn_stats_of(samples, 1, &s);
    cr_assert_eq(s.count, 1);
    cr_assert_eq(s.min, 0.125);
    cr_assert_eq(s.median, 0.125);
    cr_assert_eq(s.mean, 0.125);
    /* One sample has no spread: NaN (reported as an empty field), not 0, which would claim
     * a perfectly steady measurement. */
    cr_assert(isnan(s.stddev), "stddev of one sample: %g, want NaN", s.stddev);
    cr_assert(isnan(s.cv), "cv of one sample: %g, want NaN", s.cv);
}

Test(stats, two_equal_samples_have_zero_not_missing_spread) {
    const double samples[] = {0.25, 0.25};
    attn_stats s;
    attn_stats_of(samples, 2, &s);
    cr_assert_eq(s.stddev, 0.0, "stddev %g", s.stddev);
    cr_assert_eq(s.cv, 0.0, "cv %g", s.cv);
}

Test(stats, equal_samples_have_no_spread) {
    const double samples[] = {3e-6, 3e-6, 3e-6, 3e-6, 3e-6, 3e-6, 3e-6};
    attn_stats s;
    attn_stats_of(samples, 7, &s);
    cr_assert_eq(s.min, 3e-6);
    cr_assert_eq(s.median, 3e-6);
    near(s.mean, 3e-6, "mean");
    cr_assert(s.stddev <= 1e-21, "stddev %g", s.stddev);
    cr_assert(s.cv <= 1e-15, "cv %g", s.cv);
}

Test(stats, unsorted_input_with_duplicates) {
    /* sorted 1 2 2 5 7 8 9: min 1 (last in the input), median 5, mean 34/7 */
    const double samples[] = {9.0, 2.0, 7.0, 2.0, 5.0, 8.0, 1.0};
    attn_stats s;
    attn_stats_of(samples, 7, &s);
    near(s.min, 1.0, "min");
    near(s.median, 5.0, "median");
    double mean = 34.0 / 7.0, squares = 0.0;
    for (int n = 0; n < 7; n++)
        squares += (samples[n] - mean) * (samples[n] - mean);
    near(s.mean, mean, "mean");
    near(s.stddev, sqrt(squares / 6.0), "stddev");
    near(s.cv, sqrt(squares / 6.0) / mean, "cv");
    /* by hand: sum of squared deviations = sum x^2 - (sum x)^2 / n
     * = 228 - 34^2 / 7 = (1596 - 1156) / 7 = 440 / 7 */
    near(squares, 440.0 / 7.0, "sum of squared deviations (self-check of the test)");
    near(s.stddev, sqrt(440.0 / 42.0), "stddev closed form");
}

Test(stats, descending_even_count) {
    /* sorted 0.5 1.5 2.5 3.5 4.5 5.5: median (2.5 + 3.5) / 2 = 3, mean 3 */
    const double samples[] = {5.5, 4.5, 3.5, 2.5, 1.5, 0.5};
    attn_stats s;
    attn_stats_of(samples, 6, &s);
    near(s.min, 0.5, "min");
    near(s.median, 3.0, "median");
    near(s.mean, 3.0, "mean");
    /* squares 6.25+2.25+0.25+0.25+2.25+6.25 = 17.5, variance 17.5 / 5 = 3.5 */
    near(s.stddev, sqrt(3.5), "stddev");
    near(s.cv, sqrt(3.5) / 3.0, "cv");
}

Test(stats, samples_not_modified) {
    const double original[] = {0.3, 0.1, 0.4, 0.1, 0.5, 0.9, 0.2, 0.6};
    double samples[8];
    memcpy(samples, original, sizeof samples);
    attn_stats s;
    attn_stats_of(samples, 8, &s);
    cr_assert(memcmp(samples, original, sizeof samples) == 0,
              "attn_stats_of reordered or changed its input");
    near(s.min, 0.1, "min");
    near(s.median, 0.5 * (0.3 + 0.4), "median");
}

Test(stats, realistic_timings) {
    /* Seconds per iteration as bench records them. */
    const double samples[] = {3.20698e-06, 3.12226e-06, 3.17354e-06};
    attn_stats s;
    attn_stats_of(samples, 3, &s);
    cr_assert_eq(s.min, 3.12226e-06);
    cr_assert_eq(s.median, 3.17354e-06);
    double mean = (3.20698e-06 + 3.12226e-06 + 3.17354e-06) / 3.0;
    cr_assert(fabs(s.mean - mean) <= 1e-15 * mean);
    cr_assert(s.min <= s.median && s.median <= 3.20698e-06);
    cr_assert(s.stddev > 0 && s.cv > 0 && s.cv < 1);
}

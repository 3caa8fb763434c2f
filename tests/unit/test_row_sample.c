/* Unit tests for the sampled verification of long cases (harness/core/row_sample.h) and for
 * the spikes distribution it is built around (harness/core/generate.h). */
#include <criterion/criterion.h>

#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "case_data.h"
#include "compare.h"
#include "generate.h"
#include "row_sample.h"

static attn_case parse(const char *text) {
    attn_case c;
    attn_error err = {0};
    cr_assert_eq(attn_case_parse(text, &c, &err), 0, "%s: %s", text, err.message);
    return c;
}

static bool verified(const attn_row_sample *s, const attn_case *c, int64_t b, int64_t h,
                     int64_t i) {
    const attn_problem *p = &c->problem;
    return s->full || s->verified[(b * p->heads_q + h) * p->seq_q + i];
}

Test(row_sample, short_cases_verify_every_row) {
    attn_case c = parse("b=2 hq=4 hkv=2 n=129 d=64 window=causal");
    attn_row_sample s;
    cr_assert_eq(attn_row_sample_choose(&c, &s, NULL), 0);
    cr_assert(s.full);
    cr_assert_eq(s.rows, s.total);
    cr_assert_eq(s.total, 2u * 4u * 129u);
    attn_row_sample_free(&s);
}

Test(row_sample, long_cases_reach_ends_tiles_and_mask_edges) {
    attn_case c = parse("b=3 hq=8 hkv=2 n=5000 d=64 window=300:0");
    attn_row_sample s;
    cr_assert_eq(attn_row_sample_choose(&c, &s, NULL), 0);
    cr_assert(!s.full);
    cr_assert_eq(s.pairs, ATTN_SAMPLE_MAX_PAIRS);
    cr_assert_lt(s.rows, s.total / 10, "a sample should be small: %zu of %zu", s.rows, s.total);
    /* the first and the last (batch, head) pair are visited */
    const int64_t must[] = {0,  1,  4999, 4998, 2500, 15,  16,  17, 63,
                            64, 65, 4095, 4096, 4097, 299, 300, 301};
    for (size_t n = 0; n < sizeof must / sizeof must[0]; n++) {
        cr_assert(verified(&s, &c, 0, 0, must[n]), "row %lld of the first pair not verified",
                  (long long)must[n]);
        cr_assert(verified(&s, &c, 2, 7, must[n]), "row %lld of the last pair not verified",
                  (long long)must[n]);
    }
    /* every batch entry is reached by some pair */
    for (int64_t b = 0; b < 3; b++) {
        bool any = false;
        for (int64_t h = 0; h < 8; h++)
            any |= verified(&s, &c, b, h, 0);
        cr_assert(any, "no pair of batch %lld verified", (long long)b);
    }
    size_t counted = 0;
    for (size_t r = 0; r < s.total; r++)
        counted += s.verified[r];
    cr_assert_eq(counted, s.rows);
    attn_row_sample_free(&s);
}

Test(row_sample, spike_edges_are_verified) {
    attn_case c = parse("n=4097 d=64 window=255:0 dist=spikes seed=5");
    attn_row_sample s;
    cr_assert_eq(attn_row_sample_choose(&c, &s, NULL), 0);
    cr_assert(!s.full);
    int64_t keys[ATTN_SPIKES_MAX];
    const size_t count = attn_spike_keys(&c, 0, keys, NULL);
    cr_assert_gt(count, 10u);
    for (size_t k = 0; k < count; k++) {
        const int64_t row = keys[k] + 255; /* its left edge is the spike */
        if (row < 4097)
            cr_assert(verified(&s, &c, 0, 0, row), "row %lld (left edge on spike %lld)",
                      (long long)row, (long long)keys[k]);
    }
    attn_row_sample_free(&s);
}

Test(row_sample, spikes_sit_on_path_boundaries_and_dominate) {
    attn_case c = parse("nq=1 nkv=8193 d=64 dist=spikes seed=9");
    int64_t keys[ATTN_SPIKES_MAX];
    double level[ATTN_SPIKES_MAX];
    const size_t count = attn_spike_keys(&c, 0, keys, level);
    bool first = false, last = false;
    for (size_t k = 0; k < count; k++) {
        first |= keys[k] == 0;
        last |= keys[k] == 8192;
        cr_assert(level[k] >= 12.0 && level[k] < 30.0, "level %g", level[k]);
        if (k > 0)
            cr_assert_lt(keys[k - 1], keys[k], "sorted and distinct");
    }
    cr_assert(first && last, "the first and the last key are spikes");
    /* for every power of two t from 16, some spike sits at a multiple of t or one below */
    for (int64_t t = 16; t < 8193; t *= 2) {
        bool found = false;
        for (size_t k = 0; k < count; k++)
            found |= keys[k] > 0 && (keys[k] % t == 0 || (keys[k] + 1) % t == 0);
        cr_assert(found, "no spike on a multiple of %lld", (long long)t);
    }
    /* and the spikes hold most of the row's probability */
    attn_case_data data;
    attn_error err = {0};
    cr_assert_eq(attn_case_data_compute(&c, &data, &err), 0, "%s", err.message);
    const int64_t d = 64;
    double spike_weight = 0, total = 0, max_score = -INFINITY;
    double *score = malloc(8193 * sizeof *score);
    cr_assert_not_null(score);
    for (int64_t j = 0; j < 8193; j++) {
        double dot = 0;
        for (int64_t col = 0; col < d; col++)
            dot += (double)data.q[col] * (double)data.k[j * d + col];
        score[j] = dot * c.problem.scale;
        max_score = fmax(max_score, score[j]);
    }
    for (int64_t j = 0; j < 8193; j++) {
        const double e = exp(score[j] - max_score);
        total += e;
        for (size_t k = 0; k < count; k++)
            if (keys[k] == j)
                spike_weight += e;
    }
    cr_assert_gt(spike_weight / total, 0.9, "spikes hold %g of the probability",
                 spike_weight / total);
    free(score);
    attn_case_data_free(&data);
}

/* A row outside the sample has no reference, but must still be written and finite. */
Test(row_sample, unverified_rows_must_be_written_and_finite) {
    attn_case c = parse("hq=2 hkv=1 nq=3000 nkv=3000 d=16 window=64:0 seed=4");
    attn_case_data data;
    attn_error err = {0};
    cr_assert_eq(attn_case_data_compute(&c, &data, &err), 0, "%s", err.message);
    cr_assert(!data.sample.full);
    size_t unverified = 0;
    while (data.sample.verified[unverified])
        unverified++;
    const unsigned poison = 0x7FC0DEADu;
    float *o = malloc(data.sizes.o * sizeof *o), *lse = malloc(data.sizes.lse * sizeof *lse);
    cr_assert(o && lse);
    for (size_t r = 0; r < data.sizes.rows; r++) {
        lse[r] = data.sample.verified[r] ? (float)data.lse[r] : 1.0f;
        for (int64_t col = 0; col < 16; col++)
            o[r * 16 + col] = data.sample.verified[r] ? (float)data.o[r * 16 + col] : 0.25f;
    }
    attn_compare_result result;
    attn_compare(&data, o, lse, poison, &result);
    cr_assert(result.passed, "%s", result.detail);
    memcpy(&o[unverified * 16 + 3], &poison, sizeof poison);
    attn_compare(&data, o, lse, poison, &result);
    cr_assert(!result.passed, "an unwritten element in an unverified row must fail");
    cr_assert(strstr(result.detail, "never written"), "%s", result.detail);
    o[unverified * 16 + 3] = NAN;
    attn_compare(&data, o, lse, poison, &result);
    cr_assert(!result.passed && strstr(result.detail, "not finite"), "%s", result.detail);
    free(o);
    free(lse);
    attn_case_data_free(&data);
}

Test(row_sample, needles_hold_all_but_a_negligible_share) {
    /* dist=needles: the spike keys score in [0, 1.25), every other key near -40, so the
     * ordinary keys' share of a row that sees a needle is far below float32's roundoff. */
    attn_case c = parse("nq=1 nkv=32768 d=64 dist=needles seed=9");
    int64_t keys[ATTN_SPIKES_MAX];
    const size_t count = attn_spike_keys(&c, 0, keys, NULL);
    attn_case_data data;
    attn_error err = {0};
    cr_assert_eq(attn_case_data_compute(&c, &data, &err), 0, "%s", err.message);
    const int64_t d = 64, n = 32768;
    double needle_weight = 0, other_weight = 0, lowest_needle = INFINITY, highest_other = -INFINITY;
    for (int64_t j = 0, k = 0; j < n; j++) {
        double dot = 0;
        for (int64_t col = 0; col < d; col++)
            dot += (double)data.q[col] * (double)data.k[j * d + col];
        const double score = dot * c.problem.scale;
        const bool needle = k < (int64_t)count && keys[k] == j;
        k += needle;
        if (needle) {
            cr_assert(score >= 0.0 && score < 1.25, "needle %lld scores %g", (long long)j, score);
            lowest_needle = fmin(lowest_needle, score);
            needle_weight += exp(score);
        } else {
            highest_other = fmax(highest_other, score);
            other_weight += exp(score);
        }
    }
    cr_assert_lt(highest_other, -39.0, "an ordinary key scores %g", highest_other);
    cr_assert_lt(other_weight / needle_weight, 1e-3 * 0x1p-24, "ordinary keys hold %g",
                 other_weight / needle_weight);
    cr_assert_geq(lowest_needle, 0.0);
    attn_case_data_free(&data);
}

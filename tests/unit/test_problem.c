/* Unit tests for the problem descriptor (harness/core/problem.h): the canonical string and its
 * round trip, defaults and aliases, parse errors, and visible-key counts against the mask
 * formula of design.md section 1. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "problem.h"

/* Parses text, asserting success. */
static void parse_ok(const char *text, attn_case *c) {
    attn_error err = {0};
    int rc = attn_case_parse(text, c, &err);
    cr_assert_eq(rc, 0, "parsing '%s' failed: %s", text, err.message);
}

/* Asserts that parsing fails with a bad-input error whose message holds every string of
 * wants (NULL-terminated). */
static void parse_fails(const char *text, const char *const *wants) {
    attn_case c;
    attn_error err = {0};
    int rc = attn_case_parse(text, &c, &err);
    cr_assert_eq(rc, -1, "parsing '%s' should fail", text);
    cr_assert_eq(err.kind, ATTN_EXIT_BAD_INPUT, "'%s': kind %d (%s)", text, err.kind, err.message);
    cr_assert_gt(strlen(err.message), 0, "'%s': empty message", text);
    for (const char *const *w = wants; *w; w++)
        cr_assert(strstr(err.message, *w) != NULL, "'%s': message lacks '%s': %s", text, *w,
                  err.message);
}

#define PARSE_FAILS(text, ...)                                                                     \
    do {                                                                                           \
        const char *const wants_[] = {__VA_ARGS__, NULL};                                          \
        parse_fails(text, wants_);                                                                 \
    } while (0)

static void assert_cases_equal(const attn_case *a, const attn_case *b, const char *what) {
    const attn_problem *p = &a->problem, *q = &b->problem;
    cr_assert_eq(p->batch, q->batch, "%s: batch", what);
    cr_assert_eq(p->heads_q, q->heads_q, "%s: heads_q", what);
    cr_assert_eq(p->heads_kv, q->heads_kv, "%s: heads_kv", what);
    cr_assert_eq(p->seq_q, q->seq_q, "%s: seq_q", what);
    cr_assert_eq(p->seq_kv, q->seq_kv, "%s: seq_kv", what);
    cr_assert_eq(p->head_dim, q->head_dim, "%s: head_dim", what);
    cr_assert_eq(p->head_dim_v, q->head_dim_v, "%s: head_dim_v", what);
    cr_assert_eq(p->window_left, q->window_left, "%s: window_left", what);
    cr_assert_eq(p->window_right, q->window_right, "%s: window_right", what);
    /* bit-for-bit: %.17g must round-trip every double */
    cr_assert(memcmp(&p->scale, &q->scale, sizeof(double)) == 0, "%s: scale %.17g vs %.17g", what,
              p->scale, q->scale);
    cr_assert_eq(a->scale_is_default, b->scale_is_default, "%s: scale_is_default", what);
    cr_assert_eq(a->seed, b->seed, "%s: seed", what);
    cr_assert_eq(a->dist, b->dist, "%s: dist", what);
}

/* format -> parse -> format gives the same string and the same fields. */
static void round_trip(const char *text) {
    attn_case first, second;
    parse_ok(text, &first);
    char once[ATTN_CASE_STRING_MAX], twice[ATTN_CASE_STRING_MAX];
    attn_case_format(&first, once);
    cr_assert_lt(strlen(once), ATTN_CASE_STRING_MAX - 1, "'%s' formats too long", text);
    parse_ok(once, &second);
    attn_case_format(&second, twice);
    cr_assert_str_eq(once, twice, "canonical form of '%s' is not stable", text);
    assert_cases_equal(&first, &second, text);
}

/* Out of the array below: clang's -Wstring-concatenation flags a literal split across lines
 * inside an array initialiser as a possibly missing comma. */
static const char full_case[] = "b=1 hq=8 hkv=2 nq=17 nkv=33 d=64 dv=64 window=-1:0 "
                                "scale=default seed=1 dist=uniform";

Test(problem, round_trip_variety) {
    const char *const texts[] = {
        "",
        full_case,
        "b=3 hq=6 hkv=3 nq=9 nkv=21 d=59 dv=3 window=2:1 seed=15 dist=ties",
        "n=127 d=16 window=0:0",
        "n=127 d=16 window=200:200",
        "n=5 window=-1:5",
        "n=5 window=5:-1",
        "nq=90 nkv=40 window=7:2 dist=offset",
        "nq=1 nkv=255 window=16:0 dist=dominant",
        "d=1 dv=256",
        "scale=1",
        "scale=0.1",
        "scale=-0.3",
        "scale=1e-7",
        "scale=0.05 d=32",
        "scale=2.5",
        "scale=3.141592653589793",
        "scale=1e30",
        "scale=0.3 d=3",
        "scale=-2.2250738585072014e-308",
        "scale=0",
        "seed=0",
        "seed=18446744073709551615",
        "seed=9223372036854775808 dist=ties",
        "b=2147483648 d=1",
        "window=2147483648:2147483648",
    };
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++)
        round_trip(texts[t]);
}

Test(problem, round_trip_every_dist) {
    for (int d = 0; d < ATTN_DIST_COUNT; d++) {
        char text[64];
        snprintf(text, sizeof text, "n=9 dist=%s", attn_dist_name((attn_dist)d));
        attn_case c;
        parse_ok(text, &c);
        cr_assert_eq(c.dist, (attn_dist)d);
        round_trip(text);
        char formatted[ATTN_CASE_STRING_MAX];
        attn_case_format(&c, formatted);
        char want[64];
        snprintf(want, sizeof want, " dist=%s", attn_dist_name((attn_dist)d));
        cr_assert(strstr(formatted, want) != NULL, "%s lacks %s", formatted, want);
    }
    cr_assert_str_eq(attn_dist_name(ATTN_DIST_UNIFORM), "uniform");
    cr_assert_str_eq(attn_dist_name(ATTN_DIST_OFFSET), "offset");
    cr_assert_str_eq(attn_dist_name(ATTN_DIST_TIES), "ties");
    cr_assert_str_eq(attn_dist_name(ATTN_DIST_DOMINANT), "dominant");
}

/* Custom scales must survive printing (the shortest of %.15g..%.17g that reads back)
 * exactly, including awkward values. */
Test(problem, custom_scale_round_trips_bit_for_bit) {
    const double scales[] = {
        0.1,        -0.3, 1e-7, 1.0 / 3.0, 0.1 + 0.2, 2.2250738585072014e-308, 1e30, -1e-300, 0.125,
        123456.789, -0.0, 0.05, 1e-7,      5e-324,    0.30000000000000004};
    for (size_t s = 0; s < sizeof scales / sizeof scales[0]; s++) {
        attn_case c, back;
        attn_case_default(&c);
        c.problem.head_dim_v = 64;
        c.problem.scale = scales[s];
        c.scale_is_default = false;
        char text[ATTN_CASE_STRING_MAX];
        attn_case_format(&c, text);
        parse_ok(text, &back);
        cr_assert(memcmp(&back.problem.scale, &scales[s], sizeof(double)) == 0,
                  "scale %.17g came back as %.17g from '%s'", scales[s], back.problem.scale, text);
        cr_assert_not(back.scale_is_default);
    }
}

/* Regression: a subnormal scale is a finite double that
 * attn_case_validate accepts and attn_case_format prints ("scale=4.9406564584124654e-324"),
 * the parser once rejected that text ("expected 'default' or a finite number") because glibc's
 * strtod sets ERANGE on a subnormal result, so the canonical string does not parse back. */
Test(problem, subnormal_scale_round_trips) {
    const double scales[] = {5e-324, -1e-310};
    for (size_t s = 0; s < sizeof scales / sizeof scales[0]; s++) {
        attn_case c, back;
        attn_case_default(&c);
        attn_case_finish(&c);
        c.problem.scale = scales[s];
        c.scale_is_default = false;
        attn_error err = {0};
        cr_assert_eq(attn_case_validate(&c, &err), 0, "%s", err.message);
        char text[ATTN_CASE_STRING_MAX];
        attn_case_format(&c, text);
        cr_assert_eq(attn_case_parse(text, &back, &err), 0,
                     "a validated case's canonical string must parse back: %s", err.message);
        cr_assert(memcmp(&back.problem.scale, &scales[s], sizeof(double)) == 0);
    }
}

Test(problem, canonical_form_exact) {
    attn_case c;
    parse_ok("hq=8 hkv=2 nq=17 nkv=33 causal=1", &c);
    char text[ATTN_CASE_STRING_MAX];
    attn_case_format(&c, text);
    cr_assert_str_eq(text, "b=1 hq=8 hkv=2 nq=17 nkv=33 d=64 dv=64 window=-1:0 scale=default "
                           "seed=1 dist=uniform");
    parse_ok("scale=0.1 seed=18446744073709551615 window=3:4 dist=ties d=8", &c);
    attn_case_format(&c, text);
    cr_assert_str_eq(text, "b=1 hq=1 hkv=1 nq=1 nkv=1 d=8 dv=8 window=3:4 "
                           "scale=0.1 seed=18446744073709551615 dist=ties");
}

Test(problem, defaults) {
    attn_case c;
    attn_case_default(&c);
    attn_case_finish(&c);
    cr_assert_eq(c.problem.batch, 1);
    cr_assert_eq(c.problem.heads_q, 1);
    cr_assert_eq(c.problem.heads_kv, 1);
    cr_assert_eq(c.problem.seq_q, 1);
    cr_assert_eq(c.problem.seq_kv, 1);
    cr_assert_eq(c.problem.head_dim, 64);
    cr_assert_eq(c.problem.head_dim_v, 64);
    cr_assert_eq(c.problem.window_left, -1);
    cr_assert_eq(c.problem.window_right, -1);
    cr_assert(c.scale_is_default);
    cr_assert_eq(c.problem.scale, 1.0 / sqrt(64.0));
    cr_assert_eq(c.seed, 1);
    cr_assert_eq(c.dist, ATTN_DIST_UNIFORM);

    /* the empty string is the default case */
    attn_case e;
    parse_ok("", &e);
    assert_cases_equal(&c, &e, "empty string");
    parse_ok("   \t ", &e);
    assert_cases_equal(&c, &e, "blank string");
}

Test(problem, dv_defaults_to_d_and_scale_to_inverse_sqrt_d) {
    const int64_t dims[] = {1, 3, 8, 59, 64, 100, 128, 256};
    for (size_t i = 0; i < sizeof dims / sizeof dims[0]; i++) {
        char text[64];
        snprintf(text, sizeof text, "d=%lld", (long long)dims[i]);
        attn_case c;
        parse_ok(text, &c);
        cr_assert_eq(c.problem.head_dim, dims[i]);
        cr_assert_eq(c.problem.head_dim_v, dims[i], "%s: dv should default to d", text);
        cr_assert(c.scale_is_default);
        cr_assert_eq(c.problem.scale, 1.0 / sqrt((double)dims[i]), "%s: scale %.17g", text,
                     c.problem.scale);
    }
    /* an explicit dv stays; the default scale follows d, not dv */
    attn_case c;
    parse_ok("dv=96 d=16", &c);
    cr_assert_eq(c.problem.head_dim, 16);
    cr_assert_eq(c.problem.head_dim_v, 96);
    cr_assert_eq(c.problem.scale, 0.25);
    /* scale=default is the default */
    parse_ok("d=4 scale=default", &c);
    cr_assert(c.scale_is_default);
    cr_assert_eq(c.problem.scale, 0.5);
    /* a custom scale is kept regardless of d */
    parse_ok("scale=1 d=100", &c);
    cr_assert_not(c.scale_is_default);
    cr_assert_eq(c.problem.scale, 1.0);
}

Test(problem, aliases) {
    attn_case c, want;
    parse_ok("n=33", &c);
    cr_assert_eq(c.problem.seq_q, 33);
    cr_assert_eq(c.problem.seq_kv, 33);
    parse_ok("h=6", &c);
    cr_assert_eq(c.problem.heads_q, 6);
    cr_assert_eq(c.problem.heads_kv, 6);
    /* an alias and a key it covers, on one case, are a conflict (see
     * parse_error_field_given_twice) */
    parse_ok("nq=33 nkv=40", &c);
    cr_assert_eq(c.problem.seq_q, 33);
    cr_assert_eq(c.problem.seq_kv, 40);
    parse_ok("hq=8 hkv=2", &c);
    cr_assert_eq(c.problem.heads_q, 8);
    cr_assert_eq(c.problem.heads_kv, 2);

    parse_ok("causal=1", &c);
    cr_assert_eq(c.problem.window_left, -1);
    cr_assert_eq(c.problem.window_right, 0);
    parse_ok("window=-1:0", &want);
    assert_cases_equal(&c, &want, "causal=1");
    parse_ok("window=causal", &c);
    assert_cases_equal(&c, &want, "window=causal");

    parse_ok("causal=0", &c);
    cr_assert_eq(c.problem.window_left, -1);
    cr_assert_eq(c.problem.window_right, -1);
    parse_ok("window=global", &c);
    cr_assert_eq(c.problem.window_left, -1);
    cr_assert_eq(c.problem.window_right, -1);
}

/* Regression (issue 11): a field set twice on one case ("n=3 n=5", "h=2 hq=4", "causal=1
 * window=2:2") silently kept the last; it is refused, naming both tokens and the field. */
Test(problem, parse_error_field_given_twice) {
    PARSE_FAILS("n=3 n=5", "n=5 conflicts with n=3", "nq");
    PARSE_FAILS("h=2 hq=4", "hq=4 conflicts with h=2", "both set hq");
    PARSE_FAILS("hkv=1 h=2", "h=2 conflicts with hkv=1", "hkv");
    PARSE_FAILS("causal=1 window=2:2", "window=2:2 conflicts with causal=1", "mask");
    PARSE_FAILS("window=4:4 causal=0", "causal=0 conflicts with window=4:4");
    PARSE_FAILS("n=33 nkv=40", "nkv=40 conflicts with n=33");
    PARSE_FAILS("d=4 scale=0.7 scale=default", "scale=default conflicts with scale=0.7");
    PARSE_FAILS("seed=1 dist=ties seed=2", "seed=2 conflicts with seed=1");
    PARSE_FAILS("dist=ties dist=ties", "dist=ties conflicts with dist=ties");
    PARSE_FAILS("b=1 d=8 b=1", "b=1 conflicts with b=1");
    PARSE_FAILS("d=8 dv=8 dv=4", "dv=4 conflicts with dv=8");
    /* different fields are no conflict */
    attn_case c;
    parse_ok("nq=3 nkv=5 hq=4 hkv=2 window=2:2 scale=1 seed=3 dist=ties d=8 dv=4 b=2", &c);
}

Test(problem, parse_error_unknown_key) {
    PARSE_FAILS("n=4 foo=3", "foo", "unknown key");
    PARSE_FAILS("N=4", "'N'");
    PARSE_FAILS("=4", "unknown key");
}

Test(problem, parse_error_not_integer) {
    PARSE_FAILS("b=x", "b=x", "not an integer");
    PARSE_FAILS("nq=1.5", "nq=1.5", "not an integer");
    PARSE_FAILS("d=", "not an integer");
    PARSE_FAILS("d=64abc", "d=64abc");
    PARSE_FAILS("n=99999999999999999999999", "n=99999999999999999999999");
    PARSE_FAILS("seed=abc", "seed=abc");
    PARSE_FAILS("seed=-1", "seed=-1");
    PARSE_FAILS("seed=18446744073709551616", "seed=18446744073709551616");
    PARSE_FAILS("causal=2", "causal=2");
    PARSE_FAILS("causal=yes", "causal=yes");
    PARSE_FAILS("dist=gauss", "dist=gauss");
    PARSE_FAILS("window=4", "window=4");
    PARSE_FAILS("window=a:b", "window=a:b");
    PARSE_FAILS("scale=abc", "scale=abc");
    PARSE_FAILS("scale=", "scale=");
}

Test(problem, parse_error_sizes_must_be_positive) {
    const char *const keys[] = {"b", "hq", "hkv", "nq", "nkv", "d", "dv", "n", "h"};
    for (size_t k = 0; k < sizeof keys / sizeof keys[0]; k++) {
        char text[32], want[32];
        snprintf(text, sizeof text, "%s=0", keys[k]);
        snprintf(want, sizeof want, "%s=0", keys[k]);
        PARSE_FAILS(text, want);
        snprintf(text, sizeof text, "%s=-3", keys[k]);
        snprintf(want, sizeof want, "%s=-3", keys[k]);
        PARSE_FAILS(text, want);
    }
    /* just above the largest extent */
    PARSE_FAILS("nq=2147483649", "nq=2147483649");
}

Test(problem, parse_error_heads_not_multiple) {
    PARSE_FAILS("hq=3 hkv=2", "hq=3", "hkv=2", "multiple");
    PARSE_FAILS("hq=2 hkv=4", "hq=2", "hkv=4");
    /* validation error is prefixed by the case text */
    PARSE_FAILS("hq=5 hkv=3 n=7", "hq=5 hkv=3 n=7");
}

Test(problem, parse_error_window) {
    PARSE_FAILS("window=-2:0", "window=-2:0", ">= -1");
    PARSE_FAILS("window=0:-2", "window=0:-2", ">= -1");
    PARSE_FAILS("window=-99999999999999999999:0", "window=-99999999999999999999:0", ">= -1");
    PARSE_FAILS("window=x:0", "window=x:0", "left bound 'x' is not an integer");
    PARSE_FAILS("window=1:2:3", "window=1:2:3");
    PARSE_FAILS("window=:", "window=:");
}

Test(problem, parse_error_scale_not_finite) {
    PARSE_FAILS("scale=nan", "scale=nan", "finite");
    PARSE_FAILS("scale=NAN", "scale=NAN");
    PARSE_FAILS("scale=inf", "scale=inf");
    PARSE_FAILS("scale=-inf", "scale=-inf");
    PARSE_FAILS("scale=1e400", "scale=1e400");
}

Test(problem, parse_error_token_without_equals) {
    PARSE_FAILS("n=4 causal", "'causal'", "key=value");
    PARSE_FAILS("garbage", "'garbage'");
}

Test(problem, parse_error_size_overflow) {
    PARSE_FAILS("b=2147483648 hq=2147483648 nq=2147483648 d=2147483648", "overflow");
    PARSE_FAILS("b=2147483648 h=2147483648 n=2147483648 d=1", "overflow");
    /* also through attn_case_sizes_of directly */
    attn_case c;
    attn_case_default(&c);
    c.problem.batch = c.problem.heads_q = c.problem.heads_kv = (int64_t)1 << 31;
    c.problem.seq_q = c.problem.seq_kv = (int64_t)1 << 31;
    c.problem.head_dim = c.problem.head_dim_v = (int64_t)1 << 31;
    attn_case_sizes sizes;
    attn_error err = {0};
    cr_assert_eq(attn_case_sizes_of(&c, &sizes, &err), -1);
    cr_assert(strstr(err.message, "overflow") != NULL, "%s", err.message);
    cr_assert_eq(attn_case_validate(&c, &err), -1);
}

Test(problem, sizes_of_small_case) {
    attn_case c;
    parse_ok("b=2 hq=6 hkv=3 nq=5 nkv=7 d=4 dv=3", &c);
    attn_case_sizes s;
    attn_error err = {0};
    cr_assert_eq(attn_case_sizes_of(&c, &s, &err), 0, "%s", err.message);
    cr_assert_eq(s.q, 2u * 6 * 5 * 4);
    cr_assert_eq(s.k, 2u * 3 * 7 * 4);
    cr_assert_eq(s.v, 2u * 3 * 7 * 3);
    cr_assert_eq(s.o, 2u * 6 * 5 * 3);
    cr_assert_eq(s.lse, 2u * 6 * 5);
    cr_assert_eq(s.rows, 2u * 6 * 5);
}

/* The mask predicate, written straight from design.md section 1. */
static bool visible(int64_t nq, int64_t nkv, int64_t left, int64_t right, int64_t i, int64_t j) {
    int64_t off = nkv - nq;
    return (left < 0 || j >= i + off - left) && (right < 0 || j <= i + off + right);
}

Test(problem, visible_pairs_match_mask_formula) {
    const int64_t sizes[] = {1, 2, 3, 5, 8, 13, 17};
    const int64_t bounds[] = {-1, 0, 1, 2, 3, 7, 16, 40};
    size_t combos = 0;
    for (size_t a = 0; a < sizeof sizes / sizeof sizes[0]; a++)
        for (size_t b = 0; b < sizeof sizes / sizeof sizes[0]; b++)
            for (size_t l = 0; l < sizeof bounds / sizeof bounds[0]; l++)
                for (size_t r = 0; r < sizeof bounds / sizeof bounds[0]; r++) {
                    attn_problem p = {.batch = 1,
                                      .heads_q = 1,
                                      .heads_kv = 1,
                                      .seq_q = sizes[a],
                                      .seq_kv = sizes[b],
                                      .head_dim = 4,
                                      .head_dim_v = 4,
                                      .window_left = bounds[l],
                                      .window_right = bounds[r],
                                      .scale = 0.5};
                    int64_t total = 0;
                    for (int64_t i = 0; i < p.seq_q; i++) {
                        int64_t row = 0;
                        for (int64_t j = 0; j < p.seq_kv; j++)
                            row += visible(p.seq_q, p.seq_kv, p.window_left, p.window_right, i, j);
                        cr_assert_eq(attn_case_visible_in_row(&p, i), row,
                                     "nq=%lld nkv=%lld window=%lld:%lld row %lld",
                                     (long long)p.seq_q, (long long)p.seq_kv,
                                     (long long)p.window_left, (long long)p.window_right,
                                     (long long)i);
                        total += row;
                    }
                    cr_assert_eq(attn_case_visible_pairs(&p), total,
                                 "nq=%lld nkv=%lld window=%lld:%lld", (long long)p.seq_q,
                                 (long long)p.seq_kv, (long long)p.window_left,
                                 (long long)p.window_right);
                    combos++;
                }
    cr_assert_eq(combos, 7u * 7 * 8 * 8);
}

Test(problem, visible_pairs_known_values) {
    attn_problem p = {.batch = 1, .heads_q = 1, .heads_kv = 1, .head_dim = 1, .head_dim_v = 1};
    /* causal square: n (n + 1) / 2 */
    p.seq_q = p.seq_kv = 10;
    p.window_left = -1;
    p.window_right = 0;
    cr_assert_eq(attn_case_visible_pairs(&p), 55);
    /* global: nq * nkv */
    p.seq_q = 7;
    p.seq_kv = 11;
    p.window_right = -1;
    cr_assert_eq(attn_case_visible_pairs(&p), 77);
    /* causal, nq > nkv: the first nq - nkv rows see nothing */
    p.seq_q = 9;
    p.seq_kv = 4;
    p.window_right = 0;
    cr_assert_eq(attn_case_visible_in_row(&p, 0), 0);
    cr_assert_eq(attn_case_visible_in_row(&p, 4), 0);
    cr_assert_eq(attn_case_visible_in_row(&p, 5), 1);
    cr_assert_eq(attn_case_visible_in_row(&p, 8), 4);
    cr_assert_eq(attn_case_visible_pairs(&p), 10);
    /* window 0:0, square: one key per row */
    p.seq_q = p.seq_kv = 6;
    p.window_left = 0;
    cr_assert_eq(attn_case_visible_pairs(&p), 6);
    /* a window wider than the sequence is global */
    p.window_left = p.window_right = 1000;
    cr_assert_eq(attn_case_visible_pairs(&p), 36);
}

/* Regression (fuzzing): strtoull skips white space and accepts a sign, so " -1" and
 * "\v-1" once became seed 18446744073709551615. */
Test(problem, seed_with_space_or_sign_is_refused) {
    const char *bad[] = {" -1", "\v-1", "+5", " 5"};
    for (size_t n = 0; n < sizeof bad / sizeof bad[0]; n++) {
        attn_case c;
        attn_case_default(&c);
        attn_error err = {0};
        cr_assert_eq(attn_case_set(&c, "seed", bad[n], &err), -1, "accepted seed '%s'", bad[n]);
        cr_assert(strstr(err.message, "expected an unsigned 64-bit integer") != NULL);
    }
}

/* Regression (issue 11): a window bound past the largest extent was told "bounds must be
 * integers >= -1"; it is told it is too large, with the limit. */
Test(problem, parse_error_window_too_large) {
    PARSE_FAILS("window=99999999999:0", "window=99999999999:0", "left bound 99999999999",
                "too large", "at most 2147483648");
    PARSE_FAILS("window=0:2147483649", "right bound 2147483649 is too large");
    PARSE_FAILS("window=99999999999999999999999:0", "too large");
    attn_case c;
    parse_ok("window=2147483648:0", &c);
    cr_assert_eq(c.problem.window_left, 2147483648LL);
    PARSE_FAILS("n=99999999999999999999999", "must be between 0 and 2147483648");
}

/* Regression (issue 11): case ids printed scale=0.050000000000000003; the shortest text
 * that reads back as the same double is printed. */
Test(problem, scale_prints_shortest_round_trip) {
    const struct {
        double scale;
        const char *text;
    } cases[] = {{0.05, "0.05"},
                 {-0.3, "-0.3"},
                 {2.5, "2.5"},
                 {1e-7, "1e-07"},
                 {0.1 + 0.2, "0.30000000000000004"},
                 {1.0 / 3.0, "0.3333333333333333"},
                 {-0.0, "-0"}};
    for (size_t n = 0; n < sizeof cases / sizeof cases[0]; n++) {
        char text[ATTN_DOUBLE_STRING_MAX];
        attn_format_double(cases[n].scale, text);
        cr_assert_str_eq(text, cases[n].text);
    }
    attn_case c;
    parse_ok("scale=0.05 n=3 d=16", &c);
    char id[ATTN_CASE_STRING_MAX];
    attn_case_format(&c, id);
    cr_assert(strstr(id, " scale=0.05 ") != NULL, "%s", id);
    /* a case id written by an older attnbench reads back as the same case */
    attn_case old;
    parse_ok("b=1 hq=1 hkv=1 nq=3 nkv=3 d=16 dv=16 window=-1:-1 scale=0.050000000000000003 "
             "seed=1 dist=uniform",
             &old);
    assert_cases_equal(&c, &old, "old id");
}

/* Regression (issue 11): scale=3.4e38 was accepted and every float32 kernel FAILED. A case
 * whose score bound |scale| * d * max|q| * max|k| passes FLT_MAX / 2 is refused, saying
 * why. */
Test(problem, parse_error_float32_overflows) {
    PARSE_FAILS("scale=3.4e38", "scale=3.4e+38", "scores can reach", "FLT_MAX/2",
                "float32 problem itself overflows");
    PARSE_FAILS("scale=1e37 d=64", "scores can reach");
    PARSE_FAILS("scale=-1e37 d=64", "scale=-1e+37");
    /* a scale past FLT_MAX is not even a float32 */
    PARSE_FAILS("scale=1e39", "not representable in float32");
    PARSE_FAILS("scale=1e300", "not representable in float32");
    /* dist=offset draws inputs near sqrt(200 / (|scale| d)): a tiny scale makes them
     * overflow float32 themselves, or their dot products */
    PARSE_FAILS("scale=1e-300 dist=offset", "the inputs themselves overflow float32",
                "dist=offset");
    PARSE_FAILS("scale=1e-37 dist=offset d=8", "q.k can reach");
    PARSE_FAILS("scale=1e-300 dist=dominant", "dist=dominant");
    /* uniform inputs lie in [-1, 1): d = 64 allows |scale| up to FLT_MAX / 128 */
    attn_case c;
    parse_ok("scale=2.6e36 d=64", &c);
    PARSE_FAILS("scale=2.7e36 d=64", "scores can reach");
    parse_ok("scale=1e-30", &c);
    parse_ok("scale=0 dist=offset", &c);
    parse_ok("scale=0 dist=dominant", &c);
    parse_ok("scale=1e-10 dist=offset", &c);
}

Test(problem, input_magnitudes_checked) {
    attn_case c;
    parse_ok("n=2 d=4 scale=1e30", &c);
    float q[8] = {0}, k[8] = {0};
    attn_error err = {0};
    q[3] = 1e4f;
    k[5] = -1e4f;
    /* 1e30 * 4 * 1e4 * 1e4 = 4e38 */
    cr_assert_eq(attn_check_input_magnitudes(&c.problem, "q.npy", q, 8, "k.npy", k, 8, &err), -1);
    cr_assert(strstr(err.message, "scale=1e+30") && strstr(err.message, "q.npy") &&
                  strstr(err.message, "k.npy") && strstr(err.message, "scores can reach"),
              "%s", err.message);
    k[5] = -1.0f;
    cr_assert_eq(attn_check_input_magnitudes(&c.problem, "q.npy", q, 8, "k.npy", k, 8, &err), 0,
                 "%s", err.message);
    /* q.k itself overflowing, whatever the scale */
    parse_ok("n=2 d=4 scale=1e-30", &c);
    q[3] = 3e19f;
    k[5] = 3e19f;
    cr_assert_eq(attn_check_input_magnitudes(&c.problem, "Q", q, 8, "K", k, 8, &err), -1);
    cr_assert(strstr(err.message, "q.k can reach") != NULL, "%s", err.message);
}

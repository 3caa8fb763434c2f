/* Unit tests for the suite grammar (harness/core/suite.h): cross products, persistent settings,
 * overrides, includes, errors naming file:line, and the real conformance suite. */
#define _XOPEN_SOURCE 700

#include <criterion/criterion.h>

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "suite.h"

static char dir[64];

static void make_dir(void) {
    strcpy(dir, "/tmp/attn_suite_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
}

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

static void remove_dir(void) {
    if (dir[0])
        nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

TestSuite(suite, .init = make_dir, .fini = remove_dir);

static const char *path_of(const char *name) {
    static char path[4][512];
    static int next;
    char *out = path[next++ % 4];
    snprintf(out, 512, "%s/%s", dir, name);
    return out;
}

static void write_bytes(const char *path, const void *data, size_t size) {
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f, "cannot create %s", path);
    cr_assert_eq(fwrite(data, 1, size, f), size);
    cr_assert_eq(fclose(f), 0);
}

/* Writes text to dir/name and returns the path. */
static const char *write_file(const char *name, const char *text) {
    const char *path = path_of(name);
    write_bytes(path, text, strlen(text));
    return path;
}

static void load_ok(const char *path, attn_suite *s) {
    attn_error err = {0};
    cr_assert_eq(attn_suite_load(path, s, &err), 0, "loading %s: %s", path, err.message);
    cr_assert_gt(s->count, 0);
    cr_assert_not_null(s->cases);
}

static void parse_ok(const char *text, attn_suite *s) {
    attn_error err = {0};
    cr_assert_eq(attn_suite_parse_text(text, "mem", s, &err), 0, "parsing '%s': %s", text,
                 err.message);
}

/* Loads text written to dir/name and expects failure with every string of wants in the
 * message (the strings may use "%s" for the file path, substituted once). */
static void expect_load_error(const char *path, const char *const *wants) {
    attn_suite s;
    attn_error err = {0};
    cr_assert_eq(attn_suite_load(path, &s, &err), -1, "loading %s should fail", path);
    cr_assert_eq(err.kind, ATTN_EXIT_BAD_INPUT, "kind %d: %s", err.kind, err.message);
    cr_assert_null(s.cases, "a failed load must leave no cases");
    cr_assert_eq(s.count, 0);
    for (const char *const *w = wants; *w; w++)
        cr_assert(strstr(err.message, *w) != NULL, "message lacks '%s': %s", *w, err.message);
}

#define LOAD_FAILS(path, ...)                                                                      \
    do {                                                                                           \
        const char *const wants_[] = {__VA_ARGS__, NULL};                                          \
        expect_load_error(path, wants_);                                                           \
    } while (0)

static const char *at_line(const char *path, int line) {
    static char text[4][600];
    static int next;
    char *out = text[next++ % 4];
    snprintf(out, 600, "%s:%d", path, line);
    return out;
}

Test(suite, cross_product_count_and_order) {
    attn_suite s;
    /* keys written in a different order than the cross product's: b before d before seed */
    parse_ok("seed=5,6,7 d=8,16 b=1,2\n", &s);
    cr_assert_eq(s.count, 12);
    size_t at = 0;
    for (int64_t b = 1; b <= 2; b++)
        for (int64_t d = 8; d <= 16; d += 8)
            for (uint64_t seed = 5; seed <= 7; seed++, at++) {
                const attn_case *c = &s.cases[at];
                cr_assert_eq(c->problem.batch, b, "case %zu", at);
                cr_assert_eq(c->problem.head_dim, d, "case %zu", at);
                cr_assert_eq(c->problem.head_dim_v, d, "case %zu: dv follows d", at);
                cr_assert_eq(c->seed, seed, "case %zu", at);
            }
    attn_suite_free(&s);
    cr_assert_null(s.cases);
    cr_assert_eq(s.count, 0);

    /* dist is the last key: fastest */
    parse_ok("dist=offset,ties scale=1,0.5 window=causal,global\n", &s);
    cr_assert_eq(s.count, 8);
    cr_assert_eq(s.cases[0].problem.window_right, 0);
    cr_assert_eq(s.cases[0].problem.scale, 1.0);
    cr_assert_eq(s.cases[0].dist, ATTN_DIST_OFFSET);
    cr_assert_eq(s.cases[1].dist, ATTN_DIST_TIES);
    cr_assert_eq(s.cases[1].problem.scale, 1.0);
    cr_assert_eq(s.cases[2].problem.scale, 0.5);
    cr_assert_eq(s.cases[3].problem.window_right, 0);
    cr_assert_eq(s.cases[4].problem.window_right, -1);
    cr_assert_eq(s.cases[7].dist, ATTN_DIST_TIES);
    cr_assert_eq(s.cases[7].problem.scale, 0.5);
    cr_assert_not(s.cases[7].scale_is_default);
    attn_suite_free(&s);

    /* lines emit in file order */
    parse_ok("n=3\nn=1,2\n", &s);
    cr_assert_eq(s.count, 3);
    cr_assert_eq(s.cases[0].problem.seq_q, 3);
    cr_assert_eq(s.cases[1].problem.seq_q, 1);
    cr_assert_eq(s.cases[2].problem.seq_q, 2);
    attn_suite_free(&s);
}

Test(suite, cases_take_defaults) {
    attn_suite s;
    parse_ok("seed=3\n", &s);
    cr_assert_eq(s.count, 1);
    attn_case want;
    cr_assert_eq(attn_case_parse("seed=3", &want, NULL), 0);
    char a[ATTN_CASE_STRING_MAX], b[ATTN_CASE_STRING_MAX];
    attn_case_format(&s.cases[0], a);
    attn_case_format(&want, b);
    cr_assert_str_eq(a, b);
    cr_assert_eq(s.cases[0].problem.head_dim_v, 64);
    attn_suite_free(&s);
}

Test(suite, persistent_settings_and_line_overrides) {
    attn_suite s;
    parse_ok("--d=8 --seed=4,5\n"
             "n=3\n"         /* d=8, seeds 4,5 */
             "n=5 d=16\n"    /* d overridden on this line only */
             "n=7\n"         /* d back to 8 */
             "--d=32\n"      /* a new persistent value replaces the old */
             "n=9 seed=1\n", /* seed overridden */
             &s);
    cr_assert_eq(s.count, 2 + 2 + 2 + 1);
    const int64_t want_n[] = {3, 3, 5, 5, 7, 7, 9};
    const int64_t want_d[] = {8, 8, 16, 16, 8, 8, 32};
    const uint64_t want_seed[] = {4, 5, 4, 5, 4, 5, 1};
    for (size_t i = 0; i < s.count; i++) {
        cr_assert_eq(s.cases[i].problem.seq_q, want_n[i], "case %zu", i);
        cr_assert_eq(s.cases[i].problem.seq_kv, want_n[i], "case %zu", i);
        cr_assert_eq(s.cases[i].problem.head_dim, want_d[i], "case %zu", i);
        cr_assert_eq(s.cases[i].seed, want_seed[i], "case %zu", i);
    }
    attn_suite_free(&s);

    /* settings and a case on one line */
    parse_ok("--h=2 n=4\nn=6\n", &s);
    cr_assert_eq(s.count, 2);
    cr_assert_eq(s.cases[0].problem.heads_q, 2);
    cr_assert_eq(s.cases[1].problem.heads_q, 2);
    attn_suite_free(&s);
}

Test(suite, reset_restores_defaults) {
    attn_suite s;
    parse_ok("--d=8 --causal=1 --seed=9 --dist=ties\n"
             "n=3\n"
             "--reset\n"
             "n=3\n"
             "--reset --d=4\n"
             "n=3\n",
             &s);
    cr_assert_eq(s.count, 3);
    cr_assert_eq(s.cases[0].problem.head_dim, 8);
    cr_assert_eq(s.cases[0].problem.window_right, 0);
    cr_assert_eq(s.cases[0].seed, 9);
    cr_assert_eq(s.cases[0].dist, ATTN_DIST_TIES);
    cr_assert_eq(s.cases[1].problem.head_dim, 64);
    cr_assert_eq(s.cases[1].problem.window_left, -1);
    cr_assert_eq(s.cases[1].problem.window_right, -1);
    cr_assert_eq(s.cases[1].seed, 1);
    cr_assert_eq(s.cases[1].dist, ATTN_DIST_UNIFORM);
    cr_assert_eq(s.cases[2].problem.head_dim, 4);
    cr_assert_eq(s.cases[2].seed, 1);
    attn_suite_free(&s);
}

Test(suite, n_and_h_clear_their_parts_in_persistent_settings) {
    attn_suite s;
    parse_ok("--nq=4 --nkv=9 --hq=4 --hkv=2\n"
             "d=8\n"
             "--n=6 --h=3\n" /* replaces nq, nkv, hq, hkv */
             "d=8\n",
             &s);
    cr_assert_eq(s.count, 2);
    cr_assert_eq(s.cases[0].problem.seq_q, 4);
    cr_assert_eq(s.cases[0].problem.seq_kv, 9);
    cr_assert_eq(s.cases[0].problem.heads_q, 4);
    cr_assert_eq(s.cases[0].problem.heads_kv, 2);
    cr_assert_eq(s.cases[1].problem.seq_q, 6);
    cr_assert_eq(s.cases[1].problem.seq_kv, 6);
    cr_assert_eq(s.cases[1].problem.heads_q, 3);
    cr_assert_eq(s.cases[1].problem.heads_kv, 3);
    attn_suite_free(&s);

    /* a specific key after the alias refines it */
    parse_ok("--n=6 --nkv=10\nd=8\n", &s);
    cr_assert_eq(s.cases[0].problem.seq_q, 6);
    cr_assert_eq(s.cases[0].problem.seq_kv, 10);
    attn_suite_free(&s);
}

/* Regression (harness/core/suite.c, emit_cross_product): keys set on a case line replace only the
 * same key of the persistent settings; clear_covered() is applied within one settings list but not
 * across them, so persistent keys that the line's alias (n, h) or its counterpart (causal vs
 * window) should replace still apply, and since they come later in the cross-product key
 * order they win. */
/* suite.h: "Setting n (h) replaces nq and nkv (hq and hkv)" and "the keys on this line
 * replacing theirs for this line only": n= on a case line must override persistent
 * --nq/--nkv. */
Test(suite, n_on_a_line_replaces_persistent_nq_nkv) {
    attn_suite s;
    parse_ok("--nq=4 --nkv=9\nn=6\n", &s);
    cr_assert_eq(s.count, 1);
    cr_assert_eq(s.cases[0].problem.seq_q, 6, "line n=6 must replace persistent --nq=4 (got %lld)",
                 (long long)s.cases[0].problem.seq_q);
    cr_assert_eq(s.cases[0].problem.seq_kv, 6,
                 "line n=6 must replace persistent --nkv=9 (got %lld)",
                 (long long)s.cases[0].problem.seq_kv);
    attn_suite_free(&s);
}

/* Regression: see n_on_a_line_replaces_persistent_nq_nkv. */
Test(suite, h_on_a_line_replaces_persistent_hq_hkv) {
    attn_suite s;
    parse_ok("--hq=4 --hkv=2\nh=3\n", &s);
    cr_assert_eq(s.count, 1);
    cr_assert_eq(s.cases[0].problem.heads_q, 3, "line h=3 must replace persistent --hq=4");
    cr_assert_eq(s.cases[0].problem.heads_kv, 3, "line h=3 must replace persistent --hkv=2");
    attn_suite_free(&s);
}

Test(suite, causal_and_window_replace_each_other_persistent) {
    attn_suite s;
    parse_ok("--window=4:0\n--causal=1\nn=5\n"
             "--causal=1\n--window=2:3\nn=5\n"
             "--window=causal\n--causal=0\nn=5\n",
             &s);
    cr_assert_eq(s.count, 3);
    cr_assert_eq(s.cases[0].problem.window_left, -1);
    cr_assert_eq(s.cases[0].problem.window_right, 0);
    cr_assert_eq(s.cases[1].problem.window_left, 2);
    cr_assert_eq(s.cases[1].problem.window_right, 3);
    cr_assert_eq(s.cases[2].problem.window_left, -1);
    cr_assert_eq(s.cases[2].problem.window_right, -1);
    attn_suite_free(&s);
}

Test(suite, window_on_a_line_replaces_persistent_causal) {
    attn_suite s;
    parse_ok("--causal=1\nn=5 window=2:3\nn=5\n", &s);
    cr_assert_eq(s.count, 2);
    cr_assert_eq(s.cases[0].problem.window_left, 2);
    cr_assert_eq(s.cases[0].problem.window_right, 3);
    cr_assert_eq(s.cases[1].problem.window_left, -1, "override must not persist");
    cr_assert_eq(s.cases[1].problem.window_right, 0);
    attn_suite_free(&s);
}

/* Regression: see n_on_a_line_replaces_persistent_nq_nkv. */
/* suite.h: "causal and window replace each other": causal= on a case line must override a
 * persistent --window for that line. */
Test(suite, causal_on_a_line_replaces_persistent_window) {
    attn_suite s;
    parse_ok("--window=4:0\nn=5 causal=1\n", &s);
    cr_assert_eq(s.count, 1);
    cr_assert_eq(s.cases[0].problem.window_left, -1,
                 "line causal=1 must replace persistent --window=4:0 (got window=%lld:%lld)",
                 (long long)s.cases[0].problem.window_left,
                 (long long)s.cases[0].problem.window_right);
    cr_assert_eq(s.cases[0].problem.window_right, 0);
    attn_suite_free(&s);
}

Test(suite, comments_and_blank_lines) {
    attn_suite s;
    parse_ok("# a comment\n"
             "\n"
             "   \t  \n"
             "n=3 # d=8 is commented out\n"
             "#n=99\n"
             "--d=4 # persistent, then a comment\n"
             "n=5\r\n" /* CRLF line end */
             "n=7",    /* no final newline */
             &s);
    cr_assert_eq(s.count, 3);
    cr_assert_eq(s.cases[0].problem.seq_q, 3);
    cr_assert_eq(s.cases[0].problem.head_dim, 64);
    cr_assert_eq(s.cases[1].problem.seq_q, 5);
    cr_assert_eq(s.cases[1].problem.head_dim, 4);
    cr_assert_eq(s.cases[2].problem.seq_q, 7);
    attn_suite_free(&s);
}

Test(suite, include_relative_to_including_file) {
    cr_assert_eq(mkdir(path_of("sub"), 0700), 0);
    write_file("sub/inner.suite", "n=2\n--include=more.suite\n");
    write_file("sub/more.suite", "n=3\n");
    /* a same-named file next to the top file must not be picked */
    write_file("more.suite", "n=99\n");
    const char *top = write_file("top.suite", "--d=8\nn=1\n--include=sub/inner.suite\nn=4\n");
    attn_suite s;
    load_ok(top, &s);
    cr_assert_eq(s.count, 4);
    for (size_t i = 0; i < 4; i++) {
        cr_assert_eq(s.cases[i].problem.seq_q, (int64_t)i + 1, "case %zu", i);
        cr_assert_eq(s.cases[i].problem.head_dim, 8, "case %zu: persistent d flows in", i);
    }
    cr_assert_str_eq(s.path, top);
    attn_suite_free(&s);

    /* an absolute include works too */
    char text[700];
    snprintf(text, sizeof text, "--include=%s\n", path_of("sub/more.suite"));
    const char *absolute = write_file("abs.suite", text);
    load_ok(absolute, &s);
    cr_assert_eq(s.count, 1);
    cr_assert_eq(s.cases[0].problem.seq_q, 3);
    attn_suite_free(&s);
}

Test(suite, include_cycle_is_an_error) {
    const char *a = write_file("a.suite", "n=1\n--include=b.suite\n");
    write_file("b.suite", "n=2\n\n--include=a.suite\n");
    LOAD_FAILS(a, "cycle", at_line(a, 2), at_line(path_of("b.suite"), 3));

    const char *self = write_file("self.suite", "--include=self.suite\n");
    LOAD_FAILS(self, "cycle", at_line(self, 1));
}

Test(suite, missing_include_is_an_error) {
    const char *top = write_file("top.suite", "n=1\n# two\n--include=nowhere.suite\n");
    LOAD_FAILS(top, at_line(top, 3), "nowhere.suite");
    const char *empty = write_file("empty.suite", "n=1\n--include=\n");
    LOAD_FAILS(empty, at_line(empty, 2), "--include");
}

Test(suite, missing_file_is_an_error) {
    const char *path = path_of("absent.suite");
    LOAD_FAILS(path, path);
}

Test(suite, unknown_key_names_file_line_and_key) {
    const char *path = write_file("bad.suite", "n=1\n\nn=2 colour=red\n");
    LOAD_FAILS(path, at_line(path, 3), "colour");
    const char *persistent = write_file("bad2.suite", "--flavour=1\nn=2\n");
    LOAD_FAILS(persistent, at_line(persistent, 1), "flavour");
}

Test(suite, bad_value_names_file_line) {
    const char *path = write_file("bad.suite", "n=1\nn=2,x\n");
    LOAD_FAILS(path, at_line(path, 2), "x");
    const char *window = write_file("win.suite", "window=-2:0\n");
    LOAD_FAILS(window, at_line(window, 1), "-2:0");
    const char *token = write_file("tok.suite", "n=2 causal\n");
    LOAD_FAILS(token, at_line(token, 1), "causal");
}

Test(suite, empty_list_value_is_an_error) {
    const char *path = write_file("empty.suite", "n=1,,2\n");
    LOAD_FAILS(path, at_line(path, 1), "n=1,,2");
    const char *trailing = write_file("trail.suite", "d=8\nd=8,\n");
    LOAD_FAILS(trailing, at_line(trailing, 2));
    const char *nothing = write_file("nothing.suite", "--seed=\nn=1\n");
    LOAD_FAILS(nothing, at_line(nothing, 1));
}

Test(suite, line_too_long_is_an_error) {
    /* a comment line of 4095 characters is accepted; 5000 is not */
    size_t ok_length = 4095;
    char *text = malloc(8000);
    cr_assert_not_null(text);
    memset(text, '#', ok_length);
    strcpy(text + ok_length, "\nn=1\n");
    attn_suite s;
    load_ok(write_file("ok.suite", text), &s);
    cr_assert_eq(s.count, 1);
    attn_suite_free(&s);

    strcpy(text, "n=1\n");
    memset(text + 4, '#', 5000);
    strcpy(text + 4 + 5000, "\nn=2\n");
    const char *path = write_file("long.suite", text);
    LOAD_FAILS(path, at_line(path, 2), "long");
    free(text);
}

Test(suite, binary_garbage_names_line_and_column) {
    const char nul[] = "n=1\nn=2\nd=8\0\n";
    const char *path = path_of("nul.suite");
    write_bytes(path, nul, sizeof nul - 1);
    LOAD_FAILS(path, at_line(path, 3), "column 4", "0x00");

    const char high[] = "n=1\nn=\xff"
                        "2\n";
    const char *path2 = path_of("ff.suite");
    write_bytes(path2, high, sizeof high - 1);
    LOAD_FAILS(path2, at_line(path2, 2), "column 3", "0xff");
}

Test(suite, no_case_is_an_error) {
    const char *empty = write_file("empty.suite", "");
    LOAD_FAILS(empty, empty, "no case");
    const char *only = write_file("only.suite", "# nothing\n--d=8\n--reset\n\n");
    LOAD_FAILS(only, only, "no case");
    attn_suite s;
    attn_error err = {0};
    cr_assert_eq(attn_suite_parse_text("# nothing here\n", "memory-suite", &s, &err), -1);
    cr_assert(strstr(err.message, "memory-suite") != NULL, "%s", err.message);
}

Test(suite, case_validation_error_names_file_line) {
    const char *path = write_file("gqa.suite", "n=1\nhq=4 hkv=2\nhq=3 hkv=2\n");
    LOAD_FAILS(path, at_line(path, 3), "hq=3", "hkv=2");
    /* persistent settings that combine into an invalid case fail at the emitting line */
    const char *persistent = write_file("p.suite", "--hq=3\n\n--hkv=2\nn=4\n");
    LOAD_FAILS(persistent, at_line(persistent, 4), "multiple");
}

Test(suite, parse_text_errors_name_origin) {
    attn_suite s;
    attn_error err = {0};
    cr_assert_eq(attn_suite_parse_text("n=1\nbogus=2\n", "embedded", &s, &err), -1);
    cr_assert(strstr(err.message, "embedded:2") != NULL, "%s", err.message);
    cr_assert(strstr(err.message, "bogus") != NULL, "%s", err.message);
    cr_assert_null(s.cases);
}

Test(suite, resolve_names_and_paths) {
    char path[4096];
    attn_error err = {0};
    cr_assert_eq(attn_suite_resolve("conformance", path, sizeof path, &err), 0);
    char want[4200];
    snprintf(want, sizeof want, "%s/conformance.suite", attn_suites_dir());
    cr_assert_str_eq(path, want);
    cr_assert_eq(attn_suite_resolve("./x/y.suite", path, sizeof path, &err), 0);
    cr_assert_str_eq(path, "./x/y.suite");
    char tiny[8];
    cr_assert_eq(attn_suite_resolve("conformance", tiny, sizeof tiny, &err), -1);
}

/* The committed conformance suite parses and covers design.md section 1. */
Test(suite, conformance_suite_covers_the_contract) {
    attn_suite s;
    load_ok(ATTN_TEST_SUITES_DIR "/conformance.suite", &s);
    cr_assert_gt(s.count, 50, "only %zu cases", s.count);
    bool nq_lt_nkv = false, nq_gt_nkv = false, decode = false, dv_differs = false;
    bool mqa = false, batched = false, window00 = false, custom_scale = false;
    bool dist[ATTN_DIST_COUNT] = {false};
    const int64_t dims[] = {1, 8, 59, 64, 128, 256};
    bool dim_seen[6] = {false};
    for (size_t n = 0; n < s.count; n++) {
        const attn_case *c = &s.cases[n];
        const attn_problem *p = &c->problem;
        attn_error err = {0};
        cr_assert_eq(attn_case_validate(c, &err), 0, "case %zu: %s", n, err.message);
        nq_lt_nkv |= p->seq_q < p->seq_kv;
        nq_gt_nkv |= p->seq_q > p->seq_kv;
        decode |= p->seq_q == 1;
        dv_differs |= p->head_dim_v != p->head_dim;
        mqa |= p->heads_kv == 1 && p->heads_q > 1;
        batched |= p->batch > 1;
        window00 |= p->window_left == 0 && p->window_right == 0;
        custom_scale |= !c->scale_is_default && p->scale != 1.0 / sqrt((double)p->head_dim);
        dist[c->dist] = true;
        for (size_t d = 0; d < 6; d++)
            dim_seen[d] |= p->head_dim == dims[d];
    }
    cr_assert(nq_lt_nkv, "no case with nq < nkv");
    cr_assert(nq_gt_nkv, "no case with nq > nkv");
    cr_assert(decode, "no case with nq == 1");
    cr_assert(dv_differs, "no case with dv != d");
    cr_assert(mqa, "no case with hkv == 1 < hq");
    cr_assert(batched, "no case with b > 1");
    cr_assert(window00, "no case with window 0:0");
    cr_assert(custom_scale, "no case with a non-default scale");
    cr_assert(dist[ATTN_DIST_OFFSET], "no offset case");
    cr_assert(dist[ATTN_DIST_TIES], "no ties case");
    cr_assert(dist[ATTN_DIST_DOMINANT], "no dominant case");
    cr_assert(dist[ATTN_DIST_UNIFORM], "no uniform case");
    for (size_t d = 0; d < 6; d++)
        cr_assert(dim_seen[d], "no case with d=%lld", (long long)dims[d]);
    attn_suite_free(&s);
}

/* Regression (fuzzing): a 4 KB line expanding past the case limit was accepted after
 * quadratic-time parsing; it is now refused before any case is built. */
Test(suite, line_over_the_case_limit_is_refused) {
    size_t size = 8192;
    char *text = malloc(size);
    cr_assert_not_null(text);
    int at = snprintf(text, size, "b=1");
    for (int i = 0; i < 999; i++)
        at += snprintf(text + at, size - (size_t)at, ",1");
    at += snprintf(text + at, size - (size_t)at, " d=1");
    for (int i = 0; i < 1000; i++)
        at += snprintf(text + at, size - (size_t)at, ",1");
    snprintf(text + at, size - (size_t)at, "\n");
    attn_suite suite;
    attn_error err = {0};
    cr_assert_eq(attn_suite_parse_text(text, "big", &suite, &err), -1);
    cr_assert(strstr(err.message, "big:1: this line expands to 1001000 cases") != NULL, "%s",
              err.message);
    free(text);
}

/* Regression (issue 11): a suite that starts with a UTF-8 byte-order mark (as some editors
 * save) was rejected as binary; the mark is skipped. */
Test(suite, byte_order_mark_is_skipped) {
    const char text[] = "\xef\xbb\xbf# written by an editor that adds a BOM\nn=3 d=8\n";
    const char *path = path_of("bom.suite");
    write_bytes(path, text, sizeof text - 1);
    attn_suite s;
    load_ok(path, &s);
    cr_assert_eq(s.count, 1);
    cr_assert_eq(s.cases[0].problem.seq_q, 3);
    attn_suite_free(&s);
    /* a BOM right before a case on line 1 */
    parse_ok("\xef\xbb\xbfn=5\n", &s);
    cr_assert_eq(s.cases[0].problem.seq_q, 5);
    attn_suite_free(&s);
    /* only at the start: elsewhere it is still a stray byte */
    const char late[] = "n=3\n\xef\xbb\xbfn=4\n";
    const char *late_path = path_of("late-bom.suite");
    write_bytes(late_path, late, sizeof late - 1);
    LOAD_FAILS(late_path, at_line(late_path, 2), "0xef");
}

/* Regression (issue 11): a suite path that is a folder gave "read error" with no reason. */
Test(suite, directory_is_named_as_such) {
    char sub[600];
    snprintf(sub, sizeof sub, "%s/folder.suite", dir);
    cr_assert_eq(mkdir(sub, 0700), 0);
    LOAD_FAILS(sub, sub, "is a directory");
    LOAD_FAILS(dir, "is a directory");
    /* and as an include */
    const char *includer = write_file("inc-dir.suite", "n=1\n--include=folder.suite\n");
    LOAD_FAILS(includer, at_line(includer, 2), "is a directory");
}

/* Regression (issue 11): conflicting or repeated keys on one case line ("causal=1
 * window=2:2", "n=3 n=5", "h=2 hq=4") silently kept the last; they are refused, naming
 * both. */
Test(suite, field_set_twice_on_a_line_is_an_error) {
    const char *path = write_file("twice.suite", "n=1\ncausal=1 window=2:2\n");
    LOAD_FAILS(path, at_line(path, 2), "window=2:2 conflicts with causal=1", "mask");
    path = write_file("twice-n.suite", "n=3 n=5\n");
    LOAD_FAILS(path, at_line(path, 1), "n=5 conflicts with n=3");
    path = write_file("twice-h.suite", "# comment\nh=2 hq=4\n");
    LOAD_FAILS(path, at_line(path, 2), "hq=4 conflicts with h=2", "hq");
    path = write_file("twice-nkv.suite", "nkv=3,4 d=8 n=5\n");
    LOAD_FAILS(path, at_line(path, 1), "n=5 conflicts with nkv=3,4", "nkv");
    /* the same persistent key twice on one line */
    path = write_file("twice-p.suite", "--d=8 --d=16\nn=1\n");
    LOAD_FAILS(path, at_line(path, 1), "--d=16 repeats --d=8");
    /* --reset starts the line afresh */
    attn_suite s;
    parse_ok("--d=8 --reset --d=16\nn=1\n", &s);
    cr_assert_eq(s.cases[0].problem.head_dim, 16);
    attn_suite_free(&s);
    /* not conflicts: a line overriding persistent keys, a specific persistent key refining
     * its alias, keys on separate lines, and settings beside a case */
    parse_ok("--n=6 --nkv=10 --causal=1\nn=4 window=2:2\nnq=3 nkv=5\n--d=8 d=16 n=2\n", &s);
    cr_assert_eq(s.count, 3);
    cr_assert_eq(s.cases[0].problem.window_left, 2);
    cr_assert_eq(s.cases[1].problem.seq_kv, 5);
    cr_assert_eq(s.cases[2].problem.head_dim, 16);
    attn_suite_free(&s);
}

/* Regression (issue 11): a suite case whose float32 problem overflows is refused at its
 * line, saying why. */
Test(suite, float32_overflow_is_refused_at_its_line) {
    const char *path = write_file("huge.suite", "n=4\nn=4 scale=1,3.4e38\n");
    LOAD_FAILS(path, at_line(path, 2), "scale=3.4e+38", "float32 problem itself overflows");
}

/* Unit tests for the bench CSV row (harness/measure/bench_report.h): one field per column, no
 * speed in a row whose output was wrong, the samples list, numbers that parse back to the
 * same double, and RFC 4180 quoting of a reason when the row goes through harness/core/csv.h. */
#define _XOPEN_SOURCE 700

#include <criterion/criterion.h>

#include <ftw.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "bench_report.h"
#include "csv.h"

/* The columns design.md section 5 requires at least. */
static const char *const required_columns[] = {
    "schema",   "run_id", "timestamp_utc", "git_commit",    "host",        "cpu",
    "compiler", "blas",   "impl",          "batch",         "heads_q",     "heads_kv",
    "seq_q",    "seq_kv", "head_dim",      "head_dim_v",    "window_left", "window_right",
    "threads",  "reps",   "time_min_s",    "time_median_s", "time_mean_s", "time_stddev_s",
    "gflops",   "status", "max_abs_err",   "err_ratio"};

static attn_environment env;
static attn_impl impl;
static attn_case the_case;
static attn_bench_result result;

static void fill_environment(void) {
    memset(&env, 0, sizeof env);
    snprintf(env.run_id, sizeof env.run_id, "20260102T030405Z-42");
    snprintf(env.timestamp_utc, sizeof env.timestamp_utc, "2026-01-02T03:04:05Z");
    snprintf(env.git_commit, sizeof env.git_commit, "0123456789ab-dirty");
    snprintf(env.host, sizeof env.host, "testhost");
    snprintf(env.cpu, sizeof env.cpu, "Test CPU @ 1.00GHz");
    env.cores = 4;
    snprintf(env.compiler, sizeof env.compiler, "gcc 12.2.0");
    snprintf(env.compiler_flags, sizeof env.compiler_flags, "-O3 -DNDEBUG");
    snprintf(env.blas, sizeof env.blas, "OpenBLAS 0.3.21 DYNAMIC_ARCH Haswell");
    snprintf(env.blas_core, sizeof env.blas_core, "Haswell");
    snprintf(env.blas_threading, sizeof env.blas_threading, "pthreads");
    snprintf(env.openmp, sizeof env.openmp, "201511");
    memset(&impl, 0, sizeof impl);
    impl.name = "fake_impl";
    impl.summary = "a stand-in";
    impl.caps = ATTN_CAP_GLOBAL | ATTN_CAP_LSE;
    attn_error err = {0};
    cr_assert_eq(
        attn_case_parse("b=2 hq=4 hkv=2 nq=33 nkv=40 d=16 dv=8 window=3:1 seed=7", &the_case, &err),
        0, "%s", err.message);
}

/* An ok measurement with awkward doubles (not exact in decimal). */
static void fill_ok_result(size_t samples) {
    memset(&result, 0, sizeof result);
    result.status = ATTN_BENCH_OK;
    attn_work_of(&the_case, &result.work);
    result.iterations_per_sample = 37;
    result.sample_count = samples;
    for (size_t n = 0; n < samples; n++)
        result.samples[n] = (1.0 + 0.1 * (double)((n * 7) % 5)) / 3.0 * 1e-5;
    attn_stats_of(result.samples, samples, &result.stats);
    result.warmup_seconds = 0.1 + 0.2;
    result.gflops = result.work.flops / result.stats.median * 1e-9;
    result.verify.passed = true;
    result.verify.rows_checked = 264;
    result.verify.rows_total = 264;
    result.verify.max_abs_err = 1.0 / 3.0 * 1e-7;
    result.verify.err_ratio = 2.0 / 7.0;
    result.memory_bytes = 123456789.0;
}

TestSuite(bench_report, .init = fill_environment);

static size_t column(const char *name) {
    for (size_t n = 0; n < attn_bench_column_count; n++)
        if (strcmp(attn_bench_columns[n], name) == 0)
            return n;
    cr_assert_fail("no column '%s'", name);
    return 0;
}

static attn_ceiling sgemm_ceiling, gemm_ceiling;
static attn_roof peak_roof = {250.0, "avx512 fma f32, 16 chains"};
static attn_roof bandwidth_roof = {40.0 / 3.0, "streaming read of 256 MiB"};

/* Formats the row with a GEMM ceiling at the case's type; fields gets a NULL sentinel
 * after the last expected field. */
static char *format_row_with(double sgemm, const attn_ceiling *gemm, const char **fields,
                             size_t capacity) {
    sgemm_ceiling = (attn_ceiling){ATTN_F32, sgemm, "openblas sgemm (Test)"};
    gemm_ceiling = gemm ? *gemm : sgemm_ceiling;
    attn_bench_row row = {&env,
                          "cpus=0-3 OMP_PROC_BIND=unset",
                          &impl,
                          &the_case,
                          2,
                          5,
                          &result,
                          &sgemm_ceiling,
                          &gemm_ceiling,
                          &peak_roof,
                          &bandwidth_roof};
    for (size_t n = 0; n < capacity; n++)
        fields[n] = NULL;
    char *storage = NULL;
    cr_assert_eq(attn_bench_row_fields(&row, fields, &storage), 0);
    cr_assert_not_null(storage);
    return storage;
}

/* Formats the row of an f32 case: its GEMM ceiling is the sgemm one. */
static char *format_row(double sgemm, const char **fields, size_t capacity) {
    return format_row_with(sgemm, NULL, fields, capacity);
}

static void expect_number(const char **fields, const char *name, double want) {
    const char *text = fields[column(name)];
    char *end = NULL;
    double got = strtod(text, &end);
    cr_expect(end != text && *end == '\0', "column %s: '%s' is not a number", name, text);
    cr_expect(got == want || (isnan(got) && isnan(want)),
              "column %s: '%s' parses to %.17g, the value was %.17g", name, text, got, want);
}

static void expect_empty(const char **fields, const char *name) {
    cr_expect_str_empty(fields[column(name)], "column %s should be empty, holds '%s'", name,
                        fields[column(name)]);
}

Test(bench_report, columns_unique_and_cover_design) {
    cr_assert_gt(attn_bench_column_count, 0);
    for (size_t a = 0; a < attn_bench_column_count; a++) {
        cr_assert_not_null(attn_bench_columns[a]);
        cr_assert_gt(strlen(attn_bench_columns[a]), 0);
        for (size_t b = 0; b < a; b++)
            cr_assert_str_neq(attn_bench_columns[a], attn_bench_columns[b], "column '%s' twice",
                              attn_bench_columns[a]);
    }
    for (size_t r = 0; r < sizeof required_columns / sizeof required_columns[0]; r++)
        (void)column(required_columns[r]);
}

Test(bench_report, ok_row_has_one_field_per_column) {
    fill_ok_result(5);
    const char *fields[256];
    char *storage = format_row(61.5, fields, 256);
    for (size_t n = 0; n < attn_bench_column_count; n++)
        cr_assert_not_null(fields[n], "field %zu (%s) not set", n, attn_bench_columns[n]);
    for (size_t n = attn_bench_column_count; n < 256; n++)
        cr_assert_null(fields[n], "field %zu written beyond the %zu columns", n,
                       attn_bench_column_count);
    cr_expect_str_eq(fields[column("schema")], ATTN_BENCH_SCHEMA);
    cr_expect_str_eq(fields[column("run_id")], env.run_id);
    cr_expect_str_eq(fields[column("timestamp_utc")], env.timestamp_utc);
    cr_expect_str_eq(fields[column("git_commit")], env.git_commit);
    cr_expect_str_eq(fields[column("impl")], "fake_impl");
    char text[ATTN_CASE_STRING_MAX];
    attn_case_format(&the_case, text);
    cr_expect_str_eq(fields[column("case")], text);
    cr_expect_str_eq(fields[column("status")], "ok");
    cr_expect_str_eq(fields[column("batch")], "2");
    cr_expect_str_eq(fields[column("heads_q")], "4");
    cr_expect_str_eq(fields[column("heads_kv")], "2");
    cr_expect_str_eq(fields[column("seq_q")], "33");
    cr_expect_str_eq(fields[column("seq_kv")], "40");
    cr_expect_str_eq(fields[column("head_dim")], "16");
    cr_expect_str_eq(fields[column("head_dim_v")], "8");
    cr_expect_str_eq(fields[column("window_left")], "3");
    cr_expect_str_eq(fields[column("window_right")], "1");
    cr_expect_str_eq(fields[column("threads")], "2");
    cr_expect_str_eq(fields[column("reps")], "5");
    free(storage);
}

Test(bench_report, ok_row_numbers_parse_back_exactly) {
    fill_ok_result(7);
    const char *fields[256];
    double sgemm = 100.0 / 3.0;
    char *storage = format_row(sgemm, fields, 256);
    expect_number(fields, "cores", 4);
    expect_number(fields, "scale", the_case.problem.scale);
    expect_number(fields, "seed", 7);
    expect_number(fields, "iterations", 37);
    expect_number(fields, "time_min_s", result.stats.min);
    expect_number(fields, "time_median_s", result.stats.median);
    expect_number(fields, "time_mean_s", result.stats.mean);
    expect_number(fields, "time_stddev_s", result.stats.stddev);
    expect_number(fields, "time_cv", result.stats.cv);
    expect_number(fields, "warmup_s", result.warmup_seconds);
    expect_number(fields, "flops", result.work.flops);
    expect_number(fields, "bytes", result.work.bytes);
    expect_number(fields, "gflops", result.gflops);
    expect_number(fields, "gbytes_per_s", result.work.bytes / result.stats.median * 1e-9);
    expect_number(fields, "sgemm_gflops", sgemm);
    expect_number(fields, "frac_of_sgemm", result.gflops / sgemm);
    cr_expect_str_eq(fields[column("gemm_type")], "f32");
    cr_expect_str_eq(fields[column("gemm_kernel")], "openblas sgemm (Test)");
    expect_number(fields, "gemm_gflops", sgemm);
    expect_number(fields, "frac_of_gemm", result.gflops / sgemm);
    expect_number(fields, "peak_gflops", peak_roof.value);
    cr_expect_str_eq(fields[column("peak_kernel")], peak_roof.kernel);
    expect_number(fields, "frac_of_peak", result.gflops / peak_roof.value);
    expect_number(fields, "bandwidth_gbps", bandwidth_roof.value);
    cr_expect_str_eq(fields[column("bandwidth_kernel")], bandwidth_roof.kernel);
    expect_number(fields, "frac_of_bandwidth",
                  result.work.bytes / result.stats.median * 1e-9 / bandwidth_roof.value);
    expect_number(fields, "verified_rows", 264);
    expect_number(fields, "max_abs_err", result.verify.max_abs_err);
    expect_number(fields, "err_ratio", result.verify.err_ratio);
    expect_number(fields, "memory_bytes", result.memory_bytes);
    free(storage);
}

Test(bench_report, ok_row_samples_list) {
    fill_ok_result(7);
    const char *fields[256];
    char *storage = format_row(0, fields, 256);
    const char *text = fields[column("samples_s")];
    size_t count = 0;
    const char *at = text;
    while (*at) {
        char *end = NULL;
        double x = strtod(at, &end);
        cr_assert(end != at, "samples_s '%s': not a number at '%s'", text, at);
        cr_assert_lt(count, result.sample_count, "samples_s '%s': more than %zu numbers", text,
                     result.sample_count);
        /* at least 9 significant digits */
        cr_expect(fabs(x - result.samples[count]) <= 1e-8 * result.samples[count],
                  "sample %zu: '%s' vs %.17g", count, text, result.samples[count]);
        count++;
        at = end;
        if (*at == ';')
            at++;
        else
            cr_assert(*at == '\0', "samples_s '%s': separator '%c'", text, *at);
    }
    cr_assert_eq(count, result.sample_count, "samples_s '%s': %zu numbers, want %zu", text, count,
                 result.sample_count);
    cr_assert_null(strchr(text, ','), "samples_s holds a comma: '%s'", text);
    /* without a ceiling, no sgemm numbers */
    expect_empty(fields, "sgemm_gflops");
    expect_empty(fields, "frac_of_sgemm");
    free(storage);
}

Test(bench_report, one_sample) {
    fill_ok_result(1);
    const char *fields[256];
    char *storage = format_row(0, fields, 256);
    const char *text = fields[column("samples_s")];
    char *end = NULL;
    double x = strtod(text, &end);
    cr_expect(end != text && *end == '\0', "samples_s '%s': not one number", text);
    cr_expect(fabs(x - result.samples[0]) <= 1e-8 * result.samples[0], "samples_s '%s'", text);
    expect_number(fields, "time_min_s", result.samples[0]);
    expect_number(fields, "time_median_s", result.samples[0]);
    expect_empty(fields, "time_stddev_s"); /* one sample has no spread */
    expect_empty(fields, "time_cv");
    free(storage);
}

/* A wrong output: no speed anywhere in the row, even if the result struct holds stale
 * numbers. */
static void fill_wrong_result(void) {
    fill_ok_result(5); /* stale timing numbers that must not leak into the row */
    result.status = ATTN_BENCH_WRONG;
    snprintf(result.reason, sizeof result.reason,
             "wrong result, not timed: O[0][1][2][3]: got 1, reference 0.5, tolerance 1e-06");
    result.verify.passed = false;
    result.verify.err_ratio = 4.0e5;
}

Test(bench_report, wrong_row_has_no_speed) {
    fill_wrong_result();
    const char *fields[256];
    char *storage = format_row(50.0, fields, 256);
    for (size_t n = 0; n < attn_bench_column_count; n++)
        cr_assert_not_null(fields[n]);
    cr_expect_null(fields[attn_bench_column_count]);
    cr_expect_str_eq(fields[column("status")], "wrong");
    cr_expect_str_eq(fields[column("reason")], result.reason);
    const char *timing[] = {"time_min_s",    "time_median_s", "time_mean_s",
                            "time_stddev_s", "time_cv",       "gflops",
                            "gbytes_per_s",  "frac_of_sgemm", "samples_s"};
    for (size_t n = 0; n < sizeof timing / sizeof timing[0]; n++)
        expect_empty(fields, timing[n]);
    /* what was verified is still reported */
    expect_number(fields, "err_ratio", 4.0e5);
    expect_number(fields, "flops", result.work.flops);
    free(storage);
}

/* Regression: a 'wrong' row once reported warmup_s, the time of the wrong warm-up run,
 * from which a speed (flops / warmup_s) follows; a wrong result is never a speed. */
Test(bench_report, wrong_row_has_no_warmup_time) {
    fill_wrong_result();
    const char *fields[256];
    char *storage = format_row(50.0, fields, 256);
    expect_empty(fields, "warmup_s");
    free(storage);
}

Test(bench_report, status_names) {
    const char *want[] = {"ok", "wrong", "skipped", "over_budget", "over_memory", "error"};
    cr_assert_eq(ATTN_BENCH_STATUS_COUNT, 6);
    for (int s = 0; s < ATTN_BENCH_STATUS_COUNT; s++) {
        cr_expect_str_eq(attn_bench_status_name((attn_bench_status)s), want[s]);
        memset(&result, 0, sizeof result);
        result.status = (attn_bench_status)s;
        if (s == ATTN_BENCH_OK)
            fill_ok_result(3);
        const char *fields[256];
        char *storage = format_row(0, fields, 256);
        cr_expect_str_eq(fields[column("status")], want[s]);
        if (s != ATTN_BENCH_OK) {
            expect_empty(fields, "gflops");
            expect_empty(fields, "time_median_s");
            expect_empty(fields, "samples_s");
            expect_empty(fields, "verified_rows");
        }
        free(storage);
    }
}

/* ---- through the CSV writer ---- */

static char dir[64];

static int remove_entry(const char *path, const struct stat *st, int flag, struct FTW *ftw) {
    (void)st;
    (void)flag;
    (void)ftw;
    return remove(path);
}

/* Splits one RFC 4180 record starting at *at into fields (copied into out[], each at most
 * 1023 characters); returns the field count and advances *at past the CRLF. */
static size_t parse_record(const char **at, char out[][1024], size_t capacity) {
    const char *s = *at;
    size_t count = 0;
    for (;;) {
        cr_assert_lt(count, capacity);
        size_t length = 0;
        if (*s == '"') {
            s++;
            for (;;) {
                cr_assert(*s != '\0', "unterminated quoted field");
                if (*s == '"' && s[1] == '"') {
                    out[count][length++] = '"';
                    s += 2;
                } else if (*s == '"') {
                    s++;
                    break;
                } else
                    out[count][length++] = *s++;
                cr_assert_lt(length, 1023);
            }
        } else
            while (*s && *s != ',' && *s != '\r' && *s != '\n') {
                cr_assert(*s != '"', "bare quote inside an unquoted field");
                out[count][length++] = *s++;
                cr_assert_lt(length, 1023);
            }
        out[count++][length] = '\0';
        if (*s == ',') {
            s++;
            continue;
        }
        cr_assert(s[0] == '\r' && s[1] == '\n', "record does not end in CRLF");
        *at = s + 2;
        return count;
    }
}

Test(bench_report, csv_quotes_reason) {
    strcpy(dir, "/tmp/attn_bench_report_XXXXXX");
    cr_assert_not_null(mkdtemp(dir));
    char path[128];
    snprintf(path, sizeof path, "%s/report.csv", dir);

    fill_ok_result(4);
    const char *reason = "only 4 of 7 samples fit, \"budget\" 2.0 s";
    snprintf(result.reason, sizeof result.reason, "%s", reason);
    const char *fields[256];
    char *storage = format_row(12.25, fields, 256);

    attn_csv csv;
    attn_error err = {0};
    cr_assert_eq(attn_csv_open(&csv, path, attn_bench_columns, attn_bench_column_count, &err), 0,
                 "%s", err.message);
    cr_assert_eq(attn_csv_append(&csv, fields, &err), 0, "%s", err.message);
    cr_assert_eq(attn_csv_append(&csv, fields, &err), 0, "%s", err.message);
    attn_csv_close(&csv);

    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f);
    static char text[1 << 16];
    size_t n = fread(text, 1, sizeof text - 1, f);
    fclose(f);
    text[n] = '\0';
    cr_assert(strstr(text, ",\"only 4 of 7 samples fit, \"\"budget\"\" 2.0 s\","),
              "reason not quoted as RFC 4180 wants:\n%s", text);

    static char parsed[128][1024];
    const char *at = text;
    size_t count = parse_record(&at, parsed, 128);
    cr_assert_eq(count, attn_bench_column_count, "header: %zu fields", count);
    for (size_t c = 0; c < count; c++)
        cr_assert_str_eq(parsed[c], attn_bench_columns[c]);
    for (int record = 0; record < 2; record++) {
        count = parse_record(&at, parsed, 128);
        cr_assert_eq(count, attn_bench_column_count, "row %d: %zu fields", record, count);
        for (size_t c = 0; c < count; c++)
            cr_assert_str_eq(parsed[c], fields[c], "row %d column %s", record,
                             attn_bench_columns[c]);
        cr_assert_str_eq(parsed[column("reason")], reason);
    }
    cr_assert_eq(*at, '\0', "trailing text after the rows: '%s'", at);
    free(storage);
    nftw(dir, remove_entry, 16, FTW_DEPTH | FTW_PHYS);
}

Test(bench_report, reduced_row_has_its_own_gemm_ceiling) {
    fill_ok_result(7);
    const char *fields[256];
    attn_ceiling bf16 = {ATTN_BF16, 250.0 / 3.0, "onednn 2.6.3 matmul bf16 (brg:test)"};
    char *storage = format_row_with(40.0, &bf16, fields, 256);
    expect_number(fields, "sgemm_gflops", 40.0);
    expect_number(fields, "frac_of_sgemm", result.gflops / 40.0);
    cr_expect_str_eq(fields[column("gemm_type")], "bf16");
    cr_expect_str_eq(fields[column("gemm_kernel")], bf16.kernel);
    expect_number(fields, "gemm_gflops", bf16.gflops);
    expect_number(fields, "frac_of_gemm", result.gflops / bf16.gflops);
    free(storage);
}

Test(bench_report, unavailable_gemm_ceiling_leaves_numbers_empty_and_says_why) {
    fill_ok_result(7);
    const char *fields[256];
    attn_ceiling f16 = {ATTN_F16, 0, "none: oneDNN has no matmul for this type on this CPU"};
    char *storage = format_row_with(40.0, &f16, fields, 256);
    cr_expect_str_eq(fields[column("gemm_type")], "f16");
    cr_expect_str_eq(fields[column("gemm_kernel")], f16.kernel);
    expect_empty(fields, "gemm_gflops");
    expect_empty(fields, "frac_of_gemm");
    expect_number(fields, "frac_of_sgemm", result.gflops / 40.0);
    free(storage);
}

Test(bench_report, roofs_not_measured_leave_their_columns_empty) {
    fill_ok_result(7);
    const char *fields[256];
    const attn_roof peak = peak_roof, bandwidth = bandwidth_roof;
    peak_roof = (attn_roof){0};
    bandwidth_roof = (attn_roof){0};
    char *storage = format_row(40.0, fields, 256);
    peak_roof = peak;
    bandwidth_roof = bandwidth;
    static const char *const empty[] = {"peak_gflops",    "peak_kernel",      "frac_of_peak",
                                        "bandwidth_gbps", "bandwidth_kernel", "frac_of_bandwidth"};
    for (size_t n = 0; n < sizeof empty / sizeof empty[0]; n++)
        expect_empty(fields, empty[n]);
    free(storage);
}

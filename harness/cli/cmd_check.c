/* attnbench check: judge implementations on a suite against the reference. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "check.h"
#include "cli.h"
#include "csv.h"
#include "environment.h"
#include "contract.h"
#include "golden.h"
#include "output_file.h"
#include "plugin.h"
#include "runner.h"
#include "suite.h"

static const char check_help[] =
    "usage: attnbench check [--impl A,B] [--suite NAME|FILE | --case 'CASE'] [--seed N,M]\n"
    "                       [--types T]\n"
    "                       [--golden DIR | --no-golden] [--threads N] [--csv FILE] [--quiet]\n"
    "                       [--layout L,M|all] [--repeat N] [--invariance T1,T2]\n"
    "                       [--timeout S] [--isolate]\n"
    "                       [--plugin LIB.so]\n"
    "\n"
    "Runs each implementation on each case of a suite and judges every output element\n"
    "against the float64 reference within its error bound (reference/TOLERANCE.md).\n"
    "\n"
    "  --impl A,B        implementations to check (default: all; see `attnbench list`)\n"
    "  --suite NAME|FILE suite name in the suites folder, or a suite file\n"
    "                    (default: conformance)\n"
    "  --case 'CASE'     one case in canonical form, e.g. 'b=1 hq=2 hkv=1 nq=17 nkv=33 d=64\n"
    "                    dv=64 window=-1:0 scale=default seed=1 dist=uniform'\n"
    "  --seed N,M        replace every case's seed by each of these (reference computed now)\n"
    "  --types T         give every case these element types: one for Q, K, V and O (f32,\n"
    "                    bf16, f16) or four as Q/K/V/O, such as f32/f16/f16/f32; each\n"
    "                    implementation is judged by the precision contract it declares for\n"
    "                    them and SKIPPED without one\n"
    "  --golden DIR      golden set to compare with (default: the suite's committed set at\n"
    "                    the cases' types, suites/golden/NAME for f32, NAME-bf16, NAME-f16,\n"
    "                    NAME-f32-f16-f16-f32 ('/' as '-'), when it exists; otherwise the\n"
    "                    reference runs now)\n"
    "  --no-golden       compute the reference now even when a golden set exists\n"
    "  --threads N       threads each implementation may use (default: all cores; at most\n"
    "                    1024, or the number of online CPUs when larger)\n"
    "  --csv FILE        also write one CSV row per (implementation, case), appended as\n"
    "                    each is judged (an interrupted run leaves the rows so far); a\n"
    "                    regular file there is replaced when the first row is written, a\n"
    "                    device or FIFO (/dev/stdout) written through, a folder refused,\n"
    "                    and a report another attnbench is writing refused (exit 2)\n"
    "  --quiet           print only cases that FAILED or hit an ERROR, and the summary\n"
    "                    (which counts the SKIPPED ones)\n"
    "  --layout L,M|all  tensor layouts to judge each case in (default: all):\n"
    "                    %s\n"
    "                    an implementation without the strides capability is SKIPPED in\n"
    "                    bshd and view\n"
    "  --repeat N        call each implementation N times per case (default 1): every\n"
    "                    result is judged and all must be bitwise identical to the first\n"
    "                    (a difference is FAILED, naming the first differing element)\n"
    "  --invariance T1,T2  also run each case at each of these thread counts and, for\n"
    "                    batches, each batch entry alone: every result is judged, and it\n"
    "                    must equal the --threads result bit for bit when the\n"
    "                    implementation declares thread (batch) invariance in `list`\n"
    "                    (thread-invariant, batch-invariant); others are held to the\n"
    "                    tolerance only\n"
    "  --timeout S       a call of plugin code (or any code, with --isolate) that makes no\n"
    "                    progress for S seconds is killed and is an ERROR (default 300)\n"
    "  --isolate         run the built-ins in a worker process too (plugins always are):\n"
    "                    a crash or a hang is then an ERROR of that implementation\n"
    "  --plugin LIB.so   add a plugin library's implementations (repeatable)\n"
    "\n"
    "Cases whose reference would exceed %.2g multiply-adds are verified on a sample of\n"
    "rows (first, last, middle, tile boundaries, mask and spike edges, seeded draws, in up\n"
    "to %d (batch, head) pairs; harness/core/row_sample.h), shown as 'rows N/M'; the\n"
    "other rows must still be written and finite.\n"
    "Implementations that write LSE are run twice per case, with and without an LSE\n"
    "buffer; for the others each line says 'lse: not checked'.\n"
    "Statuses: PASSED; FAILED (wrong result, out-of-bounds read or write, unwritten element,\n"
    "modified input);\n"
    "SKIPPED (the implementation declares it does not support the case; never a pass);\n"
    "ERROR (the implementation could not run); MISTRUSTED (within tolerance, but the case\n"
    "cannot tell a correct result from a trivial one: the reference output is all zeros\n"
    "although V is not, or a constant output would pass; never counted as a pass).\n"
    "Exit status: 0 every case ran passed (or was MISTRUSTED) and at least one passed; 1 a\n"
    "case FAILED or hit an ERROR; 2 bad usage or input, or nothing was verified (0 passed,\n"
    "0 failed: every case SKIPPED or MISTRUSTED); 3 internal error.\n";

/* The most cases of one run: the suite grammar's cap (harness/core/suite.c), which --seed
 * may not get around. */
#define CHECK_MAX_CASES 1000000u

/* --invariance T1,T2,...: the thread counts (malloc'd), and that it was given. */
typedef struct invariance_option {
    bool on;
    int *threads;
    size_t count;
} invariance_option;

static int parse_invariance(const char *option, const char *value, void *target, attn_error *err) {
    invariance_option *inv = target;
    free(inv->threads);
    inv->on = true;
    return attn_cli_thread_list(option, value, &inv->threads, &inv->count, err);
}

typedef struct check_options {
    const char *impls, *suite, *case_text, *seeds, *golden, *csv, *types;
    bool no_golden, quiet, isolate;
    int threads, repeats;
    invariance_option invariance;
    unsigned layouts;
    double timeout;
} check_options;

typedef struct impl_tally {
    size_t counts[ATTN_STATUS_COUNT];
    double worst_passing_ratio;
    double smallest_failing_ratio; /* how close a wrong result came to passing */
    double largest_failing_ratio;
} impl_tally;

static void print_help(void) {
    printf(check_help, attn_layout_help, ATTN_FULL_REFERENCE_WORK, ATTN_SAMPLE_MAX_PAIRS);
}

static int parse_options(int argc, char **argv, check_options *o, attn_error *err) {
    o->threads = attn_cli_cpu_count();
    o->repeats = 1;
    o->layouts = (1u << ATTN_LAYOUT_COUNT) - 1;
    o->timeout = ATTN_CLI_DEFAULT_TIMEOUT;
    const attn_option options[] = {
        ATTN_FLAG("--no-golden", &o->no_golden),
        ATTN_FLAG("--quiet", &o->quiet),
        ATTN_FLAG("--isolate", &o->isolate),
        ATTN_TEXT("--impl", &o->impls),
        ATTN_TEXT("--suite", &o->suite),
        ATTN_TEXT("--case", &o->case_text),
        ATTN_TEXT("--seed", &o->seeds),
        ATTN_TEXT("--types", &o->types),
        ATTN_TEXT("--golden", &o->golden),
        ATTN_TEXT("--csv", &o->csv),
        ATTN_VALUE("--threads", &o->threads, attn_cli_parse_threads),
        ATTN_VALUE("--repeat", &o->repeats, attn_cli_parse_positive),
        ATTN_VALUE("--invariance", &o->invariance, parse_invariance),
        ATTN_VALUE("--layout", &o->layouts, attn_cli_parse_layouts),
        ATTN_VALUE("--timeout", &o->timeout, attn_cli_parse_timeout),
    };
    if (attn_cli_parse(argc, argv, "check", options, sizeof options / sizeof options[0], print_help,
                       err))
        return -1;
    if (o->suite && o->case_text)
        return attn_fail_input(err, "check: give --suite or --case, not both");
    if (o->repeats > 1000)
        return attn_fail_input(err, "--repeat %d: at most 1000 calls per case", o->repeats);
    if (o->case_text && o->case_text[strspn(o->case_text, " \t")] == '\0')
        return attn_fail_input(err,
                               "--case '%s': empty case; give fields such as 'nq=17 d=64' "
                               "(unset ones take their defaults)",
                               o->case_text);
    if (o->suite && !*o->suite)
        return attn_fail_input(err, "--suite '': empty suite name");
    if (o->csv && attn_output_check_path(o->csv, err)) {
        attn_error_prefix(err, "--csv");
        return -1;
    }
    if (o->golden && (o->no_golden || o->seeds || o->case_text))
        return attn_fail_input(err, "check: --golden cannot go with --no-golden, --seed or --case");
    return 0;
}

/* Builds the case list: one case, or a suite, times the seeds when --seed is given. */
static int load_cases(const check_options *o, attn_suite *suite, attn_error *err) {
    if (o->case_text) {
        memset(suite, 0, sizeof *suite);
        suite->cases = malloc(sizeof *suite->cases);
        if (!suite->cases)
            return attn_fail_internal(err, "out of memory");
        suite->count = 1;
        if (attn_case_parse(o->case_text, &suite->cases[0], err))
            return -1;
    } else {
        char path[4096];
        if (attn_suite_resolve(o->suite ? o->suite : "conformance", path, sizeof path, err) ||
            attn_suite_load(path, suite, err))
            return -1;
    }
    if (o->types && attn_suite_set_types(suite, o->types, err)) {
        attn_error_prefix(err, "--types %s", o->types);
        return -1;
    }
    if (!o->seeds)
        return 0;
    attn_suite seeded = *suite;
    size_t seeds = 1;
    for (const char *c = o->seeds; *c; c++)
        seeds += *c == ',';
    if ((double)seeds * (double)suite->count > CHECK_MAX_CASES)
        return attn_fail_input(err,
                               "--seed: %zu seeds x %zu cases = %.0f cases, over the cap of %u "
                               "cases of a run",
                               seeds, suite->count, (double)seeds * (double)suite->count,
                               CHECK_MAX_CASES);
    seeded.cases = malloc(suite->count * seeds * sizeof *seeded.cases);
    if (!seeded.cases)
        return attn_fail_internal(err, "out of memory");
    seeded.count = 0;
    const char *cursor = o->seeds;
    for (size_t s = 0; s < seeds; s++) {
        char value[64];
        size_t length = strcspn(cursor, ",");
        snprintf(value, sizeof value, "%.*s", (int)length, cursor);
        cursor += length + (cursor[length] == ',');
        for (size_t n = 0; n < suite->count; n++) {
            attn_case c = suite->cases[n];
            if (attn_case_set(&c, "seed", value, err)) {
                free(seeded.cases);
                attn_error_prefix(err, "--seed");
                return -1;
            }
            seeded.cases[seeded.count++] = c;
        }
    }
    free(suite->cases);
    *suite = seeded;
    return 0;
}

/* The golden folder to use, or "" to compute the reference now. With --types, the
 * committed set of the suite at those types (suites/golden/NAME-TYPES), when there is one. */
static int choose_golden(const check_options *o, const attn_suite *suite, char *dir, size_t size,
                         attn_error *err) {
    dir[0] = '\0';
    if (o->golden) {
        if (!attn_golden_exists(o->golden))
            return attn_fail_input(err, "--golden %s: no golden set there (case-0001 missing)",
                                   o->golden);
        snprintf(dir, size, "%s", o->golden);
        return 0;
    }
    if (o->no_golden || o->seeds || o->case_text || suite->count == 0)
        return 0;
    const char *name = o->suite ? o->suite : "conformance";
    if (strchr(name, '/') || strstr(name, ".suite"))
        return 0; /* a suite file of the user's: no committed golden set */
    if (attn_suite_golden_dir(name, &suite->cases[0].problem, dir, size) ||
        !attn_golden_exists(dir))
        dir[0] = '\0';
    return 0;
}

/* A golden set must hold every case of the suite: found out before the run, not when
 * the first case past its end is reached. */
static int check_golden_count(const char *dir, const attn_suite *suite, attn_error *err) {
    char path[4200];
    struct stat st;
    snprintf(path, sizeof path, "%s/case-%04zu", dir, suite->count);
    if (stat(path, &st) == 0 && S_ISDIR(st.st_mode))
        return 0;
    size_t have = 0;
    for (;;) {
        snprintf(path, sizeof path, "%s/case-%04zu", dir, have + 1);
        if (stat(path, &st) != 0 || !S_ISDIR(st.st_mode))
            break;
        have++;
    }
    return attn_fail_input(err,
                           "golden set %s holds %zu case(s) but the suite %s has %zu: the set "
                           "is stale (rewrite it with attnbench golden, or use --no-golden)",
                           dir, have, suite->path, suite->count);
}

/* Appends text to out quoted for a POSIX shell (as is when nothing needs quoting). */
static void shell_quote(const char *text, char *out, size_t size) {
    size_t at = strlen(out);
    bool plain = *text != '\0';
    for (const char *c = text; *c && plain; c++)
        plain = strchr("abcdefghijklmnopqrstuvwxyzABCDEFGHIJKLMNOPQRSTUVWXYZ0123456789"
                       "_-+=.,:/@%",
                       *c) != NULL;
    if (plain) {
        snprintf(out + at, size - at, "%s", text);
        return;
    }
    if (at + 1 < size)
        out[at++] = '\'';
    for (const char *c = text; *c && at + 5 < size; c++) {
        if (*c == '\'') {
            memcpy(out + at, "'\\''", 4);
            at += 4;
        } else
            out[at++] = *c;
    }
    if (at + 1 < size)
        out[at++] = '\'';
    out[at] = '\0';
}

static void format_number(double x, char *out, size_t size) {
    snprintf(out, size, "%.9g", x);
}

/* The statuses whose comparison with the reference is valid. */
static bool compared(const attn_check_result *r) {
    return r->status == ATTN_STATUS_PASSED || r->status == ATTN_STATUS_FAILED ||
           r->status == ATTN_STATUS_MISTRUSTED;
}

static const char *lse_note(const attn_impl *impl, const attn_check_result *r) {
    if (!compared(r))
        return "";
    return (impl->caps & ATTN_CAP_LSE) ? "" : "  lse: not checked";
}

/* "  rows 312/65536" when only a sample of the rows had a reference. */
static void format_rows(const attn_case_data *data, char *out, size_t size) {
    out[0] = '\0';
    if (!data->sample.full)
        snprintf(out, size, "  rows %zu/%zu", data->sample.rows, data->sample.total);
}

static void print_result(const attn_impl *impl, const attn_case_data *data, attn_layout layout,
                         const attn_check_result *r, const check_options *o, int name_width) {
    const attn_case *c = &data->c;
    char text[ATTN_CASE_STRING_MAX], rows[64];
    attn_case_format(c, text);
    format_rows(data, rows, sizeof rows);
    if (o->quiet && (r->status == ATTN_STATUS_PASSED || r->status == ATTN_STATUS_SKIPPED))
        return;
    char contract[200] = "";
    if (compared(r) &&
        (c->problem.q_type || c->problem.k_type || c->problem.v_type || c->problem.o_type ||
         attn_precision_for(impl, &c->problem) != &attn_precision_f32)) {
        char text_contract[128];
        attn_impl_contract_text(impl, &c->problem, text_contract, sizeof text_contract);
        snprintf(contract, sizeof contract, "  contract %s, vs-contract %.3g", text_contract,
                 r->compare.err_vs_contract);
    }
    if (compared(r))
        printf("%-7s %-*s %-4s err/tol %-9.3g vs-fp32 %-7.3g %s%s%s%s\n",
               attn_status_name(r->status), name_width, impl->name, attn_layout_name(layout),
               r->compare.err_ratio, r->compare.err_vs_fp32, text, rows, lse_note(impl, r),
               contract);
    else
        printf("%-7s %-*s %-4s %-17s %s\n", attn_status_name(r->status), name_width, impl->name,
               attn_layout_name(layout), "", text);
    if (r->status != ATTN_STATUS_PASSED)
        printf("        %s\n", r->reason);
    if (r->status == ATTN_STATUS_FAILED || r->status == ATTN_STATUS_ERROR) {
        /* pasted into a shell as it is: every path and value quoted where needed */
        char line[8192] = "attnbench check";
        if (attn_impl_origin(impl)) {
            strcat(line, " --plugin ");
            shell_quote(attn_impl_origin(impl), line, sizeof line);
        }
        strcat(line, " --impl ");
        shell_quote(impl->name, line, sizeof line);
        size_t at = strlen(line);
        snprintf(line + at, sizeof line - at, " --threads %d --layout %s --case ", o->threads,
                 attn_layout_name(layout));
        shell_quote(text, line, sizeof line);
        printf("        rerun: %s\n", line);
    }
}

static int write_csv_row(attn_csv *csv, const attn_impl *impl, const attn_case_data *data,
                         attn_layout layout, const attn_check_result *r, attn_error *err) {
    const attn_case *c = &data->c;
    char text[ATTN_CASE_STRING_MAX], max_abs[32] = "", ratio[32] = "", l2[32] = "", worst[96] = "";
    char rows[32], vs_fp32[32] = "", vs_contract[32] = "", types[64], contract[128];
    attn_case_types_text(&c->problem, types, sizeof types);
    attn_impl_contract_text(impl, &c->problem, contract, sizeof contract);
    snprintf(rows, sizeof rows, "%zu", data->sample.rows);
    attn_case_format(c, text);
    if (compared(r)) {
        format_number(r->compare.max_abs_err, max_abs, sizeof max_abs);
        format_number(r->compare.err_ratio, ratio, sizeof ratio);
        format_number(r->compare.rel_l2, l2, sizeof l2);
        format_number(r->compare.err_vs_fp32, vs_fp32, sizeof vs_fp32);
        format_number(r->compare.err_vs_contract, vs_contract, sizeof vs_contract);
        attn_format_case_position(c, r->compare.worst_is_lse, r->compare.worst_index, worst,
                                  sizeof worst);
    }
    const char *lse = compared(r) ? ((impl->caps & ATTN_CAP_LSE) ? (r->lse_checked ? "checked" : "")
                                                                 : "not checked")
                                  : "";
    const char *fields[] = {impl->name,
                            text,
                            attn_layout_name(layout),
                            attn_status_name(r->status),
                            max_abs,
                            ratio,
                            l2,
                            worst,
                            lse,
                            r->status == ATTN_STATUS_PASSED ? "" : r->reason,
                            rows,
                            vs_fp32,
                            types,
                            contract,
                            vs_contract};
    return attn_csv_append(csv, fields, err);
}

static void tally(impl_tally *t, const attn_check_result *r) {
    t->counts[r->status]++;
    if (r->status == ATTN_STATUS_PASSED && r->compare.err_ratio > t->worst_passing_ratio)
        t->worst_passing_ratio = r->compare.err_ratio;
    if (r->status == ATTN_STATUS_FAILED && r->compare.err_ratio > 1.0) {
        if (r->compare.err_ratio > t->largest_failing_ratio)
            t->largest_failing_ratio = r->compare.err_ratio;
        if (t->smallest_failing_ratio == 0 || r->compare.err_ratio < t->smallest_failing_ratio)
            t->smallest_failing_ratio = r->compare.err_ratio;
    }
}

int attn_cmd_check(int argc, char **argv) {
    attn_error err = {0};
    check_options o = {0};
    attn_suite suite = {0};
    const attn_impl **impls = NULL;
    size_t impl_count = 0;
    char golden[4096];
    attn_csv csv = {0};
    impl_tally *tallies = NULL;
    int status = ATTN_EXIT_OK;
    if (parse_options(argc, argv, &o, &err) ||
        attn_cli_select_impls(o.impls, &impls, &impl_count, &err) || load_cases(&o, &suite, &err) ||
        choose_golden(&o, &suite, golden, sizeof golden, &err) ||
        attn_cli_configure_runner(o.isolate, o.timeout, &err)) {
        status = attn_cli_report(&err);
        goto done;
    }
    static const char *const header[] = {
        "impl",          "case",        "layout", "status",   "max_abs_err",
        "err_ratio",     "rel_l2",      "worst",  "lse",      "reason",
        "rows_verified", "err_vs_fp32", "types",  "contract", "err_vs_contract"};
    if (golden[0] && check_golden_count(golden, &suite, &err)) {
        status = attn_cli_report(&err);
        goto done;
    }
    int name_width = 4; /* "impl" */
    for (size_t m = 0; m < impl_count; m++)
        if ((int)strlen(impls[m]->name) > name_width)
            name_width = (int)strlen(impls[m]->name);
    if (o.csv && attn_csv_open(&csv, o.csv, header, sizeof header / sizeof header[0], &err)) {
        status = attn_cli_report(&err);
        goto done;
    }
    tallies = calloc(impl_count, sizeof *tallies);
    if (!tallies) {
        attn_fail_internal(&err, "out of memory");
        status = attn_cli_report(&err);
        goto done;
    }
    for (size_t n = 0; n < suite.count; n++) {
        if (attn_case_check_affordable(&suite.cases[n], attn_default_memory_cap(), &err)) {
            status = attn_cli_report(&err);
            goto done;
        }
    }
    printf("checking %zu implementation(s) on %zu case(s) from %s, %d thread(s); reference: %s; "
           "kernel_isa=%s",
           impl_count, suite.count, o.case_text ? "--case" : suite.path, o.threads,
           golden[0] ? golden : "computed now", attn_kernel_table());
    if (o.repeats > 1)
        printf("; %d calls per case, bitwise identical", o.repeats);
    if (o.invariance.on) {
        printf("; invariance across threads");
        for (size_t t = 0; t < o.invariance.count; t++)
            printf("%s%d", t ? "," : " ", o.invariance.threads[t]);
        printf(" and batch entries alone");
    }
    printf("\n");
    for (size_t n = 0; n < suite.count; n++) {
        attn_case_data data;
        attn_ref_contract first;
        const bool declared = attn_first_declared_contract(
            (const attn_impl *const *)impls, impl_count, &suite.cases[n].problem, &first);
        int rc = golden[0] ? attn_golden_load(golden, n, &suite.cases[n], &data, &err)
                           : attn_case_data_compute_under(&suite.cases[n], declared ? &first : NULL,
                                                          &data, &err);
        if (rc) {
            status = attn_cli_report(&err);
            goto done;
        }
        for (size_t m = 0; m < impl_count; m++)
            for (int layout = 0; layout < ATTN_LAYOUT_COUNT; layout++) {
                if (!(o.layouts & (1u << layout)))
                    continue;
                attn_check_result result;
                if (attn_case_data_judge_for(&data, impls[m], &err)) {
                    attn_case_data_free(&data);
                    status = attn_cli_report(&err);
                    goto done;
                }
                const attn_check_plan plan = {.threads = o.threads,
                                              .repeats = o.repeats,
                                              .other_threads = o.invariance.threads,
                                              .other_thread_count = o.invariance.count,
                                              .batch_invariance = o.invariance.on};
                attn_check_case_plan(impls[m], &data, (attn_layout)layout, &plan, &result);
                print_result(impls[m], &data, (attn_layout)layout, &result, &o, name_width);
                tally(&tallies[m], &result);
                if (o.csv &&
                    write_csv_row(&csv, impls[m], &data, (attn_layout)layout, &result, &err)) {
                    attn_case_data_free(&data);
                    status = attn_cli_report(&err);
                    goto done;
                }
            }
        attn_case_data_free(&data);
    }
    size_t totals[ATTN_STATUS_COUNT] = {0};
    printf("\n%-*s %7s %7s %7s %7s %10s  %s\n", name_width, "impl", "passed", "failed", "skipped",
           "errors", "mistrusted",
           "worst err/tol of a pass | smallest .. largest err/tol of a failure");
    for (size_t m = 0; m < impl_count; m++) {
        const impl_tally *t = &tallies[m];
        printf("%-*s %7zu %7zu %7zu %7zu %10zu  %.3g | %.3g .. %.3g%s\n", name_width,
               impls[m]->name, t->counts[ATTN_STATUS_PASSED], t->counts[ATTN_STATUS_FAILED],
               t->counts[ATTN_STATUS_SKIPPED], t->counts[ATTN_STATUS_ERROR],
               t->counts[ATTN_STATUS_MISTRUSTED], t->worst_passing_ratio, t->smallest_failing_ratio,
               t->largest_failing_ratio,
               (impls[m]->caps & ATTN_CAP_LSE) ? ""
                                               : "  (lse: not checked, ATTN_CAP_LSE not declared)");
        for (int s = 0; s < ATTN_STATUS_COUNT; s++)
            totals[s] += t->counts[s];
    }
    printf("check: %zu passed, %zu failed, %zu skipped", totals[ATTN_STATUS_PASSED],
           totals[ATTN_STATUS_FAILED] + totals[ATTN_STATUS_ERROR], totals[ATTN_STATUS_SKIPPED]);
    if (totals[ATTN_STATUS_MISTRUSTED])
        printf(", %zu mistrusted (not passes)", totals[ATTN_STATUS_MISTRUSTED]);
    printf("\n");
    if (o.csv && attn_csv_finish(&csv, &err)) {
        status = attn_cli_report(&err);
        goto done;
    }
    if (o.csv)
        printf("per-case results written to %s\n", o.csv);
    if (totals[ATTN_STATUS_FAILED] + totals[ATTN_STATUS_ERROR] > 0)
        status = ATTN_EXIT_CHECK_FAILED;
    else if (totals[ATTN_STATUS_PASSED] == 0) {
        /* green for nothing would read as a pass */
        fflush(stdout);
        fprintf(stderr,
                "attnbench: check verified nothing: 0 passed and 0 failed, every case was "
                "SKIPPED or MISTRUSTED (the reasons are on each such line%s)\n",
                o.quiet ? ", shown without --quiet" : "");
        status = ATTN_EXIT_BAD_INPUT;
    }
done:
    free(o.invariance.threads);
    attn_runner_shutdown();
    attn_csv_close(&csv);
    free(tallies);
    free(impls);
    attn_suite_free(&suite);
    return status;
}

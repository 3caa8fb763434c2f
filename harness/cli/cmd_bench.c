/* attnbench bench: time implementations across a sweep and write a CSV report. */
#define _POSIX_C_SOURCE 200809L
#include <math.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "bench.h"
#include "bench_serve.h"
#include "bench_report.h"
#include "ceiling.h"
#include "roofs.h"
#include "cli.h"
#include "csv.h"
#include "case_data.h"
#include "environment.h"
#include "paths.h"
#include "plugin.h"
#include "suite.h"
#include "interrupt.h"
#include "output_file.h"
#include "runner.h"
#include "timer.h"

#ifndef ATTN_DEFAULT_RESULTS_DIR
#define ATTN_DEFAULT_RESULTS_DIR "results"
#endif

/* The embedded default sweep (suite grammar, harness/suite.h). */
static const char default_sweep[] =
    "n=128,256,512,1024,2048,4096 h=1,8 d=64 window=global,causal\n";

static const char bench_help[] =
    "usage: attnbench bench [--impl A,B] [--suite NAME|FILE] [--seq 128,256] [--heads 1,8]\n"
    "                       [--kv-heads N] [--dim 64] [--dim-v N] [--batch 1] [--causal]\n"
    "                       [--window L:R,...] [--types T,...] [--threads 1,2] [--min-time S]\n"
    "                       [--reps N]\n"
    "                       [--budget S] [--mem-cap GIB] [--no-ceiling] [--out FILE.csv]\n"
    "                       [--layout bhsd|bshd|view] [--timeout S] [--isolate]\n"
    "                       [--plugin LIB.so]\n"
    "\n"
    "Times each implementation on each case at each thread count and writes one CSV row\n"
    "per (implementation, case, threads); columns are documented in results/README.md.\n"
    "The untimed warm-up's output is verified against the float64 reference (all rows, or\n"
    "sampled rows for large cases). Then two independently generated input sets alternate\n"
    "between timed batches; before each, its inputs are copied in and O poisoned, and after\n"
    "it every call's return code, the inputs and the final output are checked (against the\n"
    "verified output of that set, else the reference): a wrong result is 'wrong', a failed\n"
    "call 'error', never a speed. In the same run, a library GEMM at each case's QK^T shape\n"
    "gives the machine's ceiling: OpenBLAS sgemm (sgemm_gflops, frac_of_sgemm), and for bf16\n"
    "and fp16 cases oneDNN's matmul at that type (gemm_type, gemm_kernel, gemm_gflops,\n"
    "frac_of_gemm); and the roofs of a roofline at each thread count: independent\n"
    "multiply-add chains on the widest vector unit (peak_gflops, frac_of_peak; bf16 dot\n"
    "products for bf16 cases where the CPU has them) and a streaming read of a buffer\n"
    "much larger than the last-level cache (bandwidth_gbps, frac_of_bandwidth).\n"
    "\n"
    "With no sweep options it runs the embedded default: every built-in implementation,\n"
    "n = 128..4096 by doubling, 1 and 8 heads, d = 64, global and causal, 1 thread and\n"
    "all cores.\n"
    "\n"
    "  --impl A,B      implementations (default: all)\n"
    "  --suite NAME    a perf suite (suites/NAME.suite, e.g. perf-quick, perf-full) or file\n"
    "  --seq LIST      sequence lengths, nq = nkv (default 1024 when any list is given)\n"
    "  --heads LIST    query heads (default 8)     --kv-heads N  kv heads (default: heads)\n"
    "  --dim LIST      head dims (default 64)      --dim-v N     value head dim (default: dim)\n"
    "  --batch LIST    batch sizes (default 1)\n"
    "  --causal        causal mask (bottom-right aligned)\n"
    "  --window LIST   masks L:R (-1 unbounded), e.g. -1:-1 (global), 128:0; every one is swept,\n"
    "                  and --causal adds the causal mask to the list: --window -1:-1 --causal\n"
    "                  sweeps global and causal together\n"
    "  --types LIST    element types of Q, K, V and O, swept (default f32): each is one type\n"
    "                  (f32, bf16, f16) or four as Q/K/V/O, e.g. bf16,f32/f16/f16/f32; an\n"
    "                  implementation without a precision contract for them is skipped\n"
    "  --threads LIST  thread counts (default: 1 and all cores; each at most 1024, or the\n"
    "                  number of online CPUs when larger)\n"
    "  --min-time S    minimum time of one sample (default 0.05)\n"
    "  --reps N        samples per case (default 7)\n"
    "  --budget S      wall-time budget of one case, warm-up included (default 5); a case\n"
    "                  over it is recorded as over_budget and the sweep goes on (a warm-up\n"
    "                  call is stopped at the budget: plugin code runs in a worker, and so\n"
    "                  does a built-in's first call, before its rate is known)\n"
    "  --mem-cap GIB   memory cap of one case (default: half the machine's memory)\n"
    "  --no-ceiling    do not measure the GEMM ceilings and the roofs\n"
    "  --layout L      tensor layout handed to the implementations (default bhsd; bshd\n"
    "                  and view need the strides capability)\n"
    "  --timeout S     a call of code in a worker that makes no progress for S seconds is\n"
    "                  killed and recorded as error (default 300; 0: none)\n"
    "  --isolate       run the built-ins in a worker process too\n"
    "  --serve         prepare every measurement (inputs, verified warm-up, calibration),\n"
    "                  then time samples of them on request over stdin and stdout, for\n"
    "                  interleaving two builds (scripts/track-perf; the protocol:\n"
    "                  harness/cli/bench_serve.h); no report, no ceilings\n"
    "  --out FILE      report path (default results/bench-RUN_ID.csv)\n"
    "  --plugin LIB.so add a plugin library's implementations (repeatable); plugin code runs\n"
    "                  in a worker process started clean, so a crash is an error row\n"
    "\n"
    "Threads are set for OpenMP and OpenBLAS alike. If OpenBLAS picked a generic core on\n"
    "a CPU that supports a better one and OPENBLAS_CORETYPE is unset, bench restarts\n"
    "itself with the better core (ATTNBENCH_KEEP_BLAS_CORE=1 keeps the generic one).\n"
    "Ctrl-C (SIGINT) or SIGTERM stops after the measurement under way; the report then\n"
    "holds every finished row (a second signal stops at once; the report on disk is\n"
    "still valid: each row is appended whole, and a failed write is undone).\n"
    "--out: a regular file already there (a previous report) is left as it was until the\n"
    "first row of this run is written, then replaced; a symbolic link's target is\n"
    "replaced; a device or FIFO (/dev/null, /dev/stdout) is written through; a folder is\n"
    "refused; a report another attnbench is writing is refused (exit 2).\n"
    "Exit status: 0 at least one row measured and none wrong or error; 1 when an\n"
    "implementation gave a wrong result or a call failed (a wrong or error row); 2 bad\n"
    "usage or input, or nothing measured (no ok row: every row skipped, over_budget or\n"
    "over_memory); 3 internal error; 128 + signal number when interrupted.\n";

typedef struct bench_options {
    const char *impls, *suite, *seq, *heads, *kv_heads, *dims, *dim_v, *batch, *windows, *types,
        *threads, *out;
    bool causal, no_ceiling, isolate, serve;
    double min_time, budget, mem_cap_gib, timeout;
    attn_layout layout;
    int reps;
} bench_options;

/* OpenBLAS worker threads spin for about 2^28 cycles (THREAD_TIMEOUT) after a parallel
 * call; a measurement started within that time shares its cores with them. */
#define BLAS_SETTLE_SECONDS 0.15

static void settle_blas_threads(int threads) {
    if (threads < 2)
        return;
    struct timespec pause = {0, (long)(BLAS_SETTLE_SECONDS * 1e9)};
    nanosleep(&pause, NULL);
}

static void print_help(void) {
    fputs(bench_help, stdout);
}

static int parse_options(int argc, char **argv, bench_options *o, attn_error *err) {
    o->min_time = 0.05;
    o->reps = 7;
    o->budget = 5.0;
    o->timeout = ATTN_CLI_DEFAULT_TIMEOUT;
    const attn_option options[] = {
        ATTN_FLAG("--causal", &o->causal),
        ATTN_FLAG("--no-ceiling", &o->no_ceiling),
        ATTN_FLAG("--isolate", &o->isolate),
        ATTN_FLAG("--serve", &o->serve),
        ATTN_TEXT("--impl", &o->impls),
        ATTN_TEXT("--suite", &o->suite),
        ATTN_TEXT("--seq", &o->seq),
        ATTN_TEXT("--heads", &o->heads),
        ATTN_TEXT("--kv-heads", &o->kv_heads),
        ATTN_TEXT("--dim", &o->dims),
        ATTN_TEXT("--dim-v", &o->dim_v),
        ATTN_TEXT("--batch", &o->batch),
        ATTN_TEXT("--window", &o->windows),
        ATTN_TEXT("--types", &o->types),
        ATTN_TEXT("--threads", &o->threads),
        ATTN_TEXT("--out", &o->out),
        ATTN_VALUE("--min-time", &o->min_time, attn_cli_parse_positive_double),
        ATTN_VALUE("--budget", &o->budget, attn_cli_parse_positive_double),
        ATTN_VALUE("--mem-cap", &o->mem_cap_gib, attn_cli_parse_positive_double),
        ATTN_VALUE("--reps", &o->reps, attn_cli_parse_positive),
        ATTN_VALUE("--layout", &o->layout, attn_cli_parse_layout),
        ATTN_VALUE("--timeout", &o->timeout, attn_cli_parse_timeout),
    };
    if (attn_cli_parse(argc, argv, "bench", options, sizeof options / sizeof options[0], print_help,
                       err))
        return -1;
    if (o->reps > ATTN_BENCH_MAX_SAMPLES)
        return attn_fail_input(err, "--reps %d: at most %d", o->reps, ATTN_BENCH_MAX_SAMPLES);
    if (o->serve && o->out)
        return attn_fail_input(err, "--serve writes no report: --out cannot be given with it");
    if (o->out && attn_output_check_path(o->out, err)) {
        attn_error_prefix(err, "--out");
        return -1;
    }
    return 0;
}

static bool has_sweep_lists(const bench_options *o) {
    return o->seq || o->heads || o->kv_heads || o->dims || o->dim_v || o->batch || o->windows ||
           o->types || o->causal;
}

/* Builds the case list: a suite file, the command-line lists, or the embedded default. */
static int load_cases(const bench_options *o, attn_suite *suite, attn_error *err) {
    if (o->suite && has_sweep_lists(o))
        return attn_fail_input(err, "bench: give --suite or sweep lists (--seq, --heads, ...), "
                                    "not both");
    if (o->suite) {
        char path[4096];
        return attn_suite_resolve(o->suite, path, sizeof path, err) ||
               attn_suite_load(path, suite, err);
    }
    if (!has_sweep_lists(o))
        return attn_suite_parse_text(default_sweep, "(embedded default sweep)", suite, err);
    char windows[1024];
    snprintf(windows, sizeof windows, "%s%s%s", o->causal ? "causal" : "",
             o->causal && o->windows ? "," : "", o->windows ? o->windows : "");
    char text[4096];
    /* Without --kv-heads every case has hkv = hq: the h key sets both. */
    int n = snprintf(text, sizeof text, "n=%s %s=%s b=%s d=%s window=%s%s%s%s%s types=%s\n",
                     o->seq ? o->seq : "1024", o->kv_heads ? "hq" : "h", o->heads ? o->heads : "8",
                     o->batch ? o->batch : "1", o->dims ? o->dims : "64",
                     windows[0] ? windows : "global", o->kv_heads ? " hkv=" : "",
                     o->kv_heads ? o->kv_heads : "", o->dim_v ? " dv=" : "",
                     o->dim_v ? o->dim_v : "", o->types ? o->types : "f32");
    if (n < 0 || (size_t)n >= sizeof text)
        return attn_fail_input(err, "bench: sweep lists too long");
    return attn_suite_parse_text(text, "(command-line sweep)", suite, err);
}

static int parse_threads(const char *list, int **threads, size_t *count, attn_error *err) {
    char fallback[32] = "1";
    if (!list) {
        if (attn_cli_cpu_count() > 1)
            snprintf(fallback, sizeof fallback, "1,%d", attn_cli_cpu_count());
        list = fallback;
    }
    return attn_cli_thread_list("--threads", list, threads, count, err);
}

static int default_report_path(const attn_environment *env, char *out, size_t size,
                               attn_error *err) {
    const char *dir = attn_paths_results_dir(); /* environment, cwd when installed, results/ */
    mkdir(dir, 0777);
    int n = snprintf(out, size, "%s/bench-%s.csv", dir, env->run_id);
    if (n < 0 || (size_t)n >= size)
        return attn_fail_input(err, "results folder path too long: %s", dir);
    return 0;
}

/* Progress on stderr when it is a terminal: case i of n, what runs, elapsed, left. */
static void show_progress(size_t done, size_t total, const char *impl, const attn_case *c,
                          int threads, double started) {
    if (!isatty(STDERR_FILENO))
        return;
    char text[ATTN_CASE_STRING_MAX];
    attn_case_format(c, text);
    double elapsed = attn_now_seconds() - started;
    double left = done ? elapsed / (double)done * (double)(total - done) : 0;
    fprintf(stderr, "\r\033[K[%zu/%zu] %.0fs elapsed, ~%.0fs left: %s t=%d nq=%lld h=%lld %s",
            done + 1, total, elapsed, left, impl, threads, (long long)c->problem.seq_q,
            (long long)c->problem.heads_q,
            c->problem.window_left < 0 && c->problem.window_right == 0 ? "causal" : "");
    fflush(stderr);
}

/* One summary cell: a finished measurement's place in the table. */
typedef struct summary_cell {
    const attn_impl *impl;
    int threads;
    attn_case c;
    attn_bench_status status;
    double gflops, frac;
    double gbps, frac_bandwidth; /* bytes moved per second, and of the bandwidth roof */
    bool memory_bound;           /* FLOPs per byte below the roofline's ridge point */
} summary_cell;

/* Which figure a summary table shows. */
typedef enum { TABLE_GFLOPS, TABLE_BANDWIDTH } table_kind;

/* Cells of one table row share everything but nq; nkv counts as "= nq" or a length. */
static bool same_row(const summary_cell *a, const summary_cell *b) {
    const attn_problem *p = &a->c.problem, *q = &b->c.problem;
    bool p_square = p->seq_kv == p->seq_q, q_square = q->seq_kv == q->seq_q;
    return a->impl == b->impl && a->threads == b->threads && p->batch == q->batch &&
           p->heads_q == q->heads_q && p->heads_kv == q->heads_kv && p->head_dim == q->head_dim &&
           p->head_dim_v == q->head_dim_v && p->window_left == q->window_left &&
           p->window_right == q->window_right && p_square == q_square &&
           (p_square || p->seq_kv == q->seq_kv) && a->c.scale_is_default == b->c.scale_is_default &&
           (a->c.scale_is_default || p->scale == q->scale) && a->c.seed == b->c.seed &&
           a->c.dist == b->c.dist && p->q_type == q->q_type && p->k_type == q->k_type &&
           p->v_type == q->v_type && p->o_type == q->o_type && p->ragged == q->ragged &&
           p->kv_storage == q->kv_storage && p->page_size == q->page_size &&
           (!p->ragged || memcmp(a->c.lengths, b->c.lengths, sizeof a->c.lengths) == 0);
}

/* Sequence-length columns per printed table: more wrap into further tables. */
#define SUMMARY_SEQ_COLUMNS 8

enum { LABEL_COLUMNS = 14 };
static const char *const label_names[LABEL_COLUMNS] = {"impl",  "thr",  "b",     "hq",   "hkv",
                                                       "nkv",   "d",    "dv",    "mask", "dist",
                                                       "scale", "seed", "types", "kv"};

static void row_label(const summary_cell *cell, char label[LABEL_COLUMNS][48]) {
    const attn_problem *p = &cell->c.problem;
    snprintf(label[0], 48, "%s", cell->impl->name);
    snprintf(label[1], 48, "%d", cell->threads);
    snprintf(label[2], 48, "%lld", (long long)p->batch);
    snprintf(label[3], 48, "%lld", (long long)p->heads_q);
    snprintf(label[4], 48, "%lld", (long long)p->heads_kv);
    if (p->ragged)
        attn_case_lengths_text(&cell->c, ATTN_SEQ_KV, label[5], 48);
    else if (p->seq_kv == p->seq_q)
        snprintf(label[5], 48, "=nq");
    else
        snprintf(label[5], 48, "%lld", (long long)p->seq_kv);
    snprintf(label[6], 48, "%lld", (long long)p->head_dim);
    snprintf(label[7], 48, "%lld", (long long)p->head_dim_v);
    if (p->window_left < 0 && p->window_right < 0)
        snprintf(label[8], 48, "global");
    else if (p->window_left < 0 && p->window_right == 0)
        snprintf(label[8], 48, "causal");
    else
        snprintf(label[8], 48, "%lld:%lld", (long long)p->window_left, (long long)p->window_right);
    snprintf(label[9], 48, "%s", attn_dist_name(cell->c.dist));
    if (cell->c.scale_is_default)
        snprintf(label[10], 48, "default");
    else
        snprintf(label[10], 48, "%.17g", p->scale);
    snprintf(label[11], 48, "%llu", (unsigned long long)cell->c.seed);
    if (!attn_case_types_text(p, label[12], 48))
        snprintf(label[12], 48, "f32");
    label[13][0] = '\0';
    if (p->ragged)
        attn_case_storage_text(&cell->c, label[13], 48);
}

static void cell_text(const summary_cell *cell, table_kind kind, char *out, size_t size) {
    const double value = kind == TABLE_GFLOPS ? cell->gflops : cell->gbps;
    const double frac = kind == TABLE_GFLOPS ? cell->frac : cell->frac_bandwidth;
    if (cell->status != ATTN_BENCH_OK)
        snprintf(out, size, "%s", attn_bench_status_name(cell->status));
    else if (frac > 0)
        snprintf(out, size, "%.1f(%.2f)", value, frac);
    else
        snprintf(out, size, "%.1f", value);
}

static int compare_seq(const void *a, const void *b) {
    int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

/* The GFLOP/s table: one row per (implementation, threads, case but nq), one column per
 * nq. Every measured cell appears: label columns that vary (nkv, dv, dist, scale, seed)
 * are shown, a repeated case gets a row of its own, and more than SUMMARY_SEQ_COLUMNS
 * lengths wrap into further tables. */
static void print_table(const summary_cell *cells, size_t count, table_kind kind) {
    if (count == 0)
        return;
    int64_t *seqs = malloc(count * sizeof *seqs);
    size_t *row_of = malloc(count * sizeof *row_of), *row_first = malloc(count * sizeof *row_first);
    size_t *by_row = malloc(count * sizeof *by_row),
           *row_start = calloc(count + 1, sizeof *row_start);
    if (!seqs || !row_of || !row_first || !by_row || !row_start) {
        printf("\n(no GFLOP/s table: out of memory; the report holds every row)\n");
        goto done;
    }
    for (size_t n = 0; n < count; n++)
        seqs[n] = cells[n].c.problem.seq_q;
    qsort(seqs, count, sizeof *seqs, compare_seq);
    size_t seq_count = 0;
    for (size_t n = 0; n < count; n++)
        if (seq_count == 0 || seqs[seq_count - 1] != seqs[n])
            seqs[seq_count++] = seqs[n];
    /* rows: a cell joins the first row with its key that has no cell at its nq yet */
    size_t rows = 0;
    for (size_t n = 0; n < count; n++) {
        size_t r = 0;
        for (; r < rows; r++) {
            if (!same_row(&cells[row_first[r]], &cells[n]))
                continue;
            bool taken = false;
            for (size_t m = 0; m < n && !taken; m++)
                taken = row_of[m] == r && cells[m].c.problem.seq_q == cells[n].c.problem.seq_q;
            if (!taken)
                break;
        }
        if (r == rows)
            row_first[rows++] = n;
        row_of[n] = r;
    }
    for (size_t n = 0; n < count; n++)
        row_start[row_of[n] + 1]++;
    for (size_t r = 0; r < rows; r++)
        row_start[r + 1] += row_start[r];
    size_t *fill = row_first; /* reused: the next free place of each row in by_row */
    for (size_t r = 0; r < rows; r++)
        fill[r] = row_start[r];
    for (size_t n = 0; n < count; n++)
        by_row[fill[row_of[n]]++] = n;

    /* which label columns to show, and their widths */
    bool shown[LABEL_COLUMNS];
    int width[LABEL_COLUMNS];
    char first_label[LABEL_COLUMNS][48], label[LABEL_COLUMNS][48];
    row_label(&cells[0], first_label);
    for (int k = 0; k < LABEL_COLUMNS; k++) {
        shown[k] = k <= 4 || k == 6 || k == 8; /* impl thr b hq hkv d mask */
        width[k] = (int)strlen(label_names[k]);
    }
    int cell_width = 6;
    for (size_t n = 0; n < count; n++) {
        row_label(&cells[n], label);
        const attn_problem *p = &cells[n].c.problem;
        shown[5] |= p->seq_kv != p->seq_q || p->ragged;
        shown[13] |= label[13][0] != '\0';
        shown[7] |= p->head_dim_v != p->head_dim;
        for (int k = 9; k < LABEL_COLUMNS; k++)
            shown[k] |= strcmp(label[k], first_label[k]) != 0;
        shown[10] |= !cells[n].c.scale_is_default;
        shown[12] |= strcmp(label[12], "f32") != 0;
        for (int k = 0; k < LABEL_COLUMNS; k++)
            if ((int)strlen(label[k]) > width[k])
                width[k] = (int)strlen(label[k]);
        char text[64];
        cell_text(&cells[n], kind, text, sizeof text);
        if ((int)strlen(text) > cell_width)
            cell_width = (int)strlen(text);
    }
    for (size_t from = 0; from < seq_count; from += SUMMARY_SEQ_COLUMNS) {
        size_t to = from + SUMMARY_SEQ_COLUMNS < seq_count ? from + SUMMARY_SEQ_COLUMNS : seq_count;
        if (kind == TABLE_GFLOPS)
            printf("\nGFLOP/s (fraction of the GEMM ceiling at the same element type, shape and "
                   "threads) by nq (of a ragged batch: its longest sequence's)");
        else
            printf("\nGB/s moved (fraction of the bandwidth roof at the same threads) of the rows "
                   "bound by memory (FLOPs per byte below the roofline's ridge) by nq");
        if (seq_count > SUMMARY_SEQ_COLUMNS)
            printf(" (lengths %zu-%zu of %zu)", from + 1, to, seq_count);
        printf(":\n");
        for (int k = 0; k < LABEL_COLUMNS; k++)
            if (shown[k])
                printf(k == 0 || k >= 8 ? "%-*s " : "%*s ", width[k], label_names[k]);
        for (size_t s = from; s < to; s++)
            printf(" %*lld", cell_width, (long long)seqs[s]);
        putchar('\n');
        for (size_t r = 0; r < rows; r++) {
            const summary_cell *in_chunk[SUMMARY_SEQ_COLUMNS] = {0};
            bool any = false;
            for (size_t i = row_start[r]; i < row_start[r + 1]; i++) {
                const summary_cell *cell = &cells[by_row[i]];
                for (size_t s = from; s < to; s++)
                    if (cell->c.problem.seq_q == seqs[s]) {
                        in_chunk[s - from] = cell;
                        any = true;
                    }
            }
            if (!any)
                continue;
            row_label(&cells[by_row[row_start[r]]], label);
            for (int k = 0; k < LABEL_COLUMNS; k++)
                if (shown[k])
                    printf(k == 0 || k >= 8 ? "%-*s " : "%*s ", width[k], label[k]);
            for (size_t s = from; s < to; s++) {
                char text[64] = "";
                if (in_chunk[s - from])
                    cell_text(in_chunk[s - from], kind, text, sizeof text);
                printf(" %*s", cell_width, text);
            }
            putchar('\n');
        }
    }
done:
    free(seqs);
    free(row_of);
    free(row_first);
    free(by_row);
    free(row_start);
}

/* The GFLOP/s table of every row, then the GB/s table of the rows bound by memory. */
static void print_summary(const summary_cell *cells, size_t count) {
    print_table(cells, count, TABLE_GFLOPS);
    summary_cell *bound = malloc((count ? count : 1) * sizeof *bound);
    size_t bound_count = 0;
    for (size_t n = 0; bound && n < count; n++)
        if (cells[n].memory_bound)
            bound[bound_count++] = cells[n];
    if (bound)
        print_table(bound, bound_count, TABLE_BANDWIDTH);
    free(bound);
}

typedef struct sweep {
    const bench_options *options;
    const attn_impl **impls;
    size_t impl_count;
    int *threads;
    size_t thread_count;
    attn_suite suite;
    attn_environment env;
    char affinity[256];
    attn_csv csv;
    summary_cell *cells;
    size_t cell_count;
    double *rates; /* last measured FLOP/s per (impl, threads), for budget predictions */
    size_t counts[ATTN_BENCH_STATUS_COUNT];
} sweep;

/* The sgemm ceiling, the GEMM ceiling at the case's element type (the same one for f32
 * cases), and the compute and bandwidth roofs at the thread count. */
static int measure_ceilings(const attn_case *c, int threads, const bench_options *o,
                            attn_ceiling *sgemm, attn_ceiling *gemm, attn_roof *peak,
                            attn_roof *bandwidth, attn_error *err) {
    attn_timing_options timing = {o->min_time, o->reps, fmin(o->budget, 2.0)};
    const attn_problem *p = &c->problem;
    bool measured_now = false;
    if (attn_compute_roof(gemm->type, threads, &timing, peak, &measured_now, err) ||
        attn_bandwidth_roof(threads, &timing, bandwidth, &measured_now, err))
        return -1;
    if (attn_gemm_ceiling(ATTN_F32, p->seq_q, p->seq_kv, p->head_dim, threads, &timing, sgemm,
                          &measured_now, err))
        return -1;
    if (measured_now)
        settle_blas_threads(threads);
    if (gemm->type == ATTN_F32) {
        *gemm = *sgemm;
        return 0;
    }
    if (attn_gemm_ceiling(gemm->type, p->seq_q, p->seq_kv, p->head_dim, threads, &timing, gemm,
                          &measured_now, err))
        return -1;
    if (measured_now)
        settle_blas_threads(threads);
    return 0;
}

static int run_one(sweep *s, size_t impl_index, size_t thread_index, const attn_case *c,
                   attn_error *err) {
    const bench_options *o = s->options;
    const attn_impl *impl = s->impls[impl_index];
    int threads = s->threads[thread_index];
    double *rate = &s->rates[impl_index * s->thread_count + thread_index];
    attn_bench_options options = {
        .timing = {o->min_time, o->reps, o->budget},
        .memory_cap_bytes =
            o->mem_cap_gib > 0 ? o->mem_cap_gib * (1 << 30) : attn_default_memory_cap(),
    };
    attn_work work;
    attn_work_of(c, &work);
    options.predicted_seconds = *rate > 0 ? work.flops / *rate : 0;
    attn_bench_result result;
    attn_bench_case(impl, c, o->layout, threads, &options, &result);
    if (attn_interrupted) /* the measurement was cut short: no row for it */
        return 0;
    settle_blas_threads(threads);
    if (result.status == ATTN_BENCH_OK)
        *rate = result.work.flops / result.stats.median;
    attn_ceiling sgemm = {.type = ATTN_F32}, gemm = {.type = attn_ceiling_type(&c->problem)};
    attn_roof peak = {0}, bandwidth = {0};
    if (!o->no_ceiling && result.status == ATTN_BENCH_OK &&
        measure_ceilings(c, threads, o, &sgemm, &gemm, &peak, &bandwidth, err))
        return -1;
    attn_bench_row row = {&s->env, s->affinity, impl,  c,     threads,   o->reps,
                          &result, &sgemm,      &gemm, &peak, &bandwidth};
    const char *fields[128];
    char *storage = NULL;
    if (attn_bench_row_fields(&row, fields, &storage))
        return attn_fail_internal(err, "out of memory formatting a report row");
    int rc = attn_csv_append(&s->csv, fields, err);
    free(storage);
    s->counts[result.status]++;
    const bool timed = result.status == ATTN_BENCH_OK && result.stats.median > 0;
    const double gbps = timed ? result.work.bytes / result.stats.median * 1e-9 : 0;
    s->cells[s->cell_count++] = (summary_cell){
        .impl = impl,
        .threads = threads,
        .c = *c,
        .status = result.status,
        .gflops = result.gflops,
        .frac = gemm.gflops > 0 ? result.gflops / gemm.gflops : 0,
        .gbps = gbps,
        .frac_bandwidth = bandwidth.value > 0 ? gbps / bandwidth.value : 0,
        .memory_bound = peak.value > 0 && bandwidth.value > 0 && result.work.bytes > 0 &&
                        result.work.flops / result.work.bytes < peak.value / bandwidth.value};
    if (result.status == ATTN_BENCH_WRONG) {
        char text[ATTN_CASE_STRING_MAX];
        attn_case_format(c, text);
        fprintf(stderr, "\nattnbench: %s gave a wrong result on '%s': %s\n", impl->name, text,
                result.reason);
    }
    return rc;
}

static int run_sweep(sweep *s, attn_error *err) {
    size_t total = s->suite.count * s->thread_count * s->impl_count, done = 0;
    double started = attn_now_seconds();
    for (size_t n = 0; n < s->suite.count && !attn_interrupted; n++)
        for (size_t t = 0; t < s->thread_count && !attn_interrupted; t++)
            for (size_t m = 0; m < s->impl_count && !attn_interrupted; m++) {
                show_progress(done, total, s->impls[m]->name, &s->suite.cases[n], s->threads[t],
                              started);
                if (run_one(s, m, t, &s->suite.cases[n], err))
                    return -1;
                done++;
            }
    if (isatty(STDERR_FILENO))
        fprintf(stderr, "\r\033[K");
    printf("bench: %zu of %zu measurements in %.1f s%s\n", done, total,
           attn_now_seconds() - started, attn_interrupted ? " (interrupted)" : "");
    return 0;
}

int attn_cmd_bench(int argc, char **argv) {
    attn_error err = {0};
    bench_options o = {0};
    sweep s = {.options = &o};
    char path[4096];
    int status = ATTN_EXIT_OK;
    if (parse_options(argc, argv, &o, &err) ||
        attn_cli_select_impls(o.impls, &s.impls, &s.impl_count, &err) ||
        parse_threads(o.threads, &s.threads, &s.thread_count, &err) ||
        attn_cli_configure_runner(o.isolate, o.timeout, &err) || load_cases(&o, &s.suite, &err)) {
        status = attn_cli_report(&err);
        goto done;
    }
    if (o.serve) {
        attn_interrupt_install();
        const attn_bench_options options = {.timing = {o.min_time, o.reps, o.budget},
                                            .memory_cap_bytes = o.mem_cap_gib > 0
                                                                    ? o.mem_cap_gib * (1 << 30)
                                                                    : attn_default_memory_cap()};
        status = attn_bench_serve(s.impls, s.impl_count, s.threads, s.thread_count, &s.suite,
                                  o.layout, &options);
        goto done;
    }
    attn_environment_read(&s.env);
    attn_affinity_describe(s.affinity, sizeof s.affinity);
    if (o.out)
        snprintf(path, sizeof path, "%s", o.out);
    else if (default_report_path(&s.env, path, sizeof path, &err)) {
        status = attn_cli_report(&err);
        goto done;
    }
    size_t total = s.suite.count * s.thread_count * s.impl_count;
    s.cells = calloc(total, sizeof *s.cells);
    s.rates = calloc(s.impl_count * s.thread_count, sizeof *s.rates);
    if (!s.cells || !s.rates) {
        attn_fail_internal(&err, "out of memory");
        status = attn_cli_report(&err);
        goto done;
    }
    if (attn_csv_open(&s.csv, path, attn_bench_columns, attn_bench_column_count, &err)) {
        status = attn_cli_report(&err);
        goto done;
    }
    if (strstr(s.env.blas_note, "WARNING") || getenv("ATTNBENCH_BLAS_CORE_FIXED"))
        fprintf(stderr, "attnbench: OpenBLAS: %s\n", s.env.blas_note);
    printf("bench: %zu case(s) x %zu thread count(s) x %zu implementation(s); OpenBLAS core %s; "
           "report %s\n",
           s.suite.count, s.thread_count, s.impl_count, s.env.blas_core, path);
    fflush(stdout);
    attn_interrupt_install();
    if (run_sweep(&s, &err)) {
        status = attn_cli_report(&err);
        goto done;
    }
    if (!attn_interrupted && attn_csv_finish(&s.csv, &err)) {
        status = attn_cli_report(&err);
        goto done;
    }
    print_summary(s.cells, s.cell_count);
    printf("bench: %zu ok, %zu wrong, %zu skipped, %zu over_budget, %zu over_memory, %zu error; "
           "report: %s\n",
           s.counts[ATTN_BENCH_OK], s.counts[ATTN_BENCH_WRONG], s.counts[ATTN_BENCH_SKIPPED],
           s.counts[ATTN_BENCH_OVER_BUDGET], s.counts[ATTN_BENCH_OVER_MEMORY],
           s.counts[ATTN_BENCH_ERROR], path);
    if (attn_interrupted) {
        if (s.csv.rows > 0 || !s.csv.file.existed)
            fprintf(stderr, "attnbench: interrupted by signal %d; %s holds the %zu rows finished\n",
                    (int)attn_interrupted, path, s.csv.rows);
        else
            fprintf(stderr,
                    "attnbench: interrupted by signal %d before any row was finished; %s was "
                    "left as it was\n",
                    (int)attn_interrupted, path);
        status = 128 + (int)attn_interrupted;
    } else if (s.counts[ATTN_BENCH_WRONG] || s.counts[ATTN_BENCH_ERROR])
        status = ATTN_EXIT_CHECK_FAILED;
    else if (s.counts[ATTN_BENCH_OK] == 0) {
        fprintf(stderr,
                "attnbench: bench measured nothing: no row is ok (%zu skipped, %zu over_budget, "
                "%zu over_memory)\n",
                s.counts[ATTN_BENCH_SKIPPED], s.counts[ATTN_BENCH_OVER_BUDGET],
                s.counts[ATTN_BENCH_OVER_MEMORY]);
        status = ATTN_EXIT_BAD_INPUT;
    }
done:
    attn_runner_shutdown();
    attn_csv_close(&s.csv);
    free(s.cells);
    free(s.rates);
    free(s.threads);
    free((void *)s.impls);
    attn_suite_free(&s.suite);
    return status;
}

/* Formatting of bench CSV rows. */
#define _GNU_SOURCE
#include "bench_report.h"

#include "contract.h"
#include "element_type.h"

#include <sched.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* clang-format off */
const char *const attn_bench_columns[] = {
    "schema", "run_id", "timestamp_utc", "git_commit", "host",
    "cpu", "cores", "compiler", "compiler_flags", "blas",
    "blas_core", "blas_threading", "blas_note", "openmp", "impl",
    "case", "batch", "heads_q", "heads_kv", "seq_q",
    "seq_kv", "head_dim", "head_dim_v", "window_left", "window_right",
    "scale", "dist", "seed", "threads", "affinity",
    "reps", "iterations", "time_min_s", "time_median_s", "time_mean_s",
    "time_stddev_s", "time_cv", "warmup_s", "flops", "bytes",
    "gflops", "gbytes_per_s", "sgemm_gflops", "frac_of_sgemm", "status",
    "reason", "verified_rows", "max_abs_err", "err_ratio", "memory_bytes",
    "samples_s", "layout", "timed_calls", "blas_coretype", "kernel_isa",
    "types", "contract", "gemm_type", "gemm_kernel", "gemm_gflops",
    "frac_of_gemm", "peak_gflops", "peak_kernel", "frac_of_peak", "bandwidth_gbps",
    "bandwidth_kernel", "frac_of_bandwidth", "kv_storage", "tokens", "tokens_per_s"};
/* clang-format on */
const size_t attn_bench_column_count = sizeof attn_bench_columns / sizeof attn_bench_columns[0];

/* Appends printf-formatted text to a growing buffer; records where each field starts. */
typedef struct field_builder {
    char *text;
    size_t length, capacity;
    size_t starts[96];
    size_t count;
    bool failed;
} field_builder;

static bool grow(field_builder *f, size_t needed) {
    if (needed <= f->capacity)
        return true;
    size_t capacity = f->capacity ? 2 * f->capacity : 4096;
    while (capacity < needed)
        capacity *= 2;
    char *grown = realloc(f->text, capacity);
    if (!grown) {
        f->failed = true;
        return false;
    }
    f->text = grown;
    f->capacity = capacity;
    return true;
}

/* Appends printf-formatted text: as a new field, or to the field just added. */
static void append(field_builder *f, bool new_field, const char *format, va_list ap) {
    va_list copy;
    va_copy(copy, ap);
    int n = vsnprintf(NULL, 0, format, copy);
    va_end(copy);
    if (f->failed || n < 0 || !grow(f, f->length + (size_t)n + 1))
        return;
    if (new_field && f->count == sizeof f->starts / sizeof f->starts[0]) {
        f->failed = true; /* more fields than columns: caught by the caller's count check */
        return;
    }
    if (new_field) {
        f->starts[f->count++] = f->length;
        f->length++; /* room for this field's terminator */
    }
    vsnprintf(f->text + f->length - 1, (size_t)n + 1, format, ap);
    f->length += (size_t)n;
}

static void add(field_builder *f, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void add(field_builder *f, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    append(f, true, format, ap);
    va_end(ap);
}

static void extend(field_builder *f, const char *format, ...) __attribute__((format(printf, 2, 3)));
static void extend(field_builder *f, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    append(f, false, format, ap);
    va_end(ap);
}

static void add_number(field_builder *f, bool present, double x) {
    if (present)
        add(f, "%.17g", x);
    else
        add(f, "%s", "");
}

int attn_bench_row_fields(const attn_bench_row *row, const char **fields, char **storage) {
    field_builder f = {0};
    const attn_environment *e = row->env;
    const attn_problem *p = &row->c->problem;
    const attn_bench_result *r = row->result;
    const bool timed = r->status == ATTN_BENCH_OK;
    const bool verified = r->verify.rows_checked > 0;
    char text[ATTN_CASE_STRING_MAX];
    attn_case_format(row->c, text);
    add(&f, "%s", ATTN_BENCH_SCHEMA);
    add(&f, "%s", e->run_id);
    add(&f, "%s", e->timestamp_utc);
    add(&f, "%s", e->git_commit);
    add(&f, "%s", e->host);
    add(&f, "%s", e->cpu);
    add(&f, "%d", e->cores);
    add(&f, "%s", e->compiler);
    add(&f, "%s", e->compiler_flags);
    add(&f, "%s", e->blas);
    add(&f, "%s", e->blas_core);
    add(&f, "%s", e->blas_threading);
    add(&f, "%s", e->blas_note);
    add(&f, "%s", e->openmp);
    add(&f, "%s", row->impl->name);
    add(&f, "%s", text);
    add(&f, "%lld", (long long)p->batch);
    add(&f, "%lld", (long long)p->heads_q);
    add(&f, "%lld", (long long)p->heads_kv);
    add(&f, "%lld", (long long)p->seq_q);
    add(&f, "%lld", (long long)p->seq_kv);
    add(&f, "%lld", (long long)p->head_dim);
    add(&f, "%lld", (long long)p->head_dim_v);
    add(&f, "%lld", (long long)p->window_left);
    add(&f, "%lld", (long long)p->window_right);
    add(&f, "%.17g", p->scale);
    add(&f, "%s", attn_dist_name(row->c->dist));
    add(&f, "%llu", (unsigned long long)row->c->seed);
    add(&f, "%d", row->threads);
    add(&f, "%s", row->affinity);
    add(&f, "%zu", r->sample_count);
    add(&f, "%ld", r->iterations_per_sample);
    add_number(&f, timed, r->stats.min);
    add_number(&f, timed, r->stats.median);
    add_number(&f, timed, r->stats.mean);
    add_number(&f, timed && r->stats.count > 1, r->stats.stddev); /* one sample: no spread */
    add_number(&f, timed && r->stats.count > 1, r->stats.cv);
    add_number(&f, r->warmup_seconds > 0 && r->status != ATTN_BENCH_WRONG, r->warmup_seconds);
    add(&f, "%.17g", r->work.flops);
    add(&f, "%.17g", r->work.bytes);
    add_number(&f, timed, r->gflops);
    add_number(&f, timed, timed ? r->work.bytes / r->stats.median * 1e-9 : 0);
    const double sgemm = row->sgemm->gflops, gemm = row->gemm->gflops;
    add_number(&f, sgemm > 0, sgemm);
    add_number(&f, timed && sgemm > 0, sgemm > 0 ? r->gflops / sgemm : 0);
    add(&f, "%s", attn_bench_status_name(r->status));
    add(&f, "%s", r->reason);
    add_number(&f, verified, (double)r->verify.rows_checked);
    add_number(&f, verified, r->verify.max_abs_err);
    add_number(&f, verified, r->verify.err_ratio);
    add(&f, "%.17g", r->memory_bytes);
    add(&f, "%s", "");
    for (size_t s = 0; s < r->sample_count && timed; s++)
        extend(&f, s ? ";%.17g" : "%.17g", r->samples[s]);
    add(&f, "%s", attn_layout_name(r->layout));
    add(&f, "%lld", r->timed_calls);
    add(&f, "%s", e->blas_coretype);
    add(&f, "%s", attn_kernel_isa(e, row->impl));
    char types[64], contract[128];
    attn_case_types_text(p, types, sizeof types);
    attn_impl_contract_text(row->impl, p, contract, sizeof contract);
    add(&f, "%s", types);
    add(&f, "%s", contract);
    add(&f, "%s", attn_type_name(row->gemm->type));
    add(&f, "%s", row->gemm->kernel);
    add_number(&f, gemm > 0, gemm);
    add_number(&f, timed && gemm > 0, gemm > 0 ? r->gflops / gemm : 0);
    const double peak = row->peak->value, bandwidth = row->bandwidth->value;
    add_number(&f, peak > 0, peak);
    add(&f, "%s", row->peak->kernel);
    add_number(&f, timed && peak > 0, peak > 0 ? r->gflops / peak : 0);
    add_number(&f, bandwidth > 0, bandwidth);
    add(&f, "%s", row->bandwidth->kernel);
    add_number(&f, timed && bandwidth > 0,
               bandwidth > 0 ? r->work.bytes / r->stats.median * 1e-9 / bandwidth : 0);
    char kv_storage[32] = "";
    if (p->ragged)
        attn_case_storage_text(row->c, kv_storage, sizeof kv_storage);
    add(&f, "%s", kv_storage);
    add(&f, "%.17g", r->work.tokens);
    add_number(&f, timed, timed ? r->work.tokens / r->stats.median : 0);
    if (f.failed || f.count != attn_bench_column_count) {
        free(f.text);
        return -1;
    }
    for (size_t n = 0; n < f.count; n++)
        fields[n] = f.text + f.starts[n];
    *storage = f.text;
    return 0;
}

void attn_affinity_describe(char *out, size_t size) {
    cpu_set_t set;
    CPU_ZERO(&set);
    char cpus[256] = "";
    if (sched_getaffinity(0, sizeof set, &set) == 0) {
        for (int cpu = 0; cpu < CPU_SETSIZE && strlen(cpus) < sizeof cpus - 16; cpu++) {
            if (!CPU_ISSET(cpu, &set))
                continue;
            int last = cpu;
            while (last + 1 < CPU_SETSIZE && CPU_ISSET(last + 1, &set))
                last++;
            size_t used = strlen(cpus);
            if (last > cpu)
                snprintf(cpus + used, sizeof cpus - used, "%s%d-%d", used ? "," : "", cpu, last);
            else
                snprintf(cpus + used, sizeof cpus - used, "%s%d", used ? "," : "", cpu);
            cpu = last;
        }
    }
    const char *bind = getenv("OMP_PROC_BIND"), *wait = getenv("OMP_WAIT_POLICY");
    snprintf(out, size, "cpus=%s OMP_PROC_BIND=%s OMP_WAIT_POLICY=%s", cpus[0] ? cpus : "?",
             bind ? bind : "unset", wait ? wait : "unset");
}

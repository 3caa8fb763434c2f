/* Golden set writing (atomic, whole set at once) and loading (checksums verified). */
#define _POSIX_C_SOURCE 200809L
#include "golden.h"

#include <errno.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "npy.h"
#include "sha256.h"

enum { FILE_Q, FILE_K, FILE_V, FILE_O, FILE_O_TOL, FILE_LSE, FILE_LSE_TOL, FILE_COUNT };
static const char *const file_names[FILE_COUNT] = {"q.npy",     "k.npy",   "v.npy",      "o.npy",
                                                   "o_tol.npy", "lse.npy", "lse_tol.npy"};
#define CASE_FILE "case.txt"
#define SUMS_FILE "SHA256SUMS"

typedef struct tensor_view {
    attn_dtype dtype;
    int rank;
    int64_t shape[4];
    void *data;
    size_t count;
} tensor_view;

static void describe_tensors(attn_case_data *d, tensor_view views[FILE_COUNT]) {
    const attn_problem *p = &d->c.problem;
    const tensor_view q = {
        ATTN_DTYPE_F32, 4, {p->batch, p->heads_q, p->seq_q, p->head_dim}, d->q, d->sizes.q};
    const tensor_view k = {
        ATTN_DTYPE_F32, 4, {p->batch, p->heads_kv, p->seq_kv, p->head_dim}, d->k, d->sizes.k};
    const tensor_view v = {
        ATTN_DTYPE_F32, 4, {p->batch, p->heads_kv, p->seq_kv, p->head_dim_v}, d->v, d->sizes.v};
    const tensor_view o = {
        ATTN_DTYPE_F64, 4, {p->batch, p->heads_q, p->seq_q, p->head_dim_v}, d->o, d->sizes.o};
    const tensor_view lse = {
        ATTN_DTYPE_F64, 3, {p->batch, p->heads_q, p->seq_q, 0}, d->lse, d->sizes.lse};
    views[FILE_Q] = q;
    views[FILE_K] = k;
    views[FILE_V] = v;
    views[FILE_O] = o;
    views[FILE_O_TOL] = o;
    views[FILE_O_TOL].data = d->o_tol;
    views[FILE_LSE] = lse;
    views[FILE_LSE_TOL] = lse;
    views[FILE_LSE_TOL].data = d->lse_tol;
}

/* snprintf for paths: -1 when the result would not fit. */
static int format_path(char *out, size_t size, const char *format, ...)
    __attribute__((format(printf, 3, 4)));
static int format_path(char *out, size_t size, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    int n = vsnprintf(out, size, format, ap);
    va_end(ap);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

static int join(char *out, size_t size, const char *dir, const char *name, attn_error *err) {
    int n = snprintf(out, size, "%s/%s", dir, name);
    if (n < 0 || (size_t)n >= size)
        return attn_fail_input(err, "path too long: %s/%s", dir, name);
    return 0;
}

static int write_text(const char *path, const char *text, attn_error *err) {
    FILE *f = fopen(path, "w");
    if (!f)
        return attn_fail_internal(err, "%s: cannot create: %s", path, strerror(errno));
    int bad = fputs(text, f) < 0;
    bad |= fclose(f) != 0;
    if (bad)
        return attn_fail_internal(err, "%s: write failed: %s", path, strerror(errno));
    return 0;
}

static int write_case(const attn_case_data *data, const char *case_dir, attn_error *err) {
    if (mkdir(case_dir, 0777) != 0)
        return attn_fail_internal(err, "%s: cannot create folder: %s", case_dir, strerror(errno));
    tensor_view views[FILE_COUNT];
    describe_tensors((attn_case_data *)data, views);
    char path[4096], sums[4096] = "", hex[65], text[ATTN_CASE_STRING_MAX + 1];
    attn_case_format(&data->c, text);
    strcat(text, "\n");
    if (join(path, sizeof path, case_dir, CASE_FILE, err) || write_text(path, text, err) ||
        attn_sha256_file(path, hex, err))
        return -1;
    snprintf(sums + strlen(sums), sizeof sums - strlen(sums), "%s  %s\n", hex, CASE_FILE);
    for (int f = 0; f < FILE_COUNT; f++) {
        if (join(path, sizeof path, case_dir, file_names[f], err) ||
            attn_npy_write(path, views[f].dtype, views[f].rank, views[f].shape, views[f].data,
                           err) ||
            attn_sha256_file(path, hex, err))
            return -1;
        snprintf(sums + strlen(sums), sizeof sums - strlen(sums), "%s  %s\n", hex, file_names[f]);
    }
    return join(path, sizeof path, case_dir, SUMS_FILE, err) || write_text(path, sums, err);
}

/* Removes a golden set folder made by this module: known files, case folders, itself. */
static void remove_set(const char *dir, size_t cases) {
    char case_dir[4096], path[4096];
    for (size_t n = 1; n <= cases; n++) {
        format_path(case_dir, sizeof case_dir, "%s/case-%04zu", dir, n);
        format_path(path, sizeof path, "%s/%s", case_dir, CASE_FILE);
        unlink(path);
        format_path(path, sizeof path, "%s/%s", case_dir, SUMS_FILE);
        unlink(path);
        for (int f = 0; f < FILE_COUNT; f++) {
            format_path(path, sizeof path, "%s/%s", case_dir, file_names[f]);
            unlink(path);
        }
        rmdir(case_dir);
    }
    rmdir(dir);
}

static size_t count_cases(const char *dir) {
    size_t n = 0;
    char path[4096];
    struct stat st;
    for (;;) {
        format_path(path, sizeof path, "%s/case-%04zu", dir, n + 1);
        if (stat(path, &st) != 0)
            return n;
        n++;
    }
}

int attn_golden_write_suite(const attn_suite *suite, const char *dir,
                            void (*progress)(size_t done, size_t total), attn_error *err) {
    char staging[4096], old[4096], case_dir[4096];
    if (format_path(staging, sizeof staging, "%s.partial-%ld", dir, (long)getpid()) ||
        format_path(old, sizeof old, "%s.old-%ld", dir, (long)getpid()))
        return attn_fail_input(err, "golden folder path too long: %s", dir);
    if (mkdir(staging, 0777) != 0)
        return attn_fail_internal(err, "%s: cannot create folder: %s", staging, strerror(errno));
    for (size_t n = 0; n < suite->count; n++) {
        attn_case_data data;
        if (format_path(case_dir, sizeof case_dir, "%s/case-%04zu", staging, n + 1)) {
            remove_set(staging, n);
            return attn_fail_input(err, "golden folder path too long: %s", dir);
        }
        if (attn_case_data_compute(&suite->cases[n], &data, err)) {
            remove_set(staging, n + 1);
            return -1;
        }
        int rc = write_case(&data, case_dir, err);
        attn_case_data_free(&data);
        if (rc) {
            remove_set(staging, n + 1);
            return -1;
        }
        if (progress)
            progress(n + 1, suite->count);
    }
    struct stat st;
    bool replacing = stat(dir, &st) == 0;
    if (replacing && rename(dir, old) != 0) {
        remove_set(staging, suite->count);
        return attn_fail_internal(err, "%s: cannot move the previous set aside: %s", dir,
                                  strerror(errno));
    }
    if (rename(staging, dir) != 0) {
        int saved = errno;
        if (replacing)
            rename(old, dir);
        remove_set(staging, suite->count);
        return attn_fail_internal(err, "%s: cannot move the new set into place: %s", dir,
                                  strerror(saved));
    }
    if (replacing)
        remove_set(old, count_cases(old));
    return 0;
}

bool attn_golden_exists(const char *dir) {
    return count_cases(dir) > 0;
}

/* Position of a golden file name (FILE_COUNT for case.txt), or -1. */
static int file_slot(const char *name) {
    for (int f = 0; f < FILE_COUNT; f++)
        if (strcmp(name, file_names[f]) == 0)
            return f;
    return strcmp(name, CASE_FILE) == 0 ? FILE_COUNT : -1;
}

/* Verifies SHA256SUMS: every expected file listed once and matching. */
static int verify_sums(const char *case_dir, attn_error *err) {
    char path[4096], line[4200];
    if (join(path, sizeof path, case_dir, SUMS_FILE, err))
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return attn_fail_input(err, "%s: cannot open: %s", path, strerror(errno));
    int line_number = 0, rc = 0;
    unsigned seen = 0;
    while (rc == 0 && fgets(line, sizeof line, f)) {
        line_number++;
        char want[65], name[256], have[65];
        if (sscanf(line, "%64[0-9a-f]  %255s", want, name) != 2 || strlen(want) != 64) {
            rc = attn_fail_input(err, "%s:%d: not a sha256sum line", path, line_number);
            break;
        }
        int slot = file_slot(name);
        if (slot < 0 || (seen & (1u << slot))) {
            rc = attn_fail_input(err, "%s:%d: unexpected or repeated file '%s'", path, line_number,
                                 name);
            break;
        }
        seen |= 1u << slot;
        char file[4096];
        if (join(file, sizeof file, case_dir, name, err) || attn_sha256_file(file, have, err)) {
            rc = -1;
            break;
        }
        if (strcmp(want, have) != 0)
            rc = attn_fail_input(err,
                                 "%s: checksum mismatch (damaged or edited file): "
                                 "expected %s, found %s",
                                 file, want, have);
    }
    fclose(f);
    if (rc == 0 && seen != (1u << (FILE_COUNT + 1)) - 1)
        rc = attn_fail_input(err, "%s: does not list every golden file", path);
    return rc;
}

static int load_tensor(const char *case_dir, int f, const tensor_view *view, attn_error *err) {
    char path[4096];
    attn_array array;
    if (join(path, sizeof path, case_dir, file_names[f], err) || attn_npy_read(path, &array, err))
        return -1;
    bool same = array.dtype == view->dtype && array.rank == view->rank;
    for (int r = 0; same && r < view->rank; r++)
        same = array.shape[r] == view->shape[r];
    if (!same) {
        attn_array_free(&array);
        return attn_fail_input(err, "%s: dtype or shape does not match the case", path);
    }
    memcpy(view->data, array.data, view->count * (view->dtype == ATTN_DTYPE_F32 ? 4 : 8));
    attn_array_free(&array);
    return 0;
}

int attn_golden_load(const char *dir, size_t index, const attn_case *expected, attn_case_data *data,
                     attn_error *err) {
    char case_dir[4096], path[4096], stored[ATTN_CASE_STRING_MAX + 2] = "";
    char want[ATTN_CASE_STRING_MAX];
    if (format_path(case_dir, sizeof case_dir, "%s/case-%04zu", dir, index + 1))
        return attn_fail_input(err, "golden folder path too long: %s", dir);
    if (verify_sums(case_dir, err) || join(path, sizeof path, case_dir, CASE_FILE, err))
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return attn_fail_input(err, "%s: cannot open: %s", path, strerror(errno));
    if (!fgets(stored, sizeof stored, f))
        stored[0] = '\0';
    fclose(f);
    stored[strcspn(stored, "\n")] = '\0';
    attn_case_format(expected, want);
    if (strcmp(stored, want) != 0)
        return attn_fail_input(err,
                               "%s holds '%s' but the suite's case %zu is '%s': the golden "
                               "set is stale, regenerate it with `attnbench golden`",
                               path, stored, index + 1, want);
    if (attn_case_data_alloc(expected, data, err))
        return -1;
    tensor_view views[FILE_COUNT];
    describe_tensors(data, views);
    for (int t = 0; t < FILE_COUNT; t++)
        if (load_tensor(case_dir, t, &views[t], err)) {
            attn_case_data_free(data);
            return -1;
        }
    if (attn_check_inputs_finite("Q", data->q, data->sizes.q, err) ||
        attn_check_inputs_finite("K", data->k, data->sizes.k, err) ||
        attn_check_inputs_finite("V", data->v, data->sizes.v, err)) {
        attn_error_prefix(err, "%s", case_dir);
        attn_case_data_free(data);
        return -1;
    }
    return 0;
}

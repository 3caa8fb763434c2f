/* Golden set writing (atomic, whole set at once) and loading (checksums verified). */
#define _POSIX_C_SOURCE 200809L
#include "golden.h"

#include <dirent.h>
#include <errno.h>
#include <math.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "compare.h"
#include "element_type.h"
#include "npy.h"
#include "sha256.h"

enum { FILE_Q, FILE_K, FILE_V, FILE_O, FILE_O_TOL, FILE_LSE, FILE_LSE_TOL, FILE_COUNT };
static const char *const file_names[FILE_COUNT] = {"q.npy",     "k.npy",   "v.npy",      "o.npy",
                                                   "o_tol.npy", "lse.npy", "lse_tol.npy"};
#define CASE_FILE "case.txt"
/* The element types of the tensors (format 2): "q bf16", ..., and the contract whose bound
 * o_tol and lse_tol are. Sets of format 1 have none: everything is f32. */
#define TYPES_FILE "types.txt"
#define SUMS_FILE "SHA256SUMS"
/* In every set this module writes: what makes a folder recognisably a golden set that
 * `attnbench golden` may replace (sets written before it are recognised by their layout). */
#define MARKER_FILE "ATTNBENCH_GOLDEN_SET"
#define MARKER_TITLE_PREFIX "attnbench golden set, format "
#define MARKER_TITLE MARKER_TITLE_PREFIX "2"
#define MARKER_BODY                                                                                \
    "Written by `attnbench golden`: case-NNNN/ holds one case, checked by its SHA256SUMS.\n"       \
    "Its types.txt names the element type of q.npy, k.npy and v.npy: f32 ('<f4'), f16\n"           \
    "('<f2') or bf16, stored as the raw bits in '<u2' (numpy has no bfloat16: widen with\n"        \
    "(bits.astype(np.uint32) << 16).view(np.float32)).\n"                                          \
    "`attnbench golden` replaces this folder as a whole: keep nothing else in it.\n"               \
    "cases: "

typedef struct tensor_view {
    attn_dtype dtype;
    int rank;
    int64_t shape[4];
    void *data;
    size_t count;
} tensor_view;

/* How an input of the element type is stored in its .npy file. */
static attn_dtype stored_dtype(int type) {
    return type == ATTN_BF16 ? ATTN_DTYPE_U16 : type == ATTN_F16 ? ATTN_DTYPE_F16 : ATTN_DTYPE_F32;
}

static void describe_tensors(attn_case_data *d, tensor_view views[FILE_COUNT]) {
    const attn_problem *p = &d->c.problem;
    const tensor_view q = {stored_dtype(p->q_type),
                           4,
                           {p->batch, p->heads_q, p->seq_q, p->head_dim},
                           d->q,
                           d->sizes.q};
    const tensor_view k = {stored_dtype(p->k_type),
                           4,
                           {p->batch, p->heads_kv, p->seq_kv, p->head_dim},
                           d->k,
                           d->sizes.k};
    const tensor_view v = {stored_dtype(p->v_type),
                           4,
                           {p->batch, p->heads_kv, p->seq_kv, p->head_dim_v},
                           d->v,
                           d->sizes.v};
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

/* The text of TYPES_FILE for the case. o_tol and lse_tol are always the float32
 * contract's bound on the stored inputs (attn_case_data_compute): check recomputes them
 * for the contract an implementation declares. */
static void types_text(const attn_case_data *data, char *out, size_t size) {
    const attn_problem *p = &data->c.problem;
    snprintf(out, size, "q %s\nk %s\nv %s\no %s\ntolerance f32\n", attn_type_name(p->q_type),
             attn_type_name(p->k_type), attn_type_name(p->v_type), attn_type_name(p->o_type));
}

/* Writes an input tensor at its stored type: floats as they are, 16-bit types as their
 * encodings (the values are already representable: the generator rounded them). */
static int write_input(const char *path, const tensor_view *view, int type, attn_error *err) {
    if (view->dtype == ATTN_DTYPE_F32)
        return attn_npy_write(path, view->dtype, view->rank, view->shape, view->data, err);
    uint16_t *bits = malloc(view->count * sizeof *bits + 1);
    if (!bits)
        return attn_fail_internal(err, "out of memory writing %s", path);
    attn_store_elements(type, view->data, bits, (int64_t)view->count);
    int rc = attn_npy_write(path, view->dtype, view->rank, view->shape, bits, err);
    free(bits);
    return rc;
}

static int input_type(const attn_problem *p, int f) {
    return f == FILE_Q ? p->q_type : f == FILE_K ? p->k_type : p->v_type;
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
    char types[512];
    types_text(data, types, sizeof types);
    if (join(path, sizeof path, case_dir, TYPES_FILE, err) || write_text(path, types, err) ||
        attn_sha256_file(path, hex, err))
        return -1;
    snprintf(sums + strlen(sums), sizeof sums - strlen(sums), "%s  %s\n", hex, TYPES_FILE);
    for (int f = 0; f < FILE_COUNT; f++) {
        bool input = f == FILE_Q || f == FILE_K || f == FILE_V;
        if (join(path, sizeof path, case_dir, file_names[f], err) ||
            (input ? write_input(path, &views[f], input_type(&data->c.problem, f), err)
                   : attn_npy_write(path, views[f].dtype, views[f].rank, views[f].shape,
                                    views[f].data, err)) ||
            attn_sha256_file(path, hex, err))
            return -1;
        snprintf(sums + strlen(sums), sizeof sums - strlen(sums), "%s  %s\n", hex, file_names[f]);
    }
    return join(path, sizeof path, case_dir, SUMS_FILE, err) || write_text(path, sums, err);
}

/* "case-" and at least four digits: a case folder of a golden set. */
static bool is_case_folder_name(const char *name) {
    if (strncmp(name, "case-", 5) != 0)
        return false;
    size_t digits = strspn(name + 5, "0123456789");
    return digits >= 4 && name[5 + digits] == '\0';
}

/* A file this module writes into a case folder, or a temporary name attn_npy_write gives
 * it while writing ("q.npy.tmp-PID", "q.npy.tmp-PID-N" or the older "q.npy.tmp.PID"), left
 * behind by a killed write. */
static bool is_case_file_name(const char *name) {
    if (strcmp(name, CASE_FILE) == 0 || strcmp(name, SUMS_FILE) == 0 ||
        strcmp(name, TYPES_FILE) == 0)
        return true;
    for (int f = 0; f < FILE_COUNT; f++) {
        size_t n = strlen(file_names[f]);
        if (strncmp(name, file_names[f], n) != 0)
            continue;
        if (name[n] == '\0')
            return true;
        const char *tail = name + n + 5;
        if ((strncmp(name + n, ".tmp.", 5) == 0 || strncmp(name + n, ".tmp-", 5) == 0) && tail[0] &&
            strspn(tail, "0123456789-") == strlen(tail))
            return true;
    }
    return false;
}

static bool is_dot_entry(const char *name) {
    return strcmp(name, ".") == 0 || strcmp(name, "..") == 0;
}

/* What an existing folder holds, as far as golden sets go. */
typedef struct set_inspection {
    bool has_marker;     /* MARKER_FILE whose first line is MARKER_TITLE */
    bool has_first_sums; /* case-0001/SHA256SUMS: the layout of sets written before the marker */
    bool empty;
    char foreign[4096]; /* the first entry this module did not write, "" when none */
} set_inspection;

static bool marker_matches(const char *path) {
    char line[128] = "";
    FILE *f = fopen(path, "r");
    if (!f)
        return false;
    bool ok = fgets(line, sizeof line, f) != NULL;
    fclose(f);
    line[strcspn(line, "\n")] = '\0';
    /* any format: a set of an older attnbench is replaceable too */
    return ok && strncmp(line, MARKER_TITLE_PREFIX, strlen(MARKER_TITLE_PREFIX)) == 0;
}

/* Walks dir and its case folders; -1 (errno set) when dir cannot be read. */
static int inspect_set(const char *dir, set_inspection *out) {
    memset(out, 0, sizeof *out);
    out->empty = true;
    DIR *top = opendir(dir);
    if (!top)
        return -1;
    struct dirent *entry;
    char path[4096], inner_path[4096];
    struct stat st;
    while (!out->foreign[0] && (entry = readdir(top))) {
        if (is_dot_entry(entry->d_name))
            continue;
        out->empty = false;
        bool too_long = format_path(path, sizeof path, "%s/%s", dir, entry->d_name) != 0;
        bool is_file = !too_long && lstat(path, &st) == 0 && S_ISREG(st.st_mode);
        bool is_folder = !too_long && lstat(path, &st) == 0 && S_ISDIR(st.st_mode);
        if (strcmp(entry->d_name, MARKER_FILE) == 0 && is_file) {
            out->has_marker = marker_matches(path);
            if (!out->has_marker)
                (void)format_path(out->foreign, sizeof out->foreign, "%s (not attnbench's marker)",
                                  path);
            continue;
        }
        if (!is_case_folder_name(entry->d_name) || !is_folder) {
            (void)format_path(out->foreign, sizeof out->foreign, "%s",
                              too_long ? entry->d_name : path);
            continue;
        }
        DIR *inner = opendir(path);
        if (!inner) {
            (void)format_path(out->foreign, sizeof out->foreign, "%s (unreadable: %s)", path,
                              strerror(errno));
            continue;
        }
        struct dirent *file;
        while (!out->foreign[0] && (file = readdir(inner))) {
            if (is_dot_entry(file->d_name))
                continue;
            bool fits =
                format_path(inner_path, sizeof inner_path, "%s/%s", path, file->d_name) == 0;
            if (!fits || !is_case_file_name(file->d_name) || lstat(inner_path, &st) != 0 ||
                !S_ISREG(st.st_mode))
                (void)format_path(out->foreign, sizeof out->foreign, "%s",
                                  fits ? inner_path : file->d_name);
            else if (strcmp(entry->d_name, "case-0001") == 0 &&
                     strcmp(file->d_name, SUMS_FILE) == 0)
                out->has_first_sums = true;
        }
        closedir(inner);
    }
    closedir(top);
    return 0;
}

/* Removes a golden set folder: the files this module writes, the case folders, the marker
 * and then the folder itself. Anything else is left where it is (and with it the folder):
 * this never deletes what it did not write. */
static void remove_set(const char *dir) {
    DIR *top = opendir(dir);
    if (!top)
        return;
    struct dirent *entry;
    char path[4096], file_path[4096];
    while ((entry = readdir(top))) {
        if (is_dot_entry(entry->d_name) ||
            format_path(path, sizeof path, "%s/%s", dir, entry->d_name))
            continue;
        if (strcmp(entry->d_name, MARKER_FILE) == 0) {
            unlink(path);
            continue;
        }
        if (!is_case_folder_name(entry->d_name))
            continue;
        DIR *inner = opendir(path);
        if (!inner)
            continue;
        struct dirent *file;
        while ((file = readdir(inner)))
            if (is_case_file_name(file->d_name) &&
                format_path(file_path, sizeof file_path, "%s/%s", path, file->d_name) == 0)
                unlink(file_path);
        closedir(inner);
        rmdir(path);
    }
    closedir(top);
    rmdir(dir);
}

/* Where the set goes: out without trailing slashes, split into its parent folder and its
 * last name. Refuses what cannot name a new folder. */
static int split_target(const char *out, char *target, char *parent, char *base, size_t size,
                        attn_error *err) {
    if (!out[0])
        return attn_fail_input(err, "golden: --out is empty: name the folder to write");
    if (format_path(target, size, "%s", out))
        return attn_fail_input(err, "golden folder path too long: %s", out);
    size_t n = strlen(target);
    while (n > 1 && target[n - 1] == '/')
        target[--n] = '\0';
    const char *slash = strrchr(target, '/');
    const char *name = slash ? slash + 1 : target;
    if (strcmp(target, "/") == 0 || is_dot_entry(name))
        return attn_fail_input(err, "golden: --out %s: name the folder of the set itself, not '%s'",
                               out, strcmp(target, "/") == 0 ? "/" : name);
    snprintf(base, size, "%s", name);
    if (!slash)
        snprintf(parent, size, ".");
    else if (slash == target)
        snprintf(parent, size, "/");
    else
        snprintf(parent, size, "%.*s", (int)(slash - target), target);
    return 0;
}

/* Decides whether target may be replaced: absent, an empty folder or a golden set written
 * by attnbench. *exists tells whether there is something to move aside. */
static int check_replaceable(const char *target, bool *exists, attn_error *err) {
    struct stat st;
    *exists = false;
    if (lstat(target, &st) != 0) {
        if (errno == ENOENT)
            return 0;
        return attn_fail_input(err, "golden: --out %s: %s", target, strerror(errno));
    }
    *exists = true;
    if (S_ISLNK(st.st_mode))
        return attn_fail_input(err,
                               "golden: --out %s is a symbolic link: refusing to replace it; "
                               "give the folder it points to",
                               target);
    if (!S_ISDIR(st.st_mode))
        return attn_fail_input(err,
                               "golden: --out %s exists and is not a folder: refusing to "
                               "replace it",
                               target);
    set_inspection seen;
    if (inspect_set(target, &seen) != 0)
        return attn_fail_input(err, "golden: --out %s: cannot read the folder: %s", target,
                               strerror(errno));
    if (seen.foreign[0])
        return attn_fail_input(err,
                               "golden: --out %s is not a golden set written by attnbench (it "
                               "holds %s): refusing to replace it; choose a new folder",
                               target, seen.foreign);
    if (!seen.empty && !seen.has_marker && !seen.has_first_sums)
        return attn_fail_input(err,
                               "golden: --out %s is not a golden set written by attnbench (no "
                               "%s, no case-0001/%s): refusing to replace it; choose a new "
                               "folder",
                               target, MARKER_FILE, SUMS_FILE);
    return 0;
}

/* Removes the BASE.KIND-PID folders in parent that earlier runs left behind: those whose
 * process no longer runs (killed before it could clean up), and this process's own id
 * (reused). Only what remove_set recognises is deleted. */
static void remove_stale(const char *parent, const char *base, const char *kind) {
    char prefix[4200], path[4096];
    if (format_path(prefix, sizeof prefix, "%s.%s-", base, kind))
        return;
    DIR *folder = opendir(parent);
    if (!folder)
        return;
    size_t prefix_length = strlen(prefix);
    struct dirent *entry;
    while ((entry = readdir(folder))) {
        const char *digits = entry->d_name + prefix_length;
        if (strncmp(entry->d_name, prefix, prefix_length) != 0 || !digits[0] ||
            strspn(digits, "0123456789") != strlen(digits) || strlen(digits) > 9)
            continue;
        long pid = strtol(digits, NULL, 10);
        bool stale =
            pid == (long)getpid() || pid <= 0 || (kill((pid_t)pid, 0) != 0 && errno == ESRCH);
        if (stale && format_path(path, sizeof path, "%s/%s", parent, entry->d_name) == 0)
            remove_set(path);
    }
    closedir(folder);
}

static bool stop_requested(const volatile sig_atomic_t *stop) {
    return stop && *stop;
}

/* mkdir failures that are the user's to fix (exit 2) rather than attnbench's (exit 3). */
static bool is_user_path_error(int error_number) {
    return error_number == ENOENT || error_number == ENOTDIR || error_number == EACCES ||
           error_number == EPERM || error_number == EROFS || error_number == ENAMETOOLONG ||
           error_number == ELOOP || error_number == EEXIST;
}

int attn_golden_write_suite(const attn_suite *suite, const char *dir,
                            void (*progress)(size_t done, size_t total),
                            const volatile sig_atomic_t *stop, attn_error *err) {
    char target[4096], parent[4096], base[4096];
    char staging[4200], old[4200], case_dir[4300], marker[4300];
    for (size_t n = 0; n < suite->count; n++)
        if (suite->cases[n].problem.ragged) {
            char text[ATTN_CASE_STRING_MAX];
            attn_case_format(&suite->cases[n], text);
            return attn_fail_input(err,
                                   "case %zu '%s' is a serving case (per-sequence lengths, "
                                   "kv=): golden sets hold dense cases only; check computes "
                                   "the reference of serving cases when it runs them",
                                   n + 1, text);
        }
    if (split_target(dir, target, parent, base, sizeof target, err))
        return -1;
    if (format_path(staging, sizeof staging, "%s.partial-%ld", target, (long)getpid()) ||
        format_path(old, sizeof old, "%s.old-%ld", target, (long)getpid()))
        return attn_fail_input(err, "golden folder path too long: %s", dir);
    bool replacing;
    if (check_replaceable(target, &replacing, err))
        return -1;
    remove_stale(parent, base, "partial");
    if (mkdir(staging, 0777) != 0) {
        int saved = errno;
        if (is_user_path_error(saved))
            return attn_fail_input(err, "golden: cannot create %s beside --out %s: %s", staging,
                                   target, strerror(saved));
        return attn_fail_internal(err, "%s: cannot create folder: %s", staging, strerror(saved));
    }
    char marker_text[512];
    snprintf(marker_text, sizeof marker_text, "%s\n%s%zu\n", MARKER_TITLE, MARKER_BODY,
             suite->count);
    if (format_path(marker, sizeof marker, "%s/%s", staging, MARKER_FILE)) {
        remove_set(staging);
        return attn_fail_input(err, "golden folder path too long: %s", dir);
    }
    if (write_text(marker, marker_text, err)) {
        remove_set(staging);
        return -1;
    }
    for (size_t n = 0; n < suite->count; n++) {
        if (stop_requested(stop)) {
            remove_set(staging);
            return attn_fail_internal(err,
                                      "golden: interrupted after %zu of %zu cases; %s is "
                                      "unchanged",
                                      n, suite->count, target);
        }
        attn_case_data data;
        if (format_path(case_dir, sizeof case_dir, "%s/case-%04zu", staging, n + 1)) {
            remove_set(staging);
            return attn_fail_input(err, "golden folder path too long: %s", dir);
        }
        if (attn_case_data_compute(&suite->cases[n], &data, err)) {
            remove_set(staging);
            return -1;
        }
        if (!data.sample.full) {
            char text[ATTN_CASE_STRING_MAX];
            attn_case_format(&suite->cases[n], text);
            attn_case_data_free(&data);
            remove_set(staging);
            return attn_fail_input(err,
                                   "golden: case %zu '%s' is over %.2g multiply-adds, which check "
                                   "verifies on sampled rows; a golden set holds every row (check "
                                   "such a suite with the reference computed now)",
                                   n + 1, text, ATTN_FULL_REFERENCE_WORK);
        }
        int rc = write_case(&data, case_dir, err);
        attn_case_data_free(&data);
        if (rc) {
            remove_set(staging);
            return -1;
        }
        if (progress)
            progress(n + 1, suite->count);
    }
    /* The swap is not interrupted half-way: SIGINT and SIGTERM wait until it is done. */
    sigset_t block, saved_mask;
    sigemptyset(&block);
    sigaddset(&block, SIGINT);
    sigaddset(&block, SIGTERM);
    sigprocmask(SIG_BLOCK, &block, &saved_mask);
    int rc = 0;
    if (stop_requested(stop)) {
        remove_set(staging);
        rc = attn_fail_internal(err, "golden: interrupted after %zu of %zu cases; %s is unchanged",
                                suite->count, suite->count, target);
    } else if (replacing && rename(target, old) != 0) {
        int saved = errno;
        remove_set(staging);
        rc = attn_fail_internal(err, "%s: cannot move the previous set aside: %s", target,
                                strerror(saved));
    } else if (rename(staging, target) != 0) {
        int saved = errno;
        if (replacing)
            rename(old, target);
        remove_set(staging);
        rc = attn_fail_internal(err, "%s: cannot move the new set into place: %s", target,
                                strerror(saved));
    }
    sigprocmask(SIG_SETMASK, &saved_mask, NULL);
    if (rc)
        return rc;
    if (replacing)
        remove_set(old);
    remove_stale(parent, base, "old");
    return 0;
}

bool attn_golden_exists(const char *dir) {
    char path[4096];
    struct stat st;
    return format_path(path, sizeof path, "%s/case-0001", dir) == 0 && stat(path, &st) == 0 &&
           S_ISDIR(st.st_mode);
}

/* Position of a golden file name (FILE_COUNT for case.txt, FILE_COUNT + 1 for types.txt),
 * or -1. */
static int file_slot(const char *name) {
    for (int f = 0; f < FILE_COUNT; f++)
        if (strcmp(name, file_names[f]) == 0)
            return f;
    if (strcmp(name, CASE_FILE) == 0)
        return FILE_COUNT;
    return strcmp(name, TYPES_FILE) == 0 ? FILE_COUNT + 1 : -1;
}

/* Verifies SHA256SUMS: every expected file listed once and matching (types.txt may be
 * missing: a set of format 1); *has_types tells whether it is listed. */
static int verify_sums(const char *case_dir, bool *has_types, attn_error *err) {
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
    const unsigned types_bit = 1u << (FILE_COUNT + 1);
    *has_types = (seen & types_bit) != 0;
    if (rc == 0 && (seen & ~types_bit) != (1u << (FILE_COUNT + 1)) - 1)
        rc = attn_fail_input(err, "%s: does not list every golden file", path);
    return rc;
}

static int load_tensor(const char *case_dir, int f, const tensor_view *view, const attn_problem *p,
                       attn_error *err) {
    char path[4096];
    attn_array array;
    bool input = f == FILE_Q || f == FILE_K || f == FILE_V;
    if (join(path, sizeof path, case_dir, file_names[f], err) ||
        (input ? attn_npy_read_input(path, &array, err) : attn_npy_read(path, &array, err)))
        return -1;
    bool same = array.dtype == view->dtype && array.rank == view->rank;
    for (int r = 0; same && r < view->rank; r++)
        same = array.shape[r] == view->shape[r];
    if (!same) {
        static const char *const descr[] = {"'<f4'", "'<f8'", "'<f2'", "'<u2' (bf16 bits)"};
        attn_array_free(&array);
        return attn_fail_input(err,
                               "%s: dtype or shape does not match the case: it needs %s of "
                               "shape (%lld, %lld, %lld%s%.0lld)",
                               path, descr[view->dtype], (long long)view->shape[0],
                               (long long)view->shape[1], (long long)view->shape[2],
                               view->rank == 4 ? ", " : "",
                               view->rank == 4 ? (long long)view->shape[3] : 0LL);
    }
    if (view->dtype == ATTN_DTYPE_F16 || view->dtype == ATTN_DTYPE_U16)
        attn_load_elements(input_type(p, f), array.data, view->data, (int64_t)view->count);
    else
        memcpy(view->data, array.data, view->count * (view->dtype == ATTN_DTYPE_F32 ? 4 : 8));
    attn_array_free(&array);
    return 0;
}

/* Checks types.txt against the case's types (a set of format 1 has none: f32 only). */
static int check_types_file(const char *case_dir, bool has_types, const attn_case_data *data,
                            attn_error *err) {
    char path[4096], want[512], have[512] = "";
    const attn_problem *p = &data->c.problem;
    bool all_f32 = p->q_type == ATTN_F32 && p->k_type == ATTN_F32 && p->v_type == ATTN_F32 &&
                   p->o_type == ATTN_F32;
    if (join(path, sizeof path, case_dir, TYPES_FILE, err))
        return -1;
    if (!has_types)
        return all_f32 ? 0
                       : attn_fail_input(err,
                                         "%s: missing, and the case has reduced element types: "
                                         "regenerate the set with `attnbench golden`",
                                         path);
    FILE *f = fopen(path, "r");
    if (!f)
        return attn_fail_input(err, "%s: cannot open: %s", path, strerror(errno));
    size_t length = fread(have, 1, sizeof have - 1, f);
    fclose(f);
    have[length] = '\0';
    types_text(data, want, sizeof want);
    if (strcmp(have, want) != 0) {
        char types[64];
        attn_case_types_text(p, types, sizeof types);
        return attn_fail_input(err,
                               "%s does not describe the case's element types (%s) and "
                               "float32 tolerances: the golden set is stale or edited, "
                               "regenerate it with `attnbench golden`",
                               path, types);
    }
    return 0;
}

/* A golden value that no correct reference writes makes a damaged set: a NaN compares
 * false with everything, so every element would pass against it (and a negative or
 * infinite tolerance likewise). The reference writes finite outputs and tolerances >= 0,
 * and LSE = -inf (tolerance 0) for a row with no visible key. */
static int check_golden_values(const char *case_dir, int f, const tensor_view *view,
                               const attn_problem *problem, attn_error *err) {
    if (f == FILE_Q || f == FILE_K || f == FILE_V) { /* finite, as generated inputs are */
        const char *tensor = f == FILE_Q ? "Q" : f == FILE_K ? "K" : "V";
        if (attn_check_inputs_finite(tensor, view->data, view->count, err) == 0)
            return 0;
        attn_error_prefix(err, "%s/%s", case_dir, file_names[f]);
        return -1;
    }
    const bool is_tolerance = f == FILE_O_TOL || f == FILE_LSE_TOL;
    const bool is_lse = f == FILE_LSE || f == FILE_LSE_TOL;
    const double *x = view->data;
    for (size_t i = 0; i < view->count; i++) {
        const char *what = NULL;
        if (isnan(x[i]))
            what = "NaN";
        else if (isinf(x[i]) && !(f == FILE_LSE && x[i] < 0))
            what = x[i] < 0 ? "-inf" : "inf";
        else if (is_tolerance && x[i] < 0)
            what = "a negative tolerance";
        if (!what)
            continue;
        char position[96];
        attn_format_position(problem, is_lse, i, position, sizeof position);
        return attn_fail_input(err,
                               "%s/%s: element %zu (%s) is %s: the golden set is damaged; "
                               "regenerate it with `attnbench golden`",
                               case_dir, file_names[f], i, position, what);
    }
    return 0;
}

int attn_golden_load(const char *dir, size_t index, const attn_case *expected, attn_case_data *data,
                     attn_error *err) {
    char case_dir[4096], path[4096], stored[ATTN_CASE_STRING_MAX + 2] = "";
    char want[ATTN_CASE_STRING_MAX];
    if (format_path(case_dir, sizeof case_dir, "%s/case-%04zu", dir, index + 1))
        return attn_fail_input(err, "golden folder path too long: %s", dir);
    bool has_types = false;
    if (verify_sums(case_dir, &has_types, err) || join(path, sizeof path, case_dir, CASE_FILE, err))
        return -1;
    FILE *f = fopen(path, "r");
    if (!f)
        return attn_fail_input(err, "%s: cannot open: %s", path, strerror(errno));
    if (!fgets(stored, sizeof stored, f))
        stored[0] = '\0';
    fclose(f);
    stored[strcspn(stored, "\n")] = '\0';
    attn_case_format(expected, want);
    /* A set written by an older attnbench may print the same case differently
     * (scale=0.050000000000000003): what it parses to is what must match. */
    attn_case stored_case;
    char reformatted[ATTN_CASE_STRING_MAX] = "";
    if (attn_case_parse(stored, &stored_case, NULL) == 0)
        attn_case_format(&stored_case, reformatted);
    if (strcmp(stored, want) != 0 && strcmp(reformatted, want) != 0)
        return attn_fail_input(err,
                               "%s holds '%s' but the suite's case %zu is '%s': the golden "
                               "set is stale, regenerate it with `attnbench golden`",
                               path, stored, index + 1, want);
    if (attn_case_data_alloc(expected, data, err))
        return -1;
    if (check_types_file(case_dir, has_types, data, err)) {
        attn_case_data_free(data);
        return -1;
    }
    tensor_view views[FILE_COUNT];
    describe_tensors(data, views);
    for (int t = 0; t < FILE_COUNT; t++)
        if (load_tensor(case_dir, t, &views[t], &expected->problem, err) ||
            check_golden_values(case_dir, t, &views[t], &expected->problem, err)) {
            attn_case_data_free(data);
            return -1;
        }
    if (attn_case_data_run_plain(data, err)) {
        attn_case_data_free(data);
        return -1;
    }
    return 0;
}

/* Unit tests for RFC 4180 CSV reports (harness/core/csv.h): quoting, the file on disk after
 * open and after every append, failed appends, and a cross-check with Python's csv module. */
#define _XOPEN_SOURCE 700

#include <criterion/criterion.h>

#include <ftw.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <unistd.h>

#include "csv.h"

#define PYTHON "/usr/bin/python3"

static char dir[64];

static void make_dir(void) {
    strcpy(dir, "/tmp/attn_csv_XXXXXX");
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

TestSuite(csv, .init = make_dir, .fini = remove_dir);

static const char *path_of(const char *name) {
    static char path[2][512];
    static int next;
    char *out = path[next++ % 2];
    snprintf(out, 512, "%s/%s", dir, name);
    return out;
}

/* The whole file, NUL-terminated; *size gets its length. */
static char *slurp(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    cr_assert_not_null(f, "cannot open %s", path);
    char *text = malloc(1 << 16);
    cr_assert_not_null(text);
    size_t n = fread(text, 1, (1 << 16) - 1, f);
    fclose(f);
    text[n] = '\0';
    if (size)
        *size = n;
    return text;
}

/* The quoted form of one field. */
static void quoted(const char *field, const char *want) {
    char *buffer = NULL;
    size_t length = 0, capacity = 0;
    cr_assert_eq(attn_csv_append_field(&buffer, &length, &capacity, field), 0);
    cr_assert_not_null(buffer);
    cr_assert_eq(length, strlen(want), "field '%s': length %zu, want %zu", field, length,
                 strlen(want));
    cr_assert_str_eq(buffer, want, "field '%s'", field);
    free(buffer);
}

Test(csv, quoting) {
    quoted("plain", "plain");
    quoted("", "");
    quoted("with space", "with space");
    quoted("a,b", "\"a,b\"");
    quoted("say \"hi\"", "\"say \"\"hi\"\"\"");
    quoted("\"", "\"\"\"\"");
    quoted("line\rbreak", "\"line\rbreak\"");
    quoted("line\nbreak", "\"line\nbreak\"");
    quoted("crlf\r\n", "\"crlf\r\n\"");
    quoted("1.5e-07", "1.5e-07");
}

Test(csv, append_field_accumulates) {
    char *buffer = NULL;
    size_t length = 0, capacity = 0;
    cr_assert_eq(attn_csv_append_field(&buffer, &length, &capacity, "a"), 0);
    cr_assert_eq(attn_csv_append_field(&buffer, &length, &capacity, "b,c"), 0);
    cr_assert_str_eq(buffer, "a\"b,c\"");
    /* growth well past any initial capacity */
    char big[3000];
    memset(big, '"', sizeof big - 1);
    big[sizeof big - 1] = '\0';
    cr_assert_eq(attn_csv_append_field(&buffer, &length, &capacity, big), 0);
    cr_assert_eq(length, 6 + 2 + 2 * (sizeof big - 1));
    cr_assert_eq(strlen(buffer), length);
    cr_assert_geq(capacity, length + 1);
    free(buffer);
}

static const char *const header[] = {"impl", "note", "value"};

Test(csv, open_writes_header) {
    const char *path = path_of("report.csv");
    attn_csv csv;
    attn_error err = {0};
    cr_assert_eq(attn_csv_open(&csv, path, header, 3, &err), 0, "%s", err.message);
    size_t size;
    char *text = slurp(path, &size);
    cr_assert_str_eq(text, "impl,note,value\r\n");
    cr_assert_eq(size, 17);
    free(text);
    attn_csv_close(&csv);
    cr_assert_null(csv.text);
}

Test(csv, appends_rewrite_the_file_with_crlf) {
    const char *path = path_of("report.csv");
    attn_csv csv;
    attn_error err = {0};
    cr_assert_eq(attn_csv_open(&csv, path, header, 3, &err), 0, "%s", err.message);
    const char *const row1[] = {"naive", "plain", "1.5"};
    const char *const row2[] = {"blocked", "a, b", "say \"x\""};
    const char *const row3[] = {"omp", "", "multi\nline"};
    cr_assert_eq(attn_csv_append(&csv, row1, &err), 0, "%s", err.message);
    char *text = slurp(path, NULL);
    cr_assert_str_eq(text, "impl,note,value\r\nnaive,plain,1.5\r\n");
    free(text);
    cr_assert_eq(attn_csv_append(&csv, row2, &err), 0, "%s", err.message);
    cr_assert_eq(attn_csv_append(&csv, row3, &err), 0, "%s", err.message);
    text = slurp(path, NULL);
    cr_assert_str_eq(text, "impl,note,value\r\n"
                           "naive,plain,1.5\r\n"
                           "blocked,\"a, b\",\"say \"\"x\"\"\"\r\n"
                           "omp,,\"multi\nline\"\r\n");
    free(text);
    attn_csv_close(&csv);
    /* no temporary files left behind */
    char command[700];
    snprintf(command, sizeof command, "test $(ls -A '%s' | wc -l) -eq 1", dir);
    cr_assert_eq(system(command), 0, "stray files in %s", dir);
}

Test(csv, null_field_is_empty) {
    const char *path = path_of("nulls.csv");
    attn_csv csv;
    attn_error err = {0};
    cr_assert_eq(attn_csv_open(&csv, path, header, 3, &err), 0, "%s", err.message);
    const char *const row[] = {"x", NULL, "z"};
    cr_assert_eq(attn_csv_append(&csv, row, &err), 0, "%s", err.message);
    char *text = slurp(path, NULL);
    cr_assert_str_eq(text, "impl,note,value\r\nx,,z\r\n");
    free(text);
    attn_csv_close(&csv);
}

Test(csv, failed_append_names_path_and_keeps_rows) {
    const char *path = path_of("limited.csv");
    attn_csv csv;
    attn_error err = {0};
    cr_assert_eq(attn_csv_open(&csv, path, header, 3, &err), 0, "%s", err.message);
    const char *const row1[] = {"a", "b", "c"};
    cr_assert_eq(attn_csv_append(&csv, row1, &err), 0, "%s", err.message);
    /* a file size limit makes the next write fail part-way, as a full disk would */
    struct rlimit before, limit;
    cr_assert_eq(getrlimit(RLIMIT_FSIZE, &before), 0);
    void (*previous)(int) = signal(SIGXFSZ, SIG_IGN);
    limit = before;
    limit.rlim_cur = 40;
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &limit), 0);
    char long_field[200];
    memset(long_field, 'x', sizeof long_field - 1);
    long_field[sizeof long_field - 1] = '\0';
    const char *const row2[] = {"d", long_field, "f"};
    memset(&err, 0, sizeof err);
    int rc = attn_csv_append(&csv, row2, &err);
    cr_assert_eq(setrlimit(RLIMIT_FSIZE, &before), 0);
    signal(SIGXFSZ, previous);
    cr_assert_eq(rc, -1);
    cr_assert(strstr(err.message, path) != NULL, "message lacks %s: %s", path, err.message);
    cr_assert(strstr(err.message, "write failed") != NULL, "%s", err.message);
    /* the part-written row was cut off: the file holds the rows before it, and goes on */
    char *text = slurp(path, NULL);
    cr_assert_str_eq(text, "impl,note,value\r\na,b,c\r\n");
    free(text);
    const char *const row3[] = {"g", "h", "i"};
    cr_assert_eq(attn_csv_append(&csv, row3, &err), 0, "%s", err.message);
    text = slurp(path, NULL);
    cr_assert_str_eq(text, "impl,note,value\r\na,b,c\r\ng,h,i\r\n");
    free(text);
    attn_csv_close(&csv);
}

Test(csv, existing_report_kept_until_the_first_row) {
    const char *path = path_of("previous.csv");
    FILE *f = fopen(path, "wb");
    cr_assert_not_null(f);
    fputs("old,report\r\n1,2\r\n", f);
    fclose(f);
    attn_csv csv;
    attn_error err = {0};
    cr_assert_eq(attn_csv_open(&csv, path, header, 3, &err), 0, "%s", err.message);
    char *text = slurp(path, NULL);
    cr_assert_str_eq(text, "old,report\r\n1,2\r\n");
    free(text);
    attn_csv_close(&csv); /* abandoned without a row: the previous report stays */
    text = slurp(path, NULL);
    cr_assert_str_eq(text, "old,report\r\n1,2\r\n");
    free(text);
    cr_assert_eq(attn_csv_open(&csv, path, header, 3, &err), 0, "%s", err.message);
    const char *const row[] = {"x", "y", "z"};
    cr_assert_eq(attn_csv_append(&csv, row, &err), 0, "%s", err.message);
    text = slurp(path, NULL);
    cr_assert_str_eq(text, "impl,note,value\r\nx,y,z\r\n");
    free(text);
    /* a second writer of the same report is refused while the first holds it */
    attn_csv second;
    cr_assert_eq(attn_csv_open(&second, path, header, 3, &err), -1);
    cr_assert_eq(err.kind, ATTN_EXIT_BAD_INPUT, "%s", err.message);
    cr_assert(strstr(err.message, "another attnbench") != NULL, "%s", err.message);
    cr_assert_eq(attn_csv_finish(&csv, &err), 0, "%s", err.message);
    attn_csv_close(&csv);
}

Test(csv, open_in_missing_folder_fails) {
    char path[700];
    snprintf(path, sizeof path, "%s/no/such/folder/report.csv", dir);
    attn_csv csv;
    attn_error err = {0};
    cr_assert_eq(attn_csv_open(&csv, path, header, 3, &err), -1);
    cr_assert(strstr(err.message, path) != NULL, "message lacks %s: %s", path, err.message);
    cr_assert_null(csv.text);
}

Test(csv, python_csv_module_reads_it_back) {
    if (access(PYTHON, X_OK) != 0)
        cr_skip_test("%s not available", PYTHON);
    const char *path = path_of("py.csv");
    const char *const fields[][3] = {
        {"plain", "", "1"},
        {"comma,inside", "quote \"here\"", "cr\rhere"},
        {"lf\nhere", "crlf\r\nhere", "\"\""},
        {",", "\"", " spaced "},
    };
    attn_csv csv;
    attn_error err = {0};
    cr_assert_eq(attn_csv_open(&csv, path, header, 3, &err), 0, "%s", err.message);
    for (size_t r = 0; r < 4; r++)
        cr_assert_eq(attn_csv_append(&csv, fields[r], &err), 0, "%s", err.message);
    attn_csv_close(&csv);

    /* Python re-emits every field with non-ASCII-safe escapes via repr, one per line. */
    char command[2048];
    const char *out = path_of("py.txt");
    snprintf(command, sizeof command,
             PYTHON " -c 'import csv,sys\n"
                    "rows=list(csv.reader(open(sys.argv[1],newline=\"\"),strict=True))\n"
                    "out=open(sys.argv[2],\"w\")\n"
                    "out.write(str(len(rows))+\"\\n\")\n"
                    "[out.write(ascii(f)+\"\\n\") for r in rows for f in r]\n"
                    "out.write(\"widths \"+\" \".join(str(len(r)) for r in rows)+\"\\n\")' "
                    "'%s' '%s'",
             path, out);
    cr_assert_eq(system(command), 0, "python failed: %s", command);
    char *text = slurp(out, NULL);

    /* the same, built here */
    char want[4096];
    size_t at = 0;
    at += (size_t)snprintf(want + at, sizeof want - at, "5\n");
    const char *const *rows[5] = {header, fields[0], fields[1], fields[2], fields[3]};
    for (size_t r = 0; r < 5; r++)
        for (size_t f = 0; f < 3; f++) {
            /* ascii() of a str: single quotes unless the string holds one */
            want[at++] = '\'';
            for (const char *c = rows[r][f]; *c; c++) {
                if (*c == '\r')
                    at += (size_t)snprintf(want + at, sizeof want - at, "\\r");
                else if (*c == '\n')
                    at += (size_t)snprintf(want + at, sizeof want - at, "\\n");
                else
                    want[at++] = *c;
            }
            want[at++] = '\'';
            want[at++] = '\n';
        }
    at += (size_t)snprintf(want + at, sizeof want - at, "widths 3 3 3 3 3\n");
    cr_assert_str_eq(text, want);
    free(text);
}

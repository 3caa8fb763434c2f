/* libFuzzer target: arbitrary bytes as suite text (harness/core/suite.h).
 *
 * Every input goes through attn_suite_parse_text (as a NUL-terminated copy); it is also
 * written to a file and, for about one input in four (chosen by a hash of the input, so
 * a reproducer behaves the same every time), read back with attn_suite_load.
 *
 * Properties:
 *   - success: count > 0, every case validates, and its canonical string round-trips
 *     (fuzz_case_check.h; above 65536 cases, on an even sample of 65536 of them);
 *   - failure: a kind and a non-empty message, and nothing left allocated;
 *   - for an input without NUL bytes, parsing the text and loading the file agree: both
 *     fail, or both give the same cases.
 *
 * Includes: both ways resolve "--include=X" against a private folder made by mkdtemp at
 * start-up (the text's origin is a name inside it), which holds a few fixture files that
 * include each other, include themselves, set persistent keys, or are broken. The fuzzer
 * never changes its current directory (libFuzzer's corpus and artifact paths are relative
 * to it). An input whose include target starts with '/' or contains ".." is skipped, so
 * nothing outside the private folder is ever read (no /dev/stdin, /dev/zero, ...). */
#define _XOPEN_SOURCE 700
#include <limits.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "../../harness/core/suite.h"
#include "fuzz_case_check.h"
#include "fuzz_util.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static char folder[PATH_MAX];      /* the private include folder */
static char text_origin[PATH_MAX]; /* origin given to attn_suite_parse_text */
static char input_path[PATH_MAX];  /* where each input is written for attn_suite_load */

/* Fixture files in the private folder, reachable as --include=NAME. */
static const struct {
    const char *name, *text;
} fixtures[] = {
    {"a.suite", "# two cases\nn=3 h=2 d=8 window=global,causal\n"},
    {"b.suite", "--include=a.suite\nd=16 window=2:1 seed=7\n"},
    {"set.suite", "--h=4 --d=32 --causal=1 --dist=ties\n"},
    {"reset.suite", "--reset\n"},
    {"self.suite", "--include=self.suite\n"},
    {"ping.suite", "n=2\n--include=pong.suite\n"},
    {"pong.suite", "--include=ping.suite\n"},
    {"empty.suite", ""},
    {"comment.suite", "# nothing but a comment\n\n"},
    {"bad.suite", "n=0\n"},
    {"sub/c.suite", "--include=d.suite\n--include=../a.suite\n"},
    {"sub/d.suite", "hq=4 hkv=2 nq=5 nkv=9 window=-1:0 scale=0.25 dist=offset\n"},
};
enum { FIXTURE_COUNT = sizeof fixtures / sizeof fixtures[0] };

static void join(char *out, const char *name) {
    int n = snprintf(out, PATH_MAX, "%s/%s", folder, name);
    if (n < 0 || n >= PATH_MAX)
        abort();
}

static void cleanup(void) {
    char path[PATH_MAX];
    for (int i = 0; i < FIXTURE_COUNT; i++) {
        join(path, fixtures[i].name);
        unlink(path);
    }
    unlink(input_path);
    join(path, "sub");
    rmdir(path);
    rmdir(folder);
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
    (void)argc;
    (void)argv;
    const char *tmp = getenv("TMPDIR");
    snprintf(folder, sizeof folder, "%s/attnbench-fuzz-suite-XXXXXX",
             tmp && tmp[0] == '/' ? tmp : "/tmp");
    if (!mkdtemp(folder)) {
        perror("mkdtemp");
        abort();
    }
    char path[PATH_MAX];
    join(path, "sub");
    if (mkdir(path, 0700) != 0) {
        perror(path);
        abort();
    }
    for (int i = 0; i < FIXTURE_COUNT; i++) {
        join(path, fixtures[i].name);
        fuzz_write_file(path, (const uint8_t *)fixtures[i].text, strlen(fixtures[i].text));
    }
    join(text_origin, "memory.suite"); /* never created: only names the text */
    join(input_path, "input.suite");
    atexit(cleanup);
    return 0;
}

/* True when some "--include=" target could leave the private folder. The target ends at
 * the first blank, line end or comment, like the token the parser sees (or earlier). */
static bool include_escapes(const uint8_t *data, size_t size) {
    static const char tag[] = "--include=";
    const size_t tag_len = sizeof tag - 1;
    for (const uint8_t *at = data; (at = fuzz_find(at, size - (size_t)(at - data), tag));) {
        const uint8_t *target = at + tag_len, *end = data + size, *p = target;
        while (p < end && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n' && *p != '#' &&
               *p != '\0')
            p++;
        if (p > target && target[0] == '/')
            return true;
        for (const uint8_t *q = target; q + 1 < p; q++)
            if (q[0] == '.' && q[1] == '.')
                return true;
        at = target;
    }
    return false;
}

static uint32_t hash(const uint8_t *data, size_t size) {
    uint32_t h = 2166136261u;
    for (size_t i = 0; i < size; i++)
        h = (h ^ data[i]) * 16777619u;
    return h;
}

/* The properties of one result (the suite is freed by the caller). */
static void check_result(int rc, attn_suite *suite, const attn_error *err, const char *what) {
    if (fuzz_verbose()) {
        if (rc == 0 && suite->count > 0) {
            char first[ATTN_CASE_STRING_MAX];
            attn_case_format(&suite->cases[0], first);
            fprintf(stderr, "%s: %zu cases, the first '%s'\n", what, suite->count, first);
        } else if (rc == 0) {
            fprintf(stderr, "%s: no case\n", what);
        } else {
            fprintf(stderr, "%s: error: %s\n", what, err->message);
        }
    }
    if (rc != 0) {
        FUZZ_CHECK(rc == -1, "%s returned %d", what, rc);
        fuzz_check_error(err, what);
        FUZZ_CHECK(suite->cases == NULL && suite->count == 0,
                   "%s failed but left %zu cases allocated", what, suite->count);
        return;
    }
    FUZZ_CHECK(suite->count > 0 && suite->cases != NULL, "%s succeeded with %zu cases", what,
               suite->count);
    /* Every case validates; the round trip (a format and a parse, ~50x dearer) is checked
     * on every case of a suite of up to ROUND_TRIP_ALL cases and on an even sample of
     * about that many (first and last included) beyond, so that a 4 KB line expanding to
     * 10^6 cases measures the parser's time rather than this check's. */
    enum { ROUND_TRIP_ALL = 1 << 16 };
    size_t stride = suite->count <= ROUND_TRIP_ALL ? 1 : suite->count / ROUND_TRIP_ALL + 1;
    for (size_t i = 0; i < suite->count; i++) {
        attn_error err_case;
        fuzz_error_reset(&err_case);
        FUZZ_CHECK(attn_case_validate(&suite->cases[i], &err_case) == 0,
                   "%s: case %zu does not validate: %s", what, i, err_case.message);
        if (i % stride == 0 || i + 1 == suite->count)
            fuzz_check_case(&suite->cases[i], what);
    }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
    if (include_escapes(data, size))
        return -1; /* not kept in the corpus */

    /* Written first: the text may include "input.suite" and must then see this input. */
    fuzz_write_file(input_path, data, size);

    char *text = fuzz_strndup(data, size);
    attn_suite from_text;
    attn_error err;
    fuzz_error_reset(&err);
    int rc_text = attn_suite_parse_text(text, text_origin, &from_text, &err);
    check_result(rc_text, &from_text, &err, "attn_suite_parse_text");
    if (rc_text == 0)
        FUZZ_CHECK(from_text.path[0] == '\0', "a suite parsed from text has path '%s'",
                   from_text.path);

    if (hash(data, size) % 4 == 0) {
        attn_suite from_file;
        fuzz_error_reset(&err);
        int rc_file = attn_suite_load(input_path, &from_file, &err);
        check_result(rc_file, &from_file, &err, "attn_suite_load");
        if (rc_file == 0)
            FUZZ_CHECK(strcmp(from_file.path, input_path) == 0, "loaded suite has path '%s'",
                       from_file.path);
        if (memchr(data, '\0', size) == NULL) {
            FUZZ_CHECK((rc_text == 0) == (rc_file == 0),
                       "text and file disagree: text %s, file %s (%s)",
                       rc_text == 0 ? "accepted" : "rejected",
                       rc_file == 0 ? "accepted" : "rejected", err.message);
            if (rc_text == 0) {
                FUZZ_CHECK(from_text.count == from_file.count, "text gives %zu cases, file %zu",
                           from_text.count, from_file.count);
                for (size_t i = 0; i < from_text.count; i++)
                    FUZZ_CHECK(fuzz_same_case(&from_text.cases[i], &from_file.cases[i]),
                               "text and file differ at case %zu", i);
            }
        }
        attn_suite_free(&from_file);
    }
    attn_suite_free(&from_text);
    free(text);
    return 0;
}

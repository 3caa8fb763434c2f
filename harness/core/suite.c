/* Suite grammar: persistent settings, per-line overrides, cross products, includes. */
#define _XOPEN_SOURCE 700
#include "suite.h"

#include <errno.h>
#include <limits.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "paths.h"

#ifndef ATTN_DEFAULT_SUITES_DIR
#define ATTN_DEFAULT_SUITES_DIR "suites"
#endif

#define MAX_LINE 4096
#define MAX_INCLUDE_DEPTH 16
#define MAX_FILE_BYTES (16u << 20)
#define MAX_CASES 1000000u

/* Keys in cross-product order; aliases first so that specific keys override them. */
static const char *const keys[] = {"b",    "h",    "hq",    "hkv",    "n",      "nq",
                                   "nkv",  "d",    "dv",    "causal", "window", "scale",
                                   "seed", "dist", "types", "kv"};
enum { KEY_COUNT = sizeof keys / sizeof keys[0] };

typedef struct settings {
    char *lists[KEY_COUNT]; /* comma lists, NULL when unset */
} settings;

typedef struct parser {
    settings persistent;
    attn_suite *suite;
    size_t capacity;
    char *include_stack[MAX_INCLUDE_DEPTH + 1];
    int depth;
} parser;

const char *attn_suites_dir(void) {
    return attn_paths_suites_dir(); /* environment, install layout, source tree */
}

int attn_suite_resolve(const char *name, char *path, size_t path_size, attn_error *err) {
    int written;
    if (strchr(name, '/') || strstr(name, ".suite"))
        written = snprintf(path, path_size, "%s", name);
    else
        written = snprintf(path, path_size, "%s/%s.suite", attn_suites_dir(), name);
    if (written < 0 || (size_t)written >= path_size)
        return attn_fail_input(err, "suite name '%s' is too long", name);
    return 0;
}

static int key_index(const char *key) {
    for (int k = 0; k < KEY_COUNT; k++)
        if (strcmp(keys[k], key) == 0)
            return k;
    return -1;
}

static void settings_clear(settings *s) {
    for (int k = 0; k < KEY_COUNT; k++) {
        free(s->lists[k]);
        s->lists[k] = NULL;
    }
}

/* Marks in covered the keys that setting key replaces. */
static void mark_covered(const char *key, bool covered[KEY_COUNT]) {
    static const char *const covers[][3] = {{"h", "hq", "hkv"},
                                            {"n", "nq", "nkv"},
                                            {"causal", "window", NULL},
                                            {"window", "causal", NULL}};
    for (size_t c = 0; c < sizeof covers / sizeof covers[0]; c++) {
        if (strcmp(covers[c][0], key) != 0)
            continue;
        for (int i = 1; i < 3 && covers[c][i]; i++)
            covered[key_index(covers[c][i])] = true;
    }
}

static void clear_covered(settings *s, const char *key) {
    bool covered[KEY_COUNT] = {false};
    mark_covered(key, covered);
    for (int k = 0; k < KEY_COUNT; k++)
        if (covered[k]) {
            free(s->lists[k]);
            s->lists[k] = NULL;
        }
}

/* Validates every value of a comma list against a scratch case. */
static int check_list(const char *key, const char *list, attn_error *err) {
    const char *cursor = list;
    for (;;) {
        size_t length = strcspn(cursor, ",");
        if (length == 0)
            return attn_fail_input(err, "%s=%s: empty value in the list", key, list);
        char value[1024];
        if (length >= sizeof value)
            return attn_fail_input(err, "%s: value too long", key);
        memcpy(value, cursor, length);
        value[length] = '\0';
        attn_case scratch;
        attn_case_default(&scratch);
        if (attn_case_set(&scratch, key, value, err))
            return -1;
        if (cursor[length] == '\0')
            return 0;
        cursor += length + 1;
    }
}

/* The tokens of one line that set each field (ATTN_FIELD_ bits), to refuse a field set
 * twice among the case keys of one line ("n=3 n=5", "h=2 hq=4", "causal=1 window=2:2").
 * Among persistent keys a specific key after its alias refines it (--n=6 --nkv=10), so
 * there only the same key given twice is refused (by_key). */
typedef struct line_fields {
    bool by_key;
    const char *setter[ATTN_FIELD_COUNT];
    const char *key_setter[KEY_COUNT];
} line_fields;

static int claim_fields(line_fields *seen, const char *key, const char *token, attn_error *err) {
    if (seen->by_key) {
        const int k = key_index(key);
        if (k >= 0 && seen->key_setter[k])
            return attn_fail_input(err, "%s repeats %s on the same line: give each key once", token,
                                   seen->key_setter[k]);
        if (k >= 0)
            seen->key_setter[k] = token;
        return 0;
    }
    const unsigned fields = attn_case_key_fields(key);
    for (int f = 0; f < ATTN_FIELD_COUNT; f++) {
        if (!(fields & (1u << f)))
            continue;
        if (seen->setter[f])
            return attn_fail_input(err,
                                   "%s conflicts with %s on the same line (both set %s): give "
                                   "each field once",
                                   token, seen->setter[f], attn_case_field_name(1u << f));
        seen->setter[f] = token;
    }
    return 0;
}

static int set_key(settings *s, const char *token, line_fields *seen, const char *shown,
                   attn_error *err) {
    const char *equals = strchr(token, '=');
    if (!equals)
        return attn_fail_input(err, "'%s' is not key=value", token);
    char key[32];
    size_t length = (size_t)(equals - token);
    if (length == 0 || length >= sizeof key)
        return attn_fail_input(err, "'%s': bad key", token);
    memcpy(key, token, length);
    key[length] = '\0';
    int k = key_index(key);
    if (k < 0)
        return attn_fail_input(err,
                               "unknown key '%s' (expected b, hq, hkv, h, nq, nkv, n, d, dv, "
                               "window, causal, scale, seed, dist, types or kv)",
                               key);
    if (claim_fields(seen, key, shown, err) || check_list(key, equals + 1, err))
        return -1;
    clear_covered(s, key);
    free(s->lists[k]);
    s->lists[k] = strdup(equals + 1);
    if (!s->lists[k])
        return attn_fail_internal(err, "out of memory");
    return 0;
}

static int push_case(parser *ps, const attn_case *c, attn_error *err) {
    attn_suite *suite = ps->suite;
    if (suite->count >= MAX_CASES)
        return attn_fail_input(err, "suite expands to more than %u cases", MAX_CASES);
    if (suite->count == ps->capacity) {
        size_t capacity = ps->capacity ? 2 * ps->capacity : 64;
        attn_case *grown = realloc(suite->cases, capacity * sizeof *grown);
        if (!grown)
            return attn_fail_internal(err, "out of memory");
        suite->cases = grown;
        ps->capacity = capacity;
    }
    suite->cases[suite->count++] = *c;
    return 0;
}

/* The list item starting at cursor, up to the next comma. */
static void list_item(const char *cursor, char *out, size_t size) {
    size_t length = strcspn(cursor, ",");
    if (length >= size)
        length = size - 1;
    memcpy(out, cursor, length);
    out[length] = '\0';
}

static size_t list_length(const char *list) {
    size_t n = 1;
    for (const char *c = list; *c; c++)
        n += *c == ',';
    return n;
}

static int emit_cross_product(parser *ps, const settings *line, attn_error *err) {
    const char *lists[KEY_COUNT], *cursor[KEY_COUNT];
    size_t lengths[KEY_COUNT], position[KEY_COUNT] = {0};
    /* Keys on the line replace the persistent keys they cover (n replaces --nq). */
    bool covered[KEY_COUNT] = {false};
    for (int k = 0; k < KEY_COUNT; k++)
        if (line->lists[k])
            mark_covered(keys[k], covered);
    for (int k = 0; k < KEY_COUNT; k++) {
        lists[k] = line->lists[k] ? line->lists[k] : covered[k] ? NULL : ps->persistent.lists[k];
        lengths[k] = lists[k] ? list_length(lists[k]) : 1;
        cursor[k] = lists[k];
    }
    double line_cases = 1;
    for (int k = 0; k < KEY_COUNT; k++)
        line_cases *= (double)lengths[k];
    if ((double)ps->suite->count + line_cases > MAX_CASES)
        return attn_fail_input(err, "this line expands to %.0f cases; the suite would exceed %u",
                               line_cases, MAX_CASES);
    for (;;) {
        attn_case c;
        attn_case_default(&c);
        for (int k = 0; k < KEY_COUNT; k++) {
            if (!lists[k])
                continue;
            char value[1024];
            list_item(cursor[k], value, sizeof value);
            if (attn_case_set(&c, keys[k], value, err))
                return -1;
        }
        attn_case_finish(&c);
        if (attn_case_validate(&c, err) || attn_case_check_magnitudes(&c, err)) {
            char text[ATTN_CASE_STRING_MAX];
            attn_case_format(&c, text);
            attn_error_prefix(err, "case '%s'", text);
            return -1;
        }
        if (push_case(ps, &c, err))
            return -1;
        /* Odometer step; each cursor moves to its key's next item or back to the first. */
        int k = KEY_COUNT - 1;
        while (k >= 0 && ++position[k] == lengths[k]) {
            position[k] = 0;
            cursor[k] = lists[k];
            k--;
        }
        if (k < 0)
            return 0;
        cursor[k] = strchr(cursor[k], ',') + 1;
    }
}

static int parse_file(parser *ps, const char *path, attn_error *err);

static int include_file(parser *ps, const char *origin, const char *target, attn_error *err) {
    char path[4096];
    const char *slash = strrchr(origin, '/');
    int written;
    if (target[0] == '/' || !slash)
        written = snprintf(path, sizeof path, "%s", target);
    else
        written = snprintf(path, sizeof path, "%.*s/%s", (int)(slash - origin), origin, target);
    if (written < 0 || (size_t)written >= sizeof path)
        return attn_fail_input(err, "include path '%s' is too long", target);
    return parse_file(ps, path, err);
}

static int parse_line(parser *ps, char *line, const char *origin, attn_error *err) {
    char *comment = strchr(line, '#');
    if (comment)
        *comment = '\0';
    settings on_line = {{0}};
    line_fields persistent_seen = {.by_key = true}, case_seen = {.by_key = false};
    bool has_case_tokens = false;
    int rc = 0;
    for (char *save = NULL, *token = strtok_r(line, " \t\r", &save); token && rc == 0;
         token = strtok_r(NULL, " \t\r", &save)) {
        if (strcmp(token, "--reset") == 0) {
            settings_clear(&ps->persistent);
            persistent_seen = (line_fields){.by_key = true};
        } else if (strncmp(token, "--include=", 10) == 0) {
            if (token[10] == '\0')
                rc = attn_fail_input(err, "--include= needs a file name");
            else
                rc = include_file(ps, origin, token + 10, err);
        } else if (strncmp(token, "--", 2) == 0)
            rc = set_key(&ps->persistent, token + 2, &persistent_seen, token, err);
        else {
            has_case_tokens = true;
            rc = set_key(&on_line, token, &case_seen, token, err);
        }
    }
    if (rc == 0 && has_case_tokens)
        rc = emit_cross_product(ps, &on_line, err);
    settings_clear(&on_line);
    return rc;
}

static int parse_text(parser *ps, const char *text, size_t size, const char *origin,
                      attn_error *err) {
    size_t start = 0;
    /* A UTF-8 byte-order mark, as some editors write, is not part of the text. */
    if (size >= 3 && memcmp(text, "\xef\xbb\xbf", 3) == 0)
        start = 3;
    for (int line_number = 1; start < size; line_number++) {
        const char *newline = memchr(text + start, '\n', size - start);
        size_t length = newline ? (size_t)(newline - (text + start)) : size - start;
        if (length >= MAX_LINE)
            return attn_fail_input(err, "%s:%d: line longer than %d characters", origin,
                                   line_number, MAX_LINE - 1);
        char line[MAX_LINE];
        memcpy(line, text + start, length);
        line[length] = '\0';
        for (size_t i = 0; i < length; i++) {
            unsigned char byte = (unsigned char)line[i];
            if ((byte < 0x20 && byte != '\t' && byte != '\r') || byte >= 0x7f)
                return attn_fail_input(err,
                                       "%s:%d: unexpected byte 0x%02x at column %zu (suite "
                                       "files are plain ASCII text)",
                                       origin, line_number, byte, i + 1);
        }
        if (parse_line(ps, line, origin, err)) {
            attn_error_prefix(err, "%s:%d", origin, line_number);
            return -1;
        }
        start += length + 1;
    }
    return 0;
}

static int read_whole_file(const char *path, char **text, size_t *size, attn_error *err) {
    FILE *f = fopen(path, "rb");
    if (!f)
        return attn_fail_input(err, "%s: cannot open: %s", path, strerror(errno));
    struct stat info;
    if (fstat(fileno(f), &info) == 0 && S_ISDIR(info.st_mode)) {
        fclose(f);
        return attn_fail_input(err, "%s: is a directory, not a suite file", path);
    }
    /* grown as needed: works for pipes too, and small files stay small */
    size_t capacity = 0, length = 0;
    char *buffer = NULL;
    int rc = 0;
    for (;;) {
        if (length == capacity) {
            if (capacity > MAX_FILE_BYTES) {
                rc = attn_fail_input(err, "%s: larger than %u bytes", path, MAX_FILE_BYTES);
                break;
            }
            capacity = capacity ? 2 * capacity : 65536;
            char *grown = realloc(buffer, capacity + 1);
            if (!grown) {
                rc = attn_fail_internal(err, "out of memory reading %s", path);
                break;
            }
            buffer = grown;
        }
        size_t n = fread(buffer + length, 1, capacity - length, f);
        length += n;
        if (n == 0) {
            if (ferror(f))
                rc = attn_fail_input(err, "%s: read error: %s", path, strerror(errno));
            break;
        }
    }
    fclose(f);
    if (rc == 0 && length > MAX_FILE_BYTES)
        rc = attn_fail_input(err, "%s: larger than %u bytes", path, MAX_FILE_BYTES);
    if (rc) {
        free(buffer);
        return -1;
    }
    *text = buffer;
    *size = length;
    return 0;
}

static int parse_file(parser *ps, const char *path, attn_error *err) {
    char resolved[PATH_MAX];
    if (!realpath(path, resolved))
        return attn_fail_input(err, "%s: cannot open: %s", path, strerror(errno));
    for (int d = 0; d < ps->depth; d++)
        if (strcmp(ps->include_stack[d], resolved) == 0)
            return attn_fail_input(err, "%s: include cycle (the file includes itself)", path);
    if (ps->depth >= MAX_INCLUDE_DEPTH)
        return attn_fail_input(err, "%s: includes nested deeper than %d", path, MAX_INCLUDE_DEPTH);
    char *text = NULL;
    size_t size = 0;
    if (read_whole_file(path, &text, &size, err))
        return -1;
    ps->include_stack[ps->depth++] = resolved;
    int rc = parse_text(ps, text, size, path, err);
    ps->depth--;
    free(text);
    return rc;
}

static int run_parser(const char *text, const char *path, attn_suite *suite, attn_error *err) {
    memset(suite, 0, sizeof *suite);
    parser ps = {.suite = suite};
    int rc = text ? parse_text(&ps, text, strlen(text), path, err) : parse_file(&ps, path, err);
    settings_clear(&ps.persistent);
    if (rc == 0 && suite->count == 0)
        rc = attn_fail_input(err, "%s: the suite defines no case", path);
    if (rc) {
        attn_suite_free(suite);
        return -1;
    }
    if (!text)
        snprintf(suite->path, sizeof suite->path, "%s", path);
    return 0;
}

int attn_suite_load(const char *path, attn_suite *suite, attn_error *err) {
    return run_parser(NULL, path, suite, err);
}

int attn_suite_parse_text(const char *text, const char *origin, attn_suite *suite,
                          attn_error *err) {
    return run_parser(text, origin, suite, err);
}

void attn_suite_free(attn_suite *suite) {
    free(suite->cases);
    memset(suite, 0, sizeof *suite);
}

int attn_suite_set_types(attn_suite *suite, const char *types, attn_error *err) {
    for (size_t n = 0; n < suite->count; n++) {
        attn_case *c = &suite->cases[n];
        if (attn_case_set(c, "types", types, err) || attn_case_check_magnitudes(c, err)) {
            char text[ATTN_CASE_STRING_MAX];
            attn_case_format(c, text);
            attn_error_prefix(err, "case '%s'", text);
            return -1;
        }
    }
    return 0;
}

int attn_suite_golden_dir(const char *name, const attn_problem *types, char *dir, size_t size) {
    char suffix[64] = "";
    if (attn_case_types_text(types, suffix + 1, sizeof suffix - 1)) {
        suffix[0] = '-';
        for (char *c = suffix; *c; c++)
            if (*c == '/')
                *c = '-';
    } else {
        suffix[0] = '\0';
    }
    int n = snprintf(dir, size, "%s/golden/%s%s", attn_suites_dir(), name, suffix);
    return n < 0 || (size_t)n >= size ? -1 : 0;
}

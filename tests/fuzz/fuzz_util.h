/* Helpers shared by the libFuzzer targets in tests/fuzz/ (header only, no project code).
 *
 * FUZZ_CHECK(cond, ...) prints a diagnosis to stderr and traps when cond is false, so
 * that a violated property is reported by libFuzzer as a crash with a reproducer. */
#ifndef ATTN_FUZZ_UTIL_H
#define ATTN_FUZZ_UTIL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../../harness/core/error.h"

#define FUZZ_CHECK(cond, ...)                                                                      \
    do {                                                                                           \
        if (!(cond)) {                                                                             \
            fprintf(stderr, "fuzz property violated at %s:%d: %s\n  ", __FILE__, __LINE__, #cond); \
            fprintf(stderr, __VA_ARGS__);                                                          \
            fprintf(stderr, "\n");                                                                 \
            __builtin_trap();                                                                      \
        }                                                                                          \
    } while (0)

/* FUZZ_VERBOSE=1 in the environment makes a target print what each input gave (for
 * reading a reproducer: `FUZZ_VERBOSE=1 build-fuzz/fuzz_suite FILE`). */
static inline bool fuzz_verbose(void) {
    static int verbose = -1;
    if (verbose < 0) {
        const char *v = getenv("FUZZ_VERBOSE");
        verbose = v && v[0] && strcmp(v, "0") != 0;
    }
    return verbose;
}

/* A copy of data with a terminating NUL (the project's parsers take C strings). */
static inline char *fuzz_strndup(const uint8_t *data, size_t size) {
    char *text = malloc(size + 1);
    if (!text)
        abort();
    if (size)
        memcpy(text, data, size);
    text[size] = '\0';
    return text;
}

/* A fresh error record: kind 0 and an all-zero message, so that "left untouched" shows. */
static inline void fuzz_error_reset(attn_error *err) {
    memset(err, 0, sizeof *err);
}

/* A failed call must leave a kind and a non-empty, terminated message. */
static inline void fuzz_check_error(const attn_error *err, const char *what) {
    FUZZ_CHECK(memchr(err->message, '\0', sizeof err->message) != NULL,
               "%s failed with an unterminated message", what);
    FUZZ_CHECK(err->message[0] != '\0', "%s failed without a message (kind %d)", what, err->kind);
    FUZZ_CHECK(err->kind == ATTN_EXIT_BAD_INPUT || err->kind == ATTN_EXIT_INTERNAL,
               "%s failed with kind %d: %s", what, err->kind, err->message);
}

/* Position of needle in haystack (both with sizes), or NULL: memmem without _GNU_SOURCE. */
static inline const uint8_t *fuzz_find(const uint8_t *haystack, size_t size, const char *needle) {
    size_t n = strlen(needle);
    if (n == 0 || size < n)
        return n == 0 ? haystack : NULL;
    for (size_t i = 0; i + n <= size; i++)
        if (haystack[i] == (uint8_t)needle[0] && memcmp(haystack + i, needle, n) == 0)
            return haystack + i;
    return NULL;
}

/* Writes size bytes to path (truncating it); aborts on I/O failure, which is the
 * environment's fault, not the input's. */
static inline void fuzz_write_file(const char *path, const uint8_t *data, size_t size) {
    FILE *f = fopen(path, "wb");
    if (!f || (size && fwrite(data, 1, size, f) != size) || fclose(f) != 0) {
        perror(path);
        abort();
    }
}

/* Reads a whole file into a malloc'd buffer (size in *size); aborts on failure. */
static inline uint8_t *fuzz_read_file(const char *path, size_t *size) {
    FILE *f = fopen(path, "rb");
    if (!f) {
        perror(path);
        abort();
    }
    size_t cap = 4096, n = 0;
    uint8_t *buffer = malloc(cap);
    for (;;) {
        if (!buffer)
            abort();
        n += fread(buffer + n, 1, cap - n, f);
        if (n < cap)
            break;
        cap *= 2;
        buffer = realloc(buffer, cap);
    }
    if (ferror(f))
        abort();
    fclose(f);
    *size = n;
    return buffer;
}

#endif

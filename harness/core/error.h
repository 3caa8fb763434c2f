/* Error values for library code: a status plus a message naming what was wrong. Only
 * main decides how to exit. */
#ifndef ATTN_ERROR_H
#define ATTN_ERROR_H

#include <stddef.h>

/* Exit statuses of the CLI, also used as error kinds. */
enum {
    ATTN_EXIT_OK = 0,
    ATTN_EXIT_CHECK_FAILED = 1, /* a check failed or a regression was found */
    ATTN_EXIT_BAD_INPUT = 2,    /* bad usage or bad input */
    ATTN_EXIT_INTERNAL = 3      /* internal error (out of memory, I/O failure, bug) */
};

typedef struct attn_error {
    int kind;           /* ATTN_EXIT_BAD_INPUT or ATTN_EXIT_INTERNAL */
    char message[1024]; /* names the file, line, field or value at fault */
} attn_error;

/* Records a bad-input error in err (may be NULL) and returns -1. */
int attn_fail_input(attn_error *err, const char *format, ...) __attribute__((format(printf, 2, 3)));
/* Records an internal error (I/O, memory) in err (may be NULL) and returns -1. */
int attn_fail_internal(attn_error *err, const char *format, ...)
    __attribute__((format(printf, 2, 3)));
/* Prefixes the message already in err with "prefix: ". */
void attn_error_prefix(attn_error *err, const char *format, ...)
    __attribute__((format(printf, 2, 3)));

/* Overflow-checked size arithmetic: return -1 (and leave *out alone) on overflow (the
 * int-returning forms of checked.h's helpers). */
int attn_size_mul(size_t a, size_t b, size_t *out);
int attn_size_add(size_t a, size_t b, size_t *out);

#endif

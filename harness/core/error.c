#define _POSIX_C_SOURCE 200809L
#include "error.h"

#include <stdarg.h>
#include <stdio.h>
#include <string.h>

#include "checked.h"

static int record(attn_error *err, int kind, const char *format, va_list ap) {
    if (err) {
        err->kind = kind;
        vsnprintf(err->message, sizeof err->message, format, ap);
    }
    return -1;
}

int attn_fail_input(attn_error *err, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    record(err, ATTN_EXIT_BAD_INPUT, format, ap);
    va_end(ap);
    return -1;
}

int attn_fail_internal(attn_error *err, const char *format, ...) {
    va_list ap;
    va_start(ap, format);
    record(err, ATTN_EXIT_INTERNAL, format, ap);
    va_end(ap);
    return -1;
}

void attn_error_prefix(attn_error *err, const char *format, ...) {
    if (!err)
        return;
    char prefix[512];
    char old[sizeof err->message];
    va_list ap;
    va_start(ap, format);
    vsnprintf(prefix, sizeof prefix, format, ap);
    va_end(ap);
    memcpy(old, err->message, sizeof old);
    /* Assembled by hand: the prefix and old message together may exceed the buffer, and
     * the tail is what gets cut. */
    size_t prefix_length = strlen(prefix), old_length = strnlen(old, sizeof old - 1);
    size_t room = sizeof err->message - 1, at = 0;
    for (size_t i = 0; i < prefix_length && at < room; i++)
        err->message[at++] = prefix[i];
    for (size_t i = 0; i < 2 && at < room; i++)
        err->message[at++] = ": "[i];
    for (size_t i = 0; i < old_length && at < room; i++)
        err->message[at++] = old[i];
    err->message[at] = '\0';
}

int attn_size_mul(size_t a, size_t b, size_t *out) {
    return attn_checked_mul(a, b, out) ? 0 : -1;
}

int attn_size_add(size_t a, size_t b, size_t *out) {
    return attn_checked_add(a, b, out) ? 0 : -1;
}

/* Building a message without malloc or stdio, for code that runs in a signal handler. */
#ifndef ATTN_SIGNAL_TEXT_H
#define ATTN_SIGNAL_TEXT_H

#include <stddef.h>
#include <stdint.h>

typedef struct attn_text {
    char *out;
    size_t size; /* bytes at out */
    size_t used; /* bytes written, terminator excluded */
} attn_text;

/* Appends s, truncating at the buffer's end; the text stays terminated. */
static inline void attn_text_add(attn_text *t, const char *s) {
    if (t->size == 0)
        return;
    while (*s && t->used + 1 < t->size)
        t->out[t->used++] = *s++;
    t->out[t->used] = '\0';
}

static inline void attn_text_number(attn_text *t, uint64_t x) {
    char digits[24];
    int n = 0;
    do {
        digits[n++] = (char)('0' + x % 10);
        x /= 10;
    } while (x);
    char text[24];
    for (int i = 0; i < n; i++)
        text[i] = digits[n - 1 - i];
    text[n] = '\0';
    attn_text_add(t, text);
}

#endif

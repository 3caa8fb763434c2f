/* The workspace check every built-in's forward starts with, and the carving of a
 * workspace slice into buffers. Internal to impls/. */
#ifndef ATTN_WORKSPACE_H
#define ATTN_WORKSPACE_H

#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "attnbench.h"

/* Writes why into args->message and returns ATTN_FAILED when the workspace given is
 * smaller than needed; ATTN_OK otherwise. */
static inline int attn_workspace_check(const attn_args *args, size_t needed) {
    if (args->workspace_size >= needed && (needed == 0 || args->workspace))
        return ATTN_OK;
    snprintf(args->message, args->message_size, "workspace of %zu bytes given, %zu needed",
             args->workspace_size, needed);
    return ATTN_FAILED;
}

/* Reserves bytes (rounded up to 64) at *offset from base; returns NULL when base is NULL,
 * which is how a slice's size alone is computed. */
static inline void *attn_workspace_take(char *base, size_t *offset, size_t bytes) {
    void *at = base ? base + *offset : NULL;
    *offset += (bytes + 63) / 64 * 64;
    return at;
}

/* x limited to [lo, hi]: key indices of a row's visible range within a key tile. */
static inline int64_t attn_clamp_index(int64_t x, int64_t lo, int64_t hi) {
    return x < lo ? lo : x > hi ? hi : x;
}

#endif

/* The workspace check every built-in's forward starts with. Internal to impls/. */
#ifndef ATTN_WORKSPACE_H
#define ATTN_WORKSPACE_H

#include <stddef.h>
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

#endif

/* The table of built-in implementations, filled in one place (impls/registry.c). */
#ifndef ATTN_REGISTRY_H
#define ATTN_REGISTRY_H

#include <stddef.h>

#include "attnbench.h"

/* The implementations linked into this binary, in display order. */
const attn_impl *const *attn_registry(size_t *count);

#endif

/* Out-of-tree implementations: loading plugin libraries and the table of every
 * implementation, built-in ones first, then each plugin's in load order. */
#ifndef ATTN_PLUGIN_H
#define ATTN_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "../impls/attnbench.h"
#include "error.h"

/* Loads the library at path, validates every implementation it exports (ABI version,
 * name, functions, unique names) and adds them to the table. Errors name the library
 * and what is wrong. */
int attn_plugin_load(const char *path, attn_error *err);

/* Removes every --plugin LIB / --plugin=LIB from argv (updating *argc), loading each. */
int attn_plugin_load_from_args(int *argc, char **argv, attn_error *err);

/* Every implementation: built-in, then loaded plugins. */
const attn_impl *const *attn_all_impls(size_t *count);

/* The library an implementation came from, or NULL for a built-in one. */
const char *attn_impl_origin(const attn_impl *impl);

#endif

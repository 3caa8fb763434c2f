/* The table of every implementation a command can use: built-ins first, then each
 * plugin's in load order. A plugin library is never opened in attnbench itself: a
 * worker process (worker.h) loads it and describes its implementations, which appear
 * here as descriptors with the plugin's name, summary and capabilities (and no
 * functions: runner.h makes the calls). */
#ifndef ATTN_PLUGIN_H
#define ATTN_PLUGIN_H

#include <stdbool.h>
#include <stddef.h>

#include "attnbench.h"
#include "error.h"
#include "worker.h"

/* Starts a worker for the library at path, validates what it exports and adds its
 * implementations to the table. Errors name the library and what is wrong. */
int attn_plugin_load(const char *path, attn_error *err);

/* Removes every --plugin LIB / --plugin=LIB from argv (updating *argc), loading each. */
int attn_plugin_load_from_args(int *argc, char **argv, attn_error *err);

/* Every implementation: built-in, then loaded plugins. */
const attn_impl *const *attn_all_impls(size_t *count);

/* The library an implementation came from, or NULL for a built-in one. */
const char *attn_impl_origin(const attn_impl *impl);

/* Where the calls of an implementation go: a worker and the implementation's index in
 * it, or (worker NULL) the built-in descriptor itself. */
typedef struct attn_impl_home {
    attn_worker *worker;
    size_t index;
} attn_impl_home;
attn_impl_home attn_impl_home_of(const attn_impl *impl);
/* The index of an implementation that is in no table (a unit test's): it is called
 * in-process, like a built-in. */
#define ATTN_IMPL_UNREGISTERED ((size_t)-1)

/* From now on built-ins run in a worker of their own (--isolate). */
int attn_plugin_isolate_builtins(attn_error *err);

/* The per-call timeout of every worker (0: none). */
void attn_plugin_set_timeout(double seconds);

/* Stops every worker (their implementations are released). */
void attn_plugin_unload_all(void);

#endif

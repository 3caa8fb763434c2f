/* The implementation table: built-ins, and plugins described by their workers. */
#define _POSIX_C_SOURCE 200809L
#include "plugin.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "registry.h"
#include "impl_validate.h"

#define MAX_IMPLS 256
#define MAX_WORKERS 64
/* A plugin's load (its constructors and attnbench_plugin()) is killed after this long. */
#define LOAD_TIMEOUT_SECONDS 300.0

typedef struct impl_entry {
    const attn_impl *impl;
    const char *origin; /* library path, NULL for built-ins */
    attn_impl_home home;
} impl_entry;

static impl_entry table[MAX_IMPLS];
static const attn_impl *flat[MAX_IMPLS];
static attn_impl described[MAX_IMPLS]; /* plugin descriptors rebuilt from the workers */
static attn_wire_impl texts[MAX_IMPLS];
static size_t table_count, described_count;
static bool builtins_added;
static attn_worker *workers[MAX_WORKERS];
static char *worker_paths[MAX_WORKERS];
static size_t worker_count;
static double worker_timeout = 300.0;

static void add_builtins(void) {
    if (builtins_added)
        return;
    builtins_added = true;
    size_t count = 0;
    const attn_impl *const *builtin = attn_registry(&count);
    for (size_t n = 0; n < count && table_count < MAX_IMPLS; n++) {
        table[table_count] = (impl_entry){builtin[n], NULL, {NULL, n}};
        flat[table_count++] = builtin[n];
    }
}

const attn_impl *const *attn_all_impls(size_t *count) {
    add_builtins();
    *count = table_count;
    return flat;
}

static const impl_entry *entry_of(const attn_impl *impl) {
    for (size_t n = 0; n < table_count; n++)
        if (table[n].impl == impl)
            return &table[n];
    return NULL;
}

const char *attn_impl_origin(const attn_impl *impl) {
    const impl_entry *e = entry_of(impl);
    return e ? e->origin : NULL;
}

attn_impl_home attn_impl_home_of(const attn_impl *impl) {
    const impl_entry *e = entry_of(impl);
    attn_impl_home unregistered = {NULL, ATTN_IMPL_UNREGISTERED};
    return e ? e->home : unregistered;
}

static int name_taken(const char *library, const char *name, attn_error *err) {
    for (size_t n = 0; n < table_count; n++)
        if (strcmp(table[n].impl->name, name) == 0)
            return attn_fail_input(err, "%s: implementation name '%s' is already taken by %s",
                                   library, name,
                                   table[n].origin ? table[n].origin : "a built-in implementation");
    return 0;
}

static int add_worker(const char *path, attn_worker *w, attn_error *err) {
    if (worker_count >= MAX_WORKERS) {
        attn_worker_stop(w);
        return attn_fail_input(err, "--plugin %s: more than %d plugin libraries", path,
                               MAX_WORKERS);
    }
    worker_paths[worker_count] = strdup(path);
    workers[worker_count++] = w;
    return 0;
}

int attn_plugin_load(const char *path, attn_error *err) {
    add_builtins();
    /* dlopen searches the library path for a bare name; a plugin is a file. */
    char file[4096];
    snprintf(file, sizeof file, "%s%s", strchr(path, '/') ? "" : "./", path);
    attn_worker *w = attn_worker_start(file, LOAD_TIMEOUT_SECONDS, err);
    if (!w) {
        if (strncmp(err->message, "--plugin", 8) != 0)
            attn_error_prefix(err, "--plugin %s", path);
        return -1;
    }
    attn_worker_set_timeout(w, worker_timeout);
    const size_t count = attn_worker_impl_count(w);
    if (table_count + count > MAX_IMPLS) {
        attn_worker_stop(w);
        return attn_fail_input(err, "--plugin %s: more than %d implementations in all", path,
                               MAX_IMPLS);
    }
    const size_t first = table_count, first_described = described_count;
    for (size_t n = 0; n < count; n++) {
        const attn_wire_impl *record = attn_worker_impl(w, n);
        if (name_taken(path, record->name, err)) { /* names within the library clash too */
            table_count = first;
            described_count = first_described;
            attn_worker_stop(w);
            return -1;
        }
        texts[described_count] = *record;
        attn_impl *d = &described[described_count];
        memset(d, 0, sizeof *d);
        d->struct_size = sizeof *d;
        d->abi_minor = record->abi_minor;
        d->name = texts[described_count].name;
        d->summary = texts[described_count].summary;
        d->caps = record->caps;
        d->precisions = texts[described_count].precisions;
        d->precision_count = record->precision_count;
        described_count++;
        table[table_count] = (impl_entry){d, NULL, {w, n}};
        flat[table_count++] = d;
    }
    if (add_worker(path, w, err))
        return -1;
    for (size_t n = first; n < table_count; n++)
        table[n].origin = worker_paths[worker_count - 1];
    return 0;
}

int attn_plugin_isolate_builtins(attn_error *err) {
    add_builtins();
    attn_worker *w = attn_worker_start(NULL, worker_timeout, err);
    if (!w || add_worker("(built-ins)", w, err))
        return -1;
    for (size_t n = 0; n < table_count; n++)
        if (!table[n].origin)
            table[n].home.worker = w; /* built-in index n is the worker's index n */
    return 0;
}

void attn_plugin_set_timeout(double seconds) {
    worker_timeout = seconds;
    for (size_t n = 0; n < worker_count; n++)
        attn_worker_set_timeout(workers[n], seconds);
}

void attn_plugin_unload_all(void) {
    for (size_t n = 0; n < worker_count; n++) {
        attn_worker_stop(workers[n]);
        workers[n] = NULL;
    }
    for (size_t n = 0; n < table_count; n++)
        table[n].home.worker = NULL;
}

int attn_plugin_load_from_args(int *argc, char **argv, attn_error *err) {
    int kept = 0;
    for (int i = 0; i < *argc; i++) {
        const char *path = NULL;
        if (strcmp(argv[i], "--plugin") == 0) {
            if (i + 1 >= *argc)
                return attn_fail_input(err, "--plugin needs a library path");
            path = argv[++i];
        } else if (strncmp(argv[i], "--plugin=", 9) == 0)
            path = argv[i] + 9;
        if (!path) {
            argv[kept++] = argv[i];
            continue;
        }
        if (attn_plugin_load(path, err))
            return -1;
    }
    argv[kept] = NULL;
    *argc = kept;
    return 0;
}

/* Plugin loading with dlopen, validation, and the combined implementation table. */
#define _POSIX_C_SOURCE 200809L
#include "plugin.h"

#include <dlfcn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "../impls/registry.h"

#define MAX_IMPLS 256
#define MAX_NAME 32

typedef struct impl_entry {
    const attn_impl *impl;
    const char *origin; /* library path, NULL for built-ins */
} impl_entry;

static impl_entry table[MAX_IMPLS];
static const attn_impl *flat[MAX_IMPLS];
static size_t table_count;
static bool builtins_added;

static void add_builtins(void) {
    if (builtins_added)
        return;
    builtins_added = true;
    size_t count = 0;
    const attn_impl *const *builtin = attn_registry(&count);
    for (size_t n = 0; n < count && table_count < MAX_IMPLS; n++) {
        table[table_count] = (impl_entry){builtin[n], NULL};
        flat[table_count++] = builtin[n];
    }
}

const attn_impl *const *attn_all_impls(size_t *count) {
    add_builtins();
    *count = table_count;
    return flat;
}

const char *attn_impl_origin(const attn_impl *impl) {
    for (size_t n = 0; n < table_count; n++)
        if (table[n].impl == impl)
            return table[n].origin;
    return NULL;
}

static int validate_name(const char *library, size_t index, const char *name, attn_error *err) {
    if (!name || !name[0])
        return attn_fail_input(err, "%s: implementation %zu has no name", library, index);
    size_t length = strlen(name);
    if (length > MAX_NAME)
        return attn_fail_input(err, "%s: implementation name '%.40s...' is longer than %d", library,
                               name, MAX_NAME);
    for (size_t i = 0; i < length; i++) {
        char c = name[i];
        if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9') || c == '_'))
            return attn_fail_input(err,
                                   "%s: implementation name '%s' has '%c' at position %zu "
                                   "(names are [a-z0-9_]+)",
                                   library, name, c, i + 1);
    }
    if (strcmp(name, "reference") == 0 || strcmp(name, "all") == 0)
        return attn_fail_input(err, "%s: implementation name '%s' is reserved", library, name);
    for (size_t n = 0; n < table_count; n++)
        if (strcmp(table[n].impl->name, name) == 0)
            return attn_fail_input(err, "%s: implementation name '%s' is already taken by %s",
                                   library, name,
                                   table[n].origin ? table[n].origin : "a built-in implementation");
    return 0;
}

static int validate_impl(const char *library, size_t index, const attn_impl *impl,
                         attn_error *err) {
    if (!impl)
        return attn_fail_input(err, "%s: implementation %zu is a NULL pointer", library, index);
    if (impl->abi_version != ATTN_ABI_VERSION)
        return attn_fail_input(err,
                               "%s: implementation %zu was built for ABI version %d, this "
                               "attnbench has %d: rebuild it against this attnbench.h",
                               library, index, impl->abi_version, ATTN_ABI_VERSION);
    if (validate_name(library, index, impl->name, err))
        return -1;
    if (!impl->forward)
        return attn_fail_input(err, "%s: implementation '%s' has a NULL forward function", library,
                               impl->name);
    if (!impl->summary)
        return attn_fail_input(err, "%s: implementation '%s' has a NULL summary", library,
                               impl->name);
    if (impl->caps & ~(uint32_t)ATTN_CAP_ALL)
        return attn_fail_input(err,
                               "%s: implementation '%s' declares unknown capability bits "
                               "0x%x",
                               library, impl->name, impl->caps & ~(uint32_t)ATTN_CAP_ALL);
    return 0;
}

int attn_plugin_load(const char *path, attn_error *err) {
    add_builtins();
    /* dlopen searches the library path for a bare name; a plugin is a file. */
    char file[4096];
    snprintf(file, sizeof file, "%s%s", strchr(path, '/') ? "" : "./", path);
    void *library = dlopen(file, RTLD_NOW | RTLD_LOCAL);
    if (!library)
        return attn_fail_input(err, "--plugin %s: cannot load: %s", path, dlerror());
    attn_plugin_entry entry;
    void *symbol = dlsym(library, ATTN_PLUGIN_SYMBOL);
    memcpy(&entry, &symbol, sizeof entry);
    if (!symbol) {
        dlclose(library);
        return attn_fail_input(err,
                               "--plugin %s: the library does not export %s() (see "
                               "impls/attnbench.h)",
                               path, ATTN_PLUGIN_SYMBOL);
    }
    const attn_plugin *plugin = entry();
    int rc = 0;
    if (!plugin)
        rc = attn_fail_input(err, "--plugin %s: %s() returned NULL", path, ATTN_PLUGIN_SYMBOL);
    else if (plugin->abi_version != ATTN_ABI_VERSION)
        rc = attn_fail_input(err,
                             "--plugin %s: built for ABI version %d, this attnbench has %d: "
                             "rebuild it against this attnbench.h",
                             path, plugin->abi_version, ATTN_ABI_VERSION);
    else if (plugin->count == 0 || !plugin->impls)
        rc = attn_fail_input(err, "--plugin %s: exports no implementation", path);
    else if (table_count + plugin->count > MAX_IMPLS)
        rc = attn_fail_input(err, "--plugin %s: more than %d implementations in all", path,
                             MAX_IMPLS);
    size_t first = table_count;
    for (size_t n = 0; rc == 0 && n < plugin->count; n++) {
        rc = validate_impl(path, n, plugin->impls[n], err);
        if (rc == 0) { /* added at once so that names repeated within the library clash */
            table[table_count] = (impl_entry){plugin->impls[n], path};
            flat[table_count++] = plugin->impls[n];
        }
    }
    if (rc != 0) {
        table_count = first;
        dlclose(library);
    }
    return rc; /* the library stays loaded for the life of the process */
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

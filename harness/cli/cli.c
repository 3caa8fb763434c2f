/* Option matching and implementation selection shared by the subcommands. */
#define _POSIX_C_SOURCE 200809L
#include "cli.h"

#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "layout.h"
#include "plugin.h"

int attn_cli_value(int argc, char **argv, int *i, const char *name, const char **value,
                   attn_error *err) {
    const char *arg = argv[*i];
    size_t length = strlen(name);
    if (strncmp(arg, name, length) != 0)
        return 0;
    if (arg[length] == '=') {
        *value = arg + length + 1;
        return 1;
    }
    if (arg[length] != '\0')
        return 0;
    if (*i + 1 >= argc)
        return attn_fail_input(err, "%s needs a value", name);
    *value = argv[++*i];
    return 1;
}

bool attn_cli_flag(const char *arg, const char *name) {
    return strcmp(arg, name) == 0;
}

int attn_cli_positive(const char *option, const char *text, int *out, attn_error *err) {
    char *end = NULL;
    errno = 0;
    long value = strtol(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE || value < 1 || value > INT_MAX)
        return attn_fail_input(err, "%s %s: expected a positive integer", option, text);
    *out = (int)value;
    return 0;
}

int attn_cli_max_threads(void) {
    const int cpus = attn_cli_cpu_count();
    return cpus > ATTN_CLI_MAX_THREADS ? cpus : ATTN_CLI_MAX_THREADS;
}

int attn_cli_threads(const char *option, const char *text, int *out, attn_error *err) {
    int threads = 0;
    if (attn_cli_positive(option, text, &threads, err))
        return -1;
    if (threads > attn_cli_max_threads())
        return attn_fail_input(err,
                               "%s %s: at most %d threads (%d CPUs online); more threads than "
                               "that measure nothing and crash OpenMP runtimes",
                               option, text, attn_cli_max_threads(), attn_cli_cpu_count());
    *out = threads;
    return 0;
}

int attn_cli_thread_list(const char *option, const char *text, int **threads, size_t *count,
                         attn_error *err) {
    size_t items = 1;
    for (const char *c = text; *c; c++)
        items += *c == ',';
    *count = 0;
    *threads = malloc(items * sizeof **threads);
    if (!*threads)
        return attn_fail_internal(err, "out of memory");
    char token[32];
    for (const char *at = text;;) {
        const size_t length = strcspn(at, ",");
        if (length == 0 || length >= sizeof token)
            return attn_fail_input(err, "%s %s: expected a comma list of thread counts", option,
                                   text);
        memcpy(token, at, length);
        token[length] = '\0';
        if (attn_cli_threads(option, token, &(*threads)[(*count)++], err))
            return -1;
        if (!at[length])
            return 0;
        at += length + 1;
    }
}

static void list_names(char *out, size_t size) {
    size_t count = 0;
    const attn_impl *const *all = attn_all_impls(&count);
    out[0] = '\0';
    for (size_t n = 0; n < count; n++)
        snprintf(out + strlen(out), size - strlen(out), "%s%s", n ? ", " : "", all[n]->name);
}

int attn_cli_select_impls(const char *list, const attn_impl ***impls, size_t *count,
                          attn_error *err) {
    size_t available = 0;
    const attn_impl *const *all = attn_all_impls(&available);
    const attn_impl **chosen = malloc((available + 1) * sizeof *chosen);
    if (!chosen)
        return attn_fail_internal(err, "out of memory");
    size_t n = 0;
    if (!list || strcmp(list, "all") == 0) {
        for (size_t a = 0; a < available; a++)
            chosen[n++] = all[a];
    } else {
        const char *cursor = list;
        while (*cursor) {
            size_t length = strcspn(cursor, ",");
            const attn_impl *found = NULL;
            for (size_t a = 0; a < available; a++)
                if (strlen(all[a]->name) == length && strncmp(all[a]->name, cursor, length) == 0)
                    found = all[a];
            if (!found) {
                char names[1024];
                list_names(names, sizeof names);
                free(chosen);
                return attn_fail_input(err, "--impl: unknown implementation '%.*s' (have: %s)",
                                       (int)length, cursor, names);
            }
            bool repeated = false;
            for (size_t c = 0; c < n; c++)
                repeated |= chosen[c] == found;
            if (!repeated) {
                if (n == available) /* cannot happen: names are unique */
                    break;
                chosen[n++] = found;
            }
            cursor += length;
            if (*cursor == ',')
                cursor++;
        }
        if (n == 0) {
            free(chosen);
            return attn_fail_input(err, "--impl: empty list");
        }
    }
    *impls = chosen;
    *count = n;
    return 0;
}

int attn_cli_cpu_count(void) {
    long n = sysconf(_SC_NPROCESSORS_ONLN);
    return n > 0 ? (int)n : 1;
}

int attn_cli_report(const attn_error *err) {
    fprintf(stderr, "attnbench: %s\n", err->message);
    return err->kind ? err->kind : ATTN_EXIT_INTERNAL;
}

int attn_cli_parse(int argc, char **argv, const char *command, const attn_option *options,
                   size_t count, void (*print_help)(void), attn_error *err) {
    for (int i = 1; i < argc; i++) {
        if (attn_cli_flag(argv[i], "--help") || attn_cli_flag(argv[i], "-h")) {
            print_help();
            exit(ATTN_EXIT_OK);
        }
        const attn_option *matched = NULL;
        const char *value = NULL;
        for (size_t n = 0; n < count && !matched; n++) {
            if (options[n].is_flag) {
                if (attn_cli_flag(argv[i], options[n].name)) {
                    matched = &options[n];
                    *(bool *)matched->target = true;
                }
                continue;
            }
            int m = attn_cli_value(argc, argv, &i, options[n].name, &value, err);
            if (m < 0)
                return -1;
            if (m == 0)
                continue;
            matched = &options[n];
            if (matched->parse) {
                if (matched->parse(matched->name, value, matched->target, err))
                    return -1;
            } else
                *(const char **)matched->target = value;
        }
        if (!matched)
            return attn_fail_input(err, "%s: unknown option '%s' (see attnbench %s --help)",
                                   command, argv[i], command);
    }
    return 0;
}

int attn_cli_parse_positive(const char *option, const char *value, void *target, attn_error *err) {
    return attn_cli_positive(option, value, target, err);
}

int attn_cli_parse_threads(const char *option, const char *value, void *target, attn_error *err) {
    return attn_cli_threads(option, value, target, err);
}

int attn_cli_parse_positive_double(const char *option, const char *value, void *target,
                                   attn_error *err) {
    char *end = NULL;
    double x = strtod(value, &end);
    if (end == value || *end != '\0' || !(x > 0) || !isfinite(x))
        return attn_fail_input(err, "%s %s: expected a positive number", option, value);
    *(double *)target = x;
    return 0;
}

int attn_cli_parse_timeout(const char *option, const char *value, void *target, attn_error *err) {
    char *end = NULL;
    double x = strtod(value, &end);
    if (end == value || *end != '\0' || !(x >= 0) || !isfinite(x))
        return attn_fail_input(err,
                               "%s %s: expected seconds (a positive number, or 0 for no "
                               "timeout)",
                               option, value);
    *(double *)target = x;
    return 0;
}

int attn_cli_parse_layout(const char *option, const char *value, void *target, attn_error *err) {
    if (attn_layout_parse(value, target, err)) {
        attn_error_prefix(err, "%s", option);
        return -1;
    }
    return 0;
}

int attn_cli_parse_layouts(const char *option, const char *value, void *target, attn_error *err) {
    (void)option;
    return attn_layout_parse_list(value, target, err);
}

int attn_cli_configure_runner(bool isolate_builtins, double timeout_seconds, attn_error *err) {
    attn_plugin_set_timeout(timeout_seconds);
    return isolate_builtins ? attn_plugin_isolate_builtins(err) : 0;
}

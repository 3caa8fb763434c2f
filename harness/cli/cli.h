/* Shared pieces of the attnbench subcommands: option matching, implementation lookup. */
#ifndef ATTN_CLI_H
#define ATTN_CLI_H

#include <stdbool.h>
#include <stddef.h>

#include "attnbench.h"
#include "error.h"

/* Matches argv[*i] against --name VALUE or --name=VALUE; on a match stores the value,
 * advances *i past it and returns 1; returns 0 when it is another option and -1 (with a
 * message) when the value is missing. */
int attn_cli_value(int argc, char **argv, int *i, const char *name, const char **value,
                   attn_error *err);
/* Matches a flag without value. */
bool attn_cli_flag(const char *arg, const char *name);

/* One option of a subcommand: a flag (target is bool *), a text value (const char **), or
 * a value converted by parse (target is what parse fills). */
typedef struct attn_option {
    const char *name; /* "--impl" */
    void *target;
    int (*parse)(const char *option, const char *value, void *target, attn_error *err);
    bool is_flag;
} attn_option;

#define ATTN_FLAG(name, target)                                                                    \
    { name, target, NULL, true }
#define ATTN_TEXT(name, target)                                                                    \
    { name, target, NULL, false }
#define ATTN_VALUE(name, target, parse)                                                            \
    { name, target, parse, false }

/* Parses argv[1..argc) against options (--name VALUE and --name=VALUE). --help and -h
 * call print_help and exit 0; anything else unknown is an error naming the command. */
int attn_cli_parse(int argc, char **argv, const char *command, const attn_option *options,
                   size_t count, void (*print_help)(void), attn_error *err);

/* Value parsers for attn_option: a positive int, a positive double, seconds or 0
 * (--timeout), a layout, a comma list of layouts (a bit mask, unsigned). */
int attn_cli_parse_positive(const char *option, const char *value, void *target, attn_error *err);
int attn_cli_parse_positive_double(const char *option, const char *value, void *target,
                                   attn_error *err);
int attn_cli_parse_timeout(const char *option, const char *value, void *target, attn_error *err);
int attn_cli_parse_layout(const char *option, const char *value, void *target, attn_error *err);
int attn_cli_parse_layouts(const char *option, const char *value, void *target, attn_error *err);

/* Parses a positive int, naming the option in errors. */
int attn_cli_positive(const char *option, const char *text, int *out, attn_error *err);

/* The most threads --threads accepts: ATTN_CLI_MAX_THREADS, or the number of online CPUs
 * when that is larger. Far more threads than cores measure nothing, and OpenMP runtimes
 * crash (libgomp: a segfault at 100000) when they cannot create them. */
#define ATTN_CLI_MAX_THREADS 1024
int attn_cli_max_threads(void);
/* Parses a thread count: a positive int of at most attn_cli_max_threads(). For lists
 * (bench --threads 1,2,4), call it on each item. */
int attn_cli_threads(const char *option, const char *text, int *out, attn_error *err);
/* Parses a comma list of thread counts (each as attn_cli_threads) into *threads, malloc'd
 * (the caller frees it, also after an error). */
int attn_cli_thread_list(const char *option, const char *text, int **threads, size_t *count,
                         attn_error *err);
/* attn_option parser of a thread count (target is int *). */
int attn_cli_parse_threads(const char *option, const char *value, void *target, attn_error *err);

/* The implementations named in a comma list ("all" or NULL: every registered one), in
 * the order given. Unknown names are an error listing what exists. *impls is malloc'd. */
int attn_cli_select_impls(const char *list, const attn_impl ***impls, size_t *count,
                          attn_error *err);

/* The default per-call timeout of code in workers, seconds (--timeout). */
#define ATTN_CLI_DEFAULT_TIMEOUT 300.0
/* Applies --isolate and --timeout to the implementations' workers. */
int attn_cli_configure_runner(bool isolate_builtins, double timeout_seconds, attn_error *err);

/* Number of online processors. */
int attn_cli_cpu_count(void);

/* The subcommands; each returns an exit status. */
int attn_cmd_list(int argc, char **argv);
int attn_cmd_check(int argc, char **argv);
int attn_cmd_golden(int argc, char **argv);
int attn_cmd_run(int argc, char **argv);
int attn_cmd_bench(int argc, char **argv);

/* Prints "attnbench: message" for err on stderr and returns its exit status. */
int attn_cli_report(const attn_error *err);

#endif

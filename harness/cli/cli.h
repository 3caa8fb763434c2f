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

/* Parses a positive int, naming the option in errors. */
int attn_cli_positive(const char *option, const char *text, int *out, attn_error *err);

/* The implementations named in a comma list ("all" or NULL: every registered one), in
 * the order given. Unknown names are an error listing what exists. *impls is malloc'd. */
int attn_cli_select_impls(const char *list, const attn_impl ***impls, size_t *count,
                          attn_error *err);

/* The default per-call timeout of code in workers, seconds (--timeout). */
#define ATTN_CLI_DEFAULT_TIMEOUT 300.0
/* Parses --timeout: a positive number of seconds, or 0 for none. */
int attn_cli_timeout(const char *text, double *seconds, attn_error *err);
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

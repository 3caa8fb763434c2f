/* Running untrusted code (a plugin's forward) in a child process, so that a crash, an
 * abort or a hang is reported against that code instead of ending attnbench. */
#ifndef ATTN_ISOLATE_H
#define ATTN_ISOLATE_H

#include <stddef.h>

/* Calls work(context, result) in a forked child, which sends the result_size bytes it
 * wrote at result back through a pipe. Returns 0 with *result filled, or -1 with why
 * describing what happened to the child (signal, exit status, timeout after
 * timeout_seconds; 0 waits for ever). */
int attn_run_isolated(void (*work)(void *context, void *result), void *context, void *result,
                      size_t result_size, double timeout_seconds, char *why, size_t why_size);

#endif

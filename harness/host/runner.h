/* Calling an implementation, wherever it lives: built-ins in attnbench itself (the code
 * is ours and shares the process's thread pools with nothing foreign), plugins (and
 * built-ins under --isolate) in their worker. Either way the calls follow the contract
 * of attnbench.h: init before the first use, thread settings before forward, tensors in
 * an arena (arena.h) laid out by layout.h. */
#ifndef ATTN_RUNNER_H
#define ATTN_RUNNER_H

#include <stdbool.h>
#include <stddef.h>

#include "attnbench.h"
#include "arena.h"
#include "layout.h"

/* ATTN_OK, ATTN_UNSUPPORTED (reason in why), or -1 when the implementation could not
 * answer (init failed, it crashed or hung: why says so). */
int attn_run_supports(const attn_impl *impl, const attn_problem *p, char *why, size_t why_size);

/* Workspace and self-allocated bytes for p at threads; 0, or -1 with why. */
int attn_run_sizes(const attn_impl *impl, const attn_problem *p, int threads, size_t *workspace,
                   size_t *allocated, char *why, size_t why_size);

typedef struct attn_run_call {
    const attn_problem *problem;
    const attn_case_layout *layout;
    int threads;
    bool want_lse;
    long long count; /* forward calls, back to back */
    /* When > 0 and below the worker's timeout: a call in a worker that makes no progress
     * for this long is stopped and out->over_time set (in-process calls are not bounded). */
    double time_limit;
    /* Make the calls in a worker even for a built-in (a fresh worker of the built-ins
     * serves them), so that time_limit can stop them. */
    bool in_worker;
} attn_run_call;

typedef struct attn_run_outcome {
    bool died;            /* the worker crashed, hung or was interrupted: message says */
    bool over_time;       /* it was stopped by the call's time_limit */
    int rc;               /* when not died: the first code that was not ATTN_OK, or ATTN_OK */
    long long calls_done; /* calls that returned ATTN_OK */
    double seconds;       /* wall time of the calls, measured where they ran */
    char message[1024];   /* forward's message, or what happened to the worker */
} attn_run_outcome;

/* Makes the calls on the tensors in arena (the layout's buffers in the Q, K, V, O, LSE
 * regions, the workspace region as the workspace). */
void attn_run_forward(const attn_impl *impl, const attn_arena *arena, const attn_run_call *call,
                      attn_run_outcome *out);

/* Releases every implementation's context and stops the workers. */
void attn_runner_shutdown(void);

#endif

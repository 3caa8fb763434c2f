/* One implementation as the process that runs it holds it: its descriptor (copied up to
 * the size it declared), its context, and the calls of the interface-2 contract (init
 * once on first use, supports, sizes, batches of forward calls with the thread settings
 * made before them, release). Used in attnbench itself for built-ins and in workers. */
#ifndef ATTN_IMPL_SLOT_H
#define ATTN_IMPL_SLOT_H

#include <stdbool.h>
#include <stddef.h>

#include "attnbench.h"

typedef struct attn_impl_slot {
    const attn_impl *original; /* what the library exported (passed to init as self) */
    attn_impl impl;            /* a copy, fields past its struct_size zeroed */
    void *context;
    int state; /* 0 not initialised, 1 ready, -1 init failed */
    char failure[512];
} attn_impl_slot;

/* Copies what the implementation declared; fields it did not know stay zero. */
void attn_slot_prepare(attn_impl_slot *slot, const attn_impl *impl);

/* Where the slot writes the name of the call it is about to make ("init", "forward"),
 * so that a crash can be reported against the call; may be NULL. */
typedef struct attn_phase {
    char *text;
    size_t size;
    long long *calls; /* forward calls finished in the current batch */
} attn_phase;

/* Runs init when it has not run; returns 0, or -1 with the failure in why. */
int attn_slot_ready(attn_impl_slot *slot, const attn_phase *phase, char *why, size_t why_size);

/* ATTN_OK, ATTN_UNSUPPORTED (reason in why) or -1 when init failed (why says so). */
int attn_slot_supports(attn_impl_slot *slot, const attn_problem *p, const attn_phase *phase,
                       char *why, size_t why_size);
int attn_slot_sizes(attn_impl_slot *slot, const attn_problem *p, int threads,
                    const attn_phase *phase, size_t *workspace, size_t *allocated, char *why,
                    size_t why_size);

/* Sets the OpenMP and OpenBLAS thread counts, then calls forward count times, stopping
 * at the first call that does not return ATTN_OK. Returns that call's code (or ATTN_OK),
 * with *calls_done and *seconds (wall time of the calls made). */
int attn_slot_forward(attn_impl_slot *slot, const attn_args *args, long long count,
                      const attn_phase *phase, long long *calls_done, double *seconds);

void attn_slot_release(attn_impl_slot *slot, const attn_phase *phase);

#endif

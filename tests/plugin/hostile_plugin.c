/* Plugins that break the call contract, one fault each, selected at compile time
 * (-DFAULT=...): stray writes and reads around the tensors and the workspace, crashes in
 * every entry point, a hang. The host must report each one against the implementation
 * (and name what was hit), never crash or hang itself. Apart from its fault each computes
 * the right answer. */
#define _POSIX_C_SOURCE 200809L
#include <attnbench.h>
#include <stdio.h>
#include <time.h>

#include "test_kernel.h"

#define FAULT_LSE_NULL_WRITE 1    /* declares LSE and writes lse.data[0] even when NULL */
#define FAULT_WRITE_BEFORE_O 2    /* writes element -100 of O */
#define FAULT_WRITE_AFTER_O 3     /* writes one element past O's last element */
#define FAULT_WRITE_FAR_AFTER_O 4 /* writes element extent + 5000 of O */
#define FAULT_READ_PAST_K 5       /* reads 1024 floats past K's last element and uses it */
#define FAULT_WORKSPACE_OVERRUN 6 /* asks for 256 workspace bytes, writes byte 300 */
#define FAULT_CRASH_IN_ENTRY 7    /* attnbench_plugin() dereferences NULL */
#define FAULT_CRASH_IN_SUPPORTS 8 /* supports() dereferences NULL */
#define FAULT_CRASH_IN_INIT 9     /* init dereferences NULL */
#define FAULT_HANG 10             /* forward never returns */
#define FAULT_NO_LSE 11           /* correct, but does not declare ATTN_CAP_LSE */

#ifndef FAULT
#error "compile with -DFAULT=FAULT_..."
#endif

/* Through a volatile pointer so that the compiler keeps the access. */
static void crash(void) {
    volatile int *nowhere = NULL;
    *nowhere = 1;
}

static int hostile_init(const attn_impl *self, void **context, char *message, size_t size) {
    (void)self, (void)context, (void)message, (void)size;
    crash();
    return ATTN_OK;
}

static int hostile_supports(void *context, const attn_problem *p, char *why, size_t size) {
    (void)context, (void)p, (void)why, (void)size;
    crash();
    return ATTN_OK;
}

static size_t hostile_workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context, (void)p, (void)threads;
    return 256;
}

static int hostile_forward(void *context, const attn_args *a) {
    (void)context;
    test_kernel_forward(a);
    volatile float *o = a->o.data;
    switch (FAULT) {
    case FAULT_LSE_NULL_WRITE: {
        volatile float *lse = a->lse.data;
        lse[0] = a->lse.data ? lse[0] : 1.0f; /* harmless only when LSE was asked for */
        break;
    }
    case FAULT_WRITE_BEFORE_O:
        o[-100] = 1.0f;
        break;
    case FAULT_WRITE_AFTER_O:
        o[test_extent(&a->o)] = 1.0f;
        break;
    case FAULT_WRITE_FAR_AFTER_O:
        o[test_extent(&a->o) + 5000] = 1.0f;
        break;
    case FAULT_READ_PAST_K: {
        const volatile float *k = a->k.data;
        o[0] += 0.0f * k[test_extent(&a->k) - 1 + 1024];
        break;
    }
    case FAULT_WORKSPACE_OVERRUN: {
        volatile char *w = a->workspace;
        w[300] = 1;
        o[0] += 0.0f * (float)w[300]; /* read back past the end too */
        break;
    }
    case FAULT_HANG:
        for (;;) {
            struct timespec second = {1, 0};
            nanosleep(&second, NULL);
        }
    default:
        break;
    }
    return ATTN_OK;
}

static const attn_impl hostile = {
    ATTN_IMPL_HEADER,
    .name = "hostile",
    .summary = "a plugin that breaks the call contract (tests/plugin/hostile_plugin.c)",
    .caps = FAULT == FAULT_NO_LSE ? TEST_KERNEL_CAPS & ~ATTN_CAP_LSE : TEST_KERNEL_CAPS,
    .init = FAULT == FAULT_CRASH_IN_INIT ? hostile_init : NULL,
    .supports = FAULT == FAULT_CRASH_IN_SUPPORTS ? hostile_supports : NULL,
    .workspace_size = FAULT == FAULT_WORKSPACE_OVERRUN ? hostile_workspace_size : NULL,
    .forward = hostile_forward,
};

static const attn_impl *const impls[] = {&hostile};
static const attn_plugin plugin = {ATTN_PLUGIN_HEADER, .count = 1, .impls = impls};

ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    if (FAULT == FAULT_CRASH_IN_ENTRY)
        crash();
    return &plugin;
}

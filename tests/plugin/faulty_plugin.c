/* Plugins with one fault each, selected at compile time (-DFAULT=...), for the tests of
 * plugin loading and isolation. Each must be reported against itself, never crash
 * attnbench. */
#include <attnbench.h>
#include <stddef.h>
#include <stdint.h>

#include "test_kernel.h"

#define FAULT_NO_ENTRY 1       /* exports no attnbench_plugin */
#define FAULT_WRONG_ABI 2      /* a library built for interface 1 */
#define FAULT_DUPLICATE_NAME 3 /* takes the name of a built-in */
#define FAULT_NULL_FORWARD 4   /* descriptor without forward */
#define FAULT_BAD_NAME 5       /* name with characters outside [a-z0-9_] */
#define FAULT_CRASH 6          /* forward dereferences NULL */
#define FAULT_OUT_OF_BOUNDS 7  /* forward writes one float past the end of O */
#define FAULT_NO_IMPLS 8       /* plugin lists no implementation */

#ifndef FAULT
#error "compile with -DFAULT=FAULT_..."
#endif

static int forward(void *context, const attn_args *a) {
    (void)context;
    test_kernel_forward(a);
    if (FAULT == FAULT_CRASH) {
        volatile float *nowhere = NULL;
        *nowhere = 1.0f;
    }
    if (FAULT == FAULT_OUT_OF_BOUNDS)
        ((volatile float *)a->o.data)[test_extent(&a->o)] = 1.0f;
    return ATTN_OK;
}

static const attn_impl faulty = {
    ATTN_IMPL_HEADER,
    .name = FAULT == FAULT_DUPLICATE_NAME ? "naive"
            : FAULT == FAULT_BAD_NAME     ? "Bad Name"
                                          : "faulty",
    .summary = "a plugin with a planted fault",
    .caps = TEST_KERNEL_CAPS,
    .forward = FAULT == FAULT_NULL_FORWARD ? NULL : forward,
};

static const attn_impl *const impls[] = {&faulty};
static const attn_plugin plugin = {ATTN_PLUGIN_HEADER, .count = FAULT == FAULT_NO_IMPLS ? 0 : 1,
                                   .impls = impls};

#if FAULT == FAULT_WRONG_ABI
/* The layout interface 1 exported: one version number (1) where interface 2 keeps
 * abi_major, then a count and the implementations, each starting with its own int 1. */
typedef struct interface1_impl {
    int abi_version;
    const char *name;
    const char *summary;
    uint32_t caps;
    int (*supports)(const attn_problem *problem, char *why, size_t why_size);
    size_t (*workspace_size)(const attn_problem *problem, int threads);
    int (*forward)(const void *args);
} interface1_impl;
typedef struct interface1_plugin {
    int abi_version;
    size_t count;
    const interface1_impl *const *impls;
} interface1_plugin;
static int old_forward(const void *args) {
    (void)args;
    return ATTN_FAILED;
}
static const interface1_impl old_impl = {
    .abi_version = 1,
    .name = "faulty",
    .summary = "an interface-1 plugin",
    .caps = 0xff,
    .forward = old_forward,
};
static const interface1_impl *const old_impls[] = {&old_impl};
static const interface1_plugin old_plugin = {1, 1, old_impls};
#endif

#if FAULT == FAULT_NO_ENTRY
ATTN_PLUGIN_EXPORT const attn_plugin *something_else(void);
ATTN_PLUGIN_EXPORT const attn_plugin *something_else(void) {
    return &plugin;
}
#elif FAULT == FAULT_WRONG_ABI
ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    (void)plugin;
    return (const attn_plugin *)(const void *)&old_plugin;
}
#else
ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    return &plugin;
}
#endif

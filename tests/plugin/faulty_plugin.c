/* Plugins with one fault each, selected at compile time (-DFAULT=...), for the tests of
 * plugin loading and isolation. Each must be reported against itself, never crash
 * attnbench. */
#include <attnbench.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define FAULT_NO_ENTRY 1       /* exports no attnbench_plugin */
#define FAULT_WRONG_ABI 2      /* plugin built for another ABI version */
#define FAULT_DUPLICATE_NAME 3 /* takes the name of a built-in */
#define FAULT_NULL_FORWARD 4   /* descriptor without forward */
#define FAULT_BAD_NAME 5       /* name with characters outside [a-z0-9_] */
#define FAULT_CRASH 6          /* forward dereferences NULL */
#define FAULT_OUT_OF_BOUNDS 7  /* forward writes one float past the end of O */
#define FAULT_NO_IMPLS 8       /* plugin lists no implementation */

static int forward(const attn_args *a) {
    const attn_problem *p = a->problem;
    size_t count = (size_t)(p->batch * p->heads_q * p->seq_q * p->head_dim_v);
    memset(a->o, 0, count * sizeof *a->o);
    if (FAULT == FAULT_CRASH) {
        volatile float *nowhere = NULL;
        *nowhere = 1.0f;
    }
    if (FAULT == FAULT_OUT_OF_BOUNDS)
        a->o[count] = 1.0f;
    return ATTN_OK;
}

static const attn_impl faulty = {
    .abi_version = ATTN_ABI_VERSION,
    .name = FAULT == FAULT_DUPLICATE_NAME ? "naive"
            : FAULT == FAULT_BAD_NAME     ? "Bad Name"
                                          : "faulty",
    .summary = "a plugin with a planted fault",
    .caps = ATTN_CAP_ALL,
    .forward = FAULT == FAULT_NULL_FORWARD ? NULL : forward,
};

static const attn_impl *const impls[] = {&faulty};
static const attn_plugin plugin = {FAULT == FAULT_WRONG_ABI ? ATTN_ABI_VERSION + 1
                                                            : ATTN_ABI_VERSION,
                                   FAULT == FAULT_NO_IMPLS ? 0 : 1, impls};

#if FAULT != FAULT_NO_ENTRY
ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    return &plugin;
}
#else
ATTN_PLUGIN_EXPORT const attn_plugin *something_else(void);
ATTN_PLUGIN_EXPORT const attn_plugin *something_else(void) {
    return &plugin;
}
#endif

/* Two implementations for tests/robustness/outputs.sh: `lazy` computes O correctly but
 * for one element it never writes (O[0][0][1][2]) and returns ATTN_OK, so `run` must not
 * save the poison left there; `correct_with_a_long_name` is correct, for column widths. */
#include <attnbench.h>

#include "test_kernel.h"

static int forward(void *context, const attn_args *a) {
    (void)context;
    test_kernel_forward(a);
    /* put back what was there before the call: as if the element was never written */
    const unsigned poison = 0x7fbadbadu; /* ATTN_UNWRITTEN_BITS (harness/host/stage.h) */
    float *skipped = test_at(&a->o, 0, 0, 1, 2);
    __builtin_memcpy(skipped, &poison, sizeof poison);
    return ATTN_OK;
}

static const attn_impl lazy = {
    ATTN_IMPL_HEADER,         .name = "lazy",     .summary = "leaves one output element unwritten",
    .caps = TEST_KERNEL_CAPS, .forward = forward,
};

static int correct_forward(void *context, const attn_args *a) {
    (void)context;
    return test_kernel_forward(a);
}

static const attn_impl long_name = {
    ATTN_IMPL_HEADER,
    .name = "correct_with_a_long_name",
    .summary = "correct, with a name longer than the usual columns",
    .caps = TEST_KERNEL_CAPS,
    .forward = correct_forward,
};

static const attn_impl *const impls[] = {&lazy, &long_name};
static const attn_plugin plugin = {ATTN_PLUGIN_HEADER, .count = 2, .impls = impls};

ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    return &plugin;
}

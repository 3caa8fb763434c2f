/* A plugin whose workspace_size() is SIZE_MAX (or, with -DWORKSPACE_HUGE, more memory
 * than any machine has): attnbench must refuse to lay out such an arena with a message,
 * never hand forward a NULL workspace beside workspace_size = SIZE_MAX. forward fails
 * loudly if it ever gets one. With -DCOUNT_HUGE the plugin claims UINT32_MAX
 * implementations (the most attn_plugin.count holds): the 256 cap must refuse it. */
#include <attnbench.h>
#include <stdint.h>

#include "test_kernel.h"

static size_t limits_workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context, (void)p, (void)threads;
#ifdef WORKSPACE_HUGE
    return SIZE_MAX / 4;
#else
    return SIZE_MAX;
#endif
}

static int limits_forward(void *context, const attn_args *a) {
    (void)context;
    if (!a->workspace)
        return ATTN_FAILED; /* what the host used to do: workspace NULL, size SIZE_MAX */
    return test_kernel_forward(a);
}

static const attn_impl limits = {
    ATTN_IMPL_HEADER,
    .name = "limits_workspace_too_large",
    .summary = "asks for an unmappable workspace (tests/robustness/limits_plugin.c)",
    .caps = TEST_KERNEL_CAPS,
    .workspace_size = limits_workspace_size,
    .forward = limits_forward,
};

static const attn_impl *const impls[] = {&limits};
#ifdef COUNT_HUGE
static const attn_plugin plugin = {ATTN_PLUGIN_HEADER, .count = UINT32_MAX, .impls = impls};
#else
static const attn_plugin plugin = {ATTN_PLUGIN_HEADER, .count = 1, .impls = impls};
#endif

ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    return &plugin;
}

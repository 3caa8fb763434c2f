/* The built-in implementations. Add a line here (guarded by what CMake found) to
 * register a new one. */
#include "registry.h"

extern const attn_impl attn_impl_naive;

static const attn_impl *const builtin[] = {
    &attn_impl_naive,
};

const attn_impl *const *attn_registry(size_t *count) {
    *count = sizeof builtin / sizeof builtin[0];
    return builtin;
}

/* The built-in implementations. Add a line here (guarded by what CMake found) to
 * register a new one. */
#include "registry.h"

extern const attn_impl attn_impl_naive;
extern const attn_impl attn_impl_blocked;
extern const attn_impl attn_impl_blas;
extern const attn_impl attn_impl_omp;
extern const attn_impl attn_impl_local;
extern const attn_impl attn_impl_omp_bf16;
extern const attn_impl attn_impl_decode;

static const attn_impl *const builtin[] = {
    &attn_impl_naive, &attn_impl_blocked,  &attn_impl_blas,   &attn_impl_omp,
    &attn_impl_local, &attn_impl_omp_bf16, &attn_impl_decode,
};

const attn_impl *const *attn_registry(size_t *count) {
    *count = sizeof builtin / sizeof builtin[0];
    return builtin;
}

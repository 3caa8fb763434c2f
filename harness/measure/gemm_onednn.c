/* The bf16 and fp16 ceilings: oneDNN's matmul primitive (Debian's libdnnl-dev), which
 * runs its brgemm kernels on AVX512-BF16 and AMX. Inputs at the reduced type, output and
 * accumulation in f32, B transposed as in QK^T. Built without oneDNN, it says so. */
#include "gemm_kernel.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#ifdef ATTN_HAVE_ONEDNN
#include <oneapi/dnnl/dnnl.h>

#include "element_type.h"

typedef struct onednn_state {
    dnnl_engine_t engine;
    dnnl_stream_t stream;
    dnnl_primitive_t matmul;
    dnnl_memory_t a, b, c;
} onednn_state;

static int run_matmul(void *state) {
    const onednn_state *s = state;
    dnnl_exec_arg_t args[3] = {
        {DNNL_ARG_SRC, s->a}, {DNNL_ARG_WEIGHTS, s->b}, {DNNL_ARG_DST, s->c}};
    if (dnnl_primitive_execute(s->matmul, s->stream, 3, args) != dnnl_success)
        return -1;
    return dnnl_stream_wait(s->stream) == dnnl_success ? 0 : -1;
}

static void destroy_matmul(void *state) {
    onednn_state *s = state;
    if (!s)
        return;
    if (s->a)
        dnnl_memory_destroy(s->a);
    if (s->b)
        dnnl_memory_destroy(s->b);
    if (s->c)
        dnnl_memory_destroy(s->c);
    if (s->matmul)
        dnnl_primitive_destroy(s->matmul);
    if (s->stream)
        dnnl_stream_destroy(s->stream);
    if (s->engine)
        dnnl_engine_destroy(s->engine);
    free(s);
}

static int fill(dnnl_memory_t memory, attn_element_type type, int64_t count, int modulus) {
    uint16_t *bits = NULL;
    if (dnnl_memory_get_data_handle(memory, (void **)&bits) != dnnl_success || !bits)
        return -1;
    for (int64_t i = 0; i < count; i++) {
        float x = (float)((i % modulus) - modulus / 2) / (float)(modulus / 2);
        bits[i] = type == ATTN_BF16 ? attn_bf16_from_float(x) : attn_f16_from_float(x);
    }
    return 0;
}

static const char *status_text(dnnl_status_t status) {
    switch (status) {
    case dnnl_out_of_memory:
        return "out of memory";
    case dnnl_unimplemented:
        return "oneDNN has no matmul for this type on this CPU";
    case dnnl_invalid_arguments:
        return "oneDNN rejected the shape";
    default:
        return "oneDNN failed";
    }
}

int attn_gemm_onednn_prepare(attn_element_type type, int64_t m, int64_t n, int64_t k,
                             attn_gemm_kernel *kernel, char *why, size_t why_size) {
    const dnnl_version_t *version = dnnl_version();
    if (type != ATTN_BF16 && type != ATTN_F16) {
        snprintf(why, why_size, "the oneDNN ceiling is for bf16 and f16");
        return -1;
    }
    onednn_state *s = calloc(1, sizeof *s);
    if (!s) {
        snprintf(why, why_size, "out of memory");
        return -1;
    }
    dnnl_data_type_t data_type = type == ATTN_BF16 ? dnnl_bf16 : dnnl_f16;
    dnnl_memory_desc_t a_desc, b_desc, c_desc;
    dnnl_dims_t a_dims = {m, k}, b_dims = {k, n}, c_dims = {m, n};
    dnnl_matmul_desc_t matmul_desc;
    dnnl_primitive_desc_t primitive_desc = NULL;
    dnnl_status_t status = dnnl_engine_create(&s->engine, dnnl_cpu, 0);
    if (status == dnnl_success)
        status = dnnl_stream_create(&s->stream, s->engine, dnnl_stream_default_flags);
    if (status == dnnl_success)
        status = dnnl_memory_desc_init_by_tag(&a_desc, 2, a_dims, data_type, dnnl_ab);
    if (status == dnnl_success) /* B is N x K in memory: the (K, N) matrix in "ba" order */
        status = dnnl_memory_desc_init_by_tag(&b_desc, 2, b_dims, data_type, dnnl_ba);
    if (status == dnnl_success)
        status = dnnl_memory_desc_init_by_tag(&c_desc, 2, c_dims, dnnl_f32, dnnl_ab);
    if (status == dnnl_success)
        status = dnnl_matmul_desc_init(&matmul_desc, &a_desc, &b_desc, NULL, &c_desc);
    if (status == dnnl_success)
        status = dnnl_primitive_desc_create(&primitive_desc, &matmul_desc, NULL, s->engine, NULL);
    const char *impl_info = "?";
    if (status == dnnl_success)
        dnnl_primitive_desc_query(primitive_desc, dnnl_query_impl_info_str, 0, &impl_info);
    if (status == dnnl_success) {
        snprintf(kernel->name, sizeof kernel->name, "onednn %d.%d.%d matmul %s (%s)",
                 version->major, version->minor, version->patch, attn_type_name(type), impl_info);
        status = dnnl_primitive_create(&s->matmul, primitive_desc);
    }
    if (primitive_desc)
        dnnl_primitive_desc_destroy(primitive_desc);
    if (status == dnnl_success)
        status = dnnl_memory_create(&s->a, &a_desc, s->engine, DNNL_MEMORY_ALLOCATE);
    if (status == dnnl_success)
        status = dnnl_memory_create(&s->b, &b_desc, s->engine, DNNL_MEMORY_ALLOCATE);
    if (status == dnnl_success)
        status = dnnl_memory_create(&s->c, &c_desc, s->engine, DNNL_MEMORY_ALLOCATE);
    if (status != dnnl_success) {
        snprintf(why, why_size, "%s (oneDNN %d.%d.%d, %s matmul at %lld x %lld x %lld)",
                 status_text(status), version->major, version->minor, version->patch,
                 attn_type_name(type), (long long)m, (long long)n, (long long)k);
        destroy_matmul(s);
        return -1;
    }
    if (fill(s->a, type, m * k, 16) || fill(s->b, type, n * k, 12)) {
        snprintf(why, why_size, "oneDNN gave no buffer to fill");
        destroy_matmul(s);
        return -1;
    }
    kernel->state = s;
    kernel->run = run_matmul;
    kernel->destroy = destroy_matmul;
    return 0;
}

#else

int attn_gemm_onednn_prepare(attn_element_type type, int64_t m, int64_t n, int64_t k,
                             attn_gemm_kernel *kernel, char *why, size_t why_size) {
    (void)type, (void)m, (void)n, (void)k, (void)kernel;
    snprintf(why, why_size,
             "attnbench was built without oneDNN (install libdnnl-dev and reconfigure)");
    return -1;
}

#endif

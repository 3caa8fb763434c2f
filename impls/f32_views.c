/* Dense float32 copies of tensors of any element type. */
#include "f32_views.h"

#include "element_convert.h"

#include <math.h>

#define ANY_TYPE (ATTN_TYPE_BIT(ATTN_F32) | ATTN_TYPE_BIT(ATTN_BF16) | ATTN_TYPE_BIT(ATTN_F16))

const attn_precision attn_f32_compute_precision = {
    .struct_size = sizeof(attn_precision),
    .q_types = ANY_TYPE,
    .k_types = ANY_TYPE,
    .v_types = ANY_TYPE,
    .o_types = ANY_TYPE,
    .q_compute = ATTN_F32,
    .k_compute = ATTN_F32,
    .v_compute = ATTN_F32,
    .score = ATTN_F32,
    .prob = ATTN_F32,
    .accum = ATTN_F32,
};

bool attn_f32_views_needed(const attn_problem *p) {
    return ATTN_HAS_FIELD(p, attn_problem, o_type) &&
           (p->q_type != ATTN_F32 || p->k_type != ATTN_F32 || p->v_type != ATTN_F32 ||
            p->o_type != ATTN_F32);
}

static size_t round_up(size_t bytes) {
    return (bytes + 63) / 64 * 64;
}

static size_t tensor_bytes(const int64_t shape[4]) {
    return round_up((size_t)(shape[0] * shape[1] * shape[2] * shape[3]) * sizeof(float));
}

size_t attn_f32_views_size(const attn_problem *p) {
    if (!attn_f32_views_needed(p))
        return 0;
    /* 64 bytes of slack: the copies start at a 64-byte boundary past the kernel's part. */
    const int64_t q[4] = {p->batch, p->heads_q, p->seq_q, p->head_dim};
    const int64_t k[4] = {p->batch, p->heads_kv, p->seq_kv, p->head_dim};
    const int64_t v[4] = {p->batch, p->heads_kv, p->seq_kv, p->head_dim_v};
    const int64_t o[4] = {p->batch, p->heads_q, p->seq_q, p->head_dim_v};
    return 64 + tensor_bytes(q) + tensor_bytes(k) + tensor_bytes(v) + tensor_bytes(o);
}

static attn_tensor dense_f32(const attn_tensor *like, float *data) {
    attn_tensor t = *like;
    t.data = data;
    t.dtype = ATTN_F32;
    t.stride[3] = 1;
    t.stride[2] = t.shape[3];
    t.stride[1] = t.shape[2] * t.shape[3];
    t.stride[0] = t.shape[1] * t.shape[2] * t.shape[3];
    return t;
}

/* fp16 rows through F16C where the CPU has it: without it each _Float16 conversion is a
 * libgcc call, which made widening cost as much as the attention itself at N = 256. */
#if defined(__x86_64__) && defined(__GNUC__)
#include <cpuid.h>
#include <immintrin.h>
#define HAVE_F16C_PATH 1
__attribute__((target("avx,f16c"))) static void f16c_widen(const uint16_t *src, float *dst,
                                                           int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm256_storeu_ps(dst + i, _mm256_cvtph_ps(_mm_loadu_si128((const __m128i *)(src + i))));
    attn_elements_to_float(ATTN_F16, src + i, dst + i, n - i);
}

__attribute__((target("avx,f16c"))) static void f16c_narrow(const float *src, uint16_t *dst,
                                                            int64_t n) {
    int64_t i = 0;
    for (; i + 8 <= n; i += 8)
        _mm_storeu_si128((__m128i *)(dst + i),
                         _mm256_cvtps_ph(_mm256_loadu_ps(src + i), _MM_FROUND_TO_NEAREST_INT));
    attn_elements_from_float(ATTN_F16, src + i, dst + i, n - i);
}

static bool has_f16c(void) {
    static int known = -1;
    if (known < 0) {
        unsigned a = 0, b = 0, c = 0, d = 0;
        known =
            __builtin_cpu_supports("avx") && __get_cpuid(1, &a, &b, &c, &d) && (c & bit_F16C) != 0;
    }
    return known == 1;
}
#endif

static void widen_row(int32_t dtype, const void *src, float *dst, int64_t n) {
#ifdef HAVE_F16C_PATH
    if (dtype == ATTN_F16 && has_f16c()) {
        f16c_widen(src, dst, n);
        return;
    }
#endif
    attn_elements_to_float(dtype, src, dst, n);
}

static void narrow_row(int32_t dtype, const float *src, void *dst, int64_t n) {
#ifdef HAVE_F16C_PATH
    if (dtype == ATTN_F16 && has_f16c()) {
        f16c_narrow(src, dst, n);
        return;
    }
#endif
    attn_elements_from_float(dtype, src, dst, n);
}

static void widen(const attn_tensor *from, const attn_tensor *to) {
    for (int64_t i0 = 0; i0 < from->shape[0]; i0++)
        for (int64_t i1 = 0; i1 < from->shape[1]; i1++)
            for (int64_t i2 = 0; i2 < from->shape[2]; i2++)
                widen_row(from->dtype, attn_row(from, i0, i1, i2), attn_f32_row(to, i0, i1, i2),
                          from->shape[3]);
}

static bool copied(const attn_tensor *t, int index, bool q_and_o_only) {
    if (!q_and_o_only)
        return true;
    return (index == 0 || index == 3) && t->dtype != ATTN_F32;
}

/* The copies of Q, K, V and O (or of whichever of Q and O are not float32) in memory. */
static void make_views(const attn_args *a, void *memory, bool q_and_o_only, attn_args *f32) {
    *f32 = *a;
    char *at = memory;
    const attn_tensor *sources[4] = {&a->q, &a->k, &a->v, &a->o};
    attn_tensor *views[4] = {&f32->q, &f32->k, &f32->v, &f32->o};
    for (int t = 0; t < 4; t++) {
        if (!copied(sources[t], t, q_and_o_only))
            continue;
        *views[t] = dense_f32(sources[t], (float *)(void *)at);
        at += tensor_bytes(sources[t]->shape);
        if (t < 3)
            widen(sources[t], views[t]);
    }
    /* A row the kernel leaves unwritten must not come out as plausible numbers. */
    const attn_tensor *o = &f32->o;
    if (!copied(&a->o, 3, q_and_o_only))
        return;
    float *out = o->data;
    for (int64_t n = 0; n < o->shape[0] * o->shape[1] * o->shape[2] * o->shape[3]; n++)
        out[n] = NAN;
}

void attn_f32_views_make(const attn_args *a, void *memory, attn_args *f32) {
    make_views(a, memory, false, f32);
}

void attn_f32_views_finish(const attn_args *a, const attn_args *f32) {
    const attn_tensor *o = &a->o;
    if (f32->o.data == o->data)
        return;
    for (int64_t i0 = 0; i0 < o->shape[0]; i0++)
        for (int64_t i1 = 0; i1 < o->shape[1]; i1++)
            for (int64_t i2 = 0; i2 < o->shape[2]; i2++)
                narrow_row(o->dtype, attn_f32_row(&f32->o, i0, i1, i2), attn_row(o, i0, i1, i2),
                           o->shape[3]);
}

size_t attn_f32_qo_views_size(const attn_problem *p) {
    if (!attn_f32_views_needed(p) || (p->q_type == ATTN_F32 && p->o_type == ATTN_F32))
        return 0;
    /* a ragged problem's queries are packed: [1][Hq][total_q][D] */
    const int64_t batch = p->ragged ? 1 : p->batch, rows = p->ragged ? p->total_q : p->seq_q;
    const int64_t q[4] = {batch, p->heads_q, rows, p->head_dim};
    const int64_t o[4] = {batch, p->heads_q, rows, p->head_dim_v};
    return 64 + (p->q_type != ATTN_F32 ? tensor_bytes(q) : 0) +
           (p->o_type != ATTN_F32 ? tensor_bytes(o) : 0);
}

const attn_args *attn_f32_qo_views_begin(const attn_args *a, size_t kernel_bytes, attn_args *f32) {
    if (attn_f32_qo_views_size(a->problem) == 0)
        return a;
    make_views(a, (char *)a->workspace + round_up(kernel_bytes), true, f32);
    f32->workspace = a->workspace;
    f32->workspace_size = kernel_bytes;
    return f32;
}

void attn_widen_rows(int32_t dtype, const void *src, int64_t src_stride, int64_t rows,
                     int64_t width, float *dst) {
    const size_t row_bytes = (size_t)src_stride * (dtype == ATTN_F32 ? 4 : 2);
    for (int64_t r = 0; r < rows; r++)
        widen_row(dtype, (const char *)src + (size_t)r * row_bytes, dst + r * width, width);
}

const attn_args *attn_f32_views_begin(const attn_args *a, size_t kernel_bytes, attn_args *f32) {
    if (!attn_f32_views_needed(a->problem))
        return a;
    attn_f32_views_make(a, (char *)a->workspace + round_up(kernel_bytes), f32);
    f32->workspace = a->workspace;
    f32->workspace_size = kernel_bytes;
    return f32;
}

void attn_f32_views_end(const attn_args *a, const attn_args *used) {
    if (used != a)
        attn_f32_views_finish(a, used);
}

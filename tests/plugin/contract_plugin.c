/* Emulations of precision contracts, as a plugin (impls/include/attnbench.h only): each
 * implementation rounds where its `actual` contract says (inputs converted, each dot
 * product addition, probabilities, each accumulation, the output) and declares either the
 * same contract (it must pass on every case) or a wider one than it computes (it must
 * fail: it rounds more than it declares). Plain two-pass rows, keys in order. */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#include "attnbench.h"

#define ANY (ATTN_TYPE_BIT(ATTN_F32) | ATTN_TYPE_BIT(ATTN_BF16) | ATTN_TYPE_BIT(ATTN_F16))
#define F32_ONLY ATTN_TYPE_BIT(ATTN_F32)

static float round_bf16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    if ((bits & 0x7fffffffu) > 0x7f800000u)
        return x;
    bits = (bits + 0x7fffu + ((bits >> 16) & 1u)) & 0xffff0000u;
    memcpy(&x, &bits, sizeof x);
    return x;
}

/* fp16 by arithmetic (no _Float16, which not every compiler has): the nearest multiple
 * of the binade's spacing, 2^(e - 10) with e >= -14, ties to even (nearbyint's default). */
static float round_f16(float x) {
    if (!isfinite(x) || x == 0.0f)
        return x;
    int exponent;
    frexpf(x, &exponent); /* |x| in [2^(exponent - 1), 2^exponent) */
    const int unit = (exponent - 1 > -14 ? exponent - 1 : -14) - 10;
    const float rounded = ldexpf(nearbyintf(ldexpf(x, -unit)), unit);
    return fabsf(rounded) > 65504.0f ? copysignf(INFINITY, x) : rounded;
}

static float round_to(float x, int32_t type) {
    switch (type) {
    case ATTN_BF16:
        return round_bf16(x);
    case ATTN_F16:
        return round_f16(x);
    default:
        return x;
    }
}

static float f16_value(uint16_t bits) {
    const int exponent = (bits >> 10) & 0x1f, fraction = bits & 0x3ff;
    const float magnitude = exponent == 0x1f ? (fraction ? NAN : INFINITY)
                            : exponent == 0  ? ldexpf((float)fraction, -24)
                                             : ldexpf((float)(fraction | 0x400), exponent - 25);
    return bits & 0x8000 ? -magnitude : magnitude;
}

/* The bits of an fp16 value (x already rounded to fp16). */
static uint16_t f16_bits(float x) {
    const uint16_t sign = signbit(x) ? 0x8000 : 0;
    const float a = fabsf(x);
    if (isnan(a))
        return 0x7e00;
    if (isinf(a))
        return (uint16_t)(sign | 0x7c00);
    if (a < 0x1p-14f)
        return (uint16_t)(sign | (uint16_t)ldexpf(a, 24));
    int exponent;
    const float fraction = frexpf(a, &exponent); /* [0.5, 1) */
    return (uint16_t)(sign | (exponent + 14) << 10 | ((uint16_t)ldexpf(fraction, 11) & 0x3ff));
}

static float load(const attn_tensor *t, const void *row, int64_t c) {
    if (t->dtype == ATTN_F32)
        return ((const float *)row)[c];
    uint16_t bits = ((const uint16_t *)row)[c];
    if (t->dtype == ATTN_F16)
        return f16_value(bits);
    const uint32_t wide = (uint32_t)bits << 16;
    float x;
    memcpy(&x, &wide, sizeof x);
    return x;
}

static void store(const attn_tensor *t, void *row, int64_t c, float x) {
    if (t->dtype == ATTN_F32) {
        ((float *)row)[c] = x;
        return;
    }
    const float rounded = round_to(x, t->dtype);
    uint16_t bits;
    if (t->dtype == ATTN_F16) {
        bits = f16_bits(rounded);
    } else {
        uint32_t wide;
        memcpy(&wide, &rounded, sizeof wide);
        bits = (uint16_t)(wide >> 16);
    }
    ((uint16_t *)row)[c] = bits;
}

static void *row_of(const attn_tensor *t, int64_t b, int64_t h, int64_t i) {
    const size_t size = t->dtype == ATTN_F32 ? 4 : 2;
    return (char *)t->data +
           (b * t->stride[0] + h * t->stride[1] + i * t->stride[2]) * (int64_t)size;
}

static int supports(void *context, const attn_problem *p, char *why, size_t size) {
    (void)context;
    if (p->seq_kv > 65536) {
        snprintf(why, size, "rows of more than 65536 keys");
        return ATTN_UNSUPPORTED;
    }
    return ATTN_OK;
}

static size_t workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context;
    (void)threads;
    return (size_t)p->seq_kv * sizeof(float);
}

/* The row computation of contract `actual` (the context). */
static int forward(void *context, const attn_args *a) {
    const attn_precision *actual = context;
    const attn_problem *p = a->problem;
    float *weight = a->workspace;
    const int64_t group = p->heads_q / p->heads_kv;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->heads_q; h++)
            for (int64_t i = 0; i < p->seq_q; i++) {
                int64_t first, last;
                attn_visible_keys(p, i, &first, &last);
                const void *q = row_of(&a->q, b, h, i);
                void *o = row_of(&a->o, b, h, i);
                float max = -INFINITY;
                for (int64_t j = first; j < last; j++) {
                    const void *k = row_of(&a->k, b, h / group, j);
                    float dot = 0.0f;
                    for (int64_t c = 0; c < p->head_dim; c++)
                        dot = round_to(dot + round_to(load(&a->q, q, c), actual->q_compute) *
                                                 round_to(load(&a->k, k, c), actual->k_compute),
                                       actual->score);
                    weight[j] = round_to((float)p->scale * dot, actual->score);
                    max = weight[j] > max ? weight[j] : max;
                }
                float total = 0.0f;
                for (int64_t j = first; j < last; j++) {
                    const float e = expf(round_to(weight[j] - max, actual->score));
                    total = round_to(total + e, actual->accum);
                    weight[j] = round_to(e, actual->prob);
                }
                for (int64_t c = 0; c < p->head_dim_v; c++) {
                    float sum = 0.0f;
                    for (int64_t j = first; j < last; j++) {
                        const void *v = row_of(&a->v, b, h / group, j);
                        sum = round_to(sum + weight[j] *
                                                 round_to(load(&a->v, v, c), actual->v_compute),
                                       actual->accum);
                    }
                    store(&a->o, o, c, first < last ? sum / total : 0.0f);
                }
                if (a->lse.data)
                    *(float *)row_of(&a->lse, b, h, i) =
                        first < last ? max + logf(total) : -INFINITY;
            }
    return ATTN_OK;
}

#define CONTRACT(qt, kt, vt, ot, qc, kc, vc, s, pr, ac)                                            \
    { sizeof(attn_precision), qt, kt, vt, ot, qc, kc, vc, s, pr, ac }

/* What each emulation computes, and what it declares. */
static const attn_precision all_f32 =
    CONTRACT(ANY, ANY, ANY, ANY, ATTN_F32, ATTN_F32, ATTN_F32, ATTN_F32, ATTN_F32, ATTN_F32);
/* llama.cpp's CPU configuration on f32 tensors: K and V rounded to fp16 inside. */
static const attn_precision kv_f16 = CONTRACT(F32_ONLY, F32_ONLY, F32_ONLY, ANY, ATTN_F32, ATTN_F16,
                                              ATTN_F16, ATTN_F32, ATTN_F32, ATTN_F32);
static const attn_precision kv_f16_as_f32 = CONTRACT(
    F32_ONLY, F32_ONLY, F32_ONLY, ANY, ATTN_F32, ATTN_F32, ATTN_F32, ATTN_F32, ATTN_F32, ATTN_F32);
/* FlashAttention: P rounded to the input type before the PV product. */
static const attn_precision fa_bf16 =
    CONTRACT(ANY, ANY, ANY, ANY, ATTN_F32, ATTN_F32, ATTN_F32, ATTN_F32, ATTN_BF16, ATTN_F32);
/* ggml's decode path: Q rounded to fp16, V accumulated in fp16. */
static const attn_precision decode_f16 =
    CONTRACT(ANY, ANY, ANY, ANY, ATTN_F16, ATTN_F16, ATTN_F16, ATTN_F32, ATTN_F32, ATTN_F16);
/* fp16 accumulators, fp16 scores. */
static const attn_precision half_all =
    CONTRACT(ANY, ANY, ANY, ANY, ATTN_F16, ATTN_F16, ATTN_F16, ATTN_F16, ATTN_F16, ATTN_F16);

#define EMULATION(id, actual_contract, declared)                                                   \
    static const attn_impl id = {ATTN_IMPL_HEADER,                                                 \
                                 .name = #id,                                                      \
                                 .summary = "emulation of a precision contract (test)",            \
                                 .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL |         \
                                         ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL | ATTN_CAP_DV_DIFFERS | \
                                         ATTN_CAP_LSE | ATTN_CAP_CUSTOM_SCALE | ATTN_CAP_STRIDES,  \
                                 .user_data = (void *)&actual_contract,                            \
                                 .supports = supports,                                             \
                                 .workspace_size = workspace_size,                                 \
                                 .forward = forward,                                               \
                                 .precisions = &declared,                                          \
                                 .precision_count = 1}

/* Declared as computed: must pass. */
EMULATION(emu_f32, all_f32, all_f32);
EMULATION(emu_kv_f16, kv_f16, kv_f16);
EMULATION(emu_fa_bf16, fa_bf16, fa_bf16);
EMULATION(emu_decode_f16, decode_f16, decode_f16);
EMULATION(emu_half, half_all, half_all);
/* Rounding more than declared: must fail. */
EMULATION(lie_kv_f16, kv_f16, kv_f16_as_f32);
EMULATION(lie_fa_bf16, fa_bf16, all_f32);
EMULATION(lie_accum_f16, decode_f16, kv_f16);
EMULATION(lie_half, half_all, decode_f16);

static const attn_impl *const impls[] = {&emu_f32,        &emu_kv_f16,    &emu_fa_bf16,
                                         &emu_decode_f16, &emu_half,      &lie_kv_f16,
                                         &lie_fa_bf16,    &lie_accum_f16, &lie_half};
static const attn_plugin plugin = {ATTN_PLUGIN_HEADER, .count = sizeof impls / sizeof impls[0],
                                   .impls = impls};

ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    return &plugin;
}

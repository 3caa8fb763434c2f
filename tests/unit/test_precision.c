/* Element types and precision contracts: the harness's conversions round to nearest
 * (ties to even) at every boundary, case strings carry types and read back, contracts are
 * matched and described, and the reference's bound of a contract holds for the plain
 * computation of that contract while the float32 bound rejects it. */
#include <criterion/criterion.h>
#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "case_data.h"
#include "compare.h"
#include "contract.h"
#include "element_type.h"
#include "problem.h"
#include "reference.h"

static float from_bits(uint32_t bits) {
    float x;
    memcpy(&x, &bits, sizeof x);
    return x;
}

Test(element_type, bf16_rounds_to_nearest_even) {
    cr_assert_eq(attn_bf16_from_float(1.0f), 0x3f80);
    /* 1 + 2^-8 is halfway between 1 and 1 + 2^-7: ties to even (1) */
    cr_assert_eq(attn_bf16_from_float(1.0f + 0x1p-8f), 0x3f80);
    /* 1 + 3 * 2^-8 is halfway between 1 + 2^-7 and 1 + 2^-6: ties to even (1 + 2^-6) */
    cr_assert_eq(attn_bf16_from_float(1.0f + 3 * 0x1p-8f), 0x3f82);
    cr_assert_eq(attn_bf16_from_float(1.0f + 0x1p-8f + 0x1p-20f), 0x3f81);
    cr_assert_eq(attn_bf16_from_float(-2.0f), 0xc000);
    /* the largest float rounds up to inf */
    cr_assert_eq(attn_bf16_from_float(from_bits(0x7f7fffffu)), 0x7f80);
    cr_assert(isnan(attn_bf16_to_float(attn_bf16_from_float(NAN))));
    cr_assert_eq(attn_bf16_to_float(0x3f81), 1.0f + 0x1p-7f);
}

Test(element_type, f16_rounds_normal_subnormal_and_overflow) {
    cr_assert_eq(attn_f16_from_float(1.0f), 0x3c00);
    cr_assert_eq(attn_f16_from_float(65504.0f), 0x7bff);
    cr_assert_eq(attn_f16_from_float(65519.0f), 0x7bff);        /* below the halfway point */
    cr_assert_eq(attn_f16_from_float(65520.0f), 0x7c00);        /* halfway: rounds to inf */
    cr_assert_eq(attn_f16_from_float(0x1p-24f), 0x0001);        /* smallest subnormal */
    cr_assert_eq(attn_f16_from_float(0x1p-25f), 0x0000);        /* half of it: ties to even, 0 */
    cr_assert_eq(attn_f16_from_float(0x1.8p-24f), 0x0002);      /* 1.5 units: ties to even, 2 */
    cr_assert_eq(attn_f16_from_float(0x1p-14f), 0x0400);        /* smallest normal */
    cr_assert_eq(attn_f16_from_float(1.0f + 0x1p-11f), 0x3c00); /* tie: even */
    cr_assert_eq(attn_f16_from_float(1.0f + 3 * 0x1p-11f), 0x3c02);
    for (uint32_t h = 0; h < 0x7c00; h++) /* every finite positive value reads back */
        cr_assert_eq(attn_f16_from_float(attn_f16_to_float((uint16_t)h)), h, "0x%04x", h);
    cr_assert(isnan(attn_f16_to_float(attn_f16_from_float(NAN))));
}

Test(element_type, the_reference_rounds_like_the_harness) {
    uint64_t state = 7;
    for (int n = 0; n < 200000; n++) {
        state = state * 6364136223846793005ull + 1442695040888963407ull;
        const float x =
            ldexpf((float)(state >> 40) / (float)(1 << 24) - 0.5f, (int)(state % 60) - 40);
        cr_assert_eq((float)attn_ref_round(x, &attn_ref_bfloat16), attn_round_to_type(x, ATTN_BF16),
                     "%a", (double)x);
        cr_assert_eq((float)attn_ref_round(x, &attn_ref_float16), attn_round_to_type(x, ATTN_F16),
                     "%a", (double)x);
    }
}

Test(types, case_strings_carry_types_and_read_back) {
    attn_case c;
    attn_error err = {0};
    cr_assert_eq(attn_case_parse("n=5 d=8 types=f32/f16/f16/f32", &c, &err), 0, "%s", err.message);
    cr_assert(c.problem.q_type == ATTN_F32 && c.problem.k_type == ATTN_F16 &&
              c.problem.v_type == ATTN_F16 && c.problem.o_type == ATTN_F32);
    char text[ATTN_CASE_STRING_MAX];
    attn_case_format(&c, text);
    cr_assert(strstr(text, " types=f32/f16/f16/f32"), "%s", text);
    attn_case back;
    cr_assert_eq(attn_case_parse(text, &back, &err), 0);
    cr_assert_eq(memcmp(&back.problem, &c.problem, sizeof c.problem), 0);
    cr_assert_eq(attn_case_parse("n=5 types=bf16", &c, &err), 0);
    attn_case_format(&c, text);
    cr_assert(strstr(text, " types=bf16") && !strstr(text, "/"), "%s", text);
    cr_assert_eq(attn_case_parse("n=5", &c, &err), 0);
    attn_case_format(&c, text);
    cr_assert_null(strstr(text, "types"), "f32 cases keep their old canonical form: %s", text);
    const char *bad[] = {"types=f8",    "types=f32/f16", "types=f32/f16/f16/f32/f32", "types=",
                         "types=/bf16", "types=bf16/",   "types=f32//f16/f16"};
    for (size_t n = 0; n < sizeof bad / sizeof bad[0]; n++)
        cr_assert_neq(attn_case_parse(bad[n], &c, &err), 0, "%s accepted", bad[n]);
    /* inputs beyond fp16's range are refused with the reason */
    cr_assert_neq(attn_case_parse("d=64 dist=dominant scale=0.00001 types=f16", &c, &err), 0);
    cr_assert(strstr(err.message, "65504"), "%s", err.message);
}

Test(types, generated_inputs_are_representable) {
    attn_case c;
    attn_error err = {0};
    cr_assert_eq(attn_case_parse("b=2 h=2 n=33 d=16 types=bf16/f16/bf16/f32 dist=spikes", &c, &err),
                 0);
    attn_case_data data;
    cr_assert_eq(attn_case_data_compute(&c, &data, &err), 0, "%s", err.message);
    for (size_t i = 0; i < data.sizes.q; i++)
        cr_assert_eq(attn_round_to_type(data.q[i], ATTN_BF16), data.q[i]);
    for (size_t i = 0; i < data.sizes.k; i++)
        cr_assert_eq(attn_round_to_type(data.k[i], ATTN_F16), data.k[i]);
    attn_case_data_free(&data);
}

static const attn_precision declared = {
    .struct_size = sizeof(attn_precision),
    .q_types = ATTN_TYPE_BIT(ATTN_F32),
    .k_types = ATTN_TYPE_BIT(ATTN_F16) | ATTN_TYPE_BIT(ATTN_F32),
    .v_types = ATTN_TYPE_BIT(ATTN_F16) | ATTN_TYPE_BIT(ATTN_F32),
    .o_types = ATTN_TYPE_BIT(ATTN_F32),
    .k_compute = ATTN_F16,
    .v_compute = ATTN_F16,
    .prob = ATTN_BF16,
};

static int no_forward(void *context, const attn_args *a) {
    (void)context;
    (void)a;
    return ATTN_FAILED;
}

Test(contract, matching_and_text) {
    attn_impl impl = {ATTN_IMPL_HEADER, .name = "x", .summary = "x", .forward = no_forward};
    attn_problem p = {.struct_size = sizeof p, .k_type = ATTN_F16, .v_type = ATTN_F16};
    cr_assert_null(attn_precision_for(&impl, &p), "no contract: f32 only");
    p.k_type = p.v_type = ATTN_F32;
    cr_assert_eq(attn_precision_for(&impl, &p), &attn_precision_f32);
    impl.precisions = &declared;
    impl.precision_count = 1;
    cr_assert_eq(attn_precision_for(&impl, &p), &declared);
    p.o_type = ATTN_BF16;
    cr_assert_null(attn_precision_for(&impl, &p));
    char why[200];
    attn_precision_missing(&impl, &p, why, sizeof why);
    cr_assert(strstr(why, "f32/f32/f32/bf16"), "%s", why);
    p.o_type = ATTN_F32;
    char text[128];
    attn_contract_text(&declared, &p, text, sizeof text);
    cr_assert_str_eq(text, "k=f16 v=f16 score=f32 prob=bf16 accum=f32 out=f32");
    attn_ref_contract rc;
    attn_contract_of(&declared, &p, &rc);
    cr_assert(rc.q.bits == 0 && rc.k.bits == 11 && rc.v.bits == 11 && rc.prob.bits == 8 &&
              rc.score.bits == 24 && rc.out.bits == 24);
    p.k_type = ATTN_F16; /* given as fp16 and used as fp16: nothing rounds */
    attn_contract_of(&declared, &p, &rc);
    cr_assert_eq(rc.k.bits, 0);
    attn_precision bad = declared;
    bad.score = 7;
    cr_assert_neq(attn_precision_validate(&bad, why, sizeof why), 0);
    bad = declared;
    bad.o_types = 0;
    cr_assert_neq(attn_precision_validate(&bad, why, sizeof why), 0);
    cr_assert_eq(attn_precision_validate(&declared, why, sizeof why), 0);
}

/* The plain computation of a contract is within that contract's bound, and far outside
 * the float32 bound: the bound follows the contract, not a constant. */
static void judge_plain(const char *case_text, const attn_precision *pr, double *within,
                        double *against_f32) {
    attn_case c;
    attn_error err = {0};
    cr_assert_eq(attn_case_parse(case_text, &c, &err), 0, "%s", err.message);
    attn_case_data data;
    cr_assert_eq(attn_case_data_compute(&c, &data, &err), 0, "%s", err.message);
    attn_ref_contract contract;
    attn_contract_of(pr, &c.problem, &contract);
    float *plain = malloc(data.sizes.o * sizeof *plain);
    cr_assert_eq(attn_case_data_use_contract(&data, &contract, &err), 0);
    memcpy(plain, data.o_contract, data.sizes.o * sizeof *plain);
    attn_compare_result r;
    attn_compare(&data, plain, NULL, 0x7fbadbadu, &r);
    *within = r.err_ratio;
    const attn_ref_contract f32 = {0};
    cr_assert_eq(attn_case_data_use_contract(&data, &f32, &err), 0);
    attn_compare(&data, plain, NULL, 0x7fbadbadu, &r);
    *against_f32 = r.err_ratio;
    free(plain);
    attn_case_data_free(&data);
}

Test(contract, the_bound_follows_the_contract) {
    static const attn_precision half = {
        .struct_size = sizeof(attn_precision),
        .q_types = ATTN_TYPE_BIT(ATTN_F32),
        .k_types = ATTN_TYPE_BIT(ATTN_F32),
        .v_types = ATTN_TYPE_BIT(ATTN_F32),
        .o_types = ATTN_TYPE_BIT(ATTN_F32),
        .q_compute = ATTN_F16,
        .k_compute = ATTN_F16,
        .v_compute = ATTN_F16,
        .score = ATTN_F16,
        .prob = ATTN_F16,
        .accum = ATTN_F16,
    };
    const char *cases[] = {"b=1 h=2 n=65 d=32 window=causal seed=3",
                           "b=1 h=1 nq=3 nkv=255 d=64 seed=4 dist=spikes",
                           "b=1 h=1 n=17 d=8 seed=5 dist=offset"};
    const attn_precision *contracts[] = {&declared, &half};
    for (size_t n = 0; n < sizeof cases / sizeof cases[0]; n++)
        for (size_t m = 0; m < 2; m++) {
            double within, against_f32;
            judge_plain(cases[n], contracts[m], &within, &against_f32);
            cr_assert(within <= 1.0, "%s, contract %zu: err/tol %g", cases[n], m, within);
            cr_assert(against_f32 > 10.0, "%s, contract %zu: only %g times the f32 bound", cases[n],
                      m, against_f32);
        }
}

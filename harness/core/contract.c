/* Precision contracts: matching, translation for the reference, text. */
#include "contract.h"

#include <stdio.h>
#include <string.h>

#include "element_type.h"
#include "problem.h"

#define F32_ONLY ATTN_TYPE_BIT(ATTN_F32)

const attn_precision attn_precision_f32 = {
    .struct_size = sizeof(attn_precision),
    .q_types = F32_ONLY,
    .k_types = F32_ONLY,
    .v_types = F32_ONLY,
    .o_types = F32_ONLY,
    .q_compute = ATTN_F32,
    .k_compute = ATTN_F32,
    .v_compute = ATTN_F32,
    .score = ATTN_F32,
    .prob = ATTN_F32,
    .accum = ATTN_F32,
};

static bool accepts(const attn_precision *pr, const attn_problem *p) {
    return (pr->q_types & ATTN_TYPE_BIT(p->q_type)) && (pr->k_types & ATTN_TYPE_BIT(p->k_type)) &&
           (pr->v_types & ATTN_TYPE_BIT(p->v_type)) && (pr->o_types & ATTN_TYPE_BIT(p->o_type));
}

const attn_precision *attn_precision_for(const attn_impl *impl, const attn_problem *p) {
    if (!ATTN_HAS_FIELD(impl, attn_impl, precision_count) || impl->precision_count == 0 ||
        !impl->precisions)
        return accepts(&attn_precision_f32, p) ? &attn_precision_f32 : NULL;
    for (uint32_t n = 0; n < impl->precision_count; n++)
        if (accepts(&impl->precisions[n], p))
            return &impl->precisions[n];
    return NULL;
}

static attn_ref_format format_of(int type) {
    switch (type) {
    case ATTN_BF16:
        return attn_ref_bfloat16;
    case ATTN_F16:
        return attn_ref_float16;
    default:
        return attn_ref_float32;
    }
}

/* An input converted to `compute` before use: no rounding when it stays as given or is
 * widened to f32. */
static attn_ref_format input_rounding(int given, int compute) {
    const attn_ref_format none = {0, 0, 0.0};
    return compute == ATTN_F32 || compute == given ? none : format_of(compute);
}

void attn_contract_of(const attn_precision *pr, const attn_problem *p, attn_ref_contract *out) {
    memset(out, 0, sizeof *out);
    out->q = input_rounding(p->q_type, pr->q_compute);
    out->k = input_rounding(p->k_type, pr->k_compute);
    out->v = input_rounding(p->v_type, pr->v_compute);
    out->score = format_of(pr->score);
    out->prob = format_of(pr->prob);
    out->accum = format_of(pr->accum);
    out->out = format_of(p->o_type);
}

void attn_contract_text(const attn_precision *pr, const attn_problem *p, char *out, size_t size) {
    const bool all_f32 = pr->score == ATTN_F32 && pr->prob == ATTN_F32 && pr->accum == ATTN_F32 &&
                         p->o_type == ATTN_F32 &&
                         input_rounding(p->q_type, pr->q_compute).bits == 0 &&
                         input_rounding(p->k_type, pr->k_compute).bits == 0 &&
                         input_rounding(p->v_type, pr->v_compute).bits == 0;
    if (all_f32) {
        snprintf(out, size, "f32");
        return;
    }
    size_t used = 0;
    out[0] = '\0';
    const struct {
        const char *name;
        int given, compute;
    } inputs[3] = {{"q", p->q_type, pr->q_compute},
                   {"k", p->k_type, pr->k_compute},
                   {"v", p->v_type, pr->v_compute}};
    for (int t = 0; t < 3; t++)
        if (input_rounding(inputs[t].given, inputs[t].compute).bits && used < size)
            used += (size_t)snprintf(out + used, size - used, "%s=%s ", inputs[t].name,
                                     attn_type_name(inputs[t].compute));
    if (used < size)
        snprintf(out + used, size - used, "score=%s prob=%s accum=%s out=%s",
                 attn_type_name(pr->score), attn_type_name(pr->prob), attn_type_name(pr->accum),
                 attn_type_name(p->o_type));
}

void attn_precision_missing(const attn_impl *impl, const attn_problem *p, char *out, size_t size) {
    char types[64];
    attn_case_types_text(p, types, sizeof types);
    const bool declares = ATTN_HAS_FIELD(impl, attn_impl, precision_count) &&
                          impl->precision_count > 0 && impl->precisions;
    snprintf(out, size, "%s for types=%s",
             declares ? "none of its precision contracts accepts"
                      : "declares no precision contract (f32 only)",
             types);
}

int attn_precision_validate(const attn_precision *pr, char *why, size_t size) {
    if (pr->struct_size < sizeof(attn_precision)) {
        snprintf(why, size, "has struct_size %u, smaller than interface 2.2's (%zu)",
                 pr->struct_size, sizeof(attn_precision));
        return -1;
    }
    const uint32_t known =
        ATTN_TYPE_BIT(ATTN_F32) | ATTN_TYPE_BIT(ATTN_BF16) | ATTN_TYPE_BIT(ATTN_F16);
    const uint32_t masks[4] = {pr->q_types, pr->k_types, pr->v_types, pr->o_types};
    for (int t = 0; t < 4; t++)
        if (masks[t] == 0 || (masks[t] & ~known)) {
            snprintf(why, size, "accepts types 0x%x for %c (known: 0x%x, at least one)", masks[t],
                     "QKVO"[t], known);
            return -1;
        }
    const int32_t stages[6] = {pr->q_compute, pr->k_compute, pr->v_compute,
                               pr->score,     pr->prob,      pr->accum};
    static const char *const stage_names[6] = {"q_compute", "k_compute", "v_compute",
                                               "score",     "prob",      "accum"};
    for (int n = 0; n < 6; n++)
        if (stages[n] < 0 || stages[n] >= ATTN_TYPE_COUNT) {
            snprintf(why, size, "names type %d for %s (types: 0 f32, 1 bf16, 2 f16)",
                     (int)stages[n], stage_names[n]);
            return -1;
        }
    return 0;
}

int attn_case_data_judge_for(attn_case_data *data, const attn_impl *impl, attn_error *err) {
    const attn_precision *pr = attn_precision_for(impl, &data->c.problem);
    if (!pr)
        return 0; /* the case is skipped */
    attn_ref_contract contract;
    attn_contract_of(pr, &data->c.problem, &contract);
    return attn_case_data_use_contract(data, &contract, err);
}

bool attn_first_declared_contract(const attn_impl *const *impls, size_t count,
                                  const attn_problem *p, attn_ref_contract *out) {
    for (size_t m = 0; m < count; m++) {
        const attn_precision *pr = attn_precision_for(impls[m], p);
        if (pr) {
            attn_contract_of(pr, p, out);
            return true;
        }
    }
    return false;
}

void attn_impl_contract_text(const attn_impl *impl, const attn_problem *p, char *out, size_t size) {
    const attn_precision *pr = attn_precision_for(impl, p);
    if (pr)
        attn_contract_text(pr, p, out, size);
    else
        snprintf(out, size, "none");
}

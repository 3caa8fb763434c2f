/* Precision contracts (attnbench.h's attn_precision): which one an implementation
 * declares for a case's element types, and what the reference makes of it. */
#ifndef ATTN_CONTRACT_H
#define ATTN_CONTRACT_H

#include <stdbool.h>
#include <stddef.h>

#include "attnbench.h"
#include "case_data.h"
#include "reference.h"

/* The float32 contract: f32 tensors only, every stage f32 (what an implementation that
 * declares no precision entries gets). */
extern const attn_precision attn_precision_f32;

/* The first of impl's precision entries that accepts the case's four types (the float32
 * contract for an implementation without entries, when the types are all f32), or NULL:
 * the case is skipped. */
const attn_precision *attn_precision_for(const attn_impl *impl, const attn_problem *p);

/* What the reference needs to know of contract pr on problem p's types. */
void attn_contract_of(const attn_precision *pr, const attn_problem *p, attn_ref_contract *out);

/* "f32" for the float32 contract; else the stages that round, such as
 * "k=f16 v=f16 score=f32 prob=bf16 accum=f32 out=bf16". */
void attn_contract_text(const attn_precision *pr, const attn_problem *p, char *out, size_t size);

/* Why no entry fits, for a SKIPPED line: "declares no precision contract for types
 * bf16" or "... for Q bf16, K f16, V f16, O f32". */
void attn_precision_missing(const attn_impl *impl, const attn_problem *p, char *out, size_t size);

/* Checks a declared entry: its struct_size, and that every type it names is known.
 * Returns 0, or -1 with what is wrong. */
int attn_precision_validate(const attn_precision *pr, char *why, size_t size);

/* Makes data's tolerances those of the contract impl declares for the case (nothing when
 * it declares none: the case is skipped). */
int attn_case_data_judge_for(attn_case_data *data, const attn_impl *impl, attn_error *err);

/* The reference's contract for the first of impls that declares one for p's types;
 * false when none does. */
bool attn_first_declared_contract(const attn_impl *const *impls, size_t count,
                                  const attn_problem *p, attn_ref_contract *out);

/* attn_contract_text of impl's contract for p, or "none". */
void attn_impl_contract_text(const attn_impl *impl, const attn_problem *p, char *out, size_t size);

#endif

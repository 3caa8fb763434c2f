/* Element-wise comparison of a float32 result with the reference under the per-element
 * tolerance, and the statistics reported for it. */
#ifndef ATTN_COMPARE_H
#define ATTN_COMPARE_H

#include <stdbool.h>
#include <stddef.h>

#include "case_data.h"

typedef struct attn_compare_result {
    bool passed;
    double max_abs_err;     /* over O */
    double err_ratio;       /* max |o - ref| / tol over O and LSE (inf when tol is 0) */
    double rel_l2;          /* ||o - ref||_2 / ||ref||_2 over O (||o||_2 when ref is all zero) */
    double err_vs_fp32;     /* max |o - ref| / max |plain - ref| over O, plain the straightforward
                               float32 computation (0 when both are exact, inf when only it is) */
    double err_vs_contract; /* the same against the plain computation of the contract judged
                               (case_data.h's o_contract): err_vs_fp32 for float32 */
    size_t worst_index;     /* flat index of the element with the largest ratio */
    bool worst_is_lse;      /* worst element is in LSE rather than O */
    size_t failed_count;    /* elements outside tolerance (unwritten and non-finite included) */
    char detail[512];       /* the first failure, with its [b][h][i][c] position */
} attn_compare_result;

/* Compares o (and lse, when not NULL) with data's reference. Rows with no visible key
 * must be exactly zero with LSE -inf. unwritten_bits is the poison pattern: an element
 * still holding it was never written. */
void attn_compare(const attn_case_data *data, const float *o, const float *lse,
                  unsigned unwritten_bits, attn_compare_result *result);

/* Judges one element: returns |got - want| / tol (0 when equal, inf when it cannot be
 * right) and sets *failure to what is wrong, or NULL when the element passes. want = -inf
 * (LSE of a row with no key) requires -inf; tol = 0 requires equality. With
 * check_unwritten, an element holding unwritten_bits was never written. */
double attn_judge_element(float got, double want, double tol, bool check_unwritten,
                          unsigned unwritten_bits, const char **failure);

/* "O[b][h][i][c]" or "LSE[b][h][i]" for a flat index. */
void attn_format_position(const attn_problem *p, bool is_lse, size_t index, char *out, size_t size);
/* The same for a case: "sequence 3: O[0][h][i][c]" in a ragged case. */
void attn_format_case_position(const attn_case *c, bool is_lse, size_t index, char *out,
                               size_t size);

#endif

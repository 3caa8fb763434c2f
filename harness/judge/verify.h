/* Verifying a benchmarked output against the reference: every row when the reference is
 * cheap enough, otherwise the documented sample of harness/core/row_sample.h (the same
 * rows check verifies). */
#ifndef ATTN_VERIFY_H
#define ATTN_VERIFY_H

#include <stdbool.h>
#include <stddef.h>

#include "problem.h"
#include "reference.h"

typedef struct attn_verify_result {
    bool passed;
    size_t rows_checked;
    size_t rows_total;
    double max_abs_err;
    double err_ratio; /* max |o - ref| / tol over the rows checked */
    char detail[512]; /* the first failure */
} attn_verify_result;

/* Checks o (and lse when not NULL) for the case's inputs q, k, v. Returns -1 only when
 * memory for the reference cannot be had. */
int attn_verify_output(const attn_case *c, const float *q, const float *k, const float *v,
                       const float *o, const float *lse, attn_verify_result *result);
/* The same for a result computed under a precision contract (NULL: float32). */
int attn_verify_output_contract(const attn_case *c, const attn_ref_contract *contract,
                                const float *q, const float *k, const float *v, const float *o,
                                const float *lse, attn_verify_result *result);

#endif

/* Running one implementation on one case and judging it: capability filtering, poisoned
 * and guarded outputs, untouched inputs, comparison with the reference. */
#ifndef ATTN_CHECK_H
#define ATTN_CHECK_H

#include "../impls/attnbench.h"
#include "case_data.h"
#include "compare.h"

typedef enum {
    ATTN_STATUS_PASSED = 0,
    ATTN_STATUS_FAILED,  /* ran, and the result is wrong */
    ATTN_STATUS_SKIPPED, /* the implementation declares it does not support the case */
    ATTN_STATUS_ERROR,   /* could not run (forward reported failure, out of memory) */
    ATTN_STATUS_COUNT
} attn_status;

const char *attn_status_name(attn_status status);

typedef struct attn_check_result {
    attn_status status;
    attn_compare_result compare; /* valid when status is PASSED or FAILED */
    bool lse_checked;            /* the implementation wrote LSE and it was compared */
    char reason[1024];           /* why SKIPPED, ERROR or FAILED */
} attn_check_result;

/* The capabilities a case needs, as ATTN_CAP_* flags (LSE not included). */
uint32_t attn_case_required_caps(const attn_case *c);
/* Names the first capability in missing, e.g. "grouped-query attention (hkv < hq)". */
const char *attn_cap_description(uint32_t missing);

/* SKIPPED (with reason) when impl cannot run c, else PASSED. */
attn_status attn_check_support(const attn_impl *impl, const attn_case *c, char *reason,
                               size_t reason_size);

/* Runs impl once on data with the given thread count and judges the result. */
void attn_check_case(const attn_impl *impl, const attn_case_data *data, int threads,
                     attn_check_result *result);

/* The same in a child process: a crash or hang becomes an ERROR naming what happened. */
void attn_check_case_isolated(const attn_impl *impl, const attn_case_data *data, int threads,
                              double timeout_seconds, attn_check_result *result);

#endif

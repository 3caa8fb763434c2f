/* Running one implementation on one case and judging it: capability filtering, poisoned
 * and guarded outputs, untouched inputs, comparison with the reference. */
#ifndef ATTN_CHECK_H
#define ATTN_CHECK_H

#include <stdbool.h>
#include <stddef.h>

#include "attnbench.h"
#include "case_data.h"
#include "compare.h"
#include "layout.h"

typedef enum {
    ATTN_STATUS_PASSED = 0,
    ATTN_STATUS_FAILED,     /* ran, and the result is wrong */
    ATTN_STATUS_SKIPPED,    /* the implementation declares it does not support the case */
    ATTN_STATUS_ERROR,      /* could not run (forward reported failure, out of memory) */
    ATTN_STATUS_MISTRUSTED, /* within tolerance, but the case cannot tell a correct result
                               from a trivial one (attn_case_mistrusted): never a pass */
    ATTN_STATUS_COUNT
} attn_status;

const char *attn_status_name(attn_status status);

typedef struct attn_check_result {
    attn_status status;
    attn_compare_result compare; /* valid when status is PASSED or FAILED */
    bool lse_checked;            /* the implementation wrote LSE and it was compared */
    char reason[1024];           /* why SKIPPED, ERROR or FAILED */
} attn_check_result;

/* The capabilities a case needs in a layout, as ATTN_CAP_* bits (LSE not included). */
uint64_t attn_case_required_caps(const attn_case *c, attn_layout layout);
/* Names the first capability in missing, e.g. "grouped-query attention (hkv < hq)". */
const char *attn_cap_description(uint64_t missing);

/* SKIPPED (with reason) when impl cannot run c in layout, ERROR when it could not say
 * (it crashed in supports, or its init failed), else PASSED. */
attn_status attn_check_support(const attn_impl *impl, const attn_case *c, attn_layout layout,
                               char *reason, size_t reason_size);

/* Runs impl on data in layout with the given thread count and judges the result: once
 * with an LSE buffer and, for implementations that write LSE, once more without. */
void attn_check_case(const attn_impl *impl, const attn_case_data *data, attn_layout layout,
                     int threads, attn_check_result *result);

/* What a check does beyond one judged call (and its LSE-less twin). */
typedef struct attn_check_plan {
    int threads; /* thread count of the judged call */
    int repeats; /* calls with an LSE buffer, all judged and bitwise identical to the first */
    /* Invariance: the case is also run at each of these thread counts and, when
     * batch_invariance is set and B > 1, each batch entry alone; every result is judged
     * against the reference, and must equal the judged call's bit for bit when the
     * implementation declares ATTN_CAP_THREAD_INVARIANT (ATTN_CAP_BATCH_INVARIANT). */
    const int *other_threads;
    size_t other_thread_count;
    bool batch_invariance;
} attn_check_plan;

void attn_check_case_plan(const attn_impl *impl, const attn_case_data *data, attn_layout layout,
                          const attn_check_plan *plan, attn_check_result *result);

/* True (with why) when a case proves nothing about an implementation that passes it: its
 * reference output is all zeros although V is not, or a constant output (the mean of the
 * reference) would be within tolerance of every element. */
bool attn_case_mistrusted(const attn_case_data *data, char *why, size_t why_size);

#endif

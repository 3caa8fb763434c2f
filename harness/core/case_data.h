/* A case's inputs and expected results (reference outputs and their tolerances), either
 * computed now or loaded from a golden directory. */
#ifndef ATTN_CASE_DATA_H
#define ATTN_CASE_DATA_H

#include "problem.h"
#include "reference.h"
#include "row_sample.h"
#include "serving.h"

typedef struct attn_case_data {
    attn_case c;
    attn_case_sizes sizes;
    float *q, *k, *v;           /* inputs */
    double *o, *o_tol;          /* reference output and per-element tolerance */
    double *lse, *lse_tol;      /* reference LSE (-inf for rows with no key) and tolerance */
    float *o_plain;             /* the plain float32 computation of the verified rows
                                   (attn_reference_plain_fp32_row), for err_vs_fp32 */
    attn_ref_contract contract; /* the precision contract o_tol and lse_tol judge (zero:
                                   float32) */
    float *o_contract;          /* the plain computation of that contract, for
                                   err_vs_contract (o_plain itself for float32) */
    attn_serving serving;       /* a ragged case's tables (zero otherwise) */
    attn_row_sample sample;     /* the rows with a reference (NaN in the others); full unless
                                   attn_case_data_compute chose a sample */
} attn_case_data;

/* The reference's parameters for problem p judged under contract (NULL: float32). */
attn_ref_params attn_case_ref_params(const attn_problem *p, const attn_ref_contract *contract);

/* Allocates every buffer for the case (contents undefined). */
int attn_case_data_alloc(const attn_case *c, attn_case_data *data, attn_error *err);
/* Generates the inputs from the seed and runs the reference on them: on every row, or on
 * the rows of attn_row_sample_choose when the case is too long for all. */
int attn_case_data_compute(const attn_case *c, attn_case_data *data, attn_error *err);
/* attn_case_data_compute with the tolerances of contract (NULL: float32) from the start,
 * so that judging an implementation that declares it does not run the reference again. */
int attn_case_data_compute_under(const attn_case *c, const attn_ref_contract *contract,
                                 attn_case_data *data, attn_error *err);
/* Runs the reference on the inputs already in data, on the rows of data->sample. */
int attn_case_data_run_reference(attn_case_data *data, attn_error *err);
/* Batch entry b of src as a case of its own (batch 1): its inputs, reference, plain
 * results and verified rows, copied. */
int attn_case_data_slice_batch(const attn_case_data *src, int64_t b, attn_case_data *dst,
                               attn_error *err);
/* Sequence b of a ragged case's data as the data of a case of its own (attn_case_sequence):
 * pointers into data's arrays, nothing copied; never free it. */
void attn_case_data_sequence(const attn_case_data *data, int64_t b, attn_case_data *view);
/* Computes o_plain for the verified rows of the inputs in data. */
int attn_case_data_run_plain(attn_case_data *data, attn_error *err);
/* Makes o_tol, lse_tol and o_contract those of contract (recomputing the reference on the
 * verified rows when it differs from the one they hold). */
int attn_case_data_use_contract(attn_case_data *data, const attn_ref_contract *contract,
                                attn_error *err);
/* Scans inputs for NaN or Inf; names the tensor and index of the first one found. */
int attn_check_inputs_finite(const char *what, const float *x, size_t count, attn_error *err);
void attn_case_data_free(attn_case_data *data);

/* Refuses, as bad input, a case that check cannot afford: more than memory_cap_bytes for
 * inputs, reference results and the checker's copies, more than ATTN_CHECK_MAX_CASE_WORK
 * multiply-adds in all, or a float64 reference of more than ATTN_CHECK_MAX_REFERENCE_WORK
 * multiply-adds on the rows it verifies. */
#define ATTN_CHECK_MAX_REFERENCE_WORK 2.0e10
/* The most multiply-adds of a whole case (the implementations compute every row): about
 * 100 s for a plain loop at 1e9 multiply-adds per second. */
#define ATTN_CHECK_MAX_CASE_WORK 1.0e11
int attn_case_check_affordable(const attn_case *c, double memory_cap_bytes, attn_error *err);

/* Half the machine's physical memory: the default cap. */
double attn_default_memory_cap(void);

#endif

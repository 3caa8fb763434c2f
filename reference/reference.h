/* The oracle: attention in float64 with compensated sums and a two-pass softmax, plus
 * the per-element error bound that judges a result computed under a precision contract
 * (float32 throughout by default; see reference/TOLERANCE.md).
 * Written for clarity and accuracy; shares no code with impls/. */
#ifndef ATTN_REFERENCE_H
#define ATTN_REFERENCE_H

#include <stddef.h>
#include <stdint.h>

/* A floating-point format a computation rounds to: `bits` significant bits (24 for
 * float32, 8 for bf16, 11 for fp16), normal exponents down to min_exponent (subnormals
 * below), and largest, the largest finite value. bits = 0: no rounding at all. */
typedef struct attn_ref_format {
    int bits;
    int min_exponent;
    double largest;
} attn_ref_format;

/* What an implementation rounds inside (attnbench.h's attn_precision, TOLERANCE.md
 * "Reduced precision"): q, k, v the rounding of the inputs before use (bits = 0: used as
 * given), score the format the dot products accumulate in, prob the probabilities before
 * the PV product, accum the normaliser and output accumulators, out the output. For
 * score, prob, accum and out, bits = 0 means float32: a zeroed contract is the float32
 * one. */
typedef struct attn_ref_contract {
    attn_ref_format q, k, v, score, prob, accum, out;
} attn_ref_contract;

extern const attn_ref_format attn_ref_float32, attn_ref_bfloat16, attn_ref_float16;

/* x rounded to the nearest value of format f (ties to even); beyond largest, +-inf. */
double attn_ref_round(double x, const attn_ref_format *f);

/* The operation's parameters, as in design.md section 1, and the contract judged. */
typedef struct attn_ref_params {
    int64_t batch, heads_q, heads_kv, seq_q, seq_kv, head_dim, head_dim_v;
    int64_t window_left, window_right; /* < 0: unbounded */
    double scale;
    attn_ref_contract contract;
} attn_ref_params;

/* One query row's results. */
typedef struct attn_ref_row {
    double *o;       /* [Dv] output */
    double *o_tol;   /* [Dv] tolerance of a result of the contract, per output element */
    double lse;      /* log-sum-exp, -inf when no key is visible */
    double lse_tol;  /* tolerance of a float32 LSE computed under the contract */
    int64_t visible; /* number of visible keys */
} attn_ref_row;

/* Doubles of scratch memory attn_reference_row needs. */
size_t attn_reference_scratch_size(const attn_ref_params *params);

/* Computes query row i of head h of batch b. */
void attn_reference_row(const attn_ref_params *params, const float *q, const float *k,
                        const float *v, int64_t b, int64_t h, int64_t i, double *scratch,
                        attn_ref_row *row);

/* Computes every row: o and o_tol are [B][Hq][Nq][Dv], lse and lse_tol [B][Hq][Nq].
 * Returns 0, or -1 when scratch memory cannot be allocated. */
int attn_reference_forward(const attn_ref_params *params, const float *q, const float *k,
                           const float *v, double *o, double *o_tol, double *lse, double *lse_tol);

/* As attn_reference_forward for the rows whose flag in rows ([B][Hq][Nq]) is non-zero,
 * every row when rows is NULL; the others are left NaN. Uses OpenMP threads over rows. */
int attn_reference_forward_rows(const attn_ref_params *params, const float *q, const float *k,
                                const float *v, const unsigned char *rows, double *o, double *o_tol,
                                double *lse, double *lse_tol);

/* Rows rows[n] (flat index (b Hq + h) Nq + i) into slot n of o, o_tol ([count][Dv]), lse
 * and lse_tol ([count]), on OpenMP threads. Returns -1 when out of memory. */
int attn_reference_listed_rows(const attn_ref_params *params, const float *q, const float *k,
                               const float *v, const size_t *rows, size_t count, double *o,
                               double *o_tol, double *lse, double *lse_tol);

/* The plain float32 computation of row i of head h of batch b (scores, maximum, exp,
 * sum and weighted sum in float, keys in order, two passes) into o[Dv]: a yardstick, not
 * an oracle, so that an implementation's error can be reported relative to what a
 * straightforward float32 kernel makes on the same inputs. scratch holds Nkv floats. */
void attn_reference_plain_fp32_row(const attn_ref_params *params, const float *q, const float *k,
                                   const float *v, int64_t b, int64_t h, int64_t i, float *scratch,
                                   float *o);

/* The same plain computation rounded where params->contract says (inputs converted, each
 * dot-product addition, the probabilities, each accumulation, the output): what a
 * straightforward kernel of that contract makes, for err_vs_contract. scratch holds
 * 2 Nkv doubles. */
void attn_reference_plain_contract_row(const attn_ref_params *params, const float *q,
                                       const float *k, const float *v, int64_t b, int64_t h,
                                       int64_t i, double *scratch, float *o);

#endif

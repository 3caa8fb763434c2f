/* The problem descriptor (a case): an attention problem plus the seed and input
 * distribution that fill it, with a canonical one-line string form that parses back. */
#ifndef ATTN_PROBLEM_H
#define ATTN_PROBLEM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attnbench.h"
#include "error.h"

/* How inputs are filled (see generate.h for the exact definitions). */
typedef enum {
    ATTN_DIST_UNIFORM = 0, /* Q, K, V uniform in [-1, 1) */
    ATTN_DIST_OFFSET,      /* scores near +200: softmax without the max shift overflows */
    ATTN_DIST_TIES,        /* keys nearly or exactly equal: near-tied scores */
    ATTN_DIST_DOMINANT,    /* one key per (batch, kv head) dominates every row that sees it */
    ATTN_DIST_COUNT
} attn_dist;

/* One case: everything needed to reproduce inputs, reference and verdict. */
typedef struct attn_case {
    attn_problem problem;  /* scale already resolved */
    bool scale_is_default; /* scale == 1/sqrt(D), printed as "default" */
    uint64_t seed;
    attn_dist dist;
} attn_case;

/* Longest canonical string, terminator included. */
#define ATTN_CASE_STRING_MAX 256

/* Element counts of the tensors of a case, overflow-checked. */
typedef struct attn_case_sizes {
    size_t q, k, v, o, lse; /* elements */
    size_t rows;            /* B * Hq * Nq */
} attn_case_sizes;

const char *attn_dist_name(attn_dist dist);

/* A case with every field at its default: b=1 hq=1 hkv=1 nq=1 nkv=1 d=64, global mask,
 * default scale, seed 1, uniform; dv is left 0 ("same as d") until attn_case_finish. */
void attn_case_default(attn_case *c);

/* Sets one field from text. Keys: b, hq, hkv, h (hq and hkv), nq, nkv, n (nq and nkv),
 * d, dv, window (L:R, "global" or "causal"), causal (0/1), scale ("default" or a
 * number), seed, dist. Setting d does not change dv; call attn_case_finish. */
int attn_case_set(attn_case *c, const char *key, const char *value, attn_error *err);

/* Fills in derived fields (default scale) after the fields were set. */
void attn_case_finish(attn_case *c);

/* Checks every constraint of design.md section 1 and that tensor sizes fit in memory
 * arithmetic. */
int attn_case_validate(const attn_case *c, attn_error *err);
int attn_case_sizes_of(const attn_case *c, attn_case_sizes *sizes, attn_error *err);

/* The canonical string: "b=1 hq=8 hkv=2 nq=17 nkv=33 d=64 dv=64 window=-1:0
 * scale=default seed=1 dist=uniform". Always fits in ATTN_CASE_STRING_MAX. */
void attn_case_format(const attn_case *c, char out[ATTN_CASE_STRING_MAX]);

/* Parses "key=value" tokens separated by spaces; missing keys take their defaults
 * (dv defaults to d). The result is validated. */
int attn_case_parse(const char *text, attn_case *c, attn_error *err);

/* Number of keys visible to query row i, and in total for one (batch, head). */
int64_t attn_case_visible_in_row(const attn_problem *p, int64_t i);
int64_t attn_case_visible_pairs(const attn_problem *p);

#endif

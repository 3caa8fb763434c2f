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
    ATTN_DIST_SPIKES,      /* a few keys per (batch, kv head), at path boundaries, dominate */
    ATTN_DIST_NEEDLES,     /* the same keys hold all but e^-39 n of each row's probability */
    ATTN_DIST_COUNT
} attn_dist;

/* The most sequences an explicit length list names. */
#define ATTN_LENGTHS_MAX 64
/* The most sequences of a ragged batch. */
#define ATTN_MAX_SEQUENCES ((int64_t)1 << 20)

/* How the query or key counts of a batch's sequences are given (serving cases). */
typedef enum {
    ATTN_LENGTHS_UNIFORM = 0, /* every sequence has the problem's seq_q (seq_kv) */
    ATTN_LENGTHS_LIST,        /* "nkv=100/0/37": one count per sequence */
    ATTN_LENGTHS_RANGE        /* "nkv=1..32768": drawn per sequence from the seed, inclusive */
} attn_lengths_kind;

typedef struct attn_lengths {
    attn_lengths_kind kind;
    int32_t count;                  /* LIST: entries */
    int64_t lo, hi;                 /* RANGE: bounds */
    int32_t list[ATTN_LENGTHS_MAX]; /* LIST */
} attn_lengths;

enum { ATTN_SEQ_Q = 0, ATTN_SEQ_KV = 1 };

/* One case: everything needed to reproduce inputs, reference and verdict. */
typedef struct attn_case {
    attn_problem problem;  /* scale already resolved */
    bool scale_is_default; /* scale == 1/sqrt(D), printed as "default" */
    uint64_t seed;
    attn_dist dist;
    /* Serving cases (problem.ragged = 1): the query and key counts per sequence. A case is
     * a serving case when either is not uniform or a key storage is named (kv=). */
    attn_lengths lengths[2]; /* ATTN_SEQ_Q, ATTN_SEQ_KV */
    bool lengths_tied;       /* n= gave both: every sequence has as many keys as queries */
    bool storage_named;      /* kv= was given */
    /* The seed the drawn lengths and the page order come from: the seed at
     * attn_case_finish, kept when only the inputs' seed changes afterwards (bench's second
     * input set has the same sequences and pages). */
    uint64_t lengths_seed;
} attn_case;

/* Longest canonical string, terminator included (two lists of 64 lengths fit). */
#define ATTN_CASE_STRING_MAX 2048

/* Room for attn_format_double's text, terminator included. */
#define ATTN_DOUBLE_STRING_MAX 32

/* The fields of a case, as bits: what each key sets (h sets hq and hkv, n sets nq and
 * nkv, window and causal both set the mask). A key given twice, or two keys setting one
 * field, on one case string or suite line are refused. */
enum {
    ATTN_FIELD_BATCH = 1u << 0,
    ATTN_FIELD_HEADS_Q = 1u << 1,
    ATTN_FIELD_HEADS_KV = 1u << 2,
    ATTN_FIELD_SEQ_Q = 1u << 3,
    ATTN_FIELD_SEQ_KV = 1u << 4,
    ATTN_FIELD_HEAD_DIM = 1u << 5,
    ATTN_FIELD_HEAD_DIM_V = 1u << 6,
    ATTN_FIELD_MASK = 1u << 7,
    ATTN_FIELD_SCALE = 1u << 8,
    ATTN_FIELD_SEED = 1u << 9,
    ATTN_FIELD_DIST = 1u << 10,
    ATTN_FIELD_TYPES = 1u << 11,
    ATTN_FIELD_KV_STORAGE = 1u << 12,
    ATTN_FIELD_COUNT = 13
};
/* The ATTN_FIELD_ bits key sets (0 for an unknown key). */
unsigned attn_case_key_fields(const char *key);
/* The name of the lowest field in fields ("hq", "the mask (window)"). */
const char *attn_case_field_name(unsigned fields);

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
 * number), seed, dist, types (one element type for Q, K, V and O, or four separated by
 * slashes: "bf16", "f32/f16/f16/f32"). Setting d does not change dv; call attn_case_finish. */
int attn_case_set(attn_case *c, const char *key, const char *value, attn_error *err);

/* Fills in derived fields (default scale) after the fields were set. */
void attn_case_finish(attn_case *c);

/* Checks every constraint of design.md section 1, that the scale is representable in
 * float32 and that tensor sizes fit in memory arithmetic. */
int attn_case_validate(const attn_case *c, attn_error *err);

/* Refuses a problem for which float32 arithmetic itself overflows: inputs bounded by
 * max_abs_q and max_abs_k (source says where the bounds come from, for the message) must
 * keep q.k, d * max|q| * max|k|, and every score, |scale| times that, within FLT_MAX / 2
 * (the softmax's max-shifted scores span twice the largest score). */
int attn_problem_check_magnitudes(const attn_problem *p, double max_abs_q, double max_abs_k,
                                  const char *source, attn_error *err);
/* The same for the inputs the case's distribution generates (generate.h); attn_case_parse
 * and suites apply it to every case. */
int attn_case_check_magnitudes(const attn_case *c, attn_error *err);
/* The same for given inputs (run's .npy files), named q_name and k_name in messages. */
int attn_check_input_magnitudes(const attn_problem *p, const char *q_name, const float *q,
                                size_t q_count, const char *k_name, const float *k, size_t k_count,
                                attn_error *err);
int attn_case_sizes_of(const attn_case *c, attn_case_sizes *sizes, attn_error *err);

/* The canonical string: "b=1 hq=8 hkv=2 nq=17 nkv=33 d=64 dv=64 window=-1:0
 * scale=default seed=1 dist=uniform". Always fits in ATTN_CASE_STRING_MAX. A scale is
 * printed by attn_format_double. */
void attn_case_format(const attn_case *c, char out[ATTN_CASE_STRING_MAX]);
/* The types of Q, K, V, O as a case writes them ("bf16", "f32/f16/f16/f32"); returns
 * whether any is not f32 (the canonical string names types only then). */
bool attn_case_types_text(const attn_problem *p, char *out, size_t size);

/* The shortest of %.15g, %.16g and %.17g that reads back as exactly x. */
void attn_format_double(double x, char out[ATTN_DOUBLE_STRING_MAX]);

/* Parses "key=value" tokens separated by spaces; missing keys take their defaults
 * (dv defaults to d). A field set twice ("n=3 n=5", "h=2 hq=4", "causal=1 window=2:2")
 * is an error naming both tokens. The result is validated, magnitudes included. */
int attn_case_parse(const char *text, attn_case *c, attn_error *err);

/* Serving cases. The query (which = ATTN_SEQ_Q) or key count of sequence b. */
int64_t attn_case_seq_len(const attn_case *c, int which, int64_t b);
/* Sequence b of a case as a case of its own: batch 1, its own counts, not ragged, and a
 * seed of its own (mixed from the case's seed and b) so that sequences differ. For a case
 * that is not ragged, batch entry b with the case's seed unchanged is not what this gives:
 * call it for ragged cases only. Either count may be 0. */
void attn_case_sequence(const attn_case *c, int64_t b, attn_case *sequence);
/* Where sequence b's elements start in the concatenated tensors of a ragged case (the
 * logical form the harness keeps: each sequence's own dense BHSD tensors, one after the
 * other, sequence 0 first), and its rows. */
typedef struct attn_sequence_offsets {
    size_t q, k, v, o, lse; /* elements */
} attn_sequence_offsets;
void attn_case_sequence_offsets(const attn_case *c, int64_t b, attn_sequence_offsets *at);
/* The query (ATTN_SEQ_Q) or key counts as the case string writes them: "17", "1..300",
 * "100/0/37". */
void attn_case_lengths_text(const attn_case *c, int which, char *out, size_t size);
/* Moves at past sequence `one` (attn_case_sequence's result): loops over a batch's
 * sequences keep their offsets this way instead of recounting from sequence 0. */
void attn_case_sequence_advance(const attn_case *one, attn_sequence_offsets *at);
/* The ragged case's key storage name: "cache", "packed" or "paged:16". */
void attn_case_storage_text(const attn_case *c, char *out, size_t size);

/* Number of keys visible to query row i, and in total for one (batch, head). */
int64_t attn_case_visible_in_row(const attn_problem *p, int64_t i);
int64_t attn_case_visible_pairs(const attn_problem *p);
/* Visible (query, key) pairs of a whole case, over every sequence and query head. */
int64_t attn_case_total_visible_pairs(const attn_case *c);

#endif

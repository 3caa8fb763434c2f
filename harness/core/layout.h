/* Tensor layouts the harness hands to implementations: dense BHSD, dense BSHD (the
 * layout of FlashAttention and most inference engines), and strided views (K and V
 * inside a larger KV cache, padded rows everywhere). A layout turns the logical shapes of
 * a problem into strides, the element where each view starts, and the buffer size; the
 * elements of a buffer outside its view are padding, which the harness poisons. */
#ifndef ATTN_LAYOUT_H
#define ATTN_LAYOUT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "attnbench.h"
#include "error.h"

typedef enum {
    ATTN_LAYOUT_BHSD = 0,
    ATTN_LAYOUT_BSHD,
    ATTN_LAYOUT_VIEW,
    ATTN_LAYOUT_COUNT
} attn_layout;

enum {
    ATTN_TENSOR_Q = 0,
    ATTN_TENSOR_K,
    ATTN_TENSOR_V,
    ATTN_TENSOR_O,
    ATTN_TENSOR_LSE,
    ATTN_TENSOR_COUNT
};

/* How a tensor's rows are found: by strides, or (ragged cases) through the sequence
 * tables. */
typedef enum {
    ATTN_ROWS_STRIDED = 0, /* [b][h][i] by the strides */
    ATTN_ROWS_PACKED_Q,    /* row cu_q[b] + i of [0][h] (Q, O, LSE of a ragged case) */
    ATTN_ROWS_CACHE,       /* [b][h][j], j < nkv_b (ATTN_KV_CACHE) */
    ATTN_ROWS_PACKED_KV,   /* row cu_kv[b] + j of [0][h] (ATTN_KV_PACKED) */
    ATTN_ROWS_PAGED        /* [table[b][j / P]][h][j % P] (ATTN_KV_PAGED) */
} attn_row_map;

struct attn_serving;

/* One tensor's place in its buffer. The dense form it is copied from and to is BHSD; for
 * a ragged case, each sequence's own BHSD tensor one after the other (problem.h). */
typedef struct attn_tensor_layout {
    int64_t shape[4];  /* as the implementation sees it; LSE has shape[3] = 1 */
    int64_t stride[4]; /* elements; LSE has stride[3] = 0 */
    int64_t start;     /* element of the buffer where [0][0][0][0] is */
    int64_t span;      /* elements in the buffer, padding included */
    int32_t dtype;     /* attn_element_type of the elements (LSE: f32) */
    int32_t map;       /* attn_row_map */
    /* the tables of a ragged case (valid in the process that made the layout only: a
     * worker is sent the layout but never walks its rows) */
    const struct attn_serving *serving;
} attn_tensor_layout;

typedef struct attn_case_layout {
    attn_layout kind;
    attn_tensor_layout t[ATTN_TENSOR_COUNT];
} attn_case_layout;

const char *attn_layout_name(attn_layout kind);
/* "bhsd", "bshd" or "view" (the message names the value). */
int attn_layout_parse(const char *text, attn_layout *kind, attn_error *err);
/* A comma list of layouts, or "all"; returns a bit per layout. */
int attn_layout_parse_list(const char *text, unsigned *mask, attn_error *err);
/* One line saying what each layout is, for --help. */
extern const char attn_layout_help[];

/* The layout of every tensor of problem p; serving holds the tables of a ragged problem
 * (NULL otherwise; it must outlive the layout). Fails only when the sizes overflow. */
int attn_layout_of(const attn_problem *p, attn_layout kind, const struct attn_serving *serving,
                   attn_case_layout *out, attn_error *err);

/* Copies a dense BHSD float tensor into (or out of) its view in buffer, converting to (or
 * from) the layout's element type. */
void attn_layout_scatter(const attn_tensor_layout *l, const float *dense, void *buffer);
void attn_layout_gather(const attn_tensor_layout *l, const void *buffer, float *dense);
/* Fills the view's elements in buffer with bits (leaving the padding alone); 16-bit
 * elements get the upper half of bits (a NaN of bf16 and of f16 for a float NaN pattern
 * whose fraction's top bits are not all zero). */
void attn_layout_fill_view(const attn_tensor_layout *l, uint32_t bits, void *buffer);
/* Fills buffer elements [from, from + count) with bits, as attn_layout_fill_view. */
void attn_layout_fill(const attn_tensor_layout *l, uint32_t bits, void *buffer, int64_t from,
                      int64_t count);
/* Bytes of one element of the layout. */
size_t attn_layout_element_size(const attn_tensor_layout *l);

/* When buffer element `offset` is inside the view, sets index to its logical position
 * and returns true. */
bool attn_layout_locate(const attn_tensor_layout *l, int64_t offset, int64_t index[4]);

/* The descriptor an implementation receives, for a buffer at data. */
attn_tensor attn_layout_tensor(const attn_tensor_layout *l, void *buffer);

#endif

/* Strides and views of the layouts, and copying between dense tensors and views. */
#include "layout.h"

#include "element_type.h"
#include "serving.h"

#include <string.h>

static const char *const names[ATTN_LAYOUT_COUNT] = {"bhsd", "bshd", "view"};

const char attn_layout_help[] =
    "bhsd: dense [B][H][N][D]; bshd: dense [B][N][H][D] (LSE [B][N][H]); view: K and V\n"
    "inside a larger cache (capacity N+5 rows, rows of D+3), Q and O rows of D+1, LSE with\n"
    "stride 2, every gap poisoned with NaN";

const char *attn_layout_name(attn_layout kind) {
    return (unsigned)kind < ATTN_LAYOUT_COUNT ? names[kind] : "?";
}

int attn_layout_parse(const char *text, attn_layout *kind, attn_error *err) {
    for (int k = 0; k < ATTN_LAYOUT_COUNT; k++)
        if (strcmp(text, names[k]) == 0) {
            *kind = (attn_layout)k;
            return 0;
        }
    return attn_fail_input(err, "layout '%s': expected bhsd, bshd or view", text);
}

int attn_layout_parse_list(const char *text, unsigned *mask, attn_error *err) {
    *mask = 0;
    if (strcmp(text, "all") == 0) {
        *mask = (1u << ATTN_LAYOUT_COUNT) - 1;
        return 0;
    }
    char item[64];
    for (const char *at = text;;) {
        size_t length = strcspn(at, ",");
        if (length == 0 || length >= sizeof item)
            return attn_fail_input(err,
                                   "--layout %s: expected a comma list of bhsd, bshd, view "
                                   "or 'all'",
                                   text);
        memcpy(item, at, length);
        item[length] = '\0';
        attn_layout kind = ATTN_LAYOUT_BHSD;
        if (attn_layout_parse(item, &kind, err)) {
            attn_error_prefix(err, "--layout");
            return -1;
        }
        *mask |= 1u << kind;
        if (!at[length])
            return 0;
        at += length + 1;
    }
}

/* Dense strides of a [n0][n1][n2][n3] tensor stored in the order given by perm (outer
 * first), with row_stride elements per innermost row. */
static void strides_for(const int64_t shape[4], const int perm[3], int64_t row_stride,
                        int64_t rows_capacity, int64_t stride[4], int64_t *span) {
    stride[3] = 1;
    int64_t size = row_stride;
    /* innermost of the three outer dimensions first */
    for (int k = 2; k >= 0; k--) {
        const int dim = perm[k];
        stride[dim] = size;
        size *= dim == 2 ? rows_capacity : shape[dim];
    }
    *span = size;
}

static int checked(int64_t x, attn_error *err) {
    /* extents are at most 2^31 each (problem.c); a span of 2^62 cannot be allocated */
    if (x < 0 || x > ((int64_t)1 << 62))
        return attn_fail_input(err, "tensor sizes overflow");
    return 0;
}

/* The shapes an implementation sees and how rows are found, for a ragged problem. */
static void ragged_shapes(const attn_problem *p, int64_t shapes[ATTN_TENSOR_COUNT][4],
                          int32_t maps[ATTN_TENSOR_COUNT]) {
    const int64_t dims[ATTN_TENSOR_COUNT] = {p->head_dim, p->head_dim, p->head_dim_v, p->head_dim_v,
                                             1};
    for (int t = 0; t < ATTN_TENSOR_COUNT; t++) {
        const bool is_kv = t == ATTN_TENSOR_K || t == ATTN_TENSOR_V;
        int64_t outer = 1, rows = p->total_q;
        maps[t] = ATTN_ROWS_PACKED_Q;
        if (is_kv && p->kv_storage == ATTN_KV_CACHE) {
            outer = p->batch;
            rows = p->seq_kv;
            maps[t] = ATTN_ROWS_CACHE;
        } else if (is_kv && p->kv_storage == ATTN_KV_PACKED) {
            rows = p->total_kv;
            maps[t] = ATTN_ROWS_PACKED_KV;
        } else if (is_kv) {
            outer = p->page_count;
            rows = p->page_size;
            maps[t] = ATTN_ROWS_PAGED;
        }
        const int64_t shape[4] = {outer, is_kv ? p->heads_kv : p->heads_q, rows, dims[t]};
        memcpy(shapes[t], shape, sizeof shape);
    }
}

int attn_layout_of(const attn_problem *p, attn_layout kind, const struct attn_serving *serving,
                   attn_case_layout *out, attn_error *err) {
    memset(out, 0, sizeof *out);
    out->kind = kind;
    int64_t shapes[ATTN_TENSOR_COUNT][4] = {
        {p->batch, p->heads_q, p->seq_q, p->head_dim},
        {p->batch, p->heads_kv, p->seq_kv, p->head_dim},
        {p->batch, p->heads_kv, p->seq_kv, p->head_dim_v},
        {p->batch, p->heads_q, p->seq_q, p->head_dim_v},
        {p->batch, p->heads_q, p->seq_q, 1},
    };
    int32_t maps[ATTN_TENSOR_COUNT] = {ATTN_ROWS_STRIDED};
    if (p->ragged) {
        if (!serving)
            return attn_fail_internal(err, "a ragged problem laid out without its tables");
        ragged_shapes(p, shapes, maps);
    }
    static const int bhsd[3] = {0, 1, 2}, bshd[3] = {0, 2, 1};
    const int32_t types[ATTN_TENSOR_COUNT] = {p->q_type, p->k_type, p->v_type, p->o_type, ATTN_F32};
    for (int t = 0; t < ATTN_TENSOR_COUNT; t++) {
        attn_tensor_layout *l = &out->t[t];
        memcpy(l->shape, shapes[t], sizeof l->shape);
        l->dtype = types[t];
        l->map = maps[t];
        l->serving = p->ragged ? serving : NULL;
        const bool paged = l->map == ATTN_ROWS_PAGED;
        const bool is_lse = t == ATTN_TENSOR_LSE, is_kv = t == ATTN_TENSOR_K || t == ATTN_TENSOR_V;
        int64_t row = l->shape[3], capacity = l->shape[2];
        if (kind == ATTN_LAYOUT_VIEW) {
            row = is_lse ? 2 : is_kv ? row + 3 : row + 1;
            /* a page of a paged cache gets one spare slot, a cache five spare rows */
            capacity = is_kv ? capacity + (paged ? 1 : 5) : capacity;
        }
        strides_for(l->shape, kind == ATTN_LAYOUT_BSHD ? bshd : bhsd, row, capacity, l->stride,
                    &l->span);
        if (is_lse)
            l->stride[3] = 0;
        /* In a view, K and V start two rows into their cache: padding on both sides. */
        if (kind == ATTN_LAYOUT_VIEW && is_kv && !paged)
            l->start = 2 * l->stride[2];
        if (checked(l->span, err))
            return -1;
    }
    return 0;
}

/* Sequences (batch entries) of the dense form, and rows of entry i0 of a head. */
static int64_t outer_count(const attn_tensor_layout *l) {
    return l->serving ? l->serving->batch : l->shape[0];
}

static int64_t row_count(const attn_tensor_layout *l, int64_t i0) {
    switch (l->map) {
    case ATTN_ROWS_PACKED_Q:
        return l->serving->len_q[i0];
    case ATTN_ROWS_CACHE:
    case ATTN_ROWS_PACKED_KV:
    case ATTN_ROWS_PAGED:
        return l->serving->len_kv[i0];
    default:
        return l->shape[2];
    }
}

/* The buffer element where row i2 of head i1 of entry i0 starts. */
static int64_t row_at(const attn_tensor_layout *l, int64_t i0, int64_t i1, int64_t i2) {
    const attn_serving *s = l->serving;
    int64_t outer = i0, row = i2;
    if (l->map == ATTN_ROWS_PACKED_Q) {
        outer = 0;
        row = s->cu_q[i0] + i2;
    } else if (l->map == ATTN_ROWS_PACKED_KV) {
        outer = 0;
        row = s->cu_kv[i0] + i2;
    } else if (l->map == ATTN_ROWS_PAGED) {
        outer = s->table[i0 * s->pages_per_seq + i2 / s->page_size];
        row = i2 % s->page_size;
    }
    return l->start + outer * l->stride[0] + i1 * l->stride[1] + row * l->stride[2];
}

/* Runs body for every row: at_ its first buffer element, dense_ its first element in the
 * dense form, (i0, i1, i2) its logical position. */
#define FOR_EACH_ROW(l, body)                                                                      \
    do {                                                                                           \
        int64_t dense_row_ = 0;                                                                    \
        const int64_t outer_ = outer_count(l);                                                     \
        for (int64_t i0 = 0; i0 < outer_; i0++) {                                                  \
            const int64_t rows_ = row_count((l), i0);                                              \
            for (int64_t i1 = 0; i1 < (l)->shape[1]; i1++)                                         \
                for (int64_t i2 = 0; i2 < rows_; i2++, dense_row_++) {                             \
                    const int64_t at_ = row_at((l), i0, i1, i2);                                   \
                    const int64_t dense_ = dense_row_ * (l)->shape[3];                             \
                    (void)dense_;                                                                  \
                    body;                                                                          \
                }                                                                                  \
        }                                                                                          \
    } while (0)

static size_t element_bytes(const attn_tensor_layout *l) {
    return attn_type_size(l->dtype);
}

size_t attn_layout_element_size(const attn_tensor_layout *l) {
    return element_bytes(l);
}

void attn_layout_scatter(const attn_tensor_layout *l, const float *dense, void *buffer) {
    char *bytes = buffer;
    const size_t size = element_bytes(l);
    FOR_EACH_ROW(
        l, attn_store_elements(l->dtype, dense + dense_, bytes + (size_t)at_ * size, l->shape[3]));
}

void attn_layout_gather(const attn_tensor_layout *l, const void *buffer, float *dense) {
    const char *bytes = buffer;
    const size_t size = element_bytes(l);
    FOR_EACH_ROW(
        l, attn_load_elements(l->dtype, bytes + (size_t)at_ * size, dense + dense_, l->shape[3]));
}

void attn_layout_fill(const attn_tensor_layout *l, uint32_t bits, void *buffer, int64_t from,
                      int64_t count) {
    char *bytes = buffer;
    if (element_bytes(l) == 4) {
        for (int64_t i = from; i < from + count; i++)
            memcpy(bytes + 4 * i, &bits, 4);
    } else {
        const uint16_t half = (uint16_t)(bits >> 16);
        for (int64_t i = from; i < from + count; i++)
            memcpy(bytes + 2 * i, &half, 2);
    }
}

void attn_layout_fill_view(const attn_tensor_layout *l, uint32_t bits, void *buffer) {
    FOR_EACH_ROW(l, attn_layout_fill(l, bits, buffer, at_, l->shape[3]));
}

bool attn_layout_locate(const attn_tensor_layout *l, int64_t offset, int64_t index[4]) {
    bool found = false;
    FOR_EACH_ROW(
        l, if (!found && offset >= at_ && offset < at_ + l->shape[3]) {
            index[0] = i0;
            index[1] = i1;
            index[2] = i2;
            index[3] = offset - at_;
            found = true;
        });
    return found;
}

attn_tensor attn_layout_tensor(const attn_tensor_layout *l, void *buffer) {
    attn_tensor t = {.data = buffer ? (char *)buffer + (size_t)l->start * element_bytes(l) : NULL,
                     .dtype = l->dtype,
                     .space = ATTN_SPACE_HOST};
    memcpy(t.shape, l->shape, sizeof t.shape);
    memcpy(t.stride, l->stride, sizeof t.stride);
    return t;
}

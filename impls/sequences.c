/* One call per sequence of a ragged problem. */
#include "sequences.h"

#include <math.h>
#include <stdio.h>
#include <string.h>

size_t attn_sequences_gather_bytes(const attn_problem *p) {
    if (!p->ragged || p->kv_storage != ATTN_KV_PAGED)
        return 0;
    const size_t bytes =
        (size_t)(p->heads_kv * p->seq_kv) * (size_t)(p->head_dim + p->head_dim_v) * sizeof(float);
    /* room to align the pages' start and V's part to 64 bytes */
    return (bytes + 63) / 64 * 64 + 128;
}

/* t narrowed to sequence b's rows: the same strides, the data at its first row. */
static attn_tensor query_view(const attn_args *a, const attn_tensor *t, int64_t b, int64_t rows) {
    attn_tensor view = *t;
    if (t->data)
        view.data = attn_query_row(a, t, b, 0, 0);
    view.shape[0] = 1;
    view.shape[2] = rows;
    return view;
}

/* Sequence b's keys of a batched or packed cache, in place. */
static attn_tensor key_view(const attn_args *a, const attn_tensor *t, int64_t b, int64_t rows) {
    attn_tensor view = *t;
    view.data = attn_key_row(a, t, b, 0, 0);
    view.shape[0] = 1;
    view.shape[2] = rows;
    return view;
}

/* Sequence b's keys of a paged cache, copied to dense [1][Hkv][rows][width] at memory. */
static attn_tensor gather_pages(const attn_args *a, const attn_tensor *t, int64_t b, int64_t rows,
                                void *memory) {
    const int64_t heads = a->problem->heads_kv, width = t->shape[3];
    const size_t row_bytes = (size_t)width * attn_element_size(t);
    for (int64_t h = 0; h < heads; h++)
        for (int64_t j = 0; j < rows; j++)
            memcpy((char *)memory + (size_t)(h * rows + j) * row_bytes, attn_key_row(a, t, b, h, j),
                   row_bytes);
    attn_tensor dense = *t;
    dense.data = memory;
    const int64_t shape[4] = {1, heads, rows, width};
    const int64_t stride[4] = {heads * rows * width, rows * width, width, 1};
    memcpy(dense.shape, shape, sizeof shape);
    memcpy(dense.stride, stride, sizeof stride);
    return dense;
}

/* A sequence that sees no key: zeros and -inf. */
static void write_empty(const attn_args *a, int64_t b, int64_t rows) {
    const attn_problem *p = a->problem;
    const size_t o_bytes = (size_t)p->head_dim_v * attn_element_size(&a->o);
    for (int64_t h = 0; h < p->heads_q; h++)
        for (int64_t i = 0; i < rows; i++) {
            memset(attn_query_row(a, &a->o, b, h, i), 0, o_bytes);
            if (a->lse.data)
                *(float *)attn_query_row(a, &a->lse, b, h, i) = -INFINITY;
        }
}

int attn_sequences_forward(void *context, const attn_args *a,
                           int (*forward)(void *context, const attn_args *args)) {
    const attn_problem *p = a->problem;
    const size_t gather = attn_sequences_gather_bytes(p);
    if (a->workspace_size < gather) {
        snprintf(a->message, a->message_size, "workspace of %zu bytes given, %zu needed",
                 a->workspace_size, gather);
        return ATTN_FAILED;
    }
    const size_t kernel_bytes = a->workspace_size - gather;
    char *pages = (char *)a->workspace + (kernel_bytes + 63) / 64 * 64;
    for (int64_t b = 0; b < p->batch; b++) {
        const int64_t nq = attn_seq_q_len(a, b), nkv = attn_seq_kv_len(a, b);
        if (nq == 0)
            continue;
        if (nkv == 0) {
            write_empty(a, b, nq);
            continue;
        }
        attn_problem one = *p;
        one.batch = 1;
        one.seq_q = nq;
        one.seq_kv = nkv;
        one.ragged = one.kv_storage = 0;
        one.total_q = one.total_kv = one.page_size = one.page_count = one.pages_per_seq = 0;
        attn_args call = *a;
        call.problem = &one;
        call.cu_seqlens_q = call.cu_seqlens_kv = call.seqlens_kv = NULL;
        call.block_table = NULL;
        call.q = query_view(a, &a->q, b, nq);
        call.o = query_view(a, &a->o, b, nq);
        call.lse = query_view(a, &a->lse, b, nq);
        if (p->kv_storage == ATTN_KV_PAGED) {
            const size_t k_bytes =
                (size_t)(p->heads_kv * nkv * p->head_dim) * attn_element_size(&a->k);
            call.k = gather_pages(a, &a->k, b, nkv, pages);
            call.v = gather_pages(a, &a->v, b, nkv, pages + (k_bytes + 63) / 64 * 64);
            call.workspace_size = kernel_bytes;
        } else {
            call.k = key_view(a, &a->k, b, nkv);
            call.v = key_view(a, &a->v, b, nkv);
        }
        const int rc = forward(context, &call);
        if (rc != ATTN_OK)
            return rc;
    }
    return ATTN_OK;
}

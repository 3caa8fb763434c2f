/* The tables of ragged cases. */
#include "serving.h"

#include <stdlib.h>
#include <string.h>

#include "generate.h"

/* Stream of the page shuffle (generate.h lists the others). */
#define STREAM_PAGES 10

void attn_serving_free(attn_serving *s) {
    free(s->len_q);
    free(s->len_kv);
    free(s->cu_q);
    free(s->cu_kv);
    free(s->table);
    memset(s, 0, sizeof *s);
}

/* The pool's pages in a seeded order (Fisher-Yates on the counter-based generator). */
static void shuffle_pages(uint64_t seed, int32_t *order, int64_t count) {
    for (int64_t n = 0; n < count; n++)
        order[n] = (int32_t)n;
    for (int64_t n = count - 1; n > 0; n--) {
        const int64_t m =
            (int64_t)(attn_random_bits(seed, STREAM_PAGES, (uint64_t)n) % (uint64_t)(n + 1));
        const int32_t t = order[n];
        order[n] = order[m];
        order[m] = t;
    }
}

int attn_serving_make(const attn_case *c, attn_serving *s, attn_error *err) {
    const attn_problem *p = &c->problem;
    const int64_t batch = p->batch;
    memset(s, 0, sizeof *s);
    s->batch = batch;
    s->page_size = p->page_size;
    s->pages_per_seq = p->pages_per_seq;
    s->page_count = p->page_count;
    const size_t n = (size_t)batch;
    s->len_q = malloc((n ? n : 1) * sizeof *s->len_q);
    s->len_kv = malloc((n ? n : 1) * sizeof *s->len_kv);
    s->cu_q = malloc((n + 1) * sizeof *s->cu_q);
    s->cu_kv = malloc((n + 1) * sizeof *s->cu_kv);
    const bool paged = p->kv_storage == ATTN_KV_PAGED;
    int32_t *order = NULL;
    if (paged) {
        s->table = malloc(n * (size_t)p->pages_per_seq * sizeof *s->table);
        order = malloc((size_t)p->page_count * sizeof *order);
    }
    if (!s->len_q || !s->len_kv || !s->cu_q || !s->cu_kv || (paged && (!s->table || !order))) {
        free(order);
        attn_serving_free(s);
        return attn_fail_internal(err, "out of memory for the sequence tables");
    }
    s->cu_q[0] = s->cu_kv[0] = 0;
    for (int64_t b = 0; b < batch; b++) {
        s->len_q[b] = attn_case_seq_len(c, ATTN_SEQ_Q, b);
        s->len_kv[b] = attn_case_seq_len(c, ATTN_SEQ_KV, b);
        s->cu_q[b + 1] = s->cu_q[b] + s->len_q[b];
        s->cu_kv[b + 1] = s->cu_kv[b] + s->len_kv[b];
    }
    if (paged) {
        shuffle_pages(c->lengths_seed, order, p->page_count);
        /* used pages first in the shuffled order; the spare ones at its end stay unused,
         * and entries past a sequence's last page name one of those, poisoned */
        int64_t next = 0;
        const int32_t spare = order[p->page_count - 1];
        for (int64_t b = 0; b < batch; b++) {
            const int64_t used = (s->len_kv[b] + p->page_size - 1) / p->page_size;
            for (int64_t t = 0; t < p->pages_per_seq; t++)
                s->table[b * p->pages_per_seq + t] = t < used ? order[next++] : spare;
        }
        free(order);
    }
    return 0;
}

void attn_serving_offsets(const attn_serving *s, const attn_problem *p, int64_t b,
                          attn_sequence_offsets *at) {
    at->lse = (size_t)(s->cu_q[b] * p->heads_q);
    at->q = at->lse * (size_t)p->head_dim;
    at->o = at->lse * (size_t)p->head_dim_v;
    at->k = (size_t)(s->cu_kv[b] * p->heads_kv * p->head_dim);
    at->v = (size_t)(s->cu_kv[b] * p->heads_kv * p->head_dim_v);
}

static size_t aligned(size_t x) {
    return (x + 63) / 64 * 64;
}

void attn_serving_region_of(const attn_problem *p, attn_serving_region *r) {
    memset(r, 0, sizeof *r);
    if (!p->ragged)
        return;
    const size_t n = (size_t)p->batch;
    r->cu_q = 0;
    r->cu_kv = aligned(r->cu_q + (n + 1) * sizeof(int64_t));
    r->lens_kv = aligned(r->cu_kv + (n + 1) * sizeof(int64_t));
    r->table = aligned(r->lens_kv + n * sizeof(int64_t));
    const size_t entries = p->kv_storage == ATTN_KV_PAGED ? n * (size_t)p->pages_per_seq : 0;
    r->bytes = aligned(r->table + entries * sizeof(int32_t));
}

void attn_serving_store(const attn_serving *s, const attn_problem *p, void *region) {
    attn_serving_region r;
    attn_serving_region_of(p, &r);
    char *bytes = region;
    const size_t n = (size_t)s->batch;
    memcpy(bytes + r.cu_q, s->cu_q, (n + 1) * sizeof(int64_t));
    memcpy(bytes + r.cu_kv, s->cu_kv, (n + 1) * sizeof(int64_t));
    memcpy(bytes + r.lens_kv, s->len_kv, n * sizeof(int64_t));
    if (s->table)
        memcpy(bytes + r.table, s->table, n * (size_t)s->pages_per_seq * sizeof(int32_t));
}

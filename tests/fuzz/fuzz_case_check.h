/* The property every accepted case must have, shared by fuzz_case.c and fuzz_suite.c:
 * it validates, its canonical string fits, parses back, and identifies the same case
 * (format -> parse -> format gives the identical string and identical fields). */
#ifndef ATTN_FUZZ_CASE_CHECK_H
#define ATTN_FUZZ_CASE_CHECK_H

#include <string.h>

#include "../../harness/core/problem.h"
#include "fuzz_util.h"

static inline bool fuzz_same_double(double a, double b) {
    return memcmp(&a, &b, sizeof a) == 0;
}

static inline bool fuzz_same_case(const attn_case *a, const attn_case *b) {
    const attn_problem *p = &a->problem, *q = &b->problem;
    return p->batch == q->batch && p->heads_q == q->heads_q && p->heads_kv == q->heads_kv &&
           p->seq_q == q->seq_q && p->seq_kv == q->seq_kv && p->head_dim == q->head_dim &&
           p->head_dim_v == q->head_dim_v && p->window_left == q->window_left &&
           p->window_right == q->window_right && fuzz_same_double(p->scale, q->scale) &&
           a->scale_is_default == b->scale_is_default && a->seed == b->seed && a->dist == b->dist &&
           p->ragged == q->ragged && p->kv_storage == q->kv_storage &&
           p->page_size == q->page_size && p->total_q == q->total_q && p->total_kv == q->total_kv &&
           p->page_count == q->page_count && p->pages_per_seq == q->pages_per_seq;
}

static inline void fuzz_check_case(const attn_case *c, const char *where) {
    attn_error err;
    fuzz_error_reset(&err);
    char first[ATTN_CASE_STRING_MAX];
    attn_case_format(c, first);
    FUZZ_CHECK(attn_case_validate(c, &err) == 0, "%s: accepted case '%s' does not validate: %s",
               where, first, err.message);
    FUZZ_CHECK(strlen(first) < ATTN_CASE_STRING_MAX - 1,
               "%s: canonical string '%s' fills the buffer (possibly truncated)", where, first);
    attn_case again;
    fuzz_error_reset(&err);
    FUZZ_CHECK(attn_case_parse(first, &again, &err) == 0,
               "%s: canonical string '%s' does not parse back: %s", where, first, err.message);
    char second[ATTN_CASE_STRING_MAX];
    attn_case_format(&again, second);
    FUZZ_CHECK(strcmp(first, second) == 0, "%s: '%s' parses back as '%s'", where, first, second);
    FUZZ_CHECK(fuzz_same_case(c, &again), "%s: '%s' parses back to different fields", where, first);
}

#endif

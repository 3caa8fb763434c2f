/* Unit tests for serving cases: the grammar of per-sequence counts and key storages
 * (harness/core/problem.h), the sequence tables and the shuffled block table
 * (harness/core/serving.h), and the rows a layout finds through them (layout.h). */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "compare.h"
#include "layout.h"
#include "problem.h"
#include "serving.h"

static void parse_ok(const char *text, attn_case *c) {
    attn_error err = {0};
    cr_assert_eq(attn_case_parse(text, c, &err), 0, "parsing '%s' failed: %s", text, err.message);
}

static void parse_fails(const char *text, const char *want) {
    attn_case c;
    attn_error err = {0};
    cr_assert_eq(attn_case_parse(text, &c, &err), -1, "'%s' should fail", text);
    cr_assert_eq(err.kind, ATTN_EXIT_BAD_INPUT, "'%s': %s", text, err.message);
    cr_assert(strstr(err.message, want) != NULL, "'%s': message lacks '%s': %s", text, want,
              err.message);
}

Test(serving, list_counts_and_paged_fields) {
    attn_case c;
    parse_ok("b=3 hq=4 hkv=2 nq=1/4/0 nkv=100/37/5 d=16 kv=paged:16", &c);
    const attn_problem *p = &c.problem;
    cr_assert_eq(p->ragged, 1);
    cr_assert_eq(p->kv_storage, ATTN_KV_PAGED);
    cr_assert_eq(p->seq_q, 4);
    cr_assert_eq(p->seq_kv, 100);
    cr_assert_eq(p->total_q, 5);
    cr_assert_eq(p->page_size, 16);
    cr_assert_eq(p->pages_per_seq, 7); /* 100 keys in pages of 16 */
    cr_assert_eq(p->page_count, 7 + 3 + 1 + 2 + 11 / 4);
    const int64_t nq[3] = {1, 4, 0}, nkv[3] = {100, 37, 5};
    for (int64_t b = 0; b < 3; b++) {
        cr_assert_eq(attn_case_seq_len(&c, ATTN_SEQ_Q, b), nq[b]);
        cr_assert_eq(attn_case_seq_len(&c, ATTN_SEQ_KV, b), nkv[b]);
    }
    attn_case_sizes sizes;
    cr_assert_eq(attn_case_sizes_of(&c, &sizes, NULL), 0);
    cr_assert_eq(sizes.rows, 5 * 4);
    cr_assert_eq(sizes.k, 142 * 2 * 16);
    attn_sequence_offsets at;
    attn_case_sequence_offsets(&c, 2, &at);
    cr_assert_eq(at.lse, 5 * 4);
    cr_assert_eq(at.k, 137 * 2 * 16);
}

Test(serving, canonical_string_round_trips) {
    const char *const texts[] = {
        "b=3 hq=4 hkv=2 nq=1/4/0 nkv=100/37/5 d=16 dv=16 window=-1:0 scale=default seed=3 "
        "dist=uniform kv=paged:16",
        "b=5 hq=2 hkv=1 nq=1..16 nkv=0..300 d=8 dv=8 window=-1:-1 scale=default seed=9 "
        "dist=uniform kv=packed",
        "b=4 hq=1 hkv=1 n=0..90 d=8 dv=8 window=8:0 scale=default seed=1 dist=uniform kv=cache",
        "b=2 hq=1 hkv=1 nq=1 nkv=0 d=8 dv=8 window=-1:-1 scale=default seed=1 dist=uniform "
        "kv=cache",
    };
    for (size_t n = 0; n < sizeof texts / sizeof texts[0]; n++) {
        attn_case c, back;
        parse_ok(texts[n], &c);
        char text[ATTN_CASE_STRING_MAX];
        attn_case_format(&c, text);
        cr_assert_str_eq(text, texts[n]);
        parse_ok(text, &back);
        for (int64_t b = 0; b < c.problem.batch; b++)
            for (int w = 0; w < 2; w++)
                cr_assert_eq(attn_case_seq_len(&c, w, b), attn_case_seq_len(&back, w, b));
    }
}

Test(serving, ranges_are_drawn_within_bounds_from_the_seed) {
    attn_case c, other;
    parse_ok("b=64 nq=1..16 nkv=0..32768 kv=paged:64 seed=5", &c);
    parse_ok("b=64 nq=1..16 nkv=0..32768 kv=paged:64 seed=6", &other);
    bool differ = false, saw_q_lo = false;
    int64_t max_q = 0, max_kv = 0;
    for (int64_t b = 0; b < 64; b++) {
        const int64_t nq = attn_case_seq_len(&c, ATTN_SEQ_Q, b);
        const int64_t nkv = attn_case_seq_len(&c, ATTN_SEQ_KV, b);
        cr_assert(nq >= 1 && nq <= 16 && nkv >= 0 && nkv <= 32768, "b=%lld: %lld %lld",
                  (long long)b, (long long)nq, (long long)nkv);
        saw_q_lo |= nq == 1;
        max_q = nq > max_q ? nq : max_q;
        max_kv = nkv > max_kv ? nkv : max_kv;
        differ |= nkv != attn_case_seq_len(&other, ATTN_SEQ_KV, b);
    }
    cr_assert(saw_q_lo && differ);
    cr_assert_eq(c.problem.seq_q, max_q);
    cr_assert_eq(c.problem.seq_kv, max_kv);
    /* changing only the inputs' seed afterwards (bench's second input set) keeps them */
    attn_case again = c;
    again.seed = 77;
    for (int64_t b = 0; b < 64; b++)
        cr_assert_eq(attn_case_seq_len(&again, ATTN_SEQ_KV, b),
                     attn_case_seq_len(&c, ATTN_SEQ_KV, b));
}

Test(serving, n_ties_keys_to_queries) {
    attn_case c;
    parse_ok("b=8 n=0..90 kv=packed", &c);
    for (int64_t b = 0; b < 8; b++)
        cr_assert_eq(attn_case_seq_len(&c, ATTN_SEQ_Q, b), attn_case_seq_len(&c, ATTN_SEQ_KV, b));
    cr_assert_eq(c.problem.total_kv, c.problem.total_q);
}

Test(serving, bad_counts_and_storages_are_refused) {
    parse_fails("b=2 nq=1/2/3 nkv=5/5 kv=cache", "nq lists 3 counts for b=2");
    parse_fails("b=2 nkv=9..3 kv=cache", "empty");
    parse_fails("b=1 nkv=4 kv=paged:0", "kv=paged");
    parse_fails("b=1 nkv=4 kv=pages", "expected cache, packed or paged:P");
    parse_fails("b=1 nq=0 nkv=4", "nq=0");
    parse_fails("b=1 nkv=1/x kv=cache", "nkv=1/x");
    parse_fails("b=1 nkv=4 kv=cache kv=packed", "give each field once");
}

Test(serving, sequence_is_a_uniform_case_of_its_own) {
    attn_case c, one;
    parse_ok("b=3 hq=4 hkv=2 nq=1/4/2 nkv=100/37/5 d=16 kv=paged:16 seed=4", &c);
    attn_case_sequence(&c, 1, &one);
    cr_assert_eq(one.problem.batch, 1);
    cr_assert_eq(one.problem.seq_q, 4);
    cr_assert_eq(one.problem.seq_kv, 37);
    cr_assert_eq(one.problem.ragged, 0);
    cr_assert_neq(one.seed, c.seed);
    cr_assert_eq(attn_case_total_visible_pairs(&c), 4 * (100 + 4 * 37 + 2 * 5));
}

Test(serving, block_table_scatters_distinct_pages_and_leaves_spares) {
    attn_case c;
    parse_ok("b=5 nq=1 nkv=0/1/16/17/100 kv=paged:16 seed=8", &c);
    attn_serving s;
    attn_error err = {0};
    cr_assert_eq(attn_serving_make(&c, &s, &err), 0, "%s", err.message);
    const int64_t count = s.page_count, per = s.pages_per_seq;
    cr_assert_eq(per, 7);
    unsigned char *owner = calloc((size_t)count, 1);
    int64_t used = 0;
    bool shuffled = false;
    for (int64_t b = 0; b < 5; b++) {
        const int64_t pages = (s.len_kv[b] + 15) / 16;
        for (int64_t t = 0; t < per; t++) {
            const int32_t page = s.table[b * per + t];
            cr_assert(page >= 0 && page < count);
            if (t < pages) {
                cr_assert_eq(owner[page], 0, "page %d given twice", page);
                owner[page] = 1;
                shuffled |= page != used;
                used++;
            }
        }
    }
    /* entries past a sequence's pages name a page no sequence uses */
    for (int64_t b = 0; b < 5; b++)
        for (int64_t t = (s.len_kv[b] + 15) / 16; t < per; t++)
            cr_assert_eq(owner[s.table[b * per + t]], 0);
    cr_assert_eq(used, 0 + 1 + 1 + 2 + 7);
    cr_assert(used < count && shuffled);
    cr_assert_eq(s.cu_kv[5], 134);
    free(owner);
    attn_serving_free(&s);
}

/* Every logical row of a paged case lands where attnbench.h's formula puts it. */
Test(serving, layout_rows_follow_the_block_table) {
    attn_case c;
    parse_ok("b=3 hq=2 hkv=2 nq=2/0/3 nkv=7/0/12 d=4 kv=paged:5 seed=2", &c);
    attn_serving s;
    attn_error err = {0};
    cr_assert_eq(attn_serving_make(&c, &s, &err), 0);
    for (int kind = 0; kind < ATTN_LAYOUT_COUNT; kind++) {
        attn_case_layout l;
        cr_assert_eq(attn_layout_of(&c.problem, (attn_layout)kind, &s, &l, &err), 0);
        const attn_tensor_layout *k = &l.t[ATTN_TENSOR_K], *q = &l.t[ATTN_TENSOR_Q];
        cr_assert_eq(k->shape[0], c.problem.page_count);
        cr_assert_eq(k->shape[2], 5);
        cr_assert_eq(q->shape[0], 1);
        cr_assert_eq(q->shape[2], 5);
        float *dense = malloc(19 * 2 * 4 * sizeof *dense), *back = calloc(19 * 2 * 4, sizeof *back);
        for (int n = 0; n < 19 * 2 * 4; n++)
            dense[n] = (float)n;
        float *buffer = malloc((size_t)k->span * sizeof *buffer);
        for (int64_t n = 0; n < k->span; n++)
            buffer[n] = NAN;
        attn_layout_scatter(k, dense, buffer);
        /* sequence 2 (after 7 keys of sequence 0 in the dense form), head 1, key 11 */
        const int64_t dense_row = 2 * 7 + 1 * 12 + 11;
        const int32_t page = s.table[2 * s.pages_per_seq + 11 / 5];
        const float *at =
            buffer + k->start + page * k->stride[0] + 1 * k->stride[1] + (11 % 5) * k->stride[2];
        for (int col = 0; col < 4; col++)
            cr_assert_eq(at[col], dense[dense_row * 4 + col], "layout %d col %d", kind, col);
        /* the rest of sequence 2's last page (keys 12..14) stays poisoned */
        const float *tail =
            buffer + k->start + s.table[2 * s.pages_per_seq + 2] * k->stride[0] + 2 * k->stride[2];
        cr_assert(isnan(tail[0]));
        attn_layout_gather(k, buffer, back);
        cr_assert_eq(memcmp(back, dense, 19 * 2 * 4 * sizeof *back), 0);
        free(dense);
        free(back);
        free(buffer);
    }
    attn_serving_free(&s);
}

/* The position of the worst element in a ragged case names the sequence it is in, passing
 * over empty sequences; a case whose sequences all have no query rows has none. */
Test(serving, case_position_skips_empty_sequences) {
    attn_case c;
    parse_ok("b=4 hq=2 hkv=1 nq=1/0/3/2 nkv=5/9/0/1 d=4 kv=packed", &c);
    char text[128];
    attn_format_case_position(&c, false, (size_t)(1 * 4 + 2), text, sizeof text); /* row 1 */
    cr_assert_str_eq(text, "sequence 0: O[0][1][0][2]");
    attn_format_case_position(&c, true, 2, text, sizeof text); /* row 2: head 0 of sequence 2 */
    cr_assert_str_eq(text, "sequence 2: LSE[0][0][0]");
    parse_ok("b=1 hq=2 hkv=1 nq=0 nkv=7 d=4 kv=cache", &c);
    attn_format_case_position(&c, false, 0, text, sizeof text);
    cr_assert_str_eq(text, "none (no query rows)");
}

/* The sampled selection of verified rows (row_sample.h). */
#include "row_sample.h"

#include <stdlib.h>
#include <string.h>

#include "generate.h"

/* Rows of one pair: fixed ones, tile boundaries, mask edges, spike edges, seeded draws. */
#define ROWS_CAPACITY 512

double attn_reference_work(const attn_problem *p) {
    return (double)p->batch * (double)p->heads_q * (double)p->seq_q * (double)p->seq_kv *
           (double)(p->head_dim + p->head_dim_v);
}

typedef struct row_set {
    int64_t *rows;
    size_t count, capacity;
    int64_t nq;
} row_set;

static void add(row_set *s, int64_t row) {
    if (row < 0 || row >= s->nq || s->count >= s->capacity)
        return;
    for (size_t n = 0; n < s->count; n++)
        if (s->rows[n] == row)
            return;
    s->rows[s->count++] = row;
}

static void add_around(row_set *s, int64_t row) {
    for (int64_t d = -1; d <= 1; d++)
        add(s, row + d);
}

static int compare_rows(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

size_t attn_row_sample_rows(const attn_case *c, uint64_t block, int64_t *rows, size_t capacity) {
    const attn_problem *p = &c->problem;
    const int64_t nq = p->seq_q, off = p->seq_kv - p->seq_q;
    row_set s = {rows, 0, capacity, nq};
    if (nq <= 32) {
        for (int64_t i = 0; i < nq; i++)
            add(&s, i);
        return s.count;
    }
    const int64_t fixed[] = {0, 1, 2, nq / 2, nq - 3, nq - 2, nq - 1};
    for (size_t n = 0; n < sizeof fixed / sizeof fixed[0]; n++)
        add(&s, fixed[n]);
    for (int64_t t = 16; t < nq; t *= 2)
        add_around(&s, t);
    /* Row i sees keys [i + off - L, i + off + R]. */
    if (p->window_right >= 0) {
        add_around(&s, -off - p->window_right);                /* first row with a key */
        add_around(&s, p->seq_kv - 1 - off - p->window_right); /* right edge at the last key */
    }
    if (p->window_left >= 0)
        add_around(&s, p->window_left - off); /* left edge leaves key 0 */
    if ((c->dist == ATTN_DIST_SPIKES || c->dist == ATTN_DIST_NEEDLES) &&
        (p->window_left >= 0 || p->window_right >= 0)) {
        int64_t keys[ATTN_SPIKES_MAX];
        const size_t count = attn_spike_keys(c, block, keys, NULL);
        for (size_t k = 0; k < count; k++) {
            if (p->window_left >= 0) /* left edge at the spike, and the row that just lost it */
                add_around(&s, keys[k] - off + p->window_left);
            if (p->window_right >= 0)
                add_around(&s, keys[k] - off - p->window_right);
        }
    }
    for (uint64_t n = 0; n < 8; n++)
        add(&s, (int64_t)(attn_random_bits(c->seed, 5, n) % (uint64_t)nq));
    qsort(rows, s.count, sizeof *rows, compare_rows);
    return s.count;
}

double attn_case_reference_work(const attn_case *c) {
    if (!c->problem.ragged)
        return attn_reference_work(&c->problem);
    double work = 0;
    for (int64_t b = 0; b < c->problem.batch; b++) {
        attn_case one;
        attn_case_sequence(c, b, &one);
        work += attn_reference_work(&one.problem);
    }
    return work;
}

static int choose_uniform(const attn_case *c, attn_row_sample *sample, attn_error *err);

/* A ragged case: each sequence's own sample, one after the other. */
static int choose_ragged(const attn_case *c, attn_row_sample *sample, attn_error *err) {
    const attn_problem *p = &c->problem;
    memset(sample, 0, sizeof *sample);
    sample->total = (size_t)(p->total_q * p->heads_q);
    if (attn_case_reference_work(c) <= ATTN_FULL_REFERENCE_WORK) {
        sample->full = true;
        sample->rows = sample->total;
        sample->pairs = (size_t)(p->batch * p->heads_q);
        return 0;
    }
    sample->verified = calloc(sample->total ? sample->total : 1, 1);
    if (!sample->verified)
        return attn_fail_internal(err, "out of memory choosing the verified rows");
    size_t at = 0;
    for (int64_t b = 0; b < p->batch; b++) {
        attn_case one;
        attn_case_sequence(c, b, &one);
        const size_t rows = (size_t)(one.problem.seq_q * p->heads_q);
        if (rows == 0)
            continue;
        attn_row_sample part;
        if (one.problem.seq_kv == 0) {
            part = (attn_row_sample){
                .full = true, .rows = rows, .total = rows, .pairs = (size_t)p->heads_q};
        } else if (choose_uniform(&one, &part, err)) {
            attn_row_sample_free(sample);
            return -1;
        }
        for (size_t r = 0; r < rows; r++)
            sample->verified[at + r] = part.full ? 1 : part.verified[r];
        sample->rows += part.rows;
        sample->pairs += part.pairs;
        at += rows;
        attn_row_sample_free(&part);
    }
    return 0;
}

int attn_row_sample_choose(const attn_case *c, attn_row_sample *sample, attn_error *err) {
    return c->problem.ragged ? choose_ragged(c, sample, err) : choose_uniform(c, sample, err);
}

static int choose_uniform(const attn_case *c, attn_row_sample *sample, attn_error *err) {
    const attn_problem *p = &c->problem;
    memset(sample, 0, sizeof *sample);
    const size_t pairs = (size_t)(p->batch * p->heads_q), nq = (size_t)p->seq_q;
    sample->total = pairs * nq;
    if (attn_reference_work(p) <= ATTN_FULL_REFERENCE_WORK) {
        sample->full = true;
        sample->rows = sample->total;
        sample->pairs = pairs;
        return 0;
    }
    sample->verified = calloc(sample->total, 1);
    int64_t *rows = malloc(ROWS_CAPACITY * sizeof *rows);
    if (!sample->verified || !rows) {
        free(rows);
        attn_row_sample_free(sample);
        return attn_fail_internal(err, "out of memory choosing the verified rows");
    }
    const size_t visits = pairs <= ATTN_SAMPLE_MAX_PAIRS ? pairs : ATTN_SAMPLE_MAX_PAIRS;
    const size_t group = (size_t)(p->heads_q / p->heads_kv);
    for (size_t v = 0; v < visits; v++) {
        const size_t pair = visits == pairs ? v : v * (pairs - 1) / (visits - 1);
        const size_t b = pair / (size_t)p->heads_q, h = pair % (size_t)p->heads_q;
        const size_t row_count =
            attn_row_sample_rows(c, b * (size_t)p->heads_kv + h / group, rows, ROWS_CAPACITY);
        for (size_t r = 0; r < row_count; r++)
            sample->verified[pair * nq + (size_t)rows[r]] = 1;
        sample->rows += row_count;
    }
    sample->pairs = visits;
    free(rows);
    return 0;
}

void attn_row_sample_free(attn_row_sample *sample) {
    free(sample->verified);
    memset(sample, 0, sizeof *sample);
}

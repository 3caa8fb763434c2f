/* Planted serving bugs, built only for tests: a correct ragged kernel that reads keys
 * through attnbench.h's row helpers (any storage) and combines fixed splits of 64 keys by
 * their log-sum-exp, as split-KV decode kernels do, then the same kernel with one of the
 * mistakes real serving kernels made. serving_control is the kernel without a bug: it must
 * pass everything the bugs fail. */
#include "attnbench.h"

#include <math.h>
#include <string.h>

#define SPLIT_KEYS 64

typedef enum {
    SERVING_CORRECT,
    SERVING_SPLIT_COMBINE,      /* a split's sum joins the total without its rescale */
    SERVING_BLOCK_TABLE_EDGE,   /* the last slot of a page is read from the next page */
    SERVING_LAST_PAGE_OVERREAD, /* the keys run on to the end of the last page */
    SERVING_SEQUENCE_UNWRITTEN  /* the batch's last sequence is never written */
} serving_bug;

/* Key j of KV head h of sequence b, with the block-table bug when asked for. */
static const float *key_row(const attn_args *a, const attn_tensor *t, serving_bug bug, int64_t b,
                            int64_t h, int64_t j) {
    const attn_problem *p = a->problem;
    if (bug != SERVING_BLOCK_TABLE_EDGE || !p->ragged || p->kv_storage != ATTN_KV_PAGED)
        return attn_key_row(a, t, b, h, j);
    int64_t entry = (j + 1) / p->page_size; /* should be j / page_size */
    if (entry >= p->pages_per_seq)
        entry = j / p->page_size;
    const int64_t page = a->block_table[b * p->pages_per_seq + entry];
    return (const float *)attn_row(t, page, h, j % p->page_size);
}

/* Row i of query head h of sequence b: each split's maximum, sum and unnormalised output,
 * combined into running ones. acc and part hold Dv floats each. */
static void serving_row(const attn_args *a, serving_bug bug, int64_t b, int64_t h, int64_t i,
                        float *acc, float *part) {
    const attn_problem *p = a->problem;
    const int64_t nq = attn_seq_q_len(a, b), nkv = attn_seq_kv_len(a, b);
    const int64_t kv = h / (p->heads_q / p->heads_kv), d = p->head_dim, dv = p->head_dim_v;
    int64_t first, last;
    attn_seq_visible_keys(p, nq, nkv, i, &first, &last);
    if (bug == SERVING_LAST_PAGE_OVERREAD && p->ragged && p->kv_storage == ATTN_KV_PAGED &&
        last == nkv && last > first)
        last = (nkv + p->page_size - 1) / p->page_size * p->page_size;
    const float *q = attn_query_row(a, &a->q, b, h, i);
    float m = -INFINITY, total = 0.0f;
    memset(acc, 0, (size_t)dv * sizeof *acc);
    for (int64_t j0 = first; j0 < last; j0 += SPLIT_KEYS) {
        const int64_t j1 = j0 + SPLIT_KEYS < last ? j0 + SPLIT_KEYS : last;
        float m_s = -INFINITY, sum_s = 0.0f;
        for (int64_t j = j0; j < j1; j++) {
            const float *k = key_row(a, &a->k, bug, b, kv, j);
            float dot = 0.0f;
            for (int64_t c = 0; c < d; c++)
                dot += q[c] * k[c];
            m_s = fmaxf(m_s, (float)p->scale * dot);
        }
        memset(part, 0, (size_t)dv * sizeof *part);
        for (int64_t j = j0; j < j1; j++) {
            const float *k = key_row(a, &a->k, bug, b, kv, j),
                        *v = key_row(a, &a->v, bug, b, kv, j);
            float dot = 0.0f;
            for (int64_t c = 0; c < d; c++)
                dot += q[c] * k[c];
            const float w = expf((float)p->scale * dot - m_s);
            sum_s += w;
            for (int64_t c = 0; c < dv; c++)
                part[c] += w * v[c];
        }
        const float top = fmaxf(m, m_s);
        const float old_weight = m == -INFINITY ? 0.0f : expf(m - top);
        const float new_weight = expf(m_s - top);
        total = total * old_weight + (bug == SERVING_SPLIT_COMBINE ? sum_s : sum_s * new_weight);
        for (int64_t c = 0; c < dv; c++)
            acc[c] = acc[c] * old_weight + part[c] * new_weight;
        m = top;
    }
    float *o = attn_query_row(a, &a->o, b, h, i);
    for (int64_t c = 0; c < dv; c++)
        o[c] = total > 0.0f ? acc[c] / total : 0.0f;
    if (a->lse.data)
        *(float *)attn_query_row(a, &a->lse, b, h, i) = total > 0.0f ? m + logf(total) : -INFINITY;
}

static int serving_forward(const attn_args *a, serving_bug bug) {
    const attn_problem *p = a->problem;
    float *acc = a->workspace, *part = acc + p->head_dim_v;
    int64_t last_written = p->batch - 1;
    while (bug == SERVING_SEQUENCE_UNWRITTEN && last_written > 0 &&
           attn_seq_q_len(a, last_written) == 0)
        last_written--;
    for (int64_t b = 0; b < p->batch; b++) {
        if (bug == SERVING_SEQUENCE_UNWRITTEN && b == last_written && p->batch > 1)
            continue;
        for (int64_t h = 0; h < p->heads_q; h++)
            for (int64_t i = 0; i < attn_seq_q_len(a, b); i++)
                serving_row(a, bug, b, h, i, acc, part);
    }
    return ATTN_OK;
}

static size_t serving_workspace_size(void *context, const attn_problem *p, int threads) {
    (void)context;
    (void)threads;
    return 2 * (size_t)p->head_dim_v * sizeof(float);
}

#define PLANTED_SERVING(bug_id, bug_name, text)                                                    \
    static int forward_##bug_name(void *context, const attn_args *a) {                             \
        (void)context;                                                                             \
        return serving_forward(a, bug_id);                                                         \
    }                                                                                              \
    const attn_impl attn_planted_##bug_name = {                                                    \
        ATTN_IMPL_HEADER,                                                                          \
        .name = #bug_name,                                                                         \
        .summary = text,                                                                           \
        .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW |                \
                ATTN_CAP_GLOBAL | ATTN_CAP_DV_DIFFERS | ATTN_CAP_LSE | ATTN_CAP_CUSTOM_SCALE |     \
                ATTN_CAP_STRIDES | ATTN_CAP_RAGGED | ATTN_CAP_KV_PACKED | ATTN_CAP_KV_PAGED,       \
        .workspace_size = serving_workspace_size,                                                  \
        .forward = forward_##bug_name};

PLANTED_SERVING(SERVING_CORRECT, serving_control,
                "control: split-KV over 64-key splits, no bug (must pass)")
PLANTED_SERVING(SERVING_SPLIT_COMBINE, bug_split_combine,
                "planted bug: split-KV combine adds a split's sum without its rescale")
PLANTED_SERVING(SERVING_BLOCK_TABLE_EDGE, bug_block_table_edge,
                "planted bug: block table off by one at the last slot of each page")
PLANTED_SERVING(SERVING_LAST_PAGE_OVERREAD, bug_last_page_overread,
                "planted bug: a partial last page is read to its end")
PLANTED_SERVING(SERVING_SEQUENCE_UNWRITTEN, bug_sequence_unwritten,
                "planted bug: the last sequence's rows are never written")

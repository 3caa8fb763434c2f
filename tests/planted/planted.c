/* Planted-bug implementations, built only for tests: each is a correct naive kernel
 * with one classic mistake, and the conformance suite must reject every one. */
#include "attnbench.h"
#include "planted_types.h"

#include <math.h>

typedef enum {
    BUG_NO_SCALE,        /* scale never applied */
    BUG_NO_MAX_SHIFT,    /* exp(s) without subtracting the row maximum */
    BUG_WINDOW_EDGE,     /* left window edge admits one key too many */
    BUG_CAUSAL_TOP_LEFT, /* mask aligned top-left: diagonal at j = i, not i + Nkv - Nq */
    BUG_GQA_MAP,         /* query head h reads kv head h % Hkv, not h / (Hq / Hkv) */
    BUG_UNWRITTEN_ROW,   /* the middle query row of the first head is never written */
    BUG_NAN_EMPTY_ROWS,  /* rows with no visible key get 0/0 = NaN instead of zeros */
} planted_bug;

static void visible_range(const attn_problem *p, int64_t i, planted_bug bug, int64_t *first,
                          int64_t *last) {
    int64_t diag = bug == BUG_CAUSAL_TOP_LEFT ? i : i + p->seq_kv - p->seq_q;
    int64_t lo = p->window_left < 0 ? 0 : diag - p->window_left;
    if (bug == BUG_WINDOW_EDGE && p->window_left >= 0)
        lo -= 1;
    int64_t hi = p->window_right < 0 ? p->seq_kv : diag + p->window_right + 1;
    lo = lo < 0 ? 0 : lo;
    hi = hi > p->seq_kv ? p->seq_kv : hi;
    *first = lo;
    *last = hi < lo ? lo : hi;
}

/* Output row i of query head h of batch b, which reads key/value head kv. */
static void row(const attn_args *a, planted_bug bug, int64_t b, int64_t h, int64_t kv, int64_t i) {
    const attn_problem *p = a->problem;
    int64_t first, last;
    visible_range(p, i, bug, &first, &last);
    const int64_t d = p->head_dim, dv = p->head_dim_v;
    const float scale = bug == BUG_NO_SCALE ? 1.0f : (float)p->scale;
    const float *q = attn_f32_row(&a->q, b, h, i);
    float *out = attn_f32_row(&a->o, b, h, i);
    float *lse = a->lse.data ? attn_f32_row(&a->lse, b, h, i) : NULL;
    float row_max = -INFINITY, total = 0.0f;
    for (int64_t j = first; j < last; j++) {
        const float *k = attn_f32_row(&a->k, b, kv, j);
        float dot = 0.0f;
        for (int64_t c = 0; c < d; c++)
            dot += q[c] * k[c];
        row_max = fmaxf(row_max, scale * dot);
    }
    float shift = bug == BUG_NO_MAX_SHIFT ? 0.0f : row_max;
    for (int64_t c = 0; c < dv; c++)
        out[c] = 0.0f;
    for (int64_t j = first; j < last; j++) {
        const float *k = attn_f32_row(&a->k, b, kv, j), *v = attn_f32_row(&a->v, b, kv, j);
        float dot = 0.0f;
        for (int64_t c = 0; c < d; c++)
            dot += q[c] * k[c];
        float weight = expf(scale * dot - shift);
        total += weight;
        for (int64_t c = 0; c < dv; c++)
            out[c] += weight * v[c];
    }
    if (first == last && bug != BUG_NAN_EMPTY_ROWS) {
        if (lse)
            *lse = -INFINITY;
        return;
    }
    for (int64_t c = 0; c < dv; c++)
        out[c] /= total;
    if (lse)
        *lse = shift + logf(total);
}

static int forward(const attn_args *a, planted_bug bug) {
    const attn_problem *p = a->problem;
    const int64_t group = p->heads_q / p->heads_kv;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->heads_q; h++) {
            int64_t kv = bug == BUG_GQA_MAP ? h % p->heads_kv : h / group;
            for (int64_t i = 0; i < p->seq_q; i++) {
                if (bug == BUG_UNWRITTEN_ROW && b == 0 && h == 0 && i == p->seq_q / 2)
                    continue;
                row(a, bug, b, h, kv, i);
            }
        }
    return ATTN_OK;
}

/* forward with the bug as an int, for planted_typed_forward. */
static int forward_bug(const attn_args *a, int bug) {
    return forward(a, (planted_bug)bug);
}

/* Every capability naive has, strides included, so each bug is judged in every layout. */
#define PLANTED(bug_id, bug_name, text)                                                            \
    static int forward_##bug_name(void *context, const attn_args *a) {                             \
        (void)context;                                                                             \
        return planted_typed_forward(a, forward_bug, bug_id);                                      \
    }                                                                                              \
    const attn_impl attn_planted_##bug_name = {                                                    \
        ATTN_IMPL_HEADER,                                                                          \
        .name = #bug_name,                                                                         \
        .summary = text,                                                                           \
        .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW |                \
                ATTN_CAP_GLOBAL | ATTN_CAP_DV_DIFFERS | ATTN_CAP_LSE | ATTN_CAP_CUSTOM_SCALE |     \
                ATTN_CAP_STRIDES,                                                                  \
        .workspace_size = planted_workspace_size,                                                  \
        .forward = forward_##bug_name,                                                             \
        .precisions = &attn_f32_compute_precision,                                                 \
        .precision_count = 1};

PLANTED(BUG_NO_SCALE, bug_no_scale, "planted bug: scale never applied")
PLANTED(BUG_NO_MAX_SHIFT, bug_no_max_shift, "planted bug: softmax without the max shift")
PLANTED(BUG_WINDOW_EDGE, bug_window_edge, "planted bug: left window edge off by one")
PLANTED(BUG_CAUSAL_TOP_LEFT, bug_causal_top_left, "planted bug: mask aligned top-left")
PLANTED(BUG_GQA_MAP, bug_gqa_map, "planted bug: kv head h % Hkv instead of h / group")
PLANTED(BUG_UNWRITTEN_ROW, bug_unwritten_row, "planted bug: one output row never written")
PLANTED(BUG_NAN_EMPTY_ROWS, bug_nan_empty_rows, "planted bug: NaN for rows with no key")

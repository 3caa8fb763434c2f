/* Planted bugs on the paths real kernels switch to by shape, built only for tests: each
 * is correct on the shapes of the short conformance suite and wrong on one path the deep
 * tier reaches (suites/deep.suite), so the deep tier proves its worth. */
#include "attnbench.h"
#include "planted_types.h"

#include <math.h>
#include <stdbool.h>
#include <stdio.h>
#include <stdint.h>
#include <string.h>

typedef enum {
    PATH_SPLIT_KV_RESCALE, /* decode (Nq <= 16, Nkv >= 512) splits keys in chunks of 256 and
                              combines them forgetting the last chunk's rescale */
    PATH_SCORE_SCRATCH,    /* a score scratch of 4096 keys: keys past it are ignored */
    PATH_DIM_TAIL,         /* for D > 64 the dot product stops at the last multiple of 16 */
    PATH_LATE_BATCH,       /* batches from the fourth on read the previous batch's K/V */
    PATH_WINDOW_TILE_EDGE, /* a left window edge on a multiple of 256 loses its key */
    PATH_BF16_PROBS,       /* rows of 1024 keys or more round probabilities to bf16 */
    PATH_NONDETERMINISTIC, /* correct within tolerance, but every second call moves one
                              output element by one ulp (as a racy reduction would) */
    PATH_THREAD_VARIANT,   /* declares thread invariance, but with more than one thread one
                              element moves by one ulp (a reduction split by thread count) */
    PATH_BATCH_VARIANT,    /* declares batch invariance, but in batches of two or more one
                              element moves by one ulp (a tile shared across sequences) */
} path_bug;

#define CHUNK 256
#define SCRATCH_KEYS 4096
/* The most Dv and key chunks the per-thread scratch of a row holds. */
#define MAX_DV 1024
#define MAX_CHUNKS 256

static float round_to_bf16(float x) {
    uint32_t bits;
    memcpy(&bits, &x, sizeof bits);
    bits = (bits + 0x7FFFu + ((bits >> 16) & 1u)) & 0xFFFF0000u;
    memcpy(&x, &bits, sizeof bits);
    return x;
}

static void visible_range(const attn_problem *p, int64_t i, path_bug bug, int64_t *first,
                          int64_t *last) {
    const int64_t diag = i + p->seq_kv - p->seq_q;
    int64_t lo = p->window_left < 0 ? 0 : diag - p->window_left;
    int64_t hi = p->window_right < 0 ? p->seq_kv : diag + p->window_right + 1;
    lo = lo < 0 ? 0 : lo;
    hi = hi > p->seq_kv ? p->seq_kv : hi;
    if (bug == PATH_WINDOW_TILE_EDGE && p->window_left >= 0 && lo > 0 && lo % 256 == 0)
        lo++;
    if (bug == PATH_SCORE_SCRATCH && hi > SCRATCH_KEYS)
        hi = SCRATCH_KEYS > lo ? SCRATCH_KEYS : lo;
    *first = lo;
    *last = hi < lo ? lo : hi;
}

typedef struct row_inputs {
    const float *q;
    const attn_tensor *k, *v;
    int64_t b, kv, d, dv;
    float scale;
} row_inputs;

static float score(const row_inputs *r, int64_t j, int64_t dims) {
    const float *k = attn_f32_row(r->k, r->b, r->kv, j);
    float lanes[8] = {0};
    int64_t c = 0;
    for (; c + 8 <= dims; c += 8)
        for (int t = 0; t < 8; t++)
            lanes[t] += r->q[c + t] * k[c + t];
    float dot = 0.0f;
    for (; c < dims; c++)
        dot += r->q[c] * k[c];
    for (int t = 0; t < 8; t++)
        dot += lanes[t];
    return r->scale * dot;
}

/* Unnormalised partial result of keys [first, last): max m, sum l, acc = sum e_j V_j.
 * scores holds last - first floats. */
static void partial(const row_inputs *r, int64_t first, int64_t last, int64_t dims, bool bf16,
                    float *scores, float *m, float *l, float *acc) {
    *m = -INFINITY;
    for (int64_t j = first; j < last; j++) {
        scores[j - first] = score(r, j, dims);
        *m = fmaxf(*m, scores[j - first]);
    }
    *l = 0.0f;
    for (int64_t c = 0; c < r->dv; c++)
        acc[c] = 0.0f;
    for (int64_t j = first; j < last; j++) {
        float e = expf(scores[j - first] - *m);
        *l += e;
        if (bf16)
            e = round_to_bf16(e);
        const float *v = attn_f32_row(r->v, r->b, r->kv, j);
        for (int64_t c = 0; c < r->dv; c++)
            acc[c] += e * v[c];
    }
}

static void row(const attn_args *a, path_bug bug, int64_t b, int64_t h, int64_t i, float *acc,
                float *chunk_acc, float *scores) {
    const attn_problem *p = a->problem;
    const int64_t group = p->heads_q / p->heads_kv;
    int64_t kv_batch = b;
    if (bug == PATH_LATE_BATCH && b >= 3)
        kv_batch = b - 1;
    row_inputs r = {attn_f32_row(&a->q, b, h, i),
                    &a->k,
                    &a->v,
                    kv_batch,
                    h / group,
                    p->head_dim,
                    p->head_dim_v,
                    (float)p->scale};
    const int64_t dims =
        bug == PATH_DIM_TAIL && p->head_dim > 64 ? p->head_dim / 16 * 16 : p->head_dim;
    int64_t first, last;
    visible_range(p, i, bug, &first, &last);
    float *out = attn_f32_row(&a->o, b, h, i);
    float *lse = a->lse.data ? attn_f32_row(&a->lse, b, h, i) : NULL;
    if (first == last) {
        for (int64_t c = 0; c < r.dv; c++)
            out[c] = 0.0f;
        if (lse)
            *lse = -INFINITY;
        return;
    }
    const bool bf16 = bug == PATH_BF16_PROBS && last - first >= 1024;
    float m, l;
    if (bug == PATH_SPLIT_KV_RESCALE && p->seq_q <= 16 && p->seq_kv >= 512) {
        /* split-KV decode: chunk results combined by their maxima */
        float chunk_m[MAX_CHUNKS], chunk_l[MAX_CHUNKS];
        int64_t chunks = 0;
        m = -INFINITY;
        for (int64_t start = first; start < last; start += CHUNK, chunks++) {
            const int64_t end = start + CHUNK < last ? start + CHUNK : last;
            partial(&r, start, end, dims, false, scores, &chunk_m[chunks], &chunk_l[chunks],
                    chunk_acc + chunks * r.dv);
            m = fmaxf(m, chunk_m[chunks]);
        }
        l = 0.0f;
        for (int64_t c = 0; c < r.dv; c++)
            acc[c] = 0.0f;
        for (int64_t n = 0; n < chunks; n++) {
            const float w = n == chunks - 1 ? 1.0f : expf(chunk_m[n] - m); /* the bug */
            l += w * chunk_l[n];
            for (int64_t c = 0; c < r.dv; c++)
                acc[c] += w * chunk_acc[n * r.dv + c];
        }
    } else {
        partial(&r, first, last, dims, bf16, scores, &m, &l, acc);
    }
    for (int64_t c = 0; c < r.dv; c++)
        out[c] = acc[c] / l;
    if (lse)
        *lse = m + logf(l);
}

static int forward(const attn_args *a, path_bug bug) {
    const attn_problem *p = a->problem;
    static _Thread_local float acc[MAX_DV], chunk_acc[MAX_CHUNKS * MAX_DV],
        scores[MAX_CHUNKS * CHUNK];
    if (p->head_dim_v > MAX_DV || (p->seq_kv + CHUNK - 1) / CHUNK > MAX_CHUNKS)
        return ATTN_UNSUPPORTED;
    for (int64_t b = 0; b < p->batch; b++)
        for (int64_t h = 0; h < p->heads_q; h++)
            for (int64_t i = 0; i < p->seq_q; i++)
                row(a, bug, b, h, i, acc, chunk_acc, scores);
    static _Thread_local unsigned calls;
    const bool perturb = (bug == PATH_NONDETERMINISTIC && calls++ % 2 == 1) ||
                         (bug == PATH_THREAD_VARIANT && a->threads > 1) ||
                         (bug == PATH_BATCH_VARIANT && p->batch > 1);
    if (perturb)
        for (int64_t i = 0; i < p->seq_q; i++) { /* the first row that sees a key */
            float *first = attn_f32_row(&a->o, 0, 0, i);
            if (*first != 0.0f) {
                *first = nextafterf(*first, INFINITY);
                break;
            }
        }
    return ATTN_OK;
}

static int supports(void *context, const attn_problem *p, char *why, size_t size) {
    (void)context;
    if (p->head_dim_v > MAX_DV || (p->seq_kv + CHUNK - 1) / CHUNK > MAX_CHUNKS) {
        snprintf(why, size, "planted kernels hold at most Dv %d and %d keys", MAX_DV,
                 MAX_CHUNKS * CHUNK);
        return ATTN_UNSUPPORTED;
    }
    return ATTN_OK;
}

/* forward with the bug as an int, for planted_typed_forward. */
static int forward_bug(const attn_args *a, int bug) {
    return forward(a, (path_bug)bug);
}

#define PLANTED_PATH(bug_id, bug_name, text)                                                       \
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
                ATTN_CAP_STRIDES | ATTN_CAP_THREAD_INVARIANT | ATTN_CAP_BATCH_INVARIANT,           \
        .supports = supports,                                                                      \
        .workspace_size = planted_workspace_size,                                                  \
        .forward = forward_##bug_name,                                                             \
        .precisions = &attn_f32_compute_precision,                                                 \
        .precision_count = 1};

PLANTED_PATH(PATH_SPLIT_KV_RESCALE, bug_split_kv_rescale,
             "planted path bug: split-KV decode forgets the last chunk's rescale")
PLANTED_PATH(PATH_SCORE_SCRATCH, bug_score_scratch,
             "planted path bug: keys past a 4096-key score scratch are ignored")
PLANTED_PATH(PATH_DIM_TAIL, bug_dim_tail, "planted path bug: head-dim tail dropped for D > 64")
PLANTED_PATH(PATH_LATE_BATCH, bug_late_batch,
             "planted path bug: batches from the fourth read the previous batch's K/V")
PLANTED_PATH(PATH_WINDOW_TILE_EDGE, bug_window_tile_edge,
             "planted path bug: a left window edge on a multiple of 256 loses its key")
PLANTED_PATH(PATH_BF16_PROBS, bug_bf16_probs,
             "planted accuracy breach: probabilities rounded to bf16 on rows of 1024+ keys")
PLANTED_PATH(PATH_NONDETERMINISTIC, bug_nondeterministic,
             "planted bug: every second call differs by one ulp in one element")
PLANTED_PATH(PATH_THREAD_VARIANT, bug_thread_variant,
             "planted bug: claims thread invariance, one ulp off with 2+ threads")
PLANTED_PATH(PATH_BATCH_VARIANT, bug_batch_variant,
             "planted bug: claims batch invariance, one ulp off in batches of 2+")

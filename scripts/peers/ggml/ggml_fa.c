/* attnbench plugin "ggml_fa": ggml's CPU ggml_flash_attn_ext (ggml-org/ggml, ggml-cpu
 * ops.cpp ggml_compute_forward_flash_attn_ext_f16) run on attnbench's buffers.
 *
 * Layouts. attnbench hands Q [B][Hq][Nq][D], K [B][Hkv][Nkv][D], V [B][Hkv][Nkv][Dv] with
 * element strides; ggml tensors take byte strides nb[1..3] with ne = [D, N, H, B], so Q, K
 * and V are wrapped in place (no copy, any strides). ggml's result is a dense f32 tensor
 * ne = [Dv, Hq, Nq, B], i.e. O in BSHD order. When attnbench's O already has exactly that
 * layout (always true for Nq = 1 in the dense BHSD layout: decode) the result is written
 * straight into O; otherwise it goes to a staging buffer in the workspace and a ggml_cpy
 * node of the same graph (permute(0, 2, 1, 3) into a view of O with O's strides) copies it,
 * on the same threads. The mask is an f16 [Nkv][Nq] tensor of 0 / -inf built in the
 * workspace on every call, and only when some row does not see every key (never for
 * decode: Nq = 1 causal sees the whole cache).
 *
 * State. init creates a no_alloc ggml context (tensor and graph metadata, reset on every
 * call) and a ggml threadpool record; with ggml's OpenMP build the threads are OpenMP's
 * (the host sets omp_set_num_threads) and the threadpool holds only per-worker state.
 * Everything forward needs beyond that (ggml's work buffer from ggml_graph_plan, mask,
 * staging) is asked for through workspace_size; forward itself allocates nothing.
 * allocated_bytes reports the persistent state init made, so that --mem-cap counts it.
 */
#include <attnbench.h>

#include <stdbool.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "ggml-cpu.h"
#include "ggml.h"

#define MAX_NODES 16
#define MAX_THREADS GGML_MAX_N_THREADS

typedef struct ggml_fa_state {
    struct ggml_context *ctx;
    void *ctx_mem;
    size_t ctx_size;
    struct ggml_threadpool *pool;
    size_t pool_bytes; /* approximate: the threadpool record and its workers */
} ggml_fa_state;

/* Where things go in the workspace. */
typedef struct ws_plan {
    bool mask;        /* some row does not see every key */
    size_t mask_off;  /* f16 [Nq][Nkv] */
    size_t stage_off; /* f32 [B][Nq][Hq][Dv], used when O is not BSHD-dense */
    size_t work_off;  /* ggml's work buffer */
    size_t work_size;
    size_t total;
} ws_plan;

static size_t align64(size_t n) {
    return (n + 63) & ~(size_t)63;
}

static int clamp_threads(int threads) {
    return threads < 1 ? 1 : threads > MAX_THREADS ? MAX_THREADS : threads;
}

static bool needs_mask(const attn_problem *p) {
    for (int64_t i = 0; i < p->seq_q; i++) {
        int64_t first, last;
        attn_visible_keys(p, i, &first, &last);
        if (first != 0 || last != p->seq_kv)
            return true;
    }
    return false;
}

static enum ggml_type ggml_type_of(int32_t t) {
    return t == ATTN_F16 ? GGML_TYPE_F16 : t == ATTN_BF16 ? GGML_TYPE_BF16 : GGML_TYPE_F32;
}

/* A ggml tensor ne = [d, n, h, b] over an attnbench tensor [b][h][n][d] with its strides. */
static struct ggml_tensor *wrap(struct ggml_context *ctx, const attn_tensor *t, int32_t dtype,
                                int64_t b, int64_t h, int64_t n, int64_t d) {
    const enum ggml_type type = ggml_type_of(dtype);
    struct ggml_tensor *g = ggml_new_tensor_4d(ctx, type, d, n, h, b);
    if (t) {
        const size_t es = ggml_type_size(type);
        g->nb[0] = es;
        g->nb[1] = (size_t)t->stride[2] * es;
        g->nb[2] = (size_t)t->stride[1] * es;
        g->nb[3] = (size_t)t->stride[0] * es;
        g->data = t->data;
    }
    return g;
}

/* O in exactly ggml's output layout: dense [B][Nq][Hq][Dv] (for Nq = 1, BHSD and BSHD). */
static bool o_is_direct(const attn_problem *p, const attn_tensor *o) {
    const int64_t dv = p->head_dim_v;
    return o->dtype == ATTN_F32 && o->stride[3] == 1 && o->stride[1] == dv &&
           (p->seq_q == 1 || o->stride[2] == p->heads_q * dv) &&
           (p->batch == 1 || o->stride[0] == p->seq_q * p->heads_q * dv);
}

/* Builds the graph in st->ctx. a == NULL: planning only (no data, the copy node included).
 * Returns the graph. */
static struct ggml_cgraph *build(ggml_fa_state *st, const attn_problem *p, const attn_args *a,
                                 const ws_plan *plan) {
    ggml_reset(st->ctx);
    struct ggml_context *ctx = st->ctx;
    const int64_t B = p->batch, Hq = p->heads_q, Hkv = p->heads_kv, Nq = p->seq_q, Nkv = p->seq_kv,
                  D = p->head_dim, Dv = p->head_dim_v;
    char *ws = a ? (char *)a->workspace : NULL;

    struct ggml_tensor *q = wrap(ctx, a ? &a->q : NULL, p->q_type, B, Hq, Nq, D);
    struct ggml_tensor *k = wrap(ctx, a ? &a->k : NULL, p->k_type, B, Hkv, Nkv, D);
    struct ggml_tensor *v = wrap(ctx, a ? &a->v : NULL, p->v_type, B, Hkv, Nkv, Dv);

    struct ggml_tensor *mask = NULL;
    if (plan->mask) {
        mask = ggml_new_tensor_2d(ctx, GGML_TYPE_F16, Nkv, Nq);
        if (ws) {
            uint16_t *m = (uint16_t *)(ws + plan->mask_off);
            mask->data = m;
            for (int64_t i = 0; i < Nq; i++) {
                int64_t first, last;
                attn_visible_keys(p, i, &first, &last);
                uint16_t *row = m + i * Nkv;
                for (int64_t j = 0; j < Nkv; j++)
                    row[j] = (j >= first && j < last) ? 0x0000 : 0xFC00; /* 0, -inf */
            }
        }
    }

    struct ggml_tensor *fa = ggml_flash_attn_ext(ctx, q, k, v, mask, (float)p->scale, 0.0f, 0.0f);
    struct ggml_tensor *out = fa;
    const bool direct = a && o_is_direct(p, &a->o);
    if (direct) {
        fa->data = a->o.data;
    } else {
        if (ws)
            fa->data = ws + plan->stage_off; /* before the permute view is made */
        struct ggml_tensor *o =
            wrap(ctx, a ? &a->o : NULL, a ? a->o.dtype : ATTN_F32, B, Hq, Nq, Dv);
        out = ggml_cpy(ctx, ggml_permute(ctx, fa, 0, 2, 1, 3), o);
    }
    struct ggml_cgraph *gf = ggml_new_graph_custom(ctx, MAX_NODES, false);
    ggml_build_forward_expand(gf, out);
    return gf;
}

static void make_plan(ggml_fa_state *st, const attn_problem *p, int threads, ws_plan *plan) {
    memset(plan, 0, sizeof *plan);
    plan->mask = needs_mask(p);
    size_t off = 0;
    plan->mask_off = off;
    if (plan->mask)
        off += align64((size_t)p->seq_q * (size_t)p->seq_kv * 2);
    plan->stage_off = off;
    off += align64((size_t)p->batch * p->seq_q * p->heads_q * p->head_dim_v * sizeof(float));
    plan->work_off = off;
    struct ggml_cgraph *gf = build(st, p, NULL, plan);
    struct ggml_cplan cp = ggml_graph_plan(gf, clamp_threads(threads), st->pool);
    plan->work_size = cp.work_size;
    plan->total = off + align64(cp.work_size) + 64;
}

static void ggml_fa_release(void *context) {
    ggml_fa_state *st = context;
    if (!st)
        return;
    if (st->pool)
        ggml_threadpool_free(st->pool);
    if (st->ctx)
        ggml_free(st->ctx);
    free(st->ctx_mem);
    free(st);
}

static int ggml_fa_init(const attn_impl *self, void **context, char *message, size_t message_size) {
    (void)self;
    ggml_fa_state *st = calloc(1, sizeof *st);
    if (!st) {
        snprintf(message, message_size, "out of memory");
        return ATTN_FAILED;
    }
    ggml_cpu_init();
    st->ctx_size =
        ggml_tensor_overhead() * MAX_NODES + ggml_graph_overhead_custom(MAX_NODES, false);
    st->ctx_mem = aligned_alloc(64, align64(st->ctx_size));
    if (!st->ctx_mem) {
        free(st);
        snprintf(message, message_size, "out of memory");
        return ATTN_FAILED;
    }
    struct ggml_init_params ip = {
        .mem_size = st->ctx_size, .mem_buffer = st->ctx_mem, .no_alloc = true};
    st->ctx = ggml_init(ip);
    struct ggml_threadpool_params tpp = ggml_threadpool_params_default(MAX_THREADS);
    st->pool = ggml_threadpool_new(&tpp);
    st->pool_bytes = (size_t)MAX_THREADS * (GGML_MAX_N_THREADS + 64) + 4096;
    if (!st->ctx || !st->pool) {
        snprintf(message, message_size, "ggml_init or ggml_threadpool_new failed");
        ggml_fa_release(st);
        return ATTN_FAILED;
    }
    *context = st;
    return ATTN_OK;
}

static int ggml_fa_supports(void *context, const attn_problem *p, char *why, size_t why_size) {
    (void)context;
    if (p->ragged) {
        snprintf(why, why_size, "ragged batches are not wrapped");
        return ATTN_UNSUPPORTED;
    }
    if (p->q_type != ATTN_F32 || p->o_type != ATTN_F32) {
        snprintf(why, why_size, "ggml's CPU flash_attn_ext takes f32 Q and writes f32 O");
        return ATTN_UNSUPPORTED;
    }
    if (p->batch * p->heads_q * p->seq_q > INT32_MAX) {
        snprintf(why, why_size, "ggml indexes query rows with int");
        return ATTN_UNSUPPORTED;
    }
    return ATTN_OK;
}

static size_t ggml_fa_workspace_size(void *context, const attn_problem *p, int threads) {
    ws_plan plan;
    make_plan(context, p, threads, &plan);
    return plan.total;
}

static size_t ggml_fa_allocated_bytes(void *context, const attn_problem *p, int threads) {
    (void)p;
    (void)threads;
    const ggml_fa_state *st = context;
    return st->ctx_size + st->pool_bytes;
}

static int ggml_fa_forward(void *context, const attn_args *a) {
    ggml_fa_state *st = context;
    const attn_problem *p = a->problem;
    if (p->seq_kv == 0 || p->seq_q == 0) {
        for (int64_t b = 0; b < p->batch; b++)
            for (int64_t h = 0; h < p->heads_q; h++)
                for (int64_t i = 0; i < p->seq_q; i++)
                    memset(attn_f32_row(&a->o, b, h, i), 0, (size_t)p->head_dim_v * sizeof(float));
        return ATTN_OK;
    }
    const int threads = clamp_threads(a->threads);
    ws_plan plan;
    make_plan(st, p, threads, &plan);
    if (a->workspace_size < plan.total || (plan.total && !a->workspace)) {
        snprintf(a->message, a->message_size, "workspace of %zu bytes, %zu needed",
                 a->workspace_size, plan.total);
        return ATTN_FAILED;
    }
    struct ggml_cgraph *gf = build(st, p, a, &plan);
    struct ggml_cplan cp = ggml_graph_plan(gf, threads, st->pool);
    if (cp.work_size > plan.work_size) {
        snprintf(a->message, a->message_size, "ggml work buffer %zu > planned %zu", cp.work_size,
                 plan.work_size);
        return ATTN_FAILED;
    }
    cp.work_data = cp.work_size ? (uint8_t *)a->workspace + plan.work_off : NULL;
    if (ggml_graph_compute(gf, &cp) != GGML_STATUS_SUCCESS) {
        snprintf(a->message, a->message_size, "ggml_graph_compute failed");
        return ATTN_FAILED;
    }
    return ATTN_OK;
}

/* Precision contracts, read off ggml-cpu ops.cpp (ggml_compute_forward_flash_attn_ext_f16)
 * and vec.h at the commit used. For f16 K/V the scalar-row path (Nq < 64, every decode,
 * and the split-KV decode path for B = 1, Nq = 1, Nkv >= 512) converts each Q row to K's
 * vec_dot_type f16 (ggml_cpu_fp32_to_fp16, round to nearest), takes Q.K with
 * ggml_vec_dot_f16 (f16 products widened to f32, f32 FMA sums: score f32), weights
 * expf(s - M) in f32 (not rounded: prob f32), and accumulates sum_j w_j V_j in an f16
 * vector VKQ16 (ggml_vec_mad_f16 / ggml_vec_scale_f16: an f32 FMA rounded to f16 at every
 * key and rescale: accum f16; the normaliser S stays f32, which the f16 accum bound
 * covers). The tiled path (Nq >= 64) computes in f32 throughout, inside this bound.
 * bf16 K/V: Q rounded to bf16, bf16 dot products accumulated in f32, V widened to f32
 * and accumulated in f32. f32 K/V: every stage f32. O is ggml's f32 result. */
static const attn_precision ggml_fa_precisions[] = {
    {sizeof(attn_precision), .q_types = ATTN_TYPE_BIT(ATTN_F32), .k_types = ATTN_TYPE_BIT(ATTN_F32),
     .v_types = ATTN_TYPE_BIT(ATTN_F32), .o_types = ATTN_TYPE_BIT(ATTN_F32), .q_compute = ATTN_F32,
     .k_compute = ATTN_F32, .v_compute = ATTN_F32, .score = ATTN_F32, .prob = ATTN_F32,
     .accum = ATTN_F32},
    {sizeof(attn_precision), .q_types = ATTN_TYPE_BIT(ATTN_F32), .k_types = ATTN_TYPE_BIT(ATTN_F16),
     .v_types = ATTN_TYPE_BIT(ATTN_F16), .o_types = ATTN_TYPE_BIT(ATTN_F32), .q_compute = ATTN_F16,
     .k_compute = ATTN_F32, .v_compute = ATTN_F32, .score = ATTN_F32, .prob = ATTN_F32,
     .accum = ATTN_F16},
    {sizeof(attn_precision), .q_types = ATTN_TYPE_BIT(ATTN_F32),
     .k_types = ATTN_TYPE_BIT(ATTN_BF16), .v_types = ATTN_TYPE_BIT(ATTN_BF16),
     .o_types = ATTN_TYPE_BIT(ATTN_F32), .q_compute = ATTN_BF16, .k_compute = ATTN_F32,
     .v_compute = ATTN_F32, .score = ATTN_F32, .prob = ATTN_F32, .accum = ATTN_F32},
};

static const attn_impl ggml_fa = {
    ATTN_IMPL_HEADER,
    .name = "ggml_fa",
    .summary = "ggml CPU ggml_flash_attn_ext (ggml-org/ggml), Q/K/V wrapped in place, f32 or "
               "f16/bf16 K/V",
    .caps = ATTN_CAP_GQA | ATTN_CAP_CROSS | ATTN_CAP_CAUSAL | ATTN_CAP_WINDOW | ATTN_CAP_GLOBAL |
            ATTN_CAP_DV_DIFFERS | ATTN_CAP_CUSTOM_SCALE | ATTN_CAP_STRIDES,
    .init = ggml_fa_init,
    .release = ggml_fa_release,
    .supports = ggml_fa_supports,
    .workspace_size = ggml_fa_workspace_size,
    .allocated_bytes = ggml_fa_allocated_bytes,
    .forward = ggml_fa_forward,
    .precisions = ggml_fa_precisions,
    .precision_count = sizeof ggml_fa_precisions / sizeof ggml_fa_precisions[0],
};

static const attn_impl *const impls[] = {&ggml_fa};
static const attn_plugin plugin = {ATTN_PLUGIN_HEADER, .count = 1, .impls = impls};

ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) {
    return &plugin;
}

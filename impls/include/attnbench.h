/* attnbench interface 2: everything an attention implementation (built-in or plugin)
 * includes, and nothing of the harness.
 *
 * The operation is pinned by design.md section 1. Logical shapes:
 *   Q [B][Hq][Nq][D], K [B][Hkv][Nkv][D], V [B][Hkv][Nkv][Dv], O [B][Hq][Nq][Dv],
 *   LSE [B][Hq][Nq]. Query head h reads key/value head h / (Hq / Hkv). Key j is visible
 *   to query i iff
 *     (left < 0 || j >= i + off - left) && (right < 0 || j <= i + off + right),
 *   off = Nkv - Nq (bottom-right aligned). A row with no visible key has O = 0 and
 *   LSE = -inf. Each tensor arrives as a descriptor (attn_tensor): where element
 *   [i0][i1][i2][i3] lives is data + sum_d i_d * stride[d] elements, so BHSD, BSHD and
 *   views into a larger KV cache are the same call.
 *
 * ---- How the interface grows (the versioning rule) ----
 * ATTN_ABI_MAJOR changes only when an existing field changes meaning or place; a plugin
 * built for another major is refused with a message. Within a major, every change is an
 * addition: new fields go at the end of a struct, new capabilities take the next free
 * bit, and ATTN_ABI_MINOR goes up. Every struct that crosses the boundary starts with
 * its struct_size, so:
 *   - the host never reads past the struct_size an implementation (or plugin) gave, and
 *     never hands an implementation a case needing a capability it did not declare: a
 *     plugin built against an older minor keeps loading and keeps passing;
 *   - an implementation reading a field appended after its own minor must first check
 *     that the host's struct_size covers it (ATTN_HAS_FIELD below).
 * attn_tensor is frozen for major 2 (it is embedded in attn_args); new per-tensor data
 * is added as new attn_args fields.
 *
 * ---- The call contract ----
 * In one worker process (plugins) or in attnbench itself (built-ins), for each
 * implementation:
 *   1. init (optional), once, before any other call of that implementation, never
 *      timed. *context starts as impl->user_data; init may replace it with its own
 *      state (graphs, thread pools, packed weights). Non-zero return: the
 *      implementation is reported as failing on every case, with the message.
 *   2. any number of supports, workspace_size, allocated_bytes and forward calls, in
 *      any order, from the one thread that called init, never concurrently.
 *   3. release (optional), once, at the end of the command. A worker that crashed is
 *      not given the chance: its replacement starts again at 1.
 * Between forward calls anything may change: the problem, the data pointers, the
 * strides, the thread count, and the input contents (attnbench alternates independent
 * input sets between timed samples and verifies every sample, so caching an output
 * never pays; it also poisons O before samples). forward must write every element of O
 * (and LSE when lse.data is not NULL) and nothing outside them, must not write Q, K, V,
 * and may use the workspace, which is not preserved between calls.
 * Before every forward call, or batch of back-to-back calls with the same arguments (a
 * timed sample), the host sets the thread count of OpenMP (omp_set_num_threads) and
 * OpenBLAS (openblas_set_num_threads) to args->threads in the process that calls
 * forward, the same for check, bench and run. An implementation that runs its own
 * threads should use args->threads of them. Plugins run in a worker process that
 * attnbench starts by exec'ing itself, never forked from a process that already runs
 * thread pools; it serves the library for the whole command.
 * Memory: scratch memory is best asked for through workspace_size (the host allocates
 * it, guarded). Memory forward allocates itself must be declared by allocated_bytes so
 * that bench's --mem-cap counts it.
 *
 * ---- Names the loader enforces ----
 * [a-z0-9_]+, 1 to ATTN_NAME_MAX characters, unique across built-ins and every loaded
 * plugin; "all" and "reference" are reserved. A summary is one line of at most
 * ATTN_SUMMARY_MAX characters.
 */
#ifndef ATTNBENCH_H
#define ATTNBENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

#define ATTN_ABI_MAJOR 2
#define ATTN_ABI_MINOR 3

#define ATTN_NAME_MAX 32
#define ATTN_SUMMARY_MAX 200

/* True when a struct of the given struct_size holds member (for fields added later). */
#define ATTN_HAS_FIELD(ptr, type, member)                                                          \
    ((ptr)->struct_size >= offsetof(type, member) + sizeof(((type *)0)->member))

/* The shape and parameters of one attention call. */
typedef struct attn_problem {
    uint32_t struct_size; /* sizeof(attn_problem) of the host */
    uint32_t reserved;
    int64_t batch;        /* B */
    int64_t heads_q;      /* Hq, a multiple of heads_kv */
    int64_t heads_kv;     /* Hkv */
    int64_t seq_q;        /* Nq */
    int64_t seq_kv;       /* Nkv */
    int64_t head_dim;     /* D, shared by Q and K */
    int64_t head_dim_v;   /* Dv, of V and O */
    int64_t window_left;  /* keys visible to the left of the diagonal; < 0 unbounded */
    int64_t window_right; /* keys visible to the right of the diagonal; < 0 unbounded */
    double scale;         /* score multiplier; 1/sqrt(D) unless the case says otherwise */
    /* Added in interface 2.2: the element types (attn_element_type) of Q, K, V and O, the
     * same as the tensors' dtype. Zero (ATTN_F32) for every case an implementation that
     * declares no precision contract is handed. */
    int32_t q_type, k_type, v_type, o_type;
    /* Added in interface 2.3: serving shapes (see "Ragged batches and KV caches" below).
     * All zero for every case an implementation not declaring ATTN_CAP_RAGGED is handed. */
    int32_t ragged;        /* 1: each sequence has its own query and key counts */
    int32_t kv_storage;    /* attn_kv_storage: where a ragged case's keys are */
    int64_t total_q;       /* ragged: query rows of all sequences (Q, O, LSE shape[2]) */
    int64_t total_kv;      /* ATTN_KV_PACKED: key rows of all sequences (K, V shape[2]) */
    int64_t page_size;     /* ATTN_KV_PAGED: tokens per page (K, V shape[2]) */
    int64_t page_count;    /* ATTN_KV_PAGED: pages in the pool (K, V shape[0]) */
    int64_t pages_per_seq; /* ATTN_KV_PAGED: block-table entries per sequence */
} attn_problem;

/* Ragged batches and KV caches (interface 2.3). When problem->ragged is 1 the batch is B
 * sequences of their own lengths: sequence b has nq_b = cu_seqlens_q[b + 1] -
 * cu_seqlens_q[b] query rows and nkv_b = seqlens_kv[b] keys (either may be 0), and
 * problem->seq_q and seq_kv are the largest of them (at least 1). Masks are aligned per
 * sequence, bottom-right: key j is visible to query i of sequence b as in the header
 * comment with off = nkv_b - nq_b (attn_seq_visible_keys). The queries are packed: Q, O
 * and LSE have shape [1][Hq][total_q][D], and row i of sequence b is row cu_seqlens_q[b] + i
 * (FlashAttention's varlen layout, any strides). The keys, by kv_storage:
 *   ATTN_KV_CACHE   K, V [B][Hkv][capacity][D]: key j of sequence b is [b][h][j], with
 *                   capacity >= every nkv_b (FlashAttention's k_cache with cache_seqlens);
 *   ATTN_KV_PACKED  K, V [1][Hkv][total_kv][D]: key j of sequence b is row
 *                   cu_seqlens_kv[b] + j (the varlen layout; seqlens_kv is given too);
 *   ATTN_KV_PAGED   K, V [page_count][Hkv][page_size][D], a pool of pages of page_size
 *                   tokens: key j of sequence b is [page][h][j % page_size] with page =
 *                   block_table[b * pages_per_seq + j / page_size] (vLLM's and
 *                   FlashAttention's paged KV cache). Pages are in any order; the last page
 *                   of a sequence may be partly used; entries past a sequence's last page
 *                   and unused pages hold nothing an implementation may read.
 * Everything outside the rows a sequence uses (capacity beyond nkv_b, the rest of a
 * partial page, unused pages) is poisoned with NaN by the harness. The tables are
 * read-only and live as long as the call. attn_query_row and attn_key_row below find any
 * row. */
typedef enum attn_kv_storage {
    ATTN_KV_CACHE = 0,
    ATTN_KV_PACKED = 1,
    ATTN_KV_PAGED = 2
} attn_kv_storage;

/* Element types. f32 is IEEE binary32; bf16 the upper 16 bits of a binary32 (8 significant
 * bits); f16 IEEE binary16 (11 significant bits, largest finite 65504). Since 2.2 Q, K, V
 * and O may be bf16 or f16, for an implementation that declares a precision contract
 * covering the combination (attn_precision below); LSE is always f32. */
typedef enum attn_element_type { ATTN_F32 = 0, ATTN_BF16 = 1, ATTN_F16 = 2 } attn_element_type;
#define ATTN_TYPE_BIT(type) (UINT32_C(1) << (type))

/* A precision contract (interface 2.2): for the element types it accepts, what an
 * implementation rounds inside. The host judges a result against the error bound of the
 * contract (reference/TOLERANCE.md), so a kernel that rounds more than it declares fails
 * and one that declares what it does is held to exactly that. Each stage names the type
 * it rounds to:
 *   q_compute, k_compute, v_compute: what Q, K, V are converted to before use. ATTN_F32
 *     means "used as given" (a bf16 or f16 input widened to f32 is exact).
 *   score: what the Q.K dot products accumulate in and the scores are stored in.
 *   prob: what the probabilities (or unnormalised weights) are rounded to before the PV
 *     product (FlashAttention rounds P to the input type).
 *   accum: what the softmax normaliser and the output accumulators are kept in.
 *   The output is rounded to O's own type.
 * Products of two bf16 or two f16 numbers are exact in f32, so a kernel that multiplies
 * reduced inputs and adds in f32 (vdpbf16ps, AMX) has score = ATTN_F32. The host takes the
 * first entry whose *_types masks hold all four of the case's types; a case whose types no
 * entry accepts is SKIPPED. An implementation without precision entries accepts f32 Q, K,
 * V, O only, with every stage f32. */
typedef struct attn_precision {
    uint32_t struct_size;                        /* sizeof(attn_precision) */
    uint32_t q_types, k_types, v_types, o_types; /* ATTN_TYPE_BIT()s accepted per tensor */
    int32_t q_compute, k_compute, v_compute;     /* attn_element_type */
    int32_t score, prob, accum;                  /* attn_element_type */
} attn_precision;

/* Where a tensor's data lives. Interface 2.0 hands out host memory only; device memory
 * is reserved for GPU kernels and will come with its own capability bit. */
typedef enum attn_space { ATTN_SPACE_HOST = 0, ATTN_SPACE_DEVICE = 1 } attn_space;

/* One tensor: element [i0][i1][i2][i3] (the logical shape of the header comment) is at
 * data + i0*stride[0] + i1*stride[1] + i2*stride[2] + i3*stride[3], in elements. LSE
 * uses dimensions 0..2 (stride[3] is 0). Strides are never negative. Unless the
 * implementation declares ATTN_CAP_STRIDES it is only handed the dense BHSD layout
 * (stride[3] = 1, stride[2] = shape[3], ...). With ATTN_CAP_STRIDES it may get any
 * strides for dimensions 0..2, with stride[3] = 1 always in interface 2.0; padding
 * between rows is poisoned with NaN by the harness and must be left as it is. */
typedef struct attn_tensor {
    void *data;        /* NULL for an LSE that was not requested */
    int32_t dtype;     /* attn_element_type */
    int32_t space;     /* attn_space */
    int64_t shape[4];  /* the logical shape above (LSE: shape[3] = 1) */
    int64_t stride[4]; /* in elements */
} attn_tensor;

/* Capability bits: what an implementation supports. A case that needs a capability the
 * implementation does not list is SKIPPED with the reason, never run and never counted
 * as a pass. There is deliberately no "all" constant: list each one. */
#define ATTN_CAP_GQA (UINT64_C(1) << 0)          /* heads_kv < heads_q */
#define ATTN_CAP_CROSS (UINT64_C(1) << 1)        /* seq_q != seq_kv */
#define ATTN_CAP_CAUSAL (UINT64_C(1) << 2)       /* window_left < 0, window_right == 0 */
#define ATTN_CAP_WINDOW (UINT64_C(1) << 3)       /* any other bounded window */
#define ATTN_CAP_GLOBAL (UINT64_C(1) << 4)       /* no mask at all */
#define ATTN_CAP_DV_DIFFERS (UINT64_C(1) << 5)   /* head_dim_v != head_dim */
#define ATTN_CAP_LSE (UINT64_C(1) << 6)          /* writes LSE when lse.data != NULL */
#define ATTN_CAP_CUSTOM_SCALE (UINT64_C(1) << 7) /* scale other than 1/sqrt(D) */
#define ATTN_CAP_STRIDES (UINT64_C(1) << 8)      /* any strides on dims 0..2 (see above) */
/* Added in interface 2.1: promises, not requirements (no case needs them). `check
 * --invariance` holds an implementation declaring them to bitwise identity; one that
 * does not is held to the tolerance only. */
#define ATTN_CAP_THREAD_INVARIANT (UINT64_C(1) << 9) /* the same bits for every thread count */
#define ATTN_CAP_BATCH_INVARIANT                                                                   \
    (UINT64_C(1) << 10) /* a sequence's bits do not depend on the                                  \
                           rest of the batch */
/* Added in interface 2.3: serving shapes (see "Ragged batches and KV caches"). */
#define ATTN_CAP_RAGGED (UINT64_C(1) << 11)    /* ragged batches, keys in ATTN_KV_CACHE */
#define ATTN_CAP_KV_PACKED (UINT64_C(1) << 12) /* ragged, keys in ATTN_KV_PACKED */
#define ATTN_CAP_KV_PAGED (UINT64_C(1) << 13)  /* ragged, keys in ATTN_KV_PAGED */
/* Bits defined by this minor; a plugin of this minor declaring others is refused. */
#define ATTN_CAPS_KNOWN ((UINT64_C(1) << 14) - 1)
/* Bits defined by interface 2.0. */
#define ATTN_CAPS_KNOWN_2_0 ((UINT64_C(1) << 9) - 1)

/* Everything one forward call reads and writes. */
typedef struct attn_args {
    uint32_t struct_size; /* sizeof(attn_args) of the host */
    int32_t threads;      /* threads the implementation may use (>= 1) */
    const attn_problem *problem;
    attn_tensor q, k, v;   /* inputs, read-only */
    attn_tensor o;         /* every element must be written */
    attn_tensor lse;       /* lse.data NULL when not requested */
    void *workspace;       /* workspace_size(...) bytes, 64-byte aligned, guarded */
    size_t workspace_size; /* bytes available at workspace */
    char *message;         /* where forward may write why it failed or declined */
    size_t message_size;   /* bytes available at message */
    /* Added in interface 2.3, for ragged problems (NULL otherwise): */
    const int64_t *cu_seqlens_q;  /* [B + 1]: sequence b's queries are packed rows
                                     [cu_seqlens_q[b], cu_seqlens_q[b + 1]) */
    const int64_t *cu_seqlens_kv; /* [B + 1], ATTN_KV_PACKED: keys are packed rows
                                     [cu_seqlens_kv[b], cu_seqlens_kv[b + 1]) */
    const int64_t *seqlens_kv;    /* [B]: keys of sequence b (every storage) */
    const int32_t *block_table;   /* [B][pages_per_seq], ATTN_KV_PAGED */
} attn_args;

/* Return values of init, supports and forward. */
enum { ATTN_OK = 0, ATTN_UNSUPPORTED = 1, ATTN_FAILED = 2 };

/* One implementation. Members marked optional may be NULL. */
typedef struct attn_impl {
    uint32_t struct_size; /* sizeof(attn_impl) the implementation was compiled with */
    uint32_t abi_minor;   /* ATTN_ABI_MINOR it was compiled against */
    const char *name;     /* see "Names the loader enforces" */
    const char *summary;  /* one line for `attnbench list` */
    uint64_t caps;        /* ATTN_CAP_* bits, each listed explicitly */
    void *user_data;      /* optional: the context when there is no init */
    /* Optional: creates the implementation's state; see the call contract. */
    int (*init)(const struct attn_impl *self, void **context, char *message, size_t message_size);
    /* Optional: frees what init made. */
    void (*release)(void *context);
    /* Optional: finer support test than caps. Returns ATTN_OK or ATTN_UNSUPPORTED, with a
     * reason written to why. */
    int (*supports)(void *context, const attn_problem *problem, char *why, size_t why_size);
    /* Optional: bytes of scratch memory forward needs for this problem and thread count. */
    size_t (*workspace_size)(void *context, const attn_problem *problem, int threads);
    /* Optional: bytes forward allocates by itself (outside the workspace) at most. */
    size_t (*allocated_bytes)(void *context, const attn_problem *problem, int threads);
    /* Computes O (and LSE when args->lse.data is not NULL). Returns ATTN_OK; or
     * ATTN_UNSUPPORTED (the case is SKIPPED) or ATTN_FAILED (ERROR), with a message. */
    int (*forward)(void *context, const attn_args *args);
    /* Added in interface 2.2 (optional): precision contracts, see attn_precision. */
    const attn_precision *precisions;
    uint32_t precision_count;
} attn_impl;

/* What a plugin library (a shared object loaded with `attnbench --plugin LIB.so`)
 * describes about itself. abi_major comes first, where interface 1 kept its single
 * version number, so that any older library is recognised and told what to change. */
typedef struct attn_plugin {
    int32_t abi_major;             /* ATTN_ABI_MAJOR */
    uint32_t struct_size;          /* sizeof(attn_plugin) */
    uint32_t abi_minor;            /* ATTN_ABI_MINOR */
    uint32_t count;                /* number of entries in impls */
    const attn_impl *const *impls; /* each with its own struct_size, name, forward, ... */
} attn_plugin;

/* Initialisers that fill the version fields:
 *   static const attn_impl mine = {ATTN_IMPL_HEADER, .name = "mine", ...};
 *   static const attn_plugin plugin = {ATTN_PLUGIN_HEADER, .count = 1, .impls = impls}; */
#define ATTN_IMPL_HEADER .struct_size = sizeof(attn_impl), .abi_minor = ATTN_ABI_MINOR
#define ATTN_PLUGIN_HEADER                                                                         \
    .abi_major = ATTN_ABI_MAJOR, .struct_size = sizeof(attn_plugin), .abi_minor = ATTN_ABI_MINOR

/* The one symbol a plugin library exports: a function returning its description (a
 * pointer to static data, valid while the library is loaded). It runs in the worker
 * process, like every other call of the plugin. */
#define ATTN_PLUGIN_SYMBOL "attnbench_plugin"
typedef const attn_plugin *(*attn_plugin_entry)(void);
#ifdef __GNUC__
#define ATTN_PLUGIN_EXPORT __attribute__((visibility("default")))
#else
#define ATTN_PLUGIN_EXPORT
#endif
/* Declared here so that a plugin's definition is checked against it:
 *   ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void) { return &mine; } */
ATTN_PLUGIN_EXPORT const attn_plugin *attnbench_plugin(void);

/* Helper for implementations: the half-open range [*first, *last) of keys visible to
 * query row i. An empty range means the row sees no key. */
static inline void attn_visible_keys(const attn_problem *p, int64_t i, int64_t *first,
                                     int64_t *last) {
    int64_t diag = i + p->seq_kv - p->seq_q;
    int64_t lo = p->window_left < 0 ? 0 : diag - p->window_left;
    int64_t hi = p->window_right < 0 ? p->seq_kv : diag + p->window_right + 1;
    if (lo < 0)
        lo = 0;
    if (hi > p->seq_kv)
        hi = p->seq_kv;
    if (hi < lo)
        hi = lo;
    *first = lo;
    *last = hi;
}

/* Helpers for ragged problems (they also serve the dense ones): query and key counts of
 * sequence b, its visible keys, and where its rows are. */
static inline int64_t attn_seq_q_len(const attn_args *a, int64_t b) {
    return a->problem->ragged ? a->cu_seqlens_q[b + 1] - a->cu_seqlens_q[b] : a->problem->seq_q;
}

static inline int64_t attn_seq_kv_len(const attn_args *a, int64_t b) {
    return a->problem->ragged ? a->seqlens_kv[b] : a->problem->seq_kv;
}

/* [*first, *last) of the keys visible to query row i of a sequence of nq queries and nkv
 * keys under p's window, bottom-right aligned. */
static inline void attn_seq_visible_keys(const attn_problem *p, int64_t nq, int64_t nkv, int64_t i,
                                         int64_t *first, int64_t *last) {
    const int64_t diag = i + nkv - nq;
    int64_t lo = p->window_left < 0 ? 0 : diag - p->window_left;
    int64_t hi = p->window_right < 0 ? nkv : diag + p->window_right + 1;
    lo = lo < 0 ? 0 : lo;
    hi = hi > nkv ? nkv : hi;
    *first = lo;
    *last = hi < lo ? lo : hi;
}

/* Helper: the size in bytes of one element of t. */
static inline size_t attn_element_size(const attn_tensor *t) {
    return t->dtype == ATTN_F32 ? 4 : 2;
}

/* Helper: the address of element [i0][i1][i2] (the start of a row) of t, of any type. */
static inline void *attn_row(const attn_tensor *t, int64_t i0, int64_t i1, int64_t i2) {
    return (char *)t->data + (i0 * t->stride[0] + i1 * t->stride[1] + i2 * t->stride[2]) *
                                 (int64_t)attn_element_size(t);
}

/* Helper: the address of float element [i0][i1][i2] (the start of a row) of t. */
static inline float *attn_f32_row(const attn_tensor *t, int64_t i0, int64_t i1, int64_t i2) {
    return (float *)t->data + i0 * t->stride[0] + i1 * t->stride[1] + i2 * t->stride[2];
}

/* Helper: the start of query row i of head h of sequence b in t (Q, O or LSE), ragged or
 * not. */
static inline void *attn_query_row(const attn_args *a, const attn_tensor *t, int64_t b, int64_t h,
                                   int64_t i) {
    return a->problem->ragged ? attn_row(t, 0, h, a->cu_seqlens_q[b] + i) : attn_row(t, b, h, i);
}

/* Helper: the start of key row j of KV head h of sequence b in t (K or V), in any storage. */
static inline void *attn_key_row(const attn_args *a, const attn_tensor *t, int64_t b, int64_t h,
                                 int64_t j) {
    const attn_problem *p = a->problem;
    if (!p->ragged || p->kv_storage == ATTN_KV_CACHE)
        return attn_row(t, b, h, j);
    if (p->kv_storage == ATTN_KV_PACKED)
        return attn_row(t, 0, h, a->cu_seqlens_kv[b] + j);
    return attn_row(t, a->block_table[b * p->pages_per_seq + j / p->page_size], h,
                    j % p->page_size);
}

#ifdef __cplusplus
}
#endif

#endif

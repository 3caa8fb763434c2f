/* The attention-implementation interface: everything an implementation (built-in or
 * plugin) includes, and nothing of the harness.
 *
 * The operation is pinned by design.md section 1:
 *   Q [B][Hq][Nq][D], K [B][Hkv][Nkv][D], V [B][Hkv][Nkv][Dv], O [B][Hq][Nq][Dv],
 *   LSE [B][Hq][Nq]; all float32, dense, row-major. Query head h reads key/value head
 *   h / (Hq / Hkv). Key j is visible to query i iff
 *     (left < 0 || j >= i + off - left) && (right < 0 || j <= i + off + right),
 *   off = Nkv - Nq (bottom-right aligned). A row with no visible key has O = 0 and
 *   LSE = -inf.
 */
#ifndef ATTNBENCH_H
#define ATTNBENCH_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

/* Bumped whenever a struct below changes layout or meaning. */
#define ATTN_ABI_VERSION 1

/* The shape and parameters of one attention call. */
typedef struct attn_problem {
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
} attn_problem;

/* Capability flags: what an implementation supports. A case that needs a capability
 * the implementation lacks is SKIPPED, never run and never counted as a pass. */
enum {
    ATTN_CAP_GQA = 1u << 0,          /* heads_kv < heads_q */
    ATTN_CAP_CROSS = 1u << 1,        /* seq_q != seq_kv */
    ATTN_CAP_CAUSAL = 1u << 2,       /* window_left < 0, window_right == 0 */
    ATTN_CAP_WINDOW = 1u << 3,       /* any other bounded window */
    ATTN_CAP_GLOBAL = 1u << 4,       /* no mask at all */
    ATTN_CAP_DV_DIFFERS = 1u << 5,   /* head_dim_v != head_dim */
    ATTN_CAP_LSE = 1u << 6,          /* writes LSE when asked */
    ATTN_CAP_CUSTOM_SCALE = 1u << 7, /* scale other than 1/sqrt(D) */
    ATTN_CAP_ALL = (1u << 8) - 1
};

/* Everything one forward call reads and writes. */
typedef struct attn_args {
    const attn_problem *problem;
    const float *q;        /* [B][Hq][Nq][D] */
    const float *k;        /* [B][Hkv][Nkv][D] */
    const float *v;        /* [B][Hkv][Nkv][Dv] */
    float *o;              /* [B][Hq][Nq][Dv], every element must be written */
    float *lse;            /* [B][Hq][Nq], or NULL when not requested */
    void *workspace;       /* workspace_size(problem, threads) bytes, 64-byte aligned */
    size_t workspace_size; /* bytes available at workspace */
    int threads;           /* threads the implementation may use (>= 1) */
    char *message;         /* where forward may write why it failed */
    size_t message_size;   /* bytes available at message */
} attn_args;

/* Return values of forward and supports. */
enum { ATTN_OK = 0, ATTN_UNSUPPORTED = 1, ATTN_FAILED = 2 };

/* One implementation. Optional members may be NULL. */
typedef struct attn_impl {
    int abi_version;     /* ATTN_ABI_VERSION */
    const char *name;    /* [a-z0-9_]+, unique, used by --impl */
    const char *summary; /* one line for `attnbench list` */
    uint32_t caps;       /* ATTN_CAP_* flags */
    /* Optional: finer support test than caps. Returns ATTN_OK or ATTN_UNSUPPORTED, with
     * a reason written to why. */
    int (*supports)(const attn_problem *problem, char *why, size_t why_size);
    /* Optional: bytes of scratch memory forward needs; NULL means none. */
    size_t (*workspace_size)(const attn_problem *problem, int threads);
    /* Computes O (and LSE when args->lse is not NULL). Returns ATTN_OK, or ATTN_FAILED
     * with a message. */
    int (*forward)(const attn_args *args);
} attn_impl;

/* What a plugin library (a shared object loaded with `attnbench --plugin LIB.so`)
 * describes about itself. One library may hold several implementations. */
typedef struct attn_plugin {
    int abi_version;               /* ATTN_ABI_VERSION the library was compiled against */
    size_t count;                  /* number of entries in impls */
    const attn_impl *const *impls; /* each with its own abi_version, name, forward, ... */
} attn_plugin;

/* The one symbol a plugin library exports: a function returning its description (a
 * pointer to static data, valid while the library is loaded). */
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

#ifdef __cplusplus
}
#endif

#endif

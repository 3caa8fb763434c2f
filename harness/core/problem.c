/* Problem descriptor: defaults, field setting, validation, canonical string form. */
#define _POSIX_C_SOURCE 200809L
#include "problem.h"

#include "element_type.h"

#include <errno.h>
#include <float.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "generate.h"

/* Largest accepted extent: keeps every product of two extents far from overflow while
 * leaving room for any size a CPU can hold. */
#define ATTN_MAX_EXTENT ((int64_t)1 << 31)

static const char *const dist_names[ATTN_DIST_COUNT] = {"uniform",  "offset", "ties",
                                                        "dominant", "spikes", "needles"};

const char *attn_dist_name(attn_dist dist) {
    return (unsigned)dist < ATTN_DIST_COUNT ? dist_names[dist] : "?";
}

/* The fields each key sets (attn_case_key_fields), and their names in messages. */
static const struct {
    const char *key;
    unsigned fields;
} key_fields[] = {
    {"b", ATTN_FIELD_BATCH},
    {"hq", ATTN_FIELD_HEADS_Q},
    {"hkv", ATTN_FIELD_HEADS_KV},
    {"h", ATTN_FIELD_HEADS_Q | ATTN_FIELD_HEADS_KV},
    {"nq", ATTN_FIELD_SEQ_Q},
    {"nkv", ATTN_FIELD_SEQ_KV},
    {"n", ATTN_FIELD_SEQ_Q | ATTN_FIELD_SEQ_KV},
    {"d", ATTN_FIELD_HEAD_DIM},
    {"dv", ATTN_FIELD_HEAD_DIM_V},
    {"window", ATTN_FIELD_MASK},
    {"causal", ATTN_FIELD_MASK},
    {"scale", ATTN_FIELD_SCALE},
    {"seed", ATTN_FIELD_SEED},
    {"dist", ATTN_FIELD_DIST},
    {"types", ATTN_FIELD_TYPES},
    {"kv", ATTN_FIELD_KV_STORAGE},
};
static const char *const field_names[] = {"b",        "hq",    "hkv",  "nq",   "nkv",   "d", "dv",
                                          "the mask", "scale", "seed", "dist", "types", "kv"};

unsigned attn_case_key_fields(const char *key) {
    for (size_t k = 0; k < sizeof key_fields / sizeof key_fields[0]; k++)
        if (strcmp(key_fields[k].key, key) == 0)
            return key_fields[k].fields;
    return 0;
}

const char *attn_case_field_name(unsigned fields) {
    for (size_t f = 0; f < sizeof field_names / sizeof field_names[0]; f++)
        if (fields & (1u << f))
            return field_names[f];
    return "?";
}

void attn_case_default(attn_case *c) {
    memset(c, 0, sizeof *c);
    c->problem.struct_size = sizeof c->problem;
    c->problem.batch = 1;
    c->problem.heads_q = 1;
    c->problem.heads_kv = 1;
    c->problem.seq_q = 1;
    c->problem.seq_kv = 1;
    c->problem.head_dim = 64;
    c->problem.head_dim_v = 0; /* 0: same as head_dim, resolved by attn_case_finish */
    c->problem.window_left = -1;
    c->problem.window_right = -1;
    c->scale_is_default = true;
    c->seed = 1;
    c->dist = ATTN_DIST_UNIFORM;
    attn_case_finish(c);
    c->problem.head_dim_v = 0;
}

static int parse_int(const char *key, const char *text, int64_t min, int64_t max, int64_t *out,
                     attn_error *err);

/* Streams of the serving draws (generate.h lists 0..5). */
enum { STREAM_LENGTHS_Q = 8, STREAM_LENGTHS_KV = 9, STREAM_SEQUENCE_SEED = 11 };

static bool is_serving(const attn_case *c) {
    return c->storage_named || c->lengths[ATTN_SEQ_Q].kind != ATTN_LENGTHS_UNIFORM ||
           c->lengths[ATTN_SEQ_KV].kind != ATTN_LENGTHS_UNIFORM;
}

int64_t attn_case_seq_len(const attn_case *c, int which, int64_t b) {
    if (c->lengths_tied && c->problem.ragged)
        which = ATTN_SEQ_Q;
    const attn_lengths *l = &c->lengths[which];
    switch (l->kind) {
    case ATTN_LENGTHS_LIST:
        return b < l->count ? l->list[b] : 0;
    case ATTN_LENGTHS_RANGE: {
        const uint64_t span = (uint64_t)(l->hi - l->lo) + 1;
        const uint64_t stream = which == ATTN_SEQ_Q ? STREAM_LENGTHS_Q : STREAM_LENGTHS_KV;
        return l->lo + (int64_t)(attn_random_bits(c->lengths_seed, stream, (uint64_t)b) % span);
    }
    default:
        return which == ATTN_SEQ_Q ? c->problem.seq_q : c->problem.seq_kv;
    }
}

/* The serving fields of the problem from the lengths (ragged cases only). */
static void finish_serving(attn_case *c) {
    attn_problem *p = &c->problem;
    p->ragged = 1;
    c->lengths_seed = c->seed;
    /* one count for every sequence: a range of one value, kept when seq_q and seq_kv
     * become the largest counts below */
    const int64_t uniform[2] = {p->seq_q, p->seq_kv};
    for (int w = 0; w < 2; w++)
        if (c->lengths[w].kind == ATTN_LENGTHS_UNIFORM) {
            memset(&c->lengths[w], 0, sizeof c->lengths[w]);
            c->lengths[w].kind = ATTN_LENGTHS_RANGE;
            c->lengths[w].lo = c->lengths[w].hi = uniform[w];
        }
    int64_t max_q = 0, max_kv = 0, total_q = 0, total_kv = 0, pages = 0, most_pages = 0;
    const int64_t page = p->page_size > 0 ? p->page_size : 1;
    for (int64_t b = 0; b < p->batch && b < ATTN_MAX_SEQUENCES; b++) {
        const int64_t nq = attn_case_seq_len(c, ATTN_SEQ_Q, b);
        const int64_t nkv = attn_case_seq_len(c, ATTN_SEQ_KV, b);
        max_q = nq > max_q ? nq : max_q;
        max_kv = nkv > max_kv ? nkv : max_kv;
        total_q += nq;
        total_kv += nkv;
        const int64_t used = (nkv + page - 1) / page;
        pages += used;
        most_pages = used > most_pages ? used : most_pages;
    }
    p->seq_q = max_q > 0 ? max_q : 1;
    p->seq_kv = max_kv > 0 ? max_kv : 1;
    p->total_q = total_q;
    p->total_kv = p->kv_storage == ATTN_KV_PACKED ? total_kv : 0;
    if (p->kv_storage == ATTN_KV_PAGED) {
        p->pages_per_seq = most_pages > 0 ? most_pages : 1;
        /* a few pages nobody uses, poisoned, among the used ones */
        p->page_count = pages + 2 + pages / 4;
    } else {
        p->page_size = p->page_count = p->pages_per_seq = 0;
    }
}

void attn_case_finish(attn_case *c) {
    if (c->problem.head_dim_v == 0)
        c->problem.head_dim_v = c->problem.head_dim;
    if (c->scale_is_default && c->problem.head_dim > 0)
        c->problem.scale = 1.0 / sqrt((double)c->problem.head_dim);
    if (is_serving(c))
        finish_serving(c);
}

void attn_case_sequence(const attn_case *c, int64_t b, attn_case *sequence) {
    *sequence = *c;
    attn_problem *p = &sequence->problem;
    p->batch = 1;
    p->seq_q = attn_case_seq_len(c, ATTN_SEQ_Q, b);
    p->seq_kv = attn_case_seq_len(c, ATTN_SEQ_KV, b);
    p->ragged = p->kv_storage = 0;
    p->total_q = p->total_kv = p->page_size = p->page_count = p->pages_per_seq = 0;
    sequence->lengths[ATTN_SEQ_Q].kind = sequence->lengths[ATTN_SEQ_KV].kind = ATTN_LENGTHS_UNIFORM;
    sequence->storage_named = false;
    sequence->lengths_tied = false;
    sequence->seed = attn_random_bits(c->seed, STREAM_SEQUENCE_SEED, (uint64_t)b);
}

void attn_case_sequence_offsets(const attn_case *c, int64_t b, attn_sequence_offsets *at) {
    const attn_problem *p = &c->problem;
    int64_t q_rows = 0, kv_rows = 0;
    for (int64_t s = 0; s < b; s++) {
        q_rows += attn_case_seq_len(c, ATTN_SEQ_Q, s);
        kv_rows += attn_case_seq_len(c, ATTN_SEQ_KV, s);
    }
    at->lse = (size_t)(q_rows * p->heads_q);
    at->q = at->lse * (size_t)p->head_dim;
    at->o = at->lse * (size_t)p->head_dim_v;
    at->k = (size_t)(kv_rows * p->heads_kv * p->head_dim);
    at->v = (size_t)(kv_rows * p->heads_kv * p->head_dim_v);
}

void attn_case_sequence_advance(const attn_case *one, attn_sequence_offsets *at) {
    const attn_problem *p = &one->problem;
    const size_t q_rows = (size_t)(p->seq_q * p->heads_q);
    const size_t kv_rows = (size_t)(p->seq_kv * p->heads_kv);
    at->lse += q_rows;
    at->q += q_rows * (size_t)p->head_dim;
    at->o += q_rows * (size_t)p->head_dim_v;
    at->k += kv_rows * (size_t)p->head_dim;
    at->v += kv_rows * (size_t)p->head_dim_v;
}

void attn_case_storage_text(const attn_case *c, char *out, size_t size) {
    const attn_problem *p = &c->problem;
    if (p->kv_storage == ATTN_KV_PAGED)
        snprintf(out, size, "paged:%" PRId64, p->page_size);
    else
        snprintf(out, size, "%s", p->kv_storage == ATTN_KV_PACKED ? "packed" : "cache");
}

/* "nkv=1..32768" or "nkv=100/0/37" (key is nq, nkv or n). */
static int parse_lengths(const char *key, const char *text, attn_lengths *l, attn_error *err) {
    memset(l, 0, sizeof *l);
    const char *dots = strstr(text, "..");
    if (dots) {
        char low[32];
        const size_t length = (size_t)(dots - text);
        if (length == 0 || length >= sizeof low)
            return attn_fail_input(err, "%s=%s: expected LO..HI, two counts", key, text);
        memcpy(low, text, length);
        low[length] = '\0';
        if (parse_int(key, low, 0, ATTN_MAX_EXTENT, &l->lo, err) ||
            parse_int(key, dots + 2, 0, ATTN_MAX_EXTENT, &l->hi, err))
            return -1;
        if (l->hi < l->lo)
            return attn_fail_input(err, "%s=%s: the range is empty (%" PRId64 " > %" PRId64 ")",
                                   key, text, l->lo, l->hi);
        l->kind = ATTN_LENGTHS_RANGE;
        return 0;
    }
    l->kind = ATTN_LENGTHS_LIST;
    for (const char *at = text;;) {
        const size_t length = strcspn(at, "/");
        char item[32];
        if (length == 0 || length >= sizeof item)
            return attn_fail_input(err,
                                   "%s=%s: expected one count per sequence separated by '/' "
                                   "(100/0/37) or a range LO..HI",
                                   key, text);
        if (l->count == ATTN_LENGTHS_MAX)
            return attn_fail_input(err,
                                   "%s=%s: more than %d counts; draw longer batches with LO..HI",
                                   key, text, ATTN_LENGTHS_MAX);
        memcpy(item, at, length);
        item[length] = '\0';
        int64_t value = 0;
        if (parse_int(key, item, 0, INT32_MAX, &value, err))
            return -1;
        l->list[l->count++] = (int32_t)value;
        if (!at[length])
            return 0;
        at += length + 1;
    }
}

static int parse_storage(const char *text, attn_case *c, attn_error *err) {
    attn_problem *p = &c->problem;
    c->storage_named = true;
    p->page_size = 0;
    if (strcmp(text, "cache") == 0) {
        p->kv_storage = ATTN_KV_CACHE;
        return 0;
    }
    if (strcmp(text, "packed") == 0) {
        p->kv_storage = ATTN_KV_PACKED;
        return 0;
    }
    if (strncmp(text, "paged:", 6) == 0) {
        p->kv_storage = ATTN_KV_PAGED;
        return parse_int("kv=paged", text + 6, 1, 1 << 20, &p->page_size, err);
    }
    return attn_fail_input(err, "kv=%s: expected cache, packed or paged:P (P tokens a page)", text);
}

static int parse_int(const char *key, const char *text, int64_t min, int64_t max, int64_t *out,
                     attn_error *err) {
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (end == text || *end != '\0')
        return attn_fail_input(err, "%s=%s: not an integer", key, text);
    if (errno == ERANGE || value < min || value > max)
        return attn_fail_input(err, "%s=%s: must be between %" PRId64 " and %" PRId64, key, text,
                               min, max);
    *out = value;
    return 0;
}

/* "bf16" (all four tensors) or "f32/f16/f16/f32" (Q, K, V, O). */
static int parse_types(const char *text, attn_problem *p, attn_error *err) {
    int32_t *const fields[4] = {&p->q_type, &p->k_type, &p->v_type, &p->o_type};
    int types[4], count = 0;
    for (const char *at = text;; at++) {
        const size_t length = strcspn(at, "/");
        char name[16];
        if (count == 4 || length == 0 || length >= sizeof name)
            return attn_fail_input(err,
                                   "types=%s: expected one type for Q, K, V and O or four "
                                   "(Q/K/V/O) separated by slashes, such as bf16 or "
                                   "f32/f16/f16/f32",
                                   text);
        memcpy(name, at, length);
        name[length] = '\0';
        if (attn_type_parse(name, &types[count++], err)) {
            attn_error_prefix(err, "types=%s", text);
            return -1;
        }
        at += length;
        if (*at == '\0')
            break;
    }
    if (count != 1 && count != 4)
        return attn_fail_input(err,
                               "types=%s: %d types; give one (all four tensors) or four "
                               "(Q/K/V/O)",
                               text, count);
    for (int t = 0; t < 4; t++)
        *fields[t] = types[count == 1 ? 0 : t];
    return 0;
}

static int parse_window(const char *text, int64_t *left, int64_t *right, attn_error *err) {
    if (strcmp(text, "global") == 0) {
        *left = *right = -1;
        return 0;
    }
    if (strcmp(text, "causal") == 0) {
        *left = -1;
        *right = 0;
        return 0;
    }
    const char *colon = strchr(text, ':');
    if (!colon)
        return attn_fail_input(err,
                               "window=%s: expected L:R (e.g. 16:0, -1 for unbounded), "
                               "'global' or 'causal'",
                               text);
    char left_text[64];
    size_t length = (size_t)(colon - text);
    if (length >= sizeof left_text)
        return attn_fail_input(err, "window=%s: left bound too long (at most %" PRId64 ")", text,
                               ATTN_MAX_EXTENT);
    memcpy(left_text, text, length);
    left_text[length] = '\0';
    const char *const bound_texts[2] = {left_text, colon + 1};
    const char *const sides[2] = {"left", "right"};
    int64_t *const bounds[2] = {left, right};
    for (int b = 0; b < 2; b++) {
        char *end = NULL;
        errno = 0;
        long long value = strtoll(bound_texts[b], &end, 10);
        if (end == bound_texts[b] || *end != '\0')
            return attn_fail_input(err,
                                   "window=%s: %s bound '%s' is not an integer (L:R, -1: "
                                   "unbounded)",
                                   text, sides[b], bound_texts[b]);
        if ((errno == ERANGE && value > 0) || value > ATTN_MAX_EXTENT)
            return attn_fail_input(
                err, "window=%s: %s bound %s is too large (at most %" PRId64 "; -1: unbounded)",
                text, sides[b], bound_texts[b], ATTN_MAX_EXTENT);
        if (errno == ERANGE || value < -1)
            return attn_fail_input(err,
                                   "window=%s: %s bound %s: bounds must be >= -1 (-1: "
                                   "unbounded)",
                                   text, sides[b], bound_texts[b]);
        *bounds[b] = value;
    }
    return 0;
}

int attn_case_set(attn_case *c, const char *key, const char *value, attn_error *err) {
    attn_problem *p = &c->problem;
    int64_t number = 0;
    struct {
        const char *key;
        int64_t *first, *second;
    } extents[] = {
        {"b", &p->batch, NULL},           {"hq", &p->heads_q, NULL}, {"hkv", &p->heads_kv, NULL},
        {"h", &p->heads_q, &p->heads_kv}, {"nq", &p->seq_q, NULL},   {"nkv", &p->seq_kv, NULL},
        {"n", &p->seq_q, &p->seq_kv},     {"d", &p->head_dim, NULL}, {"dv", &p->head_dim_v, NULL},
    };
    const bool is_length =
        strcmp(key, "nq") == 0 || strcmp(key, "nkv") == 0 || strcmp(key, "n") == 0;
    if (is_length && (strchr(value, '/') || strstr(value, ".."))) {
        attn_lengths l;
        if (parse_lengths(key, value, &l, err))
            return -1;
        if (strcmp(key, "nkv") != 0)
            c->lengths[ATTN_SEQ_Q] = l;
        if (strcmp(key, "nq") != 0)
            c->lengths[ATTN_SEQ_KV] = l;
        c->lengths_tied = strcmp(key, "n") == 0;
        return 0;
    }
    if (strcmp(key, "kv") == 0)
        return parse_storage(value, c, err);
    for (size_t e = 0; e < sizeof extents / sizeof extents[0]; e++) {
        if (strcmp(key, extents[e].key) != 0)
            continue;
        if (is_length) {
            c->lengths[strcmp(key, "nkv") == 0 ? ATTN_SEQ_KV : ATTN_SEQ_Q].kind =
                ATTN_LENGTHS_UNIFORM;
            c->lengths_tied = strcmp(key, "n") == 0;
        }
        if (strcmp(key, "n") == 0)
            c->lengths[ATTN_SEQ_KV].kind = ATTN_LENGTHS_UNIFORM;
        /* a count of 0 is a serving case's (validate refuses it elsewhere) */
        if (parse_int(key, value, is_length ? 0 : 1, ATTN_MAX_EXTENT, &number, err))
            return -1;
        *extents[e].first = number;
        if (extents[e].second)
            *extents[e].second = number;
        return 0;
    }
    if (strcmp(key, "window") == 0)
        return parse_window(value, &p->window_left, &p->window_right, err);
    if (strcmp(key, "causal") == 0) {
        if (parse_int(key, value, 0, 1, &number, err))
            return -1;
        p->window_left = -1;
        p->window_right = number ? 0 : -1;
        return 0;
    }
    if (strcmp(key, "scale") == 0) {
        if (strcmp(value, "default") == 0) {
            c->scale_is_default = true;
            return 0;
        }
        char *end = NULL;
        errno = 0;
        double scale = strtod(value, &end);
        /* ERANGE also flags subnormal results, which are valid scales */
        bool out_of_range = errno == ERANGE && (scale == 0.0 || !isfinite(scale));
        if (end == value || *end != '\0' || out_of_range || !isfinite(scale))
            return attn_fail_input(err, "scale=%s: expected 'default' or a finite number", value);
        c->scale_is_default = false;
        p->scale = scale;
        return 0;
    }
    if (strcmp(key, "seed") == 0) {
        char *end = NULL;
        errno = 0;
        unsigned long long seed = strtoull(value, &end, 10);
        /* strtoull would skip white space and accept a sign: require digits only */
        if (end == value || *end != '\0' || errno == ERANGE ||
            !(value[0] >= '0' && value[0] <= '9'))
            return attn_fail_input(err, "seed=%s: expected an unsigned 64-bit integer", value);
        c->seed = seed;
        return 0;
    }
    if (strcmp(key, "dist") == 0) {
        for (int d = 0; d < ATTN_DIST_COUNT; d++) {
            if (strcmp(value, dist_names[d]) == 0) {
                c->dist = (attn_dist)d;
                return 0;
            }
        }
        return attn_fail_input(err,
                               "dist=%s: expected uniform, offset, ties, dominant, spikes or "
                               "needles",
                               value);
    }
    if (strcmp(key, "types") == 0)
        return parse_types(value, p, err);
    return attn_fail_input(err,
                           "unknown key '%s' (expected b, hq, hkv, h, nq, nkv, n, d, dv, window, "
                           "causal, scale, seed, dist, types or kv)",
                           key);
}

int attn_case_sizes_of(const attn_case *c, attn_case_sizes *sizes, attn_error *err) {
    const attn_problem *p = &c->problem;
    const int64_t extents[] = {p->batch,  p->heads_q,  p->heads_kv,  p->seq_q,
                               p->seq_kv, p->head_dim, p->head_dim_v};
    for (size_t e = 0; e < sizeof extents / sizeof extents[0]; e++)
        if (extents[e] < 1 || (uint64_t)extents[e] > SIZE_MAX)
            return attn_fail_input(err, "tensor extent %" PRId64 " is not a positive size",
                                   extents[e]);
    size_t bq = 0, bkv = 0, q_rows = 0, kv_rows = 0, bytes = 0;
    /* a ragged case's tensors are its sequences' own, one after the other */
    size_t seq_q = (size_t)p->seq_q, seq_kv = (size_t)p->seq_kv, batch = (size_t)p->batch;
    if (p->ragged) {
        if (p->batch > ATTN_MAX_SEQUENCES)
            return attn_fail_input(
                err, "b=%" PRId64 ": a ragged batch has at most %" PRId64 " sequences", p->batch,
                ATTN_MAX_SEQUENCES);
        seq_q = seq_kv = 0;
        for (int64_t b = 0; b < p->batch; b++) {
            seq_q += (size_t)attn_case_seq_len(c, ATTN_SEQ_Q, b);
            seq_kv += (size_t)attn_case_seq_len(c, ATTN_SEQ_KV, b);
        }
        batch = 1;
    }
    if (!attn_checked_mul(batch, (size_t)p->heads_q, &bq) ||
        !attn_checked_mul(batch, (size_t)p->heads_kv, &bkv) ||
        !attn_checked_mul(bq, seq_q, &q_rows) || !attn_checked_mul(bkv, seq_kv, &kv_rows) ||
        !attn_checked_mul(q_rows, (size_t)p->head_dim, &sizes->q) ||
        !attn_checked_mul(kv_rows, (size_t)p->head_dim, &sizes->k) ||
        !attn_checked_mul(kv_rows, (size_t)p->head_dim_v, &sizes->v) ||
        !attn_checked_mul(q_rows, (size_t)p->head_dim_v, &sizes->o) ||
        /* every tensor must also be addressable in bytes, as doubles */
        !attn_checked_mul(sizes->q > sizes->k ? sizes->q : sizes->k, sizeof(double), &bytes) ||
        !attn_checked_mul(sizes->v > sizes->o ? sizes->v : sizes->o, sizeof(double), &bytes))
        return attn_fail_input(err, "tensor sizes overflow size_t");
    sizes->lse = q_rows;
    sizes->rows = q_rows;
    return 0;
}

int attn_case_validate(const attn_case *c, attn_error *err) {
    const attn_problem *p = &c->problem;
    const struct {
        const char *name;
        int64_t value;
    } extents[] = {{"b", p->batch},    {"hq", p->heads_q}, {"hkv", p->heads_kv}, {"nq", p->seq_q},
                   {"nkv", p->seq_kv}, {"d", p->head_dim}, {"dv", p->head_dim_v}};
    for (size_t e = 0; e < sizeof extents / sizeof extents[0]; e++)
        if (extents[e].value < 1 || extents[e].value > ATTN_MAX_EXTENT)
            return attn_fail_input(err, "%s=%" PRId64 ": must be between 1 and %" PRId64 "%s",
                                   extents[e].name, extents[e].value, ATTN_MAX_EXTENT,
                                   extents[e].value == 0 && e >= 3 && e <= 4
                                       ? " (empty sequences belong to serving cases, kv=...)"
                                       : "");
    if (p->heads_q % p->heads_kv != 0)
        return attn_fail_input(err, "hq=%" PRId64 " is not a multiple of hkv=%" PRId64, p->heads_q,
                               p->heads_kv);
    if (p->window_left < -1 || p->window_right < -1)
        return attn_fail_input(err, "window=%" PRId64 ":%" PRId64 ": bounds must be >= -1",
                               p->window_left, p->window_right);
    if (!isfinite(p->scale))
        return attn_fail_input(err, "scale=%g: must be finite", p->scale);
    if (fabs(p->scale) > FLT_MAX) {
        char scale[ATTN_DOUBLE_STRING_MAX];
        attn_format_double(p->scale, scale);
        return attn_fail_input(err,
                               "scale=%s: not representable in float32 (|scale| at most %.9g), "
                               "the type the implementations compute in",
                               scale, (double)FLT_MAX);
    }
    if (p->ragged) {
        const char *const names[2] = {"nq", "nkv"};
        for (int w = 0; w < 2; w++)
            if (c->lengths[w].kind == ATTN_LENGTHS_LIST && c->lengths[w].count != p->batch)
                return attn_fail_input(
                    err, "%s lists %d counts for b=%" PRId64 " sequences: give one per sequence",
                    names[w], (int)c->lengths[w].count, p->batch);
        if (p->batch > ATTN_MAX_SEQUENCES)
            return attn_fail_input(
                err, "b=%" PRId64 ": a ragged batch has at most %" PRId64 " sequences", p->batch,
                ATTN_MAX_SEQUENCES);
        if (p->kv_storage == ATTN_KV_PAGED && p->page_size < 1)
            return attn_fail_input(err, "kv=paged: the page size must be at least 1");
    }
    if ((unsigned)c->dist >= ATTN_DIST_COUNT)
        return attn_fail_input(err, "dist=%d: unknown distribution", (int)c->dist);
    const int32_t types[4] = {p->q_type, p->k_type, p->v_type, p->o_type};
    for (int t = 0; t < 4; t++)
        if (types[t] < 0 || types[t] >= ATTN_TYPE_COUNT)
            return attn_fail_input(err, "element type %d of %c is not one of f32, bf16, f16",
                                   (int)types[t], "QKVO"[t]);
    attn_case_sizes sizes;
    return attn_case_sizes_of(c, &sizes, err);
}

void attn_format_double(double x, char out[ATTN_DOUBLE_STRING_MAX]) {
    /* The fewest of 15, 16 or 17 significant digits that read back as the same double
     * (17 always do): 0.05, not 0.050000000000000003. */
    for (int digits = 15; digits <= 17; digits++) {
        snprintf(out, ATTN_DOUBLE_STRING_MAX, "%.*g", digits, x);
        if (digits == 17 || !isfinite(x))
            return;
        double back = strtod(out, NULL);
        if (memcmp(&back, &x, sizeof x) == 0)
            return;
    }
}

void attn_case_lengths_text(const attn_case *c, int which, char *out, size_t size) {
    const attn_lengths *l = &c->lengths[which];
    if (l->kind == ATTN_LENGTHS_RANGE && l->lo == l->hi) {
        snprintf(out, size, "%" PRId64, l->lo);
        return;
    }
    if (l->kind == ATTN_LENGTHS_RANGE) {
        snprintf(out, size, "%" PRId64 "..%" PRId64, l->lo, l->hi);
        return;
    }
    if (l->kind != ATTN_LENGTHS_LIST) {
        snprintf(out, size, "%" PRId64, which == ATTN_SEQ_Q ? c->problem.seq_q : c->problem.seq_kv);
        return;
    }
    size_t used = 0;
    out[0] = '\0';
    for (int32_t n = 0; n < l->count && used < size; n++)
        used += (size_t)snprintf(out + used, size - used, n ? "/%d" : "%d", (int)l->list[n]);
}

void attn_case_format(const attn_case *c, char out[ATTN_CASE_STRING_MAX]) {
    const attn_problem *p = &c->problem;
    char scale[ATTN_DOUBLE_STRING_MAX];
    if (c->scale_is_default)
        snprintf(scale, sizeof scale, "default");
    else
        attn_format_double(p->scale, scale);
    char lengths[2][ATTN_LENGTHS_MAX * 12 + 32];
    for (int w = 0; w < 2; w++)
        attn_case_lengths_text(c, w, lengths[w], sizeof lengths[w]);
    char counts[sizeof lengths + 16];
    if (c->lengths_tied && p->ragged)
        snprintf(counts, sizeof counts, "n=%s", lengths[0]);
    else
        snprintf(counts, sizeof counts, "nq=%s nkv=%s", lengths[0], lengths[1]);
    snprintf(out, ATTN_CASE_STRING_MAX,
             "b=%" PRId64 " hq=%" PRId64 " hkv=%" PRId64 " %s d=%" PRId64 " dv=%" PRId64
             " window=%" PRId64 ":%" PRId64 " scale=%s seed=%" PRIu64 " dist=%s",
             p->batch, p->heads_q, p->heads_kv, counts, p->head_dim,
             p->head_dim_v ? p->head_dim_v : p->head_dim, p->window_left, p->window_right, scale,
             c->seed, attn_dist_name(c->dist));
    if (p->ragged) {
        char storage[32];
        attn_case_storage_text(c, storage, sizeof storage);
        const size_t used = strlen(out);
        snprintf(out + used, ATTN_CASE_STRING_MAX - used, " kv=%s", storage);
    }
    char types[32];
    if (attn_case_types_text(p, types, sizeof types)) {
        const size_t used = strlen(out);
        snprintf(out + used, ATTN_CASE_STRING_MAX - used, " types=%s", types);
    }
}

bool attn_case_types_text(const attn_problem *p, char *out, size_t size) {
    const int t[4] = {p->q_type, p->k_type, p->v_type, p->o_type};
    if (t[0] == t[1] && t[1] == t[2] && t[2] == t[3])
        snprintf(out, size, "%s", attn_type_name(t[0]));
    else
        snprintf(out, size, "%s/%s/%s/%s", attn_type_name(t[0]), attn_type_name(t[1]),
                 attn_type_name(t[2]), attn_type_name(t[3]));
    return t[0] != ATTN_F32 || t[1] != ATTN_F32 || t[2] != ATTN_F32 || t[3] != ATTN_F32;
}

int attn_case_parse(const char *text, attn_case *c, attn_error *err) {
    attn_case_default(c);
    char token[1024];
    /* Which token set each field, to refuse a field given twice ("n=3 n=5", "h=2 hq=4",
     * "causal=1 window=2:2") instead of silently keeping the last. */
    const char *setter[ATTN_FIELD_COUNT] = {NULL};
    size_t setter_length[ATTN_FIELD_COUNT] = {0};
    const char *cursor = text;
    for (;;) {
        while (*cursor == ' ' || *cursor == '\t')
            cursor++;
        if (*cursor == '\0')
            break;
        size_t length = strcspn(cursor, " \t");
        if (length >= sizeof token)
            return attn_fail_input(err, "case '%s': token too long", text);
        memcpy(token, cursor, length);
        token[length] = '\0';
        const char *token_start = cursor;
        cursor += length;
        char *equals = strchr(token, '=');
        if (!equals)
            return attn_fail_input(err, "case '%s': token '%s' is not key=value", text, token);
        *equals = '\0';
        const unsigned fields = attn_case_key_fields(token);
        for (int f = 0; f < ATTN_FIELD_COUNT; f++) {
            if (!(fields & (1u << f)))
                continue;
            if (setter[f])
                return attn_fail_input(err,
                                       "case '%s': %.*s conflicts with %.*s given before (both "
                                       "set %s): give each field once",
                                       text, (int)length, token_start, (int)setter_length[f],
                                       setter[f], attn_case_field_name(1u << f));
            setter[f] = token_start;
            setter_length[f] = length;
        }
        if (attn_case_set(c, token, equals + 1, err)) {
            attn_error_prefix(err, "case '%s'", text);
            return -1;
        }
    }
    attn_case_finish(c);
    if (attn_case_validate(c, err) || attn_case_check_magnitudes(c, err)) {
        attn_error_prefix(err, "case '%s'", text);
        return -1;
    }
    return 0;
}

int attn_problem_check_magnitudes(const attn_problem *p, double max_abs_q, double max_abs_k,
                                  const char *source, attn_error *err) {
    /* The softmax subtracts each row's maximum score, so shifted scores span up to twice
     * the largest score magnitude: half of FLT_MAX is the largest bound that keeps every
     * intermediate of a float32 kernel finite. */
    const double limit = FLT_MAX / 2.0;
    const double d = (double)p->head_dim;
    char scale[ATTN_DOUBLE_STRING_MAX];
    attn_format_double(p->scale, scale);
    if (!(max_abs_q <= FLT_MAX) || !(max_abs_k <= FLT_MAX))
        return attn_fail_input(err,
                               "scale=%s d=%" PRId64 ": the inputs themselves overflow float32 "
                               "(max|q| = %.3g, max|k| = %.3g; %s)",
                               scale, p->head_dim, max_abs_q, max_abs_k, source);
    const double dot = d * max_abs_q * max_abs_k; /* q.k before the scale */
    if (dot > limit)
        return attn_fail_input(err,
                               "d=%" PRId64 ": q.k can reach d * max|q| * max|k| = %.3g (max|q| = "
                               "%.3g, max|k| = %.3g; %s), past FLT_MAX/2 = %.3g: the float32 "
                               "problem itself overflows (softmax subtracts the row maximum, "
                               "so scores must stay within half the float32 range)",
                               p->head_dim, dot, max_abs_q, max_abs_k, source, limit);
    const double score = fabs(p->scale) * dot;
    if (score > limit)
        return attn_fail_input(err,
                               "scale=%s: scores can reach |scale| * d * max|q| * max|k| = %.3g "
                               "(d = %" PRId64 ", max|q| = %.3g, max|k| = %.3g; %s), past "
                               "FLT_MAX/2 = %.3g: the float32 problem itself overflows "
                               "(softmax subtracts the row maximum, so scores must stay within "
                               "half the float32 range); use a smaller scale",
                               scale, score, p->head_dim, max_abs_q, max_abs_k, source, limit);
    return 0;
}

int attn_case_check_magnitudes(const attn_case *c, attn_error *err) {
    /* The largest |q| and |k| each distribution generates (generate.h), computed as
     * attn_generate_inputs does. */
    const attn_problem *p = &c->problem;
    const double d = (double)p->head_dim;
    double max_q = 1.0, max_k = 1.0;
    char source[160];
    switch (c->dist) {
    case ATTN_DIST_OFFSET: {
        const double s = fabs(p->scale) > 0 ? fabs(p->scale) : 1.0;
        max_q = max_k = 1.1 * sqrt(200.0 / (s * d));
        snprintf(source, sizeof source,
                 "dist=offset draws |q| and |k| near sqrt(200 / (|scale| * d))");
        break;
    }
    case ATTN_DIST_TIES:
        max_k = 1.0 + 1.0 / 4096.0;
        snprintf(source, sizeof source, "dist=ties draws q in [-1, 1) and k within 1 + 2^-12");
        break;
    case ATTN_DIST_DOMINANT: {
        const double big = p->scale != 0 ? fabs(60.0 / (p->scale * d)) : 60.0;
        max_k = big > 0.1 ? big : 0.1;
        snprintf(source, sizeof source,
                 "dist=dominant draws q in [0, 1) and one key of 60 / (scale * d)");
        break;
    }
    case ATTN_DIST_SPIKES: {
        const double big = p->scale != 0 ? fabs(2.0 * 30.0 * 1.25 / (p->scale * d)) : 75.0;
        max_k = big > 0.1 ? big : 0.1;
        snprintf(source, sizeof source,
                 "dist=spikes draws q in [0, 1) and spike keys up to 75 / (scale * d)");
        break;
    }
    case ATTN_DIST_NEEDLES: {
        const double s = fabs(p->scale) > 0 ? fabs(p->scale) : 1.0;
        const double needle = d > 1 ? 2.5 / (s * (d - 1)) : 0.0;
        max_q = fmax(1.0, sqrt(NEEDLES_DEPTH / s));
        max_k = fmax(fmax(sqrt(NEEDLES_DEPTH / s), needle), 0.1);
        snprintf(source, sizeof source,
                 "dist=needles draws q and k near sqrt(40 / |scale|) in their first column");
        break;
    }
    default:
        snprintf(source, sizeof source, "dist=%s draws q and k in [-1, 1)",
                 attn_dist_name(c->dist));
        break;
    }
    if (attn_problem_check_magnitudes(p, max_q, max_k, source, err))
        return -1;
    const struct {
        const char *name;
        int32_t type;
        double largest;
    } inputs[3] = {{"Q", p->q_type, max_q}, {"K", p->k_type, max_k}, {"V", p->v_type, 1.0}};
    for (int t = 0; t < 3; t++)
        if (inputs[t].largest > attn_type_max(inputs[t].type))
            return attn_fail_input(err,
                                   "%s is %s, whose largest value is %.6g, but %s (up to %.3g)",
                                   inputs[t].name, attn_type_name(inputs[t].type),
                                   attn_type_max(inputs[t].type), source, inputs[t].largest);
    return 0;
}

static double max_abs(const float *x, size_t count) {
    double largest = 0;
    for (size_t i = 0; i < count; i++)
        largest = fabs((double)x[i]) > largest ? fabs((double)x[i]) : largest;
    return largest;
}

int attn_check_input_magnitudes(const attn_problem *p, const char *q_name, const float *q,
                                size_t q_count, const char *k_name, const float *k, size_t k_count,
                                attn_error *err) {
    char source[1024];
    snprintf(source, sizeof source, "the largest in %.480s and %.480s", q_name, k_name);
    return attn_problem_check_magnitudes(p, max_abs(q, q_count), max_abs(k, k_count), source, err);
}

int64_t attn_case_visible_in_row(const attn_problem *p, int64_t i) {
    int64_t first = 0, last = 0;
    attn_visible_keys(p, i, &first, &last);
    return last - first;
}

int64_t attn_case_total_visible_pairs(const attn_case *c) {
    const attn_problem *p = &c->problem;
    if (!p->ragged)
        return attn_case_visible_pairs(p) * p->batch * p->heads_q;
    int64_t total = 0;
    for (int64_t b = 0; b < p->batch; b++) {
        attn_case one;
        attn_case_sequence(c, b, &one);
        total += attn_case_visible_pairs(&one.problem) * p->heads_q;
    }
    return total;
}

int64_t attn_case_visible_pairs(const attn_problem *p) {
    int64_t total = 0;
    for (int64_t i = 0; i < p->seq_q; i++)
        total += attn_case_visible_in_row(p, i);
    return total;
}

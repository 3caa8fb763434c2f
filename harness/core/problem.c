/* Problem descriptor: defaults, field setting, validation, canonical string form. */
#define _POSIX_C_SOURCE 200809L
#include "problem.h"

#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

/* Largest accepted extent: keeps every product of two extents far from overflow while
 * leaving room for any size a CPU can hold. */
#define ATTN_MAX_EXTENT ((int64_t)1 << 31)

static const char *const dist_names[ATTN_DIST_COUNT] = {"uniform", "offset", "ties", "dominant"};

const char *attn_dist_name(attn_dist dist) {
    return (unsigned)dist < ATTN_DIST_COUNT ? dist_names[dist] : "?";
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

void attn_case_finish(attn_case *c) {
    if (c->problem.head_dim_v == 0)
        c->problem.head_dim_v = c->problem.head_dim;
    if (c->scale_is_default && c->problem.head_dim > 0)
        c->problem.scale = 1.0 / sqrt((double)c->problem.head_dim);
}

static int parse_int(const char *key, const char *text, int64_t min, int64_t max, int64_t *out,
                     attn_error *err) {
    char *end = NULL;
    errno = 0;
    long long value = strtoll(text, &end, 10);
    if (end == text || *end != '\0' || errno == ERANGE)
        return attn_fail_input(err, "%s=%s: not an integer", key, text);
    if (value < min || value > max)
        return attn_fail_input(err, "%s=%s: must be between %" PRId64 " and %" PRId64, key, text,
                               min, max);
    *out = value;
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
        return attn_fail_input(err, "window=%s: left bound too long", text);
    memcpy(left_text, text, length);
    left_text[length] = '\0';
    if (parse_int("window (left)", left_text, -1, ATTN_MAX_EXTENT, left, err) ||
        parse_int("window (right)", colon + 1, -1, ATTN_MAX_EXTENT, right, err))
        return attn_fail_input(err, "window=%s: bounds must be integers >= -1 (-1: unbounded)",
                               text);
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
    for (size_t e = 0; e < sizeof extents / sizeof extents[0]; e++) {
        if (strcmp(key, extents[e].key) != 0)
            continue;
        if (parse_int(key, value, 1, ATTN_MAX_EXTENT, &number, err))
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
        return attn_fail_input(err, "dist=%s: expected uniform, offset, ties or dominant", value);
    }
    return attn_fail_input(err,
                           "unknown key '%s' (expected b, hq, hkv, h, nq, nkv, n, d, dv, window, "
                           "causal, scale, seed or dist)",
                           key);
}

int attn_case_sizes_of(const attn_case *c, attn_case_sizes *sizes, attn_error *err) {
    const attn_problem *p = &c->problem;
    size_t bq = 0, bkv = 0, q_rows = 0, kv_rows = 0;
    if (attn_size_mul((size_t)p->batch, (size_t)p->heads_q, &bq) ||
        attn_size_mul((size_t)p->batch, (size_t)p->heads_kv, &bkv) ||
        attn_size_mul(bq, (size_t)p->seq_q, &q_rows) ||
        attn_size_mul(bkv, (size_t)p->seq_kv, &kv_rows) ||
        attn_size_mul(q_rows, (size_t)p->head_dim, &sizes->q) ||
        attn_size_mul(kv_rows, (size_t)p->head_dim, &sizes->k) ||
        attn_size_mul(kv_rows, (size_t)p->head_dim_v, &sizes->v) ||
        attn_size_mul(q_rows, (size_t)p->head_dim_v, &sizes->o) ||
        /* every tensor must also be addressable in bytes, as doubles */
        attn_size_mul(sizes->q > sizes->k ? sizes->q : sizes->k, sizeof(double), &bq) ||
        attn_size_mul(sizes->v > sizes->o ? sizes->v : sizes->o, sizeof(double), &bq))
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
            return attn_fail_input(err, "%s=%" PRId64 ": must be between 1 and %" PRId64,
                                   extents[e].name, extents[e].value, ATTN_MAX_EXTENT);
    if (p->heads_q % p->heads_kv != 0)
        return attn_fail_input(err, "hq=%" PRId64 " is not a multiple of hkv=%" PRId64, p->heads_q,
                               p->heads_kv);
    if (p->window_left < -1 || p->window_right < -1)
        return attn_fail_input(err, "window=%" PRId64 ":%" PRId64 ": bounds must be >= -1",
                               p->window_left, p->window_right);
    if (!isfinite(p->scale))
        return attn_fail_input(err, "scale=%g: must be finite", p->scale);
    if ((unsigned)c->dist >= ATTN_DIST_COUNT)
        return attn_fail_input(err, "dist=%d: unknown distribution", (int)c->dist);
    attn_case_sizes sizes;
    return attn_case_sizes_of(c, &sizes, err);
}

void attn_case_format(const attn_case *c, char out[ATTN_CASE_STRING_MAX]) {
    const attn_problem *p = &c->problem;
    char scale[32];
    if (c->scale_is_default)
        snprintf(scale, sizeof scale, "default");
    else
        snprintf(scale, sizeof scale, "%.17g", p->scale);
    snprintf(out, ATTN_CASE_STRING_MAX,
             "b=%" PRId64 " hq=%" PRId64 " hkv=%" PRId64 " nq=%" PRId64 " nkv=%" PRId64
             " d=%" PRId64 " dv=%" PRId64 " window=%" PRId64 ":%" PRId64 " scale=%s seed=%" PRIu64
             " dist=%s",
             p->batch, p->heads_q, p->heads_kv, p->seq_q, p->seq_kv, p->head_dim,
             p->head_dim_v ? p->head_dim_v : p->head_dim, p->window_left, p->window_right, scale,
             c->seed, attn_dist_name(c->dist));
}

int attn_case_parse(const char *text, attn_case *c, attn_error *err) {
    attn_case_default(c);
    char token[256];
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
        cursor += length;
        char *equals = strchr(token, '=');
        if (!equals)
            return attn_fail_input(err, "case '%s': token '%s' is not key=value", text, token);
        *equals = '\0';
        if (attn_case_set(c, token, equals + 1, err)) {
            attn_error_prefix(err, "case '%s'", text);
            return -1;
        }
    }
    attn_case_finish(c);
    if (attn_case_validate(c, err)) {
        attn_error_prefix(err, "case '%s'", text);
        return -1;
    }
    return 0;
}

int64_t attn_case_visible_in_row(const attn_problem *p, int64_t i) {
    int64_t first = 0, last = 0;
    attn_visible_keys(p, i, &first, &last);
    return last - first;
}

int64_t attn_case_visible_pairs(const attn_problem *p) {
    int64_t total = 0;
    for (int64_t i = 0; i < p->seq_q; i++)
        total += attn_case_visible_in_row(p, i);
    return total;
}

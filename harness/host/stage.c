/* Staging, poisoning and inspection of one call's tensors. */
#define _POSIX_C_SOURCE 200809L
#include "stage.h"

#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "checked.h"
#include "element_type.h"
#include "serving.h"

static const attn_region_id input_regions[3] = {ATTN_REGION_Q, ATTN_REGION_K, ATTN_REGION_V};
static const attn_region_id output_regions[2] = {ATTN_REGION_O, ATTN_REGION_LSE};

static size_t span_bytes(const attn_tensor_layout *l) {
    return (size_t)l->span * attn_layout_element_size(l);
}

/* memcpy for regions that may be empty (a ragged batch without queries or keys has no
 * data pointer there): nothing to copy. */
static void copy_bytes(void *dst, const void *src, size_t bytes) {
    if (bytes)
        memcpy(dst, src, bytes);
}

int attn_stage_create(attn_stage *s, const attn_problem *p, const struct attn_serving *serving,
                      attn_layout kind, size_t workspace_bytes, attn_error *err) {
    memset(s, 0, sizeof *s);
    s->arena.fd = -1;
    if (attn_layout_of(p, kind, serving, &s->layout, err))
        return -1;
    attn_serving_region tables;
    attn_serving_region_of(p, &tables);
    uint64_t bytes[ATTN_REGION_COUNT];
    uint64_t largest = 0;
    for (int t = 0; t < ATTN_TENSOR_COUNT; t++) {
        if (s->layout.t[t].span < 0 ||
            !attn_checked_mul_u64((uint64_t)s->layout.t[t].span,
                                  attn_layout_element_size(&s->layout.t[t]), &bytes[t]) ||
            bytes[t] > SIZE_MAX)
            return attn_fail_internal(err, "tensor %d spans %lld elements: too large to stage", t,
                                      (long long)s->layout.t[t].span);
        largest = bytes[t] > largest ? bytes[t] : largest;
    }
    bytes[ATTN_REGION_WORKSPACE] = workspace_bytes;
    bytes[ATTN_REGION_SEQUENCES] = tables.bytes;
    if (attn_arena_create(&s->arena, bytes, err))
        return -1;
    if (tables.bytes) {
        s->tables = malloc(tables.bytes);
        if (!s->tables) {
            attn_stage_destroy(s);
            return attn_fail_internal(err, "out of memory staging the sequence tables");
        }
        memset(s->tables, 0, tables.bytes);
        attn_serving_store(serving, p, s->tables);
        memcpy(attn_arena_data(&s->arena, ATTN_REGION_SEQUENCES), s->tables, tables.bytes);
    }
    bool ok = (s->scratch = malloc(largest ? (size_t)largest : 1)) != NULL;
    for (int set = 0; set < ATTN_STAGE_SETS; set++)
        for (int t = 0; t < 3; t++)
            ok = ok && (s->inputs[set][t] = malloc(bytes[t])) != NULL;
    for (int t = 0; t < 2; t++)
        ok = ok && (s->outputs[t] = malloc(bytes[ATTN_TENSOR_O + t])) != NULL;
    if (!ok) {
        attn_stage_destroy(s);
        return attn_fail_internal(err, "out of memory staging the tensors");
    }
    for (int t = 0; t < 2; t++) {
        const attn_tensor_layout *l = &s->layout.t[ATTN_TENSOR_O + t];
        attn_layout_fill(l, ATTN_POISON_BITS, s->outputs[t], 0, l->span);
        attn_layout_fill_view(l, ATTN_UNWRITTEN_BITS, s->outputs[t]);
    }
    return 0;
}

void attn_stage_destroy(attn_stage *s) {
    attn_arena_destroy(&s->arena);
    for (int set = 0; set < ATTN_STAGE_SETS; set++)
        for (int t = 0; t < 3; t++)
            free(s->inputs[set][t]);
    free(s->outputs[0]);
    free(s->outputs[1]);
    free(s->scratch);
    free(s->tables);
    memset(s, 0, sizeof *s);
    s->arena.fd = -1;
}

void attn_stage_set_inputs(attn_stage *s, int set, const float *q, const float *k, const float *v) {
    const float *dense[3] = {q, k, v};
    for (int t = 0; t < 3; t++) {
        attn_layout_fill(&s->layout.t[t], ATTN_POISON_BITS, s->inputs[set][t], 0,
                         s->layout.t[t].span);
        attn_layout_scatter(&s->layout.t[t], dense[t], s->inputs[set][t]);
    }
}

void attn_stage_poison_outputs(attn_stage *s) {
    for (int t = 0; t < 2; t++)
        copy_bytes(attn_arena_data(&s->arena, output_regions[t]), s->outputs[t],
                   span_bytes(&s->layout.t[ATTN_TENSOR_O + t]));
}

void attn_stage_use(attn_stage *s, int set) {
    s->current = set;
    for (int t = 0; t < 3; t++)
        copy_bytes(attn_arena_data(&s->arena, input_regions[t]), s->inputs[set][t],
                   span_bytes(&s->layout.t[t]));
    attn_stage_poison_outputs(s);
}

/* The first element of l's buffer where a and b differ, or -1. */
static int64_t first_difference(const attn_tensor_layout *l, const void *a, const void *b) {
    const size_t size = attn_layout_element_size(l);
    if (l->span == 0 || memcmp(a, b, (size_t)l->span * size) == 0)
        return -1;
    const char *x = a, *y = b;
    for (int64_t i = 0; i < l->span; i++)
        if (memcmp(x + (size_t)i * size, y + (size_t)i * size, size) != 0)
            return i;
    return -1;
}

static int slack_report(const attn_stage *s, attn_region_id r, char *reason, size_t size) {
    int64_t offset;
    if (attn_arena_slack_intact(&s->arena, r, &offset))
        return 0;
    const int64_t bytes = (int64_t)s->arena.layout.data_bytes[r];
    if (offset < 0)
        snprintf(reason, size, "out-of-bounds write of %s (%lld bytes before its start)",
                 attn_region_name(r), (long long)-offset);
    else
        snprintf(reason, size, "out-of-bounds write of %s (%lld bytes past its end)",
                 attn_region_name(r), (long long)(offset - bytes + 1));
    return -1;
}

static void padding_report(const attn_tensor_layout *l, attn_region_id r, int64_t at, char *reason,
                           size_t size) {
    snprintf(reason, size,
             "out-of-bounds write of %s (buffer element %lld, in the padding %s its view)",
             attn_region_name(r), (long long)at,
             at < l->start ? "before" : "between the rows of or after");
}

int attn_stage_inspect(attn_stage *s, char *reason, size_t reason_size) {
    for (int t = 0; t < 2; t++) {
        const attn_tensor_layout *l = &s->layout.t[ATTN_TENSOR_O + t];
        const attn_region_id r = output_regions[t];
        if (slack_report(s, r, reason, reason_size))
            return -1;
        copy_bytes(s->scratch, attn_arena_data(&s->arena, r), span_bytes(l));
        attn_layout_fill_view(l, ATTN_UNWRITTEN_BITS, s->scratch);
        const int64_t at = first_difference(l, s->scratch, s->outputs[t]);
        if (at >= 0) {
            padding_report(l, r, at, reason, reason_size);
            return -1;
        }
    }
    for (int t = 0; t < 3; t++) {
        const attn_tensor_layout *l = &s->layout.t[t];
        const attn_region_id r = input_regions[t];
        if (slack_report(s, r, reason, reason_size))
            return -1;
        const int64_t at =
            first_difference(l, attn_arena_data(&s->arena, r), s->inputs[s->current][t]);
        if (at < 0)
            continue;
        int64_t index[4];
        if (attn_layout_locate(l, at, index))
            snprintf(reason, reason_size, "modified its input %s at [%lld][%lld][%lld][%lld]",
                     attn_region_name(r), (long long)index[0], (long long)index[1],
                     (long long)index[2], (long long)index[3]);
        else
            padding_report(l, r, at, reason, reason_size);
        return -1;
    }
    if (s->tables) {
        const size_t bytes = s->arena.layout.data_bytes[ATTN_REGION_SEQUENCES];
        if (slack_report(s, ATTN_REGION_SEQUENCES, reason, reason_size))
            return -1;
        if (memcmp(attn_arena_data(&s->arena, ATTN_REGION_SEQUENCES), s->tables, bytes) != 0) {
            snprintf(reason, reason_size,
                     "modified the sequence tables (cu_seqlens, seqlens_kv or block_table), "
                     "which are read-only");
            return -1;
        }
    }
    return slack_report(s, ATTN_REGION_WORKSPACE, reason, reason_size);
}

void attn_stage_outputs(const attn_stage *s, float *o, float *lse) {
    attn_layout_gather(&s->layout.t[ATTN_TENSOR_O], attn_arena_data(&s->arena, ATTN_REGION_O), o);
    if (lse)
        attn_layout_gather(&s->layout.t[ATTN_TENSOR_LSE],
                           attn_arena_data(&s->arena, ATTN_REGION_LSE), lse);
}

uint32_t attn_stage_unwritten_bits(const attn_stage *s) {
    const attn_tensor_layout *o = &s->layout.t[ATTN_TENSOR_O];
    if (attn_layout_element_size(o) == 4)
        return ATTN_UNWRITTEN_BITS;
    const uint16_t half = (uint16_t)(ATTN_UNWRITTEN_BITS >> 16);
    float value;
    attn_load_elements(o->dtype, &half, &value, 1);
    uint32_t bits;
    memcpy(&bits, &value, sizeof bits);
    return bits;
}

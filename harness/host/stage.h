/* A call's tensors staged for an implementation: the arena laid out for one layout,
 * inputs copied into their views with poisoned padding, outputs poisoned, and afterwards
 * the inspection of everything the implementation must not have touched. Up to two input
 * sets can be kept ready (bench alternates them between samples). */
#ifndef ATTN_STAGE_H
#define ATTN_STAGE_H

#include <stdbool.h>
#include <stddef.h>

#include "arena.h"
#include "error.h"
#include "layout.h"

/* Bits of an output element nothing has written yet (a NaN no arithmetic produces). */
#define ATTN_UNWRITTEN_BITS 0x7fbadbadu

#define ATTN_STAGE_SETS 2

typedef struct attn_stage {
    attn_case_layout layout;
    attn_arena arena;
    void *inputs[ATTN_STAGE_SETS][3]; /* Q, K, V buffers as staged (padding poisoned) */
    void *outputs[2];                 /* O, LSE buffers as poisoned before a call */
    void *scratch;                    /* for inspecting outputs */
    void *tables;                     /* the sequence tables as staged (ragged cases) */
    int current;                      /* the input set now in the arena */
} attn_stage;

/* Lays out the tensors of p in layout kind with a workspace of workspace_bytes; serving
 * holds the tables of a ragged problem (NULL otherwise; it must outlive the stage), which
 * are copied into the arena. */
int attn_stage_create(attn_stage *s, const attn_problem *p, const struct attn_serving *serving,
                      attn_layout kind, size_t workspace_bytes, attn_error *err);
void attn_stage_destroy(attn_stage *s);

/* Stages dense BHSD float inputs as input set `set` (not yet in the arena), converted to
 * the layout's element types (exactly, when they are representable). */
void attn_stage_set_inputs(attn_stage *s, int set, const float *q, const float *k, const float *v);
/* Copies input set `set` into the arena and poisons O and LSE. */
void attn_stage_use(attn_stage *s, int set);
/* Poisons O and LSE again (inputs stay). */
void attn_stage_poison_outputs(attn_stage *s);

/* After calls: 0 when nothing outside O's and LSE's views was written and the inputs (and
 * sequence tables) are as staged; else -1 with what was found ("out-of-bounds write of O (400 bytes
 * before its start)", "modified its input K at [0][1][5][3]"). */
int attn_stage_inspect(attn_stage *s, char *reason, size_t reason_size);

/* The bits an O element nobody wrote has after attn_stage_outputs (ATTN_UNWRITTEN_BITS,
 * or its 16-bit half widened to float). */
uint32_t attn_stage_unwritten_bits(const attn_stage *s);

/* Copies O's (and LSE's, when lse is not NULL) view out as dense BHSD floats. */
void attn_stage_outputs(const attn_stage *s, float *o, float *lse);

#endif

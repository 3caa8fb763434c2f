/* The work of a case, counted from the problem (never reported by the code under test):
 * FLOPs = 2 (D + Dv) per visible (query, key) pair, bytes = inputs read once plus
 * outputs written once; a ragged case sums its sequences (a paged cache's unused pages
 * and slots are not read, so not counted). */
#ifndef ATTN_WORK_H
#define ATTN_WORK_H

#include <stdint.h>

#include "problem.h"

typedef struct attn_work {
    int64_t visible_pairs; /* over all batches and query heads */
    double flops;
    double bytes;
    double tokens; /* query rows of one head: the tokens a decode step makes (sum of Nq) */
} attn_work;

void attn_work_of(const attn_case *c, attn_work *work);

#endif

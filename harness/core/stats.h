/* Summary statistics of timing samples. */
#ifndef ATTN_STATS_H
#define ATTN_STATS_H

#include <stddef.h>

typedef struct attn_stats {
    size_t count;
    double min, median, mean;
    /* Sample standard deviation (n - 1) and stddev / mean. NaN for fewer than two samples:
     * one sample has no spread, and 0 would claim a perfectly steady measurement. */
    double stddev, cv;
} attn_stats;

/* Statistics of count samples (count >= 1); samples are not modified. */
void attn_stats_of(const double *samples, size_t count, attn_stats *stats);

#endif

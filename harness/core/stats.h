/* Summary statistics of timing samples. */
#ifndef ATTN_STATS_H
#define ATTN_STATS_H

#include <stddef.h>

typedef struct attn_stats {
    size_t count;
    double min, median, mean, stddev; /* stddev: sample standard deviation (n - 1) */
    double cv;                        /* stddev / mean; 0 for fewer than two samples */
} attn_stats;

/* Statistics of count samples (count >= 1); samples are not modified. */
void attn_stats_of(const double *samples, size_t count, attn_stats *stats);

#endif

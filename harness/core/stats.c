/* Min, median, mean, sample standard deviation and coefficient of variation (NaN spread
 * for a single sample). */
#include "stats.h"

#include <math.h>
#include <stdlib.h>
#include <string.h>

static int compare_doubles(const void *a, const void *b) {
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void attn_stats_of(const double *samples, size_t count, attn_stats *stats) {
    memset(stats, 0, sizeof *stats);
    stats->count = count;
    stats->stddev = NAN; /* no spread without a second sample */
    stats->cv = NAN;
    if (count == 0)
        return;
    double *sorted = malloc(count * sizeof *sorted);
    if (sorted) {
        memcpy(sorted, samples, count * sizeof *sorted);
        qsort(sorted, count, sizeof *sorted, compare_doubles);
        stats->min = sorted[0];
        stats->median =
            count % 2 ? sorted[count / 2] : 0.5 * (sorted[count / 2 - 1] + sorted[count / 2]);
        free(sorted);
    } else { /* no memory for a copy: min by scan, median unknown */
        stats->min = samples[0];
        for (size_t i = 1; i < count; i++)
            stats->min = fmin(stats->min, samples[i]);
        stats->median = NAN;
    }
    double sum = 0.0;
    for (size_t i = 0; i < count; i++)
        sum += samples[i];
    stats->mean = sum / (double)count;
    if (count > 1) {
        double squares = 0.0;
        for (size_t i = 0; i < count; i++)
            squares += (samples[i] - stats->mean) * (samples[i] - stats->mean);
        stats->stddev = sqrt(squares / (double)(count - 1));
        stats->cv = stats->mean > 0 ? stats->stddev / stats->mean : 0.0;
    }
}

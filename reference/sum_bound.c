/* Mass-aware rounding-error bounds of long float sums (sum_bound.h, TOLERANCE.md). */
#include "sum_bound.h"

#include <math.h>
#include <stdlib.h>

double attn_sum_rounding_steps(const double *mass, int64_t count, double total,
                               double unit_roundoff) {
    if (!(total > 0.0))
        return 0.0;
    const double threshold = unit_roundoff * total;
    double steps = 0.0;
    for (int64_t j = 0; j < count; j++) {
        const double m = fabs(mass[j]);
        if (m >= threshold)
            steps += 1.0;
        else if (m > 0.0)
            steps += (m / threshold) * (2.0 + log2(threshold / m));
    }
    return steps;
}

static int compare_doubles(const void *a, const void *b) {
    const double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

void attn_rescale_exposure(const double *score, int64_t count, double margin, double *exposure,
                           double *sorted) {
    for (int64_t j = 0; j < count; j++)
        sorted[j] = score[j];
    qsort(sorted, (size_t)count, sizeof *sorted, compare_doubles);
    for (int64_t j = 0; j < count; j++) {
        const double from = score[j] - margin;
        int64_t low = 0, high = count; /* first sorted index with sorted[] >= from */
        while (low < high) {
            const int64_t mid = low + (high - low) / 2;
            if (sorted[mid] < from)
                low = mid + 1;
            else
                high = mid;
        }
        exposure[j] = (double)(count - low);
    }
}

double attn_rescale_rounding_steps(const double *mass, const double *exposure, int64_t count,
                                   double total, double steps_per_rescale) {
    if (!(total > 0.0))
        return 0.0;
    double exposed = 0.0;
    for (int64_t j = 0; j < count; j++)
        exposed += fabs(mass[j]) * exposure[j];
    return steps_per_rescale * exposed / total;
}

/* The planted slowdown of performance-tracking tests. */
#define _POSIX_C_SOURCE 200809L
#include "planted_slowdown.h"

#include <errno.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "timer.h"

#define MAX_PLANTED 16
#define NAME_SIZE 64

static struct {
    char name[NAME_SIZE];
    double fraction;
} planted[MAX_PLANTED];
static int planted_count;

static int bad(attn_error *err, const char *value, const char *why) {
    planted_count = 0;
    return attn_fail_input(err,
                           "%s=%s: %s (expected NAME=FRACTION[,NAME=FRACTION...], such as "
                           "omp=0.05, with FRACTION in [0, 10])",
                           ATTN_PLANT_SLOWDOWN_ENV, value, why);
}

int attn_planted_slowdown_init(bool announce, attn_error *err) {
    planted_count = 0;
    const char *value = getenv(ATTN_PLANT_SLOWDOWN_ENV);
    if (!value || !value[0])
        return 0;
    const char *at = value;
    while (*at) {
        const char *equals = strchr(at, '='), *comma = strchr(at, ',');
        const char *end = comma ? comma : at + strlen(at);
        if (!equals || equals > end || equals == at)
            return bad(err, value, "an entry lacks NAME=");
        if (planted_count == MAX_PLANTED)
            return bad(err, value, "more than 16 entries");
        if ((size_t)(equals - at) >= NAME_SIZE)
            return bad(err, value, "a name longer than 63 characters");
        char number[64];
        const size_t digits = (size_t)(end - equals - 1);
        if (digits == 0 || digits >= sizeof number)
            return bad(err, value, "a fraction is missing or too long");
        memcpy(number, equals + 1, digits);
        number[digits] = '\0';
        char *stop = NULL;
        errno = 0;
        const double fraction = strtod(number, &stop);
        if (errno || *stop || !isfinite(fraction) || fraction < 0 || fraction > 10)
            return bad(err, value, "a fraction is not a number in [0, 10]");
        memcpy(planted[planted_count].name, at, (size_t)(equals - at));
        planted[planted_count].name[equals - at] = '\0';
        planted[planted_count++].fraction = fraction;
        at = comma ? comma + 1 : end;
    }
    for (int n = 0; announce && n < planted_count; n++)
        fprintf(stderr,
                "attnbench: %s is set: every timed batch of %s is made %.3g%% slower (a "
                "test knob; results are unchanged)\n",
                ATTN_PLANT_SLOWDOWN_ENV, planted[n].name, 100 * planted[n].fraction);
    return 0;
}

double attn_planted_slowdown(const char *name) {
    for (int n = 0; n < planted_count; n++)
        if (name && strcmp(planted[n].name, name) == 0)
            return planted[n].fraction;
    return 0;
}

void attn_planted_slowdown_spin(double fraction, double seconds, double end) {
    const double until = end + fraction * seconds;
    while (attn_now_seconds() < until) {
    }
}

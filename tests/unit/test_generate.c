/* Unit tests for deterministic input generation (harness/core/generate.h): the documented
 * counter-based SplitMix64 generator, re-implemented here independently, hard-coded values
 * from a separate Python implementation, and the four input distributions. */
#define _POSIX_C_SOURCE 200809L

#include <criterion/criterion.h>

#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "generate.h"

/* ---- an independent SplitMix64, written as the classic sequential generator ---- */

typedef struct splitmix64 {
    uint64_t state;
} splitmix64;

static uint64_t splitmix64_next(splitmix64 *g) {
    uint64_t z = (g->state += 0x9E3779B97F4A7C15ull);
    z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
    z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
    return z ^ (z >> 31);
}

/* The stream key: the (stream+1)-th output of SplitMix64 seeded with seed, i.e.
 * mix(seed + (stream + 1) G). Computed here with a jump of the state, not a loop. */
static uint64_t stream_key(uint64_t seed, uint64_t stream) {
    splitmix64 g = {seed + stream * 0x9E3779B97F4A7C15ull};
    return splitmix64_next(&g);
}

/* Values from an independent Python implementation (integers masked to 64 bits), run once
 * with /usr/bin/python3 while writing this test:
 *
 *   M = (1 << 64) - 1; G = 0x9E3779B97F4A7C15
 *   def mix(z):
 *       z &= M; z ^= z >> 30; z = (z * 0xBF58476D1CE4E5B9) & M
 *       z ^= z >> 27; z = (z * 0x94D049BB133111EB) & M; return z ^ (z >> 31)
 *   def bits(seed, stream, index):
 *       return mix(mix(seed + (stream + 1) * G) + (index + 1) * G)
 *   def uni(seed, stream, index):
 *       return (bits(seed, stream, index) >> 40) * 2.0**-23 - 1.0
 *
 * bits(0, 2^64-1, 0) = 0xe220a8397b1dcdaf is also the well-known first output of
 * SplitMix64 seeded with 0 (the stream key is mix(0) = 0). */
static const struct {
    uint64_t seed, stream, index, bits;
    double uniform;
} known[] = {
    {0ull, 0ull, 0ull, 0xa706dd2f4d197e6full, 0.3048969507217407},
    {1ull, 0ull, 0ull, 0x5e41ab087439611eull, -0.2636209726333618},
    {1ull, 0ull, 1ull, 0xf18d6ce93d6cf1eeull, 0.8871283531188965},
    {1ull, 1ull, 0ull, 0x778b1aa9c29bc868ull, -0.06606745719909668},
    {1ull, 2ull, 5ull, 0x3c4bea2672b6ebdaull, -0.5289332866668701},
    {1ull, 3ull, 7ull, 0x65c4fc451cd6ff46ull, -0.2049260139465332},
    {42ull, 0ull, 1000ull, 0xb1fc8c824d524899ull, 0.3905196189880371},
    {12345ull, 2ull, 99ull, 0x11c76064060dbac5ull, -0.8611030578613281},
    {18446744073709551615ull, 0ull, 0ull, 0x5dc20aa7b2a27137ull, -0.2675158977508545},
    {18446744073709551615ull, 3ull, 18446744073709551615ull, 0x82712b04b65868f9ull,
     0.019078612327575684},
    {0ull, 18446744073709551615ull, 0ull, 0xe220a8397b1dcdafull, 0.7666215896606445},
    {9223372036854775808ull, 1ull, 1099511627776ull, 0xd805d2499094d92aull, 0.6876776218414307},
};

Test(generate, hard_coded_values_from_python) {
    for (size_t n = 0; n < sizeof known / sizeof known[0]; n++) {
        uint64_t got = attn_random_bits(known[n].seed, known[n].stream, known[n].index);
        cr_assert_eq(got, known[n].bits, "bits(%llu, %llu, %llu) = 0x%016llx, want 0x%016llx",
                     (unsigned long long)known[n].seed, (unsigned long long)known[n].stream,
                     (unsigned long long)known[n].index, (unsigned long long)got,
                     (unsigned long long)known[n].bits);
        float u = attn_random_uniform(known[n].seed, known[n].stream, known[n].index);
        cr_assert_eq((double)u, known[n].uniform, "uniform #%zu = %.17g, want %.17g", n, (double)u,
                     known[n].uniform);
    }
}

Test(generate, matches_sequential_splitmix64) {
    const uint64_t seeds[] = {0, 1, 2, 42, 0xDEADBEEFull, UINT64_MAX};
    size_t compared = 0;
    for (size_t s = 0; s < sizeof seeds / sizeof seeds[0]; s++)
        for (uint64_t stream = 0; stream < 4; stream++) {
            splitmix64 g = {stream_key(seeds[s], stream)};
            for (uint64_t index = 0; index < 300; index++) {
                uint64_t want = splitmix64_next(&g);
                uint64_t got = attn_random_bits(seeds[s], stream, index);
                cr_assert_eq(got, want, "seed %llu stream %llu index %llu",
                             (unsigned long long)seeds[s], (unsigned long long)stream,
                             (unsigned long long)index);
                /* uniform: top 24 bits scaled to [-1, 1), computed here in exact integers */
                float u = attn_random_uniform(seeds[s], stream, index);
                double want_u = (double)((int64_t)(want >> 40) - (1 << 23)) / 8388608.0;
                cr_assert(memcmp(&(float){(float)want_u}, &u, sizeof u) == 0,
                          "uniform seed %llu stream %llu index %llu: %.9g vs %.9g",
                          (unsigned long long)seeds[s], (unsigned long long)stream,
                          (unsigned long long)index, (double)u, want_u);
                compared++;
            }
        }
    cr_assert_eq(compared, 6u * 4 * 300);
}

Test(generate, uniform_range_and_grid) {
    double sum = 0.0, low = 1.0, high = -1.0;
    const int count = 100000;
    for (int i = 0; i < count; i++) {
        float u = attn_random_uniform(7, (uint64_t)i % 4, (uint64_t)i);
        cr_assert(u >= -1.0f && u < 1.0f, "value %d = %.9g out of [-1, 1)", i, (double)u);
        double scaled = ((double)u + 1.0) * 8388608.0; /* multiple of 2^-23 <=> integer */
        cr_assert_eq(scaled, floor(scaled), "value %d = %.9g is not a multiple of 2^-23", i,
                     (double)u);
        sum += u;
        if (u < low)
            low = u;
        if (u > high)
            high = u;
    }
    /* a sanity check of the spread: mean near 0, extremes near the ends */
    cr_assert_lt(fabs(sum / count), 0.02, "mean %g", sum / count);
    cr_assert_lt(low, -0.999);
    cr_assert_gt(high, 0.999);
}

Test(generate, deterministic_and_distinct_streams) {
    /* same arguments, same value */
    for (uint64_t i = 0; i < 64; i++)
        cr_assert_eq(attn_random_bits(99, 2, i), attn_random_bits(99, 2, i));
    /* different seeds, streams and indices give different sequences */
    int equal_seed = 0, equal_stream = 0, equal_index = 0;
    for (uint64_t i = 0; i < 256; i++) {
        equal_seed += attn_random_bits(1, 0, i) == attn_random_bits(2, 0, i);
        equal_stream += attn_random_bits(1, 0, i) == attn_random_bits(1, 1, i);
        equal_stream += attn_random_bits(1, 2, i) == attn_random_bits(1, 3, i);
        equal_index += attn_random_bits(1, 0, i) == attn_random_bits(1, 0, i + 1);
    }
    cr_assert_eq(equal_seed, 0);
    cr_assert_eq(equal_stream, 0);
    cr_assert_eq(equal_index, 0);
    /* neighbouring seeds must not produce shifted copies of each other's streams */
    int shifted = 0;
    for (uint64_t i = 0; i < 256; i++)
        shifted += attn_random_bits(1, 1, i) == attn_random_bits(2, 0, i);
    cr_assert_eq(shifted, 0);
}

/* ---- attn_generate_inputs ---- */

typedef struct inputs {
    attn_case c;
    attn_case_sizes sizes;
    float *q, *k, *v;
} inputs;

/* Generates the inputs of text into buffers first filled with fill_byte. */
static void generate(const char *text, unsigned char fill_byte, inputs *in) {
    attn_error err = {0};
    cr_assert_eq(attn_case_parse(text, &in->c, &err), 0, "%s", err.message);
    cr_assert_eq(attn_case_sizes_of(&in->c, &in->sizes, &err), 0, "%s", err.message);
    in->q = malloc(in->sizes.q * sizeof(float));
    in->k = malloc(in->sizes.k * sizeof(float));
    in->v = malloc(in->sizes.v * sizeof(float));
    cr_assert(in->q && in->k && in->v);
    memset(in->q, fill_byte, in->sizes.q * sizeof(float));
    memset(in->k, fill_byte, in->sizes.k * sizeof(float));
    memset(in->v, fill_byte, in->sizes.v * sizeof(float));
    attn_generate_inputs(&in->c, in->q, in->k, in->v);
}

static void free_inputs(inputs *in) {
    free(in->q);
    free(in->k);
    free(in->v);
}

static double score(const inputs *in, size_t b, size_t h, size_t i, size_t j) {
    const attn_problem *p = &in->c.problem;
    size_t d = (size_t)p->head_dim;
    size_t kvh = h / (size_t)(p->heads_q / p->heads_kv);
    const float *q = in->q + ((b * (size_t)p->heads_q + h) * (size_t)p->seq_q + i) * d;
    const float *k = in->k + ((b * (size_t)p->heads_kv + kvh) * (size_t)p->seq_kv + j) * d;
    double dot = 0.0;
    for (size_t c = 0; c < d; c++)
        dot += (double)q[c] * (double)k[c];
    return p->scale * dot;
}

static void assert_all_finite(const float *x, size_t n, const char *what) {
    for (size_t i = 0; i < n; i++)
        cr_assert(isfinite(x[i]), "%s[%zu] = %g", what, i, (double)x[i]);
}

Test(generate, inputs_deterministic_for_every_dist) {
    for (int dist = 0; dist < ATTN_DIST_COUNT; dist++) {
        char text[160];
        snprintf(text, sizeof text, "b=2 hq=4 hkv=2 nq=5 nkv=9 d=12 dv=7 seed=77 dist=%s",
                 attn_dist_name((attn_dist)dist));
        inputs a, b;
        /* different initial garbage: every element must be written, and identically */
        generate(text, 0x00, &a);
        generate(text, 0xA5, &b);
        cr_assert(memcmp(a.q, b.q, a.sizes.q * sizeof(float)) == 0, "%s: Q differs", text);
        cr_assert(memcmp(a.k, b.k, a.sizes.k * sizeof(float)) == 0, "%s: K differs", text);
        cr_assert(memcmp(a.v, b.v, a.sizes.v * sizeof(float)) == 0, "%s: V differs", text);
        assert_all_finite(a.q, a.sizes.q, "Q");
        assert_all_finite(a.k, a.sizes.k, "K");
        assert_all_finite(a.v, a.sizes.v, "V");
        /* another seed changes the inputs */
        char other[170];
        snprintf(other, sizeof other, "b=2 hq=4 hkv=2 nq=5 nkv=9 d=12 dv=7 seed=78 dist=%s",
                 attn_dist_name((attn_dist)dist));
        inputs c;
        generate(other, 0x00, &c);
        cr_assert(memcmp(a.q, c.q, a.sizes.q * sizeof(float)) != 0, "%s: seed ignored", text);
        cr_assert(memcmp(a.v, c.v, a.sizes.v * sizeof(float)) != 0, "%s: seed ignored", text);
        /* V is uniform in every distribution, stream 2 */
        for (size_t i = 0; i < a.sizes.v; i++)
            cr_assert_eq(a.v[i], attn_random_uniform(77, 2, i), "%s: V[%zu]", text, i);
        free_inputs(&a);
        free_inputs(&b);
        free_inputs(&c);
    }
}

Test(generate, uniform_dist_uses_documented_streams) {
    inputs in;
    generate("b=2 hq=2 hkv=1 nq=3 nkv=4 d=5 dv=6 seed=123", 0, &in);
    for (size_t i = 0; i < in.sizes.q; i++)
        cr_assert_eq(in.q[i], attn_random_uniform(123, 0, i), "Q[%zu]", i);
    for (size_t i = 0; i < in.sizes.k; i++)
        cr_assert_eq(in.k[i], attn_random_uniform(123, 1, i), "K[%zu]", i);
    for (size_t i = 0; i < in.sizes.v; i++)
        cr_assert_eq(in.v[i], attn_random_uniform(123, 2, i), "V[%zu]", i);
    free_inputs(&in);
}

Test(generate, offset_dist_formula_and_scores_near_200) {
    const char *const texts[] = {"h=2 n=6 d=64 seed=5 dist=offset",
                                 "h=1 nq=3 nkv=8 d=16 scale=-0.3 seed=6 dist=offset",
                                 "h=1 n=4 d=8 scale=1 seed=7 dist=offset"};
    for (size_t t = 0; t < sizeof texts / sizeof texts[0]; t++) {
        inputs in;
        generate(texts[t], 0, &in);
        const attn_problem *p = &in.c.problem;
        double s = fabs(p->scale), a = sqrt(200.0 / (s * (double)p->head_dim));
        double sign = p->scale < 0 ? -1.0 : 1.0;
        for (size_t i = 0; i < in.sizes.q; i++) {
            double u = attn_random_uniform(in.c.seed, 0, i);
            cr_assert_eq(in.q[i], (float)(a * (1.0 + u / 10.0)), "%s: Q[%zu]", texts[t], i);
        }
        for (size_t i = 0; i < in.sizes.k; i++) {
            double u = attn_random_uniform(in.c.seed, 1, i);
            cr_assert_eq(in.k[i], (float)(sign * a * (1.0 + u / 10.0)), "%s: K[%zu]", texts[t], i);
        }
        for (size_t h = 0; h < (size_t)p->heads_q; h++)
            for (size_t i = 0; i < (size_t)p->seq_q; i++)
                for (size_t j = 0; j < (size_t)p->seq_kv; j++) {
                    double sc = score(&in, 0, h, i, j);
                    /* each term lies in [0.81, 1.21] times 200/D */
                    cr_assert(sc > 160.0 && sc < 245.0, "%s: score[%zu][%zu][%zu] = %g", texts[t],
                              h, i, j, sc);
                    if (p->head_dim >= 64)
                        cr_assert(fabs(sc - 200.0) < 20.0, "%s: score %g not near 200", texts[t],
                                  sc);
                    /* and exp without the max shift overflows float */
                    cr_assert(isinf(expf((float)sc)));
                }
        free_inputs(&in);
    }
}

Test(generate, dominant_dist_one_key_per_batch_and_kv_head) {
    const char *text = "b=2 hq=4 hkv=2 nq=5 nkv=11 d=16 seed=9 dist=dominant";
    inputs in;
    generate(text, 0, &in);
    const attn_problem *p = &in.c.problem;
    const size_t d = 16, nkv = 11;
    double big = 60.0 / (p->scale * (double)d);
    int distinct_stars = 0;
    size_t first_star = SIZE_MAX;
    for (size_t b = 0; b < 2; b++)
        for (size_t kvh = 0; kvh < 2; kvh++) {
            size_t block = b * 2 + kvh;
            size_t star = (size_t)(attn_random_bits(9, 3, block) % nkv);
            if (first_star == SIZE_MAX)
                first_star = star;
            distinct_stars += star != first_star;
            for (size_t j = 0; j < nkv; j++)
                for (size_t c = 0; c < d; c++) {
                    size_t index = (block * nkv + j) * d + c;
                    float want =
                        j == star ? (float)big : (float)(attn_random_uniform(9, 1, index) / 10.0);
                    cr_assert_eq(in.k[index], want, "K[%zu][%zu][%zu][%zu]", b, kvh, j, c);
                }
            /* every query head of this kv head: key star dominates every row */
            for (size_t h = kvh * 2; h < kvh * 2 + 2; h++)
                for (size_t i = 0; i < 5; i++) {
                    double top = score(&in, b, h, i, star), second = -INFINITY;
                    for (size_t j = 0; j < nkv; j++)
                        if (j != star && score(&in, b, h, i, j) > second)
                            second = score(&in, b, h, i, j);
                    cr_assert(top > 10.0 && top < 60.0, "star score %g", top);
                    cr_assert_gt(top - second, 9.0, "b %zu h %zu i %zu: %g vs %g", b, h, i, top,
                                 second);
                }
        }
    /* Q = (1 + u) / 2 lies in [0, 1) */
    for (size_t i = 0; i < in.sizes.q; i++) {
        cr_assert(in.q[i] >= 0.0f && in.q[i] < 1.0f);
        cr_assert_eq(in.q[i], (float)((1.0 + attn_random_uniform(9, 0, i)) / 2.0));
    }
    cr_assert_gt(distinct_stars, 0, "the dominant key should vary between (b, kv head)");
    free_inputs(&in);
}

Test(generate, ties_dist_odd_keys_equal) {
    const char *text = "b=2 hq=2 hkv=2 nq=3 nkv=8 d=10 seed=21 dist=ties";
    inputs in;
    generate(text, 0, &in);
    const size_t d = 10, nkv = 8;
    for (size_t block = 0; block < 4; block++) {
        const float *head = in.k + block * nkv * d;
        for (size_t j = 0; j < nkv; j++)
            for (size_t c = 0; c < d; c++) {
                float base = attn_random_uniform(21, 3, block * d + c);
                double jitter =
                    (j % 2) ? 0.0 : attn_random_uniform(21, 1, (block * nkv + j) * d + c) / 4096.0;
                cr_assert_eq(head[j * d + c], (float)((double)base + jitter), "block %zu j %zu",
                             block, j);
                cr_assert_leq(fabs((double)head[j * d + c] - base), 1.0 / 4096.0);
            }
        /* odd rows are bit-identical to each other and to the base */
        for (size_t j = 3; j < nkv; j += 2)
            cr_assert(memcmp(head + d, head + j * d, d * sizeof(float)) == 0,
                      "block %zu: K row %zu differs from row 1", block, j);
        /* even rows are near, but not all equal to, the odd ones */
        cr_assert(memcmp(head, head + d, d * sizeof(float)) != 0, "block %zu", block);
    }
    /* different (b, kv head) blocks have different bases */
    cr_assert(memcmp(in.k + d, in.k + nkv * d + d, d * sizeof(float)) != 0);
    for (size_t i = 0; i < in.sizes.q; i++)
        cr_assert_eq(in.q[i], attn_random_uniform(21, 0, i));
    free_inputs(&in);
}

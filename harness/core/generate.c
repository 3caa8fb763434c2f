/* Counter-based input generation; see generate.h for the exact definition. */
#include "generate.h"

#include "element_type.h"

#include <math.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#define GOLDEN_GAMMA 0x9E3779B97F4A7C15ull

static uint64_t mix(uint64_t z) {
    z ^= z >> 30;
    z *= 0xBF58476D1CE4E5B9ull;
    z ^= z >> 27;
    z *= 0x94D049BB133111EBull;
    z ^= z >> 31;
    return z;
}

uint64_t attn_random_bits(uint64_t seed, uint64_t stream, uint64_t index) {
    uint64_t key = mix(seed + (stream + 1) * GOLDEN_GAMMA);
    return mix(key + (index + 1) * GOLDEN_GAMMA);
}

float attn_random_uniform(uint64_t seed, uint64_t stream, uint64_t index) {
    uint64_t bits = attn_random_bits(seed, stream, index) >> 40;
    return (float)((double)bits * 0x1p-23 - 1.0);
}

enum { STREAM_Q = 0, STREAM_K = 1, STREAM_V = 2, STREAM_AUX = 3, STREAM_SPIKE_LEVEL = 4 };

static void fill_uniform(uint64_t seed, uint64_t stream, float *x, size_t n) {
    for (size_t i = 0; i < n; i++)
        x[i] = attn_random_uniform(seed, stream, i);
}

/* Auxiliary-stream indices of the spikes draws, past those of the other distributions. */
#define SPIKE_DRAWS 512

static int compare_keys(const void *a, const void *b) {
    const int64_t x = *(const int64_t *)a, y = *(const int64_t *)b;
    return (x > y) - (x < y);
}

size_t attn_spike_keys(const attn_case *c, uint64_t block, int64_t keys[ATTN_SPIKES_MAX],
                       double level[ATTN_SPIKES_MAX]) {
    const int64_t n = c->problem.seq_kv;
    const uint64_t base = (block + 1) * SPIKE_DRAWS;
    size_t count = 0, draw = 0;
    keys[count++] = 0;
    keys[count++] = n - 1;
    for (int64_t tile = 16; tile < n && count + 2 <= ATTN_SPIKES_MAX - 4; tile *= 2) {
        const int64_t multiples = (n - 1) / tile; /* tile * m < n for m in [1, multiples] */
        const int64_t m = 1 + (int64_t)(attn_random_bits(c->seed, STREAM_AUX, base + draw++) %
                                        (uint64_t)multiples);
        keys[count++] = m * tile - 1;
        keys[count++] = m * tile;
    }
    for (int r = 0; r < 4; r++)
        keys[count++] =
            (int64_t)(attn_random_bits(c->seed, STREAM_AUX, base + 64 + r) % (uint64_t)n);
    qsort(keys, count, sizeof *keys, compare_keys);
    size_t distinct = 0;
    for (size_t i = 0; i < count; i++)
        if (keys[i] >= 0 && keys[i] < n && (distinct == 0 || keys[i] != keys[distinct - 1]))
            keys[distinct++] = keys[i];
    if (level)
        for (size_t i = 0; i < distinct; i++)
            level[i] = 12.0 + 9.0 * (attn_random_uniform(c->seed, STREAM_SPIKE_LEVEL,
                                                         block * (uint64_t)n + (uint64_t)keys[i]) +
                                     1.0);
    return distinct;
}

static void fill_spikes(const attn_case *c, float *q, float *k, const attn_case_sizes *sizes) {
    const attn_problem *p = &c->problem;
    const uint64_t seed = c->seed;
    const size_t d = (size_t)p->head_dim, nkv = (size_t)p->seq_kv;
    const double scale = p->scale != 0 ? p->scale : 1.0;
    for (size_t i = 0; i < sizes->q; i++)
        q[i] = (float)((1.0 + attn_random_uniform(seed, STREAM_Q, i)) / 2.0);
    for (size_t i = 0; i < sizes->k; i++)
        k[i] = (float)(attn_random_uniform(seed, STREAM_K, i) / 10.0);
    int64_t keys[ATTN_SPIKES_MAX];
    double level[ATTN_SPIKES_MAX];
    for (size_t block = 0; block < (size_t)(p->batch * p->heads_kv); block++) {
        const size_t count = attn_spike_keys(c, block, keys, level);
        for (size_t s = 0; s < count; s++)
            for (size_t col = 0; col < d; col++) {
                const size_t i = (block * nkv + (size_t)keys[s]) * d + col;
                const double u = attn_random_uniform(seed, STREAM_K, i);
                k[i] = (float)(2.0 * level[s] * (1.0 + u / 4.0) / (scale * (double)d));
            }
    }
}

static void fill_needles(const attn_case *c, float *q, float *k, const attn_case_sizes *sizes) {
    const attn_problem *p = &c->problem;
    const uint64_t seed = c->seed;
    const size_t d = (size_t)p->head_dim, nkv = (size_t)p->seq_kv;
    const double s = fabs(p->scale) > 0 ? fabs(p->scale) : 1.0;
    const double sigma = p->scale < 0 ? -1.0 : 1.0, a = sqrt(NEEDLES_DEPTH / s);
    for (size_t i = 0; i < sizes->q; i++)
        q[i] =
            i % d == 0 ? (float)a : (float)((1.0 + attn_random_uniform(seed, STREAM_Q, i)) / 2.0);
    for (size_t i = 0; i < sizes->k; i++)
        k[i] = i % d == 0 ? (float)(-sigma * a)
                          : (float)(attn_random_uniform(seed, STREAM_K, i) / 10.0);
    int64_t keys[ATTN_SPIKES_MAX];
    double level[ATTN_SPIKES_MAX];
    for (size_t block = 0; block < (size_t)(p->batch * p->heads_kv); block++) {
        const size_t count = attn_spike_keys(c, block, keys, level);
        for (size_t n = 0; n < count; n++) {
            const size_t row = (block * nkv + (size_t)keys[n]) * d;
            const double lambda = (level[n] - 12.0) / 18.0;
            k[row] = 0.0f;
            for (size_t col = 1; col < d; col++) {
                const double u = attn_random_uniform(seed, STREAM_K, row + col);
                k[row + col] =
                    (float)(2.0 * lambda * (1.0 + u / 4.0) / (sigma * s * (double)(d - 1)));
            }
        }
    }
}

/* Inputs are drawn in float32 and rounded once to the tensor's type: the reference then
 * computes on exactly what the implementation is given. */
static void round_to_type(int type, float *x, size_t count) {
    if (type != ATTN_F32)
        for (size_t i = 0; i < count; i++)
            x[i] = attn_round_to_type(x[i], type);
}

static void generate_dense(const attn_case *c, float *q, float *k, float *v);

/* A sequence with no queries or no keys: drawn as if it had one, the empty tensor dropped. */
static void generate_sequence(const attn_case *one, float *q, float *k, float *v) {
    if (one->problem.seq_q > 0 && one->problem.seq_kv > 0) {
        generate_dense(one, q, k, v);
        return;
    }
    attn_case widened = *one;
    widened.problem.seq_q = one->problem.seq_q > 0 ? one->problem.seq_q : 1;
    widened.problem.seq_kv = one->problem.seq_kv > 0 ? one->problem.seq_kv : 1;
    attn_case_sizes sizes;
    if (attn_case_sizes_of(&widened, &sizes, NULL))
        return;
    float *tq = malloc(sizes.q * sizeof *tq), *tk = malloc(sizes.k * sizeof *tk),
          *tv = malloc(sizes.v * sizeof *tv);
    if (tq && tk && tv) {
        generate_dense(&widened, tq, tk, tv);
        if (one->problem.seq_q > 0)
            memcpy(q, tq, sizes.q * sizeof *q);
        if (one->problem.seq_kv > 0) {
            memcpy(k, tk, sizes.k * sizeof *k);
            memcpy(v, tv, sizes.v * sizeof *v);
        }
    }
    free(tq);
    free(tk);
    free(tv);
}

void attn_generate_inputs(const attn_case *c, float *q, float *k, float *v) {
    if (!c->problem.ragged) {
        generate_dense(c, q, k, v);
        return;
    }
    attn_sequence_offsets at = {0};
    for (int64_t b = 0; b < c->problem.batch; b++) {
        attn_case one;
        attn_case_sequence(c, b, &one);
        generate_sequence(&one, q + at.q, k + at.k, v + at.v);
        attn_case_sequence_advance(&one, &at);
    }
}

static void generate_dense(const attn_case *c, float *q, float *k, float *v) {
    const attn_problem *p = &c->problem;
    attn_case_sizes sizes;
    if (attn_case_sizes_of(c, &sizes, NULL))
        return;
    const uint64_t seed = c->seed;
    const size_t d = (size_t)p->head_dim;
    const size_t kv_blocks = (size_t)(p->batch * p->heads_kv);
    const size_t nkv = (size_t)p->seq_kv;
    const double s = fabs(p->scale) > 0 ? fabs(p->scale) : 1.0;
    fill_uniform(seed, STREAM_V, v, sizes.v);
    switch (c->dist) {
    case ATTN_DIST_UNIFORM:
        fill_uniform(seed, STREAM_Q, q, sizes.q);
        fill_uniform(seed, STREAM_K, k, sizes.k);
        break;
    case ATTN_DIST_OFFSET: {
        const double a = sqrt(200.0 / (s * (double)d));
        const double sign = p->scale < 0 ? -1.0 : 1.0;
        for (size_t i = 0; i < sizes.q; i++)
            q[i] = (float)(a * (1.0 + attn_random_uniform(seed, STREAM_Q, i) / 10.0));
        for (size_t i = 0; i < sizes.k; i++)
            k[i] = (float)(sign * a * (1.0 + attn_random_uniform(seed, STREAM_K, i) / 10.0));
        break;
    }
    case ATTN_DIST_TIES:
        fill_uniform(seed, STREAM_Q, q, sizes.q);
        for (size_t block = 0; block < kv_blocks; block++)
            for (size_t j = 0; j < nkv; j++)
                for (size_t col = 0; col < d; col++) {
                    size_t i = (block * nkv + j) * d + col;
                    double base = attn_random_uniform(seed, STREAM_AUX, block * d + col);
                    double jitter = (j % 2) ? 0.0 : attn_random_uniform(seed, STREAM_K, i) / 4096.0;
                    k[i] = (float)(base + jitter);
                }
        break;
    case ATTN_DIST_DOMINANT: {
        const double big = p->scale != 0 ? 60.0 / (p->scale * (double)d) : 60.0;
        for (size_t i = 0; i < sizes.q; i++)
            q[i] = (float)((1.0 + attn_random_uniform(seed, STREAM_Q, i)) / 2.0);
        for (size_t block = 0; block < kv_blocks; block++) {
            size_t star = (size_t)(attn_random_bits(seed, STREAM_AUX, block) % nkv);
            for (size_t j = 0; j < nkv; j++)
                for (size_t col = 0; col < d; col++) {
                    size_t i = (block * nkv + j) * d + col;
                    k[i] = j == star ? (float)big
                                     : (float)(attn_random_uniform(seed, STREAM_K, i) / 10.0);
                }
        }
        break;
    }
    case ATTN_DIST_SPIKES:
        fill_spikes(c, q, k, &sizes);
        break;
    case ATTN_DIST_NEEDLES:
        fill_needles(c, q, k, &sizes);
        break;
    default:
        break;
    }
    round_to_type(p->q_type, q, sizes.q);
    round_to_type(p->k_type, k, sizes.k);
    round_to_type(p->v_type, v, sizes.v);
}

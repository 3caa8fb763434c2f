/* Compute and bandwidth roofs (roofs.h). The chains and the read run on OpenMP threads;
 * kernels for AVX-512 and AVX2 are compiled with target attributes and chosen from the
 * CPU at run time, portable vectors elsewhere. */
#include "roofs.h"

#include <omp.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "threads.h"
#include "timer.h"

#define CACHE_SIZE 64
#define CHAINS 16

typedef enum { UNIT_PORTABLE_F32, UNIT_AVX2_F32, UNIT_AVX512_F32, UNIT_AVX512_BF16 } compute_unit;

static const char *const unit_names[] = {"portable vectors f32 (8 lanes, mul + add)",
                                         "avx2 fma f32", "avx512 fma f32", "avx512_bf16 dpbf16ps"};
/* Floating-point operations of one step of one chain. */
static const double unit_flops[] = {2.0 * 8, 2.0 * 8, 2.0 * 16, 2.0 * 32};

typedef float portable_f32 __attribute__((vector_size(32)));

/* Each chain x = x * a + b; the result is returned so that nothing is optimised away. */
static float chains_portable(long steps) {
    portable_f32 x[CHAINS], a, b;
    for (int i = 0; i < 8; i++) {
        a[i] = 0.999999f;
        b[i] = 1e-7f;
    }
    for (int c = 0; c < CHAINS; c++)
        for (int i = 0; i < 8; i++)
            x[c][i] = (float)(c + i) * 1e-3f;
    for (long s = 0; s < steps; s++)
        for (int c = 0; c < CHAINS; c++)
            x[c] = x[c] * a + b;
    float total = 0;
    for (int c = 0; c < CHAINS; c++)
        for (int i = 0; i < 8; i++)
            total += x[c][i];
    return total;
}

#if defined(__x86_64__) && (defined(__GNUC__) || defined(__clang__))
#include <immintrin.h>

__attribute__((target("avx2,fma"))) static float chains_avx2(long steps) {
    __m256 x[CHAINS];
    const __m256 a = _mm256_set1_ps(0.999999f), b = _mm256_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; c++)
        x[c] = _mm256_set1_ps((float)c * 1e-3f);
    for (long s = 0; s < steps; s++)
#pragma GCC unroll 16
        for (int c = 0; c < CHAINS; c++)
            x[c] = _mm256_fmadd_ps(x[c], a, b);
    __m256 total = x[0];
    for (int c = 1; c < CHAINS; c++)
        total = _mm256_add_ps(total, x[c]);
    float lanes[8];
    _mm256_storeu_ps(lanes, total);
    return lanes[0] + lanes[7];
}

__attribute__((target("avx512f"))) static float chains_avx512(long steps) {
    __m512 x[CHAINS];
    const __m512 a = _mm512_set1_ps(0.999999f), b = _mm512_set1_ps(1e-7f);
    for (int c = 0; c < CHAINS; c++)
        x[c] = _mm512_set1_ps((float)c * 1e-3f);
    for (long s = 0; s < steps; s++)
#pragma GCC unroll 16
        for (int c = 0; c < CHAINS; c++)
            x[c] = _mm512_fmadd_ps(x[c], a, b);
    __m512 total = x[0];
    for (int c = 1; c < CHAINS; c++)
        total = _mm512_add_ps(total, x[c]);
    return _mm512_reduce_add_ps(total);
}

__attribute__((target("avx512f,avx512bf16"))) static float chains_avx512_bf16(long steps) {
    __m512 x[CHAINS];
    /* pairs of bf16 1/1024 and 1/2048: small products, no overflow over any step count */
    const __m512i a = _mm512_set1_epi32(0x3A803A00), b = _mm512_set1_epi32(0x3A003A80);
    for (int c = 0; c < CHAINS; c++)
        x[c] = _mm512_set1_ps((float)c);
    for (long s = 0; s < steps; s++)
#pragma GCC unroll 16
        for (int c = 0; c < CHAINS; c++)
            x[c] = _mm512_dpbf16_ps(x[c], (__m512bh)a, (__m512bh)b);
    __m512 total = x[0];
    for (int c = 1; c < CHAINS; c++)
        total = _mm512_add_ps(total, x[c]);
    return _mm512_reduce_add_ps(total);
}

static compute_unit widest_f32_unit(void) {
    if (__builtin_cpu_supports("avx512f"))
        return UNIT_AVX512_F32;
    if (__builtin_cpu_supports("avx2") && __builtin_cpu_supports("fma"))
        return UNIT_AVX2_F32;
    return UNIT_PORTABLE_F32;
}

static bool has_bf16_unit(void) {
    return __builtin_cpu_supports("avx512f") && __builtin_cpu_supports("avx512bf16");
}

static float run_chains(compute_unit unit, long steps) {
    switch (unit) {
    case UNIT_AVX512_BF16:
        return chains_avx512_bf16(steps);
    case UNIT_AVX512_F32:
        return chains_avx512(steps);
    case UNIT_AVX2_F32:
        return chains_avx2(steps);
    default:
        return chains_portable(steps);
    }
}

#else

static compute_unit widest_f32_unit(void) {
    return UNIT_PORTABLE_F32;
}

static bool has_bf16_unit(void) {
    return false;
}

static float run_chains(compute_unit unit, long steps) {
    (void)unit;
    return chains_portable(steps);
}

#endif

typedef struct roof_entry {
    int kind; /* compute unit, or -1 for bandwidth */
    int threads;
    attn_roof roof;
} roof_entry;

static roof_entry cache[CACHE_SIZE];
static int cached;

static bool cached_roof(int kind, int threads, attn_roof *roof) {
    for (int e = 0; e < cached; e++)
        if (cache[e].kind == kind && cache[e].threads == threads) {
            *roof = cache[e].roof;
            return true;
        }
    return false;
}

static void remember(int kind, int threads, const attn_roof *roof) {
    if (cached < CACHE_SIZE)
        cache[cached++] = (roof_entry){kind, threads, *roof};
}

static volatile float sink;

/* Seconds of one parallel run of the chains, steps each, on every thread. */
static double time_chains(compute_unit unit, int threads, long steps) {
    double start = attn_now_seconds();
    float total = 0;
#pragma omp parallel num_threads(threads) reduction(+ : total)
    total += run_chains(unit, steps);
    double seconds = attn_now_seconds() - start;
    sink = total;
    return seconds;
}

typedef struct chains_run {
    compute_unit unit;
    int threads;
    long steps;
} chains_run;

static double sample_chains(void *state) {
    const chains_run *r = state;
    return time_chains(r->unit, r->threads, r->steps);
}

int attn_compute_roof(attn_element_type type, int threads, const attn_timing_options *timing,
                      attn_roof *roof, bool *measured_now, attn_error *err) {
    (void)err;
    *measured_now = false;
    const bool bf16 = type == ATTN_BF16 && has_bf16_unit();
    const compute_unit unit = bf16 ? UNIT_AVX512_BF16 : widest_f32_unit();
    if (cached_roof((int)unit, threads, roof))
        return 0;
    attn_set_threads(threads);
    chains_run run = {unit, threads, 1000};
    double once = time_chains(unit, threads, run.steps); /* warm-up: thread start, clocks */
    while (once < 1e-3 && run.steps < (1L << 40)) {
        run.steps *= 4;
        once = time_chains(unit, threads, run.steps);
    }
    const double wanted = timing->min_sample_seconds > 0 ? timing->min_sample_seconds : 0.01;
    run.steps = (long)((double)run.steps * wanted / once) + 1;
    const double seconds = attn_best_sample(sample_chains, &run, timing, attn_now_seconds());
    *roof = (attn_roof){0};
    roof->value = (double)threads * (double)run.steps * CHAINS * unit_flops[unit] / seconds * 1e-9;
    snprintf(roof->kernel, sizeof roof->kernel, "%s, %d chains%s", unit_names[unit], CHAINS,
             type == ATTN_BF16 && !bf16 ? " (no bf16 unit on this CPU)" : "");
    remember((int)unit, threads, roof);
    *measured_now = true;
    return 0;
}

/* ---- bandwidth ---- */

typedef uint64_t read_vector __attribute__((vector_size(64)));

static size_t last_level_cache_bytes(void) {
    for (int index = 4; index >= 2; index--) {
        char path[96], text[64] = "";
        snprintf(path, sizeof path, "/sys/devices/system/cpu/cpu0/cache/index%d/size", index);
        FILE *f = fopen(path, "r");
        if (!f)
            continue;
        bool read = fgets(text, sizeof text, f) != NULL;
        fclose(f);
        char *end = NULL;
        unsigned long long value = read ? strtoull(text, &end, 10) : 0;
        if (value == 0 || !end)
            continue;
        if (*end == 'K')
            value <<= 10;
        else if (*end == 'M')
            value <<= 20;
        return (size_t)value;
    }
    return (size_t)32 << 20;
}

typedef struct read_run {
    const read_vector *data;
    size_t count; /* vectors */
    int threads;
} read_run;

static double sample_read(void *state) {
    const read_run *r = state;
    double start = attn_now_seconds();
    uint64_t total = 0;
#pragma omp parallel num_threads(r->threads) reduction(^ : total)
    {
        const size_t n = r->count / 4 * 4;
        read_vector a = {0}, b = {0}, c = {0}, d = {0};
#pragma omp for schedule(static)
        for (size_t i = 0; i < n; i += 4) {
            a ^= r->data[i];
            b ^= r->data[i + 1];
            c ^= r->data[i + 2];
            d ^= r->data[i + 3];
        }
        const read_vector all = a ^ b ^ c ^ d;
        for (int lane = 0; lane < 8; lane++)
            total ^= all[lane];
    }
    double seconds = attn_now_seconds() - start;
    sink = (float)(total & 1);
    return seconds;
}

int attn_bandwidth_roof(int threads, const attn_timing_options *timing, attn_roof *roof,
                        bool *measured_now, attn_error *err) {
    *measured_now = false;
    if (cached_roof(-1, threads, roof))
        return 0;
    size_t bytes = 8 * last_level_cache_bytes();
    if (bytes < ((size_t)256 << 20))
        bytes = (size_t)256 << 20;
    if (bytes > ((size_t)1 << 30))
        bytes = (size_t)1 << 30;
    read_run run = {NULL, bytes / sizeof(read_vector), threads};
    read_vector *data = aligned_alloc(64, bytes);
    if (!data)
        return attn_fail_internal(err, "out of memory for the bandwidth roof (%zu MiB)",
                                  bytes >> 20);
    attn_set_threads(threads);
    /* first touch by the thread that reads each part (the same static schedule) */
#pragma omp parallel for schedule(static) num_threads(threads)
    for (size_t i = 0; i < run.count / 4 * 4; i += 4)
        for (size_t k = 0; k < 4; k++)
            for (int lane = 0; lane < 8; lane++)
                data[i + k][lane] = (uint64_t)(i + k) * 8 + (uint64_t)lane;
    run.data = data;
    sample_read(&run); /* warm-up */
    const double seconds = attn_best_sample(sample_read, &run, timing, attn_now_seconds());
    free(data);
    *roof = (attn_roof){0};
    roof->value = (double)(run.count / 4 * 4) * sizeof(read_vector) / seconds * 1e-9;
    snprintf(roof->kernel, sizeof roof->kernel, "streaming read of %zu MiB", bytes >> 20);
    remember(-1, threads, roof);
    *measured_now = true;
    return 0;
}

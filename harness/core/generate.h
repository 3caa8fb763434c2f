/* Deterministic input generation from a seed, identical on every platform and compiler.
 *
 * The generator is counter-based: element `index` of stream `stream` under `seed` is
 *   key  = mix(seed + (stream + 1) * G)
 *   bits = mix(key + (index + 1) * G)
 * with G = 0x9E3779B97F4A7C15 and mix the SplitMix64 finaliser
 *   z ^= z >> 30; z *= 0xBF58476D1CE4E5B9; z ^= z >> 27; z *= 0x94D049BB133111EB; z ^= z >> 31
 * (all arithmetic modulo 2^64), i.e. the (index+1)-th output of SplitMix64 seeded with key.
 * The uniform value is (bits >> 40) * 2^-23 - 1, exactly representable in float32, in
 * [-1, 1). Streams: 0 = Q, 1 = K, 2 = V, 3 = auxiliary draws of a distribution, 4 = spike
 * levels (index b * Hkv * Nkv + kv head * Nkv + key). Elements
 * are indexed by their flat row-major position in the tensor.
 *
 * Distributions (u = a fresh uniform draw of the element, s = |scale|, values computed in
 * double without contraction, then rounded to float32 once):
 *   uniform   Q, K, V = u.
 *   offset    a = sqrt(200 / (s * D)); Q = a (1 + u/10), K = sign(scale) a (1 + u/10),
 *             V = u. Every score is near +200, so exp without the max shift overflows.
 *   ties      Q = u; K[b][h][j][c] = base[b][h][c] + (j odd ? 0 : u / 4096) with base from
 *             stream 3 at index (b * Hkv + h) * D + c; V = u. Odd keys tie exactly.
 *   dominant  Q = (1 + u) / 2; K = u / 10, except key j* = bits(stream 3, b * Hkv + h) mod
 *             Nkv of each (b, h) where K = 60 / (scale * D); V = u. Score of j* near 30.
 *   spikes    Q = (1 + u) / 2; V = u; K = u / 10, except the spike keys of each (b, h)
 *             (attn_spike_keys), where K = 2 L (1 + u / 4) / (scale * D) with level
 *             L = 12 + 9 (1 + w), w from stream 4: scores near L, each row's visible spikes hold
 * most of its probability, so losing or mis-weighting one moves O by O(|V|) at any length. Spikes
 * sit where kernels switch paths: the first and last key, keys m t - 1 and m t for every power of
 * two t from 16 below Nkv, with m = 1 + bits(stream 3, (block + 1) * 512 + draw) mod ((Nkv - 1) /
 * t), and four keys bits(stream 3, (block + 1) * 512 + 64 + r) mod Nkv.
 *   needles   the spike keys again, made to hold all but a negligible share of each row's
 *             probability: with s = |scale| (1 when 0), sigma = sign(scale), a = sqrt(40 / s),
 *             Q[0] = a and Q[c > 0] = (1 + u) / 2; K[0] = -sigma a and K[c > 0] = u / 10
 *             for ordinary keys, so their scores are near -40; for the spike keys K[0] = 0 and
 *             K[c > 0] = 2 lambda (1 + u / 4) / (scale (D - 1)), lambda = (L - 12) / 18 in
 *             [0, 1) from the spike level L: scores near lambda. A row seeing a needle gives
 *             the ordinary keys at most e^-39 Nkv of its probability, far below u: its sums
 *             are then sharp at any length (reference/TOLERANCE.md, "Long rows").
 */
#ifndef ATTN_GENERATE_H
#define ATTN_GENERATE_H

#include <stdint.h>

#include "problem.h"

uint64_t attn_random_bits(uint64_t seed, uint64_t stream, uint64_t index);
float attn_random_uniform(uint64_t seed, uint64_t stream, uint64_t index);

/* Ordinary keys' scores under dist=needles: -NEEDLES_DEPTH (generate.h). */
#define NEEDLES_DEPTH 40.0

/* The most spike keys of one (b, kv head): 4 + 2 per power of two + 4. */
#define ATTN_SPIKES_MAX 136

/* The spike keys of kv block `block` (b * Hkv + kv head) of a spikes case, sorted and
 * distinct, with their levels when level is not NULL; returns how many. */
size_t attn_spike_keys(const attn_case *c, uint64_t block, int64_t keys[ATTN_SPIKES_MAX],
                       double level[ATTN_SPIKES_MAX]);

/* Fills q, k, v (sized per attn_case_sizes_of) for the case, each value rounded to its
 * tensor's element type (so exactly representable in it). */
void attn_generate_inputs(const attn_case *c, float *q, float *k, float *v);

#endif

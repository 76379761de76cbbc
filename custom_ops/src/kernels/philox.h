// Philox4x32-10 counter-based random numbers (Salmon et al., SC'11) and standard normals.
//
// Every random number is a pure function of (key, counter): no mutable generator state, so
// any number of threads can draw disjoint parts of one stream and the result does not depend
// on how the work was split.
#pragma once

#include <cmath>
#include <cstdint>

#include "fastmath.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define AD_PHILOX_AVX2 1
#endif

namespace analog {

constexpr int kLanes = 8;                  // counters processed side by side (SIMD lanes)
constexpr int kBlockNormals = 4 * kLanes;  // normals produced per block
constexpr uint32_t kPhiloxM0 = 0xD2511F53u, kPhiloxM1 = 0xCD9E8D57u;
constexpr uint32_t kPhiloxW0 = 0x9E3779B9u, kPhiloxW1 = 0xBB67AE85u;

// The four 32-bit words of Philox4x32-10 for counters counter0 + lane (lane 0..7) and the
// 64-bit stream as the counter's high half: word w of lane l goes to words[w * 8 + l].
inline void philox_block_portable(uint64_t key, uint64_t counter0, uint64_t stream,
                                  uint32_t words[kBlockNormals]) {
  uint32_t* c0 = words;
  uint32_t* c1 = words + kLanes;
  uint32_t* c2 = words + 2 * kLanes;
  uint32_t* c3 = words + 3 * kLanes;
  for (int lane = 0; lane < kLanes; ++lane) {
    const uint64_t counter = counter0 + static_cast<uint64_t>(lane);
    c0[lane] = static_cast<uint32_t>(counter);
    c1[lane] = static_cast<uint32_t>(counter >> 32);
    c2[lane] = static_cast<uint32_t>(stream);
    c3[lane] = static_cast<uint32_t>(stream >> 32);
  }
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    for (int lane = 0; lane < kLanes; ++lane) {
      const uint64_t p0 = static_cast<uint64_t>(kPhiloxM0) * c0[lane];
      const uint64_t p1 = static_cast<uint64_t>(kPhiloxM1) * c2[lane];
      const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1[lane] ^ k0;
      const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3[lane] ^ k1;
      c1[lane] = static_cast<uint32_t>(p1);
      c3[lane] = static_cast<uint32_t>(p0);
      c0[lane] = n0;
      c2[lane] = n2;
    }
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
}

#ifdef AD_PHILOX_AVX2
// The same words with AVX2: the 32x32->64-bit products of even and odd lanes are two
// vpmuludq, about 3x faster than what compilers make of the portable loop.
__attribute__((target("avx2"))) inline void philox_block_avx2(uint64_t key, uint64_t counter0, uint64_t stream,
                                                              uint32_t words[kBlockNormals]) {
  alignas(32) uint32_t low[kLanes], high[kLanes];
  for (int lane = 0; lane < kLanes; ++lane) {
    const uint64_t counter = counter0 + static_cast<uint64_t>(lane);
    low[lane] = static_cast<uint32_t>(counter);
    high[lane] = static_cast<uint32_t>(counter >> 32);
  }
  __m256i c0 = _mm256_load_si256(reinterpret_cast<const __m256i*>(low));
  __m256i c1 = _mm256_load_si256(reinterpret_cast<const __m256i*>(high));
  __m256i c2 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream)));
  __m256i c3 = _mm256_set1_epi32(static_cast<int>(static_cast<uint32_t>(stream >> 32)));
  const __m256i m0 = _mm256_set1_epi32(static_cast<int>(kPhiloxM0));
  const __m256i m1 = _mm256_set1_epi32(static_cast<int>(kPhiloxM1));
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
    const __m256i p0_even = _mm256_mul_epu32(c0, m0);
    const __m256i p0_odd = _mm256_mul_epu32(_mm256_srli_epi64(c0, 32), m0);
    const __m256i p1_even = _mm256_mul_epu32(c2, m1);
    const __m256i p1_odd = _mm256_mul_epu32(_mm256_srli_epi64(c2, 32), m1);
    const __m256i lo0 = _mm256_blend_epi32(p0_even, _mm256_slli_epi64(p0_odd, 32), 0xAA);
    const __m256i hi0 = _mm256_blend_epi32(_mm256_srli_epi64(p0_even, 32), p0_odd, 0xAA);
    const __m256i lo1 = _mm256_blend_epi32(p1_even, _mm256_slli_epi64(p1_odd, 32), 0xAA);
    const __m256i hi1 = _mm256_blend_epi32(_mm256_srli_epi64(p1_even, 32), p1_odd, 0xAA);
    const __m256i n0 = _mm256_xor_si256(_mm256_xor_si256(hi1, c1), _mm256_set1_epi32(static_cast<int>(k0)));
    const __m256i n2 = _mm256_xor_si256(_mm256_xor_si256(hi0, c3), _mm256_set1_epi32(static_cast<int>(k1)));
    c1 = lo1;
    c3 = lo0;
    c0 = n0;
    c2 = n2;
    k0 += kPhiloxW0;
    k1 += kPhiloxW1;
  }
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(words), c0);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(words + kLanes), c1);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(words + 2 * kLanes), c2);
  _mm256_storeu_si256(reinterpret_cast<__m256i*>(words + 3 * kLanes), c3);
}

inline bool cpu_has_avx2() {
  static const bool has_avx2 = __builtin_cpu_supports("avx2");
  return has_avx2;
}
#endif

inline void philox_block(uint64_t key, uint64_t counter0, uint64_t stream, uint32_t words[kBlockNormals]) {
#ifdef AD_PHILOX_AVX2
  if (cpu_has_avx2()) return philox_block_avx2(key, counter0, stream, words);
#endif
  philox_block_portable(key, counter0, stream, words);
}

// A uniform float in (0, 1): 24 random bits, offset by half a step so it is never 0.
inline float uniform_open(uint32_t bits) {
  return static_cast<float>(bits >> 8) * 5.9604644775390625e-8f + 2.98023223876953125e-8f;
}

// 32 independent standard normals from the Philox4x32-10 counters counter0 .. counter0 + 7 of
// (key, stream), by Box-Muller. Normal j comes from lane j % 8, word j / 8 (a fixed layout, so
// any split of the work over threads gives the same numbers). Tails are exact up to 5.9 sigma
// (the smallest uniform is 2^-25).
__attribute__((always_inline)) inline void normal_block(uint64_t key, uint64_t counter0, uint64_t stream,
                                                       float out[kBlockNormals]) {
  uint32_t words[kBlockNormals];
  philox_block(key, counter0, stream, words);
  const uint32_t* c0 = words;
  const uint32_t* c1 = words + kLanes;
  const uint32_t* c2 = words + 2 * kLanes;
  const uint32_t* c3 = words + 3 * kLanes;
#pragma omp simd
  for (int lane = 0; lane < kLanes; ++lane) {
    const float r0 = std::sqrt(-2.0f * fast_log(uniform_open(c0[lane])));
    const float r1 = std::sqrt(-2.0f * fast_log(uniform_open(c2[lane])));
    float s0, k0c, s1, k1c;
    sincos_turns(uniform_open(c1[lane]), &s0, &k0c);
    sincos_turns(uniform_open(c3[lane]), &s1, &k1c);
    out[lane] = r0 * k0c;
    out[kLanes + lane] = r0 * s0;
    out[2 * kLanes + lane] = r1 * k1c;
    out[3 * kLanes + lane] = r1 * s1;
  }
}

}  // namespace analog

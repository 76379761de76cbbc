// Philox4x32-10 counter-based random numbers (Salmon et al., SC'11) and standard normals.
//
// Every random number is a pure function of (key, counter): no mutable generator state, so
// any number of threads can draw disjoint parts of one stream and the result does not depend
// on how the work was split.
#pragma once

#include <cstdint>

#include <cmath>

#include "fastmath.h"

namespace analog {

// A uniform float in (0, 1): 24 random bits, offset by half a step so it is never 0.
inline float uniform_open(uint32_t bits) {
  return static_cast<float>(bits >> 8) * 5.9604644775390625e-8f + 2.98023223876953125e-8f;
}

constexpr int kLanes = 8;               // counters processed side by side (SIMD lanes)
constexpr int kBlockNormals = 4 * kLanes;  // normals produced per block

// 32 independent standard normals from the Philox4x32-10 counters counter0 .. counter0 + 7 of
// (key, stream), by Box-Muller. Normal j comes from lane j % 8, word j / 8 (a fixed layout, so
// any split of the work over threads gives the same numbers). Tails are exact up to 5.9 sigma
// (the smallest uniform is 2^-25).
__attribute__((always_inline)) inline void normal_block(uint64_t key, uint64_t counter0, uint64_t stream,
                                                       float out[kBlockNormals]) {
  uint32_t c0[kLanes], c1[kLanes], c2[kLanes], c3[kLanes];
#pragma omp simd
  for (int lane = 0; lane < kLanes; ++lane) {
    const uint64_t counter = counter0 + static_cast<uint64_t>(lane);
    c0[lane] = static_cast<uint32_t>(counter);
    c1[lane] = static_cast<uint32_t>(counter >> 32);
    c2[lane] = static_cast<uint32_t>(stream);
    c3[lane] = static_cast<uint32_t>(stream >> 32);
  }
  uint32_t k0 = static_cast<uint32_t>(key), k1 = static_cast<uint32_t>(key >> 32);
  for (int round = 0; round < 10; ++round) {
#pragma omp simd
    for (int lane = 0; lane < kLanes; ++lane) {
      const uint64_t p0 = static_cast<uint64_t>(0xD2511F53u) * c0[lane];
      const uint64_t p1 = static_cast<uint64_t>(0xCD9E8D57u) * c2[lane];
      const uint32_t n0 = static_cast<uint32_t>(p1 >> 32) ^ c1[lane] ^ k0;
      const uint32_t n2 = static_cast<uint32_t>(p0 >> 32) ^ c3[lane] ^ k1;
      c1[lane] = static_cast<uint32_t>(p1);
      c3[lane] = static_cast<uint32_t>(p0);
      c0[lane] = n0;
      c2[lane] = n2;
    }
    k0 += 0x9E3779B9u;
    k1 += 0xBB67AE85u;
  }
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

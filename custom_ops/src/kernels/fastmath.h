// Deterministic float log, exp and sqrt written as plain arithmetic, so the compiler
// can vectorize the loops that use them and results are identical on every x86-64/ARM build.
// Accuracy: relative error below 3e-7 on the ranges used here (checked by tests/cpp).
#pragma once

#include <cmath>
#include <cstdint>

// Hot kernels are compiled twice, for AVX2 and for baseline x86-64, and the loader picks the
// best the CPU has (GCC/Clang function multi-versioning); elsewhere they are compiled once.
#if defined(__x86_64__) && defined(__GNUC__) && !defined(__clang__)
#define AD_MULTIVERSION __attribute__((target_clones("avx2", "default")))
#else
#define AD_MULTIVERSION
#endif

namespace analog {

// Bit casts the vectorizer understands (a memcpy in the loop body stops it).
inline float bits_to_float(uint32_t bits) { return __builtin_bit_cast(float, bits); }
inline uint32_t float_to_bits(float value) { return __builtin_bit_cast(uint32_t, value); }

// Round half to even for |x| < 2^22 (callers clamp first), without a libm call so loops that
// use it vectorize on any x86-64 (roundps needs SSE4.1).
inline float round_even(float x) {
  constexpr float kMagic = 12582912.0f;  // 1.5 * 2^23
  return (x + kMagic) - kMagic;
}

inline float max_f(float a, float b) { return a > b ? a : b; }
inline float min_f(float a, float b) { return a < b ? a : b; }

// Natural log of a positive, normal float.
inline float fast_log(float x) {
  const uint32_t bits = float_to_bits(x);
  const uint32_t fraction = bits & 0x7fffffu;
  const uint32_t high = fraction > 0x3504f3u ? 1u : 0u;  // mantissa above sqrt(2): halve it
  const int exponent = static_cast<int>((bits >> 23) & 0xffu) - 127 + static_cast<int>(high);
  const float mantissa = bits_to_float(fraction | (0x3f800000u - (high << 23)));  // [0.707, 1.414)
  const float s = (mantissa - 1.0f) / (mantissa + 1.0f);
  const float s2 = s * s;
  // atanh(s) / s = 1 + s^2 / 3 + s^4 / 5 + ..., |s| <= 0.1716: a minimax fit of degree 6 in s
  // (relative error 8e-10, below float rounding; the Taylor series needs 10 for that)
  const float series = 1.0f + s2 * (0.33333388f + s2 * (0.19988771f + s2 * 0.14935864f));
  return static_cast<float>(exponent) * 0.693147180559945f + 2.0f * s * series;
}

// e^x for x in [-87, 88] (clamped outside).
inline float fast_exp(float x) {
  x = x < -87.0f ? -87.0f : (x > 88.0f ? 88.0f : x);
  const float whole = round_even(x * 1.44269504088896f);
  // x - whole * ln2 with ln2 split in two (Cody-Waite), so f keeps its precision for large |x|
  const float f = (x - whole * 0.693145751953125f) - whole * 1.428606765330187e-06f;  // |f| <= ln2/2
  const float poly =
      1.0f + f * (1.0f + f * (0.5f + f * (1.0f / 6 + f * (1.0f / 24 + f * (1.0f / 120 + f * (1.0f / 720 + f * (1.0f / 5040)))))));
  const uint32_t scale_bits = static_cast<uint32_t>(static_cast<int>(whole) + 127) << 23;
  return poly * bits_to_float(scale_bits);
}

inline float fast_sqrt(float x) { return std::sqrt(x); }  // a single instruction everywhere

// x^p for x > 0.
inline float fast_pow(float x, float p) { return fast_exp(p * fast_log(x)); }

}  // namespace analog

// Counter-based random numbers: the ARS generator (AES rounds with a Weyl key schedule; Salmon
// et al., "Parallel random numbers: as easy as 1, 2, 3", SC'11) and standard normals.
//
// Every random number is a pure function of (key, counter, stream): no mutable generator state,
// so any number of threads can draw disjoint parts of one stream and the result does not depend
// on how the work was split. ARS runs on the AES instructions of x86-64 (AES-NI) when the CPU
// has them (two blocks per instruction with VAES), at a third to a quarter of the cost of
// Philox4x32-10 in AVX2; elsewhere a portable AES round computes the same bits.
#pragma once

#include <cstdint>
#include <cstring>

#include "fastmath.h"

#if defined(__x86_64__) && defined(__GNUC__)
#include <immintrin.h>
#define AD_ARS_AESNI 1
#endif

namespace analog {

constexpr int kBlockCounters = 8;                    // counters per block
constexpr int kBlockNormals = 4 * kBlockCounters;    // 32-bit words, and normals, per block
constexpr int kArsRounds = 7;                        // Random123's default for ARS
constexpr uint64_t kArsWeylLow = 0x9E3779B97F4A7C15ull, kArsWeylHigh = 0xBB67AE8584CAA73Bull;

// --- Portable AES (FIPS-197), one round at a time --------------------------------------------

// The AES S-box, computed once from its definition (multiplicative inverse in GF(2^8) modulo
// x^8 + x^4 + x^3 + x + 1, then the affine map), so no table is transcribed by hand.
inline const uint8_t* aes_sbox() {
  static const auto table = [] {
    struct Table {
      uint8_t value[256];
    } t{};
    auto multiply = [](uint8_t a, uint8_t b) {
      uint8_t product = 0;
      for (int bit = 0; bit < 8; ++bit) {
        if (b & 1) product ^= a;
        a = static_cast<uint8_t>((a << 1) ^ ((a & 0x80) ? 0x1b : 0));
        b >>= 1;
      }
      return product;
    };
    auto rotate = [](uint8_t v, int s) { return static_cast<uint8_t>((v << s) | (v >> (8 - s))); };
    for (int x = 0; x < 256; ++x) {
      uint8_t inverse = 0;  // x^254 = x^-1 (0 maps to 0)
      if (x != 0) {
        uint8_t power = 1;
        for (int e = 0; e < 254; ++e) power = multiply(power, static_cast<uint8_t>(x));
        inverse = power;
      }
      t.value[x] = static_cast<uint8_t>(inverse ^ rotate(inverse, 1) ^ rotate(inverse, 2) ^ rotate(inverse, 3) ^
                                        rotate(inverse, 4) ^ 0x63);
    }
    return t;
  }();
  return table.value;
}

// One AES encryption round on a 16-byte state (byte i = row i % 4, column i / 4, the layout of
// x86's AESENC): SubBytes, ShiftRows, MixColumns unless `last`, then AddRoundKey.
inline void aes_round_portable(uint8_t state[16], const uint8_t round_key[16], bool last) {
  const uint8_t* sbox = aes_sbox();
  uint8_t shifted[16];
  for (int column = 0; column < 4; ++column)
    for (int row = 0; row < 4; ++row) shifted[row + 4 * column] = sbox[state[row + 4 * ((column + row) % 4)]];
  auto xtime = [](uint8_t v) { return static_cast<uint8_t>((v << 1) ^ ((v & 0x80) ? 0x1b : 0)); };
  for (int column = 0; column < 4; ++column) {
    const uint8_t* a = shifted + 4 * column;
    uint8_t* out = state + 4 * column;
    if (last) {
      for (int row = 0; row < 4; ++row) out[row] = a[row];
    } else {
      const uint8_t all = a[0] ^ a[1] ^ a[2] ^ a[3];
      for (int row = 0; row < 4; ++row) out[row] = a[row] ^ all ^ xtime(a[row] ^ a[(row + 1) % 4]);
    }
    for (int row = 0; row < 4; ++row) out[row] ^= round_key[4 * column + row];
  }
}

// --- ARS ---------------------------------------------------------------------------------------

// The 128-bit ARS round keys of a 64-bit key: k_0 = (key, 0) as (low, high) 64-bit halves,
// k_{i+1} = k_i + (kArsWeylLow, kArsWeylHigh), each half mod 2^64; little-endian bytes.
struct ArsKeys {
  uint8_t bytes[kArsRounds + 1][16];
  explicit ArsKeys(uint64_t key) {
    uint64_t low = key, high = 0;
    for (int r = 0; r <= kArsRounds; ++r) {
      std::memcpy(bytes[r], &low, 8);
      std::memcpy(bytes[r] + 8, &high, 8);
      low += kArsWeylLow;
      high += kArsWeylHigh;
    }
  }
};

// ARS-7 of the 8 counters (counter0 + i, stream), i = 0..7, each a 128-bit block with the
// counter as the low and the stream as the high 64-bit half: words[4 i .. 4 i + 3] are the
// little-endian 32-bit words of block i's output. v = block ^ k_0, six AES rounds with k_1..k_6,
// a last round (no MixColumns) with k_7.
inline void ars_block_portable(const ArsKeys& keys, uint64_t counter0, uint64_t stream,
                               uint32_t words[kBlockNormals]) {
  for (int i = 0; i < kBlockCounters; ++i) {
    uint8_t state[16];
    const uint64_t counter = counter0 + static_cast<uint64_t>(i);
    std::memcpy(state, &counter, 8);
    std::memcpy(state + 8, &stream, 8);
    for (int b = 0; b < 16; ++b) state[b] ^= keys.bytes[0][b];
    for (int r = 1; r <= kArsRounds; ++r) aes_round_portable(state, keys.bytes[r], r == kArsRounds);
    std::memcpy(words + 4 * i, state, 16);
  }
}

#ifdef AD_ARS_AESNI
// The eight blocks with AES-NI.
__attribute__((target("aes,sse4.1"))) inline void ars_block_aesni(const ArsKeys& keys, uint64_t counter0,
                                                                 uint64_t stream, uint32_t words[kBlockNormals]) {
  __m128i v[kBlockCounters];
  const __m128i k0 = _mm_loadu_si128(reinterpret_cast<const __m128i*>(keys.bytes[0]));
  for (int i = 0; i < kBlockCounters; ++i)
    v[i] = _mm_xor_si128(_mm_set_epi64x(static_cast<int64_t>(stream), static_cast<int64_t>(counter0 + i)), k0);
  for (int r = 1; r < kArsRounds; ++r) {
    const __m128i k = _mm_loadu_si128(reinterpret_cast<const __m128i*>(keys.bytes[r]));
    for (int i = 0; i < kBlockCounters; ++i) v[i] = _mm_aesenc_si128(v[i], k);
  }
  const __m128i last = _mm_loadu_si128(reinterpret_cast<const __m128i*>(keys.bytes[kArsRounds]));
  for (int i = 0; i < kBlockCounters; ++i)
    _mm_storeu_si128(reinterpret_cast<__m128i*>(words + 4 * i), _mm_aesenclast_si128(v[i], last));
}

// Two blocks per instruction with VAES (256-bit AES), where the CPU has it.
__attribute__((target("vaes,aes,avx2"))) inline void ars_block_vaes(const ArsKeys& keys, uint64_t counter0,
                                                                  uint64_t stream, uint32_t words[kBlockNormals]) {
  __m256i v[kBlockCounters / 2];
  const __m256i k0 = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(keys.bytes[0])));
  for (int i = 0; i < kBlockCounters / 2; ++i) {
    const auto low = static_cast<int64_t>(counter0 + 2 * i), high = static_cast<int64_t>(stream);
    v[i] = _mm256_xor_si256(_mm256_set_epi64x(high, low + 1, high, low), k0);
  }
  for (int r = 1; r < kArsRounds; ++r) {
    const __m256i k = _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(keys.bytes[r])));
    for (int i = 0; i < kBlockCounters / 2; ++i) v[i] = _mm256_aesenc_epi128(v[i], k);
  }
  const __m256i last =
      _mm256_broadcastsi128_si256(_mm_loadu_si128(reinterpret_cast<const __m128i*>(keys.bytes[kArsRounds])));
  for (int i = 0; i < kBlockCounters / 2; ++i)
    _mm256_storeu_si256(reinterpret_cast<__m256i*>(words + 8 * i), _mm256_aesenclast_epi128(v[i], last));
}

inline bool cpu_has_vaes() {
  static const bool has_vaes = __builtin_cpu_supports("vaes") && __builtin_cpu_supports("avx2");
  return has_vaes;
}

inline bool cpu_has_aesni() {
  static const bool has_aes = __builtin_cpu_supports("aes") && __builtin_cpu_supports("sse4.1");
  return has_aes;
}
#endif

inline void ars_block(const ArsKeys& keys, uint64_t counter0, uint64_t stream, uint32_t words[kBlockNormals]) {
#ifdef AD_ARS_AESNI
  if (cpu_has_aesni()) {
    if (cpu_has_vaes()) return ars_block_vaes(keys, counter0, stream, words);
    return ars_block_aesni(keys, counter0, stream, words);
  }
#endif
  ars_block_portable(keys, counter0, stream, words);
}

// --- Normals -----------------------------------------------------------------------------------

// A uniform float in (0, 1) from the top 24 bits, offset by half a step so it is never 0.
inline float uniform_open(uint32_t bits) {
  return static_cast<float>(bits >> 8) * 5.9604644775390625e-8f + 2.98023223876953125e-8f;
}

// 32 independent standard normals from the 32 words of one ARS block, by Box-Muller.
// Pair i (0..15) takes its radius from word i and its angle from word 16 + i (the layout is
// fixed, so any split of the work over threads gives the same numbers):
//   rho = sqrt(-ln u(w_i)),  a = (w_{16+i} >> 8) * (pi/2) 2^-24 - pi/4,
//   out[i] = +-rho (cos a - sin a),  out[16 + i] = +-rho (cos a + sin a),
// the signs from bits 0 and 1 of w_{16+i}. That is sqrt(-2 ln u) times the cosine and sine of
// the angle a + pi/4, uniform over a quarter turn, reflected into a random quadrant; the
// radius's tails reach sqrt(50 ln 2) = 5.89 sigma (the smallest uniform is 2^-25).
__attribute__((always_inline)) inline void box_muller(const uint32_t words[kBlockNormals], float out[kBlockNormals]) {
  constexpr int kPairs = kBlockNormals / 2;
#pragma omp simd
  for (int i = 0; i < kPairs; ++i) {
    const float rho = fast_sqrt(-fast_log(uniform_open(words[i])));
    const uint32_t angle_bits = words[kPairs + i];
    const float a = static_cast<float>(angle_bits >> 8) * 9.36267570e-8f - 0.785398163397448f;
    const float a2 = a * a;
    // minimax polynomials on [-pi/4, pi/4]: relative error 4e-9 (sine), absolute 3e-8 (cosine)
    const float sin_a = a * (1.0f + a2 * (-0.16666655f + a2 * (0.00833218f + a2 * -0.00019517f)));
    const float cos_a = 1.0f + a2 * (-0.49999895f + a2 * (0.04165629f + a2 * -0.00135978f));
    const uint32_t cos_sign = angle_bits << 31, sin_sign = (angle_bits & 2u) << 30;
    out[i] = bits_to_float(float_to_bits(rho * (cos_a - sin_a)) ^ cos_sign);
    out[kPairs + i] = bits_to_float(float_to_bits(rho * (cos_a + sin_a)) ^ sin_sign);
  }
}

// The 32 normals of the ARS block at (counter0, stream).
__attribute__((always_inline)) inline void normal_block(const ArsKeys& keys, uint64_t counter0, uint64_t stream,
                                                       float out[kBlockNormals]) {
  uint32_t words[kBlockNormals];
  ars_block(keys, counter0, stream, words);
  box_muller(words, out);
}

constexpr int kMaxBatchBlocks = 16;

// The normals of `count` (<= kMaxBatchBlocks) consecutive blocks, block b at counter
// b * kBlockCounters from `first_block` on: the same numbers as normal_block block by block, in
// about half the time. Each block's Box-Muller is one long dependent chain (divide, square root,
// polynomials); all blocks' AES rounds first, then all blocks' transforms, keeps enough
// independent work in flight to hide that latency.
__attribute__((always_inline)) inline void normal_blocks(const ArsKeys& keys, uint64_t first_block, uint64_t stream,
                                                        int count, float* out) {
  uint32_t words[kMaxBatchBlocks * kBlockNormals];
  for (int b = 0; b < count; ++b)
    ars_block(keys, (first_block + static_cast<uint64_t>(b)) * kBlockCounters, stream, words + b * kBlockNormals);
  for (int b = 0; b < count; ++b) box_muller(words + b * kBlockNormals, out + b * kBlockNormals);
}

}  // namespace analog

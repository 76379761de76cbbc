#include "mvm.h"

#include <atomic>
#if defined(__x86_64__)
#include <immintrin.h>
#endif
#include <cmath>
#include <limits>
#include <vector>

#include "random.h"

namespace analog {
namespace {

constexpr int64_t kChunk = 16 * kBlockNormals;      // output values processed per pass (on the stack)

inline float clamp(float v, float bound) { return v < -bound ? -bound : (v > bound ? bound : v); }


}  // namespace

InputParams input_params(double inp_bound, double inp_res, bool abs_max_scaling) {
  const bool quantize = inp_res > 0;
  const double step = quantize ? inp_res * 2.0 * inp_bound : 1.0;
  return {static_cast<float>(step), static_cast<float>(quantize ? inp_bound / step : inp_bound), quantize,
          abs_max_scaling};
}

OutputParams output_params(double out_noise, double w_noise, double out_bound, double out_res) {
  const bool quantize = out_bound > 0 && out_res > 0;
  const double step = quantize ? out_res * 2.0 * out_bound : 0.0;
  return {static_cast<float>(out_noise), static_cast<float>(w_noise), static_cast<float>(out_bound),
          static_cast<float>(step), quantize ? static_cast<float>(1.0 / step) : 0.0f,
          quantize ? static_cast<float>(out_bound / step) : 0.0f};
}

namespace {

// Steps 1-2 for one vector: its scale, then its levels into `out` (`in` may be `out`); returns
// false if the vector holds a NaN or infinity (its levels are then NaN). The first pass takes the largest |x| as the
// largest bit pattern with the sign cleared: for non-negative floats the integer order is the
// numeric order, and the patterns above every finite value's are exactly infinity's and NaN's,
// so one integer max (no float-add latency chain) finds the scale and the check together.
inline bool quantize_row(const float* in, float* out, int64_t cols, const InputParams& p, float factor,
                         float* scale) {
  uint32_t largest = 0;
#pragma omp simd reduction(max : largest)
  for (int64_t c = 0; c < cols; ++c) {
    const uint32_t magnitude = float_to_bits(in[c]) & 0x7fffffffu;
    largest = largest > magnitude ? largest : magnitude;
  }
  constexpr uint32_t kInfinityBits = 0x7f800000u;
  const float s = p.abs_max_scaling ? bits_to_float(largest) : 1.0f;
  *scale = s;
  const bool finite = largest < kInfinityBits;
  // A NaN, or an infinity that noise management divides by, makes the whole vector NaN in the
  // torch reference: NaN levels carry that through the product.
  if (!finite && (p.abs_max_scaling || largest > kInfinityBits)) {
    for (int64_t c = 0; c < cols; ++c) out[c] = std::numeric_limits<float>::quiet_NaN();
    return false;
  }
  if (s == 0.0f) {
    for (int64_t c = 0; c < cols; ++c) out[c] = 0.0f;
    return true;
  }
  const float inverse = 1.0f / ((s * factor) * p.step);  // one division per vector, not per value
  const float bound = p.level_bound;
  // min/max clamping (not clamp(), which keeps NaN): the vector holds no NaN here
  if (p.quantize) {
    for (int64_t c = 0; c < cols; ++c) out[c] = round_even(min_f(max_f(in[c] * inverse, -bound), bound));
  } else {
    for (int64_t c = 0; c < cols; ++c) out[c] = min_f(max_f(in[c] * inverse, -bound), bound);
  }
  return finite;
}

// The row loops are compiled per instruction set (AD_MULTIVERSION); the parallel dispatch
// around them is not, since a lambda would not inherit the clones.

#if defined(__x86_64__) && defined(__GNUC__)
#define AD_HAS_GATHER8 1
// Eight neighbouring patches (origins o, o + 1, .., o + 7: a stride-1 convolution along its last
// dimension) gathered into eight levels rows: for each column the eight values are one
// contiguous load, and 8 x 8 blocks are transposed in registers, instead of 64 indexed loads.
__attribute__((target("avx2"))) void gather_rows8_avx2(const float* source, const int64_t* offsets, int64_t cols,
                                                       float* out) {
  int64_t c = 0;
  for (; c + 8 <= cols; c += 8) {
    __m256 r[8], t[8], u[8];
    for (int i = 0; i < 8; ++i) r[i] = _mm256_loadu_ps(source + offsets[c + i]);  // column c + i, patches 0..7
    for (int i = 0; i < 8; i += 2) {
      t[i] = _mm256_unpacklo_ps(r[i], r[i + 1]);
      t[i + 1] = _mm256_unpackhi_ps(r[i], r[i + 1]);
    }
    for (int i = 0; i < 8; i += 4) {
      u[i] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(1, 0, 1, 0));
      u[i + 1] = _mm256_shuffle_ps(t[i], t[i + 2], _MM_SHUFFLE(3, 2, 3, 2));
      u[i + 2] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(1, 0, 1, 0));
      u[i + 3] = _mm256_shuffle_ps(t[i + 1], t[i + 3], _MM_SHUFFLE(3, 2, 3, 2));
    }
    for (int j = 0; j < 4; ++j) {  // patch j: columns c..c+7; patch j + 4 likewise from the high halves
      _mm256_storeu_ps(out + j * cols + c, _mm256_permute2f128_ps(u[j], u[j + 4], 0x20));
      _mm256_storeu_ps(out + (j + 4) * cols + c, _mm256_permute2f128_ps(u[j], u[j + 4], 0x31));
    }
  }
  for (; c < cols; ++c)
    for (int j = 0; j < 8; ++j) out[j * cols + c] = source[offsets[c] + j];
}

inline bool has_avx2() {
  static const bool supported = __builtin_cpu_supports("avx2");
  return supported;
}
#endif

// Whether vectors r..r+7 are neighbouring patches (consecutive origins).
inline bool consecutive8(const int64_t* origins, int64_t r) {
  for (int j = 1; j < 8; ++j)
    if (origins[r + j] != origins[r] + j) return false;
  return true;
}

AD_MULTIVERSION int64_t input_rows(const float* x, int64_t begin, int64_t end, int64_t cols, int64_t ld_x,
                                   const InputParams& p, const float* factor, float* scale, float* levels) {
  int64_t nonfinite = 0;
  for (int64_t r = begin; r < end; ++r) {
    nonfinite += !quantize_row(x + r * ld_x, levels + r * cols, cols, p, factor ? factor[r] : 1.0f, scale + r);
  }
  return nonfinite;
}

AD_MULTIVERSION int64_t gather_input_rows(const float* x, const int64_t* origins, int64_t begin, int64_t end,
                                          const int64_t* offsets, int64_t cols, const InputParams& p,
                                          const float* factor, float* scale, float* levels) {
  int64_t nonfinite = 0;
  for (int64_t r = begin; r < end;) {
#ifdef AD_HAS_GATHER8
    if (r + 8 <= end && has_avx2() && consecutive8(origins, r)) {
      gather_rows8_avx2(x + origins[r], offsets, cols, levels + r * cols);
      for (int64_t j = r; j < r + 8; ++j) {
        float* row = levels + j * cols;
        nonfinite += !quantize_row(row, row, cols, p, factor ? factor[j] : 1.0f, scale + j);
      }
      r += 8;
      continue;
    }
#endif
    float* out = levels + r * cols;
    const float* origin = x + origins[r];
    for (int64_t c = 0; c < cols; ++c) out[c] = origin[offsets[c]];
    nonfinite += !quantize_row(out, out, cols, p, factor ? factor[r] : 1.0f, scale + r);
    ++r;
  }
  return nonfinite;
}

}  // namespace

int64_t input_stage(const float* x, int64_t rows, int64_t cols, int64_t ld_x, const InputParams& p,
                    const float* factor, float* scale, float* levels, const ParallelFor& parallel) {
  std::atomic<int64_t> nonfinite{0};
  parallel.run(rows, cols, [&](int64_t begin, int64_t end) {
    nonfinite += input_rows(x, begin, end, cols, ld_x, p, factor, scale, levels);
  });
  return nonfinite;
}

int64_t gather_input_stage(const float* x, const int64_t* origins, int64_t rows, const int64_t* offsets,
                           int64_t cols, const InputParams& p, const float* factor, float* scale, float* levels,
                           const ParallelFor& parallel) {
  std::atomic<int64_t> nonfinite{0};
  parallel.run(rows, cols, [&](int64_t begin, int64_t end) {
    nonfinite += gather_input_rows(x, origins, begin, end, offsets, cols, p, factor, scale, levels);
  });
  return nonfinite;
}

namespace {

enum class Adc { kNone, kClip, kQuantize };

// One fused pass of steps 4, 5 and 7 over `count` values of a row, in place.
struct FusedPass {
  float* values;
  int64_t count;
  float step;           // input DAC step (step 3's scaling)
  const float* normals; // null: no output noise
  float std_dev;
  Adc adc;
  float inverse_out_step, level_bound, out_step, out_bound;
  float row_scale;      // step 7 (with gain)
  const float* gain;    // null: no step 7
  const float* addend;  // null: no earlier tiles to add
  const float* bias;    // null: no bias

  // values * step (+ normals * std_dev), the ADC, then * row_scale * gain. Returns the largest
  // |quantized value| (|value| when only clipping), which says whether the row saturated:
  // saturation is judged on the quantized value (aihwkit), so a value that rounds to the bound
  // has not clipped.
  template <bool kNoisy, Adc kAdc, bool kScale, bool kAdd, bool kBias>
  __attribute__((always_inline)) float run() const {
    float worst = 0.0f;
#pragma omp simd reduction(max : worst)
    for (int64_t c = 0; c < count; ++c) {
      float v = values[c] * step;
      if (kNoisy) v += normals[c] * std_dev;
      if (kAdc == Adc::kQuantize) {
        const float level = round_even(clamp(v * inverse_out_step, level_bound + 1.0f));
        worst = max_f(worst, std::fabs(level));
        v = clamp(level, level_bound) * out_step;
      } else if (kAdc == Adc::kClip) {
        worst = max_f(worst, std::fabs(v));
        v = clamp(v, out_bound);
      }
      if (kScale) v = v * row_scale * gain[c];
      if (kAdd) v = addend[c] + v;
      if (kBias) v = v + bias[c];
      values[c] = v;
    }
    return worst;
  }

  // run() compiled for this pass's combination of options, so that each loop vectorizes (all
  // inlined into the caller, which is compiled once per instruction set).
  template <bool kNoisy, Adc kAdc, bool kScale, bool kAdd>
  __attribute__((always_inline)) float dispatch_bias() const {
    return bias ? run<kNoisy, kAdc, kScale, kAdd, true>() : run<kNoisy, kAdc, kScale, kAdd, false>();
  }
  template <bool kNoisy, Adc kAdc, bool kScale>
  __attribute__((always_inline)) float dispatch_add() const {
    return addend ? dispatch_bias<kNoisy, kAdc, kScale, true>() : dispatch_bias<kNoisy, kAdc, kScale, false>();
  }
  template <bool kNoisy, Adc kAdc>
  __attribute__((always_inline)) float dispatch_scale() const {
    return gain ? dispatch_add<kNoisy, kAdc, true>() : dispatch_add<kNoisy, kAdc, false>();
  }
  template <bool kNoisy>
  __attribute__((always_inline)) float dispatch_adc() const {
    if (adc == Adc::kQuantize) return dispatch_scale<kNoisy, Adc::kQuantize>();
    if (adc == Adc::kClip) return dispatch_scale<kNoisy, Adc::kClip>();
    return dispatch_scale<kNoisy, Adc::kNone>();
  }
  __attribute__((always_inline)) float operator()() const { return normals ? dispatch_adc<true>() : dispatch_adc<false>(); }
};

// Everything output_stage derives once per call.
struct OutputJob {
  float* y;
  int64_t cols, ld_y;
  float step;
  const float* levels;
  int64_t levels_cols;
  const OutputParams& p;
  ArsKeys keys;
  uint64_t stream;
  const float* row_scale;
  const float* gain;  // col_scale * alpha per column (with row_scale)
  const float* addend;
  int64_t ld_addend;
  const float* bias;
  uint8_t* saturated;
};

AD_MULTIVERSION void output_rows(const OutputJob& job, int64_t begin, int64_t end) {
  const OutputParams& p = job.p;
  const bool clip = p.out_bound > 0, quantize = clip && p.step > 0;
  const float w_noise2 = p.w_noise * p.w_noise, out_noise2 = p.out_noise * p.out_noise;
  const int64_t cols = job.cols;
  const int64_t blocks = (cols + kBlockNormals - 1) / kBlockNormals;
  const Adc adc = quantize ? Adc::kQuantize : (clip ? Adc::kClip : Adc::kNone);
  for (int64_t r = begin; r < end; ++r) {
    float* row = job.y + r * job.ld_y;
    float std_dev = p.out_noise;
    if (p.w_noise > 0) {
      const float* levels = job.levels + r * job.levels_cols;
      float norm2 = 0.0f;
      for (int64_t c = 0; c < job.levels_cols; ++c) norm2 += levels[c] * levels[c];
      const float x_norm = std::sqrt(norm2) * job.step;
      std_dev = std::sqrt(x_norm * x_norm * w_noise2 + out_noise2);
    }
    const float rs = job.row_scale ? job.row_scale[r] : 1.0f;
    float worst = 0.0f;  // largest |quantized value| (or |value| without quantization)
    const bool noisy = std_dev > 0;
    for (int64_t start = 0; start < cols; start += kChunk) {
      const int64_t count = cols - start < kChunk ? cols - start : kChunk;
      float z[kChunk];
      if (noisy) {
        const auto block = static_cast<uint64_t>(r * blocks + start / kBlockNormals);
        normal_blocks(job.keys, block, job.stream, static_cast<int>((count + kBlockNormals - 1) / kBlockNormals), z);
      }
      const FusedPass pass{row + start, count, job.step, noisy ? z : nullptr, std_dev, adc, p.inverse_step,
                           p.level_bound, p.step, p.out_bound, rs, job.gain ? job.gain + start : nullptr,
                           job.addend ? job.addend + r * job.ld_addend + start : nullptr,
                           job.bias ? job.bias + start : nullptr};
      worst = max_f(worst, pass());
    }
    job.saturated[r] = quantize ? worst > p.level_bound : (clip && worst > p.out_bound);
  }
}

}  // namespace

int64_t output_stage(float* y, int64_t rows, int64_t cols, int64_t ld_y, float step, const float* levels,
                     int64_t levels_cols, const OutputParams& p, uint64_t key, uint64_t stream,
                     const float* row_scale, const float* col_scale, const float* alpha, int64_t alpha_count,
                     const float* addend, int64_t ld_addend, const float* bias, uint8_t* saturated,
                     const ParallelFor& parallel) {
  std::vector<float> gain;  // col_scale * alpha, rounded to float as the torch path does
  if (row_scale) {
    gain.resize(static_cast<size_t>(cols));
    for (int64_t c = 0; c < cols; ++c) gain[c] = col_scale[c] * alpha[alpha_count == 1 ? 0 : c];
  }
  const OutputJob job{y, cols, ld_y, step, levels, levels_cols, p, ArsKeys(key), stream, row_scale,
                      row_scale ? gain.data() : nullptr, addend, ld_addend, bias, saturated};
  parallel.run(rows, cols, [&](int64_t begin, int64_t end) { output_rows(job, begin, end); });
  int64_t saturated_rows = 0;
  for (int64_t r = 0; r < rows; ++r) saturated_rows += saturated[r];
  return saturated_rows;
}

namespace {

AD_MULTIVERSION void fill_blocks(float* out, int64_t n, const ArsKeys& keys, uint64_t stream, int64_t begin,
                                 int64_t end) {
  for (int64_t b = begin; b < end; b += kMaxBatchBlocks) {
    float z[kMaxBatchBlocks * kBlockNormals];
    const int count = static_cast<int>(end - b < kMaxBatchBlocks ? end - b : kMaxBatchBlocks);
    normal_blocks(keys, static_cast<uint64_t>(b), stream, count, z);
    const int64_t values = n - b * kBlockNormals < count * kBlockNormals ? n - b * kBlockNormals : count * kBlockNormals;
    for (int64_t k = 0; k < values; ++k) out[b * kBlockNormals + k] = z[k];
  }
}

}  // namespace

void fill_normal(float* out, int64_t n, uint64_t key, uint64_t stream, const ParallelFor& parallel) {
  const ArsKeys keys(key);
  parallel.run((n + kBlockNormals - 1) / kBlockNormals, kBlockNormals,
               [&](int64_t begin, int64_t end) { fill_blocks(out, n, keys, stream, begin, end); });
}

}  // namespace analog

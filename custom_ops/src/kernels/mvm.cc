#include "mvm.h"

#include <cmath>
#include <vector>

#include "random.h"

namespace analog {
namespace {

constexpr int64_t kParallelThreshold = 1 << 14;  // elements below which threads cost more
constexpr int64_t kChunk = 16 * kBlockNormals;      // output values processed per pass (on the stack)

inline float clamp(float v, float bound) { return v < -bound ? -bound : (v > bound ? bound : v); }


}  // namespace

float input_step(const InputParams& p) {
  return p.inp_res > 0 ? static_cast<float>(p.inp_res * 2.0 * p.inp_bound) : 1.0f;
}

namespace {

// Steps 1-2 for one vector already in `out` (the levels row): scale, then levels in place.
inline void quantize_row(float* out, int64_t cols, const InputParams& p, float step, float bound, float factor,
                         float* scale) {
  float s = 1.0f;
  if (p.abs_max_scaling) {
    s = 0.0f;
#pragma omp simd reduction(max : s)
    for (int64_t c = 0; c < cols; ++c) s = max_f(s, std::fabs(out[c]));
  }
  *scale = s;
  if (s == 0.0f) {
    for (int64_t c = 0; c < cols; ++c) out[c] = 0.0f;
    return;
  }
  const float inverse = 1.0f / ((s * factor) * step);  // one division per vector, not per value
  if (p.inp_res > 0) {
    for (int64_t c = 0; c < cols; ++c) out[c] = round_even(clamp(out[c] * inverse, bound));
  } else {
    for (int64_t c = 0; c < cols; ++c) out[c] = clamp(out[c] * inverse, bound);
  }
}

float level_bound(const InputParams& p) {
  return static_cast<float>(p.inp_res > 0 ? p.inp_bound / (p.inp_res * 2.0 * p.inp_bound) : p.inp_bound);
}

}  // namespace

AD_MULTIVERSION void input_stage(const float* x, int64_t rows, int64_t cols, int64_t ld_x, const InputParams& p,
                                 const float* factor, float* scale, float* levels, int threads) {
  const float step = input_step(p), bound = level_bound(p);
#pragma omp parallel for num_threads(threads) schedule(static) if (rows * cols >= kParallelThreshold)
  for (int64_t r = 0; r < rows; ++r) {
    float* out = levels + r * cols;
    const float* in = x + r * ld_x;
    for (int64_t c = 0; c < cols; ++c) out[c] = in[c];
    quantize_row(out, cols, p, step, bound, factor ? factor[r] : 1.0f, scale + r);
  }
}

AD_MULTIVERSION void gather_input_stage(const float* x, const int64_t* origins, int64_t rows, const int64_t* offsets,
                                        int64_t cols, const InputParams& p, const float* factor, float* scale,
                                        float* levels, int threads) {
  const float step = input_step(p), bound = level_bound(p);
#pragma omp parallel for num_threads(threads) schedule(static) if (rows * cols >= kParallelThreshold)
  for (int64_t r = 0; r < rows; ++r) {
    float* out = levels + r * cols;
    const float* origin = x + origins[r];
    for (int64_t c = 0; c < cols; ++c) out[c] = origin[offsets[c]];
    quantize_row(out, cols, p, step, bound, factor ? factor[r] : 1.0f, scale + r);
  }
}

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

  // values * step (+ normals * std_dev), the ADC, then * row_scale * gain. Returns the largest
  // |quantized value| (|value| when only clipping), which says whether the row saturated:
  // saturation is judged on the quantized value (aihwkit), so a value that rounds to the bound
  // has not clipped.
  template <bool kNoisy, Adc kAdc, bool kScale>
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
      values[c] = v;
    }
    return worst;
  }

  // run() compiled for this pass's combination of options, so that each loop vectorizes (all
  // inlined into the caller, which is compiled once per instruction set).
  template <bool kNoisy, Adc kAdc>
  __attribute__((always_inline)) float dispatch_scale() const { return gain ? run<kNoisy, kAdc, true>() : run<kNoisy, kAdc, false>(); }
  template <bool kNoisy>
  __attribute__((always_inline)) float dispatch_adc() const {
    if (adc == Adc::kQuantize) return dispatch_scale<kNoisy, Adc::kQuantize>();
    if (adc == Adc::kClip) return dispatch_scale<kNoisy, Adc::kClip>();
    return dispatch_scale<kNoisy, Adc::kNone>();
  }
  __attribute__((always_inline)) float operator()() const { return normals ? dispatch_adc<true>() : dispatch_adc<false>(); }
};

AD_MULTIVERSION int64_t output_stage(float* y, int64_t rows, int64_t cols, float step, const float* levels,
                                     int64_t levels_cols, const OutputParams& p, uint64_t key, uint64_t stream,
                                     const float* row_scale, const float* col_scale, const float* alpha,
                                     int64_t alpha_count, uint8_t* saturated, int threads) {
  int64_t saturated_rows = 0;
  const bool clip = p.out_bound > 0, quantize = clip && p.out_res > 0;
  const double out_step_d = quantize ? p.out_res * 2.0 * p.out_bound : 0.0;
  const float out_step = static_cast<float>(out_step_d);
  const float inverse_out_step = quantize ? static_cast<float>(1.0 / out_step_d) : 0.0f;
  const float level_bound = quantize ? static_cast<float>(p.out_bound / out_step_d) : 0.0f;
  const float out_bound = static_cast<float>(p.out_bound);
  const float out_noise = static_cast<float>(p.out_noise);
  const float w_noise2 = static_cast<float>(p.w_noise * p.w_noise);
  const float out_noise2 = static_cast<float>(p.out_noise * p.out_noise);
  const ArsKeys keys(key);
  const int64_t blocks = (cols + kBlockNormals - 1) / kBlockNormals;
  std::vector<float> col_gain;  // col_scale * alpha, rounded to float as the torch path does
  if (row_scale) {
    col_gain.resize(static_cast<size_t>(cols));
    for (int64_t c = 0; c < cols; ++c) col_gain[c] = col_scale[c] * alpha[alpha_count == 1 ? 0 : c];
  }
#pragma omp parallel for num_threads(threads) schedule(static) reduction(+ : saturated_rows) \
    if (rows * cols >= kParallelThreshold)
  for (int64_t r = 0; r < rows; ++r) {
    float* row = y + r * cols;
    float std_dev = out_noise;
    if (p.w_noise > 0) {
      float norm2 = 0.0f;
      for (int64_t c = 0; c < levels_cols; ++c) norm2 += levels[r * levels_cols + c] * levels[r * levels_cols + c];
      const float x_norm = std::sqrt(norm2) * step;
      std_dev = std::sqrt(x_norm * x_norm * w_noise2 + out_noise2);
    }
    const float rs = row_scale ? row_scale[r] : 1.0f;
    float worst = 0.0f;  // largest |quantized value| (or |value| without quantization)
    const bool noisy = std_dev > 0;
    for (int64_t start = 0; start < cols; start += kChunk) {
      const int64_t count = cols - start < kChunk ? cols - start : kChunk;
      float* part = row + start;
      float z[kChunk];
      if (noisy) {
        for (int64_t b = 0; b * kBlockNormals < count; ++b) {
          const int64_t block = r * blocks + start / kBlockNormals + b;
          normal_block(keys, static_cast<uint64_t>(block) * kBlockCounters, stream, z + b * kBlockNormals);
        }
      }
      const Adc adc = quantize ? Adc::kQuantize : (clip ? Adc::kClip : Adc::kNone);
      const FusedPass pass{part, count, step, noisy ? z : nullptr, std_dev, adc, inverse_out_step, level_bound,
                           out_step, out_bound, rs, row_scale ? col_gain.data() + start : nullptr};
      worst = max_f(worst, pass());
    }
    const bool sat = quantize ? worst > level_bound : (clip && worst > out_bound);
    saturated[r] = sat;
    saturated_rows += sat;
  }
  return saturated_rows;
}

AD_MULTIVERSION void fill_normal(float* out, int64_t n, uint64_t key, uint64_t stream, int threads) {
  const int64_t blocks = (n + kBlockNormals - 1) / kBlockNormals;
  const ArsKeys keys(key);
#pragma omp parallel for num_threads(threads) schedule(static) if (n >= kParallelThreshold)
  for (int64_t b = 0; b < blocks; ++b) {
    float z[kBlockNormals];
    normal_block(keys, static_cast<uint64_t>(b) * kBlockCounters, stream, z);
    const int64_t count = n - b * kBlockNormals < kBlockNormals ? n - b * kBlockNormals : kBlockNormals;
    for (int64_t k = 0; k < count; ++k) out[b * kBlockNormals + k] = z[k];
  }
}

}  // namespace analog

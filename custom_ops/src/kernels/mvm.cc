#include "mvm.h"

#include <cmath>

#include "philox.h"

namespace analog {
namespace {

constexpr int64_t kParallelThreshold = 1 << 14;  // elements below which threads cost more

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
  const float divisor = (s * factor) * step;
  if (p.inp_res > 0) {
    for (int64_t c = 0; c < cols; ++c) out[c] = round_even(clamp(out[c] / divisor, bound));
  } else {
    for (int64_t c = 0; c < cols; ++c) out[c] = clamp(out[c] / divisor, bound);
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

AD_MULTIVERSION int64_t output_stage(float* y, int64_t rows, int64_t cols, float step, const float* levels,
                                     int64_t levels_cols, const OutputParams& p, uint64_t key,
                                     const float* row_scale, const float* col_gain, uint8_t* saturated,
                                     int threads) {
  int64_t saturated_rows = 0;
  const bool clip = p.out_bound > 0;
  const double out_step_d = p.out_res > 0 ? p.out_res * 2.0 * p.out_bound : 0.0;
  const float out_step = static_cast<float>(out_step_d);
  const float level_bound = out_step_d > 0 ? static_cast<float>(p.out_bound / out_step_d) : 0.0f;
  const float out_bound = static_cast<float>(p.out_bound);
  const float out_noise = static_cast<float>(p.out_noise);
  const float w_noise2 = static_cast<float>(p.w_noise * p.w_noise);
  const float out_noise2 = static_cast<float>(p.out_noise * p.out_noise);
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
    for (int64_t c = 0; c < cols; ++c) row[c] *= step;
    if (std_dev > 0) {
      const int64_t blocks = (cols + kBlockNormals - 1) / kBlockNormals;
      for (int64_t b = 0; b < blocks; ++b) {
        float z[kBlockNormals];
        normal_block(key, static_cast<uint64_t>(r * blocks + b) * kLanes, 0, z);
        float* part = row + b * kBlockNormals;
        const int64_t count = cols - b * kBlockNormals < kBlockNormals ? cols - b * kBlockNormals : kBlockNormals;
        for (int64_t k = 0; k < count; ++k) part[k] += z[k] * std_dev;
      }
    }
    // Saturation is judged on the quantized value (aihwkit): a value that rounds to the bound
    // has not clipped.
    uint8_t sat = 0;
    if (clip) {
      if (out_step > 0) {
        for (int64_t c = 0; c < cols; ++c) {
          const float level = round_even(clamp(row[c] / out_step, level_bound + 1.0f));
          sat |= std::fabs(level) > level_bound;
          row[c] = clamp(level, level_bound) * out_step;
        }
      } else {
        for (int64_t c = 0; c < cols; ++c) {
          sat |= std::fabs(row[c]) > out_bound;
          row[c] = clamp(row[c], out_bound);
        }
      }
    }
    if (row_scale) {  // step 7; rows that saturated are recomputed (and rescaled) by the caller
      const float rs = row_scale[r];
      for (int64_t c = 0; c < cols; ++c) row[c] = row[c] * rs * col_gain[c];
    }
    saturated[r] = sat;
    saturated_rows += sat;
  }
  return saturated_rows;
}

AD_MULTIVERSION void fill_normal(float* out, int64_t n, uint64_t key, uint64_t stream, int threads) {
  const int64_t blocks = (n + kBlockNormals - 1) / kBlockNormals;
#pragma omp parallel for num_threads(threads) schedule(static) if (n >= kParallelThreshold)
  for (int64_t b = 0; b < blocks; ++b) {
    float z[kBlockNormals];
    normal_block(key, static_cast<uint64_t>(b) * kLanes, stream, z);
    const int64_t count = n - b * kBlockNormals < kBlockNormals ? n - b * kBlockNormals : kBlockNormals;
    for (int64_t k = 0; k < count; ++k) out[b * kBlockNormals + k] = z[k];
  }
}

}  // namespace analog

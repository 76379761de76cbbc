#include "pcm.h"

#include <cmath>

#include "philox.h"

namespace analog {
namespace {

constexpr int64_t kParallelThreshold = 1 << 14;
constexpr float kMinRelativeG = 1e-7f;

inline float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

inline float programming_std(float g, const PcmParams& p) {
  const float relative = g / p.g_max;
  float std_dev = p.prog_coeff[p.prog_coeff_count - 1];
  for (int i = p.prog_coeff_count - 2; i >= 0; --i) std_dev = std_dev * relative + p.prog_coeff[i];
  return std_dev * p.prog_std_scale;
}

inline float drift_exponent(float g_target, float z, const PcmParams& p) {
  const float log_g = fast_log(max_f(std::fabs(g_target / p.g_max), kMinRelativeG));
  const float mean = clampf(log_g * -0.0155f + 0.0244f, 0.049f, 0.1f);
  const float std_dev = clampf(log_g * -0.0125f - 0.0059f, 0.008f, 0.045f);
  return std::fabs(z * std_dev + mean) * p.drift_scale;
}

inline float drifted(float g_prog, float nu, float z, float log_ratio, float time_factor, const PcmParams& p) {
  const float g_drift = log_ratio > 0 ? g_prog * fast_exp(-nu * log_ratio) : g_prog;
  const float relative = std::fabs(g_prog / p.g_max);
  const float powered = relative > 0 ? fast_pow(relative, 0.65f) : 0.0f;
  const float q_s = min_f(0.0088f / max_f(powered, 1e-3f), 0.2f);
  return max_f(z * (q_s * time_factor) * std::fabs(g_drift) + g_drift, 0.0f);
}

}  // namespace

void pcm_program(const float* weight, int64_t n, float conductance_scale, const PcmParams& p,
                 uint64_t key, float* g_plus, float* g_minus, float* nu_plus, float* nu_minus,
                 int threads) {
  const int64_t blocks = (n + kLanes - 1) / kLanes;  // one Philox lane (4 normals) per device
#pragma omp parallel for num_threads(threads) schedule(static) if (n >= kParallelThreshold)
  for (int64_t b = 0; b < blocks; ++b) {
    float z[kBlockNormals];
    normal_block(key, static_cast<uint64_t>(b) * kLanes, 0, z);
    const int64_t count = n - b * kLanes < kLanes ? n - b * kLanes : kLanes;
    for (int64_t k = 0; k < count; ++k) {
      const int64_t i = b * kLanes + k;
      const float scaled = weight[i] * conductance_scale;
      const float target_plus = max_f(scaled, 0.0f);
      const float target_minus = max_f(-scaled, 0.0f);
      g_plus[i] = max_f(z[k] * programming_std(target_plus, p) + target_plus, 0.0f);
      g_minus[i] = max_f(z[kLanes + k] * programming_std(target_minus, p) + target_minus, 0.0f);
      nu_plus[i] = drift_exponent(target_plus, z[2 * kLanes + k], p);
      nu_minus[i] = drift_exponent(target_minus, z[3 * kLanes + k], p);
    }
  }
}

void pcm_drift(const float* g_plus, const float* g_minus, const float* nu_plus,
               const float* nu_minus, int64_t n, float conductance_scale, double t_inference,
               const PcmParams& p, uint64_t key, float* weight, int threads) {
  const float log_ratio = static_cast<float>(t_inference > 0 ? std::log((t_inference + p.t_0) / p.t_0) : 0.0);
  const float time_factor = static_cast<float>(
      std::sqrt(std::log((t_inference + p.t_0 + p.t_read) / (2.0 * p.t_read))) * p.read_noise_scale);
  constexpr int64_t kDevices = kBlockNormals / 2;  // two normals (G+, G-) per device
  const int64_t blocks = (n + kDevices - 1) / kDevices;
#pragma omp parallel for num_threads(threads) schedule(static) if (n >= kParallelThreshold)
  for (int64_t b = 0; b < blocks; ++b) {
    float z[kBlockNormals];
    normal_block(key, static_cast<uint64_t>(b) * kLanes, 1, z);
    const int64_t count = n - b * kDevices < kDevices ? n - b * kDevices : kDevices;
    for (int64_t k = 0; k < count; ++k) {
      const int64_t i = b * kDevices + k;
      const float gp = drifted(g_plus[i], nu_plus[i], z[k], log_ratio, time_factor, p);
      const float gm = drifted(g_minus[i], nu_minus[i], z[kDevices + k], log_ratio, time_factor, p);
      weight[i] = (gp - gm) / conductance_scale;
    }
  }
}

}  // namespace analog

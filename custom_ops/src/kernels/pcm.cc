#include "pcm.h"

#include <cmath>

#include "random.h"

namespace analog {
namespace {

constexpr float kMinRelativeG = 1e-7f;

inline float clampf(float v, float lo, float hi) { return v < lo ? lo : (v > hi ? hi : v); }

inline float drift_exponent(float g_target, float z, const PcmParams& p) {
  const float log_g = fast_log(max_f(std::fabs(g_target / p.g_max), kMinRelativeG));
  const float mean = clampf(log_g * -0.0155f + 0.0244f, 0.049f, 0.1f);
  const float std_dev = clampf(log_g * -0.0125f - 0.0059f, 0.008f, 0.045f);
  return std::fabs(z * std_dev + mean) * p.drift_scale;
}

inline float drifted(float g_prog, float nu, float z, float log_ratio, float time_factor, const PcmParams& p) {
  // Branch-free so the loop vectorizes: exp(0) is exactly 1, and a zero conductance's
  // power is floored at 1e-3 anyway.
  const float g_drift = g_prog * fast_exp(-nu * log_ratio);
  const float powered = fast_pow(max_f(std::fabs(g_prog / p.g_max), 1e-30f), 0.65f);
  const float q_s = min_f(0.0088f / max_f(powered, 1e-3f), 0.2f);
  return max_f(z * (q_s * time_factor) * std::fabs(g_drift) + g_drift, 0.0f);
}

AD_MULTIVERSION void program_blocks(const float* weight, int64_t n, float conductance_scale, const PcmParams& p,
                                    const ArsKeys& keys, float* g_plus, float* g_minus, float* nu_plus,
                                    float* nu_minus, float* programmed_weight, int64_t begin, int64_t end) {
  float coeff[kMaxProgCoeff] = {};  // zero-padded: a fixed-length Horner loop vectorizes
  for (int c = 0; c < p.prog_coeff_count && c < kMaxProgCoeff; ++c) coeff[c] = p.prog_coeff[c];
  for (int64_t batch = begin; batch < end; batch += kMaxBatchBlocks) {
    const int blocks = static_cast<int>(end - batch < kMaxBatchBlocks ? end - batch : kMaxBatchBlocks);
    float normals[kMaxBatchBlocks * kBlockNormals];
    normal_blocks(keys, static_cast<uint64_t>(batch), 0, blocks, normals);
    for (int64_t b = batch; b < batch + blocks; ++b) {
      const float* z = normals + (b - batch) * kBlockNormals;
      const int64_t count = n - b * kBlockCounters < kBlockCounters ? n - b * kBlockCounters : kBlockCounters;
      float w[kBlockCounters] = {};  // local, zero-padded copy: the lane loop below then vectorizes
      for (int64_t k = 0; k < count; ++k) w[k] = weight[b * kBlockCounters + k];
      float out_gp[kBlockCounters], out_gm[kBlockCounters], out_np[kBlockCounters], out_nm[kBlockCounters];
#pragma omp simd
      for (int k = 0; k < kBlockCounters; ++k) {
        const float scaled = w[k] * conductance_scale;
        const float target_plus = max_f(scaled, 0.0f);
        const float target_minus = max_f(-scaled, 0.0f);
        // Programming-noise std: Horner's rule in G / g_max, for both devices in one loop.
        float std_plus = 0.0f, std_minus = 0.0f;
        for (int c = kMaxProgCoeff - 1; c >= 0; --c) {
          std_plus = std_plus * (target_plus / p.g_max) + coeff[c];
          std_minus = std_minus * (target_minus / p.g_max) + coeff[c];
        }
        out_gp[k] = max_f(z[k] * (std_plus * p.prog_std_scale) + target_plus, 0.0f);
        out_gm[k] = max_f(z[kBlockCounters + k] * (std_minus * p.prog_std_scale) + target_minus, 0.0f);
        out_np[k] = drift_exponent(target_plus, z[2 * kBlockCounters + k], p);
        out_nm[k] = drift_exponent(target_minus, z[3 * kBlockCounters + k], p);
      }
      for (int64_t k = 0; k < count; ++k) {
        g_plus[b * kBlockCounters + k] = out_gp[k];
        g_minus[b * kBlockCounters + k] = out_gm[k];
        nu_plus[b * kBlockCounters + k] = out_np[k];
        nu_minus[b * kBlockCounters + k] = out_nm[k];
        programmed_weight[b * kBlockCounters + k] = (out_gp[k] - out_gm[k]) / conductance_scale;
      }
    }
  }
}

}  // namespace

void pcm_program(const float* weight, int64_t n, float conductance_scale, const PcmParams& p, uint64_t key,
                 float* g_plus, float* g_minus, float* nu_plus, float* nu_minus, float* programmed_weight,
                 const ParallelFor& parallel) {
  const ArsKeys keys(key);
  const int64_t blocks = (n + kBlockCounters - 1) / kBlockCounters;  // 4 normals per device (see docs)
  parallel.run(blocks, kBlockCounters, [&](int64_t begin, int64_t end) {
    program_blocks(weight, n, conductance_scale, p, keys, g_plus, g_minus, nu_plus, nu_minus, programmed_weight,
                   begin, end);
  });
}

namespace {

AD_MULTIVERSION void drift_blocks(const float* g_plus, const float* g_minus, const float* nu_plus,
                                  const float* nu_minus, int64_t n, float conductance_scale, float log_ratio,
                                  float time_factor, const PcmParams& p, const ArsKeys& keys, float* weight,
                                  int64_t begin, int64_t end) {
  constexpr int kDevices = kBlockNormals / 2;  // two normals (G+, G-) per device
  for (int64_t batch = begin; batch < end; batch += kMaxBatchBlocks) {
    const int blocks = static_cast<int>(end - batch < kMaxBatchBlocks ? end - batch : kMaxBatchBlocks);
    float normals[kMaxBatchBlocks * kBlockNormals];
    normal_blocks(keys, static_cast<uint64_t>(batch), 1, blocks, normals);
    for (int64_t b = batch; b < batch + blocks; ++b) {
      const float* z = normals + (b - batch) * kBlockNormals;
      const int64_t first = b * kDevices;
      const int64_t count = n - first < kDevices ? n - first : kDevices;
      // Local, zero-padded copies: the lane loop below then vectorizes.
      float gp[kDevices] = {}, gm[kDevices] = {}, np[kDevices] = {}, nm[kDevices] = {}, out[kDevices];
      for (int64_t k = 0; k < count; ++k) {
        gp[k] = g_plus[first + k];
        gm[k] = g_minus[first + k];
        np[k] = nu_plus[first + k];
        nm[k] = nu_minus[first + k];
      }
#pragma omp simd
      for (int k = 0; k < kDevices; ++k) {
        const float plus = drifted(gp[k], np[k], z[k], log_ratio, time_factor, p);
        const float minus = drifted(gm[k], nm[k], z[kDevices + k], log_ratio, time_factor, p);
        out[k] = (plus - minus) / conductance_scale;
      }
      for (int64_t k = 0; k < count; ++k) weight[first + k] = out[k];
    }
  }
}

}  // namespace

void pcm_drift(const float* g_plus, const float* g_minus, const float* nu_plus, const float* nu_minus, int64_t n,
               float conductance_scale, double t_inference, const PcmParams& p, uint64_t key, float* weight,
               const ParallelFor& parallel) {
  const float log_ratio = static_cast<float>(t_inference > 0 ? std::log((t_inference + p.t_0) / p.t_0) : 0.0);
  const float time_factor = static_cast<float>(
      std::sqrt(std::log((t_inference + p.t_0 + p.t_read) / (2.0 * p.t_read))) * p.read_noise_scale);
  const ArsKeys keys(key);
  const int64_t devices_per_block = kBlockNormals / 2;
  parallel.run((n + devices_per_block - 1) / devices_per_block, devices_per_block, [&](int64_t begin, int64_t end) {
    drift_blocks(g_plus, g_minus, nu_plus, nu_minus, n, conductance_scale, log_ratio, time_factor, p, keys, weight,
                 begin, end);
  });
}

}  // namespace analog

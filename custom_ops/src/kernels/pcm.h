// Phase-change-memory programming and drift (docs/analog_mvm.md, "Device model"), fused per
// device pair so that 25 M weights program and drift in a fraction of a second.
#pragma once

#include <cstdint>

#include "parallel.h"

namespace analog {

constexpr int kMaxProgCoeff = 8;  // longest programming-noise polynomial (checked by the caller)

struct PcmParams {
  float g_max;             // uS, conductance of the tile's absolute max weight
  const float* prog_coeff; // programming-noise std polynomial in G / g_max (uS at the reference)
  int prog_coeff_count;
  float prog_std_scale;    // prog_noise_scale * g_max / prog_coeff_g_max_reference
  float drift_scale;       // multiplies every drift exponent
  float t_0;               // s
  float t_read;            // s
  float read_noise_scale;  // multiplies the accumulated 1/f read noise
};

// Program n weights (tile units; conductance_scale uS per unit): targets on a differential
// pair, programming noise (clipped at 0) and one drift exponent per device, from stream 0 of
// `key`; also the programmed weights (G+ - G-) / conductance_scale.
void pcm_program(const float* weight, int64_t n, float conductance_scale, const PcmParams& p,
                 uint64_t key, float* g_plus, float* g_minus, float* nu_plus, float* nu_minus,
                 float* programmed_weight, const ParallelFor& parallel);

// Weights t_inference seconds after programming: power-law drift and accumulated 1/f read
// noise on both devices, clipped at 0, read back as (G+ - G-) / conductance_scale; stream 1
// of `key`.
void pcm_drift(const float* g_plus, const float* g_minus, const float* nu_plus,
               const float* nu_minus, int64_t n, float conductance_scale, double t_inference,
               const PcmParams& p, uint64_t key, float* weight, const ParallelFor& parallel);

}  // namespace analog

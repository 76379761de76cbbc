// The time-parametric form of the analog ops (docs/onnx_ops.md, "Programmed ops"): the node
// holds the programmed conductances and drift exponents and reads them at the t_inference the
// model receives as input: drift, accumulated read noise and drift compensation, computed once
// per time and cached, so one file serves a whole accuracy-versus-time sweep.
#pragma once

#include <memory>
#include <mutex>
#include <string>
#include <vector>

#include "ort.h"
#include "pcm.h"

namespace analog_ops {

// The tensors a programmed node reads its tiles from, [G, K, M] (conductance_scale
// [G, T_in, T_out], baseline [G, T_in, M]); G = 1 for AnalogMatMul.
struct ProgrammedInputs {
  const float *g_plus, *g_minus, *nu_plus, *nu_minus, *conductance_scale, *baseline;
  int64_t groups, in, out;
};

// The weights and compensation gains at one time.
struct DriftedTiles {
  double t_inference;
  const float* source;        // the g_plus input it was computed from (a changed input is read anew)
  std::vector<float> weight;  // [G, K, M] tile units, as AnalogMatMul's W
  std::vector<float> alpha;   // [G, T_in, M]
};

class ProgrammedTiles {
 public:
  ProgrammedTiles(const Ort::ConstKernelInfo& info, const std::string& node, const analog::LayerConfig& config);

  // The tiles at t_inference (computed on first use of each time; the last time is cached).
  // Thread-safe: concurrent runs at different times each get a consistent state.
  std::shared_ptr<const DriftedTiles> at(double t_inference, const ProgrammedInputs& inputs,
                                         const analog::Gemm& gemm, const analog::ParallelFor& parallel);

 private:
  enum class Compensation { kNone, kGlobal, kPerColumn };

  // Readout of tile block `weight` ([k, m]) through the periphery: mean |output| of the one-hot
  // probes (per column or over all), floored at 1e-4.
  std::vector<float> readout(const float* weight, int64_t k, int64_t m, uint64_t key, const analog::Gemm& gemm,
                             const analog::ParallelFor& parallel) const;

  std::string node_;
  const analog::LayerConfig& config_;
  bool pcm_;
  analog::PcmParams pcm_params_{};
  Compensation compensation_;
  std::mutex mutex_;
  std::shared_ptr<const DriftedTiles> cached_;
};

// A node's weights, output scales, compensation gains and bias, with the shapes of
// AnalogMatMul's inputs (a leading group dimension for AnalogConv): read from the inputs of the
// drifted form, or from the programmed tiles at the input t_inference (then `drifted` holds them).
struct LayerTensors {
  const float *weight, *out_scales, *alpha, *bias;
  std::shared_ptr<const DriftedTiles> drifted;
};

// `weight_shape` is [(G,) K, M], `scales_shape` [(G,) T_in, M], `tile_shape` [(G,) T_in, T_out].
LayerTensors layer_tensors(const Ort::KernelContext& context, ProgrammedTiles* programmed, const std::string& node,
                           const std::vector<int64_t>& weight_shape, const std::vector<int64_t>& scales_shape,
                           const std::vector<int64_t>& tile_shape, const analog::Gemm& gemm,
                           const analog::ParallelFor& parallel);

}  // namespace analog_ops

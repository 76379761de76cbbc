#include "programmed.h"

#include <cmath>
#include <cstring>

namespace analog_ops {
namespace {

constexpr float kMinReadout = 1e-4f;  // floor of a readout, so a dead column gives no infinite gain

// A key for (node seed, time, tile, purpose): drift and probe noise differ per time.
uint64_t time_key(uint64_t seed, double t_inference, int64_t tile, int purpose) {
  uint64_t bits;
  std::memcpy(&bits, &t_inference, sizeof bits);
  return analog::tile_key(analog::tile_key(seed, purpose) ^ bits, tile);
}

// t_inference from its one-element input tensor (validated: finite and >= 0).
double read_t_inference(const Ort::ConstValue& value, const std::string& node) {
  const auto count = value.GetTensorTypeAndShapeInfo().GetElementCount();
  if (count != 1) {
    throw InvalidArgument(node + ": input 't_inference' must hold one value (seconds), got " + std::to_string(count));
  }
  const double t = tensor_data(value)[0];
  if (!std::isfinite(t) || t < 0) {
    throw InvalidArgument(node + ": input 't_inference' is " + std::to_string(t) + ", expected a finite time >= 0 s");
  }
  return t == 0 ? 0.0 : t;  // -0 reads as +0 (the noise key hashes the bits of t)
}

}  // namespace

LayerTensors layer_tensors(const Ort::KernelContext& context, ProgrammedTiles* programmed, const std::string& node,
                           const std::vector<int64_t>& weight_shape, const std::vector<int64_t>& scales_shape,
                           const std::vector<int64_t>& tile_shape, const analog::Gemm& gemm,
                           const analog::ParallelFor& parallel) {
  const size_t bias_index = programmed ? 9 : 4;
  const Ort::ConstValue bias = context.GetInputCount() > bias_index ? context.GetInput(bias_index) : Ort::ConstValue(nullptr);
  const float* b = bias ? tensor_data(bias) : nullptr;
  const int64_t groups = weight_shape.size() == 3 ? weight_shape[0] : 1;
  if (bias) require_shape(bias, {groups * weight_shape.back()}, node, "B");
  if (programmed == nullptr) {
    const Ort::ConstValue weight = context.GetInput(1), out_scales = context.GetInput(2), alpha = context.GetInput(3);
    require_shape(weight, weight_shape, node, "W");
    require_shape(out_scales, scales_shape, node, "out_scales");
    require_shape(alpha, scales_shape, node, "alpha");
    return {tensor_data(weight), tensor_data(out_scales), tensor_data(alpha), b, nullptr};
  }
  const char* names[] = {"g_plus", "g_minus", "nu_plus", "nu_minus"};
  const float* devices[4];
  for (int d = 0; d < 4; ++d) {
    const Ort::ConstValue value = context.GetInput(2 + d);
    require_shape(value, weight_shape, node, names[d]);
    devices[d] = tensor_data(value);
  }
  const Ort::ConstValue g_scale = context.GetInput(6), out_scales = context.GetInput(7), baseline = context.GetInput(8);
  require_shape(g_scale, tile_shape, node, "conductance_scale");
  require_shape(out_scales, scales_shape, node, "out_scales");
  require_shape(baseline, scales_shape, node, "baseline");
  const ProgrammedInputs inputs{devices[0], devices[1], devices[2], devices[3], tensor_data(g_scale),
                                tensor_data(baseline), groups, weight_shape[weight_shape.size() - 2],
                                weight_shape.back()};
  auto drifted = programmed->at(read_t_inference(context.GetInput(1), node), inputs, gemm, parallel);
  return {drifted->weight.data(), tensor_data(out_scales), drifted->alpha.data(), b, drifted};
}

ProgrammedTiles::ProgrammedTiles(const Ort::ConstKernelInfo& info, const std::string& node,
                                 const analog::LayerConfig& config)
    : node_(node), config_(config) {
  pcm_ = choice_attribute(info, node, "device", {"pcm", "ideal"}) == "pcm";
  if (pcm_) {
    pcm_params_.g_max = positive_attribute(info, node, "g_max");
    pcm_params_.t_0 = positive_attribute(info, node, "t_0");
    pcm_params_.t_read = positive_attribute(info, node, "t_read");
    pcm_params_.read_noise_scale = non_negative_attribute(info, node, "read_noise_scale");
  }
  const std::string compensation = choice_attribute(info, node, "compensation", {"none", "global", "per_column"});
  compensation_ = compensation == "none"     ? Compensation::kNone
                  : compensation == "global" ? Compensation::kGlobal
                                             : Compensation::kPerColumn;
}

std::vector<float> ProgrammedTiles::readout(const float* weight, int64_t k, int64_t m, uint64_t key,
                                            const analog::Gemm& gemm, const analog::ParallelFor& parallel) const {
  // One-hot probes: each passes the DAC as one level, so its product is that level times a
  // weight row; every later step is element-wise (mvm.py's probe_outputs).
  const float one = 1.0f;
  float scale, level;
  analog::input_stage(&one, 1, 1, 1, config_.input, nullptr, &scale, &level, parallel);
  std::vector<float> y(static_cast<size_t>(k * m)), levels(static_cast<size_t>(k), level);
  for (int64_t e = 0; e < k * m; ++e) y[e] = weight[e] * level;
  std::vector<uint8_t> saturated(static_cast<size_t>(k));
  const int64_t count = analog::output_stage(y.data(), k, m, m, config_.input.step, levels.data(), 1, config_.output,
                                             key, 0, nullptr, nullptr, nullptr, 0, nullptr, 0, nullptr, saturated.data(),
                                             parallel);
  if (count > 0 && config_.bound_management.iterative) {  // the full MVM of the identity
    std::vector<float> identity(static_cast<size_t>(k * k), 0.0f), ones(static_cast<size_t>(m), 1.0f);
    for (int64_t r = 0; r < k; ++r) identity[r * k + r] = 1.0f;
    analog::LayerConfig tile = config_;
    tile.in_splits = {0, k};
    tile.out_splits = {0, m};
    tile.seed = key;
    analog::layer_mvm(analog::Vectors{identity.data(), k, nullptr, nullptr}, k, tile, weight, ones.data(),
                      ones.data(), nullptr, 0, 1, 0, gemm, parallel, y.data());
  }
  const bool per_column = compensation_ == Compensation::kPerColumn;
  std::vector<float> sums(static_cast<size_t>(per_column ? m : 1), 0.0f);
  for (int64_t r = 0; r < k; ++r)
    for (int64_t c = 0; c < m; ++c) sums[per_column ? c : 0] += std::fabs(y[r * m + c]);
  const float probes = static_cast<float>(per_column ? k : k * m);
  for (float& sum : sums) sum = std::max(sum / probes, kMinReadout);
  return sums;
}

std::shared_ptr<const DriftedTiles> ProgrammedTiles::at(double t_inference, const ProgrammedInputs& in,
                                                        const analog::Gemm& gemm, const analog::ParallelFor& parallel) {
  {
    std::lock_guard<std::mutex> lock(mutex_);
    if (cached_ && cached_->t_inference == t_inference && cached_->source == in.g_plus) return cached_;
  }
  auto state = std::make_shared<DriftedTiles>();
  state->t_inference = t_inference;
  state->source = in.g_plus;
  const auto& in_splits = config_.in_splits;
  const auto& out_splits = config_.out_splits;
  const int64_t tiles_in = static_cast<int64_t>(in_splits.size()) - 1;
  const int64_t tiles_out = static_cast<int64_t>(out_splits.size()) - 1;
  const int64_t matrix = in.in * in.out;
  state->weight.resize(static_cast<size_t>(in.groups * matrix));
  state->alpha.assign(static_cast<size_t>(in.groups * tiles_in * in.out), 1.0f);
  std::vector<float> block[5];
  for (int64_t g = 0; g < in.groups; ++g) {
    for (int64_t o = 0; o < tiles_out; ++o) {
      for (int64_t i = 0; i < tiles_in; ++i) {
        const int64_t k0 = in_splits[i], k = in_splits[i + 1] - k0, o0 = out_splits[o], m = out_splits[o + 1] - o0;
        const int64_t tile = (g * tiles_out + o) * tiles_in + i;
        // The tile's block of each [K, M] matrix, made contiguous.
        const float* sources[] = {in.g_plus, in.g_minus, in.nu_plus, in.nu_minus};
        for (int s = 0; s < 5; ++s) block[s].resize(static_cast<size_t>(k * m));
        for (int s = 0; s < 4; ++s)
          for (int64_t r = 0; r < k; ++r)
            std::memcpy(block[s].data() + r * m, sources[s] + g * matrix + (k0 + r) * in.out + o0, sizeof(float) * m);
        const float g_scale = in.conductance_scale[(g * tiles_in + i) * tiles_out + o];
        float* drifted = block[4].data();
        if (pcm_) {
          analog::pcm_drift(block[0].data(), block[1].data(), block[2].data(), block[3].data(), k * m, g_scale,
                            t_inference, pcm_params_, time_key(config_.seed, t_inference, tile, 0), drifted, parallel);
        } else {  // ideal devices keep their conductances
          for (int64_t e = 0; e < k * m; ++e) drifted[e] = (block[0][e] - block[1][e]) / g_scale;
        }
        for (int64_t r = 0; r < k; ++r)
          std::memcpy(state->weight.data() + g * matrix + (k0 + r) * in.out + o0, drifted + r * m, sizeof(float) * m);
        if (compensation_ != Compensation::kNone) {
          const auto current = readout(drifted, k, m, time_key(config_.seed, t_inference, tile, 1), gemm, parallel);
          float* alpha = state->alpha.data() + (g * tiles_in + i) * in.out + o0;
          const float* baseline = in.baseline + (g * tiles_in + i) * in.out + o0;
          for (int64_t c = 0; c < m; ++c) alpha[c] = baseline[c] / current[current.size() == 1 ? 0 : c];
        }
      }
    }
  }
  std::lock_guard<std::mutex> lock(mutex_);
  cached_ = state;
  return state;
}

}  // namespace analog_ops

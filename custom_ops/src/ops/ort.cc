#include "ort.h"

#include <algorithm>
#include <cmath>
#include <sstream>
#include <thread>
#include <type_traits>

namespace analog_ops {
namespace {

// The attribute `name` of type T, or an InvalidArgument saying it is missing (`kind` names T).
template <typename T>
T required(const Ort::ConstKernelInfo& info, const std::string& node, const char* name, const char* kind) {
  try {
    if constexpr (std::is_same_v<T, std::vector<int64_t>>) {
      return info.GetAttributes<int64_t>(name);
    } else {
      return info.GetAttribute<T>(name);
    }
  } catch (const Ort::Exception&) {
    throw InvalidArgument(node + ": missing " + kind + " attribute '" + name + "' (see docs/onnx_ops.md)");
  }
}

float checked(float value, bool valid, const std::string& node, const char* name, const char* range) {
  if (!valid || !std::isfinite(value)) {
    std::ostringstream text;
    text << node << ": attribute '" << name << "' is " << value << ", expected " << range;
    throw InvalidArgument(text.str());
  }
  return value;
}

std::vector<int64_t> splits_attribute(const Ort::ConstKernelInfo& info, const std::string& node, const char* name) {
  const std::vector<int64_t> splits = ints_attribute(info, node, name);
  bool valid = splits.size() >= 2 && splits[0] == 0;
  for (size_t i = 1; valid && i < splits.size(); ++i) valid = splits[i] > splits[i - 1];
  if (!valid) {
    throw InvalidArgument(node + ": attribute '" + name + "' must be tile boundaries 0 < b_1 < .. < size, got " +
                          shape_text(splits));
  }
  return splits;
}

}  // namespace

float positive_attribute(const Ort::ConstKernelInfo& info, const std::string& node, const char* name) {
  const float value = required<float>(info, node, name, "float");
  return checked(value, value > 0, node, name, "a finite value > 0");
}

float non_negative_attribute(const Ort::ConstKernelInfo& info, const std::string& node, const char* name) {
  const float value = required<float>(info, node, name, "float");
  return checked(value, value >= 0, node, name, "a finite value >= 0");
}

int64_t int_attribute(const Ort::ConstKernelInfo& info, const std::string& node, const char* name) {
  return required<int64_t>(info, node, name, "int");
}

std::vector<int64_t> ints_attribute(const Ort::ConstKernelInfo& info, const std::string& node, const char* name) {
  return required<std::vector<int64_t>>(info, node, name, "ints");
}

std::string choice_attribute(const Ort::ConstKernelInfo& info, const std::string& node, const char* name,
                             const std::vector<std::string>& allowed) {
  const std::string value = required<std::string>(info, node, name, "string");
  if (std::find(allowed.begin(), allowed.end(), value) == allowed.end()) {
    std::string options;
    for (const auto& option : allowed) options += (options.empty() ? "'" : ", '") + option + "'";
    throw InvalidArgument(node + ": attribute '" + name + "' is '" + value + "', expected one of " + options);
  }
  return value;
}

std::string describe_node(const Ort::ConstKernelInfo& info, const char* op_type) {
  std::string name;
  try {
    name = info.GetNodeName();
  } catch (const Ort::Exception&) {
  }
  return std::string(op_type) + " node '" + name + "'";
}

std::string shape_text(const std::vector<int64_t>& shape) {
  std::string text = "[";
  for (size_t i = 0; i < shape.size(); ++i) text += (i ? ", " : "") + std::to_string(shape[i]);
  return text + "]";
}

analog::LayerConfig read_layer_config(const Ort::ConstKernelInfo& info, const std::string& node) {
  analog::LayerConfig config;
  auto positive = [&](const char* name) { return positive_attribute(info, node, name); };
  auto non_negative = [&](const char* name) { return non_negative_attribute(info, node, name); };
  const int64_t quantize = int_attribute(info, node, "inp_quantize");
  if (quantize != 0 && quantize != 1) {
    throw InvalidArgument(node + ": attribute 'inp_quantize' is " + std::to_string(quantize) + ", expected 0 or 1");
  }
  config.input.step = positive("inp_step");
  config.input.level_bound = positive("inp_level_bound");
  config.input.quantize = quantize == 1;
  config.input.abs_max_scaling = choice_attribute(info, node, "noise_management", {"abs_max", "none"}) == "abs_max";
  config.output.out_noise = non_negative("out_noise");
  config.output.w_noise = non_negative("w_noise");
  config.output.out_bound = non_negative("out_bound");
  config.output.step = non_negative("out_step");
  config.output.inverse_step = non_negative("out_inverse_step");
  config.output.level_bound = non_negative("out_level_bound");
  if (config.output.step > 0 && (config.output.out_bound <= 0 || config.output.inverse_step <= 0 ||
                                 config.output.level_bound <= 0)) {
    throw InvalidArgument(node + ": an ADC step (out_step > 0) needs out_bound, out_inverse_step and "
                          "out_level_bound > 0");
  }
  constexpr float kMaxLevel = 1 << 22;  // rounding half to even is exact below 2^22 (fastmath.h)
  if ((config.input.quantize && config.input.level_bound >= kMaxLevel) ||
      (config.output.step > 0 && config.output.level_bound >= kMaxLevel)) {
    throw InvalidArgument(node + ": a quantizing DAC or ADC needs fewer than 2^22 levels per sign (inp_level_bound, "
                          "out_level_bound)");
  }
  config.bound_management.iterative =
      choice_attribute(info, node, "bound_management", {"iterative", "none"}) == "iterative";
  config.bound_management.limit = positive("bm_limit");
  config.in_splits = splits_attribute(info, node, "in_splits");
  config.out_splits = splits_attribute(info, node, "out_splits");
  config.seed = static_cast<uint64_t>(int_attribute(info, node, "seed"));
  return config;
}

const float* tensor_data(const Ort::ConstValue& value) {
  void* data = nullptr;
  Ort::ThrowOnError(Ort::GetApi().GetTensorMutableData(const_cast<OrtValue*>(static_cast<const OrtValue*>(value)), &data));
  return static_cast<const float*>(data);
}

void require_shape(const Ort::ConstValue& value, const std::vector<int64_t>& expected, const std::string& node,
                   const char* input) {
  const auto shape = value.GetTensorTypeAndShapeInfo().GetShape();
  if (shape != expected) {
    throw InvalidArgument(node + ": input '" + input + "' has shape " + shape_text(shape) + ", expected " +
                          shape_text(expected) + " (from the node's attributes and W)");
  }
}

void OrtParallelFor::run(int64_t n, int64_t cost, const analog::RangeBody& body) const {
  if (n <= 0) return;
  // glibc's hardware_concurrency() reads /sys on every call (tens of microseconds): ask once
  static const int64_t most = 4 * static_cast<int64_t>(std::max(1u, std::thread::hardware_concurrency()));
  const int64_t parts = std::min({n, most, std::max<int64_t>(1, n * cost / analog::kParallelThreshold)});
  if (parts <= 1) {
    body(0, n);
    return;
  }
  struct Job {
    const analog::RangeBody* body;
    int64_t n, parts;
  } job{&body, n, parts};
  context_.ParallelFor(
      [](void* data, size_t index) {
        const Job& j = *static_cast<const Job*>(data);
        const int64_t part = static_cast<int64_t>(index);
        (*j.body)(part * j.n / j.parts, (part + 1) * j.n / j.parts);
      },
      static_cast<size_t>(parts), 0, &job);
}

OrtMatMul::OrtMatMul(const OrtKernelInfo* info) {
  const char* type_names[] = {"T"};
  const ONNXTensorElementDataType types[] = {ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT};
  op_ = Ort::Op::Create(info, "MatMul", "", 13, type_names, types, 1, nullptr, 0, 2, 1);
  memory_ = Ort::MemoryInfo::CreateCpu(OrtDeviceAllocator, OrtMemTypeDefault);
}

analog::Gemm OrtMatMul::bind(const Ort::KernelContext& context) const {
  return [this, &context](const float* a, int64_t rows, int64_t k, const float* b, int64_t m, float* c) {
    if (rows == 0) return;
    const int64_t a_shape[] = {rows, k}, b_shape[] = {k, m}, c_shape[] = {rows, m};
    Ort::Value inputs[] = {
        Ort::Value::CreateTensor<float>(memory_, const_cast<float*>(a), static_cast<size_t>(rows * k), a_shape, 2),
        Ort::Value::CreateTensor<float>(memory_, const_cast<float*>(b), static_cast<size_t>(k * m), b_shape, 2)};
    Ort::Value outputs[] = {Ort::Value::CreateTensor<float>(memory_, c, static_cast<size_t>(rows * m), c_shape, 2)};
    const_cast<Ort::Op&>(op_).Invoke(context.GetOrtKernelContext(), inputs, 2, outputs, 1);
  };
}

}  // namespace analog_ops

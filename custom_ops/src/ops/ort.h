// What every op of the library shares: the onnxruntime API version it asks for, reading the
// analog periphery from node attributes, onnxruntime's thread pool and MatMul kernel as the
// kernels' ParallelFor and Gemm, and turning exceptions into onnxruntime error statuses.
#pragma once

#define ORT_API_MANUAL_INIT
#include <onnxruntime_cxx_api.h>
#undef ORT_API_MANUAL_INIT

#include <stdexcept>
#include <string>
#include <vector>

#include "layer_mvm.h"
#include "parallel.h"

namespace analog_ops {

// The oldest onnxruntime C API the library needs (1.17: KernelContext_ParallelFor); the library
// loads in any onnxruntime from that version on.
constexpr uint32_t kOrtApiVersion = 17;

// A node's invalid attribute or input: reported as ORT_INVALID_ARGUMENT.
class InvalidArgument : public std::invalid_argument {
 public:
  using std::invalid_argument::invalid_argument;
};

// Runs `body`, turning any exception into an onnxruntime error status (never into a crash).
template <typename Body>
OrtStatusPtr guarded(Body&& body) noexcept {
  try {
    body();
    return nullptr;
  } catch (const InvalidArgument& error) {
    return Ort::GetApi().CreateStatus(ORT_INVALID_ARGUMENT, error.what());
  } catch (const std::exception& error) {
    return Ort::GetApi().CreateStatus(ORT_FAIL, error.what());
  } catch (...) {
    return Ort::GetApi().CreateStatus(ORT_FAIL, "analog_deploy op: unknown error");
  }
}

// Required node attributes, validated; a missing or out-of-range one is an InvalidArgument that
// names the node (`node`), the attribute and what is expected.
float positive_attribute(const Ort::ConstKernelInfo& info, const std::string& node, const char* name);
float non_negative_attribute(const Ort::ConstKernelInfo& info, const std::string& node, const char* name);
int64_t int_attribute(const Ort::ConstKernelInfo& info, const std::string& node, const char* name);
std::vector<int64_t> ints_attribute(const Ort::ConstKernelInfo& info, const std::string& node, const char* name);
// A string attribute that must be one of `allowed`.
std::string choice_attribute(const Ort::ConstKernelInfo& info, const std::string& node, const char* name,
                             const std::vector<std::string>& allowed);

// The node's analog periphery and tile grid (docs/onnx_ops.md, "Attributes"), validated.
analog::LayerConfig read_layer_config(const Ort::ConstKernelInfo& info, const std::string& node);

// "Op 'name'" for error messages.
std::string describe_node(const Ort::ConstKernelInfo& info, const char* op_type);

// Shape as text, for error messages.
std::string shape_text(const std::vector<int64_t>& shape);

// The float data of an input. (Ort::ConstValue::GetTensorData calls an API function of
// onnxruntime 1.23; this uses GetTensorMutableData, which every version has.)
const float* tensor_data(const Ort::ConstValue& value);

// Fails with a message naming the node unless `value` has exactly the shape `expected`.
void require_shape(const Ort::ConstValue& value, const std::vector<int64_t>& expected, const std::string& node,
                   const char* input);

// The session's intra-op thread pool.
class OrtParallelFor final : public analog::ParallelFor {
 public:
  explicit OrtParallelFor(const Ort::KernelContext& context) : context_(context) {}
  void run(int64_t n, int64_t cost, const analog::RangeBody& body) const override;

 private:
  const Ort::KernelContext& context_;
};

// onnxruntime's own MatMul kernel, invoked from inside a custom op.
class OrtMatMul {
 public:
  explicit OrtMatMul(const OrtKernelInfo* info);
  // A Gemm for the kernels that runs MatMul within `context`.
  analog::Gemm bind(const Ort::KernelContext& context) const;

 private:
  Ort::Op op_{nullptr};
  Ort::MemoryInfo memory_{nullptr};
};

// An op of our domain: float tensors in and out, the last input (the bias) optional. `programmed`
// selects the time-parametric form of the kernel (programmed.h).
template <typename Kernel>
struct AnalogOp : Ort::CustomOpBase<AnalogOp<Kernel>, Kernel, true> {
  AnalogOp(const char* name, size_t inputs, bool programmed) : name_(name), inputs_(inputs), programmed_(programmed) {}
  OrtStatusPtr CreateKernelV2(const OrtApi&, const OrtKernelInfo* info, void** kernel) const {
    return guarded([&] { *kernel = new Kernel(info, programmed_); });
  }
  const char* GetName() const { return name_; }
  size_t GetInputTypeCount() const { return inputs_; }
  ONNXTensorElementDataType GetInputType(size_t) const { return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT; }
  OrtCustomOpInputOutputCharacteristic GetInputCharacteristic(size_t index) const {
    return index + 1 == inputs_ ? INPUT_OUTPUT_OPTIONAL : INPUT_OUTPUT_REQUIRED;
  }
  size_t GetOutputTypeCount() const { return 1; }
  ONNXTensorElementDataType GetOutputType(size_t) const { return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT; }
  OrtCustomOpInputOutputCharacteristic GetOutputCharacteristic(size_t) const { return INPUT_OUTPUT_REQUIRED; }

 private:
  const char* name_;
  size_t inputs_;
  bool programmed_;
};

}  // namespace analog_ops

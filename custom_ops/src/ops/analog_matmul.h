// AnalogMatMul (docs/onnx_ops.md): the analog layer of a linear layer, Y = analog(X @ W) + B.
#pragma once

#include <atomic>
#include <string>

#include "ort.h"

namespace analog_ops {

struct AnalogMatMulKernel {
  explicit AnalogMatMulKernel(const OrtKernelInfo* info);
  OrtStatusPtr ComputeV2(OrtKernelContext* context);

 private:
  void compute(const Ort::KernelContext& context);

  std::string node_;
  analog::LayerConfig config_;
  OrtMatMul matmul_;
  std::atomic<uint64_t> calls_{0};  // the noise stream of each run: concurrent runs never share one
};

struct AnalogMatMulOp : Ort::CustomOpBase<AnalogMatMulOp, AnalogMatMulKernel, true> {
  OrtStatusPtr CreateKernelV2(const OrtApi& api, const OrtKernelInfo* info, void** kernel) const;
  const char* GetName() const { return "AnalogMatMul"; }
  size_t GetInputTypeCount() const { return 5; }
  ONNXTensorElementDataType GetInputType(size_t) const { return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT; }
  OrtCustomOpInputOutputCharacteristic GetInputCharacteristic(size_t index) const {
    return index == 4 ? INPUT_OUTPUT_OPTIONAL : INPUT_OUTPUT_REQUIRED;
  }
  size_t GetOutputTypeCount() const { return 1; }
  ONNXTensorElementDataType GetOutputType(size_t) const { return ONNX_TENSOR_ELEMENT_DATA_TYPE_FLOAT; }
  OrtCustomOpInputOutputCharacteristic GetOutputCharacteristic(size_t) const { return INPUT_OUTPUT_REQUIRED; }
};

}  // namespace analog_ops

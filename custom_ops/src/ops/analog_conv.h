// AnalogConv (docs/onnx_ops.md): the analog layer of a 1-d, 2-d or 3-d convolution; every patch
// is one input vector of the analog MVM.
#pragma once

#include <atomic>
#include <string>
#include <vector>

#include "ort.h"

namespace analog_ops {

struct AnalogConvKernel {
  explicit AnalogConvKernel(const OrtKernelInfo* info);
  OrtStatusPtr ComputeV2(OrtKernelContext* context);

 private:
  void compute(const Ort::KernelContext& context);

  std::string node_;
  analog::LayerConfig config_;
  std::vector<int64_t> kernel_shape_, strides_, pads_, dilations_;
  int64_t group_;
  OrtMatMul matmul_;
  std::atomic<uint64_t> calls_{0};
};

struct AnalogConvOp : Ort::CustomOpBase<AnalogConvOp, AnalogConvKernel, true> {
  OrtStatusPtr CreateKernelV2(const OrtApi& api, const OrtKernelInfo* info, void** kernel) const;
  const char* GetName() const { return "AnalogConv"; }
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

// AnalogConv and ProgrammedAnalogConv (docs/onnx_ops.md): the analog layer of a 1-d, 2-d or 3-d
// convolution; every patch is one input vector of the analog MVM.
#pragma once

#include <atomic>
#include <memory>
#include <string>
#include <vector>

#include "blas.h"
#include "ort.h"
#include "programmed.h"

namespace analog_ops {

class AnalogConvKernel {
 public:
  AnalogConvKernel(const OrtKernelInfo* info, bool programmed);
  OrtStatusPtr ComputeV2(OrtKernelContext* context);

 private:
  void compute(const Ort::KernelContext& context);

  std::string node_;
  analog::LayerConfig config_;
  std::vector<int64_t> kernel_shape_, strides_, pads_, dilations_;
  int64_t group_;
  std::unique_ptr<ProgrammedTiles> programmed_;  // null: the drifted form
  OpGemm gemm_;
  std::atomic<uint64_t> calls_{0};
};

using AnalogConvOp = AnalogOp<AnalogConvKernel>;

}  // namespace analog_ops

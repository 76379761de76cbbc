// AnalogMatMul and ProgrammedAnalogMatMul (docs/onnx_ops.md): the analog layer of a linear
// layer, Y = analog(X @ W) + B, from drifted weights or from programmed devices at a time.
#pragma once

#include <atomic>
#include <memory>
#include <string>

#include "blas.h"
#include "ort.h"
#include "programmed.h"

namespace analog_ops {

class AnalogMatMulKernel {
 public:
  AnalogMatMulKernel(const OrtKernelInfo* info, bool programmed);
  OrtStatusPtr ComputeV2(OrtKernelContext* context);

 private:
  void compute(const Ort::KernelContext& context);

  std::string node_;
  analog::LayerConfig config_;
  std::unique_ptr<ProgrammedTiles> programmed_;  // null: the drifted form
  OpGemm gemm_;
  std::atomic<uint64_t> calls_{0};  // the noise stream of each run: concurrent runs never share one
};

using AnalogMatMulOp = AnalogOp<AnalogMatMulKernel>;

}  // namespace analog_ops

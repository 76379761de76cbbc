#include "analog_matmul.h"

namespace analog_ops {

AnalogMatMulKernel::AnalogMatMulKernel(const OrtKernelInfo* info, bool programmed)
    : node_(describe_node(Ort::ConstKernelInfo(info), programmed ? "ProgrammedAnalogMatMul" : "AnalogMatMul")),
      config_(read_layer_config(Ort::ConstKernelInfo(info), node_)),
      programmed_(programmed ? std::make_unique<ProgrammedTiles>(Ort::ConstKernelInfo(info), node_, config_) : nullptr),
      gemm_(info) {}

OrtStatusPtr AnalogMatMulKernel::ComputeV2(OrtKernelContext* context) {
  return guarded([&] { compute(Ort::KernelContext(context)); });
}

void AnalogMatMulKernel::compute(const Ort::KernelContext& context) {
  const int64_t in = config_.in_splits.back(), out = config_.out_splits.back();
  const int64_t tiles_in = static_cast<int64_t>(config_.in_splits.size()) - 1;
  const int64_t tiles_out = static_cast<int64_t>(config_.out_splits.size()) - 1;
  const Ort::ConstValue x = context.GetInput(0);
  auto shape = x.GetTensorTypeAndShapeInfo().GetShape();
  if (shape.empty() || shape.back() != in) {
    throw InvalidArgument(node_ + ": input 'X' has shape " + shape_text(shape) + ", expected [..., " +
                          std::to_string(in) + "] (the last dimension is the layer's in_features)");
  }
  const OrtParallelFor parallel(context);
  const analog::Gemm gemm = gemm_.bind(context);
  const LayerTensors layer =
      layer_tensors(context, programmed_.get(), node_, {in, out}, {tiles_in, out}, {tiles_in, tiles_out}, gemm, parallel);
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < shape.size(); ++d) rows *= shape[d];
  shape.back() = out;
  float* y = context.GetOutput(0, shape).GetTensorMutableData<float>();
  if (rows == 0) return;
  const float* x_data = tensor_data(x);
  if (!analog::layer_mvm(analog::Vectors{x_data, in, nullptr, nullptr}, rows, config_, layer.weight, layer.out_scales,
                         layer.alpha, layer.bias, 0, calls_.fetch_add(1), 0, gemm, parallel, y)) {
    throw InvalidArgument(node_ + ": input 'X' contains NaN or infinite values");
  }
}

}  // namespace analog_ops

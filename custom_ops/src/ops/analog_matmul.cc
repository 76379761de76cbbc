#include "analog_matmul.h"

namespace analog_ops {
namespace {

std::vector<int64_t> shape_of(const Ort::ConstValue& value) { return value.GetTensorTypeAndShapeInfo().GetShape(); }

// Fails unless `value` has exactly `expected` as its shape.
void require_shape(const Ort::ConstValue& value, const std::vector<int64_t>& expected, const std::string& node,
                   const char* input) {
  const auto shape = shape_of(value);
  if (shape != expected) {
    throw InvalidArgument(node + ": input '" + input + "' has shape " + shape_text(shape) + ", expected " +
                          shape_text(expected) + " (from the in_splits/out_splits attributes and W)");
  }
}

}  // namespace

AnalogMatMulKernel::AnalogMatMulKernel(const OrtKernelInfo* info)
    : node_(describe_node(Ort::ConstKernelInfo(info), "AnalogMatMul")),
      config_(read_layer_config(Ort::ConstKernelInfo(info), node_)),
      matmul_(info) {}

OrtStatusPtr AnalogMatMulOp::CreateKernelV2(const OrtApi&, const OrtKernelInfo* info, void** kernel) const {
  return guarded([&] { *kernel = new AnalogMatMulKernel(info); });
}

OrtStatusPtr AnalogMatMulKernel::ComputeV2(OrtKernelContext* context) {
  return guarded([&] { compute(Ort::KernelContext(context)); });
}

void AnalogMatMulKernel::compute(const Ort::KernelContext& context) {
  const int64_t in = config_.in_splits.back(), out = config_.out_splits.back();
  const int64_t tiles_in = static_cast<int64_t>(config_.in_splits.size()) - 1;
  const Ort::ConstValue x = context.GetInput(0), weight = context.GetInput(1);
  const Ort::ConstValue out_scales = context.GetInput(2), alpha = context.GetInput(3);
  const Ort::ConstValue bias = context.GetInputCount() > 4 ? context.GetInput(4) : Ort::ConstValue(nullptr);
  auto shape = shape_of(x);
  if (shape.empty() || shape.back() != in) {
    throw InvalidArgument(node_ + ": input 'X' has shape " + shape_text(shape) + ", expected [..., " +
                          std::to_string(in) + "] (the last dimension is the layer's in_features)");
  }
  require_shape(weight, {in, out}, node_, "W");
  require_shape(out_scales, {tiles_in, out}, node_, "out_scales");
  require_shape(alpha, {tiles_in, out}, node_, "alpha");
  if (bias) require_shape(bias, {out}, node_, "B");
  int64_t rows = 1;
  for (size_t d = 0; d + 1 < shape.size(); ++d) rows *= shape[d];
  shape.back() = out;
  float* y = context.GetOutput(0, shape).GetTensorMutableData<float>();
  if (rows == 0) return;
  const OrtParallelFor parallel(context);
  const float* x_data = x.GetTensorData<float>();
  require_finite(x_data, rows * in, node_, "X", parallel);
  const analog::Vectors vectors{x_data, in, nullptr, nullptr};
  analog::layer_mvm(vectors, rows, config_, weight.GetTensorData<float>(), out_scales.GetTensorData<float>(),
                    alpha.GetTensorData<float>(), 0, calls_.fetch_add(1), 0, matmul_.bind(context), parallel, y);
  if (bias) {
    const float* b = bias.GetTensorData<float>();
    parallel.run(rows, out, [&](int64_t begin, int64_t end) {
      for (int64_t r = begin; r < end; ++r)
        for (int64_t c = 0; c < out; ++c) y[r * out + c] += b[c];
    });
  }
}

}  // namespace analog_ops

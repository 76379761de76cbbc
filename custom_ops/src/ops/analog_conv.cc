#include "analog_conv.h"

#include <algorithm>

namespace analog_ops {
namespace {

constexpr int64_t kChunkElements = 1 << 21;  // patch values processed at once (as the torch path)

void require(bool condition, const std::string& message) {
  if (!condition) throw InvalidArgument(message);
}

bool all_at_least(const std::vector<int64_t>& values, int64_t least) {
  return std::all_of(values.begin(), values.end(), [&](int64_t v) { return v >= least; });
}

}  // namespace

AnalogConvKernel::AnalogConvKernel(const OrtKernelInfo* info, bool programmed)
    : node_(describe_node(Ort::ConstKernelInfo(info), programmed ? "ProgrammedAnalogConv" : "AnalogConv")),
      config_(read_layer_config(Ort::ConstKernelInfo(info), node_)),
      programmed_(programmed ? std::make_unique<ProgrammedTiles>(Ort::ConstKernelInfo(info), node_, config_) : nullptr),
      gemm_(info) {
  const Ort::ConstKernelInfo attributes(info);
  kernel_shape_ = ints_attribute(attributes, node_, "kernel_shape");
  strides_ = ints_attribute(attributes, node_, "strides");
  pads_ = ints_attribute(attributes, node_, "pads");
  dilations_ = ints_attribute(attributes, node_, "dilations");
  group_ = int_attribute(attributes, node_, "group");
  const size_t dims = kernel_shape_.size();
  require(dims >= 1 && dims <= 3, node_ + ": kernel_shape " + shape_text(kernel_shape_) + " must have 1 to 3 dimensions");
  require(strides_.size() == dims && dilations_.size() == dims && pads_.size() == 2 * dims,
          node_ + ": strides and dilations need " + std::to_string(dims) + " values and pads " +
              std::to_string(2 * dims) + " (begins, then ends), as kernel_shape " + shape_text(kernel_shape_));
  require(all_at_least(kernel_shape_, 1) && all_at_least(strides_, 1) && all_at_least(dilations_, 1) &&
              all_at_least(pads_, 0),
          node_ + ": kernel_shape, strides and dilations must be >= 1 and pads >= 0");
  require(group_ >= 1, node_ + ": group must be >= 1, got " + std::to_string(group_));
}

OrtStatusPtr AnalogConvKernel::ComputeV2(OrtKernelContext* context) {
  return guarded([&] { compute(Ort::KernelContext(context)); });
}

void AnalogConvKernel::compute(const Ort::KernelContext& context) {
  const int64_t dims = static_cast<int64_t>(kernel_shape_.size());
  const int64_t patch = config_.in_splits.back(), group_out = config_.out_splits.back();
  const int64_t tiles_in = static_cast<int64_t>(config_.in_splits.size()) - 1;
  const int64_t tiles_out = static_cast<int64_t>(config_.out_splits.size()) - 1;
  const Ort::ConstValue x = context.GetInput(0);
  const auto shape = x.GetTensorTypeAndShapeInfo().GetShape();
  if (static_cast<int64_t>(shape.size()) != dims + 2) {
    std::string expected = "[N, C";
    for (int64_t d = 1; d <= dims; ++d) expected += ", d" + std::to_string(d);
    throw InvalidArgument(node_ + ": input 'X' has shape " + shape_text(shape) + ", expected " + expected + "] (" +
                          std::to_string(dims) + " spatial dimensions, as kernel_shape " + shape_text(kernel_shape_) + ")");
  }
  int64_t kernel_volume = 1;
  for (int64_t k : kernel_shape_) kernel_volume *= k;
  const int64_t batch = shape[0], channels = shape[1], group_channels = patch / kernel_volume;
  require(patch % kernel_volume == 0 && channels == group_ * group_channels,
          node_ + ": input 'X' has " + std::to_string(channels) + " channels, the node expects " +
              std::to_string(group_ * (patch / kernel_volume)) + " (group " + std::to_string(group_) +
              " x in_splits total " + std::to_string(patch) + " / kernel volume " + std::to_string(kernel_volume) + ")");
  const int64_t out_channels = group_ * group_out;
  const OrtParallelFor parallel(context);
  const analog::Gemm gemm = gemm_.bind(context);
  const LayerTensors layer = layer_tensors(context, programmed_.get(), node_, {group_, patch, group_out},
                                           {group_, tiles_in, group_out}, {group_, tiles_in, tiles_out}, gemm, parallel);
  // Padded extent, output extent and row-major strides of one channel.
  std::vector<int64_t> padded(dims), out_shape{batch, out_channels}, plane_stride(dims);
  int64_t volume = 1, positions = 1;
  for (int64_t d = dims - 1; d >= 0; --d) {
    padded[d] = shape[2 + d] + pads_[d] + pads_[dims + d];
    plane_stride[d] = volume;
    volume *= padded[d];
  }
  for (int64_t d = 0; d < dims; ++d) {
    const int64_t span = dilations_[d] * (kernel_shape_[d] - 1) + 1;
    require(padded[d] >= span, node_ + ": input 'X' of shape " + shape_text(shape) +
                                   " is smaller than the dilated kernel in spatial dimension " + std::to_string(d));
    out_shape.push_back((padded[d] - span) / strides_[d] + 1);
    positions *= out_shape.back();
  }
  float* y = context.GetOutput(0, out_shape).GetTensorMutableData<float>();
  if (batch == 0) return;
  const float* x_data = tensor_data(x);
  int64_t input_volume = 1;
  for (int64_t d = 0; d < dims; ++d) input_volume *= shape[2 + d];

  // Zero padding, then patches read straight from the padded input (no patch matrix).
  std::vector<float> padded_x;
  const bool any_pad = std::any_of(pads_.begin(), pads_.end(), [](int64_t p) { return p > 0; });
  if (any_pad) {
    padded_x.assign(static_cast<size_t>(batch * channels * volume), 0.0f);
    const int64_t lines = batch * channels * (input_volume / shape[1 + dims]);  // rows of the last dimension
    parallel.run(lines, shape[1 + dims], [&](int64_t begin, int64_t end) {
      for (int64_t line = begin; line < end; ++line) {
        int64_t rest = line, source = line * shape[1 + dims], target = 0;
        for (int64_t d = dims - 2; d >= 0; --d) {  // position of this line in the unpadded leading dims
          const int64_t extent = shape[2 + d];
          target += (rest % extent + pads_[d]) * plane_stride[d];
          rest /= extent;
        }
        target += rest * volume + pads_[dims - 1];  // rest = n * C + c
        std::copy(x_data + source, x_data + source + shape[1 + dims], padded_x.data() + target);
      }
    });
  }
  const float* source = any_pad ? padded_x.data() : x_data;
  std::vector<int64_t> offsets{0};  // of patch element (c, k_1, .., k_d) from the patch origin
  offsets.reserve(static_cast<size_t>(patch));
  for (int64_t c = 1; c < group_channels; ++c) offsets.push_back(c * volume);
  for (int64_t d = 0; d < dims; ++d) {
    std::vector<int64_t> next;
    for (int64_t base : offsets)
      for (int64_t k = 0; k < kernel_shape_[d]; ++k) next.push_back(base + k * dilations_[d] * plane_stride[d]);
    offsets.swap(next);
  }
  // Position origins of one image (its first channel).
  std::vector<int64_t> position_origins{0};
  for (int64_t d = 0; d < dims; ++d) {
    std::vector<int64_t> next;
    for (int64_t base : position_origins)
      for (int64_t o = 0; o < out_shape[2 + d]; ++o) next.push_back(base + o * strides_[d] * plane_stride[d]);
    position_origins.swap(next);
  }
  const float *w = layer.weight, *scales = layer.out_scales, *gains = layer.alpha, *b = layer.bias;
  const uint64_t call = calls_.fetch_add(1);
  const int64_t tiles = tiles_in * tiles_out;
  // A few images per chunk (cache-sized), and at most kMaxChunks chunks (each needs its own noise stream).
  const int64_t images = std::max({int64_t{1}, kChunkElements / std::max<int64_t>(1, positions * patch * group_),
                                   (batch + analog::kMaxChunks - 1) / analog::kMaxChunks});
  std::vector<int64_t> origins;
  std::vector<float> part;
  int64_t chunk = 0;
  for (int64_t first = 0; first < batch; first += images, ++chunk) {
    const int64_t count = std::min(images, batch - first), rows = count * positions;
    part.resize(static_cast<size_t>(rows * group_out));
    origins.resize(static_cast<size_t>(rows));
    for (int64_t g = 0; g < group_; ++g) {
      for (int64_t n = 0; n < count; ++n)
        for (int64_t p = 0; p < positions; ++p)
          origins[n * positions + p] = ((first + n) * channels + g * group_channels) * volume + position_origins[p];
      const analog::Vectors vectors{source, 0, origins.data(), offsets.data()};
      if (!analog::layer_mvm(vectors, rows, config_, w + g * patch * group_out, scales + g * tiles_in * group_out,
                             gains + g * tiles_in * group_out, nullptr, g * tiles, call, chunk, gemm, parallel,
                             part.data())) {
        throw InvalidArgument(node_ + ": input 'X' contains NaN or infinite values");
      }
      // [rows = (n, position), channel] -> Y[n, g * group_out + channel, position], plus the bias
      parallel.run(count * group_out, positions, [&](int64_t begin, int64_t end) {
        for (int64_t item = begin; item < end; ++item) {
          const int64_t n = item / group_out, channel = item % group_out, out_channel = g * group_out + channel;
          float* target = y + ((first + n) * out_channels + out_channel) * positions;
          const float* from = part.data() + n * positions * group_out + channel;
          const float shift = b ? b[out_channel] : 0.0f;
          for (int64_t p = 0; p < positions; ++p) target[p] = from[p * group_out] + shift;
        }
      });
    }
  }
}

}  // namespace analog_ops

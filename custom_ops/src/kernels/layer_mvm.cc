#include "layer_mvm.h"

#include <algorithm>
#include <memory>
#include <numeric>

namespace analog {
namespace {

// Scratch memory, left uninitialized: every element is written before it is read.
template <typename T>
std::unique_ptr<T[]> scratch(int64_t n) {
  return std::unique_ptr<T[]>(new T[static_cast<size_t>(n)]);
}

// Steps 1-2 for columns [k0, k0 + k) of the vectors; returns the number of non-finite vectors.
int64_t input_columns(const Vectors& v, int64_t rows, int64_t k0, int64_t k, const InputParams& p,
                      const float* factor, float* scale, float* levels, const ParallelFor& parallel) {
  if (v.origins == nullptr) return input_stage(v.x + k0, rows, k, v.ld_x, p, factor, scale, levels, parallel);
  return gather_input_stage(v.x, v.origins, rows, v.offsets + k0, k, p, factor, scale, levels, parallel);
}

// The redo passes of step 6: pass(p, source, redo, factor, flags) runs pass p (1, 2, ..) on the
// saturated vectors, gathered as `source` (origins[j] of vector redo[j]), divided by factor[j],
// and sets their new saturation flags. A vector runs again while it saturated and its factor
// (from 1, doubled per pass) is <= limit; a float factor overflows to infinity (> any finite
// limit) after at most 128 doublings. Returns the number of passes.
using RedoPass = std::function<void(int pass, const Vectors& source, const std::vector<int64_t>& redo,
                                    const float* factor, uint8_t* flags)>;
int64_t redo_saturated(const Vectors& vectors, int64_t rows, int64_t width, double limit, uint8_t* saturated,
                       const RedoPass& run) {
  // Saturated vectors are read again by index: dense rows become gathered ones.
  std::vector<int64_t> dense_offsets;
  Vectors source = vectors;
  if (source.origins == nullptr) {
    dense_offsets.resize(static_cast<size_t>(width));
    std::iota(dense_offsets.begin(), dense_offsets.end(), int64_t{0});
    source.offsets = dense_offsets.data();
  }
  std::vector<float> factor(static_cast<size_t>(rows), 1.0f), redo_factor;
  std::vector<int64_t> redo, origins;
  std::vector<uint8_t> flags;
  int pass = 1;
  for (; pass < kMaxPasses; ++pass) {
    redo.clear();
    for (int64_t r = 0; r < rows; ++r) {
      if (saturated[r] && factor[r] <= limit) redo.push_back(r);
    }
    if (redo.empty()) break;
    origins.resize(redo.size());
    redo_factor.resize(redo.size());
    for (size_t j = 0; j < redo.size(); ++j) {
      factor[redo[j]] *= 2.0f;
      redo_factor[j] = factor[redo[j]];
      origins[j] = vectors.origins ? vectors.origins[redo[j]] : redo[j] * vectors.ld_x;
    }
    source.origins = origins.data();
    flags.resize(redo.size());
    run(pass, source, redo, redo_factor.data(), flags.data());
    std::fill(saturated, saturated + rows, uint8_t{0});
    for (size_t j = 0; j < redo.size(); ++j) saturated[redo[j]] = flags[j];
  }
  return pass - 1;
}

// One tile's share of the layer: its column block of `part` (the product of the vectors with the
// tile's input rows), after the output stage, which also adds the tiles before it (`addend`, the
// same columns of their running sum) and, for the last tile, the bias; bound management (step 6)
// re-runs saturated rows.
struct TileRun {
  const Vectors& vectors;
  int64_t rows;
  const LayerConfig& config;
  const float* weight;  // [in, out], rows k0.. of this input tile
  int64_t out, k0, k, o0, o1;
  const float* out_scales;  // this tile's columns
  const float* alpha;
  const float* addend;      // [rows, out] (ld out) at this tile's columns, or null
  const float* bias;        // this tile's columns, or null
  uint64_t key, call;
  int64_t chunk;
  const Gemm& gemm;
  const ParallelFor& parallel;

  int64_t output(float* y, int64_t n, const float* levels, const float* row_scale, int pass, const float* sum,
                 int64_t ld_sum, uint8_t* saturated) const {
    return output_stage(y + o0, n, o1 - o0, out, config.input.step, levels, k, config.output, key,
                        noise_stream(call, chunk, pass), row_scale, out_scales, alpha, o1 - o0, sum, ld_sum, bias,
                        saturated, parallel);
  }

  void bound_management(float* part, uint8_t* saturated) const {
    const int64_t width = o1 - o0;
    std::vector<float> scale, levels, y, redo_addend;
    redo_saturated(vectors, rows, k0 + k, config.bound_management.limit, saturated,
                   [&](int pass, const Vectors& source, const std::vector<int64_t>& redo, const float* factor,
                       uint8_t* flags) {
      const int64_t n = static_cast<int64_t>(redo.size());
      scale.resize(redo.size());
      levels.resize(static_cast<size_t>(n * k));
      input_columns(source, n, k0, k, config.input, factor, scale.data(), levels.data(), parallel);
      y.resize(static_cast<size_t>(n * out));
      gemm(levels.data(), n, k, weight, out, y.data());
      for (int64_t j = 0; j < n; ++j) scale[j] *= factor[j];  // step 7 undoes both scalings
      if (addend) {
        redo_addend.resize(static_cast<size_t>(n * width));
        for (int64_t j = 0; j < n; ++j)
          std::copy(addend + redo[j] * out, addend + redo[j] * out + width, redo_addend.data() + j * width);
      }
      output(y.data(), n, levels.data(), scale.data(), pass, addend ? redo_addend.data() : nullptr, width, flags);
      for (int64_t j = 0; j < n; ++j)
        std::copy(y.data() + j * out + o0, y.data() + j * out + o1, part + redo[j] * out + o0);
    });
  }
};

}  // namespace

uint64_t tile_key(uint64_t seed, int64_t tile) {
  uint64_t z = seed + 0x9E3779B97F4A7C15ull * static_cast<uint64_t>(tile + 1);
  z = (z ^ (z >> 30)) * 0xBF58476D1CE4E5B9ull;
  z = (z ^ (z >> 27)) * 0x94D049BB133111EBull;
  return (z ^ (z >> 31)) >> 1;
}

uint64_t noise_stream(uint64_t call, int64_t chunk, int pass) {
  return (call << 24) | (static_cast<uint64_t>(chunk) << 8) | static_cast<uint64_t>(pass);
}

namespace {

// tile_forward's steps 1-5 and 7 (its first pass, or a redo with factor[r] for row r).
int64_t tile_pass(const Vectors& vectors, int64_t rows, int64_t cols, int64_t out, const InputParams& input,
                  const OutputParams& output, const float* factor, uint64_t key, uint64_t stream,
                  const float* col_scale, const float* alpha, int64_t alpha_count, const float* addend,
                  const float* bias, const TileGemm& gemm, float* y, uint8_t* saturated, const ParallelFor& parallel) {
  const auto scale = scratch<float>(rows);
  const auto levels = scratch<float>(rows * cols);
  input_columns(vectors, rows, 0, cols, input, factor, scale.get(), levels.get(), parallel);
  gemm(levels.get(), rows, y);
  if (factor) {
    for (int64_t r = 0; r < rows; ++r) scale[r] *= factor[r];  // step 7 undoes both scalings
  }
  return output_stage(y, rows, out, out, input.step, levels.get(), cols, output, key, stream, scale.get(), col_scale,
                      alpha, alpha_count, addend, out, bias, saturated, parallel);
}

}  // namespace

int64_t tile_forward(const Vectors& vectors, int64_t rows, int64_t cols, int64_t out, const InputParams& input,
                     const OutputParams& output, float bm_limit, uint64_t key, uint64_t* calls,
                     const float* col_scale, const float* alpha, int64_t alpha_count, const float* addend,
                     const float* bias, const TileGemm& gemm, float* y, const ParallelFor& parallel) {
  const auto next_stream = [calls] { return __atomic_fetch_add(calls, uint64_t{1}, __ATOMIC_RELAXED); };
  std::vector<uint8_t> saturated(static_cast<size_t>(rows));
  if (tile_pass(vectors, rows, cols, out, input, output, nullptr, key, next_stream(), col_scale, alpha, alpha_count,
                addend, bias, gemm, y, saturated.data(), parallel) == 0) {
    return 0;
  }
  std::vector<float> redo_addend, redo_y;
  return redo_saturated(vectors, rows, cols, bm_limit, saturated.data(),
                        [&](int /*pass*/, const Vectors& source, const std::vector<int64_t>& redo, const float* factor,
                            uint8_t* flags) {
    const int64_t n = static_cast<int64_t>(redo.size());
    if (addend) {
      redo_addend.resize(static_cast<size_t>(n * out));
      for (int64_t j = 0; j < n; ++j)
        std::copy(addend + redo[j] * out, addend + (redo[j] + 1) * out, redo_addend.data() + j * out);
    }
    redo_y.resize(static_cast<size_t>(n * out));
    tile_pass(source, n, cols, out, input, output, factor, key, next_stream(), col_scale,
              alpha, alpha_count, addend ? redo_addend.data() : nullptr, bias, gemm, redo_y.data(), flags, parallel);
    for (int64_t j = 0; j < n; ++j) std::copy(redo_y.data() + j * out, redo_y.data() + (j + 1) * out, y + redo[j] * out);
  });
}

bool layer_mvm(const Vectors& vectors, int64_t rows, const LayerConfig& config, const float* weight,
               const float* out_scales, const float* alpha, const float* bias, int64_t tile_offset, uint64_t call,
               int64_t chunk, const Gemm& gemm, const ParallelFor& parallel, float* y) {
  const auto& in_splits = config.in_splits;
  const auto& out_splits = config.out_splits;
  const int64_t tiles_in = static_cast<int64_t>(in_splits.size()) - 1;
  const int64_t tiles_out = static_cast<int64_t>(out_splits.size()) - 1;
  const int64_t out = out_splits.back();
  const auto scale = scratch<float>(rows);
  const auto saturated = scratch<uint8_t>(rows);
  int64_t widest = 0;
  for (int64_t i = 0; i < tiles_in; ++i) widest = std::max(widest, in_splits[i + 1] - in_splits[i]);
  const auto levels = scratch<float>(rows * widest);
  const auto part = scratch<float>(tiles_in > 1 ? rows * out : 0);
  for (int64_t i = 0; i < tiles_in; ++i) {
    const int64_t k0 = in_splits[i], k = in_splits[i + 1] - k0;
    if (input_columns(vectors, rows, k0, k, config.input, nullptr, scale.get(), levels.get(), parallel) > 0) {
      return false;  // steps 1-2
    }
    // The input tiles' outputs alternate between y and part, so that the last lands in y; each
    // adds the running sum in the other buffer (the digital periphery sums tiles that share
    // outputs, in tile order), and the last one adds the bias.
    float* target = (tiles_in - 1 - i) % 2 == 0 ? y : part.get();
    const float* sum = i == 0 ? nullptr : (target == y ? part.get() : y);
    gemm(levels.get(), rows, k, weight + k0 * out, out, target);  // step 3
    const float* tile_bias = i == tiles_in - 1 ? bias : nullptr;
    for (int64_t o = 0; o < tiles_out; ++o) {
      const int64_t o0 = out_splits[o], o1 = out_splits[o + 1];
      const TileRun tile{vectors, rows, config, weight + k0 * out, out, k0, k, o0, o1, out_scales + i * out + o0,
                         alpha + i * out + o0, sum ? sum + o0 : nullptr, tile_bias ? tile_bias + o0 : nullptr,
                         tile_key(config.seed, tile_offset + o * tiles_in + i), call, chunk, gemm, parallel};
      const int64_t count =
          tile.output(target, rows, levels.get(), scale.get(), 0, tile.addend, out, saturated.get());  // 4-5, 7
      if (count > 0 && config.bound_management.iterative) tile.bound_management(target, saturated.get());  // 6
    }
  }
  return true;
}

}  // namespace analog

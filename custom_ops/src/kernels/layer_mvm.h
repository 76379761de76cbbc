// The analog MVM of a whole layer (docs/analog_mvm.md and docs/onnx_ops.md): the weight matrix
// cut into tiles, each tile's MVM with per-vector noise and bound management, the digital
// periphery summing tiles that share outputs. It mirrors analog_deploy.tiles (array.py and
// mvm.py's kernel path) step by step. The GEMM comes from the host (onnxruntime's MatMul).
#pragma once

#include <cstdint>
#include <functional>
#include <vector>

#include "mvm.h"
#include "parallel.h"

namespace analog {

struct BoundManagement {
  bool iterative;  // re-run saturated vectors with their input halved (else: none)
  double limit;    // the input division factor may still be doubled while factor <= limit
};

// One layer's periphery and tile grid (a node's attributes).
struct LayerConfig {
  InputParams input;
  OutputParams output;
  BoundManagement bound_management;
  std::vector<int64_t> in_splits;   // tile boundaries along the inputs: 0 = s_0 < .. < s_T = in
  std::vector<int64_t> out_splits;  // tile boundaries along the outputs: 0 = .. = out
  uint64_t seed;                    // the node's noise seed
};

// The input vectors: dense rows (row r at x + r * ld_x), or gathered (element j of vector r at
// x[origins[r] + offsets[j]]) when origins is not null.
struct Vectors {
  const float* x;
  int64_t ld_x;
  const int64_t* origins;
  const int64_t* offsets;
};

// c[rows, m] = a[rows, k] @ b[k, m] (row-major, b's rows m apart).
using Gemm = std::function<void(const float* a, int64_t rows, int64_t k, const float* b, int64_t m, float* c)>;

// The 63-bit ARS key of tile `tile` of a node with noise seed `seed` (splitmix64 finalizer).
uint64_t tile_key(uint64_t seed, int64_t tile);

// ARS stream of bound-management pass `pass` (< kMaxPasses) of chunk `chunk` (< kMaxChunks) of
// call `call` (< 2^40).
constexpr int64_t kMaxChunks = 1 << 16;
constexpr int kMaxPasses = 1 << 8;
uint64_t noise_stream(uint64_t call, int64_t chunk, int pass);

// One tile's MVM with the host's GEMM (the torch path's analog_deploy.kernels.tile_forward):
// steps 1-2 for `rows` vectors of `cols` values; y[n, out] = levels[n, cols] @ W^T by
// `gemm(levels, n, y)`; output_stage's steps 4-5 and 7 and digital sums (addend, bias; see
// mvm.h); then step 6 as analog_deploy.tiles.mvm runs it: while some rows saturated and their
// input division factor (from 1) is <= bm_limit, those rows run again, in ascending order, with
// their factor doubled. Each pass draws the noise of the stream it takes from the counter
// `calls` (an atomic fetch-and-increment): consecutive streams from *calls on when the tile runs
// alone, and never the same stream twice when several threads run it at once. Returns the
// number of redo passes. Non-finite vectors give NaN rows.
using TileGemm = std::function<void(const float* levels, int64_t rows, float* y)>;
int64_t tile_forward(const Vectors& vectors, int64_t rows, int64_t cols, int64_t out, const InputParams& input,
                     const OutputParams& output, float bm_limit, uint64_t key, uint64_t* calls,
                     const float* col_scale, const float* alpha, int64_t alpha_count, const float* addend,
                     const float* bias, const TileGemm& gemm, float* y, const ParallelFor& parallel);

// y[rows, out] = the analog product of the vectors with weight [in, out] (tile-unit values,
// transposed: the layout MatMul takes), plus bias [out] if not null. Tile (i, o) uses rows
// in_splits[i].. of weight and columns out_splits[o]..; out_scales and alpha are [T_in, out]
// (each tile's digital output scales and drift-compensation gain over its columns). Tile (i, o)
// draws its noise from key tile_key(seed, tile_offset + o * T_in + i). y must not alias the
// inputs. Returns false, leaving y undefined, if a vector holds a NaN or infinite value.
bool layer_mvm(const Vectors& vectors, int64_t rows, const LayerConfig& config, const float* weight,
               const float* out_scales, const float* alpha, const float* bias, int64_t tile_offset, uint64_t call,
               int64_t chunk, const Gemm& gemm, const ParallelFor& parallel, float* y);

}  // namespace analog

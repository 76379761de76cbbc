// The element-wise stages of the analog MVM (docs/analog_mvm.md), on raw row-major buffers.
// The GEMM between them is not ours: callers use their framework's tuned matmul.
#pragma once

#include <cstdint>

#include "parallel.h"

namespace analog {

// The periphery as the float32 numbers the computation uses. They are derived from the IO
// parameters in double precision and rounded to float once (input_params, output_params), as
// the torch reference does; the onnxruntime ops receive them as node attributes.
struct InputParams {
  float step;            // DAC step (1 when the DAC does not quantize): inp_res * 2 * inp_bound
  float level_bound;     // largest |level|: inp_bound / step (inp_bound without quantization)
  bool quantize;         // round to integer levels (inp_res > 0)
  bool abs_max_scaling;  // noise management ABS_MAX (else NONE)
};

struct OutputParams {
  float out_noise;     // std of the additive output noise
  float w_noise;       // per-forward weight noise, output-referred: std w_noise * ||x_dac||_2
  float out_bound;     // ADC range; 0 = no clipping
  float step;          // ADC step out_res * 2 * out_bound; 0 = no quantization
  float inverse_step;  // 1 / step, rounded once
  float level_bound;   // largest |level|: out_bound / step
};

InputParams input_params(double inp_bound, double inp_res, bool abs_max_scaling);
OutputParams output_params(double out_noise, double w_noise, double out_bound, double out_res);

// Steps 1-2 for `rows` vectors of `cols` values (row r starts at x + r * ld_x):
// scale[r] = max|x_r| (ABS_MAX; 1 without noise management; 0 for an all-zero row), then
// levels = round(clamp(x * (1 / (scale * factor[r] * step)), +-inp_bound / step)), the integer
// DAC levels (the reciprocal rounded to float; clipped first, then rounded half to even;
// unrounded without quantization). factor may be null (= 1). Returns the number of vectors that
// hold a NaN or infinite value (their levels are NaN).
int64_t input_stage(const float* x, int64_t rows, int64_t cols, int64_t ld_x, const InputParams& p,
                 const float* factor, float* scale, float* levels, const ParallelFor& parallel);

// input_stage for vectors gathered from x: element j of vector r is x[origins[r] + offsets[j]]
// (`cols` offsets). Convolutions use it to read patches straight from their (padded) input,
// without materializing the patch matrix.
int64_t gather_input_stage(const float* x, const int64_t* origins, int64_t rows, const int64_t* offsets,
                        int64_t cols, const InputParams& p, const float* factor, float* scale,
                        float* levels, const ParallelFor& parallel);

// Steps 4-5 (and 7) in place on y = levels @ W^T (row r of `cols` values at y + r * ld_y): y = y * step,
// plus Gaussian noise (ARS (key, stream); row r, column block b of 32 uses counters
// (r * blocks + b) * 8 ..), then the
// ADC; then, if row_scale is not null, step 7: y[r, c] = y[r, c] * row_scale[r] * gain[c], with
// gain[c] = col_scale[c] * alpha[c] (alpha_count = cols) or col_scale[c] * alpha[0] (alpha_count = 1);
// then the digital periphery's sums, each a float add in this order: if addend is not null (the
// outputs of the tiles before this one, row r at addend + r * ld_addend),
// y[r, c] = addend[r, c] + y[r, c]; if bias is not null, y[r, c] += bias[c]. Fusing them here
// saves a pass over the outputs per tile. addend may alias neither y nor levels.
// saturated[r] = 1 if a quantized value of row r lies beyond out_bound; returns the number of
// saturated rows. levels (with levels_cols columns) is only read for w_noise > 0.
int64_t output_stage(float* y, int64_t rows, int64_t cols, int64_t ld_y, float step, const float* levels,
                     int64_t levels_cols, const OutputParams& p, uint64_t key, uint64_t stream,
                     const float* row_scale, const float* col_scale, const float* alpha, int64_t alpha_count,
                     const float* addend, int64_t ld_addend, const float* bias, uint8_t* saturated,
                     const ParallelFor& parallel);

// n standard normals of (key, stream), in blocks of 32 (see normal_block).
void fill_normal(float* out, int64_t n, uint64_t key, uint64_t stream, const ParallelFor& parallel);

}  // namespace analog

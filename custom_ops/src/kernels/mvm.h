// The element-wise stages of the analog MVM (docs/analog_mvm.md), on raw row-major buffers.
// The GEMM between them is not ours: callers use their framework's tuned matmul.
#pragma once

#include <cstdint>

namespace analog {

// Parameters arrive in double precision (as configured); steps and bounds are derived in double
// and rounded to float once, exactly as the torch reference does.
struct InputParams {
  double inp_bound;     // DAC range [-inp_bound, inp_bound]
  double inp_res;       // DAC step as a fraction of 2 * inp_bound; 0 = no quantization
  bool abs_max_scaling; // noise management ABS_MAX (else NONE)
};

struct OutputParams {
  double out_noise;  // std of the additive output noise
  double w_noise;    // per-forward weight noise, output-referred: std w_noise * ||x_dac||_2
  double out_bound;  // ADC range; 0 = no clipping
  double out_res;    // ADC step as a fraction of 2 * out_bound; 0 = no quantization
};

// DAC step of the input levels (1 when the DAC does not quantize).
float input_step(const InputParams& p);

// Steps 1-2 for `rows` vectors of `cols` values (row r starts at x + r * ld_x):
// scale[r] = max|x_r| (ABS_MAX; 1 without noise management; 0 for an all-zero row), then
// levels = round(clamp(x * (1 / (scale * factor[r] * step)), +-inp_bound / step)), the integer
// DAC levels (the reciprocal rounded to float; clipped first, then rounded half to even;
// unrounded when inp_res = 0). factor may be null (= 1).
void input_stage(const float* x, int64_t rows, int64_t cols, int64_t ld_x, const InputParams& p,
                 const float* factor, float* scale, float* levels, int threads);

// input_stage for vectors gathered from x: element j of vector r is x[origins[r] + offsets[j]]
// (`cols` offsets). Convolutions use it to read patches straight from their (padded) input,
// without materializing the patch matrix.
void gather_input_stage(const float* x, const int64_t* origins, int64_t rows, const int64_t* offsets,
                        int64_t cols, const InputParams& p, const float* factor, float* scale,
                        float* levels, int threads);

// Steps 4-5 (and 7) in place on y = levels @ W^T: y = y * step, plus Gaussian noise (ARS
// (key, stream); row r, column block b of 32 uses counters (r * blocks + b) * 8 ..), then the
// ADC; then, if row_scale is not null, step 7: y[r, c] = y[r, c] * row_scale[r] * gain[c], with
// gain[c] = col_scale[c] * alpha[c] (alpha_count = cols) or col_scale[c] * alpha[0] (alpha_count = 1).
// saturated[r] = 1 if a quantized value of row r lies beyond out_bound; returns the number of
// saturated rows. levels (with levels_cols columns) is only read for w_noise > 0.
int64_t output_stage(float* y, int64_t rows, int64_t cols, float step, const float* levels,
                     int64_t levels_cols, const OutputParams& p, uint64_t key, uint64_t stream,
                     const float* row_scale, const float* col_scale, const float* alpha, int64_t alpha_count,
                     uint8_t* saturated, int threads);

// n standard normals of (key, stream), in blocks of 32 (see normal_block).
void fill_normal(float* out, int64_t n, uint64_t key, uint64_t stream, int threads);

}  // namespace analog

// The C ABI of the kernels, for Python (ctypes) and any other host: plain pointers and sizes,
// no state kept between calls.
#pragma once

#include <cstdint>

extern "C" {

// One tile as ad_tile_forward takes it: its weights, digital periphery, IO parameters (the
// IOParameters fields of docs/analog_mvm.md) and noise stream. It changes only when the tile
// is programmed, drifted or re-configured, so a host builds it once per tile state and keeps
// it, and each call passes a single pointer instead of two dozen arguments.
struct AdTile {
  const float* weight;      // [out, cols], row-major
  int64_t out;
  const float* col_scale;   // [out] digital output scales
  const float* alpha;       // [alpha_count] drift-compensation gain: one value or one per column
  int64_t alpha_count;
  double inp_bound, inp_res;
  int64_t abs_max_scaling;  // noise management ABS_MAX (else none)
  double out_noise, w_noise, out_bound, out_res;
  float bm_limit;           // iterative bound management while factor <= bm_limit (-inf: none)
  void* sgemm;              // the host BLAS's Fortran sgemm
  uint64_t* noise;          // {ARS key, calls}: each pass of a call draws stream calls, incremented
                            // atomically (see analog::tile_forward)
};

int ad_kernels_abi_version();
void ad_fill_normal(float* out, int64_t n, uint64_t key, uint64_t stream, int threads);
void ad_input_stage(const float* x, int64_t rows, int64_t cols, int64_t ld_x, double inp_bound, double inp_res,
                    int abs_max_scaling, const float* factor, float* scale, float* levels, int threads);
void ad_gather_input_stage(const float* x, const int64_t* origins, int64_t rows, const int64_t* offsets, int64_t cols,
                           double inp_bound, double inp_res, int abs_max_scaling, const float* factor, float* scale,
                           float* levels, int threads);
int64_t ad_output_stage(float* y, int64_t rows, int64_t cols, float step, const float* levels, int64_t levels_cols,
                        double out_noise, double w_noise, double out_bound, double out_res, uint64_t key,
                        uint64_t stream, const float* row_scale, const float* col_scale, const float* alpha,
                        int64_t alpha_count, const float* addend, const float* bias, uint8_t* saturated, int threads);

// analog::tile_forward of `tile` for dense rows (origins null: row r at x + r * ld_x) or gathered
// vectors, with the tile's sgemm as the GEMM. Returns the number of bound-management passes, or
// -1 (doing nothing, the noise stream untouched) when a size exceeds the Fortran BLAS's 32-bit
// integers.
int64_t ad_tile_forward(const AdTile* tile, const float* x, int64_t ld_x, const int64_t* origins,
                        const int64_t* offsets, int64_t rows, int64_t cols, const float* addend, const float* bias,
                        float* y, int threads);

void ad_pcm_program(const float* weight, int64_t n, float conductance_scale, float g_max, const float* prog_coeff,
                    int prog_coeff_count, float prog_std_scale, float drift_scale, uint64_t key, float* g_plus,
                    float* g_minus, float* nu_plus, float* nu_minus, float* programmed_weight, int threads);
void ad_pcm_drift(const float* g_plus, const float* g_minus, const float* nu_plus, const float* nu_minus, int64_t n,
                  float conductance_scale, double t_inference, float g_max, float t_0, float t_read,
                  float read_noise_scale, uint64_t key, float* weight, int threads);
}

// The C ABI of the kernels (c_api.h).
#include <climits>
#include <cstdint>

#include "c_api.h"
#include "layer_mvm.h"
#include "mvm.h"
#include "pcm.h"

#define AD_EXPORT extern "C" __attribute__((visibility("default")))

AD_EXPORT int ad_kernels_abi_version() { return 10; }

AD_EXPORT void ad_fill_normal(float* out, int64_t n, uint64_t key, uint64_t stream, int threads) {
  analog::fill_normal(out, n, key, stream, analog::OpenMpFor(threads));
}

AD_EXPORT void ad_input_stage(const float* x, int64_t rows, int64_t cols, int64_t ld_x, double inp_bound,
                              double inp_res, int abs_max_scaling, const float* factor, float* scale,
                              float* levels, int threads) {
  const analog::InputParams p = analog::input_params(inp_bound, inp_res, abs_max_scaling != 0);
  analog::input_stage(x, rows, cols, ld_x, p, factor, scale, levels, analog::OpenMpFor(threads));
}

AD_EXPORT void ad_gather_input_stage(const float* x, const int64_t* origins, int64_t rows, const int64_t* offsets,
                                     int64_t cols, double inp_bound, double inp_res, int abs_max_scaling,
                                     const float* factor, float* scale, float* levels, int threads) {
  const analog::InputParams p = analog::input_params(inp_bound, inp_res, abs_max_scaling != 0);
  analog::gather_input_stage(x, origins, rows, offsets, cols, p, factor, scale, levels, analog::OpenMpFor(threads));
}

AD_EXPORT int64_t ad_output_stage(float* y, int64_t rows, int64_t cols, float step, const float* levels,
                                  int64_t levels_cols, double out_noise, double w_noise, double out_bound,
                                  double out_res, uint64_t key, uint64_t stream, const float* row_scale,
                                  const float* col_scale, const float* alpha, int64_t alpha_count,
                                  const float* addend, const float* bias, uint8_t* saturated, int threads) {
  const analog::OutputParams p = analog::output_params(out_noise, w_noise, out_bound, out_res);
  return analog::output_stage(y, rows, cols, cols, step, levels, levels_cols, p, key, stream, row_scale, col_scale, alpha,
                              alpha_count, addend, cols, bias, saturated, analog::OpenMpFor(threads));
}

// The Fortran BLAS sgemm (column-major, arguments by reference), as the host's BLAS exports it.
using FortranSgemm = void (*)(const char* transa, const char* transb, const int* m, const int* n, const int* k,
                              const float* alpha, const float* a, const int* lda, const float* b, const int* ldb,
                              const float* beta, float* c, const int* ldc);

AD_EXPORT int64_t ad_tile_forward(const AdTile* tile, const float* x, int64_t ld_x, const int64_t* origins,
                                  const int64_t* offsets, int64_t rows, int64_t cols, const float* addend,
                                  const float* bias, float* y, int threads) {
  if (rows > INT_MAX || cols > INT_MAX || tile->out > INT_MAX) return -1;
  const int m = static_cast<int>(tile->out), k = static_cast<int>(cols);
  const auto gemm_function = reinterpret_cast<FortranSgemm>(tile->sgemm);
  const float* weight = tile->weight;
  // Column-major, y^T [out, n] = W [out, cols] (stored as its transpose) times levels^T.
  const auto gemm = [&](const float* levels, int64_t n, float* product) {
    const float one = 1.0f, zero = 0.0f;
    const int columns = static_cast<int>(n);
    gemm_function("T", "N", &m, &columns, &k, &one, weight, &k, levels, &k, &zero, product, &m);
  };
  return analog::tile_forward(analog::Vectors{x, ld_x, origins, offsets}, rows, cols, tile->out,
                              analog::input_params(tile->inp_bound, tile->inp_res, tile->abs_max_scaling != 0),
                              analog::output_params(tile->out_noise, tile->w_noise, tile->out_bound, tile->out_res),
                              tile->bm_limit, tile->noise[0], &tile->noise[1], tile->col_scale, tile->alpha,
                              tile->alpha_count, addend, bias, gemm, y, analog::OpenMpFor(threads));
}

AD_EXPORT void ad_pcm_program(const float* weight, int64_t n, float conductance_scale, float g_max,
                              const float* prog_coeff, int prog_coeff_count, float prog_std_scale,
                              float drift_scale, uint64_t key, float* g_plus, float* g_minus,
                              float* nu_plus, float* nu_minus, float* programmed_weight, int threads) {
  if (prog_coeff_count < 1 || prog_coeff_count > analog::kMaxProgCoeff) return;  // the caller validates
  const analog::PcmParams p{g_max, prog_coeff, prog_coeff_count, prog_std_scale, drift_scale, 0, 0, 0};
  analog::pcm_program(weight, n, conductance_scale, p, key, g_plus, g_minus, nu_plus, nu_minus,
                      programmed_weight, analog::OpenMpFor(threads));
}

AD_EXPORT void ad_pcm_drift(const float* g_plus, const float* g_minus, const float* nu_plus,
                            const float* nu_minus, int64_t n, float conductance_scale, double t_inference,
                            float g_max, float t_0, float t_read, float read_noise_scale, uint64_t key,
                            float* weight, int threads) {
  const analog::PcmParams p{g_max, nullptr, 0, 0, 0, t_0, t_read, read_noise_scale};
  analog::pcm_drift(g_plus, g_minus, nu_plus, nu_minus, n, conductance_scale, t_inference, p, key, weight, analog::OpenMpFor(threads));
}

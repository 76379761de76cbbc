#include "im2col.h"

#include "fastmath.h"

namespace analog {

AD_MULTIVERSION void im2col(const float* x, int64_t n, int64_t channels, const int64_t size[3],
                            const int64_t kernel[3], const int64_t stride[3], const int64_t dilation[3],
                            const int64_t out[3], float* patches, int threads) {
  const int64_t positions = out[0] * out[1] * out[2];
  const int64_t rows = n * positions;
  const int64_t cols = channels * kernel[0] * kernel[1] * kernel[2];
  const int64_t plane = size[1] * size[2];
#pragma omp parallel for num_threads(threads) schedule(static) if (rows * cols >= (1 << 14))
  for (int64_t row = 0; row < rows; ++row) {
    const int64_t image = row / positions;
    int64_t rest = row % positions;
    const int64_t o0 = rest / (out[1] * out[2]);
    rest %= out[1] * out[2];
    const int64_t o1 = rest / out[2], o2 = rest % out[2];
    float* dst = patches + row * cols;
    for (int64_t c = 0; c < channels; ++c) {
      const float* volume = x + (image * channels + c) * size[0] * plane;
      for (int64_t k0 = 0; k0 < kernel[0]; ++k0) {
        const float* slice = volume + (o0 * stride[0] + k0 * dilation[0]) * plane;
        for (int64_t k1 = 0; k1 < kernel[1]; ++k1) {
          const float* line = slice + (o1 * stride[1] + k1 * dilation[1]) * size[2] + o2 * stride[2];
          for (int64_t k2 = 0; k2 < kernel[2]; ++k2) *dst++ = line[k2 * dilation[2]];
        }
      }
    }
  }
}

}  // namespace analog

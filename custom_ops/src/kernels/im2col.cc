#include "im2col.h"

#include "fastmath.h"

namespace analog {

// Work goes by output line (fixed image, o0, o1): its out[2] patch rows (a few tens of KB)
// stay in cache while every (channel, kernel offset) column is gathered from one input line.
AD_MULTIVERSION void im2col(const float* x, int64_t n, int64_t channels, const int64_t size[3],
                            const int64_t kernel[3], const int64_t stride[3], const int64_t dilation[3],
                            const int64_t out[3], float* patches, int threads) {
  const int64_t lines = n * out[0] * out[1];
  const int64_t cols = channels * kernel[0] * kernel[1] * kernel[2];
  const int64_t plane = size[1] * size[2];
#pragma omp parallel for num_threads(threads) schedule(static) if (lines * out[2] * cols >= (1 << 14))
  for (int64_t line = 0; line < lines; ++line) {
    const int64_t image = line / (out[0] * out[1]);
    const int64_t o0 = (line / out[1]) % out[0];
    const int64_t o1 = line % out[1];
    float* block = patches + line * out[2] * cols;
    int64_t col = 0;
    for (int64_t c = 0; c < channels; ++c) {
      const float* volume = x + (image * channels + c) * size[0] * plane;
      for (int64_t k0 = 0; k0 < kernel[0]; ++k0) {
        const float* slice = volume + (o0 * stride[0] + k0 * dilation[0]) * plane;
        for (int64_t k1 = 0; k1 < kernel[1]; ++k1) {
          const float* source = slice + (o1 * stride[1] + k1 * dilation[1]) * size[2];
          for (int64_t k2 = 0; k2 < kernel[2]; ++k2, ++col) {
            const float* start = source + k2 * dilation[2];
            for (int64_t o2 = 0; o2 < out[2]; ++o2) block[o2 * cols + col] = start[o2 * stride[2]];
          }
        }
      }
    }
  }
}

}  // namespace analog

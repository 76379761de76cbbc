// The input vectors of an analog convolution: one row per output position, one column per
// (channel, kernel offset), ordered like weight.reshape(out, -1).
#pragma once

#include <cstdint>

namespace analog {

// x is a contiguous, already padded [N, C, D, H, W] input (1-d and 2-d convolutions pass
// size-1 leading spatial dims). Row (n, od, oh, ow) of `patches` holds
// x[n, c, od*s0 + kd*d0, oh*s1 + kh*d1, ow*s2 + kw*d2] at column ((c*k0 + kd)*k1 + kh)*k2 + kw.
void im2col(const float* x, int64_t n, int64_t channels, const int64_t size[3], const int64_t kernel[3],
            const int64_t stride[3], const int64_t dilation[3], const int64_t out[3], float* patches,
            int threads);

}  // namespace analog

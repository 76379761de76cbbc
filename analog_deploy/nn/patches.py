"""N-d im2col: the input vectors an analog convolution feeds to its tiles, one per patch."""

from __future__ import annotations

import math

from torch import Tensor

from .. import kernels


def extract_patches(
    x: Tensor, kernel_size: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]
) -> tuple[Tensor, tuple[int, ...]]:
    """Patches of an already padded ``[N, C, *spatial]`` input as ``[N * L, C * prod(kernel)]``
    rows (ordered like ``weight.reshape(out, -1)``: channel, then kernel positions), and the
    output's spatial shape (L is its product). Float32 CPU inputs without gradient use the C++
    im2col kernel (one gather pass); this torch version is the reference."""
    if kernels.applicable(x):
        return kernels.im2col(x, kernel_size, stride, dilation)
    dims = len(kernel_size)
    patches = x
    for dim in range(dims):
        span = dilation[dim] * (kernel_size[dim] - 1) + 1
        patches = patches.unfold(2 + dim, span, stride[dim])
    if any(d > 1 for d in dilation):
        patches = patches[(...,) + tuple(slice(None, None, d) for d in dilation)]
    # [N, C, *out, *kernel] -> [N, *out, C, *kernel]
    out_shape = tuple(patches.shape[2 : 2 + dims])
    order = (0, *range(2, 2 + dims), 1, *range(2 + dims, 2 + 2 * dims))
    rows = x.shape[0] * math.prod(out_shape)
    return patches.permute(order).reshape(rows, -1), out_shape

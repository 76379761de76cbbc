"""N-d im2col: the input vectors an analog convolution feeds to its tiles, one per patch."""

from __future__ import annotations

import math

import torch
from torch import Tensor

from .. import kernels


def extract_patches(
    x: Tensor, kernel_size: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]
) -> tuple[Tensor, tuple[int, ...]]:
    """Patches of an already padded ``[N, C, *spatial]`` input as ``[N * L, C * prod(kernel)]``
    rows (ordered like ``weight.reshape(out, -1)``: channel, then kernel positions), and the
    output's spatial shape (L is its product)."""
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


def output_shape(
    spatial: tuple[int, ...], kernel_size: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...]
) -> tuple[int, ...]:
    """Spatial shape of a convolution's output for an already padded input."""
    return tuple((s - d * (k - 1) - 1) // st + 1 for s, k, st, d in zip(spatial, kernel_size, stride, dilation))


def gathered_patches(
    x: Tensor, kernel_size: tuple[int, ...], stride: tuple[int, ...], dilation: tuple[int, ...], groups: int
) -> tuple[list[kernels.GatheredVectors], tuple[int, ...]]:
    """The patches of ``extract_patches``, one ``GatheredVectors`` per group, described by flat
    offsets into the padded input instead of copied: the C++ input stage reads them directly."""
    x = x.contiguous()
    batch, channels, *spatial = x.shape
    out_shape = output_shape(tuple(spatial), kernel_size, stride, dilation)
    strides = [math.prod(spatial[dim + 1 :]) for dim in range(len(spatial))]  # of one channel
    volume = math.prod(spatial)
    # origin of patch (n, o_1, .., o_d): n * C * volume + sum_i o_i * stride_i * strides_i
    origins = torch.arange(batch, dtype=torch.int64) * (channels * volume)
    for size, step, dim_stride in zip(out_shape, stride, strides):
        origins = (origins[..., None] + torch.arange(size, dtype=torch.int64) * (step * dim_stride))
    origins = origins.reshape(-1)
    # offset of column (c, k_1, .., k_d) within a group: c * volume + sum_i k_i * dilation_i * strides_i
    per_group = channels // groups
    offsets = torch.arange(per_group, dtype=torch.int64) * volume
    for size, dil, dim_stride in zip(kernel_size, dilation, strides):
        offsets = (offsets[..., None] + torch.arange(size, dtype=torch.int64) * (dil * dim_stride))
    offsets = offsets.reshape(-1)
    groups_vectors = [
        kernels.GatheredVectors(x, origins + g * per_group * volume, offsets) for g in range(groups)
    ]
    return groups_vectors, out_shape

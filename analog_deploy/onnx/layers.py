"""The export form of each analog layer: a module that holds what its ONNX node needs
(tile-unit weights, output scales, compensation gains, bias) and calls the export op.

``EXPORTERS`` is the one dispatch table from analog layer class to export form."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..nn.base import AnalogModuleBase
from ..nn.conv import AnalogConvNd
from ..nn.linear import AnalogLinear
from ..tiles.tile import AnalogTile
from . import ops
from .periphery import periphery_attributes

_PAD_MODE = {"reflect": "reflect", "replicate": "replicate", "circular": "circular"}


def _splits(ranges: Sequence[tuple[int, int]]) -> list[int]:
    starts = sorted({start for start, _ in ranges})
    return [*starts, max(stop for _, stop in ranges)]


@torch.no_grad()
def _group_tensors(
    layer: AnalogModuleBase, tiles: Sequence[AnalogTile], row_offset: int
) -> tuple[Tensor, Tensor, Tensor, list[int], list[int]]:
    """One group's ``W [K, M]``, ``out_scales`` and ``alpha`` ``[T_in, M]`` and splits, from its
    tiles as they compute now: programmed (and drifted) conductances in eval mode, the live
    targets otherwise."""
    in_splits = _splits([tile.in_range for tile in tiles])
    out_splits = [value - row_offset for value in _splits([tile.out_range for tile in tiles])]
    weight_matrix = layer.weight_matrix()
    weight = weight_matrix.new_empty(in_splits[-1], out_splits[-1])
    out_scales = weight_matrix.new_empty(len(in_splits) - 1, out_splits[-1])
    alpha = torch.ones_like(out_scales)
    for tile in tiles:
        row = in_splits.index(tile.in_range[0])
        columns = slice(tile.out_range[0] - row_offset, tile.out_range[1] - row_offset)
        if tile.is_programmed and not layer.training:
            block, scales = tile.analog_weight, tile.out_scales
            alpha[row, columns] = tile.alpha
        else:
            block, scales = tile.tile_weight(weight_matrix)
        weight[tile.in_range[0] : tile.in_range[1], columns] = block.T
        out_scales[row, columns] = scales
    return weight, out_scales, alpha, in_splits, out_splits


class ExportedMatMul(nn.Module):
    """``AnalogLinear`` as one ``AnalogMatMul`` node."""

    def __init__(self, layer: AnalogLinear, seed: int) -> None:
        super().__init__()
        weight, out_scales, alpha, in_splits, out_splits = _group_tensors(layer, layer._tile_groups[0], 0)
        self.register_buffer("weight", weight)
        self.register_buffer("out_scales", out_scales)
        self.register_buffer("alpha", alpha)
        self.register_buffer("bias", None if layer.bias is None else layer.bias.detach().clone())
        periphery = periphery_attributes(layer.rpu_config.forward)
        self.attributes = [*(periphery[name] for name in ops.PERIPHERY), in_splits, out_splits, seed]

    def forward(self, x: Tensor) -> Tensor:
        return ops.analog_matmul(x, self.weight, self.out_scales, self.alpha, self.bias, *self.attributes)


class ExportedConv(nn.Module):
    """``AnalogConv1d/2d/3d`` as one ``AnalogConv`` node (plus a standard ``Pad`` node for the
    reflect, replicate and circular padding modes)."""

    def __init__(self, layer: AnalogConvNd, seed: int) -> None:
        super().__init__()
        groups = layer._tile_groups
        out_per_group = layer.out_channels // layer.groups
        per_group = [_group_tensors(layer, tiles, g * out_per_group) for g, tiles in enumerate(groups)]
        self.register_buffer("weight", torch.stack([group[0] for group in per_group]))
        self.register_buffer("out_scales", torch.stack([group[1] for group in per_group]))
        self.register_buffer("alpha", torch.stack([group[2] for group in per_group]))
        self.register_buffer("bias", None if layer.bias is None else layer.bias.detach().clone())
        dims = layer.dims
        # torch's padding list runs from the last dimension back, (begin, end) pairs
        reversed_pairs = layer._pad
        begins = [reversed_pairs[2 * (dims - 1 - d)] for d in range(dims)]
        ends = [reversed_pairs[2 * (dims - 1 - d) + 1] for d in range(dims)]
        self.pad_mode = _PAD_MODE.get(layer.padding_mode)
        self.torch_pad = list(reversed_pairs) if self.pad_mode and any(reversed_pairs) else None
        pads = [0] * (2 * dims) if self.torch_pad else [*begins, *ends]
        periphery = periphery_attributes(layer.rpu_config.forward)
        self.attributes = [
            *(periphery[name] for name in ops.PERIPHERY), per_group[0][3], per_group[0][4], seed,
            list(layer.kernel_size), list(layer.stride), pads, list(layer.dilation), layer.groups,
        ]

    def forward(self, x: Tensor) -> Tensor:
        if self.torch_pad is not None:
            x = F.pad(x, self.torch_pad, mode=self.pad_mode)
        return ops.analog_conv(x, self.weight, self.out_scales, self.alpha, self.bias, *self.attributes)


EXPORTERS: dict[type[AnalogModuleBase], Callable[[AnalogModuleBase, int], nn.Module]] = {
    AnalogLinear: ExportedMatMul,
    AnalogConvNd: ExportedConv,
}
"""Analog layer class -> its export form (subclasses match their closest registered base)."""


def export_form(layer: AnalogModuleBase, seed: int) -> nn.Module:
    """The export module of ``layer`` (its node's noise seed is ``seed``)."""
    for cls in type(layer).__mro__:
        if cls in EXPORTERS:
            return EXPORTERS[cls](layer, seed)
    raise TypeError(
        f"no ONNX export for {type(layer).__name__}: add it to analog_deploy.onnx.layers.EXPORTERS"
    )

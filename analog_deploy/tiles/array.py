"""Splitting a layer's weight matrix into tiles, and the digital periphery that sums them."""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import Tensor

from ..config.mapping import MappingParameter
from ..kernels import GatheredVectors
from .tile import AnalogTile


def split_ranges(size: int, max_size: int) -> list[tuple[int, int]]:
    """Cut ``range(size)`` into the fewest pieces of at most ``max_size``, balanced in size
    (so no tile is left nearly empty, which would waste its ADC range)."""
    count = math.ceil(size / max_size)
    bounds = [round(index * size / count) for index in range(count + 1)]
    return list(zip(bounds[:-1], bounds[1:]))


def tile_grid(
    out_size: int, in_size: int, mapping: MappingParameter
) -> list[tuple[tuple[int, int], tuple[int, int]]]:
    """``(out_range, in_range)`` of every tile of an ``[out_size, in_size]`` matrix, row-major."""
    return [
        (out_range, in_range)
        for out_range in split_ranges(out_size, mapping.max_output_size)
        for in_range in split_ranges(in_size, mapping.max_input_size)
    ]


def _columns(x: Tensor | GatheredVectors, start: int, stop: int) -> Tensor | GatheredVectors:
    return x.columns(start, stop) if isinstance(x, GatheredVectors) else x[:, start:stop]


def tiled_mvm(
    tiles: Sequence[AnalogTile],
    x: Tensor | GatheredVectors,
    weight: Tensor,
    use_programmed: bool,
    bias: Tensor | None = None,
) -> Tensor:
    """``x @ weight.T + bias`` over a grid of tiles: every tile runs its own analog MVM on its
    slice of the input vectors; the digital periphery sums tiles that share outputs in tile
    order and adds the bias last, ``((y_0 + y_1) + ...) + bias``, each tile adding its output
    to the sum so far (fused into its output stage on the kernel path). (Tiles are run through
    ``forward`` directly: module hooks on tiles are not supported, and ``__call__`` would cost
    more than a small tile's element-wise work.)"""
    if len(tiles) == 1:  # the common case, without slicing (each slice costs microseconds)
        tile = tiles[0]
        if bias is not None and tile.out_range != (0, bias.shape[0]):  # a convolution group's rows
            bias = bias[tile.out_range[0] : tile.out_range[1]]
        return tile.forward(x, weight, use_programmed, None, bias)
    last = {tile.out_range: tile for tile in tiles}  # the last tile of each output range
    rows: dict[tuple[int, int], Tensor] = {}
    for tile in tiles:
        start, stop = tile.out_range
        tile_bias = bias[start:stop] if bias is not None and last[tile.out_range] is tile else None
        part = _columns(x, *tile.in_range)
        rows[tile.out_range] = tile.forward(part, weight, use_programmed, rows.get(tile.out_range), tile_bias)
    if len(rows) == 1:
        return rows.popitem()[1]
    return torch.cat([rows[key] for key in sorted(rows)], dim=1)

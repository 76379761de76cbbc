"""The export form of each analog layer: a module that holds what its ONNX node needs and calls
the export op. Drifted form: the tiles' weights as they compute now. Programmed form (time-
parametric export): the programmed devices, read at the model's ``t_inference`` input.

``EXPORTERS`` is the one dispatch table from analog layer class to export form."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from ..config.compensation import PerColumnDriftCompensation
from ..config.noise import PCMLikeNoiseModel
from ..config.rpu_config import InferenceRPUConfig
from ..nn.base import AnalogModuleBase
from ..nn.conv import AnalogConvNd
from ..nn.linear import AnalogLinear
from ..tiles.tile import AnalogTile
from . import ops
from .periphery import periphery_attributes

_PAD_MODE = {"reflect": "reflect", "replicate": "replicate", "circular": "circular"}


class Clock:
    """Holds the traced ``t_inference`` input while a time-parametric model is exported; the
    programmed export forms pass it to their nodes."""

    t: Tensor | None = None


def _splits(ranges: Sequence[tuple[int, int]]) -> list[int]:
    starts = sorted({start for start, _ in ranges})
    return [*starts, max(stop for _, stop in ranges)]


def _grid(tiles: Sequence[AnalogTile], row_offset: int) -> tuple[list[int], list[int]]:
    """in_splits and out_splits of one group's tiles."""
    return _splits([t.in_range for t in tiles]), [v - row_offset for v in _splits([t.out_range for t in tiles])]


@torch.no_grad()
def _drifted_tensors(layer: AnalogModuleBase, tiles: Sequence[AnalogTile], row_offset: int) -> list[Tensor]:
    """One group's ``W [K, M]``, ``out_scales`` and ``alpha`` ``[T_in, M]`` as its tiles compute
    now: programmed (and drifted) conductances in eval mode, the live targets otherwise."""
    in_splits, out_splits = _grid(tiles, row_offset)
    matrix = layer.weight_matrix()
    weight = matrix.new_empty(in_splits[-1], out_splits[-1])
    out_scales = matrix.new_empty(len(in_splits) - 1, out_splits[-1])
    alpha = torch.ones_like(out_scales)
    for tile in tiles:
        row, columns = in_splits.index(tile.in_range[0]), slice(tile.out_range[0] - row_offset, tile.out_range[1] - row_offset)
        if tile.is_programmed:
            block, scales = tile.analog_weight, tile.out_scales
            alpha[row, columns] = tile.alpha
        else:
            block, scales = tile.tile_weight(matrix)
        weight[tile.in_range[0] : tile.in_range[1], columns] = block.T
        out_scales[row, columns] = scales
    return [weight, out_scales, alpha]


@torch.no_grad()
def _programmed_tensors(layer: AnalogModuleBase, tiles: Sequence[AnalogTile], row_offset: int) -> list[Tensor]:
    """One group's programmed devices: ``g_plus, g_minus, nu_plus, nu_minus [K, M]``,
    ``conductance_scale [T_in, T_out]``, ``out_scales`` and ``baseline [T_in, M]``."""
    in_splits, out_splits = _grid(tiles, row_offset)
    matrix = layer.weight_matrix()
    devices = [matrix.new_empty(in_splits[-1], out_splits[-1]) for _ in range(4)]
    conductance_scale = matrix.new_empty(len(in_splits) - 1, len(out_splits) - 1)
    out_scales = matrix.new_empty(len(in_splits) - 1, out_splits[-1])
    baseline = torch.ones_like(out_scales)
    for tile in tiles:
        row, columns = in_splits.index(tile.in_range[0]), slice(tile.out_range[0] - row_offset, tile.out_range[1] - row_offset)
        for target, source in zip(devices, (tile.g_plus, tile.g_minus, tile.nu_plus, tile.nu_minus)):
            target[tile.in_range[0] : tile.in_range[1], columns] = source.T
        conductance_scale[row, out_splits.index(columns.start)] = tile.conductance_scale
        out_scales[row, columns] = tile.out_scales
        if tile.baseline is not None:
            baseline[row, columns] = tile.baseline
    return [*devices, conductance_scale, out_scales, baseline]


def _device_attributes(config: InferenceRPUConfig) -> dict[str, object]:
    model, compensation = config.noise_model, config.drift_compensation
    attributes: dict[str, object] = {"device": "ideal", "g_max": 1.0, "t_0": 1.0, "t_read": 1.0, "read_noise_scale": 0.0}
    if isinstance(model, PCMLikeNoiseModel):
        attributes = {"device": "pcm", "g_max": model.g_max, "t_0": model.t_0, "t_read": model.t_read,
                      "read_noise_scale": model.read_noise_scale}
    if compensation is None:
        attributes["compensation"] = "none"
    else:
        attributes["compensation"] = "per_column" if isinstance(compensation, PerColumnDriftCompensation) else "global"
    return attributes


class ExportedLayer(nn.Module):
    """One analog layer as one node of our domain (plus a standard ``Pad`` node for the
    reflect, replicate and circular padding modes of convolutions)."""

    def __init__(
        self,
        op_type: str,
        tensors: dict[str, Tensor],
        bias: Tensor | None,
        attributes: dict[str, object],
        clock: Clock | None,
        torch_pad: tuple[list[int], str] | None = None,
    ) -> None:
        super().__init__()
        self.op_type = op_type
        self.names = list(tensors)
        for name, tensor in tensors.items():
            self.register_buffer(name, tensor)
        self.register_buffer("bias", None if bias is None else bias.detach().clone())
        self.attributes = attributes
        self.clock = clock
        self.torch_pad = torch_pad

    def forward(self, x: Tensor) -> Tensor:
        if self.torch_pad is not None:
            x = F.pad(x, self.torch_pad[0], mode=self.torch_pad[1])
        time = [] if self.clock is None else [self.clock.t]
        tensors = [x, *time, *(getattr(self, name) for name in self.names)]
        return ops.call(self.op_type, tensors, self.bias, self.attributes)


def _layer_tensors(layer: AnalogModuleBase, clock: Clock | None) -> dict[str, Tensor]:
    """The node's tensor inputs, stacked over groups for convolutions."""
    programmed = clock is not None
    names = ops.PROGRAMMED_INPUTS[2:] if programmed else ops.DRIFTED_INPUTS[1:]
    collect = _programmed_tensors if programmed else _drifted_tensors
    out_per_group = layer.weight.shape[0] // len(layer._tile_groups)
    groups = [collect(layer, tiles, g * out_per_group) for g, tiles in enumerate(layer._tile_groups)]
    if isinstance(layer, AnalogLinear):
        return dict(zip(names, groups[0]))
    return {name: torch.stack([group[i] for group in groups]) for i, name in enumerate(names)}


def programmed_tensors(layer: AnalogModuleBase) -> dict[str, Tensor]:
    """The programmed form's tensor inputs of ``layer`` (its devices as programmed now)."""
    return _layer_tensors(layer, Clock())


def _attributes(layer: AnalogModuleBase, seed: int, clock: Clock | None) -> dict[str, object]:
    in_splits, out_splits = _grid(layer._tile_groups[0], 0)
    attributes = {**periphery_attributes(layer.rpu_config.forward), "in_splits": in_splits, "out_splits": out_splits,
                  "seed": seed}
    return attributes if clock is None else {**attributes, **_device_attributes(layer.rpu_config)}


def export_linear(layer: AnalogLinear, seed: int, clock: Clock | None) -> ExportedLayer:
    op_type = "AnalogMatMul" if clock is None else "ProgrammedAnalogMatMul"
    return ExportedLayer(op_type, _layer_tensors(layer, clock), layer.bias, _attributes(layer, seed, clock), clock)


def export_conv(layer: AnalogConvNd, seed: int, clock: Clock | None) -> ExportedLayer:
    dims, pairs = layer.dims, layer._pad  # torch's padding runs from the last dimension back, (begin, end) pairs
    mode = _PAD_MODE.get(layer.padding_mode)
    torch_pad = (list(pairs), mode) if mode and any(pairs) else None
    pads = [pairs[2 * (dims - 1 - d)] for d in range(dims)] + [pairs[2 * (dims - 1 - d) + 1] for d in range(dims)]
    conv = {"kernel_shape": list(layer.kernel_size), "strides": list(layer.stride),
            "pads": [0] * (2 * dims) if torch_pad else pads, "dilations": list(layer.dilation), "group": layer.groups}
    op_type = "AnalogConv" if clock is None else "ProgrammedAnalogConv"
    attributes = {**_attributes(layer, seed, clock), **conv}
    return ExportedLayer(op_type, _layer_tensors(layer, clock), layer.bias, attributes, clock, torch_pad)


EXPORTERS: dict[type[AnalogModuleBase], Callable[[AnalogModuleBase, int, Clock | None], nn.Module]] = {
    AnalogLinear: export_linear,
    AnalogConvNd: export_conv,
}
"""Analog layer class -> its export form (subclasses match their closest registered base)."""


def export_form(layer: AnalogModuleBase, seed: int, clock: Clock | None = None) -> nn.Module:
    """The export module of ``layer`` (its node's noise seed is ``seed``; with ``clock``, the
    programmed form reading the clock's time)."""
    for cls in type(layer).__mro__:
        if cls in EXPORTERS:
            return EXPORTERS[cls](layer, seed, clock)
    raise TypeError(f"no ONNX export for {type(layer).__name__}: add it to analog_deploy.onnx.layers.EXPORTERS")

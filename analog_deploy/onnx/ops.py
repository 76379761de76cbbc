"""The analog ops on both sides of the export: torch custom ops that stand for a whole analog
layer in the traced graph, and the onnxscript functions that write them as nodes of our domain.

The torch ops only exist to be exported: ``torch.export`` traces them through their fake
(shape) implementation, and calling them eagerly raises, since the analog layers themselves are
the torch implementation.
"""

from __future__ import annotations

from typing import Optional

import onnxscript
import torch
from torch import Tensor

from . import schemas
from .domain import DOMAIN, OPSET_VERSION

_OPSET = onnxscript.values.Opset(DOMAIN, OPSET_VERSION)

PERIPHERY = (
    "inp_step", "inp_level_bound", "inp_quantize", "noise_management", "out_noise", "w_noise", "out_bound",
    "out_step", "out_inverse_step", "out_level_bound", "bound_management", "bm_limit",
)
"""The periphery attributes, in the order the torch ops take them."""
GRID = ("in_splits", "out_splits", "seed")
CONV = ("kernel_shape", "strides", "pads", "dilations", "group")


def _export_only(*_: object) -> Tensor:
    raise RuntimeError(
        "analog_deploy's ONNX ops only exist inside torch.onnx.export; run the analog layers for torch inference"
    )


@torch.library.custom_op("analog_deploy::analog_matmul", mutates_args=())
def analog_matmul(
    x: Tensor, weight: Tensor, out_scales: Tensor, alpha: Tensor, bias: Optional[Tensor],
    inp_step: float, inp_level_bound: float, inp_quantize: int, noise_management: str, out_noise: float,
    w_noise: float, out_bound: float, out_step: float, out_inverse_step: float, out_level_bound: float,
    bound_management: str, bm_limit: float, in_splits: list[int], out_splits: list[int], seed: int,
) -> Tensor:
    return _export_only()


@analog_matmul.register_fake
def _(x: Tensor, weight: Tensor, *_: object) -> Tensor:
    return x.new_empty((*x.shape[:-1], weight.shape[1]))


@torch.library.custom_op("analog_deploy::analog_conv", mutates_args=())
def analog_conv(
    x: Tensor, weight: Tensor, out_scales: Tensor, alpha: Tensor, bias: Optional[Tensor],
    inp_step: float, inp_level_bound: float, inp_quantize: int, noise_management: str, out_noise: float,
    w_noise: float, out_bound: float, out_step: float, out_inverse_step: float, out_level_bound: float,
    bound_management: str, bm_limit: float, in_splits: list[int], out_splits: list[int], seed: int,
    kernel_shape: list[int], strides: list[int], pads: list[int], dilations: list[int], group: int,
) -> Tensor:
    return _export_only()


@analog_conv.register_fake
def _(x: Tensor, weight: Tensor, out_scales: Tensor, alpha: Tensor, bias: Optional[Tensor], *args: object) -> Tensor:
    kernel_shape, strides, pads, dilations, group = args[len(PERIPHERY) + len(GRID) :]
    dims = len(kernel_shape)
    spatial = [
        (x.shape[2 + d] + pads[d] + pads[dims + d] - dilations[d] * (kernel_shape[d] - 1) - 1) // strides[d] + 1
        for d in range(dims)
    ]
    return x.new_empty((x.shape[0], group * weight.shape[2], *spatial))


def _attributes(names: tuple[str, ...], values: tuple[object, ...]) -> dict[str, object]:
    """onnxscript attributes from the torch op's arguments (lists and ints as ONNX wants them)."""
    return {name: list(value) if isinstance(value, (list, tuple)) else value for name, value in zip(names, values)}


def analog_matmul_onnx(x, weight, out_scales, alpha, bias, *attributes):  # noqa: ANN001, ANN201 (onnxscript values)
    return _OPSET.AnalogMatMul(x, weight, out_scales, alpha, bias, **_attributes(PERIPHERY + GRID, attributes))


def analog_conv_onnx(x, weight, out_scales, alpha, bias, *attributes):  # noqa: ANN001, ANN201
    return _OPSET.AnalogConv(x, weight, out_scales, alpha, bias, **_attributes(PERIPHERY + GRID + CONV, attributes))


def translation_table() -> dict[object, object]:
    """``torch.onnx.export``'s ``custom_translation_table`` for our ops (registers the ONNX
    schemas first: onnxscript needs them to emit a node of a custom domain)."""
    schemas.register()
    return {
        torch.ops.analog_deploy.analog_matmul.default: analog_matmul_onnx,
        torch.ops.analog_deploy.analog_conv.default: analog_conv_onnx,
    }


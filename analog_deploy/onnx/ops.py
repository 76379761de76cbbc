"""The analog ops on both sides of the export: torch custom ops that stand for a whole analog
layer in the traced graph, and the onnxscript functions that write them as nodes of our domain.

The torch ops only exist to be exported: ``torch.export`` traces them through their fake
(shape) implementation, and calling them eagerly raises, since the analog layers themselves are
the torch implementation. One table, ``OPS``, defines all four from their inputs and attributes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Sequence

import onnxscript
import torch
from torch import Tensor

from . import schemas
from .domain import DOMAIN, OPSET_VERSION

_OPSET = onnxscript.values.Opset(DOMAIN, OPSET_VERSION)

PERIPHERY = {
    "inp_step": "float", "inp_level_bound": "float", "inp_quantize": "int", "noise_management": "str",
    "out_noise": "float", "w_noise": "float", "out_bound": "float", "out_step": "float",
    "out_inverse_step": "float", "out_level_bound": "float", "bound_management": "str", "bm_limit": "float",
    "in_splits": "int[]", "out_splits": "int[]", "seed": "int",
}
"""Attributes of every analog node: the periphery and the tile grid (name: torch schema type)."""
DEVICE = {"device": "str", "g_max": "float", "t_0": "float", "t_read": "float", "read_noise_scale": "float",
          "compensation": "str"}
"""Attributes of the programmed (time-parametric) nodes."""
CONV = {"kernel_shape": "int[]", "strides": "int[]", "pads": "int[]", "dilations": "int[]", "group": "int"}
"""Attributes of the convolution nodes."""

DRIFTED_INPUTS = ("x", "weight", "out_scales", "alpha")
PROGRAMMED_INPUTS = ("x", "t_inference", "g_plus", "g_minus", "nu_plus", "nu_minus", "conductance_scale",
                     "out_scales", "baseline")


@dataclasses.dataclass(frozen=True)
class OpSpec:
    """One op: its ONNX type, torch name, tensor inputs (then an optional bias) and attributes."""

    op_type: str
    torch_name: str
    inputs: tuple[str, ...]
    attributes: dict[str, str]

    @property
    def convolution(self) -> bool:
        return "group" in self.attributes

    @property
    def weight_index(self) -> int:
        """The input whose shape is [(G,) K, M] (W, or G+ of the programmed form)."""
        return self.inputs.index("weight" if "weight" in self.inputs else "g_plus")

    def schema(self) -> str:
        tensors = ", ".join(f"Tensor {name}" for name in self.inputs)
        attributes = ", ".join(f"{kind} {name}" for name, kind in self.attributes.items())
        return f"({tensors}, Tensor? bias, {attributes}) -> Tensor"


OPS = (
    OpSpec("AnalogMatMul", "analog_matmul", DRIFTED_INPUTS, PERIPHERY),
    OpSpec("AnalogConv", "analog_conv", DRIFTED_INPUTS, {**PERIPHERY, **CONV}),
    OpSpec("ProgrammedAnalogMatMul", "programmed_analog_matmul", PROGRAMMED_INPUTS, {**PERIPHERY, **DEVICE}),
    OpSpec("ProgrammedAnalogConv", "programmed_analog_conv", PROGRAMMED_INPUTS, {**PERIPHERY, **DEVICE, **CONV}),
)


def _export_only(*_: object) -> Tensor:
    raise RuntimeError(
        "analog_deploy's ONNX ops only exist inside torch.onnx.export; run the analog layers for torch inference"
    )


def _fake(spec: OpSpec) -> Callable[..., Tensor]:
    """The output shape of ``spec``'s op, from its inputs and attributes."""

    def fake(*args: object) -> Tensor:
        x, weight = args[0], args[spec.weight_index]
        attributes = dict(zip(spec.attributes, args[len(spec.inputs) + 1 :]))
        if not spec.convolution:
            return x.new_empty((*x.shape[:-1], weight.shape[-1]))
        kernel, strides, pads, dilations = (attributes[k] for k in ("kernel_shape", "strides", "pads", "dilations"))
        dims = len(kernel)
        spatial = [
            (x.shape[2 + d] + pads[d] + pads[dims + d] - dilations[d] * (kernel[d] - 1) - 1) // strides[d] + 1
            for d in range(dims)
        ]
        return x.new_empty((x.shape[0], attributes["group"] * weight.shape[-1], *spatial))

    return fake


def _translation(spec: OpSpec) -> Callable[..., object]:
    """The onnxscript function that writes ``spec``'s node (a missing bias is left out)."""
    emit = getattr(_OPSET, spec.op_type)

    def translate(*args: object) -> object:
        tensors = args[: len(spec.inputs) + 1]
        values = args[len(spec.inputs) + 1 :]
        attributes = {name: list(v) if isinstance(v, (list, tuple)) else v for name, v in zip(spec.attributes, values)}
        return emit(*tensors, **attributes)

    return translate


def _define(spec: OpSpec) -> torch.library.CustomOpDef:
    op = torch.library.custom_op(f"analog_deploy::{spec.torch_name}", _export_only, mutates_args=(), schema=spec.schema())
    op.register_fake(_fake(spec))
    return op


_TORCH_OPS = {spec.op_type: _define(spec) for spec in OPS}


def call(op_type: str, tensors: Sequence[Tensor], bias: Tensor | None, attributes: dict[str, object]) -> Tensor:
    """Call the torch op of ``op_type`` (inside a model being exported)."""
    spec = next(spec for spec in OPS if spec.op_type == op_type)
    return _TORCH_OPS[op_type](*tensors, bias, *(attributes[name] for name in spec.attributes))


def translation_table() -> dict[object, object]:
    """``torch.onnx.export``'s ``custom_translation_table`` for our ops (registers the ONNX
    schemas first: onnxscript needs them to emit a node of a custom domain)."""
    schemas.register()
    return {getattr(torch.ops.analog_deploy, spec.torch_name).default: _translation(spec) for spec in OPS}

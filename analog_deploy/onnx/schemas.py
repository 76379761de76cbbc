"""The ONNX schemas of our ops (docs/onnx_ops.md), registered with ``onnx.defs`` so that
onnxscript can emit the nodes, ``onnx.checker`` knows their inputs and attributes, and shape
inference computes their outputs."""

from __future__ import annotations

import onnx
from onnx.defs import OpSchema

from .domain import DOMAIN, OPSET_VERSION

_FLOAT = OpSchema.AttrType.FLOAT
_INT = OpSchema.AttrType.INT
_INTS = OpSchema.AttrType.INTS
_STRING = OpSchema.AttrType.STRING

_PERIPHERY = (
    ("inp_step", _FLOAT, "DAC step (1 without DAC quantization)."),
    ("inp_level_bound", _FLOAT, "Largest |DAC level|: inp_bound / inp_step."),
    ("inp_quantize", _INT, "1: round DAC levels half to even; 0: no DAC quantization."),
    ("noise_management", _STRING, "'abs_max': divide each input vector by its max |x|; 'none'."),
    ("out_noise", _FLOAT, "Std of the Gaussian output noise (output units of one tile)."),
    ("w_noise", _FLOAT, "Per-MVM weight noise, applied as output noise of std w_noise * ||x_dac||_2."),
    ("out_bound", _FLOAT, "ADC range [-out_bound, out_bound]; 0: no ADC (no clipping, no quantization)."),
    ("out_step", _FLOAT, "ADC step; 0: no ADC quantization."),
    ("out_inverse_step", _FLOAT, "1 / out_step rounded to float once (0 without quantization)."),
    ("out_level_bound", _FLOAT, "Largest |ADC level|: out_bound / out_step (0 without quantization)."),
    ("bound_management", _STRING, "'iterative': re-run saturated vectors with halved input; 'none'."),
    ("bm_limit", _FLOAT, "Bound management doubles a vector's input divisor while it is <= bm_limit."),
    ("in_splits", _INTS, "Tile boundaries along the input vector: 0 < .. < K."),
    ("out_splits", _INTS, "Tile boundaries along the outputs: 0 < .. < M (per group)."),
    ("seed", _INT, "Noise seed of this node."),
)
_DEVICE = (
    ("device", _STRING, "'pcm': PCM drift and 1/f read noise; 'ideal': conductances never change."),
    ("compensation", _STRING, "Drift compensation: 'none', 'global' or 'per_column'."),
)
_PCM = (
    ("g_max", _FLOAT, "uS, the conductance of a tile's largest weight (read for device 'pcm' only)."),
    ("t_0", _FLOAT, "s, drift reference time (read for device 'pcm' only)."),
    ("t_read", _FLOAT, "s, read duration of the 1/f read noise (read for device 'pcm' only)."),
    ("read_noise_scale", _FLOAT, "Multiplies the accumulated read noise (read for device 'pcm' only)."),
)
_CONV = (
    ("kernel_shape", _INTS, "Kernel extent per spatial dimension (1 to 3 dimensions)."),
    ("strides", _INTS, "Stride per spatial dimension."),
    ("pads", _INTS, "Zero padding: begins of every spatial dimension, then ends (as ONNX Conv)."),
    ("dilations", _INTS, "Dilation per spatial dimension."),
    ("group", _INT, "Number of groups."),
)


def _inputs(weight_doc: str, scales_doc: str) -> list[OpSchema.FormalParameter]:
    parameter = OpSchema.FormalParameter
    return [
        parameter("X", "T", "Input."),
        parameter("W", "T", weight_doc),
        parameter("out_scales", "T", scales_doc + " digital output scales of each tile over its columns."),
        parameter("alpha", "T", scales_doc + " drift-compensation gain of each tile over its columns."),
        parameter("B", "T", "Digital bias [M].", param_option=OpSchema.FormalParameterOption.Optional),
    ]


def _weight_type(ctx: onnx.shape_inference.InferenceContext) -> onnx.TypeProto:
    """The [(G,) K, M] input: W, or g_plus of the programmed ops (after t_inference)."""
    return ctx.get_input_type(1 if ctx.get_num_inputs() <= 5 else 2)


def _matmul_shape(ctx: onnx.shape_inference.InferenceContext) -> None:
    x, weight = ctx.get_input_type(0), _weight_type(ctx)
    out = onnx.TypeProto()
    out.tensor_type.elem_type = x.tensor_type.elem_type
    if x.tensor_type.HasField("shape") and weight.tensor_type.HasField("shape"):
        for dim in x.tensor_type.shape.dim[:-1]:
            out.tensor_type.shape.dim.add().CopyFrom(dim)
        out.tensor_type.shape.dim.add().CopyFrom(weight.tensor_type.shape.dim[-1])
    ctx.set_output_type(0, out)


def _conv_shape(ctx: onnx.shape_inference.InferenceContext) -> None:
    x, weight = ctx.get_input_type(0), _weight_type(ctx)
    out = onnx.TypeProto()
    out.tensor_type.elem_type = x.tensor_type.elem_type
    if x.tensor_type.HasField("shape") and weight.tensor_type.HasField("shape"):
        x_dims, w_dims = x.tensor_type.shape.dim, weight.tensor_type.shape.dim
        kernel = list(ctx.get_attribute("kernel_shape").ints)
        strides = list(ctx.get_attribute("strides").ints)
        pads = list(ctx.get_attribute("pads").ints)
        dilations = list(ctx.get_attribute("dilations").ints)
        group = ctx.get_attribute("group").i
        dims = len(kernel)
        shape = out.tensor_type.shape
        shape.dim.add().CopyFrom(x_dims[0])
        channels = shape.dim.add()
        if w_dims[2].HasField("dim_value"):
            channels.dim_value = group * w_dims[2].dim_value
        for d in range(dims):
            dim = shape.dim.add()
            if len(x_dims) == dims + 2 and x_dims[2 + d].HasField("dim_value"):
                extent = x_dims[2 + d].dim_value + pads[d] + pads[dims + d] - dilations[d] * (kernel[d] - 1) - 1
                dim.dim_value = extent // strides[d] + 1
    ctx.set_output_type(0, out)


def _programmed_inputs(shape: str, tile_shape: str, scales_shape: str) -> list[OpSchema.FormalParameter]:
    parameter = OpSchema.FormalParameter
    return [
        parameter("X", "T", "Input."),
        parameter("t_inference", "T", "Seconds since programming (one value)."),
        parameter("g_plus", "T", f"Programmed conductances of the positive devices, uS, {shape}."),
        parameter("g_minus", "T", f"Programmed conductances of the negative devices, uS, {shape}."),
        parameter("nu_plus", "T", f"Drift exponents of the positive devices, {shape}."),
        parameter("nu_minus", "T", f"Drift exponents of the negative devices, {shape}."),
        parameter("conductance_scale", "T", f"uS per weight unit of each tile, {tile_shape}."),
        parameter("out_scales", "T", f"{scales_shape} digital output scales of each tile over its columns."),
        parameter("baseline", "T", f"{scales_shape} drift-compensation readout of each tile right after programming."),
        parameter("B", "T", "Digital bias.", param_option=OpSchema.FormalParameterOption.Optional),
    ]


def _schema(op_type: str, doc: str, inputs: list, attributes: tuple, shape_fn) -> OpSchema:  # noqa: ANN001
    schema = OpSchema(
        op_type,
        DOMAIN,
        OPSET_VERSION,
        doc=doc,
        inputs=inputs,
        outputs=[OpSchema.FormalParameter("Y", "T", "Output.")],
        type_constraints=[("T", ["tensor(float)"], "float32 tensors.")],
        attributes=[OpSchema.Attribute(name, kind, text, required=True) for name, kind, text in attributes],
    )
    schema.set_type_and_shape_inference_function(shape_fn)
    return schema


def schemas() -> list[OpSchema]:
    """The schemas of our four ops (see docs/onnx_ops.md)."""
    return [
        _schema(
            "AnalogMatMul",
            "Analog MVM of a linear layer: Y[..., M] = analog(X[..., K] @ W) + B.",
            _inputs("Tile-unit weights [K, M] (transposed, as MatMul's B).", "[T_in, M]"),
            _PERIPHERY,
            _matmul_shape,
        ),
        _schema(
            "AnalogConv",
            "Analog MVM of a convolution, one input vector per patch: Y[N, M, *out] = analog_conv(X) + B.",
            _inputs("Tile-unit weights [G, C/G * prod(kernel_shape), M/G] per group.", "[G, T_in, M/G]"),
            _PERIPHERY + _CONV,
            _conv_shape,
        ),
        _schema(
            "ProgrammedAnalogMatMul",
            "AnalogMatMul of programmed devices read at the input t_inference (drift, read noise, compensation).",
            _programmed_inputs("[K, M]", "[T_in, T_out]", "[T_in, M]"),
            _PERIPHERY + _DEVICE + _PCM,
            _matmul_shape,
        ),
        _schema(
            "ProgrammedAnalogConv",
            "AnalogConv of programmed devices read at the input t_inference (drift, read noise, compensation).",
            _programmed_inputs("[G, C/G * prod(kernel_shape), M/G]", "[G, T_in, T_out]", "[G, T_in, M/G]"),
            _PERIPHERY + _DEVICE + _PCM + _CONV,
            _conv_shape,
        ),
    ]


def register() -> None:
    """Register the schemas with onnx (once per process)."""
    for schema in schemas():
        if not onnx.defs.has(schema.name, schema.since_version, schema.domain):
            onnx.defs.register_schema(schema)

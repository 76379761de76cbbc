"""``export``: an analog model as an ONNX file whose analog layers are nodes of our domain and
everything else is standard ONNX."""

from __future__ import annotations

import contextlib
import json
import logging
import os
import warnings
from collections.abc import Iterator, Sequence
from pathlib import Path

import onnx
import torch
from torch import Tensor, nn

from .. import __version__
from ..config.serialization import config_to_json
from ..exceptions import ModuleError
from ..files import write_atomic
from ..nn.model import analog_layers, drift_analog_weights, program_analog_weights
from ..seeding import derive_seed
from . import ops
from .domain import DOMAIN, OPSET_VERSION
from .layers import Clock, export_form, programmed_tensors
from .runtime import with_seed

METADATA_PREFIX = "analog_deploy."


_WRAPPED = "model"
"""The attribute of ``_TimeParametric`` holding the model: the prefix of its initializer names."""


class _TimeParametric(nn.Module):
    """``model`` with ``t_inference`` as a second input, which its programmed export forms read."""

    def __init__(self, model: nn.Module, clock: Clock) -> None:
        super().__init__()
        setattr(self, _WRAPPED, model)
        self.clock = clock

    def forward(self, x: Tensor, t_inference: Tensor) -> Tensor:
        self.clock.t = t_inference
        try:
            return getattr(self, _WRAPPED)(x)
        finally:
            self.clock.t = None


def programmed_initializers(model: nn.Module, proto: onnx.ModelProto) -> dict[str, Tensor]:
    """The initializers of ``proto``, a time-parametric export of ``model``, for the devices of
    ``model``'s tiles as programmed now, by name: overriding them in a session of the file
    (``SessionOptions.add_initializer``) runs another chip without exporting again.

    Each programmed node's inputs are matched to its layer's tensors in order; the layer is
    read from its ``g_plus`` initializer, which torch.onnx names by the buffer's dotted path
    (random conductances are never merged with another layer's). The exporter merges equal
    initializers (the conductance scales of layers mapped alike, say): a merged one must stay
    equal for every chip, else ValueError.
    """
    layers = dict(analog_layers(model))
    values: dict[str, Tensor] = {}
    for node in proto.graph.node:
        if node.domain != DOMAIN or not node.op_type.startswith("Programmed"):
            continue
        layer = layers.get(node.input[2].removeprefix(f"{_WRAPPED}.").rpartition(".")[0])
        if layer is None:
            raise ValueError(f"node {node.name} of the export does not name its layer ({node.input[2]})")
        for name, tensor in zip(node.input[2:], programmed_tensors(layer).values()):
            if name in values and not torch.equal(values[name], tensor):
                raise ValueError(f"the export shares initializer {name} between layers whose chips differ")
            values[name] = tensor
    return values


@contextlib.contextmanager
def _export_forms(model: nn.Module, seed: int, clock: Clock | None) -> Iterator[None]:
    """Swap every analog layer of ``model`` for its export form, and back afterwards."""
    swapped: list[tuple[nn.Module, str, nn.Module]] = []
    try:
        for name, layer in list(analog_layers(model)):
            if not name:
                raise ModuleError("export needs a model that contains analog layers, not a bare analog layer")
            parent_name, _, child = name.rpartition(".")
            parent = model.get_submodule(parent_name)
            swapped.append((parent, child, layer))
            # distinct seeds while tracing keep the exporter's optimizer from merging two identical
            # layers into one node; the file's seeds are then set from the node names (with_seed)
            setattr(parent, child, export_form(layer, derive_seed(seed, name), clock))
        yield
    finally:
        for parent, child, layer in swapped:
            setattr(parent, child, layer)


def _t_inference(model: nn.Module) -> float | None:
    """The time the model's tiles are drifted to (None: not drifted, or not all alike)."""
    times = {tile.t_inference for _, layer in analog_layers(model) for tile in layer.analog_tiles()}
    return times.pop() if len(times) == 1 else None


def _metadata(model: nn.Module, seed: int, t_inference: float | str | None) -> dict[str, str]:
    configs = {name: json.loads(config_to_json(layer.rpu_config)) for name, layer in analog_layers(model)}
    return {
        "version": __version__,
        "domain": f"{DOMAIN}:{OPSET_VERSION}",
        "rpu_configs": json.dumps(configs, sort_keys=True),
        "t_inference": "none" if t_inference is None else t_inference if isinstance(t_inference, str) else repr(t_inference),
        "seed": str(seed),
    }


def save_atomic(model: onnx.ModelProto, path: str | os.PathLike[str]) -> None:
    """Write ``model`` to ``path`` atomically (see ``files.write_atomic``)."""
    write_atomic(path, model.SerializeToString())


def export(
    model: nn.Module,
    example_input: Tensor | tuple[Tensor, ...],
    path: str | os.PathLike[str],
    *,
    t_inference: float | None = None,
    seed: int = 0,
    dynamic_batch: bool = True,
    time_parametric: bool = False,
    input_names: Sequence[str] | None = None,
    output_names: Sequence[str] | None = None,
) -> Path:
    """Export an analog model (in eval mode) to ONNX.

    Args:
        model: a model with analog layers (see ``convert_to_analog``), in eval mode.
        example_input: an input (or tuple of inputs) to trace the model with.
        path: where to write the ``.onnx`` file (atomically).
        t_inference: if given, program (where needed) and drift the model's analog layers to
            this many seconds after programming first (this changes ``model``'s tiles);
            otherwise the tiles are exported as they are.
        seed: the noise seed; each analog node gets a seed derived from it and its layer name.
        dynamic_batch: make the first dimension of every input a free ``batch`` dimension.
        time_parametric: export the programmed devices instead of drifted weights, with
            ``t_inference`` (seconds, a float32 scalar) as the model's second input: one file
            serves every time (programs the model first if needed; single-input models).
        input_names: names of the graph inputs; default ``x`` (``x0``, ``x1``, ... for several),
            then ``t_inference`` for a time-parametric export: stable names for C/C++ hosts.
        output_names: names of the graph outputs; default ``y`` for the first.

    Returns:
        The written path. Its ``metadata_props`` hold the package version, the op domain, the
        rpu config of every analog layer (JSON), the t_inference and the seed.
    """
    if model.training:
        raise ModuleError("export needs the model in evaluation mode: call model.eval() first")
    inputs = example_input if isinstance(example_input, tuple) else (example_input,)
    names = list(input_names or (["x"] if len(inputs) == 1 else [f"x{i}" for i in range(len(inputs))]))
    clock = Clock() if time_parametric else None
    traced: nn.Module = model
    if time_parametric:
        if t_inference is not None or len(inputs) != 1:
            raise ValueError(
                "a time-parametric export takes t_inference as its second input: give one example input "
                "and no t_inference"
            )
        if any(not tile.is_programmed for _, layer in analog_layers(model) for tile in layer.analog_tiles()):
            program_analog_weights(model)
        traced, inputs, names = _TimeParametric(model, clock).eval(), (*inputs, torch.tensor(0.0)), [*names, "t_inference"]
    elif t_inference is not None:
        drift_analog_weights(model, t_inference)
    batch = {0: torch.export.Dim("batch")} if dynamic_batch else None
    dynamic_shapes = (batch, None) if time_parametric else tuple(batch for _ in inputs) if dynamic_batch else None
    with _export_forms(model, seed, clock), quiet_exporter():
        program = torch.onnx.export(
            traced,
            inputs,
            input_names=names,
            output_names=list(output_names or ["y"]),
            dynamo=True,
            verbose=False,
            custom_translation_table=ops.translation_table(),
            dynamic_shapes=dynamic_shapes,
        )
    proto = with_seed(program.model_proto, seed)  # as session(seed=seed) would: the two agree
    time = "input" if time_parametric else _t_inference(model)
    for key, value in _metadata(model, seed, time).items():
        proto.metadata_props.add(key=METADATA_PREFIX + key, value=value)
    target = Path(path)
    save_atomic(proto, target)
    return target


@contextlib.contextmanager
def quiet_exporter() -> Iterator[None]:
    """Silence torch.onnx's progress logging and torch.export's deprecation chatter."""
    logger = logging.getLogger("torch.onnx")
    level = logger.level
    logger.setLevel(logging.ERROR)
    try:
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", category=FutureWarning)
            warnings.filterwarnings("ignore", message=".*axis name.*will not be used.*")
            yield
    finally:
        logger.setLevel(level)

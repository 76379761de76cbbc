"""``analog-deploy info``: what a checkpoint or an exported ONNX file holds, read from the file
alone: analog layers and their tiles, configs, programming and drift state; or the graph, ops and
export metadata."""

from __future__ import annotations

import argparse
import json
import zipfile
from collections import Counter
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from torch import Tensor, nn

from .. import checkpoint
from ..checkpoint import ModelSource
from ..config import InferenceRPUConfig, config_from_dict, config_from_json, config_to_dict
from ..nn.base import AnalogModuleBase
from ..tiles.array import split_ranges, tile_grid
from ..timeunits import format_seconds
from . import options
from .presets_command import config_label, matching_preset, table

_LAYER_TYPES = {2: "AnalogLinear", 3: "AnalogConv1d", 4: "AnalogConv2d", 5: "AnalogConv3d"}
"""Weight rank -> the analog class ``convert_to_analog`` makes for the torch layer of that rank."""
_STANDARD_DOMAIN = "ai.onnx"
"""The ONNX name of the default ("") op domain."""


def add_parser(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "info",
        help="describe a checkpoint or an exported ONNX model",
        description=(
            "Describe FILE. An analog checkpoint (state_dict of a converted model): every analog layer with its "
            "shape, tiles, rpu config (preset name or how it differs from the nearest preset), programming and "
            "t_inference. A digital state_dict: its size. An ONNX file: the analog-deploy export metadata, "
            "inputs and outputs, op counts, the analog nodes and their rpu configs. No model code is needed; "
            "for checkpoints, --model also checks that the file loads into that architecture and adds the exact "
            "layer classes and the module tree."
        ),
    )
    parser.add_argument("file", type=Path, metavar="FILE", help="a state_dict file (torch.save) or an .onnx file")
    options.add_model(parser, required=False)
    parser.add_argument("--json", action="store_true", help="print a machine-readable JSON object instead of text")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    model = None if args.model is None else options.architecture(args)
    info = describe_file(args.file, model=model, trusted=args.trusted)
    print(json.dumps(info, indent=2) if args.json else info_text(info))


def describe_file(path: Path, *, model: ModelSource | None = None, trusted: bool = False) -> dict[str, Any]:
    """JSON-ready description of a checkpoint or ONNX file (see ``describe_analog_state``,
    ``describe_digital_state``, ``describe_onnx``); ``model`` (the digital architecture, as
    ``load_checkpoint`` takes it) checks that a checkpoint loads into it and adds its module tree."""
    if not path.is_file():
        raise FileNotFoundError(f"no file at {path}")
    if not is_torch_file(path):
        if model is not None:
            raise ValueError(f"--model applies to checkpoints; {path} is not a torch checkpoint")
        return {"file": str(path), **describe_onnx(path)}
    state = checkpoint.load_state_dict_file(path, trusted=trusted)
    analog = bool(checkpoint.analog_layer_names(state))
    network = None
    if model is not None:
        load = checkpoint.load_analog_checkpoint if analog else checkpoint.load_checkpoint
        network = load(path, model, trusted=trusted)
    modules = dict(network.named_modules()) if network is not None else None
    info = describe_analog_state(state, modules) if analog else describe_digital_state(state)
    if network is not None:
        info["module_tree"] = str(network)
    return {"file": str(path), **info}


def is_torch_file(path: Path) -> bool:
    """Whether ``path`` was written by ``torch.save``: a zip archive (or, in torch's legacy format, a
    pickle, whose first byte is the PROTO opcode). ONNX files are bare protobuf, without a signature."""
    with path.open("rb") as file:
        first = file.read(1)
    return zipfile.is_zipfile(path) or first == b"\x80"


# ------------------------------------------------------------------------------------ checkpoints
def describe_analog_state(
    state: Mapping[str, Any], modules: Mapping[str, nn.Module] | None = None
) -> dict[str, Any]:
    """Every analog layer of a converted model's ``state_dict`` (name, type, shape, tiles, config,
    programming state, t_inference) and totals. Everything comes from the state_dict: the weights,
    the tile buffers and extra states, and the rpu config JSON in each layer's extra state.
    ``modules`` (name -> module of the loaded model) only replaces inferred facts by the real ones:
    the layer class and a convolution's groups."""
    names = checkpoint.analog_layer_names(state)
    layers = [describe_analog_layer(state, name, None if modules is None else modules[name]) for name in names]
    described = {key for name in names for key in _analog_keys(state, name)}
    return {
        "kind": "analog checkpoint",
        "analog_layers": len(layers),
        "tiles": sum(layer["tiles"] for layer in layers),
        "analog_weights": sum(layer["analog_weights"] for layer in layers),
        "digital_values": sum(value.numel() for key, value in state.items()
                              if isinstance(value, Tensor) and key not in described),
        "layers": layers,
    }


def _prefix(name: str) -> str:
    return f"{name}." if name else ""


def _analog_keys(state: Mapping[str, Any], name: str) -> list[str]:
    """The keys of layer ``name``'s analog weights and tile state (its bias is digital)."""
    tiles = _prefix(name) + AnalogModuleBase.ANALOG_STATE_PREFIX
    return [_prefix(name) + "weight", *(key for key in state if key.startswith(tiles))]


def describe_analog_layer(state: Mapping[str, Any], name: str, module: nn.Module | None = None) -> dict[str, Any]:
    """One analog layer of a ``state_dict`` (see ``describe_analog_state``)."""
    prefix = _prefix(name)
    weight: Tensor = state[prefix + "weight"]
    config: InferenceRPUConfig = config_from_json(state[prefix + "_extra_state"]["rpu_config"])
    tile_prefixes = _tile_prefixes(state, name)
    programmed = sum(f"{tile}analog_weight" in state for tile in tile_prefixes)
    times = {state[f"{tile}_extra_state"]["t_inference"] for tile in tile_prefixes}
    out_size, patch_size = weight.shape[0], weight[0].numel()
    layer: dict[str, Any] = {"name": name, "type": _LAYER_TYPES.get(weight.dim(), "analog layer")}
    if weight.dim() == 2:
        groups: int | None = 1
        layer.update(in_features=weight.shape[1], out_features=out_size)
    else:
        groups = getattr(module, "groups", None) or conv_groups(out_size, patch_size, len(tile_prefixes), config)
        layer.update(in_channels=None if groups is None else weight.shape[1] * groups, out_channels=out_size,
                     kernel_size=list(weight.shape[2:]), groups=groups)
    if module is not None:
        layer["type"] = type(module).__name__
    layer.update(
        tiles=len(tile_prefixes),
        tile_grid=None if groups is None else group_tile_grid(out_size // groups, patch_size, config),
        analog_weights=weight.numel(),
        preset=matching_preset(config),
        programmed_tiles=programmed,
        t_inference=times.pop() if len(times) == 1 else sorted(times, key=lambda t: (t is not None, t)),
        rpu_config=config_to_dict(config),
    )
    return layer


def _tile_prefixes(state: Mapping[str, Any], name: str) -> list[str]:
    """``"<layer>.analog_tile_state_<i>."`` of each tile of layer ``name``, in index order."""
    start = _prefix(name) + AnalogModuleBase.ANALOG_STATE_PREFIX
    indices = {key[len(start):].split(".")[0] for key in state if key.startswith(start)}
    return [f"{start}{index}." for index in sorted(indices, key=lambda index: (len(index), index))]


def conv_groups(out_channels: int, patch_size: int, tiles: int, config: InferenceRPUConfig) -> int | None:
    """A convolution's groups, which its ``state_dict`` does not record: every group has its own
    tile grid, so the group count is the one that gives ``tiles`` tiles (None if several do)."""
    fits = [groups for groups in range(1, out_channels + 1) if out_channels % groups == 0
            and groups * len(tile_grid(out_channels // groups, patch_size, config.mapping)) == tiles]
    return fits[0] if len(fits) == 1 else None


def group_tile_grid(out_size: int, in_size: int, config: InferenceRPUConfig) -> list[int]:
    """``[tiles along the outputs, tiles along the inputs]`` of one ``[out_size, in_size]`` matrix."""
    mapping = config.mapping
    return [len(split_ranges(out_size, mapping.max_output_size)), len(split_ranges(in_size, mapping.max_input_size))]


def describe_digital_state(state: Mapping[str, Any]) -> dict[str, Any]:
    """Size of a ``state_dict`` without analog tiles, and how to make it analog."""
    tensors = [value for value in state.values() if isinstance(value, Tensor)]
    return {
        "kind": "digital checkpoint",
        "tensors": len(tensors),
        "values": sum(tensor.numel() for tensor in tensors),
        "hint": "no analog tiles: convert it with `analog-deploy convert` (or export it with `analog-deploy export "
                "--config PRESET`)",
    }


# ------------------------------------------------------------------------------------------- ONNX
def describe_onnx(path: Path) -> dict[str, Any]:
    """An ONNX file's analog-deploy metadata (version, op domain, t_inference, seed, rpu configs),
    inputs and outputs, op counts per domain, and the analog nodes with their weight shapes and tile
    grids. External tensor data is not read: shapes come from the initializers' headers."""
    import onnx
    from google.protobuf.message import DecodeError

    from ..onnx import DOMAIN, ops  # loads torch.onnx: only for ONNX files
    from ..onnx.export import METADATA_PREFIX

    try:
        model = onnx.load(str(path), load_external_data=False)
    except DecodeError:
        model = None
    if model is None or model.ir_version == 0 or not model.HasField("graph"):  # b"" parses as an empty model
        raise ValueError(f"{path} is neither a torch checkpoint nor an ONNX model")
    graph = model.graph
    shapes = {tensor.name: list(tensor.dims) for tensor in graph.initializer}
    metadata = {prop.key[len(METADATA_PREFIX):]: prop.value for prop in model.metadata_props
                if prop.key.startswith(METADATA_PREFIX)}
    counts: dict[str, Counter[str]] = {}
    for node in graph.node:
        counts.setdefault(node.domain or _STANDARD_DOMAIN, Counter())[node.op_type] += 1
    specs = {spec.op_type: spec for spec in ops.OPS}
    return {
        "kind": "onnx model",
        "ir_version": model.ir_version,
        "opsets": {opset.domain or _STANDARD_DOMAIN: opset.version for opset in model.opset_import},
        "analog_deploy": _export_metadata(metadata) if metadata else None,
        "inputs": [_value_info(value) for value in graph.input if value.name not in shapes],
        "outputs": [_value_info(value) for value in graph.output],
        "op_counts": {domain: dict(sorted(ops_.items())) for domain, ops_ in sorted(counts.items())},
        "analog_nodes": [_analog_node(node, specs.get(node.op_type), shapes) for node in graph.node
                         if node.domain == DOMAIN],
        "rpu_configs": {layer: _config_summary(config_from_dict(data))
                        for layer, data in json.loads(metadata.get("rpu_configs", "{}")).items()},
    }


def _export_metadata(metadata: Mapping[str, str]) -> dict[str, Any]:
    """The export facts of ``analog_deploy.*`` metadata; t_inference: seconds, "time-parametric"
    (it is a model input) or None (tiles exported as they were, not drifted)."""
    time = metadata.get("t_inference")
    return {
        "version": metadata.get("version"),
        "domain": metadata.get("domain"),
        "t_inference": "time-parametric" if time == "input" else None if time in (None, "none") else float(time),
        "seed": int(metadata["seed"]) if "seed" in metadata else None,
    }


def _value_info(value: Any) -> dict[str, Any]:
    import onnx

    tensor = value.type.tensor_type
    dims = [dim.dim_value if dim.HasField("dim_value") else dim.dim_param or "?" for dim in tensor.shape.dim]
    return {"name": value.name, "type": onnx.TensorProto.DataType.Name(tensor.elem_type).lower(), "shape": dims}


def _analog_node(node: Any, spec: Any, shapes: Mapping[str, list[int]]) -> dict[str, Any]:
    """Name, op type, weight input (W, or G+ of the programmed ops) and its shape, and the tile grid
    per group from the ``in_splits`` / ``out_splits`` attributes."""
    import onnx

    attributes = {attribute.name: onnx.helper.get_attribute_value(attribute) for attribute in node.attribute}
    weight = node.input[spec.weight_index] if spec is not None and len(node.input) > spec.weight_index else None
    splits = attributes.get("out_splits"), attributes.get("in_splits")
    return {
        "name": node.name,
        "op_type": node.op_type,
        "weight": weight,
        "weight_shape": shapes.get(weight),
        "tile_grid": [len(splits[0]) - 1, len(splits[1]) - 1] if all(splits) else None,
        "groups": attributes.get("group", 1),
    }


def _config_summary(config: InferenceRPUConfig) -> dict[str, Any]:
    return {"preset": matching_preset(config), "label": config_label(config), "rpu_config": config_to_dict(config)}


# ------------------------------------------------------------------------------------------- text
def info_text(info: Mapping[str, Any]) -> str:
    """The human-readable form of a ``describe_file`` result."""
    text = {"analog checkpoint": _analog_text, "digital checkpoint": _digital_text, "onnx model": _onnx_text}
    lines = text[info["kind"]](info)
    if "module_tree" in info:
        lines += ["", "module tree:", info["module_tree"]]
    return "\n".join(lines)


def time_text(seconds: float) -> str:
    """``3600.0`` -> ``3600 s (1 hour)``: exact, and readable."""
    readable = format_seconds(seconds)
    return f"{seconds:g} s" if readable.endswith(" s") else f"{seconds:g} s ({readable})"


def _layer_time(layer: Mapping[str, Any]) -> str:
    time = layer["t_inference"]
    if isinstance(time, list):
        return "mixed: " + ", ".join("-" if t is None else time_text(t) for t in time)
    if time is None:
        return "not drifted" if layer["programmed_tiles"] else "-"
    return time_text(time)


def _layer_shape(layer: Mapping[str, Any]) -> str:
    if "in_features" in layer:
        return f"{layer['in_features']} -> {layer['out_features']}"
    channels = layer["in_channels"] if layer["groups"] is not None else "?"
    text = f"{channels} -> {layer['out_channels']} ch, kernel {'x'.join(map(str, layer['kernel_size']))}"
    return text + (f", groups {layer['groups']}" if layer["groups"] not in (1, None) else "")


def _programmed_text(layer: Mapping[str, Any]) -> str:
    done, tiles = layer["programmed_tiles"], layer["tiles"]
    return "yes" if done == tiles else "no" if done == 0 else f"{done}/{tiles} tiles"


def _grid_text(grid: list[int] | None, groups: int | None) -> str:
    if grid is None:
        return "?"
    text = f"{grid[0]}x{grid[1]}"
    return text if groups in (1, None) else f"{groups} x {text}"


def _analog_text(info: Mapping[str, Any]) -> list[str]:
    layers = info["layers"]
    rows = [{"layer": layer["name"] or "(model)", "type": layer["type"], "shape": _layer_shape(layer),
             "tiles": layer["tiles"], "grid (out x in)": _grid_text(layer["tile_grid"], layer.get("groups")),
             "config": layer["preset"] or "custom", "programmed": _programmed_text(layer),
             "t_inference": _layer_time(layer)}
            for layer in layers]
    totals = (f"analog layers: {info['analog_layers']}, tiles: {info['tiles']}, analog weights: "
              f"{info['analog_weights']}, digital values (biases, digital layers): {info['digital_values']}")
    lines = [f"analog checkpoint {info['file']}", totals, "", *table(rows)]
    custom = [layer for layer in layers if layer["preset"] is None]
    if custom:
        lines.append("")
        lines += [f"config of {layer['name'] or '(model)'}: {config_label(config_from_dict(layer['rpu_config']))}"
                  for layer in custom]
    return lines


def _digital_text(info: Mapping[str, Any]) -> list[str]:
    return [f"digital checkpoint {info['file']}", f"tensors: {info['tensors']}, values: {info['values']}", info["hint"]]


def _onnx_text(info: Mapping[str, Any]) -> list[str]:
    opsets = ", ".join(f"{domain} {version}" for domain, version in info["opsets"].items())
    lines = [f"ONNX model {info['file']} (IR version {info['ir_version']}, opsets {opsets})"]
    export = info["analog_deploy"]
    if export is None:
        lines.append("not exported by analog-deploy (no analog_deploy.* metadata)")
    else:
        time = export["t_inference"]
        when = ("time-parametric (t_inference is an input)" if time == "time-parametric"
                else "none recorded (tiles not drifted, or not all to one time)" if time is None else time_text(time))
        lines += [f"exported by analog-deploy {export['version']}, op domain {export['domain']}",
                  f"t_inference: {when}", f"seed: {export['seed']}"]
    for title in ("inputs", "outputs"):
        lines.append(f"{title}:")
        lines += [f"  {value['name']}  {value['type']} [{', '.join(map(str, value['shape']))}]"
                  for value in info[title]]
    lines.append(f"nodes: {sum(sum(counts.values()) for counts in info['op_counts'].values())}")
    lines += [f"  {domain}: {', '.join(f'{op} {count}' for op, count in counts.items())}"
              for domain, counts in info["op_counts"].items()]
    nodes = info["analog_nodes"]
    if nodes:
        rows = [{"analog node": node["name"], "op": node["op_type"], "weight": node["weight"] or "?",
                 "shape": "?" if node["weight_shape"] is None else str(node["weight_shape"]),
                 "tile grid (out x in)": _grid_text(node["tile_grid"], node["groups"])} for node in nodes]
        lines += ["", *table(rows)]
    if info["rpu_configs"]:
        lines += ["", "rpu configs:"]
        lines += [f"  {layer}: {summary['label']}" for layer, summary in info["rpu_configs"].items()]
    return lines

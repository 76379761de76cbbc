"""``analog-deploy presets``: the ready-made rpu configs, what they model, and their JSON (to edit
and pass back with ``--config``)."""

from __future__ import annotations

import argparse
import dataclasses
import inspect
import json
import math
from enum import Enum
from typing import Any

from ..config import (
    PRESETS,
    IdealNoiseModel,
    InferenceRPUConfig,
    PerColumnDriftCompensation,
    config_to_dict,
    preset,
)


def add_parser(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "presets",
        help="list the rpu config presets, or show one",
        description=(
            "Without NAME, list every preset with what it models and its key parameters. With NAME, show all "
            "of that preset's parameters. --json prints the config as JSON: save it, edit it and pass the file "
            "to --config (e.g. analog-deploy presets pcm --json > my.json; analog-deploy export ... --config my.json)."
        ),
    )
    parser.add_argument("name", nargs="?", metavar="NAME", help=f"a preset: {', '.join(PRESETS)}")
    parser.add_argument("--json", action="store_true",
                        help="print JSON (with NAME: the config, loadable with --config FILE.json)")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    if args.name is None:
        if args.json:
            listing = {name: {"description": preset_description(name), **config_to_dict(preset(name))}
                       for name in PRESETS}
            print(json.dumps(listing, indent=2, sort_keys=True))
        else:
            print(presets_table())
        return
    config = preset(args.name)  # an unknown name raises, naming the presets
    if args.json:
        # indented for editing; the same data as config_to_json, so config_from_json reads it back
        print(json.dumps(config_to_dict(config), indent=2, sort_keys=True))
    else:
        print(f"{args.name}: {preset_description(args.name)}\n")
        print(config_text(config))


_ABSENT = object()
"""Stands for a field one of two configs lacks (their sections can be of different classes)."""


def preset_description(name: str) -> str:
    """The first paragraph of the preset function's docstring, on one line: the description is
    written once, next to the config it describes."""
    doc = inspect.getdoc(PRESETS[name]) or ""
    return " ".join(doc.split("\n\n")[0].split())


def matching_preset(config: InferenceRPUConfig) -> str | None:
    """The name of the preset equal to ``config`` in every field, if any."""
    return next((name for name in PRESETS if preset(name) == config), None)


def config_changes(config: InferenceRPUConfig) -> tuple[str, dict[str, Any]]:
    """The preset nearest to ``config`` (fewest differing fields) and ``config``'s values of the
    fields, as dotted paths, that differ from it: how a custom config reads best. (Fields only the
    preset has follow from a changed ``type`` and are not listed.)"""
    fields = _flat(config_to_dict(config)["config"])
    candidates = []
    for name in PRESETS:
        reference = _flat(config_to_dict(preset(name))["config"])
        keys = fields.keys() | reference.keys()
        distance = sum(fields.get(key, _ABSENT) != reference.get(key, _ABSENT) for key in keys)
        changes = {key: value for key, value in sorted(fields.items()) if reference.get(key, _ABSENT) != value}
        candidates.append((distance, name, changes))
    _, name, changes = min(candidates, key=lambda candidate: candidate[0])
    return name, changes


def config_label(config: InferenceRPUConfig) -> str:
    """The preset name of ``config``, else ``custom (nearest preset with field=value, ...)``."""
    name = matching_preset(config)
    if name is not None:
        return name
    nearest, changes = config_changes(config)
    return f"custom ({nearest} with {', '.join(f'{key}={value}' for key, value in changes.items())})"


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    """``{"forward": {"out_noise": 0.06}}`` -> ``{"forward.out_noise": 0.06}``."""
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def resolution_text(resolution: float) -> str:
    """A converter step as bits where it is ``1 / (2**bits - 2)`` (aihwkit's convention), else
    the step itself; 0 means no quantization."""
    if resolution == 0:
        return "off"
    bits = math.log2(1 / resolution + 2)
    return f"{round(bits)}-bit" if abs(bits - round(bits)) < 1e-6 else f"step {resolution:g}"


def key_parameters(config: InferenceRPUConfig) -> dict[str, str]:
    """The parameters that tell presets apart, as short texts (column -> value)."""
    model, forward, mapping = config.noise_model, config.forward, config.mapping
    ideal_devices = isinstance(model, IdealNoiseModel)
    perfect = forward.is_perfect
    compensation = config.drift_compensation
    return {
        "noise model": type(model).__name__.removesuffix("NoiseModel"),
        "prog noise": "-" if ideal_devices else f"x{model.prog_noise_scale:g}",
        "read noise": "-" if ideal_devices else f"x{model.read_noise_scale:g}",
        "drift": "off" if ideal_devices or model.drift_scale == 0 else f"x{model.drift_scale:g}",
        "DAC": "perfect" if perfect else resolution_text(forward.inp_res),
        "ADC": "perfect" if perfect else resolution_text(forward.out_res),
        "out_noise": "-" if perfect else f"{forward.out_noise:g}",
        "compensation": ("none" if compensation is None
                         else "per-column" if isinstance(compensation, PerColumnDriftCompensation) else "global"),
        "tile (in x out)": f"{mapping.max_input_size}x{mapping.max_output_size}",
    }


def presets_table() -> str:
    """Every preset's description, then a table of their key parameters."""
    width = max(len(name) for name in PRESETS)
    lines = [f"{name:<{width}}  {preset_description(name)}" for name in PRESETS]
    rows = [{"preset": name, **key_parameters(preset(name))} for name in PRESETS]
    hint = "analog-deploy presets NAME shows one; add --json for a file to edit and pass to --config FILE.json"
    lines += ["", *table(rows), "", hint]
    return "\n".join(lines)


def table(rows: list[dict[str, str]]) -> list[str]:
    """Rows of equal keys as left-aligned text columns under a header of the keys."""
    columns = list(rows[0])
    lines = [columns, *([str(row[column]) for column in columns] for row in rows)]
    widths = [max(len(line[index]) for line in lines) for index in range(len(columns))]
    return ["  ".join(f"{text:<{width}}" for text, width in zip(line, widths)).rstrip() for line in lines]


def config_text(config: InferenceRPUConfig) -> str:
    """All fields of ``config``, one per line, nested under each section with its class."""
    lines = []
    for section in dataclasses.fields(config):
        value = getattr(config, section.name)
        if value is None or not dataclasses.fields(value):
            lines.append(f"{section.name}: {'None' if value is None else type(value).__name__}")
            continue
        lines.append(f"{section.name} ({type(value).__name__}):")
        names = [item.name for item in dataclasses.fields(value)]
        width = max(len(name) for name in names)
        for name in names:
            lines.append(f"  {name:<{width}}  {_value_text(name, getattr(value, name))}")
    return "\n".join(lines)


def _value_text(name: str, value: Any) -> str:
    if isinstance(value, Enum):
        return value.name
    if name in ("inp_res", "out_res"):
        return f"{value!r} ({resolution_text(value)})"
    return repr(value)

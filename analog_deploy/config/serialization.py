"""JSON round trip of configs: a type tag on every object, a format version, an allow-list.

Checkpoints and ONNX files carry configs as this JSON, never as pickled objects, so they load
with ``torch.load(weights_only=True)`` and cannot run code when decoded.
"""

from __future__ import annotations

import dataclasses
import json
from enum import Enum
from typing import Any

from .compensation import GlobalDriftCompensation, PerColumnDriftCompensation
from .io import IOParameters
from .mapping import MappingParameter
from .noise import IdealNoiseModel, PCMLikeNoiseModel
from .rpu_config import InferenceRPUConfig

FORMAT_VERSION = 1
"""Bumped when a change makes old JSON decode differently."""

_ALLOWED = {
    cls.__name__: cls
    for cls in (
        InferenceRPUConfig,
        IOParameters,
        MappingParameter,
        PCMLikeNoiseModel,
        IdealNoiseModel,
        GlobalDriftCompensation,
        PerColumnDriftCompensation,
    )
}


def _encode(value: Any) -> Any:
    if dataclasses.is_dataclass(value):
        encoded = {"type": type(value).__name__}
        for item in dataclasses.fields(value):
            encoded[item.name] = _encode(getattr(value, item.name))
        return encoded
    if isinstance(value, Enum):
        return value.name
    if isinstance(value, tuple):
        return [_encode(item) for item in value]
    return value


def _decode(value: Any, where: str) -> Any:
    if isinstance(value, dict):
        type_name = value.get("type")
        if type_name not in _ALLOWED:
            allowed = ", ".join(sorted(_ALLOWED))
            raise ValueError(f"config JSON at {where}: unknown type {type_name!r}; allowed: {allowed}")
        cls = _ALLOWED[type_name]
        known = {item.name for item in dataclasses.fields(cls)}
        kwargs = {}
        for key, item in value.items():
            if key == "type":
                continue
            if key not in known:
                raise ValueError(
                    f"config JSON at {where}: {type_name} has no field {key!r}; "
                    f"known fields: {', '.join(sorted(known))}"
                )
            kwargs[key] = _decode(item, f"{where}.{key}")
        return cls(**kwargs)
    if isinstance(value, list):
        return [_decode(item, f"{where}[{index}]") for index, item in enumerate(value)]
    return value


def config_to_dict(config: Any) -> dict[str, Any]:
    """Plain-data form of a config (any of the config dataclasses), with a format version."""
    return {"format_version": FORMAT_VERSION, "config": _encode(config)}


def config_from_dict(data: dict[str, Any]) -> Any:
    """Inverse of ``config_to_dict``; raises ``ValueError`` naming the offending entry."""
    if not isinstance(data, dict) or not isinstance(data.get("config"), dict):
        raise ValueError(
            "config JSON must be an object with keys 'format_version' and 'config' (an object)"
        )
    version = data.get("format_version")
    if version != FORMAT_VERSION:
        raise ValueError(
            f"config JSON has format_version {version!r}; this analog-deploy reads version "
            f"{FORMAT_VERSION}"
        )
    return _decode(data["config"], "config")


def config_to_json(config: Any) -> str:
    """JSON text of a config; ``config_from_json`` gives back an equal config."""
    return json.dumps(config_to_dict(config), sort_keys=True)


def config_from_json(text: str) -> Any:
    """Parse JSON produced by ``config_to_json`` (or written by hand in the same format)."""
    try:
        data = json.loads(text)
    except json.JSONDecodeError as error:
        raise ValueError(f"config is not valid JSON: {error}") from None
    return config_from_dict(data)

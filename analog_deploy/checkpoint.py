"""Loading pretrained checkpoints: a ``state_dict`` file plus the model's architecture."""

from __future__ import annotations

import importlib
import pickle
from collections.abc import Callable
from pathlib import Path
from typing import Any, Union

import torch
from torch import nn

from .nn.base import AnalogModuleBase

ModelSource = Union[nn.Module, Callable[[], nn.Module], str]


class CheckpointError(ValueError):
    """A checkpoint, factory or architecture that cannot be used; the message says the fix."""


def load_factory(spec: str) -> Callable[[], nn.Module]:
    """Resolve ``"package.module:function"`` to the callable that builds the model."""
    module_name, sep, attribute = spec.partition(":")
    if not sep or not module_name or not attribute:
        raise CheckpointError(f"model factory {spec!r} must look like 'package.module:function'")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise CheckpointError(
            f"cannot import module {module_name!r} of factory {spec!r}: {error}; "
            "is it installed or on PYTHONPATH?"
        ) from None
    factory = module
    for part in attribute.split("."):
        if not hasattr(factory, part):
            raise CheckpointError(f"module {module_name!r} has no attribute {attribute!r} (factory {spec!r})")
        factory = getattr(factory, part)
    if not callable(factory):
        raise CheckpointError(f"factory {spec!r} is not callable")
    return factory


def load_state_dict_file(path: str | Path, *, trusted: bool = False) -> dict[str, Any]:
    """Read a ``state_dict`` saved with ``torch.save``.

    Files are read with ``weights_only=True`` (no code can run) unless ``trusted`` is True. A
    ``{"state_dict": ...}`` or ``{"model_state_dict": ...}`` wrapper is unwrapped.
    """
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"checkpoint {str(path)!r} does not exist")
    try:
        data = torch.load(path, map_location="cpu", weights_only=not trusted)
    except pickle.UnpicklingError as error:
        unsupported = [line for line in str(error).splitlines() if "Unsupported global" in line]
        if not unsupported:
            raise CheckpointError(f"checkpoint {str(path)!r} cannot be read by torch.load: it is corrupt "
                                  "or not a torch checkpoint") from None
        raise CheckpointError(
            f"checkpoint {str(path)!r} holds pickled objects, not only tensors "
            f"({unsupported[0].strip()}); save model.state_dict() instead, or pass trusted=True "
            "if you trust the file"
        ) from None
    except (RuntimeError, EOFError, OSError) as error:
        raise CheckpointError(f"checkpoint {str(path)!r} cannot be read by torch.load: {error}") from None
    if isinstance(data, nn.Module):
        data = data.state_dict()
    if isinstance(data, dict):
        for key in ("state_dict", "model_state_dict"):
            if isinstance(data.get(key), dict):
                data = data[key]
                break
    if not isinstance(data, dict):
        raise CheckpointError(f"checkpoint {str(path)!r} holds a {type(data).__name__}, not a state_dict")
    return data


def load_module_file(path: str | Path) -> nn.Module:
    """A whole model saved with ``torch.save(model)``: unpickling runs code from the file, so
    only call this for files you trust."""
    path = Path(path)
    if not path.is_file():
        raise CheckpointError(f"model file {str(path)!r} does not exist")
    try:
        module = torch.load(path, map_location="cpu", weights_only=False)
    except Exception as error:  # unpickling can raise anything the file's code raises
        raise CheckpointError(f"model file {str(path)!r} cannot be loaded: {error}") from None
    if not isinstance(module, nn.Module):
        raise CheckpointError(f"model file {str(path)!r} holds a {type(module).__name__}, not a torch.nn.Module "
                              "(saved with torch.save(model))")
    return module


def build_model(source: ModelSource) -> nn.Module:
    """A model from a module (used as is), a zero-argument factory, or a factory spec."""
    if isinstance(source, nn.Module):
        return source
    factory = load_factory(source) if isinstance(source, str) else source
    model = factory()
    if not isinstance(model, nn.Module):
        raise CheckpointError(f"model factory returned a {type(model).__name__}, not a torch.nn.Module")
    return model


def load_checkpoint(path: str | Path, model: ModelSource, *, trusted: bool = False) -> nn.Module:
    """The model of ``model`` (module, factory or ``"package.module:function"``) with the
    weights of the ``state_dict`` file ``path``, checked key by key and shape by shape."""
    network = build_model(model)
    state = load_state_dict_file(path, trusted=trusted)
    try:
        network.load_state_dict(state, strict=True)
    except RuntimeError as error:
        raise CheckpointError(
            f"checkpoint {str(path)!r} does not fit the model's architecture: {error}"
        ) from None
    return network


def analog_layer_names(state: dict[str, Any]) -> list[str]:
    """Dotted names of the analog layers a converted model's ``state_dict`` holds tiles for."""
    marker = "." + AnalogModuleBase.ANALOG_STATE_PREFIX
    names = {key.split(marker)[0] for key in state if marker in key}
    names |= {key.split(AnalogModuleBase.ANALOG_STATE_PREFIX)[0].rstrip(".") for key in state
              if key.startswith(AnalogModuleBase.ANALOG_STATE_PREFIX)}
    return sorted(names)


def load_analog_checkpoint(path: str | Path, model: ModelSource, *, trusted: bool = False) -> nn.Module:
    """A converted model saved with ``state_dict()``: the digital architecture of ``model``
    (module, factory or ``"package.module:function"``) with exactly the layers the checkpoint
    holds tiles for made analog, and their rpu configs, weights and tile state loaded."""
    from .convert import convert_to_analog  # the converter imports this module

    state = load_state_dict_file(path, trusted=trusted)
    analog = analog_layer_names(state)
    if not analog:
        raise CheckpointError(
            f"checkpoint {str(path)!r} holds no analog tiles: it is a digital state_dict; convert it first "
            "(analog_deploy.convert_to_analog) or load it with load_checkpoint"
        )
    network = build_model(model)
    names = {name for name, _ in network.named_modules()}
    missing = [name for name in analog if name not in names]
    if missing:
        raise CheckpointError(f"checkpoint {str(path)!r} has analog layers the model lacks: {', '.join(missing)}")
    keep = [name for name, module in network.named_modules() if name and name not in analog]
    network = convert_to_analog(network, "ideal", exclude=keep, inplace=True)
    try:
        network.load_state_dict(state, strict=True)
    except (RuntimeError, KeyError) as error:
        raise CheckpointError(f"checkpoint {str(path)!r} does not fit the model's architecture: {error}") from None
    return network.eval()

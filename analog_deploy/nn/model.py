"""Programming and drifting every analog layer of a model at once, reproducibly."""

from __future__ import annotations

from collections.abc import Iterator

from torch import nn

from ..config.noise import NoiseModel
from ..exceptions import ModuleError
from ..seeding import derive_seed
from .base import AnalogModuleBase


def analog_layers(model: nn.Module) -> Iterator[tuple[str, AnalogModuleBase]]:
    """``(dotted name, layer)`` of every analog layer in ``model`` (itself included)."""
    for name, module in model.named_modules():
        if isinstance(module, AnalogModuleBase):
            yield name, module


def _layer_seed(seed: int | None, name: str) -> int | None:
    return None if seed is None else derive_seed(seed, name)


def _check_eval(model: nn.Module, action: str) -> None:
    if model.training:
        raise ModuleError(f"{action} can only be applied in evaluation mode: call model.eval() first")


def program_analog_weights(
    model: nn.Module, seed: int | None = None, noise_model: NoiseModel | None = None
) -> None:
    """Program every analog layer of ``model``. With ``seed``, each layer's tiles are
    re-seeded from (seed, layer name): one seed is one reproducible chip."""
    _check_eval(model, "program_analog_weights")
    for name, layer in analog_layers(model):
        layer.program_analog_weights(noise_model, seed=_layer_seed(seed, name))


def drift_analog_weights(model: nn.Module, t_inference: float = 0.0, seed: int | None = None) -> None:
    """Drift every analog layer of ``model`` to ``t_inference`` seconds after programming
    (programming layers that are not yet programmed)."""
    _check_eval(model, "drift_analog_weights")
    for name, layer in analog_layers(model):
        layer.drift_analog_weights(t_inference, seed=_layer_seed(seed, name))

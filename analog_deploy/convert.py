"""Converting a torch model to analog layers and back.

One short recursive walk. Which layers convert is decided by ``isinstance`` against a mapping
(``default_mapping()``, user-extendable); the rpu config of each layer follows one precedence:
``rpu_config`` (global) < ``layer_configs[type]`` < ``layer_configs["glob.pattern*"]`` <
``layer_configs["exact.name"]``; a callable ``rpu_config(name, module)`` is the escape hatch.
A config of ``None`` (or a name matching ``exclude``) keeps the layer digital.
"""

from __future__ import annotations

import copy
import fnmatch
import logging
from collections.abc import Callable, Iterable, Mapping
from typing import Union

from torch import nn

from .config.presets import preset
from .config.rpu_config import InferenceRPUConfig
from .nn import AnalogConv1d, AnalogConv2d, AnalogConv3d, AnalogLinear, AnalogModuleBase
from .seeding import derive_seed

logger = logging.getLogger("analog_deploy")

ConfigChoice = Union[InferenceRPUConfig, str, None]
ConfigSource = Union[ConfigChoice, Callable[[str, nn.Module], ConfigChoice]]


def default_mapping() -> dict[type[nn.Module], type[AnalogModuleBase]]:
    """A fresh ``{digital class: analog class}`` table; add entries for your own layers (the
    analog class needs ``from_digital(module, rpu_config, seed)``)."""
    return {
        nn.Linear: AnalogLinear,
        nn.Conv1d: AnalogConv1d,
        nn.Conv2d: AnalogConv2d,
        nn.Conv3d: AnalogConv3d,
    }


def _analog_class(
    module: nn.Module, mapping: Mapping[type[nn.Module], type[AnalogModuleBase]]
) -> type[AnalogModuleBase] | None:
    for base in type(module).__mro__:  # the most specific mapped base wins
        if base in mapping:
            return mapping[base]
    return None


def _as_config(choice: ConfigChoice, name: str) -> InferenceRPUConfig | None:
    if choice is None or isinstance(choice, InferenceRPUConfig):
        return choice
    if isinstance(choice, str):
        return preset(choice)
    raise TypeError(
        f"rpu config for layer {name!r} must be an InferenceRPUConfig, a preset name or None, "
        f"got {type(choice).__name__}"
    )


def _config_for(
    name: str,
    module: nn.Module,
    rpu_config: ConfigSource,
    layer_configs: Mapping[str | type, ConfigChoice],
) -> InferenceRPUConfig | None:
    choice = rpu_config(name, module) if callable(rpu_config) else rpu_config
    for key, value in layer_configs.items():
        if isinstance(key, type) and isinstance(module, key):
            choice = value
    for key, value in layer_configs.items():
        if isinstance(key, str) and key != name and fnmatch.fnmatchcase(name, key):
            choice = value
    if name in layer_configs:
        choice = layer_configs[name]
    return _as_config(choice, name)


def convert_to_analog(
    model: nn.Module,
    rpu_config: ConfigSource = "pcm",
    *,
    layer_configs: Mapping[str | type, ConfigChoice] | None = None,
    exclude: Iterable[str] = (),
    mapping: Mapping[type[nn.Module], type[AnalogModuleBase]] | None = None,
    inplace: bool = False,
    seed: int | None = None,
) -> nn.Module:
    """Replace every mapped layer (``nn.Linear``, ``nn.Conv1d/2d/3d`` and their subclasses by
    default) with its analog counterpart.

    Args:
        model: the digital model (or a single layer).
        rpu_config: config for all layers: an ``InferenceRPUConfig``, a preset name, or a
            callable ``(dotted_name, module) -> config or None``.
        layer_configs: per-layer overrides keyed by layer class, glob pattern or exact dotted
            name (that precedence, lowest first); a value of None keeps the layer digital.
        exclude: glob patterns of dotted names to keep digital.
        mapping: ``{digital class: analog class}``; default ``default_mapping()``.
        inplace: convert ``model`` itself instead of a copy (no extra weight memory).
        seed: derive every layer's noise seed from this and its name (default: torch's
            global generator).

    The analog layers share the weight tensors of the (copied) model, so converting costs at
    most one copy of the weights, and none with ``inplace=True``.
    """
    mapping = default_mapping() if mapping is None else mapping
    layer_configs = {} if layer_configs is None else layer_configs
    exclude = list(exclude)
    if not inplace:
        model = copy.deepcopy(model)
    skipped: list[str] = []
    converted_modules: dict[int, nn.Module] = {}  # a module used twice becomes one analog layer

    def convert(name: str, module: nn.Module) -> nn.Module:
        if isinstance(module, AnalogModuleBase):
            return module
        if id(module) in converted_modules:
            return converted_modules[id(module)]
        analog_class = _analog_class(module, mapping)
        if analog_class is not None:
            config = _config_for(name, module, rpu_config, layer_configs)
            if config is None or any(fnmatch.fnmatchcase(name, pattern) for pattern in exclude):
                skipped.append(name or "<root>")
                return module
            layer_seed = None if seed is None else derive_seed(seed, name)
            analog = analog_class.from_digital(module, config, seed=layer_seed)
            analog.train(module.training)
            converted_modules[id(module)] = analog
            return analog
        # _modules, not named_children(): the latter skips a second use of the same module
        for child_name, child in list(module._modules.items()):
            if child is None:
                continue
            replacement = convert(f"{name}.{child_name}" if name else child_name, child)
            if replacement is not child:
                setattr(module, child_name, replacement)
        return module

    converted = convert("", model)
    if skipped:
        logger.info("kept digital: %s", ", ".join(skipped))
    return converted


def convert_to_digital(model: nn.Module, *, inplace: bool = False) -> nn.Module:
    """Replace every analog layer by its torch counterpart holding the target weights."""
    if not inplace:
        model = copy.deepcopy(model)
    converted_modules: dict[int, nn.Module] = {}

    def convert(module: nn.Module) -> nn.Module:
        if isinstance(module, AnalogModuleBase):
            if id(module) not in converted_modules:
                converted_modules[id(module)] = module.to_digital()
            return converted_modules[id(module)]
        for name, child in list(module._modules.items()):
            if child is not None and (replacement := convert(child)) is not child:
                setattr(module, name, replacement)
        return module

    return convert(model)

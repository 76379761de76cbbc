"""``AnalogModuleBase``: what every analog layer shares (aihwkit's API and meaning).

A layer keeps its digital target weights as the ``weight`` parameter (what training updates
and ``set_weights`` writes) and maps them onto ``AnalogTile`` submodules: one grid of tiles
per convolution group. ``program_analog_weights`` / ``drift_analog_weights`` act on the
tiles; in eval mode a programmed layer computes with the drifted conductances, in training
mode always with the live weights (hardware-aware training).
"""

from __future__ import annotations

import copy
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import torch
from torch import Tensor, nn

from .. import kernels
from ..config.noise import NoiseModel
from ..config.rpu_config import InferenceRPUConfig
from ..config.serialization import config_from_json, config_to_json
from ..exceptions import ModuleError
from ..seeding import derive_seed, fresh_seed
from ..tiles.array import tile_grid, tiled_mvm
from ..tiles.mvm import probe_outputs
from ..tiles.tile import AnalogTile


class AnalogModuleBase(nn.Module):
    """Base of the analog layers: tiles, programming, drift, weight access, state."""

    ANALOG_CTX_PREFIX: str = "analog_ctx_"
    """aihwkit's prefix of analog-context parameters; this package has none (kept for code
    that reads the constant)."""
    ANALOG_SHARED_WEIGHT_PREFIX: str = "analog_shared_weights_"
    """aihwkit's prefix of shared-weight buffers; this package has none (kept for code that
    reads the constant)."""
    ANALOG_STATE_PREFIX: str = "analog_tile_state_"
    """Prefix of the tile submodules, hence of their keys in the ``state_dict``."""
    ANALOG_OUT_SCALING_ALPHA_PREFIX: str = "analog_out_scaling_alpha_"
    """aihwkit's prefix of learned output scales; this package keeps output scales inside the
    tiles (``out_scales``) (kept for code that reads the constant)."""
    ANALOG_INPUT_RANGE_PREFIX: str = "analog_input_range_"
    """aihwkit's prefix of learned input ranges; not modelled here (kept for code that reads
    the constant)."""

    weight: nn.Parameter
    bias: nn.Parameter | None

    def __init__(
        self,
        rpu_config: InferenceRPUConfig | None,
        realistic_read_write: bool,
        seed: int | None,
    ) -> None:
        super().__init__()
        self.rpu_config = copy.deepcopy(rpu_config) if rpu_config is not None else InferenceRPUConfig()
        self.realistic_read_write = realistic_read_write
        """If True, ``set_weights`` programs the tiles (with programming noise) and
        ``get_weights`` reads them through the noisy periphery, unless ``force_exact``."""
        self.seed = fresh_seed() if seed is None else seed
        self._registered_helpers: set[str] = set()
        self._tile_groups: list[list[AnalogTile]] = []

    # ----------------------------------------------------------------- tiles
    def _build_tiles(self, out_features: int, in_features: int, groups: int = 1) -> None:
        """Create the tile grid(s) of an ``[out_features, in_features]`` matrix whose rows are
        split into ``groups`` independent groups (convolution groups)."""
        for name, _ in list(self.named_analog_tiles()):
            delattr(self, name)
        self._tile_groups = []
        out_per_group = out_features // groups
        index = 0
        for group in range(groups):
            tiles = []
            for (start, stop), in_range in tile_grid(out_per_group, in_features, self.rpu_config.mapping):
                offset = group * out_per_group
                tile = AnalogTile(
                    (start + offset, stop + offset), in_range, self.rpu_config, derive_seed(self.seed, index)
                )
                self.register_analog_tile(tile)
                tiles.append(tile)
                index += 1
            self._tile_groups.append(tiles)

    def register_analog_tile(self, tile: AnalogTile, name: str | None = None) -> None:
        """Register ``tile`` as a submodule (named ``ANALOG_STATE_PREFIX + index`` unless
        given), so ``analog_tiles()``, ``state_dict`` and ``.to()`` see it."""
        if not isinstance(tile, AnalogTile):
            raise ModuleError(f"register_analog_tile expects an AnalogTile, got {type(tile).__name__}")
        self.add_module(name or f"{self.ANALOG_STATE_PREFIX}{self.analog_tile_count()}", tile)

    def named_analog_tiles(self) -> Iterator[tuple[str, AnalogTile]]:
        """The tiles of this layer with their submodule names."""
        for name, module in self.named_children():
            if isinstance(module, AnalogTile):
                yield name, module

    def analog_tiles(self) -> Iterator[AnalogTile]:
        """The tiles of this layer."""
        for _, tile in self.named_analog_tiles():
            yield tile

    def analog_tile_count(self) -> int:
        """Number of tiles of this layer."""
        return sum(1 for _ in self.analog_tiles())

    def get_analog_tile_devices(self) -> list[torch.device]:
        """The device of every tile."""
        return [tile.device for tile in self.analog_tiles()]

    def register_helper(self, name: str) -> None:
        """Mark attribute ``name`` as a helper that is kept out of the ``state_dict``."""
        self._registered_helpers.add(name)

    def unregister_parameter(self, param_name: str) -> None:
        """Turn parameter ``param_name`` into a plain ``None`` attribute (e.g. to drop a bias)."""
        if not isinstance(getattr(self, param_name, None), nn.Parameter):
            raise ModuleError(f"{type(self).__name__} has no parameter {param_name!r} to unregister")
        delattr(self, param_name)
        setattr(self, param_name, None)

    # ------------------------------------------- aihwkit 1.x layer traversal
    def named_analog_layers(self) -> Iterator[tuple[str, "AnalogModuleBase"]]:
        """This layer and every analog layer inside it, with dotted names."""
        for name, module in self.named_modules():
            if isinstance(module, AnalogModuleBase):
                yield name, module

    def analog_layers(self) -> Iterator["AnalogModuleBase"]:
        """This layer and every analog layer inside it."""
        for _, layer in self.named_analog_layers():
            yield layer

    named_analog_modules = named_analog_layers  # aihwkit's names for the same walk (no containers here)
    analog_modules = analog_layers

    def apply_to_analog_layers(self, fn: Callable[["AnalogModuleBase"], object]) -> "AnalogModuleBase":
        """Call ``fn`` on every analog layer; returns self."""
        for layer in self.analog_layers():
            fn(layer)
        return self

    def apply_to_analog_tiles(self, fn: Callable[[AnalogTile], object]) -> "AnalogModuleBase":
        """Call ``fn`` on every tile of every analog layer; returns self."""
        for layer in self.analog_layers():
            for tile in layer.analog_tiles():
                fn(tile)
        return self

    def replace_rpu_config(self, rpu_config: InferenceRPUConfig) -> None:
        """Use a new config (a copy) for this layer: tiles are rebuilt for its mapping and
        forget any programmed state."""
        self.rpu_config = copy.deepcopy(rpu_config)
        self._build_tiles(self.weight.shape[0], self.weight_matrix().shape[1], len(self._tile_groups))

    # --------------------------------------------------------------- weights
    def _parameter(self, name: str) -> Tensor | None:
        """``getattr(self, name)`` for the weight or bias, read from ``_parameters`` where it
        is one: ``nn.Module.__getattr__`` costs microseconds per name between GEMMs, as much as
        a small layer's element-wise work (the two lookups of a forward were 0.01x of the MLP
        benchmark)."""
        parameters = self._parameters
        return parameters[name] if name in parameters else getattr(self, name)

    def weight_matrix(self) -> Tensor:
        """The target weights as the ``[out, in]`` matrix the tiles hold (convolutions:
        ``[out, in / groups * prod(kernel_size)]``)."""
        weight = self._parameter("weight")
        return weight.reshape(weight.shape[0], -1)

    def analog_mvm(self, x: Tensor | kernels.GatheredVectors, group: int = 0) -> Tensor:
        """``x @ weight_matrix.T + bias`` for one group's rows, through that group's tiles (the
        tiles' digital periphery adds the bias)."""
        return tiled_mvm(self._tile_groups[group], x, self.weight_matrix(), not self.training, self._parameter("bias"))

    def _assemble(self, blocks: Iterator[tuple[AnalogTile, Tensor]]) -> Tensor:
        matrix = torch.empty_like(self.weight_matrix().detach())
        for tile, block in blocks:
            matrix[tile.out_range[0] : tile.out_range[1], tile.in_range[0] : tile.in_range[1]] = block
        return matrix.reshape(self.weight.shape)

    @torch.no_grad()
    def get_weights(
        self, force_exact: bool = False, apply_weight_scaling: bool = True
    ) -> tuple[Tensor, Tensor | None]:
        """The weights currently on the tiles and the (digital) bias.

        Args:
            force_exact: read the stored values even if ``realistic_read_write`` is set;
                otherwise a realistic read drives every input line alone through the noisy
                periphery (one probe per input) and returns what comes out.
            apply_weight_scaling: multiply by the digital output scales (logical weights);
                False returns the values as they sit on the crossbar.

        Unlike aihwkit, layers with several tiles are supported: the blocks are assembled.
        A programmed layer returns its programmed (drifted) weights, without the drift
        compensation gain.
        """
        matrix = self.weight_matrix().detach()
        exact = force_exact or not self.realistic_read_write

        def blocks() -> Iterator[tuple[AnalogTile, Tensor]]:
            for tile in self.analog_tiles():
                if not tile.is_programmed and exact and apply_weight_scaling:
                    yield tile, tile.block(matrix)  # the targets themselves, bit for bit
                    continue
                if tile.is_programmed:
                    analog, scales = tile.analog_weight, tile.out_scales
                else:
                    analog, scales = tile.tile_weight(matrix)
                if not exact:
                    analog = probe_outputs(analog, self.rpu_config.forward, tile.generator).T
                yield tile, analog * scales[:, None] if apply_weight_scaling else analog

        bias = None if self.bias is None else self.bias.detach().clone()
        return self._assemble(blocks()), bias

    @torch.no_grad()
    def set_weights(
        self,
        weight: Tensor,
        bias: Tensor | None = None,
        force_exact: bool = False,
        apply_weight_scaling: bool = True,
        weight_scaling_omega: float | None = None,
    ) -> None:
        """Write new target weights (and bias); any programmed state is replaced.

        Args:
            weight: in the shape of the ``weight`` parameter (or the ``[out, in]`` matrix).
            bias: the digital bias; None leaves it as it is.
            force_exact: with ``realistic_read_write``, skip the noisy programming.
            apply_weight_scaling: map with the configured weight scaling; False puts the
                values on the crossbar as they are (``weight_scaling_omega`` becomes 0).
            weight_scaling_omega: a new weight scaling omega for this layer.
        """
        weight = torch.as_tensor(weight)
        if weight.numel() != self.weight.numel():
            raise ModuleError(
                f"{type(self).__name__}.set_weights: weight of shape {tuple(weight.shape)} does not "
                f"fit the layer's weight {tuple(self.weight.shape)}"
            )
        if bias is not None:
            if self.bias is None:
                raise ModuleError(f"{type(self).__name__}.set_weights: the layer has no bias")
            if bias.numel() != self.bias.numel():
                raise ModuleError(
                    f"{type(self).__name__}.set_weights: bias of shape {tuple(bias.shape)} does not "
                    f"fit the layer's bias {tuple(self.bias.shape)}"
                )
            self.bias.copy_(bias.reshape(self.bias.shape))
        self.weight.copy_(weight.reshape(self.weight.shape))
        if not apply_weight_scaling:
            weight_scaling_omega = 0.0
        self.remap_weights(weight_scaling_omega)
        if self.realistic_read_write and not force_exact:
            self._program()

    def remap_analog_weights(self, weight_scaling_omega: float | None = 1.0) -> None:
        """aihwkit 1.x name of ``remap_weights``."""
        self.remap_weights(weight_scaling_omega)

    def remap_weights(self, weight_scaling_omega: float | None = 1.0) -> None:
        """Set a new weight scaling omega (None keeps the configured one) and map the target
        weights afresh; programmed state is dropped (re-program to put noise back on)."""
        if weight_scaling_omega is not None:
            mapping = self.rpu_config.mapping
            self.rpu_config.mapping = type(mapping)(
                **{**mapping.__dict__, "weight_scaling_omega": float(weight_scaling_omega)}
            )
            for tile in self.analog_tiles():
                tile.rpu_config = self.rpu_config
        for tile in self.analog_tiles():
            tile.reset()

    # ------------------------------------------------------ programming, drift
    def _check_eval(self, action: str) -> None:
        if self.training:
            raise ModuleError(f"{action} can only be applied in evaluation mode: call model.eval() first")

    def _reseed(self, seed: int | None) -> None:
        if seed is not None:
            for index, tile in enumerate(self.analog_tiles()):
                tile.manual_seed(derive_seed(seed, index))

    def _program(self) -> None:
        matrix = self.weight_matrix()
        for tile in self.analog_tiles():
            tile.program(matrix)

    def program_analog_weights(self, noise_model: NoiseModel | None = None, seed: int | None = None) -> None:
        """Program the target weights onto the tiles (programming noise, drift exponents,
        compensation baseline). ``noise_model`` replaces the configured one; ``seed`` re-seeds
        the tiles' generators first (for a reproducible Monte-Carlo repetition)."""
        self._check_eval("program_analog_weights")
        if noise_model is not None:
            self.rpu_config.noise_model = copy.deepcopy(noise_model)
        self._reseed(seed)
        self._program()

    def drift_analog_weights(self, t_inference: float = 0.0, seed: int | None = None) -> None:
        """Drift the programmed conductances to ``t_inference`` seconds after programming
        (programming first if needed) and re-estimate the drift compensation."""
        self._check_eval("drift_analog_weights")
        if not (isinstance(t_inference, (int, float)) and t_inference >= 0):
            raise ValueError(f"t_inference must be a number of seconds >= 0, got {t_inference!r}")
        self._reseed(seed)
        if not all(tile.is_programmed for tile in self.analog_tiles()):
            self._program()
        for tile in self.analog_tiles():
            tile.drift(float(t_inference))

    # ------------------------------------------------------------------ state
    def get_extra_state(self) -> dict[str, Any]:
        return {
            "rpu_config": config_to_json(self.rpu_config),
            "realistic_read_write": self.realistic_read_write,
            "seed": self.seed,
        }

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.realistic_read_write = state["realistic_read_write"]
        self.seed = state["seed"]
        loaded = config_from_json(state["rpu_config"])
        if not getattr(self, "_load_rpu_config", True):
            if getattr(self, "_strict_rpu_config_check", True) and (
                loaded.mapping.max_input_size != self.rpu_config.mapping.max_input_size
                or loaded.mapping.max_output_size != self.rpu_config.mapping.max_output_size
            ):
                raise ModuleError(
                    f"{type(self).__name__}: the checkpoint's tile sizes "
                    f"({loaded.mapping.max_output_size}x{loaded.mapping.max_input_size}) differ from "
                    f"this layer's ({self.rpu_config.mapping.max_output_size}x"
                    f"{self.rpu_config.mapping.max_input_size}); load with load_rpu_config=True or "
                    "strict_rpu_config_check=False"
                )
            return
        self.rpu_config = loaded
        self._build_tiles(self.weight.shape[0], self.weight_matrix().shape[1], len(self._tile_groups))

    def state_dict(self, *args: Any, **kwargs: Any) -> dict[str, Any]:
        """torch's ``state_dict`` (weights, tile state, the rpu config as JSON in the extra
        state) without the helpers registered with ``register_helper``."""
        state = super().state_dict(*args, **kwargs)
        prefix = kwargs.get("prefix", args[1] if len(args) > 1 else "")
        for name in self._registered_helpers:
            state.pop(prefix + name, None)
        return state

    def load_state_dict(
        self,
        state_dict: Mapping[str, Any],
        strict: bool = True,
        load_rpu_config: bool = True,
        strict_rpu_config_check: bool = True,
        **kwargs: Any,
    ) -> Any:
        """torch's ``load_state_dict``, plus aihwkit's choice of config.

        Args:
            load_rpu_config: take the rpu config stored in the checkpoint (default); False
                keeps this layer's config (e.g. to evaluate a checkpoint on other hardware).
            strict_rpu_config_check: with ``load_rpu_config=False``, refuse a checkpoint whose
                tile layout differs from this layer's.
        """
        for module in self.modules():
            if isinstance(module, AnalogModuleBase):
                module._load_rpu_config = load_rpu_config
                module._strict_rpu_config_check = strict_rpu_config_check
        try:
            return super().load_state_dict(state_dict, strict=strict, **kwargs)
        finally:
            for module in self.modules():
                if isinstance(module, AnalogModuleBase):
                    del module._load_rpu_config, module._strict_rpu_config_check

    def extra_repr(self) -> str:
        noise = type(self.rpu_config.noise_model).__name__
        return f"tiles={self.analog_tile_count()}, noise_model={noise}"

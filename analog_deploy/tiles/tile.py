"""One analog crossbar tile: a block of a layer's weight matrix, its programmed conductances,
its drift state and its digital periphery (output scales, drift compensation)."""

from __future__ import annotations

from typing import Any

import torch
from torch import Tensor, nn

from .. import kernels, physics
from ..config.rpu_config import InferenceRPUConfig
from .mvm import analog_mvm, probe_outputs

_MIN_SCALE = 1e-12
"""Floor of an output scale, so an all-zero column maps to zero instead of NaN."""

PROGRAMMED_BUFFERS = (
    "out_scales",
    "conductance_scale",
    "g_plus",
    "g_minus",
    "nu_plus",
    "nu_minus",
    "analog_weight",
    "baseline",
    "alpha",
)
"""The state a tile gets when it is programmed; absent (None) before."""


class AnalogTile(nn.Module):
    """Rows ``out_range`` x columns ``in_range`` of a layer's ``[out, in]`` weight matrix.

    Before programming, the tile computes with the layer's live weights (exact targets, IO
    non-idealities only): that is the hardware-aware-training path. ``program`` draws
    programming noise and drift exponents; ``drift(t)`` draws the conductances at time t and
    re-estimates the drift compensation. In eval mode a programmed tile computes with its
    drifted conductances.
    """

    def __init__(
        self,
        out_range: tuple[int, int],
        in_range: tuple[int, int],
        rpu_config: InferenceRPUConfig,
        seed: int,
    ) -> None:
        super().__init__()
        self.out_range = out_range
        self.in_range = in_range
        self.rpu_config = rpu_config
        self.generator = torch.Generator().manual_seed(seed)
        self.noise = kernels.NoiseStream(self.generator)
        """Forward-noise keys of the kernel path (drawn from ``generator``)."""
        self.t_inference: float | None = None
        """Seconds after programming the conductances were drifted to (None: not drifted)."""
        self._kernel_tile: kernels.KernelTile | None = None
        """The programmed state as the kernels take it, kept across forwards (see ``forward``)."""
        for name in PROGRAMMED_BUFFERS:
            self.register_buffer(name, None)

    @property
    def device(self) -> torch.device:
        """Where the tile's state lives (its generator's device before it is programmed)."""
        return self.analog_weight.device if self.is_programmed else self.generator.device

    @property
    def is_programmed(self) -> bool:
        return self.analog_weight is not None

    def extra_repr(self) -> str:
        state = "not programmed"
        if self.is_programmed:
            state = "programmed" if self.t_inference is None else f"t_inference={self.t_inference:g}s"
        return f"out={self.out_range}, in={self.in_range}, {state}"

    def manual_seed(self, seed: int) -> None:
        """Re-seed the tile's generator (programming, drift and forward noise)."""
        self.generator.manual_seed(seed)
        self.noise.reset()

    def block(self, weight: Tensor) -> Tensor:
        """This tile's block of the layer's ``[out, in]`` weight matrix."""
        return weight[self.out_range[0] : self.out_range[1], self.in_range[0] : self.in_range[1]]

    def output_scales(self, block: Tensor) -> Tensor:
        """Digital output scales (``[out]``) that bring the block's absolute max (per tile or
        per column) to ``weight_scaling_omega``; ones when weight scaling is off."""
        mapping = self.rpu_config.mapping
        block = block.detach()
        if mapping.weight_scaling_omega <= 0:
            return torch.ones(block.shape[0], dtype=block.dtype, device=block.device)
        if mapping.weight_scaling_columnwise:
            abs_max = block.abs().amax(dim=1)
        else:
            abs_max = physics.abs_max(block).expand(block.shape[0])
        return (abs_max / mapping.weight_scaling_omega).clamp(min=_MIN_SCALE)

    def tile_weight(self, weight: Tensor) -> tuple[Tensor, Tensor]:
        """The target weights as they sit on the crossbar and the output scales that undo the
        weight scaling (differentiable in ``weight``)."""
        block = self.block(weight)
        scales = self.output_scales(block)
        return block / scales[:, None], scales

    @torch.no_grad()
    def program(self, weight: Tensor) -> None:
        """Program the target block onto conductances: programming noise and drift exponents
        are drawn once; the compensation baseline is read right after."""
        self._kernel_tile = None  # let the replaced tensors go
        target, scales = self.tile_weight(weight)
        noise_model = self.rpu_config.noise_model
        g_scale = physics.conductance_scale(target, noise_model.g_max).reshape(1)
        self.g_plus, self.g_minus, self.nu_plus, self.nu_minus, self.analog_weight = physics.program(
            target, g_scale, noise_model, self.generator
        )
        self.out_scales = scales.clone()
        self.conductance_scale = g_scale
        self.t_inference = None
        compensation = self.rpu_config.drift_compensation
        if compensation is None:
            self.baseline = None
            self.alpha = torch.ones(1, dtype=target.dtype, device=target.device)
        else:
            self.baseline = physics.readout(self._probe(), compensation)
            self.alpha = torch.ones_like(self.baseline)

    @torch.no_grad()
    def drift(self, t_inference: float) -> None:
        """Set the conductances to their state ``t_inference`` seconds after programming (a
        fresh draw of the accumulated read noise) and re-estimate the compensation gain."""
        if not self.is_programmed:
            raise RuntimeError("drift needs a programmed tile: call program() first")
        self.analog_weight = physics.drift(
            self.g_plus,
            self.g_minus,
            self.nu_plus,
            self.nu_minus,
            self.conductance_scale,
            float(t_inference),
            self.rpu_config.noise_model,
            self.generator,
            out=self.analog_weight,  # drifted weights replace the previous ones in place
        )
        self.t_inference = float(t_inference)
        compensation = self.rpu_config.drift_compensation
        if compensation is not None:
            current = physics.readout(self._probe(), compensation)
            self.alpha = physics.compensation_gain(self.baseline, current)

    def _probe(self) -> Tensor:
        return probe_outputs(self.analog_weight, self.rpu_config.forward, self.generator)

    def reset(self) -> None:
        """Forget the programmed state: the tile computes with the live target weights again."""
        for name in PROGRAMMED_BUFFERS:
            setattr(self, name, None)
        self.t_inference = None
        self._kernel_tile = None

    def forward(
        self,
        x: Tensor | kernels.GatheredVectors,
        weight: Tensor,
        use_programmed: bool,
        addend: Tensor | None = None,
        bias: Tensor | None = None,
    ) -> Tensor:
        """Analog MVM of ``x`` (``[N, in]``, this tile's input slice) with digital output
        scales and drift compensation applied (``[N, out]``), then ``addend + y + bias`` (see
        ``analog_mvm``).

        Programmed inference on the kernel path calls ``kernels.tile_forward`` directly, with
        the programmed state prepared once (``kernels.KernelTile``): it is the hot path of
        every analog model, and the buffers are read from ``_buffers`` since ``nn.Module``'s
        attribute lookup of each costs as much as a small layer's element-wise work."""
        buffers = self._buffers
        analog_weight, out_scales, alpha = buffers["analog_weight"], buffers["out_scales"], buffers["alpha"]
        if use_programmed and analog_weight is not None:
            io = self.rpu_config.forward
            if not io.is_perfect and kernels.applicable(x, addend, bias):
                kept = self._kernel_tile
                if kept is None or not kept.holds(analog_weight, out_scales, alpha, io):
                    applicable = kernels.applicable(analog_weight, out_scales, alpha)
                    kept = kernels.KernelTile(analog_weight, out_scales, alpha, io, self.noise) if applicable else None
                    self._kernel_tile = kept
                if kept is not None:
                    return kernels.tile_forward(x, kept, addend, bias)
            return analog_mvm(x, analog_weight, io, self.generator, out_scales, self.noise, alpha, addend, bias)
        analog_weight, scales = self.tile_weight(weight)
        return analog_mvm(
            x, analog_weight, self.rpu_config.forward, self.generator, scales, self.noise, None, addend, bias
        )

    def __getstate__(self) -> dict[str, Any]:
        # Copies and pickles leave the kept kernel tile behind: it points into this tile's memory.
        state = self.__dict__.copy()
        state["_kernel_tile"] = None
        return state

    def _apply(self, fn: Any, recurse: bool = True) -> "AnalogTile":
        self._kernel_tile = None  # it holds the tensors that .to() and the like replace
        return super()._apply(fn, recurse)

    def get_extra_state(self) -> dict[str, Any]:
        return {
            "t_inference": self.t_inference,
            "generator_state": self.generator.get_state(),
            "noise_key": self.noise.key,
            "noise_calls": self.noise.calls,
        }

    def set_extra_state(self, state: dict[str, Any]) -> None:
        self.t_inference = state["t_inference"]
        self.generator.set_state(state["generator_state"])
        # absent in checkpoints written before tiles had a noise stream: draw a key at first use
        self.noise.key, self.noise.calls = state.get("noise_key"), state.get("noise_calls", 0)

    def _load_from_state_dict(
        self,
        state_dict: dict[str, Any],
        prefix: str,
        local_metadata: dict[str, Any],
        strict: bool,
        missing_keys: list[str],
        unexpected_keys: list[str],
        error_msgs: list[str],
    ) -> None:
        # The programmed buffers exist only once programmed: take the checkpoint's shapes
        # (or drop ours when the checkpoint holds an unprogrammed tile).
        self._kernel_tile = None
        for name in PROGRAMMED_BUFFERS:
            key = prefix + name
            if key in state_dict:
                setattr(self, name, torch.empty_like(state_dict[key], device=self.device))
            else:
                setattr(self, name, None)
        super()._load_from_state_dict(
            state_dict, prefix, local_metadata, strict, missing_keys, unexpected_keys, error_msgs
        )

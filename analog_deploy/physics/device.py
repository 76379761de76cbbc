"""Device-model dispatch: programming and drift for whichever noise model a config names."""

from __future__ import annotations

import torch
from torch import Generator, Tensor

from ..config.noise import IdealNoiseModel, NoiseModel, PCMLikeNoiseModel
from . import pcm


def program(
    g_target: Tensor, model: NoiseModel, generator: Generator | None
) -> tuple[Tensor, Tensor]:
    """Programmed conductances and per-device drift exponents for target conductances."""
    if isinstance(model, IdealNoiseModel):
        return g_target.clone(), torch.zeros_like(g_target)
    if isinstance(model, PCMLikeNoiseModel):
        return pcm.program(g_target, model, generator), pcm.drift_exponents(g_target, model, generator)
    raise TypeError(f"no device physics for noise model {type(model).__name__}")


def drift(
    g_prog: Tensor,
    nu: Tensor,
    t_inference: float,
    model: NoiseModel,
    generator: Generator | None,
) -> Tensor:
    """Conductances at t_inference seconds after programming."""
    if isinstance(model, IdealNoiseModel):
        return g_prog.clone()
    if isinstance(model, PCMLikeNoiseModel):
        return pcm.drift(g_prog, nu, t_inference, model, generator)
    raise TypeError(f"no device physics for noise model {type(model).__name__}")

"""Device-model dispatch: programming and drift of a tile's differential pairs, for whichever
noise model a config names. PCM runs in the fused C++ kernels when they apply (float32 CPU),
else in the torch reference (``physics.pcm``)."""

from __future__ import annotations

import torch
from torch import Generator, Tensor

from .. import kernels
from ..config.noise import IdealNoiseModel, NoiseModel, PCMLikeNoiseModel
from . import pcm
from .conductance import conductances_to_weights, weights_to_conductances


def _check_model(model: NoiseModel) -> None:
    if not isinstance(model, (IdealNoiseModel, PCMLikeNoiseModel)):
        raise TypeError(f"no device physics for noise model {type(model).__name__}")


def program(
    weight: Tensor, conductance_scale: Tensor, model: NoiseModel, generator: Generator | None
) -> tuple[Tensor, Tensor, Tensor, Tensor, Tensor]:
    """Program tile weights onto differential pairs: programmed (G+, G-) in uS, the drift
    exponents (nu+, nu-) of every device, and the programmed weights read back."""
    _check_model(model)
    if isinstance(model, PCMLikeNoiseModel) and kernels.applicable(weight):
        return kernels.pcm_program(weight, float(conductance_scale), model, kernels.draw_key(generator))
    g_plus, g_minus = weights_to_conductances(weight, conductance_scale)
    if isinstance(model, IdealNoiseModel):
        nu_plus, nu_minus = torch.zeros_like(weight), torch.zeros_like(weight)
    else:
        nu_plus, nu_minus = pcm.drift_exponents(g_plus, model, generator), pcm.drift_exponents(g_minus, model, generator)
        g_plus, g_minus = pcm.program(g_plus, model, generator), pcm.program(g_minus, model, generator)
    return g_plus, g_minus, nu_plus, nu_minus, conductances_to_weights(g_plus, g_minus, conductance_scale)


def drift(
    g_plus: Tensor,
    g_minus: Tensor,
    nu_plus: Tensor,
    nu_minus: Tensor,
    conductance_scale: Tensor,
    t_inference: float,
    model: NoiseModel,
    generator: Generator | None,
    out: Tensor | None = None,
) -> Tensor:
    """Tile weights read ``t_inference`` seconds after programming. The kernels write them
    into ``out`` when given (a contiguous float32 buffer of the same shape)."""
    _check_model(model)
    if isinstance(model, IdealNoiseModel):
        return conductances_to_weights(g_plus, g_minus, conductance_scale)
    if kernels.applicable(g_plus):
        key = kernels.draw_key(generator)
        return kernels.pcm_drift(
            g_plus, g_minus, nu_plus, nu_minus, float(conductance_scale), t_inference, model, key, out
        )
    g_plus_t = pcm.drift(g_plus, nu_plus, t_inference, model, generator)
    g_minus_t = pcm.drift(g_minus, nu_minus, t_inference, model, generator)
    return conductances_to_weights(g_plus_t, g_minus_t, conductance_scale)

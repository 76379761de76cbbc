"""Phase-change-memory device statistics (Nandakumar et al., ICECS 2019; as in aihwkit).

All functions act on conductances in uS, element-wise and vectorized, and draw their random
numbers from the explicit ``generator`` so runs are reproducible.
"""

from __future__ import annotations

import math

import torch
from torch import Generator, Tensor

from ..config.noise import PCMLikeNoiseModel

_MIN_RELATIVE_G = 1e-7
"""Floor of G/g_max inside the logarithm of the drift-exponent statistics."""


def _randn_like(tensor: Tensor, generator: Generator | None) -> Tensor:
    return torch.randn(tensor.shape, generator=generator, dtype=tensor.dtype, device=tensor.device)


def programming_noise_std(g_target: Tensor, model: PCMLikeNoiseModel) -> Tensor:
    """Std of the programmed conductance: ``sum_i c_i (G/g_max)^i * g_max / g_ref`` (uS)."""
    relative = g_target / model.g_max
    std = torch.full_like(g_target, model.prog_coeff[-1])
    for coeff in reversed(model.prog_coeff[:-1]):  # Horner's rule
        std.mul_(relative).add_(coeff)
    return std.mul_(model.prog_noise_scale * model.g_max / model.prog_coeff_g_max_reference)


def program(g_target: Tensor, model: PCMLikeNoiseModel, generator: Generator | None) -> Tensor:
    """Programmed conductances: target plus Gaussian programming noise, clipped at 0."""
    noise = _randn_like(g_target, generator).mul_(programming_noise_std(g_target, model))
    return noise.add_(g_target).clamp_(min=0.0)


def drift_exponent_mean_std(g_target: Tensor, model: PCMLikeNoiseModel) -> tuple[Tensor, Tensor]:
    """Mean and std of the drift exponent nu, linear in log(G/g_max) within clipped ranges."""
    log_g = (g_target / model.g_max).abs_().clamp_(min=_MIN_RELATIVE_G).log_()
    mean = (log_g * -0.0155).add_(0.0244).clamp_(min=0.049, max=0.1)
    std = log_g.mul_(-0.0125).sub_(0.0059).clamp_(min=0.008, max=0.045)
    return mean, std


def drift_exponents(g_target: Tensor, model: PCMLikeNoiseModel, generator: Generator | None) -> Tensor:
    """One drift exponent per device: |N(mean, std)| * drift_scale."""
    mean, std = drift_exponent_mean_std(g_target, model)
    return _randn_like(g_target, generator).mul_(std).add_(mean).abs_().mul_(model.drift_scale)


def read_noise_relative_std(g_prog: Tensor, t_inference: float, model: PCMLikeNoiseModel) -> Tensor:
    """Std of the accumulated 1/f read noise relative to |G(t)|:
    ``Q_s(G_prog) * sqrt(ln((t + t_0 + t_read) / (2 t_read)))``."""
    q_s = (g_prog / model.g_max).abs().pow_(0.65).clamp_(min=1e-3).reciprocal_().mul_(0.0088)
    q_s.clamp_(max=0.2)
    time_factor = math.sqrt(math.log((t_inference + model.t_0 + model.t_read) / (2 * model.t_read)))
    return q_s.mul_(time_factor * model.read_noise_scale)


def drift(
    g_prog: Tensor,
    nu: Tensor,
    t_inference: float,
    model: PCMLikeNoiseModel,
    generator: Generator | None,
) -> Tensor:
    """Conductances t_inference seconds after programming: power-law drift
    ``G_prog ((t + t_0) / t_0)^-nu`` plus accumulated 1/f read noise, clipped at 0."""
    if t_inference > 0:
        g_drift = torch.pow((t_inference + model.t_0) / model.t_0, -nu).mul_(g_prog)
    else:
        g_drift = g_prog.clone()
    noise = _randn_like(g_prog, generator).mul_(read_noise_relative_std(g_prog, t_inference, model))
    return noise.mul_(g_drift.abs()).add_(g_drift).clamp_(min=0.0)

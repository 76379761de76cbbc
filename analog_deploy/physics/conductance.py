"""Weights <-> conductances of a differential pair (G+ holds positive, G- negative weights)."""

from __future__ import annotations

import torch
from torch import Tensor

_MIN_ABS_MAX = 1e-7
"""Floor of max|w| so that an all-zero tile maps to zero conductances instead of dividing by 0."""


def abs_max(weight: Tensor) -> Tensor:
    """max|w| in two fast reductions, without materializing |w| (tiles hold millions)."""
    return torch.maximum(weight.amax(), weight.amin().neg())


def conductance_scale(weight: Tensor, g_max: float) -> Tensor:
    """Siemens-per-weight-unit factor that maps the tile's absolute max weight to ``g_max``."""
    return g_max / abs_max(weight).clamp(min=_MIN_ABS_MAX)


def weights_to_conductances(weight: Tensor, scale: Tensor) -> tuple[Tensor, Tensor]:
    """Target conductances (G+, G-) in uS; one device of each pair sits at 0."""
    scaled = weight * scale
    return scaled.clamp(min=0.0), scaled.neg_().clamp_(min=0.0)


def conductances_to_weights(g_plus: Tensor, g_minus: Tensor, scale: Tensor) -> Tensor:
    """Weights read from a differential pair: (G+ - G-) / scale."""
    return torch.sub(g_plus, g_minus).div_(scale)

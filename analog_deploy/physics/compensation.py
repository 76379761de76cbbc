"""Drift compensation: the digital gain that brings a drifted tile's probe readout back to the
readout right after programming."""

from __future__ import annotations

import torch
from torch import Tensor

from ..config.compensation import DriftCompensation, PerColumnDriftCompensation

_MIN_READOUT = 1e-4
"""Floor of a readout so a dead column does not produce an infinite gain (as aihwkit)."""


def readout(probe_output: Tensor, compensation: DriftCompensation) -> Tensor:
    """Mean absolute probe output: over everything (global) or per output column.

    ``probe_output`` is [number of probes, outputs]."""
    if isinstance(compensation, PerColumnDriftCompensation):
        column_sums = torch.linalg.vector_norm(probe_output, ord=1, dim=0)
        return column_sums.div_(probe_output.shape[0]).clamp_(min=_MIN_READOUT)
    total = torch.linalg.vector_norm(probe_output, ord=1)
    return total.div_(probe_output.numel()).clamp_(min=_MIN_READOUT).reshape(1)


def compensation_gain(baseline: Tensor, current: Tensor) -> Tensor:
    """alpha = baseline / current readout, applied to the tile's outputs."""
    return baseline / current

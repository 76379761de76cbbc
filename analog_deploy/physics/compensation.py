"""Drift compensation: the digital gain that brings a drifted tile's probe readout back to the
readout right after programming."""

from __future__ import annotations

from torch import Tensor

from ..config.compensation import DriftCompensation, PerColumnDriftCompensation

_MIN_READOUT = 1e-4
"""Floor of a readout so a dead column does not produce an infinite gain (as aihwkit)."""


def readout(probe_output: Tensor, compensation: DriftCompensation) -> Tensor:
    """Mean absolute probe output: over everything (global) or per output column.

    ``probe_output`` is [number of probes, outputs]."""
    if isinstance(compensation, PerColumnDriftCompensation):
        return probe_output.abs().mean(dim=0).clamp_(min=_MIN_READOUT)
    return probe_output.abs().mean().clamp_(min=_MIN_READOUT).reshape(1)


def compensation_gain(baseline: Tensor, current: Tensor) -> Tensor:
    """alpha = baseline / current readout, applied to the tile's outputs."""
    return baseline / current

"""Drift compensation: a digital output gain re-estimated at every t_inference.

Both read the tile with one-hot probe inputs through the noisy analog MVM, right after
programming (the baseline) and after drifting; the gain is ``mean|baseline| / mean|readout|``.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class GlobalDriftCompensation:
    """One gain per tile, from the mean absolute probe output over all columns."""


@dataclass
class PerColumnDriftCompensation:
    """One gain per output column of a tile, from that column's mean absolute probe output."""


DriftCompensation = GlobalDriftCompensation | PerColumnDriftCompensation

"""Device physics in torch: conductance mapping, programming noise, drift, read noise and
drift compensation."""

from .compensation import compensation_gain, readout
from .conductance import abs_max, conductance_scale, conductances_to_weights, weights_to_conductances
from .device import drift, program

__all__ = [
    "abs_max",
    "compensation_gain",
    "conductance_scale",
    "conductances_to_weights",
    "drift",
    "program",
    "readout",
    "weights_to_conductances",
]

"""Analog layers and model-level programming and drift."""

from .base import AnalogModuleBase
from .conv import AnalogConv1d, AnalogConv2d, AnalogConv3d, AnalogConvNd
from .linear import AnalogLinear
from .model import analog_layers, drift_analog_weights, program_analog_weights

__all__ = [
    "AnalogConv1d",
    "AnalogConv2d",
    "AnalogConv3d",
    "AnalogConvNd",
    "AnalogLinear",
    "AnalogModuleBase",
    "analog_layers",
    "drift_analog_weights",
    "program_analog_weights",
]

"""Hardware configs: plain dataclasses, validated on construction, round-tripping through JSON."""

from .compensation import DriftCompensation, GlobalDriftCompensation, PerColumnDriftCompensation
from .enums import BoundManagementType, NoiseManagementType, WeightNoiseType
from .io import IOParameters
from .mapping import MappingParameter
from .noise import IdealNoiseModel, NoiseModel, PCMLikeNoiseModel
from .presets import PRESETS, ideal_preset, pcm_harsh_preset, pcm_preset, preset
from .rpu_config import InferenceRPUConfig
from .serialization import config_from_dict, config_from_json, config_to_dict, config_to_json

__all__ = [
    "BoundManagementType",
    "DriftCompensation",
    "GlobalDriftCompensation",
    "IOParameters",
    "IdealNoiseModel",
    "InferenceRPUConfig",
    "MappingParameter",
    "NoiseManagementType",
    "NoiseModel",
    "PCMLikeNoiseModel",
    "PRESETS",
    "PerColumnDriftCompensation",
    "WeightNoiseType",
    "config_from_dict",
    "config_from_json",
    "config_to_dict",
    "config_to_json",
    "ideal_preset",
    "pcm_harsh_preset",
    "pcm_preset",
    "preset",
]

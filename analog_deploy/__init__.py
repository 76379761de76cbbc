"""analog-deploy: trained PyTorch models on simulated analog in-memory-computing hardware."""

from .checkpoint import CheckpointError, load_analog_checkpoint, load_checkpoint, load_factory, load_state_dict_file
from .config import (
    PRESETS,
    BoundManagementType,
    GlobalDriftCompensation,
    IdealNoiseModel,
    InferenceRPUConfig,
    IOParameters,
    MappingParameter,
    NoiseManagementType,
    PCMLikeNoiseModel,
    PerColumnDriftCompensation,
    WeightNoiseType,
    config_from_json,
    config_to_json,
    preset,
)
from .convert import convert_to_analog, convert_to_digital, default_mapping
from .evaluation import SweepResult, compare_table, evaluate, plot_sweep, top1_accuracy
from .exceptions import ModuleError
from .nn import (
    AnalogConv1d,
    AnalogConv2d,
    AnalogConv3d,
    AnalogLinear,
    AnalogModuleBase,
    analog_layers,
    drift_analog_weights,
    program_analog_weights,
)
from .tiles import AnalogTile, analog_mvm

__version__ = "0.1.0"

__all__ = [
    "PRESETS",
    "AnalogConv1d",
    "AnalogConv2d",
    "AnalogConv3d",
    "AnalogLinear",
    "AnalogModuleBase",
    "AnalogTile",
    "BoundManagementType",
    "CheckpointError",
    "GlobalDriftCompensation",
    "IOParameters",
    "IdealNoiseModel",
    "InferenceRPUConfig",
    "MappingParameter",
    "ModuleError",
    "NoiseManagementType",
    "PCMLikeNoiseModel",
    "PerColumnDriftCompensation",
    "SweepResult",
    "WeightNoiseType",
    "analog_layers",
    "analog_mvm",
    "compare_table",
    "config_from_json",
    "config_to_json",
    "convert_to_analog",
    "convert_to_digital",
    "default_mapping",
    "drift_analog_weights",
    "evaluate",
    "load_analog_checkpoint",
    "load_checkpoint",
    "load_factory",
    "load_state_dict_file",
    "plot_sweep",
    "preset",
    "program_analog_weights",
    "top1_accuracy",
]

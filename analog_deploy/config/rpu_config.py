"""The complete description of the analog hardware a layer runs on."""

from __future__ import annotations

from dataclasses import dataclass, field

from .compensation import DriftCompensation, GlobalDriftCompensation, PerColumnDriftCompensation
from .io import IOParameters
from .mapping import MappingParameter
from .noise import IdealNoiseModel, NoiseModel, PCMLikeNoiseModel


@dataclass
class InferenceRPUConfig:
    """Configuration of analog tiles used for inference (and hardware-aware training), named
    and defaulted as aihwkit's ``InferenceRPUConfig``."""

    forward: IOParameters = field(default_factory=IOParameters)
    """Periphery of the forward MVM (DAC, ADC, output noise, noise and bound management)."""

    noise_model: NoiseModel = field(default_factory=PCMLikeNoiseModel)
    """Programming noise, drift and read noise applied by ``program_analog_weights`` and
    ``drift_analog_weights``."""

    drift_compensation: DriftCompensation | None = field(default_factory=GlobalDriftCompensation)
    """Digital gain that undoes the mean drift; ``None`` switches compensation off."""

    mapping: MappingParameter = field(default_factory=MappingParameter)
    """Tile sizes and weight scaling."""

    def __post_init__(self) -> None:
        owner = type(self).__name__
        expected = {
            "forward": (IOParameters,),
            "noise_model": (PCMLikeNoiseModel, IdealNoiseModel),
            "drift_compensation": (GlobalDriftCompensation, PerColumnDriftCompensation, type(None)),
            "mapping": (MappingParameter,),
        }
        for name, types in expected.items():
            value = getattr(self, name)
            if not isinstance(value, types):
                allowed = ", ".join("None" if t is type(None) else t.__name__ for t in types)
                raise ValueError(f"{owner}.{name} must be one of: {allowed}; got {value!r}")

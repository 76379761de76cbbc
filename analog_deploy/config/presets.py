"""Named, ready-made rpu configs."""

from __future__ import annotations

from typing import Callable

from .io import IOParameters
from .noise import IdealNoiseModel, PCMLikeNoiseModel
from .rpu_config import InferenceRPUConfig


def pcm_preset() -> InferenceRPUConfig:
    """PCM devices and periphery with aihwkit's defaults (7-bit DAC, 9-bit ADC, output noise
    0.06, global drift compensation)."""
    return InferenceRPUConfig()


def pcm_harsh_preset() -> InferenceRPUConfig:
    """Pessimistic PCM: twice the programming and read noise, 1.5x drift, 6-bit DAC, 8-bit
    ADC, output noise 0.1 -- a stress test for a model's robustness."""
    return InferenceRPUConfig(
        forward=IOParameters(inp_res=1 / (2**6 - 2), out_res=1 / (2**8 - 2), out_noise=0.1),
        noise_model=PCMLikeNoiseModel(prog_noise_scale=2.0, read_noise_scale=2.0, drift_scale=1.5),
    )


def ideal_preset() -> InferenceRPUConfig:
    """Every non-ideality off: the analog layers compute exactly what the digital ones do."""
    return InferenceRPUConfig(
        forward=IOParameters(is_perfect=True),
        noise_model=IdealNoiseModel(),
        drift_compensation=None,
    )


PRESETS: dict[str, Callable[[], InferenceRPUConfig]] = {
    "pcm": pcm_preset,
    "pcm_harsh": pcm_harsh_preset,
    "ideal": ideal_preset,
}


def preset(name: str) -> InferenceRPUConfig:
    """A fresh config for a preset name (see ``PRESETS``)."""
    if name not in PRESETS:
        raise ValueError(f"unknown preset {name!r}; available: {', '.join(PRESETS)}")
    return PRESETS[name]()

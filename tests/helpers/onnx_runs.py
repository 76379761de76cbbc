"""Exporting and running models for the ONNX tests."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

import analog_deploy as ad
from analog_deploy import onnx as adx


def noise_free(name: str = "pcm", **mapping: int) -> ad.InferenceRPUConfig:
    """A preset with the forward noise off (quantization, clipping and bound management on)."""
    config = ad.preset(name)
    config.forward.out_noise = 0.0
    for field, value in mapping.items():
        setattr(config.mapping, field, value)
    return config


def exported(model: nn.Module, x: torch.Tensor, path: Path, **export_kwargs: object) -> ort.InferenceSession:
    """Export ``model`` (analog, eval) to ``path`` and open it with our ops."""
    adx.export(model, x, path, **export_kwargs)
    return adx.session(path)


def run(session: ort.InferenceSession, x: torch.Tensor) -> np.ndarray:
    return session.run(None, {session.get_inputs()[0].name: x.numpy()})[0]


def relative_error(actual: np.ndarray, expected: np.ndarray) -> float:
    """Largest deviation relative to the largest expected magnitude."""
    return float(np.abs(actual - expected).max() / np.abs(expected).max())

"""A layer's periphery and tile grid as the attributes of its ONNX node (docs/onnx_ops.md).

The node carries the float32 numbers the analog MVM computes with, derived from the IO
parameters in double precision and rounded once, exactly as the torch path and the C++
kernels derive them: from a float32 ``inp_res = 1/126`` the level bound would come out as
62.999996 instead of 63, and the ADC step and its inverse would be off by an ulp.
"""

from __future__ import annotations

from typing import Any

import numpy as np

from ..config.enums import BoundManagementType, NoiseManagementType, WeightNoiseType
from ..config.io import IOParameters

_NO_BOUND = float(np.finfo(np.float32).max)
"""An input level bound that never clips (the perfect periphery)."""


def _f32(value: float) -> float:
    return float(np.float32(value))


def periphery_attributes(io: IOParameters) -> dict[str, Any]:
    """The IO attributes of an analog node: DAC, noise management, ADC, output noise, bound
    management."""
    if io.is_perfect:
        return {
            "inp_step": 1.0, "inp_level_bound": _NO_BOUND, "inp_quantize": 0, "noise_management": "none",
            "out_noise": 0.0, "w_noise": 0.0, "out_bound": 0.0, "out_step": 0.0, "out_inverse_step": 0.0,
            "out_level_bound": 0.0, "bound_management": "none", "bm_limit": 1.0,
        }
    quantize_in = io.inp_res > 0
    inp_step = io.inp_res * 2.0 * io.inp_bound if quantize_in else 1.0
    quantize_out = io.out_bound > 0 and io.out_res > 0
    out_step = io.out_res * 2.0 * io.out_bound if quantize_out else 0.0
    return {
        "inp_step": _f32(inp_step),
        "inp_level_bound": _f32(io.inp_bound / inp_step if quantize_in else io.inp_bound),
        "inp_quantize": int(quantize_in),
        "noise_management": "abs_max" if io.noise_management == NoiseManagementType.ABS_MAX else "none",
        "out_noise": _f32(io.out_noise),
        "w_noise": _f32(io.w_noise if io.w_noise_type != WeightNoiseType.NONE else 0.0),
        "out_bound": _f32(io.out_bound),
        "out_step": _f32(out_step),
        "out_inverse_step": _f32(1.0 / out_step) if quantize_out else 0.0,
        "out_level_bound": _f32(io.out_bound / out_step) if quantize_out else 0.0,
        "bound_management": "iterative" if io.bound_management == BoundManagementType.ITERATIVE else "none",
        "bm_limit": _f32(io.bound_management_limit()),
    }

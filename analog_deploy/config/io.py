"""Parameters of the analog MVM periphery (DAC, ADC, noise and bound management)."""

from __future__ import annotations

from dataclasses import dataclass

from .enums import BoundManagementType, NoiseManagementType, WeightNoiseType
from .validation import check_number, coerce_enum


MIN_RESOLUTION = 1e-6
"""Finest converter step (a million levels): beyond it float32 cannot hold the levels exactly."""


@dataclass
class IOParameters:
    """Input/output parameters of one analog MVM; defaults are aihwkit's.

    Resolutions are fractions of the full range (``2 * bound``); 0 switches a quantizer off.
    """

    is_perfect: bool = False
    """If True the MVM is the exact digital product: every field below is ignored."""

    inp_bound: float = 1.0
    """Input DAC range: inputs are clipped to ``[-inp_bound, inp_bound]``."""

    inp_res: float = 1 / (2**7 - 2)
    """Input DAC step as a fraction of ``2 * inp_bound`` (default: 7 bits); 0 = no quantization,
    else at least 1e-6."""

    out_bound: float = 12.0
    """Output ADC range: outputs are clipped to ``[-out_bound, out_bound]``; 0 = no clipping."""

    out_res: float = 1 / (2**9 - 2)
    """Output ADC step as a fraction of ``2 * out_bound`` (default: 9 bits); 0 = no
    quantization, else at least 1e-6. Ignored when ``out_bound`` is 0."""

    out_noise: float = 0.06
    """Std of the Gaussian noise added to every analog output, fresh in every MVM, in units of
    the tile's full-scale weight times full-scale input."""

    w_noise: float = 0.0
    """Std of the per-forward weight noise (see ``w_noise_type``)."""

    w_noise_type: WeightNoiseType = WeightNoiseType.NONE
    """Kind of per-forward weight noise."""

    noise_management: NoiseManagementType = NoiseManagementType.ABS_MAX
    """Scaling of each input vector into the DAC range."""

    bound_management: BoundManagementType = BoundManagementType.ITERATIVE
    """Handling of input vectors whose output saturates the ADC."""

    max_bm_factor: int = 1000
    """Bound management stops once the input has been divided by more than this factor."""

    max_bm_res: float = 0.25
    """Bound management also stops once the division factor exceeds ``max_bm_res / inp_res``,
    i.e. when the input would keep fewer than ``1 / max_bm_res`` DAC levels."""

    def __post_init__(self) -> None:
        owner = type(self).__name__
        self.w_noise_type = coerce_enum(owner, "w_noise_type", self.w_noise_type, WeightNoiseType)
        self.noise_management = coerce_enum(
            owner, "noise_management", self.noise_management, NoiseManagementType
        )
        self.bound_management = coerce_enum(
            owner, "bound_management", self.bound_management, BoundManagementType
        )
        if not isinstance(self.is_perfect, bool):
            raise ValueError(f"{owner}.is_perfect must be True or False, got {self.is_perfect!r}")
        check_number(owner, "inp_bound", self.inp_bound, low=0.0, low_inclusive=False)
        for name in ("inp_res", "out_res"):
            value = getattr(self, name)
            check_number(owner, name, value, low=0.0, high=1.0, high_inclusive=False)
            if 0 < value < MIN_RESOLUTION:
                raise ValueError(
                    f"{owner}.{name} = {value!r} is out of range; allowed: 0 (no quantization) or "
                    f"[{MIN_RESOLUTION}, 1)"
                )
        check_number(owner, "out_bound", self.out_bound, low=0.0)
        check_number(owner, "out_noise", self.out_noise, low=0.0)
        check_number(owner, "w_noise", self.w_noise, low=0.0)
        check_number(owner, "max_bm_factor", self.max_bm_factor, low=1, integer=True)
        check_number(owner, "max_bm_res", self.max_bm_res, low=0.0, low_inclusive=False)

    def bound_management_limit(self) -> float:
        """Largest input division factor that bound management may still double:
        ``max_bm_factor`` and, with a DAC, ``max_bm_res / inp_res`` (aihwkit's two stopping
        rules)."""
        if self.inp_res > 0:
            return min(float(self.max_bm_factor), self.max_bm_res / self.inp_res)
        return float(self.max_bm_factor)

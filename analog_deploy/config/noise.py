"""Device noise models: which programming noise, drift and read noise the tiles get.

Data only; the formulas live in ``analog_deploy.physics``.
"""

from __future__ import annotations

from dataclasses import dataclass

from .validation import check_number


@dataclass
class PCMLikeNoiseModel:
    """Phase-change-memory model fitted on measured devices (Nandakumar et al., ICECS 2019),
    with aihwkit's defaults. Conductances are in micro-siemens, times in seconds."""

    g_max: float = 25.0
    """Conductance that the absolute max weight of a tile is programmed to."""

    prog_coeff: tuple[float, ...] = (0.26348, 1.9650, -1.1731)
    """Programming-noise std polynomial ``sum_i c_i (G_target / g_max)^i`` (in uS at
    ``prog_coeff_g_max_reference``); 1 to 8 coefficients."""

    prog_coeff_g_max_reference: float = 25.0
    """The g_max at which ``prog_coeff`` was fitted; the std scales by g_max / this value."""

    t_read: float = 250e-9
    """Duration of one read, parameter of the 1/f read-noise fit."""

    t_0: float = 20.0
    """Time after programming at which the programmed conductance is measured; drift is
    relative to it."""

    prog_noise_scale: float = 1.0
    """Multiplies the programming-noise std (0 switches it off)."""

    read_noise_scale: float = 1.0
    """Multiplies the accumulated 1/f read-noise std (0 switches it off)."""

    drift_scale: float = 1.0
    """Multiplies every drift exponent nu (0 switches drift off)."""

    def __post_init__(self) -> None:
        owner = type(self).__name__
        if isinstance(self.prog_coeff, (list, tuple)) and 1 <= len(self.prog_coeff) <= 8:
            self.prog_coeff = tuple(self.prog_coeff)
            for index, coeff in enumerate(self.prog_coeff):
                check_number(owner, f"prog_coeff[{index}]", coeff)
        else:
            raise ValueError(
                f"{owner}.prog_coeff must be a list of 1 to 8 numbers, got {self.prog_coeff!r}"
            )
        check_number(owner, "g_max", self.g_max, low=0.0, low_inclusive=False)
        check_number(
            owner,
            "prog_coeff_g_max_reference",
            self.prog_coeff_g_max_reference,
            low=0.0,
            low_inclusive=False,
        )
        check_number(owner, "t_read", self.t_read, low=0.0, low_inclusive=False)
        check_number(owner, "t_0", self.t_0, low=0.0, low_inclusive=False)
        check_number(owner, "prog_noise_scale", self.prog_noise_scale, low=0.0)
        check_number(owner, "read_noise_scale", self.read_noise_scale, low=0.0)
        check_number(owner, "drift_scale", self.drift_scale, low=0.0)


@dataclass
class IdealNoiseModel:
    """Devices without programming noise, drift or read noise: the conductances stay exactly
    at their targets for every t_inference."""

    g_max: float = 25.0
    """Conductance that the absolute max weight of a tile is programmed to."""

    def __post_init__(self) -> None:
        check_number(type(self).__name__, "g_max", self.g_max, low=0.0, low_inclusive=False)


NoiseModel = PCMLikeNoiseModel | IdealNoiseModel

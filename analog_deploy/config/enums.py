"""Enumerations of the analog periphery, named as in aihwkit."""

from enum import Enum


class NoiseManagementType(Enum):
    """How each input vector is scaled into the DAC range before the analog MVM."""

    NONE = "None"
    """No scaling: inputs beyond ``inp_bound`` are clipped."""
    ABS_MAX = "AbsMax"
    """Divide each input vector by its absolute maximum (and multiply the output back)."""


class BoundManagementType(Enum):
    """What to do with an input vector whose output saturated the ADC."""

    NONE = "None"
    """Keep the clipped output."""
    ITERATIVE = "Iterative"
    """Run that input vector again with its input halved, until no output clips or the limits
    ``max_bm_factor`` / ``max_bm_res`` are reached. Decided per input vector."""


class WeightNoiseType(Enum):
    """Per-forward weight noise (read noise of the analog weights in every MVM)."""

    NONE = "None"
    ADDITIVE_CONSTANT = "AdditiveConstant"
    """Gaussian noise of std ``w_noise`` (in units of the tile's max weight) added to every
    weight in every MVM; applied as the equivalent output noise of std ``w_noise * ||x||_2``."""

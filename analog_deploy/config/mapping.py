"""How a logical weight matrix is mapped onto physical tiles."""

from __future__ import annotations

from dataclasses import dataclass

from .validation import check_number


@dataclass
class MappingParameter:
    """Tile size and weight scaling, as aihwkit's ``MappingParameter``."""

    digital_bias: bool = True
    """Keep the bias in the digital periphery (added exactly after the analog MVM). Only
    ``True`` is supported: an analog bias column is not modelled."""

    weight_scaling_omega: float = 1.0
    """Each tile (or each column, see below) is scaled so that its absolute max weight becomes
    this value; the inverse scale is applied digitally to the outputs. 0 = no scaling (weights
    are put on the tile as they are). aihwkit's bare ``MappingParameter`` defaults to 0, its
    inference presets to 1.0; we default to 1.0 so that ``out_noise`` and ``out_bound`` are
    relative to the full-scale weight, whatever the units of the trained weights."""

    weight_scaling_columnwise: bool = False
    """Scale every output column to ``weight_scaling_omega`` separately instead of the tile."""

    max_input_size: int = 512
    """Maximal number of inputs (crossbar rows) of one tile; larger layers are split."""

    max_output_size: int = 512
    """Maximal number of outputs (crossbar columns) of one tile; larger layers are split."""

    def __post_init__(self) -> None:
        owner = type(self).__name__
        if self.digital_bias is not True:
            raise ValueError(
                f"{owner}.digital_bias = {self.digital_bias!r} is not supported; "
                "allowed: True (the bias is added digitally)"
            )
        if not isinstance(self.weight_scaling_columnwise, bool):
            raise ValueError(f"{owner}.weight_scaling_columnwise must be True or False")
        check_number(owner, "weight_scaling_omega", self.weight_scaling_omega, low=0.0)
        check_number(owner, "max_input_size", self.max_input_size, low=1, integer=True)
        check_number(owner, "max_output_size", self.max_output_size, low=1, integer=True)

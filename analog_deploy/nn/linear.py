"""``AnalogLinear``: ``nn.Linear`` on analog tiles."""

from __future__ import annotations

import math

import torch
from torch import Tensor, nn

from ..config.rpu_config import InferenceRPUConfig
from ..seeding import fresh_seed
from .base import AnalogModuleBase


class AnalogLinear(AnalogModuleBase):
    """Linear layer whose product runs on analog tiles; the bias is added digitally.

    Arguments as ``torch.nn.Linear``, plus the rpu config, ``realistic_read_write`` and the
    seed of its tiles' generators (default: drawn from torch's global generator).
    """

    def __init__(
        self,
        in_features: int,
        out_features: int,
        bias: bool = True,
        rpu_config: InferenceRPUConfig | None = None,
        realistic_read_write: bool = False,
        seed: int | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(rpu_config, realistic_read_write, seed)
        self.in_features = in_features
        self.out_features = out_features
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(out_features, in_features, **factory))
        self.bias = nn.Parameter(torch.empty(out_features, **factory)) if bias else None
        if self.weight.device.type != "meta":
            self.reset_parameters()
        self._build_tiles(out_features, in_features)

    def reset_parameters(self) -> None:
        """torch's ``nn.Linear`` initialization."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            bound = 1 / math.sqrt(self.in_features) if self.in_features > 0 else 0
            nn.init.uniform_(self.bias, -bound, bound)

    @classmethod
    def from_digital(
        cls, module: nn.Linear, rpu_config: InferenceRPUConfig, seed: int | None = None
    ) -> "AnalogLinear":
        """An analog layer sharing ``module``'s weight and bias tensors (no copy)."""
        seed = fresh_seed() if seed is None else seed
        with torch.device("meta"):
            layer = cls(module.in_features, module.out_features, module.bias is not None, rpu_config, seed=seed)
        layer.weight = module.weight
        layer.bias = module.bias
        return layer

    def to_digital(self) -> nn.Linear:
        """A ``torch.nn.Linear`` with this layer's target weights and bias."""
        with torch.device("meta"):
            module = nn.Linear(self.in_features, self.out_features, self.bias is not None)
        module.weight = self.weight
        module.bias = self.bias
        return module

    def forward(self, x: Tensor) -> Tensor:
        if x.shape[-1] != self.in_features:
            raise ValueError(
                f"AnalogLinear expects inputs with last dimension {self.in_features}, got shape "
                f"{tuple(x.shape)}"
            )
        if x.dim() == 2:  # the common case, without the reshapes (each costs a few microseconds)
            return self.analog_mvm(x)
        y = self.analog_mvm(x.reshape(-1, self.in_features))
        return y.reshape(*x.shape[:-1], self.out_features)

    def weight_matrix(self) -> Tensor:
        """The ``[out, in]`` weight itself."""
        return self._parameter("weight")

    def extra_repr(self) -> str:
        return (
            f"in_features={self.in_features}, out_features={self.out_features}, "
            f"bias={self.bias is not None}, {super().extra_repr()}"
        )

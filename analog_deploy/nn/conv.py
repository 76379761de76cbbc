"""``AnalogConv1d/2d/3d``: convolutions on analog tiles, one input vector per patch."""

from __future__ import annotations

import math

import torch
import torch.nn.functional as F
from torch import Tensor, nn

from .. import kernels
from ..config.rpu_config import InferenceRPUConfig
from ..seeding import fresh_seed
from .base import AnalogModuleBase
from .patches import extract_patches, gathered_patches, output_shape

_TORCH_CONV = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}
_CHUNK_ELEMENTS = 1 << 21
"""Patch-matrix elements (8 MB of float32) processed at once."""
_PAD_MODE = {"zeros": "constant", "reflect": "reflect", "replicate": "replicate", "circular": "circular"}


class AnalogConvNd(AnalogModuleBase):
    """Shared implementation of the analog convolutions.

    The input is unfolded into patches (``C_in / groups * prod(kernel_size)`` values each); each
    patch is one input vector of the analog MVM, so noise management, bound management and
    noise are per patch. Each group has its own tiles. Arguments as ``torch.nn.ConvNd`` (torch
    validates them), plus the rpu config, ``realistic_read_write`` and the tiles' seed.
    """

    dims: int

    def __init__(
        self,
        in_channels: int,
        out_channels: int,
        kernel_size: int | tuple[int, ...],
        stride: int | tuple[int, ...] = 1,
        padding: str | int | tuple[int, ...] = 0,
        dilation: int | tuple[int, ...] = 1,
        groups: int = 1,
        bias: bool = True,
        padding_mode: str = "zeros",
        rpu_config: InferenceRPUConfig | None = None,
        realistic_read_write: bool = False,
        seed: int | None = None,
        device: torch.device | str | None = None,
        dtype: torch.dtype | None = None,
    ) -> None:
        super().__init__(rpu_config, realistic_read_write, seed)
        with torch.device("meta"):  # torch checks and normalizes the arguments
            reference = _TORCH_CONV[self.dims](
                in_channels, out_channels, kernel_size, stride, padding, dilation, groups, bias, padding_mode
            )
        self.in_channels = in_channels
        self.out_channels = out_channels
        self.kernel_size: tuple[int, ...] = reference.kernel_size
        self.stride: tuple[int, ...] = reference.stride
        self.padding: str | tuple[int, ...] = reference.padding
        self.dilation: tuple[int, ...] = reference.dilation
        self.groups = groups
        self.padding_mode = padding_mode
        self._pad = list(reference._reversed_padding_repeated_twice)
        factory = {"device": device, "dtype": dtype}
        self.weight = nn.Parameter(torch.empty(reference.weight.shape, **factory))
        self.bias = nn.Parameter(torch.empty(out_channels, **factory)) if bias else None
        if self.weight.device.type != "meta":
            self.reset_parameters()
        self._build_tiles(out_channels, self.weight[0].numel(), groups)

    def reset_parameters(self) -> None:
        """torch's ``nn.ConvNd`` initialization."""
        nn.init.kaiming_uniform_(self.weight, a=math.sqrt(5))
        if self.bias is not None:
            fan_in = self.weight[0].numel()
            bound = 1 / math.sqrt(fan_in) if fan_in > 0 else 0
            nn.init.uniform_(self.bias, -bound, bound)

    @classmethod
    def from_digital(
        cls, module: nn.modules.conv._ConvNd, rpu_config: InferenceRPUConfig, seed: int | None = None
    ) -> "AnalogConvNd":
        """An analog layer sharing ``module``'s weight and bias tensors (no copy)."""
        seed = fresh_seed() if seed is None else seed
        with torch.device("meta"):
            layer = cls(
                module.in_channels,
                module.out_channels,
                module.kernel_size,
                module.stride,
                module.padding,
                module.dilation,
                module.groups,
                module.bias is not None,
                module.padding_mode,
                rpu_config,
                seed=seed,
            )
        layer.weight = module.weight
        layer.bias = module.bias
        return layer

    def to_digital(self) -> nn.modules.conv._ConvNd:
        """A ``torch.nn.ConvNd`` with this layer's target weights and bias."""
        with torch.device("meta"):
            module = _TORCH_CONV[self.dims](
                self.in_channels,
                self.out_channels,
                self.kernel_size,
                self.stride,
                self.padding,
                self.dilation,
                self.groups,
                self.bias is not None,
                self.padding_mode,
            )
        module.weight = self.weight
        module.bias = self.bias
        return module

    def forward(self, x: Tensor) -> Tensor:
        unbatched = x.dim() == self.dims + 1
        if unbatched:
            x = x.unsqueeze(0)
        if x.dim() != self.dims + 2 or x.shape[1] != self.in_channels:
            raise ValueError(
                f"{type(self).__name__} expects input of shape [N, {self.in_channels}, "
                f"{', '.join('*' * self.dims)}] (or without N), got {tuple(x.shape)}"
            )
        if any(self._pad):
            x = F.pad(x, self._pad, mode=_PAD_MODE[self.padding_mode])
        # A few images at a time: the DAC levels of the patches are kernel-size times larger than
        # the input, and small chunks stay in cache and in the allocator's reusable memory.
        step = max(1, _CHUNK_ELEMENTS // max(1, self._patch_elements(x)))
        starts = range(0, max(1, x.shape[0]), step)  # one (empty) chunk for an empty batch
        outputs = [self._forward_patches(x[start : start + step]) for start in starts]
        y = outputs[0] if len(outputs) == 1 else torch.cat(outputs)
        return y.squeeze(0) if unbatched else y

    def _patch_elements(self, x: Tensor) -> int:
        """Number of patch-matrix elements of one image of ``x``."""
        out_positions = math.prod(output_shape(tuple(x.shape[2:]), self.kernel_size, self.stride, self.dilation))
        return out_positions * self.weight[0].numel() * self.groups

    def _forward_patches(self, x: Tensor) -> Tensor:
        vectors: list[Tensor] | list[kernels.GatheredVectors]
        if kernels.applicable(x):  # the C++ input stage reads the patches from x directly
            vectors, out_shape = gathered_patches(x, self.kernel_size, self.stride, self.dilation, self.groups)
        else:
            patches, out_shape = extract_patches(x, self.kernel_size, self.stride, self.dilation)
            vectors = list(patches.view(patches.shape[0], self.groups, -1).unbind(1))
        if self.groups == 1:
            y = self.analog_mvm(vectors[0])
        else:
            y = torch.cat([self.analog_mvm(group_vectors, g) for g, group_vectors in enumerate(vectors)], dim=1)
        return y.reshape(x.shape[0], *out_shape, self.out_channels).movedim(-1, 1)

    def extra_repr(self) -> str:
        text = (
            f"{self.in_channels}, {self.out_channels}, kernel_size={self.kernel_size}, "
            f"stride={self.stride}, padding={self.padding}"
        )
        if self.dilation != (1,) * self.dims:
            text += f", dilation={self.dilation}"
        if self.groups != 1:
            text += f", groups={self.groups}"
        if self.bias is None:
            text += ", bias=False"
        if self.padding_mode != "zeros":
            text += f", padding_mode={self.padding_mode}"
        return f"{text}, {super().extra_repr()}"


class AnalogConv1d(AnalogConvNd):
    """``torch.nn.Conv1d`` on analog tiles."""

    dims = 1


class AnalogConv2d(AnalogConvNd):
    """``torch.nn.Conv2d`` on analog tiles."""

    dims = 2


class AnalogConv3d(AnalogConvNd):
    """``torch.nn.Conv3d`` on analog tiles."""

    dims = 3

"""The analog matrix-vector multiply of one tile (docs/analog_mvm.md), as one pure function.

Every step is per input vector (one row of ``x``); nothing couples the rows of a batch, so a
sample's output never depends on the other samples. The torch functions here are the reference
implementation: quantizers round with a straight-through gradient, so they serve
hardware-aware training. Inference without gradients on float32 CPU tensors runs the same steps
in the fused C++ kernels (``analog_deploy.kernels``), which the ONNX custom ops share.
"""

from __future__ import annotations


import torch
from torch import Generator, Tensor

from .. import kernels
from ..config.enums import BoundManagementType, NoiseManagementType, WeightNoiseType
from ..config.io import IOParameters


def _round_ste(t: Tensor) -> Tensor:
    """Round half to even, gradient 1 (straight-through). In place when no gradient flows,
    since callers always pass a fresh temporary."""
    if t.requires_grad:
        return t + (t.round() - t).detach()
    return t.round_()


def _clamp(t: Tensor, bound: float) -> Tensor:
    if t.requires_grad:
        return t.clamp(-bound, bound)
    return t.clamp_(-bound, bound)


def noise_management_scale(x: Tensor, io: IOParameters) -> Tensor:
    """Step 1: per-vector input scale s (``[N, 1]``); ABS_MAX gives s = max|x|."""
    if io.noise_management == NoiseManagementType.ABS_MAX:
        return x.detach().abs().amax(dim=1, keepdim=True)
    return torch.ones(x.shape[0], 1, dtype=x.dtype, device=x.device)


def input_dac(x: Tensor, divisor: Tensor, io: IOParameters) -> tuple[Tensor, float]:
    """Step 2: DAC of ``x / divisor``, returned as integer levels and the level step
    (value = levels * step), so the step can be applied once after the product."""
    if io.inp_res <= 0:
        return _clamp(x * divisor.reciprocal(), io.inp_bound), 1.0
    step = io.inp_res * 2 * io.inp_bound
    levels = x * (divisor * step).reciprocal()  # one float division per vector, as the kernels
    return _round_ste(_clamp(levels, io.inp_bound / step)), step


def output_noise_std(levels: Tensor, step: float, io: IOParameters) -> Tensor | float:
    """Step 4's std per vector: ``out_noise``, combined with the output-referred weight noise
    ``w_noise * ||x_dac||_2`` when per-forward weight noise is on."""
    if io.w_noise_type == WeightNoiseType.NONE or io.w_noise <= 0:
        return io.out_noise
    x_norm = torch.linalg.vector_norm(levels.detach(), dim=1, keepdim=True).mul_(step)
    return x_norm.square_().mul_(io.w_noise**2).add_(io.out_noise**2).sqrt_()


def output_stage(
    y: Tensor, std: Tensor | float, io: IOParameters, generator: Generator | None
) -> tuple[Tensor, Tensor]:
    """Steps 4-5: fresh Gaussian output noise, then the ADC (quantization and clipping).
    Also says which vectors saturated: a quantized value beyond ``out_bound`` (step 6's test)."""
    if isinstance(std, Tensor) or std > 0:
        noise = torch.randn(y.shape, generator=generator, dtype=y.dtype, device=y.device)
        y = y + noise.mul_(std) if y.requires_grad else y.add_(noise.mul_(std))
    if io.out_bound <= 0:
        return y, torch.zeros(y.shape[0], dtype=torch.bool, device=y.device)
    if io.out_res <= 0:
        saturated = y.detach().abs().amax(dim=1) > io.out_bound
        return _clamp(y, io.out_bound), saturated
    step = io.out_res * 2 * io.out_bound
    levels = _round_ste(y * (1 / step) if y.requires_grad else y.mul_(1 / step))
    saturated = levels.detach().abs().amax(dim=1) > io.out_bound / step
    levels = _clamp(levels, io.out_bound / step)
    return (levels * step if levels.requires_grad else levels.mul_(step)), saturated


def _analog_pass(
    x: Tensor, divisor: Tensor, weight: Tensor, io: IOParameters, generator: Generator | None
) -> tuple[Tensor, Tensor]:
    """Steps 2-5 for the vectors ``x / divisor``: DAC, analog product, noise, ADC."""
    levels, step = input_dac(x, divisor, io)
    y = levels @ weight.T
    y = y * step if y.requires_grad else y.mul_(step)
    return output_stage(y, output_noise_std(levels, step, io), io, generator)


def _bound_management_rows(saturated: Tensor, factor: Tensor, io: IOParameters) -> Tensor:
    """Indices of the vectors to run again with their input halved (step 6)."""
    if io.bound_management != BoundManagementType.ITERATIVE:
        return saturated.new_empty(0, dtype=torch.long)
    return (saturated & (factor <= io.bound_management_limit())).nonzero()[:, 0]


def _digital_sums(y: Tensor, addend: Tensor | None, bias: Tensor | None) -> Tensor:
    """The digital periphery's float adds after a tile's product: ``(addend + y) + bias`` (in
    place on the fresh ``y`` when autograd records nothing)."""
    tracked = torch.is_grad_enabled() and any(t is not None and t.requires_grad for t in (y, addend, bias))
    if addend is not None:
        y = addend + y if tracked else y.add_(addend)
    if bias is not None:
        y = y + bias if tracked else y.add_(bias)
    return y


def analog_mvm(
    x: Tensor | kernels.GatheredVectors,
    weight: Tensor,
    io: IOParameters,
    generator: Generator | None = None,
    out_scale: Tensor | None = None,
    noise: kernels.NoiseStream | None = None,
    compensation: Tensor | None = None,
    addend: Tensor | None = None,
    bias: Tensor | None = None,
) -> Tensor:
    """Noisy analog product ``x @ weight.T`` of one tile.

    Args:
        x: ``[N, in]`` input vectors (or their ``GatheredVectors`` description).
        weight: ``[out, in]`` weights as they sit on the tile (after weight scaling).
        io: the periphery parameters.
        generator: source of the output noise.
        out_scale: ``[out]`` digital output scales; None means 1.
        noise: the (key, stream) source of the kernel path's noise; None draws a key from
            ``generator``.
        compensation: drift-compensation gain (``[1]`` or ``[out]``), applied with
            ``out_scale`` as the digital gain ``out_scale * compensation``; None means 1.
        addend: ``[N, out]`` outputs of the tiles before this one that share its outputs,
            added in the digital periphery (fused into the output stage on the kernel path).
        bias: ``[out]`` digital bias, added last.

    Returns:
        ``[N, out]``: the noise-management and bound-management scales undone, times the
        digital gain, then ``addend + y + bias`` in that order.
    """
    if not io.is_perfect and kernels.applicable(x, weight, addend):
        out_scale = weight.new_ones(weight.shape[0]) if out_scale is None else out_scale
        compensation = weight.new_ones(1) if compensation is None else compensation
        tile = kernels.KernelTile(weight, out_scale, compensation, io, noise or kernels.NoiseStream(generator))
        if bias is None or kernels.applicable(bias):  # not when the bias is being trained
            return kernels.tile_forward(x, tile, addend, bias)
        return _digital_sums(kernels.tile_forward(x, tile, addend), None, bias)
    out_scale = out_scale if compensation is None else (compensation if out_scale is None else out_scale * compensation)
    if isinstance(x, kernels.GatheredVectors):
        x = x.materialize()
    if io.is_perfect:
        y = x @ weight.T
        return _digital_sums(y if out_scale is None else y * out_scale, addend, bias)
    scale = noise_management_scale(x, io)  # step 1
    zero_input = scale == 0
    scale = scale.masked_fill(zero_input, 1.0)
    y, saturated = _analog_pass(x, scale, weight, io, generator)  # steps 2-5
    factor = torch.ones_like(scale)
    while (redo := _bound_management_rows(saturated, factor[:, 0], io)).numel():  # step 6
        factor[redo] *= 2.0
        x_redo, divisor = x.index_select(0, redo), scale.index_select(0, redo) * factor.index_select(0, redo)
        y_redo, saturated_redo = _analog_pass(x_redo, divisor, weight, io, generator)
        y = y.index_copy(0, redo, y_redo)
        saturated = torch.zeros_like(saturated)
        saturated[redo] = saturated_redo
    y = y * (scale * factor)  # step 7: undo the input scaling, digital gain
    y = y if out_scale is None else y * out_scale
    y = y.masked_fill(zero_input, 0.0) if bool(zero_input.any()) else y
    return _digital_sums(y, addend, bias)


def probe_outputs(weight: Tensor, io: IOParameters, generator: Generator | None = None) -> Tensor:
    """What the tile reads for the one-hot probes e_1 .. e_in (``[in, out]``, returned as a
    transposed view), as ``analog_mvm(eye(in), weight)`` would, without its GEMM.

    A one-hot vector has noise-management scale 1 and passes the DAC as one level, so its
    product is that level times a weight column; every later step is element-wise, so it runs
    on the weight's own ``[out, in]`` layout. Only when bound management would have to act
    does this fall back to the full MVM.
    """
    if io.is_perfect:
        return weight.T.clone()
    one = torch.ones(1, 1, dtype=weight.dtype, device=weight.device)
    levels, step = input_dac(one, one, io)
    y = weight * levels
    if kernels.applicable(y):
        probe_levels = levels.expand(weight.shape[0], 1).contiguous()
        saturated, _ = kernels.output_stage(y, step, probe_levels, io, kernels.draw_key(generator), 0)
    else:
        y, saturated = output_stage(y.mul_(step), output_noise_std(levels, step, io), io, generator)
    if io.bound_management == BoundManagementType.ITERATIVE and bool(saturated.any()):
        eye = torch.eye(weight.shape[1], dtype=weight.dtype, device=weight.device)
        return analog_mvm(eye, weight, io, generator)
    return y.T

"""The analog MVM with one deterministic non-ideality at a time: DAC, ADC, noise management,
and the straight-through gradients."""

from __future__ import annotations

import pytest
import torch

from analog_deploy.config import BoundManagementType, IOParameters, NoiseManagementType
from analog_deploy.tiles import analog_mvm

# Reference products are computed in float64 and compared with the float32 MVM: a sum of
# 32 products of O(1) values is exact to ~1e-6 relative in float32.
RTOL, ATOL = 1e-5, 1e-5

NO_NOISE = dict(out_noise=0.0)
DAC_ONLY = dict(
    out_noise=0.0,
    out_res=0.0,
    out_bound=0.0,
    bound_management=BoundManagementType.NONE,
    noise_management=NoiseManagementType.NONE,
)


def data(seed: int = 0, n: int = 64, n_in: int = 32, n_out: int = 10, x_scale: float = 1.0):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(n, n_in, generator=generator) * x_scale
    w = torch.randn(n_out, n_in, generator=generator) * 0.2
    return x, w


def dac(x: torch.Tensor, io: IOParameters) -> torch.Tensor:
    """The spec's input DAC in float64: clip to +-inp_bound, round to steps of
    inp_res * 2 * inp_bound."""
    x = x.double().clamp(-io.inp_bound, io.inp_bound)
    if io.inp_res <= 0:
        return x
    step = io.inp_res * 2 * io.inp_bound
    return torch.round(x / step) * step


def test_perfect_io_is_exact_product():
    x, w = data(x_scale=100.0)  # huge inputs: nothing clips, nothing is quantized
    io = IOParameters(is_perfect=True)
    assert torch.equal(analog_mvm(x, w, io), x @ w.T)


def test_perfect_io_ignores_every_other_field():
    x, w = data(1)
    io = IOParameters(is_perfect=True, out_noise=1.0, inp_res=0.4, out_bound=0.1, w_noise=1.0)
    assert torch.equal(analog_mvm(x, w, io, torch.Generator().manual_seed(0)), x @ w.T)


@pytest.mark.parametrize("inp_bound", [1.0, 0.5, 2.0])
def test_input_dac_alone_quantizes_and_clips_inputs(inp_bound):
    x, w = data(2, x_scale=1.5 * inp_bound)  # a good share of inputs beyond +-inp_bound
    io = IOParameters(inp_bound=inp_bound, **DAC_ONLY)
    assert (x.abs() > inp_bound).float().mean() > 0.2
    expected = dac(x, io) @ w.double().T
    torch.testing.assert_close(analog_mvm(x, w, io).double(), expected, rtol=RTOL, atol=ATOL)


def test_input_dac_alone_changes_the_product():
    x, w = data(3, x_scale=0.5)
    io = IOParameters(**DAC_ONLY)
    # quantization error (step 1/63) is visible, far above float rounding
    assert (analog_mvm(x, w, io) - x @ w.T).abs().max() > 1e-3


def test_input_dac_off_only_clips():
    x, w = data(4, x_scale=2.0)
    io = IOParameters(inp_res=0.0, **DAC_ONLY)
    expected = x.clamp(-1, 1) @ w.T
    torch.testing.assert_close(analog_mvm(x, w, io), expected, rtol=RTOL, atol=ATOL)


def test_abs_max_noise_management_scales_each_row_by_its_max_and_undoes_it():
    x, w = data(5)
    x = x * torch.logspace(-3, 3, x.shape[0])[:, None]  # rows of very different magnitudes
    io = IOParameters(**{**DAC_ONLY, "noise_management": NoiseManagementType.ABS_MAX})
    scale = x.double().abs().amax(dim=1, keepdim=True)
    expected = (dac(x.double() / scale, io) @ w.double().T) * scale
    # compare in units of each row's scale (absolute float32 error ~ 1e-6 * max|x|)
    torch.testing.assert_close(analog_mvm(x, w, io).double() / scale, expected / scale, rtol=RTOL, atol=ATOL)


def test_abs_max_is_invariant_to_row_scaling():
    x, w = data(6)
    io = IOParameters(**{**DAC_ONLY, "noise_management": NoiseManagementType.ABS_MAX})
    # scaling a row by a power of two changes nothing but the final factor
    torch.testing.assert_close(analog_mvm(8.0 * x, w, io), 8.0 * analog_mvm(x, w, io), rtol=0, atol=0)


def test_without_noise_management_large_inputs_clip():
    x, w = data(7, x_scale=10.0)
    io = IOParameters(**DAC_ONLY)
    y = analog_mvm(x, w, io)
    assert (y - x @ w.T).abs().max() > 1.0
    torch.testing.assert_close(y.double(), dac(x, io) @ w.double().T, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize(("out_bound", "out_res"), [(1.0, 1 / 62), (12.0, 1 / 510), (3.0, 1 / 30)])
def test_output_adc_alone_quantizes_to_steps_and_clips(out_bound, out_res):
    x, w = data(8)
    io = IOParameters(
        inp_res=0.0,
        out_noise=0.0,
        out_bound=out_bound,
        out_res=out_res,
        bound_management=BoundManagementType.NONE,
        noise_management=NoiseManagementType.NONE,
    )
    x = x.clamp(-1, 1)  # inputs inside the DAC range: only the ADC acts
    y = analog_mvm(x, w * out_bound, io).double()
    step = out_res * 2 * out_bound
    exact = (x @ (w * out_bound).T).double()
    assert (exact.abs() > out_bound).any()  # some outputs clip
    levels = y / step
    # multiples of the step up to float32 rounding of level * step (relative 2^-23 of 255 levels)
    assert (levels - levels.round()).abs().max() < 1e-4
    assert y.abs().max() <= out_bound * (1 + 1e-6)
    expected = (torch.round(exact / step) * step).clamp(-out_bound, out_bound)
    torch.testing.assert_close(y, expected, rtol=1e-6, atol=1e-6)
    clipped = exact.abs() > out_bound + step / 2
    torch.testing.assert_close(y[clipped].abs(), torch.full_like(y[clipped], out_bound), rtol=1e-6, atol=0)


def test_output_adc_clipping_only_when_out_res_is_zero():
    x, w = data(9)
    io = IOParameters(
        inp_res=0.0, out_noise=0.0, out_bound=0.5, out_res=0.0,
        bound_management=BoundManagementType.NONE, noise_management=NoiseManagementType.NONE,
    )
    x = x.clamp(-1, 1)
    torch.testing.assert_close(analog_mvm(x, w, io), (x @ w.T).clamp(-0.5, 0.5), rtol=RTOL, atol=ATOL)


def test_zero_input_row_gives_exact_zero_output_noise_off():
    x, w = data(10)
    x[3] = 0.0
    y = analog_mvm(x, w, IOParameters(**NO_NOISE))
    assert torch.all(y[3] == 0)


def test_default_io_noise_off_is_close_to_product():
    x, w = data(11)
    y = analog_mvm(x, w, IOParameters(**NO_NOISE))
    exact = x @ w.T
    scale = x.abs().amax(dim=1, keepdim=True)
    # error bound: DAC half step per input times ||w_row||_1, plus an ADC half step, times max|x|
    bound = (0.5 / 63 * w.abs().sum(dim=1)[None, :] + 0.5 * 24 / 510) * scale
    assert torch.all((y - exact).abs() <= bound + 1e-6)


def test_input_is_not_modified():
    x, w = data(12)
    copies = x.clone(), w.clone()
    analog_mvm(x, w, IOParameters(), torch.Generator().manual_seed(0))
    assert torch.equal(x, copies[0]) and torch.equal(w, copies[1])


# --- straight-through gradients -------------------------------------------------------------

def grads(fn, x, w, grad_out):
    x = x.clone().requires_grad_(True)
    w = w.clone().requires_grad_(True)
    (fn(x, w) * grad_out).sum().backward()
    return x.grad, w.grad


QUANTIZED_ONLY = dict(out_noise=0.0)  # default DAC, ADC, ABS_MAX and bound management


def test_gradient_wrt_input_is_straight_through():
    x, w = data(13)
    grad_out = torch.randn(64, 10, generator=torch.Generator().manual_seed(1))
    io = IOParameters(**QUANTIZED_ONLY)
    gx, _ = grads(lambda a, b: analog_mvm(a, b, io), x, w, grad_out)
    gx_ref, _ = grads(lambda a, b: a @ b.T, x, w, grad_out)
    # (levels * step * s) with levels = x * (1 / (s * step)): float32 rounding of the scale chain
    torch.testing.assert_close(gx, gx_ref, rtol=1e-5, atol=1e-6)


def test_gradient_wrt_weight_is_straight_through_with_output_adc_only():
    x, w = data(14)
    grad_out = torch.randn(64, 10, generator=torch.Generator().manual_seed(2))
    io = IOParameters(inp_res=0.0, **QUANTIZED_ONLY)  # ADC quantization only on the output path
    _, gw = grads(lambda a, b: analog_mvm(a, b, io), x, w, grad_out)
    _, gw_ref = grads(lambda a, b: a @ b.T, x, w, grad_out)
    torch.testing.assert_close(gw, gw_ref, rtol=1e-5, atol=1e-5)


def test_gradient_wrt_weight_uses_the_quantized_input_with_input_dac():
    # d(Q(x) W^T)/dW = Q(x): the weight gradient sees the DAC levels, not the raw input
    x, w = data(15)
    grad_out = torch.randn(64, 10, generator=torch.Generator().manual_seed(3))
    io = IOParameters(**QUANTIZED_ONLY)
    _, gw = grads(lambda a, b: analog_mvm(a, b, io), x, w, grad_out)
    scale = x.double().abs().amax(dim=1, keepdim=True)
    x_dac = dac(x.double() / scale, io) * scale
    torch.testing.assert_close(gw.double(), grad_out.double().T @ x_dac, rtol=1e-5, atol=1e-5)


def test_gradients_flow_with_noise_on():
    x, w = data(16)
    io = IOParameters()
    xg, wg = x.clone().requires_grad_(True), w.clone().requires_grad_(True)
    analog_mvm(xg, wg, io, torch.Generator().manual_seed(0)).sum().backward()
    assert xg.grad is not None and torch.isfinite(xg.grad).all() and xg.grad.abs().sum() > 0
    assert wg.grad is not None and torch.isfinite(wg.grad).all() and wg.grad.abs().sum() > 0


def test_gradient_is_zero_for_inputs_clipped_by_the_dac():
    x, w = data(17, x_scale=3.0)
    io = IOParameters(**DAC_ONLY)
    xg = x.clone().requires_grad_(True)
    analog_mvm(xg, w, io).sum().backward()
    outside = x.abs() > 1.0
    assert torch.all(xg.grad[outside] == 0)
    torch.testing.assert_close(xg.grad[~outside], w.sum(dim=0).expand_as(x)[~outside], rtol=1e-5, atol=1e-6)


@pytest.mark.parametrize("noise_management", [NoiseManagementType.ABS_MAX, NoiseManagementType.NONE])
def test_a_nan_input_makes_its_own_output_row_nan_and_leaves_the_others(noise_management):
    x, w = data(seed=11)
    x[3, 5] = float("nan")
    io = IOParameters(noise_management=noise_management)
    y = analog_mvm(x, w, io, torch.Generator().manual_seed(0))
    assert torch.isnan(y[3]).all()
    assert torch.isfinite(torch.cat([y[:3], y[4:]])).all()


def test_an_infinite_input_under_abs_max_noise_management_makes_its_row_nan():
    x, w = data(seed=12)
    x[7, 0] = float("inf")
    y = analog_mvm(x, w, IOParameters(noise_management=NoiseManagementType.ABS_MAX))
    assert torch.isnan(y[7]).all()
    assert torch.isfinite(torch.cat([y[:7], y[8:]])).all()

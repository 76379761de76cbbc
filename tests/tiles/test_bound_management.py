"""Iterative bound management: decided per input vector, with aihwkit's two stopping rules."""

from __future__ import annotations

import pytest
import torch

from analog_deploy.config import BoundManagementType, IOParameters, NoiseManagementType
from analog_deploy.tiles import analog_mvm

NOISE_OFF = IOParameters(out_noise=0.0)  # default DAC, ADC (out_bound 12), ABS_MAX, ITERATIVE


def reference(x: torch.Tensor, w: torch.Tensor, io: IOParameters, factor: float) -> torch.Tensor:
    """The spec's noise-free MVM (float64) of one input vector divided by max|x| * factor."""
    x, w = x.double(), w.double()
    scale = x.abs().amax(dim=1, keepdim=True) * factor
    in_step = io.inp_res * 2 * io.inp_bound
    levels = torch.round((x / scale).clamp(-io.inp_bound, io.inp_bound) / in_step)
    y = (levels * in_step) @ w.T
    out_step = io.out_res * 2 * io.out_bound
    y = (torch.round(y / out_step) * out_step).clamp(-io.out_bound, io.out_bound)
    return y * scale


def mixed_batch():
    """Row 0 is 'huge' (its normalized output ~32 saturates out_bound 12); rows 1.. are small."""
    generator = torch.Generator().manual_seed(0)
    w = torch.rand(16, 64, generator=generator) * 2 - 1
    huge = torch.sign(w[0:1])  # max|x| = 1, output 0 = ||w_0||_1
    small = torch.randn(7, 64, generator=generator) * torch.logspace(-2, 2, 7)[:, None]
    return torch.cat([huge, small]), w


def test_mixed_batch_preconditions():
    x, w = mixed_batch()
    normalized = (x / x.abs().amax(dim=1, keepdim=True)) @ w.T
    assert normalized[0].abs().max() > 24  # needs two halvings: 32 / 4 = 8 < 12
    assert normalized[0].abs().max() / 4 < 11
    assert normalized[1:].abs().max() < 8  # small rows never saturate


def test_small_rows_of_a_mixed_batch_equal_running_each_row_alone():
    x, w = mixed_batch()
    batch = analog_mvm(x, w, NOISE_OFF)
    for row in range(1, x.shape[0]):
        alone = analog_mvm(x[row : row + 1], w, NOISE_OFF)
        assert torch.equal(batch[row : row + 1], alone), row


def test_small_rows_are_not_reduced_by_the_huge_row():
    x, w = mixed_batch()
    batch = analog_mvm(x, w, NOISE_OFF)
    # factor 1 for every small row: the spec's single-pass result
    torch.testing.assert_close(batch[1:].double(), reference(x[1:], w, NOISE_OFF, 1.0), rtol=1e-5, atol=1e-6)


def test_huge_row_is_not_clipped_and_within_quantization_of_true_product():
    x, w = mixed_batch()
    y = analog_mvm(x, w, NOISE_OFF)[0].double()
    exact = (x[0:1] @ w.T)[0].double()
    assert y.abs().max() > 24  # far beyond out_bound = 12
    # two halvings (factor 4) as the spec prescribes
    torch.testing.assert_close(y, reference(x[0:1], w, NOISE_OFF, 4.0)[0], rtol=1e-5, atol=1e-5)
    # quantization error at factor 4 (max|x| = 1): DAC half-step per input times ||w_row||_1
    # plus an ADC half-step, both scaled back by 4
    in_step, out_step = 2 / 126, 24 / 510
    bound = 4 * (0.5 * in_step * w.abs().sum(dim=1).double() + 0.5 * out_step)
    assert torch.all((y - exact).abs() <= bound + 1e-5)


def test_bound_management_none_clips_the_huge_row_at_out_bound():
    x, w = mixed_batch()
    io = IOParameters(out_noise=0.0, bound_management=BoundManagementType.NONE)
    y = analog_mvm(x, w, io)
    assert y[0].abs().max().item() == pytest.approx(12.0, rel=1e-6)  # clipped at out_bound
    torch.testing.assert_close(y.double(), reference(x, w, io, 1.0), rtol=1e-5, atol=1e-5)
    # the small rows are the same with or without bound management
    assert torch.equal(y[1:], analog_mvm(x, w, NOISE_OFF)[1:])


def test_bound_management_limit_values():
    assert IOParameters().bound_management_limit() == pytest.approx(0.25 * 126)  # 31.5 < 1000
    assert IOParameters(max_bm_factor=4).bound_management_limit() == 4.0
    assert IOParameters(inp_res=0.0, max_bm_factor=8).bound_management_limit() == 8.0


@pytest.mark.parametrize("row_scale", [1.0, 3.0, 0.01])
def test_never_fitting_vector_stops_at_factor_32_for_defaults(row_scale):
    # W = ones, x = constant: normalized output = 512. At factor 32 the DAC gives 2 levels of
    # 1/63 -> 16.25 > 12, still clipped. The next halving (64) would fit (8.13), but
    # 32 > max_bm_res / inp_res = 31.5 stops bound management: output = 12 * 32 * max|x|.
    w = torch.ones(3, 512)
    x = torch.full((2, 512), row_scale)
    x[1] = -row_scale
    y = analog_mvm(x, w, NOISE_OFF)
    expected = 12.0 * 32 * row_scale
    torch.testing.assert_close(y[0], torch.full((3,), expected), rtol=1e-6, atol=0)
    torch.testing.assert_close(y[1], torch.full((3,), -expected), rtol=1e-6, atol=0)


def test_max_bm_factor_stops_at_first_power_of_two_above_it():
    # limit = min(max_bm_factor 4, 0.25 * 1022): doubling continues while factor <= 4, so the
    # last pass runs at factor 8 (aihwkit's rule), output = 12 * 8 * max|x|
    io = IOParameters(out_noise=0.0, inp_res=1 / 1022, max_bm_factor=4)
    w = torch.ones(3, 512)
    x = torch.full((1, 512), 2.0)
    y = analog_mvm(x, w, io)
    torch.testing.assert_close(y, torch.full((1, 3), 12.0 * 8 * 2.0), rtol=1e-6, atol=0)


def test_max_bm_factor_without_input_dac():
    io = IOParameters(out_noise=0.0, inp_res=0.0, max_bm_factor=16)
    w = torch.ones(2, 512)
    x = torch.ones(1, 512)
    # 512 / 32 = 16 > 12 still clipped; 32 > 16 stops
    y = analog_mvm(x, w, io)
    torch.testing.assert_close(y, torch.full((1, 2), 12.0 * 32), rtol=1e-6, atol=0)


def test_bound_management_fits_after_enough_halvings_without_input_dac():
    io = IOParameters(out_noise=0.0, inp_res=0.0, out_res=0.0)
    w = torch.ones(2, 100)
    x = torch.ones(1, 100)
    # 100 -> 50 -> 25 -> 12.5 -> 6.25 (factor 16) fits: exact without quantization
    torch.testing.assert_close(analog_mvm(x, w, io), torch.full((1, 2), 100.0), rtol=1e-6, atol=0)


def test_bound_management_without_noise_management():
    io = IOParameters(
        out_noise=0.0, inp_res=0.0, out_res=0.0, noise_management=NoiseManagementType.NONE
    )
    w = torch.ones(2, 40) * 0.5
    x = torch.cat([torch.full((1, 40), 1.0), torch.full((1, 40), 0.1)])
    y = analog_mvm(x, w, io)
    torch.testing.assert_close(y, x @ w.T, rtol=1e-6, atol=1e-6)  # 20 -> halved once -> 10 fits


def test_mixed_batch_with_noise_on_small_rows_are_unclipped():
    # With noise the rows are not reproducible one by one (the draws depend on the batch), but
    # the small rows still run at factor 1: their error is ADC/DAC/noise sized.
    x, w = mixed_batch()
    io = IOParameters()
    y = analog_mvm(x, w, io, torch.Generator().manual_seed(1)).double()
    scale = x.double().abs().amax(dim=1, keepdim=True)
    error = (y - reference(x, w, NOISE_OFF, 1.0)) / scale
    assert error[1:].abs().max() < 6 * 0.06 + 24 / 510  # 6 sigma of out_noise plus an ADC step
    assert y[0].abs().max() > 24


def test_bound_management_not_triggered_when_quantized_output_fits():
    io = IOParameters(out_noise=0.0, inp_res=0.0, noise_management=NoiseManagementType.NONE)
    w = torch.tensor([[12.01]])  # rounds to level 255 = exactly 12.0: not clipped
    y = analog_mvm(torch.ones(1, 1), w, io)
    assert y.item() == pytest.approx(12.0, rel=1e-6)

"""Output noise and per-forward weight noise of the analog MVM, tested statistically."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from analog_deploy.config import BoundManagementType, IOParameters, NoiseManagementType, WeightNoiseType
from analog_deploy.tiles import analog_mvm

N_ROWS, N_IN, N_OUT = 2000, 32, 50
"""100k noisy outputs per test: SE of a relative std estimate 1 / sqrt(2 * 1e5) = 0.22 %."""

STD_RTOL = 0.015
"""1.5 % ~ 7 standard errors of a std estimate from 1e5 samples."""

KS_MIN_P = 1e-3

NOISE_ONLY = dict(
    inp_res=0.0,
    out_res=0.0,
    out_bound=0.0,
    bound_management=BoundManagementType.NONE,
    noise_management=NoiseManagementType.ABS_MAX,
)


def data(seed: int):
    generator = torch.Generator().manual_seed(seed)
    x = torch.randn(N_ROWS, N_IN, generator=generator)
    x = x * torch.logspace(-2, 2, N_ROWS)[:, None]  # per-row scales over 4 decades
    w = torch.randn(N_OUT, N_IN, generator=generator) * 0.1
    return x, w


@pytest.mark.parametrize("out_noise", [0.06, 0.2])
def test_output_noise_std_is_out_noise_times_row_abs_max(out_noise):
    x, w = data(0)
    io = IOParameters(out_noise=out_noise, **NOISE_ONLY)
    y = analog_mvm(x, w, io, torch.Generator().manual_seed(1)).double()
    scale = x.double().abs().amax(dim=1, keepdim=True)
    residual = (y - (x @ w.T).double()) / (out_noise * scale)
    assert residual.std().item() == pytest.approx(1.0, rel=STD_RTOL)
    assert abs(residual.mean().item()) < 5 / math.sqrt(residual.numel())  # 5 SE
    # per-vector: the small-scale and large-scale halves both have unit std after dividing by s
    half = N_ROWS // 2
    assert residual[:half].std().item() == pytest.approx(1.0, rel=2 * STD_RTOL)
    assert residual[half:].std().item() == pytest.approx(1.0, rel=2 * STD_RTOL)


def test_output_noise_is_normal_ks():
    x, w = data(2)
    io = IOParameters(out_noise=0.06, **NOISE_ONLY)
    y = analog_mvm(x, w, io, torch.Generator().manual_seed(3)).double()
    scale = x.double().abs().amax(dim=1, keepdim=True)
    residual = ((y - (x @ w.T).double()) / (0.06 * scale)).flatten().numpy()
    assert stats.kstest(residual, "norm").pvalue > KS_MIN_P


def test_output_noise_without_noise_management_is_absolute():
    x, w = data(4)
    x = x.clamp(-1, 1)
    io = IOParameters(out_noise=0.06, **{**NOISE_ONLY, "noise_management": NoiseManagementType.NONE})
    y = analog_mvm(x, w, io, torch.Generator().manual_seed(5)).double()
    residual = (y - (x @ w.T).double()) / 0.06
    assert residual.std().item() == pytest.approx(1.0, rel=STD_RTOL)


def test_output_noise_is_fresh_per_call_and_reproducible_per_seed():
    x, w = data(6)
    io = IOParameters()
    generator = torch.Generator().manual_seed(7)
    first, second = analog_mvm(x, w, io, generator), analog_mvm(x, w, io, generator)
    assert not torch.equal(first, second)
    assert torch.equal(first, analog_mvm(x, w, io, torch.Generator().manual_seed(7)))


def test_zero_input_row_gives_exactly_zero_output_with_noise_on():
    x, w = data(8)
    x[[0, 17, 999]] = 0.0
    for io in (IOParameters(), IOParameters(out_noise=0.5, **NOISE_ONLY),
               IOParameters(w_noise=0.1, w_noise_type=WeightNoiseType.ADDITIVE_CONSTANT)):
        y = analog_mvm(x, w, io, torch.Generator().manual_seed(9))
        assert torch.all(y[[0, 17, 999]] == 0)
        assert (y[1] != 0).any()


def dac(x: torch.Tensor, inp_res: float) -> torch.Tensor:
    step = inp_res * 2
    return torch.round(x.clamp(-1, 1) / step) * step


@pytest.mark.parametrize("w_noise", [0.02, 0.05])
def test_additive_constant_weight_noise_adds_input_norm_dependent_output_noise(w_noise):
    generator = torch.Generator().manual_seed(10)
    x = torch.randn(N_ROWS, N_IN, generator=generator)
    # sparsity from 1 to N_IN non-zeros, so ||x_dac|| spans ~1 .. ~3 and the w_noise term
    # ranges from below to above out_noise
    keep = torch.arange(N_IN)[None, :] < torch.randint(1, N_IN + 1, (N_ROWS, 1), generator=generator)
    x = x * keep * torch.logspace(-1, 1, N_ROWS)[:, None]
    w = torch.randn(N_OUT, N_IN, generator=generator) * 0.1
    io = IOParameters(
        out_noise=0.06, w_noise=w_noise, w_noise_type=WeightNoiseType.ADDITIVE_CONSTANT,
        out_res=0.0, out_bound=0.0, bound_management=BoundManagementType.NONE,
    )
    y = analog_mvm(x, w, io, torch.Generator().manual_seed(11)).double()
    scale = x.double().abs().amax(dim=1, keepdim=True)
    x_dac = dac(x.double() / scale, io.inp_res)  # the DAC levels, in units of inp_bound
    noise_free = (x_dac @ w.double().T) * scale
    expected_std = scale * torch.sqrt(0.06**2 + w_noise**2 * x_dac.square().sum(dim=1, keepdim=True))
    standardized = (y - noise_free) / expected_std
    assert standardized.std().item() == pytest.approx(1.0, rel=STD_RTOL)
    assert stats.kstest(standardized.flatten().numpy(), "norm").pvalue > KS_MIN_P
    # out_noise alone would not explain it: the std is >= 1.18x that of out_noise alone,
    # far beyond the 1.5 % estimation error
    assert ((y - noise_free) / (0.06 * scale)).std().item() > 1.1


def test_w_noise_without_type_adds_nothing():
    x, w = data(12)
    base = dict(out_noise=0.06, **NOISE_ONLY)
    plain = analog_mvm(x, w, IOParameters(**base), torch.Generator().manual_seed(13))
    with_w = analog_mvm(x, w, IOParameters(w_noise=0.5, **base), torch.Generator().manual_seed(13))
    assert torch.equal(plain, with_w)


def test_additive_constant_with_zero_w_noise_equals_output_noise_only():
    x, w = data(14)
    base = dict(out_noise=0.06, **NOISE_ONLY)
    plain = analog_mvm(x, w, IOParameters(**base), torch.Generator().manual_seed(15))
    typed = analog_mvm(
        x, w, IOParameters(w_noise_type=WeightNoiseType.ADDITIVE_CONSTANT, **base), torch.Generator().manual_seed(15)
    )
    assert torch.equal(plain, typed)

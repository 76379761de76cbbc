"""Programming noise and drift exponents of the PCM model against their closed forms."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from analog_deploy.config import PCMLikeNoiseModel
from analog_deploy.physics import pcm

N = 200_000
"""Devices per statistical test. Standard error of a sample std: sigma / sqrt(2 N) = 0.16 %;
of a sample mean: sigma / sqrt(N) = 0.22 % of sigma."""

STD_RTOL = 0.01
"""Relative tolerance of a std estimate: 1 % = 6.3 standard errors (1 / sqrt(2 N))."""

MEAN_ATOL_SIGMAS = 5.0
"""Tolerance of a mean estimate in standard errors (sigma / sqrt(N))."""

KS_MIN_P = 1e-3
"""With a fixed seed the p-value is a fixed number; it must not be tiny."""

G_TARGETS = [2.0, 10.0, 20.0]


def polynomial_std(g: float, model: PCMLikeNoiseModel) -> float:
    relative = g / model.g_max
    c0, c1, c2 = model.prog_coeff
    return (c0 + c1 * relative + c2 * relative**2) * model.g_max / 25.0


def constant(g: float, seed: int = 0) -> tuple[torch.Tensor, torch.Generator]:
    return torch.full((N,), g, dtype=torch.float32), torch.Generator().manual_seed(seed)


@pytest.mark.parametrize("g_target", G_TARGETS)
def test_programming_noise_std_is_the_aihwkit_polynomial(g_target):
    model = PCMLikeNoiseModel()
    std = pcm.programming_noise_std(torch.tensor([g_target]), model)
    assert std.item() == pytest.approx(polynomial_std(g_target, model), rel=1e-6)


def test_programming_noise_std_scales_with_g_max_and_prog_noise_scale():
    g = torch.tensor([5.0])
    base = pcm.programming_noise_std(g, PCMLikeNoiseModel()).item()
    # same relative target (5/25 = 10/50), twice the g_max: twice the std
    assert pcm.programming_noise_std(torch.tensor([10.0]), PCMLikeNoiseModel(g_max=50.0)).item() == pytest.approx(2 * base, rel=1e-6)
    assert pcm.programming_noise_std(g, PCMLikeNoiseModel(prog_noise_scale=3.0)).item() == pytest.approx(3 * base, rel=1e-6)


@pytest.mark.parametrize("g_target", G_TARGETS)
def test_programmed_mean_and_std_match_target_and_polynomial(g_target):
    model = PCMLikeNoiseModel()
    sigma = polynomial_std(g_target, model)
    # clipping at 0 is negligible: the target sits >= 4.8 sigma above 0
    assert g_target / sigma > 4.8
    g, generator = constant(g_target)
    programmed = pcm.program(g, model, generator).double()
    assert int((programmed == 0).sum()) <= 2  # P(N < -4.8 sigma) * N ~ 0.2
    assert programmed.std().item() == pytest.approx(sigma, rel=STD_RTOL)
    assert abs(programmed.mean().item() - g_target) < MEAN_ATOL_SIGMAS * sigma / math.sqrt(N)


@pytest.mark.parametrize("g_target", G_TARGETS)
def test_programming_noise_is_normal_ks(g_target):
    model = PCMLikeNoiseModel()
    g, generator = constant(g_target, seed=1)
    programmed = pcm.program(g, model, generator).double().numpy()
    standardized = (programmed - g_target) / polynomial_std(g_target, model)
    assert stats.kstest(standardized, "norm").pvalue > KS_MIN_P


def test_programming_at_zero_target_is_clipped_at_zero():
    model = PCMLikeNoiseModel()
    g, generator = constant(0.0, seed=2)
    programmed = pcm.program(g, model, generator)
    assert torch.all(programmed >= 0)
    # about half the draws are negative and clipped to exactly 0 (SE of the fraction 0.11 %)
    assert (programmed == 0).double().mean().item() == pytest.approx(0.5, abs=0.01)


def test_zero_prog_noise_scale_gives_exact_target():
    model = PCMLikeNoiseModel(prog_noise_scale=0.0)
    g = torch.linspace(0.0, 25.0, 1001)
    assert torch.equal(pcm.program(g, model, torch.Generator().manual_seed(0)), g)


def test_programming_is_reproducible_with_seed():
    model = PCMLikeNoiseModel()
    g = torch.linspace(0.0, 25.0, 1000)
    first = pcm.program(g, model, torch.Generator().manual_seed(7))
    assert torch.equal(first, pcm.program(g, model, torch.Generator().manual_seed(7)))
    assert not torch.equal(first, pcm.program(g, model, torch.Generator().manual_seed(8)))


def nu_mean_std(g: float, g_max: float = 25.0) -> tuple[float, float]:
    log_g = math.log(g / g_max)
    mu = min(max(-0.0155 * log_g + 0.0244, 0.049), 0.1)
    sigma = min(max(-0.0125 * log_g - 0.0059, 0.008), 0.045)
    return mu, sigma


NU_TARGETS = [0.2, 2.0, 10.0, 20.0]


@pytest.mark.parametrize("g_target", NU_TARGETS)
def test_drift_exponent_mean_std_formula(g_target):
    mean, std = pcm.drift_exponent_mean_std(torch.tensor([g_target], dtype=torch.float64), PCMLikeNoiseModel())
    mu, sigma = nu_mean_std(g_target)
    assert mean.item() == pytest.approx(mu, rel=1e-12)
    assert std.item() == pytest.approx(sigma, rel=1e-12)


@pytest.mark.parametrize("g_target", NU_TARGETS)
def test_drift_exponents_match_folded_normal(g_target):
    mu, sigma = nu_mean_std(g_target)
    folded = stats.foldnorm(c=mu / sigma, scale=sigma)
    g, generator = constant(g_target, seed=3)
    nu = pcm.drift_exponents(g, PCMLikeNoiseModel(), generator).double()
    assert torch.all(nu >= 0)
    assert abs(nu.mean().item() - folded.mean()) < MEAN_ATOL_SIGMAS * folded.std() / math.sqrt(N)
    assert nu.std().item() == pytest.approx(folded.std(), rel=STD_RTOL)
    assert stats.kstest(nu.numpy(), folded.cdf).pvalue > KS_MIN_P


def test_drift_exponents_are_non_negative_even_for_tiny_and_zero_targets():
    g = torch.cat([torch.zeros(N // 2), torch.full((N // 2,), 1e-3)])
    nu = pcm.drift_exponents(g, PCMLikeNoiseModel(), torch.Generator().manual_seed(4))
    assert torch.all(nu >= 0)
    assert torch.isfinite(nu).all()
    # G = 0 takes the clipped ends of both ranges: mu = 0.1, sigma = 0.045
    folded = stats.foldnorm(c=0.1 / 0.045, scale=0.045)
    assert nu[: N // 2].double().mean().item() == pytest.approx(folded.mean(), abs=MEAN_ATOL_SIGMAS * folded.std() / math.sqrt(N / 2))


@pytest.mark.parametrize("drift_scale", [0.0, 0.5, 2.0])
def test_drift_scale_multiplies_exponents(drift_scale):
    g = torch.linspace(0.0, 25.0, 2001)
    unit = pcm.drift_exponents(g, PCMLikeNoiseModel(), torch.Generator().manual_seed(5))
    scaled = pcm.drift_exponents(g, PCMLikeNoiseModel(drift_scale=drift_scale), torch.Generator().manual_seed(5))
    torch.testing.assert_close(scaled, unit * drift_scale, rtol=1e-6, atol=0)  # one float32 rounding

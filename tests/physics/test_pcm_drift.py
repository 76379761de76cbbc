"""Power-law drift and accumulated 1/f read noise of the PCM model."""

from __future__ import annotations

import math

import pytest
import torch
from scipy import stats

from analog_deploy.config import PCMLikeNoiseModel
from analog_deploy.physics import pcm

N = 200_000
"""Devices per statistical test; SE of a relative std estimate 1 / sqrt(2 N) = 0.16 %."""

STD_RTOL = 0.01
"""1 % = 6.3 standard errors of a std estimate."""

DAY = 86_400.0
YEAR = 365.0 * DAY
TIMES = [1.0, 3600.0, DAY, YEAR]


def q_s(g: float, g_max: float = 25.0) -> float:
    return min(0.2, 0.0088 / max(1e-3, (g / g_max) ** 0.65))


def read_noise_rel_std(g: float, t: float, t_0: float = 20.0, t_read: float = 250e-9) -> float:
    return q_s(g) * math.sqrt(math.log((t + t_0 + t_read) / (2 * t_read)))


@pytest.mark.parametrize("t", [0.0, *TIMES])
def test_drift_without_read_noise_is_the_power_law(t):
    model = PCMLikeNoiseModel(read_noise_scale=0.0)
    generator = torch.Generator().manual_seed(0)
    g_prog = torch.rand(4000, generator=generator, dtype=torch.float64) * 25.0
    nu = torch.rand(4000, generator=generator, dtype=torch.float64) * 0.12
    expected = g_prog * ((t + 20.0) / 20.0) ** (-nu)
    drifted = pcm.drift(g_prog, nu, t, model, generator)
    torch.testing.assert_close(drifted, expected, rtol=1e-13, atol=0)  # float64, a few roundings


def test_drift_without_read_noise_float32_matches_power_law():
    model = PCMLikeNoiseModel(read_noise_scale=0.0)
    generator = torch.Generator().manual_seed(1)
    g_prog = torch.rand(4000, generator=generator) * 25.0
    nu = torch.rand(4000, generator=generator) * 0.12
    expected = g_prog.double() * ((YEAR + 20.0) / 20.0) ** (-nu.double())
    # float32 pow of a number ~1.6e6 to -0.12: relative error a few ulp (2^-23 ~ 1.2e-7)
    torch.testing.assert_close(pcm.drift(g_prog, nu, YEAR, model, generator).double(), expected, rtol=1e-6, atol=0)


def test_drift_decreases_conductance_monotonically_in_time():
    model = PCMLikeNoiseModel(read_noise_scale=0.0)
    g_prog = torch.full((10,), 20.0)
    nu = torch.full((10,), 0.05)
    values = [pcm.drift(g_prog, nu, t, model, None)[0].item() for t in TIMES]
    assert all(a > b for a, b in zip(values, values[1:]))


@pytest.mark.parametrize("g", [5.0, 10.0, 20.0])
def test_read_noise_relative_std_formula(g):
    for t in TIMES:
        value = pcm.read_noise_relative_std(torch.tensor([g], dtype=torch.float64), t, PCMLikeNoiseModel())
        assert value.item() == pytest.approx(read_noise_rel_std(g, t), rel=1e-12)


def test_q_s_is_capped_at_0_2_for_small_conductances():
    for g in (0.0, 1e-4, 0.01):
        value = pcm.read_noise_relative_std(torch.tensor([g], dtype=torch.float64), 0.0, PCMLikeNoiseModel())
        assert value.item() == pytest.approx(0.2 * math.sqrt(math.log((20.0 + 250e-9) / 500e-9)), rel=1e-12)


@pytest.mark.parametrize("g", [5.0, 20.0])
@pytest.mark.parametrize("t", [1.0, DAY, YEAR], ids=["1s", "1day", "1year"])
def test_read_noise_std_matches_formula(g, t):
    # relative std <= 0.142 here, so clipping at 0 (>= 7 sigma away, P ~ 1e-12) is negligible
    expected = read_noise_rel_std(g, t)
    assert 1 / expected > 7.0
    model = PCMLikeNoiseModel(drift_scale=0.0)
    g_prog = torch.full((N,), g)
    drifted = pcm.drift(g_prog, torch.zeros(N), t, model, torch.Generator().manual_seed(2))
    relative = (drifted.double() / g - 1.0)
    assert relative.std().item() == pytest.approx(expected, rel=STD_RTOL)
    assert abs(relative.mean().item()) < 5 * expected / math.sqrt(N)  # 5 SE of the mean
    assert stats.kstest(relative.numpy() / expected, "norm").pvalue > 1e-3


def test_read_noise_grows_with_time():
    model = PCMLikeNoiseModel(drift_scale=0.0)
    g_prog = torch.full((N,), 10.0)
    stds = []
    for t in [1.0, DAY, YEAR]:
        drifted = pcm.drift(g_prog, torch.zeros(N), t, model, torch.Generator().manual_seed(3))
        stds.append((drifted.double() / 10.0 - 1).std().item())
    # expected 0.067, 0.080, 0.090: differences >> 1 % estimation error
    assert stds[0] < stds[1] < stds[2]
    assert stds[2] / stds[0] == pytest.approx(read_noise_rel_std(10.0, YEAR) / read_noise_rel_std(10.0, 1.0), rel=0.02)


def test_read_noise_scale_multiplies_read_noise():
    g_prog = torch.full((N,), 10.0)
    nu = torch.zeros(N)
    unit = pcm.drift(g_prog, nu, DAY, PCMLikeNoiseModel(), torch.Generator().manual_seed(4)) - 10.0
    double = pcm.drift(g_prog, nu, DAY, PCMLikeNoiseModel(read_noise_scale=2.0), torch.Generator().manual_seed(4)) - 10.0
    # same draws, twice the amplitude; float32 subtraction near 10 loses ~1e-6 absolute
    torch.testing.assert_close(double, 2 * unit, rtol=0, atol=4e-6)


def test_drift_result_is_clipped_at_zero():
    # G = 0.01 uS: Q_s = 0.2, relative std at 1 year ~1.1, so many draws would be negative
    model = PCMLikeNoiseModel()
    g_prog = torch.full((N,), 0.01)
    drifted = pcm.drift(g_prog, torch.full((N,), 0.05), YEAR, model, torch.Generator().manual_seed(5))
    assert torch.all(drifted >= 0)
    assert (drifted == 0).double().mean().item() > 0.1


def test_zero_conductance_stays_zero():
    drifted = pcm.drift(torch.zeros(1000), torch.full((1000,), 0.1), YEAR, PCMLikeNoiseModel(), torch.Generator().manual_seed(6))
    assert torch.all(drifted == 0)


def test_drift_does_not_modify_inputs_and_is_reproducible():
    g_prog = torch.rand(1000, generator=torch.Generator().manual_seed(7)) * 25
    nu = torch.full((1000,), 0.06)
    copies = g_prog.clone(), nu.clone()
    first = pcm.drift(g_prog, nu, DAY, PCMLikeNoiseModel(), torch.Generator().manual_seed(8))
    second = pcm.drift(g_prog, nu, DAY, PCMLikeNoiseModel(), torch.Generator().manual_seed(8))
    assert torch.equal(first, second)
    assert torch.equal(g_prog, copies[0]) and torch.equal(nu, copies[1])

"""physics.program / physics.drift: dispatch by noise model, and the fused C++ kernels agree
with the torch reference (``physics.pcm``) in distribution."""

import math

import pytest
import torch

from analog_deploy import kernels, physics
from analog_deploy.config import IdealNoiseModel, PCMLikeNoiseModel
from analog_deploy.physics import pcm

G_MAX = 25.0
DAY = 86400.0
N = 100_000  # devices per target value: the std of a std estimate is ~0.22 %


def _targets(weight_value: float) -> tuple[torch.Tensor, torch.Tensor]:
    """N tile weights of one value plus one weight of 1 that fixes max|w| -> g_max."""
    weight = torch.full((N + 1,), weight_value)
    weight[-1] = 1.0
    return weight, physics.conductance_scale(weight, G_MAX).reshape(1)


def test_ideal_model_programs_and_drifts_exactly():
    weight = torch.linspace(-1, 1, 101)
    scale = physics.conductance_scale(weight, G_MAX).reshape(1)
    g_plus, g_minus, nu_plus, nu_minus, programmed = physics.program(weight, scale, IdealNoiseModel(), None)
    torch.testing.assert_close(programmed, weight, rtol=0, atol=1e-6)
    assert torch.equal(nu_plus, torch.zeros_like(weight)) and torch.equal(nu_minus, nu_plus)
    drifted = physics.drift(g_plus, g_minus, nu_plus, nu_minus, scale, 365 * DAY, IdealNoiseModel(), None)
    torch.testing.assert_close(drifted, weight, rtol=0, atol=1e-6)


def test_unknown_noise_model_is_rejected():
    weight = torch.ones(3)
    with pytest.raises(TypeError, match="no device physics"):
        physics.program(weight, torch.ones(1), object(), None)
    with pytest.raises(TypeError, match="no device physics"):
        physics.drift(weight, weight, weight, weight, torch.ones(1), 1.0, object(), None)


def test_same_generator_state_gives_the_same_chip():
    weight, scale = _targets(0.3)
    first = physics.program(weight, scale, PCMLikeNoiseModel(), torch.Generator().manual_seed(4))
    second = physics.program(weight, scale, PCMLikeNoiseModel(), torch.Generator().manual_seed(4))
    third = physics.program(weight, scale, PCMLikeNoiseModel(), torch.Generator().manual_seed(5))
    assert all(torch.equal(a, b) for a, b in zip(first, second))
    assert not torch.equal(first[0], third[0])


def _program_stats(use_kernels: bool, weight_value: float) -> dict[str, float]:
    weight, scale = _targets(weight_value)
    generator = torch.Generator().manual_seed(11)
    if use_kernels:
        g_plus, g_minus, nu_plus, nu_minus, _ = physics.program(weight, scale, PCMLikeNoiseModel(), generator)
    else:
        with kernels.disabled():
            g_plus, g_minus, nu_plus, nu_minus, _ = physics.program(weight, scale, PCMLikeNoiseModel(), generator)
    g_plus, g_minus, nu_plus, nu_minus = (t[:-1] for t in (g_plus, g_minus, nu_plus, nu_minus))
    drifted = physics.drift(g_plus, g_minus, nu_plus, nu_minus, scale, DAY, PCMLikeNoiseModel(), generator)
    return {
        "g_plus_mean": g_plus.mean().item(),
        "g_plus_std": g_plus.std().item(),
        "g_minus_mean": g_minus.mean().item(),
        "nu_plus_mean": nu_plus.mean().item(),
        "nu_plus_std": nu_plus.std().item(),
        "drifted_mean": drifted.mean().item(),
        "drifted_std": drifted.std().item(),
    }


@pytest.mark.skipif(not kernels.available(), reason="the C++ kernel library is not built")
@pytest.mark.parametrize("weight_value", [0.1, 0.5, 0.9])
def test_kernels_match_the_torch_reference_in_distribution(weight_value):
    fast, reference = _program_stats(True, weight_value), _program_stats(False, weight_value)
    for name in fast:
        # Both are means/stds over 1e5 devices: the standard error is ~0.3 % of a std; 2 %
        # of the larger magnitude (or 1e-3 absolute for near-zero means) is far outside noise.
        tolerance = max(0.02 * max(abs(fast[name]), abs(reference[name])), 1e-3)
        assert math.isclose(fast[name], reference[name], abs_tol=tolerance), (name, fast[name], reference[name])


@pytest.mark.skipif(not kernels.available(), reason="the C++ kernel library is not built")
def test_kernel_drift_without_noise_is_the_power_law():
    model = PCMLikeNoiseModel(read_noise_scale=0.0)
    g_plus = torch.linspace(0.0, G_MAX, 1001)
    g_minus = torch.flip(g_plus, [0]) * 0.3
    nu_plus, nu_minus = torch.full_like(g_plus, 0.06), torch.full_like(g_plus, 0.08)
    scale = torch.tensor([G_MAX])
    for t in (0.0, 1.0, DAY, 365 * DAY):
        fast = physics.drift(g_plus, g_minus, nu_plus, nu_minus, scale, t, model, None)
        decay = lambda nu: ((t + model.t_0) / model.t_0) ** (-nu)  # noqa: E731
        expected = (g_plus * decay(0.06) - g_minus * decay(0.08)) / G_MAX
        torch.testing.assert_close(fast, expected, rtol=1e-5, atol=1e-6)


@pytest.mark.skipif(not kernels.available(), reason="the C++ kernel library is not built")
def test_kernel_programming_noise_std_follows_the_polynomial():
    model = PCMLikeNoiseModel()
    for weight_value in (0.2, 0.6, 1.0):
        weight, scale = _targets(weight_value)
        g_plus = physics.program(weight, scale, model, torch.Generator().manual_seed(2))[0][:-1]
        expected = pcm.programming_noise_std(torch.tensor([weight_value * G_MAX]), model).item()
        # std of a std estimate over 1e5 samples: 0.22 %; allow 1.5 %
        assert g_plus.std().item() == pytest.approx(expected, rel=0.015)
        assert g_plus.mean().item() == pytest.approx(weight_value * G_MAX, abs=4 * expected / math.sqrt(N))

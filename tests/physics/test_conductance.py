"""Weights <-> differential-pair conductances."""

from __future__ import annotations

import torch

from analog_deploy.physics import conductance_scale, conductances_to_weights, weights_to_conductances

# float32: w * scale / scale is two correctly rounded operations, so the round trip is exact up
# to 2 ulp (relative 2 * 2^-23 ~ 2.4e-7); with a power-of-two scale it is bit exact.
ROUND_TRIP_RTOL = 2.5e-7


def random_weight(seed: int = 0, shape=(48, 40)) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed), dtype=torch.float32)


def test_max_abs_weight_maps_to_g_max():
    weight = random_weight()
    for g_max in (25.0, 10.0, 3.7):
        g_plus, g_minus = weights_to_conductances(weight, conductance_scale(weight, g_max))
        top = torch.maximum(g_plus, g_minus).max().item()
        assert abs(top - g_max) <= g_max * 1.2e-7  # one float32 rounding of w * (g_max / w)
        assert g_plus.max().item() <= g_max * (1 + 1.2e-7)
        assert g_minus.max().item() <= g_max * (1 + 1.2e-7)


def test_negative_max_abs_weight_maps_to_g_max_on_g_minus():
    weight = torch.tensor([[0.5, -2.0], [1.0, 0.25]])
    g_plus, g_minus = weights_to_conductances(weight, conductance_scale(weight, 25.0))
    assert g_minus[0, 1].item() == 25.0
    assert g_plus.max().item() == 12.5


def test_positive_weights_on_g_plus_negative_on_g_minus():
    weight = random_weight(1)
    scale = conductance_scale(weight, 25.0)
    g_plus, g_minus = weights_to_conductances(weight, scale)
    positive, negative = weight > 0, weight < 0
    assert torch.all(g_plus[negative] == 0) and torch.all(g_minus[positive] == 0)
    assert torch.all(g_plus[positive] > 0) and torch.all(g_minus[negative] > 0)
    torch.testing.assert_close(g_plus[positive], weight[positive] * scale, rtol=0, atol=0)
    torch.testing.assert_close(g_minus[negative], -weight[negative] * scale, rtol=0, atol=0)
    assert torch.all(g_plus >= 0) and torch.all(g_minus >= 0)


def test_input_weight_is_not_modified():
    weight = random_weight(2)
    copy = weight.clone()
    g_plus, g_minus = weights_to_conductances(weight, conductance_scale(weight, 25.0))
    conductances_to_weights(g_plus, g_minus, conductance_scale(weight, 25.0))
    assert torch.equal(weight, copy)


def test_round_trip_exact_to_float_rounding():
    weight = random_weight(3)
    scale = conductance_scale(weight, 25.0)
    back = conductances_to_weights(*weights_to_conductances(weight, scale), scale)
    torch.testing.assert_close(back, weight, rtol=ROUND_TRIP_RTOL, atol=0)


def test_round_trip_bit_exact_with_power_of_two_scale():
    weight = random_weight(4)
    weight = weight / weight.abs().max() * 0.5  # max|w| = 0.5, g_max 16 -> scale 32
    scale = conductance_scale(weight, 16.0)
    assert scale.item() == 32.0
    back = conductances_to_weights(*weights_to_conductances(weight, scale), scale)
    assert torch.equal(back, weight)


def test_all_zero_weights_give_zero_conductances_without_nan():
    weight = torch.zeros(5, 7)
    scale = conductance_scale(weight, 25.0)
    assert torch.isfinite(scale).all()
    g_plus, g_minus = weights_to_conductances(weight, scale)
    assert torch.all(g_plus == 0) and torch.all(g_minus == 0)
    back = conductances_to_weights(g_plus, g_minus, scale)
    assert not torch.isnan(back).any()
    assert torch.all(back == 0)

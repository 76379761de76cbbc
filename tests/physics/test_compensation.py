"""Drift compensation: readout and gain, alone and through an AnalogTile."""

from __future__ import annotations

import pytest
import torch

from analog_deploy.config import (
    GlobalDriftCompensation,
    InferenceRPUConfig,
    IOParameters,
    MappingParameter,
    PCMLikeNoiseModel,
    PerColumnDriftCompensation,
)
from analog_deploy.physics import compensation_gain, readout
from analog_deploy.tiles import AnalogTile

DAY = 86_400.0


def probe(seed: int = 0, shape=(12, 8)) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed))


def test_global_readout_is_mean_absolute_output():
    out = probe()
    value = readout(out, GlobalDriftCompensation())
    assert value.shape == (1,)
    torch.testing.assert_close(value, out.abs().mean().reshape(1), rtol=1e-6, atol=0)  # summation order: 1 ulp


def test_per_column_readout_is_mean_absolute_output_per_column():
    out = probe()
    value = readout(out, PerColumnDriftCompensation())
    assert value.shape == (8,)
    torch.testing.assert_close(value, out.abs().mean(dim=0), rtol=1e-6, atol=0)  # summation order: 1 ulp


def test_global_gain_is_ratio_of_mean_absolute_readouts():
    baseline_out, current_out = probe(1), 0.7 * probe(2)
    comp = GlobalDriftCompensation()
    gain = compensation_gain(readout(baseline_out, comp), readout(current_out, comp))
    expected = baseline_out.abs().mean() / current_out.abs().mean()
    torch.testing.assert_close(gain, expected.reshape(1), rtol=1e-6, atol=0)  # float32 rounding


def test_per_column_gain_is_ratio_per_column():
    baseline_out = probe(3)
    column_factors = torch.linspace(0.5, 0.9, 8)
    current_out = baseline_out * column_factors
    comp = PerColumnDriftCompensation()
    gain = compensation_gain(readout(baseline_out, comp), readout(current_out, comp))
    torch.testing.assert_close(gain, 1 / column_factors, rtol=1e-6, atol=0)


def test_readout_of_dead_column_is_floored_so_gain_stays_finite():
    out = probe(4)
    out[:, 2] = 0.0
    comp = PerColumnDriftCompensation()
    current = readout(out, comp)
    assert current[2].item() == pytest.approx(1e-4)
    assert torch.isfinite(compensation_gain(readout(probe(5), comp), current)).all()
    assert readout(torch.zeros(3, 4), GlobalDriftCompensation()).item() == pytest.approx(1e-4)


def test_readout_does_not_modify_probe_output():
    out = probe(6)
    copy = out.clone()
    readout(out, GlobalDriftCompensation())
    readout(out, PerColumnDriftCompensation())
    assert torch.equal(out, copy)


def drift_only_config(compensation) -> InferenceRPUConfig:
    """Ideal IO and deterministic PCM drift: the only non-ideality is the conductance decay."""
    return InferenceRPUConfig(
        forward=IOParameters(is_perfect=True),
        noise_model=PCMLikeNoiseModel(prog_noise_scale=0.0, read_noise_scale=0.0),
        drift_compensation=compensation,
        mapping=MappingParameter(),
    )


def tile_and_data(compensation, seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    weight = torch.randn(16, 24, generator=generator)
    x = torch.randn(64, 24, generator=generator)
    tile = AnalogTile((0, 16), (0, 24), drift_only_config(compensation), seed=seed)
    tile.eval()
    tile.program(weight)
    return tile, weight, x


@pytest.mark.parametrize("compensation", [GlobalDriftCompensation(), PerColumnDriftCompensation()], ids=["global", "per_column"])
def test_tile_compensated_output_is_closer_to_undrifted_than_uncompensated(compensation):
    tile, weight, x = tile_and_data(compensation)
    undrifted = tile(x, weight, use_programmed=True)
    # without programming noise the programmed tile reproduces the digital product
    torch.testing.assert_close(undrifted, x @ weight.T, rtol=1e-5, atol=1e-5)
    for t in (3600.0, DAY, 365 * DAY):
        tile.drift(t)
        compensated = tile(x, weight, use_programmed=True)
        uncompensated = compensated / tile.alpha
        error_compensated = (compensated - undrifted).norm()
        error_uncompensated = (uncompensated - undrifted).norm()
        assert error_compensated < 0.5 * error_uncompensated


@pytest.mark.parametrize("compensation", [GlobalDriftCompensation(), PerColumnDriftCompensation()], ids=["global", "per_column"])
def test_tile_alpha_is_above_one_after_drift_and_one_before(compensation):
    tile, _, _ = tile_and_data(compensation, seed=1)
    assert torch.all(tile.alpha == 1.0)
    tile.drift(DAY)
    assert torch.all(tile.alpha > 1.0)
    alpha_day = tile.alpha.clone()
    tile.drift(365 * DAY)
    assert torch.all(tile.alpha > alpha_day)  # more decay, more gain


def test_tile_global_alpha_is_mean_abs_weight_ratio_with_perfect_io():
    # With perfect IO the one-hot probe reads the tile's weights exactly (transposed).
    tile, _, _ = tile_and_data(GlobalDriftCompensation(), seed=2)
    programmed = tile.analog_weight.clone()
    tile.drift(DAY)
    expected = programmed.abs().mean() / tile.analog_weight.abs().mean()
    torch.testing.assert_close(tile.alpha, expected.reshape(1), rtol=1e-6, atol=0)
    torch.testing.assert_close(tile.baseline, programmed.abs().mean().reshape(1), rtol=1e-6, atol=0)


def test_tile_per_column_alpha_is_per_output_column():
    tile, _, _ = tile_and_data(PerColumnDriftCompensation(), seed=3)
    programmed = tile.analog_weight.clone()
    tile.drift(DAY)
    assert tile.alpha.shape == (16,)
    expected = programmed.abs().mean(dim=1) / tile.analog_weight.abs().mean(dim=1)
    torch.testing.assert_close(tile.alpha, expected, rtol=1e-6, atol=0)
    assert tile.alpha.unique().numel() > 1  # columns drift differently (nu depends on G)


def test_tile_without_compensation_keeps_alpha_one():
    tile, weight, x = tile_and_data(None, seed=4)
    assert tile.baseline is None
    tile.drift(DAY)
    assert torch.equal(tile.alpha, torch.ones(1))
    drifted = tile(x, weight, use_programmed=True)
    assert (drifted - x @ weight.T).norm() > 0.01 * (x @ weight.T).norm()

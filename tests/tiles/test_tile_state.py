"""AnalogTile state: programming, drifting, resetting, reproducibility, state_dict round trip."""

from __future__ import annotations

import io

import pytest
import torch

from analog_deploy.config import InferenceRPUConfig, PerColumnDriftCompensation, preset
from analog_deploy.tiles import AnalogTile
from analog_deploy.tiles.tile import PROGRAMMED_BUFFERS

DAY = 86_400.0


def weight_and_input(seed: int = 0):
    generator = torch.Generator().manual_seed(seed)
    return torch.randn(12, 20, generator=generator), torch.randn(16, 20, generator=generator)


def new_tile(seed: int, config: InferenceRPUConfig | None = None) -> AnalogTile:
    return AnalogTile((0, 12), (0, 20), config or InferenceRPUConfig(), seed=seed).eval()


def programmed_state(tile: AnalogTile) -> dict[str, torch.Tensor]:
    return {name: getattr(tile, name) for name in PROGRAMMED_BUFFERS if getattr(tile, name) is not None}


def assert_same_state(a: AnalogTile, b: AnalogTile) -> None:
    state_a, state_b = programmed_state(a), programmed_state(b)
    assert state_a.keys() == state_b.keys()
    for name in state_a:
        assert torch.equal(state_a[name], state_b[name]), name
    assert a.t_inference == b.t_inference


def test_fresh_tile_is_not_programmed():
    tile = new_tile(0)
    assert not tile.is_programmed
    assert all(getattr(tile, name) is None for name in PROGRAMMED_BUFFERS)
    assert "not programmed" in repr(tile)


def test_program_sets_every_buffer():
    weight, _ = weight_and_input()
    tile = new_tile(0)
    tile.program(weight)
    assert tile.is_programmed
    for name in PROGRAMMED_BUFFERS:
        assert getattr(tile, name) is not None, name
    assert tile.analog_weight.shape == (12, 20)
    assert tile.t_inference is None
    assert torch.all(tile.alpha == 1)
    # programmed weights are noisy versions of the scaled targets
    target, _ = tile.tile_weight(weight)
    assert not torch.equal(tile.analog_weight, target)
    assert (tile.analog_weight - target).abs().max() < 0.2  # prog. noise std <= 1.02 uS of 25 uS ~ 0.04


@pytest.mark.parametrize("config_name", ["pcm", "pcm_harsh"])
def test_program_and_drift_with_same_seed_give_identical_state(config_name):
    weight, x = weight_and_input()
    a, b = new_tile(5, preset(config_name)), new_tile(5, preset(config_name))
    a.program(weight)
    b.program(weight)
    assert_same_state(a, b)
    a.drift(DAY)
    b.drift(DAY)
    assert_same_state(a, b)
    assert torch.equal(a(x, weight, True), b(x, weight, True))


def test_program_and_drift_with_different_seeds_give_different_state():
    weight, _ = weight_and_input()
    a, b = new_tile(5), new_tile(6)
    a.program(weight)
    b.program(weight)
    assert not torch.equal(a.g_plus, b.g_plus)
    assert not torch.equal(a.nu_plus, b.nu_plus)
    assert not torch.equal(a.analog_weight, b.analog_weight)
    a.drift(DAY)
    b.drift(DAY)
    assert not torch.equal(a.analog_weight, b.analog_weight)


def test_manual_seed_reseeds_programming():
    weight, _ = weight_and_input()
    a, b = new_tile(1), new_tile(2)
    b.manual_seed(1)
    a.program(weight)
    b.program(weight)
    assert_same_state(a, b)


def test_drift_before_program_raises():
    tile = new_tile(0)
    with pytest.raises(RuntimeError, match="program"):
        tile.drift(DAY)


def test_drift_is_from_programmed_state_not_cumulative():
    weight, _ = weight_and_input()
    tile = new_tile(0)
    tile.program(weight)
    g_plus = tile.g_plus.clone()
    tile.drift(365 * DAY)
    tile.drift(1.0)
    assert torch.equal(tile.g_plus, g_plus)  # programmed conductances are kept
    assert tile.t_inference == 1.0
    assert f"t_inference={1.0:g}s" in repr(tile)


def test_reset_forgets_programmed_state():
    weight, x = weight_and_input()
    tile = new_tile(0)
    live = tile(x, weight, use_programmed=True)  # unprogrammed: live weights
    tile.program(weight)
    tile.drift(DAY)
    tile.reset()
    assert not tile.is_programmed
    assert tile.t_inference is None
    assert all(getattr(tile, name) is None for name in PROGRAMMED_BUFFERS)
    assert set(tile.state_dict()) == {"_extra_state"}
    with pytest.raises(RuntimeError):
        tile.drift(DAY)
    # computes with the live weights again: same as a fresh tile in the same random state
    fresh = new_tile(0)
    fresh.load_state_dict(tile.state_dict())
    assert torch.equal(tile(x, weight, use_programmed=True), fresh(x, weight, use_programmed=True))
    assert live.shape == (16, 12)


def test_use_programmed_false_ignores_programmed_state():
    weight, x = weight_and_input()
    config = preset("pcm")
    config.forward.is_perfect = True
    tile = new_tile(0, config)
    tile.program(weight)
    tile.drift(365 * DAY)
    torch.testing.assert_close(tile(x, weight, use_programmed=False), x @ weight.T, rtol=1e-5, atol=1e-5)
    assert (tile(x, weight, use_programmed=True) - x @ weight.T).abs().max() > 1e-3


@pytest.mark.parametrize("drifted", [False, True])
@pytest.mark.parametrize("compensation", ["global", "per_column", "none"])
def test_state_dict_round_trip_gives_identical_buffers_and_forward(drifted, compensation):
    config = InferenceRPUConfig(
        drift_compensation={"global": InferenceRPUConfig().drift_compensation,
                            "per_column": PerColumnDriftCompensation(), "none": None}[compensation]
    )
    weight, x = weight_and_input(1)
    tile = new_tile(3, config)
    tile.program(weight)
    if drifted:
        tile.drift(DAY)
    buffer = io.BytesIO()
    torch.save(tile.state_dict(), buffer)
    buffer.seek(0)
    state = torch.load(buffer, weights_only=True)
    restored = new_tile(12345, config)  # different seed: the generator state must come from the file
    restored.load_state_dict(state)
    assert_same_state(tile, restored)
    assert restored.is_programmed
    # generator state restored: the next noisy forward passes draw the same noise
    assert torch.equal(tile(x, weight, True), restored(x, weight, True))
    assert torch.equal(tile(x, weight, True), restored(x, weight, True))
    if drifted:  # and the next drift too
        tile.drift(2 * DAY)
        restored.drift(2 * DAY)
        assert_same_state(tile, restored)


def test_loading_unprogrammed_state_into_programmed_tile_unprograms_it():
    weight, _ = weight_and_input()
    empty = new_tile(0)
    programmed = new_tile(1)
    programmed.program(weight)
    programmed.load_state_dict(empty.state_dict())
    assert not programmed.is_programmed
    assert torch.equal(programmed.generator.get_state(), empty.generator.get_state())


def test_every_forward_draws_fresh_noise_and_reseeding_replays_it():
    weight, x = weight_and_input()
    tile = new_tile(0)
    tile.program(weight)
    tile.drift(DAY)
    tile.manual_seed(5)
    first, second = tile(x, weight, use_programmed=True), tile(x, weight, use_programmed=True)
    assert not torch.equal(first, second)
    tile.manual_seed(5)
    assert torch.equal(tile(x, weight, use_programmed=True), first)
    assert torch.equal(tile(x, weight, use_programmed=True), second)

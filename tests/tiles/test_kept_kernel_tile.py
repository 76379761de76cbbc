"""A programmed tile keeps its kernel arguments across forwards (``kernels.KernelTile``): every
way its programmed state, IO parameters or noise stream can change must reach the next forward,
and copies must not share it."""

import concurrent.futures
import copy
import io

import pytest
import torch

import analog_deploy as ad
from analog_deploy import kernels

pytestmark = pytest.mark.skipif(not kernels.available(), reason="the C++ kernel library is not built")


def _layer(max_input_size: int) -> ad.AnalogLinear:
    """A programmed layer without output noise, so its outputs are a function of its state."""
    config = ad.preset("pcm")
    config.forward = ad.IOParameters(out_noise=0.0)
    config.mapping = ad.MappingParameter(max_input_size=max_input_size, max_output_size=8)
    torch.manual_seed(0)
    layer = ad.AnalogLinear(24, 10, rpu_config=config).eval()
    layer.drift_analog_weights(1.0, seed=1)
    return layer


def _run(layer: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad():
        return layer(x)


def _reference(layer: torch.nn.Module, x: torch.Tensor) -> torch.Tensor:
    with torch.no_grad(), kernels.disabled():
        return layer(x)


X = torch.randn(5, 24, generator=torch.Generator().manual_seed(2))
TILE_SIZES = [pytest.param(24, id="one tile"), pytest.param(10, id="three tiles")]


@pytest.mark.parametrize("max_input_size", TILE_SIZES)
def test_drift_after_a_forward_reaches_the_next_forward(max_input_size):
    layer, twin = _layer(max_input_size), _layer(max_input_size)
    _run(layer, X)  # keeps the kernel arguments of the 1 s state
    for model in (layer, twin):
        model.drift_analog_weights(3.15e7, seed=4)
    torch.testing.assert_close(_run(layer, X), _run(twin, X), rtol=0, atol=0)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda tile: tile.analog_weight.mul_(0.5), id="in place"),
        pytest.param(lambda tile: setattr(tile.analog_weight, "data", tile.analog_weight * 0.5), id="data replaced"),
        pytest.param(lambda tile: setattr(tile, "out_scales", tile.out_scales * 2.0), id="buffer replaced"),
        pytest.param(lambda tile: tile.alpha.fill_(3.0), id="alpha in place"),
    ],
)
def test_changed_programmed_buffers_reach_the_next_forward(change):
    layer = _layer(10)
    before = _run(layer, X)
    for tile in layer.analog_tiles():
        change(tile)
    after = _run(layer, X)
    assert not torch.equal(after, before)
    torch.testing.assert_close(after, _reference(layer, X), rtol=1e-5, atol=1e-5)


def test_loading_a_state_after_a_forward_gives_the_saved_model():
    saved, layer = _layer(10), _layer(10)
    saved.drift_analog_weights(86400.0, seed=7)
    _run(layer, X)
    layer.load_state_dict(saved.state_dict())
    torch.testing.assert_close(_run(layer, X), _run(saved, X), rtol=0, atol=0)


def test_a_copy_made_after_a_forward_keeps_its_own_weights():
    layer = _layer(10)
    expected = _run(layer, X)
    copied = copy.deepcopy(layer)
    for tile in layer.analog_tiles():
        tile.analog_weight.zero_()
    torch.testing.assert_close(_run(copied, X), expected, rtol=0, atol=0)


def test_reset_after_a_forward_computes_with_the_target_weights():
    layer = _layer(10)
    _run(layer, X)
    for tile in layer.analog_tiles():
        tile.reset()
    assert all(tile._kernel_tile is None for tile in layer.analog_tiles())
    torch.testing.assert_close(_run(layer, X), _reference(layer, X), rtol=1e-5, atol=1e-5)


def test_double_precision_after_a_forward_runs_the_torch_path():
    layer = _layer(10)
    single = _run(layer, X)
    layer.double()
    double = _run(layer, X.double())
    assert double.dtype == torch.float64
    assert all(tile._kernel_tile is None for tile in layer.analog_tiles())
    torch.testing.assert_close(double.float(), single, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    "change",
    [
        pytest.param(lambda config: setattr(config.forward, "inp_res", 1 / 14), id="field set"),
        pytest.param(lambda config: setattr(config, "forward", ad.IOParameters(out_noise=0.0, out_bound=0.5)),
                     id="parameters replaced"),
    ],
)
def test_changed_io_parameters_reach_the_next_forward(change):
    layer = _layer(10)
    before = _run(layer, X)
    change(layer.rpu_config)  # the tiles share the layer's config
    after = _run(layer, X)
    assert not torch.equal(after, before)
    torch.testing.assert_close(after, _reference(layer, X), rtol=1e-5, atol=1e-5)


def test_reseeding_a_tile_after_a_forward_restarts_its_noise():
    torch.manual_seed(0)
    layer = ad.AnalogLinear(24, 10, rpu_config=ad.preset("pcm")).eval()
    layer.program_analog_weights(seed=1)
    (tile,) = layer.analog_tiles()
    assert not torch.equal(_run(layer, X), _run(layer, X))  # each forward draws fresh noise
    tile.manual_seed(5)
    again = _run(layer, X)
    tile.manual_seed(5)
    torch.testing.assert_close(_run(layer, X), again, rtol=0, atol=0)
    tile.manual_seed(6)
    assert not torch.equal(_run(layer, X), again)


def test_a_pickled_layer_after_a_forward_gives_the_same_outputs():
    layer = _layer(10)
    _run(layer, X)
    buffer = io.BytesIO()
    torch.save(layer, buffer)
    buffer.seek(0)
    loaded = torch.load(buffer, weights_only=False)
    torch.testing.assert_close(_run(loaded, X), _run(layer, X), rtol=0, atol=0)


@pytest.mark.parametrize("one_call", [pytest.param(True, id="one C call"), pytest.param(False, id="three calls")])
def test_concurrent_forwards_of_one_tile_never_share_a_noise_stream(monkeypatch, one_call):
    """Torch and the kernels run without the GIL, so two threads can be inside one tile's forward
    at once: each must still draw noise of its own (on the kernel path, a stream of its own from
    the tile's counter)."""
    if not one_call:
        monkeypatch.setattr(kernels, "_torch_sgemm", lambda: None)
    config = ad.preset("pcm")
    config.forward = ad.IOParameters(bound_management=ad.BoundManagementType.NONE)  # one stream per forward
    torch.manual_seed(0)
    layer = ad.AnalogLinear(256, 256, rpu_config=config).eval()
    layer.program_analog_weights(seed=1)
    (tile,) = layer.analog_tiles()
    x = torch.randn(64, 256, generator=torch.Generator().manual_seed(3))
    forwards = 50

    def run(_: int) -> list[torch.Tensor]:
        return [_run(layer, x) for _ in range(forwards)]

    with concurrent.futures.ThreadPoolExecutor(max_workers=2) as pool:
        outputs = [y for ys in pool.map(run, range(2)) for y in ys]
    keys = {y.numpy().tobytes() for y in outputs}  # same input and weights: only the noise differs
    assert len(keys) == 2 * forwards
    if kernels.available():  # the kernel path's counter (the torch path draws from the tile's generator)
        assert tile.noise.calls == 2 * forwards

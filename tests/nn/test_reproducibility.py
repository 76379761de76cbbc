"""Same seed, same result; different seeds, different noise."""

import torch

import analog_deploy as ad


def _run(model, seed_program: int, seed_drift: int, x: torch.Tensor) -> torch.Tensor:
    analog = ad.convert_to_analog(model, "pcm", seed=0).eval()
    ad.program_analog_weights(analog, seed=seed_program)
    ad.drift_analog_weights(analog, 3600.0, seed=seed_drift)
    with torch.no_grad():
        return analog(x)


def test_same_seeds_give_identical_outputs(cnn):
    x = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    assert torch.equal(_run(cnn, 1, 2, x), _run(cnn, 1, 2, x))


def test_different_programming_seeds_give_different_chips(cnn):
    x = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    assert not torch.equal(_run(cnn, 1, 2, x), _run(cnn, 3, 2, x))


def test_different_drift_seeds_give_different_read_noise(cnn):
    x = torch.randn(4, 3, 8, 8, generator=torch.Generator().manual_seed(0))
    assert not torch.equal(_run(cnn, 1, 2, x), _run(cnn, 1, 4, x))


def test_global_torch_seed_makes_conversion_reproducible(mlp):
    x = torch.randn(4, 20)
    outputs = []
    for _ in range(2):
        torch.manual_seed(7)
        analog = ad.convert_to_analog(mlp, "pcm").eval()
        ad.drift_analog_weights(analog, 1.0)
        with torch.no_grad():
            outputs.append(analog(x))
    assert torch.equal(*outputs)


def test_layers_and_tiles_get_distinct_seeds(mlp):
    config = ad.preset("pcm")
    config.mapping = ad.MappingParameter(max_input_size=10)
    analog = ad.convert_to_analog(mlp, config, seed=0).eval()
    ad.program_analog_weights(analog, seed=1)
    states = [tile.generator.get_state() for _, layer in ad.analog_layers(analog) for tile in layer.analog_tiles()]
    assert len(states) == 2 + 4 + 4
    assert len({bytes(state.numpy()) for state in states}) == len(states)

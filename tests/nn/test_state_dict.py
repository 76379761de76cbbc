"""Checkpoints of analog models: config and tile state travel as plain data."""

import io
import json

import pytest
import torch

import analog_deploy as ad
from analog_deploy.exceptions import ModuleError


def _save_load(state: dict) -> dict:
    buffer = io.BytesIO()
    torch.save(state, buffer)
    buffer.seek(0)
    return torch.load(buffer, weights_only=True)


def test_drifted_model_saved_and_loaded_gives_identical_outputs(cnn):
    analog = ad.convert_to_analog(cnn, "pcm", seed=0).eval()
    ad.drift_analog_weights(analog, 86400.0, seed=5)
    state = _save_load(analog.state_dict())  # loads with weights_only=True
    x = torch.randn(3, 3, 8, 8, generator=torch.Generator().manual_seed(1))
    restored = ad.convert_to_analog(cnn, "ideal", seed=99).eval()  # other config and seeds
    restored.load_state_dict(state)
    with torch.no_grad():
        assert torch.equal(analog(x), restored(x))  # forward noise included
        assert torch.equal(analog(x), restored(x))  # and the next draws too


def test_state_dict_carries_the_rpu_config_as_json(mlp):
    config = ad.preset("pcm_harsh")
    analog = ad.convert_to_analog(mlp, config)
    extra = analog.state_dict()["0._extra_state"]
    assert isinstance(extra["rpu_config"], str)
    assert ad.config_from_json(extra["rpu_config"]) == config
    json.loads(extra["rpu_config"])


def test_loading_replaces_the_config_and_tile_layout(mlp):
    config = ad.preset("pcm")
    config.mapping = ad.MappingParameter(max_input_size=8, max_output_size=8)
    source = ad.convert_to_analog(mlp, config).eval()
    ad.program_analog_weights(source, seed=0)
    target = ad.convert_to_analog(mlp, "pcm")
    target.load_state_dict(_save_load(source.state_dict()))
    assert target[0].rpu_config == config
    assert target[0].analog_tile_count() == source[0].analog_tile_count() == 12


def test_load_rpu_config_false_keeps_the_layer_config():
    torch.manual_seed(0)
    source = ad.AnalogLinear(10, 4, rpu_config=ad.preset("pcm_harsh"))
    target = ad.AnalogLinear(10, 4, rpu_config=ad.preset("pcm"))
    target.load_state_dict(source.state_dict(), load_rpu_config=False)
    assert target.rpu_config == ad.preset("pcm")
    assert torch.equal(target.weight, source.weight)


def test_load_rpu_config_false_refuses_a_different_tile_layout():
    config = ad.preset("pcm")
    config.mapping = ad.MappingParameter(max_input_size=4)
    source = ad.AnalogLinear(10, 4, rpu_config=config)
    target = ad.AnalogLinear(10, 4, rpu_config=ad.preset("pcm"))
    with pytest.raises(ModuleError, match="tile sizes"):
        target.load_state_dict(source.state_dict(), load_rpu_config=False)
    # Without the check, the weights load; the checkpoint's tiles do not fit ours.
    result = target.load_state_dict(
        source.state_dict(), strict=False, load_rpu_config=False, strict_rpu_config_check=False
    )
    assert torch.equal(target.weight, source.weight)
    assert any(key.startswith("analog_tile_state_2") for key in result.unexpected_keys)


def test_unprogrammed_checkpoint_unprograms_the_target(mlp):
    programmed = ad.convert_to_analog(mlp, "pcm").eval()
    ad.program_analog_weights(programmed, seed=0)
    fresh = ad.convert_to_analog(mlp, "pcm")
    programmed.load_state_dict(fresh.state_dict())
    assert not any(t.is_programmed for _, layer in ad.analog_layers(programmed) for t in layer.analog_tiles())

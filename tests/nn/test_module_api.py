"""The aihwkit ``AnalogModuleBase`` API on our layers: tiles, program/drift, weights, helpers."""

import pytest
import torch

import analog_deploy as ad
from analog_deploy.exceptions import ModuleError


def _layer(config: str = "pcm", **mapping) -> ad.AnalogLinear:
    rpu_config = ad.preset(config)
    if mapping:
        rpu_config.mapping = ad.MappingParameter(**mapping)
    torch.manual_seed(0)
    return ad.AnalogLinear(12, 6, rpu_config=rpu_config, seed=1)


def test_aihwkit_prefix_constants_exist():
    for name in (
        "ANALOG_CTX_PREFIX",
        "ANALOG_SHARED_WEIGHT_PREFIX",
        "ANALOG_STATE_PREFIX",
        "ANALOG_OUT_SCALING_ALPHA_PREFIX",
        "ANALOG_INPUT_RANGE_PREFIX",
    ):
        assert isinstance(getattr(ad.AnalogModuleBase, name), str)


def test_tiles_are_counted_named_and_placed():
    layer = _layer(max_input_size=5, max_output_size=4)
    names = [name for name, _ in layer.named_analog_tiles()]
    assert layer.analog_tile_count() == len(names) == 6
    assert all(name.startswith(ad.AnalogModuleBase.ANALOG_STATE_PREFIX) for name in names)
    assert list(layer.analog_tiles()) == [tile for _, tile in layer.named_analog_tiles()]
    assert layer.get_analog_tile_devices() == [torch.device("cpu")] * 6


@pytest.mark.parametrize("action", ["program", "drift"])
def test_program_and_drift_raise_in_training_mode(action):
    layer = _layer().train()
    with pytest.raises(ModuleError, match="evaluation mode"):
        if action == "program":
            layer.program_analog_weights()
        else:
            layer.drift_analog_weights(1.0)
    model = torch.nn.Sequential(layer)
    with pytest.raises(ModuleError, match="evaluation mode"):
        ad.drift_analog_weights(model, 1.0)


def test_drift_programs_first_and_records_time():
    layer = _layer().eval()
    layer.drift_analog_weights(3600.0)
    assert all(tile.is_programmed and tile.t_inference == 3600.0 for tile in layer.analog_tiles())


def test_negative_t_inference_is_rejected():
    layer = _layer().eval()
    with pytest.raises(ValueError, match="t_inference"):
        layer.drift_analog_weights(-1.0)


def test_get_weights_exact_returns_targets_and_bias():
    layer = _layer()
    weight, bias = layer.get_weights()
    assert torch.equal(weight, layer.weight.detach())
    assert torch.equal(bias, layer.bias.detach())


def test_get_weights_without_weight_scaling_returns_crossbar_values():
    layer = _layer(weight_scaling_omega=0.5)
    weight, _ = layer.get_weights(apply_weight_scaling=False)
    assert weight.abs().max().item() == pytest.approx(0.5)
    assert torch.allclose(weight / weight.abs().max(), layer.weight / layer.weight.abs().max())


def test_columnwise_scaling_puts_every_column_at_omega():
    layer = _layer(weight_scaling_omega=1.0, weight_scaling_columnwise=True)
    weight, _ = layer.get_weights(apply_weight_scaling=False)
    assert torch.allclose(weight.abs().amax(dim=1), torch.ones(6))


def test_get_weights_after_programming_returns_programmed_weights():
    layer = _layer().eval()
    layer.program_analog_weights(seed=3)
    weight, _ = layer.get_weights()
    difference = weight - layer.weight.detach()
    assert difference.abs().max() > 0  # programming noise
    assert difference.abs().max() < 0.2 * layer.weight.abs().max()


def test_set_weights_writes_targets_and_drops_programming():
    layer = _layer().eval()
    layer.program_analog_weights()
    new_weight, new_bias = torch.randn(6, 12), torch.randn(6)
    layer.set_weights(new_weight, new_bias)
    weight, bias = layer.get_weights()
    assert torch.equal(weight, new_weight) and torch.equal(bias, new_bias)
    assert not any(tile.is_programmed for tile in layer.analog_tiles())


def test_set_weights_rejects_wrong_shapes_with_clear_message():
    layer = _layer()
    with pytest.raises(ModuleError, match=r"does not fit the layer's weight \(6, 12\)"):
        layer.set_weights(torch.randn(5, 12))
    with pytest.raises(ModuleError, match="bias"):
        layer.set_weights(torch.randn(6, 12), torch.randn(3))


def test_set_weights_without_weight_scaling_turns_scaling_off():
    layer = _layer()
    weight = torch.randn(6, 12) * 0.1
    layer.set_weights(weight, apply_weight_scaling=False)
    assert layer.rpu_config.mapping.weight_scaling_omega == 0.0
    crossbar, _ = layer.get_weights(apply_weight_scaling=False)
    assert torch.equal(crossbar, weight)


def test_realistic_read_write_programs_on_set_and_reads_noisily():
    layer = _layer()
    layer.realistic_read_write = True
    weight = torch.randn(6, 12)
    layer.set_weights(weight)
    assert all(tile.is_programmed for tile in layer.analog_tiles())
    noisy, _ = layer.get_weights()
    exact, _ = layer.get_weights(force_exact=True)
    assert not torch.equal(noisy, exact)
    layer.set_weights(weight, force_exact=True)
    assert torch.equal(layer.get_weights(force_exact=True)[0], weight)


def test_remap_weights_changes_omega_and_resets_tiles():
    layer = _layer().eval()
    layer.program_analog_weights()
    layer.remap_weights(weight_scaling_omega=0.8)
    assert layer.rpu_config.mapping.weight_scaling_omega == 0.8
    assert all(tile.rpu_config is layer.rpu_config for tile in layer.analog_tiles())
    assert not any(tile.is_programmed for tile in layer.analog_tiles())
    crossbar, _ = layer.get_weights(apply_weight_scaling=False)
    assert crossbar.abs().max().item() == pytest.approx(0.8)


def test_unregister_parameter_turns_bias_into_none():
    layer = _layer()
    layer.unregister_parameter("bias")
    assert layer.bias is None and "bias" not in dict(layer.named_parameters())
    with pytest.raises(ModuleError, match="no parameter"):
        layer.unregister_parameter("bias")


def test_register_helper_keeps_attribute_out_of_state_dict():
    layer = _layer()
    layer.register_buffer("scratch", torch.zeros(3))
    assert "scratch" in layer.state_dict()
    layer.register_helper("scratch")
    assert "scratch" not in layer.state_dict()


def test_register_analog_tile_rejects_non_tiles():
    with pytest.raises(ModuleError, match="AnalogTile"):
        _layer().register_analog_tile(torch.nn.Linear(2, 2))


def test_extra_repr_names_arguments_tiles_and_noise_model():
    text = repr(_layer())
    assert "in_features=12" in text and "tiles=1" in text and "PCMLikeNoiseModel" in text
    conv = ad.AnalogConv2d(2, 4, 3, stride=2, groups=2, padding_mode="reflect", padding=1)
    assert "groups=2" in repr(conv) and "padding_mode=reflect" in repr(conv)


def test_analog_conv_get_weights_has_torch_weight_shape():
    conv = ad.AnalogConv2d(4, 6, (3, 2), groups=2)
    weight, bias = conv.get_weights()
    assert weight.shape == (6, 2, 3, 2) and bias.shape == (6,)


def test_linear_rejects_wrong_input_size():
    with pytest.raises(ValueError, match="last dimension 12"):
        _layer()(torch.randn(3, 5))


def test_conv_rejects_wrong_channels():
    with pytest.raises(ValueError, match=r"\[N, 4"):
        ad.AnalogConv2d(4, 6, 3)(torch.randn(1, 3, 8, 8))


def test_empty_batches_give_empty_outputs():
    conv = ad.AnalogConv2d(2, 3, 3).eval()
    conv.drift_analog_weights(10.0)
    with torch.no_grad():
        assert conv(torch.randn(0, 2, 6, 6)).shape == (0, 3, 4, 4)
        assert _layer().eval()(torch.randn(0, 12)).shape == (0, 6)


def test_float64_models_run_on_the_torch_reference():
    layer = _layer("ideal").double().eval()
    layer.drift_analog_weights(10.0)
    x = torch.randn(3, 12, dtype=torch.float64)
    with torch.no_grad():
        y = layer(x)
    assert y.dtype == torch.float64
    assert torch.allclose(y, torch.nn.functional.linear(x, layer.weight, layer.bias), atol=1e-12)


def test_aihwkit_1x_traversal_helpers():
    layer = _layer(max_input_size=5)
    assert list(layer.analog_layers()) == [layer] == list(layer.analog_modules())
    assert [name for name, _ in layer.named_analog_layers()] == [""]
    seen_layers, seen_tiles = [], []
    assert layer.apply_to_analog_layers(seen_layers.append) is layer
    assert layer.apply_to_analog_tiles(seen_tiles.append) is layer
    assert seen_layers == [layer] and seen_tiles == list(layer.analog_tiles())


def test_replace_rpu_config_rebuilds_tiles_for_the_new_mapping():
    layer = _layer().eval()
    layer.program_analog_weights()
    config = ad.preset("pcm_harsh")
    config.mapping = ad.MappingParameter(max_input_size=4)
    layer.replace_rpu_config(config)
    assert layer.rpu_config == config and layer.rpu_config is not config
    assert layer.analog_tile_count() == 3
    assert not any(tile.is_programmed for tile in layer.analog_tiles())


def test_remap_analog_weights_is_remap_weights():
    layer = _layer()
    layer.remap_analog_weights(0.25)
    assert layer.rpu_config.mapping.weight_scaling_omega == 0.25

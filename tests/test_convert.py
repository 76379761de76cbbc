"""convert_to_analog / convert_to_digital: which layers convert, with which config, at what cost."""

import logging

import pytest
import torch
from torch import nn

import analog_deploy as ad


class MyLinear(nn.Linear):
    """A user subclass of nn.Linear: must convert too (isinstance matching)."""


class Scale(nn.Module):
    """A user layer that is not analog by default."""

    def __init__(self) -> None:
        super().__init__()
        self.weight = nn.Parameter(torch.ones(3, 3))

    def forward(self, x):
        return x @ self.weight


class AnalogScale(ad.AnalogLinear):
    @classmethod
    def from_digital(cls, module, rpu_config, seed=None):
        layer = cls(3, 3, bias=False, rpu_config=rpu_config, seed=seed)
        with torch.no_grad():
            layer.weight.copy_(module.weight.T)
        return layer


def _model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv2d(1, 2, 3),
        nn.Sequential(nn.Flatten(), MyLinear(2 * 4 * 4, 8)),
        nn.ReLU(),
        nn.Linear(8, 3),
    )


def _analog_names(model: nn.Module) -> list[str]:
    return [name for name, _ in ad.analog_layers(model)]


def test_converts_every_mapped_layer_including_subclasses_and_nested():
    analog = ad.convert_to_analog(_model())
    assert _analog_names(analog) == ["0", "1.1", "3"]
    assert isinstance(analog[0], ad.AnalogConv2d) and isinstance(analog[1][1], ad.AnalogLinear)


def test_not_inplace_leaves_the_original_untouched_and_inplace_shares_weights():
    model = _model()
    analog = ad.convert_to_analog(model)
    assert isinstance(model[0], nn.Conv2d) and analog is not model
    weight = model[3].weight
    converted = ad.convert_to_analog(model, inplace=True)
    assert converted is model and converted[3].weight is weight  # no copy of the weights


def test_a_single_layer_converts():
    layer = ad.convert_to_analog(nn.Linear(4, 2))
    assert isinstance(layer, ad.AnalogLinear)


def test_exclude_patterns_keep_layers_digital(caplog):
    with caplog.at_level(logging.INFO, logger="analog_deploy"):
        analog = ad.convert_to_analog(_model(), exclude=["1.*", "3"])
    assert _analog_names(analog) == ["0"]
    assert "1.1" in caplog.text and "3" in caplog.text


def test_layer_config_precedence_global_type_pattern_name():
    harsh, ideal = ad.preset("pcm_harsh"), ad.preset("ideal")
    analog = ad.convert_to_analog(
        _model(),
        "pcm",
        layer_configs={nn.Linear: harsh, "1.*": ideal, "3": "ideal", nn.Conv2d: None},
    )
    assert _analog_names(analog) == ["1.1", "3"]
    assert analog[1][1].rpu_config == ideal  # pattern beats type
    assert analog[3].rpu_config == ideal  # exact name beats type


def test_callable_config_is_the_escape_hatch():
    def choose(name, module):
        return None if isinstance(module, nn.Conv2d) else ad.preset("pcm_harsh")

    analog = ad.convert_to_analog(_model(), choose)
    assert _analog_names(analog) == ["1.1", "3"]
    assert analog[3].rpu_config == ad.preset("pcm_harsh")


def test_layers_get_independent_config_copies():
    config = ad.preset("pcm")
    analog = ad.convert_to_analog(_model(), config)
    analog[3].remap_weights(0.5)
    assert analog[0].rpu_config.mapping.weight_scaling_omega == 1.0
    assert config.mapping.weight_scaling_omega == 1.0


def test_user_mapping_extends_the_default():
    mapping = ad.default_mapping()
    mapping[Scale] = AnalogScale
    model = nn.Sequential(Scale(), nn.Linear(3, 2))
    analog = ad.convert_to_analog(model, "ideal", mapping=mapping)
    assert isinstance(analog[0], AnalogScale) and isinstance(analog[1], ad.AnalogLinear)
    x = torch.randn(2, 3)
    with torch.no_grad():
        assert torch.allclose(analog(x), model(x), atol=1e-5)
    assert nn.Linear in ad.default_mapping() and Scale not in ad.default_mapping()


def test_unknown_preset_name_is_a_clear_error():
    with pytest.raises(ValueError, match="unknown preset 'nope'"):
        ad.convert_to_analog(_model(), "nope")


def test_convert_to_digital_round_trip_restores_outputs():
    model = _model().eval()
    analog = ad.convert_to_analog(model, "pcm")
    digital = ad.convert_to_digital(analog)
    assert not list(ad.analog_layers(digital))
    assert isinstance(digital[1][1], nn.Linear) and isinstance(digital[0], nn.Conv2d)
    x = torch.randn(2, 1, 6, 6)
    with torch.no_grad():
        assert torch.equal(digital(x), model(x))


def test_already_analog_layers_are_left_alone():
    analog = ad.convert_to_analog(_model(), "pcm")
    again = ad.convert_to_analog(analog, "ideal", inplace=True)
    assert again[3].rpu_config == ad.preset("pcm")


def test_training_mode_is_preserved():
    model = _model().eval()
    assert not ad.convert_to_analog(model)[3].training


def test_conversion_allocates_no_weight_memory_beyond_the_copy():
    """The analog layers reuse the (copied) weight tensors and tiles hold no state before
    programming: the converted model owns exactly as many bytes as the digital one."""

    def owned_bytes(model: nn.Module) -> int:
        storages = {t.untyped_storage().data_ptr(): t.untyped_storage().nbytes() for t in model.state_dict().values()
                    if isinstance(t, torch.Tensor)}
        return sum(storages.values())

    model = nn.Sequential(nn.Linear(1024, 1024), nn.ReLU(), nn.Conv1d(4, 8, 3))
    analog = ad.convert_to_analog(model, "pcm")
    assert owned_bytes(analog) == owned_bytes(model)
    inplace = ad.convert_to_analog(model, "pcm", inplace=True)
    assert inplace[0].weight.data_ptr() == model[0].weight.data_ptr()


def test_a_module_used_twice_becomes_one_analog_layer():
    shared = nn.Linear(4, 4)
    model = nn.Sequential(shared, nn.ReLU(), shared)
    analog = ad.convert_to_analog(model, "pcm")
    assert isinstance(analog[0], ad.AnalogLinear) and analog[0] is analog[2]
    digital = ad.convert_to_digital(analog)
    assert isinstance(digital[0], nn.Linear) and digital[0] is digital[2]

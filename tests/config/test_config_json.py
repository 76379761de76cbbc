"""JSON round trip of configs and presets, and rejection of malformed JSON."""

from __future__ import annotations

import json

import pytest

from analog_deploy.config import (
    PRESETS,
    BoundManagementType,
    GlobalDriftCompensation,
    IdealNoiseModel,
    InferenceRPUConfig,
    IOParameters,
    MappingParameter,
    NoiseManagementType,
    PCMLikeNoiseModel,
    PerColumnDriftCompensation,
    WeightNoiseType,
    config_from_dict,
    config_from_json,
    config_to_dict,
    config_to_json,
    preset,
)
from analog_deploy.config.serialization import FORMAT_VERSION


def every_field_changed() -> InferenceRPUConfig:
    """A config where every field differs from its default (floats chosen to need all 17
    significant digits, so a lossy float encoding would show)."""
    return InferenceRPUConfig(
        forward=IOParameters(
            is_perfect=True,
            inp_bound=0.7,
            inp_res=1 / 62,
            out_bound=9.5,
            out_res=1 / 254,
            out_noise=0.1 / 3,
            w_noise=0.02,
            w_noise_type=WeightNoiseType.ADDITIVE_CONSTANT,
            noise_management=NoiseManagementType.NONE,
            bound_management=BoundManagementType.NONE,
            max_bm_factor=64,
            max_bm_res=0.5,
        ),
        noise_model=PCMLikeNoiseModel(
            g_max=30.0 / 7,
            prog_coeff=(0.1, 0.2, 0.3, 0.4),
            prog_coeff_g_max_reference=20.0,
            t_read=1e-6,
            t_0=10.0,
            prog_noise_scale=0.5,
            read_noise_scale=2.0,
            drift_scale=1.5,
        ),
        drift_compensation=PerColumnDriftCompensation(),
        mapping=MappingParameter(
            weight_scaling_omega=0.6,
            weight_scaling_columnwise=True,
            max_input_size=256,
            max_output_size=128,
        ),
    )


def test_every_field_changed_config_differs_from_default_in_every_field():
    import dataclasses

    changed, default = every_field_changed(), InferenceRPUConfig()
    for part in ("forward", "noise_model", "mapping"):
        new, old = getattr(changed, part), getattr(default, part)
        for item in dataclasses.fields(old):
            if item.name == "digital_bias":  # only True is allowed
                continue
            assert getattr(new, item.name) != getattr(old, item.name), f"{part}.{item.name}"
    assert changed.drift_compensation != default.drift_compensation


@pytest.mark.parametrize("name", sorted(PRESETS))
def test_json_round_trip_of_preset_is_exact(name):
    config = preset(name)
    decoded = config_from_json(config_to_json(config))
    assert decoded == config
    assert type(decoded.noise_model) is type(config.noise_model)
    assert type(decoded.drift_compensation) is type(config.drift_compensation)


def test_json_round_trip_with_every_field_changed_is_exact():
    config = every_field_changed()
    decoded = config_from_json(config_to_json(config))
    assert decoded == config
    assert decoded.noise_model.prog_coeff == (0.1, 0.2, 0.3, 0.4)
    assert isinstance(decoded.noise_model.prog_coeff, tuple)
    assert decoded.forward.w_noise_type is WeightNoiseType.ADDITIVE_CONSTANT


@pytest.mark.parametrize(
    "config",
    [
        IOParameters(out_noise=0.02),
        MappingParameter(max_input_size=64),
        PCMLikeNoiseModel(drift_scale=0.0),
        IdealNoiseModel(g_max=10.0),
        GlobalDriftCompensation(),
        PerColumnDriftCompensation(),
        InferenceRPUConfig(drift_compensation=None, noise_model=IdealNoiseModel()),
    ],
    ids=lambda c: type(c).__name__,
)
def test_json_round_trip_of_each_config_class_is_exact(config):
    decoded = config_from_json(config_to_json(config))
    assert type(decoded) is type(config)
    assert decoded == config


def test_json_is_deterministic_standard_json_with_type_tags_and_version():
    text = config_to_json(every_field_changed())
    assert text == config_to_json(every_field_changed())
    data = json.loads(text)
    assert data["format_version"] == FORMAT_VERSION == 1
    assert data["config"]["type"] == "InferenceRPUConfig"
    assert data["config"]["forward"]["type"] == "IOParameters"
    assert data["config"]["forward"]["noise_management"] == "NONE"  # enums by name
    assert data["config"]["drift_compensation"] == {"type": "PerColumnDriftCompensation"}


def test_config_from_dict_inverts_config_to_dict():
    config = every_field_changed()
    assert config_from_dict(config_to_dict(config)) == config


def test_decoding_accepts_enum_value_strings_written_by_hand():
    data = config_to_dict(IOParameters())
    data["config"]["noise_management"] = "AbsMax"
    data["config"]["bound_management"] = "None"
    decoded = config_from_dict(data)
    assert decoded.noise_management is NoiseManagementType.ABS_MAX
    assert decoded.bound_management is BoundManagementType.NONE


def test_decoding_rejects_unknown_type_tag_and_lists_allowed_types():
    data = config_to_dict(InferenceRPUConfig())
    data["config"]["forward"]["type"] = "os.system"
    with pytest.raises(ValueError) as info:
        config_from_dict(data)
    message = str(info.value)
    assert "config.forward" in message
    assert "unknown type 'os.system'" in message
    assert "IOParameters" in message and "InferenceRPUConfig" in message


def test_decoding_rejects_object_without_type_tag():
    data = config_to_dict(InferenceRPUConfig())
    del data["config"]["mapping"]["type"]
    with pytest.raises(ValueError, match=r"config\.mapping: unknown type None"):
        config_from_dict(data)


def test_decoding_rejects_unknown_field_and_lists_known_fields():
    data = config_to_dict(InferenceRPUConfig())
    data["config"]["forward"]["inp_noise"] = 0.01
    with pytest.raises(ValueError) as info:
        config_from_dict(data)
    message = str(info.value)
    assert "IOParameters has no field 'inp_noise'" in message
    assert "config.forward" in message
    assert "out_noise" in message  # the known fields are listed


@pytest.mark.parametrize("version", [0, 2, "1", None])
def test_decoding_rejects_wrong_format_version(version):
    data = config_to_dict(InferenceRPUConfig())
    data["format_version"] = version
    with pytest.raises(ValueError, match=r"format_version .* reads version 1"):
        config_from_dict(data)


def test_decoding_rejects_missing_format_version():
    data = config_to_dict(InferenceRPUConfig())
    del data["format_version"]
    with pytest.raises(ValueError, match="format_version None"):
        config_from_dict(data)


@pytest.mark.parametrize("text", ["", "{", "not json", "{'config': 1}"])
def test_decoding_rejects_invalid_json(text):
    with pytest.raises(ValueError, match="config is not valid JSON"):
        config_from_json(text)


@pytest.mark.parametrize("text", ["[]", "1", '"config"', '{"format_version": 1}', "null"])
def test_decoding_rejects_json_that_is_not_a_config_envelope(text):
    with pytest.raises(ValueError, match="must be an object with keys 'format_version' and 'config'"):
        config_from_json(text)


def test_decoding_validates_field_values():
    data = config_to_dict(IOParameters())
    data["config"]["inp_res"] = -1
    with pytest.raises(ValueError, match=r"IOParameters\.inp_res"):
        config_from_dict(data)


@pytest.mark.parametrize("payload", ["5", "[1, 2]", '"IOParameters"', "null"])
def test_decoding_rejects_config_that_is_not_an_object(payload):
    with pytest.raises(ValueError):
        config_from_json(f'{{"format_version": 1, "config": {payload}}}')


def test_presets_exist_and_are_fresh_instances():
    assert set(PRESETS) >= {"pcm", "pcm_harsh", "ideal"}
    for name in ("pcm", "pcm_harsh", "ideal"):
        config = preset(name)
        assert isinstance(config, InferenceRPUConfig)
        assert preset(name) is not config
        assert preset(name) == config


def test_preset_contents():
    assert preset("pcm") == InferenceRPUConfig()
    harsh = preset("pcm_harsh")
    assert harsh.forward.inp_res == 1 / 62
    assert harsh.forward.out_res == 1 / 254
    assert harsh.forward.out_noise == 0.1
    assert harsh.noise_model.prog_noise_scale == 2.0
    assert harsh.noise_model.read_noise_scale == 2.0
    assert harsh.noise_model.drift_scale == 1.5
    ideal = preset("ideal")
    assert ideal.forward.is_perfect is True
    assert isinstance(ideal.noise_model, IdealNoiseModel)
    assert ideal.drift_compensation is None


def test_unknown_preset_raises_value_error_listing_available():
    with pytest.raises(ValueError) as info:
        preset("reram")
    message = str(info.value)
    assert "'reram'" in message
    for name in ("pcm", "pcm_harsh", "ideal"):
        assert name in message

"""Every config dataclass rejects bad values with a ValueError naming the field and the allowed
range, accepts enum names and values, and defaults to aihwkit's values."""

from __future__ import annotations

import math

import pytest

from analog_deploy.config import (
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
)

# (class, field, bad value, substrings the message must contain: the field and the allowed range)
OUT_OF_RANGE = [
    (IOParameters, "inp_res", -0.1, ["inp_res", "[0.0, 1.0)"]),
    (IOParameters, "inp_res", 1.0, ["inp_res", "[0.0, 1.0)"]),
    (IOParameters, "out_res", -1 / 510, ["out_res", "[0.0, 1.0)"]),
    (IOParameters, "inp_bound", 0.0, ["inp_bound", "(0.0, inf]"]),
    (IOParameters, "inp_bound", -1.0, ["inp_bound", "(0.0, inf]"]),
    (IOParameters, "out_bound", -12.0, ["out_bound", "[0.0, inf]"]),
    (IOParameters, "out_noise", -0.06, ["out_noise", "[0.0, inf]"]),
    (IOParameters, "w_noise", -0.01, ["w_noise", "[0.0, inf]"]),
    (IOParameters, "max_bm_factor", 0, ["max_bm_factor", "[1, inf]"]),
    (IOParameters, "max_bm_res", 0.0, ["max_bm_res", "(0.0, inf]"]),
    (MappingParameter, "max_input_size", 0, ["max_input_size", "[1, inf]"]),
    (MappingParameter, "max_output_size", 0, ["max_output_size", "[1, inf]"]),
    (MappingParameter, "max_input_size", -512, ["max_input_size", "[1, inf]"]),
    (MappingParameter, "weight_scaling_omega", -1.0, ["weight_scaling_omega", "[0.0, inf]"]),
    (PCMLikeNoiseModel, "g_max", 0.0, ["g_max", "(0.0, inf]"]),
    (PCMLikeNoiseModel, "prog_coeff_g_max_reference", -25.0, ["prog_coeff_g_max_reference", "(0.0"]),
    (PCMLikeNoiseModel, "t_read", 0.0, ["t_read", "(0.0, inf]"]),
    (PCMLikeNoiseModel, "t_0", -20.0, ["t_0", "(0.0, inf]"]),
    (PCMLikeNoiseModel, "prog_noise_scale", -1.0, ["prog_noise_scale", "[0.0, inf]"]),
    (PCMLikeNoiseModel, "read_noise_scale", -1.0, ["read_noise_scale", "[0.0, inf]"]),
    (PCMLikeNoiseModel, "drift_scale", -0.5, ["drift_scale", "[0.0, inf]"]),
    (IdealNoiseModel, "g_max", -25.0, ["g_max", "(0.0, inf]"]),
]


@pytest.mark.parametrize(
    ("cls", "name", "value", "expected"),
    OUT_OF_RANGE,
    ids=[f"{c.__name__}.{n}={v}" for c, n, v, _ in OUT_OF_RANGE],
)
def test_out_of_range_value_raises_value_error_naming_field_and_range(cls, name, value, expected):
    with pytest.raises(ValueError) as info:
        cls(**{name: value})
    message = str(info.value)
    assert f"{cls.__name__}.{name}" in message
    for part in expected:
        assert part in message


NUMBER_FIELDS = [
    (IOParameters, "inp_res"),
    (IOParameters, "out_bound"),
    (IOParameters, "out_noise"),
    (IOParameters, "max_bm_res"),
    (MappingParameter, "weight_scaling_omega"),
    (PCMLikeNoiseModel, "g_max"),
    (PCMLikeNoiseModel, "t_0"),
    (PCMLikeNoiseModel, "drift_scale"),
    (IdealNoiseModel, "g_max"),
]


@pytest.mark.parametrize(("cls", "name"), NUMBER_FIELDS, ids=[f"{c.__name__}.{n}" for c, n in NUMBER_FIELDS])
def test_nan_raises_value_error_naming_field(cls, name):
    with pytest.raises(ValueError, match=rf"{cls.__name__}\.{name} must be finite"):
        cls(**{name: math.nan})


@pytest.mark.parametrize(("cls", "name"), NUMBER_FIELDS, ids=[f"{c.__name__}.{n}" for c, n in NUMBER_FIELDS])
@pytest.mark.parametrize("value", [True, False, "0.5", None, [0.5]], ids=["True", "False", "str", "None", "list"])
def test_non_number_raises_value_error_naming_field(cls, name, value):
    with pytest.raises(ValueError, match=rf"{cls.__name__}\.{name} must be a number"):
        cls(**{name: value})


@pytest.mark.parametrize(
    ("cls", "name"),
    [
        (IOParameters, "max_bm_factor"),
        (MappingParameter, "max_input_size"),
        (MappingParameter, "max_output_size"),
    ],
)
@pytest.mark.parametrize("value", [True, 512.0, 2.5, "512"])
def test_integer_field_rejects_bool_float_and_string(cls, name, value):
    with pytest.raises(ValueError, match=rf"{cls.__name__}\.{name} must be an integer"):
        cls(**{name: value})


@pytest.mark.parametrize("value", [1, 0, "True", None])
def test_is_perfect_rejects_non_bool(value):
    with pytest.raises(ValueError, match=r"IOParameters\.is_perfect must be True or False"):
        IOParameters(is_perfect=value)


@pytest.mark.parametrize("value", [1, "yes", None])
def test_weight_scaling_columnwise_rejects_non_bool(value):
    with pytest.raises(ValueError, match=r"MappingParameter\.weight_scaling_columnwise"):
        MappingParameter(weight_scaling_columnwise=value)


@pytest.mark.parametrize("value", [False, 1, None])
def test_digital_bias_other_than_true_is_rejected_with_allowed_value(value):
    with pytest.raises(ValueError, match=r"MappingParameter\.digital_bias.*allowed: True"):
        MappingParameter(digital_bias=value)


@pytest.mark.parametrize(
    ("name", "enum_type"),
    [
        ("noise_management", NoiseManagementType),
        ("bound_management", BoundManagementType),
        ("w_noise_type", WeightNoiseType),
    ],
)
@pytest.mark.parametrize("value", ["Shift", "abs_max", "", 1, None])
def test_unknown_enum_raises_value_error_listing_members(name, enum_type, value):
    with pytest.raises(ValueError) as info:
        IOParameters(**{name: value})
    message = str(info.value)
    assert f"IOParameters.{name}" in message
    assert "is not one of" in message
    for member in enum_type:
        assert member.name in message


@pytest.mark.parametrize(
    ("name", "enum_type"),
    [
        ("noise_management", NoiseManagementType),
        ("bound_management", BoundManagementType),
        ("w_noise_type", WeightNoiseType),
    ],
)
def test_enum_accepts_member_name_and_value_string(name, enum_type):
    for member in enum_type:
        assert getattr(IOParameters(**{name: member}), name) is member
        assert getattr(IOParameters(**{name: member.name}), name) is member
        assert getattr(IOParameters(**{name: member.value}), name) is member


@pytest.mark.parametrize("value", [(), [], None, "0.26348", 0.26348, [0.1] * 9])
def test_prog_coeff_must_be_a_list_of_one_to_eight_numbers(value):
    with pytest.raises(ValueError, match=r"PCMLikeNoiseModel\.prog_coeff must be a list of 1 to 8 numbers"):
        PCMLikeNoiseModel(prog_coeff=value)


@pytest.mark.parametrize("value", [(0.1, math.nan), (0.1, True), (0.1, "2")])
def test_prog_coeff_entries_are_validated_with_index(value):
    with pytest.raises(ValueError, match=r"PCMLikeNoiseModel\.prog_coeff\[1\]"):
        PCMLikeNoiseModel(prog_coeff=value)


def test_prog_coeff_list_is_stored_as_tuple():
    model = PCMLikeNoiseModel(prog_coeff=[0.1, 0.2])
    assert model.prog_coeff == (0.1, 0.2)
    assert isinstance(model.prog_coeff, tuple)


WRONG_NESTED = [
    ("forward", MappingParameter()),
    ("forward", {"inp_res": 0.1}),
    ("forward", None),
    ("noise_model", IOParameters()),
    ("noise_model", None),
    ("noise_model", "PCMLikeNoiseModel"),
    ("drift_compensation", PCMLikeNoiseModel()),
    ("drift_compensation", "global"),
    ("mapping", IOParameters()),
    ("mapping", None),
]


@pytest.mark.parametrize(("name", "value"), WRONG_NESTED, ids=[f"{n}={type(v).__name__}" for n, v in WRONG_NESTED])
def test_wrong_nested_type_raises_value_error_naming_field_and_allowed_types(name, value):
    with pytest.raises(ValueError) as info:
        InferenceRPUConfig(**{name: value})
    message = str(info.value)
    assert f"InferenceRPUConfig.{name} must be one of" in message
    allowed = {
        "forward": ["IOParameters"],
        "noise_model": ["PCMLikeNoiseModel", "IdealNoiseModel"],
        "drift_compensation": ["GlobalDriftCompensation", "PerColumnDriftCompensation", "None"],
        "mapping": ["MappingParameter"],
    }[name]
    for type_name in allowed:
        assert type_name in message


def test_inference_rpu_config_accepts_every_allowed_nested_type():
    config = InferenceRPUConfig(
        noise_model=IdealNoiseModel(), drift_compensation=PerColumnDriftCompensation()
    )
    assert isinstance(config.noise_model, IdealNoiseModel)
    assert InferenceRPUConfig(drift_compensation=None).drift_compensation is None


def test_io_parameters_defaults_equal_aihwkit():
    io = IOParameters()
    assert io.is_perfect is False
    assert io.inp_bound == 1.0
    assert io.inp_res == 1 / 126
    assert io.out_bound == 12.0
    assert io.out_res == 1 / 510
    assert io.out_noise == 0.06
    assert io.w_noise == 0.0
    assert io.w_noise_type is WeightNoiseType.NONE
    assert io.noise_management is NoiseManagementType.ABS_MAX
    assert io.bound_management is BoundManagementType.ITERATIVE
    assert io.max_bm_factor == 1000
    assert io.max_bm_res == 0.25


def test_noise_model_defaults_equal_aihwkit():
    pcm = PCMLikeNoiseModel()
    assert pcm.g_max == 25.0
    assert pcm.prog_coeff == (0.26348, 1.9650, -1.1731)
    assert pcm.prog_coeff_g_max_reference == 25.0
    assert pcm.t_0 == 20.0
    assert pcm.t_read == 250e-9
    assert (pcm.prog_noise_scale, pcm.read_noise_scale, pcm.drift_scale) == (1.0, 1.0, 1.0)
    assert IdealNoiseModel().g_max == 25.0


def test_mapping_and_rpu_config_defaults_equal_aihwkit_inference_preset():
    mapping = MappingParameter()
    assert mapping.max_input_size == 512
    assert mapping.max_output_size == 512
    assert mapping.digital_bias is True
    assert mapping.weight_scaling_omega == 1.0
    assert mapping.weight_scaling_columnwise is False
    config = InferenceRPUConfig()
    assert config.forward == IOParameters()
    assert config.noise_model == PCMLikeNoiseModel()
    assert config.drift_compensation == GlobalDriftCompensation()
    assert config.mapping == mapping


def test_rpu_config_default_factories_give_independent_instances():
    first, second = InferenceRPUConfig(), InferenceRPUConfig()
    first.forward.out_noise = 0.5
    assert second.forward.out_noise == 0.06


@pytest.mark.parametrize(
    "config",
    [
        IOParameters(),
        MappingParameter(),
        PCMLikeNoiseModel(),
        IdealNoiseModel(),
        GlobalDriftCompensation(),
        PerColumnDriftCompensation(),
        InferenceRPUConfig(),
    ],
    ids=lambda c: type(c).__name__,
)
def test_repr_contains_class_and_field_names(config):
    import dataclasses

    text = repr(config)
    assert type(config).__name__ in text
    for item in dataclasses.fields(config):
        assert f"{item.name}=" in text


# Non-finite values are rejected: +inf would pass a range check whose upper bound is inf and
# yield NaN outputs or non-standard JSON ("Infinity").
INFINITE = [
    (IOParameters, "inp_bound"),
    (IOParameters, "out_noise"),
    (MappingParameter, "weight_scaling_omega"),
    (PCMLikeNoiseModel, "g_max"),
    (PCMLikeNoiseModel, "t_0"),
]


@pytest.mark.parametrize(("cls", "name"), INFINITE, ids=[f"{c.__name__}.{n}" for c, n in INFINITE])
def test_infinite_value_raises_value_error(cls, name):
    with pytest.raises(ValueError, match=rf"{cls.__name__}\.{name}"):
        cls(**{name: math.inf})

"""``analog-deploy presets`` and ``analog-deploy info``."""

from __future__ import annotations

import argparse
import json
import zipfile

import pytest
import torch
from torch import nn

import analog_deploy as ad
from analog_deploy import onnx as adx
from analog_deploy.checkpoint import load_analog_checkpoint
from analog_deploy.cli import options
from analog_deploy.cli.main import main
from analog_deploy.cli.presets_command import preset_description
from analog_deploy.config import config_from_dict
from tests.helpers import tiny_models


def small_tiles() -> ad.InferenceRPUConfig:
    """pcm with 100-row tiles: tiny_models.cnn's 144-input linear layer needs two tiles."""
    config = ad.preset("pcm")
    config.mapping.max_input_size = 100
    return config


@pytest.fixture
def analog_checkpoint(tmp_path):
    """tiny_models.cnn on pcm (its linear layer "3" on two tiles), drifted to one day."""
    torch.manual_seed(0)
    model = ad.convert_to_analog(tiny_models.cnn(), "pcm", layer_configs={"3": small_tiles()}, seed=0).eval()
    ad.drift_analog_weights(model, 86400.0, seed=0)
    path = tmp_path / "analog.pt"
    torch.save(model.state_dict(), path)
    return path


@pytest.fixture(scope="module")
def onnx_files(tmp_path_factory):
    """tiny_models.cnn exported at one hour and time-parametric."""
    folder = tmp_path_factory.mktemp("onnx")
    torch.manual_seed(0)
    model = ad.convert_to_analog(tiny_models.cnn(), "pcm", seed=0).eval()
    example = torch.randn(1, 1, 6, 6)
    fixed = adx.export(model, example, folder / "fixed.onnx", t_inference=3600.0, seed=5)
    parametric = adx.export(model, example, folder / "parametric.onnx", time_parametric=True, seed=5)
    return {"fixed": fixed, "parametric": parametric}


def json_output(arguments, capsys):
    assert main([*arguments, "--json"]) == 0
    return json.loads(capsys.readouterr().out)


def assert_one_line_error(arguments, message, capsys):
    assert main(arguments) == 1
    captured = capsys.readouterr()
    assert message in captured.err
    assert captured.err.count("\n") == 1 and "Traceback" not in captured.err
    assert captured.out == ""


# ----------------------------------------------------------------------------------------- presets
def test_presets_lists_every_preset_with_its_description_and_key_parameters(capsys):
    assert main(["presets"]) == 0
    lines = capsys.readouterr().out.splitlines()
    for name in ad.PRESETS:
        assert f"{name:<9}  {preset_description(name)}" in lines
    assert preset_description("pcm_harsh").startswith("Pessimistic PCM: twice the programming and read noise")
    header = next(line for line in lines if line.startswith("preset "))
    for column in ("noise model", "prog noise", "drift", "DAC", "ADC", "out_noise", "compensation", "tile"):
        assert column in header
    harsh = next(line for line in lines if line.startswith("pcm_harsh ") and "x1.5" in line).split()
    assert harsh == ["pcm_harsh", "PCMLike", "x2", "x2", "x1.5", "6-bit", "8-bit", "0.1", "global", "512x512"]
    ideal = next(line for line in lines if line.startswith("ideal ") and "perfect" in line).split()
    assert ideal == ["ideal", "Ideal", "-", "-", "off", "perfect", "perfect", "-", "none", "512x512"]


def test_one_preset_shows_every_parameter_by_section(capsys):
    assert main(["presets", "pcm"]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"pcm: {preset_description('pcm')}\n")
    for section in ("forward (IOParameters):", "noise_model (PCMLikeNoiseModel):",
                    "drift_compensation: GlobalDriftCompensation", "mapping (MappingParameter):"):
        assert f"\n{section}\n" in out
    assert "  inp_res           0.007936507936507936 (7-bit)\n" in out
    assert "  prog_coeff                  (0.26348, 1.965, -1.1731)\n" in out
    assert "  max_input_size             512\n" in out
    assert main(["presets", "ideal"]) == 0
    assert "\ndrift_compensation: None\n" in capsys.readouterr().out


@pytest.mark.parametrize("name", list(ad.PRESETS))
def test_preset_json_round_trips_and_feeds_config(name, tmp_path, capsys):
    assert main(["presets", name, "--json"]) == 0
    text = capsys.readouterr().out
    assert json.loads(text) == json.loads(ad.config_to_json(ad.preset(name)))
    assert ad.config_from_json(text) == ad.preset(name)
    edited = json.loads(text)
    edited["config"]["mapping"]["max_input_size"] = 128  # the user's edit
    path = tmp_path / "mine.json"
    path.write_text(json.dumps(edited))
    expected = ad.preset(name)
    expected.mapping.max_input_size = 128
    assert options.config(argparse.Namespace(config=str(path))) == expected  # what --config mine.json reads


def test_presets_json_lists_every_preset(capsys):
    listing = json_output(["presets"], capsys)
    assert list(listing) == sorted(ad.PRESETS)
    for name, entry in listing.items():
        assert entry["description"] == preset_description(name)
        assert config_from_dict(entry) == ad.preset(name)


def test_unknown_preset_names_the_known_ones(capsys):
    assert_one_line_error(["presets", "pcm_soft"], "unknown preset 'pcm_soft'; available: pcm, pcm_harsh, ideal",
                          capsys)


# ---------------------------------------------------------------------------------- checkpoints
def test_info_describes_analog_layers_from_the_state_dict_alone(analog_checkpoint, capsys):
    assert main(["info", str(analog_checkpoint)]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[1] == ("analog layers: 2, tiles: 3, analog weights: 468, digital values (biases, digital layers): 7")
    assert lines[4].split() == ["0", "AnalogConv2d", "1", "->", "4", "ch,", "kernel", "3x3", "1", "1x1", "pcm", "yes",
                                "86400", "s", "(1", "day)"]
    assert lines[5].split() == ["3", "AnalogLinear", "144", "->", "3", "2", "1x2", "custom", "yes",
                                "86400", "s", "(1", "day)"]
    assert lines[-1] == "config of 3: custom (pcm with mapping.max_input_size=100)"


def test_info_json_agrees_with_the_loaded_model(analog_checkpoint, capsys):
    info = json_output(["info", str(analog_checkpoint)], capsys)
    loaded = load_analog_checkpoint(analog_checkpoint, tiny_models.cnn)
    layers = dict(ad.analog_layers(loaded))
    assert [layer["name"] for layer in info["layers"]] == list(layers)
    for described in info["layers"]:
        layer = layers[described["name"]]
        assert described["type"] == type(layer).__name__
        assert described["tiles"] == layer.analog_tile_count()
        assert described["analog_weights"] == layer.weight.numel()
        assert config_from_dict(described["rpu_config"]) == layer.rpu_config
        assert described["programmed_tiles"] == described["tiles"]
        assert described["t_inference"] == 86400.0
    conv, linear = info["layers"]
    assert conv | {"rpu_config": None} == {
        "name": "0", "type": "AnalogConv2d", "in_channels": 1, "out_channels": 4, "kernel_size": [3, 3], "groups": 1,
        "tiles": 1, "tile_grid": [1, 1], "analog_weights": 36, "preset": "pcm", "programmed_tiles": 1,
        "t_inference": 86400.0, "rpu_config": None,
    }
    assert (linear["in_features"], linear["out_features"], linear["tile_grid"]) == (144, 3, [1, 2])
    assert linear["preset"] is None
    assert (info["analog_layers"], info["tiles"], info["analog_weights"]) == (2, 3, 468)


def test_info_infers_convolution_groups_and_reports_unprogrammed_tiles(tmp_path, capsys):
    torch.manual_seed(0)
    model = ad.convert_to_analog(nn.Sequential(nn.Conv2d(4, 8, 3, groups=4), nn.Flatten()), "ideal", seed=0)
    torch.save(model.state_dict(), tmp_path / "grouped.pt")
    info = json_output(["info", str(tmp_path / "grouped.pt")], capsys)
    (layer,) = info["layers"]
    assert (layer["in_channels"], layer["groups"], layer["tiles"], layer["tile_grid"]) == (4, 4, 4, [1, 1])
    assert (layer["preset"], layer["programmed_tiles"], layer["t_inference"]) == ("ideal", 0, None)
    assert main(["info", str(tmp_path / "grouped.pt")]) == 0
    row = capsys.readouterr().out.splitlines()[4].split()
    assert row == ["0", "AnalogConv2d", "4", "->", "8", "ch,", "kernel", "3x3,", "groups", "4", "4", "4", "x", "1x1",
                   "ideal", "no", "-"]


def test_info_with_model_adds_the_module_tree(analog_checkpoint, capsys):
    assert main(["info", str(analog_checkpoint), "--model", "tests.helpers.tiny_models:cnn"]) == 0
    out = capsys.readouterr().out
    assert "\nmodule tree:\nSequential(\n" in out
    assert "(analog_tile_state_1): AnalogTile(out=(0, 3), in=(72, 144), t_inference=86400s)" in out  # 144 = 72 + 72
    assert_one_line_error(["info", str(analog_checkpoint), "--model", "tests.helpers.tiny_models:mlp"],
                          "has analog layers the model lacks: 3", capsys)


def test_info_on_a_digital_checkpoint_suggests_converting(tmp_path, capsys):
    state = tiny_models.mlp().state_dict()
    torch.save(state, tmp_path / "digital.pt")
    info = json_output(["info", str(tmp_path / "digital.pt")], capsys)
    assert info["kind"] == "digital checkpoint"
    assert (info["tensors"], info["values"]) == (4, sum(tensor.numel() for tensor in state.values()))
    assert main(["info", str(tmp_path / "digital.pt")]) == 0
    out = capsys.readouterr().out
    assert out.startswith(f"digital checkpoint {tmp_path / 'digital.pt'}\ntensors: 4, values: 195\n")
    assert "analog-deploy convert" in out


# ----------------------------------------------------------------------------------------- ONNX
def test_info_on_a_model_exported_at_a_time(onnx_files, capsys):
    assert main(["info", str(onnx_files["fixed"])]) == 0
    out = capsys.readouterr().out
    for line in ("exported by analog-deploy 0.1.0, op domain ai.analog_deploy:1", "t_inference: 3600 s (1 hour)",
                 "seed: 5", "  x  float [batch, 1, 6, 6]", "  ai.analog_deploy: AnalogConv 1, AnalogMatMul 1",
                 "  ai.onnx: Relu 1, Reshape 1", "  0: pcm", "  3: pcm"):
        assert f"\n{line}\n" in out
    info = json_output(["info", str(onnx_files["fixed"])], capsys)
    assert info["analog_deploy"] == {"version": ad.__version__, "domain": "ai.analog_deploy:1", "t_inference": 3600.0,
                                     "seed": 5}
    assert [(node["op_type"], node["weight_shape"], node["tile_grid"]) for node in info["analog_nodes"]] == [
        ("AnalogConv", [1, 9, 4], [1, 1]), ("AnalogMatMul", [144, 3], [1, 1])]
    assert info["outputs"] == [{"name": info["outputs"][0]["name"], "type": "float", "shape": ["batch", 3]}]
    assert {layer: summary["preset"] for layer, summary in info["rpu_configs"].items()} == {"0": "pcm", "3": "pcm"}


def test_info_on_a_time_parametric_model(onnx_files, capsys):
    info = json_output(["info", str(onnx_files["parametric"])], capsys)
    assert info["analog_deploy"]["t_inference"] == "time-parametric"
    assert [value["name"] for value in info["inputs"]] == ["x", "t_inference"]
    assert info["inputs"][1]["shape"] == []
    assert info["op_counts"]["ai.analog_deploy"] == {"ProgrammedAnalogConv": 1, "ProgrammedAnalogMatMul": 1}
    assert [node["weight_shape"] for node in info["analog_nodes"]] == [[1, 9, 4], [144, 3]]  # G+ of the devices
    assert main(["info", str(onnx_files["parametric"])]) == 0
    assert "\nt_inference: time-parametric (t_inference is an input)\n" in capsys.readouterr().out


# --------------------------------------------------------------------------------------- errors
@pytest.mark.parametrize("content", [b"", b"a text file, not a model\n", bytes(range(256)), "zip"])
def test_info_on_a_file_that_is_no_model(content, tmp_path, capsys):
    path = tmp_path / "garbage.bin"
    if content == "zip":
        with zipfile.ZipFile(path, "w") as archive:
            archive.writestr("readme.txt", "hello")
        message = "cannot be read by torch.load"
    else:
        path.write_bytes(content)
        message = "is neither a torch checkpoint nor an ONNX model"
    assert_one_line_error(["info", str(path)], message, capsys)


def test_info_errors_in_one_line(onnx_files, tmp_path, capsys):
    assert_one_line_error(["info", str(tmp_path / "absent.pt")], "no file at", capsys)
    assert_one_line_error(["info", str(onnx_files["fixed"]), "--model", "tests.helpers.tiny_models:cnn"],
                          "--model applies to checkpoints", capsys)


@pytest.mark.parametrize("command, words", [("presets", ["NAME", "--json", "--config"]),
                                            ("info", ["FILE", "--model", "--trusted", "--json", "ONNX"])])
def test_help(command, words, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main([command, "--help"])
    assert exit_info.value.code == 0
    out = capsys.readouterr().out
    for word in words:
        assert word in out
    with pytest.raises(SystemExit):
        main(["--help"])
    assert command in capsys.readouterr().out

"""examples/convert_checkpoint.py: a digital checkpoint converted (classifier kept digital),
programmed, drifted, saved and reloaded with identical outputs."""

from __future__ import annotations

import pytest
import torch

import analog_deploy as ad
from analog_deploy.checkpoint import load_state_dict_file
from analog_deploy.demo import digits_cnn


@pytest.fixture(scope="module")
def run(load_example, tmp_path_factory):
    out = tmp_path_factory.mktemp("convert_checkpoint")
    return load_example("convert_checkpoint").main(["--out", str(out), "--epochs", "4"]), out


def test_help_exits_cleanly(load_example, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_example("convert_checkpoint").main(["--help"])
    assert exit_info.value.code == 0
    assert "--epochs" in capsys.readouterr().out


def test_reloaded_chip_gives_identical_outputs(run):
    results, _ = run
    assert results["identical"] is True


def test_classifier_stays_digital_and_the_rest_is_analog(run):
    results, _ = run
    assert results["analog_layers"] == ["0", "3", "8"]
    assert results["tiles"] == 3  # every layer fits one 512x512 tile
    model = ad.load_analog_checkpoint(results["analog_checkpoint"], digits_cnn)
    assert isinstance(model[11], torch.nn.Linear) and not isinstance(model[11], ad.AnalogModuleBase)
    assert all(tile.t_inference == 86400.0 for _, layer in ad.analog_layers(model) for tile in layer.analog_tiles())


def test_analog_chip_is_close_to_the_digital_model(run):
    results, _ = run
    assert results["digital_accuracy"] >= 90.0
    assert results["analog_accuracy"] >= results["digital_accuracy"] - 5.0


def test_checkpoints_are_written(run):
    results, out = run
    assert sorted(path.name for path in out.iterdir()) == ["digits_cnn.pt", "digits_cnn_analog.pt"]
    digital = load_state_dict_file(results["checkpoint"])  # weights_only: a plain state_dict
    assert set(digital) == set(digits_cnn().state_dict())

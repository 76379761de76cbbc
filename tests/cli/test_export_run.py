"""``analog-deploy export`` and ``analog-deploy run``."""

from __future__ import annotations

import subprocess
import sys

import numpy as np
import pytest
import torch

import analog_deploy as ad
from analog_deploy import onnx as adx
from analog_deploy.cli.main import main
from tests.helpers import tiny_models
from tests.helpers.tiny_models import MLP_FACTORY as FACTORY



@pytest.fixture
def batch(tmp_path):
    path = tmp_path / "x.npy"
    np.save(path, np.random.default_rng(0).standard_normal((5, 8)).astype(np.float32))
    return path


def test_digital_checkpoint_exports_and_runs(digital_checkpoint, batch, tmp_path, capsys):
    model = tmp_path / "model.onnx"
    assert main(["export", str(digital_checkpoint), "--model", FACTORY, "--input-shape", "1,8", "--t-inference", "1d",
                 "-o", str(model)]) == 0
    assert main(["run", str(model), "--input", str(batch), "--seed", "3", "-o", str(tmp_path / "y.npy")]) == 0
    assert "output shape [5, 3]" in capsys.readouterr().out
    session = adx.session(model, seed=3)
    np.testing.assert_array_equal(np.load(tmp_path / "y.npy"), session.run(None, {"x": np.load(batch)})[0])


def test_analog_checkpoint_keeps_its_chip(tmp_path, batch):
    torch.manual_seed(0)
    config = ad.preset("pcm")
    config.forward.out_noise = 0.0
    analog = ad.convert_to_analog(tiny_models.mlp(), config, seed=0).eval()
    ad.drift_analog_weights(analog, 3600.0, seed=1)
    torch.save(analog.state_dict(), tmp_path / "analog.pt")
    model = tmp_path / "model.onnx"
    assert main(["export", str(tmp_path / "analog.pt"), "--model", FACTORY, "--input-shape", "1,8", "-o", str(model)]) == 0
    x = np.load(batch)
    with torch.no_grad():
        expected = analog(torch.from_numpy(x)).numpy()
    output = adx.session(model).run(None, {"x": x})[0]
    np.testing.assert_allclose(output, expected, rtol=1e-5, atol=1e-6)


def test_time_parametric_model_needs_a_time(digital_checkpoint, batch, tmp_path, capsys):
    model = tmp_path / "model.onnx"
    assert main(["export", str(digital_checkpoint), "--model", FACTORY, "--input-shape", "1,8", "--time-parametric",
                 "-o", str(model)]) == 0
    assert main(["run", str(model), "--input", str(batch)]) == 1
    assert "is time-parametric: give --t-inference" in capsys.readouterr().err
    assert main(["run", str(model), "--input", str(batch), "--t-inference", "1y"]) == 0


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["export", "absent.pt", "--model", FACTORY, "--input-shape", "1,8", "-o", "m.onnx"], "does not exist"),
        (["export", "{ckpt}", "--model", "tests.helpers.tiny_models:nothing", "--input-shape", "1,8", "-o", "m.onnx"],
         "has no attribute 'nothing'"),
        (["export", "{ckpt}", "--model", "tests.helpers.tiny_models:cnn", "--input-shape", "1,8", "-o", "m.onnx"],
         "does not fit the model's architecture"),
        (["export", "{ckpt}", "--model", FACTORY, "--input-shape", "1,8", "--config", "pcm_soft", "-o", "m.onnx"],
         "neither a preset"),
        (["run", "absent.onnx", "--input", "{batch}"], "no ONNX model at"),
        (["run", "{model}", "--input", "absent.npy"], "no input file"),
        (["run", "{model}", "--input", "{wide}"], "does not fit the model's input"),
    ],
)
def test_errors_print_one_line(arguments, message, digital_checkpoint, batch, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    model = tmp_path / "model.onnx"
    main(["export", str(digital_checkpoint), "--model", FACTORY, "--input-shape", "1,8", "-o", str(model)])
    np.save(tmp_path / "wide.npy", np.zeros((2, 9), np.float32))
    capsys.readouterr()
    values = {"ckpt": digital_checkpoint, "batch": batch, "model": model, "wide": tmp_path / "wide.npy"}
    assert main([argument.format(**values) for argument in arguments]) == 1
    error = capsys.readouterr().err
    assert message in error
    assert error.count("\n") == 1 and "Traceback" not in error


def test_bad_time_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["run", "m.onnx", "--input", "x.npy", "--t-inference", "soon"])
    assert exit_info.value.code == 2
    assert "'soon' is not a time" in capsys.readouterr().err


def test_console_script_is_installed():
    result = subprocess.run([sys.executable, "-m", "analog_deploy.cli.main", "export", "--help"],
                            capture_output=True, text=True, check=True)
    assert "--time-parametric" in result.stdout

"""``analog-deploy convert`` and ``analog-deploy evaluate``: a user's own model and IDX data,
never seen by the tool, through the command line; every error path in one line."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

import analog_deploy as ad
from analog_deploy import onnx as adx
from analog_deploy.cli.main import main
from tests.helpers import tiny_models
from tests.helpers.tiny_models import MLP_FACTORY as FACTORY
from tests.helpers.datasets import write_idx

USER_MODULE = textwrap.dedent('''
    from torch import nn

    def net():
        return nn.Sequential(nn.Flatten(), nn.Linear(35, 16), nn.ReLU(), nn.Linear(16, 3))
''')


@pytest.fixture(scope="module")
def user_project(tmp_path_factory) -> Path:
    """A folder with a user's model module, its trained state_dict and an IDX dataset of
    5x7 images of three classes (a bright row, column or diagonal, plus noise)."""
    root = tmp_path_factory.mktemp("user")
    (root / "my_models.py").write_text(USER_MODULE)
    rng = np.random.default_rng(0)

    def images(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = rng.integers(0, 3, n).astype(np.uint8)
        x = rng.integers(0, 60, (n, 5, 7)).astype(np.uint8)
        for image, label in zip(x, labels):
            if label == 0:
                image[2, :] = 250
            elif label == 1:
                image[:, 3] = 250
            else:
                np.fill_diagonal(image, 250)
        return x, labels

    data = root / "idx"
    data.mkdir()
    for split, n in (("train", 120), ("t10k", 60)):
        x, y = images(n)
        write_idx(data / f"{split}-images-idx3-ubyte.gz", x)
        write_idx(data / f"{split}-labels-idx1-ubyte.gz", y)
    sys.path.insert(0, str(root))
    try:
        import my_models
        from analog_deploy.datasets import idx_folder
        from analog_deploy.demo import train_classifier

        dataset = idx_folder(data)
        torch.manual_seed(0)
        model = train_classifier(my_models.net(), dataset.x_train, dataset.y_train, epochs=30, batch_size=16)
    finally:
        sys.path.remove(str(root))
        sys.modules.pop("my_models", None)
    torch.save(model.state_dict(), root / "net.pt")
    return root


def test_evaluate_a_users_own_model_on_idx_data_from_the_command_line(user_project, tmp_path):
    command = shutil.which("analog-deploy") or pytest.fail("the analog-deploy console script is not installed")
    out = tmp_path / "out"
    env = {**os.environ, "PYTHONPATH": str(user_project)}
    result = subprocess.run(
        [command, "evaluate", str(user_project / "net.pt"), "--model", "my_models:net", "--dataset",
         str(user_project / "idx"), "--times", "1s,1d,1y", "--repetitions", "3", "--out", str(out), "--no-progress"],
        capture_output=True, text=True, env=env, cwd=tmp_path,
    )
    assert result.returncode == 0, result.stderr
    assert "torch analog: top-1 accuracy (%), 3 repetitions, 60 samples" in result.stdout
    assert "1 year" in result.stdout
    assert sorted(p.name for p in out.iterdir()) == ["accuracy_vs_time.png", "sweep_torch.csv", "sweep_torch.json"]
    record = ad.SweepResult.load_json(out / "sweep_torch.json")
    assert record.digital >= 90.0 and record.repetitions == 3
    assert np.mean(record.values[0]) >= record.digital - 10.0
    assert record.settings["dataset"] == str(user_project / "idx")


def test_convert_writes_an_analog_checkpoint_of_the_chosen_config(digital_checkpoint, tmp_path, capsys):
    out = tmp_path / "analog.pt"
    assert main(["convert", str(digital_checkpoint), "--model", FACTORY, "--config", "pcm_harsh", "--exclude", "2",
                 "--seed", "4", "-o", str(out)]) == 0
    assert "converted 1 layer (1 tiles)" in capsys.readouterr().out
    analog = ad.load_analog_checkpoint(out, FACTORY)
    layers = dict(ad.analog_layers(analog))
    assert list(layers) == ["0"] and layers["0"].rpu_config == ad.preset("pcm_harsh")
    expected = ad.convert_to_analog(ad.load_checkpoint(digital_checkpoint, FACTORY), "pcm_harsh", exclude=["2"],
                                    seed=4).eval()
    ad.program_analog_weights(expected, seed=4)
    x = torch.randn(16, 8)
    for model in (analog, expected):  # the same chip read the same way gives the same outputs
        ad.drift_analog_weights(model, 3600.0, seed=1)
    with torch.no_grad():
        assert torch.equal(analog(x), expected(x))


def test_convert_takes_a_trusted_whole_module(tmp_path, capsys):
    torch.manual_seed(0)
    torch.save(tiny_models.mlp(), tmp_path / "whole.pt")
    args = ["convert", str(tmp_path / "whole.pt"), "--full-module", "-o", str(tmp_path / "analog.pt")]
    assert main(args) == 1
    assert "add --trusted" in capsys.readouterr().err
    assert main([*args, "--trusted"]) == 0
    assert len(list(ad.analog_layers(ad.load_analog_checkpoint(tmp_path / "analog.pt", FACTORY)))) == 2
    # the same pickled module names the architecture for later commands
    assert main(["info", str(tmp_path / "analog.pt"), "--model", str(tmp_path / "whole.pt"), "--trusted"]) == 0


def test_evaluate_a_converted_checkpoint_and_its_time_parametric_export(tmp_path, capsys):
    digits_factory = "analog_deploy.demo:digits_cnn"
    torch.manual_seed(0)
    torch.save(ad.demo.digits_cnn().state_dict(), tmp_path / "digits.pt")
    analog = tmp_path / "analog.pt"
    assert main(["convert", str(tmp_path / "digits.pt"), "--model", digits_factory, "-o", str(analog)]) == 0
    model = tmp_path / "chip.onnx"
    assert main(["export", str(analog), "--model", digits_factory, "--input-shape", "1,1,8,8", "--time-parametric",
                 "-o", str(model)]) == 0
    for source in (["--model", digits_factory, str(analog)], [str(model)]):
        assert main(["evaluate", *source, "--dataset", "digits", "--times", "1h", "--repetitions", "2", "--out",
                     str(tmp_path / "out"), "--no-progress"]) == 0
    assert "onnxruntime analog" in capsys.readouterr().out
    assert sorted(p.name for p in (tmp_path / "out").iterdir()) == [
        "accuracy_vs_time.png", "sweep_onnxruntime.csv", "sweep_onnxruntime.json", "sweep_torch.csv",
        "sweep_torch.json"]
    assert json.loads((tmp_path / "out" / "sweep_onnxruntime.json").read_text())["t_inference"] == [3600.0]


@pytest.mark.parametrize(
    "arguments, message",
    [
        (["convert", "absent.pt", "--model", FACTORY, "-o", "a.pt"], "does not exist"),
        (["convert", "{ckpt}", "-o", "a.pt"], "give --model PACKAGE.MODULE:FACTORY"),
        (["convert", "{ckpt}", "--model", "tests.helpers.tiny_models:nothing", "-o", "a.pt"],
         "has no attribute 'nothing'"),
        (["convert", "{ckpt}", "--model", "no_such_package.models:net", "-o", "a.pt"], "cannot import module"),
        (["convert", "{ckpt}", "--model", "tests.helpers.tiny_models:cnn", "-o", "a.pt"],
         "does not fit the model's architecture"),
        (["convert", "{ckpt}", "--model", FACTORY, "--config", "pcm_soft", "-o", "a.pt"], "neither a preset"),
        (["convert", "{ckpt}", "--model", FACTORY, "--config", "{bad_json}", "-o", "a.pt"], "bad.json"),
        (["convert", "{ckpt}", "--model", FACTORY, "--exclude", "*", "-o", "a.pt"], "no layer was converted"),
        (["convert", "{ckpt}", "--model", "{ckpt}", "-o", "a.pt"], "add --trusted"),
        (["evaluate", "absent.pt", "--model", FACTORY, "--dataset", "digits"], "no model file at"),
        (["evaluate", "{ckpt}", "--dataset", "digits"], "give --model"),
        (["evaluate", "{ckpt}", "--model", FACTORY, "--dataset", "digits"], "cannot take the dataset's inputs"),
        (["evaluate", "{ckpt}", "--model", FACTORY, "--dataset", "nowhere"], "is not 'digits', an IDX folder"),
        (["evaluate", "{ckpt}", "--model", FACTORY, "--dataset", "tests.helpers.datasets:junk"], "junk"),
        (["evaluate", "{ckpt}", "--model", FACTORY, "--dataset", "digits", "--repetitions", "0"],
         "--repetitions must be at least 1"),
        (["evaluate", "{onnx}", "--backend", "torch", "--dataset", "digits"], "evaluate it with --backend onnxruntime"),
    ],
)
def test_errors_print_one_line(arguments, message, digital_checkpoint, tmp_path, capsys, monkeypatch):
    monkeypatch.chdir(tmp_path)
    (tmp_path / "bad.json").write_text("{not json")
    (tmp_path / "m.onnx").write_bytes(b"")
    values = {"ckpt": digital_checkpoint, "bad_json": tmp_path / "bad.json", "onnx": tmp_path / "m.onnx"}
    assert main([argument.format(**values) for argument in arguments]) == 1
    error = capsys.readouterr().err
    assert message in error, error
    assert error.count("\n") == 1 and "Traceback" not in error
    assert not (tmp_path / "a.pt").exists() and not (tmp_path / "outputs").exists()


@pytest.mark.parametrize("times", ["soon", "1h,-1d", ","])
def test_bad_times_are_a_usage_error(times, capsys):
    with pytest.raises(SystemExit) as exit_info:
        main(["evaluate", "m.pt", "--dataset", "digits", "--times", times])
    assert exit_info.value.code == 2
    assert "time" in capsys.readouterr().err

"""``analog-deploy demo``: the main job prints the three-column table and writes its records,
the ONNX model and the plot; the trained model is cached and reused, and a damaged cache is
replaced."""

from __future__ import annotations

import onnx
import pytest
import torch

import analog_deploy as ad
from analog_deploy.cli.main import main
from analog_deploy.demo import trained_digits_cnn
from tests.helpers.digits import EPOCHS as DIGITS_EPOCHS


def test_demo_prints_the_table_and_writes_records_model_and_plot(digits_cache, tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--out", str(out), "--repetitions", "2", "--cache-dir", str(digits_cache), "--epochs",
                 str(DIGITS_EPOCHS), "--no-progress"]) == 0
    printed = capsys.readouterr().out
    assert "reused" in printed
    header = next(line for line in printed.splitlines() if line.startswith("t_inference"))
    assert "torch analog" in header and "onnxruntime analog" in header
    rows = [line for line in printed.splitlines() if line.split(" ")[0] in ("digital", "1")]
    assert [row.split("  ")[0].strip() for row in rows] == ["digital", "1 s", "1 hour", "1 day", "1 month", "1 year"]
    assert sorted(p.name for p in out.iterdir()) == [
        "accuracy_vs_time.png", "digits_cnn_pcm.onnx", "sweep_onnxruntime.csv", "sweep_onnxruntime.json",
        "sweep_torch.csv", "sweep_torch.json"]
    assert (out / "accuracy_vs_time.png").read_bytes()[:4] == b"\x89PNG"
    inputs = [value.name for value in onnx.load(out / "digits_cnn_pcm.onnx").graph.input]
    assert inputs[1] == "t_inference"
    sweep = ad.SweepResult.load_json(out / "sweep_torch.json")
    assert sweep.repetitions == 2 and sweep.digital > 80.0


def test_the_model_is_trained_once_then_reused_and_a_damaged_cache_replaced(tmp_path):
    model, path, reused = trained_digits_cnn(tmp_path, epochs=1)
    assert not reused and path.is_file()
    again, _, reused = trained_digits_cnn(tmp_path, epochs=1)
    assert reused
    assert all(torch.equal(a, b) for a, b in zip(model.state_dict().values(), again.state_dict().values()))
    path.write_bytes(b"damaged")
    _, _, reused = trained_digits_cnn(tmp_path, epochs=1)
    assert not reused and torch.load(path, weights_only=True)


@pytest.mark.parametrize("option", ["--repetitions", "--epochs"])
def test_demo_rejects_zero_repetitions_or_epochs(option, capsys):
    assert main(["demo", option, "0"]) == 1
    assert "--repetitions and --epochs must be at least 1" in capsys.readouterr().err

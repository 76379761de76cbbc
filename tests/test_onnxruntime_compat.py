"""The op library asks onnxruntime only for C API 17 and calls nothing newer, so exported models
run in older onnxruntime releases too: checked here with 1.18.1 (the oldest that reads the
exporter's IR version 10), installed into a throwaway virtual environment."""

from __future__ import annotations

import subprocess
import venv
from pathlib import Path

import numpy as np
import pytest
import torch
from torch import nn

import analog_deploy as ad
from analog_deploy import onnx as adx

OLD_ONNXRUNTIME = "onnxruntime==1.18.1"
RUN = """
import sys, numpy as np, onnxruntime as ort
options = ort.SessionOptions()
options.register_custom_ops_library(sys.argv[1])
session = ort.InferenceSession(sys.argv[2], options, providers=["CPUExecutionProvider"])
feed = {"x": np.load(sys.argv[3])}
if len(sys.argv) > 5:
    feed["t_inference"] = np.array(float(sys.argv[5]), np.float32)
np.save(sys.argv[4], session.run(None, feed)[0])
print(ort.__version__)
"""


@pytest.fixture(scope="module")
def old_python(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("old_onnxruntime")
    venv.create(folder, with_pip=True)
    python = folder / "bin" / "python"
    install = subprocess.run(
        [str(python), "-m", "pip", "install", "-q", OLD_ONNXRUNTIME, "numpy<2"], capture_output=True, text=True
    )
    if install.returncode != 0:
        pytest.skip(f"cannot install {OLD_ONNXRUNTIME} (no package registry?): {install.stderr.strip()[-200:]}")
    return python


class Net(nn.Module):
    def __init__(self) -> None:
        super().__init__()
        self.conv = nn.Conv2d(2, 4, 3, padding=1)
        self.fc = nn.Linear(4 * 5 * 5, 3)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.fc(torch.relu(self.conv(x)).flatten(1))


@pytest.mark.parametrize("time_parametric", [False, True])
def test_exported_model_runs_in_an_older_onnxruntime(old_python, time_parametric, tmp_path):
    torch.manual_seed(0)
    config = ad.preset("pcm")
    config.forward.out_noise = 0.0
    analog = ad.convert_to_analog(Net().eval(), config, seed=0).eval()
    x = torch.randn(6, 2, 5, 5)
    path = tmp_path / "model.onnx"
    if time_parametric:
        adx.export(analog, x, path, time_parametric=True)
    else:
        adx.export(analog, x, path, t_inference=3600.0)
    np.save(tmp_path / "x.npy", x.numpy())
    extra = ["3600"] if time_parametric else []
    result = subprocess.run(
        [str(old_python), "-c", RUN, adx.custom_ops_library(), str(path), str(tmp_path / "x.npy"),
         str(tmp_path / "y.npy"), *extra],
        capture_output=True, text=True,
    )
    assert result.returncode == 0, result.stderr[-2000:]
    assert result.stdout.strip() == OLD_ONNXRUNTIME.split("==")[1]
    session = adx.session(path)
    feed = {"x": x.numpy()} | ({"t_inference": np.array(3600.0, np.float32)} if time_parametric else {})
    np.testing.assert_allclose(np.load(tmp_path / "y.npy"), session.run(None, feed)[0], rtol=1e-5, atol=1e-6)

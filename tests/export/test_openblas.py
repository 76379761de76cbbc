"""The ops' GEMM: OpenBLAS from the scipy-openblas32 package in row blocks over onnxruntime's
threads (products of 256 rows or more), or onnxruntime's MatMul kernel (fewer rows, or
ANALOG_DEPLOY_OPENBLAS=none); both give the torch outputs."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import scipy_openblas32
import torch
from torch import nn

import analog_deploy as ad
from analog_deploy import onnx as adx
from tests.helpers.onnx_runs import noise_free, relative_error, run

ENVIRONMENT = "ANALOG_DEPLOY_OPENBLAS"


@pytest.mark.skipif(ENVIRONMENT in os.environ, reason=f"{ENVIRONMENT} chooses the library")
def test_the_installed_scipy_openblas32_is_used():
    expected = Path(scipy_openblas32.get_lib_dir(), "libscipy_openblas.so").resolve()
    assert Path(adx.openblas_library()) == expected


def test_none_selects_onnxruntime_matmul(monkeypatch):
    monkeypatch.setenv(ENVIRONMENT, "none")
    assert adx.openblas_library() is None


@pytest.fixture(scope="module")
def wide_model(tmp_path_factory) -> tuple[nn.Module, Path]:
    """An MLP whose layers span several input tiles."""
    torch.manual_seed(0)
    digital = nn.Sequential(nn.Linear(200, 300), nn.ReLU(), nn.Linear(300, 40))
    analog = ad.convert_to_analog(digital, noise_free(max_input_size=128), seed=0).eval()
    ad.drift_analog_weights(analog, 86400.0, seed=1)
    path = adx.export(analog, torch.randn(2, 200), tmp_path_factory.mktemp("wide") / "wide.onnx")
    return analog, path


# 7 rows: onnxruntime's MatMul in either case; 300 rows: two OpenBLAS row blocks on two cores.
@pytest.mark.parametrize("rows", [7, 300])
@pytest.mark.parametrize("gemm", ["openblas", "none"])
def test_both_gemms_give_the_torch_outputs(wide_model, rows, gemm, monkeypatch):
    if gemm == "none":
        monkeypatch.setenv(ENVIRONMENT, "none")
    elif adx.openblas_library() is None:
        pytest.skip("no OpenBLAS found")
    analog, path = wide_model
    session = adx.session(path)  # the kernels choose their GEMM when the session creates them
    x = torch.randn(rows, 200, generator=torch.Generator().manual_seed(rows))
    with torch.no_grad():
        expected = analog(x).numpy()
    assert relative_error(run(session, x), expected) <= 1e-5


def _session_error(environment_value: str, model: Path) -> str:
    """stderr of a fresh interpreter that opens `model` with ANALOG_DEPLOY_OPENBLAS set (the
    library is looked up once per process)."""
    script = "import sys; from analog_deploy import onnx as adx; adx.session(sys.argv[1])"
    result = subprocess.run(
        [sys.executable, "-c", script, str(model)],
        env={**os.environ, ENVIRONMENT: environment_value},
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert result.returncode != 0
    return result.stderr


@pytest.mark.parametrize(
    "value, reason",
    [("/nonexistent/libopenblas.so", "cannot open shared object file"), ("libm.so.6", "not scipy-openblas32's")],
)
def test_an_unusable_library_is_a_clear_error(wide_model, value, reason):
    stderr = _session_error(value, wide_model[1])
    assert f"{ENVIRONMENT}={value}: cannot use this library" in stderr
    assert reason in stderr

"""Runs exported models from C++ (custom_ops/tests/host_test.cc): onnxruntime's C++ API with our
custom-op library registered gives the outputs that onnxruntime gives from Python, and rejects
malformed inputs with an error instead of crashing.

Run as a script (``python tests/test_cpp_host.py DIR``) it only writes the cases into DIR, one
line of host_test arguments (all but ``--library``) per case in DIR/cases.txt;
custom_ops/tests/run_sanitizers.sh uses that.
"""

from __future__ import annotations

import dataclasses
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "custom_ops"
ATOL = 1e-5


def onnxruntime_library() -> Path:
    """The onnxruntime shared library of the installed onnxruntime wheel (what Python runs)."""
    import onnxruntime

    capi = Path(onnxruntime.__file__).parent / "capi"
    candidates = sorted(capi.glob("libonnxruntime.so*"))
    if not candidates:
        raise FileNotFoundError(f"no libonnxruntime.so* in {capi}")
    return candidates[0]


def _free_dims(model_path: Path, target: Path) -> Path:
    """A copy of the model whose inputs and outputs have free dimensions only and no shape hints:
    a wrong input shape then reaches our ops instead of onnxruntime's own input check."""
    import onnx

    model = onnx.load(model_path)
    for value in [*model.graph.input, *model.graph.output]:
        for index, dim in enumerate(value.type.tensor_type.shape.dim):
            dim.Clear()
            dim.dim_param = f"{value.name}_{index}"
    del model.graph.value_info[:]
    onnx.save(model, target)
    return target


def _models():
    """(name, analog model, input) of the cases: an MLP with multi-tile layers and a CNN."""
    import torch
    from torch import nn

    import analog_deploy as ad

    config = ad.preset("pcm")
    config.forward = dataclasses.replace(config.forward, out_noise=0.0)
    config.mapping = dataclasses.replace(config.mapping, max_input_size=16, max_output_size=16)  # several tiles

    # Sizes large enough that the ops split their loops over onnxruntime's thread pool.
    torch.manual_seed(0)
    mlp = nn.Sequential(nn.Linear(64, 48), nn.ReLU(), nn.Linear(48, 5)).eval()
    x_mlp = torch.randn(1024, 64)
    x_mlp[0] *= 50  # large inputs: bound management acts
    cnn = nn.Sequential(
        nn.Conv2d(3, 4, 3, padding=1), nn.ReLU(), nn.Conv2d(4, 4, 3, stride=2, groups=2), nn.Flatten(), nn.Linear(196, 3)
    ).eval()
    x_cnn = torch.randn(8, 3, 16, 16)
    return [
        ("mlp", ad.convert_to_analog(mlp, config).eval(), x_mlp),
        ("cnn", ad.convert_to_analog(cnn, config).eval(), x_cnn),
    ]


def write_cases(directory: Path) -> dict[str, list[str]]:
    """Exports the models into ``directory``, with their inputs and the outputs onnxruntime gives
    from Python as raw little-endian float32 files. Returns each case's host_test arguments
    (all but --library) by name, also written to directory/cases.txt."""
    import numpy as np

    from analog_deploy.onnx import export, session

    directory.mkdir(parents=True, exist_ok=True)
    cases = {}
    for name, model, x in _models():
        model_path = export(model, x, directory / f"{name}.onnx", t_inference=3600.0, seed=7)
        runtime = session(model_path)
        inputs = x.numpy().astype("<f4")
        expected = runtime.run(None, {runtime.get_inputs()[0].name: inputs})[0].astype("<f4")
        assert np.isfinite(expected).all()
        inputs.tofile(directory / f"{name}_input.f32")
        expected.tofile(directory / f"{name}_expected.f32")
        cases[name] = [
            "--model", str(model_path),
            "--input", str(directory / f"{name}_input.f32"),
            "--input-shape", ",".join(map(str, inputs.shape)),
            "--expected", str(directory / f"{name}_expected.f32"),
            "--expected-shape", ",".join(map(str, expected.shape)),
            "--atol", str(ATOL),
            "--malformed-model", str(_free_dims(model_path, directory / f"{name}_free_dims.onnx")),
        ]
    (directory / "cases.txt").write_text("".join(" ".join(case) + "\n" for case in cases.values()))
    return cases


def _run(command: list[str]) -> None:
    result = subprocess.run(command, capture_output=True, text=True)
    assert result.returncode == 0, f"{' '.join(command)}\n{result.stdout}{result.stderr}"


def build_host_test(build: Path) -> Path:
    """Configures custom_ops with the host test on (linked to the installed onnxruntime) and builds it."""
    _run([
        "cmake", "-S", str(SOURCE), "-B", str(build), "-DCMAKE_BUILD_TYPE=Release",
        "-DANALOG_DEPLOY_HOST_TEST=ON", f"-DORT_LIBRARY={onnxruntime_library()}",
    ])
    _run(["cmake", "--build", str(build), "--target", "host_test"])
    return build / "host_test"


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not installed")
def test_exported_models_run_from_cpp(tmp_path):
    from analog_deploy import kernels
    from analog_deploy.onnx import custom_ops_library

    if kernels.library_path() is None:
        pytest.skip("the custom-op library is not built (pip install .)")
    cases = write_cases(tmp_path / "cases")
    host_test = build_host_test(tmp_path / "build")
    # The wrong shapes, run on the model with free input dimensions, reach our ops' own checks.
    shape_errors = {
        "mlp": "(the last dimension is the layer's in_features)",
        "cnn": "input 'X' has 4 channels, the node expects 3",
    }
    for name, case in cases.items():
        # The library that Python registered for the expected outputs.
        result = subprocess.run(
            [str(host_test), "--library", custom_ops_library(), *case], capture_output=True, text=True, timeout=120
        )
        report = f"host_test {' '.join(case)}\n{result.stdout}{result.stderr}"
        assert result.returncode == 0, report
        assert "host_test: PASS" in result.stdout, report
        assert shape_errors[name] in result.stdout, report
        assert "contains NaN or infinite values" in result.stdout, report


if __name__ == "__main__":
    if len(sys.argv) != 2:
        sys.exit(f"usage: python {sys.argv[0]} DIR (writes the host_test cases into DIR)")
    write_cases(Path(sys.argv[1]))

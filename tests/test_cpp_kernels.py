"""Builds and runs the C++ kernel tests (custom_ops/tests/kernel_tests.cc) with CMake."""

import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "custom_ops"


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not installed")
def test_kernel_maths_in_cpp(tmp_path):
    build = tmp_path / "build"
    subprocess.run(
        ["cmake", "-S", str(SOURCE), "-B", str(build), "-DANALOG_DEPLOY_KERNEL_TESTS=ON", "-DCMAKE_BUILD_TYPE=Release"],
        check=True,
        capture_output=True,
    )
    subprocess.run(["cmake", "--build", str(build), "--target", "kernel_tests"], check=True, capture_output=True)
    result = subprocess.run([str(build / "kernel_tests")], capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "0 failed" in result.stdout

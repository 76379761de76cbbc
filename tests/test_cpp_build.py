"""The C++ build finds the onnxruntime headers or fails with a message that says what to do."""

from __future__ import annotations

import os
import shutil
import subprocess
from pathlib import Path

import pytest

SOURCE = Path(__file__).resolve().parents[1] / "custom_ops"
pytestmark = pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not installed")


def configure(build: Path, *options: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    """``cmake`` configure of the library, without any ORT_INCLUDE_DIR from the environment."""
    base = {key: value for key, value in os.environ.items() if key != "ORT_INCLUDE_DIR"}
    return subprocess.run(
        ["cmake", "-S", str(SOURCE), "-B", str(build), *options], capture_output=True, text=True, env={**base, **(env or {})}
    )


def _text(result: subprocess.CompletedProcess[str]) -> str:
    """CMake's error output with its line wrapping undone."""
    return " ".join(result.stderr.split())


def test_a_wrong_header_directory_is_named(tmp_path):
    result = configure(tmp_path / "build", f"-DORT_INCLUDE_DIR={tmp_path}")
    assert result.returncode != 0
    assert f"ORT_INCLUDE_DIR={tmp_path} does not contain onnxruntime_c_api.h" in _text(result)


@pytest.mark.skipif(
    any(Path(d, "onnxruntime_c_api.h").is_file() for d in ("/usr/include/onnxruntime", "/usr/local/include/onnxruntime")),
    reason="a system install of the onnxruntime headers is found first",
)
def test_no_headers_anywhere_is_a_clear_error(tmp_path):
    result = configure(
        tmp_path / "build", "-DORT_HEADERS_PACKAGE_URL=http://127.0.0.1:9/absent.tgz",
        env={"XDG_CACHE_HOME": str(tmp_path / "empty-cache")},
    )
    assert result.returncode != 0
    assert "No onnxruntime C/C++ headers" in _text(result)
    assert "-DORT_INCLUDE_DIR" in _text(result)
    assert not list((tmp_path / "empty-cache").rglob("*.tgz"))  # nothing half-downloaded left behind

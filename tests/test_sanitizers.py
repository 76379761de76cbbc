"""The C++ library and test programs under AddressSanitizer and UndefinedBehaviorSanitizer:
runs custom_ops/tests/run_sanitizers.sh (a sanitized build of the library, kernel_tests and
host_test, then kernel_tests and host_test on exported models). About a minute and a half on 2
cores, mostly the sanitized build."""

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

SCRIPT = Path(__file__).resolve().parents[1] / "custom_ops" / "tests" / "run_sanitizers.sh"


def _sanitizers_link(tmp_path: Path) -> bool:
    """Whether the C++ compiler can build and link a program with ASan and UBSan."""
    compiler = shutil.which(os.environ.get("CXX", "c++"))
    if compiler is None:
        return False
    source = tmp_path / "probe.cc"
    source.write_text("int main() { return 0; }\n")
    result = subprocess.run(
        [compiler, "-fsanitize=address,undefined", str(source), "-o", str(tmp_path / "probe")], capture_output=True
    )
    return result.returncode == 0


@pytest.mark.skipif(shutil.which("cmake") is None, reason="cmake is not installed")
def test_library_and_programs_are_clean_under_asan_and_ubsan(tmp_path):
    from analog_deploy import kernels

    if kernels.library_path() is None:
        pytest.skip("the custom-op library is not built (pip install .): the expected outputs need it")
    if not _sanitizers_link(tmp_path):
        pytest.skip("the C++ compiler cannot link with -fsanitize=address,undefined (no libasan/libubsan)")
    result = subprocess.run(
        ["bash", str(SCRIPT), str(tmp_path / "work")],
        capture_output=True,
        text=True,
        timeout=900,
        env={**os.environ, "PYTHON": sys.executable},
    )
    output = result.stdout + result.stderr
    assert result.returncode == 0, output[-20000:]
    assert "run_sanitizers: PASS" in result.stdout, output[-20000:]

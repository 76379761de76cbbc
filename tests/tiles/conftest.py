"""Every tile test runs twice: on the fused C++ kernels and on the torch reference path."""

import contextlib

import pytest

from analog_deploy import kernels


@pytest.fixture(autouse=True, params=["kernels", "torch"])
def mvm_path(request):
    if request.param == "kernels" and not kernels.available():
        pytest.skip("the C++ kernel library is not built")
    with kernels.disabled() if request.param == "torch" else contextlib.nullcontext():
        yield request.param

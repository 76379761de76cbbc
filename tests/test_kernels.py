"""The C++ kernel library: its ARS normals and its independence from the thread count."""

import pytest
import torch
from scipy import stats

from analog_deploy import IOParameters, kernels

pytestmark = pytest.mark.skipif(not kernels.available(), reason="the C++ kernel library is not built")

N = 400_000


def test_normals_are_standard_normal():
    z = kernels.fill_normal((N,), key=12345).double()
    # mean: standard error 1/sqrt(N) = 0.0016 -> 5 SE; std: SE 1/sqrt(2N) = 0.0011 -> 5 SE
    assert abs(z.mean().item()) < 0.008
    assert abs(z.std().item() - 1.0) < 0.0056
    assert stats.kstest(z.numpy(), "norm").pvalue > 1e-3
    assert abs(stats.skew(z.numpy())) < 0.02 and abs(stats.kurtosis(z.numpy())) < 0.04


def test_box_muller_partners_are_independent_and_tails_are_right():
    # normals i and 16 + i of a block share a radius: for true Gaussians they, and their
    # squares, are uncorrelated
    blocks = kernels.fill_normal((N,), key=3).double().reshape(-1, 32)
    first, partner = blocks[:, :16].flatten(), blocks[:, 16:].flatten()
    bound = 5 / first.numel() ** 0.5
    assert abs(torch.corrcoef(torch.stack([first, partner]))[0, 1].item()) < bound
    assert abs(torch.corrcoef(torch.stack([first**2, partner**2]))[0, 1].item()) < bound
    # P(|z| > 3) = 0.0027; binomial standard error sqrt(p (1 - p) / N) -> 5 SE
    tail = (blocks.abs() > 3).double().mean().item()
    assert abs(tail - 0.0026998) < 5 * (0.0027 * 0.9973 / N) ** 0.5


def test_keys_and_streams_give_independent_normals():
    a = kernels.fill_normal((N,), key=1)
    b = kernels.fill_normal((N,), key=2)
    c = kernels.fill_normal((N,), key=1, stream=1)
    for other in (b, c):
        correlation = torch.corrcoef(torch.stack([a, other]))[0, 1].item()
        assert abs(correlation) < 5 / N**0.5  # 5 standard errors of a zero correlation
    # neighbouring normals of one stream are uncorrelated too
    assert abs(torch.corrcoef(torch.stack([a[:-1], a[1:]]))[0, 1].item()) < 5 / N**0.5


def test_same_key_same_numbers_whatever_the_thread_count():
    threads = torch.get_num_threads()
    try:
        torch.set_num_threads(1)
        one = kernels.fill_normal((N,), key=7)
        y_one = torch.zeros(300, 700)
        kernels.output_stage(y_one, 1.0, torch.zeros(300, 1), IOParameters(), key=9, stream=0)
        torch.set_num_threads(2)
        two = kernels.fill_normal((N,), key=7)
        y_two = torch.zeros(300, 700)
        kernels.output_stage(y_two, 1.0, torch.zeros(300, 1), IOParameters(), key=9, stream=0)
    finally:
        torch.set_num_threads(threads)
    assert torch.equal(one, two)
    assert torch.equal(y_one, y_two)


def test_abi_version_matches_the_python_side():
    assert kernels._library().ad_kernels_abi_version() == kernels.ABI_VERSION


def test_an_unloadable_library_falls_back_to_torch_with_a_warning(monkeypatch, tmp_path):
    broken = tmp_path / "libanalog_kernels.so"
    broken.write_bytes(b"not a shared library")
    monkeypatch.setattr(kernels, "library_path", lambda: str(broken))
    kernels._library.cache_clear()
    try:
        with pytest.warns(UserWarning, match="using the slower torch path"):
            assert not kernels.available()
        layer = __import__("analog_deploy").AnalogLinear(4, 2).eval()
        with torch.no_grad():
            assert layer(torch.randn(3, 4)).shape == (3, 2)  # the torch reference still runs
    finally:
        kernels._library.cache_clear()

"""The C++ kernel library: its ARS normals, its independence from the thread count, and the
one-call tile forward on torch's own BLAS."""

import pytest
import torch
from scipy import stats

from analog_deploy import IOParameters, kernels
from analog_deploy.config import BoundManagementType
from analog_deploy.tiles import analog_mvm

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


@pytest.mark.skipif(kernels._torch_sgemm() is None, reason="this torch build exports no BLAS sgemm")
@pytest.mark.parametrize("gathered", [False, True])
def test_one_call_tile_forward_equals_the_three_call_path(monkeypatch, gathered):
    """The whole tile in one C call (torch's BLAS called from C++) and the fallback (input stage,
    F.linear, output stage from Python) run the same steps with the same noise: bound management
    redoes some rows, an addend and a bias are added."""
    generator = torch.Generator().manual_seed(4)
    x = torch.randn(300, 48, generator=generator)
    x[:40] *= 30.0  # these saturate the ADC and are redone with halved inputs
    w = torch.randn(20, 48, generator=generator) * 0.3
    addend, bias = torch.randn(300, 20, generator=generator), torch.randn(20, generator=generator)
    io = IOParameters(out_bound=3.0, bound_management=BoundManagementType.ITERATIVE)
    vectors = kernels.GatheredVectors(x, torch.arange(300) * 48, torch.arange(48)) if gathered else x

    def run() -> tuple[torch.Tensor, int]:
        noise = kernels.NoiseStream(torch.Generator().manual_seed(9))
        y = analog_mvm(vectors, w, io, None, torch.full((20,), 0.5), noise, torch.ones(1), addend, bias)
        return y, noise.calls

    with torch.no_grad():
        one_call, passes = run()
        monkeypatch.setattr(kernels, "_torch_sgemm", lambda: None)
        three_calls, passes_three = run()
    assert passes == passes_three > 1  # bound management ran the same redo passes
    torch.testing.assert_close(one_call, three_calls, rtol=1e-6, atol=1e-6)
    assert torch.isfinite(one_call).all()

"""The exported model run by onnxruntime with our ops computes what the torch analog model
computes: noise-free outputs equal, noisy outputs deviate alike."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats
from torch import nn

import analog_deploy as ad
import analog_deploy.onnx
from tests.conftest import CONVOLUTION_CASES, MODEL_INPUTS
from tests.helpers.onnx_runs import exported, noise_free, relative_error, run


@pytest.mark.parametrize("name", list(MODEL_INPUTS))
@pytest.mark.parametrize("mapping", [{}, {"max_input_size": 7, "max_output_size": 3}], ids=["one-tile", "multi-tile"])
def test_noise_free_outputs_equal_torch(name, mapping, request, tmp_path):
    analog = ad.convert_to_analog(request.getfixturevalue(name), noise_free(**mapping), seed=0).eval()
    ad.drift_analog_weights(analog, 86400.0, seed=1)  # programming noise, drift, compensation
    session = exported(analog, torch.randn(MODEL_INPUTS[name]), tmp_path / "model.onnx")
    x = torch.randn((9, *MODEL_INPUTS[name][1:]), generator=torch.Generator().manual_seed(3))  # another batch
    with torch.no_grad():
        expected = analog(x).numpy()
    assert relative_error(run(session, x), expected) <= 1e-5


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
@pytest.mark.parametrize(
    "dims, conv_kwargs",
    CONVOLUTION_CASES,
)
def test_every_convolution_argument_matches_torch(dims, conv_kwargs, tmp_path):
    torch.manual_seed(0)
    digital = {1: nn.Conv1d, 2: nn.Conv2d, 3: nn.Conv3d}[dims](4, 8, **{"kernel_size": 3, **conv_kwargs})
    analog = ad.convert_to_analog(digital, noise_free(max_input_size=10, max_output_size=3), seed=0).eval()
    ad.drift_analog_weights(analog, 3600.0, seed=1)
    x = torch.randn(3, 4, *([9] * dims))
    session = exported(nn.Sequential(analog).eval(), x, tmp_path / "conv.onnx")
    with torch.no_grad():
        expected = analog(x).numpy()
    assert relative_error(run(session, x), expected) <= 1e-5


def test_linear_on_leading_batch_dimensions(tmp_path):
    torch.manual_seed(0)
    analog = ad.convert_to_analog(nn.Sequential(nn.Linear(12, 6)), noise_free(max_input_size=5), seed=0).eval()
    x = torch.randn(2, 3, 12)
    session = exported(analog, x, tmp_path / "linear.onnx")
    with torch.no_grad():
        expected = analog(x).numpy()
    assert run(session, x).shape == (2, 3, 6)
    assert relative_error(run(session, x), expected) <= 1e-5


def test_bound_management_acts_per_vector_as_in_torch(tmp_path):
    """Huge weights saturate the ADC for some vectors only: bound management re-runs those."""
    torch.manual_seed(0)
    digital = nn.Sequential(nn.Linear(64, 16, bias=False))
    config = noise_free()
    config.mapping.weight_scaling_omega = 0.0  # keep the weights as they are: outputs reach the ADC bound
    analog = ad.convert_to_analog(digital, config, seed=0).eval()
    with torch.no_grad():
        digital[0].weight.mul_(8.0)
    x = torch.randn(64, 64) * torch.linspace(0.01, 1.0, 64)[:, None]
    session = exported(analog, x, tmp_path / "bm.onnx")
    with torch.no_grad():
        expected = analog(x).numpy()
    assert relative_error(run(session, x), expected) <= 1e-5


def test_noise_has_the_same_distribution_in_both_paths(tmp_path):
    """Deviation of noisy from noise-free outputs: same mean and std in torch and onnxruntime
    (Kolmogorov-Smirnov two-sample test on 40 k deviations, plus the std within 3 %)."""
    torch.manual_seed(0)
    digital = nn.Sequential(nn.Linear(64, 40))
    clean = ad.convert_to_analog(digital, noise_free(), seed=0).eval()
    noisy_config = ad.preset("pcm")
    noisy_config.forward.out_res = 0.0  # continuous ADC: the deviation is the output noise itself
    noisy = ad.convert_to_analog(digital, noisy_config, seed=0).eval()
    x = torch.randn(1000, 64, generator=torch.Generator().manual_seed(1))
    session_clean = exported(clean, x, tmp_path / "clean.onnx")
    session_noisy = exported(noisy, x, tmp_path / "noisy.onnx")
    with torch.no_grad():
        torch_deviation = (noisy(x) - clean(x)).numpy().ravel()
    onnx_deviation = (run(session_noisy, x) - run(session_clean, x)).ravel()
    assert stats.ks_2samp(torch_deviation, onnx_deviation).pvalue > 1e-3
    assert onnx_deviation.std() == pytest.approx(torch_deviation.std(), rel=0.03)
    assert abs(onnx_deviation.mean()) < 4 * onnx_deviation.std() / np.sqrt(onnx_deviation.size)


@pytest.mark.parametrize("name", list(MODEL_INPUTS))
@pytest.mark.parametrize("compensation", ["global", "per_column", "none", "ideal_device"])
def test_time_parametric_noise_free_outputs_equal_torch_at_every_time(name, compensation, request, tmp_path):
    """With read noise and output noise off, the programmed form reads the same weights and
    compensation gains as the torch tiles at every time."""
    config = noise_free(max_input_size=7, max_output_size=3)
    config.noise_model.read_noise_scale = 0.0
    if compensation == "per_column":
        config.drift_compensation = ad.PerColumnDriftCompensation()
    elif compensation == "none":
        config.drift_compensation = None
    elif compensation == "ideal_device":
        config.noise_model = ad.IdealNoiseModel()
    analog = ad.convert_to_analog(request.getfixturevalue(name), config, seed=0).eval()
    ad.program_analog_weights(analog, seed=1)
    path = tmp_path / "model.onnx"
    ad.onnx.export(analog, torch.randn(MODEL_INPUTS[name]), path, time_parametric=True)
    session = ad.onnx.session(path)
    x = torch.randn((5, *MODEL_INPUTS[name][1:]), generator=torch.Generator().manual_seed(3))
    for t in (0.0, 3600.0, 86400.0 * 365):
        ad.drift_analog_weights(analog, t)
        with torch.no_grad():
            expected = analog(x).numpy()
        feed = {session.get_inputs()[0].name: x.numpy(), "t_inference": np.array(t, np.float32)}
        assert relative_error(session.run(None, feed)[0], expected) <= 1e-5, t

"""Whole layers on the C++ kernel path equal the torch reference when noise is off (DAC, ADC,
bound management on), and agree in distribution when it is on."""

import pytest
import torch

import analog_deploy as ad
from analog_deploy import kernels

pytestmark = pytest.mark.skipif(not kernels.available(), reason="the C++ kernel library is not built")


def _noise_free_config() -> ad.InferenceRPUConfig:
    config = ad.preset("pcm")
    config.forward = ad.IOParameters(out_noise=0.0)
    config.noise_model = ad.IdealNoiseModel()
    config.mapping = ad.MappingParameter(max_input_size=20, max_output_size=6)  # several tiles
    return config


def _both_paths(layer: torch.nn.Module, x: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
    with torch.no_grad():
        fast = layer(x)
        with kernels.disabled():
            reference = layer(x)
    return fast, reference


@pytest.mark.parametrize(
    "layer, shape",
    [
        (lambda config: ad.AnalogLinear(50, 9, rpu_config=config), (7, 50)),
        (lambda config: ad.AnalogConv2d(6, 8, 3, stride=2, padding=1, groups=2, rpu_config=config), (3, 6, 9, 9)),
        (lambda config: ad.AnalogConv1d(4, 7, 5, dilation=2, padding="same", rpu_config=config), (2, 4, 30)),
        (lambda config: ad.AnalogConv3d(3, 5, 2, rpu_config=config), (2, 3, 4, 5, 4)),
    ],
)
def test_kernel_path_equals_torch_reference_without_noise(layer, shape):
    torch.manual_seed(0)
    analog = layer(_noise_free_config()).eval()
    analog.drift_analog_weights(3600.0, seed=1)
    x = torch.randn(shape)
    x[0] *= 50  # large inputs: bound management acts
    fast, reference = _both_paths(analog, x)
    torch.testing.assert_close(fast, reference, rtol=1e-5, atol=1e-5)


def test_kernel_path_output_noise_matches_torch_in_distribution():
    torch.manual_seed(0)
    config = ad.preset("pcm")
    config.noise_model = ad.IdealNoiseModel()
    config.drift_compensation = None
    conv = ad.AnalogConv2d(4, 16, 3, padding=1, rpu_config=config).eval()
    conv.drift_analog_weights(1.0, seed=1)
    x = torch.rand(8, 4, 16, 16)
    with torch.no_grad():
        config_free = ad.preset("ideal")
        exact = ad.AnalogConv2d(4, 16, 3, padding=1, rpu_config=config_free).eval()
        exact.load_state_dict({"weight": conv.weight, "bias": conv.bias}, strict=False)
        ideal = exact(x)
    fast, reference = _both_paths(conv, x)
    fast_error, reference_error = (fast - ideal).flatten(), (reference - ideal).flatten()
    # 32 k outputs each: the std of the error agrees to a few percent (SE of a std ~0.4 %)
    assert fast_error.std().item() == pytest.approx(reference_error.std().item(), rel=0.05)
    assert abs(fast_error.mean().item() - reference_error.mean().item()) < 0.1 * reference_error.std().item()

"""The ``ideal`` preset must reproduce the digital model exactly (max abs diff <= 1e-5)."""

import pytest
import torch

import analog_deploy as ad
from tests.conftest import CONVOLUTION_CASES, MODEL_INPUTS


@pytest.mark.parametrize("name", list(MODEL_INPUTS))
@pytest.mark.parametrize("drifted", [False, True])
def test_ideal_preset_reproduces_digital_model(name, drifted, request):
    digital = request.getfixturevalue(name)
    analog = ad.convert_to_analog(digital, "ideal", seed=0).eval()
    if drifted:  # the ideal device model keeps conductances exact at every time
        ad.drift_analog_weights(analog, 365 * 86400.0, seed=1)
    x = torch.randn(MODEL_INPUTS[name], generator=torch.Generator().manual_seed(2))
    with torch.no_grad():
        assert (analog(x) - digital(x)).abs().max().item() <= 1e-5


@pytest.mark.filterwarnings("ignore:Using padding='same' with even kernel lengths")
@pytest.mark.parametrize(
    "dims, conv_kwargs",
    CONVOLUTION_CASES,
)
def test_every_convolution_argument_matches_torch(dims, conv_kwargs):
    torch.manual_seed(0)
    kwargs = {"kernel_size": 3, **conv_kwargs}
    digital = {1: torch.nn.Conv1d, 2: torch.nn.Conv2d, 3: torch.nn.Conv3d}[dims](4, 8, **kwargs)
    analog = ad.convert_to_analog(digital, "ideal")
    x = torch.randn(2, 4, *([9] * dims))
    with torch.no_grad():
        assert analog(x).shape == digital(x).shape
        assert (analog(x) - digital(x)).abs().max().item() <= 1e-5


def test_unbatched_conv_input_matches_torch():
    torch.manual_seed(0)
    digital = torch.nn.Conv2d(3, 5, 3, padding=1)
    analog = ad.convert_to_analog(digital, "ideal")
    x = torch.randn(3, 7, 7)
    with torch.no_grad():
        assert (analog(x) - digital(x)).abs().max().item() <= 1e-5


def test_linear_accepts_any_leading_dimensions():
    torch.manual_seed(0)
    digital = torch.nn.Linear(6, 4)
    analog = ad.convert_to_analog(digital, "ideal")
    x = torch.randn(2, 3, 5, 6)
    with torch.no_grad():
        assert (analog(x) - digital(x)).abs().max().item() <= 1e-5

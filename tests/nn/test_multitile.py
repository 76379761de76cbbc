"""Layers split over several tiles equal the single-tile product when noise is off."""

import pytest
import torch

import analog_deploy as ad


def _quantization_free_config(max_in: int, max_out: int) -> ad.InferenceRPUConfig:
    config = ad.preset("ideal")
    config.mapping = ad.MappingParameter(max_input_size=max_in, max_output_size=max_out)
    return config


@pytest.mark.parametrize("max_in, max_out, expected_tiles", [(7, 5, 12), (50, 5, 4), (7, 64, 3)])
def test_multitile_linear_equals_single_tile(max_in, max_out, expected_tiles):
    torch.manual_seed(0)
    digital = torch.nn.Linear(20, 17)
    analog = ad.convert_to_analog(digital, _quantization_free_config(max_in, max_out))
    assert analog.analog_tile_count() == expected_tiles
    x = torch.randn(8, 20)
    with torch.no_grad():
        assert (analog(x) - digital(x)).abs().max().item() <= 1e-5


def test_multitile_grouped_conv_equals_digital():
    torch.manual_seed(0)
    digital = torch.nn.Conv2d(6, 9, 3, padding=1, groups=3)
    analog = ad.convert_to_analog(digital, _quantization_free_config(max_in=5, max_out=2))
    # per group: 3 outputs in 2 tiles of <= 2, 2 * 9 = 18 inputs in 4 tiles of <= 5
    assert analog.analog_tile_count() == 3 * 2 * 4
    x = torch.randn(2, 6, 5, 5)
    with torch.no_grad():
        assert (analog(x) - digital(x)).abs().max().item() <= 1e-5


def test_multitile_with_quantization_keeps_each_tile_separate():
    """With the DAC/ADC on, every tile does its own noise management: the result must equal
    the sum of the per-tile analog MVMs, not the analog MVM of the whole matrix."""
    torch.manual_seed(0)
    config = ad.preset("pcm")
    config.forward = ad.IOParameters(out_noise=0.0)
    config.mapping = ad.MappingParameter(max_input_size=10, max_output_size=512)
    analog = ad.AnalogLinear(20, 4, bias=False, rpu_config=config)
    x = torch.randn(5, 20)
    x[:, :10] *= 100  # the first tile's inputs are much larger than the second's
    with torch.no_grad():
        y = analog(x)
        weight = analog.weight
        expected = sum(
            ad.analog_mvm(x[:, s:e], weight[:, s:e] / weight[:, s:e].abs().max(), config.forward)
            * weight[:, s:e].abs().max()
            for s, e in [(0, 10), (10, 20)]
        )
    assert torch.allclose(y, expected, rtol=1e-5, atol=1e-5)

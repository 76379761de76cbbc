"""probe_outputs reads the tile with one-hot inputs as analog_mvm(eye(in), weight) would."""

from __future__ import annotations

import pytest
import torch
from scipy import stats

from analog_deploy.config import BoundManagementType, IOParameters, NoiseManagementType, WeightNoiseType
from analog_deploy.tiles import analog_mvm, probe_outputs


def weight(seed: int = 0, shape=(24, 40), scale: float = 1.0) -> torch.Tensor:
    return torch.randn(shape, generator=torch.Generator().manual_seed(seed)) * scale


NOISE_OFF_IOS = {
    "default": IOParameters(out_noise=0.0),
    "inp_bound_0.5_no_nm": IOParameters(out_noise=0.0, inp_bound=0.5, noise_management=NoiseManagementType.NONE),
    "inp_bound_0.5_abs_max": IOParameters(out_noise=0.0, inp_bound=0.5),
    "6bit_dac_8bit_adc": IOParameters(out_noise=0.0, inp_res=1 / 62, out_res=1 / 254),
    "no_dac": IOParameters(out_noise=0.0, inp_res=0.0),
    "bm_none": IOParameters(out_noise=0.0, bound_management=BoundManagementType.NONE),
}


@pytest.mark.parametrize("name", sorted(NOISE_OFF_IOS))
def test_probe_equals_eye_mvm_exactly_with_noise_off(name):
    io = NOISE_OFF_IOS[name]
    w = weight(1)
    assert torch.equal(probe_outputs(w, io), analog_mvm(torch.eye(40), w, io))


def test_probe_with_perfect_io_is_weight_transposed():
    w = weight(2)
    probe = probe_outputs(w, IOParameters(is_perfect=True))
    assert torch.equal(probe, w.T)
    assert torch.equal(probe, analog_mvm(torch.eye(40), w, IOParameters(is_perfect=True)))
    probe.add_(1)  # a copy, not a view
    assert torch.equal(w, weight(2))


def test_probe_equals_eye_mvm_without_adc_to_float_rounding():
    # out_res = 0: no ADC rounding hides the different multiplication order,
    # (levels * step) * w vs (levels * w) * step: 1-2 ulp
    io = IOParameters(out_noise=0.0, out_res=0.0)
    w = weight(3)
    torch.testing.assert_close(probe_outputs(w, io), analog_mvm(torch.eye(40), w, io), rtol=2.5e-7, atol=0)


def test_probe_equals_eye_mvm_bit_exactly_without_adc():
    io = IOParameters(out_noise=0.0, out_res=0.0)
    w = weight(3)
    assert torch.equal(probe_outputs(w, io), analog_mvm(torch.eye(40), w, io))


@pytest.mark.parametrize(
    "io",
    [
        IOParameters(out_noise=0.06, out_res=0.0, out_bound=0.0),
        IOParameters(out_noise=0.06, w_noise=0.04, w_noise_type=WeightNoiseType.ADDITIVE_CONSTANT, out_res=0.0, out_bound=0.0),
    ],
    ids=["out_noise", "out_and_w_noise"],
)
def test_probe_equals_eye_mvm_in_distribution_with_noise_on(io):
    w = weight(4, shape=(50, 40))
    noise_free = probe_outputs(w, IOParameters(out_noise=0.0, out_res=0.0, out_bound=0.0))
    expected_std = (io.out_noise**2 + io.w_noise**2 * (63 * io.inp_res * 2) ** 2) ** 0.5
    probe_residuals, mvm_residuals = [], []
    for repeat in range(20):  # 20 x 2000 = 40k samples per side
        probe_residuals.append(probe_outputs(w, io, torch.Generator().manual_seed(repeat)) - noise_free)
        mvm_residuals.append(analog_mvm(torch.eye(40), w, io, torch.Generator().manual_seed(1000 + repeat)) - noise_free)
    probe_r = torch.cat(probe_residuals).double().flatten()
    mvm_r = torch.cat(mvm_residuals).double().flatten()
    # std estimate from 40k samples: SE 0.35 %; 2 % tolerance ~ 6 SE
    assert probe_r.std().item() == pytest.approx(expected_std, rel=0.02)
    assert mvm_r.std().item() == pytest.approx(expected_std, rel=0.02)
    assert stats.ks_2samp(probe_r.numpy(), mvm_r.numpy()).pvalue > 1e-3
    assert stats.kstest(probe_r.numpy() / expected_std, "norm").pvalue > 1e-3


def saturating_weight() -> torch.Tensor:
    w = weight(5, shape=(6, 10))
    w[2, 7] = 20.0  # one-hot probe e_7 reads 20 on output 2: beyond out_bound 12
    w[4, 1] = -30.0
    return w


def test_probe_falls_back_to_full_mvm_when_outputs_saturate():
    io = IOParameters(out_noise=0.0)
    w = saturating_weight()
    probe = probe_outputs(w, io)
    assert torch.equal(probe, analog_mvm(torch.eye(10), w, io))
    # bound management recovered the large weights instead of clipping them at 12: within
    # quantization at factor f (2 for 20, 4 for 30): f * (DAC half step * |w| + ADC half step)
    assert probe[7, 2].item() == pytest.approx(20.0, abs=2 * (0.5 * 2 / 126 * 20 + 0.5 * 24 / 510))
    assert probe[1, 4].item() == pytest.approx(-30.0, abs=4 * (0.5 * 2 / 126 * 30 + 0.5 * 24 / 510))


def test_probe_clips_like_eye_mvm_without_bound_management():
    io = IOParameters(out_noise=0.0, bound_management=BoundManagementType.NONE)
    w = saturating_weight()
    probe = probe_outputs(w, io)
    assert torch.equal(probe, analog_mvm(torch.eye(10), w, io))
    assert probe[7, 2].item() == pytest.approx(12.0, rel=1e-6)
    assert probe[1, 4].item() == pytest.approx(-12.0, rel=1e-6)


def test_probe_fallback_with_noise_on_matches_eye_mvm_statistics():
    io = IOParameters(out_res=0.0)
    w = saturating_weight()
    probes = torch.stack([probe_outputs(w, io, torch.Generator().manual_seed(s)) for s in range(400)])
    # the saturating entries are recovered by bound management (no clipping at 12); their
    # noise is out_noise times the bound-management factor (2 for 20, 4 for 30)
    noise_free = probe_outputs(w, IOParameters(out_noise=0.0, out_res=0.0))
    assert abs(noise_free[7, 2].item() - 20.0) < 1.0 and abs(noise_free[1, 4].item() + 30.0) < 1.0
    # mean within 5 standard errors (std 2 * 0.06, 400 samples)
    assert probes[:, 7, 2].mean().item() == pytest.approx(noise_free[7, 2].item(), abs=5 * 2 * 0.06 / 20)
    assert probes[:, 1, 4].mean().item() == pytest.approx(noise_free[1, 4].item(), abs=5 * 4 * 0.06 / 20)
    assert probes[:, 7, 2].std().item() == pytest.approx(2 * 0.06, rel=0.15)  # 400 samples: SE 3.5 %
    assert probes[:, 1, 4].std().item() == pytest.approx(4 * 0.06, rel=0.15)

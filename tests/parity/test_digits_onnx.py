"""The digits CNN in onnxruntime has the torch path's accuracy: drifted to one day, and over
the whole accuracy-versus-time curve from one time-parametric file."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats

import analog_deploy as ad
from analog_deploy import onnx as adx

REPETITIONS = 6
TIMES = {"1s": 1.0, "1h": 3600.0, "1day": 86400.0, "1month": 30 * 86400.0, "1year": 365 * 86400.0}


@pytest.fixture(scope="module")
def trained(digits_model, digits):
    """(model, test images, test labels as numpy)."""
    return digits_model, digits.x_test, digits.y_test.numpy()


def _accuracy(logits: np.ndarray, labels: np.ndarray) -> float:
    return 100.0 * float((logits.argmax(axis=1) == labels).mean())


def _same_mean(torch_values: list[float], onnx_values: list[float]) -> bool:
    """Welch's t-test: no evidence (p > 0.002) that the two means differ. Identical samples
    (possible when noise flips no prediction) agree trivially."""
    if torch_values == onnx_values:
        return True
    return stats.ttest_ind(torch_values, onnx_values, equal_var=False).pvalue > 0.002


def test_exported_at_one_day_matches_torch_accuracy(trained, tmp_path):
    model, x, labels = trained
    torch_acc, onnx_acc = [], []
    for rep in range(REPETITIONS):  # each repetition: a chip of its own, drifted to one day
        analog = ad.convert_to_analog(model, "pcm", seed=rep).eval()
        ad.program_analog_weights(analog, seed=100 + rep)
        ad.drift_analog_weights(analog, 86400.0, seed=200 + rep)
        path = adx.export(analog, x[:2], tmp_path / f"chip{rep}.onnx", seed=300 + rep)
        with torch.no_grad():
            torch_acc.append(_accuracy(analog(x).numpy(), labels))
        session = adx.session(path)
        onnx_acc.append(_accuracy(session.run(None, {session.get_inputs()[0].name: x.numpy()})[0], labels))
    assert np.mean(torch_acc) > 90.0
    assert _same_mean(torch_acc, onnx_acc), (torch_acc, onnx_acc)


def test_time_parametric_file_reproduces_the_accuracy_curve(trained, tmp_path):
    model, x, labels = trained
    analog = ad.convert_to_analog(model, "pcm", seed=0).eval()
    ad.program_analog_weights(analog, seed=1)  # one chip; repetitions draw drift, read and forward noise
    path = adx.export(analog, x[:2], tmp_path / "chip.onnx", time_parametric=True)
    sessions = [adx.session(path, seed=rep) for rep in range(REPETITIONS)]
    for label, t in TIMES.items():
        torch_acc, onnx_acc = [], []
        for rep, session in enumerate(sessions):
            ad.drift_analog_weights(analog, t, seed=10 * rep + 7)
            with torch.no_grad():
                torch_acc.append(_accuracy(analog(x).numpy(), labels))
            feed = {"x": x.numpy(), "t_inference": np.array(t, np.float32)}
            onnx_acc.append(_accuracy(session.run(None, feed)[0], labels))
        assert _same_mean(torch_acc, onnx_acc), (label, torch_acc, onnx_acc)


def test_time_parametric_drift_is_deterministic_per_time(trained, tmp_path):
    model, x, _ = trained
    config = ad.preset("pcm")
    config.forward.out_noise = 0.0  # only the drift and read noise are random
    analog = ad.convert_to_analog(model, config, seed=0).eval()
    path = adx.export(analog, x[:2], tmp_path / "chip.onnx", time_parametric=True)
    session = adx.session(path)

    def at(t: float) -> np.ndarray:
        return session.run(None, {"x": x[:64].numpy(), "t_inference": np.array(t, np.float32)})[0]

    day, year = at(86400.0), at(365 * 86400.0)
    np.testing.assert_array_equal(at(86400.0), day)  # back to a time: the same chip state
    assert not np.array_equal(day, year)

"""``evaluate``: the sweep's bookkeeping (seeds, repetitions, baseline, data forms), its errors,
and the agreement of the torch and onnxruntime backends, exact on noise-free reads of the same
chips and within statistical error with all noise on."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy import stats
from torch.utils.data import DataLoader, TensorDataset

import analog_deploy as ad
from analog_deploy import onnx as adx
from analog_deploy.evaluation import batches

TIMES = [1.0, 86400.0, 365 * 86400.0]


def _analog(model, config="pcm"):
    return ad.convert_to_analog(model, config, seed=0).eval()


def _output_sum(outputs: torch.Tensor, targets: torch.Tensor) -> float:
    """A continuous metric: any change of any output shows."""
    return float(outputs.double().sum())


def test_same_seed_same_values_other_seed_other_values(digits_model, digits):
    data = (digits.x_test, digits.y_test)
    first = ad.evaluate(_analog(digits_model), data, TIMES, 3, metric=_output_sum, seed=5, progress=False)
    again = ad.evaluate(_analog(digits_model), data, TIMES, 3, metric=_output_sum, seed=5, progress=False)
    other = ad.evaluate(_analog(digits_model), data, TIMES, 3, metric=_output_sum, seed=6, progress=False)
    assert first.values == again.values
    assert all(a != b for row_a, row_b in zip(first.values, other.values) for a, b in zip(row_a, row_b))


def test_every_repetition_is_a_new_chip(digits_model, digits):
    result = ad.evaluate(_analog(digits_model), (digits.x_test, digits.y_test), [1.0], 4, metric=_output_sum,
                         progress=False)
    assert result.repetitions == 4 and len(set(result.values[0])) == 4


def test_result_records_times_samples_metric_and_digital_baseline(digits_model, digits):
    result = ad.evaluate(_analog(digits_model), (digits.x_test, digits.y_test), TIMES, 2, progress=False)
    with torch.no_grad():
        expected = ad.top1_accuracy(digits_model.eval()(digits.x_test), digits.y_test)
    assert result.digital == pytest.approx(expected)
    assert result.t_inference == TIMES and result.samples == len(digits.y_test)
    assert result.metric == "top-1 accuracy (%)" and result.label == "torch analog"
    assert all(80.0 < v <= 100.0 for row in result.values for v in row)


def test_ideal_preset_reproduces_the_digital_accuracy_at_every_time(digits_model, digits):
    result = ad.evaluate(_analog(digits_model, "ideal"), (digits.x_test, digits.y_test), TIMES, 2, progress=False)
    assert all(v == result.digital for row in result.values for v in row)


def test_dataloader_tensors_and_generators_give_the_same_sweep(digits_model, digits):
    x, y = digits.x_test, digits.y_test
    loader = DataLoader(TensorDataset(x, y), batch_size=100)
    runs = [
        ad.evaluate(_analog(digits_model), data, [3600.0], 2, metric=_output_sum, progress=False, batch_size=100)
        for data in ((x, y), loader, ((xb, yb) for xb, yb in zip(x.split(100), y.split(100))), (x.numpy(), y.numpy()))
    ]
    for run in runs[1:]:
        np.testing.assert_allclose(run.values, runs[0].values, rtol=1e-9)


def test_batches_rejects_mismatched_and_empty_data():
    with pytest.raises(ValueError, match="5 inputs but 4 targets"):
        batches((torch.zeros(5, 2), torch.zeros(4)))
    with pytest.raises(ValueError, match="empty"):
        list(batches([]))
    with pytest.raises(ValueError, match=r"\(inputs, targets\) pair"):
        list(batches([torch.zeros(3)]))


class _CountingLoader:
    """A re-iterable dataset that counts how often it is read."""

    def __init__(self, x, y):
        self.x, self.y, self.passes = x, y, 0

    def __iter__(self):
        self.passes += 1
        return iter(zip(self.x.split(100), self.y.split(100)))


def test_a_reiterable_dataset_is_read_again_not_held(digits_model, digits):
    loader = _CountingLoader(digits.x_test, digits.y_test)
    data = batches(loader)
    assert data.source is loader  # not copied into a list
    ad.evaluate(_analog(digits_model), loader, TIMES, 2, progress=False)
    assert loader.passes >= 2 * len(TIMES)


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"backend": "tensorflow"}, "backend must be one of torch, onnxruntime"),
        ({"repetitions": 0}, "repetitions must be at least 1"),
        ({"t_inference": []}, "non-empty list of finite times"),
        ({"t_inference": [-1.0]}, "non-empty list of finite times"),
        ({"t_inference": [float("nan")]}, "non-empty list of finite times"),
    ],
)
def test_bad_arguments_are_named(digits_model, digits, kwargs, message):
    with pytest.raises(ValueError, match=message):
        ad.evaluate(_analog(digits_model), (digits.x_test, digits.y_test), **{"progress": False, **kwargs})


def test_a_digital_model_is_refused(digits_model, digits):
    with pytest.raises(ValueError, match="no analog layers: convert it first"):
        ad.evaluate(digits_model, (digits.x_test, digits.y_test), progress=False)


def test_inputs_of_the_wrong_shape_are_reported(digits_model):
    with pytest.raises(ValueError, match=r"cannot take the dataset's inputs \(shape \[4, 1, 28, 28\]\)"):
        ad.evaluate(_analog(digits_model), (torch.zeros(4, 1, 28, 28), torch.zeros(4, dtype=torch.long)),
                    progress=False)


def test_onnx_backend_runs_the_same_chips_as_torch(digits_model, digits):
    """Without read and output noise a chip's reads are deterministic: the onnxruntime backend,
    whose sessions get each chip's programmed devices, must then give torch's numbers, up to
    the rare ADC/DAC rounding flip the two GEMMs' summation orders cause (measured: 4e-4
    relative at most), far closer than any two chips are to each other."""
    config = ad.preset("pcm")
    config.forward.out_noise = 0.0
    config.noise_model.read_noise_scale = 0.0
    data = (digits.x_test[:200], digits.y_test[:200])
    runs = [ad.evaluate(_analog(digits_model, config), data, TIMES, 3, metric=_output_sum, backend=backend, seed=2,
                        progress=False) for backend in ("torch", "onnxruntime")]
    torch_values, onnx_values = np.array(runs[0].values), np.array(runs[1].values)
    backend_gap = np.abs(onnx_values - torch_values).max()
    chip_gap = min(np.abs(torch_values[:, i] - torch_values[:, j]).min() for i in range(3) for j in range(i))
    np.testing.assert_allclose(onnx_values, torch_values, rtol=2e-3)
    assert chip_gap > 20 * backend_gap, (chip_gap, backend_gap)
    assert runs[1].label == "onnxruntime analog"


def test_backends_agree_on_the_digits_sweep_within_statistical_error(digits_model, digits):
    """All noise on: per time, Welch's t-test finds no difference between the backends' mean
    accuracies (p > 0.001 at each of 5 times), and the means are within 1 point."""
    data = (digits.x_test, digits.y_test)
    runs = [ad.evaluate(_analog(digits_model), data, ad.evaluation.DEFAULT_TIMES, 10, backend=backend, seed=1,
                        progress=False) for backend in ("torch", "onnxruntime")]
    for torch_values, onnx_values in zip(runs[0].values, runs[1].values):
        if torch_values != onnx_values:
            assert stats.ttest_ind(torch_values, onnx_values, equal_var=False).pvalue > 0.001, (torch_values, onnx_values)
        assert abs(np.mean(torch_values) - np.mean(onnx_values)) < 1.0


def test_a_time_parametric_file_is_one_chip_read_with_fresh_noise(digits_model, digits, tmp_path):
    analog = _analog(digits_model)
    path = adx.export(analog, digits.x_test[:1], tmp_path / "chip.onnx", time_parametric=True)
    data = (digits.x_test[:100], digits.y_test[:100])
    result = ad.evaluate(path, data, [1.0, 86400.0], 3, metric=_output_sum, backend="onnxruntime", progress=False)
    assert result.digital is None and len(set(result.values[1])) == 3
    baseline = ad.evaluate(path, data, [1.0], 1, backend="onnxruntime", digital=digits_model, progress=False)
    assert baseline.digital is not None


def test_a_file_and_inputs_of_the_wrong_shape_are_reported(digits_model, digits, tmp_path):
    path = adx.export(_analog(digits_model), digits.x_test[:1], tmp_path / "chip.onnx", time_parametric=True)
    with pytest.raises(ValueError, match=r"expects \[batch, 1, 8, 8\], the dataset has \[4, 1, 28, 28\]"):
        ad.evaluate(path, (torch.zeros(4, 1, 28, 28), torch.zeros(4, dtype=torch.long)), backend="onnxruntime",
                    progress=False)


def test_files_go_with_the_onnxruntime_backend_only_and_must_be_time_parametric(digits_model, digits, tmp_path):
    data = (digits.x_test[:10], digits.y_test[:10])
    with pytest.raises(ValueError, match="evaluated with backend='onnxruntime'"):
        ad.evaluate(tmp_path / "chip.onnx", data, progress=False)
    fixed = adx.export(_analog(digits_model), digits.x_test[:1], tmp_path / "fixed.onnx", t_inference=60.0)
    with pytest.raises(ValueError, match="exported at a fixed time: evaluate needs a time-parametric export"):
        ad.evaluate(fixed, data, backend="onnxruntime", progress=False)
    with pytest.raises(FileNotFoundError, match="no ONNX model"):
        ad.evaluate(tmp_path / "missing.onnx", data, backend="onnxruntime", progress=False)

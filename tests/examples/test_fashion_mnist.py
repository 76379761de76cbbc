"""examples/fashion_mnist.py: trains, converts and sweeps on a small subset of Fashion-MNIST
(when Debian's package is installed), and says how to install the data when it is not."""

from __future__ import annotations

import pytest

from analog_deploy import datasets
from analog_deploy.datasets import FASHION_MNIST_DIR

REPETITIONS = 2


def test_help_exits_cleanly(load_example, capsys):
    with pytest.raises(SystemExit) as exit_info:
        load_example("fashion_mnist").main(["--help"])
    assert exit_info.value.code == 0
    assert "--train-limit" in capsys.readouterr().out


def test_missing_data_exits_with_one_line_naming_the_package(load_example, tmp_path, monkeypatch):
    absent = tmp_path / "fashion-mnist"
    monkeypatch.setattr(datasets, "FASHION_MNIST_DIR", absent)  # as if the package were not installed
    with pytest.raises(SystemExit) as exit_info:
        load_example("fashion_mnist").main(["--data", str(absent), "--out", str(tmp_path / "out")])
    message = str(exit_info.value.code)
    assert "\n" not in message and "apt-get install dataset-fashion-mnist" in message
    assert not (tmp_path / "out").exists()


@pytest.mark.skipif(
    not FASHION_MNIST_DIR.is_dir(),
    reason=f"Fashion-MNIST is not installed in {FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)",
)
def test_trains_converts_and_sweeps_a_subset(load_example, tmp_path):
    results = load_example("fashion_mnist").main([
        "--out", str(tmp_path), "--epochs", "1", "--train-limit", "3000", "--test-limit", "500",
        "--repetitions", str(REPETITIONS),
    ])
    sweep = results["sweep"]
    assert results["digital_accuracy"] >= 65.0  # 3000 images, one epoch (the full run: ~89 %)
    assert sweep.digital == pytest.approx(results["digital_accuracy"])
    assert sweep.samples == 500 and sweep.repetitions == REPETITIONS and len(sweep.t_inference) == 5
    assert sweep.mean()[0] >= results["digital_accuracy"] - 10.0
    assert sorted(path.name for path in tmp_path.iterdir()) == [
        "accuracy_vs_time.png", "fashion_cnn.pt", "sweep.csv", "sweep.json"]

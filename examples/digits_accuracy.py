"""Accuracy of a small CNN on simulated PCM hardware, over time, with and without drift
compensation.

Trains a CNN on scikit-learn's 8x8 handwritten digits (1797 real images, no download),
saves and reloads the checkpoint, converts the model to analog layers with the ``pcm``
preset and measures the test accuracy from 1 second to 1 year after programming. Every
repetition programs the weights afresh (a new chip), so the spread over repetitions is the
chip-to-chip spread.

Without compensation the accuracy falls because PCM conductances drift down (to about half
after a year), while the digital biases and BatchNorm statistics stay put; with this seed
the model is sensitive to that (other seeds lose less). Programming, read and output noise
cost well under a point.

    python examples/digits_accuracy.py               # defaults: about 15 s on 2 idle cores
    python examples/digits_accuracy.py --help
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import torch
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split
from torch import Tensor, nn

import analog_deploy

DAY = 24 * 3600.0
T_INFERENCE: dict[str, float] = {
    "1s": 1.0,
    "1h": 3600.0,
    "1day": DAY,
    "1month": 30 * DAY,
    "1year": 365 * DAY,
}
"""Times after programming at which the chip is read (label: seconds)."""

Data = tuple[Tensor, Tensor, Tensor, Tensor]


def load_data(test_size: float = 0.3, split_seed: int = 0) -> Data:
    """The digits as ``[N, 1, 8, 8]`` images in [0, 1] and labels, split train/test with
    stratification so every digit is equally represented in both halves."""
    digits = load_digits()
    images = torch.tensor(digits.images / 16.0, dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(digits.target, dtype=torch.long)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=split_seed, stratify=labels
    )
    return x_train, y_train, x_test, y_test


def build_model() -> nn.Module:
    """The CNN; a zero-argument factory so that ``analog_deploy.load_checkpoint`` can rebuild
    the architecture around a saved ``state_dict``."""
    return nn.Sequential(
        nn.Conv2d(1, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, padding=1),
        nn.BatchNorm2d(32),
        nn.ReLU(),
        nn.MaxPool2d(2),
        nn.Flatten(),
        nn.Linear(32 * 4 * 4, 64),
        nn.ReLU(),
        nn.Dropout(0.25),
        nn.Linear(64, 10),
    )


def train(
    model: nn.Module, x: Tensor, y: Tensor, epochs: int, batch_size: int, lr: float, seed: int
) -> nn.Module:
    """Plain Adam with shuffled minibatches; the seeded generator makes the shuffling (and,
    with ``torch.manual_seed`` before ``build_model``, the whole run) reproducible."""
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    generator = torch.Generator().manual_seed(seed)
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=generator).split(batch_size):
            optimizer.zero_grad()
            loss_fn(model(x[batch]), y[batch]).backward()
            optimizer.step()
    return model.eval()


@torch.no_grad()
def accuracy(model: nn.Module, x: Tensor, y: Tensor) -> float:
    """Test accuracy in percent (the model must be in eval mode)."""
    return 100.0 * (model(x).argmax(dim=1) == y).float().mean().item()


def atomic_write(path: Path, write: Callable[[Path], None]) -> None:
    """Write through a temporary file in the same directory, then rename: an interrupted run
    never leaves a truncated checkpoint or result file behind."""
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        tmp.unlink(missing_ok=True)


def evaluate_sweep(
    model: nn.Module,
    x: Tensor,
    y: Tensor,
    times: dict[str, float],
    repetitions: int,
) -> dict[str, dict[str, list[float]]]:
    """Test accuracy of the analog model at every t_inference, for every repetition, with the
    ``pcm`` preset's global drift compensation and without it.

    Repetition r programs a new chip (seed r) and drifts it to each time (seed 1000 r + index
    of the time). Both variants use the same seeds, so they see the same programming noise and
    drift: their difference is the compensation alone.
    """
    uncompensated = analog_deploy.preset("pcm")
    uncompensated.drift_compensation = None
    variants = {
        "compensated": analog_deploy.convert_to_analog(model, "pcm").eval(),
        "uncompensated": analog_deploy.convert_to_analog(model, uncompensated).eval(),
    }
    results: dict[str, dict[str, list[float]]] = {
        name: {label: [] for label in times} for name in variants
    }
    for name, analog in variants.items():
        for r in range(repetitions):
            analog_deploy.program_analog_weights(analog, seed=r)
            for index, (label, t) in enumerate(times.items()):
                analog_deploy.drift_analog_weights(analog, t, seed=1000 * r + index)
                results[name][label].append(accuracy(analog, x, y))
    return results


def summarize(accuracies: list[float]) -> dict[str, float]:
    """Mean and sample standard deviation over repetitions."""
    std = statistics.stdev(accuracies) if len(accuracies) > 1 else 0.0
    return {"mean": statistics.fmean(accuracies), "std": std}


def format_table(digital: float, sweep: dict[str, dict[str, list[float]]]) -> str:
    """The digital accuracy, then one row per t_inference: mean +- std over repetitions."""
    lines = [
        f"digital accuracy: {digital:.2f} %",
        "",
        f"{'t_inference':<12}{'compensated [%]':>20}{'uncompensated [%]':>22}",
    ]
    for label in sweep["compensated"]:
        cells = [summarize(sweep[name][label]) for name in ("compensated", "uncompensated")]
        lines.append(
            f"{label:<12}"
            + f"{cells[0]['mean']:>12.2f} +- {cells[0]['std']:<4.2f}"
            + f"{cells[1]['mean']:>14.2f} +- {cells[1]['std']:<4.2f}"
        )
    return "\n".join(lines)


def parse_args(argv: Sequence[str] | None) -> argparse.Namespace:
    """Command-line options; ``argv`` lets tests run ``main`` without a subprocess."""
    parser = argparse.ArgumentParser(
        description=__doc__.split("\n\n")[0], formatter_class=argparse.ArgumentDefaultsHelpFormatter
    )
    parser.add_argument("--out", type=Path, default=Path("outputs/digits"), help="output directory")
    parser.add_argument("--repetitions", type=int, default=5, help="chips programmed per time")
    parser.add_argument("--epochs", type=int, default=30, help="training epochs")
    parser.add_argument("--batch-size", type=int, default=64, help="training minibatch size")
    parser.add_argument("--lr", type=float, default=3e-3, help="Adam learning rate")
    parser.add_argument("--seed", type=int, default=0, help="seed of initialization and shuffling")
    args = parser.parse_args(argv)
    if args.repetitions < 1:
        parser.error("--repetitions must be at least 1")
    return args


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    """Train, checkpoint, reload, sweep; print the table and return what the JSON holds."""
    args = parse_args(argv)
    torch.manual_seed(args.seed)
    x_train, y_train, x_test, y_test = load_data()

    start = time.perf_counter()
    model = train(build_model(), x_train, y_train, args.epochs, args.batch_size, args.lr, args.seed)
    print(f"trained {args.epochs} epochs in {time.perf_counter() - start:.1f} s")

    checkpoint = args.out / "digits_cnn.pt"
    atomic_write(checkpoint, lambda tmp: torch.save(model.state_dict(), tmp))
    model = analog_deploy.load_checkpoint(checkpoint, build_model).eval()
    digital = accuracy(model, x_test, y_test)

    start = time.perf_counter()
    sweep = evaluate_sweep(model, x_test, y_test, T_INFERENCE, args.repetitions)
    sweep_seconds = time.perf_counter() - start

    print(format_table(digital, sweep))
    print(
        f"\nsweep: {len(T_INFERENCE)} times x 2 variants x {args.repetitions} repetitions "
        f"on {len(y_test)} test images in {sweep_seconds:.1f} s"
    )
    results = {
        "checkpoint": str(checkpoint),
        "settings": {key: (str(v) if isinstance(v, Path) else v) for key, v in vars(args).items()},
        "test_images": len(y_test),
        "digital_accuracy": digital,
        "t_inference_seconds": T_INFERENCE,
        "analog_accuracy": {
            name: {label: {"runs": runs, **summarize(runs)} for label, runs in rows.items()}
            for name, rows in sweep.items()
        },
        "sweep_seconds": sweep_seconds,
    }
    result_file = args.out / "results.json"
    atomic_write(result_file, lambda tmp: tmp.write_text(json.dumps(results, indent=2) + "\n"))
    print(f"wrote {checkpoint} and {result_file}")
    return results


if __name__ == "__main__":
    main()

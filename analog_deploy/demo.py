"""The embedded main job (``analog-deploy demo``): a small CNN trained on scikit-learn's real
handwritten digits, converted to PCM hardware, its accuracy swept from one second to one year
after programming in torch and in onnxruntime. Also home of the small CNN and its training loop,
which the examples and the Fashion-MNIST journey reuse."""

from __future__ import annotations

import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch
from torch import Tensor, nn

from . import datasets
from .checkpoint import CheckpointError, load_checkpoint
from .convert import convert_to_analog
from .evaluation import DEFAULT_TIMES, SweepResult, compare_table, evaluate, plot_sweep
from .files import write_atomic

CACHE_DIR = Path.home() / ".cache" / "analog-deploy" / "demo"
"""Where trained demo models are kept between runs."""


def small_cnn(image_size: int, classes: int = 10) -> nn.Module:
    """Two 3x3 convolutions with BatchNorm, a 2x2 max-pool and two linear layers: enough for
    99 % on digits and about 91 % on Fashion-MNIST, small enough to train in seconds to minutes
    on a CPU. BatchNorm and the digital biases make drift visible, as in real networks."""
    pooled = image_size // 2 if image_size <= 8 else image_size // 4
    layers: list[nn.Module] = [nn.Conv2d(1, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU()]
    if image_size > 8:
        layers.append(nn.MaxPool2d(2))  # larger images: the second convolution at half resolution
    layers += [nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), nn.MaxPool2d(2)]
    return nn.Sequential(
        *layers, nn.Flatten(), nn.Linear(32 * pooled * pooled, 64), nn.ReLU(), nn.Dropout(0.25), nn.Linear(64, classes)
    )


def digits_cnn() -> nn.Module:
    """The demo's CNN for 8x8 digits (a zero-argument factory: ``analog_deploy.demo:digits_cnn``)."""
    return small_cnn(8)


def fashion_cnn() -> nn.Module:
    """The CNN for 28x28 Fashion-MNIST images (``analog_deploy.demo:fashion_cnn``)."""
    return small_cnn(28)


def train_classifier(
    model: nn.Module, x: Tensor, y: Tensor, *, epochs: int, batch_size: int = 64, lr: float = 3e-3, seed: int = 0
) -> nn.Module:
    """Adam on shuffled minibatches (the order reproducible from ``seed``); returns the model in
    eval mode."""
    generator = torch.Generator().manual_seed(seed)
    optimizer = torch.optim.Adam(model.parameters(), lr=lr)
    loss_fn = nn.CrossEntropyLoss()
    model.train()
    for _ in range(epochs):
        for batch in torch.randperm(len(x), generator=generator).split(batch_size):
            optimizer.zero_grad()
            loss_fn(model(x[batch]), y[batch]).backward()
            optimizer.step()
    return model.eval()


def trained_digits_cnn(cache_dir: Path = CACHE_DIR, *, epochs: int = 30, seed: int = 0) -> tuple[nn.Module, Path, bool]:
    """The digits CNN trained with these settings: loaded from ``cache_dir`` when a previous run
    saved it, else trained and saved there. Returns (model, checkpoint path, whether it was
    reused). An unreadable cache file is replaced."""
    path = Path(cache_dir) / f"digits_cnn_epochs{epochs}_seed{seed}.pt"
    if path.is_file():
        try:
            return load_checkpoint(path, digits_cnn).eval(), path, True
        except CheckpointError:
            pass  # stale or corrupt: train again
    data = datasets.digits()
    torch.manual_seed(seed)  # the initial weights
    model = train_classifier(digits_cnn(), data.x_train, data.y_train, epochs=epochs, seed=seed)
    write_atomic(path, lambda temporary: torch.save(model.state_dict(), temporary))
    return model, path, False


def run_demo(
    out: Path,
    *,
    repetitions: int = 10,
    t_inference: Sequence[float] = DEFAULT_TIMES,
    seed: int = 0,
    epochs: int = 30,
    cache_dir: Path = CACHE_DIR,
    progress: bool = True,
) -> dict[str, Any]:
    """Train (or reuse) the digits CNN, convert it with the ``pcm`` preset, sweep its accuracy
    in torch and in onnxruntime over the same chips, export the time-parametric ONNX model, and
    write records and the plot to ``out``. Prints as it goes; returns what it wrote."""
    from . import onnx as analog_onnx  # torch.onnx loads slowly: only when needed

    start = time.perf_counter()
    data = datasets.digits()
    model, checkpoint, reused = trained_digits_cnn(cache_dir, epochs=epochs, seed=seed)
    print(f"digits CNN: {'reused' if reused else 'trained and saved'} {checkpoint}")
    analog = convert_to_analog(model, "pcm", seed=seed).eval()
    test = (data.x_test, data.y_test)
    sweeps: list[SweepResult] = []
    for backend in ("torch", "onnxruntime"):
        sweeps.append(evaluate(analog, test, t_inference, repetitions, backend=backend, seed=seed, progress=progress))
    onnx_path = analog_onnx.export(analog, data.x_test[:1], Path(out) / "digits_cnn_pcm.onnx", time_parametric=True)
    written = [onnx_path]
    for sweep in sweeps:
        written += sweep.save(Path(out) / f"sweep_{sweep.settings['backend']}")
    plot = plot_sweep(sweeps, Path(out) / "accuracy_vs_time.png",
                      title="Digits CNN on PCM (pcm preset): accuracy after programming")
    written.append(plot)
    print(f"\n{len(data.y_test)} test digits, {repetitions} chips per time (mean +- std over chips):\n")
    print(compare_table(sweeps))
    print(f"\nwrote {', '.join(str(path) for path in written)}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return {"sweeps": sweeps, "files": written, "checkpoint": checkpoint}

"""``evaluate``: how well an analog model does at each time after programming, over many chips.

A repetition is one chip: the tiles programmed anew (its own programming noise and drift
exponents), then read at every time (drift, read noise, compensation) and run over the data
(output noise). Two backends run the same chips: ``torch`` (the analog layers) and
``onnxruntime`` (a time-parametric export whose programmed devices are swapped per chip, so
one export serves the whole sweep)."""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable, Iterable, Iterator, Sequence
from pathlib import Path
from typing import Any, Union

import numpy as np
import torch
from torch import Tensor, nn
from tqdm.auto import tqdm

from ..convert import convert_to_digital
from ..nn.model import analog_layers, drift_analog_weights, program_analog_weights
from ..seeding import derive_seed
from .result import SweepResult

Batches = Iterable[tuple[Tensor, Tensor]]
Data = Union[tuple[Any, Any], Iterable[tuple[Any, Any]]]
Metric = Callable[[Tensor, Tensor], float]

DEFAULT_TIMES = (1.0, 3600.0, 86400.0, 30 * 86400.0, 365 * 86400.0)
"""1 second, 1 hour, 1 day, 1 month, 1 year."""

BACKENDS = ("torch", "onnxruntime")


def top1_accuracy(outputs: Tensor, targets: Tensor) -> float:
    """Percent of examples whose largest output is the target class."""
    return 100.0 * (outputs.argmax(dim=1) == targets).double().mean().item()


class _Batches:
    """A re-iterable view of a dataset as ``(inputs, targets)`` tensor batches, read lazily on
    every pass (a DataLoader over a large validation set is never held in memory whole)."""

    def __init__(self, source: Iterable[Any]) -> None:
        self.source = source

    def __iter__(self) -> Iterator[tuple[Tensor, Tensor]]:
        empty = True
        for item in self.source:
            if not (isinstance(item, (tuple, list)) and len(item) >= 2):
                raise ValueError("each batch of the dataset must be an (inputs, targets) pair")
            empty = False
            yield torch.as_tensor(item[0]).float(), torch.as_tensor(item[1])
        if empty:
            raise ValueError("the dataset is empty")


def batches(data: Data, batch_size: int = 256) -> Iterable[tuple[Tensor, Tensor]]:
    """``data`` as a re-iterable of ``(inputs, targets)`` tensor batches: a pair of tensors or
    arrays is cut into batches (views, no copy); a re-iterable (a DataLoader, a list) is read
    again on every pass; a one-shot iterator (a generator) is read once and kept, since every
    (time, chip) reads the data again."""
    if isinstance(data, tuple) and len(data) == 2 and not isinstance(data[0], tuple):
        x, y = (torch.as_tensor(v) for v in data)
        if len(x) != len(y):
            raise ValueError(f"the dataset has {len(x)} inputs but {len(y)} targets")
        return _Batches(list(zip(x.split(batch_size), y.split(batch_size))))
    return _Batches(list(data) if iter(data) is data else data)


class _TorchChips:
    """Chips simulated by the analog layers of the model itself."""

    label = "torch analog"

    def __init__(self, model: nn.Module) -> None:
        if not any(True for _ in analog_layers(model)):
            raise ValueError("the model has no analog layers: convert it first (analog_deploy.convert_to_analog)")
        self.model = model.eval()
        self.seed = 0

    def program(self, seed: int) -> None:
        self.seed = seed
        program_analog_weights(self.model, seed=seed)

    @torch.no_grad()
    def outputs(self, t_inference: float, data: Batches) -> Tensor:
        drift_analog_weights(self.model, t_inference, seed=derive_seed(self.seed, repr(t_inference)))
        return torch.cat([self.model(x) for x, _ in data])


class _OnnxChips:
    """Chips run by onnxruntime from one time-parametric ONNX model. Given a torch model, each
    chip is programmed in torch and its devices override the export's initializers; given an
    exported file, the file is the only chip (repetitions then differ in read and output noise
    alone)."""

    label = "onnxruntime analog"

    def __init__(self, source: nn.Module | str | os.PathLike[str], example: Tensor, threads: int | None) -> None:
        import onnx

        from .. import onnx as analog_onnx  # torch.onnx loads slowly: only for this backend

        self.threads = threads
        self.model = source if isinstance(source, nn.Module) else None
        if self.model is not None:
            _TorchChips(self.model)  # the same checks
            with tempfile.TemporaryDirectory() as folder:
                path = analog_onnx.export(self.model.eval(), example[:1], Path(folder) / "model.onnx", time_parametric=True)
                self.proto = path.read_bytes()
        else:
            path = Path(source)
            if not path.is_file():
                raise FileNotFoundError(f"no ONNX model at {path}")
            self.proto = path.read_bytes()
        self.graph = onnx.load_from_string(self.proto)
        self.session = analog_onnx.session(self.proto, threads=threads)
        names = [value.name for value in self.session.get_inputs()]
        if "t_inference" not in names:
            raise ValueError(f"{source} was exported at a fixed time: evaluate needs a time-parametric export "
                             "(analog_deploy.onnx.export(..., time_parametric=True) or `analog-deploy export --time-parametric`)")
        self.input = names[0]
        expected = self.session.get_inputs()[0].shape[1:]
        fits = len(expected) == example.dim() - 1 and all(
            not isinstance(size, int) or size == actual for size, actual in zip(expected, example.shape[1:]))
        if not fits:
            raise ValueError(f"the model cannot take the dataset's inputs: it expects [batch, "
                             f"{', '.join(map(str, expected))}], the dataset has {list(example.shape)}")
        self.overrides: list[Any] = []

    def program(self, seed: int) -> None:
        import onnxruntime as ort

        from .. import onnx as analog_onnx
        from ..onnx.export import programmed_initializers

        options = ort.SessionOptions()
        self.overrides = []
        if self.model is not None:
            program_analog_weights(self.model, seed=seed)
            for name, tensor in programmed_initializers(self.model, self.graph).items():
                value = ort.OrtValue.ortvalue_from_numpy(np.ascontiguousarray(tensor.numpy()))
                self.overrides.append(value)  # onnxruntime keeps a pointer: the value must outlive the session
                options.add_initializer(name, value)
        self.session = analog_onnx.session(self.proto, seed=seed, threads=self.threads, options=options)

    def outputs(self, t_inference: float, data: Batches) -> Tensor:
        t = np.array(t_inference, np.float32)
        return torch.cat([
            torch.from_numpy(self.session.run(None, {self.input: x.numpy(), "t_inference": t})[0]) for x, _ in data
        ])


def _check_times(t_inference: Sequence[float]) -> list[float]:
    times = [float(t) for t in t_inference]
    if not times or any(not (math.isfinite(t) and t >= 0) for t in times):
        raise ValueError(f"t_inference must be a non-empty list of finite times >= 0 (seconds), got {t_inference!r}")
    return times


@torch.no_grad()
def _digital_value(digital: nn.Module, data: Batches, metric: Metric) -> float:
    digital.eval()
    outputs = torch.cat([digital(x) for x, _ in data])
    return float(metric(outputs, torch.cat([y for _, y in data])))


def evaluate(
    model: nn.Module | str | os.PathLike[str],
    data: Data,
    t_inference: Sequence[float] = DEFAULT_TIMES,
    repetitions: int = 10,
    *,
    metric: Metric = top1_accuracy,
    metric_name: str | None = None,
    backend: str = "torch",
    seed: int = 0,
    batch_size: int = 256,
    digital: nn.Module | None = None,
    threads: int | None = None,
    progress: bool = True,
    label: str | None = None,
) -> SweepResult:
    """Sweep ``t_inference`` x ``repetitions`` chips and measure ``metric`` on ``data``.

    Args:
        model: an analog model (see ``convert_to_analog``; it is re-programmed and left in eval
            mode, holding the last chip), or, for the ``onnxruntime`` backend, the path of a
            time-parametric ONNX export (one chip: its programming is fixed in the file).
        data: ``(inputs, targets)`` tensors or arrays, or an iterable of such batches (e.g. a
            DataLoader).
        t_inference: times after programming, in seconds.
        repetitions: chips; chip ``r`` is programmed with seed ``derive_seed(seed, r)``, so the
            two backends see the same programmed devices.
        metric: ``metric(outputs, targets) -> float`` over the whole dataset.
        metric_name: the metric's name in tables and plots (default: top-1 accuracy (%) or the
            function's name).
        backend: ``"torch"`` or ``"onnxruntime"``.
        seed: the sweep's seed; the same seed gives the same numbers.
        batch_size: batch size when ``data`` is a pair of tensors.
        digital: the digital model for the baseline; default: ``model`` converted back to
            digital (no baseline for an ONNX file).
        threads: onnxruntime's intra-op threads (default: its choice).
        progress: show a progress bar (tqdm) over the (chip, time) reads.
        label: the curve's name (default: the backend's).
    """
    if backend not in BACKENDS:
        raise ValueError(f"backend must be one of {', '.join(BACKENDS)}, got {backend!r}")
    if repetitions < 1:
        raise ValueError(f"repetitions must be at least 1, got {repetitions}")
    times = _check_times(t_inference)
    data = batches(data, batch_size)
    first = next(iter(data))[0]
    targets = torch.cat([y for _, y in data])
    if not isinstance(model, nn.Module):
        if backend != "onnxruntime":
            raise ValueError("an ONNX model file is evaluated with backend='onnxruntime'")
    elif digital is None:
        digital = convert_to_digital(model)
    baseline = None
    if digital is not None:
        try:
            baseline = _digital_value(digital, data, metric)
        except RuntimeError as error:
            raise ValueError(f"the model cannot take the dataset's inputs (shape {list(first.shape)}): "
                             f"{str(error).splitlines()[0]}") from None
    chips = _TorchChips(model) if backend == "torch" else _OnnxChips(model, first, threads)
    values = [[0.0] * repetitions for _ in times]
    with tqdm(total=repetitions * len(times), desc=label or chips.label, unit="read", disable=not progress,
              leave=False) as bar:
        for r in range(repetitions):
            chips.program(derive_seed(seed, r))
            for i, t in enumerate(times):
                values[i][r] = float(metric(chips.outputs(t, data), targets))
                bar.update()
    name = metric_name or ("top-1 accuracy (%)" if metric is top1_accuracy else getattr(metric, "__name__", "metric"))
    return SweepResult(
        t_inference=times, values=values, metric=name, label=label or chips.label, digital=baseline,
        samples=len(targets), seed=seed, settings={"backend": backend},
    )

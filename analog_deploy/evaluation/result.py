"""The outcome of an accuracy-versus-time sweep: every repetition's value kept (so any statistic
can be recomputed later), with the mean, spread and confidence interval a paper reports."""

from __future__ import annotations

import csv
import io
import json
import math
import os
import statistics
from collections.abc import Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

from scipy import stats

from ..files import write_atomic
from ..timeunits import format_seconds

FORMAT_VERSION = 1
"""Version of the JSON layout ``SweepResult.save_json`` writes."""


@dataclass
class SweepResult:
    """Metric values of an analog model at several times after programming, one per
    repetition (an independently programmed chip).

    Attributes:
        t_inference: the times, in seconds after programming.
        values: ``values[i][r]`` is the metric at ``t_inference[i]`` for repetition ``r``.
        metric: what was measured, e.g. ``"top-1 accuracy (%)"`` (the plot's y label).
        label: the curve's name in tables and plots, e.g. ``"torch analog"``.
        digital: the digital model's metric on the same data (the baseline), if known.
        samples: the number of examples each value was measured on.
        seed: the sweep's seed (repetition ``r`` programs chip ``derive_seed(seed, r)``).
        confidence: the confidence level of ``interval``.
        settings: anything else worth keeping with the numbers (backend, config, dataset).
    """

    t_inference: list[float]
    values: list[list[float]]
    metric: str = "top-1 accuracy (%)"
    label: str = "analog"
    digital: float | None = None
    samples: int = 0
    seed: int = 0
    confidence: float = 0.95
    settings: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if len(self.values) != len(self.t_inference) or any(len(row) != len(self.values[0]) for row in self.values):
            raise ValueError("SweepResult.values needs one row per t_inference, all with the same number of repetitions")
        if not 0 < self.confidence < 1:
            raise ValueError(f"confidence must be in (0, 1), got {self.confidence}")

    @property
    def repetitions(self) -> int:
        return len(self.values[0]) if self.values else 0

    def mean(self) -> list[float]:
        return [statistics.fmean(row) for row in self.values]

    def std(self) -> list[float]:
        """Sample standard deviation over repetitions (the chip-to-chip spread); 0 for one."""
        return [statistics.stdev(row) if len(row) > 1 else 0.0 for row in self.values]

    def interval(self) -> list[tuple[float, float]]:
        """Student-t confidence interval of each mean (NaN bounds with a single repetition,
        where the spread is unknown)."""
        n = self.repetitions
        quantile = stats.t.ppf(0.5 + self.confidence / 2, n - 1) if n > 1 else math.nan
        return [(m - quantile * s / math.sqrt(n), m + quantile * s / math.sqrt(n)) for m, s in zip(self.mean(), self.std())]

    def rows(self) -> list[dict[str, Any]]:
        """One record per time: the statistics and the raw values."""
        return [
            {"t_inference": t, "time": format_seconds(t), "mean": m, "std": s, "ci_low": low, "ci_high": high,
             "values": list(row)}
            for t, row, m, s, (low, high) in zip(self.t_inference, self.values, self.mean(), self.std(), self.interval())
        ]

    def table(self) -> str:
        """The sweep as a text table (mean +- std and the confidence interval per time)."""
        level = f"{100 * self.confidence:g}% CI"
        lines = [f"{self.label}: {self.metric}, {self.repetitions} repetitions, {self.samples} samples",
                 f"{'t_inference':<12}{'mean':>9}{'std':>8}{level:>20}"]
        if self.digital is not None:
            lines.append(f"{'digital':<12}{self.digital:>9.2f}")
        for row in self.rows():
            interval = "" if math.isnan(row["ci_low"]) else f"[{row['ci_low']:.2f}, {row['ci_high']:.2f}]"
            lines.append(f"{row['time']:<12}{row['mean']:>9.2f}{row['std']:>8.2f}{interval:>20}")
        return "\n".join(lines)

    def to_dict(self) -> dict[str, Any]:
        """Plain data for JSON: the fields plus the derived statistics (NaN written as null)."""
        rows = [{key: (None if isinstance(v, float) and math.isnan(v) else v) for key, v in row.items()}
                for row in self.rows()]
        return {"format_version": FORMAT_VERSION, **asdict(self), "statistics": rows}

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> SweepResult:
        if data.get("format_version") != FORMAT_VERSION:
            raise ValueError(f"not a sweep result of format version {FORMAT_VERSION}: {data.get('format_version')!r}")
        names = {"t_inference", "values", "metric", "label", "digital", "samples", "seed", "confidence", "settings"}
        return cls(**{key: value for key, value in data.items() if key in names})

    def save_json(self, path: str | os.PathLike[str]) -> Path:
        return write_atomic(path, json.dumps(self.to_dict(), indent=2, allow_nan=False) + "\n")

    @classmethod
    def load_json(cls, path: str | os.PathLike[str]) -> SweepResult:
        return cls.from_dict(json.loads(Path(path).read_text()))

    def save(self, stem: str | os.PathLike[str]) -> list[Path]:
        """Both records: ``<stem>.json`` (the whole result) and ``<stem>.csv`` (the values)."""
        stem = Path(stem)
        return [self.save_json(stem.with_name(stem.name + ".json")), self.save_csv(stem.with_name(stem.name + ".csv"))]

    def save_csv(self, path: str | os.PathLike[str]) -> Path:
        """One line per (time, repetition), the long format spreadsheets and pandas read."""
        buffer = io.StringIO()
        writer = csv.writer(buffer, lineterminator="\n")
        writer.writerow(["label", "t_inference_s", "time", "repetition", "value", "metric"])
        for t, row in zip(self.t_inference, self.values):
            for repetition, value in enumerate(row):
                writer.writerow([self.label, repr(t), format_seconds(t), repetition, repr(value), self.metric])
        return write_atomic(path, buffer.getvalue())


def compare_table(results: Sequence[SweepResult]) -> str:
    """Sweeps side by side (e.g. two backends, or two configs): mean +- std per time, and the
    digital baseline in the first row."""
    if not results:
        raise ValueError("compare_table needs at least one SweepResult")
    times = sorted({t for result in results for t in result.t_inference})
    width = max(22, *(len(result.label) + 2 for result in results))
    lines = [f"{'t_inference':<12}" + "".join(f"{result.label:>{width}}" for result in results)]
    digital = [result.digital for result in results]
    if any(value is not None for value in digital):
        lines.append(f"{'digital':<12}" + "".join(f"{'' if v is None else f'{v:.2f}':>{width}}" for v in digital))
    for t in times:
        cells = []
        for result in results:
            if t in result.t_inference:
                i = result.t_inference.index(t)
                cells.append(f"{result.mean()[i]:.2f} +- {result.std()[i]:.2f}")
            else:
                cells.append("")
        lines.append(f"{format_seconds(t):<12}" + "".join(f"{cell:>{width}}" for cell in cells))
    return "\n".join(lines)

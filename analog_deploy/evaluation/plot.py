"""The accuracy-versus-time figure: drift acts on a logarithmic clock, so time goes on a log axis
labelled in the units people think in (hours, days, years), with the digital model as the
reference line."""

from __future__ import annotations

import io
import os
from collections.abc import Sequence
from pathlib import Path

from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from ..files import write_atomic
from ..timeunits import format_seconds
from .result import SweepResult


def plot_sweep(
    results: SweepResult | Sequence[SweepResult], path: str | os.PathLike[str], *, title: str | None = None
) -> Path:
    """Draw the mean of every sweep with its confidence interval as error bars, and the digital
    baseline, and save it as PNG (atomically). Sweeps share the axes, so backends or configs
    compare at a glance; a time of 0 is drawn at 0.1 s (a log axis has no zero)."""
    sweeps = [results] if isinstance(results, SweepResult) else list(results)
    if not sweeps:
        raise ValueError("plot_sweep needs at least one SweepResult")
    figure = Figure(figsize=(7.0, 4.5), dpi=120)
    FigureCanvasAgg(figure)
    axes = figure.add_subplot()
    times = sorted({t for sweep in sweeps for t in sweep.t_inference})
    for index, sweep in enumerate(sweeps):
        shift = 10 ** (0.03 * (index - (len(sweeps) - 1) / 2))  # side by side, so error bars stay apart
        x = [max(t, 0.1) * shift for t in sweep.t_inference]
        mean = sweep.mean()
        low, high = zip(*sweep.interval())
        errors = [[m - lo for m, lo in zip(mean, low)], [hi - m for m, hi in zip(mean, high)]]
        if sweep.repetitions < 2:
            errors = None  # no spread to show
        level = f"{100 * sweep.confidence:g}% CI" if errors else "one repetition"
        axes.errorbar(x, mean, yerr=errors, marker="o", capsize=4, linewidth=1.5,
                      label=f"{sweep.label} (mean, {level}, {sweep.repetitions} chips)")
    baselines = {sweep.digital for sweep in sweeps if sweep.digital is not None}
    for baseline in sorted(baselines):
        axes.axhline(baseline, color="black", linestyle="--", linewidth=1.0, label=f"digital ({baseline:.2f})")
    if baselines:  # keep the baseline off the frame
        low, high = axes.get_ylim()
        axes.set_ylim(low, max(high, max(baselines) + 0.05 * (high - low)))
    axes.set_xscale("log")
    axes.set_xticks([max(t, 0.1) for t in times], [format_seconds(t) for t in times])
    axes.minorticks_off()
    axes.set_xlabel("time after programming, t_inference (log scale)")
    axes.set_ylabel(sweeps[0].metric)
    axes.set_title(title or f"{sweeps[0].metric} versus time after programming")
    axes.grid(True, alpha=0.3)
    axes.legend(loc="lower left", fontsize="small")
    figure.tight_layout()
    buffer = io.BytesIO()
    figure.savefig(buffer, format="png")
    return write_atomic(path, buffer.getvalue())

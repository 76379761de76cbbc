"""Accuracy versus time after programming: Monte-Carlo sweeps over chips, their records
(JSON, CSV) and the plot."""

from .plot import plot_sweep
from .result import SweepResult, compare_table
from .sweep import BACKENDS, DEFAULT_TIMES, batches, evaluate, top1_accuracy

__all__ = ["BACKENDS", "DEFAULT_TIMES", "SweepResult", "batches", "compare_table", "evaluate", "plot_sweep", "top1_accuracy"]

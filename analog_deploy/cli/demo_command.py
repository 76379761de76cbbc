"""``analog-deploy demo``: the embedded main job (see ``analog_deploy.demo``)."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..demo import CACHE_DIR, run_demo
from ..evaluation import DEFAULT_TIMES


def add_parser(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "demo",
        help="train a digits CNN, convert it to PCM, sweep accuracy vs time in torch and onnxruntime",
        description=(
            "The whole journey on scikit-learn's handwritten digits, no download: train (or reuse a cached) small "
            "CNN, convert it with the pcm preset, evaluate it at 1 s, 1 h, 1 day, 1 month and 1 year after "
            "programming over many chips in torch and in onnxruntime, export the time-parametric ONNX model, and "
            "write the table records and the plot to --out."
        ),
    )
    parser.add_argument("--out", type=Path, default=Path("outputs/demo"), help="output folder (default outputs/demo)")
    parser.add_argument("--repetitions", type=int, default=10, help="chips per time (default 10)")
    parser.add_argument("--seed", type=int, default=0, help="seed of training and of the sweep (default 0)")
    parser.add_argument("--epochs", type=int, default=30, help="training epochs of the CNN (default 30)")
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR,
                        help=f"where the trained model is kept between runs (default {CACHE_DIR})")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bars")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    if args.repetitions < 1 or args.epochs < 1:
        raise ValueError(f"--repetitions and --epochs must be at least 1, got {args.repetitions} and {args.epochs}")
    run_demo(args.out, repetitions=args.repetitions, t_inference=DEFAULT_TIMES, seed=args.seed,
             epochs=args.epochs, cache_dir=args.cache_dir, progress=not args.no_progress)

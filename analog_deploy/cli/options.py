"""Arguments several subcommands share, and their parsing."""

from __future__ import annotations

import argparse
from pathlib import Path

from ..config import InferenceRPUConfig, PRESETS, config_from_json, preset

_UNITS = {"s": 1.0, "m": 60.0, "h": 3600.0, "d": 86400.0, "w": 7 * 86400.0, "y": 365 * 86400.0}


def seconds(text: str) -> float:
    """A time: seconds, or a number with a unit s, m, h, d, w, y (``1d`` = 86400)."""
    unit = _UNITS.get(text[-1:].lower()) if text else None
    number = text[:-1] if unit else text
    try:
        value = float(number) * (unit or 1.0)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a time (seconds, or e.g. 3600, 1h, 1d, 1y)") from None
    if not value >= 0:
        raise argparse.ArgumentTypeError(f"time {text!r} must be >= 0")
    return value


def shape(text: str) -> tuple[int, ...]:
    """``1,3,32,32`` -> (1, 3, 32, 32)."""
    try:
        dims = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape like 1,3,32,32") from None
    if not dims or any(d < 1 for d in dims):
        raise argparse.ArgumentTypeError(f"shape {text!r} needs positive sizes")
    return dims


def add_model(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, metavar="PACKAGE.MODULE:FACTORY",
                        help="zero-argument function that builds the (digital) architecture")
    parser.add_argument("--trusted", action="store_true",
                        help="the checkpoint file is trusted: allow pickled objects (torch.load weights_only=False)")


def add_config(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", default="pcm", metavar="PRESET|FILE.json",
                        help=f"rpu config for digital checkpoints: a preset ({', '.join(sorted(PRESETS))}) "
                             "or a JSON file (default pcm)")


def config(args: argparse.Namespace) -> InferenceRPUConfig:
    """The rpu config named by ``--config``: a preset or a JSON file."""
    if args.config in PRESETS:
        return preset(args.config)
    path = Path(args.config)
    if not path.is_file():
        raise ValueError(f"--config {args.config!r} is neither a preset ({', '.join(sorted(PRESETS))}) nor a file")
    return config_from_json(path.read_text())

"""Arguments several subcommands share, and their parsing."""

from __future__ import annotations

import argparse
from collections.abc import Callable
from pathlib import Path

from torch import nn

from .. import checkpoint
from ..config import InferenceRPUConfig, PRESETS, config_from_json, preset
from ..convert import convert_to_analog
from ..nn.model import program_analog_weights
from ..timeunits import parse_seconds


def seconds(text: str) -> float:
    """A time for argparse: seconds, or a number with a unit (``1h``, ``1d``, ``1y``)."""
    try:
        return parse_seconds(text)
    except ValueError as error:
        raise argparse.ArgumentTypeError(str(error)) from None


def shape(text: str) -> tuple[int, ...]:
    """``1,3,32,32`` -> (1, 3, 32, 32)."""
    try:
        dims = tuple(int(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a shape like 1,3,32,32") from None
    if not dims or any(d < 1 for d in dims):
        raise argparse.ArgumentTypeError(f"shape {text!r} needs positive sizes")
    return dims


def add_model(parser: argparse.ArgumentParser, required: bool = True) -> None:
    parser.add_argument("--model", required=required, metavar="PACKAGE.MODULE:FACTORY|FILE",
                        help="the (digital) architecture: a zero-argument function that builds it, or a file "
                             "holding a whole pickled module (torch.save(model); needs --trusted)")
    parser.add_argument("--trusted", action="store_true",
                        help="the files are trusted: allow pickled objects (torch.load weights_only=False); "
                             "loading a pickle can run code")


def architecture(args: argparse.Namespace) -> Callable[[], nn.Module]:
    """What ``--model`` names, as a factory of fresh digital models."""
    if not Path(args.model).is_file():
        return checkpoint.load_factory(args.model)
    if not args.trusted:
        raise ValueError(f"--model {args.model} is a file, a pickled module: loading it can run code; add --trusted "
                         "if you trust it, or name a factory package.module:function")
    return lambda: checkpoint.load_module_file(args.model)


def analog_model(args: argparse.Namespace) -> nn.Module:
    """The analog model of ``args.checkpoint`` in eval mode: an analog checkpoint as saved (its
    chip included), or a digital state_dict converted with ``--config`` and programmed with
    ``--seed``."""
    state = checkpoint.load_state_dict_file(args.checkpoint, trusted=args.trusted)
    if checkpoint.analog_layer_names(state):
        return checkpoint.load_analog_checkpoint(args.checkpoint, architecture(args), trusted=args.trusted)
    digital = checkpoint.load_checkpoint(args.checkpoint, architecture(args), trusted=args.trusted)
    model = convert_to_analog(digital, config(args), seed=args.seed).eval()
    program_analog_weights(model, seed=args.seed)
    return model


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
    try:
        return config_from_json(path.read_text())
    except ValueError as error:
        raise ValueError(f"--config {args.config}: {error}") from None

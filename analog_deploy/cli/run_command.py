"""``analog-deploy run``: an exported model in onnxruntime with our ops, on inputs from a file."""

from __future__ import annotations

import argparse
import io
from pathlib import Path

import numpy as np

from ..files import write_atomic
from . import options


def add_parser(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "run",
        help="run an exported model in onnxruntime",
        description="Run an exported model in onnxruntime with the analog ops registered.",
    )
    parser.add_argument("model", type=Path, help="the .onnx file")
    parser.add_argument("--input", type=Path, required=True, help=".npy file with the input batch (float32)")
    parser.add_argument("--t-inference", type=options.seconds, metavar="SECONDS",
                        help="time after programming, for time-parametric models (e.g. 3600 or 1h)")
    parser.add_argument("--seed", type=int, help="noise seed (default: the one written at export)")
    parser.add_argument("--threads", type=int, help="onnxruntime intra-op threads")
    parser.add_argument("-o", "--output", type=Path, help=".npy file to write the output to")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    from .. import onnx as analog_onnx

    if not args.input.is_file():
        raise FileNotFoundError(f"no input file at {args.input}")
    x = np.load(args.input, allow_pickle=False).astype(np.float32, copy=False)
    session = analog_onnx.session(args.model, seed=args.seed, threads=args.threads)
    names = [value.name for value in session.get_inputs()]
    feed = {names[0]: x}
    if "t_inference" in names:
        if args.t_inference is None:
            raise ValueError(f"{args.model} is time-parametric: give --t-inference SECONDS")
        feed["t_inference"] = np.array(args.t_inference, np.float32)
    elif args.t_inference is not None:
        raise ValueError(f"{args.model} was exported at a fixed time: drop --t-inference (or export it with "
                         "--time-parametric)")
    expected = session.get_inputs()[0].shape
    if len(expected) != x.ndim or any(isinstance(e, int) and e != s for e, s in zip(expected, x.shape)):
        raise ValueError(f"input of shape {list(x.shape)} does not fit the model's input {expected}")
    y = session.run(None, feed)[0]
    print(f"output shape {list(y.shape)}, mean {y.mean():.6g}, std {y.std():.6g}")
    if args.output:
        write_atomic(args.output, _npy_bytes(y))
        print(f"wrote {args.output}")


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()

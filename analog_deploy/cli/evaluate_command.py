"""``analog-deploy evaluate``: accuracy versus time after programming on a dataset."""

from __future__ import annotations

import argparse
from pathlib import Path

from .. import datasets
from ..evaluation import BACKENDS, DEFAULT_TIMES, evaluate, plot_sweep
from . import options


def _times(text: str) -> list[float]:
    parts = [part for part in text.split(",") if part.strip()]
    if not parts:
        raise argparse.ArgumentTypeError("--times needs at least one time, e.g. 1s,1h,1d,1mo,1y")
    return [options.seconds(part) for part in parts]


def _normalization(text: str) -> tuple[float, float]:
    try:
        mean, std = (float(part) for part in text.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not MEAN,STD (e.g. 0.2860,0.3530)") from None
    return mean, std


def add_parser(subcommands: argparse._SubParsersAction) -> None:
    parser = subcommands.add_parser(
        "evaluate",
        help="accuracy versus t_inference on a dataset (table, JSON, CSV, plot)",
        description=(
            "Sweep the times after programming x repetitions (each a freshly programmed chip) and measure the "
            "top-1 accuracy on the test split of a dataset. MODEL is an analog checkpoint (from `convert`), a "
            "digital state_dict (converted with --config), or a time-parametric ONNX export (one chip: "
            "repetitions then vary read and output noise only)."
        ),
    )
    parser.add_argument("checkpoint", type=Path, metavar="MODEL", help="checkpoint (.pt) or time-parametric .onnx file")
    options.add_model(parser, required=False)
    options.add_config(parser)
    parser.add_argument("--dataset", required=True, metavar="digits|FOLDER|PACKAGE.MODULE:FUNCTION",
                        help="'digits' (scikit-learn, built in), a folder of IDX files (MNIST format, e.g. "
                             f"{datasets.FASHION_MNIST_DIR}), or a function returning a Dataset or (x, y)")
    parser.add_argument("--normalize", type=_normalization, metavar="MEAN,STD",
                        help="normalize inputs (after IDX images are scaled to [0, 1]) as (x - MEAN) / STD, as in training")
    parser.add_argument("--times", type=_times, default=list(DEFAULT_TIMES), metavar="T1,T2,...",
                        help=f"times after programming: seconds or with a unit s, m, h, d, w, mo, y (default 1s,1h,1d,1mo,1y)")
    parser.add_argument("--repetitions", type=int, default=10, help="chips programmed (default 10)")
    parser.add_argument("--backend", choices=BACKENDS,
                        help="torch or onnxruntime (default: torch for checkpoints, onnxruntime for .onnx)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the sweep (default 0)")
    parser.add_argument("--batch-size", type=int, default=256, help="evaluation batch size (default 256)")
    parser.add_argument("--threads", type=int, help="onnxruntime intra-op threads")
    parser.add_argument("--out", type=Path, default=Path("outputs/evaluate"),
                        help="folder for sweep_<backend>.json/.csv and accuracy_vs_time.png (default outputs/evaluate)")
    parser.add_argument("--no-progress", action="store_true", help="hide the progress bar")
    parser.set_defaults(handler=run)


def run(args: argparse.Namespace) -> None:
    if args.repetitions < 1:
        raise ValueError(f"--repetitions must be at least 1, got {args.repetitions}")
    if args.batch_size < 1:
        raise ValueError(f"--batch-size must be at least 1, got {args.batch_size}")
    is_onnx = args.checkpoint.suffix == ".onnx"
    backend = args.backend or ("onnxruntime" if is_onnx else "torch")
    if not args.checkpoint.is_file():
        raise FileNotFoundError(f"no model file at {args.checkpoint}")
    if is_onnx and backend != "onnxruntime":
        raise ValueError(f"{args.checkpoint} is an ONNX model: evaluate it with --backend onnxruntime")
    if not is_onnx and args.model is None:
        raise ValueError("give --model PACKAGE.MODULE:FACTORY, the architecture of the checkpoint")
    data = datasets.load(args.dataset, args.normalize)
    model = args.checkpoint if is_onnx else options.analog_model(args)
    result = evaluate(
        model, (data.x_test, data.y_test), args.times, args.repetitions, backend=backend, seed=args.seed,
        batch_size=args.batch_size, threads=args.threads, progress=not args.no_progress,
    )
    result.settings.update(model=str(args.checkpoint), dataset=args.dataset, normalize=args.normalize)
    files = [*result.save(args.out / f"sweep_{backend}"),
             plot_sweep(result, args.out / "accuracy_vs_time.png", title=f"{data.name}: {result.metric} versus time")]
    print(result.table())
    print(f"wrote {', '.join(str(path) for path in files)}")

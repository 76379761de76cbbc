"""Speed of exported analog models in onnxruntime, as ratios measured in one run.

    python benchmarks/onnx_speed.py            # MLP and ResNet-18, 2 threads
    python benchmarks/onnx_speed.py --quick    # fewer rounds

For each model: onnxruntime running the analog export (our ops) against onnxruntime running the
same model exported digitally, and against the torch analog path. Sessions and torch use the
same thread count; the three are timed alternately in short rounds and median ratios reported.
The analog models use the ``pcm`` preset, drifted to one day.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

import analog_deploy as ad  # noqa: E402
from analog_deploy import onnx as adx  # noqa: E402
from analog_deploy.onnx.export import save_atomic  # noqa: E402
from models import mlp, resnet18  # noqa: E402


def _seconds(function: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def _digital_session(model: nn.Module, x: torch.Tensor, folder: Path, threads: int) -> ort.InferenceSession:
    program = torch.onnx.export(
        model, (x,), dynamo=True, verbose=False, dynamic_shapes=({0: torch.export.Dim("batch")},)
    )
    path = folder / "digital.onnx"
    save_atomic(program.model_proto, path)
    return ort.InferenceSession(str(path), _options(threads), providers=["CPUExecutionProvider"])


def _options(threads: int) -> ort.SessionOptions:
    """Session options for a fair comparison: idle sessions' threads must not spin while
    another session (or torch) runs on the same cores."""
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return options


def compare(digital: nn.Module, x: torch.Tensor, rounds: int, calls: int, threads: int) -> dict[str, float]:
    digital.eval()
    analog = ad.convert_to_analog(digital, "pcm", seed=0).eval()
    with tempfile.TemporaryDirectory() as folder:
        digital_session = _digital_session(digital, x, Path(folder), threads)
        path = adx.export(analog, x, Path(folder) / "analog.onnx", t_inference=86400.0, seed=0)
        analog_session = adx.session(path, options=_options(threads))
    feed = {digital_session.get_inputs()[0].name: x.numpy()}
    analog_feed = {analog_session.get_inputs()[0].name: x.numpy()}
    runs = {
        "ort_digital": lambda: digital_session.run(None, feed),
        "ort_analog": lambda: analog_session.run(None, analog_feed),
        "torch_analog": lambda: analog(x),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    with torch.no_grad():
        for run in runs.values():  # warm-up
            run()
        for _ in range(rounds):
            for name, run in runs.items():
                times[name].append(_seconds(run, calls))
    analog_vs_digital = [a / d for a, d in zip(times["ort_analog"], times["ort_digital"])]
    analog_vs_torch = [a / t for a, t in zip(times["ort_analog"], times["torch_analog"])]
    result = {f"{name}_ms": 1e3 * statistics.median(values) for name, values in times.items()}
    result["ort_analog_vs_ort_digital"] = statistics.median(analog_vs_digital)
    result["ort_analog_vs_torch_analog"] = statistics.median(analog_vs_torch)
    return result


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime and torch threads (default 2)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    results: dict[str, object] = {"threads": args.threads, "onnxruntime": ort.__version__}
    results["mlp_784_512_512_10_batch256"] = compare(mlp(), torch.randn(256, 784), 5 if args.quick else 40, 10, args.threads)
    results["resnet18_cifar_batch32"] = compare(
        resnet18(), torch.randn(32, 3, 32, 32), 3 if args.quick else 15, 1, args.threads
    )
    print(f"threads: {args.threads}, onnxruntime {ort.__version__}")
    print(f"{'case':<30} {'ort digital':>12} {'ort analog':>11} {'torch analog':>13} {'vs digital':>11} {'vs torch':>9}")
    for name in ("mlp_784_512_512_10_batch256", "resnet18_cifar_batch32"):
        row = results[name]
        print(
            f"{name:<30} {row['ort_digital_ms']:>10.2f}ms {row['ort_analog_ms']:>9.2f}ms {row['torch_analog_ms']:>11.2f}ms "
            f"{row['ort_analog_vs_ort_digital']:>10.2f}x {row['ort_analog_vs_torch_analog']:>8.2f}x"
        )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    np.seterr(all="ignore")
    main()

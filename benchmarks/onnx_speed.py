"""Speed of exported analog models in onnxruntime, as ratios measured in one run.

    python benchmarks/onnx_speed.py            # MLP and ResNet-18, 2 threads
    python benchmarks/onnx_speed.py --quick    # fewer rounds

For each model: onnxruntime running the analog export (our ops, whose large products run on
OpenBLAS unless ANALOG_DEPLOY_OPENBLAS=none selects onnxruntime's MatMul) against onnxruntime
running the same model exported digitally, and against the torch analog path. The three are timed in turns,
round after round (so all see the same machine state), and median ratios are reported. Only
one runs at a time: each session is created for its turn and closed after it, since an idle
session's threads spin for a while and would slow whichever runs next (onnxruntime's default
spinning is kept, as a deployment would). The analog models use the ``pcm`` preset, drifted to
one day.
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
from analog_deploy.onnx.export import quiet_exporter, save_atomic  # noqa: E402
from models import mlp, resnet18  # noqa: E402


def _seconds(function: Callable[[], object], calls: int) -> float:
    start = time.perf_counter()
    for _ in range(calls):
        function()
    return (time.perf_counter() - start) / calls


def compare(digital: nn.Module, x: torch.Tensor, rounds: int, calls: int, threads: int) -> dict[str, float]:
    digital.eval()
    analog = ad.convert_to_analog(digital, "pcm", seed=0).eval()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        digital_path = _digital_file(digital, x, folder)
        analog_path = adx.export(analog, x, folder / "analog.onnx", t_inference=86400.0, seed=0)
        options = ort.SessionOptions()
        options.intra_op_num_threads = threads

        def session_runner(make: Callable[[], ort.InferenceSession]) -> Callable[[], Callable[[], object]]:
            def start() -> Callable[[], object]:
                session = make()
                feed = {session.get_inputs()[0].name: x.numpy()}
                return lambda: session.run(None, feed)

            return start

        contenders = {
            "ort_digital": session_runner(
                lambda: ort.InferenceSession(str(digital_path), options, providers=["CPUExecutionProvider"])
            ),
            "ort_analog": session_runner(lambda: adx.session(analog_path, threads=threads)),
            "torch_analog": lambda: lambda: analog(x),
        }
        times: dict[str, list[float]] = {name: [] for name in contenders}
        with torch.no_grad():
            for _ in range(rounds):
                for name, start in contenders.items():
                    run = start()
                    for _ in range(3):  # warm-up
                        run()
                    times[name].append(_seconds(run, calls))
                    del run  # closes the session and its threads
    result = {f"{name}_ms": 1e3 * statistics.median(values) for name, values in times.items()}
    for other in ("ort_digital", "torch_analog"):
        ratios = [a / b for a, b in zip(times["ort_analog"], times[other])]
        result[f"ort_analog_vs_{other}"] = statistics.median(ratios)
    return result


def _digital_file(model: nn.Module, x: torch.Tensor, folder: Path) -> Path:
    with quiet_exporter():
        program = torch.onnx.export(
            model, (x,), dynamo=True, verbose=False, dynamic_shapes=({0: torch.export.Dim("batch")},)
        )
    path = folder / "digital.onnx"
    save_atomic(program.model_proto, path)
    return path


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="onnxruntime and torch threads (default 2)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    results: dict[str, object] = {
        "threads": args.threads,
        "onnxruntime": ort.__version__,
        "gemm": adx.openblas_library() or "onnxruntime MatMul",
    }
    results["mlp_784_512_512_10_batch256"] = compare(mlp(), torch.randn(256, 784), 4 if args.quick else 20, 20, args.threads)
    results["resnet18_cifar_batch32"] = compare(
        resnet18(), torch.randn(32, 3, 32, 32), 2 if args.quick else 8, 2, args.threads
    )
    print(f"threads: {args.threads}, onnxruntime {ort.__version__}, the analog ops' GEMM: {results['gemm']}")
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

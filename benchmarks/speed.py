"""Speed of the analog torch path, as ratios against the digital model measured in the same run.

    python benchmarks/speed.py            # all cases, 2 threads
    python benchmarks/speed.py --quick    # fewer repetitions

Digital and analog forwards are timed alternately in many short rounds (so both see the same
machine state) and the median ratio is reported, with the ratio of the two fastest rounds ("best").
The analog models use the ``pcm`` preset, programmed and drifted to
one day, under ``torch.no_grad()``.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from collections.abc import Callable
from pathlib import Path

import torch
from torch import nn

sys.path.insert(0, str(Path(__file__).resolve().parent))

import analog_deploy as ad  # noqa: E402
from analog_deploy import kernels  # noqa: E402
from models import mlp, resnet18  # noqa: E402


def _seconds(function: Callable[[], object]) -> float:
    start = time.perf_counter()
    function()
    return time.perf_counter() - start


def forward_ratio(digital: nn.Module, x: torch.Tensor, rounds: int, calls: int) -> dict[str, float]:
    """Median over rounds of (analog time / digital time), each round timing ``calls``
    forwards of both models back to back."""
    analog = ad.convert_to_analog(digital, "pcm", seed=0).eval()
    ad.drift_analog_weights(analog, 86400.0, seed=0)
    digital.eval()
    ratios, digital_times, analog_times = [], [], []
    with torch.no_grad():
        for model in (digital, analog):  # warm-up
            model(x)
        for _ in range(rounds):
            digital_time = _seconds(lambda: [digital(x) for _ in range(calls)]) / calls
            analog_time = _seconds(lambda: [analog(x) for _ in range(calls)]) / calls
            ratios.append(analog_time / digital_time)
            digital_times.append(digital_time)
            analog_times.append(analog_time)
    return {
        "digital_ms": 1e3 * statistics.median(digital_times),
        "analog_ms": 1e3 * statistics.median(analog_times),
        "ratio": statistics.median(ratios),
        # the fastest round of each: the code's cost with the least interference from other tenants
        "best_ratio": min(analog_times) / min(digital_times),
    }


def program_drift_seconds(weights: int) -> dict[str, float]:
    """Program + drift time of a stack of 2048x2048 linear layers holding ``weights`` weights,
    the first time (memory being allocated) and once more (as in Monte-Carlo repetitions)."""
    layers = max(1, round(weights / 2048**2))
    model = nn.Sequential(*[nn.Linear(2048, 2048, bias=False) for _ in range(layers)])
    analog = ad.convert_to_analog(model, "pcm", seed=0).eval()
    first = _seconds(lambda: ad.drift_analog_weights(analog, 86400.0, seed=1))
    again = _seconds(lambda: (ad.program_analog_weights(analog, seed=2), ad.drift_analog_weights(analog, 86400.0, seed=3)))
    return {"weights": layers * 2048**2, "first_s": first, "again_s": again}


def main(argv: list[str] | None = None) -> dict[str, object]:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--threads", type=int, default=2, help="torch and kernel threads (default 2)")
    parser.add_argument("--quick", action="store_true", help="fewer rounds (a smoke run)")
    parser.add_argument("--json", type=Path, help="also write the results to this JSON file")
    args = parser.parse_args(argv)
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    # Many short alternating rounds: the median ratio then shrugs off the machine's slow phases.
    results: dict[str, object] = {"threads": args.threads, "kernels": kernels.available(), "torch": torch.__version__}
    results["mlp_784_512_512_10_batch256"] = forward_ratio(mlp(), torch.randn(256, 784), 5 if args.quick else 40, 10)
    results["resnet18_cifar_batch32"] = forward_ratio(resnet18(), torch.randn(32, 3, 32, 32), 3 if args.quick else 15, 1)
    results["program_drift_25M"] = program_drift_seconds(25_000_000)
    print(f"threads: {args.threads}, C++ kernels: {results['kernels']}, torch {torch.__version__}")
    print(f"{'case':<32} {'digital':>10} {'analog':>10} {'ratio':>7} {'best':>7}")
    for name in ("mlp_784_512_512_10_batch256", "resnet18_cifar_batch32"):
        row = results[name]
        print(
            f"{name:<32} {row['digital_ms']:>8.2f}ms {row['analog_ms']:>8.2f}ms {row['ratio']:>6.2f}x "
            f"{row['best_ratio']:>6.2f}x"
        )
    pd = results["program_drift_25M"]
    print(f"program + drift of {pd['weights'] / 1e6:.1f} M weights: {pd['first_s']:.2f} s first, {pd['again_s']:.2f} s again")
    if args.json:
        args.json.write_text(json.dumps(results, indent=2))
    return results


if __name__ == "__main__":
    main()

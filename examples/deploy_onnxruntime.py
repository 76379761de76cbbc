"""Deploy the analog digits CNN to onnxruntime: one file drifted to one day, one file for every
time after programming, both run by onnxruntime with analog-deploy's C++ custom ops.

Every analog layer becomes one node of the ``ai.analog_deploy`` domain; everything else
(BatchNorm, pooling, activations) is standard ONNX. ``adx.session`` opens a file with the op
library registered (outside Python: register ``adx.custom_ops_library()`` with
``SessionOptions::RegisterCustomOpsLibrary``). The noise is the torch path's noise, drawn from
other random numbers, so the two accuracies agree within the read-to-read spread.

The digits CNN is trained once (a few seconds) and kept in ``--cache-dir``, shared with
``analog-deploy demo``. Run it (under a minute on 2 cores):

    python examples/deploy_onnxruntime.py

The same from the command line:

    analog-deploy export digits_cnn.pt --model analog_deploy.demo:digits_cnn --input-shape 1,1,8,8 \\
        --config pcm --t-inference 1d -o digits_cnn_1day.onnx        # or --time-parametric
    analog-deploy run digits_cnn_1day.onnx --input batch.npy -o logits.npy
    analog-deploy run digits_cnn_time.onnx --input batch.npy -o logits.npy --t-inference 1y
"""

from __future__ import annotations

import argparse
import statistics
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np
import torch

import analog_deploy as ad
from analog_deploy import onnx as adx
from analog_deploy.datasets import digits
from analog_deploy.demo import CACHE_DIR, trained_digits_cnn

DAY = 86400.0


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("outputs/deploy_onnxruntime"), help="output folder")
    parser.add_argument("--reads", type=int, default=10, help="reads of the one-day chip in torch and in onnxruntime")
    parser.add_argument("--repetitions", type=int, default=10, help="reads per time in the sweep of the time file")
    parser.add_argument("--epochs", type=int, default=30, help="training epochs of the digits CNN")
    parser.add_argument("--seed", type=int, default=0, help="seed of training, of the chip and of the noise")
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR, help="where the trained CNN is kept")
    args = parser.parse_args(argv)
    start = time.perf_counter()

    data = digits()
    x, y = data.x_test, data.y_test
    model, checkpoint, reused = trained_digits_cnn(args.cache_dir, epochs=args.epochs, seed=args.seed)
    print(f"digits CNN: {'reused' if reused else 'trained and saved'} {checkpoint}")
    analog = ad.convert_to_analog(model, "pcm", seed=args.seed).eval()

    # 1. One chip drifted to one day (export programs and drifts `analog` first): every read in
    #    torch and in onnxruntime draws new read-out noise from the same distributions.
    fixed = adx.export(analog, x[:1], args.out / "digits_cnn_1day.onnx", t_inference=DAY, seed=args.seed)
    session = adx.session(fixed)  # the graph's input is x, its output y
    with torch.no_grad():
        torch_reads = [ad.top1_accuracy(analog(x), y) for _ in range(args.reads)]
    onnx_reads = [ad.top1_accuracy(torch.from_numpy(session.run(None, {"x": x.numpy()})[0]), y)
                  for _ in range(args.reads)]
    print(f"\none chip one day after programming, {len(y)} test digits, top-1 accuracy (%) "
          f"over {args.reads} reads (mean +- std):")
    for name, reads in (("torch", torch_reads), (f"onnxruntime {fixed.name}", onnx_reads)):
        print(f"  {name:<40}{statistics.fmean(reads):6.2f} +- {statistics.stdev(reads) if len(reads) > 1 else 0:.2f}")

    # 2. The same chip, time-parametric: t_inference (seconds, float32) is the second input.
    timed = adx.export(analog, x[:1], args.out / "digits_cnn_time.onnx", time_parametric=True)
    session = adx.session(timed, seed=args.seed)
    logits = session.run(None, {"x": x.numpy(), "t_inference": np.array(DAY, np.float32)})[0]
    accuracy = ad.top1_accuracy(torch.from_numpy(logits), y)
    print(f"  {f'onnxruntime {timed.name}, 1 day':<40}{accuracy:6.2f}    (one read)")

    # 3. The time-parametric file swept over time (the file is one chip: repetitions differ in
    #    read and output noise only).
    sweep = ad.evaluate(timed, (x, y), repetitions=args.repetitions, backend="onnxruntime", seed=args.seed,
                        digital=model, label="onnxruntime, one chip")
    print(f"\nthe file swept with ad.evaluate(path, data, backend='onnxruntime'):\n{sweep.table()}")
    written = [fixed, timed, *sweep.save(args.out / "sweep_onnxruntime"),
               ad.plot_sweep(sweep, args.out / "accuracy_vs_time.png",
                             title="Digits CNN on PCM in onnxruntime (one chip)")]
    print(f"\nwrote {', '.join(str(path) for path in written)}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return {"torch_reads": torch_reads, "onnx_reads": onnx_reads, "sweep": sweep, "files": written}


if __name__ == "__main__":
    main()

"""Accuracy of the digits CNN on PCM hardware from one second to one year after programming,
with and without drift compensation.

PCM conductances drift down as a power law (to about half after a year), while the digital
biases and BatchNorm statistics stay put: without compensation the accuracy falls. The ``pcm``
preset's global drift compensation (a digital gain per tile, re-estimated from a probe read at
each time) recovers almost all of it. Each repetition is one chip (programming noise, drift
exponents, read and output noise of its own); both variants see the same chips, so their
difference is the compensation alone.

The digits CNN is trained once (a few seconds) and kept in ``--cache-dir``, shared with
``analog-deploy demo``. Run it (under a minute on 2 cores):

    python examples/accuracy_vs_time.py

The compensated sweep from the command line, on the cached checkpoint:

    analog-deploy evaluate ~/.cache/analog-deploy/demo/digits_cnn_epochs30_seed0.pt \
        --model analog_deploy.demo:digits_cnn --config pcm --dataset digits --repetitions 10
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import analog_deploy as ad
from analog_deploy.datasets import digits
from analog_deploy.demo import CACHE_DIR, trained_digits_cnn


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("outputs/accuracy_vs_time"), help="output folder")
    parser.add_argument("--repetitions", type=int, default=10, help="chips per time")
    parser.add_argument("--epochs", type=int, default=30, help="training epochs of the digits CNN")
    parser.add_argument("--seed", type=int, default=0, help="seed of training and of the chips")
    parser.add_argument("--cache-dir", type=Path, default=CACHE_DIR, help="where the trained CNN is kept")
    args = parser.parse_args(argv)
    start = time.perf_counter()

    data = digits()
    model, checkpoint, reused = trained_digits_cnn(args.cache_dir, epochs=args.epochs, seed=args.seed)
    print(f"digits CNN: {'reused' if reused else 'trained and saved'} {checkpoint}")

    uncompensated = ad.preset("pcm")
    uncompensated.drift_compensation = None
    test = (data.x_test, data.y_test)
    sweeps = [
        ad.evaluate(ad.convert_to_analog(model, config, seed=args.seed), test, repetitions=args.repetitions,
                    seed=args.seed, label=label)
        for label, config in (("compensated", "pcm"), ("uncompensated", uncompensated))
    ]

    print(f"\n{len(data.y_test)} test digits, {args.repetitions} chips per time, top-1 accuracy (%), "
          "mean +- std over chips:\n")
    print(ad.compare_table(sweeps))
    written = []
    for sweep in sweeps:
        written += sweep.save(args.out / sweep.label)
    written.append(ad.plot_sweep(sweeps, args.out / "accuracy_vs_time.png",
                                 title="Digits CNN on PCM: accuracy versus time after programming"))
    print(f"\nwrote {', '.join(str(path) for path in written)}")
    print(f"done in {time.perf_counter() - start:.1f} s")
    return {"sweeps": sweeps, "files": written}


if __name__ == "__main__":
    main()

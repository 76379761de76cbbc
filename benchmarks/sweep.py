"""Cost of an accuracy-versus-time sweep beyond its forwards: the digits CNN, 5 times x 10 chips
on the 540 test digits, with both backends, against the bare forwards it needs.

    python benchmarks/sweep.py

The model is trained (cached like the demo's). The "forwards only" figure is the same 50
analog forwards on an already programmed and drifted model, so the difference is what the
sweep's programming, drifting and bookkeeping add.
"""

from __future__ import annotations

import time

import torch

import analog_deploy as ad
from analog_deploy import datasets
from analog_deploy.demo import trained_digits_cnn
from analog_deploy.evaluation import DEFAULT_TIMES

REPETITIONS = 10


def main() -> None:
    torch.set_num_threads(2)
    data = datasets.digits()
    model, _, _ = trained_digits_cnn()
    analog = ad.convert_to_analog(model, "pcm", seed=0).eval()
    test = (data.x_test, data.y_test)
    ad.evaluate(analog, test, DEFAULT_TIMES, 1, progress=False)  # warm-up
    with torch.no_grad():
        start = time.perf_counter()
        for _ in range(len(DEFAULT_TIMES) * REPETITIONS):
            analog(data.x_test)
        forwards = time.perf_counter() - start
    print(f"digits CNN, {len(DEFAULT_TIMES)} times x {REPETITIONS} chips, {len(data.y_test)} test images, 2 threads")
    print(f"  forwards only (torch):  {forwards:.2f} s")
    for backend in ("torch", "onnxruntime"):
        start = time.perf_counter()
        ad.evaluate(analog, test, DEFAULT_TIMES, REPETITIONS, backend=backend, progress=False)
        print(f"  evaluate, {backend + ':':<13}{time.perf_counter() - start:.2f} s")


if __name__ == "__main__":
    main()

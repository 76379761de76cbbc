"""Fashion-MNIST on PCM hardware: train a small CNN, convert it with the ``pcm`` preset and
measure its accuracy from one second to one year after programming.

Fashion-MNIST (60000 training and 10000 test 28x28 images of clothing, 10 classes) is a harder
task than the digits: the classes are closer, so the analog noise and drift cost more
accuracy. The data comes from Debian's package (``apt-get install dataset-fashion-mnist``,
which installs it in ``/usr/share/datasets/fashion-mnist``) or any folder with the four IDX
files (``--data``); nothing is downloaded. The trained model is saved as a checkpoint, which
the command line can evaluate again without training:

    analog-deploy evaluate outputs/fashion_mnist/fashion_cnn.pt --model analog_deploy.demo:fashion_cnn \\
        --dataset /usr/share/datasets/fashion-mnist --normalize 0.2860,0.3530 --repetitions 10

Run it (under three minutes on 2 cores, half training, half the sweep; --train-limit and
--test-limit make it faster):

    python examples/fashion_mnist.py
"""

from __future__ import annotations

import argparse
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

import analog_deploy as ad
from analog_deploy.datasets import FASHION_MNIST_DIR, DatasetError, idx_folder
from analog_deploy.demo import fashion_cnn, train_classifier

NORMALIZE = (0.2860, 0.3530)
"""Mean and standard deviation of Fashion-MNIST's training pixels."""


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--data", type=Path, default=FASHION_MNIST_DIR, help="folder with the four IDX files")
    parser.add_argument("--out", type=Path, default=Path("outputs/fashion_mnist"), help="output folder")
    parser.add_argument("--epochs", type=int, default=5, help="training epochs")
    parser.add_argument("--batch-size", type=int, default=128, help="training minibatch size")
    parser.add_argument("--train-limit", type=int, metavar="N", help="train on the first N training images only")
    parser.add_argument("--test-limit", type=int, metavar="N", help="test on the first N test images only")
    parser.add_argument("--repetitions", type=int, default=10, help="chips per time")
    parser.add_argument("--seed", type=int, default=0, help="seed of training and of the chips")
    args = parser.parse_args(argv)
    start = time.perf_counter()

    try:
        data = idx_folder(args.data, normalize=NORMALIZE)
    except DatasetError as error:
        sys.exit(f"fashion_mnist.py: {error}")
    x_train, y_train = data.x_train[:args.train_limit], data.y_train[:args.train_limit]
    x_test, y_test = data.x_test[:args.test_limit], data.y_test[:args.test_limit]

    torch.manual_seed(args.seed)
    model = train_classifier(fashion_cnn(), x_train, y_train, epochs=args.epochs, batch_size=args.batch_size,
                             seed=args.seed)
    checkpoint = args.out / "fashion_cnn.pt"
    checkpoint.parent.mkdir(parents=True, exist_ok=True)
    torch.save(model.state_dict(), checkpoint)
    with torch.no_grad():
        digital = ad.top1_accuracy(torch.cat([model(batch) for batch in x_test.split(1000)]), y_test)
    trained = time.perf_counter()
    print(f"trained fashion_cnn on {len(y_train)} images for {args.epochs} epochs in {trained - start:.0f} s: "
          f"digital test accuracy {digital:.2f} % ({len(y_test)} test images)")

    analog = ad.convert_to_analog(model, "pcm", seed=args.seed)
    sweep = ad.evaluate(analog, (x_test, y_test), repetitions=args.repetitions, seed=args.seed, label="pcm")
    print(f"\naccuracy versus time after programming, swept in {time.perf_counter() - trained:.0f} s:\n")
    print(sweep.table())
    written = [checkpoint, *sweep.save(args.out / "sweep"),
               ad.plot_sweep(sweep, args.out / "accuracy_vs_time.png",
                             title="Fashion-MNIST CNN on PCM (pcm preset): accuracy versus time")]
    print(f"\nwrote {', '.join(str(path) for path in written)}")
    print(f"done in {time.perf_counter() - start:.0f} s")
    return {"digital_accuracy": digital, "sweep": sweep, "files": written}


if __name__ == "__main__":
    main()

"""Convert a pretrained checkpoint to analog PCM hardware, save the chip and load it back.

A pretrained checkpoint is a ``state_dict`` file plus the code that builds the architecture,
named as ``"package.module:function"``. Here the checkpoint is the digits CNN of
``analog_deploy.demo``, trained for a few epochs on scikit-learn's handwritten digits; yours
comes from elsewhere. The example converts it with the ``pcm`` preset, keeps the last linear
layer (the classifier, named ``11`` in this ``nn.Sequential``) digital, programs one chip,
drifts it to one day after programming and saves it. The saved ``state_dict`` holds everything:
the rpu configs, the programmed and drifted conductances, the compensation and the noise
generators, so the reloaded model gives exactly the same outputs.

The same conversion from the command line:

    analog-deploy convert outputs/convert_checkpoint/digits_cnn.pt --model analog_deploy.demo:digits_cnn \\
        --config pcm --exclude 11 --seed 0 -o digits_cnn_analog.pt
    analog-deploy info digits_cnn_analog.pt --model analog_deploy.demo:digits_cnn

Run it (a few seconds):

    python examples/convert_checkpoint.py
"""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import torch

import analog_deploy as ad
from analog_deploy.datasets import digits
from analog_deploy.demo import digits_cnn, train_classifier

FACTORY = "analog_deploy.demo:digits_cnn"
"""How the checkpoint names its architecture: a zero-argument function that builds it."""

DAY = 86400.0


def main(argv: Sequence[str] | None = None) -> dict[str, Any]:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0],
                                     formatter_class=argparse.ArgumentDefaultsHelpFormatter)
    parser.add_argument("--out", type=Path, default=Path("outputs/convert_checkpoint"), help="output folder")
    parser.add_argument("--epochs", type=int, default=10, help="training epochs of the 'pretrained' model")
    parser.add_argument("--seed", type=int, default=0, help="seed of training and of the chip")
    args = parser.parse_args(argv)
    args.out.mkdir(parents=True, exist_ok=True)
    data = digits()

    # 1. A pretrained checkpoint: a plain state_dict.
    torch.manual_seed(args.seed)
    trained = train_classifier(digits_cnn(), data.x_train, data.y_train, epochs=args.epochs, seed=args.seed)
    checkpoint = args.out / "digits_cnn.pt"
    torch.save(trained.state_dict(), checkpoint)

    # 2. Load it (weights_only=True: no code in the file runs) and convert it. Per-layer choices:
    #    exclude keeps layers digital; layer_configs={nn.Conv2d: "pcm_harsh", "8": None, ...}
    #    gives layers their own config by type, glob pattern or exact name.
    model = ad.load_checkpoint(checkpoint, FACTORY).eval()
    analog = ad.convert_to_analog(model, "pcm", exclude=["11"], seed=args.seed).eval()

    # 3. One chip: program the weights, read them one day later, save the chip.
    ad.program_analog_weights(analog, seed=args.seed)
    ad.drift_analog_weights(analog, DAY, seed=args.seed)
    analog_checkpoint = args.out / "digits_cnn_analog.pt"
    torch.save(analog.state_dict(), analog_checkpoint)

    # 4. Load it back: the architecture, with exactly the saved layers analog and their state.
    reloaded = ad.load_analog_checkpoint(analog_checkpoint, FACTORY)
    x, y = data.x_test, data.y_test
    with torch.no_grad():
        digital_out, analog_out, reloaded_out = model(x), analog(x), reloaded(x)
    identical = torch.equal(analog_out, reloaded_out)

    layers = list(ad.analog_layers(reloaded))
    tiles = sum(layer.analog_tile_count() for _, layer in layers)
    print(f"pretrained checkpoint: {checkpoint}")
    print(f"analog checkpoint:     {analog_checkpoint}\n")
    print(reloaded)
    print(f"\n{len(layers)} analog layers ({', '.join(name for name, _ in layers)}) on {tiles} tiles; "
          f"kept digital: 11 (the classifier)")
    digital_accuracy, analog_accuracy = (ad.top1_accuracy(out, y) for out in (digital_out, analog_out))
    print(f"test accuracy ({len(y)} digits): digital {digital_accuracy:.2f} %, "
          f"this chip one day after programming {analog_accuracy:.2f} %")
    print(f"reloaded chip gives identical outputs: {identical} "
          f"(largest difference {(analog_out - reloaded_out).abs().max().item():.3g})")
    return {"checkpoint": checkpoint, "analog_checkpoint": analog_checkpoint, "analog_layers": [n for n, _ in layers],
            "tiles": tiles, "digital_accuracy": digital_accuracy, "analog_accuracy": analog_accuracy,
            "identical": identical}


if __name__ == "__main__":
    main()

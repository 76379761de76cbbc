"""Model factories the CLI tests name as ``tests.helpers.tiny_models:<function>``."""

from torch import nn

MLP_FACTORY = "tests.helpers.tiny_models:mlp"
"""``mlp`` as users name a factory on the command line."""


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(8, 16), nn.ReLU(), nn.Linear(16, 3))


def cnn() -> nn.Module:
    return nn.Sequential(nn.Conv2d(1, 4, 3, padding=1), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 3))

"""Shared fixtures: small models of every kind the converter must handle, and one trained digits
CNN for the tests that need real accuracy."""

from __future__ import annotations

from pathlib import Path

import pytest
import torch
from torch import nn

from analog_deploy import datasets
from analog_deploy.demo import trained_digits_cnn

from tests.helpers.digits import EPOCHS as DIGITS_EPOCHS


class ResidualCNN(nn.Module):
    """Conv + BatchNorm + pooling + a residual add + linear head: the layer mix of real CNNs."""

    def __init__(self) -> None:
        super().__init__()
        self.stem = nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.BatchNorm2d(8), nn.ReLU())
        self.branch = nn.Sequential(
            nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(), nn.Conv2d(8, 8, 1)
        )
        self.pool = nn.MaxPool2d(2)
        self.head = nn.Sequential(nn.Flatten(), nn.Dropout(0.1), nn.Linear(8 * 4 * 4, 10))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = self.stem(x)
        x = torch.relu(x + self.branch(x))
        return self.head(self.pool(x))


def _init_batchnorm(model: nn.Module) -> nn.Module:
    """Non-trivial running statistics, so BatchNorm is not the identity in eval mode."""
    generator = torch.Generator().manual_seed(1)
    for module in model.modules():
        if isinstance(module, nn.modules.batchnorm._BatchNorm):
            module.running_mean.uniform_(-0.5, 0.5, generator=generator)
            module.running_var.uniform_(0.5, 2.0, generator=generator)
    return model


@pytest.fixture
def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(20, 32), nn.ReLU(), nn.Linear(32, 32), nn.ReLU(), nn.Linear(32, 5)).eval()


@pytest.fixture
def cnn() -> nn.Module:
    torch.manual_seed(0)
    return _init_batchnorm(ResidualCNN()).eval()


@pytest.fixture
def conv1d_model() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(
        nn.Conv1d(2, 6, 5, stride=2, padding=2), nn.ReLU(), nn.Conv1d(6, 4, 3, dilation=2, groups=2),
        nn.AdaptiveAvgPool1d(1), nn.Flatten(), nn.Linear(4, 3),
    ).eval()


@pytest.fixture
def conv3d_model() -> nn.Module:
    torch.manual_seed(0)
    return _init_batchnorm(
        nn.Sequential(
            nn.Conv3d(1, 4, 3, padding=1), nn.BatchNorm3d(4), nn.ReLU(), nn.MaxPool3d(2),
            nn.Conv3d(4, 4, (1, 3, 3), padding="same", padding_mode="replicate"), nn.Flatten(), nn.Linear(4 * 8, 2),
        )
    ).eval()


MODEL_INPUTS = {
    "mlp": (4, 20),
    "cnn": (4, 3, 8, 8),
    "conv1d_model": (4, 2, 16),
    "conv3d_model": (4, 1, 4, 4, 4),
}


CONVOLUTION_CASES = [
    (1, dict(stride=3, padding=2, dilation=2)),
    (1, dict(padding="same", padding_mode="circular")),
    (2, dict(stride=(2, 1), padding=(1, 2), dilation=(1, 2), groups=2)),
    (2, dict(padding="same", dilation=2, padding_mode="reflect", bias=False)),
    (2, dict(padding="valid", groups=4)),
    (3, dict(stride=2, padding=1, padding_mode="replicate")),
    (3, dict(kernel_size=(1, 2, 3), padding="same", groups=2)),
]
"""(dimensions, ConvNd arguments besides 4 -> 8 channels): every argument of torch's convolutions."""


@pytest.fixture(scope="session")
def digits_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A demo model cache (``trained_digits_cnn``) holding the digits CNN trained once for
    ``DIGITS_EPOCHS`` epochs: the demo and the examples reuse it instead of training 30."""
    cache = tmp_path_factory.mktemp("digits_cache")
    trained_digits_cnn(cache, epochs=DIGITS_EPOCHS, seed=0)
    return cache


@pytest.fixture(scope="session")
def digits_model(digits_cache: Path) -> nn.Module:
    return trained_digits_cnn(digits_cache, epochs=DIGITS_EPOCHS, seed=0)[0]


@pytest.fixture(scope="session")
def digits() -> datasets.Dataset:
    return datasets.digits()

"""A digits CNN trained briefly (a few seconds), shared by the evaluation tests."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from analog_deploy import datasets
from analog_deploy.demo import digits_cnn, train_classifier


@pytest.fixture(scope="session")
def digits() -> datasets.Dataset:
    return datasets.digits()


@pytest.fixture(scope="session")
def digits_model(digits: datasets.Dataset) -> nn.Module:
    torch.manual_seed(0)
    return train_classifier(digits_cnn(), digits.x_train, digits.y_train, epochs=6, seed=0)

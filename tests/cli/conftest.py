"""What the command-line tests share: a digital checkpoint of the tiny MLP."""

from __future__ import annotations

import pytest
import torch

from tests.helpers import tiny_models

@pytest.fixture
def digital_checkpoint(tmp_path):
    torch.manual_seed(0)
    path = tmp_path / "digital.pt"
    torch.save(tiny_models.mlp().state_dict(), path)
    return path

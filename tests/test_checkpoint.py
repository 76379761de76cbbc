"""Loading pretrained checkpoints safely and with clear errors."""

import sys
import textwrap

import pytest
import torch
from torch import nn

import analog_deploy as ad
from analog_deploy.checkpoint import CheckpointError


def build() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))


@pytest.fixture
def factory_module(tmp_path, monkeypatch):
    (tmp_path / "my_models.py").write_text(
        textwrap.dedent(
            """
            import torch.nn as nn
            def small():
                return nn.Sequential(nn.Linear(4, 3), nn.ReLU(), nn.Linear(3, 2))
            not_callable = 3
            """
        )
    )
    monkeypatch.syspath_prepend(str(tmp_path))
    yield "my_models"
    sys.modules.pop("my_models", None)


def test_state_dict_file_with_factory_spec(tmp_path, factory_module):
    model = build()
    torch.save(model.state_dict(), tmp_path / "ckpt.pt")
    loaded = ad.load_checkpoint(tmp_path / "ckpt.pt", f"{factory_module}:small")
    x = torch.randn(2, 4)
    assert torch.equal(loaded(x), model(x))


def test_wrapped_state_dict_is_unwrapped(tmp_path):
    model = build()
    torch.save({"state_dict": model.state_dict(), "epoch": 3}, tmp_path / "ckpt.pt")
    loaded = ad.load_checkpoint(tmp_path / "ckpt.pt", build)
    assert torch.equal(loaded[0].weight, model[0].weight)


def test_pickled_module_needs_explicit_trust(tmp_path):
    torch.save(build(), tmp_path / "full.pt")
    with pytest.raises(CheckpointError, match="trusted=True"):
        ad.load_state_dict_file(tmp_path / "full.pt")
    state = ad.load_state_dict_file(tmp_path / "full.pt", trusted=True)
    assert set(state) == set(build().state_dict())


def test_architecture_mismatch_is_a_clear_error(tmp_path):
    torch.save(nn.Linear(5, 3).state_dict(), tmp_path / "other.pt")
    with pytest.raises(CheckpointError, match="does not fit the model's architecture"):
        ad.load_checkpoint(tmp_path / "other.pt", build)


@pytest.mark.parametrize(
    "spec, message",
    [
        ("no_colon", "must look like"),
        ("does_not_exist_xyz:f", "cannot import module"),
        ("my_models:missing", "has no attribute"),
        ("my_models:not_callable", "not callable"),
    ],
)
def test_bad_factory_specs_are_clear_errors(spec, message, factory_module):
    with pytest.raises(CheckpointError, match=message):
        ad.load_factory(spec)


def test_missing_and_corrupt_files_are_clear_errors(tmp_path):
    with pytest.raises(CheckpointError, match="does not exist"):
        ad.load_state_dict_file(tmp_path / "missing.pt")
    (tmp_path / "corrupt.pt").write_bytes(b"not a checkpoint")
    with pytest.raises(CheckpointError, match="cannot be read"):
        ad.load_state_dict_file(tmp_path / "corrupt.pt")


def test_analog_checkpoint_loads_with_weights_only(tmp_path):
    analog = ad.convert_to_analog(build(), "pcm").eval()
    ad.drift_analog_weights(analog, 60.0, seed=0)
    torch.save(analog.state_dict(), tmp_path / "analog.pt")
    state = ad.load_state_dict_file(tmp_path / "analog.pt")
    restored = ad.convert_to_analog(build(), "pcm").eval()
    restored.load_state_dict(state)
    x = torch.randn(3, 4)
    with torch.no_grad():
        assert torch.equal(restored(x), analog(x))

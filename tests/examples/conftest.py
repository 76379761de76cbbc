"""What the example tests share: loading an example script as a module, and the arguments that
make the digits examples reuse the tests' briefly trained CNN."""

from __future__ import annotations

import importlib.util
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest

from tests.helpers.digits import EPOCHS as DIGITS_EPOCHS

EXAMPLES = Path(__file__).parents[2] / "examples"


def _load(name: str) -> ModuleType:
    spec = importlib.util.spec_from_file_location(f"example_{name}", EXAMPLES / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


@pytest.fixture(scope="session")
def load_example() -> Callable[[str], ModuleType]:
    """``load_example("accuracy_vs_time")``: the example script as a module (run it with ``main([...])``)."""
    return _load


@pytest.fixture(scope="session")
def digits_args(digits_cache: Path) -> list[str]:
    """Arguments that make a digits example reuse the tests' digits CNN (see tests/conftest.py)."""
    return ["--cache-dir", str(digits_cache), "--epochs", str(DIGITS_EPOCHS)]

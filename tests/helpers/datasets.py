"""Dataset factories the tests name as ``tests.helpers.datasets:<function>``."""

import gzip
from pathlib import Path

import numpy as np
import torch

from analog_deploy.datasets import Dataset


def dataset() -> Dataset:
    """A complete Dataset: 6 train and 4 test 1x2x2 images of 3 classes."""
    x = torch.arange(40, dtype=torch.float32).reshape(10, 1, 2, 2) / 40
    y = torch.tensor([0, 1, 2, 0, 1, 2, 0, 1, 2, 1])
    return Dataset("tiny", x[:6], y[:6], x[6:], y[6:])


def pair() -> tuple[np.ndarray, np.ndarray]:
    """An evaluation split only, as numpy arrays of the types a user would have at hand."""
    return np.arange(30, dtype=np.uint8).reshape(5, 1, 2, 3), np.array([0, 3, 1, 3, 2], dtype=np.int32)


def junk() -> str:
    return "not a dataset"


def images_only() -> torch.Tensor:
    return torch.zeros(4, 1, 2, 2)


def triple() -> tuple[torch.Tensor, torch.Tensor, str]:
    return torch.zeros(2, 1, 2, 2), torch.zeros(2, dtype=torch.long), "extra"


def mismatched() -> tuple[torch.Tensor, torch.Tensor]:
    """Five images but four labels."""
    return torch.zeros(5, 1, 2, 2), torch.zeros(4, dtype=torch.long)


def float_labels() -> tuple[torch.Tensor, torch.Tensor]:
    return torch.zeros(3, 1, 2, 2), torch.tensor([0.0, 1.0, 2.0])


IDX_TYPE_CODES = {np.uint8: 0x08, np.int8: 0x09, np.int16: 0x0B, np.int32: 0x0C, np.float32: 0x0D, np.float64: 0x0E}


def write_idx(path: Path, array: np.ndarray) -> Path:
    """Write ``array`` as an IDX file (gzipped if ``path`` ends in ``.gz``), as MNIST's authors did."""
    header = bytes([0, 0, IDX_TYPE_CODES[array.dtype.type], array.ndim]) + np.array(array.shape, ">u4").tobytes()
    data = header + array.astype(array.dtype.newbyteorder(">")).tobytes()
    path.write_bytes(gzip.compress(data) if path.suffix == ".gz" else data)
    return path

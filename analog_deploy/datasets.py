"""Real image data for accuracy studies, without downloads.

An accuracy-versus-time number only means something on real data, and CI machines and
air-gapped clusters cannot fetch data sets at test time. So this module reads data that is
already on the machine:

* ``digits``: scikit-learn's 1797 handwritten 8x8 digits, embedded in the scikit-learn wheel;
* ``idx_folder``: any folder in the IDX format that MNIST introduced and its successors kept,
  in particular Fashion-MNIST as Debian's ``dataset-fashion-mnist`` package installs it
  (``FASHION_MNIST_DIR``);
* ``from_factory``: your own ``"package.module:function"``, the same convention as model factories.

``load`` picks one of them from a single string, which is what the command line passes.
"""

from __future__ import annotations

import dataclasses
import gzip
import math
import zlib
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch
from torch import Tensor

from .checkpoint import load_factory

FASHION_MNIST_DIR: Path = Path("/usr/share/datasets/fashion-mnist")
"""Where Debian's ``dataset-fashion-mnist`` package puts the four gzipped IDX files."""

IDX_FILES: tuple[str, ...] = (
    "train-images-idx3-ubyte",
    "train-labels-idx1-ubyte",
    "t10k-images-idx3-ubyte",
    "t10k-labels-idx1-ubyte",
)
"""The four file names of an IDX folder, as MNIST published them (each may end in ``.gz``)."""

IDX_TYPES: dict[int, np.dtype] = {
    0x08: np.dtype(">u1"),
    0x09: np.dtype(">i1"),
    0x0B: np.dtype(">i2"),
    0x0C: np.dtype(">i4"),
    0x0D: np.dtype(">f4"),
    0x0E: np.dtype(">f8"),
}
"""IDX type code (third magic byte) -> the big-endian element type it stores."""

GZIP_MAGIC = b"\x1f\x8b"


class DatasetError(ValueError):
    """A dataset that cannot be loaded; the message names the problem and the fix."""


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images as float32 ``[N, C, H, W]`` and int64 labels ``[N]``, split into train and test.

    Equality is identity (``eq=False``): comparing tensors field by field has no single truth
    value. A factory that only supplies evaluation data leaves the train split empty.
    """

    name: str
    x_train: Tensor
    y_train: Tensor
    x_test: Tensor
    y_test: Tensor

    @property
    def classes(self) -> int:
        """Number of classes: the largest label of both splits plus one (0 if both are empty)."""
        labels = torch.cat([self.y_train, self.y_test])
        return int(labels.max()) + 1 if labels.numel() else 0


def digits(test_size: float = 0.3, split_seed: int = 0) -> Dataset:
    """scikit-learn's handwritten digits as ``[N, 1, 8, 8]`` images in [0, 1] (pixels are 0..16).

    The split is stratified, so every digit is equally represented in both halves, and it is
    the one this project's results have always used: the same tensors for the same arguments,
    so results stay comparable.
    """
    from sklearn.datasets import load_digits  # imported here: it adds 0.35 s to every CLI start
    from sklearn.model_selection import train_test_split

    data = load_digits()
    images = torch.tensor(data.images / 16.0, dtype=torch.float32).unsqueeze(1)
    labels = torch.tensor(data.target, dtype=torch.long)
    x_train, x_test, y_train, y_test = train_test_split(
        images, labels, test_size=test_size, random_state=split_seed, stratify=labels
    )
    return Dataset("digits", x_train, y_train, x_test, y_test)


def read_idx(path: str | Path) -> Tensor:
    """One IDX file, gzipped or raw (recognised by its content, not its name).

    Layout: two zero bytes, a type code, the number of dimensions, each dimension as a
    big-endian uint32, then the elements in big-endian C order. The tensor has the file's
    element type (``uint8`` for MNIST images and labels).
    """
    path = Path(path)
    if not path.is_file():
        raise DatasetError(f"IDX file {str(path)!r} does not exist")
    data = path.read_bytes()
    if data[:2] == GZIP_MAGIC:
        try:
            data = gzip.decompress(data)
        except (OSError, EOFError, zlib.error) as error:
            raise DatasetError(f"{str(path)!r} is a corrupt gzip file ({error}); download or copy it again") from None
    if len(data) < 4 or data[:2] != b"\0\0" or data[2] not in IDX_TYPES:
        raise DatasetError(
            f"{str(path)!r} is not an IDX file: it starts with {data[:4].hex(' ') or 'nothing'} instead of "
            f"00 00 <type> <ndim> with type one of {', '.join(f'{code:02x}' for code in IDX_TYPES)}"
        )
    dtype, ndim = IDX_TYPES[data[2]], data[3]
    header = 4 + 4 * ndim
    if len(data) < header:
        raise DatasetError(
            f"IDX file {str(path)!r} is truncated: its header declares {ndim} dimensions, which take "
            f"{header} bytes, found {len(data)} bytes"
        )
    shape = tuple(int(size) for size in np.frombuffer(data, dtype=">u4", count=ndim, offset=4))
    count = math.prod(shape)
    expected, found = count * dtype.itemsize, len(data) - header
    if found != expected:
        raise DatasetError(
            f"IDX file {str(path)!r} has the wrong size: shape {list(shape)} of {dtype.name} needs "
            f"{expected} data bytes after the header, found {found} bytes (truncated or damaged file)"
        )
    array = np.frombuffer(data, dtype=dtype, count=count, offset=header).reshape(shape)
    return torch.from_numpy(array.astype(dtype.newbyteorder("=")))


def idx_folder(path: str | Path, normalize: tuple[float, float] | None = None) -> Dataset:
    """A folder with MNIST's four IDX files (raw or ``.gz``), as ``[N, 1, H, W]`` float32 images.

    ``uint8`` pixels are divided by 255 into [0, 1]; other element types are taken as they are.
    ``normalize=(mean, std)`` then applies ``(x - mean) / std``, the usual per-dataset
    standardisation (Fashion-MNIST: ``(0.2860, 0.3530)``).
    """
    folder = Path(path)
    if not folder.is_dir():
        fix = (
            "install it with `apt-get install dataset-fashion-mnist`"
            if folder == FASHION_MNIST_DIR
            else "pass a folder that holds " + ", ".join(IDX_FILES)
        )
        raise DatasetError(f"dataset folder {str(folder)!r} does not exist; {fix}")
    files = {name: _idx_file(folder, name) for name in IDX_FILES}
    missing = [name for name, file in files.items() if file is None]
    if missing:
        raise DatasetError(
            f"dataset folder {str(folder)!r} lacks {', '.join(missing)} (raw or .gz); an IDX folder "
            f"needs all four of {', '.join(IDX_FILES)}"
        )
    x_train, y_train = _idx_split(files["train-images-idx3-ubyte"], files["train-labels-idx1-ubyte"])
    x_test, y_test = _idx_split(files["t10k-images-idx3-ubyte"], files["t10k-labels-idx1-ubyte"])
    return _normalized(Dataset(folder.resolve().name, x_train, y_train, x_test, y_test), normalize)


def _idx_file(folder: Path, name: str) -> Path | None:
    """``name`` or ``name.gz`` in ``folder``, the raw file first (it reads faster), or None."""
    return next((file for file in (folder / name, folder / f"{name}.gz") if file.is_file()), None)


def _idx_split(images_file: Path, labels_file: Path) -> tuple[Tensor, Tensor]:
    """Images ``[N, 1, H, W]`` float32 and labels ``[N]`` int64 of one split, checked against each other."""
    images, labels = read_idx(images_file), read_idx(labels_file)
    if images.ndim != 3:
        raise DatasetError(
            f"{str(images_file)!r} holds a {images.ndim}-D array of shape {list(images.shape)}; "
            "images must be 3-D [N, H, W]"
        )
    if labels.ndim != 1 or len(labels) != len(images):
        raise DatasetError(
            f"{str(labels_file)!r} holds labels of shape {list(labels.shape)} but {str(images_file)!r} "
            f"holds {len(images)} images; the labels must be 1-D with one per image"
        )
    pixels = images.float() / 255.0 if images.dtype == torch.uint8 else images.float()
    return pixels.unsqueeze(1), labels.long()


def from_factory(spec: str) -> Dataset:
    """The data your own ``"package.module:function"`` returns (called without arguments).

    It returns a ``Dataset``, or a pair ``(x, y)`` of tensors or numpy arrays: the evaluation
    split, taken as the test split (x as float32, y as int64) next to an empty train split.
    """
    result = load_factory(spec)()
    if isinstance(result, Dataset):
        return result
    expected = "it must return a Dataset or a pair (x, y) of tensors or numpy arrays with integer labels y"
    if not (
        isinstance(result, (tuple, list))
        and len(result) == 2
        and all(isinstance(item, (Tensor, np.ndarray)) for item in result)
    ):
        raise DatasetError(f"dataset factory {spec!r} returned {_describe(result)}; {expected}")
    x, y = (torch.as_tensor(item) for item in result)
    integer_labels = not (y.is_floating_point() or y.is_complex() or y.dtype == torch.bool)
    if x.ndim == 0 or y.ndim != 1 or len(x) != len(y) or not integer_labels:
        raise DatasetError(
            f"dataset factory {spec!r} returned x of shape {list(x.shape)} and y of shape {list(y.shape)} "
            f"and dtype {y.dtype}; {expected}, one 1-D label per sample"
        )
    x, y = x.float(), y.long()
    empty_x, empty_y = x.new_empty((0, *x.shape[1:])), y.new_empty((0,))
    return Dataset(spec, empty_x, empty_y, x, y)


def _describe(value: object) -> str:
    """A short description of what a factory returned, for error messages."""
    if isinstance(value, (Tensor, np.ndarray)):
        return f"a {type(value).__name__} of shape {list(value.shape)}"
    if isinstance(value, (tuple, list)):
        items = ", ".join(type(item).__name__ for item in value)
        return f"a {type(value).__name__} of {len(value)} items ({items})"
    return f"a {type(value).__name__}"


def load(spec: str, normalize: tuple[float, float] | None = None) -> Dataset:
    """The dataset ``spec`` names: ``"digits"``, an IDX folder or a ``"package.module:function"``.

    ``normalize=(mean, std)`` standardises the images of every kind: ``(x - mean) / std``.
    ``FASHION_MNIST_DIR`` counts as an IDX folder even when absent, so the error says how to
    install it.
    """
    if spec == "digits":
        return _normalized(digits(), normalize)
    if Path(spec).is_dir() or Path(spec) == FASHION_MNIST_DIR:
        return idx_folder(spec, normalize)
    if ":" in spec:
        return _normalized(from_factory(spec), normalize)
    raise DatasetError(f"dataset {spec!r} is not 'digits', an IDX folder or a 'package.module:function' factory")


def _normalized(dataset: Dataset, normalize: tuple[float, float] | None) -> Dataset:
    """``dataset`` with ``(x - mean) / std`` applied to both splits, or unchanged for None."""
    if normalize is None:
        return dataset
    mean, std = normalize
    if not std > 0:
        raise DatasetError(f"normalize=(mean, std) needs std > 0, got std={std!r}")
    return dataclasses.replace(
        dataset, x_train=(dataset.x_train - mean) / std, x_test=(dataset.x_test - mean) / std
    )

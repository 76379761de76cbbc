"""Datasets: scikit-learn's digits split as this project's results have always split them
(pinned), IDX files and folders (the MNIST format) read exactly and rejected with a clear
message when damaged, user factories, the dispatch of ``load``, and Fashion-MNIST from
Debian's package when installed."""

from __future__ import annotations

import hashlib
from pathlib import Path

import numpy as np
import pytest
import torch

from analog_deploy import CheckpointError, datasets
from analog_deploy.datasets import (
    FASHION_MNIST_DIR,
    Dataset,
    DatasetError,
    digits,
    from_factory,
    idx_folder,
    load,
    read_idx,
)
from tests.helpers.datasets import IDX_TYPE_CODES, write_idx

# --- digits ---------------------------------------------------------------------------------------


def test_digits_are_8x8_images_in_unit_range_split_70_30() -> None:
    data = digits()
    assert data.name == "digits"
    assert data.x_train.shape == (1257, 1, 8, 8) and data.x_test.shape == (540, 1, 8, 8)
    assert data.y_train.shape == (1257,) and data.y_test.shape == (540,)
    assert data.x_train.dtype == data.x_test.dtype == torch.float32
    assert data.y_train.dtype == data.y_test.dtype == torch.int64
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert data.classes == 10


def test_digits_split_is_stratified() -> None:
    data = digits()
    total = torch.bincount(torch.cat([data.y_train, data.y_test]), minlength=10)
    test = torch.bincount(data.y_test, minlength=10)
    assert ((test - 0.3 * total).abs() <= 1).all()


def _digest(data: Dataset) -> str:
    """SHA-256 of both splits as bytes: pixels back on scikit-learn's 0..16 scale, labels as uint8."""
    digest = hashlib.sha256()
    for tensor in (data.x_train * 16, data.y_train, data.x_test * 16, data.y_test):
        digest.update(tensor.round().to(torch.uint8).numpy().tobytes())
    return digest.hexdigest()


FIRST_TEST_DIGIT = [  # digits().x_test[0] * 16: a 1
    [0, 0, 0, 0, 11, 14, 3, 0], [0, 0, 0, 2, 16, 16, 2, 0], [0, 0, 0, 11, 16, 14, 0, 0], [0, 0, 3, 16, 16, 15, 0, 0],
    [0, 1, 13, 16, 16, 13, 0, 0], [0, 6, 16, 9, 15, 13, 0, 0], [0, 0, 0, 0, 12, 16, 1, 0], [0, 0, 0, 0, 9, 14, 1, 0],
]


@pytest.mark.parametrize(
    "test_size, split_seed, sizes, first_test_labels, test_counts, digest",
    [
        (0.3, 0, (1257, 540), [1, 4, 5, 6, 9, 1, 2, 2, 2, 0], [54, 55, 53, 55, 54, 55, 54, 54, 52, 54],
         "880520af894c56783806217f27376a2ebf51f0035053929a0efb5b8bd2085661"),
        (0.5, 3, (898, 899), [6, 8, 1, 9, 4, 3, 3, 9, 1, 3], [89, 91, 88, 92, 91, 91, 91, 89, 87, 90],
         "8e24fe9c20113c436ed2655022e4678014ba3c61f814d61431507388a42c168f"),
    ],
    ids=["default", "half-seed3"],
)
def test_digits_split_is_pinned(
    test_size: float, split_seed: int, sizes: tuple[int, int], first_test_labels: list[int], test_counts: list[int],
    digest: str,
) -> None:
    """The split every published result used (the first example's ``load_data``, which this
    function replaced): pinned so that results stay comparable across versions."""
    data = digits(test_size, split_seed)
    assert (len(data.y_train), len(data.y_test)) == sizes
    assert data.y_test[:10].tolist() == first_test_labels
    assert torch.bincount(data.y_test, minlength=10).tolist() == test_counts
    assert _digest(data) == digest


def test_first_test_digit_is_pinned() -> None:
    assert (digits().x_test[0, 0] * 16).round().int().tolist() == FIRST_TEST_DIGIT


# --- read_idx -------------------------------------------------------------------------------------


@pytest.mark.parametrize("suffix", ["", ".gz"])
@pytest.mark.parametrize("dtype", list(IDX_TYPE_CODES))
def test_read_idx_round_trips_every_type(tmp_path: Path, dtype: type, suffix: str) -> None:
    array = (np.arange(-30, 30).reshape(3, 4, 5) * 3).astype(dtype)
    tensor = read_idx(write_idx(tmp_path / f"data{suffix}", array))
    assert tensor.dtype == torch.from_numpy(array).dtype
    assert np.array_equal(tensor.numpy(), array)


def test_read_idx_reads_gzip_by_content_and_handles_1d_and_empty(tmp_path: Path) -> None:
    labels = np.array([7, 0, 255], dtype=np.uint8)
    misnamed = tmp_path / "labels"
    misnamed.write_bytes(write_idx(tmp_path / "labels.gz", labels).read_bytes())
    assert read_idx(misnamed).tolist() == [7, 0, 255]
    empty = read_idx(write_idx(tmp_path / "empty", np.zeros((0, 28, 28), dtype=np.uint8)))
    assert empty.shape == (0, 28, 28)


def test_read_idx_rejects_a_missing_file(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        read_idx(tmp_path / "nothing")


@pytest.mark.parametrize(
    "content, start",
    [(b"PK\x03\x04zip", "50 4b 03 04"), (b"\0\0\x0a\x01\0\0\0\0", "00 00 0a 01"), (b"", "nothing")],
    ids=["not-idx", "unknown-type", "empty"],
)
def test_read_idx_rejects_a_bad_magic(tmp_path: Path, content: bytes, start: str) -> None:
    path = tmp_path / "bad"
    path.write_bytes(content)
    with pytest.raises(DatasetError, match=f"is not an IDX file: it starts with {start} instead of 00 00"):
        read_idx(path)


def test_read_idx_rejects_a_truncated_header(tmp_path: Path) -> None:
    path = tmp_path / "short"
    path.write_bytes(bytes([0, 0, 0x08, 3, 0, 0, 0, 2]))
    with pytest.raises(DatasetError, match="declares 3 dimensions, which take 16 bytes, found 8 bytes"):
        read_idx(path)


def test_read_idx_rejects_a_size_mismatch_saying_expected_and_found_bytes(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "images", np.zeros((2, 3, 4), dtype=np.int16))
    path.write_bytes(path.read_bytes()[:-5])
    with pytest.raises(DatasetError, match=r"shape \[2, 3, 4\] of int16 needs 48 data bytes after the header, "
                                           r"found 43 bytes"):
        read_idx(path)


def test_read_idx_rejects_a_corrupt_gzip_file(tmp_path: Path) -> None:
    path = write_idx(tmp_path / "images.gz", np.zeros((2, 3, 4), dtype=np.uint8))
    path.write_bytes(path.read_bytes()[:-10])
    with pytest.raises(DatasetError, match="is a corrupt gzip file"):
        read_idx(path)


# --- idx_folder -----------------------------------------------------------------------------------


@pytest.fixture
def folder(tmp_path: Path) -> Path:
    """A synthetic IDX folder: 6 train and 4 test 5x7 images, the train files gzipped, the test raw."""
    root = tmp_path / "synthetic"
    root.mkdir()
    pixels = np.arange(10 * 5 * 7).reshape(10, 5, 7).astype(np.uint8)
    labels = np.array([0, 1, 2, 3, 0, 1, 2, 3, 4, 0], dtype=np.uint8)
    write_idx(root / "train-images-idx3-ubyte.gz", pixels[:6])
    write_idx(root / "train-labels-idx1-ubyte.gz", labels[:6])
    write_idx(root / "t10k-images-idx3-ubyte", pixels[6:])
    write_idx(root / "t10k-labels-idx1-ubyte", labels[6:])
    return root


def test_idx_folder_reads_images_in_unit_range_and_int64_labels(folder: Path) -> None:
    data = idx_folder(folder)
    pixels = torch.arange(10 * 5 * 7).reshape(10, 1, 5, 7).to(torch.uint8).float() / 255
    assert data.name == "synthetic"
    assert data.x_train.dtype == data.x_test.dtype == torch.float32
    assert data.y_train.dtype == data.y_test.dtype == torch.int64
    assert torch.equal(data.x_train, pixels[:6]) and torch.equal(data.x_test, pixels[6:])
    assert data.y_train.tolist() == [0, 1, 2, 3, 0, 1] and data.y_test.tolist() == [2, 3, 4, 0]
    assert data.classes == 5


def test_idx_folder_prefers_the_raw_file_when_both_exist(folder: Path) -> None:
    write_idx(folder / "train-labels-idx1-ubyte", np.full(6, 9, dtype=np.uint8))
    assert idx_folder(folder).y_train.tolist() == [9] * 6


def test_idx_folder_normalizes(folder: Path) -> None:
    plain = idx_folder(folder)
    data = idx_folder(folder, normalize=(0.5, 0.25))
    assert torch.allclose(data.x_train, (plain.x_train - 0.5) / 0.25)
    assert torch.allclose(data.x_test, (plain.x_test - 0.5) / 0.25)
    assert torch.equal(data.y_test, plain.y_test)


@pytest.mark.parametrize("std", [0.0, -1.0])
def test_idx_folder_rejects_a_std_that_is_not_positive(folder: Path, std: float) -> None:
    with pytest.raises(DatasetError, match=f"needs std > 0, got std={std}"):
        idx_folder(folder, normalize=(0.5, std))


def test_idx_folder_rejects_a_missing_folder(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist; pass a folder that holds train-images-idx3-ubyte"):
        idx_folder(tmp_path / "nowhere")


def test_missing_fashion_mnist_says_how_to_install_it(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    absent = tmp_path / "fashion-mnist"
    monkeypatch.setattr(datasets, "FASHION_MNIST_DIR", absent)
    for read in (idx_folder, load):
        with pytest.raises(DatasetError, match="apt-get install dataset-fashion-mnist"):
            read(str(absent))


def test_idx_folder_names_the_missing_files(folder: Path) -> None:
    (folder / "t10k-labels-idx1-ubyte").unlink()
    with pytest.raises(DatasetError) as error:
        idx_folder(folder)
    message = str(error.value)
    assert "lacks t10k-labels-idx1-ubyte (raw or .gz)" in message
    assert ("needs all four of train-images-idx3-ubyte, train-labels-idx1-ubyte, t10k-images-idx3-ubyte, "
            "t10k-labels-idx1-ubyte") in message


def test_idx_folder_rejects_an_image_label_count_mismatch(folder: Path) -> None:
    write_idx(folder / "train-labels-idx1-ubyte", np.zeros(5, dtype=np.uint8))
    with pytest.raises(DatasetError, match=r"labels of shape \[5\] but .* holds 6 images"):
        idx_folder(folder)


def test_idx_folder_rejects_images_that_are_not_3d(folder: Path) -> None:
    write_idx(folder / "t10k-images-idx3-ubyte", np.zeros((4, 35), dtype=np.uint8))
    with pytest.raises(DatasetError, match=r"holds a 2-D array of shape \[4, 35\]; images must be 3-D"):
        idx_folder(folder)


# --- from_factory ---------------------------------------------------------------------------------


def test_from_factory_returns_the_factory_dataset() -> None:
    data = from_factory("tests.helpers.datasets:dataset")
    assert isinstance(data, Dataset) and data.name == "tiny"
    assert data.x_train.shape == (6, 1, 2, 2) and data.classes == 3


def test_from_factory_takes_a_pair_as_the_evaluation_split() -> None:
    data = from_factory("tests.helpers.datasets:pair")
    assert data.name == "tests.helpers.datasets:pair"
    assert data.x_test.dtype == torch.float32 and data.x_test.shape == (5, 1, 2, 3)
    assert torch.equal(data.x_test.flatten(), torch.arange(30, dtype=torch.float32))
    assert data.y_test.dtype == torch.int64 and data.y_test.tolist() == [0, 3, 1, 3, 2]
    assert data.x_train.shape == (0, 1, 2, 3) and data.x_train.dtype == torch.float32
    assert data.y_train.shape == (0,) and data.y_train.dtype == torch.int64
    assert data.classes == 4


@pytest.mark.parametrize(
    "function, message",
    [
        ("junk", r"a str; it must return a Dataset or a pair \(x, y\)"),
        ("images_only", r"a Tensor of shape \[4, 1, 2, 2\]; it must"),
        ("triple", r"a tuple of 3 items \(Tensor, Tensor, str\); it must"),
        ("mismatched", r"x of shape \[5, 1, 2, 2\] and y of shape \[4\]"),
        ("float_labels", r"x of shape \[3, 1, 2, 2\] and y of shape \[3\] and dtype torch.float32; .* integer labels"),
    ],
)
def test_from_factory_rejects_anything_else(function: str, message: str) -> None:
    with pytest.raises(DatasetError, match=f"dataset factory 'tests.helpers.datasets:{function}' returned {message}"):
        from_factory(f"tests.helpers.datasets:{function}")


def test_from_factory_lets_the_checkpoint_error_of_a_bad_spec_through() -> None:
    with pytest.raises(CheckpointError, match="has no attribute 'absent'"):
        from_factory("tests.helpers.datasets:absent")


# --- load -----------------------------------------------------------------------------------------


def test_load_digits_with_and_without_normalization() -> None:
    plain, reference = load("digits"), digits()
    assert torch.equal(plain.x_test, reference.x_test) and torch.equal(plain.y_test, reference.y_test)
    normalized = load("digits", normalize=(0.3, 0.4))
    assert torch.allclose(normalized.x_train, (reference.x_train - 0.3) / 0.4)
    assert torch.equal(normalized.y_train, reference.y_train)


def test_load_reads_a_folder(folder: Path) -> None:
    assert torch.equal(load(str(folder), normalize=(0.1, 2.0)).x_test, idx_folder(folder, (0.1, 2.0)).x_test)


def test_load_calls_a_factory_and_normalizes_its_images() -> None:
    data = load("tests.helpers.datasets:pair", normalize=(1.0, 2.0))
    assert torch.equal(data.x_test.flatten(), (torch.arange(30, dtype=torch.float32) - 1.0) / 2.0)
    assert data.x_train.shape == (0, 1, 2, 3)


def test_load_rejects_anything_else(tmp_path: Path) -> None:
    spec = str(tmp_path / "nowhere")
    with pytest.raises(DatasetError) as error:
        load(spec)
    assert str(error.value) == f"dataset {spec!r} is not 'digits', an IDX folder or a 'package.module:function' factory"


# --- Fashion-MNIST (Debian package dataset-fashion-mnist) -----------------------------------------


@pytest.mark.skipif(
    not FASHION_MNIST_DIR.is_dir(),
    reason=f"Fashion-MNIST is not installed in {FASHION_MNIST_DIR} (apt-get install dataset-fashion-mnist)",
)
def test_fashion_mnist_from_the_debian_package() -> None:
    data = load(str(FASHION_MNIST_DIR))
    assert data.name == "fashion-mnist"
    assert data.x_train.shape == (60000, 1, 28, 28) and data.x_test.shape == (10000, 1, 28, 28)
    assert data.x_train.dtype == torch.float32 and data.y_train.dtype == torch.int64
    assert data.x_train.min() == 0.0 and data.x_train.max() == 1.0
    assert data.classes == 10
    assert torch.bincount(data.y_train).tolist() == [6000] * 10
    assert torch.bincount(data.y_test).tolist() == [1000] * 10

"""Grading data: digits offline, and torchvision's real MNIST/FashionMNIST loaders on IDX files written here."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from autograder import datasets
from autograder.datasets import DataError, grading_split, has_torchvision_files, load_digits_split, write_idx


def learnable_images(n: int, seed: int, size: int = 28) -> tuple[np.ndarray, np.ndarray]:
    """uint8 images whose class k is a bright 4×4 block at a position of its own, over noise."""
    rng = np.random.default_rng(seed)
    labels = (np.arange(n) % 10).astype(np.uint8)
    rng.shuffle(labels)
    images = rng.integers(0, 60, size=(n, size, size), dtype=np.uint8)
    for i, k in enumerate(labels):
        row, col = 2 + 6 * (k // 4), 2 + 6 * (k % 4)
        images[i, row:row + 4, col:col + 4] = 250
    return images, labels


def write_torchvision_files(root, folder: str = "MNIST", n_train: int = 120, n_test: int = 40, seed: int = 0):
    """The four raw files torchvision reads, uncompressed, under root/<folder>/raw/."""
    raw = root / folder / "raw"
    train_x, train_y = learnable_images(n_train, seed)
    test_x, test_y = learnable_images(n_test, seed + 1)
    write_idx(raw / "train-images-idx3-ubyte", train_x)
    write_idx(raw / "train-labels-idx1-ubyte", train_y)
    write_idx(raw / "t10k-images-idx3-ubyte", test_x)
    write_idx(raw / "t10k-labels-idx1-ubyte", test_y)
    return train_x, train_y, test_x, test_y


def test_written_idx_files_load_through_torchvision(tmp_path):
    import torchvision

    train_x, train_y, test_x, test_y = write_torchvision_files(tmp_path)
    train = torchvision.datasets.MNIST(str(tmp_path), train=True, download=False)
    test = torchvision.datasets.MNIST(str(tmp_path), train=False, download=False)
    assert torch.equal(train.data, torch.from_numpy(train_x))
    assert torch.equal(test.targets, torch.from_numpy(test_y).long())
    image, label = train[3]  # the loader's own item path: a PIL image and an int
    assert np.array_equal(np.asarray(image), train_x[3]) and label == int(train_y[3])


def test_write_idx_round_trips_other_types(tmp_path):
    from torchvision.datasets.mnist import read_sn3_pascalvincent_tensor

    values = np.arange(-6, 6, dtype=np.int32).reshape(3, 4)
    write_idx(tmp_path / "ints", values)
    assert torch.equal(read_sn3_pascalvincent_tensor(str(tmp_path / "ints")), torch.from_numpy(values))
    with pytest.raises(ValueError, match="IDX cannot hold"):
        write_idx(tmp_path / "bad", np.zeros(3, dtype=np.complex64))


def test_mnist_split_uses_the_official_test_set(tmp_path):
    train_x, train_y, test_x, test_y = write_torchvision_files(tmp_path, n_train=120, n_test=40)
    data = datasets.load_torchvision_split("mnist", tmp_path, seed=3)
    assert data.name == "mnist"
    assert (len(data.train_y), len(data.val_y), len(data.test_y)) == (100, 20, 40)
    assert data.train_x.dtype == torch.float32 and data.train_x.shape[1:] == (28, 28)
    assert torch.equal(data.test_x, torch.from_numpy(test_x).float() / 255)
    assert torch.equal(data.test_y, torch.from_numpy(test_y).long())
    # train and validation together are exactly the training file, each image once
    together = torch.cat([data.train_x, data.val_x]).reshape(120, -1)
    original = torch.from_numpy(train_x).float().reshape(120, -1) / 255
    assert sorted(map(tuple, together.tolist())) == sorted(map(tuple, original.tolist()))
    limited = datasets.load_torchvision_split("mnist", tmp_path, seed=3, max_train=30)
    assert len(limited.train_y) == 30 and len(limited.val_y) == 20


def test_missing_files_say_where_they_were_looked_for(tmp_path):
    (tmp_path / "MNIST" / "raw").mkdir(parents=True)
    assert not has_torchvision_files(tmp_path, "mnist")
    with pytest.raises(DataError, match="MNIST/raw"):
        datasets.load_torchvision_split("mnist", tmp_path)


def test_unreadable_files_are_a_data_error(tmp_path):
    write_torchvision_files(tmp_path)
    (tmp_path / "MNIST" / "raw" / "train-images-idx3-ubyte").write_bytes(b"\x00\x00\x08\x01" + b"\x00" * 8)
    with pytest.raises(DataError, match="could not read"):
        datasets.load_torchvision_split("mnist", tmp_path)


def test_grading_split_prefers_torchvision_files_in_order(tmp_path):
    assert grading_split(("mnist", "fashion_mnist"), tmp_path).name == "digits"
    write_torchvision_files(tmp_path, folder="FashionMNIST")
    assert grading_split(("mnist", "fashion_mnist"), tmp_path).name == "fashion_mnist"
    write_torchvision_files(tmp_path, folder="MNIST")
    assert grading_split(("mnist", "fashion_mnist"), tmp_path).name == "mnist"
    assert grading_split(("fashion_mnist", "mnist"), tmp_path).name == "fashion_mnist"
    assert grading_split((), tmp_path).name == "digits"
    with pytest.raises(DataError, match="not a folder"):
        grading_split(("mnist",), tmp_path / "nowhere")


def test_data_root_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.delenv(datasets.DATA_ROOT_ENV, raising=False)
    assert datasets.data_root() is None
    write_torchvision_files(tmp_path)
    monkeypatch.setenv(datasets.DATA_ROOT_ENV, str(tmp_path))
    assert datasets.data_root() == tmp_path
    assert grading_split(("mnist",)).name == "mnist"


def test_digits_split_is_real_disjoint_and_reproducible():
    data = load_digits_split(seed=0)
    sizes = (len(data.train_y), len(data.val_y), len(data.test_y))
    assert sum(sizes) == 1797 and sizes == (1078, 359, 360)
    assert data.train_x.shape[1:] == (8, 8) and data.train_x.dtype == torch.float32
    assert float(data.train_x.min()) == 0.0 and float(data.train_x.max()) == 1.0
    assert data.num_classes == 10 and data.train_y.dtype == torch.int64
    rows = {tuple(r) for part in (data.train_x, data.val_x, data.test_x) for r in part.reshape(-1, 64).tolist()}
    assert len(rows) > 1700  # each image in one part only (digits has a few exact duplicates of its own)
    again, other = load_digits_split(seed=0), load_digits_split(seed=1)
    assert torch.equal(again.test_x, data.test_x) and not torch.equal(other.test_x, data.test_x)

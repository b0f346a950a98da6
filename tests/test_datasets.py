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


# ---------------------------------------------------------------- the held-out data graders judge on


def nearest_public_label(images: torch.Tensor) -> torch.Tensor:
    """What a submission that knows the public digits would answer: the label of the nearest public image."""
    from sklearn.datasets import load_digits

    public = load_digits()
    flat = torch.from_numpy(public.images.reshape(-1, 64).astype(np.float32) / 16.0)
    return torch.from_numpy(public.target)[torch.cdist(images.reshape(len(images), -1), flat).argmin(dim=1)]


def test_secret_seed_is_drawn_once_per_process_from_the_os(monkeypatch):
    monkeypatch.setattr(datasets, "_SECRET", [])
    first = datasets.secret_seed()
    assert datasets.secret_seed() == first  # one disguise for the whole grading run
    monkeypatch.setattr(datasets, "_SECRET", [])
    assert datasets.secret_seed() != first  # another run, another draw (equal with probability 2**-63)


def test_held_out_split_defaults_to_this_runs_secret(monkeypatch):
    monkeypatch.setattr(datasets, "_SECRET", [12345])
    assert torch.equal(datasets.held_out_split().test_x, datasets.held_out_split(seed=12345).test_x)
    assert not torch.equal(datasets.held_out_split(seed=1).test_x, datasets.held_out_split(seed=2).test_x)


def test_resplit_draws_new_parts_of_the_same_sizes():
    data = load_digits_split(seed=0)
    again = datasets.resplit(data, seed=5)
    assert (len(again.train_y), len(again.val_y), len(again.test_y)) == (1078, 359, 360)
    rows = lambda x: sorted(map(tuple, x.reshape(len(x), -1).tolist()))  # noqa: E731
    together = torch.cat([again.train_x, again.val_x, again.test_x])
    assert rows(together) == rows(torch.cat([data.train_x, data.val_x, data.test_x]))
    assert rows(again.test_x) != rows(data.test_x)


def test_disguise_applies_one_transformation_to_every_part():
    """The same images in train and test come out as the same disguised pairs: one transformation for all parts."""
    data = load_digits_split(seed=0)
    twins = datasets.Split("digits", data.test_x, data.test_y, data.test_x, data.test_y, data.test_x, data.test_y)
    disguised = datasets.disguise(twins, seed=9)

    def pairs(x, y):
        return sorted(zip(map(tuple, x.reshape(len(x), -1).tolist()), y.tolist()))

    assert pairs(disguised.train_x, disguised.train_y) == pairs(disguised.test_x, disguised.test_y)
    assert pairs(disguised.val_x, disguised.val_y) == pairs(disguised.test_x, disguised.test_y)
    assert not torch.equal(disguised.test_x, twins.test_x)  # shuffled and transformed
    assert disguised.test_x.dtype == torch.float32 and disguised.test_x.shape == twins.test_x.shape
    # classes are renamed consistently: each original class maps to exactly one new one
    counts = torch.bincount(twins.test_y, minlength=10)
    assert sorted(torch.bincount(disguised.test_y, minlength=10).tolist()) == sorted(counts.tolist())
    assert not torch.equal(torch.bincount(disguised.test_y, minlength=10), counts)  # seed 9 moves some classes


def test_looking_test_images_up_in_the_public_digits_finds_nothing():
    """The attack works on the plain split and is at chance level on the disguised one."""
    plain = load_digits_split(seed=0)
    assert (nearest_public_label(plain.test_x) == plain.test_y).double().mean() > 0.99
    for seed in (1, 2, 3):
        disguised = datasets.held_out_split(seed=seed)
        assert (nearest_public_label(disguised.test_x) == disguised.test_y).double().mean() < 0.3


def test_a_model_learns_the_disguised_data_as_well_as_the_plain_data():
    def accuracy(data) -> float:
        torch.manual_seed(0)
        model = torch.nn.Linear(64, data.num_classes)
        optimizer = torch.optim.Adam(model.parameters(), lr=0.05)
        x = data.train_x.reshape(len(data.train_x), -1)
        for _ in range(150):
            optimizer.zero_grad()
            torch.nn.functional.cross_entropy(model(x), data.train_y).backward()
            optimizer.step()
        with torch.no_grad():
            return (model(data.test_x.reshape(len(data.test_x), -1)).argmax(1) == data.test_y).double().mean().item()

    plain = load_digits_split(seed=0)
    disguised = datasets.disguise(plain, seed=4)  # same membership: only the disguise differs
    assert accuracy(plain) > 0.9 and abs(accuracy(disguised) - accuracy(plain)) < 0.03


def test_the_bundled_files_cannot_be_read_inside_the_sandbox(tmp_path):
    import subprocess
    import sys

    from autograder import sandbox

    if not sandbox.sandbox_available():
        pytest.skip("bubblewrap cannot run here: without it the worker can read the environment (SECURITY.md)")
    hidden = sandbox.hidden_data_dirs()
    assert any(p.parts[-3:] == ("sklearn", "datasets", "data") for p in hidden)
    probe = "from sklearn.datasets import load_digits\ntry:\n    load_digits()\nexcept OSError:\n    print('hidden')"
    run = subprocess.run(sandbox.bwrap_prefix(tmp_path) + [sys.executable, "-c", probe], capture_output=True,
                         text=True, timeout=120)
    assert run.stdout.strip() == "hidden", run.stderr[-2000:]

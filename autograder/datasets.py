"""Grading data for the training assignments, loaded in the trusted process only.

The offline default is scikit-learn's bundled handwritten digits (1,797 real 8×8 images).
When a data root holds torchvision's MNIST or FashionMNIST files (``<root>/MNIST/raw/...``,
as ``torchvision.datasets.MNIST(root, download=True)`` leaves them), the real torchvision
loaders read them instead; nothing is ever downloaded. Images come out as float32 in [0, 1].

Graders judge on disguised data (:func:`disguise`): a transformation drawn from a secret seed in the
trusted process, once per grading run (:func:`secret_seed`), and applied to train, validation
and test alike: a fresh split, shuffled order, permuted classes, permuted pixels and per-pixel
intensity changes. A model still learns it as well as the plain data (an MLP does not care in
which order pixels come), but a submission that knows the public data cannot look the test
images up. The public checks keep the plain data.
"""

from __future__ import annotations

import os
import secrets
import struct
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np
import torch

DATA_ROOT_ENV = "TENSORGRADE_DATA_ROOT"  # set by `tensorgrade grade --data-root`; never passed to workers
TORCHVISION_CLASSES = {"mnist": "MNIST", "fashion_mnist": "FashionMNIST"}
RAW_FILES = ("train-images-idx3-ubyte", "train-labels-idx1-ubyte", "t10k-images-idx3-ubyte", "t10k-labels-idx1-ubyte")
IDX_TYPES = {np.dtype(np.uint8): 0x08, np.dtype(np.int8): 0x09, np.dtype(">i2"): 0x0B, np.dtype(">i4"): 0x0C,
             np.dtype(">f4"): 0x0D, np.dtype(">f8"): 0x0E}


class DataError(Exception):
    """Data files that are missing or unreadable (the message says which and what to do)."""


@dataclass(frozen=True)
class Split:
    """Train / validation / held-out test tensors of one dataset: images (N, H, W) float32, labels int64."""

    name: str
    train_x: torch.Tensor
    train_y: torch.Tensor
    val_x: torch.Tensor
    val_y: torch.Tensor
    test_x: torch.Tensor
    test_y: torch.Tensor

    @property
    def num_classes(self) -> int:
        return int(torch.cat([self.train_y, self.val_y, self.test_y]).max()) + 1

    def sizes(self) -> str:
        return f"{len(self.train_y)} train / {len(self.val_y)} validation / {len(self.test_y)} test"


def data_root() -> Path | None:
    """The data root given to the grader, if any."""
    value = os.environ.get(DATA_ROOT_ENV)
    return Path(value) if value else None


def has_torchvision_files(root: Path, name: str) -> bool:
    """Whether ``root`` holds the four uncompressed raw files of ``name`` where torchvision looks."""
    raw = Path(root) / TORCHVISION_CLASSES[name] / "raw"
    return all((raw / f).is_file() for f in RAW_FILES)


def _split_indices(n: int, fractions: tuple[float, ...], seed: int) -> list[torch.Tensor]:
    order = torch.randperm(n, generator=torch.Generator().manual_seed(seed))
    bounds = [0]
    for fraction in fractions:
        bounds.append(bounds[-1] + int(round(fraction * n)))
    bounds.append(n)
    return [order[a:b] for a, b in zip(bounds, bounds[1:])]


def load_digits_split(seed: int = 0, train: float = 0.6, val: float = 0.2) -> Split:
    """scikit-learn's digits (bundled with the package, offline), split train/val/test by ``seed``."""
    from sklearn.datasets import load_digits

    digits = load_digits()
    images = torch.from_numpy(digits.images.astype(np.float32) / 16.0)  # pixel values are 0..16
    labels = torch.from_numpy(digits.target.astype(np.int64))
    tr, va, te = _split_indices(len(labels), (train, val), seed)
    return Split("digits", images[tr], labels[tr], images[va], labels[va], images[te], labels[te])


def load_torchvision_split(name: str, root: Path, seed: int = 0, val: float = 1 / 6,
                           max_train: int | None = None) -> Split:
    """MNIST or FashionMNIST through torchvision's own loader (download=False); test = the official test set."""
    import torchvision

    if not has_torchvision_files(root, name):
        raw = Path(root) / TORCHVISION_CLASSES[name] / "raw"
        raise DataError(f"{raw} does not hold {', '.join(RAW_FILES)} (uncompressed); put torchvision's "
                        f"{TORCHVISION_CLASSES[name]} files there or leave out --data-root to grade on digits")
    cls = getattr(torchvision.datasets, TORCHVISION_CLASSES[name])
    try:
        train_set = cls(str(root), train=True, download=False)
        test_set = cls(str(root), train=False, download=False)
    except (RuntimeError, AssertionError, ValueError, TypeError) as exc:
        raise DataError(f"torchvision could not read the {name} files under {root}: {exc}") from None
    images, labels = train_set.data.float() / 255.0, train_set.targets.long()
    va, tr = _split_indices(len(labels), (val,), seed)
    if max_train is not None:
        tr = tr[:max_train]
    return Split(name, images[tr], labels[tr], images[va], labels[va],
                 test_set.data.float() / 255.0, test_set.targets.long())


def grading_split(prefer: list[str] | tuple[str, ...] = ("mnist", "fashion_mnist"), root: Path | None = None,
                  seed: int = 0, max_train: int | None = None) -> Split:
    """The first dataset of ``prefer`` whose files are under ``root``; digits when there is none."""
    root = root if root is not None else data_root()
    if root is not None:
        if not Path(root).is_dir():
            raise DataError(f"the data root {root} is not a folder")
        for name in prefer:
            if name in TORCHVISION_CLASSES and has_torchvision_files(Path(root), name):
                return load_torchvision_split(name, Path(root), seed=seed, max_train=max_train)
    return load_digits_split(seed=seed)


_SECRET: list[int] = []


def secret_seed() -> int:
    """The seed of this grading run's disguise: drawn once per process from the OS, never sent anywhere."""
    if not _SECRET:
        _SECRET.append(secrets.randbits(63))
    return _SECRET[0]


def resplit(data: Split, seed: int) -> Split:
    """Train, validation and test drawn again from the union of the three, keeping their sizes.

    With digits the public split seed would say which images are the test set; a secret one does not.
    """
    images = torch.cat([data.train_x, data.val_x, data.test_x])
    labels = torch.cat([data.train_y, data.val_y, data.test_y])
    order = torch.randperm(len(labels), generator=torch.Generator().manual_seed(seed))
    a, b = len(data.train_y), len(data.train_y) + len(data.val_y)
    parts = [order[:a], order[a:b], order[b:]]
    return replace(data, train_x=images[parts[0]], train_y=labels[parts[0]], val_x=images[parts[1]],
                   val_y=labels[parts[1]], test_x=images[parts[2]], test_y=labels[parts[2]])


def disguise(data: Split, seed: int) -> Split:
    """The same transformation, from ``seed``, applied to every part of ``data`` (each part also shuffled).

    Pixels are permuted and each gets its own scale in [0.75, 1.25] and offset in [-0.1, 0.1] (so
    neither the set of an image's values nor its pixels' order matches the public image); class k
    becomes class ``perm[k]``. Fully connected models learn the result exactly as well as the plain
    data; nothing in it says which public image a disguised one was.
    """
    generator = torch.Generator().manual_seed(seed)
    classes = data.num_classes
    class_perm = torch.randperm(classes, generator=generator)
    shape = data.train_x.shape[1:]
    pixels = int(torch.tensor(shape).prod()) if len(shape) else 1
    pixel_perm = torch.randperm(pixels, generator=generator)
    scale = 0.75 + 0.5 * torch.rand(pixels, generator=generator)
    offset = 0.2 * torch.rand(pixels, generator=generator) - 0.1

    def images(x: torch.Tensor) -> torch.Tensor:
        flat = x.reshape(len(x), pixels)[:, pixel_perm].float()
        return (flat * scale + offset).reshape(len(x), *shape).contiguous()

    def part(x: torch.Tensor, y: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        order = torch.randperm(len(y), generator=generator)
        return images(x[order]), class_perm[y[order]]

    (trx, try_), (vax, vay), (tex, tey) = (part(data.train_x, data.train_y), part(data.val_x, data.val_y),
                                           part(data.test_x, data.test_y))
    return replace(data, train_x=trx, train_y=try_, val_x=vax, val_y=vay, test_x=tex, test_y=tey)


def held_out_split(prefer: list[str] | tuple[str, ...] = ("mnist", "fashion_mnist"), root: Path | None = None,
                   seed: int | None = None, max_train: int | None = None) -> Split:
    """What graders judge on: :func:`grading_split`, split again (digits) and disguised from a secret seed.

    ``seed`` defaults to this grading run's :func:`secret_seed`; tests pass their own.
    """
    seed = secret_seed() if seed is None else seed
    data = grading_split(prefer, root, seed=seed % 2**31, max_train=max_train)
    if data.name == "digits":
        data = resplit(data, seed + 1)
    return disguise(data, seed + 2)


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` as an uncompressed IDX file (the format of the MNIST files)."""
    array = np.asarray(array)
    dtype = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    if dtype not in IDX_TYPES:
        raise ValueError(f"IDX cannot hold {array.dtype}")
    header = struct.pack(">HBB", 0, IDX_TYPES[dtype], array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(header + array.astype(dtype).tobytes())

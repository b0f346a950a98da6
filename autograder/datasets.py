"""Grading data for the training assignments, loaded in the trusted process only.

The offline default is scikit-learn's bundled handwritten digits (1,797 real 8×8 images).
When a data root holds torchvision's MNIST or FashionMNIST files (``<root>/MNIST/raw/...``,
as ``torchvision.datasets.MNIST(root, download=True)`` leaves them), the real torchvision
loaders read them instead; nothing is ever downloaded. Images come out as float32 in [0, 1].
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass
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


def write_idx(path: Path, array: np.ndarray) -> None:
    """Write ``array`` as an uncompressed IDX file (the format of the MNIST files)."""
    array = np.asarray(array)
    dtype = array.dtype.newbyteorder(">") if array.dtype.itemsize > 1 else array.dtype
    if dtype not in IDX_TYPES:
        raise ValueError(f"IDX cannot hold {array.dtype}")
    header = struct.pack(">HBB", 0, IDX_TYPES[dtype], array.ndim) + struct.pack(f">{array.ndim}I", *array.shape)
    Path(path).parent.mkdir(parents=True, exist_ok=True)
    Path(path).write_bytes(header + array.astype(dtype).tobytes())

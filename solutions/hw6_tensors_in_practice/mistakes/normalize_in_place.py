"""Example mistake (normalize_in_place) for hw6_tensors_in_practice (tests/test_hw6_tensors_in_practice.py)."""

from __future__ import annotations

import io
from collections.abc import Sequence

import numpy as np
import torch
from torch import nn


def to_numpy(t: torch.Tensor) -> np.ndarray:
    """A numpy array with t's values that shares t's memory, also when t requires grad.

    ``t.numpy()`` refuses a tensor that requires grad; ``np.array(t)`` copies.
    """
    return t.detach().numpy()


def as_float32(x: torch.Tensor) -> torch.Tensor:
    """x as float32: x itself (no copy) when it already is float32, else a converted tensor."""
    return x.to(torch.float32)


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """What ``torchvision.transforms.ToTensor`` does: an (H, W, C) uint8 array to a (C, H, W) float32 tensor in [0, 1].

    Pixel (h, w) of channel c must end up at [c, h, w]: a view cannot reorder elements.
    """
    return torch.from_numpy(image).permute(2, 0, 1).to(torch.float32) / 255


def normalize(image: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """What ``transforms.Normalize(mean, std)`` does to a (C, H, W) image: (image[c] - mean[c]) / std[c].

    A new tensor; the input image is left as it was.
    """
    m = torch.tensor(mean, dtype=image.dtype, device=image.device).view(-1, 1, 1)
    s = torch.tensor(std, dtype=image.dtype, device=image.device).view(-1, 1, 1)
    return image.sub_(m).div_(s)


def cosine_similarity(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a·b / (|a| |b|) of two 1-D tensors, as a 0-d tensor (the shape ``torch.dot`` gives)."""
    return torch.dot(a, b) / (a.norm() * b.norm())


def sigmoid_grad(z: torch.Tensor) -> torch.Tensor:
    """The derivative of the logistic sigmoid at every element of z: σ(z)(1 - σ(z))."""
    s = torch.sigmoid(z)
    return s * (1 - s)


def bce_loss(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of probabilities p for labels y in {0, 1}, a 0-d tensor.

    -mean(y log p + (1 - y) log(1 - p)), each log clamped at -100 as ``nn.BCELoss`` does, so
    that p of exactly 0 or 1 gives a finite loss.
    """
    log_p = torch.log(p).clamp(min=-100)
    log_q = torch.log(1 - p).clamp(min=-100)
    return -(y * log_p + (1 - y) * log_q).mean()


def logistic_grad(w: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """By hand, without autograd: the gradients (dw, db) of bce_loss(sigmoid(X @ w + b), y).

    X is (N, D), w is (D,), b is 0-d, y is (N,). dw has w's shape, db is 0-d.
    """
    p = torch.sigmoid(X @ w + b)
    error = (p - y) / X.shape[0]  # the sigmoid's derivative cancels against BCE's
    return X.T @ error, error.sum()


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A random split of range(n): (train indices, validation indices), int64 tensors.

    ``int(val_fraction * n)`` indices go to validation, the rest to training; the same seed
    gives the same split (use ``torch.randperm`` with a ``torch.Generator`` seeded with it).
    """
    generator = torch.Generator().manual_seed(seed)
    order = torch.randperm(n, generator=generator)
    n_val = int(val_fraction * n)
    return order[n_val:], order[:n_val]


def validation_loss(w: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """bce_loss(sigmoid(X @ w + b), y) on validation data, computed without recording autograd history.

    w and b may require grad (they are being trained): the loss must not become part of the graph.
    """
    with torch.no_grad():
        return bce_loss(torch.sigmoid(X @ w + b), y)


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's output for x as used for validation and testing.

    Dropout off, batch norm on its running statistics, and no autograd history.
    """
    model.eval()
    with torch.no_grad():
        return model(x)


def save_state(model: nn.Module) -> bytes:
    """The model's parameters and buffers as bytes, as ``torch.save(model.state_dict(), file)`` writes them.

    Save the state_dict, not the model: what was saved must not change when training goes on.
    """
    buffer = io.BytesIO()
    torch.save(model.state_dict(), buffer)
    return buffer.getvalue()


def load_state(model: nn.Module, blob: bytes) -> None:
    """Load what save_state gave into ``model`` itself (same architecture), with ``weights_only=True``."""
    model.load_state_dict(torch.load(io.BytesIO(blob), weights_only=True))


def to_device(batch: tuple[torch.Tensor, torch.Tensor], device: str | torch.device
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, labels) moved to ``device``, as a new tuple; dtypes and shapes unchanged.

    ``tensor.to(device)`` returns a new tensor (``module.to(device)`` works in place): keep what it returns.
    """
    inputs, labels = batch
    return inputs.to(device), labels.to(device)

"""hw6_tensors_in_practice: the everyday tensor facts the lectures warn about, one function each.

numpy interop and memory, ``.to()`` that returns the same tensor, the element order of
``view`` against ``permute``, a Normalize transform, ``torch.dot``'s 0-d result, logistic
regression with binary cross-entropy by hand, a random train/validation split, evaluation
with dropout and batch norm in eval mode, saving and loading a ``state_dict``, and moving
batches between devices. Read INSTRUCTIONS.md first; the public checks are in test_public.py.
"""

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
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def as_float32(x: torch.Tensor) -> torch.Tensor:
    """x as float32: x itself (no copy) when it already is float32, else a converted tensor."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def to_tensor(image: np.ndarray) -> torch.Tensor:
    """What ``torchvision.transforms.ToTensor`` does: an (H, W, C) uint8 array to a (C, H, W) float32 tensor in [0, 1].

    Pixel (h, w) of channel c must end up at [c, h, w]: a view cannot reorder elements.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def normalize(image: torch.Tensor, mean: Sequence[float], std: Sequence[float]) -> torch.Tensor:
    """What ``transforms.Normalize(mean, std)`` does to a (C, H, W) image: (image[c] - mean[c]) / std[c].

    A new tensor; the input image is left as it was.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def cosine_similarity(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """a·b / (|a| |b|) of two 1-D tensors, as a 0-d tensor (the shape ``torch.dot`` gives)."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def sigmoid_grad(z: torch.Tensor) -> torch.Tensor:
    """The derivative of the logistic sigmoid at every element of z: σ(z)(1 - σ(z))."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def bce_loss(p: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """Mean binary cross-entropy of probabilities p for labels y in {0, 1}, a 0-d tensor.

    -mean(y log p + (1 - y) log(1 - p)), each log clamped at -100 as ``nn.BCELoss`` does, so
    that p of exactly 0 or 1 gives a finite loss.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def logistic_grad(w: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor
                  ) -> tuple[torch.Tensor, torch.Tensor]:
    """By hand, without autograd: the gradients (dw, db) of bce_loss(sigmoid(X @ w + b), y).

    X is (N, D), w is (D,), b is 0-d, y is (N,). dw has w's shape, db is 0-d.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def split_indices(n: int, val_fraction: float, seed: int) -> tuple[torch.Tensor, torch.Tensor]:
    """A random split of range(n): (train indices, validation indices), int64 tensors.

    ``int(val_fraction * n)`` indices go to validation, the rest to training; the same seed
    gives the same split (use ``torch.randperm`` with a ``torch.Generator`` seeded with it).
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def validation_loss(w: torch.Tensor, b: torch.Tensor, X: torch.Tensor, y: torch.Tensor) -> torch.Tensor:
    """bce_loss(sigmoid(X @ w + b), y) on validation data, computed without recording autograd history.

    w and b may require grad (they are being trained): the loss must not become part of the graph.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def predict(model: nn.Module, x: torch.Tensor) -> torch.Tensor:
    """The model's output for x as used for validation and testing.

    Dropout off, batch norm on its running statistics, and no autograd history.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def save_state(model: nn.Module) -> bytes:
    """The model's parameters and buffers as bytes, as ``torch.save(model.state_dict(), file)`` writes them.

    Save the state_dict, not the model: what was saved must not change when training goes on.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def load_state(model: nn.Module, blob: bytes) -> None:
    """Load what save_state gave into ``model`` itself (same architecture), with ``weights_only=True``."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def to_device(batch: tuple[torch.Tensor, torch.Tensor], device: str | torch.device
              ) -> tuple[torch.Tensor, torch.Tensor]:
    """(inputs, labels) moved to ``device``, as a new tuple; dtypes and shapes unchanged.

    ``tensor.to(device)`` returns a new tensor (``module.to(device)`` works in place): keep what it returns.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")

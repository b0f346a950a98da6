"""A correct hw1 by a careful student: type checks, messages, and in-place arithmetic operators."""

from __future__ import annotations

import numpy as np
import torch


def same_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    if not isinstance(a, torch.Tensor) or not isinstance(b, torch.Tensor):
        raise TypeError("same_storage takes two tensors")
    return a.untyped_storage().data_ptr() == b.untyped_storage().data_ptr()


def numpy_shared(arr: np.ndarray) -> torch.Tensor:
    if not isinstance(arr, np.ndarray):
        raise TypeError("expected a numpy array")
    return torch.from_numpy(arr)


def numpy_copy(arr: np.ndarray) -> torch.Tensor:
    out = torch.empty(arr.shape, dtype=torch.from_numpy(arr).dtype)
    out.copy_(torch.from_numpy(arr))
    return out


def row_view(x: torch.Tensor, i: int) -> torch.Tensor:
    if x.dim() != 2:
        raise ValueError("row_view needs a 2-D tensor")
    return x[i]


def as_matrix(x: torch.Tensor, cols: int) -> torch.Tensor:
    n = x.numel()
    if not isinstance(cols, int) or cols < 1:
        raise ValueError(f"cols must be a positive int, got {cols!r}")
    if n % cols != 0:
        raise ValueError(f"{n} elements cannot be viewed as rows of {cols}")
    return x.view(n // cols, cols)


def cos_(x: torch.Tensor) -> torch.Tensor:
    x[...] = torch.cos(x)  # writes into x's own memory
    return x


def standardize_(x: torch.Tensor) -> torch.Tensor:
    mean, std = x.mean(), x.std(correction=1)
    x -= mean
    x /= std
    return x


def shares_storage_quiz() -> dict[str, bool]:
    views = {"x.t()", "x[::2]", "x.detach()", "torch.from_numpy(arr)", "x.view(-1)", "x[1]"}
    expressions = ("x.t()", "x[::2]", "x[[0, 2]]", "x[x > 0]", "xt.reshape(-1)", "xt.contiguous()", "x.clone()",
                   "x.detach()", "torch.tensor(arr)", "torch.from_numpy(arr)", "x.view(-1)", "x[1]")
    return {expression: expression in views for expression in expressions}

"""Example mistake (same_storage_overlap) for hw1_storage; tests/test_hw1_storage.py says what it must lose.

The mistake: same_storage asks whether the two tensors' memory overlaps (np.shares_memory), which is
not the same as one storage: rows 0 and 2 of x share x's storage without a common element.
"""

from __future__ import annotations

import numpy as np
import torch

# Each expression is evaluated on ``x = torch.arange(12.).reshape(3, 4)``, its transpose
# ``xt = x.t()`` and ``arr = np.arange(4.)``. shares_storage_quiz() says for each one whether
# its result shares storage with its input (x, xt or arr).
QUIZ = (
    "x.t()",
    "x[::2]",
    "x[[0, 2]]",
    "x[x > 0]",
    "xt.reshape(-1)",
    "xt.contiguous()",
    "x.clone()",
    "x.detach()",
    "torch.tensor(arr)",
    "torch.from_numpy(arr)",
    "x.view(-1)",
    "x[1]",
)


def same_storage(a: torch.Tensor, b: torch.Tensor) -> bool:
    """True iff the two tensors use the same underlying storage (views of one another count).

    Compare the *storages*, not the tensors' own data pointers: ``x[1]`` starts further into
    the same memory as ``x``, so its ``data_ptr()`` differs even though it shares storage.
    """
    # overlap of the two tensors' memory: a test of overlapping elements, not of one storage
    return bool(np.shares_memory(a.numpy(), b.numpy()))


def numpy_shared(arr: np.ndarray) -> torch.Tensor:
    """A tensor with arr's values and dtype that shares arr's memory (a write to one shows in the other)."""
    return torch.from_numpy(arr)


def numpy_copy(arr: np.ndarray) -> torch.Tensor:
    """A tensor with arr's values and dtype that shares no memory with arr."""
    return torch.tensor(arr)


def row_view(x: torch.Tensor, i: int) -> torch.Tensor:
    """Row ``i`` of the 2-D tensor ``x``, as a view of x (no copy)."""
    return x[i]


def as_matrix(x: torch.Tensor, cols: int) -> torch.Tensor:
    """The contiguous tensor ``x`` viewed as shape (-1, cols), sharing its storage.

    Raises ValueError when ``x.numel()`` is not a multiple of ``cols``.
    """
    if cols <= 0 or x.numel() % cols != 0:
        raise ValueError(f"cannot view {x.numel()} elements as rows of {cols}")
    return x.view(-1, cols)


def cos_(x: torch.Tensor) -> torch.Tensor:
    """Replace x by its cosine *in place* and return x itself (no new storage)."""
    return x.cos_()


def standardize_(x: torch.Tensor) -> torch.Tensor:
    """In place, ``x <- (x - x.mean()) / x.std()``; returns x itself."""
    mean, std = x.mean(), x.std()
    return x.sub_(mean).div_(std)


def shares_storage_quiz() -> dict[str, bool]:
    """For each expression in QUIZ, whether its result shares storage with its input.

    Answer from what you know about views and copies; the grader checks every answer.
    """
    x = torch.arange(12.0).reshape(3, 4)
    xt = x.t()
    arr = np.arange(4.0)
    answers = {}
    for expression in QUIZ:
        result = eval(expression)  # noqa: S307 - fixed expressions from QUIZ
        source = arr if "arr" in expression else xt if expression.startswith("xt") else x
        base = torch.from_numpy(source) if isinstance(source, np.ndarray) else source
        answers[expression] = same_storage(result, base)
    return answers

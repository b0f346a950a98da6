"""hw1_storage: tensor storage, views, copies and in-place operations.

Every function here is about *memory*: whether two tensors (or a tensor and a numpy array)
use the same underlying storage, and which operations allocate new memory. Read
INSTRUCTIONS.md first; the public checks are in test_public.py.
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
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def numpy_shared(arr: np.ndarray) -> torch.Tensor:
    """A tensor with arr's values and dtype that shares arr's memory (a write to one shows in the other)."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def numpy_copy(arr: np.ndarray) -> torch.Tensor:
    """A tensor with arr's values and dtype that shares no memory with arr."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def row_view(x: torch.Tensor, i: int) -> torch.Tensor:
    """Row ``i`` of the 2-D tensor ``x``, as a view of x (no copy)."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def as_matrix(x: torch.Tensor, cols: int) -> torch.Tensor:
    """The contiguous tensor ``x`` viewed as shape (-1, cols), sharing its storage.

    Raises ValueError when ``x.numel()`` is not a multiple of ``cols``.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def cos_(x: torch.Tensor) -> torch.Tensor:
    """Replace x by its cosine *in place* and return x itself (no new storage)."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def standardize_(x: torch.Tensor) -> torch.Tensor:
    """In place, ``x <- (x - x.mean()) / x.std()``; returns x itself."""
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")


def shares_storage_quiz() -> dict[str, bool]:
    """For each expression in QUIZ, whether its result shares storage with its input.

    Answer from what you know about views and copies; the grader checks every answer.
    """
    raise NotImplementedError("your code here: see INSTRUCTIONS.md")

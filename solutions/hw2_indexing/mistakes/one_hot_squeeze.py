"""Example mistake (one_hot_squeeze) for hw2_indexing; tests/test_hw2_indexing.py says what it must lose.

The mistake: one_hot squeezes its result: a single label's (1, num_classes) row becomes (num_classes,).
"""

from __future__ import annotations

import torch


def top_right_quadrant(a: torch.Tensor) -> torch.Tensor:
    """Rows ``0 .. r//2 - 1`` and columns ``c//2 .. c-1`` of the 2-D tensor ``a`` of shape (r, c), as a view.

    The result has shape ``(r // 2, c - c // 2)``: with an odd number of columns the middle
    column belongs to the right half. Work from ``a.shape``: inputs are rarely 10 x 10.
    """
    rows, cols = a.shape
    return a[: rows // 2, cols // 2 :]


def multiples_of_4_in_column(a: torch.Tensor, col: int) -> torch.Tensor:
    """The entries of column ``col`` of the 2-D integer tensor ``a`` that are divisible by 4, in row order.

    Shape ``(k,)`` for the k such entries (k may be 0), same dtype as ``a``. Negative multiples
    (-8, -4) and 0 count.
    """
    column = a[:, col]
    return column[column % 4 == 0]


def replace_where(a: torch.Tensor, mask: torch.Tensor, value: float) -> torch.Tensor:
    """A new tensor equal to ``a`` except that it holds ``value`` where the boolean ``mask`` is True.

    ``mask`` has a's shape; the result has a's shape and dtype and shares no memory with it;
    ``a`` itself is unchanged.
    """
    return a.masked_fill(mask, value)


def rows_with_negative(a: torch.Tensor) -> torch.Tensor:
    """The rows of the 2-D tensor ``a`` (shape (r, c)) that contain at least one negative entry.

    Shape ``(k, c)`` for the k such rows, in their original order; ``(0, c)`` when there are none.
    Zero is not negative.
    """
    return a[(a < 0).any(dim=1)]


def every_other(a: torch.Tensor) -> torch.Tensor:
    """Elements 0, 2, 4, ... of the *last* dimension of ``a`` (any number of dimensions >= 1), as a view."""
    return a[..., ::2]


def count_in_range(a: torch.Tensor, lo: float, hi: float) -> int:
    """How many entries ``v`` of ``a`` satisfy ``lo <= v < hi``, as a Python int (not a tensor)."""
    return int(((a >= lo) & (a < hi)).sum().item())


def masked_row_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """Mean of each row of ``x`` (shape (N, D)) over the entries where the boolean ``mask`` is True.

    Shape ``(N,)``, x's dtype. A row whose mask has no True entry has mean 0.0, never NaN.
    """
    totals = torch.where(mask, x, torch.zeros((), dtype=x.dtype, device=x.device)).sum(dim=1)
    counts = mask.sum(dim=1).clamp(min=1)
    return totals / counts.to(x.dtype)


def one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    """One-hot rows for integer class labels: shape (N, num_classes), float32, on labels' device.

    Row ``i`` is all zeros except a 1.0 in column ``labels[i]``. ``num_classes`` may be larger
    than any label present.
    """
    return torch.nn.functional.one_hot(labels, num_classes).to(torch.float32).squeeze()

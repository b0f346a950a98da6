"""A correct hw2 by a student who thinks in numpy: comparisons against arange, logical_and, nonzero."""

import torch


def top_right_quadrant(a: torch.Tensor) -> torch.Tensor:
    n_rows, n_cols = a.size()
    half_rows, half_cols = n_rows // 2, n_cols // 2
    return a[0:half_rows, half_cols:n_cols]


def multiples_of_4_in_column(a: torch.Tensor, col: int) -> torch.Tensor:
    column = a[:, col]
    keep = torch.remainder(column, 4) == 0
    return column[keep.nonzero().reshape(-1)]


def replace_where(a: torch.Tensor, mask: torch.Tensor, value: float) -> torch.Tensor:
    filler = torch.full_like(a, value)
    return torch.where(mask, filler, a)


def rows_with_negative(a: torch.Tensor) -> torch.Tensor:
    return a[(a < 0).sum(dim=1) > 0]


def every_other(a: torch.Tensor) -> torch.Tensor:
    return a[..., slice(0, None, 2)]


def count_in_range(a: torch.Tensor, lo: float, hi: float) -> int:
    return int(torch.logical_and(a >= lo, a < hi).sum())


def masked_row_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    weights = mask.to(x.dtype)
    total = torch.where(mask, x, torch.zeros((), dtype=x.dtype, device=x.device)).sum(-1)
    count = weights.sum(-1)
    return total / torch.maximum(count, torch.ones_like(count))


def one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    classes = torch.arange(num_classes, device=labels.device)
    return (labels.unsqueeze(1) == classes.unsqueeze(0)).float()

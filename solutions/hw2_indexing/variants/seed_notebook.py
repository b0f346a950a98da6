"""A correct hw2 as a seed-notebook student writes it: intermediate names, comments, explicit dims."""

import torch


def top_right_quadrant(a: torch.Tensor) -> torch.Tensor:
    # rows 0 .. r//2 - 1 and columns c//2 .. c-1
    num_rows = a.shape[0]
    num_cols = a.shape[1]
    top = a[: num_rows // 2]
    return top[:, num_cols // 2 :]


def multiples_of_4_in_column(a: torch.Tensor, col: int) -> torch.Tensor:
    the_column = a[:, col]
    mask = (the_column % 4) == 0
    return the_column[mask]


def replace_where(a: torch.Tensor, mask: torch.Tensor, value: float) -> torch.Tensor:
    result = a.detach().clone()
    result.masked_fill_(mask, value)
    return result


def rows_with_negative(a: torch.Tensor) -> torch.Tensor:
    negative = a < 0
    row_has_negative = negative.any(dim=-1)
    return a[row_has_negative, :]


def every_other(a: torch.Tensor) -> torch.Tensor:
    last = a.dim() - 1
    index = [slice(None)] * last + [slice(None, None, 2)]
    return a[tuple(index)]


def count_in_range(a: torch.Tensor, lo: float, hi: float) -> int:
    in_range = (a >= lo) * (a < hi)
    return in_range.sum().item()


def masked_row_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    zeros = torch.zeros_like(x)
    kept = torch.where(mask, x, zeros)
    counts = mask.sum(dim=1, keepdim=True).clamp(min=1)
    return (kept.sum(dim=1, keepdim=True) / counts).squeeze(1)


def one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    rows = torch.zeros((len(labels), num_classes), dtype=torch.float32, device=labels.device)
    rows[torch.arange(len(labels), device=labels.device), labels] = 1.0
    return rows

"""A correct hw2 with scatter_, index_select, narrow and einsum instead of the reference's functions."""

import torch


def top_right_quadrant(a):
    rows, cols = a.shape
    return a.narrow(0, 0, rows // 2).narrow(1, cols // 2, cols - cols // 2)


def multiples_of_4_in_column(a, col):
    column = a.select(1, col)
    return column.index_select(0, torch.nonzero(column % 4 == 0).flatten())


def replace_where(a, mask, value):
    return torch.where(mask, torch.tensor(value, dtype=a.dtype, device=a.device), a)


def rows_with_negative(a):
    return a.index_select(0, (a < 0).any(dim=1).nonzero().squeeze(1))


def every_other(a):
    return a[..., ::2]


def count_in_range(a, lo, hi):
    inside = (a >= lo).logical_and(a < hi)
    return int(inside.to(torch.int64).sum())


def masked_row_mean(x, mask):
    weights = mask.to(x.dtype)
    totals = torch.einsum("nd,nd->n", torch.where(mask, x, torch.zeros_like(x)), weights)
    return totals / weights.sum(dim=1).clamp(min=1)


def one_hot(labels, num_classes):
    out = torch.zeros(labels.shape[0], num_classes, device=labels.device)
    return out.scatter_(1, labels.unsqueeze(1), 1.0)

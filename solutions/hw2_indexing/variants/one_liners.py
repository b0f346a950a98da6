"""A correct hw2 of one-liners: masked_select, masked_fill, scatter, count_nonzero."""

import torch
import torch.nn.functional as F


def top_right_quadrant(a): return a[: len(a) // 2, a.shape[1] // 2:]  # noqa: E704


def multiples_of_4_in_column(a, col): return torch.masked_select(a[:, col], a[:, col] % 4 == 0)  # noqa: E704


def replace_where(a, mask, value): return a.masked_fill(mask, value)  # noqa: E704


def rows_with_negative(a): return a[(a < 0).any(1)]  # noqa: E704


def every_other(a): return a[..., ::2]  # noqa: E704


def count_in_range(a, lo, hi): return int(torch.count_nonzero((a >= lo) & (a < hi)))  # noqa: E704


def masked_row_mean(x, mask): return x.where(mask, 0).sum(1) / mask.sum(1).clamp_min(1).to(x.dtype)  # noqa: E704


def one_hot(labels, num_classes): return F.one_hot(labels, num_classes).float()  # noqa: E704

"""A correct hw2 the way the indexing lecture writes it: shape unpacking, boolean masks, clone then assign."""

import torch


def top_right_quadrant(a):
    r, c = a.shape[0], a.shape[1]
    return a[: r // 2, c // 2 :]


def multiples_of_4_in_column(a, col):
    return a[:, col][a[:, col] % 4 == 0]


def replace_where(a, mask, value):
    out = a.clone()
    out[mask] = value
    return out


def rows_with_negative(a):
    return a[torch.any(a < 0, dim=1)]


def every_other(a):
    return a[..., 0::2]


def count_in_range(a, lo, hi):
    return ((lo <= a) & (a < hi)).sum().item()


def masked_row_mean(x, mask):
    total = torch.where(mask, x, torch.zeros_like(x)).sum(dim=1)
    count = mask.sum(dim=1)
    return torch.where(count > 0, total / count.clamp(min=1), torch.zeros_like(total))


def one_hot(labels, num_classes):
    return torch.eye(num_classes, device=labels.device)[labels]

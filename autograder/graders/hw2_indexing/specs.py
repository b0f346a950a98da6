"""hw2 specs: the reference answers, written with plain loops, and the classic wrong answers.

The specs loop over Python numbers so they share no trick with a vectorised answer; the
hints predict what each named mistake returns, so feedback can name it.
"""

from __future__ import annotations

import torch

# ---------------------------------------------------------------- specs (loops on purpose)


def spec_top_right_quadrant(a: torch.Tensor) -> torch.Tensor:
    rows, cols = a.shape
    values = a.tolist()
    kept = [[values[i][j] for j in range(cols // 2, cols)] for i in range(rows // 2)]
    return torch.tensor(kept, dtype=a.dtype).reshape(rows // 2, cols - cols // 2)


def spec_multiples_of_4_in_column(a: torch.Tensor, col: int) -> torch.Tensor:
    return torch.tensor([row[col] for row in a.tolist() if row[col] % 4 == 0], dtype=a.dtype)


def spec_replace_where(a: torch.Tensor, mask: torch.Tensor, value: float) -> torch.Tensor:
    flat = [value if m else v for v, m in zip(a.reshape(-1).tolist(), mask.reshape(-1).tolist())]
    return torch.tensor(flat, dtype=a.dtype).reshape(a.shape)


def spec_rows_with_negative(a: torch.Tensor) -> torch.Tensor:
    rows = [row for row in a.tolist() if any(v < 0 for v in row)]
    return torch.tensor(rows, dtype=a.dtype).reshape(len(rows), a.shape[1])


def spec_every_other(a: torch.Tensor) -> torch.Tensor:
    if a.dim() == 1:
        return torch.tensor(a.tolist()[::2], dtype=a.dtype)
    return torch.stack([spec_every_other(part) for part in a.unbind(0)]) if len(a) else \
        torch.empty(*a.shape[:-1], (a.shape[-1] + 1) // 2, dtype=a.dtype)


def spec_count_in_range(a: torch.Tensor, lo: float, hi: float) -> int:
    return sum(1 for v in a.reshape(-1).tolist() if lo <= v < hi)


def spec_masked_row_mean(x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    means = []
    for values, keep in zip(x.tolist(), mask.tolist()):
        chosen = [v for v, k in zip(values, keep) if k]
        means.append(sum(chosen) / len(chosen) if chosen else 0.0)
    return torch.tensor(means, dtype=torch.float64).to(x.dtype).reshape(x.shape[0])


def spec_one_hot(labels: torch.Tensor, num_classes: int) -> torch.Tensor:
    rows = [[1.0 if c == label else 0.0 for c in range(num_classes)] for label in labels.tolist()]
    return torch.tensor(rows, dtype=torch.float32).reshape(len(rows), num_classes)


PARAMS = {
    "top_right_quadrant": ("a",),
    "multiples_of_4_in_column": ("a", "col"),
    "replace_where": ("a", "mask", "value"),
    "rows_with_negative": ("a",),
    "every_other": ("a",),
    "count_in_range": ("a", "lo", "hi"),
    "masked_row_mean": ("x", "mask"),
    "one_hot": ("labels", "num_classes"),
}

SPECS = {
    "top_right_quadrant": spec_top_right_quadrant,
    "multiples_of_4_in_column": spec_multiples_of_4_in_column,
    "replace_where": spec_replace_where,
    "rows_with_negative": spec_rows_with_negative,
    "every_other": spec_every_other,
    "count_in_range": spec_count_in_range,
    "masked_row_mean": spec_masked_row_mean,
    "one_hot": spec_one_hot,
}

# ---------------------------------------------------------------- known mistakes, for feedback that names them


def hints(name: str, args: tuple) -> list[tuple[str, object]]:
    """(message, lazily predicted result) of the classic wrong answers to ``name`` on ``args``."""
    if name == "top_right_quadrant":
        (a,) = args
        r, c = a.shape
        return [
            ("Columns 5:10 are hard-coded (right only for a 10 x 10 tensor); use a.shape[1] // 2 :",
             lambda: a[: r // 2, 5:10]),
            ("You used the row count for the columns too (a square-only answer); take c from a.shape[1]",
             lambda: a[: r // 2, r // 2:]),
            ("With an odd number of columns the middle column belongs to the right half: start at c // 2",
             lambda: a[: r // 2, (c + 1) // 2:]),
            ("That is the bottom-right quadrant: the top rows are 0 .. r//2 - 1", lambda: a[r // 2:, c // 2:]),
            ("That is the top-left quadrant: the right columns are c//2 .. c-1", lambda: a[: r // 2, : c // 2]),
        ]
    if name == "multiples_of_4_in_column":
        a, col = args
        return [
            ("You returned the whole column: index it with the mask column % 4 == 0", lambda: a[:, col]),
            ("You applied the mask to the whole tensor: select column col first, then mask it",
             lambda: a[a % 4 == 0]),
            ("You took row col instead of column col: a[:, col] is the column", lambda: a[col][a[col] % 4 == 0]),
            ("Column three is hard-coded: use the col argument", lambda: a[:, 3][a[:, 3] % 4 == 0]),
        ]
    if name == "rows_with_negative":
        (a,) = args
        return [
            ("You applied the mask to the whole tensor, which keeps single entries: reduce the mask over each "
             "row with .any(dim=1) and index the rows with it", lambda: a[a < 0]),
            ("Zero is not negative: use < 0, not <= 0", lambda: a[(a <= 0).any(dim=1)]),
            ("You kept rows whose entries are *all* negative: use .any(dim=1)", lambda: a[(a < 0).all(dim=1)]),
            ("You reduced over the wrong dimension (columns instead of rows): use .any(dim=1)",
             lambda: a[:, (a < 0).any(dim=0)]),
        ]
    if name == "every_other":
        (a,) = args
        return [("You stepped through the first dimension: use a[..., ::2] for the last", lambda: a[::2]),
                ("Those are elements 1, 3, 5, ...: start at 0", lambda: a[..., 1::2])]
    if name == "count_in_range":
        a, lo, hi = args
        return [
            ("The range is lo <= v < hi: hi itself is not counted (use < hi, not <= hi)",
             lambda: int(((a >= lo) & (a <= hi)).sum())),
            ("The range is lo <= v < hi: lo itself is counted (use >= lo, not > lo)",
             lambda: int(((a > lo) & (a < hi)).sum())),
            ("Return a Python int (call .item() or int(...)), not a tensor",
             lambda: ((a >= lo) & (a < hi)).sum()),
        ]
    if name == "masked_row_mean":
        x, mask = args
        counts = mask.sum(dim=1)
        totals = torch.where(mask, x, torch.zeros((), dtype=x.dtype)).sum(dim=1)
        return [
            ("A row with no True in its mask divides 0 by 0 and gives NaN (division by zero): divide by the "
             "count clamped to at least 1, or use torch.where", lambda: totals / counts.to(x.dtype)),
            ("You divided by the row length D instead of the number of True entries",
             lambda: totals / x.shape[1]),
            ("You ignored the mask and averaged whole rows", lambda: x.mean(dim=1)),
        ]
    if name == "one_hot":
        labels, num_classes = args
        return [
            ("The result must be float32: convert with .float() or .to(torch.float32)",
             lambda: torch.nn.functional.one_hot(labels, num_classes)),
            ("The number of columns is num_classes, not labels.max() + 1: pass num_classes on",
             lambda: torch.nn.functional.one_hot(labels).float()),
            ("squeeze() also removed the row dimension of a single label: the result is (N, num_classes) even "
             "for N = 1", lambda: torch.nn.functional.one_hot(labels, num_classes).float().squeeze()),
        ]
    if name == "replace_where":
        a, mask, value = args
        return [("The mask is inverted: value goes where mask is True", lambda: a.masked_fill(~mask, value))]
    return []

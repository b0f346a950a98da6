"""hw2 grader inputs and loop-based specs. Expected values come from the specs, computed here.

Each function gets a few fixed cases (the lecture's tensor, edge cases that catch a named
mistake) and a fixed draw of hypothesis examples with named dimensions of different sizes,
empty and size-1 dimensions and non-contiguous layouts. The specs are written with plain
loops over Python numbers so they share no trick with a vectorised answer.
"""

from __future__ import annotations

import functools

import torch
from hypothesis import strategies as st

from autograder.strategies import dims, draw_examples, grid_values, relayout, tensors

SEED = 2

# seed 001, "Slicing and truth arrays practice": a = torch.randint(-99, 100, (10, 10))
LECTURE = torch.tensor([
    [69, -57, 56, -57, -7, 77, -87, 71, -2, -83], [68, 98, -77, -1, 66, -66, 41, -71, 24, 39],
    [-70, 2, -61, -60, -68, 41, -81, -22, -90, -58], [57, 78, -1, 58, -50, -19, -64, 23, 75, 57],
    [-37, 51, -65, 87, 75, 66, -51, -6, 88, -62], [-84, -6, 50, -11, -11, -76, -76, -31, 97, 41],
    [86, -37, -47, 65, -2, -45, 19, 35, 17, -19], [-27, 76, 42, 43, 65, 40, 83, -17, -26, 24],
    [-99, 69, 96, -78, -82, -86, 46, -19, 68, 74], [-72, -38, -8, -67, 1, -55, 97, -76, 2, -38]])


def describe(t: torch.Tensor) -> str:
    """``int64 (3, 5), non-contiguous`` — enough for a student to rebuild the case."""
    shape = "(" + ", ".join(str(d) for d in t.shape) + ("," if t.dim() == 1 else "") + ")"
    layout = "" if t.is_contiguous() else ", non-contiguous"
    return f"{str(t.dtype).removeprefix('torch.')} {shape}{layout}"


def grid(rows: int, cols: int) -> torch.Tensor:
    """Distinct values, so a wrong row or column cannot pass by accident."""
    return torch.arange(rows * cols).reshape(rows, cols) * 3 - 7


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
        ]
    if name == "replace_where":
        a, mask, value = args
        return [("The mask is inverted: value goes where mask is True", lambda: a.masked_fill(~mask, value))]
    return []


# ---------------------------------------------------------------- inputs


@st.composite
def quadrant_inputs(draw) -> tuple:
    d = draw(dims("rows cols"))
    return (draw(tensors((d["rows"], d["cols"]), torch.int64)),)


@st.composite
def column_inputs(draw) -> tuple:
    d = draw(dims("rows cols", sizes=(0, 1, 2, 3, 5, 6, 7, 9)))
    cols = max(d["cols"], 1)
    a = draw(tensors((d["rows"], cols), draw(st.sampled_from([torch.int64, torch.int32]))))
    return a, draw(st.integers(0, cols - 1))


@st.composite
def replace_inputs(draw) -> tuple:
    d = draw(dims("rows cols"))
    dtype = draw(st.sampled_from([torch.float32, torch.int64, torch.float64]))
    a = draw(tensors((d["rows"], d["cols"]), dtype))
    mask = draw(tensors((d["rows"], d["cols"]), torch.bool))
    value = draw(grid_values()) if dtype.is_floating_point else draw(st.integers(-50, 50))
    return a, mask, value


@st.composite
def negative_row_inputs(draw) -> tuple:
    d = draw(dims("rows cols"))
    dtype = draw(st.sampled_from([torch.int64, torch.float32]))
    elements = st.integers(-3, 12) if dtype == torch.int64 else st.integers(-3, 12).map(lambda k: k / 2)
    return (draw(tensors((d["rows"], d["cols"]), dtype, elements)),)


@st.composite
def every_other_inputs(draw) -> tuple:
    shape = draw(st.sampled_from(["last", "rows last", "batch rows last"]))
    d = draw(dims(shape))
    return (draw(tensors(tuple(d.values()), draw(st.sampled_from([torch.float32, torch.int64])))),)


@st.composite
def range_inputs(draw) -> tuple:
    d = draw(dims("rows cols"))
    dtype = draw(st.sampled_from([torch.int64, torch.float32]))
    a = draw(tensors((d["rows"], d["cols"]), dtype))
    present = a.reshape(-1).tolist()
    bound = st.sampled_from(present) if present else st.just(0)
    lo, hi = sorted([draw(bound), draw(bound)])
    if dtype.is_floating_point:
        return a, float(lo), float(hi)
    return a, int(lo), int(hi)


@st.composite
def masked_mean_inputs(draw, empty_rows: bool = False) -> tuple:
    d = draw(dims("rows width", sizes=(1, 2, 3, 4, 5, 6, 7) if not empty_rows else (0, 1, 2, 3, 4, 5, 6)))
    rows, width = d["rows"], d["width"]
    x = draw(tensors((rows, width), draw(st.sampled_from([torch.float32, torch.float64]))))
    mask = draw(tensors((rows, width), torch.bool, layouts=("contiguous",))).clone()
    if width:
        keep = draw(st.lists(st.integers(0, width - 1), min_size=rows, max_size=rows))
        mask[torch.arange(rows), torch.tensor(keep, dtype=torch.long)] = True  # every row has an entry
    if empty_rows and rows:
        empty = draw(st.lists(st.booleans(), min_size=rows, max_size=rows))
        empty[0] = True
        mask[torch.tensor(empty)] = False
    return x, relayout(mask, draw(st.sampled_from(["contiguous", "transposed", "strided"])))


@st.composite
def one_hot_inputs(draw) -> tuple:
    n = draw(st.sampled_from([0, 1, 2, 3, 5, 6, 8]))
    num_classes = draw(st.integers(1, 9))
    labels = draw(tensors((n,), torch.int64, st.integers(0, num_classes - 1)))
    if n and int(labels.max()) == num_classes - 1 and num_classes < 9:
        num_classes += draw(st.integers(0, 2))  # often more classes than labels present
    return labels, num_classes


def _drawn(name: str, strategy: st.SearchStrategy, count: int) -> list[tuple[str, tuple]]:
    """Drawn cases, labelled so that a student can rebuild them (``x: float32 (4, 1); dim=1``)."""
    def label(args: tuple) -> str:
        return "; ".join(f"{param}: {describe(x)}" if type(x) is torch.Tensor else f"{param}={x!r}"
                         for param, x in zip(PARAMS[name], args))

    return [(label(args), args) for args in draw_examples(strategy, count, SEED)]


@functools.cache
def cases(name: str) -> list[tuple[str, tuple]]:
    """(label, args) of every graded case of one function: fixed cases first, then drawn ones."""
    return CASE_BUILDERS[name]()


def _quadrant_cases() -> list[tuple[str, tuple]]:
    fixed = [("the lecture's 10 x 10 tensor", (LECTURE.clone(),)),
             ("a (4, 7) grid, more columns than rows", (grid(4, 7),)),
             ("a (6, 3) grid, more rows than columns", (grid(6, 3),)),
             ("a (5, 9) transposed grid", (relayout(grid(5, 9), "transposed"),))]
    return fixed + _drawn("top_right_quadrant", quadrant_inputs(), 10)


def _column_cases() -> list[tuple[str, tuple]]:
    fixed = [("column 3 of the lecture's tensor", (LECTURE.clone(), 3)),
             ("column 1 of a (6, 4) grid", (torch.tensor([[4, 8, 1, 2], [0, -4, 3, 3], [5, 6, 7, 7],
                                                         [-8, 12, 9, 9], [2, 2, 2, 2], [16, -12, 0, 1]]), 1)),
             ("column 0 of a (5, 2) strided tensor", (relayout(torch.tensor([[8, 1], [3, 4], [-4, 0], [7, 12],
                                                                              [0, 5]]), "strided"), 0))]
    return fixed + _drawn("multiples_of_4_in_column", column_inputs(), 10)


def _replace_cases() -> list[tuple[str, tuple]]:
    a = grid(3, 4).float()
    fixed = [("a (3, 4) grid, value 0.5 where a > 5", (a, a > 5, 0.5)),
             ("an int64 (2, 5) grid, value -1", (grid(2, 5), grid(2, 5) % 2 == 0, -1))]
    return fixed + _drawn("replace_where", replace_inputs(), 8)


def _negative_row_cases() -> list[tuple[str, tuple]]:
    a = torch.tensor([[3, 0, 5], [-1, 2, 2], [0, 0, 0], [4, -6, -2], [7, 8, 9]])
    fixed = [("a (5, 3) tensor with zeros and negatives", (a,)),
             ("the lecture's 10 x 10 tensor", (LECTURE.clone(),)),
             ("a (2, 6) tensor whose second row has one negative", (torch.tensor([[1., 2, 3, 4, 5, 6],
                                                                                  [1, 2, 3, 4, 5, -.5]]),)),
             ("a (4, 0) tensor (no columns)", (torch.empty(4, 0),))]
    return fixed + _drawn("rows_with_negative", negative_row_inputs(), 10)


def _every_other_cases() -> list[tuple[str, tuple]]:
    fixed = [("a (7,) vector", (torch.arange(7.0),)),
             ("a (3, 5) grid", (grid(3, 5),)),
             ("a (2, 3, 4) tensor", (torch.arange(24).reshape(2, 3, 4),)),
             ("a (4, 6) transposed grid", (relayout(grid(4, 6), "transposed"),))]
    return fixed + _drawn("every_other", every_other_inputs(), 10)


def _range_cases() -> list[tuple[str, tuple]]:
    a = torch.tensor([[1, 5, 3, 5], [2, 9, 5, 0]])
    fixed = [("a (2, 4) int tensor, lo=2, hi=5", (a, 2, 5)),
             ("a (2, 4) int tensor, lo=1, hi=3", (a, 1, 3)),
             ("a (3,) float tensor, lo=-0.5, hi=1.5", (torch.tensor([-0.5, 1.5, 0.25]), -0.5, 1.5)),
             ("an empty (0, 3) tensor", (torch.empty(0, 3), 0.0, 1.0))]
    return fixed + _drawn("count_in_range", range_inputs(), 10)


def _masked_mean_cases() -> list[tuple[str, tuple]]:
    x = torch.tensor([[1.0, 2.0, 3.0, 4.0], [-1.0, 5.0, 0.5, 2.0], [3.0, 3.0, 6.0, 0.0]])
    mask = torch.tensor([[True, False, True, False], [True, True, True, True], [False, False, True, False]])
    fixed = [("a (3, 4) tensor, every row has an entry", (x, mask))]
    return fixed + _drawn("masked_row_mean", masked_mean_inputs(), 10)


def _empty_row_cases() -> list[tuple[str, tuple]]:
    x = torch.tensor([[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]])
    fixed = [("a (2, 3) tensor whose second row's mask is all False",
              (x, torch.tensor([[True, False, True], [False, False, False]]))),
             ("a (3, 0) tensor: no entries at all", (torch.empty(3, 0), torch.empty(3, 0, dtype=torch.bool)))]
    return fixed + _drawn("masked_row_mean", masked_mean_inputs(empty_rows=True), 6)


def _one_hot_cases() -> list[tuple[str, tuple]]:
    fixed = [("labels [2, 0, 1] with 3 classes", (torch.tensor([2, 0, 1]), 3)),
             ("labels [0, 1, 1, 0] with 5 classes (more classes than labels)", (torch.tensor([0, 1, 1, 0]), 5)),
             ("no labels, 4 classes", (torch.empty(0, dtype=torch.int64), 4))]
    return fixed + _drawn("one_hot", one_hot_inputs(), 8)


CASE_BUILDERS = {
    "top_right_quadrant": _quadrant_cases,
    "multiples_of_4_in_column": _column_cases,
    "replace_where": _replace_cases,
    "rows_with_negative": _negative_row_cases,
    "every_other": _every_other_cases,
    "count_in_range": _range_cases,
    "masked_row_mean": _masked_mean_cases,
    "masked_row_mean_empty_rows": _empty_row_cases,
    "one_hot": _one_hot_cases,
}

# ---------------------------------------------------------------- for the loop checks: a small and a large input


def scaling_inputs(name: str, size: int) -> tuple:
    """Arguments for ``name`` at a size: the loop check compares the torch calls at two sizes."""
    rows, cols = size, size + 2
    a = grid(rows, cols)
    return {
        "top_right_quadrant": (a,),
        "multiples_of_4_in_column": (a, 1),
        "replace_where": (a.float(), a % 3 == 0, 0.5),
        "rows_with_negative": (a - 3 * rows,),
        "every_other": (a,),
        "count_in_range": (a, 0, 3 * rows),
        "masked_row_mean": (a.float(), a % 3 == 0),
        "one_hot": (torch.arange(rows) % cols, cols),
    }[name]


FUNCTIONS = tuple(SPECS)
